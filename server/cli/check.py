"""``mlsense check``: discover the files, check them (in processes), print the results."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from .parser import UsageError, parse_codes, print_error

if TYPE_CHECKING:
    from .output import FileReport

# Analysis modules (and libcst) are imported inside the functions, so that importing the CLI
# stays cheap for `--version`, `--help` and usage errors.


def _validate_selectors(*groups: tuple[str, ...] | None) -> None:
    from ...analyzers.registry import codes_matching

    for group in groups:
        for selector in group or ():
            if selector != "ALL" and not codes_matching([selector]):
                raise UsageError(f"unknown rule selector: {selector} (see `mlsense rules`)")


class _Progress:
    """A one-line progress bar on stderr (only used when stderr is a terminal)."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.shown = -1

    def __call__(self, done: int) -> None:
        percent = done * 100 // self.total
        if percent != self.shown:
            self.shown = percent
            bar = "#" * (percent // 4)
            sys.stderr.write(f"\r[{bar:<25}] {done}/{self.total} files")
            sys.stderr.flush()

    def close(self) -> None:
        sys.stderr.write("\r" + " " * 50 + "\r")
        sys.stderr.flush()


def cmd_check(args: argparse.Namespace) -> int:
    """Run ``mlsense check``; path and configuration problems become usage errors (exit 2)."""
    from ...analyzers.config import ConfigError
    from .discovery import PathError
    from .runner import PluginError

    try:
        return _check(args)
    except (PathError, PluginError) as exc:
        raise UsageError(str(exc)) from exc
    except ConfigError as exc:
        raise UsageError(f"invalid configuration: {exc}") from exc


def _available_cores() -> int:
    """Cores this process may run on (respects taskset / cgroup CPU sets, unlike cpu_count)."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def _check(args: argparse.Namespace) -> int:
    from . import output
    from .config import ConfigOverrides, ConfigResolver, load_config_file
    from .discovery import discover
    from .runner import CheckOptions, load_plugins, run_checks

    load_plugins(args.plugin)  # before the selectors: a plugin's codes are valid ones
    overrides = ConfigOverrides(select=parse_codes(args.select),
                                extend_select=parse_codes(args.extend_select) or (),
                                ignore=parse_codes(args.ignore) or ())
    _validate_selectors(overrides.select, overrides.extend_select, overrides.ignore)
    fixed = load_config_file(Path(args.config)) if args.config else None
    resolver = ConfigResolver(overrides, fixed)
    files = discover([Path(p) for p in (args.paths or ["."])], resolver,
                     respect_gitignore=not args.no_respect_gitignore,
                     force_exclude=args.force_exclude)
    pairs = [(f, resolver.for_path(f)) for f in files]
    fix_mode = args.fix or args.diff
    options = CheckOptions(fix=fix_mode, unsafe_fixes=args.unsafe_fixes, diff=args.diff,
                           verbose=args.verbose, plugins=tuple(args.plugin))
    progress = None
    if len(files) > 50 and not args.no_progress and sys.stderr.isatty():
        progress = _Progress(len(files))
    try:
        reports = run_checks(pairs, options, args.jobs or _available_cores(), progress)
    finally:
        if progress:
            progress.close()
    _report_problems(reports, args.verbose, to_stderr=args.output_format != "text" or args.diff)
    if args.diff:
        return _print_diffs(reports)
    _print_results(reports, args, fix_mode)
    if any(r.error for r in reports):
        return 2
    if any(r.rule_errors for r in reports) and not args.exit_zero:
        return 2  # some checks did not run: a pass would be a lie
    failing = any(output.fails(f) for r in reports for f in r.findings)
    return 1 if failing and not args.exit_zero else 0


def _print_results(reports: Sequence[FileReport], args: argparse.Namespace,
                   fix_mode: bool) -> None:
    from . import output

    if args.statistics:
        fmt = "json" if args.output_format == "json" else "text"
        sys.stdout.write(output.render_statistics(reports, fmt, args.unsafe_fixes))
    elif args.output_format == "json":
        sys.stdout.write(output.render_json(reports))
    elif args.output_format == "sarif":
        sys.stdout.write(output.render_sarif(reports))
    else:
        sys.stdout.write(output.render_text(reports, fix_mode=fix_mode, unsafe=args.unsafe_fixes,
                                            show_fixes=args.show_fixes))


def _print_diffs(reports: Sequence[FileReport]) -> int:
    changed = [r for r in reports if r.diff]
    for r in changed:
        sys.stdout.write(r.diff or "")
    fixes = sum(sum(r.fixed.values()) for r in changed)
    if fixes:
        print(f"\nWould fix {fixes} error{'s' if fixes != 1 else ''}.", file=sys.stderr)
    else:
        print("No errors would be fixed.", file=sys.stderr)
    return 2 if any(r.error for r in reports) else (1 if changed else 0)


def _report_problems(reports: Sequence[FileReport], verbose: bool, to_stderr: bool) -> None:
    """Unreadable files as errors. Failed rule families are in the output itself (text, JSON,
    SARIF); stderr repeats them, once per family, when stdout is for a machine, and gives
    their tracebacks with ``-v``."""
    from .output import rule_error_message

    seen: set[str] = set()
    for r in reports:
        if r.error:
            print_error(f"{r.display}: {r.error}")
        for family, err, tb in r.rule_errors:
            if to_stderr and (family not in seen or verbose):
                print(f"mlsense: error: {rule_error_message(family, err)} ({r.display})",
                      file=sys.stderr)
            seen.add(family)
            if verbose and tb:
                print(tb, file=sys.stderr)
