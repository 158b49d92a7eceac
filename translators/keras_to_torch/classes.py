"""Custom Keras layers emitted as torch classes (issue 9).

``class ResBlock(layers.Layer)`` becomes ``class ResBlock(nn.Module)`` with the constructor's
parameters, the source's attribute names, its docstrings and the comments of ``call``, which
becomes ``forward``; the model holds ``self.b1 = ResBlock(16)`` and calls ``self.b1(x)``. Each
instance's ``__init__``/``call`` is traced on its own (a child tracer) with its constructor
values tagged by parameter name, so sizes read from them print as the parameter. When the
instances' classes differ only by the input's last size, that size becomes a keyword-only
constructor parameter (``in_features``); otherwise each distinct class gets its own name
(``ResBlock2``). Where the class cannot be read this way (lists of layers, a custom layer inside
one, partial mode) the instance is inlined into ``forward`` (custom.py), with a note.
"""

from __future__ import annotations

import ast
import textwrap
from dataclasses import dataclass
from typing import Any, Protocol

from ..base import TranslationError
from .custom import bind, instance_name, located_failure, method, run_call, run_init
from .params import ParamInt, named, render, tag
from .parse import Folder, LayerSpec, UserLayer
from .shapes import Node, Sym
from .variables import read_weights, weight_entry


@dataclass
class Instance:
    """One instance of a custom layer emitted as a module of its torch class."""

    obj: UserLayer
    entry: Any  # graph.ModuleEntry: ``self.<name> = <ctor>``, ``helper`` the class source
    inputs: list[Sym]
    out: Sym
    plain: str  # the class traced with this instance's sizes
    by_dim: str | None  # ... with the input's last size as a constructor parameter
    ctor: str
    dim: str  # ``in_features=8``: what the constructor call passes for ``by_dim``


class Tracing(Protocol):
    """What emitting a class uses of graph.py's Tracer."""

    folder: Folder
    partial: bool
    env: dict[str, Any]
    self_attrs: dict[str, Any]
    modules: list[Any]
    layer_steps: list[tuple[LayerSpec, list[Any]]]
    lines: list[str]
    notes: list[str]
    requests: dict[str, str]
    int_inputs: dict[str, int]
    classes: dict[str, list[Instance]]

    def child(self, layouts: dict[str, str]) -> Any: ...

    def add_module(self, attr: str, ctor: str, spec: LayerSpec,
                   weight: tuple[str, dict[str, Any]] | None, helper: str | None,
                   nested: bool = False) -> None: ...


def as_module(tracer: Tracing, obj: UserLayer, args: list[Any],
              kwargs: dict[str, Any]) -> Sym | None:
    """``self.b1(x)`` for ``obj(x)`` with ``obj``'s class emitted as a torch class; None when
    the instance is inlined instead (custom.py)."""
    call = method(obj.cls, "call")
    if tracer.partial or call is None:
        return None
    params = [a.arg for a in call.args.args[1:] if a.arg not in ("training", "mask")]
    inputs = [*args, *(kwargs[p] for p in params[len(args):] if p in kwargs)]
    if not inputs or len(inputs) != len(params) or not all(isinstance(x, Sym) for x in inputs):
        return None
    done = next((i for i in tracer.classes.get(obj.cls.name, []) if i.obj is obj), None)
    if done is not None:  # a shared instance called again
        if [x.shape for x in done.inputs] != [x.shape for x in inputs]:
            return None
        return _called(done.entry.attr, obj, inputs, done.out)
    if obj.attrs is not None:
        return None  # already inlined
    name = instance_name(tracer.modules, obj)
    try:
        plain, out, sub, made = _trace(tracer, obj, params, inputs, None)
        ctor = _ctor(obj)
    except TranslationError as exc:
        tracer.notes.append(f"line {obj.line}: {obj.cls.name}(...): inlined into forward "
                            f"instead of emitted as a torch class: {exc}")
        return None
    dim_name, dim = _dim_param(obj, inputs[0])
    try:
        by_dim = _trace(tracer, obj, params, inputs, dim_name)[0] if dim_name else None
    except TranslationError:
        by_dim = None
    spec = LayerSpec(obj.cls.name, [], {}, obj.line, attr=name)
    if made:
        spec.extra["keras_self"] = obj  # its own weights (add_weight in build)
    obj.name, obj.built = name, True
    for m in sub.modules:
        m.spec.extra["keras_owner"] = (obj, m.attr)
        tracer.add_module(f"{name}.{m.attr}", m.ctor, m.spec, m.weight, m.helper, nested=True)
    tracer.add_module(name, ctor, spec, weight_entry(made) if made else None, plain)
    spec.extra["custom_class"] = True
    tracer.layer_steps.append((spec, []))  # not a plain nn.Sequential chain (emit.py)
    for key, value in sub.requests.items():
        tracer.requests.setdefault(key, value)
    tracer.int_inputs.update(sub.int_inputs)
    tracer.classes.setdefault(obj.cls.name, []).append(Instance(
        obj, tracer.modules[-1], inputs, out, plain, by_dim, ctor, f"{dim_name}={dim}"))
    return _called(name, obj, inputs, out)


