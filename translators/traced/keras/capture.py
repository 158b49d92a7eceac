"""Build the user's Keras model and write its layer graph out as plain Functional-API source.

The worker side of a Keras -> PyTorch translation by running the code (worker.py
``{"op": "capture_keras"}``, the one place Keras is imported). Where the static reading stops
(a model built by a builder with loops, helpers, ``imagenet_utils.correct_pad(...)`` sizes,
conditions on ``backend.image_data_format()``, a Keras Applications model), the file's
definitions are executed as verification does, the selected model is built, and its graph (a
Functional model, or a built Sequential's) is printed as one ``keras.Input`` line and one line
per layer call, every argument a literal: the static translator reads that text as it reads any
Functional model (runtime.py). Nested models are inlined; their layers keep a path
(``outer/inner``) for the weight map. Each printed line remembers the line of the user's file
that constructed its layer, so a failure is located in the user's file.
"""

from __future__ import annotations

import ast
import inspect
import keyword
import re
import sys
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import keras

from ...verify.models import exec_definitions

# get_config entries that do not change what a layer computes once its weights are copied
_DROP_KEYS = {"trainable", "dtype", "autocast", "seed", "build_config"}
_DROP_SUFFIXES = ("_initializer", "_constraint")
_RESERVED = {"keras", "layers"}
_SNAKE = re.compile(r"(?<!^)(?=[A-Z])")
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


class KerasCaptureError(Exception):
    """A located failure: ``line`` in the user's file, the construct, what to change."""

    def __init__(self, line: int, construct: str, reason: str, kind: str = "capture") -> None:
        reason = _ANSI.sub("", reason)  # Keras' own messages carry terminal bold codes
        super().__init__(f"{construct}: {reason}")
        self.line, self.construct, self.reason, self.kind = line, construct, reason, kind


@contextmanager
def _construction_lines(filename: str, lines: dict[int, int]) -> Iterator[None]:
    """Record, for every operation built meanwhile, the line of ``filename`` that built it
    (the innermost frame of the user's file: the layer's own line, or the builder's call)."""
    base = keras.Operation
    original = base.__init__

    def init(self: Any, *args: Any, **kwargs: Any) -> None:
        frame = sys._getframe(1)
        # the first frame of the user's file outside the layer's own constructors
        while frame is not None and (frame.f_code.co_filename != filename or
                                     frame.f_locals.get("self") is self):
            frame = frame.f_back  # type: ignore[assignment]
        if frame is not None:
            lines.setdefault(id(self), frame.f_lineno)
        original(self, *args, **kwargs)

    base.__init__ = init  # type: ignore[method-assign]
    try:
        yield
    finally:
        base.__init__ = original  # type: ignore[method-assign]


def _user_line(exc: BaseException, filename: str) -> int:
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename == filename]
    return (frames[-1].lineno or 1) if frames else 1


def build_keras_model(namespace: dict[str, Any], selection: str | None,
                      filename: str) -> tuple[Any, str]:
    """The model the selection names (the one rule: a class, a call, a builder function
    called with no arguments, or a variable), and the expression that builds it. With no
    selection: the last module-level variable holding a Keras model."""
    if not selection:
        models = [k for k, v in namespace.items() if isinstance(v, keras.Model)]
        if not models:
            raise KerasCaptureError(1, "model", "no Keras model is built at the top level of "
                                    "the file; name a builder with --class (\"make_model()\")",
                                    kind="selection")
        selection = models[-1]
    head = re.match(r"\s*([A-Za-z_]\w*)", selection)
    if head and head[1] not in namespace:
        found = sorted(k for k, v in namespace.items() if isinstance(v, keras.Model) or (
            inspect.isfunction(v) and v.__module__ == namespace.get("__name__")) or (
            isinstance(v, type) and issubclass(v, keras.Model)))
        raise KerasCaptureError(1, selection, "no builder function, model class or model "
                                f"variable of that name in the file (found: "
                                f"{', '.join(found) or 'none'})", kind="selection")
    text = selection.strip()
    try:
        value = eval(text, namespace)  # noqa: S307 - building the user's model is the point
        if not isinstance(value, keras.Model) and callable(value):
            text += "()"
            value = value()
    except Exception as exc:  # noqa: BLE001 - the user's builder failed: say where
        raise KerasCaptureError(_user_line(exc, filename), text, f"building the model raised "
                                f"{type(exc).__name__}: {exc}") from None
    if not isinstance(value, keras.Model):
        raise KerasCaptureError(1, text, f"builds a {type(value).__name__}, not a Keras model",
                                kind="selection")
    return value, text


