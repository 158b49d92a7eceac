"""What a name holds when it is a whole ``nn.Module`` (MLS111, MLS112): ``model.forward(x)``
called directly, and ``torch.load`` of a pickled model without ``weights_only=``.

The facts come from several top-level statements (the class, ``model = Net()``, the loop), so
these are ModuleRules over per-statement summaries (memoized): which classes are modules,
what each top-level name and each function-local name is bound to, and the candidate calls.
A name is judged only when every binding of it in its scope agrees.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import libcst as cst

from ..aliases import ImportTable
from ..context import ChunkContext, EditSpec, FixSpec, statement_words
from ..findings import Severity
from ..registry import ModuleRule, RuleInfo, register
from ..walk import children, iter_nodes, suites
from .flow.walker import function_defs, has_keyword, param_names
from .patterns import is_attribute, is_name

# Methods only a module has (a state dict or a tensor has none of them).
MODULE_METHODS = frozenset(("eval", "train", "parameters", "named_parameters", "modules",
                            "named_modules", "children", "forward", "state_dict",
                            "load_state_dict", "zero_grad", "register_forward_hook"))
# Methods that return the module itself.
_MODULE_CHAIN = frozenset(("to", "cuda", "cpu", "eval", "train", "float", "double", "half"))
_NOT_MODULES = frozenset(("Parameter", "Buffer", "UninitializedParameter", "Module"))


def module_constructor(ctx: ChunkContext, call: cst.Call) -> bool | str:
    """True for ``nn.Linear(...)`` / ``torchvision.models.resnet18()``; the class name for a
    call of a name the file may define (``Net()``); False otherwise."""
    q = ctx.call_qualname(call)
    if q is not None:
        parts = q.split(".")
        if parts[:2] == ["torch", "nn"] and len(parts) == 3:
            return parts[2][:1].isupper() and parts[2] not in _NOT_MODULES
        if q.startswith("torchvision.models.") and "weights" not in q.lower() \
                and not q.endswith(("list_models", "get_model_builder")):
            return True
        return False
    return call.func.value if isinstance(call.func, cst.Name) else False


@dataclass(frozen=True)
class _Scope:
    """Bindings of one scope (a function, or the module's top level in one statement):
    name -> what it was bound to (``"module"``, ``"class:Net"``, ``"load"``, or ``"?"``)."""

    bound: dict[str, set[str]] = field(default_factory=dict)
    params: frozenset[str] = frozenset()


@dataclass(frozen=True)
class _Summary:
    module_classes: dict[str, tuple[str, ...]]  # class -> base names ("*" for a torch.nn base)
    top: _Scope
    # (scope id or None for top level, receiver, call) of `<x>.forward(...)`
    forwards: tuple[tuple[int | None, str, cst.Call], ...]
    scopes: dict[int, _Scope]
    # torch.load calls without weights_only=: (scope id, bound name or None, call, used as model)
    loads: tuple[tuple[int | None, str | None, cst.Call, bool], ...]
    model_uses: frozenset[tuple[int | None, str]]  # (scope, name) used as a module
    allows_globals: bool  # torch.serialization.add_safe_globals(...): weights_only can load it


_NOTHING = _Summary({}, _Scope(), (), {}, (), frozenset(), False)  # a statement left unread


def _dotted(node: cst.CSTNode) -> str | None:
    return ChunkContext.dotted(node) if isinstance(node, cst.BaseExpression) else None


def _strip_chain(node: cst.BaseExpression) -> cst.BaseExpression:
    """``torch.load(p).to(device)`` -> ``torch.load(p)``."""
    while isinstance(node, cst.Call) and is_attribute(node.func, *_MODULE_CHAIN):
        node = node.func.value  # type: ignore[attr-defined]
    return node


_SAFE_GLOBALS = "torch.serialization.safe_globals"
_ADD_SAFE_GLOBALS = "torch.serialization.add_safe_globals"


def _allowlisted(ctx: ChunkContext) -> tuple[frozenset[int], bool]:
    """Calls under ``with torch.serialization.safe_globals([...]):`` (their classes may be
    unpickled with ``weights_only=True``), and whether the chunk calls ``add_safe_globals``."""
    inside: set[int] = set()
    adds = False
    for node in iter_nodes([ctx.module]):
        if isinstance(node, cst.With) and any(ctx.call_qualname(i.item) == _SAFE_GLOBALS
                                              for i in node.items):
            inside.update(id(n) for n in iter_nodes([node.body]) if isinstance(n, cst.Call))
        elif isinstance(node, cst.Call) and ctx.call_qualname(node) == _ADD_SAFE_GLOBALS:
            adds = True
    return frozenset(inside), adds


def _is_load(ctx: ChunkContext, node: cst.BaseExpression) -> cst.Call | None:
    node = _strip_chain(node)
    if isinstance(node, cst.Call) and ctx.call_qualname(node) == "torch.load" \
            and not has_keyword(node, "weights_only", "pickle_module"):
        return node
    return None


def _binding(ctx: ChunkContext, value: cst.BaseExpression) -> str:
    value = _strip_chain(value)
    if isinstance(value, cst.Call):
        if _is_load(ctx, value) is not None:
            return "load"
        kind = module_constructor(ctx, value)
        if kind is True:
            return "module"
        if isinstance(kind, str):
            return f"class:{kind}"
    return "?"


def _assignments(node: cst.CSTNode) -> Iterator[tuple[str, cst.BaseExpression | None]]:
    """(dotted target, value) of an assignment; value None when unknown (tuple unpacking,
    augmented assignment, ``for`` / ``with`` targets)."""
    if isinstance(node, cst.Assign):
        for t in node.targets:
            name = _dotted(t.target)
            if name:
                yield name, node.value
            else:
                for el in iter_nodes([t.target]):
                    if isinstance(el, cst.Name):
                        yield el.value, None
    elif isinstance(node, cst.AnnAssign | cst.AugAssign):
        name = _dotted(node.target)
        if name:
            yield name, node.value if isinstance(node, cst.AnnAssign) else None
    elif isinstance(node, cst.For):
        for el in iter_nodes([node.target]):
            if isinstance(el, cst.Name):
                yield el.value, None
    elif isinstance(node, cst.WithItem) and node.asname is not None:
        for el in iter_nodes([node.asname.name]):
            if isinstance(el, cst.Name):
                yield el.value, None
    elif isinstance(node, cst.NamedExpr):
        name = _dotted(node.target)
        if name:
            yield name, None


def _scope_nodes(body: cst.CSTNode) -> Iterator[cst.CSTNode]:
    """Nodes of a scope, not entering nested functions or classes."""
    stack = [body]
    while stack:
        node = stack.pop()
        yield node
        for child in reversed(children(node)):
            if not isinstance(child, cst.FunctionDef | cst.ClassDef | cst.Lambda):
                stack.append(child)


def _class_defs(body: Sequence[cst.CSTNode]) -> Iterator[cst.ClassDef]:
    """Classes at the top level or in ``if``/``try`` blocks (not inside functions)."""
    for stmt in body:
        if isinstance(stmt, cst.ClassDef):
            yield stmt
        elif not isinstance(stmt, cst.FunctionDef):
            for suite in suites(stmt):
                if isinstance(suite, cst.IndentedBlock):
                    yield from _class_defs(suite.body)


def _module_use(node: cst.CSTNode) -> str | None:
    """The name a node uses as a module: ``m.eval()``, ``m.parameters()``, ``m(x)``."""
    if isinstance(node, cst.Call):
        if is_attribute(node.func, *MODULE_METHODS):
            return _dotted(node.func.value)
        if isinstance(node.func, cst.Name | cst.Attribute):
            return _dotted(node.func)
    return None


def _summarize(ctx: ChunkContext) -> _Summary:
    classes: dict[str, tuple[str, ...]] = {}
    for cls in _class_defs(ctx.module.body):
        bases = []
        for base in cls.bases:
            q = ctx.qualname(base.value) or ""
            if q.startswith("torch.nn.") or q.startswith("torchvision.models."):
                bases.append("*")
            elif isinstance(base.value, cst.Name):
                bases.append(base.value.value)
        if bases:
            classes[cls.name.value] = tuple(bases)
    scopes: dict[int, _Scope] = {}
    forwards: list[tuple[int | None, str, cst.Call]] = []
    loads: list[tuple[int | None, str | None, cst.Call, bool]] = []
    uses: set[tuple[int | None, str]] = set()
    # Function bodies matter only where something is called `.forward(` or loaded: skip the
    # walk elsewhere (most statements of a model library), a text test costs nothing.
    text = ctx.chunk.text
    functions = list(function_defs(ctx.module.body)) \
        if ".forward(" in text or "load(" in text else []
    roots: list[tuple[int | None, cst.CSTNode]] = [(None, ctx.module)]
    roots += [(id(fn), fn.body) for fn in functions]
    top = _Scope()
    allowed, adds = _allowlisted(ctx) if "safe_globals" in text else (frozenset(), False)
    for fn in functions:
        scopes[id(fn)] = _Scope(params=frozenset(param_names(fn)))
    for scope_id, body in roots:
        scope = top if scope_id is None else scopes[scope_id]
        for node in _scope_nodes(body):
            for name, value in _assignments(node):
                kind = "?" if value is None else _binding(ctx, value)
                scope.bound.setdefault(name, set()).add(kind)
                if kind == "load" and value is not None:
                    load = _is_load(ctx, value)
                    if load is not None and id(load) not in allowed:
                        loads.append((scope_id, name, load, value is not load))
            if isinstance(node, cst.Call):
                if is_attribute(node.func, "forward") and not _is_super(node.func.value):
                    receiver = _dotted(node.func.value)
                    if receiver and receiver != "self":
                        forwards.append((scope_id, receiver, node))
                used = _module_use(node)
                if used:
                    uses.add((scope_id, used))
                func = node.func
                if is_attribute(func, *MODULE_METHODS) or isinstance(func, cst.Call):
                    inner = func.value if isinstance(func, cst.Attribute) else func
                    load = _is_load(ctx, inner)
                    if load is not None and id(load) not in allowed:
                        loads.append((scope_id, None, load, True))
    return _Summary(classes, top, tuple(forwards), scopes, tuple(loads), frozenset(uses), adds)


# `.forward` as an attribute (spaces, a line continuation or a comment in brackets may part them).
# A comment must reach its line's end: "#[^\r\n]*" alone backtracks exponentially on "# ###".
_FORWARD_ATTRIBUTE = re.compile(r"\.(?:[\s\\]|#[^\r\n]*[\r\n])*forward\b")


def _may_report(ctx: ChunkContext, imports: ImportTable) -> tuple[bool, bool]:
    """Whether the statement can hold a ``<x>.forward(...)`` call, and a ``torch.load`` (its
    name, or an imported alias of it, is the word ``load``)."""
    return (_FORWARD_ATTRIBUTE.search(ctx.chunk.text) is not None,
            "load" in statement_words(ctx.chunk, imports))


def _is_super(node: cst.BaseExpression) -> bool:
    return isinstance(node, cst.Call) and is_name(node.func, "super")


def _module_classes(summaries: list[_Summary]) -> frozenset[str]:
    bases: dict[str, tuple[str, ...]] = {}
    for s in summaries:
        bases.update(s.module_classes)
    found: set[str] = {c for c, b in bases.items() if "*" in b}
    grew = True
    while grew:
        new = {c for c, b in bases.items() if c not in found and found.intersection(b)}
        found |= new
        grew = bool(new)
    return frozenset(found)


def _is_module(kinds: set[str] | None, classes: frozenset[str]) -> bool:
    """Every binding of the name makes a module."""
    if not kinds:
        return False
    return all(k == "module" or (k.startswith("class:") and k[6:] in classes) for k in kinds)


@register
class ModuleInstanceRules(ModuleRule):
    """Calls that bypass ``nn.Module.__call__``; whole models loaded without ``weights_only``."""

    family = "torch-modules"
    rules = (
        RuleInfo("MLS111", "module-forward-called-directly",
                 "`{receiver}.forward(...)` bypasses `nn.Module.__call__`: forward hooks and "
                 "pre-hooks do not run (nor do `torch.compile`/FSDP wrappers); call "
                 "`{receiver}(...)`", Severity.WARNING, fixable=True),
        RuleInfo("MLS112", "torch-load-model-without-weights-only",
                 "`torch.load` here returns a whole pickled model, which PyTorch >= 2.6 refuses "
                 "by default (`weights_only=True`: UnpicklingError); save and load a "
                 "`state_dict`, or pass `weights_only=False` for a file you trust",
                 Severity.WARNING, fixable=True),
    )

    def check(self) -> None:
        if not self.ctx.imports.imports_any("torch"):
            return
        chunks = self.ctx.chunks
        # Both rules need a `.forward` call or a `load` (torch.load, an alias of it) somewhere
        # in the file; the per-statement summaries are skipped for files with neither.
        if not (self.ctx.mentions_all("forward") or self.ctx.mentions_all("load")):
            return
        summaries = self._summaries()
        if not summaries:
            return  # no statement can hold a forward call or a torch.load
        classes = _module_classes(summaries)
        allows_globals = any(s.allows_globals for s in summaries)
        top: dict[str, set[str]] = {}
        top_uses: set[str] = set()
        for s in summaries:
            for bound, kinds in s.top.bound.items():
                top.setdefault(bound, set()).update(kinds)
            top_uses |= {name for scope, name in s.model_uses if scope is None}
        for chunk, s in zip(chunks, summaries, strict=True):
            for scope_id, receiver, call in s.forwards:
                if self._holds_module(s, scope_id, receiver, top, classes):
                    self._report_forward(chunk, call, receiver)
            reported: set[int] = set()
            for scope_id, name, call, used in () if allows_globals else s.loads:
                if id(call) in reported:
                    continue
                if not used and name is not None:
                    used = (scope_id, name) in s.model_uses or (
                        scope_id is None and name in top_uses)
                if used:
                    reported.add(id(call))
                    self._report_load(chunk, call)

    def _summaries(self) -> list[_Summary]:
        """Each statement's summary, or an empty one where it cannot change a report: a report
        is a forward call (judged on every statement's bindings and classes) or a torch.load
        (judged on its own statement's uses, ``add_safe_globals`` anywhere, and the top-level
        uses of all statements for a name loaded at top level)."""
        chunks, imports = self.ctx.chunks, self.ctx.imports
        kinds = [self.ctx.memo(c, "torch-instances-candidate",
                               functools.partial(_may_report, c, imports)) for c in chunks]

        def summary(chunk: ChunkContext) -> _Summary:
            return self.ctx.memo(chunk, "torch-instances", functools.partial(_summarize, chunk))

        if any(forward for forward, _ in kinds):
            return [summary(c) for c in chunks]
        if not any(load for _, load in kinds):
            return []
        found = [summary(c) if load or "safe_globals" in c.chunk.text else _NOTHING
                 for c, (_, load) in zip(chunks, kinds, strict=True)]
        if any(scope is None and name is not None and not used
               for s in found for scope, name, _, used in s.loads):
            return [summary(c) for c in chunks]
        return found

    @staticmethod
    def _holds_module(s: _Summary, scope_id: int | None, receiver: str,
                      top: dict[str, set[str]], classes: frozenset[str]) -> bool:
        if scope_id is not None:
            scope = s.scopes[scope_id]
            head = receiver.split(".")[0]
            if receiver in scope.bound:
                return _is_module(scope.bound[receiver], classes)
            if head in scope.params or head in scope.bound or head == "self":
                if head == "self":  # self.encoder: bound in the class's __init__
                    kinds = {k for sc in s.scopes.values() for k in sc.bound.get(receiver, ())}
                    return _is_module(kinds, classes)
                return False
        return _is_module(top.get(receiver), classes)

    def _report_forward(self, chunk: ChunkContext, call: cst.Call, receiver: str) -> None:
        func = call.func
        assert isinstance(func, cst.Attribute)
        fix = FixSpec(f"Call `{receiver}(...)`", (EditSpec(func, chunk.code_for(func.value)),),
                      safe=False)
        chunk.report(call, "MLS111", fix, receiver=receiver)

    def _report_load(self, chunk: ChunkContext, call: cst.Call) -> None:
        fix = None
        if call.args and not any(a.star for a in call.args):
            fix = FixSpec("Pass `weights_only=False` (only for a file you trust)",
                          (EditSpec(call.args[-1].value, ", weights_only=False", "after"),),
                          safe=False)
        chunk.report(call, "MLS112", fix)
