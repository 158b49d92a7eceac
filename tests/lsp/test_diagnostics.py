"""Diagnostics on open / change / save / close, pushed and pulled, for the examples."""

from __future__ import annotations

from pathlib import Path

import pytest
from lsprotocol import types
from pytest_lsp import LanguageClient

from mlsense.analyzers import analyze_text

from .lsp_helpers import (
    EXAMPLES,
    change_doc,
    init,
    open_doc,
    pull,
    uri_for,
    wait_published,
)

KERAS = (EXAMPLES / "keras_regression.py").read_text(encoding="utf-8")


def _codes(diags) -> list[str]:
    return [str(d.code) for d in diags]


@pytest.mark.parametrize("example", sorted(EXAMPLES.glob("*.py")), ids=lambda p: p.name)
async def test_open_publishes_what_the_engine_finds(client: LanguageClient, tmp_path: Path,
                                                    example: Path) -> None:
    await init(client)
    text = example.read_text(encoding="utf-8")
    uri = uri_for(tmp_path, example.name)
    open_doc(client, uri, text)
    published = await wait_published(client, uri, 1)
    expected = analyze_text(text, str(tmp_path / example.name)).findings
    assert _codes(published.diagnostics) == [f.code for f in expected]
    for diag, finding in zip(published.diagnostics, expected, strict=True):
        assert diag.source == "mlsense"
        assert diag.message == finding.message
        assert int(diag.severity) == int(finding.severity)
        assert diag.code_description is not None and diag.code_description.href == finding.url
        # ASCII examples: code-point columns and UTF-16 columns agree.
        assert (diag.range.start.line, diag.range.start.character) == (
            finding.range.start.line, finding.range.start.column)


async def test_keras_example_reports_mls301_with_fix_data(client: LanguageClient,
                                                          tmp_path: Path) -> None:
    await init(client)
    uri = uri_for(tmp_path)
    open_doc(client, uri, KERAS)
    diag = next(d for d in (await wait_published(client, uri, 1)).diagnostics
                if d.code == "MLS301")
    line = KERAS.splitlines()[diag.range.start.line]
    assert line[diag.range.start.character:diag.range.end.character] == "input_shape=(10,)"
    assert diag.severity == types.DiagnosticSeverity.Warning
    assert diag.data["fix"]["safe"] is True
    assert diag.data["fix"]["edits"][0]["newText"].startswith("keras.Input(shape=(10,))")


async def test_incremental_edits_update_diagnostics(client: LanguageClient,
                                                    tmp_path: Path) -> None:
    await init(client)
    uri = uri_for(tmp_path)
    open_doc(client, uri, KERAS)
    assert "MLS301" in _codes((await wait_published(client, uri, 1)).diagnostics)
    line_no = next(i for i, line in enumerate(KERAS.splitlines()) if "input_shape" in line)
    line = KERAS.splitlines()[line_no]
    start = line.index(", input_shape=(10,)")
    # Delete the argument: the finding goes away.
    change_doc(client, uri, 2, "", types.Range(
        types.Position(line_no, start), types.Position(line_no, start + len(", input_shape=(10,)"))))
    assert "MLS301" not in _codes((await wait_published(client, uri, 2)).diagnostics)
    # Type it back: the finding returns, at the right place.
    change_doc(client, uri, 3, ", input_shape=(10,)", types.Range(
        types.Position(line_no, start), types.Position(line_no, start)))
    diags = (await wait_published(client, uri, 3)).diagnostics
    assert [d.range.start for d in diags if d.code == "MLS301"] == [
        types.Position(line_no, start + 2)]


async def test_save_republishes_and_close_clears(client: LanguageClient, tmp_path: Path) -> None:
    await init(client)
    uri = uri_for(tmp_path)
    open_doc(client, uri, KERAS)
    await wait_published(client, uri, 1)
    client.published.clear()
    client.text_document_did_save(types.DidSaveTextDocumentParams(
        text_document=types.TextDocumentIdentifier(uri=uri)))
    assert "MLS301" in _codes((await wait_published(client, uri, 1)).diagnostics)
    client.published.clear()
    client.text_document_did_close(types.DidCloseTextDocumentParams(
        text_document=types.TextDocumentIdentifier(uri=uri)))
    cleared = await wait_published(client, uri)
    assert list(cleared.diagnostics) == []


async def test_pull_diagnostics_when_the_client_supports_them(client: LanguageClient,
                                                              tmp_path: Path) -> None:
    result = await init(client, pull=True)
    assert result.capabilities.diagnostic_provider is not None
    uri = uri_for(tmp_path)
    open_doc(client, uri, KERAS)
    first = await client.text_document_diagnostic_async(types.DocumentDiagnosticParams(
        text_document=types.TextDocumentIdentifier(uri=uri)))
    assert isinstance(first, types.RelatedFullDocumentDiagnosticReport)
    assert "MLS301" in _codes(first.items)
    again = await client.text_document_diagnostic_async(types.DocumentDiagnosticParams(
        text_document=types.TextDocumentIdentifier(uri=uri), previous_result_id=first.result_id))
    assert isinstance(again, types.RelatedUnchangedDocumentDiagnosticReport)
    change_doc(client, uri, 2, "# mlsense: noqa\n" + KERAS)
    assert await pull(client, uri) == []
    # A client that pulls gets no pushed diagnostics (they would show twice).
    assert client.published == []
