"""Tensor operations in Keras model code -> torch expressions.

Covers merge layers (``Add``, ``Concatenate`` ...), arithmetic between traced tensors, and the
``keras.ops`` / ``tf.*`` functions that appear in Functional graphs and ``call`` bodies. Axes are
mapped into the torch layout of each tensor (a channels-first map's last Keras axis is dim 1).
"""

from __future__ import annotations

import ast
import math
import operator
from typing import Any

from ..base import TranslationError, Unsupported
from .layers import ACTIVATIONS, check_args, in_layout
from .parse import LayerSpec
from .shapes import Node, Sym, fmt_dims, torch_axis

_BINARY = {"Add": "+", "Sub": "-", "Mult": "*", "Div": "/", "MatMult": "@"}
# the same operators between sizes (keras.ops.shape(x)[1] * keras.ops.shape(x)[2])
_ARITH = {"Add": operator.add, "Sub": operator.sub, "Mult": operator.mul,
          "Div": operator.truediv, "FloorDiv": operator.floordiv}
_NAMED_BINARY = {"add": "Add", "subtract": "Sub", "multiply": "Mult", "divide": "Div",
                 "matmul": "MatMult", "truediv": "Div"}
_REDUCE = {"mean": "mean", "reduce_mean": "mean", "sum": "sum", "reduce_sum": "sum",
           "max": "amax", "reduce_max": "amax", "min": "amin", "reduce_min": "amin"}


class Batch:
    """The batch size of a traced tensor, as ``keras.ops.shape(x)[0]`` gives it: unknown while
    tracing, written ``x.shape[0]`` (or ``-1`` as the only free size of a reshape)."""

    def __init__(self, expr: str) -> None:
        self.expr = expr

    def __repr__(self) -> str:
        return self.expr


def paren(expr: str) -> str:
    """Parenthesise ``expr`` if it has a top-level binary operator."""
    depth = 0
    for i, ch in enumerate(expr):
        depth += ch in "([{"
        depth -= ch in ")]}"
        if depth == 0 and ch == " " and expr[i + 1:i + 2] in set("+-*/@"):
            return f"({expr})"
    return expr


def _same_layout(syms: list[Sym]) -> list[Sym]:
    """Bring every tensor to the first one's layout (elementwise ops need matching axes)."""
    first = syms[0]
    out = [first]
    for s in syms[1:]:
        out.append(in_layout(s, first.layout if first.layout != "flatcf" else "keras"))
    if first.layout == "flatcf" and any(s.layout != "flatcf" for s in syms[1:]):
        raise TranslationError("mixing a flattened channels-first tensor with another")
    return out


def _fail(node: Any, construct: str, reason: str) -> TranslationError:
    line = getattr(node, "lineno", getattr(node, "line", 0))
    return TranslationError(f"line {line}: {construct}: {reason}",
                            [Unsupported(line, construct, reason, getattr(node, "col_offset", 0))])


def merge(spec: LayerSpec, syms: list[Any]) -> Sym:
    """Add / Subtract / Multiply / Average / Maximum / Minimum / Concatenate layers."""
    if not syms or not all(isinstance(s, Sym) for s in syms):
        raise spec.unsupported(f"{spec.kind}()([...])", "merge layers take a list of tensors")
    syms = _same_layout(syms)
    exprs = [paren(s.expr) for s in syms]
    first = syms[0]
    kind = spec.kind
    if kind == "Concatenate":
        check_args(spec, {"axis"}, 1)
        axis = int(spec.get("axis", 0, -1))
        rank = len(first.shape)
        dim = torch_axis(axis, rank, first.layout)
        k_axis = axis % (rank + 1) - 1
        total = sum(s.shape[k_axis] or 0 for s in syms) if all(
            s.shape[k_axis] is not None for s in syms) else None
        shape = tuple(total if i == k_axis else v for i, v in enumerate(first.shape))
        return first.with_(expr=f"torch.cat([{', '.join(s.expr for s in syms)}], dim={dim})",
                           shape=shape, origin=None)
    check_args(spec, set(), 0)
    ops = {"Add": " + ", "Subtract": " - ", "Multiply": " * "}
    if kind in ops:
        if kind == "Subtract" and len(syms) != 2:
            raise spec.unsupported("Subtract", "takes exactly two tensors")
        expr = ops[kind].join(exprs)
    elif kind == "Average":
        expr = f"({' + '.join(exprs)}) / {len(exprs)}"
    elif kind in ("Maximum", "Minimum"):
        fn = "torch.maximum" if kind == "Maximum" else "torch.minimum"
        expr = exprs[0]
        for e in exprs[1:]:
            expr = f"{fn}({expr}, {e})"
    else:
        raise spec.unsupported(kind, f"Keras layer {kind} has no PyTorch mapping")
    return first.with_(expr=expr, origin=None)


