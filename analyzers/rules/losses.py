"""Loss functions fed tensors of the wrong shape or kind (MLS101, MLS106,
MLS116-MLS118).

Needs facts from several top-level statements (the model's class, the target's creation, the
loss object, the training loop), so it is a ModuleRule. Values are symbolic: inside a function a
name the function does not bind is ``("global", name)``, resolved against the module's final
top-level environment; a class instance is ``("inst", Class)``, resolved against the classes
defined in the module. Everything per chunk is memoized; the join at the end is a short loop.
"""

from __future__ import annotations

import functools
from typing import Any

import libcst as cst

from ..context import ChunkContext, EditSpec, FixSpec, ModuleContext
from ..findings import Severity
from ..registry import ModuleRule, RuleInfo, register
from ..walk import iter_nodes
from .flow.run import share_flow, shared_flow
from .flow.walker import UNKNOWN, Env, FlowAnalysis, Value, first_arg
from .patterns import (
    is_attribute,
    is_call_of_name,
    is_integer,
    is_integer_index,
    is_minus_one,
    is_name,
    single_assignment,
)

_REGRESSION = ("MSELoss", "L1Loss", "SmoothL1Loss", "HuberLoss")
LOSS_CLASSES = {f"torch.nn.{n}": n for n in (*_REGRESSION, "CrossEntropyLoss",
                                                "BCEWithLogitsLoss", "BCELoss", "NLLLoss")}
LOSS_FUNCTIONS = {"torch.nn.functional.mse_loss": "MSELoss", "torch.nn.functional.l1_loss": "L1Loss",
                  "torch.nn.functional.smooth_l1_loss": "SmoothL1Loss",
                  "torch.nn.functional.huber_loss": "HuberLoss",
                  "torch.nn.functional.cross_entropy": "CrossEntropyLoss",
                  "torch.nn.functional.binary_cross_entropy_with_logits": "BCEWithLogitsLoss",
                  "torch.nn.functional.binary_cross_entropy": "BCELoss",
                  "torch.nn.functional.nll_loss": "NLLLoss"}
_SOFTMAX = frozenset(("torch.softmax", "torch.nn.functional.softmax", "torch.Tensor.softmax"))
_SIGMOID = frozenset(("torch.sigmoid", "torch.nn.functional.sigmoid", "torch.Tensor.sigmoid",
                      "torch.special.expit"))
_LOG_SOFTMAX = frozenset(("torch.log_softmax", "torch.nn.functional.log_softmax",
                          "torch.Tensor.log_softmax"))
# What a function or tensor method makes of its input, whatever the input was.
_ACTIVATION_CALLS = {**dict.fromkeys(_SOFTMAX, "softmax"), **dict.fromkeys(_SIGMOID, "sigmoid"),
                     **dict.fromkeys(_LOG_SOFTMAX, "log_softmax")}
_ACTIVATION_METHODS = {"softmax": "softmax", "sigmoid": "sigmoid", "log_softmax": "log_softmax"}
# Output activations of a model's last layer: its kind of output ("logits": a raw affine output).
_ACTIVATION_LAYERS = {"torch.nn.Softmax": "softmax", "torch.nn.Sigmoid": "sigmoid",
                      "torch.nn.LogSoftmax": "log_softmax",
                      **{f"torch.nn.{n}": "logits" for n in (
                          "Linear", "Bilinear", "Conv1d", "Conv2d", "Conv3d")}}
_RESHAPES = frozenset(("view", "reshape", "squeeze", "unsqueeze", "flatten", "view_as",
                       "reshape_as"))
_ACTIVATION_TAGS = frozenset(("softmax", "sigmoid", "log_softmax"))
# Layers after the last activation that leave the kind of output as it is.
_KIND_KEEPING = frozenset(f"torch.nn.{n}" for n in ("Identity", "Dropout", "Flatten"))
_ONE_D_FACTORIES = frozenset(f"torch.{n}" for n in ("randn", "rand", "zeros", "ones", "empty"))
_TENSOR_FROM_DATA = frozenset(("torch.tensor", "torch.as_tensor", "torch.Tensor",
                               "torch.FloatTensor"))
