"""Keras layer -> PyTorch steps: the mapping table of the Keras -> PyTorch translator.

Each converter takes a :class:`LayerSpec`, the traced input tensors (:class:`Sym`) and returns
``(steps, out)``: the torch steps that compute the layer and the output tensor (shape, layout).
A :class:`Mod` step is a torch module (an attribute, or an ``nn.Sequential`` entry); a
:class:`Fn` step is an expression (``F.relu({x})``) with, where one exists, its module form
(``nn.ReLU()``) so that pure chains can become ``nn.Sequential``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .parse import LayerSpec, as_tuple
from .shapes import (
    Sym,
    conv_out,
    fmt_dims,
    fmt_tuple,
    norm_layout,
    same_pads,
    to_cf_perm,
    to_keras_perm,
    torch_axis,
)


@dataclass
class Mod:
    """A torch module; ``stmt``/``expr`` say how forward applies it (``{m}`` module, ``{x}``)."""

    ctor: str
    prefix: str
    weight: tuple[str, dict[str, Any]] | None = None
    stmt: str | None = None
    expr: str = "{m}({x})"
    todo: str | None = None  # partial mode: the TODO comment of a placeholder module
    helper: str | None = None  # source of a module class the file must define (Normalization)


@dataclass
class Fn:
    """A parameter-free expression over ``{x}``, with its module form(s) where one exists."""

    func: str
    modules: tuple[str, ...] = ()


Step = Mod | Fn
Result = tuple[list[Step], Sym]
Converter = Callable[[LayerSpec, list[Sym]], Result]

# Arguments that change nothing at inference time (initialisers, regularisers, names).
IGNORED = {"name", "trainable", "dtype", "input_shape", "input_dim", "batch_input_shape",
           "input_length", "autocast", "seed", "noise_shape"}
IGNORED_SUFFIXES = ("_initializer", "_regularizer", "_constraint")

# activation name -> (module form, function form); "{d}" is the (layout-mapped) softmax dim.
ACTIVATIONS: dict[str, tuple[str | None, str]] = {
    "relu": ("nn.ReLU()", "F.relu({x})"),
    "gelu": ("nn.GELU()", "F.gelu({x})"),  # Keras' gelu default is exact, as torch's
    # activation=keras.ops.gelu: the op's default is the tanh approximation
    "gelu_tanh": ('nn.GELU(approximate="tanh")', 'F.gelu({x}, approximate="tanh")'),
    "tanh": ("nn.Tanh()", "torch.tanh({x})"),
    "sigmoid": ("nn.Sigmoid()", "torch.sigmoid({x})"),
    "softmax": ("nn.Softmax(dim={d})", "F.softmax({x}, dim={d})"),
    "log_softmax": ("nn.LogSoftmax(dim={d})", "F.log_softmax({x}, dim={d})"),
    "leaky_relu": ("nn.LeakyReLU(0.2)", "F.leaky_relu({x}, 0.2)"),  # Keras 3 slope 0.2
    "elu": ("nn.ELU()", "F.elu({x})"),
    "relu6": ("nn.ReLU6()", "F.relu6({x})"),
    "silu": ("nn.SiLU()", "F.silu({x})"),
    "swish": ("nn.SiLU()", "F.silu({x})"),
    "softplus": ("nn.Softplus()", "F.softplus({x})"),
    "selu": ("nn.SELU()", "F.selu({x})"),
    "hard_sigmoid": ("nn.Hardsigmoid()", "F.hardsigmoid({x})"),
    "hard_silu": ("nn.Hardswish()", "F.hardswish({x})"),
    "hard_swish": ("nn.Hardswish()", "F.hardswish({x})"),
    "mish": ("nn.Mish()", "F.mish({x})"),
    "exponential": (None, "torch.exp({x})"),
}


def check_args(spec: LayerSpec, known: set[str], npos: int) -> None:
    """Refuse arguments whose meaning this translator does not reproduce."""
    if len(spec.args) > npos:
        raise spec.unsupported(f"{spec.kind}(...)", f"too many positional arguments for {spec.kind}")
    for key in spec.kwargs:
        if key in known or key in IGNORED or key.endswith(IGNORED_SUFFIXES):
            continue
        raise spec.unsupported(f"{spec.kind}({key}=...)", f"argument {key!r} is not translated")


def channels_last(spec: LayerSpec) -> None:
    fmt = spec.get("data_format")
    if fmt not in (None, "channels_last"):
        raise spec.unsupported(f"{spec.kind}(data_format={fmt!r})",
                               "only channels_last Keras models are translated")


def want(x: Sym, layout: str) -> tuple[list[Fn], Sym]:
    """Steps converting ``x`` to ``layout`` (permutes at layout boundaries)."""
    layout = norm_layout(x.shape, layout)
    if x.layout == layout or layout == "any":
        return [], x
    n = len(x.shape)
    if x.layout == "flatcf":
        dims = fmt_dims(x.flat_from or ())
        perm = ", ".join(map(str, to_keras_perm(len(x.flat_from or ()))))
        step = Fn(f"{{x}}.unflatten(1, {dims}).permute({perm}).flatten(1)")
        return [step], x.with_(layout="keras", flat_from=None)
    order = to_cf_perm(n) if layout == "cf" else to_keras_perm(n)
    step = Fn("{x}.permute(" + ", ".join(map(str, order)) + ")")
    return [step], x.with_(layout=layout)


def in_layout(x: Sym, layout: str) -> Sym:
    """``x`` converted to ``layout`` as one inline expression (the :func:`want` steps applied)."""
    steps, conv = want(x, layout)
    expr = x.expr
    for step in steps:
        expr = step.func.replace("{x}", expr)
    return conv.with_(expr=expr)


def activation_step(name: Any, spec: LayerSpec, x: Sym) -> list[Step]:
    """The step for an ``activation=`` argument (none for linear)."""
    if name in (None, "linear"):
        return []
    if not isinstance(name, str) or name not in ACTIVATIONS:
        raise spec.unsupported(f"activation={name!r}", "activation is not translated")
    module, func = ACTIVATIONS[name]
    dim = str(torch_axis(-1, len(x.shape), x.layout))
    return [Fn(func.replace("{d}", dim), (module.replace("{d}", dim),) if module else ())]


def dense(spec: LayerSpec, ins: list[Sym]) -> Result:
    check_args(spec, {"units", "activation", "use_bias"}, 3)
    units = spec.get("units", 0)
    x = ins[0]
    weight: dict[str, Any] = {}
    pre: list[Fn] = []
    if x.layout == "flatcf":
        # torch flattens C,H,W; Keras H,W,C: the weight rows are permuted instead of the input.
        weight = {"flatten_from": list(x.flat_from or ())}
    else:
        pre, x = want(x, "keras")
    bias = "" if spec.get("use_bias", 2, True) else ", bias=False"
    out = x.with_(shape=(*x.shape[:-1], units), layout="keras", flat_from=None)
    steps: list[Step] = [*pre, Mod(f"nn.Linear({x.shape[-1]}, {units}{bias})", "fc",
                                   ("dense", weight))]
    return steps + activation_step(spec.get("activation", 1), spec, out), out


def padding_steps(spec: LayerSpec, x: Sym, k: tuple[int, ...], s: tuple[int, ...],
                   d: tuple[int, ...], padding: str, value: str = "") -> tuple[list[Step], str]:
    """(pad steps, torch ``padding=`` text) reproducing Keras' padding for a window op."""
    rank = len(k)
    pads: tuple[int, ...]
    if padding == "valid":
        return [], ""
    if padding == "causal":
        pads = ((k[0] - 1) * d[0], 0)
    elif padding == "same":
        if all(v == 1 for v in s) and not value:
            return [], ', padding="same"'
        try:
            per_dim = [same_pads(x.shape[i], k[i], s[i], d[i]) for i in range(rank)]
        except ValueError as exc:
            raise spec.unsupported(f"{spec.kind}(padding='same')", str(exc)) from None
        if all(b == a for b, a in per_dim) and (not value or all(b <= kk // 2 for (b, _), kk
                                                                  in zip(per_dim, k, strict=True))):
            return [], f", padding={fmt_tuple(tuple(b for b, _ in per_dim))}" if any(
                b for b, _ in per_dim) else ""
        # torch pads symmetrically; TF puts the odd element after: pad explicitly first.
        pads = tuple(v for b, a in reversed(per_dim) for v in (b, a))
    else:
        raise spec.unsupported(f"{spec.kind}(padding={padding!r})", "unknown padding mode")
    if value:
        if spec.kind.startswith("Average"):
            return [], f"pads={pads}"
        mod = f"nn.ConstantPad{rank}d({pads}, {value})"
        return [Fn(f"F.pad({{x}}, {pads}, value={value})", (mod,))], ""
    return [Fn(f"F.pad({{x}}, {pads})", (f"nn.ZeroPad{rank}d({pads})",))], ""