def _graph(model: Any, input_shape: tuple[int, ...] | None) -> Any:
    """The Functional graph of ``model``: itself, or a Sequential's (built if need be)."""
    if isinstance(model, keras.Sequential):
        if getattr(model, "_functional", None) is None and input_shape:
            model.build((None, *input_shape))
        return getattr(model, "_functional", None)
    if hasattr(model, "_nodes_by_depth") and hasattr(model, "_operations"):
        return model
    return None


def _plain(value: Any) -> Any:
    """A Keras object given as an argument (an initializer, a regularizer) as the name Keras
    accepts for it, also when get_config gives it serialized; anything else unchanged."""
    if isinstance(value, dict) and isinstance(value.get("class_name"), str) and value.get(
            "module") in ("keras.initializers", "keras.regularizers", "keras.constraints"):
        module = getattr(keras, value["module"].split(".")[1])
        try:
            value = module.deserialize(value)
        except (ValueError, TypeError):
            return value
    for module in (keras.initializers, keras.regularizers, keras.constraints):
        base = getattr(module, "Initializer", None) or getattr(module, "Regularizer", None) \
            or getattr(module, "Constraint", None)
        if base is not None and isinstance(value, base):
            name = _SNAKE.sub("_", type(value).__name__).lower()
            try:
                module.get(name)
            except (ValueError, TypeError):
                return value
            return name
    return value


def _literal(value: Any) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(_literal(v) for v in value) + "]"
    if isinstance(value, tuple):
        return "(" + ", ".join(_literal(v) for v in value) + ("," if len(value) == 1 else "") + ")"
    if isinstance(value, float) and value != value:
        return "float('nan')"
    if value is None or isinstance(value, bool | int | float | str):
        return repr(value)
    raise ValueError(f"{type(value).__name__} value {value!r}")


def _activation(value: Any) -> Any:
    """A serialized activation as its name (``{"config": "swish"...}`` -> ``"swish"``)."""
    if isinstance(value, dict):
        inner = value.get("config")
        if isinstance(inner, str):
            return inner
        if isinstance(inner, dict) and isinstance(inner.get("name"), str):
            return inner["name"]
    return value


