"""Shapes through an ``nn.Module`` subclass's ``forward``: the layers ``__init__`` assigns to
``self`` (constructor arguments as the code states them) applied statement by statement.

The input comes from a ``# mlsense: input (N, 1, 28, 28)`` comment in the class, else from the
first layer ``forward`` (or a helper it calls) applies to its input (``self.fc1 =
nn.Linear(13, 64)`` -> ``(N, 13)``). A class no call of the file builds (public code) keeps its
constructor's parameters as symbols (``symbolic_env``): ``nn.Conv2d(in_chans, width, 7, 2, 3)``
takes ``(N, in_chans, H, W)`` and gives ``(N, width, (H-1)/2+1, (W-1)/2+1)``; a default is
what one caller gets, so it is never shown as the value.
Understood in ``forward``: ``x = <expression>`` and ``return <expression>`` at its top level,
with layer calls (``self.conv1(x)``, an ``nn.Sequential`` attribute), activations and dropout
(``F.relu``, ``torch.sigmoid``, ``x.relu()``...), ``F.max_pool2d`` / ``F.avg_pool2d``,
``torch.flatten`` / ``x.flatten``, ``x.view`` / ``x.reshape``, and elementwise arithmetic of
equal shapes. A name bound inside a compound statement (``if``, ``for``...) becomes unknown.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import libcst as cst

from ..aliases import ImportTable
from ..units import TopChunk
from ..walk import iter_nodes
from . import keras, kinds, ops, pytorch
from .args import UNKNOWN, Args, literal
from .constructor import bind_arguments, init_env, method_of, symbolic_env
from .dims import Shape, ShapeError
from .ops import Value
from .sequential import (
    TORCH_MODULE_BASES,
    TORCH_SEQUENTIAL,
    LayerFact,
    ModelFact,
    Resolve,
    input_comment,
    torch_model,
)
from .statements import assigned_names, branch, destructure


@dataclass(frozen=True)
class StatementFact:
    node: cst.CSTNode  # a statement of forward; its hint goes after it
    shape: Shape  # what it binds (the first name of a tuple target) or returns
    names: tuple[tuple[str, Shape], ...] = ()  # each name a tuple target binds, with a shape


@dataclass
class ClassFact:
    node: cst.ClassDef
    input: Shape | None
    layers: dict[str, tuple[cst.CSTNode, int | None]] = field(default_factory=dict)
    statements: list[StatementFact] = field(default_factory=list)
    applied: dict[str, list[Shape | None]] = field(default_factory=dict)  # attr -> outputs
    fed: dict[str, list[Shape | None]] = field(default_factory=dict)  # attr -> inputs
    constructors: dict[str, cst.Call] = field(default_factory=dict)  # attr -> its layer call
    returns: list[Shape | None] = field(default_factory=list)  # what forward's returns give
    # id(an nn.Sequential call of __init__) -> its facts where forward applies it
    sequentials: dict[int, list[ModelFact]] = field(default_factory=dict)
    # the element of a repeated nn.Sequential(*[E for ...]) -> what each pass gives
    repeated: dict[int, tuple[cst.Call, set[Shape | None]]] = field(default_factory=dict)
    # a module class of the file used here -> (what it is fed, its constructor's arguments)
    class_inputs: dict[str, list[tuple[Shape | None, tuple[tuple[str, Any], ...]]]] = field(
        default_factory=dict)
    # operations that certainly fail (a matmul's inner sizes, a cat's other sizes differ)
    problems: list[tuple[cst.CSTNode, str]] = field(default_factory=list)
    return_kinds: list[kinds.Kind] = field(default_factory=list)  # forward's returns' kinds

    @property
    def output(self) -> Shape | None:
        """What forward returns, when every return gives the same known shape."""
        shapes = set(self.returns)
        return self.returns[0] if len(shapes) == 1 and self.returns[0] is not None else None

    @property
    def output_kind(self) -> kinds.Kind:
        """The kind of what forward returns (``kinds``), when every return gives it."""
        found = set(self.return_kinds)
        return self.return_kinds[0] if len(found) == 1 else None

    @property
    def total(self) -> int | None:
        counts = [params for _, params in self.layers.values()]
        return sum(c for c in counts if c is not None) if counts and None not in counts \
            else None


Bindings = Mapping[str, Mapping[str, Any]]  # class name -> __init__ parameter -> value
# class name -> (its definition, a digest of the statement's text): the file's nn.Module
# subclasses, applied through their own walk where another class uses them.
Definitions = Mapping[str, tuple[cst.ClassDef, str]]
MAX_NESTING = 4


def chunk_classes(chunk: TopChunk, imports: ImportTable, bindings: Bindings | None = None,
                  inputs: Mapping[str, Shape] | None = None,
                  definitions: Definitions | None = None) -> list[ClassFact]:
    """:func:`module_classes` of one top-level statement, memoized on its text, on the
    constructor arguments its classes get (:func:`class_bindings`) and on the other module
    classes it uses (:func:`class_definitions`)."""
    if "class" not in chunk.text or chunk.module is None or not (
            "Module" in chunk.text or "Model" in chunk.text or "Layer" in chunk.text):
        return []
    names = [s.name.value for s in chunk.module.body if isinstance(s, cst.ClassDef)]
    relevant = sorted((n, sorted((bindings or {}).get(n, {}).items()), (inputs or {}).get(n))
                      for n in names)
    used = sorted((n, digest) for n, (_, digest) in (definitions or {}).items()
                  if f"{n}(" in chunk.text)
    key = f"semantics:classes@{imports.fingerprint}:{relevant!r}:{used!r}"
    found = chunk.memo.get(key)
    if found is None:
        found = chunk.memo[key] = module_classes(chunk.module, imports.resolve, chunk.text,
                                                 bindings, inputs, definitions)
    return found  # type: ignore[return-value]


def module_classes(module: cst.Module, resolve: Resolve, text: str = "",
                   bindings: Bindings | None = None,
                   inputs: Mapping[str, Shape] | None = None,
                   definitions: Definitions | None = None) -> list[ClassFact]:
    """Every top-level ``nn.Module`` subclass of ``module`` with what its forward shows;
    ``bindings`` gives constructor arguments (a class without any: :func:`symbolic_env`) and
    ``inputs`` what the file feeds each class (:func:`class_inputs`; before a comment)."""
    out = []
    comment = input_comment(text)
    for stmt in module.body:
        if is_model_class(stmt, resolve):
            assert isinstance(stmt, cst.ClassDef)
            bound = (bindings or {}).get(stmt.name.value)
            given = (inputs or {}).get(stmt.name.value) or comment
            # No call of the file builds it (public code): its parameters stay symbols.
            env = init_env(stmt, bound) if bound is not None else symbolic_env(stmt)
            out.append(_ClassWalk(stmt, resolve, given, env, definitions).run())
    return out


KERAS_MODEL_BASES = frozenset(("keras.Model", "keras.models.Model", "keras.layers.Layer",
                               "keras.Layer"))


def is_model_class(stmt: cst.CSTNode, resolve: Resolve) -> bool:
    """An ``nn.Module`` subclass, or a ``keras.Model`` / ``keras.layers.Layer`` one (its
    ``call`` walked like ``forward``)."""
    return isinstance(stmt, cst.ClassDef) and any(
        resolve(base.value) in TORCH_MODULE_BASES or resolve(base.value) in KERAS_MODEL_BASES
        for base in stmt.bases)



def _self_attr(node: cst.BaseExpression) -> str | None:
    if isinstance(node, cst.Attribute) and isinstance(node.value, cst.Name) \
            and node.value.value == "self":
        return node.attr.value
    return None


class _ClassWalk:
    def __init__(self, cls: cst.ClassDef, resolve: Resolve, given: Shape | None,
                 env: dict[str, Any] | None = None, definitions: Definitions | None = None,
                 depth: int = 0) -> None:
        self.cls, self.resolve, self.given = cls, resolve, given
        self.env = env or {}  # __init__'s parameters and simple locals
        # The other module classes this one may use (not itself: no recursion).
        self.definitions = {k: v for k, v in (definitions or {}).items()
                            if v[0] is not cls} if depth < MAX_NESTING else {}
        self.depth = depth
        self.fact = ClassFact(cls, None)
        self.keras = any(resolve(base.value) in KERAS_MODEL_BASES for base in cls.bases)
        self.calls: dict[str, tuple[str, cst.Call]] = {}  # attr -> (layer name, constructor)
        self.ctor_env: dict[str, dict[str, Any]] = {}  # attr -> env at its constructor
        # helper methods forward calls: name -> (what it was given, its facts, its result)
        self.helpers: dict[str, tuple[tuple[Value, ...], list[StatementFact], Value]] = {}
        self.ambiguous: set[str] = set()
        self.walking: set[str] = set()
        self.repeats: dict[str, int | None] = {}  # repeated-element containers: how many
        self.loop_vars: dict[str, str] = {}  # `for blk in self.blocks`: blk -> "blocks"
        self.kinds: dict[str, kinds.Kind] = {}  # forward's names: their kinds
        self.class_kinds: dict[str, kinds.Kind] = {}  # attr of a module class: its kind

    def run(self) -> ClassFact:
        init = method_of(self.cls, "__init__")
        forward = method_of(self.cls, "call" if self.keras else "forward")
        if init is not None:
            self._init(init)
        if forward is not None:
            self._forward(forward)
        return self.fact

    def _init(self, init: cst.FunctionDef) -> None:
        self._init_block(init.body)

    def _init_block(self, block: cst.BaseSuite) -> None:
        body = block.body if isinstance(block, cst.IndentedBlock) else ()
        for stmt in body:
            if isinstance(stmt, cst.If):
                taken = branch(stmt, self.env)
                if taken is not False:  # the branch the constructor's values take
                    if isinstance(taken, cst.BaseSuite):
                        self._init_block(taken)
                    continue
            if not isinstance(stmt, cst.SimpleStatementLine):
                for name in assigned_names(stmt):  # set under a branch: not certain
                    self.env[name] = UNKNOWN
                continue
            for small in stmt.body:
                if isinstance(small, cst.Assign) and len(small.targets) == 1 \
                        and isinstance(small.targets[0].target, cst.Name):
                    self.env[small.targets[0].target.value] = literal(small.value, self.env)
                    continue
                if not (isinstance(small, cst.Assign) and len(small.targets) == 1
                        and isinstance(small.value, cst.Call)):
                    for bound in assigned_names(small):
                        self.env[bound] = UNKNOWN
                    continue
                attr = _self_attr(small.targets[0].target)
                if attr is not None and self._nested(attr, small):
                    continue
                layer = self.resolve(small.value.func)
                if attr is None or layer is None:
                    continue
                name = layer
                repeated = _repeated(small.value) \
                    if name in TORCH_SEQUENTIAL or name == "torch.nn.ModuleList" else None
                if repeated is not None:  # nn.ModuleList([Block(64) for _ in range(n)])
                    element, count = repeated
                    times = literal(count, self.env) if count is not None else None
                    self.repeats[attr] = times if isinstance(times, int) else None
                    each = self._element(element, None)[1]
                    params = each * times if isinstance(times, int) and each is not None \
                        else None
                    name = "repeat:" + ("list" if name == "torch.nn.ModuleList" else "seq")
                    small_value: cst.Call = element
                elif name in TORCH_SEQUENTIAL:
                    model = torch_model(small.value, self.resolve, None, set(), self.env,
                                        self._class_layer)
                    params = model.total if model is not None else None
                elif self.keras and (name in keras.LAYERS or name == "keras.layers.Bidirectional"):
                    params = None  # sized by what flows in: known when call applies it
                elif name in pytorch.LAYERS or name in pytorch.MULTI:
                    table: Any = pytorch.LAYERS if name in pytorch.LAYERS else pytorch.MULTI
                    try:
                        _, params = table[name](Args(small.value, self.env), None)
                    except ShapeError:
                        params = None
                else:
                    continue
                if repeated is None:
                    small_value = small.value
                self.calls[attr] = (name, small_value)
                self.fact.constructors[attr] = small.value
                self.ctor_env[attr] = dict(self.env)  # the values as they were here
                self.fact.layers[attr] = (small, params)

    def _nested(self, attr: str, small: cst.Assign) -> bool:
        """``self.block = Block(64)`` with ``Block`` a module class of the file: its own walk,
        with the arguments this call gives, serves as a layer."""
        call = small.value
        assert isinstance(call, cst.Call)
        if not (isinstance(call.func, cst.Name) and call.func.value in self.definitions):
            return False
        inner, _ = self.definitions[call.func.value]
        env = init_env(inner, bind_arguments(inner, call, self.env))
        params = self._inner(inner, None, env).total
        self.calls[attr] = (f"class:{call.func.value}", call)
        self.fact.constructors[attr] = call
        self.ctor_env[attr] = env
        self.fact.layers[attr] = (small, params)
        return True

    def _class_layer(self, call: cst.Call, shape: Shape | None
                     ) -> tuple[Shape | None, int | None] | None:
        """A module class of the file as an ``nn.Sequential`` element: its output, its
        parameters (None when ``call`` builds something else)."""
        if not (isinstance(call.func, cst.Name) and call.func.value in self.definitions):
            return None
        inner, _ = self.definitions[call.func.value]
        env = init_env(inner, bind_arguments(inner, call, self.env))
        fact = self._inner(inner, shape, env)
        if shape is not None:
            self._fed_class(call.func.value, shape, env)
        return (fact.output if shape is not None else None), fact.total

    def _fed_class(self, name: str, shape: Shape | None, env: Mapping[str, Any]) -> None:
        self.fact.class_inputs.setdefault(name, []).append(
            (shape, tuple(sorted(env.items()))))

    def _inner(self, cls: cst.ClassDef, given: Shape | None, env: dict[str, Any]) -> ClassFact:
        return _ClassWalk(cls, self.resolve, given, dict(env), self.definitions,
                          self.depth + 1).run()

    def _forward(self, forward: cst.FunctionDef) -> None:
        params = [p.name.value for p in forward.params.params]
        if len(params) < 2:
            return
        arg = params[1]
        start = self.given if self.given is not None else self._first_layer_input(forward, arg)
        self.fact.input = start
        self._body(forward, {arg: start})

    def _body(self, fn: cst.FunctionDef, env: dict[str, Value]) -> None:
        """The top-level statements of ``fn`` in order; a name bound in a compound
        statement becomes unknown, a return under one gives no single shape."""
        body = fn.body.body if isinstance(fn.body, cst.IndentedBlock) else ()
        for stmt in body:
            if isinstance(stmt, cst.For) and self._loop(stmt, env):
                continue
            if not isinstance(stmt, cst.SimpleStatementLine):
                for node in assigned_names(stmt):
                    env[node] = None
                    self.kinds[node] = None
                if any(isinstance(n, cst.Return) for n in iter_nodes([stmt])):
                    self.fact.returns.append(None)  # a return under a branch: not one shape
                    self.fact.return_kinds.append(None)
                continue
            for small in stmt.body:
                self._statement(small, env)

    def _loop(self, loop: cst.For, env: dict[str, Value]) -> bool:
        """``for blk in self.blocks: x = blk(x)`` over identical layers: the body is walked
        once; its hints stand when it gives back what it was given (every pass is the same
        pass). False: not such a loop (the caller forgets what it binds)."""
        attr = _self_attr(loop.iter)
        if attr is None or self.calls.get(attr, ("",))[0] != "repeat:list" \
                or not isinstance(loop.target, cst.Name) or loop.orelse is not None \
                or not isinstance(loop.body, cst.IndentedBlock) \
                or not all(isinstance(s, cst.SimpleStatementLine) for s in loop.body.body) \
                or any(isinstance(n, cst.Return) for n in iter_nodes([loop.body])):
            return False
        var = loop.target.value
        before, start = dict(env), len(self.fact.statements)
        self.loop_vars[var] = attr
        try:
            for stmt in loop.body.body:
                for small in stmt.body if isinstance(stmt, cst.SimpleStatementLine) else ():
                    self._statement(small, env)
        finally:
            del self.loop_vars[var]
        bound = set(assigned_names(loop.body))
        self.kinds.update(dict.fromkeys(bound))
        if any(env.get(n) != before.get(n) for n in bound if n in before) \
                or any(before.get(n) is None for n in bound if n in before):
            del self.fact.statements[start:]
            env.update(dict.fromkeys(bound))
        env[var] = None
        return True

    def _repeat(self, attr: str, element: cst.Call, shape: Shape | None) -> Shape | None:
        """``nn.Sequential(*[Block(64) for _ in range(n)])`` applied: the element's output
        when it gives back its input's shape, else n times over where n is known."""
        seen = self.fact.repeated.setdefault(id(element), (element, set()))[1]
        out, _ = self._element(element, shape)
        if not isinstance(out, tuple) or out == shape:
            seen.add(out if isinstance(out, tuple) else None)
            return out if isinstance(out, tuple) else None
        count = self.repeats.get(attr)
        seen.add(None)  # passes differ: no one shape for the element
        if count is None or count < 1:
            return None
        for _ in range(count - 1):
            out, _ = self._element(element, out)
            if not isinstance(out, tuple):
                return None
        return out

    def _element(self, element: cst.Call, shape: Shape | None) -> tuple[Value, int | None]:
        """One element of a repeated container (a layer or a module class of the file)."""
        own = self._class_layer(element, shape)
        if own is not None:
            return own
        name = self.resolve(element.func)
        layer = pytorch.LAYERS.get(name) if name else None
        if layer is None:
            return None, None
        try:
            return layer(Args(element, self.env), shape)
        except ShapeError:
            return None, None

    def _statement(self, small: cst.BaseSmallStatement, env: dict[str, Value]) -> None:
        if isinstance(small, cst.Assign) and len(small.targets) == 1 \
                and isinstance(small.targets[0].target, cst.Name | cst.Tuple):
            value = self.value_of(small.value, env)
            bound: list[tuple[str, Value]] = []
            destructure(small.targets[0].target, value, bound)
            env.update(bound)
            named = tuple((n, v) for n, v in bound if isinstance(v, tuple) and n != "_")
            kind = self.kind_of(small.value) if len(bound) == 1 else None
            self.kinds.update((n, kind) for n, _ in bound)
            if isinstance(small.targets[0].target, cst.Name):
                if named:
                    self.fact.statements.append(StatementFact(small, named[0][1]))
            elif named and len(named) == sum(n != "_" for n, _ in bound):
                self.fact.statements.append(StatementFact(small, named[0][1], named))
        elif isinstance(small, cst.Return) and small.value is not None:
            value = self.value_of(small.value, env)
            shape = value if isinstance(value, tuple) else None
            self.fact.returns.append(shape)
            self.fact.return_kinds.append(self.kind_of(small.value))
            if shape is not None:
                self.fact.statements.append(StatementFact(small, shape))
        else:
            for name in assigned_names(small):
                env[name] = None
                self.kinds[name] = None

    def kind_of(self, expr: cst.BaseExpression) -> kinds.Kind:
        return kinds.expression_kind(expr, self.kinds.get, self._layer_kind, self.resolve)

    def _layer_kind(self, call: cst.Call) -> tuple[bool, kinds.Kind]:
        """``self.fc(x)``: the kind of what the layer (or module class) gives."""
        attr = _self_attr(call.func)
        if attr is None:
            return False, None
        name, ctor = self.calls.get(attr, ("", None))
        if name.startswith("class:"):
            return True, self.class_kinds.get(attr)
        return True, kinds.layer_kind(name, ctor, self.resolve) if ctor is not None else None

    def _first_layer_input(self, forward: cst.FunctionDef, arg: str,
                           seen: frozenset[str] = frozenset()) -> Shape | None:
        """What the first layer applied to ``arg`` takes, through helper methods
        (``x = self.forward_features(x)``)."""
        if self.keras:
            return None  # a Keras layer's own arguments do not say what it takes

        for node in iter_nodes([forward.body]):
            if isinstance(node, cst.Call) and node.args and isinstance(node.args[0].value, cst.Name) \
                    and node.args[0].value.value == arg:
                attr = _self_attr(node.func)
                helper = method_of(self.cls, attr) if attr is not None and attr not in self.calls \
                    and attr not in seen else None
                if attr is not None and helper is not None and len(helper.params.params) > 1:
                    return self._first_layer_input(helper, helper.params.params[1].name.value,
                                                   seen | {attr})
                if attr in self.calls:
                    name, ctor = self.calls[attr]
                    env = self.ctor_env.get(attr)
                    if name.startswith("class:"):
                        inner, _ = self.definitions[name[6:]]
                        return self._inner(inner, None, env or {}).input
                    if name in TORCH_SEQUENTIAL:
                        first = ctor.args[0].value if ctor.args else None
                        if isinstance(first, cst.Call) and (n := self.resolve(first.func)):
                            return pytorch.input_shape(n, Args(first, env))
                        return None
                    return pytorch.input_shape(name, Args(ctor, env))
        return None

    # -- expressions ----------------------------------------------------------------------
    def shape_of(self, expr: cst.BaseExpression, env: dict[str, Value]) -> Shape | None:
        value = self.value_of(expr, env)
        return value if isinstance(value, tuple) else None

    def value_of(self, expr: cst.BaseExpression, env: dict[str, Value]) -> Value:
        if isinstance(expr, cst.Name):
            return env.get(expr.value)
        if isinstance(expr, cst.Subscript):
            return ops.index(self.value_of(expr.value, env), expr)
        if isinstance(expr, cst.BinaryOperation):
            left, right = self.shape_of(expr.left, env), self.shape_of(expr.right, env)
            if isinstance(expr.operator, cst.MatrixMultiply):
                return ops.matmul(left, right, "@", expr, self._problem) \
                    if left is not None and right is not None else None
            if left is not None and (right == left or ops.is_number(expr.right)):
                return left
            if right is not None and ops.is_number(expr.left):
                return right
            return None
        if not isinstance(expr, cst.Call):
            return None
        func = expr.func
        if isinstance(func, cst.Name) and func.value in self.loop_vars and expr.args:
            out, _ = self._element(self.calls[self.loop_vars[func.value]][1],
                                   self.shape_of(expr.args[0].value, env))
            return out
        attr = _self_attr(func)
        if attr is not None and attr not in self.calls:
            return self._helper(attr, expr, env)
        if attr is not None:
            return self._apply(attr, self.shape_of(expr.args[0].value, env)) if expr.args \
                else None
        name = self.resolve(func)
        if name is not None:
            return ops.function(name, expr, lambda e: self.value_of(e, env), self._problem)
        if isinstance(func, cst.Attribute):
            shape = self.shape_of(func.value, env)
            return ops.method(func.attr.value, shape, expr, 0, lambda e: self.value_of(e, env),
                              self._problem) if shape is not None else None
        return None

    def _problem(self, node: cst.CSTNode, message: str) -> None:
        if all(n is not node for n, _ in self.fact.problems):  # a helper walked twice
            self.fact.problems.append((node, message))

    def _helper(self, name: str, call: cst.Call, env: dict[str, Value]) -> Value:
        """``self._stem(x)``: a method of the class walked like forward with what it is
        given; its statements are hinted while every call gives it the same."""
        method = method_of(self.cls, name)
        if method is None or name in ("forward", "call", "__init__") or name in self.walking \
                or any(a.star or a.keyword is not None for a in call.args):
            return None
        params = [p.name.value for p in method.params.params][1:]
        given = tuple(self.value_of(a.value, env) for a in call.args)
        if len(given) > len(params) or isinstance(method.params.star_arg, cst.Param):
            return None
        seen = self.helpers.get(name)
        if seen is not None:
            if seen[0] == given:
                return seen[2]
            for fact in seen[1]:  # fed two ways: its hints would hold for one call only
                if fact in self.fact.statements:
                    self.fact.statements.remove(fact)
            self.helpers[name] = (given, [], None)
            self.ambiguous.add(name)
        if name in self.ambiguous:
            return self._walk_helper(method, params, given, keep=False)
        before = len(self.fact.statements)
        returns = self.fact.returns
        out = self._walk_helper(method, params, given, keep=True)
        self.fact.returns = returns
        self.helpers[name] = (given, self.fact.statements[before:], out)
        return out

    def _walk_helper(self, method: cst.FunctionDef, params: list[str], given: tuple[Value, ...],
                     keep: bool) -> Value:
        env: dict[str, Value] = dict(zip(params, given, strict=False))
        saved_statements, saved_returns = self.fact.statements, self.fact.returns
        saved_kinds = (self.kinds, self.fact.return_kinds)
        self.fact.returns, self.kinds, self.fact.return_kinds = [], {}, []
        if not keep:
            self.fact.statements = []
        self.walking.add(method.name.value)
        try:
            self._body(method, env)
            shapes = set(self.fact.returns)
            return self.fact.returns[0] if len(shapes) == 1 else None
        finally:
            self.walking.discard(method.name.value)
            self.fact.returns = saved_returns
            self.kinds, self.fact.return_kinds = saved_kinds
            if not keep:
                self.fact.statements = saved_statements

    def _apply(self, attr: str, shape: Shape | None) -> Value:
        if attr not in self.calls:
            return None
        name, ctor = self.calls[attr]
        env = self.ctor_env.get(attr)
        self.fact.fed.setdefault(attr, []).append(shape)
        out: Value
        if name.startswith("repeat:"):
            out = self._repeat(attr, ctor, shape) if name == "repeat:seq" else None
            self.fact.applied.setdefault(attr, []).append(out)
            return out
        if name.startswith("class:"):
            inner, _ = self.definitions[name[6:]]
            out = None
            if shape is not None:  # its kind too: a class fed nothing known is not walked
                fact = self._inner(inner, shape, env or {})
                out, self.class_kinds[attr] = fact.output, fact.output_kind
            self._fed_class(name[6:], shape, env or {})  # unknown too: it makes uses differ
            self.fact.applied.setdefault(attr, []).append(out)
            return out
        try:
            if name in TORCH_SEQUENTIAL:
                model = torch_model(ctor, self.resolve, shape, set(), env, self._class_layer)
                if model is not None and shape is None:
                    # Not its own first layer's input (whose H would not be the model's H).
                    model = replace(model, layers=_unsized(model.layers),
                                    inner=_unsized(model.inner))
                if model is not None:
                    self.fact.sequentials.setdefault(id(ctor), []).append(model)
                out = model.layers[-1].shape if model is not None and model.layers else None
            elif self.keras:
                out, _ = keras.apply(name, ctor, self.resolve, env, shape)
            elif name in pytorch.MULTI:
                out, _ = pytorch.MULTI[name](Args(ctor, env), shape)
            else:
                out, _ = pytorch.LAYERS[name](Args(ctor, env), shape)
        except ShapeError:
            out = None
        self.fact.applied.setdefault(attr, []).append(out if isinstance(out, tuple) else None)
        return out


def _unsized(layers: tuple[LayerFact, ...]) -> tuple[LayerFact, ...]:
    return tuple(replace(layer, shape=None) for layer in layers)


def _repeated(call: cst.Call) -> tuple[cst.Call, cst.BaseExpression | None] | None:
    """``nn.ModuleList([E for _ in range(n)])`` / ``nn.Sequential(*[E for ...])`` with one
    layer call E that does not use the loop variable: (E, n or None)."""
    if len(call.args) != 1:
        return None
    comp = call.args[0].value
    if not isinstance(comp, cst.ListComp) or not isinstance(comp.elt, cst.Call) \
            or comp.for_in.ifs or comp.for_in.inner_for_in is not None:
        return None
    target = comp.for_in.target
    names = {n.value for n in iter_nodes([target]) if isinstance(n, cst.Name)}
    if any(isinstance(n, cst.Name) and n.value in names for n in iter_nodes([comp.elt])):
        return None  # each element differs
    it = comp.for_in.iter
    count = it.args[0].value if isinstance(it, cst.Call) and isinstance(it.func, cst.Name) \
        and it.func.value == "range" and len(it.args) == 1 else None
    return comp.elt, count
