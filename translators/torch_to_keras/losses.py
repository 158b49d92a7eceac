"""PyTorch loss modules -> Keras losses, with their arguments (or why they are not translated).

The logits convention is explicit: ``CrossEntropyLoss`` and ``BCEWithLogitsLoss`` take logits
(``from_logits=True``), ``NLLLoss`` takes log-probabilities (their softmax is the same
distribution, so sparse crossentropy from logits is the same loss), ``BCELoss`` probabilities.
An argument the Keras loss cannot follow exactly (``weight=``: torch divides by the weights'
sum, Keras' ``class_weight`` by the batch size) is refused, never dropped.
"""

from __future__ import annotations

import ast

_SPARSE = "keras.losses.SparseCategoricalCrossentropy(from_logits=True{})"
SPARSE_LOSS = _SPARSE.format("")
_SMOOTHED = ("lambda y, logits: keras.losses.categorical_crossentropy(keras.ops.one_hot("
             "keras.ops.cast(keras.ops.reshape(y, (-1,)), \"int32\"), keras.ops.shape(logits)"
             "[-1]), logits, from_logits=True, label_smoothing={})")
KL_LOSS = "lambda p, log_q: keras.losses.kl_divergence(p, keras.ops.exp(log_q))"
# Losses whose per-sample value is one number: torch's sum equals Keras' "sum" reduction.
_PER_SAMPLE = ("CrossEntropyLoss", "NLLLoss")


def _kwargs(call: ast.Call) -> dict[str, str]:
    return {k.arg: ast.unparse(k.value) for k in call.keywords if k.arg}


def keras_loss(name: str, call: ast.Call) -> str:
    """The Keras loss for ``nn.<name>(...)``, or ``!why`` when it cannot be followed exactly."""
    kw = _kwargs(call)
    reduction = kw.pop("reduction", "'mean'").strip("'\"")
    red = ""
    if reduction == "sum" and name in _PER_SAMPLE:
        red = ', reduction="sum"'
    elif reduction != "mean" and not (name == "KLDivLoss" and reduction == "batchmean"):
        return f"!reduction={reduction!r} of {name} (Keras sums per-sample means)"
    if call.args:
        return f"!positional arguments of {name}"
    if name in ("MSELoss", "L1Loss") and not kw:
        return '"mse"' if name == "MSELoss" else '"mae"'
    if name == "HuberLoss" and set(kw) <= {"delta"}:
        return f"keras.losses.Huber(delta={kw.get('delta', '1.0')})"
    if name == "SmoothL1Loss" and kw.get("beta", "1.0") in ("1", "1.0") and set(kw) <= {"beta"}:
        return "keras.losses.Huber(delta=1.0)"  # SmoothL1Loss(beta=1) is Huber(delta=1)
    if name == "CrossEntropyLoss" and set(kw) <= {"label_smoothing"}:
        if "label_smoothing" in kw and not red:
            return _SMOOTHED.format(kw["label_smoothing"])
        return _SPARSE.format(red) if not kw else f"!label_smoothing with reduction {reduction}"
    if name == "NLLLoss" and not kw:
        return _SPARSE.format(red)
    if name == "BCEWithLogitsLoss" and not kw:
        return "keras.losses.BinaryCrossentropy(from_logits=True)"
    if name == "BCELoss" and not kw:
        return "keras.losses.BinaryCrossentropy()"
    if name == "KLDivLoss" and reduction == "batchmean" and not kw:
        return KL_LOSS
    if name == "KLDivLoss":
        return "!KLDivLoss without reduction='batchmean' (torch's 'mean' divides by every element)"
    if "weight" in kw or "pos_weight" in kw:
        return f"!{name}(weight=...) divides by the sum of the weights; Keras' class_weight " \
               "by the batch size"
    return f"!{name}({', '.join(kw)}) is not translated"
