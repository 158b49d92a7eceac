"""Shapes and parameter counts through ``nn.Sequential(...)`` and ``keras.Sequential([...])``.

The input comes from, in order: a Keras ``Input(shape=...)`` element or a first layer's
``input_shape=``; a ``# mlsense: input (N, 3, 224, 224)`` comment in the statement; the first
layer's own arguments (``Linear(13, ...)`` -> ``(N, 13)``, ``Conv2d(3, ...)`` ->
``(N, 3, H, W)``). Each element then gets its output shape and parameter count from the
framework's table; an element the tables do not know ends what is known after it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import libcst as cst

from ..aliases import ImportTable
from ..models import CLASS_BASES, SEQUENTIAL_CALLS
from ..units import TopChunk
from ..walk import iter_nodes
from . import keras, pytorch
from .args import Args
from .dims import Shape, ShapeError

# The spellings model discovery knows (models.py), one set per framework.
TORCH_SEQUENTIAL = frozenset(n for n, f in SEQUENTIAL_CALLS.items() if f == "pytorch")
KERAS_SEQUENTIAL = frozenset(n for n, f in SEQUENTIAL_CALLS.items() if f == "keras")
TORCH_MODULE_BASES = frozenset(n for n, f in CLASS_BASES.items()
                               if f == "pytorch" and n not in SEQUENTIAL_CALLS)
KERAS_INPUTS = ("keras.Input", "keras.layers.Input", "keras.layers.InputLayer")
_INPUT_COMMENT = re.compile(r"#\s*mlsense:\s*input\s*\(([^)]*)\)")
Resolve = Callable[[cst.BaseExpression], str | None]
# A module class of the file as an element: (its output, its parameters), None if not one.
ClassLayer = Callable[[cst.Call, Shape | None], tuple[Shape | None, int | None] | None]


@dataclass(frozen=True)
class LayerFact:
    node: cst.CSTNode  # the element; its hint goes after it
    shape: Shape | None  # what comes out of it
    params: int | None
    error: str | None = None  # the input cannot go through it
    is_input: bool = False  # a Keras Input element: its shape is what flows in


@dataclass(frozen=True)
class ModelFact:
    node: cst.Call  # the Sequential call; the total goes after it
    framework: str  # "pytorch" | "keras"
    input: Shape | None
    layers: tuple[LayerFact, ...]
    inner: tuple[LayerFact, ...] = ()  # the elements of nested Sequentials (hints only)

    @property
    def total(self) -> int | None:
        counts = [layer.params for layer in self.layers]
        return sum(c for c in counts if c is not None) if None not in counts else None


def chunk_models(chunk: TopChunk, imports: ImportTable,
                 inputs: Mapping[str, Shape] | None = None) -> list[ModelFact]:
    """:func:`sequential_models` of one top-level statement, memoized on its text (and on
    what the file feeds the models it binds: ``inputs``, see ``modules.model_inputs``)."""
    if "Sequential" not in chunk.text or chunk.module is None:
        return []
    fed = sorted((k, v) for k, v in (inputs or {}).items()
                 if k.startswith("=") and k[1:] in chunk.text)
    key = f"semantics:sequential@{imports.fingerprint}:{fed!r}"
    models = chunk.memo.get(key)
    if models is None:
        models = chunk.memo[key] = sequential_models(chunk.module, imports.resolve, chunk.text,
                                                     dict(fed))
    return models  # type: ignore[return-value]


def input_comment(text: str) -> Shape | None:
    """The shape of a ``# mlsense: input (N, 3, 224, 224)`` comment in ``text``, if one."""
    m = _INPUT_COMMENT.search(text)
    if m is None:
        return None
    dims = [d.strip() for d in m.group(1).split(",") if d.strip()]
    if not dims or not all(re.fullmatch(r"\d+|[A-Za-z_]\w*", d) for d in dims):
        return None
    return tuple(int(d) if d.isdigit() else d for d in dims)


def sequential_models(module: cst.Module, resolve: Resolve, text: str = "",
                      inputs: Mapping[str, Shape] | None = None) -> list[ModelFact]:
    """Every Sequential model built in ``module`` (nested ones are part of their parent);
    ``inputs["=net"]`` is what the file feeds the model bound to ``net`` at the top level."""
    comment = input_comment(text) if "mlsense" in text else None
    bound = {id(small.value): inputs[f"={small.targets[0].target.value}"]
             for stmt in module.body if isinstance(stmt, cst.SimpleStatementLine)
             for small in stmt.body
             if inputs and isinstance(small, cst.Assign) and len(small.targets) == 1
             and isinstance(small.targets[0].target, cst.Name)
             and f"={small.targets[0].target.value}" in inputs}
    models: list[ModelFact] = []
    inner: set[int] = set()
    for node in iter_nodes([module]):
        if not isinstance(node, cst.Call) or id(node) in inner:
            continue
        name = resolve(node.func)
        if name in TORCH_SEQUENTIAL:
            model = torch_model(node, resolve, bound.get(id(node), comment), inner)
        elif name in KERAS_SEQUENTIAL:
            model = _keras(node, resolve, comment)
        else:
            continue
        if model is not None:
            models.append(model)
    return models