def _binary(op: str, a: Any, b: Any, node: Any) -> Sym:
    if isinstance(a, Sym) and isinstance(b, Sym):
        a, b = _same_layout([a, b])
        shape = a.shape if len(a.shape) >= len(b.shape) else b.shape
        if op == "MatMult":
            if a.layout != "keras" or b.layout != "keras":
                raise _fail(node, "matmul", "matmul of channels-first maps")
            shape = (*a.shape[:-1], b.shape[-1])
        # position embeddings added to a batch: the batched operand carries the result
        out = (b if a.batchless and not b.batchless else a).with_(shape=shape)
        left, right = paren(a.expr), paren(b.expr)
    elif isinstance(a, Sym) and isinstance(b, int | float):
        out, left, right = a, paren(a.expr), repr(b)
    elif isinstance(b, Sym) and isinstance(a, int | float):
        out, left, right = b, repr(a), paren(b.expr)
    else:
        raise _fail(node, op, "operands are not traced tensors")
    return out.with_(expr=f"{left} {_BINARY[op]} {right}", origin=None,
                     node=Node(object(), [s.node for s in (a, b) if isinstance(s, Sym)]))


def _tensordot(a: Sym, b: Sym, axes: Any, node: Any) -> Sym:
    """``keras.ops.tensordot(a, b, k)``: the last ``k`` axes of ``a`` against the first ``k``
    of ``b``, batch axes included where ``k`` reaches them (as Keras and torch both do)."""
    if not isinstance(axes, int) or isinstance(axes, bool) or not 0 < axes <= min(
            len(a.shape), len(b.shape)) + 1:
        raise _fail(node, "tensordot", "axes must be a literal count of axes")
    a, b = in_layout(a, "keras"), in_layout(b, "keras")
    rank_a, rank_b = len(a.shape) + 1, len(b.shape) + 1  # the batch axes counted
    expr = f"torch.tensordot({a.expr}, {b.expr}, dims={axes})"
    node_ = Node(object(), [a.node, b.node])
    if axes == rank_a:  # all of a, its batch axis too: what is left of b has no batch axis
        return b.with_(expr=expr, shape=tuple(b.shape[axes - 1:]), batchless=True,
                       origin=None, node=node_)
    if axes == rank_b:  # all of b: a keeps its batch axis and leading sizes
        return a.with_(expr=expr, shape=tuple(a.shape[:rank_a - axes - 1]), origin=None,
                       node=node_)
    raise _fail(node, "tensordot", "a contraction that leaves both batch axes (an outer "
                "product over the batch): write it with keras.ops.einsum")


def _extremum(short: str, a: Any, b: Any, node: Any) -> Sym:
    """``keras.ops.maximum`` / ``minimum`` of two tensors, or of a tensor and a number."""
    if isinstance(b, Sym) and not isinstance(a, Sym):
        a, b = b, a
    if not isinstance(a, Sym):
        raise _fail(node, short, "operands are not traced tensors")
    if isinstance(b, Sym):
        a, b = _same_layout([a, b])
        shape = a.shape if len(a.shape) >= len(b.shape) else b.shape
        return a.with_(expr=f"torch.{short}({a.expr}, {b.expr})", shape=shape, origin=None,
                       node=Node(object(), [a.node, b.node]))
    if not isinstance(b, int | float) or isinstance(b, bool):
        raise _fail(node, short, "the second operand is neither a tensor nor a number")
    bound = "min" if short == "maximum" else "max"
    return a.with_(expr=f"torch.clamp({a.expr}, {bound}={b!r})", origin=None,
                   node=Node(object(), [a.node]))


