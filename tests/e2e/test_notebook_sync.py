"""Notebook document sync as VS Code drives it (the extension's selector includes
``{notebook: "jupyter-notebook", language: "python"}``): ``notebookDocument/didOpen`` with Python
cells, diagnostics per cell URI with cell-relative positions, imports seen across cells.

The client is pytest-lsp's, with VS Code's captured capabilities plus the notebook
synchronization capability vscode-languageclient 9 adds.
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK_URI = (ROOT / "examples" / "analysis.ipynb").as_uri()
NOTEBOOK_PATH = NOTEBOOK_URI.removeprefix("file://")
# VS Code's cell URIs: the notebook's path with a per-cell fragment.
CELL_URIS = [f"vscode-notebook-cell:{NOTEBOOK_PATH}#W{i}sZmlsZQ%3D%3D" for i in range(3)]
CELLS = [
    "import numpy as np\nfrom tensorflow import keras\nfrom tensorflow.keras.layers import Dense\n",
    "model = keras.Sequential([Dense(64, activation='relu', input_shape=(10,)), Dense(1)])\n",
    "model.compile(optimizer='adam', loss='mse')\n",
]
FIXED_CELL_1 = "model = keras.Sequential([keras.Input(shape=(10,)), Dense(64, activation='relu'), Dense(1)])\n"
TIMEOUT_S = 20.0


def vscode_notebook_capabilities(pull: bool) -> types.ClientCapabilities:
    caps = client_capabilities("visual-studio-code")
    caps.notebook_document = types.NotebookDocumentClientCapabilities(
        synchronization=types.NotebookDocumentSyncClientCapabilities(
            dynamic_registration=True, execution_summary_support=True))
    if pull:
        assert caps.text_document is not None
        caps.text_document.diagnostic = types.DiagnosticClientCapabilities(
            dynamic_registration=False, related_document_support=False)
    return caps


@pytest_lsp.fixture(config=ClientServerConfig(server_command=[sys.executable, "-m", "mlsense", "serve"]))
async def client(lsp_client: LanguageClient):
    @lsp_client.feature(types.WORKSPACE_CODE_LENS_REFRESH)
    def code_lens_refresh(params: None) -> None:
        """VS Code's capabilities take workspace/codeLens/refresh: so does this client."""

    yield
    await lsp_client.shutdown_session()


async def initialize(client: LanguageClient, pull: bool = False) -> types.InitializeResult:
    return await client.initialize_session(types.InitializeParams(
        capabilities=vscode_notebook_capabilities(pull),
        initialization_options={"severity": {"MLS301": "warning"}},
        root_uri=ROOT.as_uri(),
        workspace_folders=[types.WorkspaceFolder(uri=ROOT.as_uri(), name="root")],
    ))


def require_notebook_sync(result: types.InitializeResult) -> types.NotebookDocumentSyncOptions:
    """The server must advertise sync for jupyter-notebook Python cells (what VS Code matches)."""
    sync = result.capabilities.notebook_document_sync
    assert sync is not None, "server does not advertise notebookDocumentSync"
    selectors = sync.notebook_selector
    assert any(_matches_jupyter_python(s) for s in selectors), selectors
    return sync  # type: ignore[return-value]


def _matches_jupyter_python(selector: object) -> bool:
    notebook = getattr(selector, "notebook", None)
    notebook_type = notebook if isinstance(notebook, str) else getattr(notebook, "notebook_type", None)
    if notebook_type not in (None, "*", "jupyter-notebook"):
        return False
    cells = getattr(selector, "cells", None)
    return not cells or any(c.language in ("python", "*") for c in cells)


def open_notebook(client: LanguageClient) -> None:
    client.notebook_document_did_open(types.DidOpenNotebookDocumentParams(
        notebook_document=types.NotebookDocument(
            uri=NOTEBOOK_URI, notebook_type="jupyter-notebook", version=0,
            cells=[types.NotebookCell(kind=types.NotebookCellKind.Code, document=uri)
                   for uri in CELL_URIS]),
        cell_text_documents=[
            types.TextDocumentItem(uri=uri, language_id="python", version=1, text=text)
            for uri, text in zip(CELL_URIS, CELLS, strict=True)],
    ))


