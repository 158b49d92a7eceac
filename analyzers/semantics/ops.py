"""Tensor operations on shapes: torch functions (``F.relu``, ``torch.cat``, ``torch.flatten``),
tensor methods (``x.view``, ``x.mean(dim=1)``, ``x.permute(0, 2, 1)``), indexing
(``out[:, -1]``, ``h[-1]``) and the several outputs of a layer (``Outputs``: an LSTM's
``output, (h_n, c_n)``). Every function answers None where the result is not certain."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Union

import libcst as cst

from .args import UNKNOWN, literal
from .dims import UNKNOWN_DIM, Dim, Shape, ShapeError, fmt_shape, product, window


@dataclass(frozen=True)
class Outputs:
    """A tuple of results (tensors or nested tuples), each None where unknown."""

    items: tuple[Value, ...]


Value = Union[Shape, Outputs, None]  # noqa: UP007 - a recursive alias needs the string form
# Where an operation certainly fails (sizes the code states differ): the call, what is wrong.
Report = Callable[[cst.CSTNode, str], None]

SAME_SHAPE_FUNCTIONS = frozenset(
    f"{prefix}.{name}" for prefix in ("torch.nn.functional", "torch")
    for name in ("relu", "relu6", "gelu", "silu", "elu", "selu", "celu", "leaky_relu",
                 "sigmoid", "tanh", "softmax", "log_softmax", "dropout", "hardswish", "mish",
                 "softplus", "hardtanh", "hardsigmoid", "logsigmoid", "abs", "exp", "neg"))
SAME_SHAPE_METHODS = frozenset((
    "relu", "sigmoid", "tanh", "softmax", "log_softmax", "float", "double", "half",
    "contiguous", "clone", "detach", "abs", "exp", "neg", "sqrt", "log", "relu_", "sigmoid_",
    "tanh_", "to", "cuda", "cpu", "type_as", "clamp", "pow", "long", "int", "bool"))
_REDUCTIONS = ("mean", "sum", "amax", "amin", "prod", "std", "var", "logsumexp")


def is_number(expr: cst.BaseExpression) -> bool:
    value = literal(expr)
    return isinstance(value, int | float) and not isinstance(value, bool)


class CallArgs:
    """A call's literal arguments: ``positional`` after the tensor(s), ``keywords``."""

    def __init__(self, call: cst.Call, skip: int) -> None:
        self.positional = [literal(a.value) for a in call.args[skip:] if a.keyword is None]
        self.keywords = {a.keyword.value: literal(a.value) for a in call.args if a.keyword}
        self.opaque = any(a.star for a in call.args)

    def get(self, name: str, index: int, default: Any = UNKNOWN) -> Any:
        if name in self.keywords:
            return self.keywords[name]
        if index < len(self.positional):
            return self.positional[index]
        return UNKNOWN if self.opaque else default


def _axis(dim: Any, rank: int) -> int | None:
    if not isinstance(dim, int) or isinstance(dim, bool) or not -rank <= dim < rank:
        return None
    return dim % rank


def reduce(shape: Shape, args: CallArgs) -> Shape | None:
    """``mean``/``sum``... over ``dim`` (an int or a tuple), ``keepdim`` honoured."""
    dim, keep = args.get("dim", 0, None), args.get("keepdim", 1, False)
    if not isinstance(keep, bool):
        return None
    if dim is None:
        return tuple(1 for _ in shape) if keep else ()
    dims = dim if isinstance(dim, tuple) else (dim,)
    axes = {_axis(d, len(shape)) for d in dims}
    if None in axes:
        return None
    return tuple(1 if i in axes else d for i, d in enumerate(shape) if keep or i not in axes)


def permute(shape: Shape, order: Any) -> Shape | None:
    if not isinstance(order, tuple) or sorted(
            a % len(shape) if isinstance(a, int) else -1 for a in order) != list(range(len(shape))):
        return None
    return tuple(shape[a] for a in order)


def transpose(shape: Shape, a: Any, b: Any) -> Shape | None:
    i, j = _axis(a, len(shape)), _axis(b, len(shape))
    if i is None or j is None:
        return None
    out = list(shape)
    out[i], out[j] = out[j], out[i]
    return tuple(out)


