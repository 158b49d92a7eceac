"""Planners of the PyTorch layers public models use beyond the first table (issue 9):
transposed convolutions, instance / group normalisation, padding layers, PixelShuffle,
Upsample and the LSTM / GRU cells. :func:`.layers.plan_layer` dispatches here by family."""

from __future__ import annotations

import ast
from collections.abc import Callable
from typing import Any

from .. import shapes as S
from .eval import UNKNOWN
from .plan import Args, LayerError, LayerPlan, pad_lambda
from .plan import rank as layer_rank


def _plan_convtranspose(ctor: str, a: Args) -> LayerPlan:
    rank = layer_rank(ctor)
    if a["groups"] != 1 or a["dilation"] != 1 or a["padding_mode"] != "zeros":
        raise LayerError(f"nn.{ctor}: groups, dilation and padding_mode are not supported")
    window = S.all_ints(S.as_tuple(a["kernel_size"], rank) + S.as_tuple(a["stride"], rank)
                        + S.as_tuple(a["padding"], rank) + S.as_tuple(a["output_padding"], rank))
    if window is None:
        raise LayerError(f"nn.{ctor}: kernel_size, stride, padding and output_padding must be "
                         "known statically")
    ks, ss, ps, ops_ = (window[i * rank:(i + 1) * rank] for i in range(4))
    strides = "" if not a.given("stride") else f", strides={a.src('stride')}"
    head = f"layers.Conv{rank}DTranspose({a.src('out_channels')}, {a.src('kernel_size')}{strides}"
    bias = a.flag("bias", "use_bias")
    if not any(ops_) and all(k - s == 2 * p for k, s, p in zip(ks, ss, ps, strict=True)):
        code = head + f', padding="same"{bias})'  # Keras crops (k - s) / 2 on both sides too
        sub = ""
    else:
        extra = f", output_padding={a.src('output_padding')}" if any(ops_) else ""
        code = head + f"{extra}{bias})"
        sub = ""
        if any(ps):  # torch crops `padding` on both sides of the full output
            code = f"keras.Sequential([{code}, layers.Cropping{rank}D({a.src('padding')})])"
            sub = ".layers.0"
    outc = a["out_channels"]

    def shape(s: S.Shape) -> S.Shape:
        S.check_dim(s, 1, a["in_channels"], f"nn.{ctor} in_channels")
        spatial = tuple(None if n is None else (n - 1) * st - 2 * p + k + op
                        for n, k, st, p, op in zip(s[2:], ks, ss, ps, ops_, strict=True))
        return (None, outc if isinstance(outc, int) else None) + spatial
    plan = LayerPlan(ctor, code, 0, "cl", None, ("conv", {"rank": rank, "transpose": True}),
                     shape)
    if sub:
        plan.extra["keras_sub"] = sub  # the weights live in the Sequential's first layer
    return plan


def _norm_weight(a: Args, code: str, affine: Any) -> tuple[str, tuple[str, dict] | None]:
    if affine is True:
        return code + ")", ("layernorm", {})
    return code + ", center=False, scale=False)", None


def _plan_instancenorm(ctor: str, a: Args) -> LayerPlan:
    if a["track_running_stats"] is not False:
        raise LayerError(f"nn.{ctor}(track_running_stats=True) normalises with running "
                         "statistics at eval time; Keras has no equivalent")
    eps = a["eps"] if a["eps"] is not UNKNOWN else a.src("eps")
    # Instance normalisation is group normalisation with one channel per group.
    code, weight = _norm_weight(a, f"layers.GroupNormalization(groups={a.src('num_features')}, "
                                f"epsilon={eps}", a["affine"])
    return LayerPlan(ctor, code, 0, "cl", weight=weight)


def _plan_groupnorm(ctor: str, a: Args) -> LayerPlan:
    eps = a["eps"] if a["eps"] is not UNKNOWN else a.src("eps")
    code, weight = _norm_weight(a, f"layers.GroupNormalization(groups={a.src('num_groups')}, "
                                f"epsilon={eps}", a["affine"])
    return LayerPlan(ctor, code, 0, "cl", weight=weight)


