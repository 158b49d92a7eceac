"""textDocument/hover: rule pages on ``# noqa:`` codes, rule summaries on our diagnostics."""

from __future__ import annotations

from pathlib import Path

from lsprotocol import types
from pytest_lsp import LanguageClient

from mlsense.analyzers.registry import DOCS_DIR

from .lsp_helpers import EXAMPLES, change_doc, init, open_doc, uri_for, wait_published
from .test_notebooks import IMPORTS, MODEL, open_notebook

KERAS = (EXAMPLES / "keras_regression.py").read_text(encoding="utf-8")


def page(code: str) -> str:
    return (DOCS_DIR / f"{code}.md").read_text(encoding="utf-8")


def why_of(code: str) -> str:
    """The body of the page's "## Why" section, read independently of the server."""
    text = page(code)
    start = text.index("## Why\n") + len("## Why\n")
    return text[start:text.index("\n## ", start)].strip()


async def hover(client: LanguageClient, uri: str, line: int, character: int
                ) -> types.Hover | None:
    return await client.text_document_hover_async(types.HoverParams(
        text_document=types.TextDocumentIdentifier(uri=uri),
        position=types.Position(line, character)))


def markdown(result: types.Hover | None) -> str:
    assert result is not None
    assert isinstance(result.contents, types.MarkupContent), result.contents
    assert result.contents.kind == types.MarkupKind.Markdown
    return result.contents.value


async def test_capability_is_advertised(client: LanguageClient) -> None:
    result = await init(client)
    assert result.capabilities.hover_provider


async def test_noqa_code_shows_the_rule_page(client: LanguageClient, tmp_path: Path) -> None:
    await init(client)
    uri = uri_for(tmp_path)
    line = "x = 1  # noqa: MLS201, MLS301\n"
    open_doc(client, uri, "import os\n" + line)
    col = line.index("MLS301")
    result = await hover(client, uri, 1, col + 3)
    assert markdown(result) == page("MLS301")
    assert result is not None and result.range == types.Range(
        types.Position(1, col), types.Position(1, col + len("MLS301")))
    assert markdown(await hover(client, uri, 1, line.index("MLS201"))) == page("MLS201")
    # The comment's other words are not codes: nothing to show there.
    assert await hover(client, uri, 1, line.index("noqa") + 1) is None


async def test_diagnostic_range_shows_the_rule(client: LanguageClient, tmp_path: Path) -> None:
    await init(client)
    uri = uri_for(tmp_path, "keras_regression.py")
    open_doc(client, uri, KERAS)
    published = await wait_published(client, uri, 1, until=lambda codes: "MLS301" in codes)
    [diag] = [d for d in published.diagnostics if d.code == "MLS301"]
    middle = (diag.range.start.character + diag.range.end.character) // 2
    result = await hover(client, uri, diag.range.start.line, middle)
    value = markdown(result)
    assert value.startswith("**MLS301** keras-input-shape-argument")
    assert why_of("MLS301") in value
    assert "## Bad" not in value  # the summary, not the whole page
    assert result is not None and result.range == diag.range


async def test_plain_line_and_changed_text_give_none(client: LanguageClient,
                                                     tmp_path: Path) -> None:
    # A long debounce: the edit below stays unanalysed for the rest of the test.
    await init(client, {"debounceMs": 10_000})
    uri = uri_for(tmp_path, "keras_regression.py")
    open_doc(client, uri, KERAS)
    published = await wait_published(client, uri, 1, until=lambda codes: "MLS301" in codes)
    [diag] = [d for d in published.diagnostics if d.code == "MLS301"]
    assert await hover(client, uri, 0, 3) is None  # an import line, no finding there
    assert await hover(client, uri, diag.range.start.line, diag.range.start.character)
    change_doc(client, uri, 2, "# edited\n" + KERAS)
    # The analysed version is stale: no hover, and no wait for a new analysis either.
    assert await hover(client, uri, diag.range.start.line, diag.range.start.character) is None
    assert await hover(client, uri, diag.range.start.line + 1,
                       diag.range.start.character) is None


async def test_utf16_column_after_non_ascii_identifier(client: LanguageClient,
                                                       tmp_path: Path) -> None:
    result = await init(client)
    assert result.capabilities.position_encoding in (None, types.PositionEncodingKind.Utf16)
    uri = uri_for(tmp_path)
    # 𝔘 is one code point but two UTF-16 units: a server counting code points is off by one.
    prefix = "名前𝔘 = 1  # noqa: "
    open_doc(client, uri, prefix + "MLS301\n")
    units = len(prefix.encode("utf-16-le")) // 2
    assert units == len(prefix) + 1
    result = await hover(client, uri, 0, units)
    assert markdown(result) == page("MLS301")
    assert result is not None and result.range == types.Range(
        types.Position(0, units), types.Position(0, units + len("MLS301")))
    # One unit before the code (the space) is outside it.
    assert await hover(client, uri, 0, units - 1) is None


async def test_notebook_cell_hover_in_cell_coordinates(client: LanguageClient,
                                                       tmp_path: Path) -> None:
    await init(client)
    c0, c1 = open_notebook(client, tmp_path / "nb.ipynb", [IMPORTS, MODEL])
    await wait_published(client, c1, until=lambda codes: "MLS301" in codes)
    [diag] = [d for d in client.diagnostics[c1] if d.code == "MLS301"]
    assert diag.range.start.line == 0  # cell-relative
    result = await hover(client, c1, 0, diag.range.start.character)
    assert markdown(result).startswith("**MLS301** keras-input-shape-argument")
    assert result is not None and result.range == diag.range
    assert await hover(client, c0, 0, 3) is None
