"""The notebook handlers: keep each open notebook's joined document in the diagnostics engine,
publish (or let the client pull) its diagnostics per cell, answer code actions per cell.

pygls updates ``ls.workspace`` (notebook structure and cell texts) before these handlers run;
they rebuild the joined text from it on every change. The document analyzer caches per
top-level statement, so re-analysing the joined text after a one-cell edit stays cheap.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol
from urllib.parse import unquote

from lsprotocol import types
from pygls.uris import to_fs_path
from pygls.workspace import Workspace

from .actions import ActionBuilder
from .cells import (
    CellSpan,
    NotebookLayout,
    cell_action,
    code_cells,
    join_cells,
    joined_action_params,
    split_diagnostics,
)
from .diagnostics import AnalyzedVersion, DiagnosticsEngine, OpenDocument


class NotebookHost(Protocol):
    """What the notebook features use of the language server (server.py implements it)."""

    engine: DiagnosticsEngine
    notebooks: NotebookSync
    pull_diagnostics: bool

    @property
    def workspace(self) -> Workspace: ...

    @property
    def client_capabilities(self) -> types.ClientCapabilities: ...

    def text_document_publish_diagnostics(self, params: types.PublishDiagnosticsParams) -> None:
        ...

    def workspace_diagnostic_refresh(self, params: None) -> Any: ...


class NotebookSync:
    """Open notebooks: their cell layouts and which notebook each cell belongs to."""

    def __init__(self, server: NotebookHost) -> None:
        self.server = server
        self.layouts: dict[str, NotebookLayout] = {}
        self._layout_lines: dict[str, list[str]] = {}  # the joined lines each layout describes
        self._owner: dict[str, str] = {}  # unquoted cell URI -> notebook URI

    def owns(self, uri: str) -> bool:
        """Whether ``uri`` is the joined document of an open notebook."""
        return uri in self.layouts

    def notebook_of(self, cell_uri: str) -> str | None:
        return self._owner.get(unquote(cell_uri))

    # -- lifecycle --------------------------------------------------------------------------
    def sync(self, notebook_uri: str) -> OpenDocument | None:
        """Rebuild the joined document of ``notebook_uri`` from the workspace and schedule its
        analysis; cells that left the notebook get their diagnostics cleared."""
        ls = self.server
        notebook = ls.workspace.get_notebook_document(notebook_uri=notebook_uri)
        if notebook is None:
            return None
        text, layout = join_cells(code_cells(notebook, ls.workspace))
        state = ls.engine.documents.get(notebook_uri)
        if state is None:
            path = to_fs_path(notebook_uri) if notebook_uri.startswith("file:") else None
            state = ls.engine.open(notebook_uri, path, text, notebook.version)
        else:
            ls.engine.replace(state, text, notebook.version)
        old = self.layouts.get(notebook_uri)
        self.layouts[notebook_uri] = layout
        self._layout_lines[notebook_uri] = state.doc.lines
        for span in layout.cells:
            self._owner[unquote(span.uri)] = notebook_uri
        if old is not None:
            gone = [c.uri for c in old.cells if layout.cell(c.uri) is None]
            self._forget(gone)
        ls.engine.schedule(state, delay=0 if old is None else None)
        return state

    def close(self, notebook_uri: str, cell_uris: Iterable[str]) -> None:
        """Forget the notebook; every cell it had (and every cell the client names) is cleared."""
        self.server.engine.close(notebook_uri)
        layout = self.layouts.pop(notebook_uri, None)
        self._layout_lines.pop(notebook_uri, None)
        uris = [c.uri for c in layout.cells] if layout is not None else []
        uris += [u for u in cell_uris if unquote(u) not in {unquote(v) for v in uris}]
        self._forget(uris)

    def _forget(self, cell_uris: list[str]) -> None:
        for uri in cell_uris:
            self._owner.pop(unquote(uri), None)
            self.server.text_document_publish_diagnostics(
                types.PublishDiagnosticsParams(uri=uri, diagnostics=[]))

    # -- results ---------------------------------------------------------------------------
    def current_layout(self, state: OpenDocument, analyzed: AnalyzedVersion
                        ) -> NotebookLayout | None:
        """The layout ``analyzed`` was computed on (None if the notebook changed since)."""
        if self._layout_lines.get(state.uri) is not analyzed.lines:
            return None
        return self.layouts.get(state.uri)

    def publish(self, state: OpenDocument, analyzed: AnalyzedVersion) -> None:
        """One publication per cell, in pull mode too: VS Code's language client (9.x) never
        pulls diagnostics for notebook cells (seen in the real workbench: the cells of a
        notebook got none), so cells are pushed whatever the mode. A client that does pull
        cells is also asked to pull again (a cell's diagnostics depend on the cells above it,
        which the client does not know) and gets the same slice."""
        ls = self.server
        if ls.pull_diagnostics:
            caps = ls.client_capabilities.workspace
            if caps is not None and caps.diagnostics is not None \
                    and caps.diagnostics.refresh_support:
                ls.workspace_diagnostic_refresh(None)
        layout = self.current_layout(state, analyzed)
        if layout is None:
            return
        per_cell = split_diagnostics(layout, analyzed.diagnostics, analyzed.lines,
                                     ls.engine.encoder)
        for span in layout.cells:
            ls.text_document_publish_diagnostics(types.PublishDiagnosticsParams(
                uri=span.uri, diagnostics=per_cell[span.uri], version=span.version))

    async def analysed(self, cell_uri: str
                       ) -> tuple[OpenDocument, AnalyzedVersion, NotebookLayout, CellSpan] | None:
        """The current analysis of the notebook holding ``cell_uri``, with the cell's span."""
        notebook_uri = self.notebook_of(cell_uri)
        state = self.server.engine.documents.get(notebook_uri) if notebook_uri else None
        if state is None:
            return None
        analyzed = await self.server.engine.current(state)
        if analyzed is None:
            return None
        layout = self.current_layout(state, analyzed)
        span = layout.cell(cell_uri) if layout is not None else None
        if layout is None or span is None:
            return None
        return state, analyzed, layout, span

    async def pull(self, cell_uri: str, previous_result_id: str | None
                   ) -> types.DocumentDiagnosticReport:
        """``textDocument/diagnostic`` for a cell: the cell's slice of the notebook's analysis."""
        found = await self.analysed(cell_uri)
        if found is None:
            return types.RelatedFullDocumentDiagnosticReport(items=[])
        _state, analyzed, layout, span = found
        # The slice changes only with the analysis or with the cell's place in the notebook.
        result_id = f"{analyzed.result_id}@{span.start}:{span.count}"
        if previous_result_id == result_id:
            return types.RelatedUnchangedDocumentDiagnosticReport(result_id=result_id)
        items = split_diagnostics(layout, analyzed.diagnostics, analyzed.lines,
                                  self.server.engine.encoder)[span.uri]
        return types.RelatedFullDocumentDiagnosticReport(items=items, result_id=result_id)

    async def code_actions(self, params: types.CodeActionParams, versioned: bool
                           ) -> list[types.CodeAction] | None:
        """Quick fixes and fix-all for a cell; edits are cell-relative (fix-all may touch
        several cells). Translation is not offered: a cell is not a file."""
        found = await self.analysed(params.text_document.uri)
        if found is None:
            return None
        state, analyzed, layout, span = found
        joined = joined_action_params(params, span, state.uri)
        actions = ActionBuilder(state, analyzed, self.server.engine.encoder, False).build(joined)
        out = []
        for action in actions:
            if action.edit is None:
                continue
            moved = cell_action(action, layout, span, analyzed.lines, self.server.engine.encoder,
                                versioned)
            if moved is not None:
                out.append(moved)
        return out


