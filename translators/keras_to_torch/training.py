"""Keras training idioms -> a readable PyTorch loop.

``model.compile(optimizer=..., loss=...)`` becomes a loss module and a ``torch.optim`` optimizer
with Keras' defaults spelled out (Adam epsilon 1e-7, not torch's 1e-8); ``model.fit`` becomes a
``DataLoader`` over the same numpy arrays (batch size 32 and shuffling, as Keras) and an epoch
loop; ``evaluate``/``predict``/``summary``/``save`` get their torch equivalents. Anything else
that touches the model or Keras becomes a ``# TODO(mlsense)`` comment.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from typing import Any

from .parse import Folder, Opaque

_LOSS_CLASSES = {"MeanSquaredError": "mse", "MeanAbsoluteError": "mae", "Huber": "huber",
                 "SparseCategoricalCrossentropy": "sparse_categorical_crossentropy",
                 "CategoricalCrossentropy": "categorical_crossentropy",
                 "BinaryCrossentropy": "binary_crossentropy"}
_LOSS_ALIASES = {"mean_squared_error": "mse", "mean_absolute_error": "mae"}
# Keras optimizer defaults, spelled out for torch (name -> (torch class, lr, extra kwargs)).
_OPTIMIZERS = {"adam": ("Adam", 1e-3, "eps=1e-7"), "sgd": ("SGD", 0.01, ""),
               "rmsprop": ("RMSprop", 1e-3, "alpha=0.9, eps=1e-7"),
               "adamw": ("AdamW", 1e-3, "weight_decay=0.004, eps=1e-7")}


@dataclass
class TrainState:
    """What compile() told us about one model variable."""

    loss: str | None = None
    from_logits: bool = False
    softmax_output: bool = False
    sigmoid_output: bool = False
    input_perm: tuple[int, ...] | None = None
    input_long: bool = False
    lines: list[str] = field(default_factory=list)


def _kw(call: ast.Call, name: str, pos: int | None = None) -> ast.expr | None:
    for k in call.keywords:
        if k.arg == name:
            return k.value
    if pos is not None and pos < len(call.args):
        return call.args[pos]
    return None


def _loss(node: ast.expr | None, folder: Folder) -> tuple[str | None, bool]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return _LOSS_ALIASES.get(node.value, node.value), False
    if isinstance(node, ast.Call):
        q = folder.imports.resolve(node.func) or ""
        name = _LOSS_CLASSES.get(q.rsplit(".", 1)[-1])
        logits = _kw(node, "from_logits")
        return name, bool(logits is not None and folder.fold(logits) is True)
    return None, False


def compile_lines(call: ast.Call, var: str, folder: Folder, state: TrainState) -> list[str]:
    """Torch statements for ``var.compile(...)`` (loss_fn and optimizer)."""
    out: list[str] = []
    loss, logits = _loss(_kw(call, "loss", 1), folder)
    state.loss, state.from_logits = loss, logits
    if loss == "mse":
        out.append("loss_fn = nn.MSELoss()")
    elif loss == "mae":
        out.append("loss_fn = nn.L1Loss()")
    elif loss == "huber":
        out.append("loss_fn = nn.HuberLoss(delta=1.0)")
    elif loss == "sparse_categorical_crossentropy":
        if logits or not state.softmax_output:
            out.append("loss_fn = nn.CrossEntropyLoss()")
        else:
            out.append("# the model ends in softmax: Keras' crossentropy of probabilities is the"
                       " NLL of their log")
            out.append("loss_fn = nn.NLLLoss()")
    elif loss == "binary_crossentropy":
        out.append("loss_fn = nn.BCEWithLogitsLoss()" if logits else "loss_fn = nn.BCELoss()")
    elif loss == "categorical_crossentropy" and logits:
        out.append("loss_fn = nn.CrossEntropyLoss()  # one-hot targets as class probabilities")
    else:
        out.append(f"# TODO(mlsense): loss {folder.text(_kw(call, 'loss', 1) or call)} is not"
                   " translated")
        state.loss = None
    out.append(_optimizer(_kw(call, "optimizer", 0), var, folder))
    metrics = _kw(call, "metrics", 2)
    if metrics is not None:
        out.append(f"# Keras metrics={folder.text(metrics)} are not computed by this loop")
    return out


def _optimizer(node: ast.expr | None, var: str, folder: Folder) -> str:
    name, lr, kwargs = "adam", None, {}
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        name = node.value.lower()
    elif isinstance(node, ast.Call):
        q = folder.imports.resolve(node.func) or ""
        name = q.rsplit(".", 1)[-1].lower()
        kwargs = {k.arg: folder.fold(k.value) for k in node.keywords if k.arg}
        lr = kwargs.pop("learning_rate", kwargs.pop("lr", folder.fold(node.args[0])
                                                    if node.args else None))
    elif node is not None:
        return f"# TODO(mlsense): optimizer {folder.text(node)} is not translated"
    if name not in _OPTIMIZERS or isinstance(lr, Opaque) or any(
            k not in ("momentum", "nesterov", "beta_1", "beta_2", "epsilon", "rho")
            for k in kwargs):
        return f"# TODO(mlsense): optimizer {folder.text(node) if node else name} is not translated"
    cls, default_lr, extra = _OPTIMIZERS[name]
    args = [f"{var}.parameters()", f"lr={lr if lr is not None else default_lr}"]
    if "beta_1" in kwargs or "beta_2" in kwargs:
        args.append(f"betas=({kwargs.get('beta_1', 0.9)}, {kwargs.get('beta_2', 0.999)})")
    if "epsilon" in kwargs:
        extra = extra.replace("eps=1e-7", f"eps={kwargs['epsilon']}")
    if "rho" in kwargs:
        extra = extra.replace("alpha=0.9", f"alpha={kwargs['rho']}")
    for key in ("momentum", "nesterov"):
        if key in kwargs:
            args.append(f"{key}={kwargs[key]}")
    if extra:
        args.append(extra)
    note = "  # Keras defaults (epsilon 1e-7)" if "eps=1e-7" in extra else ""
    return f"optimizer = torch.optim.{cls}({', '.join(args)}){note}"


def _tensor(expr: str, state: TrainState, target: bool = False) -> str:
    if target:
        dtype = "torch.long" if state.loss == "sparse_categorical_crossentropy" else "torch.float32"
        return f"torch.as_tensor({expr}, dtype={dtype})"
    dtype = "torch.long" if state.input_long else "torch.float32"
    text = f"torch.as_tensor({expr}, dtype={dtype})"
    if state.input_perm:
        text += f".permute({', '.join(map(str, state.input_perm))})  # NHWC -> NCHW"
    return text


def loss_line(state: TrainState, pred: str = "pred", target: str = "yb") -> str:
    """``loss = loss_fn(...)`` with the target shaped like Keras does it."""
    if state.loss == "sparse_categorical_crossentropy":
        arg = f"torch.log({pred})" if not state.from_logits and state.softmax_output else pred
        return f"loss = loss_fn({arg}, {target}.reshape(-1))"
    if state.loss in ("categorical_crossentropy",):
        return f"loss = loss_fn({pred}, {target})"
    return (f"loss = loss_fn({pred}, {target}.view_as({pred}))  # Keras matches (N,) targets to "
            "(N, 1) predictions; torch would broadcast")


def fit_lines(call: ast.Call, var: str, folder: Folder, state: TrainState) -> list[str]:
    """The DataLoader + epoch loop for ``var.fit(X, y, epochs=..., batch_size=...)``."""
    x, y = _kw(call, "x", 0), _kw(call, "y", 1)
    if state.loss is None or x is None or y is None or isinstance(x, ast.List | ast.Tuple):
        return [f"# TODO(mlsense): {folder.text(call)} is not translated"]
    epochs = folder.text(_kw(call, "epochs", 3) or ast.Constant(1))
    batch = folder.text(_kw(call, "batch_size", 2) or ast.Constant(32))
    out = []
    for key in ("validation_split", "validation_data", "callbacks", "class_weight"):
        if _kw(call, key) is not None:
            out.append(f"# TODO(mlsense): fit({key}=...) is not translated")
    out += [f"# {folder.text(call)}: Keras shuffles every epoch; batch size 32 unless given",
            f"dataset = TensorDataset({_tensor(folder.text(x), state).split('  #')[0]}, "
            f"{_tensor(folder.text(y), state, target=True)})",
            f"loader = DataLoader(dataset, batch_size={batch}, shuffle=True)",
            f"for epoch in range({epochs}):",
            f"    {var}.train()",
            "    for xb, yb in loader:",
            "        optimizer.zero_grad()",
            f"        pred = {var}(xb)",
            f"        {loss_line(state)}",
            "        loss.backward()",
            "        optimizer.step()",
            f'    print(f"epoch {{epoch + 1}}/{epochs if epochs.isdigit() else "{" + epochs + "}"}'
            ' - loss: {loss.item():.4f}")']
    return out


def other_call_lines(method: str, call: ast.Call, var: str, target: str | None,
                     folder: Folder, state: TrainState) -> list[str] | None:
    """evaluate / predict / summary / save; None when the method is not known."""
    if method == "summary":
        return [f"print({var})"]
    if method in ("save", "save_weights") and call.args:
        return [f"torch.save({var}.state_dict(), {folder.text(call.args[0])})  # weights only"]
    if method == "predict" and call.args:
        name = target or "predictions"
        return [f"{var}.eval()", "with torch.no_grad():",
                f"    {name} = {var}({_tensor(folder.text(call.args[0]), state)}).numpy()"]
    if method == "evaluate" and len(call.args) >= 2 and state.loss is not None:
        lines = [f"{var}.eval()", "with torch.no_grad():",
                 f"    pred = {var}({_tensor(folder.text(call.args[0]), state).split('  #')[0]})",
                 f"    {loss_line(state, target=_tensor(folder.text(call.args[1]), state, True))}"]
        lines.append(f"{target} = loss.item()" if target else 'print(f"loss: {loss.item():.4f}")')
        return lines
    return None


def method_call(stmt: ast.stmt) -> tuple[str, str, ast.Call, str | None] | None:
    """(model var, method, call, assigned name) for ``[name =] var.method(...)``."""
    target = None
    value: Any = None
    if isinstance(stmt, ast.Expr):
        value = stmt.value
    elif isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(
            stmt.targets[0], ast.Name):
        value, target = stmt.value, stmt.targets[0].id
    if isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute) and isinstance(
            value.func.value, ast.Name):
        return value.func.value.id, value.func.attr, value, target
    return None
