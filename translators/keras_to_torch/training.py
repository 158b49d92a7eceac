"""Keras training idioms -> a readable PyTorch loop.

``model.compile(optimizer=..., loss=...)`` becomes a loss module and a ``torch.optim`` optimizer
with Keras' defaults spelled out (Adam epsilon 1e-7, not torch's 1e-8); ``model.fit`` becomes a
``DataLoader`` over the same numpy arrays (batch size 32 and shuffling, as Keras) and an epoch
loop (:mod:`.fitting`, with ``evaluate``/``predict``); ``summary``/``save`` get their torch
equivalents. Anything else that touches the model or Keras becomes a ``# TODO(mlsense)`` comment.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from typing import Any

from .parse import Folder, Opaque
from .schedules import schedule_kind, scheduler_lines

SGD_MOMENTUM_SCHEDULE = (
    "SGD momentum under a changing learning rate: Keras' momentum sums rate-scaled steps, "
    "torch's buffer sums gradients that the current rate scales, so the updates differ after "
    "each change of the rate")
METRIC_ALIASES = {"mean_squared_error": "mse", "mean_absolute_error": "mae", "acc": "accuracy",
                  "AUC": "auc"}
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
    metrics: list[str] = field(default_factory=list)
    objects: dict[str, ast.expr] = field(default_factory=dict)  # optimizer, schedule, callbacks
    scheduler: bool = False  # compile() built a per-batch ``scheduler``
    tree: ast.Module | None = None
    smoothing: str | None = None  # binary crossentropy's label smoothing, applied to the target
    log_input: bool = False  # the loss takes the log of the (softmax) output
    sgd_momentum: bool = False  # SGD with momentum: a changing rate acts differently
    class_weighted: bool = False  # fit(class_weight=): the batch loss is train_loss_fn's mean


def kw(call: ast.Call, name: str, pos: int | None = None) -> ast.expr | None:
    for k in call.keywords:
        if k.arg == name:
            return k.value
    if pos is not None and pos < len(call.args):
        return call.args[pos]
    return None


def flat(folder: Folder, node: ast.AST) -> str:
    """``node``'s source on one line (for a comment)."""
    return " ".join(folder.text(node).split())


def metric_expr(name: str, state: TrainState, pred: str = "pred",
                target: str = "target") -> str | None:
    """A torch expression for one compiled Keras metric (None: not translated)."""
    if name in ("mae", "mse"):
        shaped = f"{target}.view_as({pred})"
        return f"({pred} - {shaped}).abs().mean()" if name == "mae" \
            else f"(({pred} - {shaped}) ** 2).mean()"
    if name == "auc" and state.loss == "binary_crossentropy":
        pos, neg = f"{pred}.view(-1)[{target}.view(-1) > 0.5]", f"{pred}.view(-1)[{target}.view(-1) <= 0.5]"
        # the exact ROC AUC (pairs ranked right); Keras' AUC interpolates over 200 thresholds
        return (f"(({pos}[:, None] > {neg}[None, :]).float() + 0.5 * ({pos}[:, None] == "
                f"{neg}[None, :]).float()).mean()")
    if name != "accuracy":
        return None
    if state.loss == "sparse_categorical_crossentropy":
        return f"({pred}.argmax(-1) == {target}.reshape(-1)).float().mean()"
    if state.loss == "categorical_crossentropy":
        return f"({pred}.argmax(-1) == {target}.argmax(-1)).float().mean()"
    if state.loss == "binary_crossentropy":  # Keras thresholds the raw output at 0.5
        return f"(({pred} > 0.5).float() == {target}.view_as({pred})).float().mean()"
    return None


def _learning_rate(node: ast.Call, folder: Folder, state: TrainState) -> tuple[object, list[str]]:
    """The optimizer's learning rate (folded), and the lines of a torch scheduler when it is a
    Keras schedule (a ``str``: why the schedule is not translated)."""
    lr_node = kw(node, "learning_rate", 0) or kw(node, "lr")
    if isinstance(lr_node, ast.Name) and lr_node.id in state.objects:
        lr_node = state.objects[lr_node.id]
    if lr_node is None or schedule_kind(lr_node, folder) is None:
        return (folder.fold(lr_node) if lr_node is not None else None), []
    assert isinstance(lr_node, ast.Call)
    made = scheduler_lines(lr_node, folder)
    if isinstance(made, str):
        return Opaque(made), []
    state.scheduler = True
    return made[0], [f"# {flat(folder, lr_node)}: Keras evaluates it at the optimizer's step "
                     "count, so the scheduler steps after every batch", *made[1]]


