"""The shape oracle's runtime side: run models for real and record the shape of every tensor a
statement binds or returns, keyed by where it is in the source.

    python -m mlsense.translators.verify.oracle < cases.json > records.json

Each case is ``{"path", "model": <expression or null>, "inputs": [{"shape", "dtype",
"vocab"}] or null}``. The file is executed (its module-level statements and the plain functions
it calls are traced: a statement binding a tensor records it, context ``"exec"``), every layer's
constructor call is remembered by its exact span (``co_positions`` of the calling instruction),
then the model is built from ``model`` and run on the inputs: each ``forward`` / ``call`` of
the file (and the helpers they call) is traced line by line (context ``"run"``), and the
children of every ``nn.Sequential`` / the layers of a ``keras.Sequential`` record their outputs
under their constructor's span. Output: one ``{"path", "error", "records"}`` per case, each
record ``{"key": [line, column], "span": [l0, c0, l1, c1] | null, "name", "context",
"shapes": [...]}`` (lines 1-based, columns 0-based, as ``ast`` writes them; ``None`` for a
symbolic batch axis). Only this process imports torch and Keras.
"""

from __future__ import annotations

import ast
import json
import os
import sys
import traceback
import types
from collections.abc import Callable
from types import FrameType
from typing import Any

Key = tuple[int, int]
_LAYER_TYPES: tuple[type, ...] = ()  # torch.nn.Module, keras.Layer: set by main()


def _statements(tree: ast.Module) -> dict[int, ast.stmt]:
    """Each source line -> the innermost simple statement that covers it."""
    out: dict[int, ast.stmt] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.stmt) and not hasattr(node, "body"):
            for line in range(node.lineno, (node.end_lineno or node.lineno) + 1):
                old = out.get(line)
                if old is None or old.lineno <= node.lineno:
                    out[line] = node
    return out


def _bound_names(stmt: ast.stmt) -> list[str]:
    targets: list[ast.expr] = []
    if isinstance(stmt, ast.Assign):
        targets = list(stmt.targets)
    elif isinstance(stmt, ast.AugAssign | ast.AnnAssign):
        targets = [stmt.target]
    names = [n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)]
    return [n for n in dict.fromkeys(names) if n != "_"]


def _shape(value: Any) -> Any:
    """A tensor's shape as a list (None for an unknown dim); a tuple/list of tensors as a list
    of shapes; None for anything else."""
    mod = type(value).__module__ or ""
    if mod.startswith(("torch", "keras", "tensorflow")) and hasattr(value, "shape") \
            and not callable(getattr(value, "parameters", None)):
        try:
            return [None if d is None else int(d) for d in tuple(value.shape)]
        except (TypeError, ValueError):
            return None
    if isinstance(value, tuple | list) and value:
        shapes = [_shape(v) for v in value]
        return shapes if all(s is not None for s in shapes) else None
    return None


