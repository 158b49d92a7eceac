"""The argument parser of the ``mlsense`` command line, and how usage errors are reported."""

from __future__ import annotations

import argparse
import sys
from typing import NoReturn

from ... import __version__
from ...translators import MODEL_SELECTION_HELP


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


def parse_codes(value: str | None) -> tuple[str, ...] | None:
    """``--select A,b`` as ``('A', 'B')``; None when the option was not given."""
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
    check.add_argument("--exit-zero", action="store_true",
                       help="exit 0 even with findings or rules that failed")
    check.add_argument("--plugin", action="append", default=[], metavar="MODULE",
                       help="import MODULE first: a module of your own rules (repeatable; the "
                            "server's `plugins` setting)")
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
    rules.add_argument("--output-format", choices=("text", "json", "markdown"), default="text")
    _add_verbose(rules)

    rule = sub.add_parser("rule", help="show the documentation of one rule")
    rule.add_argument("code", metavar="CODE")
    _add_verbose(rule)

    tr = sub.add_parser("translate", help="translate a model between PyTorch and Keras",
                        usage_exit=3)
    tr.add_argument("file", metavar="FILE")
    tr.add_argument("--to", required=True, choices=("keras", "pytorch"))
    tr.add_argument("--class", dest="class_name", metavar="MODEL", help=MODEL_SELECTION_HELP)
    tr.add_argument("-o", "--output", metavar="OUT", help="write the translation to OUT")
    tr.add_argument("--force", action="store_true", help="overwrite OUT if it exists")
    tr.add_argument("--verify", action="store_true", help="run both models and compare outputs")
    tr.add_argument("--device", choices=("cpu", "cuda", "all"), default="cpu")
    tr.add_argument("--input-shape", type=_shape, metavar="1,28,28",
                    help="input shape without the batch axis")
    tr.add_argument("--partial", action="store_true",
                    help="translate what is supported, leave stubs for the rest")
    tr.add_argument("--static", action="store_true",
                    help="never run the file's code: translate by reading it only (default: "
                         "where reading stops, build and trace the model in the verification "
                         "worker)")
    tr.add_argument("--output-format", choices=("text", "json"), default="text")
    tr.add_argument("--timeout", type=float, default=120.0, metavar="S",
                    help="verification time limit in seconds")
    _add_verbose(tr)


def print_error(message: str) -> None:
    """Report an error on stderr the way every command does."""
    print(f"mlsense: error: {message}", file=sys.stderr)
