"""A plain tensor attribute of an ``nn.Module`` (MLS208): ``self.mask = torch.ones(...)`` in
``__init__`` and read by another method. ``model.to(device)`` moves parameters and buffers,
not plain attributes, so the first forward on a GPU mixes devices."""

from __future__ import annotations

from collections.abc import Iterator

import libcst as cst

from ..context import ChunkContext, EditSpec, FixSpec
from ..findings import Severity
from ..registry import ChunkRule, RuleInfo, register
from ..walk import iter_nodes
from .flow.walker import has_keyword
from .patterns import is_attribute, is_name, single_assignment

_MODULE_BASES = ("torch.nn.", "pytorch_lightning.", "lightning.")
_FACTORIES = frozenset(f"torch.{n}" for n in (
    "ones", "zeros", "eye", "arange", "randn", "rand", "randint", "full", "linspace", "empty",
    "tensor", "as_tensor", "from_numpy", "Tensor", "FloatTensor", "LongTensor", "BoolTensor",
    "tril", "triu", "ones_like", "zeros_like"))
# Chained calls that keep a tensor a tensor (``torch.ones(n, n).tril()``).
_SAME_TENSOR = frozenset(("tril", "triu", "float", "long", "bool", "unsqueeze", "view",
                          "reshape", "t", "transpose", "int", "T", "contiguous", "clone"))
# Uses of the attribute that do not depend on its device.
_DEVICE_FREE = frozenset(("shape", "size", "dim", "ndim", "numel", "to", "type_as", "cuda",
                          "device", "dtype", "tolist", "item", "cpu"))


def _factory(ctx: ChunkContext, value: cst.BaseExpression) -> bool:
    """A new CPU tensor with at least one dimension, built from literals or sizes."""
    while isinstance(value, cst.Call) and is_attribute(value.func, *_SAME_TENSOR):
        value = value.func.value  # type: ignore[attr-defined]
    if not isinstance(value, cst.Call) or ctx.call_qualname(value) not in _FACTORIES:
        return False
    if has_keyword(value, "device"):
        return False  # placed by hand
    if ctx.call_qualname(value) in ("torch.tensor", "torch.as_tensor"):
        # A 0-dim tensor may meet CUDA tensors; only a literal list is known to have a dim.
        return bool(value.args) and isinstance(value.args[0].value, cst.List | cst.Tuple)
    if ctx.call_qualname(value) in ("torch.ones", "torch.zeros", "torch.full", "torch.empty"):
        return bool(value.args) and not (isinstance(value.args[0].value, cst.Tuple)
                                         and not value.args[0].value.elements)
    return True


def _methods(cls: cst.ClassDef) -> Iterator[cst.FunctionDef]:
    if isinstance(cls.body, cst.IndentedBlock):
        for stmt in cls.body.body:
            if isinstance(stmt, cst.FunctionDef):
                yield stmt


def _self_attr(node: cst.CSTNode) -> str | None:
    if isinstance(node, cst.Attribute) and is_name(node.value, "self"):
        return node.attr.value
    return None


def _is_super_init(stmt: cst.CSTNode) -> bool:
    """``super().__init__(...)`` or ``nn.Module.__init__(self)``."""
    return isinstance(stmt, cst.Expr) and isinstance(stmt.value, cst.Call) \
        and is_attribute(stmt.value.func, "__init__")


