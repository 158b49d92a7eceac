"""``F.*`` / ``torch.*`` functions and tensor methods inside ``forward`` -> ``keras.ops``."""

from __future__ import annotations

import ast
from typing import Any

from .. import shapes as S
from . import ops
from .eval import UNKNOWN, evaluate
from .forward import Walker
from .layout import Val, after_reduce, channels_last, target_axis
from .model import ShapeUnsupp, Unsupp


def tensor_function(run: Walker, name: str, x: Val, node: ast.Call, skip: int) -> Val:
    """Translate ``name`` applied to tensor ``x`` (``skip`` = positionals before the options)."""
    def ev(e: ast.expr) -> Any:
        return evaluate(e, run.pyenv)
    try:
        if name in ops.ACTIVATIONS:
            return ops.activation(name, x, ops.bind(node, ops.ACTIVATIONS[name][0], skip), ev)
        if name == "contiguous":
            return x
        if name == "flatten":
            args = ops.bind(node, ["start_dim", "end_dim"], skip)
            start = ev(args["start_dim"]) if "start_dim" in args else 0
            end = ev(args["end_dim"]) if "end_dim" in args else -1
            return ops.flatten(x, start, end)
        if name in ("view", "reshape"):
            dims = [run.ex(a) for a in node.args[skip:]]
            if len(dims) == 1 and dims[0].kind == "tuple":
                dims = dims[0].items
            return ops.reshape(x, dims)
        if name == "permute":
            dims = [ev(a) for a in node.args[skip:]]
            if len(dims) == 1 and isinstance(dims[0], tuple | list):  # x.permute((0, 2, 1))
                dims = list(dims[0])
            return ops.permute(x, dims)
        if name == "transpose":
            args = ops.bind(node, ["dim0", "dim1"], skip)
            return ops.transpose(x, ev(args["dim0"]), ev(args["dim1"]))
        if name == "mean":
            args = ops.bind(node, ["dim", "keepdim"], skip)
            dim = ev(args["dim"]) if "dim" in args else None
            keep = ev(args["keepdim"]) if "keepdim" in args else False
            return ops.mean(x, dim, keep)
        if name in ("var", "std"):
            return _spread(name, x, ops.bind(node, ["dim", "unbiased", "keepdim", "correction"],
                                             skip), ev)
        if name == "size":
            args = ops.bind(node, ["dim"], skip)
            if "dim" not in args:
                return Val(f"keras.ops.shape({x.expr})", kind="py", info={"shape_of": x})
            return run.size(x, ev(args["dim"]), node)
        if name == "add" and len(node.args) == 2 and skip == 1:
            return run.binop(ast.copy_location(ast.BinOp(node.args[0], ast.Add(), node.args[1]),
                                               node))
        if name.startswith(("adaptive_avg_pool", "adaptive_max_pool", "max_pool", "avg_pool")):
            return _pool(name, x, node, skip, ev)
        if name in ("squeeze", "unsqueeze"):
            args = ops.bind(node, ["dim"], skip)
            if "dim" not in args:
                raise ops.OpError(f"{name}() needs its dim")
            return (_squeeze if name == "squeeze" else _unsqueeze)(x, ev(args["dim"]))
        if name in ("interpolate", "upsample"):
            return _interpolate(x, ops.bind(node, ["size", "scale_factor", "mode",
                                                   "align_corners"], skip), ev)
        if name == "pad":
            return _pad(x, ops.bind(node, ["pad", "mode", "value"], skip), ev)
        if name in RANDOM_LIKE and not node.args[skip:] and not node.keywords:
            # a draw of x's shape; verification fixes the draws on both sides (models.py)
            return Val(f"keras.random.{RANDOM_LIKE[name]}(keras.ops.shape({x.expr}))",
                       x.shape, x.perm)
        if name == "scaled_dot_product_attention":
            return _attention(run, x, ops.bind(node, ["key", "value", "attn_mask", "dropout_p",
                                                     "is_causal", "scale", "enable_gqa"], skip), ev)
        if name == "layer_norm":
            return _layer_norm(run, x, ops.bind(node, ["normalized_shape", "weight", "bias",
                                                      "eps"], skip), ev)
        if name in _ELEMENTWISE and not node.args[skip:] and not node.keywords:
            return Val(f"keras.ops.{_ELEMENTWISE[name]}({x.expr})", x.shape, x.perm)
    except ops.OpError as exc:
        raise Unsupp(node.lineno, ast.unparse(node)[:60], str(exc)) from exc
    except S.ShapeMismatch as exc:
        raise ShapeUnsupp(node.lineno, ast.unparse(node)[:60], str(exc)) from exc
    raise Unsupp(node.lineno, ast.unparse(node)[:60],
                 f"{name}() has no keras.ops mapping in mlsense yet")


