"""Notebook document sync: the cells are analysed as one document, diagnostics and fixes come
back per cell URI in cell-relative positions, and follow edits and cell moves."""

from __future__ import annotations

from pathlib import Path

from lsprotocol import types
from pytest_lsp import LanguageClient

from .lsp_helpers import apply_edits, code_actions, debug_info, edits_in, init, pull, wait_published

IMPORTS = "import numpy as np\nfrom tensorflow import keras\nfrom tensorflow.keras.layers import Dense\n"
MODEL = "model = keras.Sequential([Dense(64, activation='relu', input_shape=(10,)), Dense(1)])\n"
TRAIN = "model.compile(optimizer=keras.optimizers.Adam(lr=0.01), loss='mse')\nmodel.fit(x, y)\n"


def cell_uri(notebook: Path, n: int) -> str:
    return f"vscode-notebook-cell:{notebook}#W{n}sZmlsZQ%3D%3D"


def open_notebook(client: LanguageClient, notebook: Path, cells: list[str]) -> list[str]:
    uris = [cell_uri(notebook, i) for i in range(len(cells))]
    client.notebook_document_did_open(types.DidOpenNotebookDocumentParams(
        notebook_document=types.NotebookDocument(
            uri=notebook.as_uri(), notebook_type="jupyter-notebook", version=0,
            cells=[types.NotebookCell(kind=types.NotebookCellKind.Code, document=u)
                   for u in uris]),
        cell_text_documents=[types.TextDocumentItem(uri=u, language_id="python", version=1,
                                                    text=t) for u, t in zip(uris, cells, strict=True)]))
    return uris


def change_notebook(client: LanguageClient, notebook: Path, version: int,
                    cells: types.NotebookDocumentCellChanges) -> None:
    client.notebook_document_did_change(types.DidChangeNotebookDocumentParams(
        notebook_document=types.VersionedNotebookDocumentIdentifier(uri=notebook.as_uri(),
                                                                    version=version),
        change=types.NotebookDocumentChangeEvent(cells=cells)))


def edit_cell(uri: str, version: int, rng: types.Range, text: str
              ) -> types.NotebookDocumentCellChanges:
    return types.NotebookDocumentCellChanges(text_content=[
        types.NotebookDocumentCellContentChanges(
            document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
            changes=[types.TextDocumentContentChangePartial(range=rng, text=text)])])


def published_since(client: LanguageClient, start: int, uri: str) -> list[list[str]]:
    return [[str(d.code) for d in p.diagnostics]
            for p in client.published[start:] if p.uri == uri]  # type: ignore[attr-defined]


def only(client: LanguageClient, uri: str, code: str) -> types.Diagnostic:
    (diag,) = [d for d in client.diagnostics[uri] if d.code == code]
    return diag


async def test_edit_above_keeps_later_cells_diagnostics_in_place(client: LanguageClient,
                                                                 tmp_path: Path) -> None:
    await init(client)
    notebook = tmp_path / "nb.ipynb"
    c0, c1, c2 = open_notebook(client, notebook, [IMPORTS, MODEL, TRAIN])
    await wait_published(client, c2, until=lambda codes: "MLS302" in codes)
    assert only(client, c1, "MLS301").range.start.line == 0
    assert only(client, c2, "MLS302").range.start == types.Position(0, TRAIN.index("lr="))
    assert [str(d.code) for d in client.diagnostics[c0]] == []

    # Three lines (one an IPython magic) inserted at the top of cell 0: the joined document
    # shifts by three lines, cell-relative positions must not.
    start = len(client.published)  # type: ignore[attr-defined]
    top = types.Range(types.Position(0, 0), types.Position(0, 0))
    change_notebook(client, notebook, 1, edit_cell(c0, 2, top, "%matplotlib inline\n# setup\n\n"))
    await wait_published(client, c2, until=lambda codes: "MLS302" in codes and len(
        published_since(client, start, c2)) > 0)
    assert only(client, c1, "MLS301").range.start.line == 0
    assert only(client, c2, "MLS302").range.start == types.Position(0, TRAIN.index("lr="))
    assert "MLS001" not in [str(d.code) for d in client.diagnostics[c0]]  # the magic is masked

    # Cell 1 deleted (a structure change): cell 2's findings stay put, cell 1 is cleared.
    start = len(client.published)  # type: ignore[attr-defined]
    change_notebook(client, notebook, 2, types.NotebookDocumentCellChanges(
        structure=types.NotebookDocumentCellChangeStructure(
            array=types.NotebookCellArrayChange(start=1, delete_count=1, cells=[]),
            did_close=[types.TextDocumentIdentifier(uri=c1)])))
    await wait_published(client, c1, until=lambda codes: codes == [])
    await wait_published(client, c2, until=lambda codes: len(
        published_since(client, start, c2)) > 0)
    assert only(client, c2, "MLS302").range.start.line == 0
    info = await debug_info(client)
    assert info["openNotebooks"] == 1 and info["heavyModules"] == []