def unsqueeze(shape: Shape, dim: Any) -> Shape | None:
    i = _axis(dim, len(shape) + 1)
    return None if i is None else (*shape[:i], 1, *shape[i:])


def squeeze(shape: Shape, dim: Any) -> Shape | None:
    i = _axis(dim, len(shape))
    if i is None:
        return None
    if shape[i] == 1:
        return (*shape[:i], *shape[i + 1:])
    return shape if isinstance(shape[i], int) else None  # a symbol might be 1


def flatten(shape: Shape, start: Any, end: Any = -1) -> Shape | None:
    if not shape:
        return None
    i, j = _axis(start, len(shape)), _axis(end, len(shape))
    if i is None or j is None or i > j:
        return None
    return (*shape[:i], product(shape[i:j + 1]), *shape[j + 1:])


def concat(shapes: Sequence[Shape | None], dim: Any, stack: bool = False) -> Shape | None:
    if not shapes or any(s is None for s in shapes):
        return None
    known = [s for s in shapes if s is not None]
    first = known[0]
    if any(len(s) != len(first) for s in known):
        return None
    if stack:
        if any(s != first for s in known):
            return None
        i = _axis(dim, len(first) + 1)
        return None if i is None else (*first[:i], len(known), *first[i:])
    i = _axis(dim, len(first))
    if i is None or any(s[:i] + s[i + 1:] != first[:i] + first[i + 1:] for s in known):
        return None
    sizes = [s[i] for s in known]
    if all(isinstance(d, int) for d in sizes):
        return (*first[:i], sum(d for d in sizes if isinstance(d, int)), *first[i + 1:])
    if len(set(sizes)) == 1:  # the same symbol n times
        return (*first[:i], f"{len(sizes)}*{sizes[0]}", *first[i + 1:])
    return None


def _differ(a: Dim, b: Dim) -> bool:
    """Two sizes the code states as numbers, and different (a symbol might be anything)."""
    return isinstance(a, int) and isinstance(b, int) and a != b


def concat_mismatch(shapes: Sequence[Shape], dim: Any, stack: bool) -> str | None:
    """Why ``torch.cat`` / ``torch.stack`` of ``shapes`` on ``dim`` certainly fails: two
    tensors of one rank whose sizes off the joined axis (any axis, for stack) are numbers that
    differ; None where it may work."""
    first = shapes[0]
    if any(len(s) != len(first) for s in shapes) or not first:
        return None
    i = None if stack else _axis(dim, len(first))
    if i is None and not stack:
        return None
    for other in shapes[1:]:
        axes = [a for a in range(len(first)) if a != i and _differ(first[a], other[a])]
        if axes:
            what = "every size" if stack else f"the sizes off dim {i}"
            return f"{what} must match, but dim {axes[0]} is {first[axes[0]]} in " \
                   f"{fmt_shape(first)} and {other[axes[0]]} in {fmt_shape(other)}"
    return None


def _broadcast(a: Shape, b: Shape) -> Shape | None:
    """The batch axes of a matmul broadcast together; None where not certain."""
    out: list[Dim] = []
    for i in range(1, max(len(a), len(b)) + 1):
        x, y = (a[-i] if i <= len(a) else 1), (b[-i] if i <= len(b) else 1)
        if x == y or y == 1:
            out.append(x)
        elif x == 1:
            out.append(y)
        else:
            return None
    return tuple(reversed(out))


def matmul(a: Shape, b: Shape, op: str, node: cst.CSTNode, report: Report | None = None
           ) -> Shape | None:
    """``a @ b`` (``op``: ``@``, ``matmul``, ``mm``, ``bmm``): the result, or None; where the
    inner sizes are numbers that differ, ``report`` is told and the result is None."""
    if not a or not b or (op == "mm" and (len(a), len(b)) != (2, 2)) \
            or (op == "bmm" and (len(a), len(b)) != (3, 3)):
        return None
    left, right = a[-1], b[0] if len(b) == 1 else b[-2]
    if _differ(left, right):
        if report is not None:
            report(node, f"`{op}` of {fmt_shape(a)} and {fmt_shape(b)}: the inner sizes "
                         f"{left} and {right} differ")
        return None
    if left != right:
        return None
    if len(b) == 1:
        return a[:-1]
    if len(a) == 1:
        return (*b[:-2], b[-1])
    if op == "bmm":
        return (a[0], a[1], b[2]) if a[0] == b[0] else None
    batch = _broadcast(a[:-2], b[:-2])
    return None if batch is None else (*batch, a[-2], b[-1])


