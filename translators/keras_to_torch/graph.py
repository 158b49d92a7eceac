"""Symbolic tracing of Keras model code into PyTorch modules and ``forward`` lines.

The tracer walks the statements that build a model (a Sequential layer list, a Functional
graph, or a subclass's ``call``) with :class:`Sym` values instead of tensors: every layer call
runs its converter (``layers.py``), registers the torch module it needs and yields the torch
expression of its result. Shapes are Keras' (channels-last); layouts say where the torch tensor
keeps its channels. It also records the Functional graph so that Keras' ``model.layers`` order
can be reproduced for the weight map.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from typing import Any

from ..base import TranslationError, Unsupported
from . import classes, custom, rnn, vision  # noqa: F401  (vision registers its converters)
from .layers import ALIASES, CONVERTERS, LAYOUT_AGNOSTIC, Fn, Mod, Step, in_layout, want
from .ops import Batch, apply_op, merge, paren
from .parse import Folder, LayerSpec, Opaque, SequentialLayers, UserLayer
from .shapes import Node, Sym

_NONE = re.compile(r"\bNone\b")
_LAZY = re.compile(r"nn\.(Linear|Conv1d|Conv2d|BatchNorm1d|BatchNorm2d)\(None(?:, |\))")


@dataclass
class ModuleEntry:
    """A torch module of the translated model, and the Keras layer it came from."""

    attr: str
    ctor: str
    spec: LayerSpec
    weight: tuple[str, dict[str, Any]] | None
    todo: str | None = None  # partial mode: why this module is an nn.Identity placeholder
    helper: str | None = None  # source of the module class ``ctor`` needs (see layers.Mod)
    nested: bool = False  # a module of an emitted custom layer class: weight map only


class Tracer:
    """Traces one model; ``lines`` are forward statements, ``modules`` the ``__init__`` ones."""

    def __init__(self, folder: Folder, layouts: dict[str, str], sequential: bool = False,
                 partial: bool = False) -> None:
        self.folder = folder
        self.partial = partial  # untranslatable layers become nn.Identity placeholders
        self.unsupported: list[Unsupported] = []
        self.notes: list[str] = []  # e.g. a custom layer inlined instead of emitted as a class
        self.layouts = layouts  # model input name -> layout asked for by its first consumer
        self.requests: dict[str, str] = {}
        self.int_inputs: dict[str, int] = {}
        self.sequential = sequential
        self.modules: list[ModuleEntry] = []
        self.layer_steps: list[tuple[LayerSpec, list[Step]]] = []
        self.lines: list[str] = []
        self.env: dict[str, Any] = {}
        self.self_attrs: dict[str, Any] = {}
        self._counts: dict[str, int] = {}
        self._temps = 0
        self.target: str | None = None  # the variable the current statement assigns
        self.local_prefix = ""  # inside a custom layer's call: its instance name + "_"
        self.inlined: dict[str, int] = {}  # function name -> calls traced in place
        # custom layer class name -> its instances emitted as modules of a torch class
        self.classes: dict[str, list[classes.Instance]] = {}

    def child(self, layouts: dict[str, str]) -> Tracer:
        """A tracer for a custom layer class's own ``forward`` (classes.py)."""
        return Tracer(self.folder, layouts)

    def add_module(self, attr: str, ctor: str, spec: LayerSpec,
                   weight: tuple[str, dict[str, Any]] | None, helper: str | None,
                   nested: bool = False) -> None:
        """A module the model holds that no Keras layer call made (a custom layer's weights,
        an instance of a custom layer class; ``nested``: a module inside one)."""
        self.modules.append(ModuleEntry(attr, ctor, spec, weight, helper=helper, nested=nested))

    # ----- naming -------------------------------------------------------------------------
    def _attr_name(self, spec: LayerSpec, prefix: str) -> str:
        if spec.attr:
            return spec.attr
        taken = {m.attr for m in self.modules}
        if spec.name and spec.name.isidentifier() and spec.name not in taken:
            return spec.name
        while True:
            self._counts[prefix] = self._counts.get(prefix, 0) + 1
            name = f"{prefix}{self._counts[prefix]}"
            if name not in taken:
                return name

    def temp(self) -> str:
        if self.target and self.target not in self.env:
            return self.local_prefix + self.target
        self._temps += 1
        return f"h{self._temps}" if self._temps > 1 else "h"

    # ----- inputs ---------------------------------------------------------------------------
    def input(self, name: str, shape: tuple[int | None, ...], dtype: str = "float32") -> Sym:
        layout = self.layouts.get(name, "keras") if len(shape) >= 2 else "keras"
        sym = Sym(shape=shape, layout=layout, expr=name, dtype=dtype, origin=name,
                  node=Node(("input", name), is_input=True))
        return sym

    # ----- layer calls ------------------------------------------------------------------------
    def call_layer(self, spec: LayerSpec | UserLayer, args: list[Any],
                   kwargs: dict[str, Any]) -> Sym:
        """Apply ``spec`` to traced inputs; returns the output tensor with its torch expr."""
        if isinstance(spec, UserLayer):
            as_module = classes.as_module(self, spec, args, kwargs)
            return as_module or custom.inline_call(self, spec, args, kwargs)
        spec.kind = ALIASES.get(spec.kind, spec.kind)
        for key, value in kwargs.items():
            if key not in ("training", "query", "value", "key", "inputs") and value not in (
                    None, False):
                raise spec.unsupported(f"{spec.kind}(...)({key}=...)",
                                       "call argument not translated")
        self._note_training_terms(spec)
        if spec.kind == "MultiHeadAttention":
            return self._attention(spec, args, kwargs)
        x = kwargs.get("inputs", args[0] if args else None)
        if isinstance(x, list | tuple):
            out = merge(spec, list(x))
            out = out.with_(node=Node(spec, [s.node for s in x]))
            self.layer_steps.append((spec, []))
            return out
        if not isinstance(x, Sym):
            raise spec.unsupported(f"{spec.kind}(...)(...)", "layer applied to a non-tensor")
        try:
            steps, out = self._convert(spec, x)
        except TranslationError as exc:
            if not self.partial:
                raise
            steps, out = self._placeholder(spec, x, exc)
        self._note_input_use(spec, x, steps)
        steps = self._bind_attr_module(spec, steps)
        expr = self.render(spec, steps, x.expr)
        spec.extra["in_shape"] = x.shape
        self.layer_steps.append((spec, steps))
        origin = x.origin if spec.kind in LAYOUT_AGNOSTIC else None
        return out.with_(expr=expr, origin=origin, node=Node(spec, [x.node]))

    def _convert(self, spec: LayerSpec, x: Sym) -> tuple[list[Step], Sym]:
        converter = CONVERTERS.get(spec.kind)
        if converter is None:
            raise spec.unsupported(spec.kind, f"Keras layer {spec.kind} has no PyTorch mapping")
        if spec.extra.get("in_shape", x.shape) != x.shape:
            raise spec.unsupported(spec.kind, "shared layer called on different shapes")
        steps, out = converter(spec, [x])
        unknown = [d for d in out.shape if isinstance(d, Opaque)]
        if unknown:  # Dense(num_classes) where the data computes num_classes
            raise spec.unsupported(f"{spec.kind}({unknown[0]})", f"the size {unknown[0]} is "
                                   "not a number the file states (set it to a literal or a "
                                   "module constant, or translate with the file run)")
        if x.gap is None:
            return steps, out
        for step in steps:
            if not isinstance(step, Mod):
                continue
            # Sizes torch needs (in_features, in_channels) were lost at the placeholder: lazy
            # modules infer them at the first call; anything else stays a gap.
            step.ctor = _LAZY.sub(r"nn.Lazy\1(", step.ctor)
            if _NONE.search(step.ctor):
                raise spec.unsupported(spec.kind, "input size unknown after the placeholder "
                                       f"for line {x.gap}")
        return steps, out

    def _placeholder(self, spec: LayerSpec, x: Sym,
                     exc: TranslationError) -> tuple[list[Step], Sym]:
        """Partial mode: ``nn.Identity()`` marked TODO; the output shape becomes unknown."""
        gap = exc.unsupported[0] if exc.unsupported else Unsupported(
            spec.line, spec.kind, str(exc), spec.col)
        self.unsupported.append(gap)
        todo = f"TODO(mlsense): line {gap.line}: {gap.construct}: {gap.reason} " \
               "(nn.Identity placeholder)"
        layout = "keras" if x.layout == "flatcf" else x.layout
        out = x.with_(shape=(None,) * len(x.shape), gap=gap.line, flat_from=None, layout=layout)
        return [Mod("nn.Identity()", "todo", todo=todo)], out

    def _note_training_terms(self, spec: LayerSpec) -> None:
        """Regularizers and constraints change nothing at inference, but Keras' training adds
        the penalties to the loss and applies the constraints after each step: say so."""
        for key, value in spec.kwargs.items():
            if value is None or not key.endswith(("_regularizer", "_constraint")):
                continue
            what = ("adds its penalty to the training loss" if key.endswith("_regularizer")
                    else "is applied to the weights after each training step")
            note = (f"line {spec.line}: {spec.kind}({key}={value!r}): Keras {what}; the "
                    "translation does not (add it to the PyTorch loss / step to train the same)")
            if note not in self.notes:
                self.notes.append(note)

    def _note_input_use(self, spec: LayerSpec, x: Sym, steps: list[Step]) -> None:
        if x.origin is not None and spec.kind == "Embedding":  # ids below every vocabulary
            size = int(spec.get("input_dim", 0))               # the input feeds
            self.int_inputs[x.origin] = min(size, self.int_inputs.get(x.origin, size))
        if x.origin is None or x.origin in self.requests:
            return
        if spec.kind in LAYOUT_AGNOSTIC:
            return
        wanted = x.layout
        if steps and isinstance(steps[0], Fn) and steps[0].func.startswith("{x}.permute("):
            wanted = "cf" if x.layout == "keras" else "keras"
        self.requests[x.origin] = wanted

    def _bind_attr_module(self, spec: LayerSpec, steps: list[Step]) -> list[Step]:
        """A subclass attribute like ``self.pool = MaxPooling2D()`` stays a module."""
        if not spec.attr or any(isinstance(s, Mod) for s in steps):
            return steps
        single = [s for s in steps if isinstance(s, Fn) and len(s.modules) == 1]
        if len(single) != 1:
            return steps
        return [Mod(s.modules[0], "m") if s is single[0] else s for s in steps]

    def render(self, spec: LayerSpec, steps: list[Step], expr: str) -> str:
        """The torch expression of ``steps`` applied to ``expr`` (statements go to lines)."""
        for step in steps:
            if isinstance(step, Fn):
                if step.func.count("{x}") > 1 and not expr.isidentifier():
                    var = self.temp()
                    self.lines.append(f"{var} = {expr}")
                    expr = var
                expr = step.func.replace("{x}", expr)
                continue
            ref = self._module_ref(spec, step)
            if step.stmt is None:
                expr = step.expr.replace("{m}", ref).replace("{x}", expr)
                continue
            var = self.temp()
            self.lines.append(step.stmt.replace("{v}", var).replace("{m}", ref)
                              .replace("{x}", expr))
            expr = step.expr.replace("{v}", var)
        return expr

    def _module_ref(self, spec: LayerSpec, step: Mod) -> str:
        if "attr" in spec.extra:
            return f"self.{spec.extra['attr']}"
        attr = self._attr_name(spec, step.prefix)
        self.modules.append(ModuleEntry(attr, step.ctor, spec, step.weight, step.todo,
                                        step.helper))
        spec.extra["attr"] = attr
        return f"self.{attr}"

    def _attention(self, spec: LayerSpec, args: list[Any], kwargs: dict[str, Any]) -> Sym:
        query = kwargs.get("query", args[0] if args else None)
        value = kwargs.get("value", args[1] if len(args) > 1 else None)
        key = kwargs.get("key", args[2] if len(args) > 2 else None)
        if not isinstance(query, Sym) or not isinstance(value, Sym):
            raise spec.unsupported("MultiHeadAttention(...)(...)", "needs query and value tensors")
        steps, out = rnn.attention_call(spec, query, value, key)
        key = key or value
        k_expr = want(key, "keras")[1].expr if key.layout == "keras" else None
        if k_expr is None:
            raise spec.unsupported("MultiHeadAttention", "key/value must be sequences")
        pre: list[Step] = [s for s in steps if isinstance(s, Fn)]
        q_expr = self.render(spec, pre, query.expr)
        mod = next(s for s in steps if isinstance(s, Mod))
        mod.expr = "{m}(" + (f"{q_expr}, {value.expr}" + (
            f", {key.expr})" if key is not value else ")")
            if mod.ctor.startswith("KerasMultiHeadAttention(") else
            f"{q_expr}, {key.expr}, {value.expr}, need_weights=False)[0]")
        expr = self.render(spec, [mod], q_expr)
        self.layer_steps.append((spec, steps))
        return out.with_(expr=expr, origin=None,
                         node=Node(spec, [query.node, value.node] + (
                             [key.node] if key is not value else [])))

    # ----- expressions --------------------------------------------------------------------
    def eval(self, node: ast.AST) -> Any:
        """Trace one expression: Sym, LayerSpec, list or folded value."""
        if isinstance(node, ast.Name):
            if node.id in self.env:
                return self.env[node.id]
            return self.folder.fold(node)
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) \
                and node.value.id == "self":
            if node.attr in self.self_attrs:
                return self.self_attrs[node.attr]
            raise _error(node, f"self.{node.attr}", "attribute is not a translated layer")
        if isinstance(node, ast.List | ast.Tuple):
            return [self.eval(e) for e in node.elts]
        if isinstance(node, ast.Subscript) and (index := _int_literal(node.slice)) is not None:
            # inputs[0] of a list of tensors, keras.ops.shape(x)[-1]
            items = self.eval(node.value)
            if isinstance(items, list | tuple) and -len(items) <= index < len(items):
                return items[index]
        if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Tuple):
            return self._index_tensor(node)
        if isinstance(node, ast.Constant):
            return node.value
        if isinstance(node, ast.UnaryOp) and isinstance(node.operand, ast.Constant):
            return self.folder.fold(node)  # axis=-1
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            value = self.eval(node.operand)  # -inputs
            if isinstance(value, Sym):
                return value.with_(expr=f"-{paren(value.expr)}", origin=None,
                                   node=Node(object(), [value.node]))
            if isinstance(value, int | float) and not isinstance(value, bool):
                return -value
        if isinstance(node, ast.BinOp):
            left, right = self.eval(node.left), self.eval(node.right)
            return apply_op(type(node.op).__name__, [left, right], {}, node)
        if isinstance(node, ast.Call):
            return self._eval_call(node)
        raise _error(node, self.folder.text(node), "expression is not translated")

    def _index_tensor(self, node: ast.Subscript) -> Sym:
        """``inputs[:, 0]``, ``x[:, -1, :]``: the batch axis kept whole, other axes taken whole
        or at a literal index (the same indexing in torch, in Keras' axis order)."""
        assert isinstance(node.slice, ast.Tuple)
        x = self.eval(node.value)
        text = self.folder.text(node)
        if not isinstance(x, Sym):
            raise _error(node, text, "indexing of a value that is not a traced tensor")
        items = node.slice.elts
        whole = [isinstance(e, ast.Slice) and e.lower is None and e.upper is None and
                 e.step is None for e in items]
        picks = [_int_literal(e) for e in items]
        if not items or not whole[0] or len(items) > len(x.shape) + 1 or not all(
                w or p is not None for w, p in zip(whole, picks, strict=True)):
            raise _error(node, text, "indexing other than whole axes and literal indices "
                         "(the batch axis whole)")
        x = in_layout(x, "keras")
        shape = list(x.shape)
        for axis in sorted((i - 1 for i, p in enumerate(picks) if p is not None and i),
                           reverse=True):
            size = shape[axis]
            pick = picks[axis + 1]
            assert pick is not None
            if isinstance(size, int) and not -size <= pick < size:
                raise _error(node, text, f"index {pick} is out of range for size {size}")
            del shape[axis]
        index = ", ".join(":" if w else str(p) for w, p in zip(whole, picks, strict=True))
        # a (N, k) input indexed stays that input (inputs[:, 0] of ids feeds an Embedding);
        # a higher-rank one does not (its layout may still change)
        origin = x.origin if len(x.shape) <= 1 else None
        return x.with_(expr=f"{paren(x.expr)}[{index}]", shape=tuple(shape), origin=origin,
                       node=Node(object(), [x.node]))

    def _eval_call(self, node: ast.Call) -> Any:
        # Python values in scope (a traced function's arguments) fold into layer arguments
        values = {k: v for k, v in self.env.items() if not isinstance(v, Sym | LayerSpec)}
        if isinstance(node.func, ast.Name) and node.func.id in self.folder.imports.user_classes:
            return self.folder.fold(node, values)  # a custom layer instance (custom.py)
        func: Any = self.folder.layer_spec(node.func, values) \
            if isinstance(node.func, ast.Call) else None
        if func is None and isinstance(node.func, ast.Call):
            func = self.eval(node.func)  # Custom(...)(x)
        if func is None and not isinstance(node.func, ast.Call):
            q = self.folder.imports.resolve(node.func)
            if q is not None and q.startswith("keras.layers.") and q.rsplit(".", 1)[1][0].isupper():
                return self.folder.layer_spec(node, values)
            if q in ("keras.ops.arange", "keras.ops.numpy.arange", "tensorflow.range"):
                return self._arange(node)
            if q in _RANDOM:
                return self._random(node, _RANDOM[q])
            if q is not None and (q.startswith(("keras.ops.", "keras.activations.", "keras.random.",
                                               "keras.layers.", "tensorflow.", "keras.backend."))):
                args = [self.eval(a) for a in node.args]
                kwargs = {k.arg: self.eval(k.value) for k in node.keywords if k.arg}
                return apply_op(q, args, kwargs, node)
            if isinstance(node.func, ast.Name) and node.func.id not in self.env and \
                    node.func.id in self.folder.imports.functions:
                return self._inline(self.folder.imports.functions[node.func.id], node)
            func = self.eval(node.func)
        if isinstance(func, SequentialLayers) and len(node.args) == 1 and not node.keywords \
                and all(isinstance(f, LayerSpec | UserLayer) for f in func):
            out = self.eval(node.args[0])  # self.mlp1(x): its layers one after the other
            for layer in func:
                out = self.call_layer(layer, [out], {})
            return out
        if not isinstance(func, LayerSpec | UserLayer):
            raise _error(node, self.folder.text(node.func), "call is not a Keras layer or op")
        args = [self.eval(a) for a in node.args]
        kwargs = {k.arg: self.eval(k.value) for k in node.keywords if k.arg}
        return self.call_layer(func, args, kwargs)

    def _arange(self, node: ast.Call) -> Sym:
        """``keras.ops.arange(start=0, stop=n, step=1)`` in a layer's call (position ids): a
        constant without a batch axis, made on the device of the tensors in scope."""
        one = len(node.args) == 1 and not any(k.arg == "stop" for k in node.keywords)
        given = self._bound_args(node, ["stop"] if one else ["start", "stop", "step"])
        start, stop, step = given.get("start", 0), given.get("stop"), given.get("step", 1)
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in (start, stop, step)) \
                or step == 0 or given.get("dtype") not in (None, "int32", "int64"):
            raise _error(node, self.folder.text(node), "arange of sizes the code does not state "
                         "as integers")
        assert isinstance(start, int) and isinstance(stop, int) and isinstance(step, int)
        device = self._device_in_scope()
        args = f"{start}, {stop}" + (f", {step}" if step != 1 else "") if start else f"{stop}"
        size = max(0, -(-(stop - start) // step))
        return Sym(shape=(size,), expr=f"torch.arange({args}{device})", dtype="int64",
                   batchless=True, node=Node(object(), []))

    def _random(self, node: ast.Call, kind: str) -> Sym:
        """``keras.random.normal(shape=(batch, dim))`` (a VAE's sampling): ``torch.randn`` of
        that shape on the device of the tensors in scope; mean/stddev, minval/maxval kept."""
        text = self.folder.text(node)
        names = ["shape", "mean", "stddev"] if kind == "normal" else ["shape", "minval",
                                                                       "maxval"]
        given = self._bound_args(node, names)
        shape = given.get("shape")
        low, high = (given.get(names[1], 0.0), given.get(names[2], 1.0))
        high = 1.0 if high is None else high  # tf.random.uniform's maxval=None: 1 for floats
        if not isinstance(shape, tuple | list) or not shape or not all(
                isinstance(v, int) and not isinstance(v, bool) for v in shape[1:]) or not (
                isinstance(shape[0], Batch) or isinstance(shape[0], int)) or not all(
                isinstance(v, int | float) and not isinstance(v, bool) for v in (low, high)) \
                or given.get("dtype") not in (None, "float32"):
            raise _error(node, text, "a random draw whose shape, range or dtype is not known "
                         "(the shape from keras.ops.shape(x) and literals)")
        device = self._device_in_scope()
        sizes = ", ".join(d.expr if isinstance(d, Batch) else str(d) for d in shape)
        draw = f"torch.{'randn' if kind == 'normal' else 'rand'}({sizes}{device})"
        if kind == "normal":
            draw = (f"{low!r} + " if low else "") + (f"{high!r} * " if high != 1 else "") + draw
        else:
            draw = (f"{low!r} + " if low else "") + (
                f"{high - low!r} * " if high - low != 1 else "") + draw
        batched = isinstance(shape[0], Batch)
        return Sym(shape=tuple(shape[1:]) if batched else tuple(shape), expr=draw,
                   batchless=not batched, node=Node(object(), []))

    def _bound_args(self, node: ast.Call, names: list[str]) -> dict[str, Any]:
        """The call's traced arguments by parameter name (positional ones named by ``names``)."""
        given = dict(zip(names, (self.eval(a) for a in node.args), strict=False))
        return given | {k.arg: self.eval(k.value) for k in node.keywords if k.arg}

    def _device_in_scope(self) -> str:
        """``, device=x.device`` of the first batched tensor in scope (a layer's input), so a
        tensor made in forward lives where the model runs; empty where there is none."""
        near = next((v for v in self.env.values() if isinstance(v, Sym) and not v.batchless),
                    None)
        return f", device={paren(near.expr)}.device" if near is not None else ""

    def _inline(self, fn: ast.FunctionDef, node: ast.Call) -> Any:
        args = [self.eval(a) for a in node.args]
        kwargs = {k.arg: self.eval(k.value) for k in node.keywords if k.arg}
        if not any(_holds_tensor(v) for v in [*args, *kwargs.values()]):
            raise _error(node, self.folder.text(node.func), "call is not a Keras layer or op")
        self.inlined[fn.name] = self.inlined.get(fn.name, 0) + 1
        return custom.inline_function(self, fn, args, kwargs, self.inlined[fn.name])

    # ----- statements ----------------------------------------------------------------------
    def assign(self, name: str, value_node: ast.AST) -> Any:
        """``name = <expr>``: trace it and emit the torch statement when it is a tensor."""
        self.target = name
        value = self.eval(value_node)
        self.target = None
        if isinstance(value, Sym):
            var = self.local_prefix + name  # a custom layer's locals are prefixed
            if value.expr != var:
                self.lines.append(f"{var} = {value.expr}")
            value = value.with_(expr=var)
        elif isinstance(value, LayerSpec):
            value.attr = value.attr or None
        self.env[name] = value
        return value


# random draws in a layer's call -> their kind (torch.randn / torch.rand)
_RANDOM = {"keras.random.normal": "normal", "keras.random.uniform": "uniform",
           "tensorflow.random.normal": "normal", "tensorflow.random.uniform": "uniform"}


def _int_literal(index: ast.AST) -> int | None:
    """A literal integer index (``0``, ``-1``), else None."""
    sign = 1
    if isinstance(index, ast.UnaryOp) and isinstance(index.op, ast.USub):
        index, sign = index.operand, -1
    if isinstance(index, ast.Constant) and isinstance(index.value, int) and \
            not isinstance(index.value, bool):
        return sign * index.value
    return None


def _holds_tensor(value: Any) -> bool:
    """A traced tensor, or a list/tuple holding one (a function of two towers' outputs)."""
    if isinstance(value, list | tuple):
        return any(_holds_tensor(v) for v in value)
    return isinstance(value, Sym)


def _error(node: ast.AST, construct: str, reason: str) -> TranslationError:
    line = getattr(node, "lineno", 0)
    return TranslationError(f"line {line}: {construct}: {reason}",
                            [Unsupported(line, construct, reason, getattr(node, "col_offset", 0))])


def keras_layer_order(inputs: list[Node], outputs: list[Node]) -> list[Any]:
    """Keras 3's ``Functional.layers`` order: by depth from the outputs, then DFS order."""
    finished: set[int] = set()
    order: list[Node] = []
    index: dict[int, int] = {}
    ops: dict[int, Any] = {}

    def visit(node: Node) -> None:
        if id(node) in finished:
            return
        index.setdefault(id(node.op), len(index))
        ops[id(node.op)] = node.op
        for parent in node.parents:
            visit(parent)
        finished.add(id(node))
        order.append(node)

    for out in outputs:
        visit(out)
    node_depth: dict[int, int] = {}
    op_depth: dict[int, int] = {}
    for node in reversed(order):
        depth = max(node_depth.setdefault(id(node), 0), op_depth.get(id(node.op), 0))
        op_depth[id(node.op)] = depth
        node_depth[id(node)] = depth
        for parent in node.parents:
            node_depth[id(parent)] = max(depth + 1, node_depth.get(id(parent), 0))
    for inp in inputs:
        if id(inp.op) not in op_depth:
            op_depth[id(inp.op)], index[id(inp.op)], ops[id(inp.op)] = 0, -1, inp.op
    keys = sorted(op_depth, key=lambda k: (-op_depth[k], index[k]))
    return [ops[k] for k in keys]
