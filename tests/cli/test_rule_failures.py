"""A rule family that fails is visible wherever a user looks: a line in the text output, an
entry in JSON, a SARIF tool-execution notification with ``executionSuccessful: false``, and
exit status 2 unless ``--exit-zero`` -- never a silent "All checks passed!".

The failing family is a user's own rule module loaded with ``--plugin`` (``python -m`` puts the
working directory on ``sys.path``, as for any team's local rules)."""

from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import CLEAN, FIXABLE, run_cli

PLUGIN = '''
import libcst as cst

from mlsense.analyzers import ChunkRule, RuleInfo, register


@register
class BrokenTeamRule(ChunkRule):
    family = "team-broken"
    rules = (RuleInfo("MLS993", "team-broken-rule", "never reported"),)

    def visit_Call(self, node: cst.Call) -> None:
        raise KeyError("config")
'''
ARGS = ("--plugin", "team_rules", "--select", "MLS0,MLS301,MLS993")


@pytest.fixture
def broken(tmp_path: Path) -> Path:
    (tmp_path / "team_rules.py").write_text(PLUGIN, encoding="utf-8")
    (tmp_path / "fixable.py").write_text(FIXABLE, encoding="utf-8")
    (tmp_path / "clean.py").write_text(CLEAN, encoding="utf-8")
    return tmp_path


def test_text_output_says_which_family_failed_and_exits_2(broken: Path) -> None:
    run = run_cli("check", "clean.py", *ARGS, cwd=broken)
    assert run.returncode == 2, run
    assert "All checks passed!" not in run.stdout
    assert ("clean.py: error: rule family `team-broken` failed and its checks did not run on "
            "this file: KeyError: 'config'") in run.stdout
    assert "1 rule family failed on 1 file" in run.stdout
    # The other families still ran: the finding in fixable.py is reported next to the failure.
    both = run_cli("check", ".", *ARGS, "--exit-zero", cwd=broken)
    assert both.returncode == 0
    assert "fixable.py:3:" in both.stdout and "MLS301" in both.stdout
    assert "1 rule family failed on 3 files" in both.stdout  # team_rules.py is checked too


def test_json_has_one_entry_per_failure(broken: Path) -> None:
    run = run_cli("check", ".", *ARGS, "--output-format", "json", cwd=broken)
    assert run.returncode == 2
    items = run.json()
    failures = [i for i in items if i.get("kind") == "rule-error"]
    assert sorted(Path(i["filename"]).name for i in failures) == [
        "clean.py", "fixable.py", "team_rules.py"]
    assert all(i["code"] is None and i["family"] == "team-broken" for i in failures)
    assert [i["code"] for i in items if i.get("kind") != "rule-error"] == ["MLS301"]
    assert "rule family `team-broken` failed" in run.stderr  # stdout is for the machine


def test_sarif_reports_an_unsuccessful_execution(broken: Path) -> None:
    run = run_cli("check", "clean.py", *ARGS, "--output-format", "sarif", cwd=broken)
    assert run.returncode == 2
    invocation = run.json()["runs"][0]["invocations"][0]
    assert invocation["executionSuccessful"] is False
    [note] = invocation["toolExecutionNotifications"]
    assert note["level"] == "error" and note["descriptor"] == {"id": "team-broken"}
    assert note["exception"] == {"kind": "KeyError", "message": "'config'"}
    assert note["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "clean.py"


def test_without_failures_sarif_execution_is_successful(broken: Path) -> None:
    run = run_cli("check", "clean.py", "--select", "MLS0,MLS301", "--output-format", "sarif",
                  cwd=broken)
    assert run.returncode == 0
    invocation = run.json()["runs"][0]["invocations"][0]
    assert invocation == {"executionSuccessful": True, "toolExecutionNotifications": []}


def test_failures_in_worker_processes_are_reported_too(broken: Path) -> None:
    for i in range(12):  # enough files for the process pool
        (broken / f"m{i}.py").write_text(CLEAN, encoding="utf-8")
    run = run_cli("check", ".", *ARGS, "-j", "2", cwd=broken)
    assert run.returncode == 2
    assert run.stdout.count("error: rule family `team-broken` failed") == 15


def test_a_plugin_that_does_not_import_is_a_usage_error(broken: Path) -> None:
    run = run_cli("check", ".", "--plugin", "no_such_team_rules", cwd=broken)
    assert run.returncode == 2
    assert "plugin `no_such_team_rules` could not be imported: ModuleNotFoundError" in run.stderr
