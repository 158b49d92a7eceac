"""The ``mlsense`` command line: ``check``, ``rules``, ``rule``, ``serve`` and ``translate``.

Exit codes for ``check``: 0 nothing at warning level or above, 1 findings, 2 usage, path,
configuration or internal error. ``translate``: 0 ok, 1 verification failed, 2 cannot translate,
3 usage error.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from .. import __version__
from ..translators.base import Unsupported

if TYPE_CHECKING:
    from ..translators.base import Translation
    from .output import FileReport

# Analysis modules (and libcst) are imported inside the commands that need them, so that
# `--version`, `--help` and usage errors answer at once.

PACKAGE_ROOT = Path(__file__).resolve().parent.parent


class UsageError(Exception):
    """A problem with the command line itself; ``code`` is the exit status to use."""

    def __init__(self, message: str, code: int = 2) -> None:
        super().__init__(message)
        self.code = code


class _Parser(argparse.ArgumentParser):
    """argparse with a per-command exit status for usage errors (``translate`` uses 3)."""

    def __init__(self, *args: object, usage_exit: int = 2, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.usage_exit = usage_exit

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(self.usage_exit, f"{self.prog}: error: {message}\n")


def _codes(value: str | None) -> tuple[str, ...] | None:
    if value is None:
        return None
    return tuple(c.strip().upper() for c in value.split(",") if c.strip())


def _shape(value: str) -> tuple[int, ...]:
    try:
        dims = tuple(int(d) for d in value.replace("x", ",").split(",") if d.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a shape like 1,28,28: {value!r}") from None
    if not dims or any(d <= 0 for d in dims):
        raise argparse.ArgumentTypeError(f"dimensions must be positive integers: {value!r}")
    return dims


def _positive_int(value: str) -> int:
    try:
        n = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {value!r}") from None
    if n < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1: {value!r}")
    return n


def _add_verbose(p: argparse.ArgumentParser) -> None:
    # SUPPRESS keeps a subcommand from resetting a top-level --verbose to False.
    p.add_argument("-v", "--verbose", action="store_true", default=argparse.SUPPRESS,
                   help="show tracebacks and more detail on errors")


def build_parser() -> _Parser:
    """The argument parser of every command."""
    parser = _Parser(prog="mlsense", description="IntelliSense for machine-learning code.")
    parser.add_argument("--version", action="version", version=f"mlsense {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", default=False,
                        help="show tracebacks and more detail on errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    _add_check_parser(sub.add_parser("check", help="analyse files and folders"))
    _add_other_parsers(sub)
    return parser


def _add_check_parser(check: argparse.ArgumentParser) -> None:
    check.add_argument("paths", nargs="*", metavar="PATH", help="files or folders (default: .)")
    check.add_argument("--output-format", choices=("text", "json", "sarif"), default="text")
    check.add_argument("--select", help="comma-separated codes or prefixes to enable (replaces)")
    check.add_argument("--extend-select", help="codes or prefixes to enable in addition")
    check.add_argument("--ignore", help="codes or prefixes to disable")
    check.add_argument("--statistics", action="store_true", help="count findings per code")
    check.add_argument("--fix", action="store_true", help="apply safe fixes to the files")
    check.add_argument("--unsafe-fixes", action="store_true", help="apply unsafe fixes too")
    check.add_argument("--diff", action="store_true",
                       help="print the fixes as a diff instead of writing them")
    check.add_argument("--show-fixes", action="store_true", help="list fixes and fixed findings")
    check.add_argument("-j", "--jobs", type=_positive_int, default=None,
                       help="worker processes (default: all cores; 1 runs in-process)")
    check.add_argument("--config", metavar="FILE",
                       help="use this pyproject.toml / mlsense.toml for every file")
    check.add_argument("--exit-zero", action="store_true", help="exit 0 even with findings")
    check.add_argument("--no-progress", action="store_true", help="never show a progress bar")
    check.add_argument("--no-respect-gitignore", action="store_true",
                       help="also check files that .gitignore excludes")
    check.add_argument("--force-exclude", action="store_true",
                       help="apply `exclude` to files named on the command line (pre-commit)")
    _add_verbose(check)


def _add_other_parsers(sub: argparse._SubParsersAction) -> None:
    serve = sub.add_parser("serve", help="start the language server")
    mode = serve.add_mutually_exclusive_group()
    mode.add_argument("--stdio", dest="mode", action="store_const", const="stdio")
    mode.add_argument("--tcp", dest="mode", action="store_const", const="tcp")
    mode.add_argument("--ws", dest="mode", action="store_const", const="ws")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=2087)
    _add_verbose(serve)

    rules = sub.add_parser("rules", help="list every rule")
    rules.add_argument("--output-format", choices=("text", "json"), default="text")
    _add_verbose(rules)

    rule = sub.add_parser("rule", help="show the documentation of one rule")
    rule.add_argument("code", metavar="CODE")
    _add_verbose(rule)

    tr = sub.add_parser("translate", help="translate a model between PyTorch and Keras",
                        usage_exit=3)
    tr.add_argument("file", metavar="FILE")
    tr.add_argument("--to", required=True, choices=("keras", "pytorch"))
    tr.add_argument("--class", dest="class_name", metavar="NAME", help="the model to translate")
    tr.add_argument("-o", "--output", metavar="OUT", help="write the translation to OUT")
    tr.add_argument("--force", action="store_true", help="overwrite OUT if it exists")
    tr.add_argument("--verify", action="store_true", help="run both models and compare outputs")
    tr.add_argument("--device", choices=("cpu", "cuda", "all"), default="cpu")
    tr.add_argument("--input-shape", type=_shape, metavar="1,28,28",
                    help="input shape without the batch axis")
    tr.add_argument("--partial", action="store_true",
                    help="translate what is supported, leave stubs for the rest")
    tr.add_argument("--output-format", choices=("text", "json"), default="text")
    tr.add_argument("--timeout", type=float, default=120.0, metavar="S",
                    help="verification time limit in seconds")
    _add_verbose(tr)


def _error(message: str) -> None:
    print(f"mlsense: error: {message}", file=sys.stderr)


# -- check --------------------------------------------------------------------------------
def _validate_selectors(*groups: tuple[str, ...] | None) -> None:
    from ..analyzers.registry import codes_matching

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
    from ..analyzers.config import ConfigError
    from .files import PathError

    try:
        return _check(args)
    except PathError as exc:
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
    from .files import (
        CheckOptions,
        ConfigOverrides,
        ConfigResolver,
        discover,
        load_config_file,
        run_checks,
    )

    overrides = ConfigOverrides(select=_codes(args.select),
                                extend_select=_codes(args.extend_select) or (),
                                ignore=_codes(args.ignore) or ())
    _validate_selectors(overrides.select, overrides.extend_select, overrides.ignore)
    fixed = load_config_file(Path(args.config)) if args.config else None
    resolver = ConfigResolver(overrides, fixed)
    files = discover([Path(p) for p in (args.paths or ["."])], resolver,
                     respect_gitignore=not args.no_respect_gitignore,
                     force_exclude=args.force_exclude)
    pairs = [(f, resolver.for_path(f)) for f in files]
    fix_mode = args.fix or args.diff
    options = CheckOptions(fix=fix_mode, unsafe_fixes=args.unsafe_fixes, diff=args.diff,
                           verbose=args.verbose)
    progress = None
    if len(files) > 50 and not args.no_progress and sys.stderr.isatty():
        progress = _Progress(len(files))
    try:
        reports = run_checks(pairs, options, args.jobs or _available_cores(), progress)
    finally:
        if progress:
            progress.close()
    _report_problems(reports, args.verbose)
    if args.diff:
        return _print_diffs(reports)
    _print_results(reports, args, fix_mode)
    if any(r.error for r in reports):
        return 2
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


def _report_problems(reports: Sequence[FileReport], verbose: bool) -> None:
    """Unreadable files as errors; crashed rule families as warnings (once per family)."""
    seen: set[str] = set()
    for r in reports:
        if r.error:
            _error(f"{r.display}: {r.error}")
        for family, err, tb in r.rule_errors:
            if family in seen and not verbose:
                continue
            seen.add(family)
            print(f"mlsense: warning: rule family `{family}` failed on {r.display} and was "
                  f"skipped there: {err}", file=sys.stderr)
            if verbose and tb:
                print(tb, file=sys.stderr)


# -- rules, rule, serve -------------------------------------------------------------------
def cmd_rules(args: argparse.Namespace) -> int:
    from ..analyzers.registry import all_rules

    rules = all_rules()
    if args.output_format == "json":
        data = [{"code": r.code, "name": r.name, "family": r.family, "severity": r.severity.label,
                 "default_enabled": r.default_enabled, "fixable": r.fixable, "url": r.url,
                 "message": r.message} for r in rules]
        print(json.dumps(data, indent=2))
        return 0
    header = ("CODE", "NAME", "FAMILY", "DEFAULT", "FIX", "SEVERITY")
    rows = [(r.code, r.name, r.family, "on" if r.default_enabled else "off",
             "yes" if r.fixable else "no", r.severity.label) for r in rules]
    widths = [max(len(row[i]) for row in (header, *rows)) for i in range(len(header))]
    for row in (header, *rows):
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
    return 0


def cmd_rule(args: argparse.Namespace) -> int:
    from ..analyzers.registry import all_rules

    code = args.code.strip().upper()
    info = next((r for r in all_rules() if r.code == code), None)
    if info is None:
        raise UsageError(f"unknown rule code: {args.code} (see `mlsense rules`)")
    page = PACKAGE_ROOT / "docs" / "rules" / f"{code}.md"
    try:
        sys.stdout.write(page.read_text(encoding="utf-8"))
        return 0
    except OSError:
        pass  # no docs page yet: describe the rule from the registry
    print(f"# {info.code} {info.name}\n")
    print(f"{info.message}\n")
    print(f"- family: {info.family}\n- severity: {info.severity.label}")
    print(f"- enabled by default: {'yes' if info.default_enabled else 'no'}")
    print(f"- fixable: {'yes' if info.fixable else 'no'}")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    try:
        from . import lsp
    except ImportError as exc:
        raise UsageError(f"the language server is not available: {exc}") from exc
    lsp.start(args.mode or "stdio", args.host, args.port)
    return 0


# -- translate ----------------------------------------------------------------------------
def _check_translate_paths(args: argparse.Namespace) -> tuple[Path, Path | None]:
    source = Path(args.file)
    if not source.is_file():
        what = "is not a file" if source.exists() else "does not exist"
        raise UsageError(f"path {what}: {args.file}", 3)
    out = Path(args.output) if args.output else None
    if out is not None:
        if out.exists() and out.resolve() == source.resolve():
            raise UsageError(f"refusing to overwrite the source file {args.output}", 3)
        if out.exists() and not args.force:
            raise UsageError(f"{args.output} exists; pass --force to overwrite it", 3)
        if not out.parent.is_dir():
            raise UsageError(f"folder does not exist: {out.parent}", 3)
    return source, out


def _located(filename: str, unsupported: Sequence[Unsupported]) -> list[str]:
    """``FILE:line: construct: reason`` once per distinct construct, in source order."""
    seen = dict.fromkeys((u.line, u.construct, u.reason) for u in unsupported)
    return [f"{filename}:{line}: {construct}: {reason}"
            for line, construct, reason in sorted(seen, key=lambda k: k[0])]


def cmd_translate(args: argparse.Namespace) -> int:
    source_path, out = _check_translate_paths(args)
    from ..analyzers.engine import decode_source
    from . import output

    name = str(args.file)
    text, problem, pos = decode_source(source_path.read_bytes())
    if text is None:
        line = pos.line + 1 if pos else 1
        return _translate_failed(args, name, [Unsupported(line, "source file", str(problem))])
    try:
        from ..translators import TranslationError, translate

        translation = translate(text, args.to, class_name=args.class_name, partial=args.partial,
                                input_shape=args.input_shape, filename=name)
    except TranslationError as exc:
        return _translate_failed(args, name, exc.unsupported, str(exc))
    except SyntaxError as exc:
        return _translate_failed(args, name, [Unsupported(exc.lineno or 1, "syntax", exc.msg)])
    except ImportError as exc:
        return _translate_failed(args, name, [], f"no translator to {args.to} available: {exc}")
    report = _verify(source_path, text, translation, args) if args.verify else None
    if out is not None:
        from .files import write_atomically

        write_atomically(out, translation.target_code.encode("utf-8"))
    if args.output_format == "json":
        data = output.translation_json(translation, report, args.verify, out)
        sys.stdout.write(json.dumps(data, indent=2) + "\n")
    else:
        if out is None:
            sys.stdout.write(translation.target_code)
        for message in output.translation_messages(name, translation, report, out):
            print(message, file=sys.stderr)
    if args.verify and not (report is not None and getattr(report, "verified", False)):
        return 1
    return 0


def _translate_failed(args: argparse.Namespace, name: str, unsupported: Sequence[Unsupported],
                      message: str | None = None) -> int:
    located = _located(name, unsupported)
    if args.output_format == "json":
        data = {"target_code": None, "verified": None, "max_abs_error": None, "devices": [],
                "error": message or f"cannot translate {name}",
                "unsupported": [u.as_dict() for u in unsupported]}
        sys.stdout.write(json.dumps(data, indent=2) + "\n")
        return 2
    for line in located:
        print(line, file=sys.stderr)
    if located:
        # The hint only helps when real constructs are missing, not for a bad file or --class.
        not_constructs = {"syntax", "source file", args.class_name}
        partial_helps = not args.partial and any(u.construct not in not_constructs
                                                 for u in unsupported)
        hint = " (--partial translates the rest, with located TODOs)" if partial_helps else ""
        _error(f"cannot translate {name}{hint}")
    else:
        _error(f"cannot translate {name}: {message or 'unknown reason'}")
    return 2


def _verify(source_path: Path, text: str, translation: Translation,
            args: argparse.Namespace) -> object:
    """The verifier's report, or a stand-in failure when it cannot run at all."""
    from . import output

    try:
        from ..translators.verify import verify_translation
    except ImportError as exc:
        return output.UnavailableVerification(f"verification is not available: {exc}")
    try:
        # The decoded text is passed so a file in a declared non-UTF-8 encoding verifies too.
        progress = (lambda msg: print(f"verify: {msg}", file=sys.stderr)) if args.verbose else None
        return verify_translation(str(source_path), translation, device=args.device,
                                  timeout=args.timeout, source_text=text, progress=progress)
    except Exception as exc:  # the verifier's own bug: report it, do not crash the CLI
        if args.verbose:
            traceback.print_exc()
        return output.UnavailableVerification(f"verification crashed: {type(exc).__name__}: {exc}")


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "check": cmd_check, "rules": cmd_rules, "rule": cmd_rule, "serve": cmd_serve,
    "translate": cmd_translate,
}


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if extra:
        sub = _subparser(parser, args.command)
        sub.error(f"unrecognized arguments: {' '.join(extra)}")
    if args.command is None:
        parser.print_help(sys.stderr)
        return 2
    try:
        return COMMANDS[args.command](args)
    except UsageError as exc:
        _error(str(exc))
        return exc.code
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # `mlsense check | head`: the reader left; say nothing more and keep Python from
        # complaining when it flushes stdout at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except Exception as exc:
        if args.verbose:
            traceback.print_exc()
        _error(f"internal error: {type(exc).__name__}: {exc}"
               + ("" if args.verbose else " (run with --verbose for a traceback)"))
        return 2


def _subparser(parser: argparse.ArgumentParser, command: str | None) -> argparse.ArgumentParser:
    for action in parser._actions:  # argparse offers no public lookup of its subparsers
        if isinstance(action, argparse._SubParsersAction) and command in action.choices:
            return action.choices[command]
    return parser
