"""Tensors a traced model reads that are no layer's output: constants forward built from
Python values (a causal mask ``torch.log(torch.tril(torch.ones(n, n)))``), written as a
``keras.ops`` expression or a small array literal, and buffers or parameters used directly
(``self.pe``), which become Keras variables whose values are copied with the weights. Sizes
and slice bounds that follow the input's first axis (capture.py traced forward at two batch
sizes) are written as that axis's size, so the emitted model is not fixed to the example's."""

from __future__ import annotations

import ast
from typing import Any

import numpy as np

from ..base import WeightTransfer
from ..torch_to_keras.model import Unsupp

_LITERAL_SIZE = 256  # values an array literal may hold inside the emitted call()


def constant_table(value: dict[str, Any]) -> str | None:
    """A larger constant forward builds from sizes alone (simple_vit's 2-D sin-cos position
    table) as a NumPy literal for the module level of the emitted file; None when it is small
    enough for :func:`constant_expr`, a fill, or not written out by the capture."""
    if "values" not in value or value.get("fill") is not None:
        return None
    array = _values(value)
    if array.size <= _LITERAL_SIZE:
        return None
    text = np.array2string(array, separator=", ", threshold=array.size + 1, max_line_width=96,
                           precision=9, floatmode="maxprec").replace("inf", "np.inf")
    return f"np.array({text}, dtype={value['dtype']!r})"


def _values(value: dict[str, Any]) -> np.ndarray:
    return np.array([float(v) for v in value["values"]]).reshape(value["shape"])


def constant_expr(value: dict[str, Any], line: int, batch_axes: list[int] | None = None,
                  size0: str = "") -> str:
    """The Keras expression of a tensor forward made from constants; the sizes on
    ``batch_axes`` follow the input's first axis (``size0`` is its expression)."""
    axes, dtype, fill = set(batch_axes or ()), value["dtype"], value.get("fill")
    sizes = [size0 if i in axes else str(n) for i, n in enumerate(value["shape"])]
    shape = f"({', '.join(sizes)}{',' if len(sizes) == 1 else ''})"
    if isinstance(fill, int | float) and np.isfinite(fill):  # zeros(x.size(0), 51)
        if fill in (0, 1):
            return f"keras.ops.{'zeros' if fill == 0 else 'ones'}({shape}, dtype={dtype!r})"
        return f"keras.ops.full({shape}, {fill!r}, dtype={dtype!r})"
    if "values" not in value:
        raise Unsupp(line, "a tensor built in forward", f"a constant tensor of shape "
                     f"{tuple(value['shape'])} is too large to write out; register it as a "
                     "buffer in __init__ (self.register_buffer) so its value is copied")
    array = _values(value)
    if array.ndim == 2 and array.shape[0] == array.shape[1] and len(axes) != 1:
        ones, n = f"keras.ops.ones({shape})", array.shape[0]
        lower, upper = np.tril(np.ones((n, n))), np.triu(np.ones((n, n)))
        for pattern, expr in ((lower, f"keras.ops.tril({ones})"),
                              (upper, f"keras.ops.triu({ones})")):
            if np.array_equal(array, pattern):
                return expr if dtype != "bool" else f"{expr} > 0"
            with np.errstate(divide="ignore"):
                if np.array_equal(array, np.log(pattern)):
                    return f"keras.ops.log({expr})"  # 0 where attended, -inf where masked
        if dtype == "bool" and np.array_equal(array, 1 - lower):
            return f"keras.ops.triu({ones}, 1) > 0"  # True above the diagonal: masked
        if np.array_equal(array, np.eye(n)):  # torch.eye(n): LSA's mask of the diagonal
            return f"keras.ops.eye({n}) > 0" if dtype == "bool" else \
                f"keras.ops.eye({n}, dtype={dtype!r})"
    if axes:
        raise Unsupp(line, "a tensor built in forward", "a constant tensor whose size follows "
                     "the input's first axis and that is no fill or triangular mask; build it "
                     "from the input (torch.zeros_like, torch.ones_like) or as a buffer")
    if array.size > _LITERAL_SIZE:
        raise Unsupp(line, "a tensor built in forward", f"a constant tensor of {array.size} "
                     "values that is no triangular mask; register it as a buffer in __init__ "
                     "(self.register_buffer) so its value is copied")
    text = np.array2string(array, separator=", ", threshold=_LITERAL_SIZE + 1,
                           max_line_width=10_000).replace("inf", "np.inf")
    return f"keras.ops.convert_to_tensor(np.array({text}, dtype={dtype!r}))"


def buffer_weight(target: str, kname: str, value: dict[str, Any], line: int,
                  parameter: bool = False) -> tuple[str, WeightTransfer]:
    """A Keras variable standing for the buffer ``target`` (``pos_encoder.pe``), or for a
    parameter used directly (``F.layer_norm(x, ..., self.weight)``: trained, so trainable),
    and the transfer that copies its value."""
    owner, _, name = target.rpartition(".")
    shape = tuple(value["shape"])
    what = "parameter" if parameter else "buffer"
    code = (f"self.add_weight(shape={shape}, initializer=\"zeros\", trainable={parameter}, "
            f"name=\"{kname}\")  # PyTorch {what} {target}, copied with the weights")
    return code, WeightTransfer("buffer", owner, f"attr:{kname}", {"name": name}, line)


def following_index(elts: list[ast.expr], follow: list[list[Any]], size0: str) -> str:
    """An index whose slice bounds ``follow`` (``[[0, "stop"]]``) are the input's first size:
    ``:src_size0, :`` for ``[:x.size(0), :]``."""
    parts = []
    for i, elt in enumerate(elts):
        if not isinstance(elt, ast.Slice):
            parts.append(ast.unparse(elt))
            continue
        ends = [size0 if [i, torch_part] in follow else "" if getattr(elt, part) is None
                else ast.unparse(getattr(elt, part))
                for part, torch_part in (("lower", "start"), ("upper", "stop"))]
        step = "" if elt.step is None else f":{ast.unparse(elt.step)}"
        parts.append(":".join(ends) + step)
    return ", ".join(parts)
