"""Notebook document sync (LSP 3.17 ``notebookDocument/*``): a notebook is analysed as ONE
document, its Python code cells joined in order, so an import in one cell counts in the next.

The joined document lives in the diagnostics engine under the notebook's URI; a
:class:`NotebookLayout` remembers where each cell starts in it. Diagnostics are split by cell,
shifted to cell-relative lines and published (or pulled) per cell URI; code actions are computed
on the joined document and their edits moved back into the cells they touch.
"""

from __future__ import annotations

import bisect
import copy
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

import attrs
from lsprotocol import types

from ...analyzers.notebook import join_texts
from .positions import PositionEncoder, line_content

NOTEBOOK_SELECTOR = types.NotebookDocumentSyncOptions(notebook_selector=[
    types.NotebookDocumentFilterWithCells(
        notebook="jupyter-notebook", cells=[types.NotebookCellLanguage(language="python")])])


@dataclass(frozen=True)
class CellSpan:
    """One code cell's place in the joined document."""

    uri: str
    start: int  # first line in the joined document
    count: int  # number of lines the cell occupies there
    version: int | None


@dataclass
class NotebookLayout:
    """Where each code cell sits in the joined document (cells in notebook order)."""

    cells: list[CellSpan] = field(default_factory=list)

    def cell(self, uri: str) -> CellSpan | None:
        """The span of cell ``uri`` (compared unquoted: clients differ in percent-escapes)."""
        wanted = unquote(uri)
        return next((c for c in self.cells if unquote(c.uri) == wanted), None)

    def cell_at(self, line: int) -> CellSpan | None:
        """The cell holding joined ``line`` (None past the last cell)."""
        starts = [c.start for c in self.cells]
        i = bisect.bisect_right(starts, line) - 1
        while i >= 0:  # empty cells share a start line with the next one: take the last
            span = self.cells[i]
            if span.start <= line < span.start + span.count:
                return span
            if span.count:
                return None
            i -= 1
        return None


def join_cells(cells: Iterable[tuple[str, str, int | None]]) -> tuple[str, NotebookLayout]:
    """The joined document for ``(cell uri, text, version)`` code cells, and its layout.

    Every cell ends with a newline in the joined text, so no cell runs into the next one.
    """
    cells = list(cells)
    text, spans = join_texts(text for _, text, _ in cells)
    layout = NotebookLayout([CellSpan(uri, start, count, version)
                             for (uri, _, version), (start, count) in zip(cells, spans, strict=True)])
    return text, layout


def _shift_position(pos: types.Position, span: CellSpan, lines: Sequence[str],
                    encoder: PositionEncoder) -> types.Position:
    """A joined position as a position in ``span``'s cell (clamped to the cell's end)."""
    line = pos.line - span.start
    if line < 0:
        return types.Position(0, 0)
    if line >= span.count:
        if span.count == 0:
            return types.Position(0, 0)
        last = span.start + span.count - 1
        content = line_content(lines[last]) if last < len(lines) else ""
        return types.Position(span.count - 1, encoder.units(content))
    return types.Position(line, pos.character)


def to_cell_range(rng: types.Range, span: CellSpan, lines: Sequence[str],
                  encoder: PositionEncoder) -> types.Range:
    """A joined range as a range of ``span``'s cell."""
    return types.Range(start=_shift_position(rng.start, span, lines, encoder),
                       end=_shift_position(rng.end, span, lines, encoder))


def to_joined_range(rng: types.Range, span: CellSpan) -> types.Range:
    """A cell range as a range of the joined document."""
    return types.Range(start=types.Position(rng.start.line + span.start, rng.start.character),
                       end=types.Position(rng.end.line + span.start, rng.end.character))


def _cell_diagnostic(diag: types.Diagnostic, span: CellSpan, lines: Sequence[str],
                     encoder: PositionEncoder) -> types.Diagnostic:
    data = copy.deepcopy(diag.data)
    fix = data.get("fix") if isinstance(data, dict) else None
    if isinstance(fix, dict):  # the fix's edits travel in ``data``: same cell-relative lines
        for edit in fix.get("edits", []):
            r = edit["range"]
            joined = types.Range(types.Position(r["start"]["line"], r["start"]["character"]),
                                 types.Position(r["end"]["line"], r["end"]["character"]))
            cell = to_cell_range(joined, span, lines, encoder)
            edit["range"] = {"start": {"line": cell.start.line, "character": cell.start.character},
                             "end": {"line": cell.end.line, "character": cell.end.character}}
    return attrs.evolve(diag, range=to_cell_range(diag.range, span, lines, encoder), data=data)


