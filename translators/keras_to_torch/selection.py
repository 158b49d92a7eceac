"""Which Keras model to translate, and with which constructor arguments (issue 9).

The one selection rule of both directions (``MODEL_SELECTION_HELP``): a class (``MyModel``), a
call with constructor arguments (``"MyModel(256, 16)"``, ``"build_model(units=32)"``), a builder
function, or a module-level variable holding a model (``model``). A variable bound to a call of
a subclass or builder of the file (``model = MyModel(hidden_dim=256, output_dim=16)``) selects
that class with the call's arguments, and so does the class's name when the file builds it
once. The arguments are bound to the parameters of ``__init__`` (or of the builder) by position
and keyword, the defaults filling the rest, so layer sizes read from them resolve; the emitted
class keeps the parameters.
"""

from __future__ import annotations

import ast
from typing import Any

from ..base import TranslationError, Unsupported
from .model import Found
from .params import plain, tag
from .parse import Folder, Opaque
from .training import method_call


def choose(models: list[Found], class_name: str | None, tree: ast.Module,
           folder: Folder) -> Found:
    """The selected model, with ``ctor`` / ``ctor_text`` set when a call gives its arguments."""
    if class_name is None:
        return _default(models, tree, folder)
    call = _as_call(class_name)
    if call is not None:  # --class "MyModel(256, 16)"
        assert isinstance(call.func, ast.Name)
        found = _named(models, call.func.id)
        if found is None:
            raise _no_model(models, class_name, call.func.id)
        return _with_call(found, call, class_name, folder, in_file=False)
    found = _named(models, class_name)
    if found is not None:
        return _with_file_call(found, models, tree, folder)
    for stmt in reversed(tree.body):  # `model = MyModel(hidden_dim=256, output_dim=16)`
        made = _instance(stmt, models)
        if made is not None and made[0] == class_name:
            return _with_call(made[1], made[2], folder.text(made[2]), folder, in_file=True)
    raise _no_model(models, class_name, class_name)


def _default(models: list[Found], tree: ast.Module, folder: Folder) -> Found:
    """The model the file compiles or fits, else its last one."""
    fitted = {c[0] for s in ast.walk(tree) if isinstance(s, ast.stmt)
              and (c := method_call(s)) and c[1] in ("fit", "compile")}
    for f in reversed(models):
        if f.name in fitted:
            return f
    for stmt in reversed(tree.body):
        made = _instance(stmt, models)
        if made is not None and made[0] in fitted:
            return _with_call(made[1], made[2], folder.text(made[2]), folder, in_file=True)
    return _with_file_call(models[-1], models, tree, folder)


def _named(models: list[Found], name: str) -> Found | None:
    for f in reversed(models):  # a name bound twice (notebook cells): the last one, as Python
        if name in (f.name, f.builder):
            return f
    return None


def _as_call(text: str) -> ast.Call | None:
    """``Name(...)`` parsed, or None when ``text`` is not a call of a plain name."""
    try:
        node = ast.parse(text.strip(), mode="eval").body
    except SyntaxError:
        return None
    return node if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) else None


def _no_model(models: list[Found], selected: str, name: str) -> TranslationError:
    names = ", ".join(sorted({f.builder or f.name for f in models}))
    reason = f"no model named {name!r} (found: {names})"
    return TranslationError(reason, [Unsupported(1, selected, reason)])


def _instance(stmt: ast.stmt, models: list[Found]) -> tuple[str, Found, ast.Call] | None:
    """(variable, model, call) for ``variable = MyModel(...)`` / ``= build_model(...)``."""
    if not (isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(
            stmt.targets[0], ast.Name) and isinstance(stmt.value, ast.Call)
            and isinstance(stmt.value.func, ast.Name)):
        return None
    name = stmt.value.func.id
    found = next((f for f in reversed(models) if (f.kind == "subclass" and f.name == name
                                                   and not f.builder) or f.builder == name), None)
    return (stmt.targets[0].id, found, stmt.value) if found is not None else None


def _with_file_call(found: Found, models: list[Found], tree: ast.Module,
                    folder: Folder) -> Found:
    """A subclass built with the arguments of the file's one call of it (as PyTorch -> Keras
    reads a class the file builds)."""
    if found.kind != "subclass":
        return found
    calls = [made for s in tree.body if (made := _instance(s, models)) and made[1] is found]
    if len(calls) != 1:
        return found  # none, or several: the translation says to select one
    call = calls[0][2]
    return _with_call(found, call, folder.text(call), folder, in_file=True)


