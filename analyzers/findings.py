"""Plain data that the analyzers return: findings, ranges, fixes, and what a rule code is
(:class:`RuleInfo`). No LSP, no CLI."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from pathlib import Path


class Severity(enum.IntEnum):
    """Severity of a finding; values match LSP's DiagnosticSeverity."""

    ERROR = 1
    WARNING = 2
    INFORMATION = 3
    HINT = 4

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, text: str) -> Severity:
        key = text.strip().upper()
        aliases = {"INFO": "INFORMATION", "WARN": "WARNING"}
        return cls[aliases.get(key, key)]


@dataclass(frozen=True, order=True)
class Position:
    """A 0-based line and a 0-based column counted in Unicode code points (str indices)."""

    line: int
    column: int


@dataclass(frozen=True)
class Range:
    start: Position
    end: Position


@dataclass(frozen=True)
class TextEdit:
    """Replace the text in ``range`` with ``new_text`` (an insertion when the range is empty)."""

    range: Range
    new_text: str


@dataclass(frozen=True)
class Fix:
    """A fix: its title and the edits that apply it. ``safe`` fixes are applied by ``--fix``."""

    title: str
    edits: tuple[TextEdit, ...]
    safe: bool = True


@dataclass(frozen=True)
class Finding:
    """One diagnostic produced by a rule (or by the engine: syntax and decoding errors)."""

    code: str
    name: str
    message: str
    severity: Severity
    range: Range
    fix: Fix | None = None
    url: str | None = None
    tags: tuple[str, ...] = field(default=())  # "unnecessary" / "deprecated", as LSP tags them


# Each rule's page ships with the package (docs/rules/*.md is package data): link to that copy.
DOCS_DIR = Path(__file__).resolve().parent.parent / "docs" / "rules"


@dataclass(frozen=True)
class RuleInfo:
    """One rule code. ``message`` is a ``str.format`` template filled from ``report(**fields)``."""

    code: str
    name: str
    message: str
    severity: Severity = Severity.WARNING
    default_enabled: bool = True
    fixable: bool = False
    family: str = ""

    @property
    def url(self) -> str:
        return (DOCS_DIR / f"{self.code}.md").as_uri()
