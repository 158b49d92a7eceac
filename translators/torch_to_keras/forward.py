"""Translate a module's ``forward`` into a Keras ``call`` body, tracking layouts and shapes.

One :class:`ForwardRun` walks one instance's ``forward`` with concrete input values
(:class:`~.layout.Val`), emitting Keras source for each statement and recording the weight
transfers of the layers it calls. Nested user modules are walked recursively with their own
instance plan; the Keras code of a class is recorded from its first instance (all instances of a
class share one planning environment, so the code fits every instance).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from typing import Any

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
        self.weights.append(WeightTransfer(kind, torch_path, keras_path, dict(params), plan.line))


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
    if "{rnn}" in code:
        opts = attr.rnn or {"return_sequences": True}
        extra = "".join(f", {k}=True" for k, v in opts.items() if v)
        code = code.replace("{rnn}", extra)
    return code


def placeholder_todo(line: int, construct: str, reason: str) -> str:
    """The comment above a ``layers.Identity()`` that stands in for an untranslated layer."""
    return f"# TODO(mlsense): line {line}: {construct}: {reason} (layers.Identity placeholder)"


def unknown_like(val: Val) -> Val:
    """What a placeholder returns: same rank and layout as its input, sizes unknown."""
    shape = (None,) * val.rank if val.rank is not None else None
    return Val(val.expr, shape, val.perm)


def run_chain(session: Session, items: list[Attr], code_items: list[Attr], val: Val,
              torch_prefix: str, keras_prefix: str) -> tuple[list[str], Val]:
    """Items of a ``keras.Sequential`` for an ``nn.Sequential`` applied to ``val``."""
    out: list[str] = []
    for pos, (item, citem) in enumerate(zip(items, code_items, strict=True)):
        tpath = f"{torch_prefix}{pos}"
        if item.kind == "unsupported":
            if not session.partial:
                raise Unsupp(item.line, item.call_src[:60], item.reason)
            todo = session.gap(item.line, item.call_src[:60], item.reason)
            out.append(f"{todo}\nlayers.Identity()")
            val = unknown_like(val)
            continue
        if item.kind == "seq":
            codes, val = run_chain(session, item.items, citem.items, val, tpath + ".",
                                   f"{keras_prefix}{len(out)}.layers.")
            out.append("keras.Sequential([" + ", ".join(codes) + "])")
            continue
        if item.kind == "module":
            wants = module_layouts(session, item, [val])
            axes = relayout(val.perm, wants[0], val.rank or 0)
            if axes is not None:
                out.append(f"layers.Permute({tuple(a for a in axes[1:])})")
                val = Val("", val.shape, wants[0])
            val = call_module(session, item, [val], tpath, f"{keras_prefix}{len(out)}")
            out.append(citem.call_src)
            continue
        assert item.plan is not None and citem.plan is not None
        axes, nxt = layer_input(item.plan, val)
        if axes is not None:
            out.append(f"layers.Permute({tuple(a for a in axes[1:])})")
        if citem.plan.pre:
            out.append(citem.plan.pre)
        if item.plan.torch_ctor in ("LSTM", "GRU"):
            citem.rnn = {"return_sequences": True}
        session.add_weight(item.plan, tpath, f"{keras_prefix}{len(out)}")
        out.append(resolve_code(citem.plan, citem, val))
        val = nxt
    return out, val


def module_layouts(session: Session, attr: Attr, args: list[Val]) -> list[tuple[int, ...] | None]:
    """The layouts a nested module's ``forward`` wants its arguments in."""
    info = session.classes[attr.cls]
    attrs = plan_class(info, attr.env, session.resolver, session.classes)
    names = [a.arg for a in info.forward.args.args[1:]]
    return [consumer_layout(session, info, attrs, n, v.rank or 0)
            for n, v in zip(names, args, strict=False)]


def call_module(session: Session, attr: Attr, args: list[Val], torch_path: str,
                keras_path: str) -> Val:
    """Walk a nested user module instance on ``args`` (already in the layouts it wants)."""
    info = session.classes[attr.cls]
    attrs = plan_class(info, attr.env, session.resolver, session.classes)
    arg_names = [a.arg for a in info.forward.args.args[1:]]
    if len(args) != len(arg_names):
        raise Unsupp(attr.line, f"{info.name}.forward", "called with a different argument count")
    inputs = [Val(name, v.shape, v.perm, v.kind, v.items, v.info)
              for name, v in zip(arg_names, args, strict=True)]
    run = ForwardRun(session, info, attrs, torch_path + ".", keras_path + ".")
    lines, out = run.run(inputs)
    session.call_code.setdefault(info.name, (arg_names, lines))
    return out


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


from .walk import ForwardRun  # noqa: E402  (the walker uses the helpers above)
