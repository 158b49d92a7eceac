"""Custom Keras layers of the file, inlined into the traced model (issue 9) where classes.py
cannot emit their class as a torch class (lists of layers, a custom layer in one, --partial).

``class ResidualUnit(keras.layers.Layer)`` (or a ``keras.Model`` subclass used as a layer) is
translated like a model's ``call``: its ``__init__`` is read with the constructor arguments of
each instance (simple ``if`` on them included, lists of layers too), its layers become torch
modules named ``<instance>_<attribute>``, and its ``call`` is traced in place with its local
names prefixed by the instance name. The weight map reaches each inner Keras layer through the
instance (``attr:layers.3.main_layers.0``). A tensor argument that calls something is bound to a
local first, so each layer runs once.
"""

from __future__ import annotations

import ast
import operator
import re
from typing import Any, Protocol

from ..base import TranslationError, Unsupported
from .parse import Folder, LayerSpec, Opaque, SequentialLayers, UserLayer
from .shapes import Node, Sym
from .variables import run_build

_COMPARE = {ast.Eq: operator.eq, ast.NotEq: operator.ne, ast.Gt: operator.gt,
            ast.GtE: operator.ge, ast.Lt: operator.lt, ast.LtE: operator.le,
            ast.Is: operator.is_, ast.IsNot: operator.is_not}


class Tracing(Protocol):
    """What inlining uses of graph.py's Tracer."""

    folder: Folder
    env: dict[str, Any]
    self_attrs: dict[str, Any]
    local_prefix: str
    modules: list[Any]
    inlined: dict[str, int]  # functions and custom layer classes traced in place
    lines: list[str]  # forward's statements
    notes: list[str]

    def eval(self, node: ast.AST) -> Any: ...

    def assign(self, name: str, value_node: ast.AST) -> Any: ...

    def add_module(self, attr: str, ctor: str, spec: LayerSpec,
                   weight: tuple[str, dict[str, Any]] | None, helper: str | None,
                   nested: bool = False) -> None: ...


def located_failure(node: ast.AST, construct: str, reason: str) -> TranslationError:
    line = getattr(node, "lineno", 0)
    return TranslationError(f"line {line}: {construct}: {reason}",
                            [Unsupported(line, construct, reason, getattr(node, "col_offset", 0))])


def method(cls: ast.ClassDef, name: str) -> ast.FunctionDef | None:
    return next((s for s in cls.body if isinstance(s, ast.FunctionDef) and s.name == name), None)


