"""PyTorch lr schedulers, early stopping and coupled weight decay -> Keras.

Keras schedules count optimizer steps. A scheduler stepped with every ``optimizer.step()`` (in the
batch loop, or once an epoch in a full-batch loop) becomes a ``keras.optimizers.schedules``
object with the same numbers (``StepLR`` -> staircase ``ExponentialDecay``, ``MultiStepLR`` ->
``PiecewiseConstantDecay`` with boundaries one step earlier, ``CosineAnnealingLR`` ->
``CosineDecay``, ``OneCycleLR`` -> a small ``LearningRateSchedule`` with torch's formula); one
stepped once an epoch over mini-batches becomes a ``LearningRateScheduler`` callback with the
closed form of the epoch's rate. torch's ``weight_decay`` on Adam/SGD/RMSprop adds ``wd * w`` to
the gradient (L2), where Keras' is decoupled: the optimizer becomes a subclass whose
``update_step`` adds it the same way.
"""

from __future__ import annotations

import ast

_PARAMS = {"StepLR": ("optimizer", "step_size", "gamma"),
           "ExponentialLR": ("optimizer", "gamma"),
           "MultiStepLR": ("optimizer", "milestones", "gamma"),
           "CosineAnnealingLR": ("optimizer", "T_max", "eta_min"),
           "OneCycleLR": ("optimizer", "max_lr", "total_steps", "epochs", "steps_per_epoch",
                          "pct_start", "anneal_strategy", "cycle_momentum")}
_ONECYCLE_OK = {"optimizer", "max_lr", "total_steps", "epochs", "steps_per_epoch", "pct_start",
                "div_factor", "final_div_factor", "cycle_momentum"}

ONE_CYCLE_CLASS = '''

class OneCycleSchedule(keras.optimizers.schedules.LearningRateSchedule):
    """torch.optim.lr_scheduler.OneCycleLR's rate (cosine phases), by optimizer step."""

    def __init__(self, max_lr, total_steps, pct_start=0.3, div_factor=25.0,
                 final_div_factor=1e4):
        self.max_lr, self.total_steps, self.pct_start = max_lr, total_steps, pct_start
        self.div_factor, self.final_div_factor = div_factor, final_div_factor

    def __call__(self, step):
        step = keras.ops.cast(step, "float32")
        start = self.max_lr / self.div_factor
        low = start / self.final_div_factor
        peak = float(self.pct_start * self.total_steps) - 1
        up = keras.ops.clip(step / peak, 0.0, 1.0)
        down = keras.ops.clip((step - peak) / (self.total_steps - 1 - peak), 0.0, 1.0)
        rising = self.max_lr + (start - self.max_lr) / 2 * (keras.ops.cos(3.141592653589793 * up) + 1)
        falling = low + (self.max_lr - low) / 2 * (keras.ops.cos(3.141592653589793 * down) + 1)
        return keras.ops.where(step <= peak, rising, falling)

    def get_config(self):
        return {"max_lr": self.max_lr, "total_steps": self.total_steps,
                "pct_start": self.pct_start, "div_factor": self.div_factor,
                "final_div_factor": self.final_div_factor}
'''

L2_CLASS = '''

class {name}WithL2(keras.optimizers.{name}):
    """torch.optim.{name}(weight_decay=...): L2, ``weight_decay * w`` added to the gradient
    (Keras' own weight_decay is decoupled, as torch's AdamW)."""

    def __init__(self, l2, **kwargs):
        super().__init__(**kwargs)
        self.l2 = l2

    def update_step(self, gradient, variable, learning_rate):
        gradient = keras.ops.add(gradient, keras.ops.multiply(self.l2, variable))
        super().update_step(gradient, variable, learning_rate)
'''


def bind(call: ast.Call, kind: str) -> dict[str, str]:
    params = _PARAMS.get(kind, ())
    args = {params[i]: ast.unparse(a) for i, a in enumerate(call.args) if i < len(params)}
    args.update({k.arg: ast.unparse(k.value) for k in call.keywords if k.arg})
    return args


