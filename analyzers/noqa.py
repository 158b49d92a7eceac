"""``# noqa`` comments: one grammar for the engine (suppression) and the server (actions, hovers).

Imports nothing heavy, so the language server can use it before the engine is loaded.
"""

from __future__ import annotations

import re

# `# noqa` alone, or `# noqa: MLS101, MLS301` (codes separated by commas and/or spaces).
NOQA = re.compile(r"#\s*noqa(?::\s*(?P<codes>[A-Z]+[0-9]+(?:[\s,]+[A-Z]+[0-9]+)*))?", re.I)
FILE_NOQA = re.compile(r"^#\s*mlsense:\s*noqa\s*$", re.M | re.I)
_CODE_SEPARATOR = re.compile(r"[\s,]+")


def noqa_codes(line: str) -> list[re.Match[str]]:
    """The ``# noqa: CODES`` comments of ``line`` that list codes (``group("codes")``)."""
    return [m for m in NOQA.finditer(line) if m.group("codes")]


def suppressed(line: str, code: str) -> bool:
    """Whether a ``# noqa`` on ``line`` suppresses ``code`` (a bare ``# noqa`` suppresses all)."""
    for m in NOQA.finditer(line):
        codes = m.group("codes")
        if not codes or code in {c.upper() for c in _CODE_SEPARATOR.split(codes) if c}:
            return True
    return False