def window_args(spec: LayerSpec, pos: dict[str, int], rank: int) -> tuple[
        tuple[int, ...], tuple[int, ...], tuple[int, ...]]:
    """A convolution's kernel size, strides and dilation as ``rank``-tuples (``pos``: the
    positional index of each argument)."""
    try:
        return (as_tuple(spec.get("kernel_size", pos["kernel_size"]), rank),
                as_tuple(spec.get("strides", pos["strides"], 1), rank),
                as_tuple(spec.get("dilation_rate", pos["dilation_rate"], 1), rank))
    except ValueError as exc:
        raise spec.unsupported(f"{spec.kind}(...)", str(exc)) from None


def conv(spec: LayerSpec, ins: list[Sym]) -> Result:
    """Conv1D / Conv2D / Conv3D / DepthwiseConv1D / DepthwiseConv2D."""
    depthwise = spec.kind.startswith("Depthwise")
    rank = int(spec.kind[-2])
    channels_last(spec)
    names = ["kernel_size", "strides", "padding", "depth_multiplier", "data_format",
             "dilation_rate"] if depthwise else ["filters", "kernel_size", "strides", "padding",
                                                 "data_format", "dilation_rate", "groups"]
    check_args(spec, {*names, "activation", "use_bias"}, len(names))
    pos = {n: i for i, n in enumerate(names)}
    k, s, d = window_args(spec, pos, rank)
    pre, x = want(ins[0], "cf")
    cin = x.shape[-1]
    if cin is None:
        raise spec.unsupported(spec.kind, "the number of input channels is unknown")
    if depthwise:
        mult = spec.get("depth_multiplier", pos["depth_multiplier"], 1)
        cout, groups = cin * mult, cin
        weight: tuple[str, dict[str, Any]] = ("depthwise_conv", {"rank": rank, "multiplier": mult})
    else:
        cout, groups = spec.get("filters", 0), spec.get("groups", pos["groups"], 1)
        weight = ("conv", {"rank": rank, "transpose": False})
    padding = str(spec.get("padding", pos["padding"], "valid")).lower()
    pad_steps, pad_arg = padding_steps(spec, x, k, s, d, padding)
    spatial = tuple(conv_out(x.shape[i], k[i], s[i], d[i], padding) for i in range(rank))
    opts = f", {fmt_tuple(k)}"
    opts += f", stride={fmt_tuple(s)}" if any(v != 1 for v in s) else ""
    opts += pad_arg
    opts += f", dilation={fmt_tuple(d)}" if any(v != 1 for v in d) else ""
    opts += f", groups={groups}" if groups != 1 else ""
    opts += "" if spec.get("use_bias", default=True) else ", bias=False"
    out = x.with_(shape=(*spatial, cout), layout="cf")
    mod = Mod(f"nn.Conv{rank}d({cin}, {cout}{opts})", "conv", weight)
    return [*pre, *pad_steps, mod, *activation_step(spec.get("activation"), spec, out)], out


