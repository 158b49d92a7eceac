"""Rule selection from the command line and from pyproject.toml, noqa, severities, exit codes."""

from __future__ import annotations

from pathlib import Path

from .conftest import FIXABLE, SELECT, run_cli


def _codes(run) -> list[str]:
    return [item["code"] for item in run.json()]


def test_ignore_and_select_on_the_command_line(project: Path) -> None:
    run = run_cli("check", ".", "--output-format", "json", "--ignore", "MLS3", cwd=project)
    assert run.returncode == 0 and _codes(run) == []
    run = run_cli("check", ".", "--output-format", "json", "--select", "MLS001", cwd=project)
    assert run.returncode == 0 and _codes(run) == []
    run = run_cli("check", ".", "--output-format", "json", "--select", "MLS001",
                  "--extend-select", "MLS301", cwd=project)
    assert _codes(run) == ["MLS301", "MLS301"]


def test_unknown_selector_is_a_usage_error(project: Path) -> None:
    run = run_cli("check", ".", "--select", "NOPE1", cwd=project)
    assert run.returncode == 2
    assert "unknown rule selector: NOPE1" in run.stderr


def test_pyproject_ignore_and_per_file_ignores(project: Path) -> None:
    (project / "pyproject.toml").write_text(
        '[tool.mlsense]\nselect = ["MLS0", "MLS301"]\n'
        '[tool.mlsense.per-file-ignores]\n"pkg/*" = ["MLS301"]\n', encoding="utf-8")
    run = run_cli("check", ".", "--output-format", "json", cwd=project)
    assert [Path(i["filename"]).name for i in run.json()] == ["fixable.py"]
    # The command line adds to the file's ignores.
    run = run_cli("check", ".", "--output-format", "json", "--ignore", "MLS301", cwd=project)
    assert run.returncode == 0 and run.json() == []


def test_command_line_is_a_layer_over_the_file_like_ruff(project: Path) -> None:
    (project / "pyproject.toml").write_text(
        '[tool.mlsense]\nselect = ["MLS0", "MLS3"]\nignore = ["MLS301"]\n'
        '[tool.mlsense.per-file-ignores]\n"pkg/*" = ["MLS301"]\n', encoding="utf-8")
    assert run_cli("check", ".", cwd=project).returncode == 0
    # Naming the code on the command line overrides the file's ignore...
    for option in ("--select", "--extend-select"):
        run = run_cli("check", ".", "--output-format", "json", option, "MLS301", cwd=project)
        # ...and per-file-ignores still apply on top.
        assert [Path(i["filename"]).name for i in run.json()] == ["fixable.py"], option
    # A less specific command-line ignore beats the file's more specific select.
    (project / "only301.toml").write_text('select = ["MLS301"]\n', encoding="utf-8")
    run = run_cli("check", ".", "--output-format", "json", "--config", "only301.toml",
                  cwd=project)
    assert len(run.json()) == 2
    run = run_cli("check", ".", "--output-format", "json", "--config", "only301.toml",
                  "--ignore", "MLS3", cwd=project)
    assert run.returncode == 0 and run.json() == []


def test_nested_pyproject_applies_to_its_folder_only(project: Path) -> None:
    (project / "pyproject.toml").write_text('[tool.mlsense]\nselect = ["MLS0", "MLS301"]\n',
                                            encoding="utf-8")
    (project / "pkg" / "pyproject.toml").write_text('[tool.mlsense]\nignore = ["MLS301"]\n',
                                                    encoding="utf-8")
    run = run_cli("check", ".", "--output-format", "json", cwd=project)
    assert [Path(i["filename"]).name for i in run.json()] == ["fixable.py"]


def test_config_option_overrides_discovery(project: Path) -> None:
    (project / "pyproject.toml").write_text('[tool.mlsense]\nignore = ["MLS301"]\n',
                                            encoding="utf-8")
    (project / "strict.toml").write_text('select = ["MLS0", "MLS301"]\n', encoding="utf-8")
    assert run_cli("check", ".", cwd=project).returncode == 0
    run = run_cli("check", ".", "--config", "strict.toml", "--output-format", "json", cwd=project)
    assert run.returncode == 1 and len(run.json()) == 2


def test_information_severity_does_not_fail(project: Path) -> None:
    (project / "pyproject.toml").write_text(
        '[tool.mlsense]\nselect = ["MLS0", "MLS301"]\n'
        '[tool.mlsense.severity]\nMLS301 = "information"\n', encoding="utf-8")
    run = run_cli("check", ".", "--output-format", "json", cwd=project)
    assert run.returncode == 0, run.stdout
    assert [i["severity"] for i in run.json()] == ["information", "information"]  # still shown


def test_invalid_config_exits_2_with_the_file_named(project: Path) -> None:
    (project / "pyproject.toml").write_text('[tool.mlsense]\nselect = "MLS0"\nbogus = 1\n',
                                            encoding="utf-8")
    run = run_cli("check", ".", cwd=project)
    assert run.returncode == 2
    assert "pyproject.toml" in run.stderr and "bogus" in run.stderr
    assert "Traceback" not in run.stderr
    (project / "pyproject.toml").write_text("[tool.mlsense\n", encoding="utf-8")
    run = run_cli("check", ".", cwd=project)
    assert run.returncode == 2 and "invalid configuration" in run.stderr


def test_noqa_comments(tmp_path: Path) -> None:
    line = FIXABLE.splitlines()[2]
    (tmp_path / "a.py").write_text(f"import keras\n{line}  # noqa: MLS301\n", encoding="utf-8")
    (tmp_path / "b.py").write_text(f"import keras\n{line}  # noqa\n", encoding="utf-8")
    (tmp_path / "c.py").write_text(f"import keras\n{line}  # noqa: MLS999\n", encoding="utf-8")
    (tmp_path / "d.py").write_text(f"# mlsense: noqa\nimport keras\n{line}\n", encoding="utf-8")
    run = run_cli("check", ".", "--output-format", "json", *SELECT, cwd=tmp_path)
    assert [Path(i["filename"]).name for i in run.json()] == ["c.py"]


def test_exit_zero(project: Path) -> None:
    run = run_cli("check", ".", "--exit-zero", *SELECT, cwd=project)
    assert run.returncode == 0 and "Found 2 errors." in run.stdout


def test_exclude_in_config(project: Path) -> None:
    (project / "pyproject.toml").write_text(
        '[tool.mlsense]\nselect = ["MLS0", "MLS301"]\nexclude = ["pkg"]\n', encoding="utf-8")
    run = run_cli("check", ".", "--output-format", "json", cwd=project)
    assert [Path(i["filename"]).name for i in run.json()] == ["fixable.py"]


def test_force_exclude_applies_exclude_to_named_files(project: Path) -> None:
    (project / "pyproject.toml").write_text(
        '[tool.mlsense]\nselect = ["MLS0", "MLS301"]\nexclude = ["pkg"]\n', encoding="utf-8")
    named = ("fixable.py", "pkg/unfixable.py")
    run = run_cli("check", *named, "--output-format", "json", cwd=project)
    assert len(run.json()) == 2  # named files are checked even when excluded...
    run = run_cli("check", *named, "--force-exclude", "--output-format", "json", cwd=project)
    assert [Path(i["filename"]).name for i in run.json()] == ["fixable.py"]  # ...unless forced
