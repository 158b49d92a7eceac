"""Keras -> PyTorch by running the user's code, where the static reading stops.

The verification worker builds the selected Keras model and prints its layer graph as plain
Functional-API source, every argument a literal (capture.py, in the worker process only).
The static translator then reads that text as it reads any Functional model, so both paths share
one layer table, one emitter and one weight map. What comes back is located in the user's file:
each printed line knows the line that constructed its layer. Nothing here imports Keras.
"""

from __future__ import annotations

import ast
import re
from dataclasses import replace
from typing import Any

from ...base import Translation, TranslationError, Unsupported, WeightTransfer
from ...verify import VerificationWorker, capture_model
from ..training import bound_name, building_statement

__all__ = ["KerasSelectionError", "runtime_can_help_keras", "translate_keras_traced"]

_NO_MAPPING = re.compile(r"has no PyTorch mapping")
_LINE = re.compile(r"\bline (\d+)\b")


class KerasSelectionError(TranslationError):
    """The runtime found nothing it can read (no such name, a subclassed model): the static
    reading's own error says more."""


def runtime_can_help_keras(exc: TranslationError) -> bool:
    """Whether building the Keras model can get past what stopped the static reading: not a
    syntax error, nor a layer the table has no mapping for (the built model has it too)."""
    return not any(u.construct == "syntax" or _NO_MAPPING.search(u.reason)
                   for u in exc.unsupported)


def translate_keras_traced(source: str, *, class_name: str | None,
                           input_shape: tuple[int, ...] | None, filename: str = "<source>",
                           partial: bool = False, worker: VerificationWorker | None = None,
                           timeout: float = 120.0, static_error: str | None = None) -> Translation:
    """Build the Keras model ``class_name`` selects, print its graph and translate that.
    Raises TranslationError located in ``source`` (KerasSelectionError: nothing to read)."""
    desc = capture_model(source, filename, class_name or "", input_shape or (), timeout, worker,
                         op="capture_keras")
    if "error" in desc:
        err = desc["error"]
        kind = KerasSelectionError if err.get("kind") == "selection" else TranslationError
        read = f" (read without running it: {static_error})" if static_error and \
            kind is TranslationError else ""
        raise kind(f"{filename}:{err['line']}: cannot translate {err['construct']}: "
                   f"{err['reason']}{read}",
                   [Unsupported(err["line"], err["construct"], err["reason"] + read)])
    origin: list[int] = desc["origin"]

    def where(line: int) -> int:
        return origin[line - 1] if 0 < line <= len(origin) and origin[line - 1] else 1

    from ...keras_to_torch.translate import translate_keras_to_pytorch

    # the model as printed, inside the script's own statements; the model alone where the
    # file has none or they do not translate (and the note says why)
    script = _with_script(desc, source)
    training = script if isinstance(script, str) else ""
    tr = None
    if not isinstance(script, str):
        text, origin, name = script
        try:
            tr = translate_keras_to_pytorch(text, class_name=name, partial=partial,
                                            input_shape=input_shape, filename=filename)
        except TranslationError as exc:
            u = exc.unsupported[0] if exc.unsupported else None
            training = f"line {where(u.line)}: {u.construct}: {u.reason}" if u else str(exc)
            origin = desc["origin"]
    if tr is None:
        try:
            tr = translate_keras_to_pytorch(desc["source"], class_name=desc["model_var"],
                                            partial=partial, input_shape=input_shape,
                                            filename=filename)
        except TranslationError as exc:
            items = [replace(u, line=where(u.line)) for u in exc.unsupported]
            first = items[0] if items else Unsupported(1, "model", str(exc))
            raise TranslationError(f"{filename}:{first.line}: {first.construct}: "
                                   f"{first.reason} (in the model as built by running the file)",
                                   items) from exc
    tr.source_model = desc["source_model"]
    tr.weight_map = [_mapped(w, desc, where) for w in tr.weight_map]
    tr.unsupported = [replace(u, line=where(u.line)) for u in tr.unsupported]
    # "line N" in the notes and in the code's comments: the printed source's lines -> the user's
    def relined(text: str) -> str:
        return _LINE.sub(lambda m: f"line {where(int(m.group(1)))}", text)

    tr.notes = [relined(n) for n in tr.notes]
    tr.target_code = "\n".join(relined(line) if line.lstrip().startswith("#") else line
                                for line in tr.target_code.split("\n"))
    because = f" (the static reading stopped at {static_error})" if static_error else ""
    rest = "; the script's statements around it follow" if not training else \
        f"; the script's other statements are not translated ({training})"
    tr.notes.insert(0, f"translated from the model {desc['source_model']} as built by running "
                    f"the file{because}: one PyTorch module per Keras layer{rest}")
    tr.target_code = (f"# Translated by mlsense from {desc['source_model']} as {filename} "
                      "builds it (the model was built by running the file).\n" + tr.target_code)
    return tr


