"""Build the user's model and trace it with torch.fx: the worker side of a traced translation.

Runs only in the verification worker's process (worker.py ``{"op": "capture"}``), the one place
torch is imported. The file's definitions are executed as verification does, the model is built
from the selection (:func:`build_model`) and traced with every ``torch.nn`` layer as a leaf (so
the graph keeps the attribute paths: ``layer1.0.conv1``), each node running on an example input
(batch 2) as it is recorded: its runtime shape is known, and Python values computed from sizes
(``x.size(0)``, ``int(C / g)``) become constants instead of nodes. The result is plain JSON (see :func:`capture`); errors come
back as ``{"error": {"line", "construct", "reason"}}`` located in the user's file.
"""

from __future__ import annotations

import ast
import contextlib
import copy
import functools
import inspect
import re
import sys
import traceback
from typing import Any, cast

import numpy as np
import torch
from torch import fx

from ..verify.models import BATCH, exec_definitions
from .describe import (
    describe_value,
    given_kwargs,
    is_buffer,
    is_parameter,
    jsonable,
    layer_args,
    target,
)

_CONTAINERS = (torch.nn.Sequential, torch.nn.ModuleList, torch.nn.ModuleDict)
_FRAME = re.compile(r'File "(?P<file>.+)", line (?P<line>\d+), in (?P<func>\S+)')


class CaptureError(Exception):
    """A located failure: ``line`` in the user's file, the construct, what to change."""

    def __init__(self, line: int, construct: str, reason: str) -> None:
        super().__init__(f"{construct}: {reason}")
        self.line, self.construct, self.reason = line, construct, reason


class _Concrete(fx.Proxy):
    """A proxy that also knows its value on the example input: sizes, shapes, devices and
    lengths are answered concretely (``int(C / g)``, ``len(x)``, tuple unpacking and loops over
    ``x.split(...)`` all work), tensors stay in the graph."""

    def __getattr__(self, k: str) -> Any:
        value = getattr(_value(self), k, None)
        if value is not None and not callable(value) and not _has_tensor(value):
            return value
        return super().__getattr__(k)

    def __len__(self) -> int:
        return len(_value(self))

    def __iter__(self) -> Any:
        return iter([cast(Any, self)[i] for i in range(len(_value(self)))])


def _value(proxy: fx.Proxy) -> Any:
    tracer = proxy.tracer
    assert isinstance(tracer, _Tracer)
    return tracer.values[proxy.node]


def _has_tensor(value: Any) -> bool:
    if isinstance(value, torch.Tensor):
        return True
    if isinstance(value, tuple | list):
        return any(_has_tensor(v) for v in value)
    if isinstance(value, dict):
        return any(_has_tensor(v) for v in value.values())
    return False


