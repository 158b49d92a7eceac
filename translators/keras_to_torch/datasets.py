"""``tf.data`` input pipelines given to ``fit`` -> the arrays, batch size and shuffling they hold.

``tf.data.Dataset.from_tensor_slices((x, y)).shuffle(n).batch(b)`` trains like ``fit(x, y,
batch_size=b, shuffle=True)``: a DataLoader over the same arrays (the shuffle buffer ``n`` covers
the whole set when it is at least its size; a smaller one shuffles only locally, which the
comment says). ``cache``/``prefetch`` change nothing; any other step (``map``, ``repeat``,
shuffling batches after ``batch``) is refused with its reason.
"""

from __future__ import annotations

import ast
import copy

from .parse import Folder

_NEUTRAL = ("cache", "prefetch")


def _chain(node: ast.expr) -> tuple[ast.Call | None, list[ast.Call]]:
    """(the root ``from_tensor_slices`` call, the method calls after it in order)."""
    steps: list[ast.Call] = []
    while isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        if node.func.attr == "from_tensor_slices":
            return node, steps[::-1]
        steps.append(node)
        node = node.func.value
    return None, []


def is_dataset(node: ast.expr, folder: Folder) -> bool:
    root, _ = _chain(node)
    return root is not None and (folder.imports.resolve(root.func) or "").endswith(
        "data.Dataset.from_tensor_slices")


def as_arrays(node: ast.expr, folder: Folder) -> tuple[ast.expr, ast.expr, ast.expr | None,
                                                       bool, str] | str:
    """(x, y, batch size, shuffled, comment) of a ``tf.data`` pipeline, or why not."""
    root, steps = _chain(node)
    if root is None or len(root.args) != 1 or not (
            isinstance(root.args[0], ast.Tuple) and len(root.args[0].elts) == 2):
        return "only from_tensor_slices((x, y)) pipelines are translated"
    x, y = root.args[0].elts
    batch: ast.expr | None = None
    shuffled, comment = False, ""
    for step in steps:
        name = step.func.attr if isinstance(step.func, ast.Attribute) else ""
        if name in _NEUTRAL:
            continue
        if name == "batch" and batch is None and step.args:
            batch = step.args[0]
        elif name == "shuffle" and batch is None and step.args:
            shuffled = True
            comment = f"tf.data shuffles with a buffer of {folder.text(step.args[0])}: " \
                      "a uniform shuffle when that is at least the data set's size"
        else:
            return f"the tf.data step .{name}() is not translated"
    return x, y, batch, shuffled, comment


def fit_over_arrays(call: ast.Call, folder: Folder,
                    objects: dict[str, ast.expr]) -> tuple[ast.Call, list[str]] | None:
    """``fit(ds, ...)`` as ``fit(x, y, batch_size=..., shuffle=..., ...)`` (and a dataset given
    as validation_data as its (x, y)), with its comment lines; None when ``fit`` reads no
    dataset. A pipeline that cannot be read is a TODO comment line, and None."""
    first = call.args[0] if call.args else None
    if isinstance(first, ast.Name):
        first = objects.get(first.id, first)
    if first is None or not is_dataset(first, folder):
        return None
    made = as_arrays(first, folder)
    if isinstance(made, str):
        return copy.copy(call), [f"# TODO(mlsense): {made}"]
    x, y, batch, shuffled, comment = made
    keywords = [k for k in call.keywords if k.arg not in ("batch_size", "shuffle")]
    keywords += [ast.keyword("batch_size", batch or ast.Constant(32)),
                 ast.keyword("shuffle", ast.Constant(shuffled))]
    lines = [f"# {comment}"] if comment else []
    for k in keywords:
        value = objects.get(k.value.id, k.value) if isinstance(k.value, ast.Name) else k.value
        if k.arg == "validation_data" and is_dataset(value, folder):
            val = as_arrays(value, folder)
            if isinstance(val, str):
                lines.append(f"# TODO(mlsense): validation_data: {val}")
            else:
                k.value = ast.Tuple([val[0], val[1]], ast.Load())
    return ast.Call(call.func, [x, y, *call.args[1:]], keywords), lines
