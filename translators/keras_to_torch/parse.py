"""Reading Keras source for the Keras -> PyTorch translator: imports, names, literal arguments.

Pure ``ast``: nothing here imports Keras. Names are resolved through the module's own import
statements (``tf.keras.layers.Dense``, ``from keras.layers import Dense``, ``layers.Dense`` all
become ``keras.layers.Dense``), and layer arguments are folded to Python values where they are
literals, module-level constants or constructor defaults.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from typing import Any

from ..base import TranslationError, Unsupported

# Alternative spellings of the Keras namespace, longest first.
_PREFIXES = (
    ("tensorflow.python.keras.", "keras."),
    ("tensorflow.keras.", "keras."),
    ("tf_keras.", "keras."),
    ("keras.src.", "keras."),
    ("keras.api.", "keras."),
    ("keras.models.", "keras."),
    ("keras.engine.", "keras."),
)
_EXACT = {"tensorflow.keras": "keras", "tf_keras": "keras", "keras.layers.Input": "keras.Input",
          "keras.layers.InputLayer": "keras.layers.InputLayer",
          # where Keras 3 defines them (keras.src.layers.layer.Layer, keras.src.models.model)
          "keras.layers.layer.Layer": "keras.layers.Layer", "keras.model.Model": "keras.Model"}


def canonical(qualname: str) -> str:
    """``tensorflow.keras.models.Sequential`` -> ``keras.Sequential`` (one spelling per API)."""
    for prefix, repl in _PREFIXES:
        if qualname.startswith(prefix):
            qualname = repl + qualname[len(prefix):]
    if qualname in _EXACT:
        return _EXACT[qualname]
    if qualname.startswith("keras.layers.experimental.preprocessing."):
        return "keras.layers." + qualname.rsplit(".", 1)[1]
    return qualname


def dotted(node: ast.AST) -> str | None:
    """``a.b.c`` for a Name/Attribute chain, else None."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return None


class Imports:
    """Local name -> fully qualified name, from a module's import statements."""

    def __init__(self, tree: ast.Module) -> None:
        self.tree = tree  # the module the names come from (model.py finds graph blocks in it)
        self.names: dict[str, str] = {}
        self.keras_import_lines: set[int] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.asname:
                        self.names[alias.asname] = alias.name
                    else:
                        head = alias.name.split(".")[0]
                        self.names[head] = head
                self._mark(node, [a.name for a in node.names])
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                for alias in node.names:
                    self.names[alias.asname or alias.name] = f"{node.module}.{alias.name}"
                self._mark(node, [node.module])
        # `DefaultConv2D = partial(layers.Conv2D, kernel_size=3, ...)`: a layer factory
        self.partials: dict[str, ast.Call] = {}
        for stmt in tree.body:
            if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(
                    stmt.targets[0], ast.Name) and isinstance(stmt.value, ast.Call) and \
                    stmt.value.args and self.resolve(stmt.value.func) == "functools.partial":
                self.partials[stmt.targets[0].id] = stmt.value
        # functions that may build part of a graph (inlined where they are called on tensors)
        self.functions = {stmt.name: stmt for stmt in tree.body
                          if isinstance(stmt, ast.FunctionDef)}
        # custom layers: subclasses of keras.layers.Layer (or of keras.Model, used as a layer)
        self.user_classes: dict[str, ast.ClassDef] = {
            stmt.name: stmt for stmt in tree.body if isinstance(stmt, ast.ClassDef) and any(
                self.resolve(b) in ("keras.layers.Layer", "keras.Layer", "keras.Model")
                for b in stmt.bases)}

    def _mark(self, node: ast.stmt, modules: list[str]) -> None:
        if all(m.split(".")[0] in {"keras", "tensorflow", "tf_keras"} for m in modules):
            self.keras_import_lines.add(node.lineno)

    def resolve(self, node: ast.AST) -> str | None:
        """Canonical qualified name of ``node`` when its head is an imported name."""
        name = dotted(node)
        if name is None:
            return None
        head, _, rest = name.partition(".")
        full = self.names.get(head)
        if full is None:
            return None
        return canonical(f"{full}.{rest}" if rest else full)

    def is_keras(self, node: ast.AST, *suffixes: str) -> bool:
        """Whether ``node`` names one of ``keras.<suffix>``."""
        q = self.resolve(node)
        return q is not None and any(q == f"keras.{s}" for s in suffixes)

    def mentions_framework(self, node: ast.AST) -> bool:
        """Whether any name under ``node`` resolves into keras/tensorflow."""
        for sub in ast.walk(node):
            if isinstance(sub, ast.Name):
                q = self.names.get(sub.id, "")
                if q.split(".")[0] in {"keras", "tensorflow", "tf_keras"}:
                    return True
        return False