def pool(spec: LayerSpec, ins: list[Sym]) -> Result:
    """MaxPooling1D/2D/3D, AveragePooling1D/2D/3D."""
    rank = int(spec.kind[-2])
    channels_last(spec)
    check_args(spec, {"pool_size", "strides", "padding", "data_format"}, 4)
    try:
        k = as_tuple(spec.get("pool_size", 0, 2), rank)
        strides = spec.get("strides", 1)
        s = k if strides is None else as_tuple(strides, rank)
    except ValueError as exc:
        raise spec.unsupported(f"{spec.kind}(...)", str(exc)) from None
    pre, x = want(ins[0], "cf")
    is_max = spec.kind.startswith("Max")
    padding = str(spec.get("padding", 2, "valid")).lower()
    pad_steps, pad_arg = padding_steps(spec, x, k, s, (1,) * rank, padding,
                                        value='float("-inf")' if is_max else "0.0")
    func = ("F.max_pool" if is_max else "F.avg_pool") + f"{rank}d"
    spatial = tuple(conv_out(x.shape[i], k[i], s[i], 1, padding) for i in range(rank))
    out = x.with_(shape=(*spatial, x.shape[-1]))
    if pad_arg.startswith("pads="):
        # Asymmetric 'same' average: Keras divides by the real elements in each window, so
        # divide the zero-padded window sums by the padded window counts.
        pads = pad_arg[5:]
        opts = fmt_tuple(k) + ("" if s == k else f", stride={fmt_tuple(s)}")
        expr = (f"{func}(F.pad({{x}}, {pads}), {opts}) / "
                f"{func}(F.pad(torch.ones_like({{x}}), {pads}), {opts})")
        return [*pre, Fn(expr)], out
    if pad_arg and not is_max:
        pad_arg += ", count_include_pad=False"  # Keras averages over the real elements only
    opts = fmt_tuple(k) + ("" if s == k else f", stride={fmt_tuple(s)}") + pad_arg
    name = ("Max" if is_max else "Avg") + f"Pool{rank}d"
    return [*pre, *pad_steps, Fn(f"{func}({{x}}, {opts})", (f"nn.{name}({opts})",))], out


