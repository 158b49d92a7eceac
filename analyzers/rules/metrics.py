"""scikit-learn ranking metrics on hard labels (MLS406): ``roc_auc_score(y, clf.predict(X))``
where ``clf`` is a classifier that can give scores (``predict_proba`` / ``decision_function``).

Read per scope in source order (:class:`.scopes.ScopeRule`): names bound to a classifier built
in the same scope, names bound to its ``predict`` output, and the metric calls that read them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import libcst as cst

from ..context import ChunkContext
from ..findings import Severity
from ..registry import RuleInfo, register
from .flow.walker import calls_in, first_arg
from .patterns import is_attribute
from .scopes import Event, ScopeRule, assigned_names, flat_statements
from .tables import load_table

# Metrics that sweep a threshold over scores: y_score is their second argument.
_RANKING = {f"sklearn.metrics.{n}": kw for n, kw in (
    ("roc_auc_score", "y_score"), ("average_precision_score", "y_score"),
    ("roc_curve", "y_score"), ("precision_recall_curve", "y_score"))}
# Classifier libraries whose ``*Classifier`` classes all give predict_proba (or decision_function).
_LIBRARIES = ("sklearn.", "xgboost.", "lightgbm.", "catboost.")
# Hard voting has neither predict_proba nor decision_function.
_WITHOUT_SCORES = frozenset(("VotingClassifier",))


def is_scoring_classifier(qualname: str | None) -> bool:
    """A classifier class whose instances give scores besides labels."""
    if qualname is None or not qualname.startswith(_LIBRARIES):
        return False
    name = qualname.rpartition(".")[2]
    if name in _WITHOUT_SCORES:
        return False
    return name.endswith("Classifier") \
        or qualname in load_table("sklearn_api")["classifiers_with_scores"]


def _predict_receiver(node: cst.BaseExpression) -> str | None:
    """``clf`` in ``clf.predict(X)``."""
    if isinstance(node, cst.Call) and is_attribute(node.func, "predict") and node.args:
        return ChunkContext.dotted(node.func.value)
    return None


@register
class RankingMetricOnLabelsRule(ScopeRule):
    """A threshold-sweeping metric fed with a classifier's predicted labels."""

    family = "sklearn-metrics"
    rules = (
        RuleInfo("MLS406", "ranking-metric-on-predicted-labels",
                 "`{metric}` sweeps a threshold over scores, but it gets the hard labels of "
                 "`{model}.predict(...)`: the result describes a single threshold; pass "
                 "`{model}.predict_proba(X)[:, 1]` or `{model}.decision_function(X)`",
                 Severity.WARNING),
    )
    key = "sklearn-ranking-metric"
    imports = ("sklearn",)
    gate = ("predict", "Classifier", "_score", "_curve",
            *(q.rpartition(".")[2] for q in load_table("sklearn_api")["classifiers_with_scores"]))

    @classmethod
    def events(cls, ctx: ChunkContext, stmts: Sequence[cst.CSTNode]) -> list[Event]:
        out: list[Event] = []
        for stmt in flat_statements(stmts):
            if isinstance(stmt, cst.BaseCompoundStatement):
                names = tuple(assigned_names(stmt))
                if names:
                    out.append((names, None))
                continue
            names = tuple(assigned_names(stmt))
            value = stmt.value if isinstance(stmt, cst.Assign) else None
            ev: Any = None
            if isinstance(value, cst.Call) and is_attribute(value.func, "fit") \
                    and isinstance(value.func.value, cst.Call):
                value = value.func.value  # clf = LogisticRegression().fit(X, y)
            if isinstance(value, cst.Call):
                q = ctx.call_qualname(value)
                if is_scoring_classifier(q):
                    ev = ("classifier",)
                elif (model := _predict_receiver(value)) is not None:
                    ev = ("labels", model)
            for call in calls_in(stmt):
                q = ctx.call_qualname(call)
                if q in _RANKING:
                    arg = first_arg(call, _RANKING[q], index=1)
                    if arg is not None:
                        inline = _predict_receiver(arg.value)
                        name = ChunkContext.dotted(arg.value)
                        out.append(((), ("metric", call, q.rpartition(".")[2], inline, name)))
            out.append((names, ev))
        return out

    def judge(self, events: list[tuple[ChunkContext, Event]]) -> None:
        classifiers: set[str] = set()
        labels: dict[str, str] = {}  # name -> the classifier that predicted it
        for chunk, (names, ev) in events:
            if ev is not None and ev[0] == "metric":
                _, call, metric, inline, name = ev
                model = inline if inline is not None else labels.get(name or "")
                if model is not None and model in classifiers:
                    chunk.report(call, "MLS406", None, metric=metric, model=model)
                continue
            for n in names:
                classifiers.discard(n)
                labels.pop(n, None)
            if ev is not None and len(names) == 1:
                if ev[0] == "classifier":
                    classifiers.add(names[0])
                elif ev[0] == "labels":
                    labels[names[0]] = ev[1]
