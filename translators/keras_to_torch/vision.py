"""Keras image and preprocessing layers -> PyTorch (the layers public Keras models use, issue 9).

Rescaling, Normalization, Conv2DTranspose, SeparableConv1D/2D, UpSampling1D/2D, Resizing,
Cropping1D/2D and GroupNormalization. Traps handled here: Keras' transposed ``same`` padding
crops the odd element at the end (torch crops symmetrically), ``UpSampling2D(bilinear)`` and
``Resizing`` use half-pixel centres (torch's ``align_corners=False``), and Normalization divides
by ``max(sqrt(variance), 1e-7)`` with statistics that ``adapt()`` computes (buffers in torch).
"""

from __future__ import annotations

from typing import Any

from .layers import (
    CONVERTERS,
    Fn,
    Mod,
    Result,
    activation_step,
    channels_last,
    check_args,
    padding_steps,
    want,
)
from .parse import LayerSpec, as_tuple
from .shapes import Sym, conv_out, fmt_tuple

NORMALIZATION_HELPER = '''class Normalization(nn.Module):
    """keras.layers.Normalization: (x - mean) / sqrt(variance); the statistics come from
    Keras' adapt() (buffers here: copy them across, or compute them from the data)."""

    def __init__(self, num_features, mean=None, variance=None):
        super(Normalization, self).__init__()
        mean = torch.zeros(num_features) if mean is None else torch.tensor(mean)
        variance = torch.ones(num_features) if variance is None else torch.tensor(variance)
        self.register_buffer("mean", mean.float())
        self.register_buffer("variance", variance.float())

    def forward(self, x):
        return (x - self.mean) / self.variance.sqrt().clamp(min=1e-7)'''


def _conv_window(spec: LayerSpec, rank: int, names: list[str]) -> tuple[
        dict[str, int], tuple[int, ...], tuple[int, ...], tuple[int, ...]]:
    """Check a convolution's arguments (positional ``names``); (positions, kernel, strides,
    dilation)."""
    channels_last(spec)
    check_args(spec, {*names, "activation", "use_bias"}, len(names))
    pos = {n: i for i, n in enumerate(names)}
    try:
        k = as_tuple(spec.get("kernel_size", pos["kernel_size"]), rank)
        s = as_tuple(spec.get("strides", pos["strides"], 1), rank)
        d = as_tuple(spec.get("dilation_rate", pos.get("dilation_rate"), 1), rank)
    except ValueError as exc:
        raise spec.unsupported(f"{spec.kind}(...)", str(exc)) from None
    return pos, k, s, d


def rescaling(spec: LayerSpec, ins: list[Sym]) -> Result:
    check_args(spec, {"scale", "offset"}, 2)
    scale, offset = spec.get("scale", 0), spec.get("offset", 1, 0.0)
    if not isinstance(scale, int | float) or not isinstance(offset, int | float):
        raise spec.unsupported(f"{spec.kind}(...)", "scale and offset must be numbers")
    func = "{x}" if scale == 1 else f"{{x}} * {scale!r}"
    func += f" + {offset!r}" if offset else ""
    return [Fn(func)], ins[0]


def normalization(spec: LayerSpec, ins: list[Sym]) -> Result:
    check_args(spec, {"axis", "mean", "variance", "invert"}, 3)
    last = len(ins[0].shape)  # the last axis, counted with the batch axis (axis=3 on images)
    if spec.get("axis", 0, -1) not in (-1, (-1,), last, (last,)) or \
            spec.get("invert", default=False):
        raise spec.unsupported(f"{spec.kind}(axis=...)", "only the last axis, without invert")
    pre, x = want(ins[0], "keras")
    features = x.shape[-1]
    if features is None:
        raise spec.unsupported(spec.kind, "the number of features is unknown")
    mean, variance = spec.get("mean", 1), spec.get("variance", 2)
    if (mean is None) != (variance is None):
        raise spec.unsupported(f"{spec.kind}(mean=...)", "give both mean and variance")
    if mean is not None:
        # Fixed statistics: constants of the torch module, no Keras weights to copy.
        return [*pre, Mod(f"Normalization({features}, mean={mean!r}, variance={variance!r})",
                          "norm", helper=NORMALIZATION_HELPER)], x
    return [*pre, Mod(f"Normalization({features})", "norm", ("normalization", {}),
                      helper=NORMALIZATION_HELPER)], x