def global_pool(spec: LayerSpec, ins: list[Sym]) -> Result:
    """GlobalAveragePooling1D/2D, GlobalMaxPooling1D/2D (any layout: the dims are mapped)."""
    check_args(spec, {"data_format", "keepdims"}, 1)
    keep = bool(spec.get("keepdims", default=False))
    op = "mean" if "Average" in spec.kind else "amax"
    if spec.get("data_format", 0) == "channels_first":  # (N, C, steps...): pools the steps
        pre, x = want(ins[0], "keras")  # keras-io's transformer: (N, T, F) -> mean over F
        dims = tuple(range(2, len(x.shape) + 1))
        func = f"{{x}}.{op}(dim={fmt_dims(dims) if len(dims) > 1 else dims[0]}" + (
            ", keepdim=True)" if keep else ")")
        shape = (x.shape[0], *[1] * len(dims)) if keep else (x.shape[0],)
        return [*pre, Fn(func)], x.with_(shape=tuple(shape), layout="keras")
    channels_last(spec)
    x = ins[0]
    if x.layout == "flatcf":
        raise spec.unsupported(spec.kind, "global pooling of a flattened tensor")
    rank = len(x.shape) - 1
    dims = tuple(range(2, rank + 2)) if x.layout == "cf" else tuple(range(1, rank + 1))
    func = f"{{x}}.{op}(dim={fmt_dims(dims) if rank > 1 else dims[0]}"
    func += ", keepdim=True)" if keep else ")"
    modules: tuple[str, ...] = ()
    if x.layout == "cf" and not keep:
        adaptive = "nn.AdaptiveAvgPool" if op == "mean" else "nn.AdaptiveMaxPool"
        modules = (f"{adaptive}{rank}d(1)", "nn.Flatten()")
    shape = (*([1] * rank), x.shape[-1]) if keep else (x.shape[-1],)
    return [Fn(func, modules)], x.with_(shape=tuple(shape), layout=x.layout if keep else "keras")


def batchnorm(spec: LayerSpec, ins: list[Sym]) -> Result:
    check_args(spec, {"axis", "momentum", "epsilon", "center", "scale"}, 4)
    x = ins[0]
    axis = spec.get("axis", 0, -1)
    if axis not in (-1, (-1,), len(x.shape), (len(x.shape),)):
        raise spec.unsupported(f"{spec.kind}(axis={axis})",
                               "only the channel axis is translated")
    center, scale = spec.get("center", 3, True), spec.get("scale", 4, True)
    pre, x = want(x, "cf")
    dims = max(len(x.shape) - 1, 1)
    if dims > 3:
        raise spec.unsupported(spec.kind, "batch normalization of a rank > 4 tensor")
    # torch's momentum weighs the new batch, Keras' the running value; eps defaults differ.
    momentum = round(1 - float(spec.get("momentum", 1, 0.99)), 8)
    eps = float(spec.get("epsilon", 2, 1e-3))
    ctor = f"nn.BatchNorm{dims}d({x.shape[-1]}, eps={eps:g}, momentum={momentum:g})"
    if center is not True or scale is not True:  # that part of the affine map stays fixed
        fixed = ", ".join(f"{k}=False" for k, v in (("center", center), ("scale", scale))
                          if v is not True)
        return [*pre, Mod(f"fixed_affine({ctor}, {fixed})", "bn",
                          ("batchnorm", {"center": center is True, "scale": scale is True}),
                          helper=FIXED_AFFINE_HELPER)], x
    return [*pre, Mod(ctor, "bn", ("batchnorm", {}))], x


