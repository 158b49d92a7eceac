"""Which files ``mlsense check`` reads, which configuration applies to each, and checking them.

Folders are walked once with ``os.scandir``; ``.gitignore`` files (those in the walked folders and
in their parents up to the repository root) are honoured through ``pathspec``, as are the
configuration's ``exclude`` globs and a fixed set of folders nobody wants linted (.venv, .git...).
Configuration is looked up once per folder and cached: no per-file walk up the tree.
"""

from __future__ import annotations

import contextlib
import difflib
import io
import multiprocessing
import os
import stat
import tempfile
import tokenize
import tomllib
import traceback
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pathspec

from ..analyzers.config import Config, ConfigError, config_from_mapping
from ..analyzers.engine import DocumentAnalyzer, analyze_bytes, decode_source
from ..analyzers.findings import Finding
from ..analyzers.registry import all_rules
from .fixes import fix_until_stable
from .output import FileReport, display_path

PYTHON_SUFFIXES = (".py", ".pyi")

# Never descended into (like ruff's defaults): environments, VCS metadata, caches, build output.
DEFAULT_EXCLUDES = frozenset({
    ".bzr", ".direnv", ".eggs", ".git", ".hg", ".mypy_cache", ".nox", ".pants.d", ".pytest_cache",
    ".ruff_cache", ".svn", ".tox", ".venv", "__pypackages__", "__pycache__", "_build", "buck-out",
    "node_modules", "site-packages", "venv",
})


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
    """The Python files under ``paths``, absolute, sorted and without duplicates.

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


def read_source(path: Path) -> bytes:
    """The bytes of a regular file. Raises OSError (with a clear message) for anything else:
    opening with O_NONBLOCK keeps a FIFO from blocking the whole run."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(f"not a regular file: {path}")
        chunks = []
        while True:
            block = os.read(fd, 1 << 20)
            if not block:
                break
            chunks.append(block)
        return b"".join(chunks)
    finally:
        os.close(fd)


# -- checking -----------------------------------------------------------------------------
@dataclass(frozen=True)
class CheckOptions:
    """What to do with each file besides reporting."""

    fix: bool = False  # apply fixes (and write them unless ``diff``)
    unsafe_fixes: bool = False
    diff: bool = False  # compute a unified diff of the fixes instead of writing
    verbose: bool = False


def write_atomically(path: Path, data: bytes) -> None:
    """Write ``path`` (keeping its mode if it exists) without ever leaving a half-written file:
    write a temporary file next to it, then ``os.replace`` it into place."""
    try:
        mode = stat.S_IMODE(os.stat(path).st_mode)
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".mlsense-tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def check_file(path: str, config: Config, options: CheckOptions) -> FileReport:
    """Analyse (and maybe fix) one file. Never raises: problems land in ``FileReport.error``."""
    report = FileReport(path)
    try:
        data = read_source(Path(path))
    except OSError as exc:
        report.error = f"cannot read file: {exc.strerror or exc}"
        return report
    try:
        _check_data(report, data, config, options)
    except Exception as exc:  # an engine bug must not take the other files down with it
        detail = traceback.format_exc() if options.verbose else ""
        report.error = f"internal error: {type(exc).__name__}: {exc}\n{detail}".rstrip()
    return report


def _check_data(report: FileReport, data: bytes, config: Config, options: CheckOptions) -> None:
    text, _, _ = decode_source(data)
    if text is None or not options.fix:
        result = analyze_bytes(data, report.path, config)
        report.findings = result.findings
        report.rule_errors = [(e.family, e.error, e.traceback) for e in result.rule_errors]
        return
    analyzer = DocumentAnalyzer(report.path, config)
    rule_errors: list[tuple[str, str, str]] = []

    def analyze(source: str) -> list[Finding]:
        result = analyzer.analyze(source)
        rule_errors.extend((e.family, e.error, e.traceback) for e in result.rule_errors)
        return result.findings

    outcome = fix_until_stable(text, analyze, unsafe=options.unsafe_fixes)
    report.findings = outcome.remaining
    report.rule_errors = list(dict.fromkeys(rule_errors))
    if outcome.text == text:
        return
    report.fixed = outcome.fixed
    if options.diff:
        name = display_path(report.path)
        report.diff = "".join(difflib.unified_diff(
            text.splitlines(keepends=True), outcome.text.splitlines(keepends=True),
            fromfile=f"a/{name}", tofile=f"b/{name}"))
    else:
        write_atomically(Path(report.path), _encode_like(outcome.text, data))


def _encode_like(text: str, original: bytes) -> bytes:
    """``text`` in the encoding the original file declared (BOM kept)."""
    encoding, _ = tokenize.detect_encoding(io.BytesIO(original).readline)
    return text.encode(encoding)


# Set in each worker (inherited through fork, or passed by the pool initializer).
_WORKER_STATE: tuple[list[Config], CheckOptions] | None = None


def _init_worker(configs: list[Config], options: CheckOptions) -> None:
    global _WORKER_STATE
    _WORKER_STATE = (configs, options)
    all_rules()  # import and register the rules once per worker, not once per file


def _work(item: tuple[str, int]) -> FileReport:
    assert _WORKER_STATE is not None
    configs, options = _WORKER_STATE
    return check_file(item[0], configs[item[1]], options)


def run_checks(files: Sequence[tuple[Path, Config]], options: CheckOptions, jobs: int,
               on_done: Callable[[int], None] | None = None) -> list[FileReport]:
    """Check every file, in ``jobs`` processes, and return the reports sorted by path."""
    configs: list[Config] = []
    index: dict[int, int] = {}
    items = []
    for path, config in files:
        if id(config) not in index:
            index[id(config)] = len(configs)
            configs.append(config)
        items.append((str(path), index[id(config)]))
    _init_worker(configs, options)  # also warms the registry before forking
    reports: list[FileReport] = []
    # Below a few files a pool costs more than it saves.
    if jobs <= 1 or len(items) < _MIN_FILES_FOR_POOL:
        for item in items:
            reports.append(_work(item))
            if on_done:
                on_done(len(reports))
    else:
        jobs = min(jobs, len(items))
        # Largest files first and small batches: no worker is left alone with a big file at
        # the end (per-batch IPC costs ~0.1 ms, a file ~10-100 ms).
        items.sort(key=lambda item: -_size(item[0]))
        chunksize = max(1, min(8, len(items) // (jobs * 16)))
        methods = multiprocessing.get_all_start_methods()
        ctx = multiprocessing.get_context("fork" if "fork" in methods else None)
        with ctx.Pool(jobs, initializer=_init_worker, initargs=(configs, options)) as pool:
            for report in pool.imap_unordered(_work, items, chunksize=chunksize):
                reports.append(report)
                if on_done:
                    on_done(len(reports))
    reports.sort(key=lambda r: r.path)
    return reports


_MIN_FILES_FOR_POOL = 8


def _size(path: str) -> int:
    try:
        return os.stat(path).st_size
    except OSError:
        return 0
