"""Keras 3 layers: output shape (batch first, channels last) and parameter count
(``layer.count_params()``: every weight, moving statistics included) from the constructor's
arguments and the input shape."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from .args import Args
from .dims import Shape, plus, product, same, times, window

Out = tuple[Shape | None, int | None]
Layer = Callable[[Args, Shape | None], Out]
LAYERS: dict[str, Layer] = {}
_SAME_SHAPE = ("Dropout", "SpatialDropout1D", "SpatialDropout2D", "GaussianNoise",
               "GaussianDropout", "AlphaDropout", "Activation", "ReLU", "LeakyReLU", "ELU",
               "Softmax", "Identity", "ActivityRegularization")


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _layer(*names: str) -> Callable[[Layer], Layer]:
    def register(fn: Layer) -> Layer:
        for name in names:
            LAYERS[f"keras.layers.{name}"] = fn
        return fn
    return register


for _name in _SAME_SHAPE:
    LAYERS[f"keras.layers.{_name}"] = lambda args, shape: (shape, 0)


@_layer("Dense")
def _dense(args: Args, shape: Shape | None) -> Out:
    units = _int(args.get("units", 0))
    bias = args.get("use_bias", 2, True)
    if shape is None or units is None:
        return None, None
    last = shape[-1]
    params = last * units + (units if bias else 0) \
        if isinstance(last, int) and isinstance(bias, bool) else None
    return (*shape[:-1], units), params


def _conv(rank: int) -> Layer:
    def conv(args: Args, shape: Shape | None) -> Out:
        filters = _int(args.get("filters", 0))
        kernel = args.ints("kernel_size", 1, rank)
        if shape is None or len(shape) != rank + 2 or filters is None or kernel is None \
                or args.get("data_format", 4, None) not in (None, "channels_last"):
            return None, None
        strides = args.ints("strides", 2, rank, 1)
        padding = args.get("padding", 3, "valid")
        if padding == "causal" and rank == 1:  # left-padded: the length of "same"
            padding = "same"
        dilation = args.ints("dilation_rate", 5, rank, 1)
        groups, bias = args.get("groups", 6, 1), args.get("use_bias", 8, True)
        channels = shape[-1]
        params = None
        if isinstance(channels, int) and isinstance(groups, int) and groups \
                and isinstance(bias, bool):
            params = math.prod(kernel) * (channels // groups) * filters + (filters if bias else 0)
        if strides is None or dilation is None or padding not in ("valid", "same"):
            return None, params
        if padding == "same":
            spatial = tuple(same(d, s) for d, s in zip(shape[1:-1], strides, strict=True))
        else:
            spatial = tuple(window(d, k, s, 0, dl) for d, k, s, dl in zip(
                shape[1:-1], kernel, strides, dilation, strict=True))
        return (shape[0], *spatial, filters), params
    return conv


def _pool(rank: int) -> Layer:
    def pool(args: Args, shape: Shape | None) -> Out:
        size = args.ints("pool_size", 0, rank, 2)
        stride_arg = args.get("strides", 1, None)
        strides = size if stride_arg is None else args.ints("strides", 1, rank)
        padding = args.get("padding", 2, "valid")
        if shape is None or len(shape) != rank + 2 or size is None or strides is None \
                or padding not in ("valid", "same") \
                or args.get("data_format", 3, None) not in (None, "channels_last"):
            return None, 0
        if padding == "same":
            spatial = tuple(same(d, s) for d, s in zip(shape[1:-1], strides, strict=True))
        else:
            spatial = tuple(window(d, k, s) for d, k, s in zip(
                shape[1:-1], size, strides, strict=True))
        return (shape[0], *spatial, shape[-1]), 0
    return pool


def _global(rank: int) -> Layer:
    def pool(args: Args, shape: Shape | None) -> Out:
        keep = args.get("keepdims", 1, False)
        if shape is None or len(shape) != rank + 2 or not isinstance(keep, bool) \
                or args.get("data_format", 0, None) not in (None, "channels_last"):
            return None, 0
        return ((shape[0], *(1,) * rank, shape[-1]) if keep else (shape[0], shape[-1])), 0
    return pool


for _rank in (1, 2, 3):
    LAYERS[f"keras.layers.Conv{_rank}D"] = _conv(_rank)
    LAYERS[f"keras.layers.MaxPooling{_rank}D"] = _pool(_rank)
    LAYERS[f"keras.layers.AveragePooling{_rank}D"] = _pool(_rank)
    LAYERS[f"keras.layers.GlobalAveragePooling{_rank}D"] = _global(_rank)
    LAYERS[f"keras.layers.GlobalMaxPooling{_rank}D"] = _global(_rank)


for _rank, _short in ((1, "1D"), (2, "2D"), (3, "3D")):  # the short spellings Keras exports
    LAYERS[f"keras.layers.MaxPool{_short}"] = LAYERS[f"keras.layers.MaxPooling{_short}"]
    LAYERS[f"keras.layers.AvgPool{_short}"] = LAYERS[f"keras.layers.AveragePooling{_short}"]
    LAYERS[f"keras.layers.GlobalAvgPool{_short}"] = LAYERS[
        f"keras.layers.GlobalAveragePooling{_short}"]
    LAYERS[f"keras.layers.GlobalMaxPool{_short}"] = LAYERS[f"keras.layers.GlobalMaxPooling{_short}"]


@_layer("Conv2DTranspose")
def _conv_transpose(args: Args, shape: Shape | None) -> Out:
    filters = _int(args.get("filters", 0))
    kernel = args.ints("kernel_size", 1, 2)
    if shape is None or len(shape) != 4 or filters is None or kernel is None \
            or args.get("data_format", 4, None) not in (None, "channels_last") \
            or args.get("output_padding", None, None) is not None:
        return None, None
    strides = args.ints("strides", 2, 2, 1)
    padding = args.get("padding", 3, "valid")
    bias = args.get("use_bias", 8, True)
    channels = shape[-1]
    params = math.prod(kernel) * channels * filters + (filters if bias else 0) \
        if isinstance(channels, int) and isinstance(bias, bool) else None
    if strides is None or padding not in ("valid", "same") \
            or args.ints("dilation_rate", 5, 2, 1) != (1, 1):
        return None, params
    if padding == "same":
        spatial = tuple(times(d, s) for d, s in zip(shape[1:3], strides, strict=True))
    else:
        spatial = tuple(plus(times(d, s), max(k - s, 0)) for d, k, s in zip(
            shape[1:3], kernel, strides, strict=True))
    return (shape[0], *spatial, filters), params


def _rnn(gates: int, reset_after: bool = False) -> Layer:
    def rnn(args: Args, shape: Shape | None) -> Out:
        units = _int(args.get("units", 0))
        sequences = args.get("return_sequences", None, False)
        if args.get("return_state", None, False) is not False:
            return None, None  # a list of tensors: not one shape
        bias = args.get("use_bias", None, True)
        after = args.get("reset_after", None, True) if reset_after else False
        if shape is None or len(shape) != 3 or units is None or not isinstance(sequences, bool):
            return None, None
        features = shape[-1]
        params = None
        if isinstance(features, int) and isinstance(bias, bool) and isinstance(after, bool):
            biases = (2 if after else 1) * units if bias else 0
            params = gates * (features * units + units * units + biases)
        return ((shape[0], shape[1], units) if sequences else (shape[0], units)), params
    return rnn


LAYERS["keras.layers.SimpleRNN"] = _rnn(1)
LAYERS["keras.layers.LSTM"] = _rnn(4)
LAYERS["keras.layers.GRU"] = _rnn(3, reset_after=True)


@_layer("Flatten")
def _flatten(args: Args, shape: Shape | None) -> Out:
    if shape is None or len(shape) < 2:
        return None, 0
    return (shape[0], product(shape[1:])), 0


@_layer("Reshape")
def _reshape(args: Args, shape: Shape | None) -> Out:
    target = args.get("target_shape", 0)
    if shape is None or not isinstance(target, tuple) or not all(
            isinstance(d, int) for d in target):
        return None, 0
    if -1 in target:
        size = product(shape[1:])
        known = math.prod(d for d in target if d != -1)
        if not isinstance(size, int) or known == 0 or size % known:
            return None, 0
        target = tuple(size // known if d == -1 else d for d in target)
    return (shape[0], *target), 0


@_layer("Permute")
def _permute(args: Args, shape: Shape | None) -> Out:
    dims = args.get("dims", 0)
    if shape is None or not isinstance(dims, tuple) or sorted(dims) != list(
            range(1, len(shape))):
        return None, 0
    return (shape[0], *(shape[d] for d in dims)), 0


@_layer("BatchNormalization")
def _batch_norm(args: Args, shape: Shape | None) -> Out:
    center, scale = args.get("center", 3, True), args.get("scale", 4, True)
    if shape is None or not isinstance(shape[-1], int) or not isinstance(center, bool) \
            or not isinstance(scale, bool) or args.get("axis", 0, -1) != -1:
        return shape, None
    return shape, shape[-1] * (2 + int(center) + int(scale))


@_layer("LayerNormalization")
def _layer_norm(args: Args, shape: Shape | None) -> Out:
    center, scale = args.get("center", 2, True), args.get("scale", 3, True)
    if shape is None or not isinstance(shape[-1], int) or not isinstance(center, bool) \
            or not isinstance(scale, bool) or args.get("axis", 0, -1) != -1:
        return shape, None
    return shape, shape[-1] * (int(center) + int(scale))


@_layer("Embedding")
def _embedding(args: Args, shape: Shape | None) -> Out:
    num, dim = _int(args.get("input_dim", 0)), _int(args.get("output_dim", 1))
    params = num * dim if num is not None and dim is not None else None
    return ((*shape, dim) if shape is not None and dim is not None else None), params


def input_shape(args: Args) -> Shape | None:
    """``keras.Input(shape=(28, 28, 1))`` or a first layer's ``input_shape=(10,)``:
    ``(N, 28, 28, 1)``; None dims become symbols."""
    shape = args.get("shape", 0) if "input_shape" not in args.keywords \
        else args.keywords["input_shape"]
    if not isinstance(shape, tuple) or not all(isinstance(d, int) or d is None for d in shape):
        return None
    names = iter(("L", "H", "W", "C") if len(shape) != 3 else ("H", "W", "C"))
    return ("N", *(d if d is not None else next(names, "D") for d in shape))


@_layer("ZeroPadding1D", "ZeroPadding2D", "ZeroPadding3D")
def _zero_padding(args: Args, shape: Shape | None) -> Out:
    padding = args.get("padding", 0, 1)
    if shape is None or len(shape) < 3:
        return None, 0
    rank = len(shape) - 2
    if isinstance(padding, int):
        pads = [(padding, padding)] * rank
    elif isinstance(padding, tuple) and len(padding) == rank:
        pads = [(p, p) if isinstance(p, int) else p for p in padding]
    else:
        return None, 0
    if not all(isinstance(p, tuple) and len(p) == 2 and all(isinstance(v, int) for v in p)
               for p in pads) or args.get("data_format", 1, None) not in (None, "channels_last"):
        return None, 0
    return (shape[0], *(plus(d, a + b) for d, (a, b) in zip(shape[1:-1], pads, strict=True)),
            shape[-1]), 0


@_layer("DepthwiseConv2D")
def _depthwise(args: Args, shape: Shape | None) -> Out:
    kernel = args.ints("kernel_size", 0, 2)
    multiplier = _int(args.get("depth_multiplier", 3, 1))
    bias = args.get("use_bias", 7, True)
    if shape is None or len(shape) != 4 or kernel is None or multiplier is None \
            or args.get("data_format", 4, None) not in (None, "channels_last"):
        return None, None
    channels = shape[-1]
    params = math.prod(kernel) * channels * multiplier + (channels * multiplier if bias else 0) \
        if isinstance(channels, int) and isinstance(bias, bool) else None
    strides = args.ints("strides", 1, 2, 1)
    padding = args.get("padding", 2, "valid")
    dilation = args.ints("dilation_rate", 5, 2, 1)
    if strides is None or dilation is None or padding not in ("valid", "same"):
        return None, params
    if padding == "same":
        spatial = tuple(same(d, s) for d, s in zip(shape[1:3], strides, strict=True))
    else:
        spatial = tuple(window(d, k, s, 0, dl) for d, k, s, dl in zip(
            shape[1:3], kernel, strides, dilation, strict=True))
    out = channels * multiplier if isinstance(channels, int) else times(channels, multiplier)
    return (shape[0], *spatial, out), params


def apply(name: str, call: Any, resolve: Any, env: Any, shape: Shape | None) -> Out:
    """The layer ``call`` (a libcst Call of ``name``) on ``shape``; wrappers such as
    ``Bidirectional(LSTM(16))`` see their inner layer. Raises ShapeError as the table does."""
    args = Args(call, env)
    if name == "keras.layers.Bidirectional":
        first = call.args[0].value if call.args and call.args[0].keyword is None else None
        if first is None or not hasattr(first, "func"):
            return None, None
        inner_name = resolve(first.func)
        merge = args.get("merge_mode", 1, "concat")
        if inner_name not in LAYERS or merge not in ("concat", "sum", "mul", "ave") \
                or args.get("backward_layer", 3, None) is not None:
            return None, None
        out, params = LAYERS[inner_name](Args(first, env), shape)
        if out is None:
            return None, 2 * params if params is not None else None
        last = out[-1]
        if merge == "concat":
            last = 2 * last if isinstance(last, int) else times(last, 2)
        return (*out[:-1], last), 2 * params if params is not None else None
    layer = LAYERS.get(name)
    return layer(args, shape) if layer is not None else (None, None)
