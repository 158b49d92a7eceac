"""Constructor / builder parameters that flow into layer arguments (``Dense(num_classes)``).

Shape inference needs numbers, so a parameter is traced with its default value; the value is a
:class:`ParamInt` / :class:`ParamFloat` that remembers the parameter's name. Formatted into
generated source it renders as a marker (``«num_classes=10»``): :func:`render` turns the marker
into the parameter name inside ``__init__`` (``nn.Linear(64, num_classes)``) and into the value
elsewhere. Arithmetic on it gives a plain number (a flattened size computed from a parameter is
folded), so :func:`fixed_reason` re-emits the model with another default to find the parameters
whose value still shaped the code: those are fixed at their default and get a comment.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable
from typing import Any

_MARK = re.compile(r"\u00ab(\w+)=([^\u00bb]*)\u00bb")


class _ParamNumber:
    """A number that remembers the parameter it came from: it prints as a marker that emission
    turns back into the parameter's name; arithmetic on it gives a plain number."""

    param: str
    _number: Any  # the numeric base class, int or float

    def __repr__(self) -> str:
        return f"\u00ab{self.param}={self._number.__repr__(self)}\u00bb"

    __str__ = __repr__

    def __format__(self, spec: str) -> str:
        return repr(self) if not spec else self._number.__format__(self, spec)


class ParamInt(_ParamNumber, int):
    """An ``int`` default value of the parameter ``param``."""

    _number = int

    def __new__(cls, value: int, param: str) -> ParamInt:
        obj = int.__new__(cls, value)
        obj.param = param
        return obj


class ParamFloat(_ParamNumber, float):
    """A ``float`` default value of the parameter ``param`` (e.g. a dropout rate)."""

    _number = float

    def __new__(cls, value: float, param: str) -> ParamFloat:
        obj = float.__new__(cls, value)
        obj.param = param
        return obj


def tag(name: str, value: Any) -> Any:
    """``value`` remembering that it is parameter ``name``'s default (numbers only)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return value
    return ParamInt(value, name) if isinstance(value, int) else ParamFloat(value, name)


def plain(value: Any) -> Any:
    """``value`` with every tagged number turned back into a plain one (contract data)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, tuple):
        return tuple(plain(v) for v in value)
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    return value


def unmark(text: str) -> str:
    """Markers replaced by their values (messages, code outside ``__init__``)."""
    return _MARK.sub(lambda m: m.group(2), text)


def named(text: str, names: dict[str, str]) -> str:
    """Markers of the parameters in ``names`` replaced by their expression (``self.rate``)."""
    return _MARK.sub(lambda m: names.get(m.group(1), m.group(0)), text)


def render(code: str, symbolic: bool) -> str:
    """Model code with markers as names in ``__init__`` (when ``symbolic``), values elsewhere."""
    out: list[str] = []
    in_init = False
    for line in code.splitlines():
        stripped = line.strip()
        if stripped.startswith("def "):
            in_init = stripped.startswith("def __init__(")
        named = symbolic and in_init and not stripped.startswith("#")
        out.append(_MARK.sub(lambda m: m.group(1), line) if named else unmark(line))
    return "\n".join(out)


def perturbed(value: Any) -> Any:
    """Another valid-looking value for a numeric default (keeps divisibility for ints)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if isinstance(value, int):
        return value * 2 if value else 1
    return value / 2 if value else 0.25


def fixed_reason(name: str, default: Any, code: str,
                 emit_with: Callable[[dict[str, Any]], str | None]) -> str | None:
    """Why parameter ``name`` cannot follow the caller's value in ``code`` (None: it can).

    ``emit_with(overrides)`` re-emits the model with other defaults (None when that fails).
    """
    other = perturbed(default)
    if other is None:
        if re.search(rf"\b{re.escape(name)}\b", _body(code)):
            return None
        return "only a number can stay symbolic"
    again = emit_with({name: tag(name, other)})
    if again is None:
        return "other values do not trace statically"
    if again == code:
        return None
    where = _first_difference(code, again)
    return f"it feeds a value derived in {where}"


def _body(code: str) -> str:
    """``code`` without ``def`` lines (a name in a signature is not a use)."""
    return "\n".join(line for line in code.splitlines() if not line.strip().startswith("def "))


def _first_difference(code: str, again: str) -> str:
    lines = code.splitlines()
    for i, (a, b) in enumerate(zip(lines, again.splitlines(), strict=False)):
        if a != b:
            for line in reversed(lines[:i + 1]):  # the statement a wrapped argument belongs to
                attr = re.match(r"\s*(self\.\w+)\s*=", line)
                if attr or line.strip().startswith("def "):
                    return attr.group(1) if attr else "forward"
            return "forward"
    return "the layers"


def used_names(node: ast.AST) -> set[str]:
    """Names read under ``node`` (a parameter never read cannot be folded away)."""
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
