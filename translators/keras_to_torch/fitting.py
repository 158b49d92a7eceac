"""Keras ``fit`` / ``evaluate`` / ``predict`` -> PyTorch loops that do what Keras does.

``fit``: a ``DataLoader`` over the same arrays (``batch_size`` 32 and ``shuffle=True`` unless
given), the epoch loss as Keras reports it (the batch losses' mean weighted by batch size), a
held-out tail for ``validation_split`` (taken before shuffling, ``floor(n * (1 - split))``
samples kept, as Keras does) or ``validation_data=(x, y)``, evaluated after every epoch, and
one line per epoch unless ``verbose=0``. ``evaluate``: the loss (and compiled metrics) under
``torch.no_grad()`` in eval mode. ``predict``: eval mode + ``no_grad``, a NumPy array back.
"""

from __future__ import annotations

import ast
import copy

from .callbacks import callback_hooks
from .datasets import fit_over_arrays
from .losses import class_weight_lines
from .parse import Folder
from .training import TrainState, flat, kw, loss_line, metric_expr, tensor

# fit() arguments the loop does not reproduce: each becomes a located TODO line.
_FIT_UNSUPPORTED = ("sample_weight", "initial_epoch",
                    "steps_per_epoch", "validation_steps", "validation_freq")


def _verbose(call: ast.Call, folder: Folder, pos: int | None = None) -> bool:
    """Whether Keras would print (``verbose`` absent, "auto", 1 or 2 all print)."""
    node = kw(call, "verbose", pos)
    return node is None or folder.fold(node) not in (0, False)


def _plain(expr: str) -> str:
    return expr.split("  #")[0]


def _validation(call: ast.Call, folder: Folder, state: TrainState,
                x: str, y: str) -> tuple[list[str], str, str | None]:
    """(lines building the training set and validation tensors, the dataset, val inputs)."""
    split, data = kw(call, "validation_split"), kw(call, "validation_data")
    xt, yt = _plain(tensor(x, state)), tensor(y, state, target=True)
    if split is not None:
        frac = folder.text(split)
        return ([f"x_all, y_all = {xt}, {yt}",
                 f"split = int(len(x_all) * (1 - {frac}))  # Keras keeps the first floor(n * "
                 f"(1 - {frac})) samples for training",
                 "dataset = TensorDataset(x_all[:split], y_all[:split])",
                 "x_val, y_val = x_all[split:], y_all[split:]"], "dataset", "x_val")
    if isinstance(data, ast.Tuple) and len(data.elts) == 2:
        xv, yv = (folder.text(e) for e in data.elts)
        return ([f"dataset = TensorDataset({xt}, {yt})",
                 f"x_val, y_val = {_plain(tensor(xv, state))}, {tensor(yv, state, target=True)}"],
                "dataset", "x_val")
    return [f"dataset = TensorDataset({xt}, {yt})"], "dataset", None


def fit_lines(call: ast.Call, var: str, folder: Folder, state: TrainState) -> list[str]:
    """The DataLoader + epoch loop for ``var.fit(X, y, epochs=..., batch_size=...)`` (or a
    ``tf.data`` pipeline over X and y)."""
    pipeline = fit_over_arrays(call, folder, state.objects)
    comments: list[str] = []
    if pipeline is not None:
        call, comments = pipeline
        if any("TODO" in c for c in comments[:1]):
            return [*comments, f"# TODO(mlsense): fit not translated: {flat(folder, call)}"]
    x, y = kw(call, "x", 0), kw(call, "y", 1)
    if state.loss is None or x is None or y is None or isinstance(x, ast.List | ast.Tuple):
        why = "no translated loss" if state.loss is None else "inputs other than one array"
        return [f"# TODO(mlsense): fit not translated ({why}): {flat(folder, call)}"]
    epochs = folder.text(kw(call, "epochs", 3) or ast.Constant(1))
    batch = folder.text(kw(call, "batch_size", 2) or ast.Constant(32))
    shuffle_node = kw(call, "shuffle")
    shuffle = folder.text(shuffle_node) if shuffle_node is not None else "True"
    out = comments + [f"# TODO(mlsense): fit({key}=...) is not translated"
                      for key in _FIT_UNSUPPORTED if kw(call, key) is not None]
    data = kw(call, "validation_data")
    if data is not None and not (isinstance(data, ast.Tuple) and len(data.elts) == 2):
        out.append("# TODO(mlsense): fit(validation_data=...) other than an (x, y) tuple is "
                   "not translated")
    setup, dataset, val = _validation(call, folder, state, folder.text(x), folder.text(y))
    weighted = class_weight_lines(call, folder, state)
    if weighted is not None and not state.class_weighted:
        out += weighted  # a TODO: the batch loss stays unweighted
        weighted = None
    hooks = callback_hooks(call, var, folder, state, val is not None,
                           state.tree or ast.Module([], []))
    how = "shuffled every epoch" if shuffle != "False" else "in order"
    out += [f"# {flat(folder, call)}: batches of {batch}, {how}", *hooks.todos,
            *setup, *(weighted or []), *hooks.before,
            f"loader = DataLoader({dataset}, batch_size={batch}, shuffle={shuffle})",
            f"for epoch in range({epochs}):", *hooks.epoch_start,
            f"    {var}.train()",
            "    total = 0.0",
            "    for xb, yb in loader:",
            "        optimizer.zero_grad()",
            f"        pred = {var}(xb)",
            f"        {loss_line(state, train=True)}",
            "        loss.backward()",
            "        optimizer.step()",
            *(["        scheduler.step()"] if state.scheduler else []),
            "        total += loss.item() * len(xb)",
            f"    epoch_loss = total / len({dataset})  # Keras reports the epoch's mean loss"]
    report = "epoch_loss:.4f"
    if val is not None:
        out += [f"    {var}.eval()",
                "    with torch.no_grad():",
                f"        pred = {var}({val})",
                f"        {loss_line(state, target='y_val').replace('loss = ', 'val_loss = ')}"]
        report += "} - val_loss: {val_loss.item():.4f"
    if _verbose(call, folder):
        shown = epochs if epochs.isdigit() else "{" + epochs + "}"
        out.append(f'    print(f"epoch {{epoch + 1}}/{shown} - loss: {{{report}}}")')
    return out + hooks.epoch_end + hooks.after