def per_step_schedule(kind: str, a: dict[str, str], lr: str) -> str:
    """A Keras schedule for a scheduler stepped with every optimizer step, or why not
    (a string starting with ``!``)."""
    gamma = a.get("gamma", "0.1")
    if kind == "StepLR" and "step_size" in a:
        return (f"keras.optimizers.schedules.ExponentialDecay({lr}, decay_steps={a['step_size']}"
                f", decay_rate={gamma}, staircase=True)")
    if kind == "ExponentialLR" and "gamma" in a:
        return f"keras.optimizers.schedules.ExponentialDecay({lr}, decay_steps=1, decay_rate={gamma})"
    if kind == "MultiStepLR" and "milestones" in a:
        node = ast.parse(a["milestones"], mode="eval").body
        if not isinstance(node, ast.List | ast.Tuple):
            return "!milestones are not a literal list"
        stones = [ast.unparse(e) for e in node.elts]
        # after k steps torch's rate has passed every milestone <= k; Keras' values[i] hold
        # for boundaries[i-1] < step <= boundaries[i]: the boundaries are the milestones - 1
        bounds = ", ".join(f"{m} - 1" for m in stones)
        values = ", ".join(f"{lr} * {gamma} ** {i}" for i in range(len(stones) + 1))
        return (f"keras.optimizers.schedules.PiecewiseConstantDecay(boundaries=[{bounds}], "
                f"values=[{values}])")
    if kind == "CosineAnnealingLR" and "T_max" in a:
        floor = a.get("eta_min", "0")
        alpha = "" if floor in ("0", "0.0") else f", alpha={floor} / {lr}"
        return f"keras.optimizers.schedules.CosineDecay({lr}, decay_steps={a['T_max']}{alpha})"
    if kind == "OneCycleLR" and "max_lr" in a:
        extra = set(a) - _ONECYCLE_OK
        if extra or a.get("cycle_momentum", "True") != "False":
            why = sorted(extra)[0] if extra else "cycle_momentum (Keras schedules move only the " \
                                                 "learning rate; pass cycle_momentum=False)"
            return f"!OneCycleLR option {why} is not translated"
        total = a.get("total_steps") or (f"{a['epochs']} * {a['steps_per_epoch']}"
                                         if "epochs" in a and "steps_per_epoch" in a else None)
        if total is None:
            return "!OneCycleLR without total_steps (or epochs and steps_per_epoch)"
        opts = "".join(f", {k}={a[k]}" for k in ("pct_start", "div_factor", "final_div_factor")
                       if k in a)
        return f"OneCycleSchedule({a['max_lr']}, {total}{opts})"
    return f"!{kind} is not translated"


def per_epoch_callback(kind: str, a: dict[str, str], lr: str) -> str:
    """A ``LearningRateScheduler`` callback for a scheduler stepped once an epoch, or ``!why``."""
    gamma = a.get("gamma", "0.1")
    if kind == "StepLR" and "step_size" in a:
        rate = f"{lr} * {gamma} ** (epoch // {a['step_size']})"
    elif kind == "ExponentialLR" and "gamma" in a:
        rate = f"{lr} * {gamma} ** epoch"
    elif kind == "MultiStepLR" and "milestones" in a:
        rate = f"{lr} * {gamma} ** sum(epoch >= m for m in {a['milestones']})"
    elif kind == "CosineAnnealingLR" and "T_max" in a:
        floor = a.get("eta_min", "0")
        rate = (f"{floor} + ({lr} - {floor}) * (1 + np.cos(np.pi * epoch / {a['T_max']})) "
                "/ 2")
    else:
        return f"!{kind} stepped once an epoch is not translated"
    return f"keras.callbacks.LearningRateScheduler(lambda epoch: {rate})"


def early_stopping(stmt: ast.If, val: str) -> tuple[str, bool] | None:
    """``if val < best [- d]: best = val ... else: wait += 1; if wait >= p: break`` ->
    (the EarlyStopping call, whether the branch saves a checkpoint); None for other ifs."""
    test = stmt.test
    if not (isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(
            test.ops[0], ast.Lt) and ast.unparse(test.left) in (val, f"{val}.item()")):
        return None
    best = test.comparators[0]
    delta = ast.unparse(best.right) if isinstance(best, ast.BinOp) and isinstance(
        best.op, ast.Sub) else "0"
    stop = next((n for n in ast.walk(ast.Module(stmt.orelse, [])) if isinstance(n, ast.If)
                 and any(isinstance(b, ast.Break) for b in n.body)
                 and isinstance(n.test, ast.Compare) and len(n.test.ops) == 1), None)
    if stop is None or not isinstance(stop.test, ast.Compare):
        return None
    limit = ast.unparse(stop.test.comparators[0])
    if isinstance(stop.test.ops[0], ast.Gt):
        limit = f"{limit} + 1"
    elif not isinstance(stop.test.ops[0], ast.GtE):
        return None
    saves = any(isinstance(n, ast.Call) and ast.unparse(n.func).endswith("save")
                for n in ast.walk(ast.Module(stmt.body, [])))
    opts = f"patience={limit}" + (f", min_delta={delta}" if delta != "0" else "")
    return f"keras.callbacks.EarlyStopping(monitor=\"val_loss\", {opts})", saves
