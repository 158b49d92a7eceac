"""Python side effects in a function compiled with ``jax.jit`` (MLS504): ``print``, appending
to a list from outside, writing a ``global``. They run once, while JAX traces the function, and
never again on the compiled calls."""

from __future__ import annotations

from collections.abc import Iterator

import libcst as cst

from ..context import ChunkContext
from ..findings import Severity
from ..registry import ChunkRule, RuleInfo, register
from ..walk import children
from .flow.walker import param_names
from .patterns import is_attribute, is_name

_JIT = frozenset(("jax.jit", "jax.pmap", "equinox.filter_jit", "flax.linen.jit"))
_PARTIAL = frozenset(("functools.partial",))


def is_jitted(ctx: ChunkContext, fn: cst.FunctionDef) -> bool:
    """``@jax.jit``, ``@jit``, ``@partial(jax.jit, static_argnums=...)``."""
    for d in fn.decorators:
        expr = d.decorator
        if ctx.qualname(expr) in _JIT:
            return True
        if isinstance(expr, cst.Call) and ctx.call_qualname(expr) in _PARTIAL and expr.args \
                and ctx.qualname(expr.args[0].value) in _JIT:
            return True
    return False


def _body_nodes(node: cst.CSTNode) -> Iterator[cst.CSTNode]:
    """The nodes of a function body, not entering nested functions, classes or lambdas."""
    stack = list(reversed(children(node)))
    while stack:
        n = stack.pop()
        yield n
        if not isinstance(n, cst.FunctionDef | cst.ClassDef | cst.Lambda):
            stack.extend(reversed(children(n)))


def _bound_names(fn: cst.FunctionDef) -> set[str]:
    names = set(param_names(fn))
    for n in _body_nodes(fn.body):
        if isinstance(n, cst.AssignTarget | cst.AnnAssign | cst.AugAssign | cst.For
                      | cst.CompFor):
            target = n.target
            names.update(x.value for x in [target, *_body_nodes(target)] if isinstance(x, cst.Name))
        elif isinstance(n, cst.AsName) and isinstance(n.name, cst.Name):
            names.add(n.name.value)
        elif isinstance(n, cst.NamedExpr) and isinstance(n.target, cst.Name):
            names.add(n.target.value)
        elif isinstance(n, cst.FunctionDef | cst.ClassDef):
            names.add(n.name.value)
    return names


@register
class JitSideEffectRule(ChunkRule):
    """Side effects that only happen while ``jax.jit`` traces the function."""

    family = "jax-jit"
    needs = frozenset(("def",))
    requires = ("jax", "equinox", "flax")
    rules = (
        RuleInfo("MLS504", "side-effect-in-jit",
                 "{what} inside the jitted `{function}` runs once, while JAX traces it, and "
                 "never on the compiled calls{advice}", Severity.WARNING),
    )

    def __init__(self, ctx: ChunkContext) -> None:
        super().__init__(ctx)
        self._active = ctx.imports.imports_any("jax", "equinox", "flax")

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        if not self._active or not node.decorators or not is_jitted(self.ctx, node):
            return
        name = node.name.value
        bound: set[str] | None = None
        globals_: set[str] = set()
        for n in _body_nodes(node.body):
            if isinstance(n, cst.Global):
                globals_.update(g.name.value for g in n.names)
            if not isinstance(n, cst.Call):
                continue
            if is_name(n.func, "print") and self.ctx.qualname(n.func) is None:
                self.ctx.report(n, "MLS504", None, what="`print`", function=name,
                                advice=" (and prints tracers, not values); use "
                                       "`jax.debug.print`")
            elif is_attribute(n.func, "append", "extend") \
                    and isinstance(n.func.value, cst.Name):
                if bound is None:
                    bound = _bound_names(node)
                target = n.func.value.value
                if target not in bound or target in globals_:
                    self.ctx.report(n, "MLS504", None,
                                    what=f"`{target}.{n.func.attr.value}(...)` on a list from "
                                         "outside", function=name,
                                    advice="; return the values instead")
        if globals_:
            for n in _body_nodes(node.body):
                for written in _assigned(n):
                    if written.value in globals_:
                        self.ctx.report(n, "MLS504", None,
                                        what=f"writing the global `{written.value}`",
                                        function=name, advice="; return the value instead")


def _assigned(node: cst.CSTNode) -> Iterator[cst.Name]:
    if isinstance(node, cst.Assign):
        for t in node.targets:
            if isinstance(t.target, cst.Name):
                yield t.target
    elif isinstance(node, cst.AugAssign | cst.AnnAssign) and isinstance(node.target, cst.Name):
        yield node.target
