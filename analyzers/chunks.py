"""Split a module into its top-level statements ("chunks") with a cheap line scanner.

Each chunk is parsed and analysed on its own and cached by its text, so an edit re-parses only
the statement it touches. A chunk starts at a line that begins in column 0 outside brackets and
strings; comments and blank lines before it belong to it; decorators stay with their def/class
and ``else/elif/except/finally`` with their statement. If the scanner is ever wrong (exotic
f-strings), a chunk fails to parse and the engine falls back to one chunk for the whole file.
"""

from __future__ import annotations

import itertools
import operator
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
    return ChunkSplitter().split(text, keep=False)


# The scanner's state before a line: bracket depth, open multi-line string, whether the line
# before ended with a backslash, whether the last statement line was a decorator.
_State = tuple[int, str | None, bool, bool]
_START: _State = (0, None, False, False)
_STATES: dict[_State, _State] = {_START: _START}  # a few distinct ones, shared by all lines
_CLEAN = {False: _START, True: (0, None, False, True)}  # at top level, after a decorator


class ChunkSplitter:
    """:func:`split_chunks` for successive versions of one document.

    The scan of a version resumes at its first changed line from the state the previous
    version had there, and stops once past the changed lines its state meets the previous
    version's again (the rest is the same); a statement whose lines and bounds did not change
    keeps its text object, so its hash is not computed again. A keystroke then scans a few
    lines, not the document."""

    def __init__(self) -> None:
        self._lines: list[str] = []
        self._states: list[_State] = [_START]  # before each line, and after the last
        self._starts: list[bool] = []  # whether each line starts a statement
        self._spans: dict[int, tuple[int, str]] = {}  # first line -> (end line, text)

    def split(self, text: str, keep: bool = True) -> list[ChunkSpan]:
        """The chunks of ``text``; ``keep``: remember this version for the next one (a
        one-shot analysis does not need the memory: a line list and a state per line)."""
        lines = split_lines(text)
        old, n = self._lines, len(lines)
        delta = n - len(old)
        p = _common(lines, old)  # lines[:p] == old[:p]
        q = min(_common(lines[::-1], old[::-1]), min(n, len(old)) - p)  # the same at the end
        states, starts = self._states[:p + 1], self._starts[:p]
        _scan_from(lines, p, states, starts, self._states, self._starts, n - q, delta)
        spans = _spans(lines, list(itertools.compress(range(n), starts)), p, n - q, delta,
                       self._spans)
        if not spans:
            spans.append(ChunkSpan(0, text))
        if keep:
            self._lines, self._states, self._starts = lines, states, starts
            self._spans = _span_index(spans, lines)
        return spans


def _common(a: list[str], b: list[str]) -> int:
    """How many items ``a`` and ``b`` share at their start (compared in C)."""
    equal = list(map(operator.eq, a, b))
    return equal.index(False) if False in equal else len(equal)


def _scan_from(lines: list[str], i: int, states: list[_State], starts: list[bool],
               old_states: list[_State], old_starts: list[bool], suffix: int,
               delta: int) -> None:
    """Scan ``lines`` from ``i`` (``states`` holds the state before it), appending to
    ``states`` and ``starts``; from line ``suffix`` on the lines are the old ones shifted by
    ``delta``, so once the state there equals the old one the old results are copied."""
    depth, string, continued, prev_decorator = states[i]
    top, scan_top, intern = _SCAN_TOP, _scan_top, _STATES.setdefault
    add_start, add_state = starts.append, states.append
    for i in range(i, len(lines)):  # noqa: B020 - resumes from the argument
        if i >= suffix and states[i] == old_states[i - delta]:
            states.extend(old_states[i - delta + 1:])
            starts.extend(old_starts[i - delta:])
            return
        line = lines[i]
        start = False
        if depth == 0 and string is None and not continued:
            first = line[:1]
            if first and first not in " \t\r\n#\f)]}" \
                    and not (first in "ef" and _CONTINUATION_KEYWORD.match(line)):
                start = not prev_decorator
                prev_decorator = first == "@"
            state = top.get(line)
            if state is None:
                state = scan_top(line)
            depth, string, continued = state
        else:
            depth, string, continued = scan_line(line, depth, string)
        add_start(start)
        if depth == 0 and string is None and not continued:
            add_state(_CLEAN[prev_decorator])
        else:
            state4 = (depth, string, continued, prev_decorator)
            add_state(intern(state4, state4) if depth < 64 else state4)


def _spans(lines: list[str], starts: list[int], prefix: int, suffix: int, delta: int,
           previous: dict[int, tuple[int, str]]) -> list[ChunkSpan]:
    """The chunks from their first lines: leading comments and blank lines belong to the
    statement after them. A chunk within the unchanged lines (before ``prefix`` or from
    ``suffix``) with the bounds it had reuses its old text."""
    if not starts or starts[0] != 0:
        starts.insert(0, 0)
    adjusted = [starts[0]]
    for s in starts[1:]:
        j = s
        while j - 1 > adjusted[-1] and _is_trivia(lines[j - 1]):
            j -= 1
        adjusted.append(j)
    spans = []
    bounds = [*adjusted, len(lines)]
    for a, b in zip(bounds, bounds[1:], strict=False):
        if b <= a:
            continue
        old = previous.get(a) if b <= prefix else \
            previous.get(a - delta) if a >= suffix else None
        if old is not None and old[0] == (b if b <= prefix else b - delta):
            spans.append(ChunkSpan(a, old[1]))
        else:
            spans.append(ChunkSpan(a, lines[a] if b == a + 1 else "".join(lines[a:b])))
    return spans


def _span_index(spans: list[ChunkSpan], lines: list[str]) -> dict[int, tuple[int, str]]:
    ends = [sp.start_line for sp in spans[1:]] + [len(lines)]
    return {sp.start_line: (end, sp.text) for sp, end in zip(spans, ends, strict=True)}


def _is_trivia(line: str) -> bool:
    stripped = line.strip()
    return not stripped or stripped.startswith("#")


_SCAN_MEMO: dict[tuple[str, int, str | None], tuple[int, str | None, bool]] = {}


def scan_line(line: str, depth: int, string: str | None) -> tuple[int, str | None, bool]:
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
