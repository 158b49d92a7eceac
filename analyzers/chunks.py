"""Split a module into its top-level statements ("chunks") with a cheap line scanner.

Each chunk is parsed and analysed on its own and cached by its text, so an edit re-parses only
the statement it touches. A chunk starts at a line that begins in column 0 outside brackets and
strings; comments and blank lines before it belong to it; decorators stay with their def/class
and ``else/elif/except/finally`` with their statement. If the scanner is ever wrong (exotic
f-strings), a chunk fails to parse and the engine falls back to one chunk for the whole file.
"""

from __future__ import annotations

import re
from typing import NamedTuple

_INTERESTING = re.compile(r"""[()\[\]{}#\\]|'''|\"\"\"|'|\"""")
_CONTINUATION_KEYWORD = re.compile(r"(else|elif|except|finally)\b")


class ChunkSpan(NamedTuple):
    start_line: int  # 0-based first line of the chunk in the document
    text: str


_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")
# Where str.splitlines breaks and Python does not.
_OTHER_BREAKS = ("\v", "\f", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029")


def split_lines(text: str) -> list[str]:
    """Lines with their endings, split on \\n, \\r\\n and \\r only, as Python and LSP do.

    (``str.splitlines`` also breaks at form feeds, \\x85 and \\u2028, which shifts lines; on a
    text without them it gives the same lines, 6x faster than the regex.)
    """
    for ch in _OTHER_BREAKS:
        if ch in text:
            return _LINE.findall(text)
    return text.splitlines(keepends=True)


def split_chunks(text: str) -> list[ChunkSpan]:
    """The top-level statements of ``text`` in order; their texts concatenate to ``text``."""
    lines = split_lines(text)
    starts: list[int] = []
    depth = 0
    string: str | None = None  # the open quote of a multi-line string, if any
    continued = False  # the previous line ended with a backslash
    prev_decorator = False
    top, scan_top = _SCAN_TOP, _scan_top
    for i, line in enumerate(lines):
        if depth == 0 and string is None and not continued:
            first = line[:1]
            if first and first not in " \t\r\n#\f)]}" \
                    and not (first in "ef" and _CONTINUATION_KEYWORD.match(line)):
                if not prev_decorator:
                    starts.append(i)
                prev_decorator = first == "@"
            state = top.get(line)
            if state is None:
                state = scan_top(line)
            depth, string, continued = state
        else:
            depth, string, continued = _scan_line(line, depth, string)
    if not starts or starts[0] != 0:
        starts.insert(0, 0)
    # Leading comments/blank lines belong to the following chunk.
    adjusted = [starts[0]]
    for s in starts[1:]:
        j = s
        while j - 1 > adjusted[-1] and _is_trivia(lines[j - 1]):
            j -= 1
        adjusted.append(j)
    spans = []
    bounds = [*adjusted, len(lines)]
    for a, b in zip(bounds, bounds[1:], strict=False):
        if b > a:
            spans.append(ChunkSpan(a, lines[a] if b == a + 1 else "".join(lines[a:b])))
    if not spans:
        spans.append(ChunkSpan(0, text))
    return spans


def _is_trivia(line: str) -> bool:
    stripped = line.strip()
    return not stripped or stripped.startswith("#")


_SCAN_MEMO: dict[tuple[str, int, str | None], tuple[int, str | None, bool]] = {}


def _scan_line(line: str, depth: int, string: str | None) -> tuple[int, str | None, bool]:
    """Bracket depth and open multi-line string after ``line``; whether it ends with ``\\``.

    Memoized: successive versions of a document share almost all their lines.
    """
    key = (line, depth, string)
    hit = _SCAN_MEMO.get(key)
    if hit is None:
        if len(_SCAN_MEMO) > 200_000:
            _SCAN_MEMO.clear()
        hit = _SCAN_MEMO[key] = _scan_line_uncached(line, depth, string)
    return hit


# The same for a line that starts outside brackets and strings (most lines), keyed by the line.
_SCAN_TOP: dict[str, tuple[int, str | None, bool]] = {}


def _scan_top(line: str) -> tuple[int, str | None, bool]:
    if len(_SCAN_TOP) > 200_000:
        _SCAN_TOP.clear()
    hit = _SCAN_TOP[line] = _scan_line_uncached(line, 0, None)
    return hit


def _scan_line_uncached(line: str, depth: int, string: str | None) -> tuple[int, str | None, bool]:
    pos = 0
    n = len(line)
    while pos < n:
        if string is not None:
            end = _find_string_end(line, pos, string)
            if end < 0:
                return depth, string, False
            pos = end
            string = None
            continue
        m = _INTERESTING.search(line, pos)
        if m is None:
            break
        tok = m.group()
        pos = m.end()
        if tok == "#":
            break
        if tok == "\\":
            if line[pos:].strip() == "":
                return depth, None, True
            continue
        if tok in "([{":
            depth += 1
        elif tok in ")]}":
            depth = max(0, depth - 1)
        else:  # a quote
            end = _find_string_end(line, pos, tok)
            if end < 0:
                if len(tok) == 3:
                    return depth, tok, False
                # unterminated single-quoted string: a syntax error (or a continuation)
                return depth, None, line.rstrip("\r\n").endswith("\\")
            pos = end
    return depth, None, False


def _find_string_end(line: str, pos: int, quote: str) -> int:
    """Index just past the closing ``quote`` from ``pos`` (backslash escapes honoured), or -1."""
    while True:
        idx = line.find(quote, pos)
        if idx < 0:
            return -1
        backslashes = 0
        k = idx - 1
        while k >= pos and line[k] == "\\":
            backslashes += 1
            k -= 1
        if backslashes % 2 == 0:
            return idx + len(quote)
        pos = idx + 1
