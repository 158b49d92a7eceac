"""Layer sizes against what flows in (MLS107), on the tensor facts of analyzers/semantics.

Only certain mismatches are reported: the size that flows in must be a number the code states
(a Keras ``Input``, a ``# mlsense: input (...)`` comment, the model's first layer and the layers
between), never a symbol or a guess.
"""

from __future__ import annotations

from typing import Any

import libcst as cst

from ..context import ChunkContext, EditSpec, FixSpec
from ..findings import Severity
from ..registry import ChunkRule, RuleInfo, register
from ..semantics.args import literal
from ..semantics.dims import Shape, fmt_shape
from ..semantics.sequential import TORCH_SEQUENTIAL, ModelFact, chunk_models

# (layer names, the argument that states the size, its position, the axis it must match)
_CHECKED = (
    (("Linear",), "in_features", 0, -1),
    (("Conv1d", "Conv2d", "Conv3d", "ConvTranspose1d", "ConvTranspose2d", "ConvTranspose3d"),
     "in_channels", 0, 1),
    (("BatchNorm1d", "BatchNorm2d", "BatchNorm3d", "InstanceNorm1d", "InstanceNorm2d",
      "InstanceNorm3d"), "num_features", 0, 1),
    (("GroupNorm",), "num_channels", 1, 1),
    (("Embedding",), None, None, None),
)


@register
class LayerSizeRules(ChunkRule):
    """A layer whose input size differs from the size that reaches it in an nn.Sequential."""

    family = "torch-shapes"
    needs = frozenset(("Sequential",))  # every report starts at an nn.Sequential call
    requires = ("torch",)
    rules = (
        RuleInfo("MLS107", "layer-input-size-mismatch",
                 "{layer} expects {what} {expected}, but {got} reaches it ({shape} from "
                 "{source}); this fails at the first forward pass", Severity.ERROR,
                 fixable=True),
    )

    def __init__(self, ctx: ChunkContext) -> None:
        super().__init__(ctx)
        self._done = not ctx.imports.imports_any("torch")

    def visit_Call(self, node: cst.Call) -> None:
        if self._done or self.ctx.qualname(node.func) not in TORCH_SEQUENTIAL:
            return
        self._done = True  # every model of the statement at once, from the shared facts
        for model in chunk_models(self.ctx.chunk, self.ctx.imports):
            self._check(model)

    def _check(self, model: ModelFact) -> None:
        shape, source = model.input, "the model's input"
        for layer in model.layers:
            if isinstance(layer.node, cst.Call) and shape is not None:
                self._compare(layer.node, shape, source)
            shape = layer.shape
            source = f"`{_short(self.ctx.code_for(layer.node))}`"

    def _compare(self, call: cst.Call, shape: Shape, source: str) -> None:
        name = self.ctx.qualname(call.func) or ""
        short = name.rpartition(".")[2]
        if not name.startswith("torch.nn."):
            return
        for names, arg_name, index, axis in _CHECKED:
            if short not in names or arg_name is None or index is None or axis is None:
                continue
            arg = _argument(call, arg_name, index)
            expected = literal(arg.value) if arg is not None else None
            if arg is None or not isinstance(expected, int) or isinstance(expected, bool) \
                    or len(shape) < 2:
                return
            got = shape[axis]
            if not isinstance(got, int) or got == expected:
                return
            fix = FixSpec(f"Use {arg_name}={got}", (EditSpec(arg.value, str(got)),), safe=False)
            self.ctx.report(call, "MLS107", fix, layer=f"`{_short(self.ctx.code_for(call))}`",
                            what=arg_name, expected=expected, got=got, shape=fmt_shape(shape),
                            source=source)
            return


def _argument(call: cst.Call, keyword: str, index: int) -> cst.Arg | None:
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == keyword:
            return arg
    positional = [a for a in call.args if a.keyword is None and not a.star]
    return positional[index] if index < len(positional) else None


def _short(code: str, limit: int = 40) -> Any:
    code = " ".join(code.split())
    return code if len(code) <= limit else code[: limit - 1] + "…"