class _Printer:
    """Prints one graph (nested graphs inline) as Functional-API lines."""

    def __init__(self, lines: dict[int, int], filename: str, source: str = "",
                 tree: ast.Module | None = None) -> None:
        self.lines = lines
        self.filename = filename
        self.source = source
        tree = tree or ast.Module(body=[], type_ignores=[])
        # Layer classes and functions the user's file defines at its top level, its lambdas
        self.class_nodes = {n.name: n for n in tree.body if isinstance(n, ast.ClassDef)}
        self.defs = {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}
        self.lambdas = [n for n in ast.walk(tree) if isinstance(n, ast.Lambda)]
        self.used_classes: set[str] = set()
        self.used_defs: set[str] = set()
        self.lambda_defs: list[tuple[str, int]] = []  # (def source, the lambda's line)
        self.out: list[str] = []
        self.origin: list[int] = []  # per printed line: the user's line (0: none)
        # printed layer name -> where it is in the source model: indices into ``.layers``,
        # ``3/5`` inside the nested model at index 3 (Keras' auto names shift between builds)
        self.paths: dict[str, str] = {}
        self.container: Any = None  # the model whose .layers holds the layers being printed
        self.names: set[str] = set()
        self.used: set[str] = set()  # variable names
        self.inputs: dict[int, str] = {}  # a keras.Input tensor -> its variable
        # layer classes of the file whose constructor takes no name=: per class, where each
        # printed instance is in the source model, in the order the printed file builds them
        self.unnamed: dict[str, list[str]] = {}
        # a layer called more than once (or inside a nested model called more than once):
        # built once, under a name, and that name called at each call
        self.calls: dict[int, str] = {}

    def emit(self, text: str, op: Any = None) -> None:
        self.out.append(text)
        self.origin.append(self.lines.get(id(op), 0) if op is not None else 0)

    def fail(self, op: Any, reason: str) -> KerasCaptureError:
        return KerasCaptureError(self.lines.get(id(op), 1) or 1,
                                 f"{type(op).__name__}(name={op.name!r})", reason)

    def var(self, hint: str) -> str:
        """A variable named after the layer that computes it (``block1_conv1``)."""
        base = re.sub(r"\W", "_", hint).strip("_") or "x"
        if base[0].isdigit() or keyword.iskeyword(base) or base in _RESERVED:
            base = "t_" + base
        name, n = base, 1
        while name in self.used:
            n += 1
            name = f"{base}_{n}"
        self.used.add(name)
        return name

    def layer_name(self, layer: Any, prefix: str) -> str:
        name = layer.name if layer.name not in self.names else f"{prefix}_{layer.name}"
        while name in self.names:
            name += "_"
        self.names.add(name)
        return name

    def graph(self, fn: Any, inputs: list[str] | None, prefix: str, path: str,
              shared: bool = False) -> list[str]:
        """Print ``fn``'s nodes; ``inputs``: the names its inputs are bound to (None: the
        model's own ``keras.Input`` lines); ``shared``: ``fn`` is a nested model called more
        than once, whose layers are therefore all shared. Returns the names of its outputs."""
        env: dict[int, str] = {}
        fn_inputs = list(fn.inputs) if isinstance(fn.inputs, list | tuple) else [fn.inputs]
        if inputs is not None:
            env.update({id(t): n for t, n in zip(fn_inputs, inputs, strict=True)})
        counts: dict[int, int] = {}
        for depth in sorted(fn._nodes_by_depth, reverse=True):
            for node in fn._nodes_by_depth[depth]:
                counts[id(node.operation)] = counts.get(id(node.operation), 0) + 1
        for depth in sorted(fn._nodes_by_depth, reverse=True):
            for node in fn._nodes_by_depth[depth]:
                op = node.operation
                if isinstance(op, keras.layers.InputLayer):
                    tensor = node.outputs[0]
                    if id(tensor) in env:
                        continue
                    name = self.var(op.name)
                    shape = tuple(tensor.shape[1:])
                    dtype = "" if tensor.dtype == "float32" else f", dtype={tensor.dtype!r}"
                    self.emit(f"{name} = keras.Input(shape={_literal(shape)}, "
                              f"name={self.layer_name(op, prefix)!r}{dtype})", op)
                    env[id(tensor)] = self.inputs[id(tensor)] = name
                    continue
                args = [self.arg(a, env, op) for a in node.arguments.args]
                kwargs = [f"{k}={self.arg(v, env, op)}" for k, v in node.arguments.kwargs.items()
                          if v is not None]  # mask=None, training=None: the defaults
                outs = [self.var(op.name) for _ in node.outputs]
                if isinstance(op, keras.Model):  # a nested model: its graph, inlined
                    inner = _graph(op, None)
                    if inner is None:
                        raise self.fail(op, "a subclassed model used as a layer of a model "
                                        "built by code; translate it on its own (--class)")
                    if kwargs or len(args) != len(inner.inputs if isinstance(
                            inner.inputs, list | tuple) else [inner.inputs]):
                        raise self.fail(op, "a nested model called with other arguments "
                                        "than its inputs")
                    outer = self.container
                    self.container = op
                    try:
                        results = self.graph(inner, args, op.name,
                                             f"{path}{_index(outer, op)}/",
                                             shared or counts.get(id(op), 1) > 1)
                    finally:
                        self.container = outer
                    for tensor, result in zip(node.outputs, results, strict=True):
                        env[id(tensor)] = result
                    continue
                call = self.callee(op, prefix, path, shared or counts.get(id(op), 1) > 1)
                if not isinstance(op, keras.layers.Layer):  # an op's own arguments (newshape)
                    config = dict(getattr(getattr(op, "_auto_config", None), "config", {}) or {})
                    config.pop("name", None)
                    kwargs += [f"{k}={self.arg(v, env, op)}" for k, v in config.items()]
                target = outs[0] if len(outs) == 1 else ", ".join(outs)
                self.emit(f"{target} = {call}({', '.join(args + kwargs)})", op)
                for tensor, name in zip(node.outputs, outs, strict=True):
                    env[id(tensor)] = name
        fn_outputs = list(fn.outputs) if isinstance(fn.outputs, list | tuple) else [fn.outputs]
        return [env[id(t)] for t in fn_outputs]

    def arg(self, value: Any, env: dict[int, str], op: Any) -> str:
        if isinstance(value, keras.KerasTensor):
            return env[id(value)]
        if isinstance(value, list | tuple):
            inner = [self.arg(v, env, op) for v in value]
            return "[" + ", ".join(inner) + "]" if isinstance(value, list) else \
                "(" + ", ".join(inner) + ("," if len(inner) == 1 else "") + ")"
        try:
            return _literal(value)
        except ValueError as exc:
            raise self.fail(op, f"called with an argument that is not a tensor or a literal "
                            f"({exc})") from None

    def callee(self, op: Any, prefix: str, path: str, shared: bool) -> str:
        if id(op) in self.calls:
            return self.calls[id(op)]
        if not isinstance(op, keras.layers.Layer):  # keras.ops.add(x, y) on symbolic tensors
            fn = _SNAKE.sub("_", type(op).__name__).lower()
            if getattr(keras.ops, fn, None) is None:
                raise self.fail(op, f"an operation with no keras.ops function of that name ({fn})")
            return f"keras.ops.{fn}"
        if isinstance(op, keras.layers.Lambda):  # its function, called in the graph
            return self.function(op)
        text = self.constructor(op, prefix, path)
        if shared:
            name = self.var(op.name)
            self.emit(f"{name} = {text}", op)
            self.calls[id(op)] = name
            return name
        return text

    def function(self, layer: Any) -> str:
        """A Lambda layer's function as a function of the printed file: a ``def`` of the user's
        file by its name, a ``lambda`` as a ``def`` of its own (the static translator traces a
        function called on tensors in place)."""
        fn = layer.function
        code = getattr(fn, "__code__", None)
        if getattr(layer, "arguments", None) or code is None or \
                getattr(fn, "__module__", None) != "__mlsense_verify__":
            raise self.fail(layer, "a Lambda whose function is not a def or lambda of the file "
                            "(or that passes arguments=): write it as a def in the file")
        if fn.__name__ != "<lambda>":
            if fn.__name__ not in self.defs:
                raise self.fail(layer, f"its function {fn.__name__} is not a top-level def of "
                                "the file")
            self.used_defs.add(fn.__name__)
            return fn.__name__
        found = [n for n in self.lambdas if n.lineno == code.co_firstlineno]
        if len(found) != 1:
            raise self.fail(layer, "a lambda that cannot be told apart from the others on its "
                            "line: write it as a def in the file")
        node = found[0]
        name = self.var(f"{layer.name}_fn")
        params = ", ".join(a.arg for a in node.args.args)
        body = ast.get_source_segment(self.source, node.body) or ast.unparse(node.body)
        self.lambda_defs.append((f"def {name}({params}):\n    return " +
                                 " ".join(body.split()), node.lineno))
        return name

    def constructor(self, layer: Any, prefix: str, path: str) -> str:
        kind = type(layer).__name__
        if type(layer).__module__ == "__mlsense_verify__" and kind in self.class_nodes:
            return self.custom(layer, kind, prefix, path)
        if getattr(keras.layers, kind, None) is not type(layer):
            where = "the file" if type(layer).__module__ == "__mlsense_verify__" else \
                type(layer).__module__
            raise self.fail(layer, f"a custom layer class (from {where}) in a model built by "
                            "code: only keras.layers classes are read from the running model")
        try:
            config = layer.get_config()
        except Exception as exc:  # noqa: BLE001 - a layer without a config: say which
            raise self.fail(layer, f"get_config() raised {type(exc).__name__}: {exc}") from None
        defaults: dict[str, Any] = {}  # constructor defaults, the base classes' too
        for cls in type(layer).__mro__:  # (LSTM passes zero_output_for_mask on to RNN)
            init = cls.__dict__.get("__init__")
            if init is None or cls is object:
                continue
            for k, p in inspect.signature(init).parameters.items():
                if p.default is not p.empty:
                    defaults.setdefault(k, p.default)
        parts = []
        for key, value in config.items():
            if key == "name":
                continue
            if key in _DROP_KEYS or key.endswith(_DROP_SUFFIXES):
                continue
            if key == "activation" and getattr(layer, "activation", None) is keras.ops.gelu:
                parts.append("activation=keras.ops.gelu")  # serialized as "gelu": exact
                continue
            if key == "activation":
                value = _activation(value)
                if value == "linear" and key in defaults and defaults[key] in (None, "linear"):
                    continue
            if key == "data_format" and value == keras.config.image_data_format() and \
                    defaults.get(key) is None:
                continue
            if key in defaults and _same(defaults[key], value):
                continue
            if key.endswith("_regularizer") and value is None:
                continue
            if kind == "MultiHeadAttention" and (  # what Keras filled in at build time
                    (key == "value_dim" and value == config.get("key_dim")) or
                    (key == "attention_axes" and value is not None and tuple(value) == tuple(
                        range(1, len((getattr(layer, "_build_shapes_dict", None) or {}).get(
                            "query_shape") or (0, 0, 0)) - 1)))):
                continue
            if key in ("layer", "backward_layer", "cell") and isinstance(value, dict):
                inner = layer.forward_layer if key == "layer" and hasattr(
                    layer, "forward_layer") else getattr(layer, key, None)
                if inner is None or not isinstance(inner, keras.layers.Layer):
                    raise self.fail(layer, f"its {key} cannot be read from the running model")
                parts.append(f"{key}={self.constructor(inner, prefix, path)}")
                continue
            try:
                parts.append(f"{key}={_literal(value)}")
            except ValueError as exc:
                raise self.fail(layer, f"argument {key} is not a literal ({exc})") from None
        name = self.layer_name(layer, prefix)
        self.paths[name] = f"{path}{_index(self.container, layer)}"
        parts.append(f"name={name!r}")
        return f"layers.{kind}({', '.join(parts)})"


    def custom(self, layer: Any, kind: str, prefix: str, path: str) -> str:
        """An instance of a Layer class of the user's file, with its constructor arguments
        read back (from get_config, else from the attribute of the same name); the class's
        source goes into the printed file, where the static translator reads it."""
        try:
            config = layer.get_config()
        except Exception:  # noqa: BLE001 - the base config is enough when the attributes are
            config = {}
        parts = []
        # the constructor the file wrote (a class without __init__ takes Layer's: no arguments)
        own = next((c.__dict__["__init__"] for c in type(layer).__mro__ if "__init__" in
                    c.__dict__ and c.__module__ == "__mlsense_verify__"), None)
        params = inspect.signature(own).parameters if own is not None else {}
        for key, param in list(params.items())[1:]:
            if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD) or key == "name":
                continue  # name= is the printed layer's own (below)
            value = _plain(config.get(key, getattr(layer, key, param.default)))
            if value is param.empty:  # passed on to a sublayer: read back from it
                value = _from_sublayer(self.class_nodes.get(kind), layer, key, param.empty)
            if value is param.empty:
                raise self.fail(layer, f"its constructor argument {key!r} cannot be read back "
                                f"from the built layer (keep it as self.{key} or return it "
                                "from get_config)")
            try:
                parts.append(f"{key}={_literal(value)}")
            except ValueError as exc:
                raise self.fail(layer, f"constructor argument {key} is not a literal "
                                f"({exc})") from None
        self.used_classes.add(kind)
        if own is None or "name" in params or any(p.kind == p.VAR_KEYWORD
                                                  for p in params.values()):
            name = self.layer_name(layer, prefix)
            self.paths[name] = f"{path}{_index(self.container, layer)}"
            parts.append(f"name={name!r}")
        else:  # found again in the rebuilt model by the order Keras numbers its names
            self.unnamed.setdefault(kind, []).append(f"{path}{_index(self.container, layer)}")
        return f"{kind}({', '.join(parts)})"