async def wait_for(predicate: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + TIMEOUT_S
    while time.monotonic() < deadline:
        if predicate():
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"timed out after {TIMEOUT_S}s waiting for {what}")


def codes(diagnostics: Sequence[types.Diagnostic]) -> list[str]:
    return [str(d.code) for d in diagnostics]


def published_codes(client: LanguageClient, uri: str) -> list[str] | None:
    """Codes last published for ``uri``; None if nothing was published for it yet."""
    diagnostics = client.diagnostics.get(uri)
    return None if diagnostics is None else codes(diagnostics)


@pytest.mark.asyncio
async def test_push_diagnostics_per_cell_uri(client: LanguageClient) -> None:
    require_notebook_sync(await initialize(client, pull=False))
    open_notebook(client)
    await wait_for(lambda: "MLS301" in codes(client.diagnostics.get(CELL_URIS[1], [])),
                   "MLS301 published for cell 1 (its imports are in cell 0)")
    (diag,) = [d for d in client.diagnostics[CELL_URIS[1]] if d.code == "MLS301"]
    # Positions are relative to the cell, not to the concatenated notebook.
    assert diag.range.start.line == 0
    assert CELLS[1][diag.range.start.character:].startswith("input_shape")
    assert diag.severity == types.DiagnosticSeverity.Warning
    assert NOTEBOOK_URI not in client.diagnostics, "diagnostics go to cells, not to the notebook"
    for uri in (CELL_URIS[0], CELL_URIS[2]):
        assert "MLS301" not in codes(client.diagnostics.get(uri, []))

    # Editing the cell (as VS Code sends it) re-analyses it.
    client.notebook_document_did_change(types.DidChangeNotebookDocumentParams(
        notebook_document=types.VersionedNotebookDocumentIdentifier(uri=NOTEBOOK_URI, version=1),
        change=types.NotebookDocumentChangeEvent(cells=types.NotebookDocumentCellChanges(
            text_content=[types.NotebookDocumentCellContentChanges(
                document=types.VersionedTextDocumentIdentifier(uri=CELL_URIS[1], version=2),
                changes=[types.TextDocumentContentChangeWholeDocument(text=FIXED_CELL_1)])]))))
    await wait_for(lambda: published_codes(client, CELL_URIS[1]) is not None
                   and "MLS301" not in (published_codes(client, CELL_URIS[1]) or []),
                   "MLS301 cleared after the cell was fixed")

    # Closing the notebook clears its cells' diagnostics.
    client.diagnostics[CELL_URIS[1]] = [types.Diagnostic(range=diag.range, message="sentinel")]
    client.notebook_document_did_close(types.DidCloseNotebookDocumentParams(
        notebook_document=types.NotebookDocumentIdentifier(uri=NOTEBOOK_URI),
        cell_text_documents=[types.TextDocumentIdentifier(uri=u) for u in CELL_URIS]))
    await wait_for(lambda: len(client.diagnostics.get(CELL_URIS[1], [None])) == 0, "cell diagnostics cleared on close")


@pytest.mark.asyncio
async def test_pull_diagnostics_per_cell_uri(client: LanguageClient) -> None:
    """A client that pulls (textDocument/diagnostic) for cell documents gets each cell's slice;
    cells are pushed as well, since VS Code's client 9.x pulls only text documents."""
    require_notebook_sync(await initialize(client, pull=True))
    open_notebook(client)
    await wait_for(lambda: "MLS301" in (published_codes(client, CELL_URIS[1]) or []),
                   "MLS301 pushed for cell 1 in pull mode")
    report = await asyncio.wait_for(client.text_document_diagnostic_async(types.DocumentDiagnosticParams(
        text_document=types.TextDocumentIdentifier(uri=CELL_URIS[1]))), TIMEOUT_S)
    assert isinstance(report, types.RelatedFullDocumentDiagnosticReport), report
    assert codes(list(report.items)).count("MLS301") == 1
    (diag,) = [d for d in report.items if d.code == "MLS301"]
    assert diag.range.start.line == 0
    other = await client.text_document_diagnostic_async(types.DocumentDiagnosticParams(
        text_document=types.TextDocumentIdentifier(uri=CELL_URIS[0])))
    assert "MLS301" not in codes(list(getattr(other, "items", [])))