# The same data as a tensor: a 1-D array stays 1-D (torch.tensor(y_train, dtype=...)).
_TENSOR_OF = _TENSOR_FROM_DATA | {"torch.from_numpy", "torch.asarray"}
# NumPy arrays of one dimension when given one length (np.random.rand(100), np.zeros(n)).
_NUMPY_ONE_D = frozenset(f"numpy.{n}" for n in (
    "random.rand", "random.randn", "zeros", "ones", "empty", "arange"))
_NUMPY_SIZED = frozenset(f"numpy.random.{n}" for n in (
    "random", "random_sample", "uniform", "normal", "standard_normal", "randint"))
# Element-wise layers after the last Linear keep its output shape.
_ELEMENTWISE = frozenset(f"torch.nn.{n}" for n in ("Sigmoid", "ReLU", "Tanh", "Identity",
                                                   "LeakyReLU", "ELU", "GELU", "Softplus"))
_PASS = frozenset(("to", "cuda", "cpu", "float", "double", "half", "detach", "clone",
                   "contiguous", "train", "eval", "requires_grad_", "astype", "copy"))


def _is_int(node: cst.BaseExpression) -> bool:
    return isinstance(node, cst.Integer)


class LossFlow(FlowAnalysis):
    """Emits ``(call, loss, prediction, target, target_node)`` for every loss call."""

    def lookup(self, name: str, env: Env) -> Value:
        return env.get(name, ("global", name))

    def definition(self, stmt: cst.FunctionDef | cst.ClassDef) -> Value:
        return ("class", stmt.name.value) if isinstance(stmt, cst.ClassDef) else UNKNOWN

    def evaluate(self, expr: cst.BaseExpression, env: Env) -> Value:
        if isinstance(expr, cst.Name):
            return self.lookup(expr.value, env)
        if isinstance(expr, cst.Subscript):
            # x[:80] keeps x's number of dimensions; x[0] does not.
            if all(isinstance(s.slice, cst.Slice) for s in expr.slice):
                return self.evaluate(expr.value, env)
            return UNKNOWN
        if isinstance(expr, cst.Call):
            return self._call(expr, env)
        return UNKNOWN

    def _call(self, call: cst.Call, env: Env) -> Value:
        q = self.ctx.call_qualname(call)
        if q is not None:
            return self._qualified(q, call, env)
        func = call.func
        if isinstance(func, cst.Attribute):
            name = func.attr.value
            if name in _PASS:
                return self.evaluate(func.value, env)
            if name in _ACTIVATION_METHODS:
                return (_ACTIVATION_METHODS[name],)
            if name in _RESHAPES:
                # A reshaped prediction keeps its kind of output (not its shape).
                inner = self.evaluate(func.value, env)
                if inner[0] in _ACTIVATION_TAGS:
                    return inner
                if inner[0] == "out":
                    return ("shaped", inner)
            if name in ("view", "reshape") and len(call.args) == 1 and is_minus_one(call.args[0].value):
                return ("t1d",)
            if name == "flatten" and not call.args:
                return ("t1d",)
            return UNKNOWN
        if isinstance(func, cst.Call):  # Net()(x)
            v = self.evaluate(func, env)
            return ("out", v) if v[0] in ("model", "inst") else UNKNOWN
        if isinstance(func, cst.Name):
            v = self.lookup(func.value, env)
            if v[0] == "class" or (v[0] == "global" and func.value[:1].isupper()):
                return ("inst", func.value)  # resolved against the module's classes at the end
            if v[0] in ("global", "model", "inst"):
                return ("out", v)
        return UNKNOWN

    def _qualified(self, q: str, call: cst.Call, env: Env) -> Value:
        if q in LOSS_CLASSES:
            return ("loss", LOSS_CLASSES[q])
        if q in _ACTIVATION_CALLS:
            return (_ACTIVATION_CALLS[q],)
        if q in _ONE_D_FACTORIES:
            pos = [a for a in call.args if a.keyword is None]
            if len(pos) == 1 and not pos[0].star and self._is_length(pos[0].value, env):
                return ("t1d",)
            return UNKNOWN
        if q in _TENSOR_FROM_DATA and call.args and isinstance(call.args[0].value, cst.List):
            els = call.args[0].value.elements
            if els and all(isinstance(e.value, cst.Integer | cst.Float | cst.UnaryOperation)
                           for e in els):
                return ("t1d",)
            return UNKNOWN
        if q in _TENSOR_OF and call.args and call.args[0].keyword is None:
            data = self.evaluate(call.args[0].value, env)  # a named 1-D array or tensor
            return data if data == ("t1d",) else UNKNOWN
        if q in _NUMPY_ONE_D:
            pos = [a for a in call.args if a.keyword is None]
            if len(pos) == 1 and not pos[0].star and self._is_length(pos[0].value, env):
                return ("t1d",)
            return UNKNOWN
        if q in _NUMPY_SIZED:
            size = next((a.value for a in call.args if a.keyword is not None
                         and a.keyword.value == "size"), None)
            if size is None and q in ("numpy.random.random", "numpy.random.random_sample",
                                      "numpy.random.standard_normal") and len(call.args) == 1:
                size = call.args[0].value
            return ("t1d",) if size is not None and self._is_length(size, env) else UNKNOWN
        if q == "torch.flatten" and len(call.args) == 1:
            return ("t1d",)
        kind, act = layer_kind(self.ctx, call), activation_kind(self.ctx, call)
        return ("model", kind, act) if kind or act else UNKNOWN

    def _is_length(self, node: cst.BaseExpression, env: Env) -> bool:
        """An expression that is an int for sure (not a tuple or torch.Size)."""
        if _is_int(node):
            return True
        if isinstance(node, cst.Tuple):
            return len(node.elements) == 1 and self._is_length(node.elements[0].value, env)
        return is_call_of_name(node, "len", "int") or is_integer_index(node, "shape")

    # -- events ---------------------------------------------------------------------------
    def on_statement(self, stmt: cst.CSTNode, env: Env) -> None:
        for call in self.calls(stmt):
            q = self.ctx.call_qualname(call)
            if q in LOSS_FUNCTIONS:
                loss: Value = ("loss", LOSS_FUNCTIONS[q])
            elif isinstance(call.func, cst.Name) and q is None:
                loss = self.lookup(call.func.value, env)
                if loss[0] not in ("loss", "global"):
                    continue
            elif isinstance(call.func, cst.Call):
                loss = self.evaluate(call.func, env)  # nn.MSELoss()(out, y)
                if loss[0] != "loss":
                    continue
            else:
                continue
            pred, target = first_arg(call, "input"), first_arg(call, "target", 1)
            if pred is None or target is None:
                continue
            self.emit((call, loss, self.evaluate(pred.value, env),
                       self.evaluate(target.value, env), pred.value, target.value), call, "loss")


