"""``torch.nn`` layers: output shape (batch first, channels first) and parameter count
(``sum(p.numel() for p in layer.parameters())``: buffers such as running means are not
parameters) from the constructor's arguments and the input shape."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from .args import Args, Symbol
from .dims import UNKNOWN_DIM, Shape, plus, product, times, transposed, window
from .ops import Outputs

Out = tuple[Shape | None, int | None]
Layer = Callable[[Args, Shape | None], Out]
LAYERS: dict[str, Layer] = {}
_SAME_SHAPE = (
    "Dropout", "Dropout1d", "Dropout2d", "Dropout3d", "AlphaDropout", "Identity", "ReLU", "ReLU6",
    "LeakyReLU", "ELU", "SELU", "CELU", "GELU", "SiLU", "Mish", "Sigmoid", "Tanh", "Softmax",
    "LogSoftmax", "Softplus", "Softsign", "Hardswish", "Hardsigmoid", "Hardtanh", "Tanhshrink",
    "LogSigmoid", "Softmin", "Threshold")


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _size(value: Any) -> int | str | None:
    """A size a shape can carry: a number, or a constructor parameter's :class:`Symbol`."""
    return value if isinstance(value, Symbol) else _int(value)


def _layer(*names: str) -> Callable[[Layer], Layer]:
    def register(fn: Layer) -> Layer:
        for name in names:
            LAYERS[f"torch.nn.{name}"] = fn
        return fn
    return register


for _name in _SAME_SHAPE:
    LAYERS[f"torch.nn.{_name}"] = lambda args, shape: (shape, 0)


@_layer("PReLU")
def _prelu(args: Args, shape: Shape | None) -> Out:
    return shape, _int(args.get("num_parameters", 0, 1))


@_layer("Linear")
def _linear(args: Args, shape: Shape | None) -> Out:
    n_in, n_out = _int(args.get("in_features", 0)), _int(args.get("out_features", 1))
    bias = args.get("bias", 2, True)
    params = n_in * n_out + (n_out if bias else 0) \
        if n_in is not None and n_out is not None and isinstance(bias, bool) else None
    size = _size(args.get("out_features", 1))
    out = (*shape[:-1], UNKNOWN_DIM if size is None else size) if shape else None
    return out, params


