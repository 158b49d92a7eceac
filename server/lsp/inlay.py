"""``textDocument/inlayHint``: each ``nn.Sequential`` / ``keras.Sequential`` element's output
shape and parameter count, and the model's total after its definition
(:mod:`mlsense.analyzers.semantics.sequential`, computed once per statement text)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lsprotocol import types

if TYPE_CHECKING:
    from ...analyzers.engine import ParsedVersion
    from .positions import PositionEncoder
    from .settings import ServerSettings


def inlay_hints(parse: ParsedVersion, lines: list[str], encoder: PositionEncoder,
                settings: ServerSettings, rng: types.Range) -> list[types.InlayHint]:
    """The hints of the statements that overlap ``rng`` (of the analysed text ``lines``)."""
    if not (settings.inlay_shapes or settings.inlay_params):
        return []
    from ...analyzers.semantics.dims import fmt_shape
    from ...analyzers.semantics.sequential import chunk_models

    hints: list[types.InlayHint] = []
    for chunk, offset in parse.chunks:
        if chunk.module is None or "Sequential" not in chunk.text:
            continue
        last = offset + chunk.text.count("\n")
        if last < rng.start.line or offset > rng.end.line:
            continue
        models = chunk_models(chunk, parse.imports)

        placed: list[tuple[Any, str]] = []
        for model in models:
            for layer in model.layers:
                parts = []
                if settings.inlay_shapes and layer.shape is not None:
                    parts.append(f"→ {fmt_shape(layer.shape)}")
                if settings.inlay_params and layer.params:
                    parts.append(f"{layer.params:,} params")
                if parts:
                    placed.append((layer.node, " · ".join(parts)))
            if settings.inlay_params and model.total is not None:
                placed.append((model.node, f"{model.total:,} params in all"))
        for node, label in placed:  # after the node: at its end
            _, _, l1, c1 = chunk.range_of(node)
            line = offset + l1
            if rng.start.line <= line <= rng.end.line and line < len(lines):
                position = types.Position(line, encoder.to_client(lines[line], c1))
                hints.append(types.InlayHint(position=position, label=label,
                                             kind=types.InlayHintKind.Type, padding_left=True))
    return hints
