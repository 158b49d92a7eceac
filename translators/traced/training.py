"""The script around a traced model: its training code, as the static translator writes it.

A model the static reading could not follow is emitted as one flat Keras class built with no
arguments; the file's own statements (data, loss, optimizer, loop) are translated by the same
``TrainingTranslator`` the static path uses, with the statement that built the model rebound to
the traced class. Where the building statement cannot be found (none, or several), the file stays
the model alone and the training check says so.
"""

from __future__ import annotations

import ast
from dataclasses import replace

from ..base import Translation
from ..torch_to_keras.emit import kept_imports
from ..torch_to_keras.model import Resolver
from ..torch_to_keras.training import TrainingTranslator


def _root_name(expr: ast.expr) -> str | None:
    """``Net`` of ``Net(3)``, ``Net().double()`` or ``models.Net``; None for anything else."""
    while isinstance(expr, ast.Call | ast.Attribute):
        expr = expr.func if isinstance(expr, ast.Call) else expr.value
    return expr.id if isinstance(expr, ast.Name) else None


def building_statement(tree: ast.Module, selection: str) -> ast.Assign | None:
    """The one top-level ``name = ...`` that builds the selected model: the selected variable's
    last binding, or the one call of the selected class or builder function."""
    try:
        selected = ast.parse(selection.strip(), mode="eval").body
    except SyntaxError:
        return None
    assigns = [n for n in tree.body if isinstance(n, ast.Assign) and len(n.targets) == 1
               and isinstance(n.targets[0], ast.Name)]
    if isinstance(selected, ast.Name) and any(
            bound_name(a) == selected.id for a in assigns):
        return [a for a in assigns if bound_name(a) == selected.id][-1]
    root = _root_name(selected)
    calls = [a for a in assigns if isinstance(a.value, ast.Call) and _root_name(a.value) == root]
    return calls[0] if root and len(calls) == 1 else None


def bound_name(assign: ast.Assign) -> str:
    target = assign.targets[0]
    return target.id if isinstance(target, ast.Name) else ""


def with_training(tr: Translation, source: str, class_name: str) -> Translation:
    """``tr`` with the source's training code appended (unchanged when the file has none or
    the statement that builds the model cannot be told)."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return tr
    built = building_statement(tree, tr.source_model)
    if built is None:
        return tr
    name = bound_name(built)
    rest: list[ast.stmt] = []
    for node in tree.body:
        if isinstance(node, ast.Import | ast.ImportFrom | ast.FunctionDef | ast.ClassDef):
            continue
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            continue  # the docstring
        if node is built:  # the traced class takes no arguments: its sizes are constants
            node = ast.Assign([ast.Name(name, ast.Store())],
                              ast.Call(ast.Name(class_name, ast.Load()), [], []), lineno=0)
        rest.append(node)
    perm = tr.inputs[0].to_target if tr.inputs else None
    translator = TrainingTranslator(Resolver(tree), {name}, perm)
    others = translator.leave_out(tree, tr.target_code, rest)  # the file's other models
    training = translator.translate(rest)
    training.lines[:0] = [*others, ""] if others else []
    if not any(line.strip() and not line.startswith(f"{name} = ") for line in training.lines):
        return tr
    text = tr.target_code.rstrip() + "\n\n\n" + "\n".join(training.lines) + "\n"
    head = text.split("\nimport keras\n", 1)
    if len(head) == 2:
        numpy = ["import numpy as np"] if (training.uses_numpy or "np." in text) and \
            "import numpy as np" not in head[0] else []
        kept = kept_imports(tree, head[1], [])
        text = "\n".join([head[0], *numpy, "import keras", *kept]) + "\n" + head[1]
    return replace(tr, target_code=text, notes=[*tr.notes, *training.notes])
