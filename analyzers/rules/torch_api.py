"""PyTorch API rules (MLS102-105): deprecated/removed APIs, a typo, a missing ``zero_grad``."""

from __future__ import annotations

from dataclasses import dataclass

import libcst as cst

from ..context import ChunkContext, EditSpec, FixSpec
from ..findings import Severity
from ..registry import ChunkRule, RuleInfo, register
from ..walk import iter_nodes
from .patterns import LOOP_WORDS, is_attribute, is_name, single_assignment
from .tables import load_table

_TYPOS = {"require_grad": "requires_grad", "requires_grads": "requires_grad",
          "require_grads": "requires_grad", "required_grad": "requires_grad"}


_DIST_BACKWARD = "torch.distributed.autograd.backward"
_FALLBACK_ERRORS = frozenset(("AttributeError", "ImportError", "ModuleNotFoundError", "TypeError",
                              "NameError"))


def _version_fallback(handler: cst.ExceptHandler) -> bool:
    """An ``except`` for what an older or newer library version raises (a missing name or a
    changed signature)."""
    kind = handler.type
    caught = [e.value for e in kind.elements] if isinstance(kind, cst.Tuple) else [kind]
    return any(isinstance(c, cst.Name) and c.value in _FALLBACK_ERRORS for c in caught)


@register
class TorchApiRules(ChunkRule):
    """Calls to deprecated or removed PyTorch functions (table: data/torch_api.json)."""

    family = "torch-api"
    # The last part of every table entry (an alias import counts as its parts) and the typos.
    needs = frozenset((*(q.rpartition(".")[2] for q in load_table("torch_api")), *_TYPOS))
    rules = (
        RuleInfo("MLS102", "deprecated-torch-api",
                 "`{name}` is deprecated; use {replacement}{note}", Severity.WARNING, fixable=True),
        RuleInfo("MLS103", "removed-torch-api",
                 "`{name}` was removed from PyTorch and raises at run time; use "
                 "{replacement}{note}", Severity.ERROR, fixable=True),
        RuleInfo("MLS104", "requires-grad-typo",
                 "`{typo}` is a typo for `requires_grad`: {effect}", Severity.WARNING,
                 fixable=True),
    )

    def __init__(self, ctx: ChunkContext) -> None:
        super().__init__(ctx)
        self._table = load_table("torch_api")
        self._active = ctx.imports.imports_any("torch")
        self._fallbacks = 0  # depth of `except AttributeError/TypeError/...:` handlers

    def visit_ExceptHandler(self, node: cst.ExceptHandler) -> None:
        if _version_fallback(node):
            self._fallbacks += 1

    def leave_ExceptHandler(self, original_node: cst.ExceptHandler) -> None:
        if _version_fallback(original_node):
            self._fallbacks -= 1

    def visit_Call(self, node: cst.Call) -> None:
        if not self._active:
            return
        q = self.ctx.call_qualname(node)
        if q is None or not q.startswith("torch."):
            return
        entry = self._table.get(q)
        # In `try: new_api() except AttributeError: old_api()` the old call is what older
        # PyTorch versions run: a fallback to keep, not a use to migrate.
        if entry is not None and not self._fallbacks:
            self._report_api(node, q, entry)
        for arg in node.args:
            if arg.keyword is not None and arg.keyword.value in _TYPOS:
                fix = FixSpec("Rename to `requires_grad`", (EditSpec(arg.keyword, "requires_grad"),))
                self.ctx.report(arg.keyword, "MLS104", fix, typo=arg.keyword.value,
                                effect="the call raises TypeError")

    def visit_Assign(self, node: cst.Assign) -> None:
        for target in node.targets:
            t = target.target
            if isinstance(t, cst.Attribute) and t.attr.value in _TYPOS:
                fix = FixSpec("Rename to `requires_grad`", (EditSpec(t.attr, "requires_grad"),))
                self.ctx.report(t.attr, "MLS104", fix, typo=t.attr.value,
                                effect="this sets a new attribute and gradients stay off")

    def _report_api(self, call: cst.Call, qualname: str, entry: dict) -> None:
        replacement = entry["replacement"]
        code = "MLS103" if entry["status"] == "removed" else "MLS102"
        spelled = f"`{replacement}`" if " " not in replacement else replacement
        note = f" ({entry['note']})" if entry.get("note") else ""
        self.ctx.report(call.func, code, self._fix(call, entry), name=self.ctx.code_for(call.func),
                        replacement=spelled, note=note)

    def _fix(self, call: cst.Call, entry: dict) -> FixSpec | None:
        kind = entry.get("fix")
        if kind is None:
            return None
        replacement = entry["replacement"]
        if kind == "rename" and (len(call.args) > entry.get("max_args", 1)
                                 or any(a.keyword or a.star for a in call.args)):
            return None
        local = self._spell(call.func, replacement)
        if local is None:
            return None
        if kind == "device-first":
            device = f'"{entry["device"]}"'
            edits: tuple[EditSpec, ...] = (EditSpec(call, f"{local}({device})"),)
            if call.args:  # keep the user's arguments untouched
                edits = (EditSpec(call.func, local), EditSpec(call.args[0], f"{device}, ", "before"))
            return FixSpec(f"Use `{local}({device}, ...)`", edits)
        return FixSpec(f"Use `{local}`", (EditSpec(call.func, local),))

    def _spell(self, func: cst.BaseExpression, replacement: str) -> str | None:
        """Spell ``replacement`` as this file would: keep the user's prefix when only the last
        name changes (``nn.init.normal`` -> ``nn.init.normal_``), else go through the imports."""
        old = self.ctx.code_for(func)
        old_parent, _, _ = old.rpartition(".")
        q = self.ctx.qualname(func) or ""
        if q.rpartition(".")[0] == replacement.rpartition(".")[0] and old_parent:
            return f"{old_parent}.{replacement.rpartition('.')[2]}"
        return self.ctx.local_name_for(replacement)


