"""Jupyter notebooks as one Python document, as the language server and ``mlsense check`` see
them: the code cells joined in order (an import in one cell counts in the next), each ending
with a newline, IPython-only lines masked so the document parses while keeping every line
number. No JSON schema library: a notebook is read as nbformat 4 (and 3's ``worksheets``)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass

from .chunks import scan_line, split_lines

# IPython syntax that is not Python: line magics, shell escapes, help, `x = !cmd`.
_MAGIC_LINE = re.compile(r"^(?P<indent>\s*)(?:[%!?]|[\w.]+\s*=\s*[%!]|[\w.]+\?{1,2}\s*$)")
_EOL = "\r\n"


def mask_ipython(text: str) -> str:
    """``text`` with IPython-only lines made harmless (same line count, so lines keep their
    numbers): a cell magic (``%%bash``) comments out the whole cell.

    As in IPython, an escape counts only where a logical line starts: ``% (a, b)`` continuing
    an open bracket, a string or a backslash is the modulo operator. A magic whose own brackets
    stay open (``%timeit f(x,``) runs on until they close, and its continuation lines are
    commented out with it."""
    lines = split_lines(text)
    if text.lstrip().startswith("%%"):
        return "".join("# " + line if line.strip() else line for line in lines)
    out = []
    depth, string, continued, in_magic = 0, None, False, False
    for line in lines:
        at_start = depth == 0 and string is None and not continued
        match = _MAGIC_LINE.match(line) if at_start else None
        if match is None and not in_magic:
            out.append(line)
        else:
            content = line.rstrip(_EOL)
            ending = line[len(content):]
            indent = match.group("indent") if match is not None else \
                line[:len(line) - len(line.lstrip())]
            # `pass` keeps a magic that is alone in an indented block syntactically valid.
            lead = "pass  # " if match is not None else "# "
            out.append(f"{indent}{lead}{content.strip()}{ending}")
        if match is not None:
            in_magic = True
        depth, string, continued = scan_line(line, depth, string)
        if in_magic and depth == 0 and string is None and not continued:
            in_magic = False
    return "".join(out)


def join_texts(texts: Iterable[str]) -> tuple[str, list[tuple[int, int]]]:
    """The joined document of the cell ``texts`` (masked) and, per cell, its first line there
    and its number of lines. Every cell ends with a newline, so none runs into the next."""
    parts: list[str] = []
    spans: list[tuple[int, int]] = []
    line = 0
    for text in texts:
        lines = split_lines(mask_ipython(text))
        if lines and not lines[-1].endswith(("\n", "\r")):
            lines[-1] += "\n"
        spans.append((line, len(lines)))
        parts.extend(lines)
        line += len(lines)
    return "".join(parts), spans


class NotebookError(ValueError):
    """A file named ``.ipynb`` that is not a notebook this reader understands."""


@dataclass
class NotebookSource:
    """A notebook file's Python code cells joined (see :func:`join_texts`)."""

    text: str  # the joined document
    cells: list[int]  # per code cell: its 0-based index among all the notebook's cells
    spans: list[tuple[int, int]]  # per code cell: first line in ``text``, number of lines
    sources: list[str]  # per code cell: its text as the file holds it
    python: bool  # False for another kernel's notebook (R, Julia...): nothing to check
    doc: dict  # the parsed file
    all_cells: list  # every cell's JSON object, in order (nbformat 3's worksheets flattened)

    def locate(self, line: int) -> tuple[int, int]:
        """(1-based cell number among all cells, 0-based line in that cell) of joined ``line``."""
        for index, (start, count) in zip(self.cells, self.spans, strict=True):
            if start <= line < start + count:
                return index + 1, line - start
        if not self.cells:
            return 1, line
        start, count = self.spans[-1]
        return self.cells[-1] + 1, max(0, min(line - start, count))


def read_notebook(data: bytes) -> NotebookSource:
    """Parse an ``.ipynb`` file; NotebookError (with what is wrong) if it is not one."""
    try:
        doc = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise NotebookError(f"not a Jupyter notebook (invalid JSON: {exc})") from None
    if not isinstance(doc, dict):
        raise NotebookError("not a Jupyter notebook (the JSON is not an object)")
    cells = doc.get("cells")
    if cells is None and isinstance(doc.get("worksheets"), list):  # nbformat 3
        cells = [c for ws in doc["worksheets"] if isinstance(ws, dict)
                 for c in ws.get("cells", [])]
    if not isinstance(cells, list):
        raise NotebookError("not a Jupyter notebook (no `cells` list)")
    meta = doc.get("metadata")
    meta = meta if isinstance(meta, dict) else {}
    info, kernel = meta.get("language_info"), meta.get("kernelspec")
    language = (info.get("name") if isinstance(info, dict) else None) or \
        (kernel.get("language") if isinstance(kernel, dict) else None) or "python"
    indexes, sources = [], []
    for index, cell in enumerate(cells):
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        source = cell.get("source", cell.get("input", ""))
        if isinstance(source, list):
            source = "".join(s for s in source if isinstance(s, str))
        if not isinstance(source, str):
            raise NotebookError(f"cell {index + 1}: `source` is neither a string nor a list")
        indexes.append(index)
        sources.append(source)
    text, spans = join_texts(sources)
    return NotebookSource(text, indexes, spans, sources,
                          str(language).lower() in ("python", "python3", "ipython"), doc, cells)