@dataclass
class Opaque:
    """An argument value the translator could not fold (kept as source text)."""

    text: str

    def __repr__(self) -> str:
        return self.text


class SequentialLayers(tuple):  # type: ignore[type-arg]
    """``keras.Sequential([...])`` held by a custom layer (``self.mlp1``): its layers, applied
    in order where it is called; Keras reaches them as ``mlp1.layers[i]``."""


@dataclass
class LayerSpec:
    """One ``layers.X(...)`` constructor call, its folded arguments and where it is."""

    kind: str
    args: list[Any]
    kwargs: dict[str, Any]
    line: int
    col: int = 0
    attr: str | None = None  # subclass attribute or variable name holding the layer
    call_count: int = 0
    built: Any = None  # set by the graph tracer on the first call
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def name(self) -> str | None:
        value = self.kwargs.get("name")
        return value if isinstance(value, str) else None

    def get(self, name: str, pos: int | None = None, default: Any = None) -> Any:
        """Argument ``name`` given by keyword or at position ``pos``, else ``default``."""
        if name in self.kwargs:
            return self.kwargs[name]
        if pos is not None and pos < len(self.args):
            return self.args[pos]
        return default

    def unsupported(self, construct: str, reason: str) -> TranslationError:
        """A located error about this layer."""
        u = Unsupported(self.line, construct, reason, self.col)
        return TranslationError(f"line {self.line}: {construct}: {reason}", [u])


@dataclass(eq=False)
class UserLayer:
    """An instance of a custom layer class of the file (see :mod:`.custom`)."""

    cls: ast.ClassDef
    args: list[Any]
    kwargs: dict[str, Any]
    line: int
    name: str | None = None  # the torch name prefix, set at the first call
    attrs: dict[str, Any] | None = None  # what its __init__ assigned to self
    built: bool = False  # its build() (add_weight) has run, at the first call


