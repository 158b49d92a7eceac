"""What a variable holds at a point of the file, for hovers: ``x: Tensor (N, 32, 13, 13)
float32 · cpu``. The shape is the one the hints state for the statement that last bound the
name before that point (in ``forward`` / ``call`` / a helper, or at module level); a name bound
in between where no hint is certain (a loop, a branch, an unknown call) is not described.
dtype, device and kind are given where the binding states them (``torch.randn(...)`` is
float32 on the cpu, ``.to(device)`` moves it, ``softmax`` gives probabilities)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import libcst as cst

from ..walk import iter_nodes
from .dims import Shape, fmt_shape
from .hints import Range4, chunk_hints, file_facts

if TYPE_CHECKING:
    from ..engine import ParsedVersion
    from ..units import TopChunk

_FLOAT32 = ("randn", "rand", "zeros", "ones", "empty", "full", "tensor", "Input")
_DTYPES = {"float32", "float64", "float16", "bfloat16", "int64", "int32", "int8", "uint8",
           "bool", "long", "float", "double", "half", "int"}
_ALIASES = {"long": "int64", "float": "float32", "double": "float64", "half": "float16",
            "int": "int32"}
_KINDS = {"softmax": "probabilities", "sigmoid": "probabilities",
          "log_softmax": "log-probabilities", "argmax": "class indices"}


@dataclass(frozen=True)
class VariableFact:
    name: str
    shape: Shape
    range: Range4  # the name under the cursor (absolute, 0-based, code points)
    tensor: str = "Tensor"  # "KerasTensor" for a Keras functional value
    dtype: str | None = None
    device: str | None = None
    kind: str | None = None

    def label(self) -> str:
        extra = [d for d in (self.device, self.kind) if d]
        head = f"{self.name}: {self.tensor} {fmt_shape(self.shape)}"
        if self.dtype:
            head += f" {self.dtype}"
        return " · ".join([head, *extra])


def variable_at(parse: ParsedVersion, line: int, column: int) -> VariableFact | None:
    """The variable under (``line``, ``column``) (0-based, code points) and what it holds."""
    for index, (chunk, offset) in enumerate(parse.chunks):
        last = offset + chunk.text.count("\n") - chunk.text.endswith("\n")
        if not offset <= line <= last or chunk.module is None:
            continue
        found = _name_at(chunk, line - offset, column)
        if found is None:
            return None
        name, node, scope = found
        l0, c0, l1, c1 = chunk.range_of(node)
        where = (offset + l0, c0, offset + l1, c1)
        if scope is not None:
            return _in_function(parse, chunk, offset, scope, node, where)
        return _at_module_level(parse, index, node, where)
    return None


def _name_at(chunk: TopChunk, line: int, column: int
             ) -> tuple[str, cst.Name, cst.FunctionDef | None] | None:
    """The Name under the cursor (not an attribute, a keyword or a definition's name) and the
    innermost function around it."""
    assert chunk.module is not None
    skip: set[int] = set()
    best: cst.Name | None = None
    functions: list[cst.FunctionDef] = []
    for node in iter_nodes([chunk.module]):
        if isinstance(node, cst.Attribute):
            skip.add(id(node.attr))
        elif isinstance(node, cst.Arg) and node.keyword is not None:
            skip.add(id(node.keyword))
        elif isinstance(node, cst.FunctionDef | cst.ClassDef):
            skip.add(id(node.name))
            if isinstance(node, cst.FunctionDef):
                functions.append(node)
        elif isinstance(node, cst.Name) and id(node) not in skip:
            l0, c0, l1, c1 = chunk.range_of(node)
            if (l0, c0) <= (line, column) <= (l1, c1):
                best = node
    if best is None:
        return None
    scope = None
    for fn in functions:
        l0, c0, l1, c1 = chunk.range_of(fn)
        if (l0, c0) <= (line, column) <= (l1, c1):
            scope = fn  # functions come outermost first: the last one is the innermost
    return best.value, best, scope


def _contains(node: cst.CSTNode, target: cst.CSTNode) -> bool:
    return any(n is target for n in iter_nodes([node]))


def _binds(small: cst.CSTNode, name: str) -> bool:
    from .statements import assigned_names

    return name in assigned_names(small)


State = tuple[Shape | None, cst.CSTNode | None]  # the shape a name holds, its binding


def _follow(statements: Sequence[cst.BaseStatement], node: cst.Name,
            shapes: Mapping[int, Mapping[str, Shape]], state: State) -> tuple[State, bool]:
    """``state`` carried through ``statements`` in order up to the one holding ``node``
    (a binding gives the shape its hint states, else unknown); whether ``node`` was met.
    ``node`` read by a statement sees the value before it, as a target the value after."""
    name = node.value
    for stmt in statements:
        smalls = stmt.body if isinstance(stmt, cst.SimpleStatementLine) else [stmt]
        for small in smalls:
            here = _contains(small, node)
            if here and not (isinstance(small, cst.Assign) and any(
                    _contains(t, node) for t in small.targets)):
                return state, True
            if _binds(small, name):
                state = (shapes.get(id(small), {}).get(name), small)
            if here:
                return state, True
    return state, False


def _in_function(parse: ParsedVersion, chunk: TopChunk, offset: int, fn: cst.FunctionDef,
                 node: cst.Name, where: Range4) -> VariableFact | None:
    shapes = {id(h.node): dict(h.shapes) for h in chunk_hints(parse, chunk, offset)
              if h.shapes}
    state: State = (_parameter(parse, chunk, fn, node.value), None)
    if _contains(fn.params, node):
        return _fact(parse, node.value, state, where)
    body = fn.body.body if isinstance(fn.body, cst.IndentedBlock) else ()
    state, met = _follow(body, node, shapes, state)
    return _fact(parse, node.value, state, where) if met else None


def _parameter(parse: ParsedVersion, chunk: TopChunk, fn: cst.FunctionDef, name: str
               ) -> Shape | None:
    """The input of a ``forward`` / ``call`` as its class's walk assumed it."""
    from .modules import chunk_classes

    params = [p.name.value for p in fn.params.params]
    if fn.name.value not in ("forward", "call") or len(params) < 2 or params[1] != name:
        return None
    bindings, inputs, definitions = file_facts(parse)
    for cls in chunk_classes(chunk, parse.imports, bindings, inputs, definitions):
        if any(n is fn for n in iter_nodes([cls.node.body])):
            return cls.input
    return None


def _at_module_level(parse: ParsedVersion, index: int, node: cst.Name, where: Range4
                     ) -> VariableFact | None:
    from .hints import toplevel_facts

    facts = toplevel_facts(parse)
    state: State = (None, None)
    for chunk, _ in parse.chunks[:index + 1]:
        if node.value not in chunk.text or chunk.module is None:
            continue
        shapes = {id(f.node): dict(f.shapes) for f in facts.get(id(chunk), ())}
        state, met = _follow(chunk.module.body, node, shapes, state)
        if met:
            return _fact(parse, node.value, state, where)
    return None


def _fact(parse: ParsedVersion, name: str, state: State, where: Range4) -> VariableFact | None:
    shape, binding = state
    if shape is None:
        return None
    value = binding.value if isinstance(binding, cst.Assign) else None
    tensor, dtype, device, kind = _describe(value, parse.imports.resolve) \
        if value is not None else ("Tensor", None, None, None)
    return VariableFact(name, shape, where, tensor, dtype, device, kind)


def _describe(expr: cst.BaseExpression, resolve: Any
              ) -> tuple[str, str | None, str | None, str | None]:
    """(tensor word, dtype, device, kind) as the expression states them."""
    device = kind = None
    dtype: str | None = None
    while isinstance(expr, cst.Call) and isinstance(expr.func, cst.Attribute) \
            and expr.func.attr.value in ("to", "cuda", "cpu", "float", "double", "long",
                                         "half", "int"):
        method = expr.func.attr.value
        if method in ("float", "double", "long", "half", "int") and dtype is None:
            dtype = _ALIASES[method]
        elif method in ("cuda", "cpu") and device is None:
            device = method
        elif method == "to" and expr.args and device is None:
            device = _device(expr.args[0].value) or device
        expr = expr.func.value
    if not isinstance(expr, cst.Call):
        return "Tensor", dtype, device, kind
    name = resolve(expr.func) or ""
    if isinstance(expr.func, cst.Call):  # layers.Dense(8)(x): a Keras functional value
        inner = resolve(expr.func.func) or ""
        return ("KerasTensor" if inner.startswith("keras.") else "Tensor"), dtype, device, kind
    short = name.rpartition(".")[2] or (
        expr.func.attr.value if isinstance(expr.func, cst.Attribute) else "")
    kind = _KINDS.get(short)
    if name.startswith("keras."):
        return "KerasTensor", dtype or _keyword_dtype(expr) or "float32", device, kind
    if name.startswith(("torch.", "numpy.")) and short in (*_FLOAT32, "randint"):
        default = "int64" if short == "randint" else (
            "float64" if name.startswith("numpy.") else "float32")
        given = _keyword_dtype(expr)
        dtype = dtype or given or (default if short != "tensor" else None)
        if name.startswith("torch.") and device is None:
            device = _device_keyword(expr) or "cpu"
    return "Tensor", dtype, device, kind


def _keyword_dtype(call: cst.Call) -> str | None:
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == "dtype":
            value = arg.value
            text = value.evaluated_value if isinstance(value, cst.SimpleString) else (
                value.attr.value if isinstance(value, cst.Attribute) else None)
            if isinstance(text, str) and text in _DTYPES:
                return _ALIASES.get(text, text)
    return None


def _device_keyword(call: cst.Call) -> str | None:
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == "device":
            return _device(arg.value)
    return None


def _device(expr: cst.BaseExpression) -> str | None:
    if isinstance(expr, cst.SimpleString):
        text = expr.evaluated_value
        return text if isinstance(text, str) else None
    if isinstance(expr, cst.Name):
        return f"device of `{expr.value}`"
    return None
