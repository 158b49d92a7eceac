"""Statements as the shape walks read them: which names a statement binds
(``assigned_names``), the parts a tuple target takes (``destructure``), and the branch an
``if`` takes on constructor values (``truth``, ``branch``)."""

from __future__ import annotations

import operator
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import libcst as cst

from ..walk import iter_nodes
from . import ops
from .args import UNKNOWN, Symbol, literal
from .ops import Value

if TYPE_CHECKING:
    from ..units import TopChunk

_COMPARE: dict[type, Any] = {
    cst.Equal: operator.eq, cst.NotEqual: operator.ne, cst.LessThan: operator.lt,
    cst.GreaterThan: operator.gt, cst.LessThanEqual: operator.le,
    cst.GreaterThanEqual: operator.ge, cst.Is: operator.is_, cst.IsNot: operator.is_not}


def truth(expr: cst.BaseExpression, env: Mapping[str, Any]) -> bool | None:
    """The value of a condition on constructor values (``use_bn``, ``stride != 1 or cin !=
    cout``, ``pool == "max"``, ``norm is None``), None where it is not certain."""
    if isinstance(expr, cst.UnaryOperation) and isinstance(expr.operator, cst.Not):
        inner = truth(expr.expression, env)
        return None if inner is None else not inner
    if isinstance(expr, cst.BooleanOperation):
        left, right = truth(expr.left, env), truth(expr.right, env)
        if isinstance(expr.operator, cst.And):
            return False if False in (left, right) else (None if None in (left, right) else True)
        return True if True in (left, right) else (None if None in (left, right) else False)
    if isinstance(expr, cst.Comparison) and len(expr.comparisons) == 1:
        op = _COMPARE.get(type(expr.comparisons[0].operator))
        left, right = literal(expr.left, env), literal(expr.comparisons[0].comparator, env)
        if op is None or left is UNKNOWN or right is UNKNOWN \
                or isinstance(left, Symbol) or isinstance(right, Symbol):
            return None
        if op in (operator.is_, operator.is_not) and not (left is None or right is None):
            return None
        try:
            return bool(op(left, right))
        except TypeError:
            return None
    value = literal(expr, env)
    return None if value is UNKNOWN or isinstance(value, float | Symbol) else bool(value)


def branch(stmt: cst.If, env: Mapping[str, Any]) -> cst.BaseSuite | None | bool:
    """The block an ``if`` takes with ``env`` (None: neither, no ``else``); False where the
    condition is not certain."""
    taken = truth(stmt.test, env)
    if taken is None:
        return False
    if taken:
        return stmt.body
    if isinstance(stmt.orelse, cst.If):
        return branch(stmt.orelse, env)
    return stmt.orelse.body if isinstance(stmt.orelse, cst.Else) else None


def destructure(target: cst.BaseExpression, value: Value, out: list[tuple[str, Value]]
                 ) -> None:
    """``out, (h, c) = <an LSTM's outputs>``: each name with its part (None where unknown)."""
    if isinstance(target, cst.Name):
        out.append((target.value, value))
    elif isinstance(target, cst.Tuple | cst.List):
        items = value.items if isinstance(value, ops.Outputs) \
            and len(value.items) == len(target.elements) else None
        for i, element in enumerate(target.elements):
            destructure(element.value, items[i] if items is not None else None, out)
    elif isinstance(target, cst.StarredElement):
        destructure(target.value, None, out)


def assigned_names(node: cst.CSTNode) -> list[str]:

    names = []
    for n in iter_nodes([node]):
        if isinstance(n, cst.AssignTarget | cst.AugAssign | cst.AnnAssign | cst.For):
            names += _target_names(n.target)
        elif isinstance(n, cst.NamedExpr) and isinstance(n.target, cst.Name):
            names.append(n.target.value)
        elif isinstance(n, cst.WithItem) and n.asname is not None:
            names += _target_names(n.asname.name)
    return names


def _target_names(target: cst.BaseExpression) -> list[str]:
    """The names a target binds: ``a, (b, *c)``; ``self.num_classes = ...`` and ``x[0] =
    ...`` bind none."""
    if isinstance(target, cst.Name):
        return [target.value]
    if isinstance(target, cst.Tuple | cst.List):
        return [n for el in target.elements for n in _target_names(el.value)]
    if isinstance(target, cst.StarredElement):
        return _target_names(target.value)
    return []


def statement_words(chunk: TopChunk) -> frozenset[str]:
    """The names a top-level statement's text spells (memoized on it): what a per-statement
    memo keyed on the bindings it reads looks up."""
    words: Any = chunk.memo.get("semantics:words")
    if words is None:
        words = chunk.memo["semantics:words"] = frozenset(_WORD.findall(chunk.text))
    return words  # type: ignore[no-any-return]


_WORD = re.compile(r"[A-Za-z_]\w*")