def _plan_pad(ctor: str, a: Args) -> LayerPlan:
    rank = layer_rank(ctor)
    pad = a["padding"]
    flat = S.all_ints(S.as_tuple(pad, 2 * rank))
    node = a.nodes.get("padding")
    if flat is None and node is not None and not isinstance(node, (ast.Tuple, ast.List)):
        # one size for every side, an expression the Keras __init__ also computes
        text: Any = a.src("padding")
        flat = (text,) * (2 * rank)
    if flat is None or len(flat) != 2 * rank:
        raise LayerError(f"nn.{ctor}: padding must be an int or {2 * rank} ints known statically")
    # torch lists (left, right, top, bottom): the last axis first
    per_dim = [(flat[2 * i], flat[2 * i + 1]) for i in range(rank)][::-1]
    if ctor.startswith("Zero"):
        code = f"layers.ZeroPadding{rank}D({tuple(per_dim) if rank > 1 else per_dim[0]})"
    else:
        code = pad_lambda(per_dim, 'mode="reflect"')

    def shape(s: S.Shape) -> S.Shape:
        return s[:2] + tuple(n + b + e if isinstance(n, int) and isinstance(b, int)
                             and isinstance(e, int) else None
                             for n, (b, e) in zip(s[2:], per_dim, strict=True))
    return LayerPlan(ctor, code, 0, "cl", out_shape=shape)


def _plan_pixelshuffle(ctor: str, a: Args) -> LayerPlan:
    r = a.src("upscale_factor")
    # torch orders the input channels (c, i, j), depth_to_space (i, j, c): reshape explicitly.
    code = ("layers.Lambda(lambda t: keras.ops.reshape(keras.ops.transpose(keras.ops.reshape("
            f"t, (-1, t.shape[1], t.shape[2], t.shape[3] // {r} ** 2, {r}, {r})), "
            f"(0, 1, 4, 2, 5, 3)), (-1, t.shape[1] * {r}, t.shape[2] * {r}, "
            f"t.shape[3] // {r} ** 2)))")
    factor = a["upscale_factor"]

    def shape(s: S.Shape) -> S.Shape:
        if not isinstance(factor, int):
            return (None,) * len(s)
        c = None if s[1] is None else s[1] // factor ** 2
        return (s[0], c) + tuple(None if n is None else n * factor for n in s[2:])
    return LayerPlan(ctor, code, 0, "cl", out_shape=shape)


def _plan_upsample(ctor: str, a: Args) -> LayerPlan:
    mode = {"UpsamplingNearest2d": "nearest", "UpsamplingBilinear2d": "bilinear"}.get(
        ctor, a["mode"])
    corners = True if ctor == "UpsamplingBilinear2d" else a["align_corners"]
    scale = [v for v in S.as_tuple(a["scale_factor"], 2) if isinstance(v, (int, float))]
    factors = tuple(int(v) for v in scale) if len(scale) == 2 and all(
        float(v).is_integer() for v in scale) else None
    if a["size"] is not None or factors is None or mode not in ("nearest", "bilinear") or \
            corners:
        raise LayerError(f"nn.{ctor}: only an integer scale_factor with nearest or bilinear "
                         "(align_corners=False) maps to UpSampling2D")
    interp = ', interpolation="bilinear"' if mode == "bilinear" else ""
    code = f"layers.UpSampling2D({factors if factors[0] != factors[1] else factors[0]}{interp})"
    return LayerPlan(ctor, code, 0, "cl", out_shape=lambda s: s[:2] + tuple(
        None if n is None else n * f for n, f in zip(s[2:], factors, strict=True)))


def _plan_cell(ctor: str, a: Args) -> LayerPlan:
    hidden = a["hidden_size"]
    if not isinstance(hidden, int):
        raise LayerError(f"nn.{ctor}: hidden_size must be known statically")
    # Same gate order (LSTM i, f, g, o); Keras' GRUCell has reset_after=True like torch.
    code = f"layers.{ctor}({a.src('hidden_size')}{a.flag('bias', 'use_bias')})"

    def shape(s: S.Shape) -> S.Shape:
        S.check_dim(s, -1, a["input_size"], f"nn.{ctor} input_size")
        return s[:-1] + (hidden,)
    plan = LayerPlan(ctor, code, 0, "same", weight=(ctor[:-4].lower(), {
        "cell": True, "hidden": hidden}), out_shape=shape)
    plan.extra["hidden"] = hidden
    return plan


PLANNERS: dict[str, Callable[[str, Args], LayerPlan]] = {
    "ConvTranspose": _plan_convtranspose, "InstanceNorm": _plan_instancenorm,
    "GroupNorm": _plan_groupnorm, "Pad": _plan_pad, "PixelShuffle": _plan_pixelshuffle,
    "Upsample": _plan_upsample, "Cell": _plan_cell,
}
