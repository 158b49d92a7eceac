"""Layer sizes against what flows in (MLS107), on the tensor facts of analyzers/semantics:
the elements of an ``nn.Sequential`` and the layers a module's ``forward`` applies.

Only certain mismatches are reported: the size that flows in must be a number the code states
(the file's calls of the model, a ``# mlsense: input (...)`` comment, the model's first layer
and the layers between), never a symbol or a guess (``semantics/queries.py``).
"""

from __future__ import annotations

from typing import Any

import libcst as cst

from ..context import ChunkContext, EditSpec, FixSpec
from ..findings import Severity
from ..registry import ModuleRule, RuleInfo, register
from ..semantics.args import literal
from ..semantics.dims import fmt_shape
from ..semantics.queries import Feed, file_version, layer_feeds

# (layer names, the argument that states the size, its position, the axis it must match)
_CHECKED = (
    (("Linear",), "in_features", 0, -1),
    (("Conv1d", "Conv2d", "Conv3d", "ConvTranspose1d", "ConvTranspose2d", "ConvTranspose3d"),
     "in_channels", 0, 1),
    (("BatchNorm1d", "BatchNorm2d", "BatchNorm3d", "InstanceNorm1d", "InstanceNorm2d",
      "InstanceNorm3d"), "num_features", 0, 1),
    (("GroupNorm",), "num_channels", 1, 1),
)
# A file that spells none of these has no layer to check.
_LAYER_WORDS = ("Linear", "Conv", "Norm")


@register
class LayerSizeRules(ModuleRule):
    """A layer whose input size differs from the size that reaches it: in an nn.Sequential or
    where a module's ``forward`` applies it."""

    family = "torch-shapes"
    rules = (
        RuleInfo("MLS107", "layer-input-size-mismatch",
                 "{layer} expects {what} {expected}, but {got} reaches it ({shape} from "
                 "{source}); this fails at the first forward pass", Severity.ERROR,
                 fixable=True),
    )

    def check(self) -> None:
        mctx = self.ctx
        if not mctx.imports.imports_any("torch") or not mctx.mentions_any(*_LAYER_WORDS) \
                or not mctx.mentions_any("Sequential", "forward"):
            return
        contexts = {id(c.chunk): c for c in mctx.chunks}
        done: set[int] = set()
        for feed in layer_feeds(file_version(mctx)):
            ctx = contexts.get(id(feed.chunk))
            if ctx is not None and id(feed.call) not in done and self._compare(ctx, feed):
                done.add(id(feed.call))

    @staticmethod
    def _compare(ctx: ChunkContext, feed: Feed) -> bool:
        call = feed.call
        name = ctx.qualname(call.func) or ""
        short = name.rpartition(".")[2]
        if not name.startswith("torch.nn.") or len(feed.shape) < 2:
            return False
        for names, arg_name, index, axis in _CHECKED:
            if short not in names:
                continue
            arg = _argument(call, arg_name, index)
            expected = literal(arg.value) if arg is not None else None
            if arg is None or not isinstance(expected, int) or isinstance(expected, bool):
                return False
            got = feed.size(axis)
            if got is None or got == expected:
                return False
            fix = FixSpec(f"Use {arg_name}={got}", (EditSpec(arg.value, str(got)),), safe=False)
            ctx.report(call, "MLS107", fix, layer=f"`{_short(ctx.code_for(call))}`",
                       what=arg_name, expected=expected, got=got, shape=fmt_shape(feed.shape),
                       source=feed.source or f"`{_short(ctx.code_for(feed.before))}`"
                       if feed.before is not None else feed.source)
            return True
        return False


def _argument(call: cst.Call, keyword: str, index: int) -> cst.Arg | None:
    """The argument ``keyword`` of ``call``, given by name or at position ``index``."""
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == keyword:
            return arg
    positional = [a for a in call.args if a.keyword is None and not a.star]
    return positional[index] if index < len(positional) else None


def _short(code: str, limit: int = 40) -> Any:
    code = " ".join(code.split())
    return code if len(code) <= limit else code[: limit - 1] + "…"
