"""Static shape inference for the PyTorch layers the torch -> Keras translator maps.

Shapes are tuples in the *PyTorch* layout with the batch axis included (``None`` there); a
``None`` anywhere else means "not known statically". Nothing here imports torch: the functions
mirror the output-size formulas of the PyTorch documentation so the translator can infer input
shapes, pick flatten orders and describe outputs without running anything.
"""

from __future__ import annotations

from collections.abc import Sequence

Shape = tuple[int | None, ...]


class ShapeMismatch(ValueError):
    """A layer received an input whose statically known size contradicts its definition."""


def as_tuple(value: object, rank: int) -> tuple[object, ...]:
    """``3`` -> ``(3, 3)`` for rank 2; tuples and lists pass through unchanged."""
    if isinstance(value, (tuple, list)):
        return tuple(value)
    return (value,) * rank


def all_ints(values: Sequence[object]) -> tuple[int, ...] | None:
    """``values`` as a tuple of ints, or None when any of them is not a (statically known) int."""
    out = tuple(v for v in values if isinstance(v, int))
    return out if len(out) == len(values) else None


def conv_out_size(size: int | None, kernel: int, stride: int = 1, padding: int = 0,
                  dilation: int = 1) -> int | None:
    """Output length of a convolution / pooling window along one axis (PyTorch formula)."""
    if size is None:
        return None
    out = (size + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1
    if out <= 0:
        raise ShapeMismatch(f"window of size {kernel} does not fit an input of size {size}")
    return out


def check_dim(shape: Shape, axis: int, expected: object, what: str) -> None:
    """Raise ShapeMismatch when ``shape[axis]`` is known and differs from ``expected``."""
    if not isinstance(expected, int) or len(shape) <= abs(axis):
        return
    got = shape[axis]
    if got is not None and got != expected:
        raise ShapeMismatch(f"{what}: expected {expected} at axis {axis}, got {got}")


def spatial_out(shape: Shape, rank: int, kernel: object, stride: object, padding: object,
                dilation: object = 1) -> Shape:
    """Apply a conv/pool window over the last ``rank`` axes of a channels-first ``shape``."""
    ks, ss = as_tuple(kernel, rank), as_tuple(stride, rank)
    ps, ds = as_tuple(padding, rank), as_tuple(dilation, rank)
    spatial = shape[-rank:]
    window = all_ints(ks + ss + ps + ds)
    if window is None:
        return shape[:-rank] + (None,) * rank
    ks, ss, ps, ds = (window[i * rank:(i + 1) * rank] for i in range(4))
    out = tuple(conv_out_size(s, k, st, p, d)
                for s, k, st, p, d in zip(spatial, ks, ss, ps, ds, strict=True))
    return shape[:-rank] + out


def flatten_shape(shape: Shape, start: int = 1, end: int = -1) -> Shape:
    """``torch.flatten(x, start, end)``."""
    rank = len(shape)
    start, end = start % rank, end % rank
    merged = shape[start:end + 1]
    size: int | None = 1
    for dim in merged:
        size = None if dim is None or size is None else size * dim
    return shape[:start] + (size,) + shape[end + 1:]


def reshape_shape(shape: Shape, target: Sequence[int | None]) -> Shape:
    """``x.view(*target)``; ``None`` entries are unknown sizes, ``-1`` is inferred if possible."""
    known = all_ints(shape[1:])
    total = None if known is None else _prod(known)
    out = list(target)
    if -1 in out:
        others = all_ints([d for i, d in enumerate(out) if d != -1 and i != 0])
        if total is not None and others is not None:
            out[out.index(-1)] = total // max(_prod(others), 1)
        else:
            out[out.index(-1)] = None
    out[0] = None  # the batch axis stays the batch axis
    rest = all_ints(out[1:])
    if total is not None and rest is not None and _prod(rest) != total:
        raise ShapeMismatch(f"view to {tuple(target)} does not keep the batch axis "
                            f"({total} values per sample)")
    return tuple(out)


def permute_shape(shape: Shape, dims: Sequence[int]) -> Shape:
    """``x.permute(*dims)``."""
    return tuple(shape[d] for d in dims)


def reduce_shape(shape: Shape, axes: Sequence[int], keepdim: bool) -> Shape:
    """``x.mean(dim=axes, keepdim=keepdim)``."""
    rank = len(shape)
    norm = {a % rank for a in axes}
    if keepdim:
        return tuple(1 if i in norm else d for i, d in enumerate(shape))
    return tuple(d for i, d in enumerate(shape) if i not in norm)


def concat_shape(shapes: Sequence[Shape], axis: int) -> Shape:
    """``torch.cat(tensors, dim=axis)``."""
    first = shapes[0]
    axis %= len(first)
    total: int | None = 0
    for s in shapes:
        size = s[axis]
        total = None if total is None or size is None else total + size
    return first[:axis] + (total,) + first[axis + 1:]


def _prod(values: Sequence[int]) -> int:
    out = 1
    for v in values:
        out *= v
    return out
