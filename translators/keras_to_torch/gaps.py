"""Known framework gaps of training: marked where a translated script trains into one.

Both are real differences between the frameworks, found by the training check, that no
rewrite of the script can remove: torch's LSTM has two bias vectors (Keras' one), and Keras on
TensorFlow keeps an Embedding's gradient sparse, squaring it per occurrence in Adam/RMSprop's
second moment.
"""

from __future__ import annotations

import ast
import re

from .parse import Imports

_LSTM_BIASES = ("torch's LSTM trains two bias vectors (bias_ih, bias_hh) where Keras' has one: "
                "their sum moves by two updates per step, so the training differs from the "
                "first step (the forward pass is the same)")
_EMBEDDING_MOMENTS = ("Keras on TensorFlow keeps an Embedding's gradient sparse and squares it "
                      "per occurrence in Adam/RMSprop's second moment (torch squares the summed "
                      "gradient): training differs when a token repeats in a batch (SGD is "
                      "exact)")


def training_gaps(code: str, tree: ast.Module, imports: Imports) -> tuple[str, list[str]]:
    """``code`` with a TODO line before the loss for each gap the trained model has, and the
    notes (located in the Keras source)."""
    if "loss.backward()" not in code:
        return code, []
    calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call)]
    gaps = [(n, _LSTM_BIASES) for n in calls if imports.is_keras(n.func, "layers.LSTM")
            and not any(k.arg == "use_bias" for k in n.keywords)][:1]
    if re.search(r"torch\.optim\.(Adam|AdamW|RMSprop)\(", code):
        gaps += [(n, _EMBEDDING_MOMENTS) for n in calls
                 if imports.is_keras(n.func, "layers.Embedding")][:1]
    notes = []
    for node, why in gaps:
        code = code.replace("loss_fn = ", f"# TODO(mlsense): {why}\nloss_fn = ", 1)
        notes.append(f"line {node.lineno}: {why}")
    return code, notes
