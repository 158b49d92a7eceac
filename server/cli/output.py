"""Render ``mlsense check`` results: ruff-like text, ruff-compatible JSON, SARIF 2.1.0.

Positions in every format are 1-based rows and 1-based columns counted in code points (ruff's
convention), converted from the engine's 0-based positions here and only here.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

from ... import __version__
from ...analyzers.findings import Finding, Position, Severity, TextEdit
from ...analyzers.registry import DOCS_DIR, RuleInfo, all_rules

FAILING = (Severity.ERROR, Severity.WARNING)
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_SARIF_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning",
                Severity.INFORMATION: "note", Severity.HINT: "note"}


@dataclass
class FileReport:
    """Everything ``check`` learned about one file (what a worker process sends back)."""

    path: str  # absolute
    findings: list[Finding] = field(default_factory=list)
    fixed: Counter[str] = field(default_factory=Counter)
    error: str | None = None  # the file could not be read or checked
    rule_errors: list[tuple[str, str, str]] = field(default_factory=list)  # family, error, tb
    diff: str | None = None
    cells: list[int] = field(default_factory=list)  # a notebook's: each finding's cell number

    def cell_of(self, index: int) -> int | None:
        """The 1-based notebook cell of finding ``index`` (None outside notebooks)."""
        return self.cells[index] if index < len(self.cells) else None

    @property
    def display(self) -> str:
        return display_path(self.path)


def display_path(path: str) -> str:
    """``path`` relative to the working directory when it lies below it, else absolute."""
    try:
        rel = os.path.relpath(path)
    except ValueError:  # another drive on Windows
        return path
    return path if rel.startswith("..") else rel


def _loc(pos: Position) -> dict[str, int]:
    return {"row": pos.line + 1, "column": pos.column + 1}


def fails(finding: Finding) -> bool:
    """Whether ``finding`` makes ``check`` exit 1 (information and hints do not)."""
    return finding.severity in FAILING


def rule_error_message(family: str, error: str) -> str:
    """How a rule family that raised is worded in every format."""
    return f"rule family `{family}` failed and its checks did not run on this file: {error}"


# -- text ---------------------------------------------------------------------------------
def render_text(reports: Sequence[FileReport], *, fix_mode: bool, unsafe: bool,
                show_fixes: bool) -> str:
    """One ``path:row:col: CODE [*] message`` line per finding, then ruff's summary lines."""
    lines: list[str] = []
    for report in reports:
        for i, f in enumerate(report.findings):
            start = f.range.start
            mark = "[*] " if _applicable(f, unsafe) else ""
            cell = report.cell_of(i)
            where = f"cell {cell}:" if cell is not None else ""
            lines.append(f"{report.display}:{where}{start.line + 1}:{start.column + 1}: "
                         f"{f.code} {mark}{f.message}")
            if show_fixes and f.fix is not None and not fix_mode:
                lines.append(f"    fix{'' if f.fix.safe else ' (unsafe)'}: {f.fix.title}")
        lines.extend(f"{report.display}: error: {rule_error_message(family, err)}"
                     for family, err, _ in report.rule_errors)
    if show_fixes and fix_mode:
        lines.extend(_fixed_listing(reports))
    lines.extend(summary_lines(reports, fix_mode=fix_mode, unsafe=unsafe))
    return "\n".join(lines) + "\n"


def _applicable(f: Finding, unsafe: bool) -> bool:
    return f.fix is not None and bool(f.fix.edits) and (f.fix.safe or unsafe)


def _fixed_listing(reports: Sequence[FileReport]) -> list[str]:
    fixed = [r for r in reports if r.fixed]
    if not fixed:
        return []
    total = sum(sum(r.fixed.values()) for r in fixed)
    out = [f"Fixed {total} error{'s' if total != 1 else ''}:"]
    names = {r.code: r.name for r in all_rules()}
    for r in fixed:
        out.append(f"- {r.display}:")
        for code, n in sorted(r.fixed.items()):
            out.append(f"    {n} × {code} ({names.get(code, '')})")
    out.append("")
    return out