class _Tracer(fx.Tracer):
    """Layers of ``torch.nn`` are leaves; the user's own modules are traced through, running
    each node on the example input as it is recorded (Python values become constants)."""

    def __init__(self, root: torch.nn.Module, example: torch.Tensor,
                 extras: list[Any] | None = None) -> None:
        super().__init__()
        self.record_stack_traces = True
        self.proxy_buffer_attributes = True  # self.pe in forward: a get_attr node, not a constant
        self.model, self.example, self.extras = root, example, extras or []
        self.values: dict[fx.Node, Any] = {}
        self.running = 0  # > 0 while a node runs concretely: fx's patches must stand aside

    def getattr(self, attr: str, attr_val: Any, parameter_proxy_cache: dict[str, Any]) -> Any:
        if self.running:
            return attr_val
        return super().getattr(attr, attr_val, parameter_proxy_cache)

    def call_module(self, m: torch.nn.Module, forward: Any, args: Any, kwargs: Any) -> Any:
        if self.running:
            return forward(*args, **kwargs)
        return super().call_module(m, forward, args, kwargs)

    def is_leaf_module(self, m: torch.nn.Module, module_qualified_name: str) -> bool:
        return type(m).__module__.startswith("torch.nn") and not isinstance(m, _CONTAINERS)

    def proxy(self, node: fx.Node) -> fx.Proxy:
        return _Concrete(node, self)

    def create_proxy(self, kind: str, target: Any, args: Any, kwargs: Any, name: str | None = None,
                     type_expr: Any = None, proxy_factory_fn: Any = None) -> Any:
        proxy = super().create_proxy(kind, target, args, kwargs, name, type_expr,
                                     proxy_factory_fn)
        value = self._run(kind, target, args, kwargs)
        if not _has_tensor(value):
            proxy.node.graph.erase_node(proxy.node)  # a Python value: a constant from now on
            return value
        self.values[proxy.node] = value
        return proxy

    def _run(self, kind: str, target: Any, args: Any, kwargs: Any) -> Any:
        def real(a: Any) -> Any:
            return self.values[a.node] if isinstance(a, fx.Proxy) else a
        args = fx.node.map_aggregate(args, real)
        kwargs = fx.node.map_aggregate(kwargs, real)
        self.running += 1
        try:
            return self._run_concrete(kind, target, args, kwargs)
        finally:
            self.running -= 1

    def _run_concrete(self, kind: str, target: Any, args: Any, kwargs: Any) -> Any:
        with torch.no_grad():
            if kind == "placeholder":  # the input, the examples of the other required
                # arguments (an RNN state), then the other arguments' defaults
                index = sum(n.op == "placeholder" for n in self.values)
                if index == 0:
                    return self.example
                if index <= len(self.extras):
                    return self.extras[index - 1]
                return args[0] if args else None
            if kind == "call_module":
                return self.model.get_submodule(target)(*args, **kwargs)
            if kind == "call_method":
                return getattr(args[0], target)(*args[1:], **kwargs)
            if kind == "get_attr":
                return functools.reduce(getattr, target.split("."), self.model)
            return target(*args, **kwargs)

    def to_bool(self, obj: fx.Proxy) -> bool:
        raise fx.proxy.TraceError("symbolically traced variables cannot be used as inputs to "
                                  "control flow")


def build_model(namespace: dict[str, Any], selection: str) -> tuple[Any, str]:
    """The model the selection names, and the expression that builds it.

    One rule: a class (``Net``: called with no arguments), a call (``Net(3)``,
    ``VGG('VGG11')``), a builder function (``ResNet18``: called with no arguments) or a
    module-level variable holding a model (``model``).
    """
    try:
        expr = ast.parse(selection.strip(), mode="eval").body
    except SyntaxError as exc:
        raise CaptureError(1, selection, f"not a name or a call ({exc.msg})") from None
    name = expr.func if isinstance(expr, ast.Call) else expr
    if isinstance(name, ast.Name) and name.id not in namespace:
        found = sorted(k for k, v in namespace.items() if _selectable(v))
        raise CaptureError(1, selection, "no class, builder function or model variable of that "
                           f"name in the file (found: {', '.join(found) or 'none'})")
    text = ast.unparse(expr)
    try:
        value = eval(text, namespace)  # noqa: S307 - building the user's model is the point
        if not isinstance(expr, ast.Call) and callable(value) and \
                not isinstance(value, torch.nn.Module):
            text += "()"
            value = value()
    except Exception as exc:  # noqa: BLE001 - the user's constructor failed: say where
        raise CaptureError(_user_line(exc, namespace.get("__file__", "")), text,
                           f"building the model raised {type(exc).__name__}: {exc}") from None
    if not isinstance(value, torch.nn.Module):
        raise CaptureError(1, text, f"builds a {type(value).__name__}, not a torch.nn.Module")
    return value, text


def _selectable(value: Any) -> bool:
    return (isinstance(value, type) and issubclass(value, torch.nn.Module)) or \
        isinstance(value, torch.nn.Module) or inspect.isfunction(value)


def _user_line(exc: BaseException, filename: str) -> int:
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename == filename]
    return frames[-1].lineno or 1 if frames else 1


def _stack_line(node: fx.Node, filename: str) -> int:
    """The line of the user's file that created ``node`` (0 when not known)."""
    lines = [int(m["line"]) for m in _FRAME.finditer(node.meta.get("stack_trace") or "")
             if m["file"] == filename]
    return lines[-1] if lines else 0


