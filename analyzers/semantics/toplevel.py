"""Shapes of the tensors a file binds outside classes: Keras functional models
(``x = layers.Dense(64)(x)`` per assignment, at module level or in a builder function),
``model.add(layer)`` on a ``keras.Sequential()``, torch creators (``x = torch.randn(8, 3)``) and
calls of the file's models (``out = model(x)``).

Statements are walked in order with an environment of shapes and constants (``EMBED = 32``);
a name bound anywhere the walk does not follow (a loop, a branch, a function's other paths)
leaves it. Computed once per analysed version (``file_bindings``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import libcst as cst

from . import keras, kinds, ops
from .args import UNKNOWN, Args, literal
from .creators import CREATORS, created
from .dims import Shape, ShapeError
from .sequential import KERAS_INPUTS, KERAS_SEQUENTIAL, TORCH_SEQUENTIAL, Resolve

if TYPE_CHECKING:
    from ..engine import ParsedVersion

_MERGE = frozenset(f"keras.layers.{n}" for n in ("Add", "Subtract", "Multiply", "Average",
                                                 "Maximum", "Minimum"))
_MERGE_FUNCTIONS = frozenset(f"keras.layers.{n}" for n in ("add", "subtract", "multiply",
                                                           "average", "maximum", "minimum"))


@dataclass(frozen=True)
class BindingFact:
    """A statement (or a ``model.add`` element) and the shapes it binds: ``(name, shape)``,
    ``("", shape)`` for an element."""

    node: cst.CSTNode
    shapes: tuple[tuple[str, Shape], ...]


Facts = dict[int, list[BindingFact]]  # id(chunk) -> its facts


@dataclass(frozen=True)
class TensorValue:
    shape: Shape
    kind: kinds.Kind = None  # ``kinds``: logits, probabilities...


@dataclass(frozen=True)
class ModelValue:
    key: str  # a model class's name, "=variable" for a Sequential, or "keras.Sequential()"
    layer: cst.Call | None = None  # a torch layer used as a model (``nn.Linear(10, 1)``)


Problems = list[tuple[object, cst.CSTNode, str]]  # (chunk, node, what certainly fails)


def file_bindings(parse: ParsedVersion, models: Mapping[str, Shape | None],
                  problems: Problems | None = None) -> Facts:
    """Per top-level statement, the tensors it binds. ``models``: what calling each of the
    file's model classes (by class name) or Sequential variables (``=name``) returns, with the
    batch axis ``N``. ``problems`` collects the operations that certainly fail (``ops``)."""
    walk = Walk(parse.imports.resolve, models, "keras" in parse.text)
    out: Facts = {}
    for chunk, _ in parse.chunks:
        defined = definition_name(chunk.text, classes_only=walk.functions)
        if defined is not None:  # a class (a function outside Keras) binds its name only
            walk.env.pop(defined, None)
            continue
        if chunk.module is None:
            continue
        if problems is not None:
            walk.report = lambda node, message, at=chunk: problems.append((at, node, message))
        facts: list[BindingFact] = []
        for stmt in chunk.module.body:
            facts.extend(walk.statement(stmt, walk.env, top=True))
        if facts:
            out[id(chunk)] = facts
    return out


def _concat(shapes: list[Shape | None], axis: Any) -> Shape | None:
    if not shapes or any(s is None for s in shapes) or not isinstance(axis, int):
        return None
    known = [s for s in shapes if s is not None]
    rank = len(known[0])
    if any(len(s) != rank for s in known) or not -rank <= axis < rank:
        return None
    axis %= rank
    if any(s[:axis] + s[axis + 1:] != known[0][:axis] + known[0][axis + 1:] for s in known):
        return None
    sizes = [s[axis] for s in known]
    if not all(isinstance(d, int) for d in sizes):
        return None
    return (*known[0][:axis], sum(sizes), *known[0][axis + 1:])  # type: ignore[arg-type]


def _same(shapes: list[Shape | None]) -> Shape | None:
    first = shapes[0] if shapes else None
    return first if first is not None and all(s == first for s in shapes) else None


class Walk:
    def __init__(self, resolve: Resolve, models: Mapping[str, Shape | None], functions: bool
                 ) -> None:
        self.resolve, self.models, self.functions = resolve, models, functions
        self.env: dict[str, Any] = {}  # name -> TensorValue, ModelValue or a constant
        self.sequential: dict[str, Shape | None] = {}  # keras.Sequential() variables
        self.report: ops.Report | None = None

    # -- statements ------------------------------------------------------------------------
    def statement(self, stmt: cst.CSTNode, env: dict[str, Any], top: bool
                  ) -> Iterator[BindingFact]:
        if isinstance(stmt, cst.FunctionDef):
            if top and self.functions:
                yield from self._function(stmt)
            env.pop(stmt.name.value, None)
            return
        if isinstance(stmt, cst.ClassDef):  # binds its name only: its body is not walked
            env.pop(stmt.name.value, None)
            return
        if not isinstance(stmt, cst.SimpleStatementLine):
            from .statements import assigned_names

            for name in assigned_names(stmt):
                env.pop(name, None)
                self.sequential.pop(name, None)
            return
        for small in stmt.body:
            yield from self._small(small, env)

    def _function(self, fn: cst.FunctionDef) -> Iterator[BindingFact]:
        """A builder function: its parameters' defaults are its constants."""
        env = {k: v for k, v in self.env.items() if not isinstance(v, ModelValue)}
        params = fn.params
        for p in [*params.posonly_params, *params.params, *params.kwonly_params]:
            env[p.name.value] = literal(p.default, env) if p.default is not None else UNKNOWN
        body = fn.body.body if isinstance(fn.body, cst.IndentedBlock) else ()
        for stmt in body:
            yield from self.statement(stmt, env, top=False)

    def _small(self, small: cst.BaseSmallStatement, env: dict[str, Any]
               ) -> Iterator[BindingFact]:
        if isinstance(small, cst.Expr) and isinstance(small.value, cst.Call):
            fact = self._add(small.value, env)
            if fact is not None:
                yield fact
            elif self.report is not None:
                self.shape_of(small.value, env)  # what it binds is nothing; what fails counts
            return
        if not isinstance(small, cst.Assign):
            from .statements import assigned_names

            for name in assigned_names(small):
                env.pop(name, None)
            return
        if len(small.targets) != 1:
            return
        target = small.targets[0].target
        if isinstance(target, cst.Tuple):  # EMBED, HEADS = 32, 4
            values = literal(small.value, env)
            elements = [el.value for el in target.elements]
            for i, element in enumerate(elements):
                if isinstance(element, cst.Name):
                    env[element.value] = values[i] if isinstance(values, tuple) \
                        and len(values) == len(elements) else UNKNOWN
            return
        if not isinstance(target, cst.Name):
            return
        name = target.value
        self.sequential.pop(name, None)
        value = self._value(name, small.value, env)
        env[name] = value
        if isinstance(value, TensorValue):
            yield BindingFact(small, ((name, value.shape),))

    def _value(self, target: str, expr: cst.BaseExpression, env: dict[str, Any]) -> Any:
        """A TensorValue, a ModelValue, a constant, or UNKNOWN."""
        constant = literal(expr, constants(env))
        if constant is not UNKNOWN:
            return constant
        call = unwrap_moves(expr)
        if isinstance(call, cst.Call):
            name = self.resolve(call.func)
            if name in KERAS_SEQUENTIAL and not call.args:
                return ModelValue("keras.Sequential()")
            if isinstance(call.func, cst.Name) and call.func.value in self.models:
                return ModelValue(call.func.value)
            if name in TORCH_SEQUENTIAL:
                return ModelValue(f"={target}")
        shape = self.shape_of(expr, env)
        return TensorValue(shape) if shape is not None else UNKNOWN

    # -- keras.Sequential().add -------------------------------------------------------------
    def _add(self, call: cst.Call, env: dict[str, Any]) -> BindingFact | None:
        func = call.func
        if not (isinstance(func, cst.Attribute) and func.attr.value == "add"
                and isinstance(func.value, cst.Name) and len(call.args) == 1):
            return None
        var = func.value.value
        if env.get(var) != ModelValue("keras.Sequential()"):
            return None
        layer = call.args[0].value
        if not isinstance(layer, cst.Call):
            self.sequential[var] = None
            return None
        name = self.resolve(layer.func)
        shape = self.sequential.get(var)
        args = Args(layer, constants(env))
        if var not in self.sequential:  # the first layer: an Input or an input_shape
            shape = keras.input_shape(args) if name in KERAS_INPUTS or "input_shape" \
                in args.keywords else None
            if name in KERAS_INPUTS:
                self.sequential[var] = shape
                return None
        out = self._layer(name, layer, env, shape)
        self.sequential[var] = out
        return BindingFact(layer, (("", out),)) if out is not None else None

    # -- expressions -----------------------------------------------------------------------
    def shape_of(self, expr: cst.BaseExpression, env: Mapping[str, Any]) -> Shape | None:
        expr = unwrap_moves(expr)
        if isinstance(expr, cst.Name):
            value = env.get(expr.value)
            return value.shape if isinstance(value, TensorValue) else None
        if isinstance(expr, cst.Subscript):
            out = ops.index(self.shape_of(expr.value, env), expr)
            return out if isinstance(out, tuple) else None
        if isinstance(expr, cst.BinaryOperation):
            left, right = self.shape_of(expr.left, env), self.shape_of(expr.right, env)
            if isinstance(expr.operator, cst.MatrixMultiply):
                return ops.matmul(left, right, "@", expr, self.report) \
                    if left is not None and right is not None else None
            if left is not None and (right == left or _is_number(expr.right)):
                return left
            return right if right is not None and _is_number(expr.left) else None
        if not isinstance(expr, cst.Call):
            return None
        consts = constants(env)
        if isinstance(expr.func, cst.Call):  # layers.Dense(64)(x)
            return self._applied(expr.func, expr, env)
        name = self.resolve(expr.func)
        if name in KERAS_INPUTS:
            return keras.input_shape(Args(expr, consts))
        if name == "keras.layers.concatenate" and expr.args:
            axis = Args(expr, consts).get("axis", 1, -1)
            return _concat(self._list(expr.args[0].value, env), axis)
        if name in _MERGE_FUNCTIONS and expr.args:
            return _same(self._list(expr.args[0].value, env))
        if name in CREATORS:
            return created(name, expr, consts, lambda e: self.shape_of(e, env))
        if name is not None and name.startswith("torch."):  # torch.cat, torch.matmul...
            out = ops.function(name, expr, lambda e: self.shape_of(e, env), self.report)
            return out if isinstance(out, tuple) else None
        if name is None and isinstance(expr.func, cst.Attribute):  # x.view(8, -1), x @ w
            base = self.shape_of(expr.func.value, env)
            out = ops.method(expr.func.attr.value, base, expr, 0,
                             lambda e: self.shape_of(e, env), self.report) \
                if base is not None else None
            return out if isinstance(out, tuple) else None
        model = env.get(expr.func.value) if isinstance(expr.func, cst.Name) else None
        if isinstance(model, ModelValue) and expr.args:
            return self._model_call(model.key, expr.args[0].value, env)
        return None

    def _model_call(self, key: str, arg: cst.BaseExpression, env: Mapping[str, Any]
                    ) -> Shape | None:
        given = self.shape_of(arg, env)
        out = self.models.get(key)
        if given is None or out is None or not given:
            return None
        return tuple(given[0] if d == "N" else d for d in out)

    def _list(self, expr: cst.BaseExpression, env: Mapping[str, Any]) -> list[Shape | None]:
        if not isinstance(expr, cst.List | cst.Tuple):
            return [None]
        return [self.shape_of(el.value, env) for el in expr.elements]

    def _applied(self, ctor: cst.Call, call: cst.Call, env: Mapping[str, Any]) -> Shape | None:
        name = self.resolve(ctor.func)
        args = Args(ctor, constants(env))
        if not call.args or name is None:
            return None
        first = call.args[0].value
        if name in _MERGE:
            return _same(self._list(first, env))
        if name == "keras.layers.Concatenate":
            return _concat(self._list(first, env), args.get("axis", 0, -1))
        if name == "keras.layers.MultiHeadAttention":
            inputs = {a.keyword.value: a.value for a in call.args if a.keyword is not None}
            query = inputs.get("query", call.args[0].value if call.args[0].keyword is None
                               else None)
            shape = self.shape_of(query, env) if query is not None else None
            out = args.get("output_shape", None, None)
            if shape is None or out is not None:
                return None
            return shape
        return self._layer(name, ctor, env, self.shape_of(first, env))

    def _layer(self, name: str | None, call: cst.Call, env: Mapping[str, Any],
               shape: Shape | None) -> Shape | None:
        if name is None or shape is None:
            return None
        try:
            out, _ = keras.apply(name, call, self.resolve, constants(env), shape)
        except ShapeError:
            return None
        return out


