"""Static shape arithmetic for Keras layers (channels-last shapes, batch axis excluded).

Also the layout helpers: a traced tensor is either in Keras' own layout (``keras``), channels-first
(``cf``: Keras ``(H, W, C)`` is torch ``(N, C, H, W)``), or ``flatcf``: the flattened form of a
channels-first map, whose element order differs from Keras' flatten of the same map.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

Shape = tuple[int | None, ...]


@dataclass(eq=False)
class Node:
    """One call of a Keras operation in a Functional graph (for Keras' layer order)."""

    op: Any
    parents: list[Node] = field(default_factory=list)
    is_input: bool = False


@dataclass
class Sym:
    """A tensor flowing through the traced model: Keras shape, torch layout and expression."""

    shape: Shape
    layout: str = "keras"
    expr: str = "x"
    dtype: str = "float32"
    origin: str | None = None  # the model input it came from through layout-agnostic ops only
    flat_from: tuple[int, ...] | None = None  # for flatcf: the channels-first shape flattened
    node: Any = None  # producer node (for Keras' layer ordering of Functional models)
    vocab: int | None = None
    gap: int | None = None  # partial mode: line of the placeholder this tensor went through
    # a constant built in call() (keras.ops.arange position ids): no batch axis, ``shape`` is
    # all of it; it broadcasts against batched tensors as in Keras
    batchless: bool = False

    def with_(self, **changes: Any) -> Sym:
        data = dict(self.__dict__)
        data.update(changes)
        return Sym(**data)


def norm_layout(shape: Shape, layout: str) -> str:
    """Tensors of rank <= 1 (plus batch) look the same in every layout."""
    if layout == "cf" and len(shape) < 2:
        return "keras"
    return layout


def to_cf_perm(rank: int) -> tuple[int, ...]:
    """Permutation (batch included) from channels-last to channels-first, ``rank`` w/o batch."""
    return (0, rank, *range(1, rank))


def to_keras_perm(rank: int) -> tuple[int, ...]:
    """Permutation (batch included) from channels-first back to channels-last."""
    return (0, *range(2, rank + 1), 1)


def torch_axis(axis: int, rank: int, layout: str) -> int:
    """Where Keras axis ``axis`` (batch counted, may be negative) lives in the torch tensor."""
    if layout != "cf":
        return axis
    full = rank + 1
    a = axis % full
    if a == 0:
        return 0
    return 1 if a == full - 1 else a + 1


def conv_out(size: int | None, k: int, s: int, d: int, padding: str) -> int | None:
    """Output length of a convolution / pooling window along one axis (Keras semantics)."""
    if size is None:
        return None
    if padding == "same":
        return -(-size // s)
    if padding == "causal":
        return size
    eff = (k - 1) * d + 1
    return (size - eff) // s + 1


def same_pads(size: int | None, k: int, s: int, d: int) -> tuple[int, int]:
    """TF's ``same`` padding: the extra element goes after (bottom/right)."""
    if size is None:
        raise ValueError("padding='same' at stride > 1 needs a known spatial size")
    out = -(-size // s)
    total = max((out - 1) * s + (k - 1) * d + 1 - size, 0)
    return total // 2, total - total // 2


def fmt_tuple(values: tuple[int, ...]) -> str:
    """``3`` for a square ``(3, 3)``, else ``(3, 5)``."""
    if len(set(values)) == 1:
        return str(values[0])
    return "(" + ", ".join(map(str, values)) + ")"


def fmt_dims(values: tuple[int, ...]) -> str:
    """``(1, 2)`` / ``(1,)`` for a dims tuple."""
    return "(" + ", ".join(map(str, values)) + ("," if len(values) == 1 else "") + ")"