def split_diagnostics(layout: NotebookLayout, diagnostics: Sequence[types.Diagnostic],
                      lines: Sequence[str], encoder: PositionEncoder
                      ) -> dict[str, list[types.Diagnostic]]:
    """The joined document's diagnostics per cell URI (every cell present, maybe empty)."""
    out: dict[str, list[types.Diagnostic]] = {c.uri: [] for c in layout.cells}
    last = next((c for c in reversed(layout.cells) if c.count), None)
    for diag in diagnostics:
        # A finding at the very end of the text (after the last newline) belongs to the last cell.
        span = layout.cell_at(diag.range.start.line) or (
            last if last is not None and diag.range.start.line >= last.start else None)
        if span is not None:
            out[span.uri].append(_cell_diagnostic(diag, span, lines, encoder))
    return out


def joined_action_params(params: types.CodeActionParams, span: CellSpan,
                         notebook_uri: str) -> types.CodeActionParams:
    """A cell's code action request as a request on the joined document."""
    context = attrs.evolve(params.context, diagnostics=[
        attrs.evolve(d, range=to_joined_range(d.range, span))
        for d in params.context.diagnostics])
    return attrs.evolve(params, text_document=types.TextDocumentIdentifier(uri=notebook_uri),
                        range=to_joined_range(params.range, span), context=context)


def _edits_of(edit: types.WorkspaceEdit) -> list[types.TextEdit]:
    edits: list[types.TextEdit] = [e for es in (edit.changes or {}).values() for e in es]
    for change in edit.document_changes or []:
        if isinstance(change, types.TextDocumentEdit):
            edits.extend(e for e in change.edits if isinstance(e, types.TextEdit))
    return edits


def cell_action(action: types.CodeAction, layout: NotebookLayout, span: CellSpan,
                lines: Sequence[str], encoder: PositionEncoder,
                versioned: bool) -> types.CodeAction | None:
    """An action on the joined document as one on cells (None if an edit straddles cells)."""
    per_cell: dict[str, list[types.TextEdit]] = {}
    for edit in _edits_of(action.edit) if action.edit is not None else []:
        target = layout.cell_at(edit.range.start.line)
        end = edit.range.end
        if target is None or end.line > target.start + target.count or (
                end.line == target.start + target.count and end.character > 0):
            return None  # an edit into the next cell cannot be expressed on cells
        per_cell.setdefault(target.uri, []).append(types.TextEdit(
            range=to_cell_range(edit.range, target, lines, encoder), new_text=edit.new_text))
    workspace_edit: types.WorkspaceEdit | None = None
    if action.edit is not None:
        if versioned:
            workspace_edit = types.WorkspaceEdit(document_changes=[types.TextDocumentEdit(
                text_document=types.OptionalVersionedTextDocumentIdentifier(
                    uri=uri, version=_cell_version(layout, uri)), edits=edits)
                for uri, edits in per_cell.items()])
        else:
            workspace_edit = types.WorkspaceEdit(changes=per_cell)
    diagnostics = [attrs.evolve(d, range=to_cell_range(d.range, span, lines, encoder))
                   for d in action.diagnostics or []] or None
    return attrs.evolve(action, edit=workspace_edit, diagnostics=diagnostics)


def _cell_version(layout: NotebookLayout, uri: str) -> int | None:
    span = layout.cell(uri)
    return span.version if span is not None else None


def code_cells(notebook: types.NotebookDocument, workspace: Any
               ) -> list[tuple[str, str, int | None]]:
    """``(uri, text, version)`` of the notebook's Python code cells, in order, from pygls'
    workspace (which pygls updates before our handlers run)."""
    out = []
    for cell in notebook.cells:
        if cell.kind != types.NotebookCellKind.Code:
            continue
        doc = workspace.text_documents.get(unquote(cell.document))  # pygls keys unquoted
        if doc is None:  # a cell the client does not sync (not Python)
            continue
        if doc.language_id not in (None, "", "python"):
            continue
        out.append((cell.document, doc.source, doc.version))
    return out