FIXED_AFFINE_HELPER = '''def fixed_affine(norm, center=True, scale=True):
    """Keras BatchNormalization(center=False / scale=False): that part of the affine map stays
    fixed (offset 0, scale 1) and is not trained."""
    if not center:
        norm.bias.requires_grad_(False)
    if not scale:
        norm.weight.requires_grad_(False)
    return norm'''


def layernorm(spec: LayerSpec, ins: list[Sym]) -> Result:
    check_args(spec, {"axis", "epsilon", "center", "scale", "rms_scaling"}, 2)
    axis = spec.get("axis", 0, -1)
    if axis not in (-1, (-1,), len(ins[0].shape)) or spec.get("rms_scaling") or not (
            spec.get("center", default=True) and spec.get("scale", default=True)):
        raise spec.unsupported(f"{spec.kind}(axis={axis})",
                               "only last-axis layer normalization with center and scale")
    pre, x = want(ins[0], "keras")
    eps = float(spec.get("epsilon", 1, 1e-3))
    return [*pre, Mod(f"nn.LayerNorm({x.shape[-1]}, eps={eps:g})", "norm", ("layernorm", {}))], x


def dropout(spec: LayerSpec, ins: list[Sym]) -> Result:
    check_args(spec, {"rate"}, 1)
    return [Mod(f"nn.Dropout({spec.get('rate', 0, 0.5)})", "dropout")], ins[0]


def flatten(spec: LayerSpec, ins: list[Sym]) -> Result:
    channels_last(spec)
    check_args(spec, {"data_format"}, 1)
    x = ins[0]
    if len(x.shape) <= 1:
        return [], x
    if x.gap is not None:
        # Partial mode, sizes lost at a placeholder: flatten in Keras' order, whatever they are.
        pre, x = want(x, "keras")
        return [*pre, Fn("{x}.flatten(1)", ("nn.Flatten()",))], x.with_(shape=(None,))
    if any(v is None for v in x.shape):
        raise spec.unsupported(spec.kind, "flattening a tensor with an unknown dimension")
    size = math.prod(v for v in x.shape if v is not None)
    out = x.with_(shape=(size,), layout="keras")
    if x.layout == "cf":
        cf = (x.shape[-1], *x.shape[:-1])
        out = out.with_(layout="flatcf", flat_from=tuple(v for v in cf if v is not None))
    return [Fn("{x}.flatten(1)", ("nn.Flatten()",))], out