def layer_kind(ctx: ChunkContext, call: cst.Call) -> str | None:
    """``"n1"`` for a layer whose output has one feature, ``"softmax"`` for a softmax layer."""
    q = ctx.call_qualname(call)
    if q == "torch.nn.Linear":
        out = first_arg(call, "out_features", 1)
        return "n1" if out is not None and is_integer(out.value, "1") else None
    if q == "torch.nn.Softmax":
        return "softmax"
    if q == "torch.nn.Sequential":
        for arg in reversed(call.args):
            if arg.keyword is not None or arg.star or not isinstance(arg.value, cst.Call):
                return None
            if ctx.call_qualname(arg.value) in _ELEMENTWISE:
                continue
            return layer_kind(ctx, arg.value)
    return None


def activation_kind(ctx: ChunkContext, call: cst.Call) -> str | None:
    """The kind of output of a layer: ``"softmax"``, ``"sigmoid"``, ``"log_softmax"``,
    ``"logits"`` (a Linear or convolution last) or None (unknown)."""
    q = ctx.call_qualname(call)
    if q in _ACTIVATION_LAYERS:
        return _ACTIVATION_LAYERS[q]
    if q == "torch.nn.Sequential":
        for arg in reversed(call.args):
            if arg.keyword is not None or arg.star or not isinstance(arg.value, cst.Call):
                return None
            if ctx.call_qualname(arg.value) in _KIND_KEEPING:
                continue
            return activation_kind(ctx, arg.value)
    return None


Kind = tuple[str | None, str | None]  # (layer_kind, activation_kind)


def class_output_kind(ctx: ChunkContext, cls: cst.ClassDef) -> str | None:
    """What ``forward`` returns: ``"n1"``, ``"softmax"`` or None (unknown / mixed)."""
    return class_output(ctx, cls)[0]


