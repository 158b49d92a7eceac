"""Which files ``mlsense check`` reads.

Folders are walked once with ``os.scandir``; ``.gitignore`` files (those in the walked folders and
in their parents up to the repository root) are honoured through ``pathspec``, as are the
configuration's ``exclude`` globs and a fixed set of folders nobody wants linted (.venv, .git...).
The configuration of each file is config.py's business, reading and writing fileio.py's
and checking runner.py's.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from pathlib import Path

import pathspec

from .config import ConfigResolver

__all__ = ["DEFAULT_EXCLUDES", "PYTHON_SUFFIXES", "PathError", "discover"]

PYTHON_SUFFIXES = (".py", ".pyi", ".ipynb")  # notebooks: their Python code cells

# Never descended into (like ruff's defaults): environments, VCS metadata, caches, build output.
DEFAULT_EXCLUDES = frozenset({
    ".bzr", ".direnv", ".eggs", ".git", ".hg", ".mypy_cache", ".nox", ".pants.d", ".pytest_cache",
    ".ruff_cache", ".svn", ".tox", ".venv", "__pypackages__", "__pycache__", "_build", "buck-out",
    "node_modules", "site-packages", "venv",
})


class _Ignores:
    """The stack of .gitignore specs that apply in one folder (deepest last)."""

    def __init__(self, specs: tuple[tuple[Path, pathspec.GitIgnoreSpec], ...] = ()) -> None:
        self.specs = specs

    def child(self, folder: Path) -> _Ignores:
        spec = _read_gitignore(folder / ".gitignore")
        return _Ignores((*self.specs, (folder, spec))) if spec is not None else self

    def ignored(self, path: Path, is_dir: bool) -> bool:
        # The deepest .gitignore with a matching pattern decides (so it can re-include with !).
        for base, spec in reversed(self.specs):
            try:
                rel = path.relative_to(base).as_posix()
            except ValueError:
                continue
            result = spec.check_file(rel + "/" if is_dir else rel)
            if result.include is not None:
                return bool(result.include)
        return False


def _read_gitignore(path: Path) -> pathspec.GitIgnoreSpec | None:
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            return pathspec.GitIgnoreSpec.from_lines(fh.read().splitlines())
    except OSError:
        return None


def _ancestor_ignores(folder: Path) -> _Ignores:
    """The .gitignore files of ``folder``'s parents, up to the enclosing git repository's root
    (outside a repository, only ``folder``'s own .gitignore applies, read by the walk)."""
    parents = list(folder.parents)
    root = next((p for p in (folder, *parents) if (p / ".git").exists()), None)
    if root is None or root == folder:
        return _Ignores()
    chain = [p for p in reversed(parents) if p == root or root in p.parents]
    ignores = _Ignores()
    for p in chain:
        ignores = ignores.child(p)
    return ignores


class PathError(Exception):
    """A path named on the command line that does not exist."""


def discover(paths: Iterable[Path], resolver: ConfigResolver, *,
             respect_gitignore: bool = True, force_exclude: bool = False) -> list[Path]:
    """The Python files and notebooks under ``paths``, absolute, sorted and without duplicates.

    Files named explicitly are checked whatever their suffix and even if excluded, as ruff does,
    unless ``force_exclude`` (for pre-commit, which names every file). Raises PathError for a
    path that does not exist and ConfigError for a bad configuration.
    """
    found: set[Path] = set()
    for raw in paths:
        path = Path(os.path.abspath(raw))
        if not os.path.lexists(path) or (os.path.islink(path) and not path.exists()):
            raise PathError(f"path does not exist: {raw}")
        if path.is_dir():
            config = resolver.for_path(path, is_dir=True)
            if config.exclude and config.is_excluded(path):
                continue
            ignores = _ancestor_ignores(path) if respect_gitignore else None
            found.update(_walk(path, resolver, ignores))
        else:
            if force_exclude and _force_excluded(path, resolver):
                continue
            found.add(path)
    return sorted(found)


def _force_excluded(path: Path, resolver: ConfigResolver) -> bool:
    if any(part in DEFAULT_EXCLUDES for part in path.parts[:-1]):
        return True
    config = resolver.for_path(path)
    return bool(config.exclude) and config.is_excluded(path)


def _walk(top: Path, resolver: ConfigResolver, ignores: _Ignores | None) -> Iterator[Path]:
    stack: list[tuple[Path, _Ignores | None]] = [(top, ignores)]
    while stack:
        folder, inherited = stack.pop()
        here = inherited.child(folder) if inherited is not None else None
        config = resolver.for_folder(folder)
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue  # an unreadable folder is skipped, as git and ruff do
        for entry in entries:
            if entry.name in DEFAULT_EXCLUDES:
                continue
            is_dir = entry.is_dir(follow_symlinks=False)
            if not is_dir and not entry.name.endswith(PYTHON_SUFFIXES):
                continue
            path = folder / entry.name
            if here is not None and here.ignored(path, is_dir):
                continue
            if config.exclude and config.is_excluded(path):
                continue
            if is_dir:
                stack.append((path, here))
            else:
                yield path  # broken links and FIFOs too: reading them reports the error
