"""scikit-learn rules (MLS401-404): leakage from fitting on test data, reproducibility,
removed modules, names and keyword arguments (table: data/sklearn_api.json)."""

from __future__ import annotations

import re

import libcst as cst

from ..context import ChunkContext, EditSpec, FixSpec
from ..findings import Severity
from ..registry import ChunkRule, RuleInfo, register
from .flow.walker import first_arg, has_keyword
from .tables import load_table

_WORDS = re.compile(r"[a-z]+|[A-Z][a-z]*|\d+")
_HELD_OUT = frozenset(("test", "val", "valid", "validation", "holdout"))
_TRANSFORMER_HINTS = ("scaler", "encoder", "vectorizer", "imputer", "normalizer", "pca",
                      "tfidf", "transformer", "selector", "discretizer")
_TRANSFORMER_MODULES = tuple(f"sklearn.{m}." for m in (
    "preprocessing", "decomposition", "feature_extraction", "feature_selection", "impute"))


def _held_out_name(node: cst.BaseExpression) -> str | None:
    """``X_test``, ``df_val["a"]``, ``data.X_valid``: a name that says held-out data."""
    while isinstance(node, cst.Subscript):
        node = node.value
    name = node.attr.value if isinstance(node, cst.Attribute) else \
        node.value if isinstance(node, cst.Name) else None
    if name is None:
        return None
    words = {w.lower() for w in _WORDS.findall(name)}
    return name if words & _HELD_OUT and "train" not in words else None


_NO_TRANSFORM_HINTS = ("tsne", "mds", "umap", "spectral")
_LABEL_WORDS = frozenset(("y", "label", "labels", "target", "targets"))


def _labels_encoded(receiver: cst.BaseExpression, data: str) -> bool:
    """An encoder given held-out *labels* (``encoder.fit_transform(y_valid)``) maps class names
    to integers: no feature statistics are learnt from the held-out data."""
    words = {w.lower() for w in _WORDS.findall(data)}
    name = _receiver_name(receiver) if not isinstance(receiver, cst.Call) else ""
    return bool(words & _LABEL_WORDS) and ("encoder" in name or "binarizer" in name
                                           or name in ("le", "lb"))


def _receiver_name(v: cst.BaseExpression) -> str:
    return (v.attr.value if isinstance(v, cst.Attribute) else
            v.value if isinstance(v, cst.Name) else "").lower()


