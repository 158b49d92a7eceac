"""PyTorch -> Keras by running the user's code: build the model, trace it, emit readable Keras.

Where the static translator cannot read a model that is built by code (builder functions,
layers made in loops, helper methods, control flow on constructor values), the verification
worker builds it and traces it with torch.fx (capture.py, in the worker process only); the
graph is printed as one flat ``keras.Model`` subclass (graph.py, emit.py). Nothing in this
package but capture.py and describe.py (its JSON description) imports torch.
"""

from __future__ import annotations

import ast

from ..base import Translation, TranslationError, Unsupported
from ..verify import VerificationWorker, capture_model
from .emit import traced_translation
from .recurrent import STACKED
from .training import with_training
from .transformer import TRANSFORMERS

__all__ = ["RUNTIME_LAYERS", "default_selection", "translate_traced"]

# Layers the traced path translates in forms the static table refuses: several stacked or
# sequence-first RNN layers with their state, and the transformer encoder (layer).
RUNTIME_LAYERS = frozenset({*STACKED, *TRANSFORMERS})


def default_selection(source: str) -> str | None:
    """The model to build when none is named: the last module-level ``nn.Module`` subclass
    that no other class of the file uses (the static translator's rule), else None."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return None
    classes = [n for n in tree.body if isinstance(n, ast.ClassDef) and any(
        ast.unparse(b).split(".")[-1] == "Module" or
        ast.unparse(b) in {c.name for c in tree.body if isinstance(c, ast.ClassDef)}
        for b in n.bases)]
    used = {n.id for c in classes for n in ast.walk(c) if isinstance(n, ast.Name)
            and n.id != c.name}
    roots = [c.name for c in classes if c.name not in used]
    return roots[-1] if roots else None


def defines(source: str, selection: str) -> bool:
    """Whether the file defines, at its top level, the name the selection starts with."""
    try:
        name = ast.parse(selection.strip(), mode="eval").body
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return False
    while isinstance(name, ast.Call | ast.Attribute):
        name = name.func if isinstance(name, ast.Call) else name.value
    if not isinstance(name, ast.Name):
        return False
    bound = {n.name for n in tree.body if isinstance(n, ast.ClassDef | ast.FunctionDef)}
    bound |= {t.id for n in tree.body if isinstance(n, ast.Assign) for t in n.targets
              if isinstance(t, ast.Name)}
    bound |= {(a.asname or a.name).split(".")[0] for n in tree.body
              if isinstance(n, ast.Import | ast.ImportFrom) for a in n.names}
    return name.id in bound


def translate_traced(source: str, *, class_name: str | None, input_shape: tuple[int, ...] | None,
                     filename: str = "<source>", worker: VerificationWorker | None = None,
                     timeout: float = 120.0, static_error: str | None = None) -> Translation:
    """Build the model ``class_name`` selects (a class, a call, a builder function or a model
    variable), trace it on an input of ``input_shape`` and emit Keras. Raises TranslationError.
    """
    selection = class_name or default_selection(source)
    if selection is None:
        raise TranslationError(f"{filename}:1: no nn.Module subclass found; name the model "
                               "with --class", [Unsupported(1, "model", "no model found")])
    capture_shape = input_shape or ()  # empty: the worker guesses it from the first layer
    desc = capture_model(source, filename, selection, capture_shape, timeout, worker)
    if "error" in desc:
        err = desc["error"]
        raise TranslationError(f"{filename}:{err['line']}: cannot translate {err['construct']}: "
                               f"{err['reason']}",
                               [Unsupported(err["line"], err["construct"], err["reason"])])
    tr = traced_translation(desc, filename, static_error)
    return with_training(tr, source, tr.target_model.removesuffix("()"))
