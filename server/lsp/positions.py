"""Document text as LSP sees it, and column conversion between code points and client units.

LSP splits lines on ``\\n``, ``\\r\\n`` and ``\\r`` only (``str.splitlines`` also splits on form
feed, ``\\x85``, ``\\u2028``... which would desynchronise incremental edits), and counts columns
in the negotiated position encoding: UTF-16 code units by default, UTF-8 bytes or UTF-32 code
points when the client offers them. The analyzers count columns in code points (str indices).
"""

from __future__ import annotations

from collections.abc import Sequence

from lsprotocol import types

from ...analyzers.chunks import split_lines as split_lsp_lines  # the engine splits the same way

_EOL = "\r\n"


def line_content(line: str) -> str:
    """``line`` without its line ending."""
    return line.rstrip(_EOL)


class PositionEncoder:
    """Converts columns between code points and the client's position encoding."""

    def __init__(self, encoding: str | None = None) -> None:
        raw = encoding or types.PositionEncodingKind.Utf16
        self.encoding = str(getattr(raw, "value", raw))  # "utf-16", not "PositionEncodingKind.Utf16"

    def units(self, text: str) -> int:
        """Length of ``text`` in client units."""
        if text.isascii() or self.encoding == types.PositionEncodingKind.Utf32:
            return len(text)
        if self.encoding == types.PositionEncodingKind.Utf8:
            return len(text.encode("utf-8", errors="surrogatepass"))
        return len(text.encode("utf-16-le", errors="surrogatepass")) // 2

    def to_client(self, line: str, column: int) -> int:
        """Code-point ``column`` of ``line`` as client units (clamped to the line's content)."""
        content = line_content(line)
        return self.units(content[: max(0, min(column, len(content)))])

    def from_client(self, line: str, units: int) -> int:
        """Client ``units`` into ``line`` as a code-point column; a column inside a character
        (half a surrogate pair) moves to that character's end, past the end clamps to it."""
        content = line_content(line)
        if content.isascii() or self.encoding == types.PositionEncodingKind.Utf32:
            return max(0, min(units, len(content)))
        count = 0
        for index, char in enumerate(content):
            if count >= units:
                return index
            count += self.units(char)
        return len(content)


def _line_at(lines: Sequence[str], line: int) -> str:
    return lines[line] if 0 <= line < len(lines) else ""


def to_lsp_position(lines: Sequence[str], encoder: PositionEncoder, line: int,
                    column: int) -> types.Position:
    """An analyzer position (code points) as an LSP position; past the end clamps to the end."""
    if line >= len(lines):
        if not lines:
            return types.Position(0, 0)
        last = lines[-1]
        if last.endswith(("\n", "\r")):
            return types.Position(len(lines), 0)
        return types.Position(len(lines) - 1, encoder.units(last))
    return types.Position(max(line, 0), encoder.to_client(_line_at(lines, line), column))


def from_lsp_position(lines: Sequence[str], encoder: PositionEncoder,
                      position: types.Position) -> tuple[int, int]:
    """An LSP position as (line, code-point column)."""
    return position.line, encoder.from_client(_line_at(lines, position.line), position.character)


def _clamp_to_end(lines: Sequence[str], line: int, column: int) -> tuple[int, int]:
    """A position past the last line means the end of the text."""
    if line < len(lines):
        return line, column
    if lines and not lines[-1].endswith(("\n", "\r")):
        return len(lines) - 1, len(lines[-1])
    return len(lines), 0


class DocumentText:
    """An open document's text, kept as LSP lines so incremental edits cost O(lines touched)."""

    def __init__(self, text: str, version: int | None = None) -> None:
        self.lines: list[str] = split_lsp_lines(text)
        self.version = version
        self._text: str | None = text

    @property
    def text(self) -> str:
        if self._text is None:
            self._text = "".join(self.lines)
        return self._text

    def apply_change(self, change: types.TextDocumentContentChangeEvent,
                     encoder: PositionEncoder) -> None:
        """Apply one ``didChange`` content change (full or incremental)."""
        if not isinstance(change, types.TextDocumentContentChangePartial):
            self.lines, self._text = split_lsp_lines(change.text), change.text
            return
        lines = self.lines
        sl, sc = from_lsp_position(lines, encoder, change.range.start)
        el, ec = from_lsp_position(lines, encoder, change.range.end)
        sl, sc = _clamp_to_end(lines, sl, sc)
        el, ec = _clamp_to_end(lines, el, ec)
        if (el, ec) < (sl, sc):
            sl, sc, el, ec = el, ec, sl, sc
        head = lines[sl][:sc] if sl < len(lines) else ""
        tail = lines[el][ec:] if el < len(lines) else ""
        first, last = sl, min(el, len(lines) - 1)
        segment = head + change.text + tail
        # A "\r" and a "\n" meeting at a seam become one "\r\n": re-split the neighbours too.
        if first > 0 and lines[first - 1].endswith("\r"):
            first -= 1
            segment = lines[first] + segment
        if segment.endswith("\r") and last + 1 < len(lines):
            last += 1
            segment += lines[last]
        # Copy, never mutate in place: published results keep a reference to their own lines.
        self.lines = lines[:first] + split_lsp_lines(segment) + lines[last + 1:]
        self._text = None