def _axes(value: Any) -> tuple[int, ...] | None:
    if value is None:
        return None
    if isinstance(value, int):
        return (value,)
    if isinstance(value, tuple | list) and all(isinstance(v, int) for v in value):
        return tuple(value)
    raise TranslationError(f"axis {value!r} is not a literal")


def apply_op(qualname: str, args: list[Any], kwargs: dict[str, Any], node: Any) -> Any:
    """A ``keras.ops``/``tf`` call or binary operator applied to traced values."""
    short = qualname.rsplit(".", 1)[-1]
    if qualname in ("keras.backend.epsilon", "keras.config.epsilon") and not args:
        return 1e-07  # Keras' fuzz factor (the value a script would have to change on purpose)
    if short in ("convert_to_tensor", "cast") and args and (
            isinstance(args[0], Sym) and short == "convert_to_tensor" or
            isinstance(args[0], int | float) and not isinstance(args[0], bool)):
        return args[0]  # a number stays a number (broadcast where it is used)
    if short == "tensordot" and len(args) >= 2 and all(isinstance(a, Sym) for a in args[:2]):
        return _tensordot(args[0], args[1], kwargs.get("axes", args[2] if len(args) > 2 else 2),
                          node)
    if short in ("maximum", "minimum") and len(args) == 2 and not qualname.startswith(
            "keras.layers."):
        return _extremum(short, args[0], args[1], node)
    if qualname in _ARITH and all(isinstance(a, int | float) and not isinstance(a, bool)
                                  for a in args):  # sizes read from keras.ops.shape
        return _ARITH[qualname](*args)
    if qualname in _BINARY:
        return _binary(qualname, args[0], args[1], node)
    if short == "shape" and len(args) == 1 and isinstance(args[0], Sym) and \
            not qualname.startswith("keras.layers."):
        sizes = in_layout(args[0], "keras").shape  # Keras' order, whatever the layout
        return (Batch(f"{paren(args[0].expr)}.shape[0]"), *sizes)
    if short in _NAMED_BINARY and len(args) == 2:
        return _binary(_NAMED_BINARY[short], args[0], args[1], node)
    if qualname.startswith("keras.layers.") and short in ("add", "subtract", "multiply",
                                                           "average", "maximum", "minimum",
                                                           "concatenate"):
        spec = LayerSpec(short.capitalize(), [], {k: v for k, v in kwargs.items()
                                                    if k == "axis"}, getattr(node, "lineno", 0))
        out = merge(spec, list(args[0]))
        return out.with_(node=Node(spec, [s.node for s in args[0]]))
    x = args[0] if args else kwargs.get("x")
    if not isinstance(x, Sym) and not (isinstance(x, list) and x and isinstance(x[0], Sym)):
        raise _fail(node, qualname, "operation on a value the translator does not trace")
    result = _unary_op(short, qualname, x, args[1:], kwargs, node)
    if result is None:
        raise _fail(node, qualname, "operation has no PyTorch mapping here")
    out = result
    parents = [s.node for s in (x if isinstance(x, list) else [x])]
    return out.with_(origin=None, node=Node(object(), parents))


