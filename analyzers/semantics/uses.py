"""Where the file's tensors are used, as the value model sees them: every loss call with the
shape and kind of its prediction and the shape of its target (``loss_uses``).

The top-level walk (``toplevel.Walk``) again, deeper: the bodies of loops, branches and
``with`` blocks are walked too (a name a loop binds is unknown at the loop's top, a name bound
in any block is unknown after it), then each function, in the module's final environment with
its parameters unknown. A model called on something unknown still gives its summary's output
(``(N, 1)`` from ``Linear(10, 1)`` last) and kind; a torch layer bound at the top level
(``model = nn.Linear(10, 1)``) is a model too. None of this is shown as a hint.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any

import libcst as cst

from ..walk import iter_nodes, suites
from . import kinds, pytorch
from .args import UNKNOWN, Args
from .dims import UNKNOWN_DIM, Shape, ShapeError
from .statements import assigned_names, statement_words
from .toplevel import (
    BindingFact,
    ModelValue,
    TensorValue,
    Walk,
    constants,
    definition,
    unwrap_moves,
)

if TYPE_CHECKING:
    from ..engine import ParsedVersion
    from ..units import TopChunk


_DATA = ("torch.utils.data.DataLoader", "torch.utils.data.TensorDataset")


@dataclass(frozen=True)
class LossUse:
    chunk: TopChunk
    call: cst.Call
    loss: str  # "MSELoss", "CrossEntropyLoss"...
    prediction: cst.BaseExpression
    target: cst.BaseExpression
    prediction_shape: Shape | None
    prediction_kind: kinds.Kind
    target_shape: Shape | None


@dataclass(frozen=True)
class _Loss:
    name: str


@dataclass(frozen=True)
class _Batches:
    """A ``TensorDataset`` (or a ``DataLoader`` of one): what each item gives, its batch
    axis ``?`` (a last batch may be smaller)."""

    shapes: tuple[Shape, ...]


@dataclass(frozen=True)
class _Kind:
    """A tensor of known kind whose shape is not known."""

    kind: kinds.Kind


def loss_uses(parse: ParsedVersion) -> list[LossUse]:
    """Every loss call of the file with what it is given, once per version. Each top-level
    statement's part is memoized on its text and on what it reads of the environment (the
    names it mentions), so an edit re-walks the statements it can change."""
    found = parse.derived.get("semantics:loss-uses")
    if found is None:
        from .hints import file_models

        walk = _UseWalk(parse.imports.resolve, *file_models(parse),
                        parse.imports.fingerprint)
        found, functions = [], []
        for chunk, _ in parse.chunks:
            defined = definition(chunk.text)
            if defined is not None:  # a class or a function binds its name (read unparsed)
                walk.env.pop(defined[1], None)
                if defined[0] == "def":
                    functions.append(chunk)
                continue
            uses, delta, defines = _memoized(chunk, walk, "top", partial(walk.walk_top, chunk))
            found.extend(uses)
            for name, value in delta:
                walk.env.pop(name, None) if value is _MISSING else walk.env.update({name: value})
            if defines:
                functions.append(chunk)
        for chunk in functions:  # in the module's final environment
            found.extend(_memoized(chunk, walk, "functions",
                                   partial(walk.walk_functions, chunk))[0])
        parse.derived["semantics:loss-uses"] = found
    return found  # type: ignore[no-any-return]


_MISSING: Any = object()
_VERSIONS = 4  # results kept per statement (the same text may sit at several places)


def _memoized(chunk: TopChunk, walk: _UseWalk, part: str, compute: Callable[[], Any]) -> Any:
    words = statement_words(chunk)
    env, models, model_kinds = walk.env, walk.models, walk.model_kinds
    key = (part, walk.fingerprint, tuple(
        (w, env.get(w, _MISSING), models.get(w), model_kinds.get(w), models.get("=" + w),
         model_kinds.get("=" + w)) for w in sorted(words)
        if w in env or w in models or "=" + w in models))
    try:
        slots: Any = chunk.memo.setdefault("semantics:uses", {})
        found = slots.get(key, _MISSING)
    except TypeError:  # a value that cannot be a key (a list constant): no memo
        return compute()
    if found is _MISSING:
        if len(slots) >= _VERSIONS:
            del slots[next(iter(slots))]
        found = slots[key] = compute()
    return found


def _parameters(fn: cst.FunctionDef) -> list[str]:
    p = fn.params
    named = [*p.posonly_params, *p.params, *p.kwonly_params]
    star = [s for s in (p.star_arg, p.star_kwarg) if isinstance(s, cst.Param)]
    return [q.name.value for q in (*named, *star)]


class _Recording(dict[str, Any]):
    """An environment that remembers which names were written or removed."""

    def __init__(self) -> None:
        super().__init__()
        self.written: set[str] = set()

    def __setitem__(self, key: str, value: Any) -> None:
        self.written.add(key)
        super().__setitem__(key, value)

    def pop(self, key: str, *default: Any) -> Any:
        self.written.add(key)
        return super().pop(key, *default)


class _UseWalk(Walk):
    def __init__(self, resolve: Any, models: Mapping[str, Shape | None],
                 model_kinds: Mapping[str, kinds.Kind], fingerprint: object = None) -> None:
        super().__init__(resolve, models, False)
        self.env: _Recording = _Recording()
        self.model_kinds = model_kinds
        self.fingerprint = fingerprint
        self.uses: list[LossUse] = []
        self.chunk: Any = None

    def walk_top(self, chunk: TopChunk) -> tuple[list[LossUse], tuple[tuple[str, Any], ...], bool]:
        """One top-level statement: its loss calls, what it changes of the environment, and
        whether it defines a function."""
        self.chunk, self.uses, self.env.written = chunk, [], set()
        defines = False
        for stmt in chunk.module.body if chunk.module is not None else ():
            defines = defines or isinstance(stmt, cst.FunctionDef)
            list(self.statement(stmt, self.env, top=False))
        delta = tuple((k, self.env.get(k, _MISSING)) for k in sorted(self.env.written))
        return self.uses, delta, defines

    def walk_functions(self, chunk: TopChunk) -> tuple[list[LossUse]]:
        """The loss calls in the statement's functions, with the parameters unknown."""
        self.chunk, self.uses = chunk, []
        for fn in chunk.module.body if chunk.module is not None else ():
            if isinstance(fn, cst.FunctionDef):
                env = dict(self.env)
                for name in _parameters(fn):
                    env.pop(name, None)
                self.block(fn.body, env)
        return (self.uses,)

    # -- statements ------------------------------------------------------------------------
    def statement(self, stmt: cst.CSTNode, env: dict[str, Any], top: bool
                  ) -> Iterator[BindingFact]:
        if not isinstance(stmt, cst.SimpleStatementLine | cst.FunctionDef | cst.ClassDef):
            loop = isinstance(stmt, cst.For | cst.While)
            for suite in suites(stmt):
                inner = dict(env)
                for name in assigned_names(stmt) if loop else ():
                    inner.pop(name, None)  # what the last pass bound is not known here
                if isinstance(stmt, cst.For) and suite is stmt.body:
                    self._batch(stmt.target, stmt.iter, env, inner)
                self.block(suite, inner)
        yield from super().statement(stmt, env, top)

    def block(self, suite: cst.BaseSuite, env: dict[str, Any]) -> None:
        if isinstance(suite, cst.SimpleStatementSuite):
            for small in suite.body:
                list(self._small(small, env))
            return
        for stmt in suite.body if isinstance(suite, cst.IndentedBlock) else ():
            list(self.statement(stmt, env, top=False))

    def _small(self, small: cst.BaseSmallStatement, env: dict[str, Any]
               ) -> Iterator[BindingFact]:
        for node in iter_nodes([small]):
            if isinstance(node, cst.Call):
                self._loss_call(node, env)
        yield from super()._small(small, env)

    def _loss_call(self, call: cst.Call, env: Mapping[str, Any]) -> None:
        name = self.resolve(call.func)
        loss = kinds.LOSS_FUNCTIONS.get(name or "")
        if loss is None and isinstance(call.func, cst.Name):
            bound = env.get(call.func.value)
            loss = bound.name if isinstance(bound, _Loss) else None
        elif loss is None and isinstance(call.func, cst.Call):
            loss = kinds.loss_of(self.resolve(call.func.func))
        prediction = kinds.argument(call, "input", 0)
        target = kinds.argument(call, "target", 1)
        if loss is None or prediction is None or target is None:
            return
        self.uses.append(LossUse(self.chunk, call, loss, prediction, target,
                                 self.shape_of(prediction, env), self.kind_of(prediction, env),
                                 self.shape_of(target, env)))

    def _batch(self, target: cst.BaseExpression, source: cst.BaseExpression,
               env: Mapping[str, Any], inner: dict[str, Any]) -> None:
        """``for xb, yb in loader`` / ``for i, (xb, yb) in enumerate(loader)``: the batches."""
        if isinstance(source, cst.Call) and isinstance(source.func, cst.Name) \
                and source.func.value == "enumerate" and len(source.args) == 1 \
                and isinstance(target, cst.Tuple) and len(target.elements) == 2:
            target, source = target.elements[1].value, source.args[0].value
        batches = env.get(source.value) if isinstance(source, cst.Name) else (
            self._batches(self.resolve(source.func) or "", source, env)
            if isinstance(source, cst.Call) else None)
        if not isinstance(batches, _Batches) or not isinstance(target, cst.Tuple | cst.List) \
                or len(target.elements) != len(batches.shapes):
            return
        for element, shape in zip(target.elements, batches.shapes, strict=True):
            if isinstance(element.value, cst.Name):
                inner[element.value.value] = TensorValue(shape)

    # -- values ----------------------------------------------------------------------------
    def _value(self, target: str, expr: cst.BaseExpression, env: dict[str, Any]) -> Any:
        call = unwrap_moves(expr)
        if isinstance(call, cst.Call):
            name = self.resolve(call.func)
            loss = kinds.loss_of(name)
            if loss is not None:
                return _Loss(loss)
            if name in _DATA:
                batches = self._batches(name, call, env)
                return batches if batches is not None else UNKNOWN
            if name in pytorch.LAYERS and name.startswith("torch.nn."):
                return ModelValue("layer", call)
        value = super()._value(target, expr, env)
        kind = self.kind_of(expr, env)
        if isinstance(value, TensorValue):
            return TensorValue(value.shape, kind)
        return _Kind(kind) if kind is not None and not isinstance(value, ModelValue) else value

    def _batches(self, name: str, call: cst.Call, env: Mapping[str, Any]) -> Any:
        if name == "torch.utils.data.DataLoader":
            data = kinds.argument(call, "dataset", 0)
            found = env.get(data.value) if isinstance(data, cst.Name) else (
                self._batches(self.resolve(data.func) or "", data, env)
                if isinstance(data, cst.Call) else None)
            return found if isinstance(found, _Batches) else None
        if name != "torch.utils.data.TensorDataset" or not call.args \
                or any(a.star or a.keyword is not None for a in call.args):
            return None
        shapes = [self.shape_of(a.value, env) for a in call.args]
        if any(s is None or not s for s in shapes):
            return None
        return _Batches(tuple((UNKNOWN_DIM, *s[1:]) for s in shapes if s is not None))

    def kind_of(self, expr: cst.BaseExpression, env: Mapping[str, Any]) -> kinds.Kind:
        def name_kind(name: str) -> kinds.Kind:
            value = env.get(name)
            return value.kind if isinstance(value, TensorValue | _Kind) else None

        return kinds.expression_kind(unwrap_moves(expr), name_kind,
                                     lambda call: self._called_kind(call, env), self.resolve)

    def _called_kind(self, call: cst.Call, env: Mapping[str, Any]) -> tuple[bool, kinds.Kind]:
        model = self._model(call.func, env)
        if model is None:
            return False, None
        if model.layer is not None:
            return True, kinds.layer_kind(self.resolve(model.layer.func), model.layer,
                                          self.resolve)
        return True, self.model_kinds.get(model.key)

    def _model(self, func: cst.BaseExpression, env: Mapping[str, Any]) -> ModelValue | None:
        """The model a call calls: a bound one, ``Net()(x)``, ``nn.Linear(10, 1)(x)``."""
        func = unwrap_moves(func)
        if isinstance(func, cst.Name):
            bound = env.get(func.value)
            return bound if isinstance(bound, ModelValue) else None
        if isinstance(func, cst.Call) and isinstance(func.func, cst.Name) \
                and func.func.value in self.models:
            return ModelValue(func.func.value)
        name = self.resolve(func.func) if isinstance(func, cst.Call) else None
        if isinstance(func, cst.Call) and name in pytorch.LAYERS \
                and name.startswith("torch.nn."):
            return ModelValue("layer", func)
        return None

    def shape_of(self, expr: cst.BaseExpression, env: Mapping[str, Any]) -> Shape | None:
        call = unwrap_moves(expr)
        if isinstance(call, cst.Call) and isinstance(call.func, cst.Attribute) \
                and call.func.attr.value in ("astype", "numpy"):  # NumPy data on its way
            return self.shape_of(call.func.value, env)
        model = self._model(call.func, env) if isinstance(call, cst.Call) and call.args \
            else None
        if model is None:
            return super().shape_of(expr, env)
        assert isinstance(call, cst.Call)
        given = self.shape_of(call.args[0].value, env)
        if model.layer is None:
            out = self.models.get(model.key)  # the summary's output where the input is unknown
            return out if given is None or out is None or not given \
                else tuple(given[0] if d == "N" else d for d in out)
        name = self.resolve(model.layer.func) or ""
        args = Args(model.layer, constants(env))
        try:
            out, _ = pytorch.LAYERS[name](args, given or pytorch.input_shape(name, args))
        except ShapeError:
            return None
        return out if isinstance(out, tuple) else None