def _spread(name: str, x: Val, args: dict[str, ast.expr], ev: Any) -> Val:
    """``x.var(dim, unbiased=False, keepdim=True)`` / ``std``: Keras' are the population
    statistics; torch's default correction of 1 is a factor n / (n - 1)."""
    dim = ev(args["dim"]) if "dim" in args else None
    keep = ev(args["keepdim"]) if "keepdim" in args else False
    correction = 1
    if "unbiased" in args:
        correction = 1 if ev(args["unbiased"]) else 0
    if "correction" in args:
        correction = ev(args["correction"])
    if not isinstance(correction, int | float) or x.shape is None or x.rank is None:
        raise ops.OpError(f"{name}() needs a literal correction and a known shape")
    base = ops.mean(x, dim, keep, name)
    expr = base.expr
    if correction:
        axes = range(x.rank) if dim is None else \
            [d % x.rank for d in (dim if isinstance(dim, tuple | list) else [dim])]
        n = 1
        for a in axes:
            size = x.shape[a]
            if not isinstance(size, int):
                raise ops.OpError(f"{name}() with a correction over an axis of unknown size")
            n *= size
        factor = n / (n - correction)
        expr = f"{expr} * {factor if name == 'var' else factor ** 0.5!r}"
    return Val(expr, base.shape, base.perm)


def _attention(run: Walker, q: Val, args: dict[str, ast.expr], ev: Any) -> Val:
    """``F.scaled_dot_product_attention(q, k, v, is_causal=...)`` on (N, heads, T, dim) ->
    ``keras.ops.dot_product_attention``, which takes (N, T, heads, dim): a tensor already held
    that way (the usual ``.view(B, T, nh, hs).transpose(1, 2)``) goes in as it is, another has
    its axes swapped, and the result stays in Keras' order (its permutation says so)."""
    if "key" not in args or "value" not in args:
        raise ops.OpError("scaled_dot_product_attention needs query, key and value")
    k, v = run.ex(args["key"]), run.ex(args["value"])
    heads_after_time = (0, 2, 1, 3)  # torch (N, heads, T, dim) held as Keras (N, T, heads, dim)

    def keras_layout(t: Val) -> str:
        if t.rank != 4 or t.perm not in (None, heads_after_time):
            raise ops.OpError("attention translated for (N, heads, T, dim) tensors")
        return t.expr if t.perm == heads_after_time else f"keras.ops.swapaxes({t.expr}, 1, 2)"

    qkv = [keras_layout(t) for t in (q, k, v)]
    for key, neutral in (("attn_mask", None), ("dropout_p", 0), ("enable_gqa", False)):
        if key in args and ev(args[key]) not in (neutral, 0.0):
            raise ops.OpError(f"scaled_dot_product_attention({key}=...) is not translated"
                              + (" (it drops at inference too)" if key == "dropout_p" else ""))
    opts = ""
    if "is_causal" in args:
        causal = ev(args["is_causal"])
        if not isinstance(causal, bool):
            raise ops.OpError("is_causal is not a constant here")
        opts += ", is_causal=True" if causal else ""
    if "scale" in args and ev(args["scale"]) is not None:
        opts += f", scale={ev(args['scale'])!r}"
    out = f"keras.ops.dot_product_attention({', '.join(qkv)}{opts})"
    shape = (*q.shape[:-1], v.shape[-1]) if q.shape is not None and v.shape is not None \
        else q.shape
    return Val(out, shape, heads_after_time)  # the result is (N, T, heads, dim) in Keras