def summary_lines(reports: Sequence[FileReport], *, fix_mode: bool, unsafe: bool) -> list[str]:
    """``All checks passed!`` or ``Found N errors.`` with fix hints, as ruff words them."""
    findings = [f for r in reports for f in r.findings]
    fixed = sum(sum(r.fixed.values()) for r in reports)
    remaining = len(findings)
    unchecked = sum(1 for r in reports if r.error)
    tail = []
    if unchecked:
        s = "s" if unchecked != 1 else ""
        tail.append(f"{unchecked} file{s} could not be checked (see the errors above).")
    partial = sum(1 for r in reports if r.rule_errors)
    if partial:
        families = len({family for r in reports for family, _, _ in r.rule_errors})
        tail.append(f"{families} rule famil{'ies' if families != 1 else 'y'} failed on {partial} "
                    f"file{'s' if partial != 1 else ''}; their checks did not run there "
                    "(see the errors above).")
    if remaining == 0 and fixed == 0:
        return tail or ["All checks passed!"]
    total = remaining + fixed
    plural = "s" if total != 1 else ""
    if fix_mode and fixed:
        out = [f"Found {total} error{plural} ({fixed} fixed, {remaining} remaining)."]
    else:
        out = [f"Found {total} error{plural}."]
    quiet = sum(1 for f in findings if not fails(f))
    if quiet:
        out[0] = out[0][:-1] + f"; {quiet} at information/hint level (not failing)."
    fixable = sum(1 for f in findings if _applicable(f, unsafe))
    hidden = sum(1 for f in findings if f.fix is not None and f.fix.edits and not f.fix.safe
                 and not unsafe)
    if fixable and not fix_mode:
        out.append(f"[*] {fixable} fixable with the `--fix` option.")
    if hidden:
        s = "es" if hidden != 1 else ""
        out.append(f"({hidden} hidden fix{s} can be enabled with the `--unsafe-fixes` option.)")
    return out + tail


# -- json ---------------------------------------------------------------------------------
def finding_to_json(f: Finding, path: str, cell: int | None = None) -> dict[str, Any]:
    """One finding with ruff's JSON field names, plus ``severity`` and ``name``; in a notebook,
    rows count from the start of cell ``cell``."""
    fix = None
    if f.fix is not None:
        fix = {
            "applicability": "safe" if f.fix.safe else "unsafe",
            "message": f.fix.title,
            "edits": [_edit_to_json(e) for e in f.fix.edits],
        }
    return {
        "cell": cell,
        "code": f.code,
        "end_location": _loc(f.range.end),
        "filename": path,
        "fix": fix,
        "location": _loc(f.range.start),
        "message": f.message,
        "name": f.name,
        "noqa_row": f.range.start.line + 1,
        "severity": f.severity.label,
        "url": f.url,
    }


def _edit_to_json(e: TextEdit) -> dict[str, Any]:
    return {"content": e.new_text, "location": _loc(e.range.start),
            "end_location": _loc(e.range.end)}


def rule_error_to_json(family: str, error: str, path: str) -> dict[str, Any]:
    """A rule family that failed on ``path``, in the shape of a finding (ruff's ``code: null``
    for what is not a rule's finding), marked ``kind: rule-error``."""
    start = {"row": 1, "column": 1}
    return {"cell": None, "code": None, "end_location": start, "filename": path, "fix": None,
            "location": start, "message": rule_error_message(family, error),
            "name": "rule-error", "noqa_row": None, "severity": "error", "url": None,
            "kind": "rule-error", "family": family}


def render_json(reports: Sequence[FileReport]) -> str:
    items: list[dict[str, Any]] = []
    for r in reports:
        items.extend(finding_to_json(f, r.path, r.cell_of(i)) for i, f in enumerate(r.findings))
        items.extend(rule_error_to_json(family, err, r.path) for family, err, _ in r.rule_errors)
    return json.dumps(items, indent=2, ensure_ascii=False) + "\n"