class Folder:
    """Folds argument expressions to Python values; unknown ones become :class:`Opaque`."""

    def __init__(self, source: str, imports: Imports, consts: dict[str, Any]) -> None:
        self.source = source
        self.imports = imports
        self.consts = consts

    def text(self, node: ast.AST) -> str:
        return ast.get_source_segment(self.source, node) or ast.unparse(node)

    def fold(self, node: ast.AST, env: dict[str, Any] | None = None) -> Any:
        """Python value of ``node``; nested layer constructors become :class:`LayerSpec`."""
        env = env or {}
        if isinstance(node, ast.Constant):
            return node.value
        if isinstance(node, ast.Tuple | ast.List):
            return tuple(self.fold(e, env) for e in node.elts)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            inner = self.fold(node.operand, env)
            return -inner if isinstance(inner, int | float) else Opaque(self.text(node))
        if isinstance(node, ast.IfExp):
            test = self.fold(node.test, env)
            if not isinstance(test, Opaque):
                return self.fold(node.body if test else node.orelse, env)
        if isinstance(node, ast.Compare) and len(node.ops) == 1 and \
                isinstance(node.ops[0], ast.Eq | ast.NotEq):
            left, right = self.fold(node.left, env), self.fold(node.comparators[0], env)
            if not isinstance(left, Opaque) and not isinstance(right, Opaque):
                return (left == right) == isinstance(node.ops[0], ast.Eq)
        if isinstance(node, ast.BinOp):
            left, right = self.fold(node.left, env), self.fold(node.right, env)
            if isinstance(left, tuple) and isinstance(node.op, ast.Add | ast.Mult) and \
                    isinstance(right, tuple | int) and not isinstance(right, bool):
                return left + right if isinstance(node.op, ast.Add) and isinstance(
                    right, tuple) else left * right if isinstance(right, int) else \
                    Opaque(self.text(node))  # [64] * 3 + [128] * 4
            if isinstance(left, int | float) and isinstance(right, int | float):
                ops = {ast.Add: lambda a, b: a + b, ast.Sub: lambda a, b: a - b,
                       ast.Mult: lambda a, b: a * b, ast.FloorDiv: lambda a, b: a // b,
                       ast.Div: lambda a, b: a / b}
                fn = ops.get(type(node.op))
                if fn is not None:
                    return fn(left, right)
            return Opaque(self.text(node))
        if isinstance(node, ast.Subscript):  # num_output_channels[i] in a loop
            items, index = self.fold(node.value, env), self.fold(node.slice, env)
            if isinstance(items, tuple | list) and isinstance(index, int) and not isinstance(
                    index, bool) and -len(items) <= index < len(items):
                return items[index]
            return Opaque(self.text(node))
        if isinstance(node, ast.Name):
            if node.id in env:
                return env[node.id]
            if node.id in self.consts:
                return self.consts[node.id]
        q = self.imports.resolve(node)
        if q in ("keras.ops.gelu", "keras.ops.nn.gelu"):
            return "gelu_tanh"  # activation=keras.ops.gelu: approximate=True by default
        if q is not None and q.startswith("keras.activations."):
            return q.rsplit(".", 1)[1]
        if q is not None and q.startswith("tensorflow.nn."):
            return q.rsplit(".", 1)[1]
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in (
                "int", "float") and len(node.args) == 1 and not node.keywords and \
                node.func.id not in env:
            value = self.fold(node.args[0], env)  # self.sequence_length = int(sequence_length)
            if isinstance(value, int | float) and not isinstance(value, bool):
                return int(value) if node.func.id == "int" else float(value)
        if isinstance(node, ast.Call):
            spec = self.layer_spec(node, env)
            if spec is not None:
                return spec
            if isinstance(node.func, ast.Name) and node.func.id in self.imports.user_classes:
                return UserLayer(self.imports.user_classes[node.func.id],
                                 [self.fold(a, env) for a in node.args],
                                 {k.arg: self.fold(k.value, env) for k in node.keywords if k.arg},
                                 node.lineno)
        return Opaque(self.text(node))

    def layer_class(self, func: ast.AST) -> str | None:
        """``Dense`` when ``func`` names ``keras.layers.Dense`` (or a ``partial`` of it)."""
        if isinstance(func, ast.Name) and func.id in self.imports.partials:
            func = self.imports.partials[func.id].args[0]
        q = self.imports.resolve(func)
        if q and q.startswith("keras.layers.") and q.count(".") == 2:
            return q.rsplit(".", 1)[1]
        return None

    def layer_spec(self, call: ast.Call, env: dict[str, Any] | None = None) -> LayerSpec | None:
        """A :class:`LayerSpec` if ``call`` constructs a Keras layer."""
        kind = self.layer_class(call.func)
        if kind is None or kind[0].islower():
            return None
        factory = self.imports.partials.get(call.func.id) if isinstance(call.func, ast.Name) \
            else None
        bound = (factory.args[1:], factory.keywords) if factory is not None else ([], [])
        args = [self.fold(a, env) for a in [*bound[0], *call.args]]
        kwargs = {k.arg: self.fold(k.value, env) for k in [*bound[1], *call.keywords] if k.arg}
        return LayerSpec(kind, args, kwargs, call.lineno, call.col_offset)


def module_constants(tree: ast.Module) -> dict[str, Any]:
    """Module-level ``NAME = <literal>`` assignments (hyper-parameters used in layer args)."""
    consts: dict[str, Any] = {}
    for stmt in tree.body:
        if not isinstance(stmt, ast.Assign) or len(stmt.targets) != 1:
            continue
        target = stmt.targets[0]
        try:
            value = ast.literal_eval(stmt.value)
        except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
            continue
        if isinstance(target, ast.Name):
            consts[target.id] = value
        elif isinstance(target, ast.Tuple) and isinstance(value, tuple) and len(
                value) == len(target.elts):
            for elt, item in zip(target.elts, value, strict=True):
                if isinstance(elt, ast.Name):
                    consts[elt.id] = item
    return consts


def as_tuple(value: Any, rank: int) -> tuple[int, ...]:
    """Keras' ``kernel_size=3`` / ``(3, 3)`` normalisation to a ``rank``-tuple."""
    if isinstance(value, int):
        return (value,) * rank
    if isinstance(value, tuple | list) and len(value) == rank and all(
            isinstance(v, int) for v in value):
        return tuple(value)
    raise ValueError(f"expected an int or {rank} ints, got {value!r}")
