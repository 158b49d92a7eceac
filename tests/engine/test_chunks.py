"""The top-level statement scanner: chunks must tile the text and parse like the whole file."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mlsense.analyzers.chunks import ChunkSplitter, split_chunks, split_lines

ROOT = Path(__file__).resolve().parents[2]
PY_FILES = sorted(p for p in (ROOT / "examples").rglob("*.py")) + sorted(
    p for p in (ROOT / "analyzers").rglob("*.py"))


def _top_level_dump(text: str) -> list[str]:
    return [ast.dump(node) for node in ast.parse(text).body]


@pytest.mark.parametrize("path", PY_FILES, ids=lambda p: p.name)
def test_chunks_tile_and_parse_like_the_whole_file(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    chunks = split_chunks(text)
    assert "".join(c.text for c in chunks) == text
    per_chunk = [d for c in chunks for d in _top_level_dump(c.text)]
    assert per_chunk == _top_level_dump(text)


TRICKY = '''\
import os  # comment

@decorator(
    arg=1,
)
class A:
    """Docstring with
class NotAChunk:
    and a quote ' and \\""" inside
"""
    x = 1
if os:
    pass
elif 1:
    pass
else:
    pass
try:
    pass
except Exception:
    pass
finally:
    pass
value = (1,
2)
other = 1 + \\
    2
s = 'it\\'s' + "a # b" + r"\\\\"
t = f"{value!r:>10}"
'''


def test_tricky_constructs_stay_whole() -> None:
    chunks = split_chunks(TRICKY)
    firsts = [c.text.lstrip("\n").splitlines()[0] for c in chunks]
    assert firsts == ["import os  # comment", "@decorator(", "if os:", "try:", "value = (1,",
                      "other = 1 + \\", TRICKY.splitlines()[-2], TRICKY.splitlines()[-1]]
    assert [d for c in chunks for d in _top_level_dump(c.text)] == _top_level_dump(TRICKY)


def test_leading_comments_belong_to_the_next_statement() -> None:
    text = "x = 1\n\n# about y\ny = 2\n"
    chunks = split_chunks(text)
    assert [c.start_line for c in chunks] == [0, 1]
    assert chunks[1].text == "\n# about y\ny = 2\n"


def test_crlf_and_cr_line_endings() -> None:
    text = "import torch\r\nx = [1,\r\n 2]\r\ny = 3\r"
    chunks = split_chunks(text)
    assert "".join(c.text for c in chunks) == text
    assert [c.start_line for c in chunks] == [0, 1, 3]


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab ()[]{}'\"#\\\n\t:=@1x")), max_size=120))
def test_any_text_is_tiled(text: str) -> None:
    chunks = split_chunks(text)
    assert "".join(c.text for c in chunks) == text
    starts = [c.start_line for c in chunks]
    assert starts == sorted(set(starts))


@pytest.mark.parametrize(("text", "lines"), [
    ("", []),
    ("a\nb", ["a\n", "b"]),
    ("a\r\n\r\nb\rc\n", ["a\r\n", "\r\n", "b\r", "c\n"]),
    # Breaks of str.splitlines that Python and LSP do not count: one line each.
    ("a\fb\vc\x1cd\x85e\u2028f\u2029g\n", ["a\fb\vc\x1cd\x85e\u2028f\u2029g\n"]),
    ("x = 1\r\ny = '\x1e'\n", ["x = 1\r\n", "y = '\x1e'\n"]),
])
def test_lines_break_where_python_breaks(text: str, lines: list[str]) -> None:
    assert split_lines(text) == lines


_LINE_TEXT = st.text(alphabet=st.sampled_from(list("ab ()[]{}'\"#\\\t:=@1x")), max_size=12)
_EDITS = st.lists(st.tuples(st.integers(0, 40), st.integers(0, 2), _LINE_TEXT), max_size=12)


@settings(max_examples=150, deadline=None)
@given(st.sampled_from([TRICKY, TRICKY.replace("\n", "\r\n"), "x = 1\n" * 30]), _EDITS)
def test_a_splitter_fed_successive_versions_splits_each_like_a_fresh_scan(
        start: str, edits: list[tuple[int, int, str]]) -> None:
    splitter = ChunkSplitter()
    lines = start.splitlines(keepends=True)
    assert splitter.split(start) == split_chunks(start)
    for at, removed, new in edits:  # replace `removed` lines at `at` by one new line
        at = min(at, len(lines))
        lines[at:at + removed] = [new + "\n"]
        text = "".join(lines)
        spans = splitter.split(text)
        assert spans == split_chunks(text)
        assert "".join(s.text for s in spans) == text