_DEFINITION = re.compile(r"(?:[ \t]*(?:#[^\n]*)?\n)*(?:@[^\n]*\n\s*)*"
                         r"(?:async\s+)?(def|class)\s+(\w+)")


def definition(text: str) -> tuple[str, str] | None:
    """``("class", name)`` or ``("def", name)`` for a top-level definition, read from its
    text (the statement need not be parsed); None for any other statement."""
    m = _DEFINITION.match(text)
    return (m.group(1), m.group(2)) if m is not None else None


def definition_name(text: str, classes_only: bool = False) -> str | None:
    """The name a top-level ``class`` (or ``def``) statement binds (:func:`definition`)."""
    found = definition(text)
    return None if found is None or (classes_only and found[0] == "def") else found[1]


def constants(env: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in env.items() if not isinstance(v, TensorValue | ModelValue)}


def unwrap_moves(expr: cst.BaseExpression) -> cst.BaseExpression:
    """``Net().to(device)``, ``x.cuda()``, ``x.float()``: what is moved or cast."""
    while isinstance(expr, cst.Call) and isinstance(expr.func, cst.Attribute) \
            and expr.func.attr.value in ("to", "cuda", "cpu", "float", "eval", "train"):
        expr = expr.func.value
    return expr


def _is_number(expr: cst.BaseExpression) -> bool:
    value = literal(expr)
    return isinstance(value, int | float) and not isinstance(value, bool)
