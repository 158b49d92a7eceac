"""PyTorch <-> Keras source-to-source translation, and its verification (in a subprocess)."""

from __future__ import annotations

from .base import TensorSpec, Translation, TranslationError, Unsupported, WeightTransfer


def translate(source: str, to: str, *, class_name: str | None = None, partial: bool = False,
              input_shape: tuple[int, ...] | None = None, filename: str = "<source>") -> Translation:
    """Translate ``source`` to ``to`` ("keras" or "pytorch"). Raises TranslationError."""
    if to == "keras":
        from .torch_to_keras.translate import translate_pytorch_to_keras as run
    elif to == "pytorch":
        from .keras_to_torch.translate import translate_keras_to_pytorch as run
    else:
        raise ValueError(f"unknown target framework {to!r} (use keras or pytorch)")
    return run(source, class_name=class_name, partial=partial, input_shape=input_shape,
               filename=filename)


__all__ = ["TensorSpec", "Translation", "TranslationError", "Unsupported", "WeightTransfer",
           "translate"]
