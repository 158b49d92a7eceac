"""Keras / tf.keras API rules (MLS3xx)."""

from __future__ import annotations

import libcst as cst

from ..context import EditSpec, FixSpec
from ..findings import Severity
from ..registry import ChunkRule, RuleInfo, register

_SEQUENTIAL = {"keras.Sequential", "keras.models.Sequential"}


@register
class KerasInputShapeRule(ChunkRule):
    """Keras 3 prefers an explicit ``keras.Input(shape=...)`` over a layer's ``input_shape=``."""

    family = "keras-api"
    rules = (
        RuleInfo("MLS301", "keras-input-shape-argument",
                 "Keras 3 prefers `{input}(shape={shape})` as the first layer over "
                 "`input_shape=` on a layer", Severity.WARNING, fixable=True),
    )

    def visit_Call(self, node: cst.Call) -> None:
        if self.ctx.call_qualname(node) not in _SEQUENTIAL or not node.args:
            return
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
        input_name = self.ctx.local_name_for("keras.Input") or self.ctx.local_name_for(
            "keras.layers.Input")
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
