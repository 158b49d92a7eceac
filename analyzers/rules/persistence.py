"""Models loaded with pickle (MLS407): ``pickle.load`` / ``joblib.load`` / ``dill.load`` of a
model file runs whatever code the file holds. Information: a file you made yourself is fine."""

from __future__ import annotations

import re

import libcst as cst

from ..context import ChunkContext
from ..findings import Severity
from ..registry import ChunkRule, RuleInfo, register
from .patterns import single_assignment

_LOADS = frozenset(("pickle.load", "pickle.loads", "joblib.load", "dill.load", "dill.loads",
                    "cloudpickle.load", "cloudpickle.loads", "_pickle.load"))
_MODEL_WORDS = re.compile(r"model|clf|classifier|regressor|estimator|pipeline|pipe\b|forest|"
                          r"xgb|lgbm|svm", re.IGNORECASE)


@register
class PickledModelLoadRule(ChunkRule):
    """A model read from a pickle file."""

    family = "model-persistence"
    requires = ("pickle", "joblib", "dill", "cloudpickle", "_pickle")
    rules = (
        RuleInfo("MLS407", "pickle-load-model",
                 "`{function}` of a model runs any code the file contains: load only files you "
                 "made or trust; to share models, prefer `skops.io` (scikit-learn), ONNX, or "
                 "safetensors weights", Severity.INFORMATION),
    )

    def __init__(self, ctx: ChunkContext) -> None:
        super().__init__(ctx)
        self._active = ctx.imports.imports_any("pickle", "joblib", "dill", "cloudpickle",
                                               "_pickle")

    def visit_Assign(self, node: cst.Assign) -> None:
        if not self._active:
            return
        pair = single_assignment(node)
        if pair is None or not isinstance(pair[1], cst.Call):
            return
        q = self.ctx.call_qualname(pair[1])
        if q not in _LOADS:
            return
        target = self.ctx.code_for(pair[0])
        source = self.ctx.code_for(pair[1].args[0].value) if pair[1].args else ""
        if _MODEL_WORDS.search(target) or _MODEL_WORDS.search(source):
            self.ctx.report(pair[1], "MLS407", None, function=q)
