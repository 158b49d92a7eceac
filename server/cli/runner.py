"""Checking files for ``mlsense check``: analyse, fix, diff, in one process or a pool."""

from __future__ import annotations

import difflib
import importlib
import io
import multiprocessing
import os
import tokenize
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from ...analyzers.chunks import split_lines
from ...analyzers.config import Config
from ...analyzers.engine import analyze_bytes, decode_source
from ...analyzers.registry import all_rules
from .fileio import read_source, write_atomically
from .fixes import fix_until_stable, recording_analyzer
from .notebooks import NotebookError, check_notebook
from .output import FileReport, display_path


@dataclass(frozen=True)
class CheckOptions:
    """What to do with each file besides reporting."""

    fix: bool = False  # apply fixes (and write them unless ``diff``)
    unsafe_fixes: bool = False
    diff: bool = False  # compute a unified diff of the fixes instead of writing
    verbose: bool = False
    plugins: tuple[str, ...] = ()  # rule modules to import in every worker


def load_plugins(modules: Sequence[str]) -> None:
    """Import rule modules (they register their rules when imported); ImportError and any
    other failure propagate, with the module's name, for the caller to report."""
    for name in modules:
        try:
            importlib.import_module(name)
        except Exception as exc:
            raise PluginError(f"plugin `{name}` could not be imported: "
                              f"{type(exc).__name__}: {exc}") from exc


class PluginError(Exception):
    """A ``--plugin`` module that does not import."""


def check_file(path: str, config: Config, options: CheckOptions) -> FileReport:
    """Analyse (and maybe fix) one file. Never raises: problems land in ``FileReport.error``."""
    report = FileReport(path)
    try:
        data = read_source(Path(path))
    except OSError as exc:
        report.error = f"cannot read file: {exc.strerror or exc}"
        return report
    try:
        if path.endswith(".ipynb"):
            check_notebook(report, data, config, options.fix, options.unsafe_fixes, options.diff)
        else:
            _check_data(report, data, config, options)
    except NotebookError as exc:
        report.error = str(exc)
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
    analyze, rule_errors = recording_analyzer(report.path, config)

    outcome = fix_until_stable(text, analyze, unsafe=options.unsafe_fixes)
    report.findings = outcome.remaining
    report.rule_errors = list(dict.fromkeys(rule_errors))
    if outcome.text == text:
        return
    report.fixed = outcome.fixed
    if options.diff:
        name = display_path(report.path)
        report.diff = "".join(difflib.unified_diff(
            split_lines(text), split_lines(outcome.text),
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
    load_plugins(options.plugins)  # already imported when forked: then a no-op
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
