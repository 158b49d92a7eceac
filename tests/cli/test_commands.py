"""``mlsense --version``, ``rules``, ``rule``, ``serve`` argument handling, bare invocation."""

from __future__ import annotations

from pathlib import Path

from mlsense import __version__
from mlsense.analyzers import all_rules

from .conftest import run_cli

ROOT = Path(__file__).resolve().parents[2]


def test_version(tmp_path: Path) -> None:
    run = run_cli("--version", cwd=tmp_path)
    assert run.returncode == 0 and run.stdout.strip() == f"mlsense {__version__}"


def test_no_command_prints_help_and_exits_2(tmp_path: Path) -> None:
    run = run_cli(cwd=tmp_path)
    assert run.returncode == 2 and "check" in run.stderr


def test_unknown_option_is_a_usage_error(tmp_path: Path) -> None:
    run = run_cli("check", ".", "--frobnicate", cwd=tmp_path)
    assert run.returncode == 2 and "unrecognized arguments: --frobnicate" in run.stderr


def test_rules_lists_every_registered_rule(tmp_path: Path) -> None:
    run = run_cli("rules", "--output-format", "json", cwd=tmp_path)
    assert run.returncode == 0
    listed = run.json()
    assert [r["code"] for r in listed] == [r.code for r in all_rules()]
    by_code = {r["code"]: r for r in listed}
    assert by_code["MLS301"]["fixable"] is True and by_code["MLS301"]["family"] == "keras-api"
    assert by_code["MLS001"]["default_enabled"] is True
    text = run_cli("rules", cwd=tmp_path)
    assert text.returncode == 0
    assert text.stdout.splitlines()[0].split() == ["CODE", "NAME", "FAMILY", "DEFAULT", "FIX",
                                                   "SEVERITY"]
    assert len(text.stdout.splitlines()) == len(listed) + 1


def test_rule_prints_the_docs_page_or_a_description(tmp_path: Path) -> None:
    run = run_cli("rule", "mls301", cwd=tmp_path)
    assert run.returncode == 0
    page = ROOT / "docs" / "rules" / "MLS301.md"
    if page.exists():
        assert run.stdout == page.read_text(encoding="utf-8")
    else:
        assert run.stdout.startswith("# MLS301 keras-input-shape-argument")


def test_rule_with_unknown_code_exits_2(tmp_path: Path) -> None:
    run = run_cli("rule", "MLS999", cwd=tmp_path)
    assert run.returncode == 2 and "unknown rule code: MLS999" in run.stderr


def test_serve_rejects_two_transports(tmp_path: Path) -> None:
    run = run_cli("serve", "--tcp", "--ws", cwd=tmp_path)
    assert run.returncode == 2 and "not allowed with" in run.stderr
