"""Rule selection and severity configuration: ``[tool.mlsense]`` in pyproject.toml, CLI, LSP."""

from __future__ import annotations

import fnmatch
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePath
from typing import Any

from .findings import Severity


class ConfigError(ValueError):
    """A configuration value that cannot be used; the message names the key and the file."""


@dataclass(frozen=True)
class Config:
    """What to check and how loud. Code selectors are prefixes (``MLS2`` selects ``MLS201``...).

    ``select`` replaces the default selection when given; ``extend_select`` adds to it; ``ignore``
    removes. The most specific (longest) matching selector decides; on a tie ``ignore`` wins.
    ``ALL`` selects every rule, including those off by default.
    """

    select: tuple[str, ...] | None = None
    extend_select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    per_file_ignores: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    severity: Mapping[str, Severity] = field(default_factory=dict)
    exclude: tuple[str, ...] = ()
    root: Path | None = None  # folder of the pyproject.toml the config came from

    def merged(self, **overrides: Any) -> Config:
        """A copy with the given fields replaced (``None`` values are ignored)."""
        return replace(self, **{k: v for k, v in overrides.items() if v is not None})

    def is_enabled(self, code: str, default_enabled: bool, path: str | None = None) -> bool:
        """Whether ``code`` is on for ``path`` under this configuration."""
        best_len, enabled = -1, default_enabled
        if self.select is not None:
            enabled = False
        for selector in (*(self.select or ()), *self.extend_select):
            n = _match_len(selector, code)
            if n > best_len:
                best_len, enabled = n, True
        for selector in (*self.ignore, *self._file_ignores(path)):
            n = _match_len(selector, code)
            if n >= best_len and n >= 0:
                best_len, enabled = n, False
        return enabled

    def severity_for(self, code: str, default: Severity) -> Severity:
        """The configured severity of ``code`` (the longest matching prefix wins)."""
        best_len, sev = -1, default
        for selector, value in self.severity.items():
            n = _match_len(selector, code)
            if n > best_len:
                best_len, sev = n, value
        return sev

    def is_excluded(self, path: str | Path) -> bool:
        rel = self._relative(path)
        return any(_glob_match(rel, pattern) for pattern in self.exclude)

    def _file_ignores(self, path: str | None) -> Iterable[str]:
        if not path or not self.per_file_ignores:
            return ()
        rel = self._relative(path)
        out: list[str] = []
        for pattern, codes in self.per_file_ignores.items():
            if _glob_match(rel, pattern):
                out.extend(codes)
        return out

    def _relative(self, path: str | Path) -> str:
        p = Path(path)
        if self.root is not None:
            try:
                return p.resolve().relative_to(self.root.resolve()).as_posix()
            except (ValueError, OSError):
                pass
        return p.as_posix()


def _match_len(selector: str, code: str) -> int:
    """Length of ``selector`` if it selects ``code``, else -1 (``ALL`` counts as 0)."""
    selector = selector.strip().upper()
    if selector == "ALL":
        return 0
    return len(selector) if code.startswith(selector) else -1


def _glob_match(rel: str, pattern: str) -> bool:
    """ruff-like globs: a pattern without ``/`` matches the file name or any folder name."""
    if fnmatch.fnmatch(rel, pattern) or PurePath(rel).match(pattern):
        return True
    if "/" not in pattern.rstrip("/"):
        return any(fnmatch.fnmatch(part, pattern.rstrip("/")) for part in PurePath(rel).parts)
    return rel.startswith(pattern.rstrip("/") + "/")


def _codes(value: Any, key: str, source: str) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{source}: `{key}` must be a list of rule codes or prefixes")
    return tuple(v.strip().upper() for v in value)


def _globs(value: Any, key: str, source: str) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{source}: `{key}` must be a list of glob patterns")
    return tuple(value)


def config_from_mapping(data: Mapping[str, Any], source: str = "settings",
                        root: Path | None = None) -> Config:
    """Build a Config from a ``[tool.mlsense]``-shaped mapping (keys with - or _ both work)."""
    norm = {str(k).replace("_", "-"): v for k, v in data.items()}
    known = {"select", "extend-select", "ignore", "per-file-ignores", "severity", "exclude",
             "extend-exclude"}
    unknown = sorted(set(norm) - known)
    if unknown:
        raise ConfigError(f"{source}: unknown key(s) {', '.join(unknown)}")
    severity: dict[str, Severity] = {}
    for code, sev in dict(norm.get("severity", {})).items():
        try:
            severity[str(code).upper()] = Severity.parse(str(sev))
        except KeyError:
            raise ConfigError(
                f"{source}: severity for {code} must be error|warning|information|hint, got {sev!r}"
            ) from None
    pfi = {str(pat): _codes(codes, f"per-file-ignores.{pat}", source)
           for pat, codes in dict(norm.get("per-file-ignores", {})).items()}
    exclude = _globs(norm.get("exclude", []), "exclude", source)
    exclude += _globs(norm.get("extend-exclude", []), "extend-exclude", source)
    return Config(
        select=_codes(norm["select"], "select", source) if "select" in norm else None,
        extend_select=_codes(norm.get("extend-select", []), "extend-select", source),
        ignore=_codes(norm.get("ignore", []), "ignore", source),
        per_file_ignores=pfi,
        severity=severity,
        exclude=exclude,
        root=root,
    )


def find_pyproject(start: Path) -> Path | None:
    """The nearest pyproject.toml with a ``[tool.mlsense]`` table, walking up from ``start``."""
    folder = start if start.is_dir() else start.parent
    for candidate in (folder, *folder.parents):
        pyproject = candidate / "pyproject.toml"
        if pyproject.is_file():
            try:
                data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
                continue
            if "mlsense" in data.get("tool", {}):
                return pyproject
    return None


def load_config(start: Path) -> Config:
    """The configuration that applies to ``start`` (a file or folder); defaults if none found."""
    pyproject = find_pyproject(start.resolve())
    if pyproject is None:
        return Config()
    try:
        data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{pyproject}: {exc}") from exc
    return config_from_mapping(data["tool"]["mlsense"], str(pyproject), pyproject.parent)
