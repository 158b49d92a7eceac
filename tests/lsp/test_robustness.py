"""Typing, syntax errors, rapid edits, huge / empty / CRLF / tab files: the server survives
and its final answer equals a fresh analysis of the final text."""

from __future__ import annotations

from pathlib import Path

from lsprotocol import types
from pytest_lsp import LanguageClient

from mlsense.analyzers import analyze_text

from .lsp_helpers import (
    EXAMPLES,
    change_doc,
    debug_info,
    init,
    open_doc,
    pull,
    uri_for,
    wait_published,
)

KERAS = (EXAMPLES / "keras_regression.py").read_text(encoding="utf-8")


def _expected(text: str, path: Path) -> list[tuple[str, int, int]]:
    """(code, line, column) of a fresh analysis (ASCII text: columns are UTF-16 too)."""
    return [(f.code, f.range.start.line, f.range.start.column)
            for f in analyze_text(text, str(path)).findings]


def _got(diags: list[types.Diagnostic] | tuple[types.Diagnostic, ...]) -> list[tuple[str, int, int]]:
    return [(str(d.code), d.range.start.line, d.range.start.character) for d in diags]


async def test_syntax_error_while_typing_gives_one_diagnostic(client: LanguageClient,
                                                              tmp_path: Path) -> None:
    await init(client)
    uri = uri_for(tmp_path)
    open_doc(client, uri, KERAS)
    await wait_published(client, uri, 1)
    line_no = next(i for i, x in enumerate(KERAS.splitlines()) if x.startswith("model.fit"))
    for version, half in enumerate(["def train(", "def train(model", "def train(model:"], 2):
        pos = types.Position(line_no, 0)
        change_doc(client, uri, version, half + "\n" if version == 2 else half[-1:],
                   types.Range(pos, pos) if version == 2 else types.Range(
                       types.Position(line_no, len(half) - 1), types.Position(line_no, len(half) - 1)))
        published = await wait_published(client, uri, version)
        assert [d.code for d in published.diagnostics].count("MLS001") == 1
    info = await debug_info(client)
    assert info["openDocuments"] == 1


async def test_every_prefix_typed_gets_an_answer(client: LanguageClient, tmp_path: Path) -> None:
    await init(client, {"debounceMs": 0}, pull=True)
    uri = uri_for(tmp_path)
    open_doc(client, uri, "")
    line = col = 0
    for version, char in enumerate(KERAS, 2):
        pos = types.Position(line, col)
        change_doc(client, uri, version, char, types.Range(pos, pos))
        line, col = (line + 1, 0) if char == "\n" else (line, col + 1)
        diags = await pull(client, uri)  # an answer for every prefix, syntax errors included
        assert [d.code for d in diags].count("MLS001") <= 1
    assert _got(await pull(client, uri)) == _expected(KERAS, tmp_path / "model.py")


async def test_rapid_edits_end_with_fresh_results_and_flat_memory(client: LanguageClient,
                                                                  tmp_path: Path) -> None:
    await init(client)
    uri = uri_for(tmp_path)
    open_doc(client, uri, KERAS)
    await wait_published(client, uri, 1)
    line_no = next(i for i, x in enumerate(KERAS.splitlines()) if "input_shape" in x)
    end = len(KERAS.splitlines()[line_no])
    version, rss = 1, []
    for _round in range(2):
        for i in range(500):  # typing and deleting a trailing comment, without waiting
            version += 1
            at = types.Position(line_no, end)
            if i % 2 == 0:
                change_doc(client, uri, version, f"  # {i}", types.Range(at, at))
            else:
                stop = types.Position(line_no, end + len(f"  # {i - 1}"))
                change_doc(client, uri, version, "", types.Range(at, stop))
        final = await wait_published(client, uri, version)
        rss.append((await debug_info(client))["rssBytes"])
    assert _got(final.diagnostics) == _expected(KERAS, tmp_path / "model.py")
    versions = [p.version for p in client.published if p.uri == uri]
    assert versions == sorted(set(versions))  # never an older version after a newer one
    assert len(versions) < 100  # debounced: far fewer publications than edits
    assert rss[1] - rss[0] < 20 * 2**20, rss


async def test_huge_file_stays_responsive(client: LanguageClient, tmp_path: Path) -> None:
    await init(client)
    body = "".join(f"    y{j} = x * {j}\n" for j in range(98))
    text = KERAS + "".join(f"\n\ndef f{i}(x):\n{body}    return x\n" for i in range(500))
    assert len(text.splitlines()) > 50_000
    uri = uri_for(tmp_path)
    open_doc(client, uri, text)
    await debug_info(client)  # answered while the first analysis runs in a worker thread
    first = await wait_published(client, uri, 1, timeout=120)
    assert [d.code for d in first.diagnostics] == ["MLS301"]
    last = types.Position(len(text.splitlines()), 0)
    tail = "\nmodel2 = keras.Sequential([Dense(8, input_shape=(4,))])\n"
    change_doc(client, uri, 2, tail, types.Range(last, last))
    second = await wait_published(client, uri, 2, timeout=60)
    assert _got(second.diagnostics) == _expected(text + tail, tmp_path / "model.py")


async def test_empty_file_then_content(client: LanguageClient, tmp_path: Path) -> None:
    await init(client)
    uri = uri_for(tmp_path)
    open_doc(client, uri, "")
    assert list((await wait_published(client, uri, 1)).diagnostics) == []
    change_doc(client, uri, 2, KERAS, types.Range(types.Position(0, 0), types.Position(0, 0)))
    assert _got((await wait_published(client, uri, 2)).diagnostics) == _expected(
        KERAS, tmp_path / "model.py")


async def test_crlf_and_tabs(client: LanguageClient, tmp_path: Path) -> None:
    await init(client)
    seq = next(x for x in KERAS.splitlines() if "input_shape" in x)
    text = KERAS.replace(seq, f"def build():\n\t{seq}\n\treturn model\n\n\nmodel = build()")
    text = text.replace("\n", "\r\n")
    uri = uri_for(tmp_path)
    open_doc(client, uri, text)
    diag = next(d for d in (await wait_published(client, uri, 1)).diagnostics
                if d.code == "MLS301")
    line = text.split("\r\n")[diag.range.start.line]
    assert line.startswith("\t") and line[diag.range.start.character:].startswith("input_shape")
    # An edit across a CRLF: join two lines and split them again.
    end_of = types.Position(diag.range.start.line - 1, len(text.split("\r\n")[diag.range.start.line - 1]))
    change_doc(client, uri, 2, "", types.Range(end_of, types.Position(diag.range.start.line, 0)))
    change_doc(client, uri, 3, "\r\n", types.Range(end_of, end_of))
    again = next(d for d in (await wait_published(client, uri, 3)).diagnostics
                 if d.code == "MLS301")
    assert again.range == diag.range