def _called(name: str, obj: UserLayer, inputs: list[Sym], out: Sym) -> Sym:
    return out.with_(expr=f"self.{name}({', '.join(x.expr for x in inputs)})", origin=None,
                     node=Node(obj, [x.node for x in inputs]))


def _dim_param(obj: UserLayer, x: Sym) -> tuple[str | None, int]:
    """The name the input's last size gets as a constructor parameter (None: no such size)."""
    init = method(obj.cls, "__init__")
    taken = {a.arg for a in init.args.args + init.args.kwonlyargs} if init else set()
    name = "in_features" if len(x.shape) == 1 else "in_channels"
    last = x.shape[-1] if x.shape else None
    if not isinstance(last, int) or name in taken:
        return None, 0
    return name, int(last)


def _ctor(obj: UserLayer) -> str:
    """``ResBlock(16)``: the instance's constructor values (parameter markers stay markers)."""
    init = method(obj.cls, "__init__")
    names = {a.arg for a in init.args.args + init.args.kwonlyargs} if init else set()
    values = [*obj.args, *(v for k, v in obj.kwargs.items() if k in names)]
    for value in values:
        if not _literal(value):
            raise located_failure(obj.cls, f"{obj.cls.name}(...)", "a constructor argument that is not "
                        "a number, string or tuple of them")
    text = [repr(v) for v in obj.args] + [f"{k}={v!r}" for k, v in obj.kwargs.items()
                                          if k in names]
    return f"{obj.cls.name}({', '.join(text)})"


def _literal(value: Any) -> bool:
    if isinstance(value, tuple | list):
        return all(_literal(v) for v in value)
    return value is None or isinstance(value, bool | int | float | str)


def _trace(tracer: Tracing, obj: UserLayer, params: list[str], inputs: list[Sym],
           dim_name: str | None) -> tuple[str, Sym, Any, list[tuple[str, str, str]]]:
    """(class source, output, child tracer, weights of build) of one instance's class."""
    folder = tracer.folder
    init, call = method(obj.cls, "__init__"), method(obj.cls, "call")
    assert call is not None
    given = bind(folder, obj)
    env = {k: tag(k, v) for k, v in given.items()}
    attrs: dict[str, Any] = {}
    run_init(folder, init.body if init else [], env, attrs)
    for attr, value in attrs.items():
        items = value if isinstance(value, tuple) else (value,)
        if any(isinstance(v, UserLayer) for v in items) or isinstance(value, tuple) and any(
                isinstance(v, LayerSpec) for v in items):
            raise located_failure(obj.cls, f"self.{attr}", "a list of layers or a custom layer inside a "
                        "custom layer")
        if isinstance(value, LayerSpec):
            value.attr = attr
    sub = tracer.child({p: x.layout for p, x in zip(params, inputs, strict=True)})
    ins = [x.with_(expr=p, node=Node(("input", p), is_input=True)) for p, x in
           zip(params, inputs, strict=True)]
    if dim_name:
        ins[0] = ins[0].with_(shape=(*ins[0].shape[:-1], tag(dim_name, ins[0].shape[-1])))
    sub.env = dict(zip(params, ins, strict=True))
    sub_obj = UserLayer(obj.cls, obj.args, obj.kwargs, obj.line, name=obj.name, attrs=attrs)
    made = read_weights(folder, sub_obj, ins[0], "")
    if made and any(isinstance(v, LayerSpec) for v in attrs.values()):
        # the weight map copies a module's own weights only where it holds no layers
        raise located_failure(obj.cls, f"class {obj.cls.name}", "weights of its own (add_weight) and "
                    "layers in one custom layer")
    sub.self_attrs = attrs
    out = _forward(sub, folder, call)
    if not isinstance(out, Sym) or out.layout == "flatcf":
        raise located_failure(call, f"{obj.cls.name}.call()", "must return one tensor")
    # the model sees the sizes it gave (``units`` is the class's own parameter)
    out = out.with_(shape=tuple(given.get(d.param, int(d)) if isinstance(d, ParamInt) else d
                                for d in out.shape))
    doc = _docstring(folder, obj.cls, "    ")
    lines = [f"class {obj.cls.name}(nn.Module):", *doc, *([""] if doc else [])]
    lines += [f"    def __init__({_signature(init, dim_name)}):", "        super().__init__()"]
    lines += [f"        {k}" for k in kept_statements(init, folder, ifs=False)] if init else []
    lines += [f"        {k}" for k in _static_ifs(init, given)] if init else []
    lines += [f"        self.{m.attr} = {m.ctor}" for m in sorted(sub.modules,
                                                                key=lambda m: m.spec.line)]
    lines += [f"        self.{attr} = nn.Parameter({expr})" for attr, expr, _ in made]
    lines += ["", f"    def forward(self, {', '.join(params)}):",
              *_docstring(folder, call, "        ")]
    kept = _kept_params(init, given) if init else {}
    lines += [f"        {named(line, kept)}" for line in [*sub.lines, f"return {out.expr}"]]
    return render("\n".join(lines), symbolic=True), out, sub, made


