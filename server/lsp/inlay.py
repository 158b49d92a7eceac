"""``textDocument/inlayHint``: each ``nn.Sequential`` / ``keras.Sequential`` element's output
shape and parameter count, and the model's total after its definition; in an ``nn.Module``
subclass, each layer's parameters in ``__init__``, the shape each ``forward`` statement produces
and the class total. The facts are :mod:`mlsense.analyzers.semantics.hints`' (computed once
per statement text); this module only formats and places them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lsprotocol import types

if TYPE_CHECKING:
    from ...analyzers.engine import ParsedVersion
    from .positions import PositionEncoder
    from .settings import ServerSettings


def file_facts(parse: ParsedVersion) -> tuple[Any, Any, Any]:
    """The file-wide model facts (``analyzers.semantics.hints.file_facts``)."""
    from ...analyzers.semantics.hints import file_facts as facts

    return facts(parse)


def _label(hint: Any, settings: ServerSettings) -> str:
    parts = []
    if settings.inlay_shapes and hint.shapes:
        parts.append(hint.shape_label())
    if settings.inlay_params and hint.params is not None and (hint.params or hint.total):
        parts.append(f"{hint.params:,} params in all" if hint.total
                     else f"{hint.params:,} params")
    return " · ".join(parts)


def inlay_hints(parse: ParsedVersion, lines: list[str], encoder: PositionEncoder,
                settings: ServerSettings, rng: types.Range) -> list[types.InlayHint]:
    """The hints of the statements that overlap ``rng`` (of the analysed text ``lines``)."""
    if not (settings.inlay_shapes or settings.inlay_params):
        return []
    from ...analyzers.semantics.hints import file_hints

    out: list[types.InlayHint] = []
    for hint in file_hints(parse, rng.start.line, rng.end.line):
        label = _label(hint, settings)
        line, column = hint.range[2], hint.range[3]  # after the node: at its end
        if label and rng.start.line <= line <= rng.end.line and line < len(lines):
            position = types.Position(line, encoder.to_client(lines[line], column))
            out.append(types.InlayHint(position=position, label=label,
                                       kind=types.InlayHintKind.Type, padding_left=True))
    return out
