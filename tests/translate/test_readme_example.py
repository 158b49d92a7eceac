"""The README's whole training script, before and after: the first block translates to exactly
the second, and the second runs (real torch) and trains the same as the first (issue 13)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from mlsense.translators import translate
from mlsense.translators.verify import verify_translation

README = Path(__file__).resolve().parents[2] / "README.md"


def _block(marker: str) -> str:
    text = README.read_text(encoding="utf-8")
    found = re.search(rf"<!-- {marker} -->\n```python\n(.*?)\n```", text, re.S)
    assert found is not None, f"README has no {marker} block"
    return found.group(1) + "\n"


def test_readme_before_translates_to_after() -> None:
    before, after = _block("training-before"), _block("training-after")
    assert "keras.callbacks." in before and "schedules." in before
    assert ".evaluate(" in before and ".predict(" in before
    assert translate(before, "pytorch").target_code == after


@pytest.mark.slow
def test_readme_after_runs_and_trains_the_same(tmp_path: Path) -> None:
    before, after = _block("training-before"), _block("training-after")
    script = tmp_path / "after.py"
    script.write_text(after)
    proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                          cwd=tmp_path, timeout=240)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert re.search(r"^loss \d+\.\d{3}, accuracy \d\.\d{3}$", proc.stdout, re.M), proc.stdout
    assert re.search(r"^classes \[[0-3 ]+\]$", proc.stdout, re.M), proc.stdout
    source = tmp_path / "before.py"
    source.write_text(before)
    report = verify_translation(str(source), translate(before, "pytorch"), onnx=False)
    assert report.verified and report.training is not None and report.training.verified, \
        report.message
    assert "schedule followed at every step" in report.message
