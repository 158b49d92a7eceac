"""Value kinds: what a tensor's numbers are, where the code shows it. ``"logits"`` (the raw
output of a Linear or convolution), ``"softmax"`` / ``"sigmoid"`` (probabilities), and
``"log_softmax"`` (log-probabilities); None where anything else may have happened (a ReLU,
a clamp, arithmetic). Reshapes, moves, casts and dropout keep a kind.

Also what a loss object is (``LOSS_CLASSES``, ``LOSS_FUNCTIONS``): the value model records
each loss call with what it is given (``toplevel.LossUse``), and the loss rules judge them.
"""

from __future__ import annotations

from collections.abc import Callable

import libcst as cst

from .sequential import TORCH_SEQUENTIAL, Resolve

Kind = str | None

REGRESSION_LOSSES = ("MSELoss", "L1Loss", "SmoothL1Loss", "HuberLoss")
LOSS_CLASSES = {f"torch.nn.{n}": n for n in (*REGRESSION_LOSSES, "CrossEntropyLoss",
                                                "BCEWithLogitsLoss", "BCELoss", "NLLLoss")}
LOSS_FUNCTIONS = {f"torch.nn.functional.{f}": n for f, n in (
    ("mse_loss", "MSELoss"), ("l1_loss", "L1Loss"), ("smooth_l1_loss", "SmoothL1Loss"),
    ("huber_loss", "HuberLoss"), ("cross_entropy", "CrossEntropyLoss"),
    ("binary_cross_entropy_with_logits", "BCEWithLogitsLoss"),
    ("binary_cross_entropy", "BCELoss"), ("nll_loss", "NLLLoss"))}
# Every loss value starts at one of these names: a file that spells none has no loss call.
LOSS_NAMES = tuple(sorted({q.rpartition(".")[2] for q in (*LOSS_CLASSES, *LOSS_FUNCTIONS)}))

_ACTIVATIONS = ("softmax", "sigmoid", "log_softmax")
_FUNCTIONS = {**{f"{m}.{a}": a for m in ("torch", "torch.nn.functional") for a in _ACTIVATIONS},
              "torch.special.expit": "sigmoid"}
_KEEPING_METHODS = frozenset((
    "view", "reshape", "squeeze", "unsqueeze", "flatten", "view_as", "reshape_as", "to",
    "cuda", "cpu", "float", "double", "half", "detach", "clone", "contiguous"))
_KEEPING_FUNCTIONS = frozenset(f"torch.{n}" for n in ("flatten", "squeeze", "unsqueeze",
                                                      "reshape"))
_LAYERS = {"torch.nn.Softmax": "softmax", "torch.nn.Sigmoid": "sigmoid",
           "torch.nn.LogSoftmax": "log_softmax",
           **{f"torch.nn.{n}": "logits" for n in ("Linear", "Bilinear", "Conv1d", "Conv2d",
                                                   "Conv3d")}}
_KEEPING_LAYERS = frozenset(f"torch.nn.{n}" for n in ("Identity", "Dropout", "Flatten"))


def function_kind(name: str, given: Kind) -> Kind:
    """What the torch function ``name`` makes of its first argument, of kind ``given``."""
    if name in _FUNCTIONS:
        return _FUNCTIONS[name]
    return given if name in _KEEPING_FUNCTIONS else None


def method_kind(method: str, given: Kind) -> Kind:
    """What the tensor method ``method`` makes of a tensor of kind ``given``."""
    if method in _ACTIVATIONS:
        return method
    return given if method in _KEEPING_METHODS else None


def layer_kind(name: str | None, call: cst.Call, resolve: Resolve) -> Kind:
    """The kind of a layer's output: an activation layer's, ``"logits"`` for a Linear or a
    convolution, an ``nn.Sequential``'s last element that changes the kind."""
    if name in _LAYERS:
        return _LAYERS[name]
    if name not in TORCH_SEQUENTIAL:
        return None
    for arg in reversed(call.args):
        if arg.keyword is not None or arg.star or not isinstance(arg.value, cst.Call):
            return None
        inner = resolve(arg.value.func)
        if inner not in _KEEPING_LAYERS:
            return layer_kind(inner, arg.value, resolve)
    return None


def loss_of(name: str | None) -> str | None:
    """The loss a class or function name makes (``"MSELoss"``), or None."""
    return LOSS_CLASSES.get(name or "")


def argument(call: cst.Call, keyword: str, index: int) -> cst.BaseExpression | None:
    """A call's argument by keyword, else at position ``index``."""
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == keyword:
            return arg.value
    positional = [a for a in call.args if a.keyword is None]
    if any(a.star for a in positional[:index + 1]):
        return None
    return positional[index].value if index < len(positional) else None


Own = Callable[[cst.Call], tuple[bool, Kind]]  # a call the caller knows: (known, its kind)


def expression_kind(expr: cst.BaseExpression, name_kind: Callable[[str], Kind], own: Own,
                    resolve: Resolve) -> Kind:
    """The kind of ``expr``: ``name_kind`` gives each name's, ``own`` the calls of the
    caller's models and layers (``self.fc(x)`` in ``forward``, ``model(x)`` outside)."""
    if isinstance(expr, cst.Name):
        return name_kind(expr.value)
    if not isinstance(expr, cst.Call):
        return None
    known, kind = own(expr)
    if known:
        return kind
    func = expr.func
    name = resolve(func)
    if name is not None:
        first = argument(expr, "input", 0)
        return function_kind(name, expression_kind(first, name_kind, own, resolve)
                             if first is not None else None)
    if isinstance(func, cst.Attribute):
        return method_kind(func.attr.value,
                           expression_kind(func.value, name_kind, own, resolve))
    return None
