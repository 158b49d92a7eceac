"""Small, typed predicates for the node shapes the rules look for.

These replace ``libcst.matchers``: importing that package costs ~0.24 s of CPU in every process
(CLI, language server, pool workers) while the rules only ever asked a dozen shallow questions
such as "is this ``<x>.grad``?". Plain ``isinstance`` checks answer them in microseconds, and the
``TypeGuard`` return types let callers use the matched node's fields without casts.
"""

from __future__ import annotations

from typing import TypeGuard

import libcst as cst

# The words a `for` / `while` loop is written with: the `needs` of a family reporting on loops.
LOOP_WORDS = frozenset(("for", "while"))


def is_name(node: cst.CSTNode, *values: str) -> TypeGuard[cst.Name]:
    """``node`` is a Name, spelled as one of ``values`` when any are given."""
    return isinstance(node, cst.Name) and (not values or node.value in values)


def is_attribute(node: cst.CSTNode, *attrs: str, on: str | None = None,
                 on_name: bool = False) -> TypeGuard[cst.Attribute]:
    """``node`` is ``<x>.<attr>``: ``attr`` among ``attrs`` when any are given; ``x`` the name
    ``on`` when given, or any bare name when ``on_name``."""
    if not isinstance(node, cst.Attribute):
        return False
    if attrs and node.attr.value not in attrs:
        return False
    if on is not None:
        return is_name(node.value, on)
    return not on_name or isinstance(node.value, cst.Name)


def is_integer(node: cst.CSTNode, value: str | None = None) -> TypeGuard[cst.Integer]:
    """``node`` is an integer literal, written exactly as ``value`` when given (``"1"``, not
    ``"0x1"``)."""
    return isinstance(node, cst.Integer) and (value is None or node.value == value)


def is_minus_one(node: cst.CSTNode) -> bool:
    """``node`` is the literal ``-1``."""
    return isinstance(node, cst.UnaryOperation) and isinstance(node.operator, cst.Minus) \
        and is_integer(node.expression, "1")


def is_call_of_name(node: cst.CSTNode, *names: str) -> TypeGuard[cst.Call]:
    """``node`` calls a bare name among ``names``: ``len(x)``, ``int(x)``."""
    return isinstance(node, cst.Call) and is_name(node.func, *names)


def is_empty_sequence(node: cst.CSTNode) -> bool:
    """``node`` is ``()`` or ``[]``."""
    return isinstance(node, cst.Tuple | cst.List) and not node.elements


def is_integer_index(node: cst.CSTNode, attr: str) -> TypeGuard[cst.Subscript]:
    """``node`` is ``<x>.<attr>[<integer literal>]`` with a single index, as in ``y.shape[0]``."""
    if not isinstance(node, cst.Subscript) or not is_attribute(node.value, attr):
        return False
    if len(node.slice) != 1:
        return False
    index = node.slice[0].slice
    return isinstance(index, cst.Index) and is_integer(index.value)


def single_assignment(stmt: cst.CSTNode,
                      ) -> tuple[cst.BaseAssignTargetExpression, cst.BaseExpression] | None:
    """``(target, value)`` of an assignment with exactly one ``=`` target (``a = v``, not
    ``a = b = v``), else None."""
    if isinstance(stmt, cst.Assign) and len(stmt.targets) == 1:
        return stmt.targets[0].target, stmt.value
    return None