def _node_value(tracer: _Tracer, node: fx.Node) -> Any:
    """What a node computed on the example; a tensor constant fx made from a tensor that
    forward built outside the graph is an attribute of the traced root."""
    if node in tracer.values or node.op != "get_attr":
        return tracer.values.get(node)
    return functools.reduce(getattr, str(node.target).split("."), tracer.root)


def guess_input_shape(root: torch.nn.Module) -> tuple[int, ...]:
    """An input shape (no batch axis) that fits the model's first layer, as the static
    translator guesses it: images 32x32, sequences of 16 steps."""
    for layer in root.modules():
        if isinstance(layer, torch.nn.Embedding):
            return (16,)
        if isinstance(layer, torch.nn.Conv1d | torch.nn.Conv2d | torch.nn.Conv3d):
            return (layer.in_channels, *(32,) * (len(layer.kernel_size)))
        if isinstance(layer, torch.nn.Linear):
            return (layer.in_features,)
        if isinstance(layer, torch.nn.RNNBase):
            return (16, layer.input_size) if layer.batch_first else (layer.input_size,)
    raise CaptureError(1, type(root).__name__, "cannot guess the input shape from the first "
                       "layer; pass --input-shape")


def _example_input(root: torch.nn.Module, shape: tuple[int, ...], batch: int = BATCH,
                   ids: bool | None = None) -> tuple[torch.Tensor, dict[str, Any]]:
    """A seeded batch-2 input; token ids below the vocabulary when the model embeds tokens
    (``ids``: already decided, for a second example of the same model)."""
    vocab = [m.num_embeddings for m in root.modules() if isinstance(m, torch.nn.Embedding)]
    if ids is None:
        ids = bool(vocab) and _input_reaches_an_embedding(root, shape, batch)
    if ids and vocab:
        tokens = np.random.default_rng(0).integers(0, min(vocab), size=(batch, *shape))
        return torch.from_numpy(tokens.astype(np.int64)), {"dtype": "int64", "vocab": min(vocab)}
    gen = torch.Generator().manual_seed(0)
    dtype = next((p.dtype for p in root.parameters() if p.is_floating_point()), torch.float32)
    example = torch.randn((batch, *shape), generator=gen).to(dtype)  # the parameters' dtype
    return example, {"dtype": str(dtype).replace("torch.", ""), "vocab": None}


class _Reached(Exception):
    pass


def _input_reaches_an_embedding(root: torch.nn.Module, shape: tuple[int, ...],
                                batch: int) -> bool:
    """Whether the model's input itself is what its first ``nn.Embedding`` looks up (token
    ids), found by a probe run in eval mode stopped at that embedding; an embedding of indices
    the model makes (LeViT's attention bias table) does not make the input ids. When the probe
    fails before any embedding, the input is taken for ids, as before. The probe runs on a copy:
    a forward may cache what it builds (word_language_model keeps its causal mask), and the
    model traced next must not start from the probe's batch."""
    try:
        root = copy.deepcopy(root)
    except Exception:  # noqa: BLE001 - a model that cannot be copied: judge by the layers
        return True
    probe = torch.randn((batch, *shape))
    reached: list[bool] = []

    def hook(module: torch.nn.Module, args: tuple[Any, ...]) -> None:
        reached.append(any(a is probe for a in args))
        raise _Reached

    embeddings = [m for m in root.modules() if isinstance(m, torch.nn.Embedding)]
    handles = [m.register_forward_pre_hook(hook) for m in embeddings]
    root.eval()
    try:
        with torch.no_grad():
            root(probe)
    except _Reached:
        pass
    except Exception:  # noqa: BLE001 - the probe only informs the choice
        return True
    finally:
        for handle in handles:
            handle.remove()
    return bool(reached) and reached[0]


def _state_example(model: torch.nn.Module, example: torch.Tensor) -> Any:
    """The example of a state argument: ``model.init_hidden(batch)`` when the class has one,
    else zeros of its first RNN's state; None when the model has no RNN."""
    rnn = next((m for m in model.modules() if isinstance(m, torch.nn.RNNBase)), None)
    if rnn is None:
        return None
    batch = example.shape[0 if rnn.batch_first or example.ndim < 2 else 1]
    if callable(getattr(model, "init_hidden", None)):
        return cast(Any, model).init_hidden(batch)
    shape = (rnn.num_layers * (2 if rnn.bidirectional else 1), batch, rnn.hidden_size)
    zeros = torch.zeros(shape, dtype=example.dtype if example.is_floating_point() else None)
    return (zeros, zeros.clone()) if isinstance(rnn, torch.nn.LSTM) else zeros


