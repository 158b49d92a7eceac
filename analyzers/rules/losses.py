"""Loss functions fed tensors of the wrong shape or kind (MLS101, MLS106, MLS116-MLS118),
judged on the value model: each loss call of the file with its prediction's shape and kind and
its target's shape (``semantics/uses.py``), wherever the loss, the model and the data were
created (a model's ``forward``, module level, a training function).
"""

from __future__ import annotations

import libcst as cst

from ..context import ChunkContext, EditSpec, FixSpec
from ..findings import Severity
from ..registry import ModuleRule, RuleInfo, register
from ..semantics.kinds import LOSS_NAMES, REGRESSION_LOSSES
from ..semantics.queries import any_statement, file_version
from ..semantics.uses import LossUse, loss_uses


@register
class LossShapeRules(ModuleRule):
    """Regression losses fed (N, 1) outputs and (N,) targets; cross-entropy fed probabilities."""

    family = "torch-loss"
    rules = (
        RuleInfo("MLS101", "loss-target-shape-broadcast",
                 "output of shape (N, 1) and target of shape (N,) broadcast to (N, N) in "
                 "{loss}; use `{target}.unsqueeze(1)` or `{pred}.squeeze(1)`",
                 Severity.WARNING, fixable=True),
        RuleInfo("MLS106", "cross-entropy-on-softmax",
                 "{loss} applies log-softmax itself; passing softmax probabilities squashes the "
                 "gradients. Pass the raw logits", Severity.WARNING),
        RuleInfo("MLS116", "sigmoid-into-bce-with-logits",
                 "{loss} applies the sigmoid itself; passing sigmoid probabilities applies it "
                 "twice (outputs squashed into (0.5, 0.73), gradients vanish). Pass the raw "
                 "logits", Severity.WARNING),
        RuleInfo("MLS117", "bce-on-logits",
                 "{loss} expects probabilities in [0, 1] but gets raw logits (the output of a "
                 "Linear or convolution layer); use `BCEWithLogitsLoss` / "
                 "`binary_cross_entropy_with_logits` (or apply a sigmoid first)",
                 Severity.WARNING),
        RuleInfo("MLS118", "nll-without-log-softmax",
                 "{loss} expects log-probabilities but gets {got}; {advice}", Severity.WARNING),
    )

    def check(self) -> None:
        mctx = self.ctx
        if not mctx.imports.imports_any("torch") or not any_statement(mctx, "losses",
                                                                      _mentions_loss):
            return
        contexts = {id(c.chunk): c for c in mctx.chunks}
        for use in loss_uses(file_version(mctx)):
            ctx = contexts.get(id(use.chunk))
            if ctx is not None:
                self._judge(ctx, use)

    @staticmethod
    def _judge(chunk: ChunkContext, use: LossUse) -> None:
        loss, act, call = use.loss, use.prediction_kind, use.call
        if loss in REGRESSION_LOSSES and _broadcasts(use):
            target_node = use.target
            t = chunk.code_for(target_node)
            t_fixed = f"({t})" if not isinstance(target_node, cst.Name | cst.Attribute | cst.Call
                                                 | cst.Subscript) else t
            fix = FixSpec(f"Use `{t_fixed}.unsqueeze(1)` as the target",
                          (EditSpec(target_node, f"{t_fixed}.unsqueeze(1)"),), safe=False)
            chunk.report(call, "MLS101", fix, loss=loss, target=t_fixed,
                         pred=chunk.code_for(use.prediction))
        elif loss == "CrossEntropyLoss" and act == "softmax":
            chunk.report(call, "MLS106", None, loss=loss)
        elif loss == "BCEWithLogitsLoss" and act == "sigmoid":
            chunk.report(call, "MLS116", None, loss=loss)
        elif loss == "BCELoss" and act == "logits":
            chunk.report(call, "MLS117", None, loss=loss)
        elif loss == "NLLLoss" and act in _NLL_ADVICE:
            got, advice = _NLL_ADVICE[act]
            chunk.report(call, "MLS118", None, loss=loss, got=got, advice=advice)


# Every loss name holds one of these (a statement without any names no loss: 3 scans of its
# text, not one per name).
_LOSS_STEMS = ("Loss", "_loss", "cross_entropy")
assert all(any(stem in name for stem in _LOSS_STEMS) for name in LOSS_NAMES)


def _mentions_loss(text: str) -> bool:
    return any(stem in text for stem in _LOSS_STEMS) and any(n in text for n in LOSS_NAMES)


def _broadcasts(use: LossUse) -> bool:
    """A ``(..., 1)`` prediction against a 1-D target of more than one value: the loss
    broadcasts them to ``(..., n)`` and averages the wrong pairs."""
    pred, target = use.prediction_shape, use.target_shape
    return pred is not None and target is not None and len(pred) >= 2 and pred[-1] == 1 \
        and len(target) == 1 and target[0] != 1


_NLL_ADVICE = {
    "softmax": ("softmax probabilities",
                "use `log_softmax` instead of `softmax` (or `cross_entropy` on the logits)"),
    "logits": ("raw logits (the output of a Linear or convolution layer)",
               "apply `log_softmax` first, or use `cross_entropy` on the logits"),
}
