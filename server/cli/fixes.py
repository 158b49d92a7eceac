"""Apply fixes (TextEdits in 0-based line / code-point columns) to source text.

Pure helpers with no I/O, shared by ``mlsense check --fix`` and anyone else who needs to turn a
finding's fix into new text.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ...analyzers.findings import Finding, Position, TextEdit

# Positions come from libcst, which breaks lines on \n, \r\n and \r only (not str.splitlines'
# \f, \v, \u2028...), so offsets must be counted the same way.
_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def line_starts(text: str) -> list[int]:
    """The string offset at which each line of ``text`` starts (always at least ``[0]``)."""
    return [0, *(m.end() for m in _LINE_BREAK.finditer(text))]


def position_to_offset(text: str, starts: Sequence[int], pos: Position) -> int:
    """The offset of ``pos`` in ``text``; positions past a line's end or the text's end clamp."""
    if pos.line >= len(starts):
        return len(text)
    start = starts[pos.line]
    line_end = starts[pos.line + 1] if pos.line + 1 < len(starts) else len(text)
    return min(start + max(pos.column, 0), line_end)


def edit_spans(text: str, starts: Sequence[int], edits: Iterable[TextEdit]) -> list[tuple[int, int, str]]:
    """``(start offset, end offset, new text)`` of each edit, in order."""
    spans = []
    for edit in edits:
        a = position_to_offset(text, starts, edit.range.start)
        b = position_to_offset(text, starts, edit.range.end)
        spans.append((min(a, b), max(a, b), edit.new_text))
    return sorted(spans, key=lambda s: (s[0], s[1]))


def _overlaps(a: tuple[int, int, str], b: tuple[int, int, str]) -> bool:
    # Two insertions at the same point conflict too: their order would be arbitrary.
    if a[0] == a[1] == b[0] == b[1]:
        return True
    return a[0] < b[1] and b[0] < a[1]


def apply_edits(text: str, edits: Iterable[TextEdit]) -> str:
    """``text`` with every edit applied. Raises ValueError if two edits overlap."""
    starts = line_starts(text)
    spans = edit_spans(text, starts, edits)
    for prev, cur in zip(spans, spans[1:], strict=False):
        if _overlaps(prev, cur):
            raise ValueError(f"overlapping edits at offsets {prev[0]}-{prev[1]} and {cur[0]}-{cur[1]}")
    return _splice(text, spans)


def _splice(text: str, spans: list[tuple[int, int, str]]) -> str:
    out, pos = [], 0
    for a, b, new in spans:
        out.append(text[pos:a])
        out.append(new)
        pos = b
    out.append(text[pos:])
    return "".join(out)


@dataclass
class FixPass:
    """The outcome of one pass: the new text and the findings whose fixes were applied."""

    text: str
    applied: list[Finding] = field(default_factory=list)


def apply_fixes(text: str, findings: Iterable[Finding], *, unsafe: bool = False) -> FixPass:
    """Apply every applicable, non-conflicting fix in one pass.

    Safe fixes only unless ``unsafe``. When two fixes overlap, the one that comes first in the
    file wins; the other is left for the next pass (after re-analysis), as ruff does.
    """
    starts = line_starts(text)
    accepted: list[tuple[int, int, str]] = []
    applied: list[Finding] = []
    candidates = [f for f in findings if f.fix is not None and f.fix.edits and (unsafe or f.fix.safe)]
    candidates.sort(key=lambda f: (f.range.start, f.code))
    for finding in candidates:
        assert finding.fix is not None
        spans = edit_spans(text, starts, finding.fix.edits)
        if any(_overlaps(s, t) for s in spans for t in accepted) or _self_overlap(spans):
            continue
        new_accepted = sorted([*accepted, *spans], key=lambda s: (s[0], s[1]))
        if _splice(text, new_accepted) == _splice(text, accepted):
            continue  # a no-op fix would loop forever and counts as nothing
        accepted = new_accepted
        applied.append(finding)
    return FixPass(_splice(text, accepted), applied)


def _self_overlap(spans: list[tuple[int, int, str]]) -> bool:
    return any(_overlaps(a, b) for a, b in zip(spans, spans[1:], strict=False))


@dataclass
class FixResult:
    """Fixing one document to a fixed point."""

    text: str
    fixed: Counter[str]
    remaining: list[Finding]


def fix_until_stable(text: str, analyze: Callable[[str], list[Finding]], *, unsafe: bool = False,
                     max_passes: int = 10,
                     allowed: Callable[[str, Finding], bool] | None = None,
                     applied: Callable[[str, list[Finding]], None] | None = None) -> FixResult:
    """Alternate analysis and :func:`apply_fixes` until no fix applies (or ``max_passes``).

    ``analyze`` maps text to its findings; the returned ``remaining`` are the findings of the
    final text, so callers report what is really left. ``allowed(text, finding)`` may hold a
    fix back (a notebook's: one that crosses a cell's start); ``applied(text, findings)`` hears
    of each pass kept, with the text it was applied to."""
    fixed: Counter[str] = Counter()
    findings = analyze(text)
    for _ in range(max_passes):
        candidates = findings if allowed is None else [f for f in findings if allowed(text, f)]
        outcome = apply_fixes(text, candidates, unsafe=unsafe)
        if not outcome.applied or outcome.text == text:
            break
        new_findings = analyze(outcome.text)
        if any(f.code == "MLS001" for f in new_findings) and not any(
                f.code == "MLS001" for f in findings):
            break  # a fix that breaks the syntax is not applied
        if applied is not None:
            applied(text, outcome.applied)
        fixed.update(f.code for f in outcome.applied)
        text, findings = outcome.text, new_findings
    return FixResult(text, fixed, findings)


def recording_analyzer(path: str, config: Any) -> tuple[Callable[[str], list[Finding]],
                                                      list[tuple[str, str, str]]]:
    """An ``analyze(text) -> findings`` for :func:`fix_until_stable` over one document (its
    analyses incremental between passes) and the list it fills with the rule families that
    failed, as ``(family, error, traceback)``."""
    from ...analyzers.engine import DocumentAnalyzer

    analyzer = DocumentAnalyzer(path, config)
    rule_errors: list[tuple[str, str, str]] = []

    def analyze(source: str) -> list[Finding]:
        result = analyzer.analyze(source)
        rule_errors.extend((e.family, e.error, e.traceback) for e in result.rule_errors)
        return result.findings

    return analyze, rule_errors