@register
class TensorAttributeRule(ChunkRule):
    """A tensor kept as a plain attribute of a module instead of a buffer."""

    family = "device-module-state"
    needs = frozenset(("class",))
    requires = ("torch",)
    rules = (
        RuleInfo("MLS208", "tensor-attribute-not-buffer",
                 "`self.{attr}` is a plain tensor attribute: `model.to(device)` does not move "
                 "it (nor `.half()`, nor the state dict), so `{method}` mixes devices on a GPU; "
                 "register it with `self.register_buffer(\"{attr}\", ...)`", Severity.WARNING,
                 fixable=True),
    )

    def __init__(self, ctx: ChunkContext) -> None:
        super().__init__(ctx)
        self._active = ctx.imports.imports_any("torch")

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        if not self._active or not any(
                (self.ctx.qualname(b.value) or "").startswith(_MODULE_BASES) for b in node.bases):
            return
        methods = list(_methods(node))
        init = next((m for m in methods if m.name.value == "__init__"), None)
        if init is None or not isinstance(init.body, cst.IndentedBlock) \
                or any(m.name.value in ("_apply", "to", "cuda") for m in methods):
            return
        candidates = self._candidates(init)
        if not candidates:
            return
        others = [m for m in methods if m is not init]
        assigned_later, registered = self._elsewhere(node, others)
        for attr, (line, assign, after_super) in candidates.items():
            if attr in assigned_later or attr in registered:
                continue
            method = self._device_use(others, attr)
            if method is None:
                continue
            fix = None
            if after_super and len(line.body) == 1:
                value = self.ctx.code_for(assign.value)
                fix = FixSpec(f"Register `{attr}` as a buffer",
                              (EditSpec(assign, f'self.register_buffer("{attr}", {value}, '
                                                f'persistent=False)'),), safe=False)
            self.ctx.report(assign, "MLS208", fix, attr=attr, method=f"{method}()")

    def _candidates(self, init: cst.FunctionDef,
                    ) -> dict[str, tuple[cst.SimpleStatementLine, cst.Assign, bool]]:
        """Attributes assigned exactly once in ``__init__``, at its top level, to a new tensor."""
        found: dict[str, tuple[cst.SimpleStatementLine, cst.Assign, bool]] = {}
        counts: dict[str, int] = {}
        after_super = False
        for line in init.body.body:  # type: ignore[union-attr]
            if not isinstance(line, cst.SimpleStatementLine):
                continue
            for small in line.body:
                after_super |= _is_super_init(small)
                pair = single_assignment(small)
                attr = _self_attr(pair[0]) if pair is not None else None
                if pair is not None and attr is not None and _factory(self.ctx, pair[1]):
                    found[attr] = (line, small, after_super)  # type: ignore[assignment]
        if not found:
            return found
        for node in iter_nodes([init.body]):  # every assignment, under branches too
            for target in _targets(node):
                if (attr := _self_attr(target)) is not None:
                    counts[attr] = counts.get(attr, 0) + 1
        return {a: v for a, v in found.items() if counts.get(a) == 1}

    @staticmethod
    def _elsewhere(cls: cst.ClassDef, others: list[cst.FunctionDef]) -> tuple[set[str], set[str]]:
        """Attributes assigned in other methods, and names given to ``register_buffer``."""
        assigned, registered = set(), set()
        for node in iter_nodes([cls]):
            if isinstance(node, cst.Call) and is_attribute(node.func, "register_buffer") \
                    and node.args and isinstance(node.args[0].value, cst.SimpleString):
                name = node.args[0].value.evaluated_value
                if isinstance(name, str):
                    registered.add(name)
        for m in others:
            for node in iter_nodes([m]):
                for target in _targets(node):
                    if (attr := _self_attr(target)) is not None:
                        assigned.add(attr)
        return assigned, registered

    @staticmethod
    def _device_use(others: list[cst.FunctionDef], attr: str) -> str | None:
        """The first method that reads ``self.<attr>`` in a way that depends on its device."""
        for m in others:
            for node in iter_nodes([m.body]):
                if isinstance(node, cst.Attribute) and _self_attr(node.value) == attr:
                    if node.attr.value in _DEVICE_FREE:
                        return None  # moved or inspected by hand somewhere: not judged
                    return m.name.value
                if isinstance(node, cst.Call) and is_name(node.func, "len") and node.args \
                        and _self_attr(node.args[0].value) == attr:
                    return None
                if _self_attr(node) == attr:
                    return m.name.value
        return None


def _targets(node: cst.CSTNode) -> Iterator[cst.CSTNode]:
    if isinstance(node, cst.Assign):
        for t in node.targets:
            yield t.target
    elif isinstance(node, cst.AnnAssign | cst.AugAssign):
        yield node.target
