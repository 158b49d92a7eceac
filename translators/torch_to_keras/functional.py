"""``F.*`` / ``torch.*`` functions and tensor methods inside ``forward`` -> ``keras.ops``."""

from __future__ import annotations

import ast
from typing import Any

from .. import shapes as S
from . import ops
from .eval import UNKNOWN, evaluate
from .forward import Walker
from .layout import Val, channels_last
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
            return ops.permute(x, [ev(a) for a in node.args[skip:]])
        if name == "transpose":
            args = ops.bind(node, ["dim0", "dim1"], skip)
            return ops.transpose(x, ev(args["dim0"]), ev(args["dim1"]))
        if name == "mean":
            args = ops.bind(node, ["dim", "keepdim"], skip)
            dim = ev(args["dim"]) if "dim" in args else None
            keep = ev(args["keepdim"]) if "keepdim" in args else False
            return ops.mean(x, dim, keep)
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
    except ops.OpError as exc:
        raise Unsupp(node.lineno, ast.unparse(node)[:60], str(exc)) from exc
    except S.ShapeMismatch as exc:
        raise ShapeUnsupp(node.lineno, ast.unparse(node)[:60], str(exc)) from exc
    raise Unsupp(node.lineno, ast.unparse(node)[:60],
                 f"{name}() has no keras.ops mapping in mlsense yet")


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
    if "padding" in args and ev(args["padding"]) != 0:
        raise ops.OpError("pooling with padding is not supported")
    kernel = ev(args["kernel_size"])
    stride = ev(args["stride"]) if "stride" in args else None
    stride = kernel if stride is None else stride
    if kernel is UNKNOWN or stride is UNKNOWN:
        raise ops.OpError("pool size and stride must be known")
    fn = "max_pool" if name.startswith("max") else "average_pool"
    expr = f"keras.ops.{fn}({src}, {ast.unparse(args['kernel_size'])}"
    expr += f", strides={ast.unparse(args['stride'])})" if "stride" in args else ")"
    return Val(expr, S.spatial_out(x.shape, rank, kernel, stride, 0), perm)