def _from_sublayer(cls: ast.ClassDef | None, layer: Any, param: str, missing: Any) -> Any:
    """A constructor argument the layer does not keep, read from the sublayer its
    ``__init__`` hands it to: ``self.position_embedding = layers.Embedding(input_dim=n,
    output_dim=projection_dim)`` gives ``projection_dim`` as the Embedding's ``output_dim``."""
    init = next((s for s in cls.body if isinstance(s, ast.FunctionDef) and
                 s.name == "__init__"), None) if cls is not None else None
    for node in ast.walk(init) if init is not None else ():
        if not (isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(
                node.targets[0], ast.Attribute) and isinstance(node.targets[0].value, ast.Name)
                and node.targets[0].value.id == "self" and isinstance(node.value, ast.Call)):
            continue
        sub = getattr(layer, node.targets[0].attr, None)
        if not isinstance(sub, keras.layers.Layer):
            continue
        names = [k.arg for k in node.value.keywords if isinstance(k.value, ast.Name) and
                 k.value.id == param and k.arg]
        positions = [i for i, a in enumerate(node.value.args) if isinstance(a, ast.Name) and
                     a.id == param]
        if positions:
            params = [p for p in inspect.signature(type(sub).__init__).parameters][1:]
            names += [params[i] for i in positions if i < len(params)]
        for name in names:
            try:
                config = sub.get_config()
            except Exception:  # noqa: BLE001 - then the attribute alone
                config = {}
            value = config.get(name, getattr(sub, name, missing))
            if value is not missing:
                return _plain(value)
    return missing