# -- statistics ---------------------------------------------------------------------------
def statistics(reports: Sequence[FileReport], unsafe: bool) -> list[dict[str, Any]]:
    """Findings counted per code, most frequent first (ties by code)."""
    counts: Counter[str] = Counter()
    names: dict[str, str] = {}
    fixable: dict[str, bool] = {}
    for r in reports:
        for f in r.findings:
            counts[f.code] += 1
            names[f.code] = f.name
            fixable[f.code] = fixable.get(f.code, False) or _applicable(f, unsafe)
    return [{"code": c, "name": names[c], "count": n, "fixable": fixable[c]}
            for c, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]


def render_statistics(reports: Sequence[FileReport], fmt: str, unsafe: bool) -> str:
    stats = statistics(reports, unsafe)
    if fmt == "json":
        return json.dumps(stats, indent=2) + "\n"
    if not stats:
        return ""
    width_n = max(len(str(s["count"])) for s in stats)
    width_c = max(len(s["code"]) for s in stats)
    rows = [f"{s['count']:>{width_n}}\t{s['code']:<{width_c}}\t"
            f"{'[*]' if s['fixable'] else '[ ]'} {s['name']}" for s in stats]
    return "\n".join(rows) + "\n"


# -- sarif --------------------------------------------------------------------------------
def _sarif_rule(info: RuleInfo) -> dict[str, Any]:
    description = info.message.replace("{", "").replace("}", "")
    return {
        "id": info.code,
        "name": info.name,
        "shortDescription": {"text": info.name.replace("-", " ").capitalize()},
        "fullDescription": {"text": description},
        "helpUri": info.url,
        "defaultConfiguration": {"level": _SARIF_LEVEL[info.severity]},
        "properties": {"family": info.family, "fixable": info.fixable,
                       "defaultEnabled": info.default_enabled},
    }


def _artifact(path: str, root: Path) -> dict[str, str]:
    try:
        rel = Path(path).relative_to(root)
    except ValueError:
        return {"uri": Path(path).as_uri()}
    return {"uri": quote(rel.as_posix()), "uriBaseId": "%SRCROOT%"}


def _region(start: Position, end: Position) -> dict[str, int]:
    return {"startLine": start.line + 1, "startColumn": start.column + 1,
            "endLine": end.line + 1, "endColumn": end.column + 1}


def _sarif_result(f: Finding, artifact: dict[str, str], index: dict[str, int],
                  cell: int | None = None) -> dict[str, Any]:
    result: dict[str, Any] = {
        "ruleId": f.code,
        "level": _SARIF_LEVEL[f.severity],
        "message": {"text": f.message},
        "locations": [{"physicalLocation": {
            "artifactLocation": artifact,
            "region": _region(f.range.start, f.range.end),
        }}],
    }
    if f.code in index:
        result["ruleIndex"] = index[f.code]
    if cell is not None:  # a notebook: lines count from the start of this cell
        result["properties"] = {"cell": cell}
    if f.fix is not None and f.fix.edits:
        result["fixes"] = [{
            "description": {"text": f.fix.title},
            "artifactChanges": [{
                "artifactLocation": artifact,
                "replacements": [{"deletedRegion": _region(e.range.start, e.range.end),
                                  "insertedContent": {"text": e.new_text}}
                                 for e in f.fix.edits],
            }],
        }]
    return result


