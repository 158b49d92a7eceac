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


VARIABLES = '''import torch
import torch.nn as nn
import torch.nn.functional as F


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 32, 3)
        self.pool = nn.MaxPool2d(2)
        self.lstm = nn.LSTM(13, 8, batch_first=True)

    def forward(self, x):
        x = self.pool(F.relu(self.conv(x)))
        seq, (h, c) = self.lstm(x.flatten(1, 2))
        out = F.softmax(seq[:, -1], dim=1)
        return out


model = Net()
batch = torch.randn(64, 1, 28, 28).to("cuda")
probs = model(batch)
for step in range(3):
    batch = batch * 2
after = batch
'''


def _at(text: str, line: int, word: str, nth: int = 0) -> int:
    """The column of the ``nth`` occurrence of ``word`` on ``line``."""
    row = text.splitlines()[line]
    col = -1
    for _ in range(nth + 1):
        col = row.index(word, col + 1)
    return col


async def test_variable_hover_shows_shape_dtype_device_and_kind(client: LanguageClient,
                                                               tmp_path: Path) -> None:
    await init(client)
    uri = uri_for(tmp_path)
    open_doc(client, uri, VARIABLES)
    await wait_published(client, uri, 1)
    lines = VARIABLES.splitlines()
    # forward's input: as the file's call feeds the class.
    row = lines.index("    def forward(self, x):")
    assert markdown(await hover(client, uri, row, _at(VARIABLES, row, "x"))) \
        == "```python\nx: Tensor (N, 1, 28, 28)\n```"
    # Bound in forward: the statement's own shape (the target), then what is read later.
    row = lines.index("        x = self.pool(F.relu(self.conv(x)))")
    result = await hover(client, uri, row, _at(VARIABLES, row, "x") + 1)
    assert markdown(result) == "```python\nx: Tensor (N, 32, 13, 13)\n```"
    assert result is not None and result.range == types.Range(
        types.Position(row, 8), types.Position(row, 9))
    # The x read on the right is the input, before this statement binds it.
    assert "(N, 1, 28, 28)" in markdown(await hover(client, uri, row,
                                                    _at(VARIABLES, row, "x", 1)))
    # An LSTM's tuple output, each name its part.
    row = lines.index("        seq, (h, c) = self.lstm(x.flatten(1, 2))")
    assert "seq: Tensor (N, 416, 8)" in markdown(await hover(client, uri, row, 8))
    assert "h: Tensor (1, N, 8)" in markdown(await hover(client, uri, row,
                                                          _at(VARIABLES, row, "h")))
    row = lines.index("        return out")
    assert markdown(await hover(client, uri, row, _at(VARIABLES, row, "out"))) \
        == "```python\nout: Tensor (N, 8) · probabilities\n```"
    # Module level: dtype and device from the creator and the move, kind from softmax.
    row = lines.index('batch = torch.randn(64, 1, 28, 28).to("cuda")')
    assert markdown(await hover(client, uri, row, 1)) \
        == "```python\nbatch: Tensor (64, 1, 28, 28) float32 · cuda\n```"
    row = lines.index("probs = model(batch)")
    assert markdown(await hover(client, uri, row, 1)) == "```python\nprobs: Tensor (64, 8)\n```"
    # Rebound in a loop: not certain any more, no hover.
    row = lines.index("after = batch")
    assert await hover(client, uri, row, _at(VARIABLES, row, "batch")) is None
    assert await hover(client, uri, row, 1) is None