def torch_model(call: cst.Call, resolve: Resolve, given: Shape | None, inner: set[int],
                env: Mapping[str, Any] | None = None, classes: ClassLayer | None = None
                ) -> ModelFact | None:
    elements = [a.value for a in call.args if a.keyword is None and not a.star]
    if not elements or len(elements) != len(call.args):
        return None  # an OrderedDict, *layers: built by code, not written out
    start = given
    first = elements[0]
    while isinstance(first, cst.Call) and resolve(first.func) in TORCH_SEQUENTIAL \
            and first.args and first.args[0].keyword is None:
        first = first.args[0].value  # a nested Sequential: its own first layer
    if start is None and isinstance(first, cst.Call):
        name = resolve(first.func)
        start = pytorch.input_shape(name, Args(first, env)) if name else None
    nested: list[LayerFact] = []
    layers = tuple(_apply_torch(elements, start, resolve, inner, env, classes, nested))
    return ModelFact(call, "pytorch", start, layers, tuple(nested))


def _apply_torch(elements: list[cst.BaseExpression], shape: Shape | None, resolve: Resolve,
                 inner: set[int], env: Mapping[str, Any] | None = None,
                 classes: ClassLayer | None = None, nested_facts: list[LayerFact] | None = None
                 ) -> list[LayerFact]:
    facts = []
    for element in elements:
        name = resolve(element.func) if isinstance(element, cst.Call) else None
        if name in TORCH_SEQUENTIAL and isinstance(element, cst.Call):
            inner.add(id(element))
            nested = torch_model(element, resolve, shape, inner, env, classes)
            out = nested.layers[-1].shape if nested and nested.layers else None
            facts.append(LayerFact(element, out, nested.total if nested else None))
            if nested is not None and nested_facts is not None:
                nested_facts.extend((*nested.layers, *nested.inner))
            shape = out
            continue
        own = classes(element, shape) if classes is not None \
            and isinstance(element, cst.Call) else None
        if own is not None:
            shape = own[0]
            facts.append(LayerFact(element, *own))
            continue
        layer = pytorch.LAYERS.get(name) if name else None
        if layer is None or not isinstance(element, cst.Call):
            facts.append(LayerFact(element, None, None))
            shape = None
            continue
        try:
            shape, params = layer(Args(element, env), shape)
        except ShapeError as err:
            facts.append(LayerFact(element, None, None, str(err)))
            shape = None
            continue
        facts.append(LayerFact(element, shape, params))
    return facts


def _keras(call: cst.Call, resolve: Resolve, given: Shape | None) -> ModelFact | None:
    arg = next((a.value for a in call.args if a.keyword is None or a.keyword.value == "layers"),
               None)
    if not isinstance(arg, cst.List | cst.Tuple):
        return None
    elements = [el.value for el in arg.elements if not isinstance(el, cst.StarredElement)]
    if len(elements) != len(arg.elements):
        return None
    shape: Shape | None = given
    declared = None
    facts: list[LayerFact] = []
    for i, element in enumerate(elements):
        name = resolve(element.func) if isinstance(element, cst.Call) else None
        if i == 0 and isinstance(element, cst.Call):
            declared = keras.input_shape(Args(element)) if name in KERAS_INPUTS or any(
                a.keyword is not None and a.keyword.value == "input_shape"
                for a in element.args) else None
            shape = declared or shape
        if name in KERAS_INPUTS:
            facts.append(LayerFact(element, shape, 0, is_input=True))
            continue
        if not isinstance(element, cst.Call) or name is None or (
                name not in keras.LAYERS and name != "keras.layers.Bidirectional"):
            facts.append(LayerFact(element, None, None))
            shape = None
            continue
        try:
            shape, params = keras.apply(name, element, resolve, None, shape)
        except ShapeError as err:
            facts.append(LayerFact(element, None, None, str(err)))
            shape = None
            continue
        facts.append(LayerFact(element, shape, params))
    start = declared or given
    return ModelFact(call, "keras", start, tuple(facts))
