"""The parsed PyTorch side: module classes, their layers, and how they map to Keras attributes.

:func:`plan_class` reads one ``nn.Module`` subclass's ``__init__`` (with the constructor
arguments evaluated statically) into :class:`Attr` entries: a layer (with its
:class:`~.layers.LayerPlan`), an ``nn.Sequential``, a nested user module, or a plain value.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from typing import Any

from .eval import UNKNOWN, bind_call, evaluate
from .layers import SUPPORTED_LAYERS, LayerError, LayerPlan, plan_layer

# Attribute names Keras reserves on Layer/Model: a torch attribute with such a name is renamed.
RESERVED = frozenset({"layers", "weights", "name", "trainable", "input", "output", "variables",
                      "losses", "metrics", "dtype", "built", "inputs", "outputs", "optimizer"})


class Unsupp(Exception):
    """A located construct the translator cannot map."""

    def __init__(self, line: int, construct: str, reason: str) -> None:
        super().__init__(f"line {line}: {construct}: {reason}")
        self.line, self.construct, self.reason = line, construct, reason
        self.more: list[Any] = []  # the other untranslatable constructs (base.Unsupported)


class ShapeUnsupp(Unsupp):
    """A statically known size contradicts a layer (e.g. a guessed image size is wrong)."""


@dataclass
class ClassInfo:
    """One ``nn.Module`` subclass of the source file."""

    name: str
    node: ast.ClassDef
    init: ast.FunctionDef | None
    forward: ast.FunctionDef
    params: list[str]
    defaults: dict[str, ast.expr]


@dataclass
class Attr:
    """What ``self.<name>`` (or one item of an ``nn.Sequential``) holds."""

    kind: str  # layer | seq | module | unsupported
    line: int
    plan: LayerPlan | None = None
    items: list[Attr] = field(default_factory=list)
    cls: str = ""
    call_src: str = ""
    env: dict[str, Any] = field(default_factory=dict)
    reason: str = ""
    code: str | None = None  # resolved Keras constructor source (set once translated)
    rnn: dict[str, bool] = field(default_factory=dict)  # return_sequences / return_state


def keras_attr_name(name: str) -> str:
    """Keep the user's attribute name unless Keras reserves it."""
    return name + "_" if name in RESERVED else name


def read_class(node: ast.ClassDef) -> ClassInfo | None:
    """ClassInfo for ``node`` when it defines ``forward``; None otherwise."""
    funcs = {f.name: f for f in node.body if isinstance(f, ast.FunctionDef)}
    if "forward" not in funcs:
        return None
    init = funcs.get("__init__")
    params: list[str] = []
    defaults: dict[str, ast.expr] = {}
    if init is not None:
        args = init.args
        params = [a.arg for a in args.args[1:]] + [a.arg for a in args.kwonlyargs]
        positional = args.args[1:]
        for arg, default in zip(positional[len(positional) - len(args.defaults):], args.defaults,
                                strict=True):
            defaults[arg.arg] = default
        for arg, kw_default in zip(args.kwonlyargs, args.kw_defaults, strict=True):
            if kw_default is not None:
                defaults[arg.arg] = kw_default
    return ClassInfo(node.name, node, init, funcs["forward"], params, defaults)


def instance_env(info: ClassInfo, call: ast.Call | None, env: dict[str, Any],
                 globals_env: dict[str, Any]) -> dict[str, Any]:
    """Constructor parameters of ``info`` bound for one instantiation ``call``."""
    defaults = {k: evaluate(v, globals_env) for k, v in info.defaults.items()}
    if call is None:
        values = defaults
    else:
        try:
            values, _ = bind_call(info.params, defaults, call, env)
        except ValueError as exc:
            raise Unsupp(getattr(call, "lineno", info.node.lineno), f"{info.name}(...)",
                         str(exc)) from exc
    missing = [p for p in info.params if p not in values]
    if missing:
        # a call the translator built (``Net()`` for a class never instantiated) has no line
        line = getattr(call, "lineno", info.node.lineno)
        raise Unsupp(line, f"{info.name}()", "constructor arguments without defaults: "
                     + ", ".join(missing) + " (pass them with class_name, e.g. Net(3, 10))")
    return {**globals_env, **values}