def _unary_op(short: str, qualname: str, x: Any, rest: list[Any], kwargs: dict[str, Any],
              node: Any) -> Sym | None:
    if short in ("concatenate", "concat"):
        default = -1 if qualname.startswith("keras.layers") else 0
        axis = kwargs.get("axis", rest[0] if rest else default)
        spec = LayerSpec("Concatenate", [], {"axis": axis}, getattr(node, "lineno", 0))
        return merge(spec, list(x))
    if short == "gelu":  # keras.ops.gelu approximates by default, keras.activations' does not
        approximate = kwargs.get("approximate", rest[0] if rest else qualname.startswith(
            "keras.ops."))
        if not isinstance(approximate, bool):
            return None
        func = ACTIVATIONS["gelu_tanh" if approximate else "gelu"][1]
        return x.with_(expr=func.replace("{x}", x.expr))
    if short in ACTIVATIONS and short != "softmax":
        module, func = ACTIVATIONS[short]
        if short == "leaky_relu":
            slope = float(kwargs.get("negative_slope", kwargs.get("alpha", rest[0] if rest
                                                                     else 0.2)))
            func = f"F.leaky_relu({{x}}, {slope})"
        return x.with_(expr=func.replace("{x}", x.expr))
    if short in ("softmax", "log_softmax"):
        axis = int(kwargs.get("axis", rest[0] if rest else -1))
        dim = torch_axis(axis, len(x.shape), x.layout)
        return x.with_(expr=f"F.{short}({x.expr}, dim={dim})")
    if short in _REDUCE:
        axes = _axes(kwargs.get("axis", rest[0] if rest else None))
        keep = bool(kwargs.get("keepdims", rest[1] if len(rest) > 1 else False))
        op = _REDUCE[short]
        if axes is None:
            return x.with_(expr=f"{paren(x.expr)}.{op}()", shape=(), layout="keras")
        rank = len(x.shape)
        dims = tuple(torch_axis(a, rank, x.layout) for a in axes)
        k_axes = {a % (rank + 1) - 1 for a in axes}
        shape = tuple(1 if i in k_axes else v for i, v in enumerate(x.shape) if keep or
                      i not in k_axes)
        dim_text = str(dims[0]) if len(dims) == 1 else fmt_dims(dims)
        layout = x.layout if keep or x.layout != "cf" else "keras"
        if x.layout == "cf" and not keep and (rank - 1) in k_axes and len(shape) >= 2:
            layout = "keras"  # channels reduced away: what is left is in Keras order
        elif x.layout == "cf" and not keep:
            return None
        keep_text = ", keepdim=True" if keep else ""
        return x.with_(expr=f"{paren(x.expr)}.{op}(dim={dim_text}{keep_text})", shape=shape,
                       layout=layout)
    if short == "reshape":
        x = in_layout(x, "keras")
        expr = x.expr
        target = kwargs.get("newshape", kwargs.get("shape", rest[0] if rest else None))
        if not isinstance(target, tuple | list) or not target or not all(
                isinstance(v, int) or v is None for v in target[1:]) or not (
                isinstance(target[0], int | Batch) or target[0] is None):
            return None
        sizes = [-1 if v is None else v for v in target[1:]]
        if isinstance(target[0], Batch) or target[0] in (-1, None):  # the batch stays first
            if sizes.count(-1) == 1 and all(isinstance(v, int) for v in x.shape):
                total = math.prod(v for v in x.shape if isinstance(v, int))
                rest_size = math.prod(v for v in sizes if v != -1)
                if rest_size and total % rest_size == 0:
                    sizes[sizes.index(-1)] = total // rest_size  # a size the sizes fix
            first = "-1" if -1 not in sizes else (
                target[0].expr if isinstance(target[0], Batch) else "-1")
        else:
            first = str(target[0])
        new_dims = ", ".join([first, *map(str, sizes)])
        return x.with_(expr=f"{paren(expr)}.reshape({new_dims})",
                       shape=tuple(None if v == -1 else v for v in sizes))
    if short == "extract_patches":
        return _patches(x, rest, kwargs)
    if short in ("squeeze", "expand_dims"):
        axis = kwargs.get("axis", rest[0] if rest else None)
        if not isinstance(axis, int) or isinstance(axis, bool) or x.batchless:
            return None
        x = in_layout(x, "keras")
        rank = len(x.shape) + 1
        if short == "squeeze":
            k = axis % rank
            if k == 0 or x.shape[k - 1] != 1:
                return None  # the batch axis, or a size not known to be 1
            return x.with_(expr=f"{paren(x.expr)}.squeeze({k})",
                           shape=x.shape[:k - 1] + x.shape[k:])
        k = axis % (rank + 1)
        if k == 0:
            return None
        return x.with_(expr=f"{paren(x.expr)}.unsqueeze({k})",
                       shape=x.shape[:k - 1] + (1,) + x.shape[k - 1:])
    if short == "slice":
        return _slice(x, kwargs.get("start_indices", rest[0] if rest else None),
                      kwargs.get("shape", rest[1] if len(rest) > 1 else None))
    if short == "broadcast_to":
        return _broadcast(x, kwargs.get("shape", rest[0] if rest else None))
    if short == "transpose":
        x = in_layout(x, "keras")
        expr = x.expr
        perm = _axes(kwargs.get("axes", kwargs.get("perm", rest[0] if rest else None)))
        if perm is None or perm[0] != 0:
            return None
        shape = tuple(x.shape[p - 1] for p in perm[1:])
        return x.with_(expr=f"{paren(expr)}.permute({', '.join(map(str, perm))})", shape=shape)
    if qualname == "keras.random.dropout":
        # Keras applies it whenever call() runs, inference included: so does the translation
        rate = kwargs.get("rate", rest[0] if rest else None)
        if not isinstance(rate, int | float):
            return None
        return x.with_(expr=f"F.dropout({x.expr}, {rate!r}, training=True)")
    if isinstance(node, ast.AST) and short in ("sqrt", "exp", "abs", "square"):
        fn = {"square": "torch.square"}.get(short, f"torch.{short}")
        return x.with_(expr=f"{fn}({x.expr})")
    return None


