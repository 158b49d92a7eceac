"""The size that flows into a layer being written: ``nn.Linear(|`` offers ``in_features``, the
last dimension of what reaches it (the most asked question about PyTorch models is the input
size after a flatten); ``nn.Conv2d(|`` ``in_channels``, ``nn.BatchNorm2d(|`` ``num_features``...

The statement under the cursor is parsed again with a placeholder where the size goes (the text
being typed is often not valid Python yet: ``nn.Linear(in_features=``), and the models of that
statement are evaluated as for the inlay hints: an ``nn.Sequential`` element gets what the
element before it produces, a layer assigned in ``__init__`` what ``forward`` feeds it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import libcst as cst

from ..aliases import ImportTable
from ..units import ParsedChunk, TopChunk
from ..walk import iter_nodes
from .dims import Shape, fmt_shape
from .inputs import class_bindings, class_definitions, model_inputs
from .modules import Bindings, Definitions, chunk_classes
from .sequential import chunk_models

# layer -> (parameter, its positional index, the input dimension it must equal)
SIZE_ARGUMENTS: dict[str, tuple[str, int, int]] = {
    "torch.nn.Linear": ("in_features", 0, -1),
    "torch.nn.LayerNorm": ("normalized_shape", 0, -1),
    **{f"torch.nn.{k}{d}d": (arg, 0, 1) for d in (1, 2, 3) for k, arg in (
        ("Conv", "in_channels"), ("ConvTranspose", "in_channels"),
        ("BatchNorm", "num_features"), ("InstanceNorm", "num_features"))},
    "torch.nn.GroupNorm": ("num_channels", 1, 1),
}
_PLACEHOLDER = 987_654_321  # an int no model has: a size derived from it is not an answer
_CLOSERS = ("", ")", "),", "))", ")),", ")))")  # the call may not be closed yet


@dataclass(frozen=True)
class SizeSuggestion:
    parameter: str  # in_features, in_channels...
    keyword: bool  # the cursor is on `parameter=`, not the positional slot
    size: int
    shape: Shape  # what flows in
    source: str  # where it comes from, for the label


def suggest_size(chunks: list[TopChunk], chunk: TopChunk, imports: ImportTable,
                 facts: tuple[Bindings, Mapping[str, Shape], Definitions], line: int, column: int
                 ) -> SizeSuggestion | None:
    """The size for the layer argument at (``line``, ``column``) of ``chunk``, one of the
    document's ``chunks`` (0-based, relative to the chunk), or None where nothing certain flows
    in. ``facts``: the file's constructor arguments and model inputs (``modules``), computed
    again with the patched statement when the statement being typed did not parse."""
    lines = chunk.text.splitlines(keepends=True)
    if line >= len(lines):
        return None
    head = "".join(lines[:line]) + lines[line][:column]
    tail = lines[line][column:] + "".join(lines[line + 1:])
    for closer in _CLOSERS:
        patched = TopChunk(f"{head}{_PLACEHOLDER}{closer}{tail}", ParsedChunk)
        patched.resolve(frozenset(imports.names))
        if patched.module is not None:
            break
    else:
        return None
    found = _layer_at(patched, imports, line, column)
    if found is None:
        return None
    call, layer, keyword = found
    parameter, _, dim = SIZE_ARGUMENTS[layer]
    bindings, inputs, definitions = facts
    if chunk.module is None:  # the class or the model was invisible to the file's facts
        patched_chunks = [patched if c is chunk else c for c in chunks]
        bindings = class_bindings(patched_chunks, imports)
        inputs = model_inputs(patched_chunks, imports)
        definitions = class_definitions(patched_chunks, imports)
    fed = _fed(patched, imports, bindings, inputs, definitions, call)
    if fed is None:
        return None
    shape, source = fed
    size = shape[dim] if len(shape) > max(dim, -dim - 1) else None
    if not isinstance(size, int) or isinstance(size, bool) or size <= 0 or size == _PLACEHOLDER:
        return None
    return SizeSuggestion(parameter, keyword, size, shape, source)


def _layer_at(chunk: TopChunk, imports: ImportTable, line: int, column: int
              ) -> tuple[cst.Call, str, bool] | None:
    """The sized layer call whose size argument is the placeholder at (line, column)."""
    assert chunk.module is not None
    for node in iter_nodes([chunk.module]):
        if not isinstance(node, cst.Call):
            continue
        layer = imports.resolve(node.func)
        if layer not in SIZE_ARGUMENTS:
            continue
        parameter, index, _ = SIZE_ARGUMENTS[layer]
        positional = [a for a in node.args if a.keyword is None and not a.star]
        for arg in node.args:
            if not (isinstance(arg.value, cst.Integer) and arg.value.value == str(_PLACEHOLDER)):
                continue
            if chunk.range_of(arg.value)[:2] != (line, column):
                continue
            if arg.keyword is not None:
                return (node, layer, True) if arg.keyword.value == parameter else None
            return (node, layer, False) if positional.index(arg) == index else None
    return None


def _fed(chunk: TopChunk, imports: ImportTable, bindings: Bindings,
         inputs: Mapping[str, Shape], definitions: Definitions, call: cst.Call
         ) -> tuple[Shape, str] | None:
    """What reaches ``call``, and where it comes from."""
    for model in chunk_models(chunk, imports, inputs):
        shape, source = model.input, "the model's input"
        for layer in model.layers:
            if layer.node is call:
                return (shape, source) if shape is not None else None
            shape = layer.shape
            if shape is None:
                break
            source = f"the output of {_code(layer.node)}"
    for cls in chunk_classes(chunk, imports, bindings, inputs, definitions):
        for attr, ctor in cls.constructors.items():
            if ctor is not call:
                continue
            seen = {s for s in cls.fed.get(attr, []) if s is not None}
            if len(seen) == 1:  # fed one shape wherever forward calls it
                return seen.pop(), f"what forward passes to self.{attr}"
            return None
    return None


def _code(node: Any) -> str:
    text = " ".join(cst.Module([]).code_for_node(node).split())
    return text if len(text) <= 40 else text[:37] + "..."


def describe(suggestion: SizeSuggestion) -> str:
    """One line for the completion's detail: ``(N, 4096) flows in: the output of nn.Flatten()``."""
    return f"{fmt_shape(suggestion.shape)} flows in: {suggestion.source}"