async def test_percent_continuing_a_line_is_an_operator_not_a_magic(client: LanguageClient,
                                                                    tmp_path: Path) -> None:
    # rasbt/deeplearning-models' notebooks log with `print('...'` and a next line starting
    # `%(epoch, ...)`: masked as a magic, every such cell was a syntax error (MLS001).
    await init(client)
    notebook = tmp_path / "nb.ipynb"
    loop = ("for epoch in range(3):\n"
            "    print('Epoch: %03d/%03d'\n"
            "          %(epoch + 1, 3))\n"
            "    total = 1 \\\n"
            "        % 2\n")
    timed = ("%timeit np.fromiter((xi for xi in range(3)),\n"
             "                    dtype=float, count=3)\n")
    c0, c1, c2 = open_notebook(client, notebook, [IMPORTS, loop + timed, MODEL])
    await wait_published(client, c2, until=lambda codes: "MLS301" in codes)
    await wait_published(client, c1)
    assert [str(d.code) for d in client.diagnostics[c1]] == []
    assert "MLS001" not in [str(d.code) for d in client.diagnostics[c0]]


async def test_import_in_an_earlier_cell_and_quick_fix_in_cell_coordinates(
        client: LanguageClient, tmp_path: Path) -> None:
    await init(client)
    notebook = tmp_path / "nb.ipynb"
    c0, c1 = open_notebook(client, notebook, ["x = 1\n", MODEL])
    await wait_published(client, c1)
    assert "MLS301" not in [str(d.code) for d in client.diagnostics[c1]]  # no keras import yet
    # The import arrives in cell 0: cell 1 (unchanged) now has a finding.
    change_notebook(client, notebook, 1, edit_cell(
        c0, 2, types.Range(types.Position(0, 0), types.Position(1, 0)), IMPORTS))
    await wait_published(client, c1, until=lambda codes: "MLS301" in codes)
    diag = only(client, c1, "MLS301")
    actions = await code_actions(client, c1, diag.range, [diag])
    [fix] = [a for a in actions if a.title.endswith("(MLS301)") and a.edit is not None]
    assert edits_in(fix.edit, c0) == []
    fixed = apply_edits(MODEL, edits_in(fix.edit, c1))
    assert fixed.startswith("model = keras.Sequential([keras.Input(shape=(10,)), Dense(64")
    assert not any(a.command is not None for a in actions)  # no "translate" for a cell

    # Fix-all over the notebook edits the cells it concerns, each in its own coordinates.
    fix_all = await code_actions(client, c1, diag.range, only=["source.fixAll.mlsense"])
    assert fix_all and edits_in(fix_all[0].edit, c1)

    # Closing the notebook clears every cell.
    client.notebook_document_did_close(types.DidCloseNotebookDocumentParams(
        notebook_document=types.NotebookDocumentIdentifier(uri=notebook.as_uri()),
        cell_text_documents=[types.TextDocumentIdentifier(uri=u) for u in (c0, c1)]))
    await wait_published(client, c1, until=lambda codes: codes == [])
    assert (await debug_info(client))["openNotebooks"] == 0


async def test_pull_slices_per_cell_and_reports_unchanged(client: LanguageClient,
                                                          tmp_path: Path) -> None:
    await init(client, pull=True)
    notebook = tmp_path / "nb.ipynb"
    c0, c1, c2 = open_notebook(client, notebook, [IMPORTS, "\n\n" + MODEL, TRAIN])
    items = await pull(client, c1)
    assert [(str(d.code), d.range.start.line) for d in items] == [("MLS301", 2)]
    assert [str(d.code) for d in await pull(client, c2)] == ["MLS302"]
    first = await client.text_document_diagnostic_async(types.DocumentDiagnosticParams(
        text_document=types.TextDocumentIdentifier(uri=c2)))
    again = await client.text_document_diagnostic_async(types.DocumentDiagnosticParams(
        text_document=types.TextDocumentIdentifier(uri=c2), previous_result_id=first.result_id))
    assert isinstance(again, types.RelatedUnchangedDocumentDiagnosticReport)
    assert await pull(client, notebook.as_uri()) == []  # the joined document is not a document
