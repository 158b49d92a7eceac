"""Keras -> PyTorch by running the user's code, where the static reading stops.

The verification worker builds the selected Keras model and prints its layer graph as plain
Functional-API source, every argument a literal (keras_capture.py, in the worker process only).
The static translator then reads that text as it reads any Functional model, so both paths share
one layer table, one emitter and one weight map. What comes back is located in the user's file:
each printed line knows the line that constructed its layer. Nothing here imports Keras.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from ..base import Translation, TranslationError, Unsupported, WeightTransfer
from ..verify import VerificationWorker, capture_model

__all__ = ["KerasSelectionError", "runtime_can_help_keras", "translate_keras_traced"]

_NO_MAPPING = re.compile(r"has no PyTorch mapping")


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

    from ..keras_to_torch.translate import translate_keras_to_pytorch

    try:
        tr = translate_keras_to_pytorch(desc["source"], class_name=desc["model_var"], partial=partial,
                                        input_shape=input_shape, filename=filename)
    except TranslationError as exc:
        items = [replace(u, line=where(u.line)) for u in exc.unsupported]
        first = items[0] if items else Unsupported(1, "model", str(exc))
        raise TranslationError(f"{filename}:{first.line}: {first.construct}: {first.reason} "
                               "(in the model as built by running the file)", items) from exc
    tr.source_model = desc["source_model"]
    tr.weight_map = [_mapped(w, desc, where) for w in tr.weight_map]
    tr.unsupported = [replace(u, line=where(u.line)) for u in tr.unsupported]
    because = f" (the static reading stopped at {static_error})" if static_error else ""
    tr.notes.insert(0, f"translated from the model {desc['source_model']} as built by running "
                    f"the file{because}: one PyTorch module per Keras layer; the script's "
                    "training code is not translated on this path")
    tr.target_code = (f"# Translated by mlsense from {desc['source_model']} as {filename} "
                      "builds it (the model was built by running the file).\n" + tr.target_code)
    return tr


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