class Recorder:
    """Traces the frames of one file and collects the records."""

    def __init__(self, path: str, source: str) -> None:
        self.path = path
        self.statements = _statements(ast.parse(source, path))
        self.records: dict[tuple[Key, str, str], list[Any]] = {}
        self.spans: dict[Key, list[int]] = {}
        self.constructed: dict[int, list[int]] = {}  # id(layer) -> its constructor's span
        self.keep: list[Any] = []  # the layers whose ids are recorded stay alive
        self.context = "exec"

    # -- recording ----------------------------------------------------------------------
    def add(self, key: Key, name: str, shape: Any, span: list[int] | None = None) -> None:
        if shape is None:
            return
        seen = self.records.setdefault((key, name, self.context), [])
        if shape not in seen:
            seen.append(shape)
        if span is not None:
            self.spans[key] = span

    def _finish(self, frame: FrameType, stmt: ast.stmt | None) -> None:
        if stmt is None:
            return
        for name in _bound_names(stmt):
            if name in frame.f_locals:
                self.add((stmt.lineno, stmt.col_offset), name, _shape(frame.f_locals[name]))

    # -- tracing ------------------------------------------------------------------------
    def tracer(self, methods: bool) -> Callable[..., Any]:
        """The global trace function: line tracing for the file's frames (its module and
        plain functions, or with ``methods`` also the methods of its classes), and the
        constructor span of every layer built from the file."""
        def global_trace(frame: FrameType, event: str, arg: Any) -> Any:
            code = frame.f_code
            if code.co_name == "__init__" and "self" in frame.f_locals:
                self._constructor(frame)
            if code.co_filename != self.path:
                return None
            is_method = code.co_varnames[:1] == ("self",)
            if is_method and not methods and code.co_name != "__init__":
                return None
            if code.co_name == "__init__":
                return None
            return self._local(frame)
        return global_trace

    def _local(self, frame: FrameType) -> Callable[..., Any]:
        pending: list[ast.stmt | None] = [None]

        def local_trace(frame: FrameType, event: str, arg: Any) -> Any:
            if event == "line":
                stmt = self.statements.get(frame.f_lineno)
                if stmt is not pending[0]:
                    self._finish(frame, pending[0])
                    pending[0] = stmt
            elif event == "return":
                self._finish(frame, pending[0])
                stmt = self.statements.get(frame.f_lineno)
                if isinstance(stmt, ast.Return) and stmt.value is not None:
                    self.add((stmt.lineno, stmt.col_offset), "return", _shape(arg))
                pending[0] = None
            return local_trace
        return local_trace

    def _constructor(self, frame: FrameType) -> None:
        this = frame.f_locals.get("self")
        if id(this) in self.constructed or not isinstance(this, _LAYER_TYPES):
            return
        caller = frame.f_back
        while caller is not None and caller.f_code.co_filename != self.path:
            if caller.f_code.co_name == "__init__" and caller.f_locals.get("self") is not this \
                    and isinstance(caller.f_locals.get("self"), _LAYER_TYPES):
                return  # built inside another layer's constructor (attention's out_proj)
            caller = caller.f_back
        if caller is None:
            return
        positions = list(caller.f_code.co_positions())
        index = caller.f_lasti // 2
        if 0 <= index < len(positions):
            l0, l1, c0, c1 = positions[index]
            if None not in (l0, l1, c0, c1):
                self.constructed[id(this)] = [l0, c0, l1, c1]  # type: ignore[list-item]
                self.keep.append(this)

    def layer_output(self, layer: Any, shape: Any) -> None:
        span = self.constructed.get(id(layer))
        if span is not None:
            self.add((span[0], span[1]), "", shape, span)

    def count_parameters(self) -> None:
        """Each layer built from the file: its parameter count, under its constructor's span
        (context ``"params"``); Keras layers once built."""
        for layer in self.keep:
            span = self.constructed[id(layer)]
            if hasattr(layer, "parameters") and callable(layer.parameters):
                count = sum(p.numel() for p in layer.parameters())
            elif getattr(layer, "built", False):
                count = layer.count_params()
            else:
                continue
            key = (span[0], span[1])
            seen = self.records.setdefault((key, "#params", "params"), [])
            if count not in seen:
                seen.append(count)
            self.spans[key] = span

    def result(self) -> list[dict[str, Any]]:
        return [{"key": list(key), "span": self.spans.get(key), "name": name,
                 "context": context, "shapes": shapes}
                for (key, name, context), shapes in self.records.items()]


def _inputs(specs: list[dict[str, Any]], framework: str) -> list[Any]:
    import numpy as np

    out: list[Any] = []
    rng = np.random.default_rng(0)
    for spec in specs:
        shape = tuple(spec["shape"])
        if spec.get("dtype", "float32").startswith("int"):
            array = rng.integers(0, spec.get("vocab") or 2, size=shape).astype(spec["dtype"])
        else:
            array = rng.standard_normal(shape).astype("float32")
        if framework == "pytorch":
            import torch

            out.append(torch.from_numpy(array))
        else:
            out.append(array)
    return out


