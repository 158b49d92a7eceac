"""Jupyter notebooks in ``mlsense check``: the Python code cells are joined into one document
(:mod:`analyzers.notebook`, as the language server joins them), analysed once, and each
finding is reported in its cell's coordinates (``nb.ipynb:cell 3:2:5:``, ruff's form).

``--fix`` applies fixes to the joined document, pass after pass as for a ``.py`` file, while
following where each cell starts; each cell gets its fixed text back with its IPython lines
(magics, shell escapes) as they were, and the notebook is written with the cells changed and
everything else (outputs, metadata, key order) kept. ``--diff`` shows the changed cells.
"""

from __future__ import annotations

import bisect
import dataclasses
import difflib
import json
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from ...analyzers.chunks import split_lines
from ...analyzers.config import Config
from ...analyzers.findings import Finding, Position, Range
from ...analyzers.notebook import NotebookError, NotebookSource, mask_ipython, read_notebook
from .fileio import write_atomically
from .fixes import edit_spans, fix_until_stable, line_starts, recording_analyzer
from .output import FileReport, display_path

__all__ = ["NotebookError", "check_notebook"]


def check_notebook(report: FileReport, data: bytes, config: Config, fix: bool, unsafe: bool,
                   diff: bool) -> None:
    """Analyse (and maybe fix) one ``.ipynb`` file into ``report``; NotebookError if the file
    is not a notebook."""
    nb = read_notebook(data)
    if not nb.python:
        return  # another kernel's notebook: nothing here is Python
    analyze, rule_errors = recording_analyzer(report.path, config)

    if not fix:
        findings = analyze(nb.text)
    else:
        text, bounds, fixed, findings = _fix(nb, analyze, unsafe)
        if fixed:
            sources = _cell_sources(nb, text, bounds)
            changed = [i for i, (old, new) in enumerate(zip(nb.sources, sources, strict=True))
                       if old != new]
            if changed:
                report.fixed = fixed
                if diff:
                    report.diff = _diff(report.path, nb, sources, changed)
                else:
                    write_atomically(Path(report.path), _rewrite(data, nb, sources, changed))
            nb = dataclasses.replace(nb, text=text, spans=_spans_of(text, bounds))
    report.rule_errors = list(dict.fromkeys(rule_errors))
    report.findings, report.cells = [], []
    for f in findings:
        cell, moved = _to_cell(nb, f)
        report.findings.append(moved)
        report.cells.append(cell)


def _to_cell(nb: NotebookSource, f: Finding) -> tuple[int, Finding]:
    """``f`` with its range and its fix's edits in the coordinates of the cell it starts in."""
    cell, row = nb.locate(f.range.start.line)
    shift = f.range.start.line - row

    def move(p: Position) -> Position:
        return Position(max(p.line - shift, 0), p.column)

    fix = f.fix
    if fix is not None:
        fix = dataclasses.replace(fix, edits=tuple(
            dataclasses.replace(e, range=Range(move(e.range.start), move(e.range.end)))
            for e in fix.edits))
    return cell, dataclasses.replace(f, range=Range(move(f.range.start), move(f.range.end)),
                                     fix=fix)


def _fix(nb: NotebookSource, analyze: Callable[[str], list[Finding]], unsafe: bool
         ) -> tuple[str, list[int], Counter[str], list[Finding]]:
    """Fix the joined document to a fixed point (``fix_until_stable``) and follow the offset
    where each cell starts; an edit that crosses a cell's start is not applied."""
    starts = line_starts(nb.text)
    bounds = [starts[start] if start < len(starts) else len(nb.text) for start, _ in nb.spans]

    def within_a_cell(text: str, f: Finding) -> bool:
        return f.fix is None or not any(a < b < z for a, z, _ in edit_spans(
            text, line_starts(text), f.fix.edits) for b in bounds)

    def follow(text: str, applied: list[Finding]) -> None:
        starts = line_starts(text)
        spans = [s for f in applied if f.fix is not None
                 for s in edit_spans(text, starts, f.fix.edits)]
        # An insertion at a cell's start belongs to that cell: only what ends before it moves it.
        bounds[:] = [b + sum(len(new) - (z - a) for a, z, new in spans
                             if z <= b and not a == z == b) for b in bounds]

    outcome = fix_until_stable(nb.text, analyze, unsafe=unsafe, allowed=within_a_cell,
                               applied=follow)
    return outcome.text, bounds, outcome.fixed, outcome.remaining


def _spans_of(text: str, bounds: list[int]) -> list[tuple[int, int]]:
    """Each cell's (first line, number of lines) in ``text`` from the offsets where they start."""
    starts = line_starts(text)
    ends = [*bounds[1:], len(text)]
    return [(bisect.bisect_right(starts, a) - 1, len(split_lines(text[a:z])))
            for a, z in zip(bounds, ends, strict=True)]


def _cell_sources(nb: NotebookSource, text: str, bounds: list[int]) -> list[str]:
    """Each code cell's new source: its part of the fixed text, with the lines the masking
    changed (magics) put back where the fixes left them alone."""
    ends = [*bounds[1:], len(text)]
    out = []
    for original, a, z in zip(nb.sources, bounds, ends, strict=True):
        new_lines = split_lines(text[a:z])
        masked = split_lines(mask_ipython(original))
        plain = split_lines(original)
        if masked and not masked[-1].endswith(("\n", "\r")):
            masked[-1] += "\n"  # as join_texts ends every cell
        result: list[str] = []
        matcher = difflib.SequenceMatcher(None, masked, new_lines, autojunk=False)
        for op, i1, i2, j1, j2 in matcher.get_opcodes():
            result.extend(plain[i1:i2] if op == "equal" else new_lines[j1:j2])
        source = "".join(result)
        if not original.endswith(("\n", "\r")) and source.endswith("\n"):
            source = source[:-1]  # the newline join_texts added
        out.append(source)
    return out


def _diff(path: str, nb: NotebookSource, sources: list[str], changed: list[int]) -> str:
    name = display_path(path)
    parts = []
    for i in changed:
        cell = nb.cells[i] + 1
        parts.append("".join(difflib.unified_diff(
            split_lines(nb.sources[i]), split_lines(sources[i]),
            fromfile=f"a/{name}:cell {cell}", tofile=f"b/{name}:cell {cell}")))
    return "".join(p if p.endswith("\n") else p + "\n" for p in parts)


def _rewrite(data: bytes, nb: NotebookSource, sources: list[str], changed: list[int]) -> bytes:
    """The notebook file with the changed cells' sources replaced, in nbformat's layout
    (the file's indent, non-ASCII kept, key order as read, a final newline)."""
    for i in changed:
        cell = nb.all_cells[nb.cells[i]]
        key = "source" if "source" in cell else "input"
        cell[key] = split_lines(sources[i]) if isinstance(cell.get(key), list) else sources[i]
    indent = _indent_of(data.decode("utf-8-sig"))
    return (json.dumps(nb.doc, indent=indent, ensure_ascii=False) + "\n").encode("utf-8")


def _indent_of(text: str) -> int:
    """The indent width the file uses (nbformat writes 1)."""
    for line in text.splitlines()[1:3]:
        stripped = line.lstrip(" ")
        if stripped and len(stripped) < len(line):
            return len(line) - len(stripped)
    return 1