def reshape(spec: LayerSpec, ins: list[Sym]) -> Result:
    check_args(spec, {"target_shape"}, 1)
    pre, x = want(ins[0], "keras")
    target = tuple(spec.get("target_shape", 0, ()))
    known = [v for v in x.shape if v is not None]
    if len(known) != len(x.shape) or not all(isinstance(v, int) for v in target):
        raise spec.unsupported(spec.kind, "reshape needs a known input shape and int target")
    if -1 in target:
        rest = math.prod(v for v in target if v != -1)
        target = tuple(math.prod(known) // rest if v == -1 else v for v in target)
    dims = ", ".join(map(str, target))
    modules = (f"nn.Unflatten(1, {fmt_dims(target)})",) if len(x.shape) == 1 else ()
    return [*pre, Fn(f"{{x}}.reshape(-1, {dims})", modules)], x.with_(shape=target)


def repeat_vector(spec: LayerSpec, ins: list[Sym]) -> Result:
    """RepeatVector(n): (N, F) -> (N, n, F)."""
    check_args(spec, {"n"}, 1)
    n = spec.get("n", 0)
    pre, x = want(ins[0], "keras")
    if not isinstance(n, int) or len(x.shape) != 1:
        raise spec.unsupported(f"{spec.kind}(...)", "repeats a known count of (N, F) vectors")
    return [*pre, Fn(f"{{x}}.unsqueeze(1).repeat(1, {n}, 1)")], x.with_(shape=(n, *x.shape))


def permute(spec: LayerSpec, ins: list[Sym]) -> Result:
    check_args(spec, {"dims"}, 1)
    pre, x = want(ins[0], "keras")
    dims = tuple(spec.get("dims", 0, ()))
    shape = tuple(x.shape[d - 1] for d in dims)
    return [*pre, Fn(f"{{x}}.permute(0, {', '.join(map(str, dims))})")], x.with_(shape=shape)


def activation_layer(spec: LayerSpec, ins: list[Sym]) -> Result:
    """Activation('relu'), ReLU, LeakyReLU, ELU, Softmax."""
    x = ins[0]
    kind = spec.kind
    if kind == "Activation":
        check_args(spec, {"activation"}, 1)
        return activation_step(spec.get("activation", 0), spec, x), x
    if kind == "ReLU":
        check_args(spec, {"max_value", "negative_slope", "threshold"}, 3)
        top, slope = spec.get("max_value", 0), spec.get("negative_slope", 1, 0.0)
        if spec.get("threshold", 2, 0.0) or slope:
            raise spec.unsupported("ReLU(threshold/negative_slope)", "not translated")
        if top is None:
            return activation_step("relu", spec, x), x
        if top == 6:
            return activation_step("relu6", spec, x), x
        return [Fn(f"torch.clamp({{x}}, 0.0, {float(top)})", (f"nn.Hardtanh(0.0, {float(top)})",))], x
    if kind == "LeakyReLU":
        check_args(spec, {"negative_slope", "alpha"}, 1)
        slope = float(spec.get("negative_slope", 0, spec.get("alpha", default=0.3)))
        return [Fn(f"F.leaky_relu({{x}}, {slope})", (f"nn.LeakyReLU({slope})",))], x
    if kind == "ELU":
        check_args(spec, {"alpha"}, 1)
        alpha = float(spec.get("alpha", 0, 1.0))
        return [Fn(f"F.elu({{x}}, alpha={alpha})", (f"nn.ELU(alpha={alpha})",))], x
    check_args(spec, {"axis"}, 1)  # Softmax
    dim = torch_axis(int(spec.get("axis", 0, -1)), len(x.shape), x.layout)
    return [Fn(f"F.softmax({{x}}, dim={dim})", (f"nn.Softmax(dim={dim})",))], x


def zero_padding(spec: LayerSpec, ins: list[Sym]) -> Result:
    rank = int(spec.kind[-2])
    channels_last(spec)
    check_args(spec, {"padding", "data_format"}, 2)
    pad = spec.get("padding", 0, 1)
    if isinstance(pad, int):
        per_dim = [(pad, pad)] * rank
    elif rank == 1 and len(pad) == 2 and all(isinstance(v, int) for v in pad):
        per_dim = [tuple(pad)]
    elif all(isinstance(v, int) for v in pad):
        per_dim = [(v, v) for v in pad]
    else:
        per_dim = [tuple(v) for v in pad]
    pre, x = want(ins[0], "cf")
    pads = tuple(v for b, a in reversed(per_dim) for v in (b, a))
    shape = tuple(None if d is None else d + sum(per_dim[i]) for i, d in enumerate(x.shape[:rank]))
    step = Fn(f"F.pad({{x}}, {pads})", (f"nn.ZeroPad{rank}d({pads})",))
    return [*pre, step], x.with_(shape=(*shape, x.shape[-1]))


def identity(spec: LayerSpec, ins: list[Sym]) -> Result:
    return [], ins[0]


# Layers that change their input only while training (data augmentation, noise): identity at
# inference, as the translated module is; what to use on the torch side, for training.
_TRAINING_ONLY = {
    "RandomFlip": "torchvision.transforms.v2.RandomHorizontalFlip / RandomVerticalFlip",
    "RandomRotation": "torchvision.transforms.v2.RandomRotation",
    "RandomZoom": "torchvision.transforms.v2.RandomAffine(scale=...)",
    "RandomTranslation": "torchvision.transforms.v2.RandomAffine(translate=...)",
    "RandomContrast": "torchvision.transforms.v2.ColorJitter(contrast=...)",
    "RandomBrightness": "torchvision.transforms.v2.ColorJitter(brightness=...)",
    "GaussianNoise": "x + torch.randn_like(x) * stddev in forward while self.training",
}


def training_only(spec: LayerSpec, ins: list[Sym]) -> Result:
    """A layer that acts only while training: nn.Identity, with what to use instead."""
    todo = (f"TODO(mlsense): line {spec.line}: {spec.kind} acts only while training (identity "
            f"at inference, as here); for training use {_TRAINING_ONLY[spec.kind]}")
    return [Mod("nn.Identity()", "augment", todo=todo)], ins[0]


def random_crop(spec: LayerSpec, ins: list[Sym]) -> Result:
    """RandomCrop: at inference Keras 3 passes the images through as they are, while its
    output shape (what the next layers are built for) is the crop's: an identity where the
    input already has the crop's height and width, a located error elsewhere."""
    check_args(spec, {"height", "width", "seed", "data_format"}, 2)
    size = (spec.get("height", 0), spec.get("width", 1))
    x = ins[0]
    if len(x.shape) != 3 or tuple(x.shape[:2]) != size:
        raise spec.unsupported("RandomCrop", f"at inference Keras passes the {tuple(x.shape)} "
                               f"input through uncropped, but builds the layers after it for "
                               f"{size}: crop or resize the images to {size} before the model "
                               "(torchvision.transforms.v2.CenterCrop / Resize)")
    todo = (f"TODO(mlsense): line {spec.line}: RandomCrop acts only while training here (the "
            f"input is already {size[0]}x{size[1]}: identity at inference, as here); for "
            "training use torchvision.transforms.v2.RandomCrop on padded or larger images")
    return [Mod("nn.Identity()", "augment", todo=todo)], x


CONVERTERS: dict[str, Converter] = {
    **dict.fromkeys(_TRAINING_ONLY, training_only), "RandomCrop": random_crop,
    "Dense": dense, "Conv1D": conv, "Conv2D": conv, "Conv3D": conv, "DepthwiseConv1D": conv,
    "DepthwiseConv2D": conv, "Convolution1D": conv, "Convolution2D": conv,
    "Convolution3D": conv, "MaxPooling3D": pool, "AveragePooling3D": pool, "MaxPool3D": pool,
    "AvgPool3D": pool,
    "MaxPooling1D": pool, "MaxPooling2D": pool, "AveragePooling1D": pool,
    "AveragePooling2D": pool, "MaxPool1D": pool, "MaxPool2D": pool, "AvgPool1D": pool,
    "AvgPool2D": pool, "GlobalAveragePooling1D": global_pool,
    "GlobalAveragePooling2D": global_pool, "GlobalMaxPooling1D": global_pool,
    "GlobalMaxPooling2D": global_pool, "GlobalAvgPool1D": global_pool,
    "GlobalAvgPool2D": global_pool, "GlobalMaxPool1D": global_pool,
    "GlobalMaxPool2D": global_pool, "BatchNormalization": batchnorm,
    "LayerNormalization": layernorm, "Dropout": dropout, "Flatten": flatten,
    "Reshape": reshape, "Permute": permute, "RepeatVector": repeat_vector, "Activation": activation_layer,
    "ReLU": activation_layer, "LeakyReLU": activation_layer, "ELU": activation_layer,
    "Softmax": activation_layer, "ZeroPadding1D": zero_padding, "ZeroPadding2D": zero_padding,
    "Identity": identity,
}

# Layers whose output keeps the input's layout whatever it is (no permute needed around them).
LAYOUT_AGNOSTIC = {"Dropout", "Activation", "ReLU", "LeakyReLU", "ELU", "Identity",
                   "RandomCrop", *_TRAINING_ONLY}
# Canonical names for the Keras 2 aliases, so the emitted class reads the same.
ALIASES = {"Convolution1D": "Conv1D", "Convolution2D": "Conv2D", "Convolution3D": "Conv3D",
           "MaxPool3D": "MaxPooling3D", "AvgPool3D": "AveragePooling3D", "MaxPool1D": "MaxPooling1D",
           "MaxPool2D": "MaxPooling2D", "AvgPool1D": "AveragePooling1D",
           "AvgPool2D": "AveragePooling2D", "GlobalAvgPool1D": "GlobalAveragePooling1D",
           "GlobalAvgPool2D": "GlobalAveragePooling2D", "GlobalMaxPool1D": "GlobalMaxPooling1D",
           "GlobalMaxPool2D": "GlobalMaxPooling2D"}