def class_output(ctx: ChunkContext, cls: cst.ClassDef) -> Kind:
    """What ``forward`` returns: its layer kind (``"n1"``, ``"softmax"``) and its activation
    kind (:func:`activation_kind`); None where unknown or mixed."""
    if not isinstance(cls.body, cst.IndentedBlock):
        return (None, None)
    methods = {s.name.value: s for s in cls.body.body if isinstance(s, cst.FunctionDef)}
    init, forward = methods.get("__init__"), methods.get("forward")
    if init is None or forward is None or not isinstance(forward.body, cst.IndentedBlock):
        return (None, None)
    layers: dict[str, Kind] = {}
    for stmt in _simple(init):
        pair = single_assignment(stmt)
        if pair is None:
            continue
        target, value = pair
        if is_attribute(target, on="self") and isinstance(value, cst.Call):
            layers[target.attr.value] = (layer_kind(ctx, value), activation_kind(ctx, value))
    assigned: dict[str, cst.BaseExpression] = {}
    kinds: set[Kind] = set()
    returns = 0
    for stmt in _simple(forward):
        pair = single_assignment(stmt)
        if pair is not None and is_name(pair[0]):
            assigned[pair[0].value] = pair[1]
        elif isinstance(stmt, cst.Return) and stmt.value is not None:
            value = stmt.value
            if isinstance(value, cst.Name):
                value = assigned.get(value.value, value)
            kinds.add(_returned_kind(ctx, value, layers))
    # Every return must be seen: one under an `if` (not a simple statement) may differ.
    returns = sum(1 for n in iter_nodes([forward.body]) if isinstance(n, cst.Return))
    if returns != sum(1 for s in _simple(forward) if isinstance(s, cst.Return)):
        kinds.add((None, None))
    return kinds.pop() if len(kinds) == 1 else (None, None)


def _returned_kind(ctx: ChunkContext, value: cst.BaseExpression,
                   layers: dict[str, Kind]) -> Kind:
    if not isinstance(value, cst.Call):
        return (None, None)
    if is_attribute(value.func, on="self"):
        return layers.get(value.func.attr.value, (None, None))
    q = ctx.call_qualname(value)
    if q in _ACTIVATION_CALLS:
        act = _ACTIVATION_CALLS[q]
    elif isinstance(value.func, cst.Attribute) and value.func.attr.value in _ACTIVATION_METHODS:
        act = _ACTIVATION_METHODS[value.func.attr.value]
    else:
        return (None, None)
    return ("softmax" if act == "softmax" else None, act)


def _simple(fn: cst.FunctionDef) -> list[cst.BaseSmallStatement]:
    """The small statements directly in a function body (not in nested blocks)."""
    body = fn.body.body if isinstance(fn.body, cst.IndentedBlock) else ()
    return [s for line in body if isinstance(line, cst.SimpleStatementLine) for s in line.body]