def _constants(tree: ast.Module, nodes: list[ast.stmt]) -> list[ast.stmt]:
    """The file's top-level constants (assignments without calls) that ``nodes`` read, and
    those they read in turn: a class's default ``num_conv_layers=conv_layers``."""
    table = {t.id: n for n in tree.body if isinstance(n, ast.Assign) and not any(
        isinstance(c, ast.Call | ast.Lambda | ast.NamedExpr) for c in ast.walk(n.value))
        for t in n.targets if isinstance(t, ast.Name)}
    found: list[ast.stmt] = []
    todo = list(nodes)
    while todo:
        for name in {n.id for n in ast.walk(todo.pop()) if isinstance(n, ast.Name)}:
            stmt = table.get(name)
            if stmt is not None and all(stmt is not f for f in found):
                found.append(stmt)
                todo.append(stmt)
    return found


def _name_unnamed(rebuilt: Any, unnamed: dict[str, list[str]], paths: dict[str, str]) -> None:
    """Point the automatic names of the rebuilt model's unnamed instances of the file's layer
    classes at their source layers: Keras numbers instances of a class in the order they are
    built (``pool``, ``pool_1``, ...), the order the printed file builds them in."""
    def number(name: str) -> int:
        found = re.search(r"_(\d+)$", name)
        return int(found.group(1)) if found else 0

    for kind, where in unnamed.items():
        built = sorted((layer for layer in rebuilt.layers if type(layer).__name__ == kind
                        and layer.name not in paths), key=lambda la: number(la.name))
        if len(built) != len(where):
            raise KerasCaptureError(1, kind, f"{len(where)} instances without name= were "
                                    f"printed, {len(built)} built again: give them name=")
        paths.update({layer.name: path for layer, path in zip(built, where, strict=True)})


