"""The ``mlsense`` command line: ``check``, ``rules``, ``rule``, ``serve`` and ``translate``.

Exit codes for ``check``: 0 nothing at warning level or above, 1 findings, 2 usage, path,
configuration or internal error. ``translate``: 0 ok, 1 verification failed, 2 cannot translate,
3 usage error. The parser lives in parser.py, the check and translate commands in
check.py and translate.py.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import traceback
from collections.abc import Callable, Sequence

from .check import cmd_check
from .parser import UsageError, build_parser, print_error
from .translate import cmd_translate

__all__ = ["COMMANDS", "UsageError", "build_parser", "cmd_check", "cmd_rule", "cmd_rules",
           "cmd_serve", "cmd_translate", "main", "rules_markdown"]

# Analysis modules (and libcst) are imported inside the commands that need them, so that
# `--version`, `--help` and usage errors answer at once.


# -- rules, rule, serve -------------------------------------------------------------------
def cmd_rules(args: argparse.Namespace) -> int:
    """List every rule (text table, JSON, or the Markdown index of docs/rules/README.md)."""
    from ...analyzers.registry import all_rules

    rules = all_rules()
    if args.output_format == "markdown":
        sys.stdout.write(rules_markdown(rules))
        return 0
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


def rules_markdown(rules: list) -> str:
    """The rule index page (docs/rules/README.md): one table row per rule, linked to its page."""
    lines = ["# Rules", "",
             "Generated from the registry by `mlsense rules --output-format markdown`; do not edit.",
             "", "| Code | Name | Family | Severity | Default | Fix |", "|---|---|---|---|---|---|"]
    for r in rules:
        code = r.code if r.code.startswith("MLS0") else f"[{r.code}]({r.code}.md)"
        lines.append(f"| {code} | `{r.name}` | {r.family} | {r.severity.label} | "
                     f"{'on' if r.default_enabled else 'off'} | {'yes' if r.fixable else 'no'} |")
    return "\n".join(lines) + "\n"


def cmd_rule(args: argparse.Namespace) -> int:
    """Print one rule's docs page, or its registry entry when it has none."""
    from ...analyzers.findings import DOCS_DIR
    from ...analyzers.registry import all_rules

    code = args.code.strip().upper()
    info = next((r for r in all_rules() if r.code == code), None)
    if info is None:
        raise UsageError(f"unknown rule code: {args.code} (see `mlsense rules`)")
    page = DOCS_DIR / f"{code}.md"
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
    """Start the language server."""
    try:
        from ..lsp import server as lsp
    except ImportError as exc:
        raise UsageError(f"the language server is not available: {exc}") from exc
    lsp.start(args.mode or "stdio", args.host, args.port)
    return 0


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
        print_error(str(exc))
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
        print_error(f"internal error: {type(exc).__name__}: {exc}"
               + ("" if args.verbose else " (run with --verbose for a traceback)"))
        return 2


def _subparser(parser: argparse.ArgumentParser, command: str | None) -> argparse.ArgumentParser:
    for action in parser._actions:  # argparse offers no public lookup of its subparsers
        if isinstance(action, argparse._SubParsersAction) and command in action.choices:
            return action.choices[command]
    return parser
