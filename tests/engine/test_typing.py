"""Every prefix of every file of the test corpus, fed as successive versions (as a person types):
an answer each time, at most one syntax-error finding, and the same result as a fresh analysis."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlsense.analyzers import DocumentAnalyzer, analyze_text

ROOT = Path(__file__).resolve().parents[2]
CORPUS = sorted([*ROOT.glob("examples/*.py"), *ROOT.glob("tests/fixtures/rules/*.py"),
                 *ROOT.glob("bench/models/*/*.py")])


@pytest.mark.parametrize("path", CORPUS, ids=lambda p: str(p.relative_to(ROOT)))
def test_typing_every_prefix(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    analyzer = DocumentAnalyzer(str(path))
    for end in range(len(text) + 1):
        result = analyzer.analyze(text[:end])
        assert [f.code for f in result.findings].count("MLS001") <= 1
        assert not result.rule_errors, result.rule_errors
        if end % 97 == 0 or end == len(text):
            assert result.findings == analyze_text(text[:end], str(path)).findings
