"""Rule selection, severity overrides and pyproject discovery."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlsense.analyzers import Severity, analyze_text
from mlsense.analyzers.config import Config, ConfigError, config_from_mapping, load_config

SEED = Path(__file__).resolve().parents[2] / "examples" / "keras_regression.py"


def test_prefix_selection_most_specific_wins() -> None:
    cfg = Config(select=("MLS3",), ignore=("MLS30",), extend_select=("MLS301",))
    assert cfg.is_enabled("MLS301", default_enabled=False)
    assert not cfg.is_enabled("MLS302", default_enabled=True)
    assert not cfg.is_enabled("MLS101", default_enabled=True)
    assert cfg.is_enabled("MLS310", default_enabled=False)


def test_ignore_wins_a_tie_and_all_selects_off_by_default_rules() -> None:
    assert not Config(select=("MLS301",), ignore=("MLS301",)).is_enabled("MLS301", True)
    assert Config(select=("ALL",)).is_enabled("MLS999", default_enabled=False)
    assert not Config().is_enabled("MLS999", default_enabled=False)


def test_per_file_ignores_and_severity(tmp_path: Path) -> None:
    cfg = config_from_mapping({"per-file-ignores": {"tests/*.py": ["MLS3"]},
                               "severity": {"MLS3": "error", "MLS301": "hint"}}, root=tmp_path)
    assert not cfg.is_enabled("MLS301", True, str(tmp_path / "tests" / "a.py"))
    assert cfg.is_enabled("MLS301", True, str(tmp_path / "src" / "a.py"))
    assert cfg.severity_for("MLS301", Severity.WARNING) is Severity.HINT
    assert cfg.severity_for("MLS305", Severity.WARNING) is Severity.ERROR


@pytest.mark.parametrize("data, fragment", [
    ({"select": 3}, "`select` must be a list"),
    ({"severity": {"MLS301": "loud"}}, "must be error|warning|information|hint"),
    ({"selekt": ["MLS"]}, "unknown key(s) selekt"),
])
def test_bad_config_is_a_clear_error(data: dict, fragment: str) -> None:
    with pytest.raises(ConfigError, match=None) as info:
        config_from_mapping(data, "pyproject.toml")
    assert fragment in str(info.value) and "pyproject.toml" in str(info.value)


def test_pyproject_is_found_walking_up(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.mlsense]\nignore = ["MLS301"]\nexclude = ["build/"]\n', encoding="utf-8")
    nested = tmp_path / "pkg" / "sub"
    nested.mkdir(parents=True)
    (nested / "pyproject.toml").write_text("[project]\nname = 'x'\n", encoding="utf-8")
    cfg = load_config(nested / "model.py")
    assert cfg.ignore == ("MLS301",) and cfg.root == tmp_path
    assert cfg.is_excluded(tmp_path / "build" / "x.py")
    text = SEED.read_text(encoding="utf-8")
    assert "MLS301" in {f.code for f in analyze_text(text).findings}
    assert "MLS301" not in {f.code for f in analyze_text(text, str(nested / "m.py"), cfg).findings}
