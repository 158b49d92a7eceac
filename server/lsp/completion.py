"""``textDocument/completion``: inside ``nn.Linear(``, ``in_features=``, ``nn.Conv2d(``,
``in_channels=``, ``nn.BatchNorm2d(``... the size that flows into the layer
(:mod:`mlsense.analyzers.semantics.sizes`), labelled with where it comes from. Nothing is offered
where the size is not certain."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lsprotocol import types

if TYPE_CHECKING:
    from ...analyzers.engine import ParsedVersion
    from .positions import PositionEncoder

TRIGGERS = ["(", "="]


def size_completions(parse: ParsedVersion, lines: list[str], encoder: PositionEncoder,
                     position: types.Position) -> list[types.CompletionItem]:
    """The completion items at ``position`` of the analysed text ``lines``."""
    if not 0 <= position.line < len(lines):
        return []
    from ...analyzers.semantics.sizes import describe, suggest_size
    from .inlay import file_facts

    column = encoder.from_client(lines[position.line], position.character)
    for chunk, offset in parse.chunks:
        if not offset <= position.line <= offset + chunk.text.count("\n"):
            continue
        found = suggest_size([c for c, _ in parse.chunks], chunk, parse.imports,
                             file_facts(parse), position.line - offset, column)
        if found is None:
            return []
        detail = describe(found)
        return [types.CompletionItem(
            label=str(found.size), kind=types.CompletionItemKind.Value,
            detail=f"{found.parameter}: {detail}",
            documentation=types.MarkupContent(kind=types.MarkupKind.Markdown, value=(
                f"`{found.parameter}={found.size}`: the size of what reaches this layer, "
                f"{detail} (mlsense)")),
            sort_text="0", preselect=True, insert_text=str(found.size))]
    return []