def _kept_params(init: ast.FunctionDef, given: dict[str, Any]) -> dict[str, str]:
    """``{"rate": "self.rate"}`` for ``self.rate = rate`` in ``__init__``: forward reads the
    value from the instance."""
    return {s.value.id: f"self.{s.targets[0].attr}" for s in init.body
            if isinstance(s, ast.Assign) and len(s.targets) == 1
            and isinstance(s.targets[0], ast.Attribute) and isinstance(s.targets[0].value, ast.Name)
            and s.targets[0].value.id == "self" and isinstance(s.value, ast.Name)
            and s.value.id in given}


def _static_ifs(init: ast.FunctionDef, given: dict[str, Any]) -> list[str]:
    """A comment naming the parameters that ``if`` statements of ``__init__`` read: the layers
    below are built for their values (others may need other layers)."""
    read = sorted({n.id for s in init.body if isinstance(s, ast.If) for n in ast.walk(s.test)
                   if isinstance(n, ast.Name) and n.id in given})
    if not read:
        return []
    values = ", ".join(f"{name}={given[name]!r}" for name in read)
    return [f"# mlsense: layers built for {values} (read by an if in Keras' __init__)"]


def _docstring(folder: Folder, node: ast.ClassDef | ast.FunctionDef, indent: str) -> list[str]:
    first = node.body[0] if node.body else None
    if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(
            first.value.value, str):
        return [indent + folder.text(first)]
    return []


def _forward(sub: Any, folder: Folder, call: ast.FunctionDef) -> Any:
    """Trace ``call``'s statements one by one, keeping the comments before each."""
    source = folder.source.splitlines()
    after = call.lineno  # the lines after "def call(...):"
    for i, stmt in enumerate(call.body):
        start = after if i == 0 else call.body[i - 1].end_lineno or stmt.lineno
        for text in source[start:stmt.lineno - 1]:
            if text.strip().startswith("#"):
                sub.lines.append(text.strip())
        if i == 0 and _docstring(folder, call, ""):
            continue
        out = run_call(sub, [stmt])
        if out is not None:
            return out
    return None


def _signature(init: ast.FunctionDef | None, extra: str | None) -> str:
    """``self, units``: the constructor's parameters without ``**kwargs`` (Keras' options),
    plus a keyword-only ``extra``."""
    if init is None:
        args = ast.arguments(posonlyargs=[], args=[ast.arg("self")], kwonlyargs=[],
                             kw_defaults=[], defaults=[])
    else:
        args = ast.arguments(posonlyargs=init.args.posonlyargs, args=init.args.args,
                             vararg=init.args.vararg, kwonlyargs=list(init.args.kwonlyargs),
                             kw_defaults=list(init.args.kw_defaults), defaults=init.args.defaults)
    if extra:
        args.kwonlyargs.append(ast.arg(extra))
        args.kw_defaults.append(None)
    return ast.unparse(args)


def kept_statements(init: ast.FunctionDef, folder: Folder, ifs: bool = True) -> list[str]:
    """The lines of ``__init__`` that are not Keras: ``self.units = units``; without the
    docstring, ``super().__init__(...)``, statements making layers and (unless ``ifs``) the
    ``if`` statements, which the static reading has run."""
    kept = []
    source = folder.source.splitlines()
    for stmt in init.body:
        text = textwrap.dedent("\n".join(source[stmt.lineno - 1:stmt.end_lineno]))
        if isinstance(stmt, ast.If) and not ifs:
            continue
        if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant):
            continue
        if "super(" in text and "__init__" in text:
            continue
        if folder.imports.mentions_framework(stmt) or any(
                isinstance(n, ast.Name) and n.id in folder.imports.user_classes
                for n in ast.walk(stmt)):
            continue  # Keras layers, custom ones included
        kept.extend(text.splitlines())
    return kept


def finalize(classes: dict[str, list[Instance]]) -> None:
    """Each emitted class once: instances whose classes differ only by the input's last size
    pass it to the constructor; other differences get classes of their own (``ResBlock2``)."""
    for name, instances in classes.items():
        if len({i.plain for i in instances}) == 1:
            continue
        by_dim = {i.by_dim for i in instances}
        if len(by_dim) == 1 and None not in by_dim:
            for i in instances:
                i.entry.helper = i.by_dim
                i.entry.ctor = i.ctor[:-1] + (", " if i.ctor[-2] != "(" else "") + i.dim + ")"
            continue
        distinct = list(dict.fromkeys(i.plain for i in instances))
        for i in instances:
            k = distinct.index(i.plain)
            renamed = name if k == 0 else f"{name}{k + 1}"
            i.entry.helper = i.plain.replace(f"class {name}(", f"class {renamed}(", 1)
            i.entry.ctor = renamed + i.ctor[len(name):]
