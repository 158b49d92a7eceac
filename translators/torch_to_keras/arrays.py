"""Training-code helpers: PyTorch data expressions -> their NumPy twins, and the statements of an
epoch loop that Keras' ``fit`` does not carry."""

from __future__ import annotations

import ast

from .model import Resolver


def float_randint(value: ast.expr, resolver: Resolver) -> ast.Call | None:
    """The ``torch.randint(low, high, size)`` call of ``torch.randint(...).float()``, or None."""
    if not (isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute)
            and value.func.attr == "float" and not value.args):
        return None
    inner = value.func.value
    return inner if isinstance(inner, ast.Call) and len(inner.args) == 3 and \
        resolver.qualname(inner.func) == "torch.randint" else None


class AsArray(ast.NodeTransformer):
    """``torch.as_tensor(a, dtype=...)`` / ``torch.from_numpy(a)`` -> ``a``: Keras takes the
    NumPy array itself (the Keras -> PyTorch translation writes these around every array)."""

    def __init__(self, resolver: Resolver) -> None:
        self.r = resolver

    def visit_Call(self, node: ast.Call) -> ast.AST:
        self.generic_visit(node)
        if self.r.qualname(node.func) in ("torch.as_tensor", "torch.from_numpy") and \
                len(node.args) == 1 and all(k.arg == "dtype" for k in node.keywords):
            return node.args[0]
        return node


class DropItem(ast.NodeTransformer):
    """``loss.item()`` -> ``loss`` for names that already hold a Python float on the Keras side."""

    def __init__(self, scalars: set[str]) -> None:
        self.scalars = scalars

    def visit_Call(self, node: ast.Call) -> ast.AST:
        self.generic_visit(node)
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr == "item" and not node.args and \
                isinstance(func.value, ast.Name) and func.value.id in self.scalars:
            return func.value
        return node


def not_carried(loop: ast.For, used: set[int], known: set[str]) -> list[ast.stmt]:
    """Statements of the epoch loop (and its batch loop) fit() does not do: not the step, mode
    switches, scheduler steps, prints, the running loss Keras logs, or those in ``used``."""
    book = {ast.unparse(n.func.value) for n in ast.walk(loop) if isinstance(n, ast.Call)
            and isinstance(n.func, ast.Attribute) and n.func.attr == "backward"} | known
    assigns = [n for n in ast.walk(loop) if isinstance(n, ast.Assign | ast.AugAssign)]
    for _ in range(3):  # names fed by the loss (running totals) are Keras' logs too
        book |= {t.id for n in assigns if {r.id for r in ast.walk(n.value) if isinstance(
            r, ast.Name)} & book for t in ast.walk(n) if isinstance(t, ast.Name)
            and isinstance(t.ctx, ast.Store)}
    inner = [s for s in loop.body if isinstance(s, ast.For)]
    left = []
    for s in loop.body + [b for batch_loop in inner for b in batch_loop.body]:
        if id(s) in used or id(s) in {id(i) for i in inner}:
            continue
        if isinstance(s, ast.Expr) and isinstance(s.value, ast.Call) and (
                isinstance(s.value.func, ast.Attribute) and s.value.func.attr in
                ("train", "eval", "zero_grad", "step", "backward")
                or ast.unparse(s.value.func) == "print"):
            continue
        if isinstance(s, ast.Assign | ast.AugAssign) and \
                {n.id for n in ast.walk(s) if isinstance(n, ast.Name)} & book:
            continue  # the step itself, or the running loss Keras logs
        left.append(s)
    return left