def register_notebook_features(server: Any) -> None:
    """``notebookDocument/didOpen|didChange|didSave|didClose`` handlers."""

    @server.feature(types.NOTEBOOK_DOCUMENT_DID_OPEN)
    def did_open(ls: NotebookHost, params: types.DidOpenNotebookDocumentParams) -> None:
        ls.notebooks.sync(params.notebook_document.uri)

    @server.feature(types.NOTEBOOK_DOCUMENT_DID_CHANGE)
    def did_change(ls: NotebookHost,
                   params: types.DidChangeNotebookDocumentParams) -> None:
        ls.notebooks.sync(params.notebook_document.uri)

    @server.feature(types.NOTEBOOK_DOCUMENT_DID_SAVE)
    def did_save(ls: NotebookHost, params: types.DidSaveNotebookDocumentParams) -> None:
        state = ls.engine.documents.get(params.notebook_document.uri)
        if state is not None:
            ls.engine.refresh(state)  # re-read its pyproject configuration
            ls.engine.schedule(state, delay=0)

    @server.feature(types.NOTEBOOK_DOCUMENT_DID_CLOSE)
    def did_close(ls: NotebookHost, params: types.DidCloseNotebookDocumentParams) -> None:
        ls.notebooks.close(params.notebook_document.uri,
                           [c.uri for c in params.cell_text_documents])
