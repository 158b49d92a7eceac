"""PyTorch layer constructors -> Keras 3 layer constructors (the torch -> Keras mapping table).

:func:`plan_layer` turns one ``nn.X(...)`` call into a :class:`LayerPlan`: the Keras constructor
source, an optional padding layer to put in front, the weight-transfer kind, the input layout the
Keras layer needs (channels-last or the PyTorch order) and a static shape function. Numerical
traps are handled here: BatchNorm momentum ``1 - m`` and explicit epsilons, explicit padding at
stride > 1 (``ZeroPadding`` + ``"valid"``), LeakyReLU's slope, exact GELU.
"""

from __future__ import annotations

import ast
from typing import Any

from .. import shapes as S
from .eval import UNKNOWN, bind_call
from .plan import Args as _Args
from .plan import LayerError, LayerPlan
from .plan import pad_lambda as _pad_lambda
from .plan import rank as _rank
from .planners import PLANNERS

# Parameters (positional order) and defaults of the supported torch constructors.
_SIGNATURES: dict[str, tuple[list[str], dict[str, Any]]] = {
    "Linear": (["in_features", "out_features", "bias"], {"bias": True}),
    "Conv": (["in_channels", "out_channels", "kernel_size", "stride", "padding", "dilation",
              "groups", "bias", "padding_mode"],
             {"stride": 1, "padding": 0, "dilation": 1, "groups": 1, "bias": True,
              "padding_mode": "zeros"}),
    "MaxPool": (["kernel_size", "stride", "padding", "dilation", "return_indices", "ceil_mode"],
                {"stride": None, "padding": 0, "dilation": 1, "return_indices": False,
                 "ceil_mode": False}),
    "AvgPool": (["kernel_size", "stride", "padding", "ceil_mode", "count_include_pad",
                 "divisor_override"],
                {"stride": None, "padding": 0, "ceil_mode": False, "count_include_pad": True,
                 "divisor_override": None}),
    "Adaptive": (["output_size"], {}),
    "BatchNorm": (["num_features", "eps", "momentum", "affine", "track_running_stats"],
                  {"eps": 1e-5, "momentum": 0.1, "affine": True, "track_running_stats": True}),
    "LayerNorm": (["normalized_shape", "eps", "elementwise_affine", "bias"],
                  {"eps": 1e-5, "elementwise_affine": True, "bias": True}),
    "Dropout": (["p", "inplace"], {"p": 0.5, "inplace": False}),
    "Embedding": (["num_embeddings", "embedding_dim", "padding_idx", "max_norm"],
                  {"padding_idx": None, "max_norm": None}),
    "RNN": (["input_size", "hidden_size", "num_layers", "bias", "batch_first", "dropout",
             "bidirectional", "proj_size"],
            {"num_layers": 1, "bias": True, "batch_first": False, "dropout": 0.0,
             "bidirectional": False, "proj_size": 0}),
    "MultiheadAttention": (["embed_dim", "num_heads", "dropout", "bias", "add_bias_kv",
                            "add_zero_attn", "kdim", "vdim", "batch_first"],
                           {"dropout": 0.0, "bias": True, "add_bias_kv": False,
                            "add_zero_attn": False, "kdim": None, "vdim": None,
                            "batch_first": False}),
    "Flatten": (["start_dim", "end_dim"], {"start_dim": 1, "end_dim": -1}),
    "Act": (["inplace"], {"inplace": False}),
    "LeakyReLU": (["negative_slope", "inplace"], {"negative_slope": 0.01, "inplace": False}),
    "ELU": (["alpha", "inplace"], {"alpha": 1.0, "inplace": False}),
    "GELU": (["approximate"], {"approximate": "none"}),
    "Softmax": (["dim"], {"dim": None}),
    "ConvTranspose": (["in_channels", "out_channels", "kernel_size", "stride", "padding",
                       "output_padding", "groups", "bias", "dilation", "padding_mode"],
                      {"stride": 1, "padding": 0, "output_padding": 0, "groups": 1, "bias": True,
                       "dilation": 1, "padding_mode": "zeros"}),
    "InstanceNorm": (["num_features", "eps", "momentum", "affine", "track_running_stats"],
                     {"eps": 1e-5, "momentum": 0.1, "affine": False,
                      "track_running_stats": False}),
    "GroupNorm": (["num_groups", "num_channels", "eps", "affine"], {"eps": 1e-5, "affine": True}),
    "Pad": (["padding"], {}),
    "PixelShuffle": (["upscale_factor"], {}),
    "Cell": (["input_size", "hidden_size", "bias"], {"bias": True}),
    "Upsample": (["size", "scale_factor", "mode", "align_corners", "recompute_scale_factor"],
                 {"size": None, "scale_factor": None, "mode": "nearest", "align_corners": None,
                  "recompute_scale_factor": None}),
}