@register
class LossShapeRules(ModuleRule):
    """Regression losses fed (N, 1) outputs and (N,) targets; cross-entropy fed probabilities."""

    family = "torch-loss"
    rules = (
        RuleInfo("MLS101", "loss-target-shape-broadcast",
                 "output of shape (N, 1) and target of shape (N,) broadcast to (N, N) in "
                 "{loss}; use `{target}.unsqueeze(1)` or `{pred}.squeeze(1)`",
                 Severity.WARNING, fixable=True),
        RuleInfo("MLS106", "cross-entropy-on-softmax",
                 "{loss} applies log-softmax itself; passing softmax probabilities squashes the "
                 "gradients. Pass the raw logits", Severity.WARNING),
        RuleInfo("MLS116", "sigmoid-into-bce-with-logits",
                 "{loss} applies the sigmoid itself; passing sigmoid probabilities applies it "
                 "twice (outputs squashed into (0.5, 0.73), gradients vanish). Pass the raw "
                 "logits", Severity.WARNING),
        RuleInfo("MLS117", "bce-on-logits",
                 "{loss} expects probabilities in [0, 1] but gets raw logits (the output of a "
                 "Linear or convolution layer); use `BCEWithLogitsLoss` / "
                 "`binary_cross_entropy_with_logits` (or apply a sigmoid first)",
                 Severity.WARNING),
        RuleInfo("MLS118", "nll-without-log-softmax",
                 "{loss} expects log-probabilities but gets {got}; {advice}", Severity.WARNING),
    )

    def check(self) -> None:
        if not _loss_wanted(self.ctx):
            return
        classes: dict[str, Kind] = {}
        for chunk in self.ctx.chunks:
            classes.update(self.ctx.memo(chunk, "loss:classes", functools.partial(_classes, chunk)))
        results, final = shared_flow(self.ctx, "loss")
        for chunk, items in results:
            for item in items:
                self._judge(chunk, item, final, classes)

    def _judge(self, chunk: ChunkContext, item: Any, env: Env,
               classes: dict[str, Kind]) -> None:
        call, loss, pred, target, pred_node, target_node = item
        loss = _resolve(loss, env, classes)
        if loss[0] != "loss":
            return
        pred_kind = _resolve(pred, env, classes)
        act = _activation(pred_kind)
        if loss[1] in _REGRESSION and pred_kind[:2] == ("kind", "n1") \
                and _resolve(target, env, classes) == ("t1d",):
            t = chunk.code_for(target_node)
            t_fixed = f"({t})" if not isinstance(target_node, cst.Name | cst.Attribute | cst.Call
                                                 | cst.Subscript) else t
            fix = FixSpec(f"Use `{t_fixed}.unsqueeze(1)` as the target",
                          (EditSpec(target_node, f"{t_fixed}.unsqueeze(1)"),), safe=False)
            chunk.report(call, "MLS101", fix, loss=loss[1], target=t_fixed,
                         pred=chunk.code_for(pred_node))
        elif loss[1] == "CrossEntropyLoss" and act == "softmax":
            chunk.report(call, "MLS106", None, loss=loss[1])
        elif loss[1] == "BCEWithLogitsLoss" and act == "sigmoid":
            chunk.report(call, "MLS116", None, loss=loss[1])
        elif loss[1] == "BCELoss" and act == "logits":
            chunk.report(call, "MLS117", None, loss=loss[1])
        elif loss[1] == "NLLLoss" and act in _NLL_ADVICE:
            got, advice = _NLL_ADVICE[act]
            chunk.report(call, "MLS118", None, loss=loss[1], got=got, advice=advice)


_NLL_ADVICE = {
    "softmax": ("softmax probabilities",
                "use `log_softmax` instead of `softmax` (or `cross_entropy` on the logits)"),
    "logits": ("raw logits (the output of a Linear or convolution layer)",
               "apply `log_softmax` first, or use `cross_entropy` on the logits"),
}


def _activation(v: Value) -> str | None:
    """The kind of output of a resolved prediction (:func:`activation_kind`), or None."""
    if v[0] == "kind":
        return v[2]
    return v[0] if v[0] in _ACTIVATION_TAGS else None


def _classes(chunk: ChunkContext) -> dict[str, Kind]:
    if "class" not in chunk.chunk.text:
        return {}
    return {s.name.value: class_output(chunk, s) for s in chunk.module.body
            if isinstance(s, cst.ClassDef)}


def _resolve(v: Value, env: Env, classes: dict[str, Kind], depth: int = 0) -> Value:
    """Follow globals and model outputs to a concrete value (or UNKNOWN)."""
    if depth > 8:
        return UNKNOWN
    tag = v[0]
    if tag == "global":
        return _resolve(env.get(v[1], UNKNOWN), env, classes, depth + 1)
    if tag == "out":
        model = _resolve(v[1], env, classes, depth + 1)
        if model[0] == "model":
            return ("kind", model[1], model[2])
        if model[0] == "inst" and model[1] in classes and classes[model[1]] != (None, None):
            return ("kind", *classes[model[1]])
        return UNKNOWN
    if tag == "shaped":
        inner = _resolve(v[1], env, classes, depth + 1)
        return ("kind", None, inner[2]) if inner[0] == "kind" else UNKNOWN
    if tag == "inst":
        return v
    return v


# Every report needs a loss, which only these names make: a file that spells none is not walked.
_LOSS_NAMES = tuple(sorted({q.rpartition(".")[2] for q in (*LOSS_CLASSES, *LOSS_FUNCTIONS)}))


def _loss_wanted(mctx: ModuleContext) -> bool:
    return mctx.imports.imports_any("torch") and mctx.mentions_any(*_LOSS_NAMES)


share_flow("loss", LossFlow, (r.code for r in LossShapeRules.rules), _loss_wanted)
