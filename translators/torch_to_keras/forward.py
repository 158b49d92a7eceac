"""Translate a module's ``forward`` into a Keras ``call`` body, tracking layouts and shapes.

One ``ForwardRun`` (walk.py) walks one instance's ``forward`` with concrete input values
(:class:`~.layout.Val`), emitting Keras source for each statement and recording the weight
transfers of the layers it calls. Nested user modules are walked recursively with their own
instance plan; the Keras code of a class is recorded from its first instance (all instances of a
class share one planning environment, so the code fits every instance). This module holds what
the walk shares: the :class:`Session`, the layer and layout helpers, and :class:`Walker`, what
the statement handlers in rnn.py and functional.py use of a walk.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from typing import Any, Protocol

from ..base import Unsupported, WeightTransfer
from ..shapes import ShapeMismatch
from . import ops
from .layers import LayerPlan
from .layout import Val, channels_last, relayout
from .model import Attr, ClassInfo, Resolver, ShapeUnsupp, Unsupp, plan_class

_TORCH_NS = ("torch.", "torch.nn.functional.")


class Session:
    """State shared by every ForwardRun of one translation."""

    def __init__(self, resolver: Resolver, classes: dict[str, ClassInfo],
                 code_env: dict[str, dict[str, Any]], partial: bool,
                 comments: dict[int, tuple[str, bool]]) -> None:
        self.resolver, self.classes, self.partial = resolver, classes, partial
        self.code_env = code_env  # merged planning environment per class
        self.comments = comments
        self.code_attrs: dict[str, dict[str, Attr]] = {}
        self.call_code: dict[str, tuple[list[str], list[str]]] = {}
        self.weights: list[WeightTransfer] = []
        self.unsupported: list[Unsupported] = []
        self._seen: set[str] = set()

    def attrs_for_code(self, info: ClassInfo) -> dict[str, Attr]:
        """The class-wide plan whose Keras code is emitted."""
        if info.name not in self.code_attrs:
            self.code_attrs[info.name] = plan_class(info, self.code_env[info.name],
                                                    self.resolver, self.classes)
        return self.code_attrs[info.name]

    def gap(self, line: int, construct: str, reason: str) -> str:
        """Partial mode: record an untranslated construct once; returns its TODO comment."""
        if not any((u.line, u.construct) == (line, construct) for u in self.unsupported):
            self.unsupported.append(Unsupported(line, construct, reason))
        return placeholder_todo(line, construct, reason)

    def add_weight(self, plan: LayerPlan, torch_path: str, keras_path: str) -> None:
        if plan.weight is None or torch_path in self._seen:
            return
        self._seen.add(torch_path)
        kind, params = plan.weight
        keras_path += plan.extra.get("keras_sub", "")  # a layer inside a keras.Sequential
        self.weights.append(WeightTransfer(kind, torch_path, keras_path, dict(params), plan.line))


class Walker(Protocol):
    """What the handlers of one kind of statement (rnn.py, functional.py) use of the walk of a
    ``forward`` (walk.py's ``ForwardRun``), so that they need not import the walker."""

    s: Session
    attrs: dict[str, Attr]
    code: dict[str, Attr]
    tprefix: str
    kprefix: str
    pyenv: dict[str, Any]
    env: dict[str, Val]
    lines: list[str]
    body: list[ast.stmt]

    def ex(self, node: ast.expr) -> Val: ...

    def binop(self, node: ast.BinOp) -> Val: ...

    def assign(self, name: str, val: Val) -> None: ...

    def need_tensor(self, val: Val, node: ast.AST) -> None: ...

    def size(self, tensor: Val, axis: Any, node: ast.expr) -> Val: ...


def layer_input(plan: LayerPlan, val: Val) -> tuple[tuple[int, ...] | None, Val]:
    """Transpose axes the layer needs first (or None) and the layer's output Val (no expr)."""
    rank = val.rank
    if rank is None or val.kind != "tensor":
        raise Unsupp(plan.line, f"nn.{plan.torch_ctor}", "input is not a tensor of known rank")
    desired = channels_last(rank) if plan.layout == "cl" else None \
        if plan.layout == "same" else val.perm
    axes = relayout(val.perm, desired, rank)
    if plan.torch_ctor == "Flatten" and axes is not None and \
            ops.to_layout(val, None, allow_noop=True) == val.expr:
        axes = None  # only size-1 axes move: flatten order is unchanged
    try:
        shape = plan.out_shape(val.shape) if val.shape is not None else None
    except ShapeMismatch as exc:
        raise ShapeUnsupp(plan.line, f"nn.{plan.torch_ctor}", str(exc)) from exc
    out_perm = desired
    if shape is not None and plan.layout == "cl":
        out_perm = channels_last(len(shape))
    elif plan.torch_ctor == "Flatten":
        out_perm = None
    return axes, Val("", shape, out_perm)


def resolve_code(plan: LayerPlan, attr: Attr, val: Val | None) -> str:
    """Fill the forward-dependent slots (Softmax axis, RNN outputs) of a layer's Keras code."""
    code = plan.keras
    if "{axis}" in code:
        axis = plan.axis if plan.axis is not None else -1
        code = code.replace("{axis}", ops.keras_axis_text(val, axis) if val is not None
                            and val.rank else str(axis))
    if "{adaptive}" in code:
        code = code.replace("{adaptive}", _adaptive_window(plan, val))
    if "{rnn}" in code:
        opts = attr.rnn or {"return_sequences": True}
        extra = "".join(f", {k}=True" for k, v in opts.items() if v)
        code = code.replace("{rnn}", extra)
    return code


def _adaptive_window(plan: LayerPlan, val: Val | None) -> str:
    """The fixed pooling window of an adaptive pooling whose input size divides evenly."""
    sizes = plan.extra["adaptive"]
    spatial = val.shape[2:] if val is not None and val.shape is not None else ()
    if len(spatial) != len(sizes) or any(not isinstance(n, int) or n % o
                                         for n, o in zip(spatial, sizes, strict=True)):
        raise Unsupp(plan.line, f"nn.{plan.torch_ctor}", f"input size {tuple(spatial)} is not "
                     f"known or not a multiple of output_size {sizes}; pass --input-shape")
    window = tuple(n // o for n, o in zip(spatial, sizes, strict=True))
    return str(window[0]) if len(set(window)) == 1 else str(window)


def placeholder_todo(line: int, construct: str, reason: str) -> str:
    """The comment above a ``layers.Identity()`` that stands in for an untranslated layer."""
    return f"# TODO(mlsense): line {line}: {construct}: {reason} (layers.Identity placeholder)"


def unknown_like(val: Val) -> Val:
    """What a placeholder returns: same rank and layout as its input, sizes unknown."""
    shape = (None,) * val.rank if val.rank is not None else None
    return Val(val.expr, shape, val.perm)


def module_layouts(session: Session, attr: Attr, args: list[Val]) -> list[tuple[int, ...] | None]:
    """The layouts a nested module's ``forward`` wants its arguments in."""
    info = session.classes[attr.cls]
    attrs = plan_class(info, attr.env, session.resolver, session.classes)
    names = [a.arg for a in info.forward.args.args[1:]]
    return [consumer_layout(session, info, attrs, n, v.rank or 0)
            for n, v in zip(names, args, strict=False)]


def consumer_layout(session: Session, info: ClassInfo, attrs: dict[str, Attr], arg: str,
                    rank: int) -> tuple[int, ...] | None:
    """The layout the first layout-sensitive consumer of ``arg`` in ``forward`` wants."""
    attr = first_consumer(session.resolver, info, attrs, arg)
    while attr is not None:
        if attr.kind == "seq":
            attr = attr.items[0] if attr.items else None
        elif attr.kind == "module":
            child = session.classes[attr.cls]
            cattrs = plan_class(child, attr.env, session.resolver, session.classes)
            first = child.forward.args.args[1].arg if len(child.forward.args.args) > 1 else ""
            return consumer_layout(session, child, cattrs, first, rank)
        elif attr.kind == "layer" and attr.plan is not None:
            return channels_last(rank) if attr.plan.layout == "cl" else None
        else:
            return None
    return None


def _calls_in_order(node: ast.AST) -> Iterator[ast.Call]:
    """Calls in evaluation order (arguments before the call that uses them)."""
    for child in ast.iter_child_nodes(node):
        yield from _calls_in_order(child)
    if isinstance(node, ast.Call):
        yield node


def first_consumer(resolver: Resolver, info: ClassInfo, attrs: dict[str, Attr],
                   arg: str) -> Attr | None:
    """The first layer (not an activation/dropout) that ``arg`` flows into, if any."""
    derived: set[str] = {arg}
    derived_ids: set[int] = set()

    def uses(call: ast.Call) -> bool:
        return any((isinstance(a, ast.Name) and a.id in derived) or id(a) in derived_ids
                   for a in list(call.args) + [k.value for k in call.keywords])
    for stmt in info.forward.body:
        for call in _calls_in_order(stmt):
            if not uses(call):
                continue
            func = call.func
            if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) \
                    and func.value.id == "self" and func.attr in attrs:
                attr = attrs[func.attr]
                if attr.kind == "layer" and attr.plan is not None and attr.plan.layout == "any":
                    derived_ids.add(id(call))
                    continue
                return attr
            derived_ids.add(id(call))  # functional ops keep the layout question open
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and \
                isinstance(stmt.targets[0], ast.Name) and \
                (id(stmt.value) in derived_ids or
                 (isinstance(stmt.value, ast.Name) and stmt.value.id in derived)):
            derived.add(stmt.targets[0].id)
    return None