def _layer_norm(run: Walker, x: Val, args: dict[str, ast.expr], ev: Any) -> Val:
    """``F.layer_norm(x, (C,), weight, bias, eps)`` (nanoGPT's LayerNorm with an optional bias)
    -> ``keras.ops.layer_normalization`` over the same axis, the module's own variables kept."""
    shape = ev(args["normalized_shape"]) if "normalized_shape" in args else UNKNOWN
    if isinstance(shape, int):
        shape = (shape,)
    if not isinstance(shape, tuple | list) or len(shape) != 1 or x.rank is None:
        raise ops.OpError("layer_norm over more than the last axis")
    parts = [x.expr]
    for key, keras_name in (("weight", "gamma"), ("bias", "beta")):
        given = args.get(key)
        if given is not None and not (isinstance(given, ast.Constant) and given.value is None):
            parts.append(f"{keras_name}={run.ex(given).expr}")
    eps = ev(args["eps"]) if "eps" in args else 1e-5
    if not isinstance(eps, int | float):
        raise ops.OpError("layer_norm's eps is not a number here")
    parts += [f"axis={target_axis(x, -1)}", f"epsilon={eps!r}"]
    return Val(f"keras.ops.layer_normalization({', '.join(parts)})", x.shape, x.perm)


def _pool(name: str, x: Val, node: ast.Call, skip: int, ev: Any) -> Val:
    """``F.max_pool2d(x, 2)``, ``F.adaptive_avg_pool2d(x, 1)`` on a channels-last tensor."""
    rank = 2 if name.endswith("2d") else 1
    assert x.shape is not None
    src = ops.to_layout(x, channels_last(len(x.shape)))
    perm = channels_last(len(x.shape))
    if name.startswith("adaptive"):
        args = ops.bind(node, ["output_size"], skip)
        if any(v != 1 for v in S.as_tuple(ev(args["output_size"]), rank)):
            raise ops.OpError("only output size 1 (global pooling) is supported")
        fn = "mean" if "avg" in name else "max"
        axes = "(1, 2)" if rank == 2 else "1"
        return Val(f"keras.ops.{fn}({src}, axis={axes}, keepdims=True)",
                   x.shape[:2] + (1,) * rank, perm)
    args = ops.bind(node, ["kernel_size", "stride", "padding"], skip)
    pad = ev(args["padding"]) if "padding" in args else 0
    pads = S.all_ints(S.as_tuple(pad, rank))
    if pads is None or (any(pads) and not name.startswith("max")):
        raise ops.OpError("pooling padding must be known (and max pooling)")
    kernel = ev(args["kernel_size"])
    stride = ev(args["stride"]) if "stride" in args else None
    stride = kernel if stride is None else stride
    if kernel is UNKNOWN or stride is UNKNOWN:
        raise ops.OpError("pool size and stride must be known")
    if any(pads):  # torch pads max pooling with -inf
        widths = ((0, 0), *((p, p) for p in pads), (0, 0))
        src = f"keras.ops.pad({src}, {widths}, constant_values=float(\"-inf\"))"
    fn = "max_pool" if name.startswith("max") else "average_pool"
    expr = f"keras.ops.{fn}({src}, {ast.unparse(args['kernel_size'])}"
    expr += f", strides={ast.unparse(args['stride'])})" if "stride" in args else ")"
    return Val(expr, S.spatial_out(x.shape, rank, kernel, stride, pads), perm)


# element-wise functions of one tensor: torch name -> keras.ops name
_ELEMENTWISE = {"exp": "exp", "log": "log", "sqrt": "sqrt", "rsqrt": "rsqrt", "abs": "abs",
                "neg": "negative", "sin": "sin", "cos": "cos", "square": "square",
                "log1p": "log1p", "expm1": "expm1", "floor": "floor", "ceil": "ceil",
                "sign": "sign", "erf": "erf", "reciprocal": "reciprocal"}


# random draws shaped like a tensor: torch name -> keras.random name
RANDOM_LIKE = {"randn_like": "normal", "rand_like": "uniform"}


def _squeeze(x: Val, dim: Any) -> Val:
    """``x.squeeze(d)``: drops axis d when its size is 1 (torch leaves other sizes alone)."""
    assert x.shape is not None and x.rank is not None
    if not isinstance(dim, int):
        raise ops.OpError("squeeze dim must be a literal")
    if x.shape[dim] is None:
        raise ops.OpError("squeeze of an axis whose size is not known statically")
    if x.shape[dim] != 1:
        return x
    axis = target_axis(x, dim)
    shape = tuple(d for i, d in enumerate(x.shape) if i != dim % x.rank)
    return Val(f"keras.ops.squeeze({x.expr}, axis={axis})", shape,
               after_reduce(x.perm, {dim % x.rank}, x.rank))


