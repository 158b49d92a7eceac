"""Finding the Keras models in a module and tracing each one (Sequential, Functional, subclass).

A :class:`Found` model knows the statements that define it (they are replaced by the torch class
in the output). ``trace`` runs the tracer twice when needed: the first pass learns which layout
each model input's first consumer wants (a Conv2D wants NCHW), the second builds with it.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..base import TranslationError
from .blocks import add_loops, complete_graph, fail
from .graph import Tracer, keras_layer_order
from .params import tag
from .parse import Folder, LayerSpec, UserLayer
from .shapes import Sym


@dataclass
class Found:
    """One Keras model definition in the source."""

    kind: str  # sequential | functional | subclass
    name: str  # variable, class or builder-function name
    node: ast.AST  # the ClassDef / Assign / FunctionDef
    stmts: list[ast.stmt] = field(default_factory=list)  # statements replaced by the class
    layers: list[ast.expr] = field(default_factory=list)  # Sequential layer expressions
    body: list[ast.stmt] = field(default_factory=list)  # Functional graph statements
    model_call: ast.Call | None = None  # keras.Model(inputs, outputs)
    builder: str | None = None  # builder function name
    display_name: str | None = None
    # built by a call (selection.py): parameter -> value (tagged), the call, whether the file
    # makes it (else the emitted constructor takes the values as defaults)
    ctor: dict[str, Any] = field(default_factory=dict)
    ctor_text: str | None = None
    ctor_in_file: bool = True


@dataclass
class Traced:
    """A traced model: the tracer plus model inputs and outputs."""

    tracer: Tracer
    inputs: list[Sym]
    outputs: list[Sym]
    keras_index: dict[int, int]  # id(LayerSpec) -> index in keras model.layers
    output_is_tuple: bool = False


def trace(found: Found, folder: Folder, input_shape: tuple[int, ...] | None,
          build_shapes: dict[str, tuple[int | None, ...]], partial: bool = False,
          overrides: dict[str, Any] | None = None) -> Traced:
    """Trace ``found`` (twice if an input's first consumer wants channels-first).

    With ``partial``, layers that cannot be translated become ``nn.Identity`` placeholders
    (listed in ``tracer.unsupported``) instead of raising. Constructor / builder parameters take
    their default values (tagged with their names, see :mod:`.params`), or ``overrides``.
    """
    if found.builder and isinstance(found.stmts[0], ast.FunctionDef):
        # Hyper-parameters of a builder function take their default values.
        fn = found.stmts[0]
        folder = Folder(folder.source, folder.imports,
                        {**folder.consts, **_defaults(fn.args, folder, 0, overrides)})
    if found.kind == "functional":
        complete_graph(found, folder)
    elif found.kind == "sequential" and not found.builder:
        add_loops(found, folder)
    runner: Callable[[dict[str, str], bool], Traced] = {
        "sequential": lambda lay, part: _sequential(found, folder, lay, input_shape,
                                                    build_shapes, part),
        "functional": lambda lay, part: _functional(found, folder, lay, part, input_shape),
        "subclass": lambda lay, part: _subclass(found, folder, lay, input_shape, build_shapes,
                                                part, overrides),
    }[found.kind]
    try:
        first = runner({}, partial)
    except TranslationError as exc:
        if partial:
            raise
        raise _every_gap(exc, lambda: runner({}, True)) from exc
    if all(v == "keras" for v in first.tracer.requests.values()):
        return first
    return runner(dict(first.tracer.requests), partial)


def _every_gap(exc: TranslationError, run_partial: Callable[[], Traced]) -> TranslationError:
    """``exc`` listing every untranslatable construct, not only the first: the trace is run
    again with placeholders (as ``--partial`` does) to find the others."""
    try:
        gaps = run_partial().tracer.unsupported
    except (TranslationError, ValueError, TypeError, KeyError, IndexError):
        return exc
    seen = {(u.line, u.construct) for u in exc.unsupported}
    more = [u for u in gaps if (u.line, u.construct) not in seen]
    if not more:
        return exc
    also = "; ".join(f"line {u.line}: {u.construct}: {u.reason}" for u in more)
    return TranslationError(f"{exc}; also {also}", [*exc.unsupported, *more])


def _shape_arg(value: Any) -> tuple[int | None, ...] | None:
    if isinstance(value, tuple) and all(v is None or isinstance(v, int) for v in value):
        return value
    if isinstance(value, int):
        return (value,)
    return None


def _input_call_shape(call: ast.Call, folder: Folder,
                      given: tuple[int, ...] | None = None) -> tuple[tuple[int | None, ...], str]:
    """(shape, dtype) of ``keras.Input(shape=..., dtype=...)`` / ``InputLayer(...)``.

    ``given`` (``--input-shape``) wins over a shape that is not known statically or has
    ``None`` dims (a sequence length): the model is then traced and verified at that size.
    """
    spec_args = {k.arg: folder.fold(k.value) for k in call.keywords if k.arg}
    shape = spec_args.get("shape", spec_args.get("input_shape"))
    if shape is None and call.args:
        shape = folder.fold(call.args[0])
    got = _shape_arg(shape)
    if given is not None and (got is None or None in got):
        got = tuple(given)
    if got is None:
        raise fail(call, "keras.Input(...)", "the input shape is not known statically (a "
                   "module-level literal or constant): pass --input-shape")
    dtype = str(spec_args.get("dtype", "float32"))
    return got, "int64" if "int" in dtype else "float32"


def _sequential(found: Found, folder: Folder, layouts: dict[str, str],
                input_shape: tuple[int, ...] | None,
                build_shapes: dict[str, tuple[int | None, ...]], partial: bool) -> Traced:
    tracer = Tracer(folder, layouts, sequential=True, partial=partial)
    shape: tuple[int | None, ...] | None = tuple(input_shape) if input_shape else None
    dtype = "float32"
    specs: list[LayerSpec] = []
    for expr in found.layers:
        if isinstance(expr, ast.Call) and folder.imports.is_keras(
                expr.func, "Input", "layers.InputLayer"):
            shape, dtype = _input_call_shape(expr, folder) if shape is None else (shape, dtype)
            continue
        spec = folder.fold(expr)
        if not isinstance(spec, LayerSpec | UserLayer):
            raise fail(expr, folder.text(expr), "Sequential element is not a Keras layer")
        if shape is None and not specs and isinstance(spec, LayerSpec):
            shape = _shape_arg(spec.kwargs.get("input_shape")) or _shape_arg(
                spec.kwargs.get("input_dim"))
            if spec.kwargs.get("batch_input_shape"):
                shape = _shape_arg(tuple(spec.kwargs["batch_input_shape"])[1:])
        specs.append(spec)
    shape = shape or build_shapes.get(found.name)
    if shape is None:
        raise fail(found.node, found.name, "the input shape is unknown: give the first layer "
                   "input_shape=, start with keras.Input(shape=...), or pass --input-shape")
    x = tracer.input("x", shape, dtype)
    for spec in specs:
        tracer.target = "x"
        x = tracer.call_layer(spec, [x], {})
        if x.expr != "x":
            tracer.lines.append(f"x = {x.expr}")
        x = x.with_(expr="x")
    return Traced(tracer, [tracer.input("x", shape, dtype)], [x],
                  {id(s): i for i, s in enumerate(specs)})


def _functional(found: Found, folder: Folder, layouts: dict[str, str], partial: bool,
                input_shape: tuple[int, ...] | None = None) -> Traced:
    tracer = Tracer(folder, layouts, partial=partial)
    input_nodes: list[Any] = []
    names = {ast.unparse(s.targets[0]) for s in found.body if isinstance(s, ast.Assign)
             and isinstance(s.value, ast.Call) and folder.imports.is_keras(s.value.func, "Input")}
    given = input_shape if len(names) == 1 else None  # one --input-shape: one model input
    for stmt in found.body:
        _graph_statement(stmt, tracer, folder, given, input_nodes)
    call = found.model_call
    assert call is not None
    kw = {k.arg: k.value for k in call.keywords if k.arg}
    ins_node = kw.get("inputs", call.args[0] if call.args else None)
    outs_node = kw.get("outputs", call.args[1] if len(call.args) > 1 else None)
    if ins_node is None or outs_node is None:
        raise fail(call, "keras.Model(...)", "needs inputs= and outputs=")
    ins = tracer.eval(ins_node)
    outs = tracer.eval(outs_node)
    ins = ins if isinstance(ins, list) else [ins]
    is_tuple = isinstance(outs, list)
    outs = outs if isinstance(outs, list) else [outs]
    if not all(isinstance(s, Sym) for s in ins + outs):
        raise fail(call, "keras.Model(...)", "inputs/outputs must be tensors or lists of them")
    order = keras_layer_order([s.node for s in ins], [s.node for s in outs])
    index = {id(op): i for i, op in enumerate(op for op in order
                                              if isinstance(op, LayerSpec | UserLayer)
                                              or _is_input(op))}
    return Traced(tracer, ins, outs, index, is_tuple)



def _graph_statement(stmt: ast.stmt, tracer: Tracer, folder: Folder,
                     given: tuple[int, ...] | None, input_nodes: list[Any]) -> None:
    """One statement of a Functional graph: an assignment, ``x += y``, or a ``for`` loop over
    a literal list (unrolled: DLwP's mini Xception builds its blocks in one)."""
    if isinstance(stmt, ast.AugAssign) and isinstance(stmt.target, ast.Name) and \
            isinstance(stmt.op, (ast.Add, ast.Sub, ast.Mult)):
        value: ast.expr = ast.BinOp(ast.Name(stmt.target.id, ast.Load()), stmt.op, stmt.value)
        tracer.assign(stmt.target.id, ast.copy_location(value, stmt))
        return
    if isinstance(stmt, ast.For) and isinstance(stmt.target, ast.Name) and not stmt.orelse:
        items = folder.fold(stmt.iter)
        if not isinstance(items, tuple):
            raise fail(stmt, f"for {stmt.target.id} in {folder.text(stmt.iter)}", "a loop in a "
                       "Functional graph must run over a literal list or tuple")
        saved = folder.consts.get(stmt.target.id, _UNSET)
        try:
            for item in items:
                folder.consts[stmt.target.id] = item  # layer arguments read the loop variable
                for inner in stmt.body:
                    _graph_statement(inner, tracer, folder, given, input_nodes)
        finally:
            if saved is _UNSET:
                folder.consts.pop(stmt.target.id, None)
            else:
                folder.consts[stmt.target.id] = saved
        return
    if not isinstance(stmt, ast.Assign) or len(stmt.targets) != 1 \
            or not isinstance(stmt.targets[0], ast.Name):
        raise fail(stmt, folder.text(stmt).splitlines()[0], "statement in a Functional graph "
                   "not translated (assignments, x += y and for loops over literals are)")
    name, value = stmt.targets[0].id, stmt.value
    if folder.imports.partials.get(name) is value:
        return  # a layer factory (functools.partial), read where it is called
    if isinstance(value, ast.Call) and folder.imports.is_keras(value.func, "Input"):
        shape, dtype = _input_call_shape(value, folder, given)
        tracer.env[name] = tracer.input(name, shape, dtype)
        input_nodes.append(tracer.env[name].node)
        return
    tracer.assign(name, value)


_UNSET = object()


def _is_input(op: Any) -> bool:
    return isinstance(op, tuple) and len(op) == 2 and op[0] == "input"


def _subclass(found: Found, folder: Folder, layouts: dict[str, str],
              input_shape: tuple[int, ...] | None,
              build_shapes: dict[str, tuple[int | None, ...]], partial: bool,
              overrides: dict[str, Any] | None = None) -> Traced:
    cls = found.node
    assert isinstance(cls, ast.ClassDef)
    tracer = Tracer(folder, layouts, partial=partial)
    init = _method(cls, "__init__")
    call = _method(cls, "call")
    if call is None:
        raise fail(cls, f"class {cls.name}", "keras.Model subclass without call()")
    defaults = _defaults(init.args, folder, 1, overrides) if init else {}
    for stmt in init.body if init else []:
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(
                stmt.targets[0], ast.Attribute) and isinstance(stmt.targets[0].value, ast.Name) \
                and stmt.targets[0].value.id == "self":
            value = folder.fold(stmt.value, defaults)
            if isinstance(value, LayerSpec):
                value.attr = stmt.targets[0].attr
            elif isinstance(value, UserLayer):
                value.name = stmt.targets[0].attr  # its layers: <attr>_<inner attr>
            tracer.self_attrs[stmt.targets[0].attr] = value
    params = [a.arg for a in call.args.args[1:] if a.arg not in ("training", "mask")]
    shape = tuple(input_shape) if input_shape else build_shapes.get(found.name)
    if not params or shape is None:
        raise fail(cls, f"class {cls.name}", "the input shape is unknown: call "
                   "model.build((None, ...)) in the source or pass --input-shape")
    x = tracer.input(params[0], shape)
    tracer.env[params[0]] = x
    outputs: list[Sym] = []
    is_tuple = False
    for stmt in call.body:
        if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant):
            continue
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(
                stmt.targets[0], ast.Name):
            tracer.assign(stmt.targets[0].id, stmt.value)
        elif isinstance(stmt, ast.Return) and stmt.value is not None:
            value = tracer.eval(stmt.value)
            is_tuple = isinstance(value, list)
            outputs = value if isinstance(value, list) else [value]
        else:
            raise fail(stmt, folder.text(stmt).splitlines()[0], "statement in call() not "
                       "translated (only assignments and return)")
    if not outputs or not all(isinstance(o, Sym) for o in outputs):
        raise fail(call, "call()", "must return a tensor")
    return Traced(tracer, [x], outputs, {}, is_tuple)


def _method(cls: ast.ClassDef, name: str) -> ast.FunctionDef | None:
    for stmt in cls.body:
        if isinstance(stmt, ast.FunctionDef) and stmt.name == name:
            return stmt
    return None


def param_defaults(arguments: ast.arguments, folder: Folder, skip: int) -> dict[str, Any]:
    """Parameter name -> folded default value (``skip`` leading parameters, e.g. self)."""
    args = arguments.args[skip:]
    defaults = arguments.defaults
    out: dict[str, Any] = {}
    for arg, default in zip(args[len(args) - len(defaults):], defaults, strict=True):
        out[arg.arg] = folder.fold(default)
    for arg, kdefault in zip(arguments.kwonlyargs, arguments.kw_defaults, strict=True):
        if kdefault is not None:
            out[arg.arg] = folder.fold(kdefault)
    return out


def _defaults(arguments: ast.arguments, folder: Folder, skip: int,
              overrides: dict[str, Any] | None) -> dict[str, Any]:
    """Default values tagged with their parameter names, ``overrides`` replacing some."""
    out = {name: tag(name, value) for name, value in param_defaults(arguments, folder,
                                                                    skip).items()}
    return {**out, **(overrides or {})}


def init_params_without_defaults(cls: ast.ClassDef) -> list[str]:
    """Constructor parameters that have no default value."""
    init = _method(cls, "__init__")
    if init is None:
        return []
    args = [a.arg for a in init.args.args[1:]]
    return args[:len(args) - len(init.args.defaults)]
