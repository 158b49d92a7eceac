"""``--fix`` / ``--diff`` through the CLI, and the pure edit helpers in server/fixes.py."""

from __future__ import annotations

import os
import stat
from dataclasses import replace
from pathlib import Path

import pytest

from mlsense.analyzers import analyze_text
from mlsense.analyzers.findings import Position, Range, TextEdit
from mlsense.server.cli.fixes import apply_edits, apply_fixes, fix_until_stable, line_starts

from .conftest import CLEAN, FIXABLE, FIXABLE_AFTER, SELECT, UNFIXABLE, run_cli


def test_fix_rewrites_only_fixable_findings_and_is_idempotent(project: Path) -> None:
    os.chmod(project / "fixable.py", 0o640)
    run = run_cli("check", ".", "--fix", *SELECT, cwd=project)
    assert run.returncode == 1  # the unfixable finding remains
    assert "Found 2 errors (1 fixed, 1 remaining)." in run.stdout
    assert "pkg/unfixable.py:4:" in run.stdout and "fixable.py:3:" not in run.stdout
    assert (project / "fixable.py").read_text(encoding="utf-8") == FIXABLE_AFTER
    assert (project / "pkg" / "unfixable.py").read_text(encoding="utf-8") == UNFIXABLE
    assert (project / "pkg" / "clean.py").read_text(encoding="utf-8") == CLEAN
    assert stat.S_IMODE((project / "fixable.py").stat().st_mode) == 0o640  # mode kept
    assert not [p for p in project.rglob("*") if "mlsense-tmp" in p.name]
    before = {p: p.stat().st_mtime_ns for p in project.rglob("*.py")}
    again = run_cli("check", ".", "--fix", *SELECT, cwd=project)
    assert again.returncode == 1 and "Found 1 error." in again.stdout
    assert {p: p.stat().st_mtime_ns for p in project.rglob("*.py")} == before  # nothing written


def test_fix_of_everything_exits_0(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text(FIXABLE, encoding="utf-8")
    run = run_cli("check", "a.py", "--fix", "--show-fixes", *SELECT, cwd=tmp_path)
    assert run.returncode == 0, run.stdout
    assert "1 × MLS301 (keras-input-shape-argument)" in run.stdout
    assert (tmp_path / "a.py").read_text(encoding="utf-8") == FIXABLE_AFTER


def test_fix_keeps_crlf_and_the_declared_encoding(tmp_path: Path) -> None:
    source = ("# -*- coding: latin-1 -*-\n# café\n" + FIXABLE).replace("\n", "\r\n")
    (tmp_path / "a.py").write_bytes(source.encode("latin-1"))
    run = run_cli("check", "a.py", "--fix", *SELECT, cwd=tmp_path)
    assert run.returncode == 0, run.stdout + run.stderr
    expected = ("# -*- coding: latin-1 -*-\n# café\n" + FIXABLE_AFTER).replace("\n", "\r\n")
    assert (tmp_path / "a.py").read_bytes() == expected.encode("latin-1")


def test_diff_prints_a_diff_and_writes_nothing(project: Path) -> None:
    run = run_cli("check", ".", "--diff", *SELECT, cwd=project)
    assert run.returncode == 1
    assert "--- a/fixable.py" in run.stdout and "+++ b/fixable.py" in run.stdout
    assert "+" + FIXABLE_AFTER.splitlines()[2] in run.stdout
    assert "Would fix 1 error." in run.stderr
    assert (project / "fixable.py").read_text(encoding="utf-8") == FIXABLE
    clean = run_cli("check", "pkg/clean.py", "--diff", cwd=project)
    assert clean.returncode == 0 and clean.stdout == ""


def _edit(l0: int, c0: int, l1: int, c1: int, text: str) -> TextEdit:
    return TextEdit(Range(Position(l0, c0), Position(l1, c1)), text)


def test_line_starts_count_crlf_and_cr_as_one_break() -> None:
    assert line_starts("a\r\nb\rc\nd") == [0, 3, 5, 7]
    assert line_starts("") == [0]


def test_apply_edits_uses_code_point_columns_and_rejects_overlaps() -> None:
    text = "é = 1\nx = 'ü'\n"
    assert apply_edits(text, [_edit(0, 0, 0, 1, "e"), _edit(1, 5, 1, 6, "u")]) == "e = 1\nx = 'u'\n"
    assert apply_edits(text, [_edit(2, 0, 2, 0, "y = 2\n")]) == text + "y = 2\n"
    with pytest.raises(ValueError, match="overlapping"):
        apply_edits(text, [_edit(0, 0, 0, 3, "a"), _edit(0, 2, 0, 4, "b")])


def test_fix_until_stable_matches_the_engine_and_reaches_a_fixed_point() -> None:
    text = FIXABLE + FIXABLE.splitlines()[2].replace("model", "other") + "\n"

    def analyze(source: str):
        return [f for f in analyze_text(source).findings if f.code == "MLS301"]

    findings = analyze(text)
    assert len(findings) == 2
    one_pass = apply_fixes(text, findings)
    assert len(one_pass.applied) == 2
    result = fix_until_stable(text, analyze)
    assert result.text == one_pass.text and result.fixed == {"MLS301": 2}
    assert result.remaining == [] and analyze(result.text) == []
    unsafe = [replace(f, fix=replace(f.fix, safe=False)) for f in findings]
    assert apply_fixes(text, unsafe).applied == []
    assert apply_fixes(text, unsafe, unsafe=True).text == one_pass.text