@register
class SklearnRules(ChunkRule):
    """scikit-learn pitfalls."""

    family = "sklearn"
    requires = ("sklearn",)  # also what `import sklearn.<removed module>` imports
    rules = (
        RuleInfo("MLS401", "fit-on-test-data",
                 "`{method}` on `{data}` learns statistics from held-out data (data leakage); "
                 "fit on the training split and only `transform` the test split",
                 Severity.WARNING, fixable=True),
        RuleInfo("MLS402", "train-test-split-without-random-state",
                 "`train_test_split` without `random_state` gives a different split on every "
                 "run; pass `random_state=` for reproducible results", Severity.INFORMATION,
                 default_enabled=False, fixable=True),
        RuleInfo("MLS403", "sklearn-removed-api",
                 "`{name}` no longer exists in scikit-learn ({note}){advice}", Severity.ERROR,
                 fixable=True),
        RuleInfo("MLS404", "sklearn-removed-keyword",
                 "`{cls}` no longer accepts `{old}=` ({note}; TypeError); use `{new}=`",
                 Severity.ERROR, fixable=True),
    )

    def __init__(self, ctx: ChunkContext) -> None:
        super().__init__(ctx)
        self._active = ctx.imports.imports_any("sklearn")
        table = load_table("sklearn_api")
        self._modules, self._names = table["removed_modules"], table["removed_names"]
        self._keywords = table["removed_keywords"]

    def visit_Call(self, node: cst.Call) -> None:
        if not self._active:
            return
        func = node.func
        if isinstance(func, cst.Attribute) and func.attr.value in ("fit_transform", "fit"):
            self._check_fit(node, func)
            return
        q = self.ctx.call_qualname(node)
        if q == "sklearn.model_selection.train_test_split":
            self._check_split(node)
        elif q is not None and q in self._names and isinstance(func, cst.Attribute):
            self._report_removed(func, q, self._names[q], fixable=False)
        elif q is not None and q in self._keywords:
            self._check_keywords(node, q, self._keywords[q])

    def _check_keywords(self, call: cst.Call, qualname: str, removed: dict) -> None:
        given = {a.keyword.value for a in call.args if a.keyword is not None}
        for arg in call.args:
            entry = removed.get(arg.keyword.value) if arg.keyword is not None else None
            if entry is None or arg.keyword is None:
                continue
            new = entry["replacement"]
            # Both spellings given: renaming would repeat a keyword; leave that to the user.
            fix = None if new in given else FixSpec(f"Rename to `{new}=`",
                                                    (EditSpec(arg.keyword, new),))
            self.ctx.report(arg.keyword, "MLS404", fix, cls=qualname.rpartition(".")[2],
                            old=arg.keyword.value, new=new, note=entry["note"])

    def _check_fit(self, call: cst.Call, func: cst.Attribute) -> None:
        arg = first_arg(call, "X")
        data = _held_out_name(arg.value) if arg is not None else None
        if data is None:
            return
        method = func.attr.value
        if method == "fit" and not self._is_transformer(func.value):
            return  # an estimator refit on validation data can be deliberate
        if self._no_transform(func.value) or _labels_encoded(func.value, data):
            return
        fix = None
        if method == "fit_transform":
            fix = FixSpec("Use `transform`", (EditSpec(func.attr, "transform"),), safe=False)
        self.ctx.report(call, "MLS401", fix, method=method, data=data)

    def _no_transform(self, receiver: cst.BaseExpression) -> bool:
        """An embedding with no ``transform`` (TSNE, MDS...): ``fit_transform`` is its only use,
        for a plot of this data, and nothing is evaluated with it."""
        if isinstance(receiver, cst.Call):
            return (self.ctx.call_qualname(receiver) or "").startswith("sklearn.manifold.")
        return any(h in _receiver_name(receiver) for h in _NO_TRANSFORM_HINTS)

    def _is_transformer(self, receiver: cst.BaseExpression) -> bool:
        """``scaler`` / ``self.encoder`` by name, or ``PCA(2)`` by what it constructs."""
        if isinstance(receiver, cst.Call):
            return (self.ctx.call_qualname(receiver) or "").startswith(_TRANSFORMER_MODULES)
        return any(h in _receiver_name(receiver) for h in _TRANSFORMER_HINTS)

    def _check_split(self, call: cst.Call) -> None:
        if has_keyword(call, "random_state") or not call.args:
            return
        fix = FixSpec("Pass `random_state=0`",
                      (EditSpec(call.args[-1].value, ", random_state=0", "after"),), safe=False)
        self.ctx.report(call, "MLS402", fix)

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        if node.module is None or node.relative or not self._active:
            return
        module = ChunkContext.dotted(node.module) or ""
        if module in self._modules:
            self._report_removed(node.module, module, self._modules[module], fixable=True)
            return
        if isinstance(node.names, cst.ImportStar):
            return
        for alias in node.names:
            full = f"{module}.{ChunkContext.dotted(alias.name)}"
            if full in self._names:
                self._report_removed(alias.name, full, self._names[full], fixable=False)

    def visit_Import(self, node: cst.Import) -> None:
        for alias in node.names:
            name = ChunkContext.dotted(alias.name) or ""
            if name in self._modules:
                self._report_removed(alias.name, name, self._modules[name], fixable=False)

    def _report_removed(self, node: cst.CSTNode, name: str, entry: dict, fixable: bool) -> None:
        new = entry["replacement"]
        advice = f"; use `{new}`" if new else ""
        fix = None
        if fixable and new:
            fix = FixSpec(f"Import from `{new}`", (EditSpec(node, new),), safe=False)
        self.ctx.report(node, "MLS403", fix, name=name, note=entry["note"], advice=advice)
