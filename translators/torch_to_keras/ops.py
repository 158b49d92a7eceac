"""Tensor functions and methods of a PyTorch ``forward`` -> ``keras.ops`` with axes remapped.

Each handler takes the receiving/first tensor :class:`~.layout.Val`, the remaining argument
nodes by name, and an evaluator for argument values; it returns the resulting Val (whose
``expr`` is Keras source). Axis arguments are PyTorch axes and are mapped through the value's
layout, so ``torch.cat(..., dim=1)`` on channels-first maps become ``axis=-1`` in Keras.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from typing import Any

from .. import shapes as S
from .eval import UNKNOWN
from .layout import (
    Val,
    after_permute,
    after_reduce,
    is_noop_transpose,
    keras_axis_text,
    relayout,
    transposed_shape,
)

Eval = Callable[[ast.expr], Any]

# name -> (parameter names after the tensor, defaults)
ACTIVATIONS: dict[str, tuple[list[str], dict[str, Any]]] = {
    "relu": ([], {}), "sigmoid": ([], {}), "tanh": ([], {}), "relu6": ([], {}),
    "silu": ([], {}), "gelu": (["approximate"], {"approximate": "none"}),
    "leaky_relu": (["negative_slope"], {"negative_slope": 0.01}),
    "elu": (["alpha"], {"alpha": 1.0}),
    "softmax": (["dim"], {"dim": None}), "log_softmax": (["dim"], {"dim": None}),
}
SHAPE_OPS = frozenset({"view", "reshape", "flatten", "permute", "transpose", "mean",
                       "contiguous", "size"})


class OpError(ValueError):
    """The operation (or this use of it) has no faithful Keras translation."""


def bind(node: ast.Call, names: list[str], skip: int) -> dict[str, ast.expr]:
    """Argument nodes of ``node`` by parameter name, ignoring the first ``skip`` positionals."""
    out: dict[str, ast.expr] = {}
    for i, arg in enumerate(node.args[skip:]):
        if i >= len(names) or isinstance(arg, ast.Starred):
            raise OpError("unexpected positional argument")
        out[names[i]] = arg
    for kw in node.keywords:
        if kw.arg in ("inplace",):
            continue  # no in-place ops in Keras; the value is the same
        if kw.arg not in names:
            raise OpError(f"unsupported keyword {kw.arg!r}")
        out[kw.arg] = kw.value
    return out


def to_layout(val: Val, desired: tuple[int, ...] | None, allow_noop: bool = False) -> str:
    """``val.expr`` transposed into layout ``desired`` (no code when it already has it)."""
    assert val.rank is not None
    axes = relayout(val.perm, desired, val.rank)
    if axes is None:
        return val.expr
    if allow_noop and val.shape is not None and \
            is_noop_transpose(transposed_shape(val.shape, val.perm), axes):
        return val.expr
    return f"keras.ops.transpose({val.expr}, {axes})"


def activation(name: str, x: Val, args: dict[str, ast.expr], ev: Eval) -> Val:
    """``F.relu(x)``, ``torch.tanh(x)``, ``x.softmax(dim=1)``... -> ``keras.ops.*``."""
    _, defaults = ACTIVATIONS[name]
    vals = {k: ev(v) for k, v in args.items()}
    vals = {**defaults, **vals}
    if name == "gelu":
        if vals["approximate"] not in ("none", "tanh"):
            raise OpError("gelu approximate must be a literal 'none' or 'tanh'")
        expr = f"keras.ops.gelu({x.expr}, approximate={vals['approximate'] == 'tanh'})"
    elif name == "leaky_relu":  # explicit: torch's default slope is 0.01, Keras' 0.2
        slope = vals["negative_slope"]
        text = ast.unparse(args["negative_slope"]) if slope is UNKNOWN else repr(slope)
        expr = f"keras.ops.leaky_relu({x.expr}, negative_slope={text})"
    elif name == "elu":
        expr = f"keras.ops.elu({x.expr}, alpha={vals['alpha']!r})"
    elif name in ("softmax", "log_softmax"):
        if not isinstance(vals["dim"], int):
            raise OpError(f"{name} needs an explicit integer dim")
        expr = f"keras.ops.{name}({x.expr}, axis={keras_axis_text(x, vals['dim'])})"
    else:
        expr = f"keras.ops.{name}({x.expr})"
    return Val(expr, x.shape, x.perm)


def _ints(values: list[Any]) -> list[int]:
    if len(values) == 1 and isinstance(values[0], (tuple, list)):
        values = list(values[0])
    if not all(isinstance(v, int) for v in values):
        raise OpError("dimensions must be integer literals")
    return values


def permute(x: Val, dims: list[Any]) -> Val:
    """``x.permute(...)``: changes the recorded layout only; Keras code comes when needed."""
    order = tuple(d % len(dims) for d in _ints(dims))
    assert x.shape is not None
    if sorted(order) != list(range(x.rank or 0)):
        raise OpError("permute dims do not match the tensor rank")
    return Val(x.expr, S.permute_shape(x.shape, order), after_permute(x, order))


def transpose(x: Val, a: Any, b: Any) -> Val:
    """``x.transpose(a, b)`` as a permute."""
    assert x.rank is not None
    if not isinstance(a, int) or not isinstance(b, int):
        raise OpError("transpose axes must be integer literals")
    order = list(range(x.rank))
    a, b = a % x.rank, b % x.rank
    order[a], order[b] = order[b], order[a]
    return permute(x, order)


def flatten(x: Val, start: Any = 1, end: Any = -1) -> Val:
    """``torch.flatten(x, 1)`` / ``x.flatten(1)``: channels-first order, as torch flattens."""
    assert x.shape is not None and x.rank is not None
    if start != 1 or end not in (-1, x.rank - 1):
        raise OpError("only flatten(x, 1) (everything but the batch axis) is supported")
    src = to_layout(x, None, allow_noop=True)
    out = S.flatten_shape(x.shape, 1, -1)
    size = out[1]
    shape_txt = f"(-1, {size})" if size is not None else f"(keras.ops.shape({src})[0], -1)"
    return Val(f"keras.ops.reshape({src}, {shape_txt})", out)


def reshape(x: Val, dims: list[Val]) -> Val:
    """``x.view(...)`` / ``x.reshape(...)`` in PyTorch memory order."""
    assert x.shape is not None
    if len(dims) == 1 and dims[0].kind == "py" and isinstance(dims[0].info.get("value"), tuple):
        dims = [Val(repr(v), kind="py", info={"value": v}) for v in dims[0].info["value"]]
    src = to_layout(x, None, allow_noop=True)
    target = [d.info.get("value") if isinstance(d.info.get("value"), int) else None for d in dims]
    target_for_shape = [t if t is not None else -1 if d.expr == "-1" else None
                        for t, d in zip(target, dims, strict=True)]
    out = S.reshape_shape(x.shape, target_for_shape)
    if all(isinstance(d, int) for d in out[1:]):
        text = "(-1, " + ", ".join(str(d) for d in out[1:]) + ")"
    else:
        text = "(" + ", ".join(d.expr for d in dims) + ")"
    return Val(f"keras.ops.reshape({src}, {text})", out)


def mean(x: Val, dim: Any, keepdim: Any, op: str = "mean") -> Val:
    """``x.mean(dim, keepdim)`` (or ``op``: ``var``, ``std``) with the axes mapped to the Keras
    layout."""
    assert x.shape is not None and x.rank is not None
    if dim is UNKNOWN or keepdim is UNKNOWN:
        raise OpError(f"{op} needs literal dim and keepdim")
    axes = list(range(x.rank)) if dim is None else \
        [d % x.rank for d in (dim if isinstance(dim, (tuple, list)) else [dim])]
    kax = sorted(keras_axis_text(x, a) for a in axes)
    axis_txt = kax[0] if len(kax) == 1 else "(" + ", ".join(kax) + ")"
    kw = ", keepdims=True" if keepdim else ""
    expr = f"keras.ops.{op}({x.expr}, axis={axis_txt}{kw})"
    shape = S.reduce_shape(x.shape, axes, bool(keepdim))
    perm = x.perm if keepdim else after_reduce(x.perm, set(axes), x.rank)
    return Val(expr, shape, perm)


def concat(tensors: list[Val], dim: Any) -> Val:
    """``torch.cat([a, b], dim=d)``: every input in the first one's layout, the axis mapped."""
    if not isinstance(dim, int):
        raise OpError("torch.cat needs a literal dim")
    first = tensors[0]
    exprs = [first.expr] + [to_layout(t, first.perm) for t in tensors[1:]]
    shapes = [t.shape for t in tensors if t.shape is not None]
    shape = S.concat_shape(shapes, dim) if len(shapes) == len(tensors) else None
    axis = keras_axis_text(first, dim)
    return Val(f"keras.ops.concatenate([{', '.join(exprs)}], axis={axis})", shape, first.perm)


def index(x: Val, elts: list[ast.expr], ev: Eval) -> Val:
    """``out[:, -1, :]`` with the index entries reordered for the Keras layout."""
    assert x.shape is not None and x.rank is not None
    if len(elts) > x.rank:
        raise OpError("too many indices")
    full = elts + [ast.Slice()] * (x.rank - len(elts))
    dropped: set[int] = set()
    shape: list[int | None] = []
    for i, e in enumerate(full):
        if isinstance(e, ast.Slice):
            whole = e.lower is None and e.upper is None and e.step is None
            shape.append(x.shape[i] if whole else None)
        elif isinstance(ev(e), int):
            dropped.add(i)
            shape.append(None)  # keeps shape aligned with the axes; dropped below
        else:
            raise OpError("only integer and slice indices are supported")
    order = x.perm or tuple(range(x.rank))
    parts = [ast.unparse(full[p]) or ":" for p in order]
    while len(parts) > 1 and parts[-1] == ":":
        parts.pop()
    expr = f"{x.expr}[{', '.join(parts)}]"
    perm = after_reduce(x.perm, dropped, x.rank)
    return Val(expr, tuple(shape[i] for i in range(x.rank) if i not in dropped), perm)