def _conv(rank: int, transpose: bool = False) -> Layer:
    def conv(args: Args, shape: Shape | None) -> Out:
        c_in, c_out = _int(args.get("in_channels", 0)), _int(args.get("out_channels", 1))
        kernel = args.ints("kernel_size", 2, rank)
        groups, bias = args.get("groups", None, 1), args.get("bias", None, True)
        params = None
        if c_in is not None and c_out is not None and kernel is not None \
                and isinstance(groups, int) and groups and isinstance(bias, bool):
            fan = (c_out // groups if transpose else c_in // groups) * math.prod(kernel)
            params = (c_in if transpose else c_out) * fan + (c_out if bias else 0)
        size = _size(args.get("out_channels", 1))
        if shape is None or len(shape) != rank + 2:
            return None, params
        spatial = _conv_spatial(args, shape[2:], kernel, transpose) \
            if kernel is not None else None  # a window the code does not state: ? each
        return (shape[0], UNKNOWN_DIM if size is None else size,
                *(spatial or (UNKNOWN_DIM,) * rank)), params
    return conv


def _conv_spatial(args: Args, dims: Shape, kernel: tuple[int, ...], transpose: bool
                  ) -> Shape | None:
    """A convolution's output lengths (None where stride, padding or dilation is unknown)."""
    rank = len(dims)
    stride = args.ints("stride", 3, rank, 1)
    padding_arg = args.get("padding", 4, 0)
    dilation = args.ints("dilation", None if transpose else 5, rank, 1)
    if stride is None or dilation is None:
        return None
    if transpose:
        padding = args.ints("padding", 4, rank, 0)
        extra = args.ints("output_padding", 5, rank, 0)
        if padding is None or extra is None:
            return None
        return tuple(transposed(d, k, s, p, dl, e) for d, k, s, p, dl, e in zip(
            dims, kernel, stride, padding, dilation, extra, strict=True))
    if padding_arg == "same":
        return dims
    padding = (0,) * rank if padding_arg == "valid" else args.ints("padding", 4, rank, 0)
    if padding is None:
        return None
    return tuple(window(d, k, s, p, dl) for d, k, s, p, dl in zip(
        dims, kernel, stride, padding, dilation, strict=True))


for _rank in (1, 2, 3):
    LAYERS[f"torch.nn.Conv{_rank}d"] = _conv(_rank)
    LAYERS[f"torch.nn.ConvTranspose{_rank}d"] = _conv(_rank, transpose=True)


def _pool(rank: int, max_pool: bool) -> Layer:
    def pool(args: Args, shape: Shape | None) -> Out:
        kernel = args.ints("kernel_size", 0, rank)
        if shape is None or len(shape) < rank + 1 or kernel is None:
            return None, 0
        stride_arg = args.get("stride", 1, None)
        stride = kernel if stride_arg is None else args.ints("stride", 1, rank)
        padding = args.ints("padding", 2, rank, 0)
        dilation = args.ints("dilation", 3, rank, 1) if max_pool else (1,) * rank
        ceil = args.get("ceil_mode", 5 if max_pool else 3, False)
        if stride is None or padding is None or dilation is None or not isinstance(ceil, bool):
            return None, 0
        spatial = tuple(window(d, k, s, p, dl, ceil) for d, k, s, p, dl in zip(
            shape[-rank:], kernel, stride, padding, dilation, strict=True))
        return (*shape[:-rank], *spatial), 0
    return pool


def _adaptive(rank: int) -> Layer:
    def pool(args: Args, shape: Shape | None) -> Out:
        size = args.get("output_size", 0)
        sizes = (size,) * rank if isinstance(size, int) or size is None else size
        if shape is None or len(shape) < rank + 1 or not isinstance(sizes, tuple) \
                or len(sizes) != rank:
            return None, 0
        spatial = tuple(d if s is None else s for d, s in zip(shape[-rank:], sizes, strict=True))
        return (*shape[:-rank], *spatial), 0
    return pool


for _rank in (1, 2, 3):
    LAYERS[f"torch.nn.MaxPool{_rank}d"] = _pool(_rank, True)
    LAYERS[f"torch.nn.AvgPool{_rank}d"] = _pool(_rank, False)
    LAYERS[f"torch.nn.AdaptiveAvgPool{_rank}d"] = _adaptive(_rank)
    LAYERS[f"torch.nn.AdaptiveMaxPool{_rank}d"] = _adaptive(_rank)


@_layer("BatchNorm1d", "BatchNorm2d", "BatchNorm3d")
def _batch_norm(args: Args, shape: Shape | None) -> Out:
    n = _int(args.get("num_features", 0))
    affine = args.get("affine", 3, True)
    return shape, (2 * n if affine else 0) if n is not None and isinstance(affine, bool) else None


def _instance_norm(args: Args, shape: Shape | None) -> Out:
    n = _int(args.get("num_features", 0))
    affine = args.get("affine", 3, False)
    return shape, (2 * n if affine else 0) if n is not None and isinstance(affine, bool) else None


for _rank in (1, 2, 3):
    LAYERS[f"torch.nn.InstanceNorm{_rank}d"] = _instance_norm


@_layer("GroupNorm")
def _group_norm(args: Args, shape: Shape | None) -> Out:
    c = _int(args.get("num_channels", 1))
    affine = args.get("affine", 3, True)
    return shape, (2 * c if affine else 0) if c is not None and isinstance(affine, bool) else None


@_layer("LayerNorm")
def _layer_norm(args: Args, shape: Shape | None) -> Out:
    normalized = args.get("normalized_shape", 0)
    dims = (normalized,) if isinstance(normalized, int) else normalized
    affine = args.get("elementwise_affine", 2, True)
    bias = args.get("bias", 3, True)
    if not isinstance(dims, tuple) or not all(isinstance(d, int) for d in dims) \
            or not isinstance(affine, bool) or not isinstance(bias, bool):
        return shape, None
    size = math.prod(dims)
    return shape, (size * (1 + int(bias)) if affine else 0)


@_layer("Flatten")
def _flatten(args: Args, shape: Shape | None) -> Out:
    start, end = args.get("start_dim", 0, 1), args.get("end_dim", 1, -1)
    if shape is None or not isinstance(start, int) or not isinstance(end, int):
        return None, 0
    start, end = start % len(shape), end % len(shape)
    if start > end:
        return None, 0
    return (*shape[:start], product(shape[start:end + 1]), *shape[end + 1:]), 0


@_layer("Unflatten")
def _unflatten(args: Args, shape: Shape | None) -> Out:
    dim, sizes = args.get("dim", 0), args.get("unflattened_size", 1)
    if shape is None or not isinstance(dim, int) or not isinstance(sizes, tuple):
        return None, 0
    dim %= len(shape)
    return (*shape[:dim], *sizes, *shape[dim + 1:]), 0


@_layer("Embedding")
def _embedding(args: Args, shape: Shape | None) -> Out:
    num, dim = _int(args.get("num_embeddings", 0)), _int(args.get("embedding_dim", 1))
    params = num * dim if num is not None and dim is not None else None
    size = _size(args.get("embedding_dim", 1))
    return ((*shape, size) if shape is not None and size is not None else None), params


def input_shape(name: str, args: Args) -> Shape | None:
    """What the first layer of a model takes, from its own arguments: ``Linear(13, ...)``
    -> ``(N, 13)``, ``Conv2d(3, ...)`` -> ``(N, 3, H, W)``, ``Embedding`` -> ``(N, L)``."""
    short = name.rpartition(".")[2]
    if short == "Linear":  # (*, in_features): (N, 13) from a literal, the reading;
        n = _int(args.get("in_features", 0))  # a parameter's rank is anyone's guess
        return ("N", n) if n is not None else None
    for rank, spatial in ((1, ("L",)), (2, ("H", "W")), (3, ("D", "H", "W"))):
        if short in (f"Conv{rank}d", f"ConvTranspose{rank}d"):
            c = _size(args.get("in_channels", 0))
            return ("N", c, *spatial) if c is not None else None
        if short in (f"BatchNorm{rank}d", f"InstanceNorm{rank}d") and rank > 1:
            c = _size(args.get("num_features", 0))
            return ("N", c, *spatial) if c is not None else None
    if short == "BatchNorm1d":  # (N, C) or (N, C, L): as for Linear
        c = _int(args.get("num_features", 0))
        return ("N", c) if c is not None else None
    if short == "Embedding":
        return ("N", "L")
    if short in ("RNN", "GRU", "LSTM", "MultiheadAttention"):
        size = _size(args.get("embed_dim", 0) if short == "MultiheadAttention"
                     else args.get("input_size", 0))
        first = args.get("batch_first", 8 if short == "MultiheadAttention" else None, False)
        if size is None or not isinstance(first, bool):
            return None
        return ("N", "L", size) if first else ("L", "N", size)
    return None



# -- layers with several outputs: an RNN's (output, h_n), an LSTM's (output, (h_n, c_n)),
# attention's (output, weights); the shape part is an ops.Outputs.
MULTI: dict[str, Callable[[Args, Shape | None], tuple[Any, int | None]]] = {}


def _recurrent(gates: int, kind: str) -> Callable[[Args, Shape | None], tuple[Any, int | None]]:
    shift = 1 if kind == "RNN" else 0  # nn.RNN(input, hidden, layers, nonlinearity, bias...)

    def rnn(args: Args, shape: Shape | None) -> tuple[Any, int | None]:
        n_in, hidden = _size(args.get("input_size", 0)), _size(args.get("hidden_size", 1))
        layers = _int(args.get("num_layers", 2, 1))
        bias = args.get("bias", 3 + shift, True)
        batch_first = args.get("batch_first", 4 + shift, False)
        directions = args.get("bidirectional", 6 + shift, False)
        if args.get("proj_size", None, 0) != 0 or not isinstance(directions, bool) \
                or n_in is None or hidden is None or layers is None:
            return None, None
        d = 2 if directions else 1
        params = None
        if isinstance(bias, bool) and isinstance(n_in, int) and isinstance(hidden, int):
            per = [gates * hidden * ((n_in if i == 0 else d * hidden) + hidden)
                   + (2 * gates * hidden if bias else 0) for i in range(layers)]
            params = d * sum(per)
        if shape is None or len(shape) != 3 or not isinstance(batch_first, bool) \
                or (isinstance(shape[-1], int) and isinstance(n_in, int) and shape[-1] != n_in):
            return None, params
        batch = shape[0] if batch_first else shape[1]
        state = (d * layers, batch, hidden)
        out = (*shape[:2], times(hidden, d))
        second = Outputs((state, state)) if kind == "LSTM" else state
        return Outputs((out, second)), params
    return rnn


MULTI["torch.nn.RNN"] = _recurrent(1, "RNN")
MULTI["torch.nn.GRU"] = _recurrent(3, "GRU")
MULTI["torch.nn.LSTM"] = _recurrent(4, "LSTM")


def _attention(args: Args, shape: Shape | None) -> tuple[Any, int | None]:
    """``nn.MultiheadAttention`` on (query, key, value): the output has the query's shape
    with ``embed_dim`` last; the averaged weights are not stated."""
    embed = _size(args.get("embed_dim", 0))
    bias = args.get("bias", 3, True)
    separate = args.get("kdim", 6, None) is not None or args.get("vdim", 7, None) is not None
    extra = args.get("add_bias_kv", 4, False)
    params = 4 * embed * embed + (4 * embed if bias else 0) + (2 * embed if extra else 0) \
        if isinstance(embed, int) and isinstance(bias, bool) and isinstance(extra, bool) \
        and not separate else None
    if shape is None or embed is None or len(shape) != 3 or shape[-1] not in (embed,):
        return None, params
    return Outputs(((*shape[:-1], embed), None)), params


MULTI["torch.nn.MultiheadAttention"] = _attention


@_layer("TransformerEncoderLayer")
def _encoder_layer(args: Args, shape: Shape | None) -> Out:
    d, ff = _size(args.get("d_model", 0)), _size(args.get("dim_feedforward", 2, 2048))
    bias = args.get("bias", None, True)
    params = 4 * d * d + 4 * d + 2 * d * ff + ff + d + 4 * d \
        if isinstance(d, int) and isinstance(ff, int) and bias is True else None
    if shape is None or not shape or (isinstance(shape[-1], int) and shape[-1] != d):
        return None, params
    return shape, params


def _pad(rank: int) -> Layer:
    def pad(args: Args, shape: Shape | None) -> Out:
        padding = args.get("padding", 0)
        pads = (padding,) * (2 * rank) if isinstance(padding, int) \
            and not isinstance(padding, bool) else padding
        if shape is None or len(shape) < rank + 1 or not isinstance(pads, tuple) \
                or len(pads) != 2 * rank or not all(isinstance(p, int) for p in pads):
            return None, 0
        # (left, right, top, bottom, front, back): the last axis first
        grow = [pads[2 * i] + pads[2 * i + 1] for i in range(rank)][::-1]
        return (*shape[:-rank], *(plus(d, g) for d, g in zip(shape[-rank:], grow,
                                                               strict=True))), 0
    return pad


for _rank in (1, 2, 3):
    for _kind in ("Reflection", "Replication", "Zero", "Constant", "Circular"):
        LAYERS[f"torch.nn.{_kind}Pad{_rank}d"] = _pad(_rank)


@_layer("Upsample", "UpsamplingNearest2d", "UpsamplingBilinear2d")
def _upsample(args: Args, shape: Shape | None) -> Out:
    size, factor = args.get("size", 0, None), args.get("scale_factor", 1, None)
    if shape is None or len(shape) < 3:
        return None, 0
    rank = len(shape) - 2
    if size is None and isinstance(factor, int) and not isinstance(factor, bool):
        return (*shape[:2], *(times(d, factor) for d in shape[2:])), 0
    if factor is None and isinstance(size, int) and not isinstance(size, bool):
        return (*shape[:2], *(size,) * rank), 0
    if factor is None and isinstance(size, tuple) and len(size) == rank:
        return (*shape[:2], *size), 0
    return None, 0
