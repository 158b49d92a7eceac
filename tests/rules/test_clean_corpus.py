"""A corpus of correct ML programs (tests/fixtures/clean/: training loops, a Trainer class with
AMP, modules with buffers, DDP, inference, scikit-learn pipelines, Keras models and a custom
loop, a JAX step) on which every rule, those off by default included (`--select ALL`), must stay
silent: a finding there is a false positive."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlsense.analyzers import Config, analyze_text

from .test_rule_fixtures import BUILTIN, builtin_errors

CLEAN = Path(__file__).resolve().parents[1] / "fixtures" / "clean"


def _programs() -> list[Path]:
    return sorted(CLEAN.glob("*.py"))


def test_corpus_present() -> None:
    assert len(_programs()) >= 8


@pytest.mark.parametrize("path", _programs(), ids=lambda p: p.stem)
def test_no_finding_on_correct_code(path: Path) -> None:
    result = analyze_text(path.read_text(encoding="utf-8"), str(path), Config(select=("ALL",)))
    assert not builtin_errors(result), result.rule_errors
    found = [(f.range.start.line + 1, f.code, f.message) for f in result.findings
             if f.code in BUILTIN]
    assert found == []
