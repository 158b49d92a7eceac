"""scikit-learn leakage before the split (MLS405): a scaler, imputer, feature selector or PCA
fitted on all the data that is then split with ``train_test_split`` or cross-validated.

Read per scope in source order (:class:`.scopes.ScopeRule`): which names hold a transformer
(built from a class of ``data/sklearn_api.json`` ``fitted_on_data``), which arrays came out of
one fitted on data whose name says nothing of a split, and which of those a split receives.
"""

from __future__ import annotations

import re
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

_WORDS = re.compile(r"[a-z]+|[A-Z][a-z]*|\d+")
# Data named after a split is already a part of one: fitting on it is what should be done.
_SPLIT_WORDS = frozenset(("train", "training", "tr", "test", "val", "valid", "validation",
                          "holdout", "dev", "fold"))
_SPLITS = frozenset(("sklearn.model_selection.train_test_split",))
_CROSS_VALIDATIONS = frozenset(f"sklearn.model_selection.{n}" for n in (
    "cross_val_score", "cross_validate", "cross_val_predict", "learning_curve",
    "validation_curve", "permutation_test_score"))


def data_name(node: cst.BaseExpression) -> str | None:
    """The array an argument reads: ``X``, ``df`` in ``df[cols]`` / ``df.drop("y", axis=1)``,
    ``data.X``."""
    while True:
        if isinstance(node, cst.Subscript):
            node = node.value
        elif isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute):
            node = node.func.value
        else:
            break
    return ChunkContext.dotted(node)


def _names_a_split(name: str) -> bool:
    return bool({w.lower() for w in _WORDS.findall(name)} & _SPLIT_WORDS)


def _fit_event(ctx: ChunkContext, call: cst.Call) -> tuple[str, str | None, str | None,
                                                           str] | None:
    """(method, receiver name, receiver's class if constructed inline, data) of a
    ``fit``/``fit_transform``/``transform`` call."""
    if not is_attribute(call.func, "fit", "fit_transform", "transform"):
        return None
    arg = first_arg(call, "X")
    data = data_name(arg.value) if arg is not None else None
    if data is None or _names_a_split(data):
        return None
    receiver = call.func.value
    qual = ctx.call_qualname(receiver) if isinstance(receiver, cst.Call) else None
    return call.func.attr.value, ChunkContext.dotted(receiver), qual, data


def _split_event(ctx: ChunkContext, call: cst.Call) -> tuple[str, list[str]] | None:
    q = ctx.call_qualname(call)
    if q in _SPLITS:
        args = [a.value for a in call.args if a.keyword is None and not a.star]
    elif q in _CROSS_VALIDATIONS:
        arg = first_arg(call, "X", index=1)
        args = [arg.value] if arg is not None else []
    else:
        return None
    names = [n for n in map(data_name, args) if n]
    return q.rpartition(".")[2], names  # type: ignore[union-attr]


@register
class FitBeforeSplitRule(ScopeRule):
    """A transformer fitted on the data that is split or cross-validated afterwards."""

    family = "sklearn-leakage"
    rules = (
        RuleInfo("MLS405", "preprocessing-fit-before-split",
                 "`{cls}` is fitted on all of `{data}`, which `{split}` splits afterwards: "
                 "statistics of the held-out rows leak into training; split first and fit on "
                 "the training part, or put `{cls}` in a Pipeline", Severity.WARNING),
    )
    key = "sklearn-fit-before-split"
    imports = ("sklearn",)
    gate = ("fit", "transform", "train_test_split", "cross_va", "_curve", "permutation_test",
            *(q.rpartition(".")[2] for q in load_table("sklearn_api")["fitted_on_data"]))

    @classmethod
    def events(cls, ctx: ChunkContext, stmts: Sequence[cst.CSTNode]) -> list[Event]:
        fitted_classes = frozenset(load_table("sklearn_api")["fitted_on_data"])
        out: list[Event] = []
        for stmt in flat_statements(stmts):
            names = tuple(assigned_names(stmt))
            value = stmt.value if isinstance(stmt, cst.Assign | cst.Expr) else None
            ev: Any = None
            for call in calls_in(stmt) if not isinstance(stmt, cst.BaseCompoundStatement) \
                    else calls_in(getattr(stmt, "iter", None) or cst.Name("_")):
                q = ctx.call_qualname(call)
                if call is value and q in fitted_classes:
                    ev = ("new", q)
                    break
                fit = _fit_event(ctx, call)
                if fit is not None:
                    method, receiver, qual, data = fit
                    leaky = qual in fitted_classes if qual is not None else None
                    ev = (method, receiver, leaky, qual, data, call)
                    break
                split = _split_event(ctx, call)
                if split is not None:
                    ev = ("split", split[0], split[1], call)
                    break
            if ev is None and isinstance(value, cst.Call):
                wrapped = [data_name(a.value) for a in value.args if a.keyword is None]
                ev = ("wrap", tuple(n for n in wrapped if n))
            if ev is not None or names:
                out.append((names, ev))
        return out

    def judge(self, events: list[tuple[ChunkContext, Event]]) -> None:
        transformers: dict[str, str] = {}  # name -> class
        fitted: dict[str, tuple[str, str, ChunkContext, cst.Call]] = {}  # name -> data, class..
        derived: dict[str, tuple[str, str, ChunkContext, cst.Call]] = {}  # array -> its fit
        reported: set[int] = set()
        for chunk, (names, ev) in events:
            kind = ev[0] if ev else None
            found: tuple[str, str, ChunkContext, cst.Call] | None = None
            if kind in ("fit", "fit_transform", "transform"):
                _, receiver, leaky, qual, data, call = ev
                cls = qual if leaky else transformers.get(receiver or "")
                if kind == "fit" and cls is not None and receiver is not None:
                    fitted[receiver] = (data, cls, chunk, call)
                elif kind == "fit_transform" and cls is not None:
                    found = (data, cls, chunk, call)
                elif kind == "transform" and receiver in fitted \
                        and fitted[receiver][0] == data:
                    found = fitted[receiver]
            elif kind == "wrap":
                found = next((derived[n] for n in ev[1] if n in derived), None)
            elif kind == "split":
                for name in ev[2]:
                    fit = derived.get(name) or derived.get(name.partition(".")[0]) \
                        or next((f for f in fitted.values() if f[0] == name), None)
                    if fit is not None and id(fit[3]) not in reported:
                        reported.add(id(fit[3]))
                        fit[2].report(fit[3], "MLS405", None, cls=fit[1].rpartition(".")[2],
                                      data=fit[0], split=ev[1])
            for name in names:
                derived.pop(name, None)
                transformers.pop(name, None)
                fitted.pop(name, None)
            if kind == "new" and len(names) == 1:
                transformers[names[0]] = ev[1]
            elif kind == "fit" and ev[2] and len(names) == 1:  # sc = StandardScaler().fit(X)
                transformers[names[0]] = ev[3]
                fitted[names[0]] = (ev[4], ev[3], chunk, ev[5])
            elif found is not None and len(names) == 1:
                derived[names[0]] = found