_FAMILY = {"Linear": "Linear", "Conv1d": "Conv", "Conv2d": "Conv", "MaxPool1d": "MaxPool",
           "MaxPool2d": "MaxPool", "AvgPool1d": "AvgPool", "AvgPool2d": "AvgPool",
           "AdaptiveAvgPool1d": "Adaptive", "AdaptiveAvgPool2d": "Adaptive",
           "AdaptiveMaxPool1d": "Adaptive", "AdaptiveMaxPool2d": "Adaptive",
           "BatchNorm1d": "BatchNorm", "BatchNorm2d": "BatchNorm", "LayerNorm": "LayerNorm",
           "Dropout": "Dropout", "Dropout1d": "Dropout", "Dropout2d": "Dropout",
           "Embedding": "Embedding", "LSTM": "RNN", "GRU": "RNN",
           "MultiheadAttention": "MultiheadAttention", "Flatten": "Flatten",
           "ReLU": "Act", "ReLU6": "Act", "Tanh": "Act", "Sigmoid": "Act", "SiLU": "Act",
           "Hardswish": "Act", "Hardsigmoid": "Act", "Mish": "Act",
           "Identity": "Act", "LeakyReLU": "LeakyReLU", "ELU": "ELU", "GELU": "GELU",
           "Softmax": "Softmax", "LogSoftmax": "Softmax",
           "Conv3d": "Conv", "MaxPool3d": "MaxPool", "AvgPool3d": "AvgPool",
           "BatchNorm3d": "BatchNorm", "AdaptiveAvgPool3d": "Adaptive",
           "AdaptiveMaxPool3d": "Adaptive", "ConvTranspose1d": "ConvTranspose",
           "ConvTranspose2d": "ConvTranspose", "InstanceNorm1d": "InstanceNorm",
           "InstanceNorm2d": "InstanceNorm", "GroupNorm": "GroupNorm",
           "ReflectionPad1d": "Pad", "ReflectionPad2d": "Pad", "ZeroPad1d": "Pad",
           "ZeroPad2d": "Pad",
           "PixelShuffle": "PixelShuffle", "Upsample": "Upsample",
           "UpsamplingNearest2d": "Upsample", "UpsamplingBilinear2d": "Upsample",
           "LSTMCell": "Cell", "GRUCell": "Cell"}

SUPPORTED_LAYERS = frozenset(_FAMILY)


def plan_layer(ctor: str, call: ast.Call, env: dict[str, Any]) -> LayerPlan:
    """Plan the Keras equivalent of ``nn.<ctor>(...)``; raises LayerError when unsupported."""
    family = _FAMILY.get(ctor)
    if family is None:
        raise LayerError(f"nn.{ctor} has no Keras mapping in mlsense yet")
    params, defaults = _SIGNATURES[family]
    try:
        values, nodes = bind_call(params, defaults, call, env)
    except ValueError as exc:
        raise LayerError(f"nn.{ctor}: {exc}") from exc
    args = _Args(values, nodes)
    builder = PLANNERS.get(family) or globals()["_plan_" + family.lower()]
    plan: LayerPlan = builder(ctor, args)
    plan.line = call.lineno
    return plan


def _plan_linear(ctor: str, a: _Args) -> LayerPlan:
    def shape(s: S.Shape) -> S.Shape:
        S.check_dim(s, -1, a["in_features"], "nn.Linear in_features")
        out = a["out_features"]
        return s[:-1] + (out if isinstance(out, int) else None,)
    code = f"layers.Dense({a.src('out_features')}{a.flag('bias', 'use_bias')})"
    return LayerPlan(ctor, code, 0, "same", weight=("dense", {}), out_shape=shape)


def _padding_mode(a: _Args, rank: int) -> tuple[str, str | None]:
    """Keras padding string plus an optional ZeroPadding layer for torch's explicit padding."""
    pad, stride, k, dil = a["padding"], a["stride"], a["kernel_size"], a["dilation"]
    if pad in ("same", "valid"):
        return pad, None
    if pad is not UNKNOWN and all(p == 0 for p in S.as_tuple(pad, rank)):
        return "valid", None
    if a.known("padding", "stride", "kernel_size", "dilation") \
            and all(s == 1 for s in S.as_tuple(stride, rank)):
        window = S.all_ints(S.as_tuple(pad, rank) + S.as_tuple(k, rank) + S.as_tuple(dil, rank))
        pairs = zip(window[:rank], window[rank:2 * rank], window[2 * rank:], strict=True) \
            if window is not None else None
        if pairs is not None and all(2 * p == d * (kk - 1) for p, kk, d in pairs):
            return "same", None  # identical to torch's symmetric padding at stride 1
    # "same" at stride > 1 pads asymmetrically in Keras: pad explicitly like torch does.
    return "valid", f"layers.ZeroPadding{rank}D({a.src('padding')})"


