"""Fixture-driven rule tests (TorchFix style).

* ``tests/fixtures/rules/<CODE>_<name>.py``: every line that must report ends with
  ``# expect: MLS201`` (several codes: ``# expect: MLS201, MLS202``); every other line must not
  report anything. All rules run, including those off by default.
* ``<CODE>_<name>.in.py`` -> ``<CODE>_<name>.out.py``: applying the fixes of every ``<CODE>``
  finding to the ``.in.py`` text gives the ``.out.py`` text, which reports ``<CODE>`` only where
  no fix was offered.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from mlsense.analyzers import AnalysisResult, Config, Finding, all_rules, analyze_text
from mlsense.analyzers.registry import families

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "rules"
DOCS = Path(__file__).resolve().parents[2] / "docs" / "rules"
_EXPECT = re.compile(r"#\s*expect:\s*(?P<codes>MLS\d+(?:\s*,\s*MLS\d+)*)")
ALL = Config(select=("ALL",))
# Other test modules may register throwaway families in the same process: judge only ours.
_OURS = [f for f in families() if f.__module__.startswith("mlsense.analyzers.rules")]
BUILTIN = frozenset({r.code for f in _OURS for r in f.rules}
                    | {r.code for r in all_rules() if r.family == "engine"})


def builtin_errors(result: AnalysisResult) -> list:
    """Rule errors of the built-in families (not of test families registered elsewhere)."""
    ours = {f.family for f in _OURS}
    return [e for e in result.rule_errors if e.family in ours]


def _checker_fixtures() -> list[Path]:
    return sorted(p for p in FIXTURES.glob("MLS*.py") if not p.name.endswith((".in.py", ".out.py")))


def _fix_fixtures() -> list[Path]:
    return sorted(FIXTURES.glob("MLS*.in.py"))


def expected_findings(text: str) -> list[tuple[int, str]]:
    """(1-based line, code) pairs declared by ``# expect:`` comments."""
    out = []
    for i, line in enumerate(text.splitlines(), 1):
        m = _EXPECT.search(line)
        if m:
            out.extend((i, c.strip()) for c in m.group("codes").split(","))
    return sorted(out)


def apply_fixes(text: str, findings: list[Finding]) -> str:
    """Apply the findings' fix edits (non-overlapping) to ``text``."""
    lines = text.splitlines(keepends=True)
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line))

    def offset(pos) -> int:  # noqa: ANN001 - a findings.Position
        return starts[pos.line] + pos.column

    edits = sorted(((offset(e.range.start), offset(e.range.end), e.new_text)
                    for f in findings if f.fix is not None for e in f.fix.edits), reverse=True)
    previous_start = len(text) + 1
    for start, end, new in edits:
        assert end <= previous_start, "overlapping fix edits"
        text = text[:start] + new + text[end:]
        previous_start = start
    return text


@pytest.mark.parametrize("path", _checker_fixtures(), ids=lambda p: p.stem)
def test_checker_fixture(path: Path) -> None:
    text = path.read_text()
    result = analyze_text(text, str(path), ALL)
    assert not builtin_errors(result), result.rule_errors
    got = sorted((f.range.start.line + 1, f.code) for f in result.findings if f.code in BUILTIN)
    assert got == expected_findings(text)


@pytest.mark.parametrize("path", _fix_fixtures(), ids=lambda p: p.name[:-len(".in.py")])
def test_fix_fixture(path: Path) -> None:
    code = path.name.split("_", 1)[0]
    text = path.read_text()
    expected = path.with_name(path.name[:-len(".in.py")] + ".out.py").read_text()
    result = analyze_text(text, str(path), ALL)
    findings = [f for f in result.findings if f.code == code]
    assert findings, f"{path.name} must report {code}"
    unfixable = [f for f in findings if f.fix is None]
    assert len(unfixable) < len(findings), f"no {code} finding in {path.name} has a fix"
    fixed = apply_fixes(text, findings)
    assert fixed == expected
    again = analyze_text(fixed, str(path), ALL)
    assert again.syntax_error is None
    # What had a fix is gone; what had none (outside the fix's reach) stays.
    assert len([f for f in again.findings if f.code == code]) == len(unfixable)


def test_fixtures_present() -> None:
    assert len(_checker_fixtures()) >= 10 and len(_fix_fixtures()) >= 5


@pytest.mark.parametrize("rule", [r for r in all_rules() if r.code in BUILTIN
                                  and not r.code.startswith("MLS0")],
                         ids=lambda r: r.code)
def test_every_rule_has_docs_and_fixture(rule) -> None:  # noqa: ANN001 - a RuleInfo
    page = DOCS / f"{rule.code}.md"
    assert page.is_file(), f"missing docs page {page}"
    doc = page.read_text()
    assert rule.name in doc and "```python" in doc
    hits = [p for p in FIXTURES.glob("MLS*.py") if rule.code in p.read_text()
            or p.name.startswith(rule.code)]
    assert hits, f"no fixture exercises {rule.code}"
    if rule.fixable:
        assert any(p.name.startswith(rule.code) for p in _fix_fixtures()), \
            f"{rule.code} is fixable but has no .in.py/.out.py fixture"