def index(value: Value, node: cst.Subscript) -> Value:
    """``x[0]``, ``h[-1]``, ``out[:, -1]``, ``out[:, -1, :]``; a tuple's item."""
    items = node.slice
    if isinstance(value, Outputs):
        if len(items) == 1 and isinstance(items[0].slice, cst.Index):
            i = literal(items[0].slice.value)
            if isinstance(i, int) and not isinstance(i, bool) and -len(value.items) <= i \
                    < len(value.items):
                return value.items[i]
        return None
    if value is None or len(items) > len(value):
        return None
    out: list[Dim] = []
    for element, d in zip(items, value, strict=False):
        s = element.slice
        if isinstance(s, cst.Index):
            i = literal(s.value)
            if not isinstance(i, int) or isinstance(i, bool):
                return None
            continue  # an integer index drops the axis
        if not isinstance(s, cst.Slice):
            return None
        bounds = [literal(b) if b is not None else None for b in (s.lower, s.upper, s.step)]
        if any(b is not None and (not isinstance(b, int) or isinstance(b, bool))
               for b in bounds) or bounds[2] == 0:
            return None
        if bounds == [None, None, None]:
            out.append(d)
        else:  # x[:50]: the slice's length where the size is known
            out.append(len(range(d)[slice(*bounds)]) if isinstance(d, int) else UNKNOWN_DIM)
    return (*out, *value[len(items):])


def pool2d(shape: Shape, kernel: Any, stride: Any) -> Shape | None:
    if len(shape) < 3 or not isinstance(kernel, int) or not isinstance(stride, int):
        return None
    try:
        return (*shape[:-2], window(shape[-2], kernel, stride), window(shape[-1], kernel, stride))
    except ShapeError:
        return None


def function(name: str, call: cst.Call, shape_of: Callable[[cst.BaseExpression], Value],
             report: Report | None = None) -> Value:
    """A torch function applied to tensors (its first argument, or a list of them);
    ``report`` is told where it certainly fails."""
    if name in ("torch.cat", "torch.concat", "torch.concatenate", "torch.stack") and call.args:
        seq = call.args[0].value
        if not isinstance(seq, cst.List | cst.Tuple) \
                or any(isinstance(el, cst.StarredElement) for el in seq.elements):
            return None
        shapes = [shape_of(el.value) for el in seq.elements]
        if any(not isinstance(s, tuple) for s in shapes):
            return None
        dim, stack = CallArgs(call, 1).get("dim", 0, 0), name == "torch.stack"
        wrong = concat_mismatch(shapes, dim, stack) if report is not None else None  # type: ignore[arg-type]
        if wrong is not None:
            report(call, f"`{name.rpartition('.')[2]}`: {wrong}")  # type: ignore[misc]
            return None
        return concat(shapes, dim, stack)  # type: ignore[arg-type]
    if name in ("torch.matmul", "torch.mm", "torch.bmm") and len(call.args) >= 2:
        a, b = shape_of(call.args[0].value), shape_of(call.args[1].value)
        if not isinstance(a, tuple) or not isinstance(b, tuple) \
                or any(arg.star or arg.keyword is not None for arg in call.args[:2]):
            return None
        return matmul(a, b, name.rpartition(".")[2], call, report)
    shape = shape_of(call.args[0].value) if call.args else None
    if not isinstance(shape, tuple):
        return None
    if name in SAME_SHAPE_FUNCTIONS:
        return shape
    args = CallArgs(call, 1)
    if name in ("torch.nn.functional.max_pool2d", "torch.nn.functional.avg_pool2d"):
        kernel = args.get("kernel_size", 0)
        stride = args.get("stride", 1, None)
        return pool2d(shape, kernel, kernel if stride is None else stride)
    short = name.rpartition(".")[2]
    if name.startswith("torch.") and name.count(".") == 1:
        return method(short, shape, call, skip=1)
    return None