def render_sarif(reports: Sequence[FileReport], root: Path | None = None) -> str:
    """A SARIF 2.1.0 log that GitHub code scanning accepts; URIs relative to ``root`` (cwd)."""
    root = (root or Path.cwd()).resolve()
    rules = all_rules()
    index = {r.code: i for i, r in enumerate(rules)}
    results: list[dict[str, Any]] = []
    for report in reports:
        artifact = _artifact(report.path, root)
        results.extend(_sarif_result(f, artifact, index, report.cell_of(i))
                       for i, f in enumerate(report.findings))
    notifications: list[dict[str, Any]] = [
        {"level": "error", "message": {"text": f"{r.display}: {r.error}"}}
        for r in reports if r.error]
    for r in reports:
        artifact = _artifact(r.path, root)
        for family, err, _ in r.rule_errors:
            kind, _, detail = err.partition(": ")
            notifications.append({
                "level": "error",
                "message": {"text": rule_error_message(family, err)},
                "locations": [{"physicalLocation": {"artifactLocation": artifact}}],
                "descriptor": {"id": family},
                "exception": {"kind": kind, "message": detail},
            })
    log = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "mlsense",
                "informationUri": (DOCS_DIR.parent.parent / "README.md").as_uri(),
                "version": __version__,
                "semanticVersion": __version__,
                "rules": [_sarif_rule(r) for r in rules],
            }},
            "originalUriBaseIds": {"%SRCROOT%": {"uri": root.as_uri() + "/"}},
            "columnKind": "unicodeCodePoints",
            "invocations": [{"executionSuccessful": not notifications,
                             "toolExecutionNotifications": notifications}],
            "results": results,
        }],
    }
    return json.dumps(log, indent=2, ensure_ascii=False) + "\n"


# -- translate ----------------------------------------------------------------------------
@dataclass
class UnavailableVerification:
    """Stands in for a VerificationReport when the verifier cannot run at all."""

    message: str
    verified: bool | None = None
    max_abs_error: float | None = None
    max_rel_error: float | None = None
    devices: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"verified": None, "message": self.message, "devices": []}


def translation_json(translation: Any, report: Any, asked: bool, out: Path | None) -> dict[str, Any]:
    """The JSON document of ``mlsense translate --output-format json``."""
    data = translation.as_dict()
    verified = getattr(report, "verified", None) if asked else None
    data.update({
        "output": str(out) if out is not None else None,
        "verified": verified,
        "max_abs_error": getattr(report, "max_abs_error", None),
        "max_rel_error": getattr(report, "max_rel_error", None),
        "devices": list(getattr(report, "devices", []) or []),
        "verification": report.as_dict() if report is not None else None,
    })
    return data


def translation_messages(name: str, translation: Any, report: Any, out: Path | None) -> list[str]:
    """What ``translate`` tells the user on stderr in text mode (stdout carries the code)."""
    stubs = dict.fromkeys((u.line, u.construct, u.reason) for u in translation.unsupported)
    lines = [f"{name}:{line}: {construct}: {reason} (left as a stub)"
             for line, construct, reason in sorted(stubs, key=lambda k: k[0])]
    lines.extend(f"note: {n}" for n in translation.notes)
    if out is not None:
        lines.append(f"wrote {out}")
    if report is not None:
        if getattr(report, "verified", False):
            err = getattr(report, "max_abs_error", None)
            rel = getattr(report, "max_rel_error", None)
            devices = ", ".join(getattr(report, "devices", []) or []) or "cpu"
            detail = f"max abs error {err:.3g}" if err is not None else "outputs match"
            if rel is not None:
                detail += f", max rel error {rel:.3g}"
            lines.append(f"verified on {devices}: {detail}")
        else:
            lines.append(f"verification failed: {getattr(report, 'message', '')}")
        training = getattr(report, "training", None)
        if training is not None and getattr(training, "ran", False):
            lines.append(f"training check: {getattr(training, 'message', '')}")
        rows = getattr(report, "per_device", None) or []
        if len(rows) == 1 and getattr(report, "verified", False):
            rows = []  # the summary line already says it all
        for row in rows:
            state = "skipped" if getattr(row, "skipped", False) else (
                "ok" if getattr(row, "verified", False) else "FAILED")
            detail = getattr(row, "message", "")
            lines.append(f"  {getattr(row, 'device', '?')}/{getattr(row, 'backend', '?')}: "
                         f"{state}{': ' + detail if detail else ''}")
    return lines