def _index(container: Any, layer: Any) -> int:
    """Where ``layer`` is in ``container.layers`` (by identity)."""
    for i, item in enumerate(container.layers):
        if item is layer:
            return i
    raise KerasCaptureError(1, f"{type(layer).__name__}(name={layer.name!r})",
                            "a layer of the graph that its model does not list in .layers")


def _same(default: Any, value: Any) -> bool:
    if isinstance(default, tuple | list) and isinstance(value, tuple | list):
        return list(default) == list(value)
    try:
        return bool(default == value) and type(default) is type(value) or (
            isinstance(default, int | float) and not isinstance(default, bool) and
            isinstance(value, int | float) and not isinstance(value, bool) and default == value)
    except Exception:  # noqa: BLE001 - incomparable: not the default
        return False


def render(model: Any, fn: Any, expr: str, filename: str, lines: dict[int, int],
           source: str) -> dict[str, Any]:
    """The printed source of ``fn`` (the graph of ``model``), built as ``model``; the file's
    imports and the Layer classes of the file that the graph uses come first, as written."""
    tree = ast.parse(source)
    defined = {n.name: n for n in tree.body if isinstance(n, ast.ClassDef | ast.FunctionDef)}
    printer = _Printer(lines, filename)
    body = _Printer(lines, filename, source, tree)
    body.used, body.names, body.container = printer.used, printer.names, model
    outputs = body.graph(fn, None, "", "")
    printer.emit(f"# {expr}, as {filename} builds it: one line per layer call")
    printer.emit("import keras")
    printer.emit("from keras import layers")
    text = source.splitlines()
    used = body.used_classes | body.used_defs
    kept: list[ast.stmt] = [n for n in tree.body if isinstance(n, ast.Import) or (
        isinstance(n, ast.ImportFrom) and n.module != "__future__")] \
        if used or body.lambda_defs else []
    chosen: list[ast.stmt] = [defined[k] for k in used]
    kept += sorted(_constants(tree, chosen) + chosen, key=lambda n: n.lineno)
    for node in kept:
        first = min([node.lineno, *(d.lineno for d in getattr(node, "decorator_list", []))])
        for number in range(first, (node.end_lineno or node.lineno) + 1):
            printer.out.append(text[number - 1])
            printer.origin.append(number)
        printer.emit("")
    for code, line in body.lambda_defs:  # a Lambda layer's lambda, as a def
        for row in code.splitlines():
            printer.out.append(row)
            printer.origin.append(line)
        printer.emit("")
    printer.emit("")
    printer.out += body.out
    printer.origin += body.origin
    printer.paths = body.paths
    printer.unnamed = body.unnamed
    # in the model's order of inputs (the graph prints them in the order its nodes run)
    names = [body.inputs[id(t)] for t in (fn.inputs if isinstance(fn.inputs, list | tuple)
                                           else [fn.inputs])]
    ins = names[0] if len(names) == 1 else "[" + ", ".join(names) + "]"
    outs = outputs[0] if len(outputs) == 1 else "[" + ", ".join(outputs) + "]"
    # a model Keras named itself (functional_3) is named after the selection (build_model())
    head = expr.split("(", 1)[0].strip()
    name = head if re.fullmatch(r"(functional|sequential)(_\d+)?", model.name) and \
        head.isidentifier() else model.name
    var = printer.var(name if name.isidentifier() else "model")
    printer.emit(f"{var} = keras.Model({ins}, {outs}, name={model.name!r})", None)
    return {"source": "\n".join(printer.out) + "\n", "origin": printer.origin,
            "paths": printer.paths, "unnamed": printer.unnamed, "model_var": var}


