"""Values flowing through a translated ``forward`` and the channels-first -> channels-last algebra.

Every tensor the translator tracks is a :class:`Val`: the Keras expression that computes it, its
shape in the *PyTorch* layout (batch axis included, ``None`` = unknown) and ``perm``, the layout
of the Keras tensor relative to the PyTorch one: Keras tensor = ``torch_tensor.permute(perm)``
(``None`` = same order). Layers that want channels-last get it by a transpose that is emitted
only when the current layout differs (lazily: ``x.permute(0, 2, 1)`` in torch often becomes no
code at all, because the Keras tensor already has that order).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..shapes import Shape

Perm = tuple[int, ...]


@dataclass
class Val:
    """A value in the translated forward: a tensor, a Python value, or a tuple of values."""

    expr: str
    shape: Shape | None = None
    perm: Perm | None = None
    kind: str = "tensor"  # tensor | py | tuple | rnn_last | rnn_state
    items: list[Val] = field(default_factory=list)
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def rank(self) -> int | None:
        return len(self.shape) if self.shape is not None else None

    def renamed(self, name: str) -> Val:
        """The same value once assigned to ``name``."""
        return Val(name, self.shape, self.perm, self.kind, self.items, self.info)


def channels_last(rank: int) -> Perm | None:
    """Permutation that moves axis 1 (channels) last, e.g. (0, 2, 3, 1); None for rank <= 2."""
    if rank <= 2:
        return None
    return (0,) + tuple(range(2, rank)) + (1,)


def norm_perm(perm: Perm | None) -> Perm | None:
    """``None`` for an identity permutation."""
    if perm is None or perm == tuple(range(len(perm))):
        return None
    return perm


def invert(perm: Perm) -> Perm:
    out = [0] * len(perm)
    for i, p in enumerate(perm):
        out[p] = i
    return tuple(out)


def relayout(current: Perm | None, desired: Perm | None, rank: int) -> Perm | None:
    """Axes ``R`` with ``keras_desired = keras_current.transpose(R)``; None if nothing to do."""
    cur = current or tuple(range(rank))
    want = desired or tuple(range(rank))
    inv = invert(cur)
    return norm_perm(tuple(inv[d] for d in want))


def target_axis(val: Val, axis: int) -> int:
    """Keras axis of the PyTorch axis ``axis`` of ``val`` (negative axes allowed)."""
    rank = val.rank
    assert rank is not None
    axis %= rank
    if val.perm is None:
        return axis
    return val.perm.index(axis)


def keras_axis_text(val: Val, axis: int) -> str:
    """``-1`` for the last Keras axis (reads better), else the index."""
    ax = target_axis(val, axis)
    return "-1" if val.rank is not None and ax == val.rank - 1 and ax > 1 else str(ax)


def after_permute(val: Val, dims: Perm) -> Perm | None:
    """Layout of ``val.permute(dims)`` when no Keras code is emitted for the permute."""
    rank = len(dims)
    cur = val.perm or tuple(range(rank))
    inv = invert(dims)
    return norm_perm(tuple(inv[p] for p in cur))


def after_reduce(perm: Perm | None, axes: set[int], rank: int) -> Perm | None:
    """Layout once the PyTorch ``axes`` are removed (mean without keepdim, integer index)."""
    if perm is None:
        return None
    kept = [p for p in perm if p not in axes]
    return norm_perm(tuple(p - sum(1 for a in axes if a < p) for p in kept))


def is_noop_transpose(shape: Shape | None, axes: Perm) -> bool:
    """True when transposing (Keras-side) ``shape`` by ``axes`` only moves size-1 axes.

    Then flatten / reshape see the same memory order and the transpose can be left out.
    """
    if shape is None:
        return False
    big = [a for a in axes if a == 0 or shape[a] != 1]  # unknown sizes count as big
    return big == sorted(big)


def transposed_shape(shape: Shape, perm: Perm | None) -> Shape:
    """The Keras-side shape of a tensor whose PyTorch shape is ``shape``."""
    return shape if perm is None else tuple(shape[p] for p in perm)