def conv_transpose(spec: LayerSpec, ins: list[Sym]) -> Result:
    """Conv1DTranspose / Conv2DTranspose -> nn.ConvTranspose1d/2d (+ the odd 'same' crop)."""
    rank = int(spec.kind[-11])
    _, k, s, d = _conv_window(spec, rank, ["filters", "kernel_size", "strides", "padding",
                                           "output_padding", "data_format", "dilation_rate"])
    if any(v != 1 for v in d) or spec.get("output_padding", 4) is not None:
        raise spec.unsupported(f"{spec.kind}(dilation_rate/output_padding)", "not translated")
    pre, x = want(ins[0], "cf")
    cin, cout = x.shape[-1], spec.get("filters", 0)
    padding = str(spec.get("padding", 3, "valid")).lower()
    crops: list[int] = []
    if padding == "valid":
        if any(kk < ss for kk, ss in zip(k, s, strict=True)):
            raise spec.unsupported(spec.kind, "padding='valid' with kernel < stride")
        pads = (0,) * rank
        spatial = tuple(None if n is None else (n - 1) * ss + kk
                        for n, kk, ss in zip(x.shape[:rank], k, s, strict=True))
    elif padding == "same":
        if any(kk < ss for kk, ss in zip(k, s, strict=True)):
            raise spec.unsupported(spec.kind, "padding='same' with kernel < stride")
        # Keras keeps positions [(k-s)//2, (k-s)//2 + n*s) of the full output; torch crops
        # `padding` on both sides, so an odd k - s leaves one extra element at the end.
        pads = tuple(max(kk - ss, 0) // 2 for kk, ss in zip(k, s, strict=True))
        crops = [max(kk - ss, 0) % 2 for kk, ss in zip(k, s, strict=True)]
        spatial = tuple(None if n is None else n * ss for n, ss in zip(x.shape[:rank], s,
                                                                       strict=True))
    else:
        raise spec.unsupported(f"{spec.kind}(padding={padding!r})", "unknown padding mode")
    opts = f", {fmt_tuple(k)}" + (f", stride={fmt_tuple(s)}" if any(v != 1 for v in s) else "")
    opts += f", padding={fmt_tuple(pads)}" if any(pads) else ""
    opts += "" if spec.get("use_bias", default=True) else ", bias=False"
    out = x.with_(shape=(*spatial, cout), layout="cf")
    steps: list[Any] = [*pre, Mod(f"nn.ConvTranspose{rank}d({cin}, {cout}{opts})", "deconv",
                                  ("conv", {"rank": rank, "transpose": True}))]
    if any(crops):
        index = ", ".join(":-1" if c else ":" for c in crops)
        steps.append(Fn(f"{{x}}[:, :, {index}]"))
    return steps + activation_step(spec.get("activation"), spec, out), out


def separable_conv(spec: LayerSpec, ins: list[Sym]) -> Result:
    """SeparableConv1D/2D -> nn.Sequential(depthwise nn.ConvNd, pointwise nn.ConvNd)."""
    rank = int(spec.kind[-2])
    pos, k, s, d = _conv_window(spec, rank, ["filters", "kernel_size", "strides", "padding",
                                             "data_format", "dilation_rate", "depth_multiplier"])
    pre, x = want(ins[0], "cf")
    cin, cout = x.shape[-1], spec.get("filters", 0)
    if cin is None:
        raise spec.unsupported(spec.kind, "the number of input channels is unknown")
    mult = spec.get("depth_multiplier", pos["depth_multiplier"], 1)
    padding = str(spec.get("padding", pos["padding"], "valid")).lower()
    pad_steps, pad_arg = padding_steps(spec, x, k, s, d, padding)
    opts = f", {fmt_tuple(k)}" + (f", stride={fmt_tuple(s)}" if any(v != 1 for v in s) else "")
    opts += pad_arg + (f", dilation={fmt_tuple(d)}" if any(v != 1 for v in d) else "")
    bias = "" if spec.get("use_bias", default=True) else ", bias=False"
    ctor = (f"nn.Sequential(nn.Conv{rank}d({cin}, {cin * mult}{opts}, groups={cin}, "
            f"bias=False), nn.Conv{rank}d({cin * mult}, {cout}, 1{bias}))")
    spatial = tuple(conv_out(x.shape[i], k[i], s[i], d[i], padding) for i in range(rank))
    out = x.with_(shape=(*spatial, cout), layout="cf")
    mod = Mod(ctor, "sepconv", ("separable_conv", {"rank": rank, "multiplier": mult}))
    return [*pre, *pad_steps, mod, *activation_step(spec.get("activation"), spec, out)], out


def upsampling(spec: LayerSpec, ins: list[Sym]) -> Result:
    rank = int(spec.kind[-2])
    channels_last(spec)
    check_args(spec, {"size", "data_format", "interpolation"}, 3)
    try:
        size = as_tuple(spec.get("size", 0, 2), rank)
    except ValueError as exc:
        raise spec.unsupported(f"{spec.kind}(size=...)", str(exc)) from None
    mode = spec.get("interpolation", 2, "nearest")
    if mode not in ("nearest", "bilinear") or (mode == "bilinear" and rank != 2):
        raise spec.unsupported(f"{spec.kind}(interpolation={mode!r})", "not translated")
    pre, x = want(ins[0], "cf")
    scale = str(float(size[0])) if len(set(size)) == 1 else str(tuple(float(v) for v in size))
    extra = ', mode="bilinear", align_corners=False' if mode == "bilinear" else ""
    func = f"F.interpolate({{x}}, scale_factor={scale}{extra})"
    module = f"nn.Upsample(scale_factor={scale}{extra})"
    shape = tuple(None if n is None else n * f for n, f in zip(x.shape[:rank], size, strict=True))
    return [*pre, Fn(func, (module,))], x.with_(shape=(*shape, x.shape[-1]))


def resizing(spec: LayerSpec, ins: list[Sym]) -> Result:
    check_args(spec, {"height", "width", "interpolation", "crop_to_aspect_ratio",
                      "data_format", "pad_to_aspect_ratio"}, 3)
    mode = spec.get("interpolation", 2, "bilinear")
    if mode not in ("nearest", "bilinear") or spec.get("crop_to_aspect_ratio") or \
            spec.get("pad_to_aspect_ratio"):
        raise spec.unsupported(f"{spec.kind}(interpolation={mode!r})",
                               "only nearest/bilinear without aspect-ratio cropping or padding")
    height, width = spec.get("height", 0), spec.get("width", 1)
    pre, x = want(ins[0], "cf")
    # Keras resizes without antialiasing and with half-pixel centres, like this call.
    extra = ', mode="bilinear", align_corners=False' if mode == "bilinear" else \
        ', mode="nearest-exact"'
    func = f"F.interpolate({{x}}, size=({height}, {width}){extra})"
    return [*pre, Fn(func)], x.with_(shape=(height, width, x.shape[-1]))


def cropping(spec: LayerSpec, ins: list[Sym]) -> Result:
    rank = int(spec.kind[-2])
    channels_last(spec)
    check_args(spec, {"cropping", "data_format"}, 2)
    crop = spec.get("cropping", 0, 1)
    if isinstance(crop, int):
        per_dim = [(crop, crop)] * rank
    elif rank == 1:
        per_dim = [tuple(crop)]
    else:
        per_dim = [(c, c) if isinstance(c, int) else tuple(c) for c in crop]
    pre, x = want(ins[0], "cf")
    index = ", ".join(f"{b}:{-a if a else ''}" for b, a in per_dim)
    shape = tuple(None if n is None else n - b - a for n, (b, a) in zip(x.shape[:rank], per_dim,
                                                                        strict=True))
    return [*pre, Fn(f"{{x}}[:, :, {index}]")], x.with_(shape=(*shape, x.shape[-1]))


def group_norm(spec: LayerSpec, ins: list[Sym]) -> Result:
    check_args(spec, {"groups", "axis", "epsilon", "center", "scale"}, 2)
    if spec.get("axis", 1, -1) != -1:
        raise spec.unsupported(f"{spec.kind}(axis=...)", "only the channel axis (-1)")
    pre, x = want(ins[0], "cf")
    channels = x.shape[-1]
    groups = spec.get("groups", 0, 32)
    groups = channels if groups == -1 else groups
    eps = float(spec.get("epsilon", default=1e-3))
    affine = bool(spec.get("center", default=True)) and bool(spec.get("scale", default=True))
    if not affine and (spec.get("center", default=True) or spec.get("scale", default=True)):
        raise spec.unsupported(spec.kind, "center and scale must be both on or both off")
    opts = "" if affine else ", affine=False"
    return [*pre, Mod(f"nn.GroupNorm({groups}, {channels}, eps={eps:g}{opts})", "norm",
                      ("layernorm", {}) if affine else None)], x


def register() -> None:
    """Add the image / preprocessing layers to the converter table."""
    CONVERTERS.update({
        "Rescaling": rescaling, "Normalization": normalization,
        "Conv1DTranspose": conv_transpose, "Conv2DTranspose": conv_transpose,
        "SeparableConv1D": separable_conv, "SeparableConv2D": separable_conv,
        "UpSampling1D": upsampling, "UpSampling2D": upsampling, "Resizing": resizing,
        "Cropping1D": cropping, "Cropping2D": cropping, "GroupNormalization": group_norm,
    })


register()
