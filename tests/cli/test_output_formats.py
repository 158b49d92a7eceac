"""``mlsense check`` output formats: text, JSON (ruff's fields), SARIF 2.1.0, statistics."""

from __future__ import annotations

from pathlib import Path

from .conftest import FIXABLE, SELECT, run_cli


def test_text_lists_findings_ruff_style_and_exits_1(project: Path) -> None:
    run = run_cli("check", ".", *SELECT, cwd=project)
    assert run.returncode == 1, run.stderr
    lines = run.stdout.splitlines()
    col = FIXABLE.splitlines()[2].index("input_shape") + 1
    assert lines[0].startswith(f"fixable.py:3:{col}: MLS301 [*] Keras 3 prefers")
    # Sorted by path; the unfixable finding has no [*] marker.
    assert lines[1].startswith("pkg/unfixable.py:4:")
    assert "MLS301 Keras 3" in lines[1]
    assert "Found 2 errors." in lines
    assert "[*] 1 fixable with the `--fix` option." in lines


def test_clean_project_passes(project: Path) -> None:
    run = run_cli("check", "pkg/clean.py", *SELECT, cwd=project)
    assert run.returncode == 0
    assert run.stdout.strip() == "All checks passed!"


def test_json_uses_ruff_field_names_and_one_based_positions(project: Path) -> None:
    run = run_cli("check", ".", "--output-format", "json", *SELECT, cwd=project)
    assert run.returncode == 1
    items = run.json()
    assert [Path(i["filename"]).name for i in items] == ["fixable.py", "unfixable.py"]
    first = items[0]
    assert Path(first["filename"]).is_absolute()
    assert first["code"] == "MLS301" and first["name"] == "keras-input-shape-argument"
    assert first["severity"] == "warning"
    line = FIXABLE.splitlines()[2]
    start = line.index("input_shape=(4,)")
    assert first["location"] == {"row": 3, "column": start + 1}
    assert first["end_location"] == {"row": 3, "column": start + len("input_shape=(4,)") + 1}
    assert first["noqa_row"] == 3
    assert first["url"].endswith("MLS301.md")
    fix = first["fix"]
    assert fix["applicability"] == "safe" and fix["message"]
    edit = fix["edits"][0]
    assert edit["location"]["row"] == 3 and edit["content"].startswith("keras.Input(shape=(4,))")
    assert items[1]["fix"] is None


def test_json_is_an_empty_list_when_clean(project: Path) -> None:
    run = run_cli("check", "pkg/clean.py", "--output-format", "json", cwd=project)
    assert run.returncode == 0 and run.json() == []


def test_sarif_has_the_essentials_github_needs(project: Path) -> None:
    run = run_cli("check", ".", "--output-format", "sarif", *SELECT, cwd=project)
    assert run.returncode == 1
    log = run.json()
    assert log["version"] == "2.1.0" and "sarif" in log["$schema"]
    (sarif_run,) = log["runs"]
    driver = sarif_run["tool"]["driver"]
    assert driver["name"] == "mlsense" and driver["version"]
    rules = driver["rules"]
    ids = [r["id"] for r in rules]
    assert "MLS301" in ids and len(ids) == len(set(ids))
    for rule in rules:
        assert rule["name"] and rule["shortDescription"]["text"] and rule["helpUri"]
        assert rule["defaultConfiguration"]["level"] in {"error", "warning", "note", "none"}
    base = sarif_run["originalUriBaseIds"]["%SRCROOT%"]["uri"]
    assert base.startswith("file://") and base.endswith("/")
    results = sarif_run["results"]
    assert len(results) == 2
    for result in results:
        assert result["ruleId"] == "MLS301" and result["level"] == "warning"
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
        assert result["message"]["text"]
        loc = result["locations"][0]["physicalLocation"]
        assert loc["artifactLocation"]["uriBaseId"] == "%SRCROOT%"
        assert not loc["artifactLocation"]["uri"].startswith(("/", "file:"))
        region = loc["region"]
        assert min(region.values()) >= 1
        assert (region["endLine"], region["endColumn"]) >= (region["startLine"], region["startColumn"])
    uris = [r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in results]
    assert uris == ["fixable.py", "pkg/unfixable.py"]
    assert results[0]["locations"][0]["physicalLocation"]["region"]["startLine"] == 3


def test_statistics_counts_per_code(project: Path) -> None:
    (project / "more.py").write_text(FIXABLE, encoding="utf-8")
    run = run_cli("check", ".", "--statistics", *SELECT, cwd=project)
    assert run.returncode == 1
    assert run.stdout.splitlines() == ["3\tMLS301\t[*] keras-input-shape-argument"]
    run = run_cli("check", ".", "--statistics", "--output-format", "json", *SELECT, cwd=project)
    assert run.json() == [{"code": "MLS301", "name": "keras-input-shape-argument", "count": 3,
                           "fixable": True}]


def test_syntax_error_is_a_located_finding(tmp_path: Path) -> None:
    (tmp_path / "broken.py").write_text("x = 1\ndef f(:\n    pass\n", encoding="utf-8")
    run = run_cli("check", "broken.py", "--output-format", "json", cwd=tmp_path)
    assert run.returncode == 1
    (item,) = run.json()
    assert item["code"] == "MLS001" and item["location"]["row"] == 2
