"""Keras / tf.keras / TensorFlow API rules (MLS301-307)."""

from __future__ import annotations

import libcst as cst

from ..aliases import canonical
from ..context import ChunkContext, EditSpec, FixSpec
from ..findings import Severity
from ..registry import ChunkRule, RuleInfo, register
from .tables import load_table

_SEQUENTIAL = {"keras.Sequential", "keras.models.Sequential"}
# What a Keras name resolves through (tensorflow.keras and tf_keras are spellings of keras).
_KERAS_IMPORTS = ("keras", "tensorflow", "tf_keras")


@register
class KerasInputShapeRule(ChunkRule):
    """Keras 3 prefers an explicit ``keras.Input(shape=...)`` over a layer's ``input_shape=``."""

    family = "keras-api"
    needs = frozenset(("Sequential",))
    requires = _KERAS_IMPORTS
    rules = (
        RuleInfo("MLS301", "keras-input-shape-argument",
                 "Keras 3 prefers `{input}(shape={shape})` as the first layer over "
                 "`input_shape=` on a layer", Severity.WARNING, fixable=True),
    )

    def visit_Call(self, node: cst.Call) -> None:
        if self.ctx.call_qualname(node) not in _SEQUENTIAL or not node.args:
            return
        if legacy_keras(self.ctx):
            return  # Keras 2 (tf_keras): input_shape= is its idiom, not a Keras 3 leftover
        layers = node.args[0].value
        if not isinstance(layers, cst.List) or not layers.elements:
            return
        first = layers.elements[0].value
        if not isinstance(first, cst.Call):
            return
        for arg in first.args:
            if arg.keyword is not None and arg.keyword.value == "input_shape":
                self._report(first, arg)

    def _report(self, layer: cst.Call, arg: cst.Arg) -> None:
        shape = self.ctx.code_for(arg.value)
        input_name = spell(self.ctx, "keras.Input") or spell(self.ctx, "keras.layers.Input")
        fix = None
        if input_name is not None:
            new_args = [a for a in layer.args if a is not arg]
            if new_args:
                new_args[-1] = new_args[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
            new_layer = layer.with_changes(args=new_args)
            text = f"{input_name}(shape={shape}), {self.ctx.code_for(new_layer)}"
            fix = FixSpec(f"Use `{input_name}(shape={shape})`",
                          (EditSpec(layer, text),), safe=True)
        self.ctx.report(arg, "MLS301", fix, input=input_name or "keras.Input", shape=shape)


def legacy_keras(ctx: ChunkContext) -> bool:
    """The file imports ``tf_keras``, the Keras 2 package (with ``TF_USE_LEGACY_KERAS=1`` it is
    what ``tf.keras`` means): Keras 3 advice does not apply there."""
    return any(full == "tf_keras" or full.startswith("tf_keras.")
               for full in ctx.imports.names.values())


_GENERATOR_METHODS = {"fit_generator": "fit", "predict_generator": "predict",
                      "evaluate_generator": "evaluate"}


def spell(ctx: ChunkContext, qualname: str) -> str | None:
    """How this file can spell ``qualname``; ``keras.X`` may also go through ``tensorflow``."""
    local = ctx.local_name_for(qualname)
    if local is None and qualname.startswith("keras."):
        local = ctx.local_name_for("tensorflow." + qualname)
    return local


@register
class KerasRemovedApiRules(ChunkRule):
    """Keras 2 spellings that Keras 3 (and so tf.keras from TF 2.16) no longer accepts."""

    family = "keras-removed"
    requires = _KERAS_IMPORTS
    rules = (
        RuleInfo("MLS302", "keras-optimizer-lr-argument",
                 "`lr=` was removed from Keras optimizers (Keras 3 raises ValueError); use "
                 "`learning_rate=`", Severity.WARNING, fixable=True),
        RuleInfo("MLS303", "keras-generator-method-removed",
                 "`{method}` was removed in Keras 3; `{replacement}` accepts generators and "
                 "`keras.utils.PyDataset` directly", Severity.WARNING, fixable=True),
        RuleInfo("MLS304", "keras-predict-classes-removed",
                 "`predict_classes` was removed from Keras models; use "
                 "`np.argmax(model.predict(x), axis=-1)` (or `model.predict(x) > 0.5` for a "
                 "sigmoid output)", Severity.WARNING),
        RuleInfo("MLS305", "keras-removed-module",
                 "`{module}` no longer exists in Keras 3; {advice}", Severity.WARNING,
                 fixable=True),
    )

    def __init__(self, ctx: ChunkContext) -> None:
        super().__init__(ctx)
        self._active = ctx.imports.imports_any("keras", "tensorflow", "tf_keras")
        self._modules = load_table("keras_tf")["removed_modules"]

    def visit_Call(self, node: cst.Call) -> None:
        if not self._active:
            return
        func = node.func
        if isinstance(func, cst.Attribute):
            method = func.attr.value
            if method in _GENERATOR_METHODS:
                new = _GENERATOR_METHODS[method]
                fix = FixSpec(f"Use `{new}`", (EditSpec(func.attr, new),))
                self.ctx.report(func.attr, "MLS303", fix, method=method, replacement=new)
                return
            if method == "predict_classes":
                self.ctx.report(func.attr, "MLS304")
                return
        q = self.ctx.call_qualname(node)
        if q is None or not q.startswith("keras.optimizers.") or ".legacy." in q:
            return
        for arg in node.args:
            if arg.keyword is not None and arg.keyword.value == "lr":
                fix = FixSpec("Use `learning_rate=`", (EditSpec(arg.keyword, "learning_rate"),))
                self.ctx.report(arg.keyword, "MLS302", fix)

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        if node.module is not None and not node.relative:
            self._check_module(node.module, fixable=True)

    def visit_Import(self, node: cst.Import) -> None:
        for alias in node.names:
            self._check_module(alias.name, fixable=False)

    def _check_module(self, module: cst.BaseExpression, fixable: bool) -> None:
        dotted = ChunkContext.dotted(module)
        if dotted is None:
            return
        canon = canonical(dotted)
        entry = self._modules.get(canon)
        if entry is None:
            return
        new = entry["replacement"]
        fix = None
        if new is not None:
            # Keep the user's spelling of the package (tensorflow.keras stays tensorflow.keras).
            head = dotted[: len(dotted) - (len(canon) - len("keras"))]
            text = head + new[len("keras"):]
            advice = f"import from `{text}`"
            if fixable:
                fix = FixSpec(f"Import from `{text}`", (EditSpec(module, text),))
        else:
            advice = entry["note"]
        self.ctx.report(module, "MLS305", fix, module=dotted, advice=advice)


@register
class TensorFlowV1Rules(ChunkRule):
    """TensorFlow 1 graph-mode APIs."""

    family = "tf-v1"
    requires = ("tensorflow",)
    rules = (
        RuleInfo("MLS306", "tf1-api-removed",
                 "`{name}` does not exist in TensorFlow 2 (AttributeError); use {advice}",
                 Severity.ERROR, fixable=True),
        RuleInfo("MLS307", "tf-compat-v1-graph-mode",
                 "`{name}` runs TensorFlow 1 graph mode; it works, but eager execution with "
                 "`tf.function` is the supported path", Severity.INFORMATION),
    )
    _GRAPH_MODE = frozenset(("tensorflow.compat.v1.Session", "tensorflow.compat.v1.InteractiveSession",
                             "tensorflow.compat.v1.disable_eager_execution",
                             "tensorflow.compat.v1.disable_v2_behavior"))

    def __init__(self, ctx: ChunkContext) -> None:
        super().__init__(ctx)
        self._active = ctx.imports.imports_any("tensorflow")
        self._removed = load_table("keras_tf")["tf1_removed"]

    def visit_Call(self, node: cst.Call) -> None:
        if not self._active:
            return
        q = self.ctx.call_qualname(node)
        if q is None or not q.startswith("tensorflow."):
            return
        name = self.ctx.code_for(node.func)
        if q in self._GRAPH_MODE:
            self.ctx.report(node.func, "MLS307", name=name)
            return
        rest = q[len("tensorflow."):]
        if rest.startswith("contrib."):
            self.ctx.report(node.func, "MLS306", None, name=name,
                            advice="its TF 2 successor (tf.contrib was removed; see the TF 2 "
                                   "migration guide)")
            return
        if rest not in self._removed:
            return
        target = self._removed[rest] or f"tensorflow.compat.v1.{rest}"
        local = spell(self.ctx, target)
        shown = local or target
        fix = FixSpec(f"Use `{local}`", (EditSpec(node.func, local),), safe=False) if local else None
        self.ctx.report(node.func, "MLS306", fix, name=name, advice=f"`{shown}`")