def _with_script(desc: dict[str, Any], source: str) -> tuple[str, list[int], str] | str:
    """The printed model inside the script: the file's imports and plain-Python definitions and
    statements, the printed graph bound to the name the file binds the model to, then the
    statements after it (compile, fit, evaluate...). Returns (text, each line's line in the
    user's file, that name), or why the model stands alone."""
    from ...keras_to_torch.blocks import assigned_names
    from ...keras_to_torch.parse import Imports

    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return "the file does not parse"
    built = building_statement(tree, desc["source_model"])
    if built is None:
        return "no one top-level statement of the file builds the selected model"
    name = bound_name(built)
    names = Imports(tree)
    keras_made: set[str] = set()  # what a statement using Keras binds is Keras too (tower_1)
    for node in tree.body:
        if names.mentions_framework(node) or any(
                isinstance(n, ast.Name) and n.id in keras_made for n in ast.walk(node)):
            keras_made |= assigned_names(node)

    def plain(node: ast.stmt) -> bool:  # nothing of Keras in it: copied as it is
        return not names.mentions_framework(node) and not any(
            isinstance(n, ast.Name) and n.id in keras_made for n in ast.walk(node))

    def docstring(node: ast.stmt) -> bool:
        return isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)

    after = [n for n in tree.body if n.lineno > built.lineno and not docstring(n) and
             not isinstance(n, ast.Import | ast.ImportFrom | ast.FunctionDef | ast.ClassDef)]
    if not any(isinstance(n, ast.Name) and n.id == name for s in after for n in ast.walk(s)):
        return "the file has no statements after the one that builds the model"
    imports: list[ast.stmt] = [n for n in tree.body if isinstance(n, ast.Import) or (
        isinstance(n, ast.ImportFrom) and n.module != "__future__")]
    before = [n for n in tree.body if n.lineno < built.lineno and not docstring(n) and
              not isinstance(n, ast.Import | ast.ImportFrom) and plain(n)]
    lines = source.splitlines()
    printed = desc["source"].rstrip("\n").split("\n")
    origin = list(desc["origin"])
    out: list[str] = printed[:-1]
    where: list[int] = origin[:len(out)]

    def copy(nodes: list[ast.stmt]) -> None:
        for node in nodes:
            first = min([node.lineno, *(d.lineno for d in getattr(node, "decorator_list", []))])
            out.extend(lines[first - 1:node.end_lineno or node.lineno])
            where.extend(range(first, (node.end_lineno or node.lineno) + 1))
            out.append("")
            where.append(0)

    copy(imports)
    copy(before)
    model_line = printed[-1].split(" = ", 1)[1]
    out.append(f"{name} = {model_line}")
    where.append(origin[len(printed) - 1] if len(origin) >= len(printed) else 0)
    out.append("")
    where.append(0)
    copy(after)
    return "\n".join(out) + "\n", where, name


def _mapped(w: WeightTransfer, desc: dict[str, Any], where: Any) -> WeightTransfer:
    """A weight-map entry of the printed model, pointed at the user's model: ``index:N`` or
    ``name:X`` of the printed model becomes the layer's place in the user's model.layers
    (``index:3/5`` inside the nested model at index 3); Keras' automatic names are not used,
    as they shift each time a process builds the model again."""
    how, _, what = w.keras_path.partition(":")
    tail = ""
    if how == "attr" and what.startswith("layers."):  # a layer inside a layer class's instance
        how, _, rest = what.partition(".")
        what, _, tail = rest.partition(".")
        how = "index"
    name = desc["layer_names"][int(what)] if how == "index" and what.isdigit() and \
        int(what) < len(desc["layer_names"]) else what if how == "name" else None
    path = f"index:{desc['paths'][name]}" + (f".{tail}" if tail else "") \
        if name in desc["paths"] else w.keras_path
    return replace(w, keras_path=path, line=where(w.line))
