"""A tiny static evaluator for constructor arguments (``nn.Conv2d(in_ch, 2 * width, 3)``).

The translator needs the values of layer arguments to make decisions (is this conv depthwise?
does this padding equal ``"same"``?) and to infer shapes, but it never runs user code: only
literals, names bound in an environment and integer arithmetic are evaluated; anything else is
:data:`UNKNOWN`.
"""

from __future__ import annotations

import ast
import operator
from typing import Any


class _Unknown:
    """Sentinel for a value that cannot be computed statically."""

    def __repr__(self) -> str:
        return "UNKNOWN"


UNKNOWN: Any = _Unknown()

_BINOPS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
           ast.FloorDiv: operator.floordiv, ast.Div: operator.truediv, ast.Mod: operator.mod,
           ast.Pow: operator.pow}


def evaluate(node: ast.expr | None, env: dict[str, Any]) -> Any:
    """Value of ``node`` given ``env`` (names -> values), or UNKNOWN."""
    if node is None:
        return UNKNOWN
    try:
        return _eval(node, env)
    except (ArithmeticError, TypeError, ValueError, KeyError, IndexError):
        return UNKNOWN


def _eval(node: ast.expr, env: dict[str, Any]) -> Any:
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Name):
        return env.get(node.id, UNKNOWN)
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) \
            and node.value.id == "self":
        return env.get("self." + node.attr, UNKNOWN)
    if isinstance(node, (ast.Tuple, ast.List)):
        items = [_eval(e, env) for e in node.elts]
        return UNKNOWN if any(i is UNKNOWN for i in items) else tuple(items)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        val = _eval(node.operand, env)
        return UNKNOWN if val is UNKNOWN else -val
    if isinstance(node, ast.BinOp) and type(node.op) in _BINOPS:
        left, right = _eval(node.left, env), _eval(node.right, env)
        if left is UNKNOWN or right is UNKNOWN:
            return UNKNOWN
        return _BINOPS[type(node.op)](left, right)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) \
            and node.func.id in ("int", "float") and len(node.args) == 1:
        val = _eval(node.args[0], env)
        return UNKNOWN if val is UNKNOWN else {"int": int, "float": float}[node.func.id](val)
    return UNKNOWN


def bind_call(params: list[str], defaults: dict[str, Any], call: ast.Call,
              env: dict[str, Any]) -> tuple[dict[str, Any], dict[str, ast.expr]]:
    """Match ``call``'s arguments to ``params``; return (values, argument nodes) by name.

    Parameters that the call leaves out take ``defaults`` (values, not nodes). Raises
    ValueError for ``*args``/``**kwargs`` or unknown keywords, which the caller reports.
    """
    nodes: dict[str, ast.expr] = {}
    for i, arg in enumerate(call.args):
        if isinstance(arg, ast.Starred) or i >= len(params):
            raise ValueError("positional arguments beyond the known signature")
        nodes[params[i]] = arg
    for kw in call.keywords:
        if kw.arg is None or kw.arg not in params:
            raise ValueError(f"unknown keyword argument {kw.arg!r}")
        nodes[kw.arg] = kw.value
    values = {name: evaluate(node, env) for name, node in nodes.items()}
    for name, default in defaults.items():
        values.setdefault(name, default)
    return values, nodes