def method(name: str, shape: Shape, call: cst.Call, skip: int = 0,
           shape_of: Callable[[cst.BaseExpression], Value] | None = None,
           report: Report | None = None) -> Value:
    """A tensor method (or the torch function of that name, its tensor at ``skip``);
    ``shape_of`` gives its tensor arguments (``x.matmul(w)``)."""
    if name in SAME_SHAPE_METHODS:
        return shape
    if name in ("matmul", "mm", "bmm") and skip == 0 and shape_of is not None \
            and len(call.args) == 1 and call.args[0].keyword is None and not call.args[0].star:
        other = shape_of(call.args[0].value)
        return matmul(shape, other, name, call, report) if isinstance(other, tuple) else None
    args = CallArgs(call, skip)
    if name == "flatten":
        return flatten(shape, args.get("start_dim", 0, 0), args.get("end_dim", 1, -1))
    if name in ("view", "reshape") and skip == 0:
        return view(shape, call)
    if name in _REDUCTIONS:
        return reduce(shape, args)
    if name == "permute":
        order = args.positional[0] if len(args.positional) == 1 else tuple(args.positional)
        return permute(shape, args.keywords.get("dims", order))
    if name in ("transpose", "swapaxes"):
        return transpose(shape, args.get("dim0", 0), args.get("dim1", 1))
    if name == "t" and len(shape) == 2:
        return (shape[1], shape[0])
    if name == "unsqueeze":
        return unsqueeze(shape, args.get("dim", 0))
    if name == "squeeze" and (args.positional or "dim" in args.keywords):
        return squeeze(shape, args.get("dim", 0))
    return None


def view(shape: Shape, call: cst.Call) -> Shape | None:
    """``x.view(x.size(0), -1)``, ``x.view(-1, 320)``, ``x.reshape(N, 4, 8)``."""
    args = [a.value for a in call.args]
    if len(args) == 1 and isinstance(args[0], cst.Tuple | cst.List):
        args = [el.value for el in args[0].elements]
    dims: list[Dim | None] = []
    for arg in args:
        value = literal(arg)
        if isinstance(value, int) and not isinstance(value, bool):
            dims.append(value)
        elif _is_batch_size(arg):
            dims.append(shape[0])
        else:
            return None
    total = product(shape)
    if dims.count(-1) == 1:
        known = [d for d in dims if d != -1]
        if all(isinstance(d, int) for d in known) and isinstance(total, int):
            rest = math.prod(d for d in known if isinstance(d, int))
            if rest == 0 or total % rest:
                return None
            dims = [total // rest if d == -1 else d for d in dims]
        elif known == [shape[0]] and dims[0] == shape[0]:
            dims = [shape[0], product(shape[1:])]
        elif dims[0] == -1 and all(isinstance(d, int) for d in dims[1:]) \
                and product(shape[1:]) == math.prod(d for d in dims[1:] if isinstance(d, int)):
            dims = [shape[0], *dims[1:]]  # the per-sample size is kept: the batch stays
        else:
            return None
    if any(d is None for d in dims):
        return None
    return tuple(d for d in dims if d is not None)


def _is_batch_size(arg: cst.BaseExpression) -> bool:
    """``x.size(0)``, ``x.shape[0]``; ``len(x)`` and ``batch_size``-like names are not
    assumed."""
    if isinstance(arg, cst.Call) and isinstance(arg.func, cst.Attribute) \
            and arg.func.attr.value == "size" and len(arg.args) == 1:
        return literal(arg.args[0].value) == 0
    if isinstance(arg, cst.Subscript) and isinstance(arg.value, cst.Attribute) \
            and arg.value.attr.value == "shape" and len(arg.slice) == 1 \
            and isinstance(arg.slice[0].slice, cst.Index):
        return literal(arg.slice[0].slice.value) == 0
    return False
