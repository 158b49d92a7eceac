"""PyTorch <-> Keras source-to-source translation, and its verification (in a subprocess)."""

from __future__ import annotations

import ast
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .base import TensorSpec, Translation, TranslationError, Unsupported, WeightTransfer

if TYPE_CHECKING:
    from .verify import VerificationWorker

# The one model-selection rule, shown by ``mlsense translate --help`` (--class).
MODEL_SELECTION_HELP = (
    "the model to translate: a class (Net: built with the arguments of the file's own call of "
    "it where the static reading finds one, else with none), a call with constructor or builder arguments (\"Net(3)\", "
    "\"VGG('VGG11')\", \"build_model(units=32)\"), a builder function called with no "
    "arguments (resnet18), or a module-level variable holding a model (model; model = Net(3) "
    "selects Net with those arguments); default: the file's last top-level model (Keras: the "
    "one it compiles or fits)")


def translate(source: str, to: str, *, class_name: str | None = None, partial: bool = False,
              input_shape: tuple[int, ...] | None = None, filename: str = "<source>",
              run_code: bool = False, worker: VerificationWorker | None = None,
              timeout: float = 120.0) -> Translation:
    """Translate ``source`` to ``to`` ("keras" or "pytorch"). Raises TranslationError.

    Static first: the source is read, never run. With ``run_code`` (the user trusts the file),
    a PyTorch model the static reading cannot follow because it is built by code (builder
    functions, layers made in loops, helper methods, control flow on constructor values) is
    built and traced in a verification worker (``worker``, else a one-shot one) instead.
    """
    if to == "keras":
        from .torch_to_keras.translate import translate_pytorch_to_keras as run
    elif to == "pytorch":
        from .keras_to_torch.translate import translate_keras_to_pytorch as run
    else:
        raise ValueError(f"unknown target framework {to!r} (use keras or pytorch)")
    try:
        return _static(run, source, class_name=class_name, partial=partial,
                       input_shape=input_shape, filename=filename)
    except TranslationError as exc:
        if run_code and to == "pytorch":
            return _keras_runtime(exc, source, class_name=class_name, partial=partial,
                                  input_shape=input_shape, filename=filename, worker=worker,
                                  timeout=timeout)
        if not (run_code and to == "keras" and runtime_can_help(exc)):
            raise
        from .traced import defines, translate_traced

        if class_name and not defines(source, class_name):
            raise  # nothing of that name to build: the static message lists what there is

        return translate_traced(source, class_name=class_name, input_shape=input_shape,
                                filename=filename, worker=worker, timeout=timeout,
                                static_error=_first_reason(exc))


def _keras_runtime(exc: TranslationError, source: str, *, class_name: str | None,
                   **options: Any) -> Translation:
    """A Keras model the static reading could not follow, built by running the file and read
    from its graph (traced/keras/runtime.py); the static error stands where the runtime has
    nothing to read (no such name, a subclassed model) or could not help (a layer with no
    mapping, a syntax error)."""
    from .traced.keras.runtime import (
        KerasSelectionError,
        runtime_can_help_keras,
        translate_keras_traced,
    )

    if not runtime_can_help_keras(exc):
        raise exc
    try:
        return translate_keras_traced(source, class_name=class_name,
                                      static_error=_first_reason(exc), **options)
    except KerasSelectionError:
        raise exc from None


def _static(run: Callable[..., Translation], source: str, **options: Any) -> Translation:
    """The static translator's result; its own bug on this input is a located failure too."""
    try:
        return run(source, **options)
    except (AssertionError, ArithmeticError, LookupError, TypeError, ValueError) as bug:
        reason = f"the translator failed unexpectedly ({type(bug).__name__}: {bug})"
        raise TranslationError(f"{options['filename']}:1: cannot translate: {reason}",
                               [Unsupported(1, "model", reason)]) from bug


_CONTAINERS = frozenset({"Sequential", "ModuleList", "ModuleDict"})


def runtime_can_help(exc: TranslationError) -> bool:
    """Whether building and tracing the model can get past what stopped the static reading.

    Not for a syntax error, nor for a layer the table cannot map (``nn.PixelShuffle(...)``):
    the traced model has the same layer, unless the traced path maps that layer in more forms
    (stacked RNNs with state, the transformer encoder: ``RUNTIME_LAYERS``). Everything else (a model built by code, control flow,
    a builder function or variable not found as a class) is what the runtime resolves.
    """
    from .traced import RUNTIME_LAYERS  # layers the traced path maps in more forms

    for item in exc.unsupported:
        if item.construct == "syntax":
            return False
        try:
            node = ast.parse(item.construct, mode="eval").body
        except SyntaxError:
            continue
        func = ast.unparse(node.func) if isinstance(node, ast.Call) else ""
        layer = func.rsplit(".", 1)[-1]
        if func.startswith(("nn.", "torch.nn.")) and layer not in _CONTAINERS | RUNTIME_LAYERS:
            return False
    return True


def _first_reason(exc: TranslationError) -> str:
    first = exc.unsupported[0] if exc.unsupported else None
    text = f"line {first.line}: {first.construct}: {first.reason}" if first else str(exc)
    return " ".join(text.split())[:160]


__all__ = ["MODEL_SELECTION_HELP", "TensorSpec", "Translation", "TranslationError",
           "Unsupported", "WeightTransfer", "runtime_can_help", "translate"]
