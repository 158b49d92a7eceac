"""Tensors and arrays as their creators state them: ``torch.randn(8, 3)``,
``np.zeros((8, 3))``, ``torch.randint(0, 10, (8,))``, ``np.random.uniform(size=(100, 1))``,
a literal ``torch.tensor([1.0, 2.0])``, and the same data again (``torch.tensor(X_train,
dtype=torch.float32)``, ``torch.from_numpy(y)``). A size given as a length (``len(x)``,
``x.shape[0]``, ``x.size(0)``) is the tensor's size where known, else ``?``."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import libcst as cst

from .args import UNKNOWN, literal
from .dims import UNKNOWN_DIM, Dim, Shape

SIZED = frozenset(f"{m}.{n}" for m in ("torch", "numpy", "numpy.random")
                  for n in ("randn", "rand", "zeros", "ones", "empty", "randint"))
# numpy.random functions whose size is a keyword (or the argument after their parameters).
_NUMPY_SIZE = {f"numpy.random.{n}": i for n, i in (
    ("uniform", 2), ("normal", 2), ("random", 0), ("random_sample", 0),
    ("standard_normal", 0))}
# The same data as a tensor or an array: its shape is the data's.
_FROM_DATA = frozenset(("torch.tensor", "torch.as_tensor", "torch.Tensor", "torch.FloatTensor",
                        "torch.LongTensor", "torch.from_numpy", "torch.asarray",
                        "numpy.array", "numpy.asarray"))
CREATORS = SIZED | frozenset(_NUMPY_SIZE) | _FROM_DATA | {"numpy.arange"}
ShapeOf = Callable[[cst.BaseExpression], Shape | None]


def created(name: str, call: cst.Call, consts: Mapping[str, Any], shape_of: ShapeOf
            ) -> Shape | None:
    """The shape ``call`` of creator ``name`` (one of :data:`CREATORS`) makes, or None."""
    if any(a.star for a in call.args):
        return None
    positional = [a.value for a in call.args if a.keyword is None]
    size = next((a.value for a in call.args if a.keyword is not None
                 and a.keyword.value in ("size", "shape")), None)
    if name in _FROM_DATA:
        return _data(positional[0], shape_of) if positional else None
    if name == "numpy.arange":
        dims: Any = tuple(literal(p, consts) for p in positional) if len(positional) == 1 \
            else UNKNOWN
    elif name in _NUMPY_SIZE:
        index = _NUMPY_SIZE[name]
        if size is None and len(positional) > index:
            size = positional[index]
        dims = _dims(size, consts, shape_of) if size is not None else UNKNOWN
    elif name.endswith(".randint"):
        # torch.randint(low, high, size) / (high, size); np.random.randint(low, high, size)
        if size is None and positional:
            size = positional[-1] if len(positional) > 1 else None
        dims = _dims(size, consts, shape_of) if size is not None else UNKNOWN
    elif len(positional) == 1 and not isinstance(positional[0], cst.Name | cst.Attribute):
        dims = _dims(positional[0], consts, shape_of)
    elif len(positional) == 1:
        dims = literal(positional[0], consts)
        dims = (dims,) if _is_size(dims) else dims
    else:
        dims = tuple(_length(p, consts, shape_of) for p in positional)
    if not isinstance(dims, tuple) or not dims \
            or not all(_is_size(d) or d == UNKNOWN_DIM for d in dims):
        return None
    return dims


def _is_size(d: Any) -> bool:
    return isinstance(d, int) and not isinstance(d, bool) and d >= 0


def _dims(node: cst.BaseExpression, consts: Mapping[str, Any], shape_of: ShapeOf) -> Any:
    """A size argument: a tuple of sizes, or one size."""
    if isinstance(node, cst.Tuple | cst.List):
        return tuple(_length(el.value, consts, shape_of) for el in node.elements)
    value = _length(node, consts, shape_of)
    return (value,) if value is not UNKNOWN else UNKNOWN


def _length(node: cst.BaseExpression, consts: Mapping[str, Any], shape_of: ShapeOf) -> Any:
    """One size: a number the code states, a tensor's length, or UNKNOWN."""
    value = literal(node, consts)
    if value is not UNKNOWN:
        return value
    tensor, axis = _measured(node)
    if tensor is None:
        return UNKNOWN
    shape = shape_of(tensor)
    if shape is not None and -len(shape) <= axis < len(shape):
        d: Dim = shape[axis]
        return d if isinstance(d, int) else UNKNOWN_DIM
    return UNKNOWN_DIM


def _measured(node: cst.BaseExpression) -> tuple[cst.BaseExpression | None, int]:
    """``len(x)``, ``x.shape[i]``, ``x.size(i)``: (x, i); else (None, 0)."""
    if isinstance(node, cst.Call) and isinstance(node.func, cst.Name) \
            and node.func.value == "len" and len(node.args) == 1:
        return node.args[0].value, 0
    if isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute) \
            and node.func.attr.value == "size" and len(node.args) == 1:
        axis = literal(node.args[0].value)
        return (node.func.value, axis) if isinstance(axis, int) else (None, 0)
    if isinstance(node, cst.Subscript) and isinstance(node.value, cst.Attribute) \
            and node.value.attr.value == "shape" and len(node.slice) == 1 \
            and isinstance(node.slice[0].slice, cst.Index):
        axis = literal(node.slice[0].slice.value)
        return (node.value.value, axis) if isinstance(axis, int) else (None, 0)
    return None, 0


def _data(node: cst.BaseExpression, shape_of: ShapeOf) -> Shape | None:
    """The shape of data: nested list literals of numbers, or a tensor or array."""
    if not isinstance(node, cst.List | cst.Tuple):
        return shape_of(node)
    items = [el.value for el in node.elements]
    if not items or any(isinstance(el, cst.StarredElement) for el in node.elements):
        return None
    if all(isinstance(literal(i), int | float) and not isinstance(literal(i), bool)
           for i in items):
        return (len(items),)
    inner = [_data(i, shape_of) if isinstance(i, cst.List | cst.Tuple) else None
             for i in items]
    if inner[0] is None or any(s != inner[0] for s in inner):
        return None
    return (len(items), *inner[0])