def merge_envs(envs: list[dict[str, Any]]) -> dict[str, Any]:
    """One environment for all instances of a class: values they disagree on become UNKNOWN."""
    merged = dict(envs[0])
    for env in envs[1:]:
        for key, val in env.items():
            if merged.get(key, UNKNOWN) != val:
                merged[key] = UNKNOWN
    return merged


class Resolver:
    """Resolves dotted call names through the file's imports (``nn.Linear`` -> torch.nn.Linear)."""

    def __init__(self, tree: ast.Module) -> None:
        self.aliases: dict[str, str] = {}
        for node in tree.body:
            if isinstance(node, ast.Import):
                for a in node.names:
                    self.aliases[a.asname or a.name.split(".")[0]] = \
                        a.name if a.asname else a.name.split(".")[0]
            elif isinstance(node, ast.ImportFrom) and node.module:
                for a in node.names:
                    self.aliases[a.asname or a.name] = f"{node.module}.{a.name}"

    def qualname(self, node: ast.expr) -> str | None:
        """``torch.nn.functional.relu`` for ``F.relu`` etc.; None if not a dotted name."""
        parts: list[str] = []
        while isinstance(node, ast.Attribute):
            parts.append(node.attr)
            node = node.value
        if not isinstance(node, ast.Name):
            return None
        head = self.aliases.get(node.id, node.id)
        return ".".join([head] + parts[::-1])

    def torch_layer(self, node: ast.expr) -> str | None:
        """``"Linear"`` when ``node`` names ``torch.nn.Linear``-like classes, else None."""
        name = self.qualname(node)
        if name and name.startswith("torch.nn.") and name.count(".") == 2:
            return name.rsplit(".", 1)[1]
        return None


def plan_value(node: ast.expr, env: dict[str, Any], resolver: Resolver,
               classes: dict[str, ClassInfo]) -> Attr | None:
    """Attr for a layer-building expression, or None when ``node`` builds no module."""
    if not isinstance(node, ast.Call):
        return None
    ctor = resolver.torch_layer(node.func)
    line = node.lineno
    if ctor == "Sequential":
        items = []
        for arg in node.args:
            item = plan_value(arg, env, resolver, classes)
            if item is None or isinstance(arg, ast.Starred):
                raise Unsupp(arg.lineno, ast.unparse(arg)[:60], "nn.Sequential item is not a layer")
            items.append(item)
        if node.keywords:
            raise Unsupp(line, "nn.Sequential(...)", "keyword arguments are not supported")
        return Attr("seq", line, items=items)
    if ctor is not None:
        if ctor not in SUPPORTED_LAYERS:
            return Attr("unsupported", line, reason=f"nn.{ctor} has no Keras mapping in mlsense",
                        call_src=ast.unparse(node))
        try:
            return Attr("layer", line, plan=plan_layer(ctor, node, env))
        except LayerError as exc:
            return Attr("unsupported", line, reason=str(exc), call_src=ast.unparse(node))
    if isinstance(node.func, ast.Name) and node.func.id in classes:
        info = classes[node.func.id]
        child_env = instance_env(info, node, env, env)
        return Attr("module", line, cls=info.name, call_src=ast.unparse(node), env=child_env)
    return None


def plan_class(info: ClassInfo, env: dict[str, Any], resolver: Resolver,
               classes: dict[str, ClassInfo]) -> dict[str, Attr]:
    """Attributes of ``info`` planned from its ``__init__`` under ``env`` (names -> values)."""
    attrs: dict[str, Attr] = {}
    if info.init is None:
        return attrs
    local = dict(env)
    for stmt in info.init.body:
        if not isinstance(stmt, ast.Assign) or len(stmt.targets) != 1:
            continue
        target = stmt.targets[0]
        if isinstance(target, ast.Name):
            local[target.id] = evaluate(stmt.value, local)
            continue
        if not (isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name)
                and target.value.id == "self"):
            continue
        attr = plan_value(stmt.value, local, resolver, classes)
        if attr is None:
            local["self." + target.attr] = evaluate(stmt.value, local)
        else:
            attrs[target.attr] = attr
    return attrs
