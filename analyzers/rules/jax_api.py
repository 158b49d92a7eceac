"""JAX rules (MLS501-503). MLS501-502 run on the shared dataflow (which names hold JAX arrays
and PRNG keys); MLS503 reads a table of removed names (data/jax_api.json).

Values: ``("arr",)`` a JAX array; ``("key", s)`` a PRNG key with state ``s`` in ``fresh`` (not
yet consumed), ``used`` (consumed by a sampler), ``maybe`` (consumed on some path).
"""

from __future__ import annotations

import libcst as cst

from ..context import ChunkContext, EditSpec, FixSpec, ModuleContext
from ..findings import Severity
from ..registry import ChunkRule, ModuleRule, RuleInfo, register
from .flow.run import replay, share_flow, shared_flow
from .flow.walker import UNKNOWN, Env, FlowAnalysis, Value, first_arg
from .tables import load_table

_NOT_ARRAYS = frozenset(f"jax.numpy.{n}" for n in (
    "shape", "ndim", "size", "dtype", "result_type", "iinfo", "finfo", "issubdtype", "isscalar",
    "can_cast", "promote_types", "dtype",
))
_KEY_MAKERS = frozenset(("jax.random.PRNGKey", "jax.random.key", "jax.random.fold_in",
                         "jax.random.wrap_key_data", "jax.random.clone"))
_NOT_SAMPLERS = _KEY_MAKERS | {"jax.random.split", "jax.random.key_data", "jax.random.key_impl"}
# Calls that read a key without using it up: fold_in derives a new key from the key and data
# (the documented way to make one key per step), key_data/key_impl inspect it.
_NOT_CONSUMING = frozenset(("jax.random.PRNGKey", "jax.random.key", "jax.random.fold_in",
                            "jax.random.key_data", "jax.random.key_impl", "jax.random.clone",
                            "jax.random.wrap_key_data"))
_ARRAY_METHODS = frozenset(("reshape", "astype", "T", "transpose", "copy", "ravel", "flatten",
                            "squeeze", "sum", "mean"))
_AUG_OPS = {"+=": "add", "*=": "multiply", "/=": "divide", "**=": "power"}


class JaxFlow(FlowAnalysis):
    """Tracks JAX arrays (immutable) and PRNG keys (single use)."""

    def evaluate(self, expr: cst.BaseExpression, env: Env) -> Value:
        if isinstance(expr, cst.Name):
            return self.lookup(expr.value, env)
        if isinstance(expr, cst.BinaryOperation):
            a, b = self.evaluate(expr.left, env), self.evaluate(expr.right, env)
            return ("arr",) if ("arr",) in (a, b) else UNKNOWN
        if isinstance(expr, cst.Call):
            q = self.ctx.call_qualname(expr)
            if q is not None:
                if q in _KEY_MAKERS:
                    return ("key", "fresh")
                if q.startswith("jax.numpy.") and q not in _NOT_ARRAYS:
                    return ("arr",)
                if q.startswith("jax.random.") and q not in _NOT_SAMPLERS:
                    return ("arr",)
                return UNKNOWN
            func = expr.func
            if isinstance(func, cst.Attribute) and func.attr.value in ("set", "add", "multiply") \
                    and isinstance(func.value, cst.Subscript) \
                    and isinstance(func.value.value, cst.Attribute) \
                    and func.value.value.attr.value == "at":
                return ("arr",)  # x.at[i].set(v)
            if isinstance(func, cst.Attribute) and func.attr.value in _ARRAY_METHODS \
                    and self.evaluate(func.value, env) == ("arr",):
                return ("arr",)
        return UNKNOWN

    def join_values(self, a: Value, b: Value) -> Value:
        if a == b:
            return a
        if a[0] == "key" and b[0] == "key":
            return ("key", "maybe")
        return UNKNOWN

    def on_statement(self, stmt: cst.CSTNode, env: Env) -> None:
        if isinstance(stmt, cst.Assign | cst.AugAssign):
            self._item_assignment(stmt, env)
        self._key_uses(stmt, env)

    def element_value(self, expr: cst.BaseExpression, env: Env) -> Value:
        # key, subkey = jax.random.split(key): both names hold fresh keys.
        return ("key", "fresh") if self.ctx.call_qualname(expr) == "jax.random.split" else UNKNOWN

    def _item_assignment(self, stmt: cst.Assign | cst.AugAssign, env: Env) -> None:
        targets = [t.target for t in stmt.targets] if isinstance(stmt, cst.Assign) else [stmt.target]
        for target in targets:
            if not (isinstance(target, cst.Subscript) and isinstance(target.value, cst.Name)):
                continue
            if self.lookup(target.value.value, env) != ("arr",):
                continue
            name = target.value.value
            index = self.ctx.code_for(target).split("[", 1)[1][:-1]
            value = self.ctx.code_for(stmt.value)
            fix: FixSpec | None = None
            fix_text: str | None = None
            if isinstance(stmt, cst.Assign):
                fix_text = f"{name} = {name}.at[{index}].set({value})"
            else:
                op = _AUG_OPS.get(self.ctx.code_for(stmt.operator).strip())
                fix_text = f"{name} = {name}.at[{index}].{op}({value})" if op else None
            if fix_text is not None and len(targets) == 1:
                fix = FixSpec(f"Use `{name}.at[...]`", (EditSpec(stmt, fix_text),))
            self.report(target, "MLS501", fix, name=name)

    def _key_uses(self, stmt: cst.CSTNode, env: Env) -> None:
        for call in self.calls(stmt):
            q = self.ctx.call_qualname(call)
            if q is None or not q.startswith("jax.random.") or q in _NOT_CONSUMING:
                continue
            arg = first_arg(call, "key")
            if arg is None or not isinstance(arg.value, cst.Name):
                continue
            name = arg.value.value
            state = self.lookup(name, env)
            if state[0] != "key":
                if q == "jax.random.split" and state == UNKNOWN:
                    env[name] = ("key", "used")  # a parameter or global: a key from here on
                continue
            if state[1] in ("used", "maybe"):
                self.report(arg.value, "MLS502", None, name=name)
            env[name] = ("key", "used")


