"""Keras ``compile`` (loss, optimizer, metrics) -> torch, the logits convention explicit.

``from_logits=True`` crossentropies take the raw output (``CrossEntropyLoss``,
``BCEWithLogitsLoss``); a model ending in softmax gives probabilities, whose log goes to
``NLLLoss`` (sparse targets) or ``CrossEntropyLoss`` (one-hot targets: the log-softmax of
log-probabilities is themselves). ``label_smoothing`` is torch's for crossentropy and smooths the
target for binary crossentropy (``y * (1 - s) + s / 2``, as Keras); ``Huber(delta)`` keeps its
delta; ``KLDivergence`` is ``KLDivLoss(reduction="batchmean")`` of the log of the output. Any other
option is refused (a TODO line), never dropped.
"""

from __future__ import annotations

import ast
import re

from .parse import Folder
from .training import METRIC_ALIASES, TrainState, flat, kw, optimizer_lines

_CLASSES = {"MeanSquaredError": "mse", "MeanAbsoluteError": "mae", "Huber": "huber",
            "SparseCategoricalCrossentropy": "sparse_categorical_crossentropy",
            "CategoricalCrossentropy": "categorical_crossentropy",
            "BinaryCrossentropy": "binary_crossentropy", "KLDivergence": "kl_divergence"}
_ALIASES = {"mean_squared_error": "mse", "mean_absolute_error": "mae", "kld": "kl_divergence",
            "kullback_leibler_divergence": "kl_divergence"}
_OPTIONS = {"from_logits", "label_smoothing", "delta", "name"}


def _read(node: ast.expr | None, folder: Folder) -> tuple[str | None, dict[str, object]]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return _ALIASES.get(node.value, node.value), {}
    if isinstance(node, ast.Lambda):  # the PyTorch -> Keras translation's own lambdas
        text = ast.unparse(node)
        smooth = re.search(r"one_hot\(.*from_logits=True, label_smoothing=([0-9.e-]+)\)$", text)
        if smooth:
            return "sparse_categorical_crossentropy", {"from_logits": True,
                                                       "label_smoothing": float(smooth[1])}
        if re.fullmatch(r"lambda (\w+), (\w+): keras\.losses\.kl_divergence\(\1, "
                        r"keras\.ops\.exp\(\2\)\)", text):
            return "kl_divergence", {"log_output": True}
    if isinstance(node, ast.Call) and not node.args:
        q = folder.imports.resolve(node.func) or ""
        opts = {k.arg: folder.fold(k.value) for k in node.keywords if k.arg}
        if set(opts) - _OPTIONS:
            return None, {}
        return _CLASSES.get(q.rsplit(".", 1)[-1]), opts
    return None, {}


def loss_fn_lines(call: ast.Call, folder: Folder, state: TrainState) -> list[str]:
    """``loss_fn = nn....`` for ``compile(loss=...)``; state records how to call it."""
    loss, opts = _read(kw(call, "loss", 1), folder)
    logits = opts.get("from_logits") is True
    smooth = opts.get("label_smoothing", 0)
    state.loss, state.from_logits = loss, logits
    if smooth and loss in ("categorical_crossentropy", "binary_crossentropy"):
        state.smoothing = repr(smooth)
    probs = not logits and state.softmax_output
    if loss in ("mse", "mae") and not smooth:
        return [f"loss_fn = nn.{'MSELoss' if loss == 'mse' else 'L1Loss'}()"]
    if loss == "huber":
        return [f"loss_fn = nn.HuberLoss(delta={opts.get('delta', 1.0)})"]
    if loss == "sparse_categorical_crossentropy" and smooth and logits:
        return [f"loss_fn = nn.CrossEntropyLoss(label_smoothing={smooth})"]
    if loss == "kl_divergence" and opts.get("log_output"):
        return ["loss_fn = nn.KLDivLoss(reduction=\"batchmean\")  # the model outputs "
                "log-probabilities"]
    if loss == "sparse_categorical_crossentropy" and not smooth:
        if not probs:
            return ["loss_fn = nn.CrossEntropyLoss()"]
        state.log_input = True
        return ["# the model ends in softmax: Keras' crossentropy of probabilities is the NLL of "
                "their log", "loss_fn = nn.NLLLoss()"]
    if loss == "categorical_crossentropy" and (logits or probs):
        state.log_input = probs
        arg = f"label_smoothing={smooth}" if smooth else ""
        note = "of the log of the softmax output, " if probs else ""
        state.smoothing = None
        return [f"loss_fn = nn.CrossEntropyLoss({arg})  # {note}one-hot targets as class "
                "probabilities"]
    if loss == "binary_crossentropy":
        return ["loss_fn = nn.BCEWithLogitsLoss()" if logits else "loss_fn = nn.BCELoss()"]
    if loss == "kl_divergence" and probs:
        state.log_input = True
        return ["loss_fn = nn.KLDivLoss(reduction=\"batchmean\")  # of the log of the softmax "
                "output, as Keras' KLDivergence of probabilities"]
    state.loss = None
    return [f"# TODO(mlsense): loss {flat(folder, kw(call, 'loss', 1) or call)} is not translated"]


def class_weight_lines(call: ast.Call, folder: Folder, state: TrainState) -> list[str] | None:
    """``train_loss_fn`` for ``fit(class_weight={0: w0, ...})``: Keras weighs each sample's loss
    and divides by the batch size, i.e. ``reduction="none"`` then the mean (torch's weighted
    mean divides by the weights' sum). None: no class_weight; a TODO line when it cannot be."""
    node = kw(call, "class_weight")
    if node is None:
        return None
    weights = folder.fold(node) if not isinstance(node, ast.Dict) else {
        folder.fold(k): folder.fold(v) for k, v in zip(node.keys, node.values, strict=True)
        if k is not None}
    ok = isinstance(weights, dict) and sorted(weights) == list(range(len(weights))) and all(
        isinstance(w, int | float) for w in weights.values())
    if not ok or state.loss != "sparse_categorical_crossentropy" or state.log_input:
        return [f"# TODO(mlsense): fit(class_weight={flat(folder, node)}) is not translated "
                "(a literal {class: weight} dict with a sparse crossentropy of logits is)"]
    assert isinstance(weights, dict)
    listed = ", ".join(repr(float(weights[i])) for i in range(len(weights)))
    state.class_weighted = True
    return ["# class_weight: each sample's loss times its class' weight, averaged over the batch",
            f"train_loss_fn = nn.CrossEntropyLoss(weight=torch.tensor([{listed}]), "
            "reduction=\"none\")"]


def compile_lines(call: ast.Call, var: str, folder: Folder, state: TrainState) -> list[str]:
    """Torch statements for ``var.compile(...)`` (loss_fn and optimizer)."""
    out = loss_fn_lines(call, folder, state)
    opt = kw(call, "optimizer", 0)
    if isinstance(opt, ast.Name) and opt.id in state.objects:
        opt = state.objects[opt.id]
    out += optimizer_lines(opt, var, folder, state)
    metrics = kw(call, "metrics", 2)
    if metrics is not None:
        names = folder.fold(metrics)
        if isinstance(names, list | tuple) and all(isinstance(n, str) for n in names):
            state.metrics = [str(METRIC_ALIASES.get(n, n)) for n in names]
            out.append(f"# metrics={flat(folder, metrics)}: computed by evaluate(), not per epoch")
        else:
            out.append(f"# TODO(mlsense): metrics={flat(folder, metrics)} are not translated")
    return out
