"""What a hover says about a layer call: what the layer does, the shapes in and out where the
model around it is known, its parameter count, and the other framework's equivalent written out
by the translator's own table (so the hover and a translation never disagree)."""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

import libcst as cst

from . import keras, pytorch
from .args import Args
from .dims import Shape, fmt_shape
from .sequential import ModelFact

_SUMMARIES = {
    "Linear": "fully connected: y = x·Wᵀ + b on the last axis",
    "Dense": "fully connected: y = x·W + b on the last axis",
    "Conv": "convolution over the spatial axes",
    "ConvTranspose": "transposed convolution (learned upsampling)",
    "MaxPool": "maximum over windows of the spatial axes",
    "AvgPool": "average over windows of the spatial axes",
    "AveragePooling": "average over windows of the spatial axes",
    "MaxPooling": "maximum over windows of the spatial axes",
    "AdaptiveAvgPool": "average pooling to a fixed output size",
    "AdaptiveMaxPool": "max pooling to a fixed output size",
    "GlobalAveragePooling": "average over all spatial positions",
    "GlobalMaxPooling": "maximum over all spatial positions",
    "BatchNorm": "batch normalization over the channel axis (running statistics in eval)",
    "BatchNormalization": "batch normalization over the last axis (moving statistics in "
                          "inference)",
    "LayerNorm": "layer normalization over the trailing axes",
    "LayerNormalization": "layer normalization over the last axis",
    "GroupNorm": "group normalization over channel groups",
    "Dropout": "zeroes a random fraction of the inputs while training",
    "Flatten": "flattens all axes after the batch into one",
    "Embedding": "looks up a learned vector per integer index",
    "LSTM": "long short-term memory recurrence over the time axis",
    "GRU": "gated recurrent unit over the time axis",
    "SimpleRNN": "plain recurrence over the time axis",
}


@dataclass(frozen=True)
class LayerHover:
    name: str  # qualified: torch.nn.Conv2d, keras.layers.Dense
    summary: str
    shape_in: Shape | None
    shape_out: Shape | None
    params: int | None
    equivalent: str | None  # the other framework's constructor, as the translator writes it
    note: str | None  # a layout or default-value trap worth saying


def _summary(short: str) -> str:
    for key in (short, re.sub(r"\d[dD]$", "", short)):  # MaxPool2d -> MaxPool
        if key in _SUMMARIES:
            return _SUMMARIES[key]
    return "activation" if short in ("ReLU", "GELU", "Sigmoid", "Tanh", "Softmax",
                                     "LeakyReLU", "ELU", "SiLU") else "layer"


def describe_layer(call: cst.Call, name: str, models: list[ModelFact]) -> LayerHover | None:
    """The hover for ``call`` (which calls the layer ``name``), or None if no table knows it."""
    framework = pytorch if name.startswith("torch.nn.") else keras if name.startswith(
        "keras.layers.") else None
    if framework is None or name not in framework.LAYERS:
        return None
    short = name.rpartition(".")[2]
    shape_in = shape_out = None
    params = None
    for model in models:
        previous = model.input
        for layer in model.layers:
            if layer.node is call:
                shape_in, shape_out, params = previous, layer.shape, layer.params
            previous = layer.shape
    if params is None:
        try:
            _, params = framework.LAYERS[name](Args(call), shape_in)
        except ValueError:
            params = None
    equivalent = note = None
    if framework is pytorch:
        equivalent, note = _keras_equivalent(call, short)
    return LayerHover(name, _summary(short), shape_in, shape_out, params, equivalent, note)


def _keras_equivalent(call: cst.Call, short: str) -> tuple[str | None, str | None]:
    """The torch -> Keras translator's plan for this one call."""
    from ...translators.torch_to_keras.layers import LayerError, plan_layer

    try:
        parsed = ast.parse(cst.Module([]).code_for_node(call).strip(), mode="eval").body
        assert isinstance(parsed, ast.Call)
        plan = plan_layer(short, parsed, {})
    except (LayerError, SyntaxError, AssertionError, ValueError, KeyError):
        return None, None
    if "{" in plan.keras:  # slots filled only in a whole model (axis, rnn wiring)
        return None, None
    code = f"{plan.pre}, {plan.keras}" if plan.pre else plan.keras
    note = "Keras is channels-last: it takes (N, …, C) where PyTorch takes (N, C, …)" \
        if plan.layout == "cl" else None
    return code, note


def hover_markdown(call_source: str, info: LayerHover) -> str:
    lines = [f"**`{call_source}`** · {info.summary}"]
    shape = ""
    if info.shape_out is not None:
        shape = (f"{fmt_shape(info.shape_in)} → " if info.shape_in is not None else "→ ") \
            + fmt_shape(info.shape_out)
    parts = [p for p in (shape, f"{info.params:,} parameters" if info.params is not None
                         else "") if p]
    if parts:
        lines.append(" · ".join(parts))
    if info.equivalent:
        lines.append(f"Keras: `{info.equivalent}`")
    if info.note:
        lines.append(info.note)
    return "\n\n".join(lines)
