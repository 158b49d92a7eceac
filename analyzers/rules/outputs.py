"""Keras output layer against its loss (MLS308-310), and ``predict`` on one sample per loop
iteration (MLS311).

A ``keras.Sequential`` built in a scope (its list, then ``model.add(...)`` calls in order) gives
the model's last layer; ``model.compile(loss=...)`` in the same scope gives the loss. Read per
scope in source order (:class:`.scopes.ScopeRule`); a model whose last layer is not a ``Dense``,
``Activation`` or ``Softmax`` with literal arguments is not judged.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import libcst as cst

from ..context import ChunkContext, EditSpec, FixSpec
from ..findings import Severity
from ..registry import RuleInfo, register
from .flow.walker import calls_in, first_arg
from .patterns import is_attribute, is_integer, is_name
from .scopes import Event, ScopeRule, assigned_names, flat_statements

_SEQUENTIAL = frozenset(("keras.Sequential", "keras.models.Sequential"))
_MODELS = _SEQUENTIAL | {"keras.Model", "keras.models.Model", "keras.models.load_model",
                         "keras.saving.load_model"}
_PASSTHROUGH = frozenset(("keras.layers.Dropout", "keras.layers.GaussianNoise",
                          "keras.layers.GaussianDropout", "keras.layers.AlphaDropout"))
# Loss -> its kind ("categorical" or "binary"); strings, functions and classes.
_PROBABILITY_LOSSES = {
    "categorical_crossentropy": "categorical", "sparse_categorical_crossentropy": "categorical",
    "binary_crossentropy": "binary", "CategoricalCrossentropy": "categorical",
    "SparseCategoricalCrossentropy": "categorical", "BinaryCrossentropy": "binary",
}
_ACTIVATION_FUNCTIONS = {"keras.activations.softmax": "softmax",
                         "keras.activations.sigmoid": "sigmoid",
                         "tensorflow.nn.softmax": "softmax", "tensorflow.nn.sigmoid": "sigmoid",
                         "tensorflow.math.sigmoid": "sigmoid"}

# A layer as the rules see it: (activation, units) with "linear" for none; None: unknown.
Layer = tuple[str, int | None] | None


def _activation(ctx: ChunkContext, node: cst.BaseExpression | None) -> str | None:
    if node is None or is_name(node, "None"):
        return "linear"
    if isinstance(node, cst.SimpleString):
        value = node.evaluated_value
        return value.lower() if isinstance(value, str) else None
    return _ACTIVATION_FUNCTIONS.get(ctx.qualname(node) or "")


def layer_facts(ctx: ChunkContext, node: cst.BaseExpression) -> Layer | str:
    """(activation, units) of a Dense/Activation/Softmax call; "skip" for a dropout layer."""
    if not isinstance(node, cst.Call):
        return None
    q = ctx.call_qualname(node)
    if q in _PASSTHROUGH:
        return "skip"
    if q == "keras.layers.Dense":
        units = first_arg(node, "units")
        act = first_arg(node, "activation", index=1)
        count = int(units.value.value) if units is not None and is_integer(units.value) \
            and units.value.value.isdigit() else None
        kind = _activation(ctx, act.value if act is not None else None)
        return (kind, count) if kind is not None else None
    if q == "keras.layers.Activation":
        act = first_arg(node, "activation")
        kind = _activation(ctx, act.value) if act is not None else None
        return (kind, None) if kind is not None else None
    if q == "keras.layers.Softmax":
        return ("softmax", None)
    return None


def _loss(ctx: ChunkContext, node: cst.BaseExpression) -> tuple[str, str, cst.CSTNode | None] | None:
    """(loss name, kind, the ``True`` of ``from_logits=True`` or None)."""
    if isinstance(node, cst.SimpleString):
        name = node.evaluated_value
        return (name, _PROBABILITY_LOSSES[name], None) \
            if isinstance(name, str) and name in _PROBABILITY_LOSSES else None
    call = node if isinstance(node, cst.Call) else None
    q = ctx.call_qualname(call) if call is not None else ctx.qualname(node)
    if q is None or not q.startswith("keras.losses."):
        return None
    name = q.rpartition(".")[2]
    if name not in _PROBABILITY_LOSSES or (call is None) != name[0].islower():
        return None
    logits = first_arg(call, "from_logits") if call is not None else None
    if logits is not None and not is_name(logits.value, "True", "False"):
        return None  # from_logits=flag: not known here
    true = logits.value if logits is not None and is_name(logits.value, "True") else None
    return name, _PROBABILITY_LOSSES[name], true


def single_sample(ctx: ChunkContext, node: cst.BaseExpression) -> bool:
    """``x[None]``, ``x[i:i + 1]``, ``np.expand_dims(x, 0)``, ``np.array([x])``,
    ``x.reshape(1, -1)``: a batch of one built from one sample."""
    if isinstance(node, cst.Subscript) and node.slice:
        first = node.slice[0].slice
        if isinstance(first, cst.Index):
            return is_name(first.value, "None") or (ctx.qualname(first.value) or "").endswith(
                ".newaxis")
        if isinstance(first, cst.Slice) and first.lower is not None \
                and isinstance(first.upper, cst.BinaryOperation) \
                and isinstance(first.upper.operator, cst.Add) and is_integer(first.upper.right, "1"):
            return ctx.code_for(first.upper.left) == ctx.code_for(first.lower)
        return False
    if not isinstance(node, cst.Call):
        return False
    q = ctx.call_qualname(node) or ""
    if q.endswith(".expand_dims"):
        return True
    if q in ("numpy.array", "numpy.asarray") and node.args \
            and isinstance(node.args[0].value, cst.List) and len(node.args[0].value.elements) == 1:
        return True
    if is_attribute(node.func, "reshape") and node.args:
        shape = node.args[0].value
        if isinstance(shape, cst.Tuple) and shape.elements:
            shape = shape.elements[0].value
        return is_integer(shape, "1")
    return False


@register
class KerasOutputLossRules(ScopeRule):
    """The last layer of a Sequential model against the loss it is compiled with."""

    family = "keras-output-loss"
    rules = (
        RuleInfo("MLS308", "from-logits-on-probability-output",
                 "`{loss}` is told `from_logits=True`, but the model's last layer already "
                 "applies `{activation}`: the loss applies it a second time (flat gradients, "
                 "wrong loss values); drop `from_logits=True` or the output activation",
                 Severity.ERROR, fixable=True),
        RuleInfo("MLS309", "probability-loss-on-linear-output",
                 "`{loss}` expects probabilities (`from_logits=False`), but the model's last "
                 "`Dense` has no activation: its outputs are logits, which the loss clips to "
                 "[0, 1]; pass `from_logits=True` or give the layer `activation=\"{want}\"`",
                 Severity.WARNING),
        RuleInfo("MLS310", "binary-crossentropy-on-softmax",
                 "`{loss}` on a softmax over {units} units scores each unit as a separate yes/no "
                 "and the `accuracy` metric becomes binary accuracy; use categorical "
                 "cross-entropy for one-of-{units} classes, or `sigmoid` for multi-label",
                 Severity.WARNING),
    )
    key = "keras-output-loss"
    imports = ("keras", "tensorflow")
    gate = ("Sequential", "add", "compile")

    @classmethod
    def events(cls, ctx: ChunkContext, stmts: Sequence[cst.CSTNode]) -> list[Event]:
        out: list[Event] = []
        for stmt in flat_statements(stmts):
            names = tuple(assigned_names(stmt))
            value = stmt.value if isinstance(stmt, cst.Assign | cst.Expr) else None
            ev: Any = None
            if isinstance(value, cst.Call):
                q = ctx.call_qualname(value)
                func = value.func
                if q in _SEQUENTIAL:
                    ev = ("model", _layer_list(ctx, value))
                elif is_attribute(func, "add") and len(value.args) == 1:
                    ev = ("add", ctx.dotted(func.value), layer_facts(ctx, value.args[0].value))
                elif is_attribute(func, "compile"):
                    arg = first_arg(value, "loss", index=1)
                    loss = _loss(ctx, arg.value) if arg is not None else None
                    if loss is not None:
                        ev = ("compile", ctx.dotted(func.value), loss, arg.value)  # type: ignore[union-attr]
            if ev is not None or names:
                out.append((names, ev))
        return out

    def judge(self, events: list[tuple[ChunkContext, Event]]) -> None:
        models: dict[str, list[Layer | str] | None] = {}
        for chunk, (names, ev) in events:
            kind = ev[0] if ev else None
            if kind == "add" and ev[1] in models:
                layers = models[ev[1]]
                if layers is not None:
                    layers.append(ev[2])
                continue
            if kind == "compile" and ev[1] in models:
                self._judge(chunk, models[ev[1]], ev[2], ev[3])
                continue
            for n in names:
                models.pop(n, None)
            if kind == "model" and len(names) == 1:
                models[names[0]] = ev[1]

    @staticmethod
    def _judge(chunk: ChunkContext, layers: list[Layer | str] | None,
               loss: tuple[str, str, cst.CSTNode | None], node: cst.BaseExpression) -> None:
        last = next((x for x in reversed(layers or []) if x != "skip"), None)
        if not isinstance(last, tuple):
            return
        activation, units = last
        name, kind, logits = loss
        if logits is not None and activation in ("softmax", "sigmoid"):
            fix = FixSpec("Pass `from_logits=False`", (EditSpec(logits, "False"),), safe=False)
            chunk.report(logits, "MLS308", fix, loss=name, activation=activation)
        elif logits is None and activation == "linear":
            want = "softmax" if kind == "categorical" else "sigmoid"
            chunk.report(node, "MLS309", None, loss=name, want=want)
        elif kind == "binary" and activation == "softmax" and units is not None and units > 1:
            chunk.report(node, "MLS310", None, loss=name, units=units)


def _layer_list(ctx: ChunkContext, call: cst.Call) -> list[Layer | str] | None:
    arg = first_arg(call, "layers")
    if arg is None:
        return []
    if not isinstance(arg.value, cst.List | cst.Tuple):
        return None
    return [layer_facts(ctx, el.value) for el in arg.value.elements]


@register
class KerasPredictInLoopRule(ScopeRule):
    """``model.predict`` on a batch of one, once per loop iteration."""

    family = "keras-inference"
    rules = (
        RuleInfo("MLS311", "keras-predict-single-sample-in-loop",
                 "`{model}.predict` on one sample per loop iteration: each call sets up a batch "
                 "pipeline and a progress bar (milliseconds each); predict on the whole array "
                 "once, or call `{model}(x, training=False)` for single samples",
                 Severity.INFORMATION),
    )
    key = "keras-predict-loop"
    imports = ("keras", "tensorflow")
    gate = ("Sequential", "Model", "load_model", "predict")

    @classmethod
    def events(cls, ctx: ChunkContext, stmts: Sequence[cst.CSTNode]) -> list[Event]:
        out: list[Event] = []
        for stmt in flat_statements(stmts):
            names = tuple(assigned_names(stmt))
            value = stmt.value if isinstance(stmt, cst.Assign) else None
            if isinstance(stmt, cst.For | cst.While):
                for inner in flat_statements(stmt.body.body if isinstance(
                        stmt.body, cst.IndentedBlock) else ()):
                    if isinstance(inner, cst.BaseCompoundStatement):
                        continue
                    for call in calls_in(inner):
                        if is_attribute(call.func, "predict") and call.args \
                                and single_sample(ctx, call.args[0].value):
                            out.append(((), ("predict", call, ctx.dotted(call.func.value))))
            model = isinstance(value, cst.Call) and ctx.call_qualname(value) in _MODELS
            out.append((names, ("model",) if model else None))
        return out

    def judge(self, events: list[tuple[ChunkContext, Event]]) -> None:
        models: set[str] = set()
        seen: set[int] = set()
        for chunk, (names, ev) in events:
            if ev is not None and ev[0] == "predict":
                if ev[2] in models and id(ev[1]) not in seen:
                    seen.add(id(ev[1]))
                    chunk.report(ev[1], "MLS311", None, model=ev[2])
                continue
            models.difference_update(names)
            if ev is not None and len(names) == 1:
                models.add(names[0])
