"""``textDocument/inlayHint``: each ``nn.Sequential`` / ``keras.Sequential`` element's output
shape and parameter count, and the model's total after its definition
(:mod:`mlsense.analyzers.semantics.sequential`); in an ``nn.Module`` subclass, each layer's
parameters in ``__init__``, the shape each ``forward`` statement produces and the class total
(:mod:`mlsense.analyzers.semantics.modules`). Computed once per statement text."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lsprotocol import types

if TYPE_CHECKING:
    from ...analyzers.engine import ParsedVersion
    from .positions import PositionEncoder
    from .settings import ServerSettings


def file_facts(parse: ParsedVersion) -> tuple[Any, Any, Any]:
    """The file-wide model facts of one analysed version (constructor arguments and inputs
    from the file's calls, the module classes other classes may use), computed once per
    version for hints, hovers and completions alike."""
    facts = parse.derived.get("semantics:file")
    if facts is None:
        from ...analyzers.semantics.modules import (
            class_bindings,
            class_definitions,
            model_inputs,
        )

        chunks = [c for c, _ in parse.chunks]
        facts = parse.derived["semantics:file"] = (class_bindings(chunks, parse.imports),
                                                   model_inputs(chunks, parse.imports),
                                                   class_definitions(chunks, parse.imports))
    return facts


def inlay_hints(parse: ParsedVersion, lines: list[str], encoder: PositionEncoder,
                settings: ServerSettings, rng: types.Range) -> list[types.InlayHint]:
    """The hints of the statements that overlap ``rng`` (of the analysed text ``lines``)."""
    if not (settings.inlay_shapes or settings.inlay_params):
        return []
    from ...analyzers.semantics.dims import fmt_shape
    from ...analyzers.semantics.modules import chunk_classes
    from ...analyzers.semantics.sequential import chunk_models

    hints: list[types.InlayHint] = []
    bindings, inputs, definitions = file_facts(parse)
    for chunk, offset in parse.chunks:
        if chunk.module is None:
            continue
        last = offset + chunk.text.count("\n")
        if last < rng.start.line or offset > rng.end.line:
            continue
        models = chunk_models(chunk, parse.imports, inputs)
        classes = chunk_classes(chunk, parse.imports, bindings, inputs, definitions)
        if not models and not classes:
            continue

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
        for cls in classes:  # nn.Module subclasses: layers in __init__, shapes in forward
            if settings.inlay_params:
                if cls.total is not None:
                    placed.append((cls.node.name, f"{cls.total:,} params in all"))
                placed.extend((node, f"{params:,} params") for node, params
                              in cls.layers.values() if params)
            if settings.inlay_shapes:
                placed.extend((fact.node, f"→ {fmt_shape(fact.shape)}")
                              for fact in cls.statements)
        for node, label in placed:  # after the node: at its end
            _, _, l1, c1 = chunk.range_of(node)
            line = offset + l1
            if rng.start.line <= line <= rng.end.line and line < len(lines):
                position = types.Position(line, encoder.to_client(lines[line], c1))
                hints.append(types.InlayHint(position=position, label=label,
                                             kind=types.InlayHintKind.Type, padding_left=True))
    return hints
