"""Keras learning-rate schedules and the ``LearningRateScheduler`` callback -> torch schedulers.

A schedule given as an optimizer's ``learning_rate`` is evaluated at the optimizer's step count,
so its torch twin is an ``lr_scheduler`` stepped after every batch (``scheduler.step()`` after
``optimizer.step()``), built with the schedule's own numbers: ``ExponentialDecay`` ->
``ExponentialLR`` (``StepLR`` with ``staircase=True``), ``CosineDecay`` /
``PiecewiseConstantDecay`` / ``InverseTimeDecay`` -> ``LambdaLR`` with Keras' formula (torch's
``CosineAnnealingLR`` rises again after ``T_max``; Keras holds its floor). The
``LearningRateScheduler`` callback runs per epoch: the loop sets each group's ``lr`` at the start
of every epoch, as Keras does. Anything else is left to the caller to mark.
"""

from __future__ import annotations

import ast

from .parse import Folder

SCHEDULES = {  # Keras schedule -> its parameters in order
    "ExponentialDecay": ("initial_learning_rate", "decay_steps", "decay_rate", "staircase"),
    "CosineDecay": ("initial_learning_rate", "decay_steps", "alpha", "name", "warmup_target",
                    "warmup_steps"),
    "PiecewiseConstantDecay": ("boundaries", "values"),
    "InverseTimeDecay": ("initial_learning_rate", "decay_steps", "decay_rate", "staircase"),
    # the PyTorch -> Keras translation's class for OneCycleLR (its rate, by step)
    "OneCycleSchedule": ("max_lr", "total_steps", "pct_start", "div_factor", "final_div_factor"),
}
_LAMBDA = "scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: {})"


def _bound(call: ast.Call, params: tuple[str, ...], folder: Folder) -> dict[str, str]:
    args = {params[i]: folder.text(a) for i, a in enumerate(call.args) if i < len(params)}
    args.update({k.arg: folder.text(k.value) for k in call.keywords if k.arg})
    return args


def schedule_kind(node: ast.expr | None, folder: Folder) -> str | None:
    """The Keras schedule class ``node`` builds (``ExponentialDecay``...), or None."""
    if not isinstance(node, ast.Call):
        return None
    name = (folder.imports.resolve(node.func) or "").rsplit(".", 1)[-1]
    if isinstance(node.func, ast.Name) and node.func.id == "OneCycleSchedule":
        return "OneCycleSchedule"
    return name if name in SCHEDULES else None


def scheduler_lines(node: ast.Call, folder: Folder) -> tuple[str, list[str]] | str:
    """(the initial learning rate, lines building ``scheduler``) for a Keras schedule, or why it
    is not translated."""
    kind = schedule_kind(node, folder) or ""
    a = _bound(node, SCHEDULES[kind], folder)
    if kind == "OneCycleSchedule":
        opts = "".join(f", {k}={v}" for k, v in a.items())
        return "0.0", [f"scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer{opts}, "
                       "cycle_momentum=False)  # it sets the rate itself"]
    if kind == "PiecewiseConstantDecay":
        if "boundaries" not in a or "values" not in a:
            return "PiecewiseConstantDecay without boundaries and values"
        vals, bounds = a["values"], a["boundaries"]
        first = ast.parse(vals, mode="eval").body
        lr = ast.unparse(first.elts[0]) if isinstance(first, ast.List | ast.Tuple) \
            and first.elts else f"{vals}[0]"
        # Keras: values[0] up to boundaries[0] (inclusive), values[1] up to boundaries[1]...
        return lr, [_LAMBDA.format(f"{vals}[sum(step > b for b in {bounds})] / {lr}")]
    if not {"initial_learning_rate", "decay_steps"} <= a.keys():
        return f"{kind} without initial_learning_rate and decay_steps"
    lr, steps = a["initial_learning_rate"], a["decay_steps"]
    stair = folder.fold(ast.parse(a.get("staircase", "False"), mode="eval").body) is True
    if kind == "CosineDecay":
        if a.get("warmup_steps", "0") not in ("0", "None") or a.get("warmup_target", "None") \
                != "None":
            return "CosineDecay with a warmup"
        alpha = a.get("alpha", "0.0")
        cos = f"0.5 * (1 + math.cos(math.pi * min(step, {steps}) / {steps}))"
        body = cos if alpha in ("0", "0.0") else f"(1 - {alpha}) * {cos} + {alpha}"
        return lr, [_LAMBDA.format(body)]
    if "decay_rate" not in a:
        return f"{kind} without decay_rate"
    rate = a["decay_rate"]
    if kind == "InverseTimeDecay":
        p = f"(step // {steps})" if stair else f"step / {steps}"
        return lr, [_LAMBDA.format(f"1 / (1 + {rate} * {p})")]
    if stair:
        return lr, [f"scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size={steps}, "
                    f"gamma={rate})"]
    return lr, [f"scheduler = torch.optim.lr_scheduler.ExponentialLR(optimizer, gamma={rate} ** "
                f"(1 / {steps}))"]


def lr_callback_lines(node: ast.Call, folder: Folder, tree: ast.Module) -> list[str] | str:
    """Epoch-start lines for ``keras.callbacks.LearningRateScheduler(schedule)``, or why not."""
    fn = node.args[0] if node.args else next(
        (k.value for k in node.keywords if k.arg == "schedule"), None)
    if fn is None:
        return "LearningRateScheduler without a schedule"
    params: int | None = None
    if isinstance(fn, ast.Lambda):
        params = len(fn.args.args)
    elif isinstance(fn, ast.Name):
        params = next((len(d.args.args) for d in tree.body if isinstance(d, ast.FunctionDef)
                       and d.name == fn.id), None)
    if params not in (1, 2):
        return "LearningRateScheduler with a schedule that is not a one- or two-argument " \
               "function of the file"
    call = f"({folder.text(fn)})" if isinstance(fn, ast.Lambda) else folder.text(fn)
    args = "epoch, group[\"lr\"]" if params == 2 else "epoch"
    return ["    for group in optimizer.param_groups:  # LearningRateScheduler: Keras sets the "
            "rate at each epoch's start",
            f"        group[\"lr\"] = {call}({args})"]
