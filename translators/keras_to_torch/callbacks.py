"""Keras ``fit(callbacks=[...])`` -> lines of the torch epoch loop.

``EarlyStopping`` (``val_loss`` or ``loss``; Keras counts an epoch as better when the value is
under the best by more than ``min_delta``, and stops once ``patience`` epochs in a row were not),
``ModelCheckpoint`` (``state_dict`` saved every epoch, or when the monitored loss improved with
``save_best_only``) and ``LearningRateScheduler`` (:mod:`.schedules`) are translated; any other
callback, or an option the loop cannot follow, becomes a ``TODO(mlsense)`` line.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

from .parse import Folder
from .schedules import lr_callback_lines
from .training import SGD_MOMENTUM_SCHEDULE, TrainState, flat, kw

_MONITORED = {"val_loss": "val_loss.item()", "loss": "epoch_loss"}


@dataclass
class LoopHooks:
    """What the callbacks add around and inside the epoch loop."""

    before: list[str] = field(default_factory=list)
    epoch_start: list[str] = field(default_factory=list)
    epoch_end: list[str] = field(default_factory=list)
    stop: list[str] = field(default_factory=list)  # Keras checks stop_training after every callback
    after: list[str] = field(default_factory=list)
    todos: list[str] = field(default_factory=list)


def _options(call: ast.Call, folder: Folder) -> dict[str, object]:
    """Folded keyword values; a name of the script stays as its text (``patience=patience``)."""
    return {k.arg: folder.fold(k.value) if not isinstance(k.value, ast.Name) or
            k.value.id in folder.consts else k.value.id for k in call.keywords if k.arg}


def _monitor(opts: dict[str, object], validated: bool) -> str | None:
    monitor = str(opts.get("monitor", "val_loss"))
    if monitor == "val_loss" and not validated:
        return None
    return _MONITORED.get(monitor)


def _early_stopping(call: ast.Call, folder: Folder, hooks: LoopHooks, validated: bool) -> str | None:
    opts = _options(call, folder)
    extra = set(opts) - {"monitor", "patience", "min_delta", "restore_best_weights", "verbose",
                         "mode"}
    if extra or opts.get("mode", "auto") not in ("auto", "min"):
        return f"option {sorted(extra)[0] if extra else 'mode'} is not translated"
    value = _monitor(opts, validated)
    if value is None:
        if opts.get("monitor", "val_loss") == "val_loss":
            return "it monitors val_loss and fit() has no validation data (Keras warns and " \
                   "never stops)"
        return f"monitor={opts['monitor']!r} is not translated (val_loss and loss are)"
    patience, delta = opts.get("patience", 0), opts.get("min_delta", 0)
    restore = opts.get("restore_best_weights") is True
    hooks.before.append(f"best_loss, wait = math.inf, 0  # {flat(folder, call)}")
    if restore:
        hooks.before.append("best_state = copy.deepcopy(MODEL.state_dict())")
    if not isinstance(patience, int | str) or not isinstance(delta, int | float):
        return "patience or min_delta is not a number or a name"
    below = f"best_loss - {abs(delta)}" if delta else "best_loss"
    lines = [f"    if {value} < {below}:  # EarlyStopping: an improvement",
             f"        best_loss, wait = {value}, 0"]
    if restore:
        lines.append("        best_state = copy.deepcopy(MODEL.state_dict())")
    lines += ["    else:",
              "        wait += 1",
              f"        if wait >= {patience}:  # no improvement for patience epochs: stop",
              "            break"]
    hooks.stop += lines
    if restore:
        hooks.after.append("MODEL.load_state_dict(best_state)  # restore_best_weights=True")
    return None


def _checkpoint(call: ast.Call, folder: Folder, hooks: LoopHooks, validated: bool) -> str | None:
    path = kw(call, "filepath", 0)
    opts = _options(call, folder)
    opts.pop("filepath", None)
    extra = set(opts) - {"monitor", "save_best_only", "save_weights_only", "verbose", "mode"}
    if path is None or extra or opts.get("mode", "auto") not in ("auto", "min"):
        return "only ModelCheckpoint(filepath, monitor=, save_best_only=) is translated"
    target = folder.text(path)
    if "{" in target:
        target += ".format(epoch=epoch + 1)"
    save = f"torch.save(MODEL.state_dict(), {target})  # ModelCheckpoint: the weights as a " \
           "state_dict"
    if opts.get("save_best_only") is not True:
        hooks.epoch_end.append(f"    {save}")
        return None
    value = _monitor(opts, validated)
    if value is None:
        return "save_best_only on a value fit() does not compute"
    hooks.before.append("best_saved = math.inf  # ModelCheckpoint(save_best_only=True)")
    hooks.epoch_end += [f"    if {value} < best_saved:",
                        f"        best_saved = {value}",
                        f"        {save}"]
    return None


def _resolve(node: ast.expr, state: TrainState) -> ast.expr:
    return state.objects.get(node.id, node) if isinstance(node, ast.Name) else node


def callback_hooks(call: ast.Call, var: str, folder: Folder, state: TrainState,
                   validated: bool, tree: ast.Module) -> LoopHooks:
    """The loop lines for ``fit(callbacks=...)`` (``validated``: fit computes ``val_loss``)."""
    hooks = LoopHooks()
    node = kw(call, "callbacks")
    if node is None:
        return hooks
    node = _resolve(node, state)
    if not isinstance(node, ast.List | ast.Tuple):
        hooks.todos.append(f"# TODO(mlsense): fit(callbacks={flat(folder, node)}) is not a "
                           "list of callbacks: not translated")
        return hooks
    for item in node.elts:
        cb = _resolve(item, state)
        name = (folder.imports.resolve(cb.func) or "").rsplit(".", 1)[-1] \
            if isinstance(cb, ast.Call) else ""
        why: str | None = f"callback {name or flat(folder, cb)} is not translated"
        if isinstance(cb, ast.Call) and name == "EarlyStopping":
            why = _early_stopping(cb, folder, hooks, validated)
        elif isinstance(cb, ast.Call) and name == "ModelCheckpoint":
            why = _checkpoint(cb, folder, hooks, validated)
        elif isinstance(cb, ast.Call) and name == "LearningRateScheduler":
            made = lr_callback_lines(cb, folder, tree)
            why = made if isinstance(made, str) else None
            if not isinstance(made, str):
                hooks.epoch_start += made
                if state.sgd_momentum:
                    hooks.todos.append(f"# TODO(mlsense): {SGD_MOMENTUM_SCHEDULE}")
        if why is not None:
            hooks.todos.append(f"# TODO(mlsense): {flat(folder, cb)}: {why}")
    hooks.epoch_end += hooks.stop
    for part in (hooks.before, hooks.epoch_end, hooks.after):
        part[:] = [line.replace("MODEL", var) for line in part]
    return hooks
