"""Which configuration applies to each file ``mlsense check`` reads.

A file's configuration comes from the nearest pyproject.toml with a ``[tool.mlsense]`` table
(looked up once per folder and cached: no per-file walk up the tree), or from ``--config FILE``;
the command line's ``--select`` / ``--extend-select`` / ``--ignore`` are a second layer on top.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ...analyzers.config import Config, ConfigError, config_from_mapping
from ...analyzers.registry import all_rules


@dataclass
class ConfigOverrides:
    """Rule selection given on the command line; applied on top of every file's config."""

    select: tuple[str, ...] | None = None
    extend_select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()

    def is_empty(self) -> bool:
        return self.select is None and not self.extend_select and not self.ignore

    def apply(self, config: Config) -> Config:
        """``config`` with the command line as a second layer on top, as ruff layers them.

        The file's select/extend-select/ignore decide first; then, per code, the most specific
        command-line selector (ignore winning ties) overrides that, and ``--select`` turns off
        whatever it does not name. The result names the enabled codes exactly; the file's
        per-file-ignores still apply on top.
        """
        if self.is_empty():
            return config
        file_layer = config.merged(per_file_ignores={})
        enabled = []
        for info in all_rules():
            on = file_layer.is_enabled(info.code, info.default_enabled)
            decision = self._decide(info.code)
            if decision is not None:
                on = decision
            elif self.select is not None:
                on = False
            if on:
                enabled.append(info.code)
        return config.merged(select=tuple(enabled), extend_select=(), ignore=())

    def _decide(self, code: str) -> bool | None:
        """The command line's verdict on ``code``, or None if no selector matches it."""
        best, verdict = -1, None
        for selector in (*(self.select or ()), *self.extend_select):
            n = _selector_length(selector, code)
            if n > best:
                best, verdict = n, True
        for selector in self.ignore:
            n = _selector_length(selector, code)
            if n >= best and n >= 0:
                best, verdict = n, False
        return verdict


def _selector_length(selector: str, code: str) -> int:
    """How specifically ``selector`` names ``code`` (-1: not at all; ``ALL`` is 0)."""
    if selector == "ALL":
        return 0
    return len(selector) if code.startswith(selector) else -1


def _mlsense_table(path: Path) -> dict[str, Any] | None:
    """The ``[tool.mlsense]`` table of a pyproject.toml, or None if it has none."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: {exc}") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from exc
    table = data.get("tool", {}).get("mlsense")
    return table if isinstance(table, dict) else None


def load_config_file(path: Path) -> Config:
    """A configuration file given with ``--config``: a pyproject.toml with ``[tool.mlsense]``,
    or a file whose top-level keys are the ``[tool.mlsense]`` keys (``mlsense.toml``)."""
    if not path.is_file():
        raise ConfigError(f"{path}: configuration file does not exist")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: {exc}") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from exc
    table = data.get("tool", {}).get("mlsense") if "tool" in data else data
    if not isinstance(table, dict):
        table = {}
    return config_from_mapping(table, str(path), path.resolve().parent)


@dataclass
class ConfigResolver:
    """The configuration for any path, cached per folder (and per pyproject.toml).

    With ``fixed`` (``--config FILE``), every file uses that configuration.
    """

    overrides: ConfigOverrides = field(default_factory=ConfigOverrides)
    fixed: Config | None = None
    _by_folder: dict[Path, Config] = field(default_factory=dict)
    _by_pyproject: dict[Path, Config] = field(default_factory=dict)
    _default: Config | None = None

    def for_path(self, path: Path, is_dir: bool = False) -> Config:
        folder = Path(os.path.abspath(path if is_dir else path.parent))
        return self.for_folder(folder)

    def for_folder(self, folder: Path) -> Config:
        """Config for the files of ``folder`` (an absolute path). Raises ConfigError."""
        cached = self._by_folder.get(folder)
        if cached is not None:
            return cached
        if self.fixed is not None:
            config = self._default = self._default or self.overrides.apply(self.fixed)
        else:
            config = self._lookup(folder)
        self._by_folder[folder] = config
        return config

    def _lookup(self, folder: Path) -> Config:
        pyproject = folder / "pyproject.toml"
        if pyproject.is_file():
            if pyproject in self._by_pyproject:
                return self._by_pyproject[pyproject]
            table = _mlsense_table(pyproject)
            if table is not None:
                config = self.overrides.apply(config_from_mapping(table, str(pyproject), folder))
                self._by_pyproject[pyproject] = config
                return config
        if folder.parent == folder:
            self._default = self._default or self.overrides.apply(Config())
            return self._default
        return self.for_folder(folder.parent)

    def configs(self) -> list[Config]:
        """Every distinct configuration handed out so far."""
        seen: dict[int, Config] = {}
        for config in self._by_folder.values():
            seen.setdefault(id(config), config)
        return list(seen.values())