def _patches(x: Sym, rest: list[Any], kwargs: dict[str, Any]) -> Sym | None:
    """``keras.ops.image.extract_patches(x, size)`` with valid padding: each patch flattened in
    Keras' (row, column, channel) order, as ``Tensor.unfold`` twice and a permute give it."""
    size = kwargs.get("size", rest[0] if rest else None)
    strides = kwargs.get("strides", rest[1] if len(rest) > 1 else None)
    if kwargs.get("dilation_rate", 1) not in (1, (1, 1)) or kwargs.get(
            "padding", "valid") != "valid" or kwargs.get("data_format") not in (
            None, "channels_last") or len(x.shape) != 3:
        return None
    ph, pw = (size, size) if isinstance(size, int) else tuple(size or ())
    sh, sw = (ph, pw) if strides is None else (strides, strides) if isinstance(
        strides, int) else tuple(strides)
    if not all(isinstance(v, int) for v in (ph, pw, sh, sw)):
        return None
    height, width, channels = x.shape
    out = tuple(None if v is None else (v - p) // s + 1
                for v, p, s in ((height, ph, sh), (width, pw, sw)))
    depth = channels * ph * pw if isinstance(channels, int) else None
    if x.layout == "cf":  # N, C, H, W -> N, H', W', C, ph, pw... as rows, columns, channels
        expr = (f"{paren(x.expr)}.unfold(2, {ph}, {sh}).unfold(3, {pw}, {sw})"
                ".permute(0, 2, 3, 4, 5, 1).flatten(3)")
    else:
        x = in_layout(x, "keras")
        expr = (f"{paren(x.expr)}.unfold(1, {ph}, {sh}).unfold(2, {pw}, {sw})"
                ".permute(0, 1, 2, 4, 5, 3).flatten(3)")
    return x.with_(expr=expr, shape=(*out, depth), layout="keras")


def _slice(x: Sym, start: Any, size: Any) -> Sym | None:
    """``keras.ops.slice(w, (0, 0), (n, d))`` of a weight or constant (no batch axis)."""
    if not x.batchless or not isinstance(start, tuple | list) or not isinstance(
            size, tuple | list) or len(start) != len(size) or len(start) != len(x.shape) or \
            not all(isinstance(v, int) and not isinstance(v, bool) for v in (*start, *size)):
        return None
    index = ", ".join(f"{b}:{b + n}" if (b, n) != (0, d) else ":"
                      for b, n, d in zip(start, size, x.shape, strict=True))
    if set(index.split(", ")) == {":"}:
        return x  # the whole of it
    return x.with_(expr=f"{paren(x.expr)}[{index}]", shape=tuple(size))


def _broadcast(x: Sym, shape: Any) -> Sym | None:
    """``keras.ops.broadcast_to(w, keras.ops.shape(inputs))``: a constant over the batch."""
    if not isinstance(shape, tuple | list) or not shape or not isinstance(shape[0], Batch) or \
            not all(isinstance(v, int) and not isinstance(v, bool) for v in shape[1:]) or \
            not x.batchless or len(x.shape) > len(shape):
        return None
    sizes = ", ".join(map(str, shape[1:]))
    return x.with_(expr=f"{paren(x.expr)}.expand({shape[0].expr}, {sizes})",
                   shape=tuple(shape[1:]), batchless=False, layout="keras")