def _run_torch(recorder: Recorder, model: Any, inputs: list[Any]) -> None:
    import torch

    hooks = []
    for module in model.modules():
        if isinstance(module, torch.nn.Sequential):
            for child in module.children():
                hooks.append(child.register_forward_hook(
                    lambda mod, args, out: recorder.layer_output(mod, _shape(out))))
    model.eval()
    try:
        with torch.no_grad():
            _traced(recorder, lambda: model(*inputs))
    finally:
        for hook in hooks:
            hook.remove()


def _run_keras(recorder: Recorder, model: Any, inputs: list[Any]) -> None:
    import keras

    if isinstance(model, keras.Sequential):
        x = inputs[0]
        for layer in model.layers:
            x = layer(x, training=False)
            recorder.layer_output(layer, _shape(x))
    elif getattr(type(model).call, "__code__", None) is not None \
            and type(model).call.__code__.co_filename == recorder.path:
        _traced(recorder, lambda: model(inputs[0] if len(inputs) == 1 else inputs,
                                        training=False))


def _traced(recorder: Recorder, run: Callable[[], Any]) -> None:
    sys.settrace(recorder.tracer(methods=True))
    try:
        run()
    finally:
        sys.settrace(None)


def run_case(case: dict[str, Any]) -> dict[str, Any]:
    """Execute one file, build and run its model; the records (or the error)."""
    path = os.path.abspath(case["path"])
    with open(path, encoding="utf-8") as f:
        source = f.read()
    recorder = Recorder(path, source)
    module = types.ModuleType("__oracle__")  # in sys.modules, for @dataclass
    module.__file__ = path
    sys.modules[module.__name__] = module
    namespace: dict[str, Any] = module.__dict__
    error, model = None, None
    try:
        code = compile(source, path, "exec")
        sys.settrace(recorder.tracer(methods=False))
        try:
            exec(code, namespace)
            model = eval(case["model"], namespace) if case.get("model") else None
        finally:
            sys.settrace(None)
        if model is not None and case.get("inputs"):
            recorder.context = "run"
            framework = "pytorch" if _is_torch(model) else "keras"
            inputs = _inputs(case["inputs"], framework)
            (_run_torch if framework == "pytorch" else _run_keras)(recorder, model, inputs)
            recorder.count_parameters()
    except Exception:  # the user's model fails: say where, keep what was recorded
        error = traceback.format_exc(limit=-3)
    arguments = _arguments(case.get("model"), namespace, model) if error is None else {}
    return {"path": case["path"], "error": error, "records": recorder.result(),
            "arguments": arguments}


def _arguments(expr: str | None, namespace: dict[str, Any], model: Any) -> dict[str, int]:
    """The integer constructor arguments ``expr`` (``Net(3, num_classes=10)``) builds the
    model with, defaults included, by ``__init__`` parameter: what a symbolic hint's
    parameter names (``(N, num_classes)``) stand for in this run."""
    import inspect

    try:
        call = ast.parse(expr or "", mode="eval").body
    except SyntaxError:
        return {}
    if not isinstance(call, ast.Call) or model is None:
        return {}
    def value(node: ast.expr) -> Any:
        return eval(compile(ast.Expression(node), "<model>", "eval"), namespace)  # noqa: S307

    try:
        bound = inspect.signature(type(model)).bind(
            *(value(a) for a in call.args if not isinstance(a, ast.Starred)),
            **{k.arg: value(k.value) for k in call.keywords if k.arg is not None})
    except Exception:  # noqa: BLE001 - arguments the oracle cannot restate: none known
        return {}
    bound.apply_defaults()
    return {k: v for k, v in bound.arguments.items()
            if isinstance(v, int) and not isinstance(v, bool)}


def _is_torch(model: Any) -> bool:
    import torch

    return isinstance(model, torch.nn.Module)


def main() -> int:
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    cases = json.load(sys.stdin)
    out = sys.stdout
    sys.stdout = sys.stderr  # the models' own prints stay off the JSON
    import keras  # imported before tracing starts: not traced
    import torch

    global _LAYER_TYPES
    _LAYER_TYPES = (torch.nn.Module, keras.layers.Layer)

    torch.manual_seed(0)
    results = [run_case(case) for case in cases]
    json.dump(results, out)
    out.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