def is_optimizer(node: cst.BaseExpression) -> bool:
    """Names that are optimizers by convention (``optimizer``, ``opt``, ``g_optim``...)."""
    name = node.attr.value if isinstance(node, cst.Attribute) else \
        node.value if isinstance(node, cst.Name) else ""
    low = name.lower()
    return "sched" not in low and ("optim" in low or low == "opt" or low.endswith("_opt")
                                   or low.startswith("opt_"))


@dataclass
class _Loop:
    backward: tuple[cst.SimpleStatementLine, str] | None = None  # statement, its indentation
    step: cst.Call | None = None
    optimizer: cst.BaseExpression | None = None
    zeroed: bool = False
    claimed: bool = False  # an inner loop already has both backward and step


@register
class ZeroGradRule(ChunkRule):
    """A training loop that calls ``backward()`` and ``optimizer.step()`` but never clears the
    gradients accumulates them across iterations."""

    family = "torch-training-loop"
    needs = LOOP_WORDS  # reports on loops only
    requires = ("torch",)
    rules = (
        RuleInfo("MLS105", "missing-zero-grad",
                 "`{optimizer}.step()` in a loop that never calls `zero_grad()`: gradients "
                 "add up across iterations; call `{optimizer}.zero_grad()` before `backward()`",
                 Severity.WARNING, fixable=True),
    )

    def __init__(self, ctx: ChunkContext) -> None:
        super().__init__(ctx)
        self._loops: list[_Loop] = []
        self._indent: list[str] = []
        self._line: cst.SimpleStatementLine | None = None
        self._active = ctx.imports.imports_any("torch")
        self._defs: frozenset[str] | None = None  # this statement's defs that clear gradients

    def visit_IndentedBlock(self, node: cst.IndentedBlock) -> None:
        self._indent.append(node.indent if node.indent is not None else self.ctx.module.default_indent)

    def leave_IndentedBlock(self, original_node: cst.IndentedBlock) -> None:
        self._indent.pop()

    def visit_SimpleStatementLine(self, node: cst.SimpleStatementLine) -> None:
        self._line = node

    def visit_For(self, node: cst.For) -> None:
        self._loops.append(_Loop())

    def visit_While(self, node: cst.While) -> None:
        self._loops.append(_Loop())

    def leave_For(self, original_node: cst.For) -> None:
        self._leave_loop()

    def leave_While(self, original_node: cst.While) -> None:
        self._leave_loop()

    def visit_Assign(self, node: cst.Assign) -> None:
        # p.grad = None clears gradients too.
        pair = single_assignment(node)
        if self._loops and pair is not None and is_attribute(pair[0], "grad") \
                and is_name(pair[1], "None"):
            self._loops[-1].zeroed = True

    def visit_Call(self, node: cst.Call) -> None:
        if not self._loops or not self._active:
            return
        if self._zeroing_helper(node):
            self._loops[-1].zeroed = True
            return
        if not isinstance(node.func, cst.Attribute):
            return
        loop, attr = self._loops[-1], node.func.attr.value
        if attr == "zero_grad" or (attr == "zero_" and is_attribute(node.func.value, "grad")):
            loop.zeroed = True
        elif attr == "backward" and self.ctx.call_qualname(node) == _DIST_BACKWARD:
            # Distributed autograd keeps each iteration's gradients in its own context
            # (`with dist_autograd.context() as context_id`): nothing accumulates.
            loop.zeroed = True
        elif attr == "backward" and self._line is not None and loop.backward is None:
            loop.backward = (self._line, "".join(self._indent))
        elif attr == "step" and loop.step is None:
            receiver = node.func.value
            if is_optimizer(receiver):
                loop.step, loop.optimizer = node, receiver
            elif is_name(receiver, "scaler") and node.args and is_optimizer(node.args[0].value):
                loop.step, loop.optimizer = node, node.args[0].value

    def _zeroing_helper(self, node: cst.Call) -> bool:
        """A call of the file's own function or method that clears gradients: one defined in
        this statement whose body does (``self.reset_grad()``), or, defined elsewhere in the
        file, one whose name says so (yunjey/pytorch-tutorial's GAN: ``reset_grad()``, a
        module-level def calling both optimizers' ``zero_grad()``)."""
        func = node.func
        if isinstance(func, cst.Name) and self.ctx.call_qualname(node) is None:
            name = func.value
        elif isinstance(func, cst.Attribute) and is_name(func.value, "self"):
            name = func.attr.value
        else:
            return False
        if name in self._zeroing_defs():
            return True
        low = name.lower()
        return "zero" in low or (
            "grad" in low and any(w in low for w in ("reset", "clear")))

    def _zeroing_defs(self) -> frozenset[str]:
        if self._defs is None:
            self._defs = frozenset(
                n.name.value for n in iter_nodes([self.ctx.module])
                if isinstance(n, cst.FunctionDef) and any(
                    w in self.ctx.code_for(n.body) for w in (".zero_grad(", ".grad = None",
                                                             ".grad.zero_(")))
        return self._defs

    def _leave_loop(self) -> None:
        loop = self._loops.pop()
        complete = loop.backward is not None and loop.step is not None
        if complete and not loop.zeroed and not loop.claimed:
            self._report(loop)
        if self._loops:
            outer = self._loops[-1]
            outer.zeroed |= loop.zeroed
            outer.claimed |= loop.claimed or complete
            if outer.backward is None:
                outer.backward = loop.backward
            if outer.step is None:
                outer.step, outer.optimizer = loop.step, loop.optimizer

    def _report(self, loop: _Loop) -> None:
        assert loop.backward is not None and loop.step is not None and loop.optimizer is not None
        optimizer = self.ctx.code_for(loop.optimizer)
        line, indent = loop.backward
        fix = FixSpec(f"Call `{optimizer}.zero_grad()` before `backward()`",
                      (EditSpec(line, f"{optimizer}.zero_grad()\n{indent}", "before"),), safe=False)
        self.ctx.report(loop.step, "MLS105", fix, optimizer=optimizer)