def _unsqueeze(x: Val, dim: Any) -> Val:
    assert x.shape is not None and x.rank is not None
    if not isinstance(dim, int) or x.perm is not None:
        raise ops.OpError("unsqueeze needs a literal dim on a tensor in PyTorch axis order")
    axis = dim % (x.rank + 1)
    return Val(f"keras.ops.expand_dims({x.expr}, {axis})",
               x.shape[:axis] + (1,) + x.shape[axis:], None)


def _interpolate(x: Val, args: dict[str, ast.expr], ev: Any) -> Val:
    """``F.interpolate`` of an image: nearest (integer scale) or bilinear, half-pixel centres."""
    assert x.shape is not None
    mode = ev(args["mode"]) if "mode" in args else "nearest"
    corners = ev(args["align_corners"]) if "align_corners" in args else None
    scale: Any = ev(args["scale_factor"]) if "scale_factor" in args else None
    known = isinstance(scale, int | float) and float(scale).is_integer()
    if x.rank != 4 or "size" in args or "scale_factor" not in args or \
            mode not in ("nearest", "bilinear") or corners or (scale is not UNKNOWN and not known):
        raise ops.OpError("only images with an integer scale_factor, nearest or bilinear "
                          "(align_corners=False)")
    # a value the walk does not know (self.upsample) keeps its expression; sizes become unknown
    factor = str(int(scale)) if known else ast.unparse(args["scale_factor"])
    src = ops.to_layout(x, channels_last(4))
    shape = x.shape[:2] + tuple(None if n is None or not known else n * int(scale)
                                for n in x.shape[2:])
    if mode == "nearest":
        expr = f"keras.ops.repeat(keras.ops.repeat({src}, {factor}, axis=1), {factor}, axis=2)"
    else:
        if None in shape[2:]:
            raise ops.OpError("bilinear resizing needs a known image size")
        expr = (f"keras.ops.image.resize({src}, {shape[2:]}, interpolation=\"bilinear\", "
                f"antialias=False)")
    return Val(expr, shape, channels_last(4))


def _pad(x: Val, args: dict[str, ast.expr], ev: Any) -> Val:
    """``F.pad(x, (left, right, top, bottom), mode=..., value=...)`` with the axes remapped."""
    assert x.shape is not None and x.rank is not None
    pads, mode = ev(args["pad"]), ev(args["mode"]) if "mode" in args else "constant"
    value = ev(args["value"]) if "value" in args else 0
    if not isinstance(pads, tuple) or len(pads) % 2 or not all(isinstance(p, int) for p in pads) \
            or mode not in ("constant", "reflect") or not isinstance(value, int | float):
        raise ops.OpError("pad needs literal sizes, mode constant or reflect")
    widths = [(0, 0)] * x.rank
    crops = [(0, 0)] * x.rank  # a negative pad crops (vit-pytorch's shifted patches)
    shape = list(x.shape)
    for i in range(len(pads) // 2):  # torch lists the last axis first
        axis = x.rank - 1 - i
        before, after = pads[2 * i], pads[2 * i + 1]
        widths[target_axis(x, axis)] = (max(before, 0), max(after, 0))
        crops[target_axis(x, axis)] = (max(-before, 0), max(-after, 0))
        shape[axis] = None if shape[axis] is None else shape[axis] + before + after
    extra = ', mode="reflect"' if mode == "reflect" else \
        (f", constant_values={value!r}" if value else "")
    expr = x.expr
    if any(w != (0, 0) for w in widths):
        expr = f"keras.ops.pad({expr}, {tuple(widths)}{extra})"
    if any(c != (0, 0) for c in crops):
        parts = [f"{b or ''}:{-a if a else ''}" for b, a in crops]
        while parts and parts[-1] == ":":
            parts.pop()
        expr = f"{_paren_call(expr)}[{', '.join(parts)}]"
    return Val(expr, tuple(shape), x.perm)


def _paren_call(expr: str) -> str:
    return expr if expr.replace("_", "").replace(".", "").isalnum() or expr.endswith(")") \
        else f"({expr})"