def _make(ctx: ChunkContext) -> FlowAnalysis:
    return JaxFlow(ctx)


@register
class JaxRules(ModuleRule):
    """JAX arrays are immutable; PRNG keys must be split, not reused."""

    family = "jax"
    rules = (
        RuleInfo("MLS501", "jax-array-item-assignment",
                 "JAX arrays are immutable: item assignment on `{name}` raises TypeError; use "
                 "`{name} = {name}.at[...].set(...)`", Severity.ERROR, fixable=True),
        RuleInfo("MLS502", "prng-key-reuse",
                 "PRNG key `{name}` was already consumed: reusing a key repeats (or correlates) "
                 "random numbers; split it with `jax.random.split` and use each subkey once",
                 Severity.WARNING),
    )

    def check(self) -> None:
        if not self.ctx.imports.imports_any("jax"):
            return
        replay(shared_flow(self.ctx, "jax")[0])



def _imports_jax(mctx: ModuleContext) -> bool:
    return mctx.imports.imports_any("jax")


share_flow("jax", _make, (r.code for r in JaxRules.rules), _imports_jax)


@register
class JaxRemovedApiRule(ChunkRule):
    """Top-level ``jax.tree_*`` aliases removed in JAX 0.6."""

    family = "jax-removed"
    requires = ("jax",)
    rules = (
        RuleInfo("MLS503", "jax-removed-tree-api",
                 "`{name}` was removed in JAX 0.6 (deprecated since 0.4.26): AttributeError "
                 "(ImportError when imported); use `{preferred}` (or `{replacement}`)", Severity.ERROR,
                 fixable=True),
    )

    def __init__(self, ctx: ChunkContext) -> None:
        super().__init__(ctx)
        self._active = ctx.imports.imports_any("jax")
        self._table = load_table("jax_api")

    def visit_Attribute(self, node: cst.Attribute) -> None:
        if self._active and node.attr.value.startswith(("tree_", "treedef_")):
            self._check(node)

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        if not self._active or node.relative or isinstance(node.names, cst.ImportStar) \
                or ChunkContext.dotted(node.module) != "jax":  # type: ignore[arg-type]
            return
        for alias in node.names:
            entry = self._table.get(f"jax.{ChunkContext.dotted(alias.name)}")
            if entry is not None:
                self._report(alias.name, f"jax.{ChunkContext.dotted(alias.name)}", entry, None)

    def _check(self, node: cst.Attribute) -> None:
        q = self.ctx.qualname(node)
        entry = self._table.get(q) if q is not None else None
        if entry is None:
            return
        # The user's own prefix for `jax` (`jax.tree_map` -> `jax.tree_util.tree_map`).
        prefix = self.ctx.code_for(node.value)
        if self.ctx.qualname(node.value) != "jax":
            prefix = ""
        self._report(node, q, entry, f"{prefix}.{entry['replacement'][4:]}" if prefix else None)

    def _report(self, node: cst.CSTNode, name: str | None, entry: dict,
                replacement: str | None) -> None:
        fix = FixSpec(f"Use `{replacement}`", (EditSpec(node, replacement),)) \
            if replacement else None
        self.ctx.report(node, "MLS503", fix, name=name, replacement=entry["replacement"],
                        preferred=entry["preferred"])
