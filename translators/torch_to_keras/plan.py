"""What planning one PyTorch layer produces (:class:`LayerPlan`) and the helpers the planners
of :mod:`.layers` and :mod:`.planners` share: evaluated arguments (:class:`Args`), the rank of a
``...Nd`` layer, a channels-last padding Lambda."""

from __future__ import annotations

import ast
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from .. import shapes as S
from .eval import UNKNOWN

Layout = Literal["cl", "same", "any"]


class LayerError(ValueError):
    """The layer (or one of its options) has no faithful Keras equivalent."""


@dataclass
class LayerPlan:
    """How one torch layer becomes Keras; ``keras`` may contain ``{axis}`` / ``{rnn}`` slots."""

    torch_ctor: str
    keras: str
    line: int
    layout: Layout = "any"
    pre: str | None = None  # a layer to run first, e.g. "layers.ZeroPadding2D(1)"
    weight: tuple[str, dict[str, Any]] | None = None
    out_shape: Callable[[S.Shape], S.Shape] = lambda s: s
    axis: int | None = None  # source-layout axis for Softmax-like layers
    extra: dict[str, Any] = field(default_factory=dict)


class Args:
    """Evaluated values plus source text of a layer's arguments."""

    def __init__(self, values: dict[str, Any], nodes: dict[str, ast.expr]) -> None:
        self.values, self.nodes = values, nodes

    def __getitem__(self, name: str) -> Any:
        return self.values.get(name, UNKNOWN)

    def src(self, name: str) -> str:
        """The user's expression for ``name`` (keeps their names), else the default's repr."""
        node = self.nodes.get(name)
        return ast.unparse(node) if node is not None else repr(self.values.get(name))

    def given(self, name: str) -> bool:
        return name in self.nodes

    def known(self, *names: str) -> bool:
        return all(self[n] is not UNKNOWN for n in names)

    def flag(self, name: str, keras_kw: str, default: bool = True) -> str:
        """``, use_bias=False``-style keyword when the torch flag is not its default."""
        val = self[name]
        if val is default:
            return ""
        return f", {keras_kw}={self.src(name) if val is UNKNOWN else val!r}"


def rank(ctor: str) -> int:
    return int(ctor[-2]) if ctor[-2:] in ("1d", "2d", "3d") else 1


def pad_lambda(per_dim: list[tuple[int, int]], how: str) -> str:
    """A channels-last ``keras.ops.pad`` over the spatial axes, as a Lambda layer."""
    widths = ", ".join(["(0, 0)", *(f"({b}, {e})" for b, e in per_dim), "(0, 0)"])
    return f"layers.Lambda(lambda t: keras.ops.pad(t, ({widths}), {how}))"
