"""A call's arguments as values where the code states them (literals, tuples, negative numbers,
``True``/``False``/``None``); anything else is :data:`UNKNOWN`."""

from __future__ import annotations

import operator
from collections.abc import Mapping
from typing import Any

import libcst as cst

from .dims import over, plus, product, times

UNKNOWN: Any = type("Unknown", (), {"__repr__": lambda self: "UNKNOWN"})()


class Symbol(str):
    """A constructor parameter's value where no call in the file states it, written by the
    parameter's name (``in_chans``) or an expression of such names (``2*width``): a size a
    shape can carry, never a certain truth value or a window's arithmetic."""


def _symbolic(op: type, left: Any, right: Any) -> Any:
    """``width * 2``, ``dim + 1``, ``dim // 2`` with a :class:`Symbol`: the expression."""
    ints = [isinstance(v, int) and not isinstance(v, bool) for v in (left, right)]
    if not all(i or isinstance(v, Symbol) for i, v in zip(ints, (left, right), strict=True)):
        return UNKNOWN
    if op is cst.Multiply:
        dim = product((left, right)) if not any(ints) else \
            times(right, left) if ints[0] else times(left, right)
    elif op in (cst.Add, cst.Subtract) and any(ints):
        sign = -1 if op is cst.Subtract else 1
        dim = plus(left, sign * right) if ints[1] else UNKNOWN if sign < 0 else plus(right, left)
    elif op is cst.FloorDivide and ints[1] and right > 0:
        dim = over(left, right)
    else:
        return UNKNOWN
    return Symbol(dim) if isinstance(dim, str) else dim
_ARITHMETIC: dict[type, Any] = {cst.Add: operator.add, cst.Subtract: operator.sub,
                                cst.Multiply: operator.mul, cst.FloorDivide: operator.floordiv}


def literal(node: cst.BaseExpression, env: Mapping[str, Any] | None = None) -> Any:
    """The value ``node`` states; a Name is looked up in ``env`` (constructor arguments,
    constants) when given."""
    if isinstance(node, cst.Name) and env is not None and node.value in env:
        return env[node.value]
    if isinstance(node, cst.Integer):
        return int(node.value, 0)
    if isinstance(node, cst.Float):
        return float(node.value)
    if isinstance(node, cst.SimpleString):
        return node.evaluated_value
    if isinstance(node, cst.Name) and node.value in ("True", "False", "None"):
        return {"True": True, "False": False, "None": None}[node.value]
    if isinstance(node, cst.UnaryOperation) and isinstance(node.operator, cst.Minus):
        inner = literal(node.expression, env)
        return -inner if isinstance(inner, int | float) and not isinstance(inner, bool) \
            else UNKNOWN
    if isinstance(node, cst.BinaryOperation):  # 32 * 13 * 13, 64 // 2
        left, right = literal(node.left, env), literal(node.right, env)
        op = _ARITHMETIC.get(type(node.operator))
        if isinstance(left, Symbol) or isinstance(right, Symbol):
            return _symbolic(type(node.operator), left, right)
        if op is not None and all(isinstance(v, int) and not isinstance(v, bool)
                                  for v in (left, right)):
            try:
                return op(left, right)
            except ZeroDivisionError:
                return UNKNOWN
        return UNKNOWN
    if isinstance(node, cst.Tuple | cst.List):
        items = [literal(el.value, env) if not isinstance(el, cst.StarredElement) else UNKNOWN
                 for el in node.elements]
        return UNKNOWN if any(i is UNKNOWN for i in items) else tuple(items)
    return UNKNOWN


class Args:
    """Positional and keyword arguments of one call, evaluated with :func:`literal`."""

    def __init__(self, call: cst.Call, env: Mapping[str, Any] | None = None) -> None:
        self.positional: list[Any] = []
        self.keywords: dict[str, Any] = {}
        self.opaque = False  # *args / **kwargs: nothing missing can be assumed a default
        for arg in call.args:
            if arg.star:
                self.opaque = True
            elif arg.keyword is not None:
                self.keywords[arg.keyword.value] = literal(arg.value, env)
            else:
                self.positional.append(literal(arg.value, env))

    def get(self, name: str, index: int | None = None, default: Any = UNKNOWN) -> Any:
        """The argument passed as ``name`` or at ``index``, else ``default`` (UNKNOWN when
        ``*args``/``**kwargs`` might have carried it)."""
        if name in self.keywords:
            return self.keywords[name]
        if index is not None and index < len(self.positional):
            return self.positional[index]
        return UNKNOWN if self.opaque else default

    def ints(self, name: str, index: int | None, rank: int, default: Any = UNKNOWN,
             ) -> tuple[int, ...] | None:
        """An int-or-tuple argument (``kernel_size=3`` -> ``(3, 3)`` for rank 2), or None."""
        value = self.get(name, index, default)
        if isinstance(value, int) and not isinstance(value, bool):
            return (value,) * rank
        if isinstance(value, tuple) and len(value) == rank and all(
                isinstance(v, int) and not isinstance(v, bool) for v in value):
            return value
        return None
