"""Positions: LSP line splitting, incremental edits, UTF-16 / UTF-8 columns end to end."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lsprotocol import types
from pytest_lsp import LanguageClient

from mlsense.server.lsp.positions import DocumentText, PositionEncoder, split_lsp_lines

from .lsp_helpers import EXAMPLES, init, open_doc, pull, uri_for, wait_published

KERAS = (EXAMPLES / "keras_regression.py").read_text(encoding="utf-8")
FINDING = "input_shape=(10,)"

# Text with every kind of line break LSP knows and several that only str.splitlines knows.
_CHARS = st.sampled_from(list("ab \t\r\n\x0c\x85\u2028éß中😀🧠"))


def _reference_offset(text: str, line: int, units: int) -> int:
    """Offset of an LSP (line, UTF-16 units) position, written independently of the server."""
    i = current = 0
    while current < line and i < len(text):
        if text.startswith("\r\n", i):
            i += 2
            current += 1
        elif text[i] in "\r\n":
            i += 1
            current += 1
        else:
            i += 1
    if current < line:
        return len(text)
    count = 0
    while i < len(text) and text[i] not in "\r\n" and count < units:
        count += 2 if ord(text[i]) > 0xFFFF else 1
        i += 1
    return i


@settings(max_examples=300, deadline=None)
@given(st.text(_CHARS, max_size=40), st.text(_CHARS, max_size=8),
       st.tuples(st.integers(0, 6), st.integers(0, 12), st.integers(0, 6), st.integers(0, 12)))
def test_incremental_change_matches_reference(text: str, new: str,
                                              rng: tuple[int, int, int, int]) -> None:
    doc = DocumentText(text)
    assert "".join(doc.lines) == text
    sl, sc, el, ec = rng
    doc.apply_change(types.TextDocumentContentChangePartial(
        range=types.Range(types.Position(sl, sc), types.Position(el, ec)), text=new),
        PositionEncoder())
    a, b = sorted((_reference_offset(text, sl, sc), _reference_offset(text, el, ec)))
    expected = text[:a] + new + text[b:]
    assert doc.text == expected
    assert doc.lines == split_lsp_lines(expected)


def test_lsp_lines_split_only_on_cr_lf() -> None:
    assert split_lsp_lines("a\x0cb\r\nc\rd\u2028e\n") == ["a\x0cb\r\n", "c\r", "d\u2028e\n"]
    assert split_lsp_lines("") == []


def test_encoders_count_units() -> None:
    line = "x = '😀é'  # end\n"
    col = line.index("#")
    assert PositionEncoder("utf-16").to_client(line, col) == col + 1
    assert PositionEncoder("utf-8").to_client(line, col) == col + 3 + 1
    assert PositionEncoder("utf-32").to_client(line, col) == col
    for enc in ("utf-8", "utf-16", "utf-32"):
        encoder = PositionEncoder(enc)
        assert encoder.from_client(line, encoder.to_client(line, col)) == col


def _identifier(s: str) -> bool:
    return s.isidentifier() and s.isascii() is False


_IDENTS = st.text(st.characters(categories=["Lu", "Ll", "Lo"]), min_size=1, max_size=6).filter(
    _identifier)
# String contents: any printable character except quotes, backslashes and line separators
# (the engine counts \x0c, \x85, \u2028 as line breaks; see the server report).
_STRING = st.text(st.characters(categories=["L", "N", "S", "Zs"], exclude_characters="'\\\""),
                  max_size=8)


async def test_non_ascii_columns_are_utf16(client: LanguageClient, tmp_path: Path) -> None:
    """Property: with any identifier and string before the finding, the diagnostic's range
    covers exactly the offending text in UTF-16 units."""
    await init(client, pull=True)
    cases: list[tuple[str, str, str]] = []

    @settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck),
              database=None)
    @given(_IDENTS, _STRING, st.sampled_from(["\n", "\r\n"]), st.booleans())
    def collect(name: str, label: str, eol: str, tab: bool) -> None:
        cases.append((name, "\t" + label if tab else label, eol))

    collect()
    for n, (name, label, eol) in enumerate(cases):
        text = KERAS.replace("model = keras.Sequential([Dense(64, activation='relu',",
                             f"{name} = keras.Sequential([Dense(64, activation='{label}',")
        text = text.replace("\n", eol)
        uri = uri_for(tmp_path, f"case{n}.py")
        open_doc(client, uri, text)
        diags = [d for d in await pull(client, uri) if d.code == "MLS301"]
        line = text.split(eol)[diags[0].range.start.line]
        before = line[: line.index(FINDING)]
        start = len(before.encode("utf-16-le")) // 2
        assert (diags[0].range.start.character, diags[0].range.end.character) == (
            start, start + len(FINDING)), (name, label)
        client.text_document_did_close(types.DidCloseTextDocumentParams(
            text_document=types.TextDocumentIdentifier(uri=uri)))


async def test_utf8_encoding_when_the_client_prefers_it(client: LanguageClient,
                                                        tmp_path: Path) -> None:
    result = await init(client, encodings=["utf-8", "utf-16"])
    assert result.capabilities.position_encoding == types.PositionEncodingKind.Utf8
    text = KERAS.replace("activation='relu'", "activation='😀ré'")
    uri = uri_for(tmp_path)
    open_doc(client, uri, text)
    diag = next(d for d in (await wait_published(client, uri, 1)).diagnostics
                if d.code == "MLS301")
    line = text.splitlines()[diag.range.start.line]
    assert diag.range.start.character == len(line[: line.index(FINDING)].encode("utf-8"))