def _einops_traces_through() -> None:
    """einops (``rearrange``, ``repeat``, its ``Rearrange`` layer: lucidrains' ViTs) picks a
    backend by the tensor's type and knows no proxy: it gets its torch backend for ours, so
    each pattern is recorded as the reshape / permute / expand it performs. Only when the
    user's file imported einops."""
    backends = sys.modules.get("einops._backends")
    if backends is None or _Concrete in getattr(backends, "_type2backend", {}):
        return
    with contextlib.suppress(Exception):  # another einops layout: it then says what it lacks
        backends._type2backend[_Concrete] = backends.TorchBackend()


def _trace(model: torch.nn.Module, example: torch.Tensor, filename: str) -> tuple[
        _Tracer, list[tuple[str, Any]]]:
    """The traced graph and the examples given to the required arguments after the input."""
    forward = inspect.signature(model.forward).parameters
    required = [k for k, p in forward.items() if p.default is p.empty
                and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
    line = getattr(getattr(type(model).forward, "__code__", None), "co_firstlineno", 1)
    state = _state_example(model, example) if len(required) == 2 else None
    if len(required) != 1 and state is None:
        raise CaptureError(line, f"{type(model).__name__}.forward({', '.join(required)})",
                           "the runtime translation feeds the model one input tensor, and an "
                           "RNN's state as a second; give the other arguments defaults (such "
                           "as hidden=None) or wrap the model")
    extras = [] if state is None else [(required[1], state)]
    tracer = _Tracer(model, example, [v for _, v in extras])
    _einops_traces_through()
    try:
        tracer.graph = tracer.trace(model)
    except Exception as exc:  # noqa: BLE001 - located below: fx names the construct
        where = _user_line(exc, filename)
        text = " ".join(str(exc).split())[:200]
        if "control flow" in text or "iterated" in text:
            reason = ("forward branches or loops on a tensor's value, which a traced graph "
                      "cannot follow; compute both branches and select with torch.where, or "
                      f"move the decision out of forward ({text})")
        elif "Double and Float" in text:
            reason = ("forward makes float64 tensors while the model's parameters are float32; "
                      "select the model as the script runs it, in float64: "
                      f"--class \"{type(model).__name__}().double()\" ({text})")
        else:
            reason = f"running forward on a traced input raised {type(exc).__name__}: {text}"
        raise CaptureError(where, f"{type(model).__name__}.forward", reason) from None
    return tracer, extras


def _batch_follow(model: torch.nn.Module, tracer: _Tracer, shape: tuple[int, ...],
                  filename: str, ids: bool) -> dict[str, list[Any]]:
    """What follows the input's first axis, by node name: the axes of a tensor constant
    (``torch.zeros(x.size(0), 51)``: ``[0]``) and the slice bounds of an index
    (``self.pe[:x.size(0)]``: ``[[0, "stop"]]``) and the sizes an ``expand`` takes
    (``[["size", 0]]``). Forward is traced again on a batch one larger; sizes that were 2 and
    became 3 follow it."""
    def constants(graph: fx.Graph) -> list[fx.Node]:
        return [n for n in graph.nodes if n.op == "get_attr" and not is_buffer(model, n)]

    def slices(graph: fx.Graph, size: int | None = None) -> dict[str, list[Any]]:
        """Index nodes by name, their items; with ``size``: only those with a bound of it."""
        out = {}
        for n in graph.nodes:
            if n.op == "call_function" and target(n) == "operator.getitem":
                items = list(n.args[1]) if isinstance(n.args[1], tuple) else [n.args[1]]
                if any(isinstance(i, slice) and (size is None or size in (i.start, i.stop))
                       for i in items):
                    out[n.name] = items
        return out
    def sized(graph: fx.Graph) -> dict[str, list[Any]]:
        """``expand`` nodes by name, their flattened size arguments."""
        out = {}
        for n in graph.nodes:
            if n.op in ("call_method", "call_function") and target(n).endswith("expand"):
                sizes = list(n.args[1:])
                if len(sizes) == 1 and isinstance(sizes[0], tuple | list):
                    sizes = list(sizes[0])
                out[n.name] = sizes
        return out
    first, first_slices = constants(tracer.graph), slices(tracer.graph, BATCH)
    first_sized = {k: v for k, v in sized(tracer.graph).items() if BATCH in v}
    if not first and not first_slices and not first_sized:
        return {}
    try:
        again, _ = _trace(model, _example_input(model, shape, BATCH + 1, ids)[0], filename)
    except CaptureError:
        return {}
    out: dict[str, list[Any]] = {}
    second = constants(again.graph)  # fx names them anew (_tensor_constant4...): by order
    for node, other in zip(first, second if len(second) == len(first) else [], strict=False):
        a, b = _node_value(tracer, node), _node_value(again, other)
        if isinstance(a, torch.Tensor) and isinstance(b, torch.Tensor) and a.ndim == b.ndim:
            moved = [i for i, (m, n) in enumerate(zip(a.shape, b.shape, strict=True)) if m != n]
            if moved and all(a.shape[i] == BATCH and b.shape[i] == BATCH + 1 for i in moved):
                out[node.name] = moved
    for name, index in slices(again.graph).items():
        before = first_slices.get(name)
        if before is None or len(before) != len(index):
            continue
        bounds = [[i, part] for i, (x, y) in enumerate(zip(before, index, strict=True))
                  if isinstance(x, slice) and isinstance(y, slice)
                  for part in ("start", "stop")
                  if getattr(x, part) == BATCH and getattr(y, part) == BATCH + 1]
        if bounds:
            out[name] = bounds
    for name, sizes in sized(again.graph).items():  # x.expand(b, -1, -1): [["size", 0]]
        before = first_sized.get(name)
        if before is not None and len(before) == len(sizes):
            follows = [["size", i] for i, (m, n) in enumerate(zip(before, sizes, strict=True))
                       if m == BATCH and n == BATCH + 1]
            if follows:
                out[name] = follows
    return out


def capture(req: dict[str, Any]) -> dict[str, Any]:
    """Build, trace and run the model of ``req`` (source_text, filename, selection,
    input_shape: None to guess it from the first layer).

    Returns ``{"class_name", "source_model", "input", "modules", "nodes"}`` or ``{"error"}``.
    """
    filename = req.get("filename") or "<source>"
    try:
        namespace, _ = exec_definitions(req["source_text"], filename)
        torch.manual_seed(req.get("seed", 0))
        model, expr = build_model(namespace, req["selection"])
        model.eval()  # dropout off, batch norm on running statistics, as verification runs it
        shape = tuple(req["input_shape"] or guess_input_shape(model))
        example, spec = _example_input(model, shape)
        tracer, extras = _trace(model, example, filename)
    except CaptureError as exc:
        return {"error": {"line": exc.line, "construct": exc.construct, "reason": exc.reason}}
    graph = tracer.graph
    batch_axes = _batch_follow(model, tracer, shape, filename, spec["vocab"] is not None)
    modules = {}
    for node in graph.nodes:
        if node.op == "call_module" and str(node.target) not in modules:
            layer = model.get_submodule(str(node.target))
            modules[str(node.target)] = {"type": type(layer).__name__,
                                         "module": type(layer).__module__,
                                         "args": layer_args(layer)}
    nodes = [{"name": n.name, "op": n.op, "target": target(n),
              "args": jsonable(list(n.args))["tuple"], "kwargs": given_kwargs(n),
              "line": _stack_line(n, filename), "buffer": is_buffer(model, n),
              "parameter": is_parameter(model, n),
              "value": describe_value(_node_value(tracer, n), n.op == "get_attr"),
              "batch_axes": batch_axes.get(n.name, [])}
             for n in graph.nodes]
    return {"class_name": type(model).__name__, "source_model": expr,
            "forward_line": getattr(getattr(type(model).forward, "__code__", None),
                                    "co_firstlineno", 0),
            "input": {"shape": list(shape), **spec}, "modules": modules,
            "state_inputs": [{"name": k, "value": describe_value(v)} for k, v in extras],
            "nodes": nodes}