def evaluate_lines(call: ast.Call, var: str, target: str | None, folder: Folder,
                   state: TrainState) -> list[str] | None:
    """``[target =] var.evaluate(x, y, ...)``: the loss, and the metrics when compiled with any."""
    x, y = kw(call, "x", 0), kw(call, "y", 1)
    if x is None or y is None or state.loss is None:
        return None
    lines = [f"{var}.eval()", "with torch.no_grad():",
             f"    pred = {var}({_plain(tensor(folder.text(x), state))})",
             f"    target = {tensor(folder.text(y), state, target=True)}",
             f"    {loss_line(state, target='target')}"]
    values = ["loss.item()"]
    for name in state.metrics:
        expr = metric_expr(name, state)
        if expr is None:
            lines.append(f"    # TODO(mlsense): metric {name!r} is not computed")
            continue
        lines.append(f"    {name} = {expr}")
        values.append(f"{name}.item()")
    result = values[0] if len(values) == 1 else f"[{', '.join(values)}]"
    if _verbose(call, folder, 3):
        shown = " - ".join(f"{v.split('.')[0]}: {{{v}:.4f}}" for v in values)
        lines.append(f'print(f"{shown}")')
    if target:
        lines.append(f"{target} = {result}")
    return lines


def predict_lines(call: ast.Call, var: str, target: str | None, state: TrainState,
                  folder: Folder) -> list[str] | None:
    """``[target =] var.predict(x)``: eval mode, no gradients, a NumPy array as Keras returns."""
    x = kw(call, "x", 0)
    if x is None:
        return None
    name = target or "predictions"
    return [f"{var}.eval()", "with torch.no_grad():",
            f"    {name} = {var}({_plain(tensor(folder.text(x), state))}).numpy()"]


def hoist_calls(stmt: ast.stmt, models: set[str], folder: Folder,
                state: TrainState) -> tuple[list[str], ast.stmt] | None:
    """Lines computing each nested ``model.evaluate/predict(...)`` first, and ``stmt`` reading
    their results (``print("loss", model.evaluate(x, y))``); None when there is none or one
    cannot be translated."""
    lines: list[str] = []
    count = {"evaluate": 0, "predict": 0}

    class Hoist(ast.NodeTransformer):
        failed = False

        def visit_Call(self, node: ast.Call) -> ast.AST:
            self.generic_visit(node)
            func = node.func
            if not (isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name)
                    and func.value.id in models and func.attr in count):
                return node
            count[func.attr] += 1
            base = "evaluation" if func.attr == "evaluate" else "predictions"
            name = base if count[func.attr] == 1 else f"{base}_{count[func.attr]}"
            made = (evaluate_lines(node, func.value.id, name, folder, state)
                    if func.attr == "evaluate" else
                    predict_lines(node, func.value.id, name, state, folder))
            if made is None:
                self.failed = True
                return node
            lines.extend(made)
            return ast.Name(name, ast.Load())

    hoist = Hoist()
    new = hoist.visit(copy.deepcopy(stmt))  # copies keep their positions for folder.text
    if hoist.failed or not lines:
        return None
    return lines, new
