"""The translation contract shared by both directions, the verifier and the front ends.

Translation is pure source-to-source (libcst/ast): nothing here imports torch, TensorFlow or
Keras. A :class:`Translation` carries the target source plus what verification needs to build
both models, feed them the same inputs and copy the weights across (``weight_map``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Framework = Literal["pytorch", "keras"]


@dataclass
class Unsupported:
    """A construct the translator cannot translate, located in the source (1-based line)."""

    line: int
    construct: str
    reason: str
    column: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {"line": self.line, "column": self.column, "construct": self.construct,
                "reason": self.reason}


@dataclass
class WeightTransfer:
    """One layer whose weights verification copies from the source model to the target.

    ``kind``: dense | conv | depthwise_conv | batchnorm | layernorm | embedding | lstm | gru | mha.
    ``torch_path``: the module's key in ``torch_model.named_modules()`` (``fc1``, ``features.0``).
    ``keras_path``: how to find the Keras layer: ``attr:fc1`` (attribute path on a subclassed
    model), ``index:3`` (``model.layers[3]``), or ``name:dense_1`` (``model.get_layer``).
    ``params``: what the kind needs, e.g. ``{"rank": 2}``, ``{"bidirectional": True}``, or for a
    dense layer after a flatten of a channels-first map ``{"flatten_from": [C, H, W]}``.
    ``line``: 1-based source line of the layer, for per-layer error reports.
    """

    kind: str
    torch_path: str
    keras_path: str
    params: dict[str, Any] = field(default_factory=dict)
    line: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "torch_path": self.torch_path, "keras_path": self.keras_path,
                "params": self.params, "line": self.line}


@dataclass
class TensorSpec:
    """One model input or output as the *source* model sees it (batch axis excluded).

    ``to_target``: axis permutation (batch axis included) that turns the source layout into the
    target layout, e.g. ``(0, 2, 3, 1)`` for NCHW -> NHWC; None when layouts agree.
    ``dtype``: float32, or int64 for token ids (``vocab`` then bounds the random ids).
    """

    shape: tuple[int, ...]
    dtype: str = "float32"
    to_target: tuple[int, ...] | None = None
    vocab: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"shape": list(self.shape), "dtype": self.dtype,
                "to_target": list(self.to_target) if self.to_target else None,
                "vocab": self.vocab}


@dataclass
class Translation:
    """The result of translating one model (and the training code around it) to the other side.

    ``source_model`` / ``target_model``: Python expressions that build each model once the
    definitions of the source file / of ``target_code`` are executed (``Net()``, ``model``).
    """

    source_framework: Framework
    target_framework: Framework
    target_code: str
    source_model: str
    target_model: str
    inputs: list[TensorSpec]
    outputs: list[TensorSpec] = field(default_factory=list)
    weight_map: list[WeightTransfer] = field(default_factory=list)
    unsupported: list[Unsupported] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "source_framework": self.source_framework,
            "target_framework": self.target_framework,
            "target_code": self.target_code,
            "source_model": self.source_model,
            "target_model": self.target_model,
            "inputs": [i.as_dict() for i in self.inputs],
            "outputs": [o.as_dict() for o in self.outputs],
            "weight_map": [w.as_dict() for w in self.weight_map],
            "unsupported": [u.as_dict() for u in self.unsupported],
            "notes": list(self.notes),
        }


class TranslationError(Exception):
    """The source cannot be translated; ``unsupported`` says where and why."""

    def __init__(self, message: str, unsupported: list[Unsupported] | None = None) -> None:
        super().__init__(message)
        self.unsupported = unsupported or []