def _params_of(found: Found) -> tuple[ast.arguments, int] | None:
    """The parameters a call of ``found`` binds (``__init__`` without self, or the builder's)."""
    node = found.node if found.kind == "subclass" else found.stmts[0] if found.builder else None
    if isinstance(node, ast.ClassDef):
        init = next((s for s in node.body if isinstance(s, ast.FunctionDef)
                     and s.name == "__init__"), None)
        return (init.args, 1) if init is not None else None
    if isinstance(node, ast.FunctionDef):
        return node.args, 0
    return None


def _required(params: tuple[ast.arguments, int] | None) -> list[str]:
    if params is None:
        return []
    args, skip = params
    positional = [a.arg for a in args.args[skip:]]
    return positional[:len(positional) - len(args.defaults)] + [
        a.arg for a, d in zip(args.kwonlyargs, args.kw_defaults, strict=True) if d is None]


def _with_call(found: Found, call: ast.Call, text: str, folder: Folder,
               in_file: bool) -> Found:
    """``found`` built by ``call``: its arguments bound to the constructor's parameters."""
    if found.kind != "subclass" and not found.builder:
        raise _call_error(call, text, f"{found.name} is a model, not a class or builder "
                          "function: select it by name")
    params = _params_of(found)
    bound = bind_call(call, params, text, folder)
    found.ctor = {name: tag(name, value) for name, value in bound.items()}
    found.ctor_text, found.ctor_in_file = text, in_file
    return found


def bind_call(call: ast.Call, params: tuple[ast.arguments, int] | None, text: str,
              folder: Folder) -> dict[str, Any]:
    """Parameter -> folded value for the arguments ``call`` gives (as Python binds them)."""
    args, skip = params if params is not None else (ast.arguments(
        posonlyargs=[], args=[], kwonlyargs=[], kw_defaults=[], defaults=[]), 0)
    positional = [a.arg for a in args.posonlyargs + args.args][skip:]
    keyword = positional + [a.arg for a in args.kwonlyargs]
    if any(isinstance(a, ast.Starred) for a in call.args) or any(
            k.arg is None for k in call.keywords):
        raise _call_error(call, text, "*args / **kwargs in the call cannot be read statically: "
                          "write the arguments out")
    if len(call.args) > len(positional) and args.vararg is None:
        raise _call_error(call, text, f"takes {len(positional)} positional arguments, the call "
                          f"gives {len(call.args)}")
    values: dict[str, ast.expr] = dict(zip(positional, call.args, strict=False))
    for kw in call.keywords:
        assert kw.arg is not None
        if kw.arg in values or (kw.arg not in keyword and args.kwarg is None):
            why = "given twice" if kw.arg in values else "not a parameter"
            raise _call_error(call, text, f"{kw.arg}= is {why}")
        if kw.arg in keyword:
            values[kw.arg] = kw.value
    missing = [p for p in _required(params) if p not in values]
    if missing:
        raise _call_error(call, text, f"the call leaves {', '.join(missing)} without a value")
    bound: dict[str, Any] = {}
    for name, node in values.items():
        value = folder.fold(node)
        if isinstance(value, Opaque) or _has_opaque(value):
            raise _call_error(call, text, f"{name}={ast.unparse(node)} is not a literal or a "
                              "module-level constant: the translation needs its value")
        bound[name] = value
    return bound


def _has_opaque(value: Any) -> bool:
    return isinstance(value, Opaque) or (isinstance(value, tuple) and any(
        _has_opaque(v) for v in value))


def _call_error(call: ast.Call, text: str, reason: str) -> TranslationError:
    line = call.lineno  # in the file, or 1 in a --class string
    return TranslationError(f"line {line}: {text}: {reason}", [Unsupported(line, text, reason)])


def with_defaults(args: ast.arguments, values: dict[str, Any]) -> ast.arguments:
    """``args`` with ``values`` as the defaults of those parameters (an emitted constructor
    built by a call the file does not make: ``--class "MyModel(256, 16)"``)."""
    names = [a.arg for a in args.posonlyargs + args.args]
    old = dict(zip(names[len(names) - len(args.defaults):], args.defaults, strict=True))
    try:  # only literals can be written as defaults; else the call stays the way to build it
        new = {n: ast.parse(repr(plain(v)), mode="eval").body for n, v in values.items()
               if ast.literal_eval(repr(plain(v))) == plain(v)}
    except (ValueError, SyntaxError):
        return args
    merged = {**old, **new}
    first = next((i for i, n in enumerate(names) if n in merged and n != "self"), len(names))
    defaults = [merged.get(n, ast.Constant(None)) for n in names[first:]]
    kw_defaults = [new.get(a.arg, d) for a, d in zip(args.kwonlyargs, args.kw_defaults,
                                                     strict=True)]
    return ast.arguments(posonlyargs=args.posonlyargs, args=args.args, vararg=args.vararg,
                         kwonlyargs=args.kwonlyargs, kw_defaults=kw_defaults,
                         kwarg=args.kwarg, defaults=defaults)