def optimizer_lines(node: ast.expr | None, var: str, folder: Folder, state: TrainState) -> list[str]:
    name, lr, kwargs = "adam", None, {}
    sched: list[str] = []
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        name = node.value.lower()
    elif isinstance(node, ast.Call):
        q = folder.imports.resolve(node.func) or ""
        name = q.rsplit(".", 1)[-1].lower()
        base = l2_optimizer(node, folder, state.tree)
        if base is not None:  # our own translation of torch's coupled weight decay
            name = base
        kwargs = {k.arg: folder.fold(k.value) for k in node.keywords if k.arg
                  and k.arg not in ("learning_rate", "lr")}
        lr, sched = _learning_rate(node, folder, state)
    elif node is not None:
        return [f"# TODO(mlsense): optimizer {flat(folder, node)} is not translated"]
    if "l2" in kwargs:
        kwargs["weight_decay"] = kwargs.pop("l2")
        extra = _OPTIMIZERS.get(name, ("", 0, ""))[2]
        if name not in _OPTIMIZERS or isinstance(kwargs["weight_decay"], Opaque) or node is None:
            return [f"# TODO(mlsense): optimizer {name} with l2 is not translated"]
        return [f"optimizer = torch.optim.{_OPTIMIZERS[name][0]}({var}.parameters(), "
                f"lr={lr if lr is not None else _OPTIMIZERS[name][1]}, weight_decay="
                f"{kwargs['weight_decay']}{', ' + extra if extra else ''})  # L2 on the gradient,"
                " as the Keras subclass adds it", *sched]
    if name == "adam" and "weight_decay" in kwargs:
        name = "adamw"  # Keras' weight_decay is decoupled (AdamW's), not torch Adam's L2
    if name not in _OPTIMIZERS or isinstance(lr, Opaque) or any(
            k not in ("momentum", "nesterov", "beta_1", "beta_2", "epsilon", "rho")
            and not (k == "weight_decay" and name == "adamw") for k in kwargs):
        why = f" (learning rate: {lr})" if isinstance(lr, Opaque) else ""
        state.scheduler = False
        return [f"# TODO(mlsense): optimizer {flat(folder, node) if node else name} is not "
                f"translated{why}"]
    cls, default_lr, extra = _OPTIMIZERS[name]
    if "weight_decay" in kwargs:
        extra = extra.replace("weight_decay=0.004", f"weight_decay={kwargs['weight_decay']}")
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
    state.sgd_momentum = name == "sgd" and kwargs.get("momentum", 0) not in (0, 0.0)
    if sched and state.sgd_momentum:
        sched.insert(0, "# TODO(mlsense): " + SGD_MOMENTUM_SCHEDULE)
    return [f"optimizer = torch.optim.{cls}({', '.join(args)}){note}", *sched]


def l2_optimizer(node: ast.Call, folder: Folder, tree: ast.Module | None) -> str | None:
    """The Keras optimizer (``adam``...) a class of the file extends by adding ``self.l2 *
    variable`` to the gradient in ``update_step`` (torch's coupled weight decay), or None."""
    cls = next((c for c in (tree.body if tree else []) if isinstance(c, ast.ClassDef)
                and isinstance(node.func, ast.Name) and c.name == node.func.id), None)
    if cls is None or len(cls.bases) != 1 or "self.l2" not in ast.unparse(cls):
        return None
    base = (folder.imports.resolve(cls.bases[0]) or "").rsplit(".", 1)[-1].lower()
    return base if base in _OPTIMIZERS and base != "adamw" else None


def tensor(expr: str, state: TrainState, target: bool = False) -> str:
    if target:
        dtype = "torch.long" if state.loss == "sparse_categorical_crossentropy" else "torch.float32"
        return f"torch.as_tensor({expr}, dtype={dtype})"
    dtype = "torch.long" if state.input_long else "torch.float32"
    text = f"torch.as_tensor({expr}, dtype={dtype})"
    if state.input_perm:
        text += f".permute({', '.join(map(str, state.input_perm))})  # NHWC -> NCHW"
    return text


def loss_line(state: TrainState, pred: str = "pred", target: str = "yb",
              train: bool = False) -> str:
    """``loss = loss_fn(...)`` with the target shaped like Keras does it."""
    arg = f"torch.log({pred})" if state.log_input else pred
    if state.loss == "sparse_categorical_crossentropy":
        if train and state.class_weighted:
            return f"loss = train_loss_fn({arg}, {target}.reshape(-1)).mean()"
        return f"loss = loss_fn({arg}, {target}.reshape(-1))"
    if state.loss in ("categorical_crossentropy", "kl_divergence"):
        return f"loss = loss_fn({arg}, {target})"
    if state.smoothing:
        return (f"loss = loss_fn({pred}, {target}.view_as({pred}) * (1 - {state.smoothing}) + "
                f"{state.smoothing} / 2)  # label_smoothing, as Keras smooths binary targets")
    return (f"loss = loss_fn({pred}, {target}.view_as({pred}))  # Keras matches (N,) targets to "
            "(N, 1) predictions; torch would broadcast")


def other_call_lines(method: str, call: ast.Call, var: str, folder: Folder) -> list[str] | None:
    """summary / save; None when the method is not known (fit/evaluate/predict: fitting.py)."""
    if method == "summary":
        return [f"print({var})"]
    if method in ("save", "save_weights") and call.args:
        return [f"torch.save({var}.state_dict(), {folder.text(call.args[0])})  # weights only"]
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