def _plan_conv(ctor: str, a: _Args) -> LayerPlan:
    rank = _rank(ctor)
    if a["padding_mode"] != "zeros":
        raise LayerError(f"nn.{ctor}(padding_mode={a['padding_mode']!r}) is not supported")
    padding, pre = _padding_mode(a, rank)
    opts = "" if not a.given("stride") else f", strides={a.src('stride')}"
    opts += f', padding="{padding}"' if padding != "valid" else ""
    opts += "" if a["dilation"] == 1 else f", dilation_rate={a.src('dilation')}"
    opts += a.flag("bias", "use_bias")
    inc, outc, groups = a["in_channels"], a["out_channels"], a["groups"]
    same_expr = ast.dump(a.nodes.get("groups", ast.Constant(1))) == \
        ast.dump(a.nodes.get("in_channels", ast.Constant(0)))
    depthwise = (groups is not UNKNOWN and groups == inc and groups != 1) or same_expr
    if depthwise:
        mult = outc // inc if a.known("out_channels", "in_channels") else UNKNOWN
        if ast.dump(a.nodes["out_channels"]) == ast.dump(a.nodes["in_channels"]):
            mult = 1
        if mult is UNKNOWN:
            raise LayerError(f"nn.{ctor}: depthwise multiplier is not known statically")
        mult_kw = "" if mult == 1 else f", depth_multiplier={mult}"
        code = f"layers.DepthwiseConv{rank}D({a.src('kernel_size')}{opts}{mult_kw})"
        weight = ("depthwise_conv", {"rank": rank, "multiplier": mult})
    else:
        group_kw = "" if groups == 1 else f", groups={a.src('groups')}"
        code = f"layers.Conv{rank}D({a.src('out_channels')}, {a.src('kernel_size')}{opts}{group_kw})"
        weight = ("conv", {"rank": rank, "transpose": False})

    def shape(s: S.Shape) -> S.Shape:
        S.check_dim(s, 1, inc, f"nn.{ctor} in_channels")
        pad = a["padding"]
        if pad == "same":
            kernel = S.all_ints(S.as_tuple(a["kernel_size"], rank))
            pad = UNKNOWN if kernel is None else tuple((k - 1) // 2 for k in kernel)
        pad = 0 if pad == "valid" else pad
        out = S.spatial_out(s, rank, a["kernel_size"], a["stride"], pad, a["dilation"])
        return (None, outc if isinstance(outc, int) else None) + out[2:]
    return LayerPlan(ctor, code, 0, "cl", pre, weight, shape)


def _plan_maxpool(ctor: str, a: _Args) -> LayerPlan:
    rank = _rank(ctor)
    if a["dilation"] != 1 or a["ceil_mode"] or a["return_indices"]:
        raise LayerError(f"nn.{ctor}: dilation, ceil_mode and return_indices are not supported")
    pre = None
    if a["padding"] != 0:
        pads = S.all_ints(S.as_tuple(a["padding"], rank))
        if pads is None:
            raise LayerError(f"nn.{ctor}: padding must be known statically")
        # torch pads max pooling with -inf (Keras' "same" would pad with the window's values)
        pre = _pad_lambda([(p, p) for p in pads], 'constant_values=float("-inf")')
    return _pool_plan(ctor, a, f"layers.MaxPooling{rank}D", rank, pre)


def _plan_avgpool(ctor: str, a: _Args) -> LayerPlan:
    rank = _rank(ctor)
    if a["ceil_mode"] or a["divisor_override"] is not None:
        raise LayerError(f"nn.{ctor}: ceil_mode and divisor_override are not supported")
    pre = None
    if a["padding"] != 0:
        if a["count_include_pad"] is not True:
            raise LayerError(f"nn.{ctor}(count_include_pad=False) with padding is not supported")
        pre = f"layers.ZeroPadding{rank}D({a.src('padding')})"
    return _pool_plan(ctor, a, f"layers.AveragePooling{rank}D", rank, pre)


def _pool_plan(ctor: str, a: _Args, keras: str, rank: int, pre: str | None) -> LayerPlan:
    stride_given = a.given("stride") and a["stride"] is not None
    code = f"{keras}({a.src('kernel_size')}" + \
        (f", strides={a.src('stride')})" if stride_given else ")")
    stride = a["stride"] if stride_given else a["kernel_size"]
    pad = a["padding"] if a["padding"] is not UNKNOWN else UNKNOWN

    def shape(s: S.Shape) -> S.Shape:
        return S.spatial_out(s, rank, a["kernel_size"], stride, pad)
    return LayerPlan(ctor, code, 0, "cl", pre, None, shape)


def _plan_adaptive(ctor: str, a: _Args) -> LayerPlan:
    rank = _rank(ctor)
    kind = "Average" if "Avg" in ctor else "Max"
    sizes = S.all_ints(S.as_tuple(a["output_size"], rank))
    if sizes is None:
        raise LayerError(f"nn.{ctor}: output_size must be known statically")
    if all(v == 1 for v in sizes):
        code = f"layers.Global{kind}Pooling{rank}D(keepdims=True)"
        return LayerPlan(ctor, code, 0, "cl", out_shape=lambda s: s[:2] + (1,) * rank)
    # A fixed window where the input size is a multiple of the output size ({adaptive} is
    # filled in once the walk knows the input size).
    plan = LayerPlan(ctor, f"layers.{kind}Pooling{rank}D({{adaptive}})", 0, "cl",
                     out_shape=lambda s: s[:2] + sizes)
    plan.extra["adaptive"] = sizes
    return plan


def _plan_batchnorm(ctor: str, a: _Args) -> LayerPlan:
    mom = a["momentum"]
    if mom is None or a["track_running_stats"] is not True:
        raise LayerError(f"nn.{ctor}: momentum=None / track_running_stats=False have no Keras "
                         "equivalent")
    keras_mom = round(1 - mom, 10) if mom is not UNKNOWN else f"1 - {a.src('momentum')}"
    eps = a["eps"] if a["eps"] is not UNKNOWN else a.src("eps")
    # Keras momentum is the weight of the old statistics (torch's is the new one's).
    code = f"layers.BatchNormalization(momentum={keras_mom}, epsilon={eps}"
    params: dict[str, Any] = {}
    if a["affine"] is not True:
        code += ", center=False, scale=False"
        params["affine"] = False
    plan = LayerPlan(ctor, code + ")", 0, "cl", weight=("batchnorm", params))

    def shape(s: S.Shape) -> S.Shape:
        S.check_dim(s, 1, a["num_features"], f"nn.{ctor}")
        return s
    plan.out_shape = shape
    return plan


def _plan_layernorm(ctor: str, a: _Args) -> LayerPlan:
    shape = a["normalized_shape"]
    if isinstance(shape, tuple) and len(shape) != 1:
        raise LayerError("nn.LayerNorm over several trailing axes is not supported")
    eps = a["eps"] if a["eps"] is not UNKNOWN else a.src("eps")
    code = f"layers.LayerNormalization(epsilon={eps}"
    params: dict[str, Any] = {}
    if a["elementwise_affine"] is not True:
        code += ", center=False, scale=False"
        params["affine"] = False
    elif a["bias"] is not True:
        code += ", center=False"
        params["bias"] = False
    return LayerPlan(ctor, code + ")", 0, "same", weight=("layernorm", params))


def _plan_dropout(ctor: str, a: _Args) -> LayerPlan:
    if ctor == "Dropout":
        return LayerPlan(ctor, f"layers.Dropout({a.src('p')})", 0, "any")
    rank = _rank(ctor)
    return LayerPlan(ctor, f"layers.SpatialDropout{rank}D({a.src('p')})", 0, "cl")


def _plan_embedding(ctor: str, a: _Args) -> LayerPlan:
    if a["max_norm"] is not None:
        raise LayerError("nn.Embedding(max_norm=...) renormalises weights; not supported")
    dim = a["embedding_dim"]
    code = f"layers.Embedding({a.src('num_embeddings')}, {a.src('embedding_dim')})"
    plan = LayerPlan(ctor, code, 0, "same", weight=("embedding", {}),
                     out_shape=lambda s: s + (dim if isinstance(dim, int) else None,))
    plan.extra["vocab"] = a["num_embeddings"]
    return plan


def _plan_rnn(ctor: str, a: _Args) -> LayerPlan:
    if a["batch_first"] is not True:
        raise LayerError(f"nn.{ctor} needs batch_first=True (Keras RNNs are batch-major)")
    if a["num_layers"] != 1 or a["proj_size"] not in (0, UNKNOWN) and a["proj_size"] != 0:
        raise LayerError(f"nn.{ctor}: only num_layers=1 without proj_size is supported")
    bidir, hidden = a["bidirectional"], a["hidden_size"]
    if bidir is UNKNOWN or hidden is UNKNOWN:
        raise LayerError(f"nn.{ctor}: hidden_size and bidirectional must be known statically")
    inner = f"layers.{ctor}({a.src('hidden_size')}{a.flag('bias', 'use_bias')}{{rnn}})"
    code = f"layers.Bidirectional({inner})" if bidir else inner
    kind = ctor.lower()

    def shape(s: S.Shape) -> S.Shape:
        S.check_dim(s, -1, a["input_size"], f"nn.{ctor} input_size")
        return s[:-1] + (hidden * (2 if bidir else 1),)
    plan = LayerPlan(ctor, code, 0, "same", weight=(kind, {"bidirectional": bool(bidir),
                                                          "hidden": hidden}), out_shape=shape)
    plan.extra.update(hidden=hidden, bidirectional=bool(bidir))
    return plan


def _plan_multiheadattention(ctor: str, a: _Args) -> LayerPlan:
    if a["batch_first"] is not True:
        raise LayerError("nn.MultiheadAttention needs batch_first=True")
    if a["add_bias_kv"] or a["add_zero_attn"] or a["kdim"] is not None or a["vdim"] is not None:
        raise LayerError("nn.MultiheadAttention: add_bias_kv, add_zero_attn, kdim and vdim "
                         "are not supported")
    embed, heads = a["embed_dim"], a["num_heads"]
    if not a.known("embed_dim", "num_heads"):
        raise LayerError("nn.MultiheadAttention: embed_dim and num_heads must be known")
    code = f"layers.MultiHeadAttention(num_heads={a.src('num_heads')}, " \
           f"key_dim={a.src('embed_dim')} // {a.src('num_heads')}"
    code += "" if a["dropout"] == 0 else f", dropout={a.src('dropout')}"
    code += a.flag("bias", "use_bias") + ")"
    return LayerPlan(ctor, code, 0, "same",
                     weight=("mha", {"num_heads": heads, "embed_dim": embed}))


def _plan_flatten(ctor: str, a: _Args) -> LayerPlan:
    if a["start_dim"] != 1 or a["end_dim"] != -1:
        raise LayerError("nn.Flatten with start_dim != 1 or end_dim != -1 is not supported")
    return LayerPlan(ctor, "layers.Flatten()", 0, "same", out_shape=S.flatten_shape)


_SIMPLE_ACTS = {"ReLU": "layers.ReLU()", "ReLU6": "layers.ReLU(max_value=6.0)",
                "Tanh": 'layers.Activation("tanh")', "Sigmoid": 'layers.Activation("sigmoid")',
                "SiLU": 'layers.Activation("silu")', "Identity": "layers.Identity()",
                # Keras 3's hard_sigmoid is relu6(x + 3) / 6, as torch's
                "Hardswish": 'layers.Activation("hard_silu")',
                "Hardsigmoid": 'layers.Activation("hard_sigmoid")',
                "Mish": 'layers.Activation("mish")'}


def _plan_act(ctor: str, a: _Args) -> LayerPlan:
    return LayerPlan(ctor, _SIMPLE_ACTS[ctor], 0, "any")


def _plan_leakyrelu(ctor: str, a: _Args) -> LayerPlan:
    # Always explicit: the defaults differ (torch 0.01, Keras 3 0.2).
    slope = a["negative_slope"] if a["negative_slope"] is not UNKNOWN else a.src("negative_slope")
    return LayerPlan(ctor, f"layers.LeakyReLU(negative_slope={slope})", 0, "any")


def _plan_elu(ctor: str, a: _Args) -> LayerPlan:
    return LayerPlan(ctor, f"layers.ELU(alpha={a.src('alpha') if a.given('alpha') else 1.0})",
                     0, "any")


def _plan_gelu(ctor: str, a: _Args) -> LayerPlan:
    if a["approximate"] == "tanh":
        return LayerPlan(ctor, "layers.Lambda(lambda t: keras.ops.gelu(t, approximate=True))",
                         0, "any")
    # The "gelu" activation string is the exact (erf) form, like torch's default.
    return LayerPlan(ctor, 'layers.Activation("gelu")', 0, "any")


def _plan_softmax(ctor: str, a: _Args) -> LayerPlan:
    dim = a["dim"]
    if not isinstance(dim, int):
        raise LayerError(f"nn.{ctor} needs an explicit integer dim")
    code = "layers.Softmax(axis={axis})" if ctor == "Softmax" else \
        "layers.Lambda(lambda t: keras.ops.log_softmax(t, axis={axis}))"
    return LayerPlan(ctor, code, 0, "any", axis=dim)