def capture_keras(req: dict[str, Any]) -> dict[str, Any]:
    """Build the Keras model ``req`` selects (source_text, filename, selection, input_shape)
    and print its graph. Returns ``{"source", "origin", "paths", "source_model",
    "layer_names", "input_shape"}`` or ``{"error": {"line", "construct", "reason", "kind"}}``."""
    filename = req.get("filename") or "<source>"
    lines: dict[int, int] = {}
    shape = tuple(req.get("input_shape") or ()) or None
    try:
        with _construction_lines(filename, lines):
            try:
                namespace, _ = exec_definitions(req["source_text"], filename)
            except Exception as exc:  # noqa: BLE001 - the file's own definitions failed
                raise KerasCaptureError(_user_line(exc, filename), "file", f"running the file's "
                                        f"definitions raised {type(exc).__name__}: {exc}") \
                    from None
            model, expr = build_keras_model(namespace, req.get("selection"), filename)
            fn = _graph(model, shape)
        if fn is None:
            raise KerasCaptureError(1, expr, "a subclassed keras.Model has no layer graph to read "
                                    "at runtime", kind="selection")
        printed = render(model, fn, expr, filename, lines, req["source_text"])
        rebuilt: dict[str, Any] = {}
        try:
            exec(compile(printed["source"], "<graph>", "exec"), rebuilt)  # noqa: S102
        except Exception as exc:  # noqa: BLE001 - the printed graph must build: say why not
            raise KerasCaptureError(1, expr, f"the model's graph, printed as Functional code, "
                                    f"does not build ({type(exc).__name__}: {exc})") from None
        _name_unnamed(rebuilt[printed["model_var"]], printed.pop("unnamed"), printed["paths"])
    except KerasCaptureError as exc:
        return {"error": {"line": exc.line, "construct": exc.construct, "reason": exc.reason,
                          "kind": exc.kind}}
    fn_inputs = fn.inputs if isinstance(fn.inputs, list | tuple) else [fn.inputs]
    return {**printed, "source_model": expr,
            "layer_names": [layer.name for layer in rebuilt[printed["model_var"]].layers],
            "input_shape": [list(t.shape[1:]) for t in fn_inputs]}
