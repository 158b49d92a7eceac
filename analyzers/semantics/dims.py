"""Dimensions and shapes as the code shows them: a number where it is known, a symbol or a
simple expression where it is not (``H``, ``H-2``, ``H/2``), the batch axis written ``N``."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

Dim = int | str
Shape = tuple[Dim, ...]
_OFFSET = re.compile(r"^(.*?)([+-]\d+)$")
UNKNOWN_DIM = "?"  # a size nothing states (a conv's out_channels computed in __init__)


class ShapeError(ValueError):
    """What flows in cannot go through the layer (a window larger than its input, ...)."""


def fmt_shape(shape: Shape) -> str:
    """``(N, 32, 26, 26)``; a one-element shape keeps its comma: ``(N,)``; a dim that
    depends on an unknown size is ``?``."""
    shown = [UNKNOWN_DIM if isinstance(d, str) and UNKNOWN_DIM in d else str(d) for d in shape]
    if len(shown) == 1:
        return f"({shown[0]},)"
    return "(" + ", ".join(shown) + ")"


def known_part(shape: Shape) -> Shape | None:
    """``shape`` with each dim that depends on an unknown size written ``?``; None when
    nothing past the batch axis is known (no hint says only that)."""
    out = tuple(UNKNOWN_DIM if isinstance(d, str) and UNKNOWN_DIM in d else d for d in shape)
    return None if out and all(d == UNKNOWN_DIM for d in out[1:]) else out


def plus(d: Dim, n: int) -> Dim:
    """``d + n``: ``H`` + -2 -> ``H-2``, ``H-2`` + 1 -> ``H-1``."""
    if isinstance(d, int):
        return d + n
    if n == 0:
        return d
    m = _OFFSET.match(d)
    # a trailing constant sits outside any floor division: (H-1)/2+1 - 1 is (H-1)/2
    base, off = (m.group(1), int(m.group(2))) if m and m.group(1) else (d, 0)
    total = off + n
    if total == 0:
        return base
    return f"{base}{total:+d}"


def over(d: Dim, n: int) -> Dim:
    """``floor(d / n)``."""
    if n == 1:
        return d
    if isinstance(d, int):
        return d // n
    return f"{d}/{n}" if re.fullmatch(r"\w+", d) else f"({d})/{n}"


def times(d: Dim, n: int) -> Dim:
    if n == 1:
        return d
    if isinstance(d, int):
        return d * n
    return f"{n}*{d}" if re.fullmatch(r"\w+", d) else f"{n}*({d})"


def product(dims: Sequence[Dim]) -> Dim:
    """The size of a flattened block: a number when every dim is one, else ``C*H*W``."""
    known = math.prod(d for d in dims if isinstance(d, int))
    symbols = [d if re.fullmatch(r"\w+", d) else f"({d})" for d in dims if isinstance(d, str)]
    if not symbols:
        return known
    if known == 1 and len(symbols) == 1:
        return next(d for d in dims if isinstance(d, str))
    return "*".join(([str(known)] if known != 1 else []) + symbols)


def window(d: Dim, kernel: int, stride: int = 1, padding: int = 0, dilation: int = 1,
           ceil_mode: bool = False) -> Dim:
    """Output length of a convolution or pooling window (PyTorch's formula; Keras' ``valid``
    is padding 0)."""
    span = dilation * (kernel - 1) + 1
    if isinstance(d, int):
        room = d + 2 * padding - span
        if room < 0:
            raise ShapeError(f"a window of {span} does not fit an input of size {d}")
        return (-(-room // stride) if ceil_mode else room // stride) + 1
    inner = plus(d, 2 * padding - span)
    if stride == 1:
        return plus(inner, 1)
    if 2 * padding - span + stride == 0:  # the common (H - k) / k + 1 == H / k
        return over(d, stride)
    return plus(over(inner, stride), 1)


def same(d: Dim, stride: int) -> Dim:
    """Keras ``padding="same"``: ``ceil(d / stride)``."""
    if isinstance(d, int):
        return -(-d // stride)
    return d if stride == 1 else over(plus(d, stride - 1), stride)


def transposed(d: Dim, kernel: int, stride: int = 1, padding: int = 0, dilation: int = 1,
               output_padding: int = 0) -> Dim:
    """Output length of a transposed convolution (PyTorch's formula)."""
    return plus(times(plus(d, -1), stride),
                -2 * padding + dilation * (kernel - 1) + output_padding + 1)