def instance_name(modules: list[Any], obj: UserLayer) -> str:
    """The torch name of a custom layer instance: its attribute, else ``res_block1`` etc. (a
    name no module of ``modules`` has)."""
    if obj.name:
        return obj.name
    taken = {getattr(m, "attr", "") for m in modules}
    # MLPMixerLayer -> mlp_mixer_layer, ResBlock -> res_block (as Keras names its layers)
    base = re.sub(r"([a-z])([A-Z])", r"\1_\2",
                  re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", obj.cls.name)).lower()
    count = 1
    while any(t == f"{base}{count}" or t.startswith((f"{base}{count}_", f"{base}{count}."))
              for t in taken):
        count += 1
    return f"{base}{count}"


def bind(folder: Folder, obj: UserLayer) -> dict[str, Any]:
    """The constructor's parameters of this instance: given arguments over folded defaults."""
    init = method(obj.cls, "__init__")
    if init is None:
        return {}
    params = [a.arg for a in init.args.args[1:]]
    defaults = init.args.defaults
    env = {a: folder.fold(d) for a, d in zip(params[len(params) - len(defaults):], defaults,
                                             strict=True)}
    env.update({a.arg: folder.fold(d) for a, d in zip(init.args.kwonlyargs,
                                                      init.args.kw_defaults, strict=True) if d})
    env.update(zip(params, obj.args, strict=False))
    env.update({k: v for k, v in obj.kwargs.items() if k in params or k in env})
    return env


def _truth(folder: Folder, node: ast.expr, env: dict[str, Any],
           value_of: Any = None) -> bool:
    """The value of an ``if`` test on Python values (comparisons, and/or/not); ``value_of``
    reads an operand (default: folded with ``env``)."""
    def value(n: ast.expr) -> Any:
        return value_of(n) if value_of is not None else folder.fold(n, env)
    if isinstance(node, ast.BoolOp):
        values = [_truth(folder, v, env, value_of) for v in node.values]
        return all(values) if isinstance(node.op, ast.And) else any(values)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        return not _truth(folder, node.operand, env, value_of)
    if isinstance(node, ast.Compare) and len(node.ops) == 1 and type(node.ops[0]) in _COMPARE:
        left, right = value(node.left), value(node.comparators[0])
        if not isinstance(left, Opaque | Sym) and not isinstance(right, Opaque | Sym):
            return bool(_COMPARE[type(node.ops[0])](left, right))
    got = value(node)
    if isinstance(got, Opaque | Sym):
        raise located_failure(node, f"if {folder.text(node)}", "the condition must depend on arguments "
                    "and static shapes only")
    return bool(got)


def _python_value(tracer: Tracing, node: ast.expr) -> Any:
    """An operand of a test in a traced function: ``filters``, ``x.shape[-1]``, literals."""
    if isinstance(node, ast.Attribute) and node.attr == "shape":
        base = tracer.eval(node.value)
        if isinstance(base, Sym):
            return (None, *base.shape)  # Keras' shape, batch axis first
    if isinstance(node, ast.Subscript):
        base, index = _python_value(tracer, node.value), _python_value(tracer, node.slice)
        if isinstance(base, tuple) and isinstance(index, int):
            return base[index]
    if isinstance(node, ast.Name) and node.id in tracer.env:
        return tracer.env[node.id]
    values = {k: v for k, v in tracer.env.items() if not isinstance(v, Sym)}
    return tracer.folder.fold(node, values)


def _layer_value(folder: Folder, node: ast.expr, env: dict[str, Any],
                 attrs: dict[str, Any]) -> Any:
    if isinstance(node, ast.List | ast.Tuple):
        return tuple(_layer_value(folder, e, env, attrs) for e in node.elts)
    if isinstance(node, ast.Call) and folder.imports.resolve(node.func) in (
            "keras.Sequential", "keras.models.Sequential") and not node.keywords and (
            not node.args or len(node.args) == 1 and isinstance(node.args[0], ast.List |
                                                                  ast.Tuple)):
        listed = node.args[0] if node.args else None
        return SequentialLayers(_layer_value(folder, e, env, attrs) for e in (
            listed.elts if isinstance(listed, ast.List | ast.Tuple) else []))
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and \
            node.value.id == "self" and node.attr in attrs:
        return attrs[node.attr]  # [..., self.activation, ...]
    if isinstance(node, ast.Call) and node.args and folder.imports.resolve(node.func) in (
            "keras.activations.get", "keras.layers.Activation"):
        return LayerSpec("Activation", [folder.fold(node.args[0], env)], {}, node.lineno,
                         node.col_offset)
    return folder.fold(node, env)


def _loop_items(folder: Folder, node: ast.expr, env: dict[str, Any]) -> list[Any] | None:
    """What ``for`` runs over in ``__init__``: ``range(n)`` of known ints, a folded list."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and \
            node.func.id == "range" and not node.keywords:
        bounds = [folder.fold(a, env) for a in node.args]
        if 1 <= len(bounds) <= 3 and all(isinstance(b, int) and not isinstance(b, bool)
                                         for b in bounds):
            return list(range(*bounds))
        return None
    items = folder.fold(node, env)
    return list(items) if isinstance(items, list | tuple) else None


def _sequential_add(stmt: ast.stmt, attrs: dict[str, Any]) -> tuple[str, ast.expr] | None:
    """``self.<attr>.add(<layer>)`` on a Sequential the constructor holds: (attr, layer)."""
    call = stmt.value if isinstance(stmt, ast.Expr) else None
    if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute) and
            call.func.attr == "add" and len(call.args) == 1 and not call.keywords):
        return None
    held = call.func.value
    if isinstance(held, ast.Attribute) and isinstance(held.value, ast.Name) and \
            held.value.id == "self" and isinstance(attrs.get(held.attr), SequentialLayers):
        return held.attr, call.args[0]
    return None


def run_init(folder: Folder, body: list[ast.stmt], env: dict[str, Any],
              attrs: dict[str, Any]) -> None:
    for stmt in body:
        if isinstance(stmt, ast.If):
            run_init(folder, stmt.body if _truth(folder, stmt.test, env) else stmt.orelse,
                      env, attrs)
        elif isinstance(stmt, ast.For) and isinstance(stmt.target, ast.Name) and \
                not stmt.orelse:  # for i in range(num_conv_layers): self.conv.add(...)
            items = _loop_items(folder, stmt.iter, env)
            if items is None:
                raise located_failure(stmt, f"for {stmt.target.id} in "
                                      f"{folder.text(stmt.iter)}", "a loop in __init__ over "
                                      "something other than range() of known sizes or a list")
            for item in items:
                env[stmt.target.id] = item
                run_init(folder, stmt.body, env, attrs)
        elif (added := _sequential_add(stmt, attrs)) is not None:
            attr, layer = added  # self.conv_model.add(layers.Conv2D(...))
            attrs[attr] = SequentialLayers((*attrs[attr], _layer_value(folder, layer, env, attrs)))
        elif isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
            target = stmt.targets[0]
            value = _layer_value(folder, stmt.value, env, attrs)
            if isinstance(target, ast.Name):
                env[target.id] = value
            elif isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name) \
                    and target.value.id == "self":
                attrs[target.attr] = value


def build(folder: Folder, obj: UserLayer, name: str) -> None:
    """Read the instance's ``__init__``: its layers, named ``<name>_<attribute>``."""
    obj.name, obj.attrs = name, {}
    init = method(obj.cls, "__init__")
    if init is not None:
        run_init(folder, init.body, bind(folder, obj), obj.attrs)
    for attr, value in obj.attrs.items():
        items = list(enumerate(value)) if isinstance(value, tuple) else [(None, value)]
        inner = ".layers." if isinstance(value, SequentialLayers) else "."
        for i, item in items:
            if isinstance(item, LayerSpec):
                item.attr = f"{name}_{attr}" + ("" if i is None else str(i))
                item.extra["keras_owner"] = (obj, attr if i is None else f"{attr}{inner}{i}")


def inline_call(tracer: Tracing, obj: UserLayer, args: list[Any], kwargs: dict[str, Any]) -> Sym:
    """Trace ``obj(x)``: the custom layer's ``call`` in place; returns its output."""
    call = method(obj.cls, "call")
    if call is None:
        raise located_failure(obj.cls, f"class {obj.cls.name}", "custom layer without call()")
    if obj.attrs is None:
        build(tracer.folder, obj, instance_name(tracer.modules, obj))
    params = [a.arg for a in call.args.args[1:] if a.arg not in ("training", "mask")]
    inputs = [*args, *(kwargs[p] for p in params[len(args):] if p in kwargs)]
    # tensors, or lists of tensors (``Scale(0.1)([x, residual])``: ``inputs[0]`` in call)
    flat = [y for x in inputs for y in (x if isinstance(x, list | tuple) else [x])]
    if not flat or not all(isinstance(x, Sym) for x in flat):
        raise located_failure(obj.cls, f"{obj.cls.name}(...)(...)", "a custom layer applied to non-tensors")
    tracer.inlined.setdefault(obj.cls.name, 0)
    if obj.attrs is not None and not obj.built:  # its own weights (add_weight in build)
        obj.built = True
        weights = run_build(tracer.folder, obj, flat[0])
        if weights is not None:
            tracer.add_module(*weights)
    saved = tracer.env, tracer.self_attrs, tracer.local_prefix
    env = dict(zip(params, inputs, strict=False))
    given = call.args.args[1:]  # parameters left out take their defaults (start_index=0)
    for arg, default in zip(given[len(given) - len(call.args.defaults):], call.args.defaults,
                            strict=True):
        if arg.arg not in env and arg.arg not in ("training", "mask"):
            env[arg.arg] = tracer.folder.fold(default)
    if any(a.arg == "training" for a in given) and any(
            isinstance(n, ast.Name) and n.id == "training" for n in ast.walk(call)):
        env["training"] = False  # the model at inference, as verified; say what is left out
        note = (f"line {call.lineno}: {obj.cls.name}.call(): what it does while training "
                "(training=True) is not translated; the translation is its inference path")
        if note not in tracer.notes:
            tracer.notes.append(note)
    tracer.env = _bound(tracer, f"{obj.name}_", env)
    tracer.self_attrs, tracer.local_prefix = obj.attrs or {}, f"{obj.name}_"
    try:
        out = run_call(tracer, call.body)
    finally:
        tracer.env, tracer.self_attrs, tracer.local_prefix = saved
    if not isinstance(out, Sym):
        raise located_failure(call, f"{obj.cls.name}.call()", "must return one tensor")
    # One node for the whole layer, as Keras lists it once in model.layers.
    return out.with_(node=Node(obj, [x.node for x in flat]), origin=None)


def _bound(tracer: Tracing, prefix: str, env: dict[str, Any]) -> dict[str, Any]:
    """``env`` with each tensor argument that is an expression calling something (``self.inp(x)``)
    bound to a local of forward first (``b1_x = self.inp(x)``): the body may read the argument
    more than once, and each layer call must run once (dropout, BatchNorm in training)."""
    out = {}
    for name, value in env.items():
        if isinstance(value, Sym) and "(" in value.expr:
            var = prefix + name
            tracer.lines.append(f"{var} = {value.expr}")
            value = value.with_(expr=var)
        out[name] = value
    return out


def run_call(tracer: Tracing, body: list[ast.stmt]) -> Any:
    for stmt in body:
        if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant):
            continue
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(
                stmt.targets[0], ast.Name):
            tracer.assign(stmt.targets[0].id, stmt.value)
        elif isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(
                stmt.targets[0], ast.Tuple) and all(isinstance(e, ast.Name)
                                                     for e in stmt.targets[0].elts):
            items = tracer.eval(stmt.value)  # x, y = vects: a list of tensors unpacked
            names = [e.id for e in stmt.targets[0].elts if isinstance(e, ast.Name)]
            if not isinstance(items, list | tuple) or len(items) != len(names):
                raise located_failure(stmt, tracer.folder.text(stmt).splitlines()[0],
                                      "unpacks a value that is not a list of that length")
            tracer.env.update(zip(names, items, strict=True))
        elif isinstance(stmt, ast.AugAssign) and isinstance(stmt.target, ast.Name):
            # inputs -= mean: a new tensor under the same name
            value = ast.BinOp(ast.Name(stmt.target.id, ast.Load()), stmt.op, stmt.value)
            tracer.assign(stmt.target.id, ast.copy_location(value, stmt))
        elif isinstance(stmt, ast.For) and isinstance(stmt.target, ast.Name) and not stmt.orelse:
            items = tracer.eval(stmt.iter)
            if not isinstance(items, (list, tuple)):
                raise located_failure(stmt, f"for {stmt.target.id} in ...", "loops run over a list of "
                            "layers or literals only")
            for item in items:
                tracer.env[stmt.target.id] = item
                out = run_call(tracer, stmt.body)
                if out is not None:
                    return out
        elif isinstance(stmt, ast.If):
            branch = stmt.body if _truth(tracer.folder, stmt.test, {}, lambda n: _python_value(
                tracer, n)) else stmt.orelse
            out = run_call(tracer, branch)
            if out is not None:
                return out
        elif isinstance(stmt, ast.Return) and stmt.value is not None:
            return tracer.eval(stmt.value)
        else:
            raise located_failure(stmt, tracer.folder.text(stmt).splitlines()[0], "statement not "
                        "translated in a custom layer's call() or a block-building function "
                        "(assignments, for, if on arguments or shapes, return)")
    return None


def inline_function(tracer: Tracing, fn: ast.FunctionDef, args: list[Any],
                    kwargs: dict[str, Any], count: int) -> Any:
    """``x = residual_block(x, filters=32, pooling=True)``: a function of the file that builds
    part of a Functional graph, traced in place (its layers are the model's own)."""
    params = [a.arg for a in fn.args.args]
    defaults = fn.args.defaults
    env: dict[str, Any] = {a: tracer.folder.fold(d) for a, d in
                           zip(params[len(params) - len(defaults):], defaults, strict=True)}
    env.update(zip(params, args, strict=False))
    env.update({k: v for k, v in kwargs.items() if k in params})
    missing = [p for p in params if p not in env]
    if missing:
        raise located_failure(fn, f"{fn.name}(...)", f"called without {', '.join(missing)}")
    saved = tracer.env, tracer.local_prefix
    tracer.env, tracer.local_prefix = _bound(tracer, f"{fn.name}{count}_", env), \
        f"{fn.name}{count}_"
    try:
        return run_call(tracer, fn.body)
    finally:
        tracer.env, tracer.local_prefix = saved
