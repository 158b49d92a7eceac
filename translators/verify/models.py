"""Building both models of one verification inside the worker: exec, build, copy weights, run.

Runs in the worker process only (worker.py), which is the one place torch / Keras are imported.
"""

from __future__ import annotations

import ast
import builtins
import os
import sys
import traceback
import types
from collections.abc import Callable
from functools import partial
from typing import Any

import numpy as np

from ..weights import copy_weights
from .extract import extract_definitions

BATCH = 2
Send = Callable[[dict[str, Any]], None]


class StageError(Exception):
    """A verification step failed; ``stage`` says which (shown to the user)."""

    def __init__(self, stage: str, message: str) -> None:
        super().__init__(message)
        self.stage = stage


def _stage(stage: str, fn: Callable[[], Any]) -> Any:
    try:
        return fn()
    except StageError:
        raise
    except BaseException as exc:  # noqa: BLE001 - any user-code failure becomes a located message
        raise StageError(stage, describe_exception(exc)) from exc


def describe_exception(exc: BaseException) -> str:
    """``Type: message`` plus the innermost frame from user code (a file we exec'd)."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__)
              if f.filename.startswith("<mlsense") or f.filename.endswith(".py")
              and "site-packages" not in f.filename and "mlsense/translators" not in f.filename
              and "/translators/" not in f.filename]
    where = f" ({frames[-1].filename}, line {frames[-1].lineno})" if frames else ""
    text = str(exc).split("Arguments received by")[0]  # Keras appends every argument's repr
    return f"{type(exc).__name__}: {' '.join(text.split())}{where}"


# ---- building models -----------------------------------------------------------------------
def exec_definitions(text: str, filename: str) -> tuple[dict[str, Any], list[Any]]:
    """Run the kept definitions of ``text`` (extract.py) in a fresh namespace; (namespace, dropped)."""
    extraction = extract_definitions(text, filename)
    # A real module in sys.modules: @dataclass (a model's config class) looks its module up
    # there while it builds the class, and failed on a bare namespace (nanoGPT's GPTConfig).
    module = types.ModuleType("__mlsense_verify__")
    module.__file__ = filename
    sys.modules[module.__name__] = module
    namespace: dict[str, Any] = module.__dict__
    exec(compile(extraction.module, filename, "exec"), namespace)  # noqa: S102 - the point
    return namespace, extraction.dropped


def check_defined(text: str, dropped: list[tuple[int, str]]) -> None:
    """Fail when the emitted file reads a name that nothing in it defines.

    Verification runs the file's definitions, not its training code; a statement it skipped
    because it reads an undefined name is fine when a skipped loop binds that name, but a
    name bound nowhere (a lost import, a module-level ``x += residual``) would stop the file
    when it runs as a whole.
    """
    tree = ast.parse(text)
    if any(isinstance(n, ast.ImportFrom) and any(a.name == "*" for a in n.names)
           for n in ast.walk(tree)):
        return  # a star import binds names this reading cannot list
    bound = set(dir(builtins)) | {"__name__", "__file__"}
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
            bound.add(node.id)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            bound.add(node.name)
        elif isinstance(node, ast.arg):
            bound.add(node.arg)
        elif isinstance(node, ast.Import | ast.ImportFrom):
            bound |= {(a.asname or a.name).split(".")[0] for a in node.names}
        elif isinstance(node, ast.ExceptHandler) and node.name:
            bound.add(node.name)
    for line, why in dropped:
        if why.startswith("uses undefined "):
            missing = sorted(set(why[len("uses undefined "):].split(", ")) - bound)
            if missing:
                raise StageError("run translated definitions", f"line {line} of the translation "
                                 f"reads {', '.join(missing)}, which the file never defines")


def _is_functional(model: Any) -> bool:
    return any(c.__name__ in ("Functional", "Sequential") for c in type(model).__mro__)


def pack(values: list[Any], specs: list[dict[str, Any]]) -> list[Any]:
    """The model's arguments: consecutive inputs of one spec ``group`` as one tuple (an LSTM
    state ``(h, c)``)."""
    args: list[Any] = []
    for i, (value, spec) in enumerate(zip(values, specs, strict=True)):
        group = spec.get("group")
        if group is not None and i and specs[i - 1].get("group") == group:
            args[-1] = (*args[-1], value)
        else:
            args.append((value,) if group is not None else value)
    return [a[0] if isinstance(a, tuple) and len(a) == 1 else a for a in args]


def call_keras(model: Any, xs: list[Any], training: bool = False) -> Any:
    """``model`` on its packed arguments: one list for a functional model, else positional."""
    if len(xs) == 1:
        return model(xs[0], training=training)
    return model(list(xs), training=training) if _is_functional(model) else model(
        *xs, training=training)


def flatten_outputs(out: Any) -> list[Any]:
    """A model's outputs (nested lists, tuples, dicts by key) as one flat list; ``None``
    entries (nanoGPT's ``return logits, loss`` with no targets) are left out on both sides."""
    if out is None:
        return []
    if isinstance(out, dict):
        return [v for k in sorted(out) for v in flatten_outputs(out[k])]
    if isinstance(out, list | tuple):
        return [v for item in out for v in flatten_outputs(item)]
    return [out]


def make_inputs(specs: list[dict[str, Any]], rng: np.random.Generator,
                batch: int = BATCH) -> list[np.ndarray]:
    """Seeded arrays for the input specs: ``batch`` first, except a ``whole`` spec (an RNN
    state), which keeps its full shape."""
    arrays = []
    for spec in specs:
        shape = tuple(spec["shape"]) if spec.get("whole") else (batch, *spec["shape"])
        if spec.get("dtype", "float32").startswith("int"):
            arrays.append(rng.integers(0, int(spec.get("vocab") or 2), size=shape).astype(np.int64))
        else:
            arrays.append(rng.standard_normal(shape).astype(spec.get("dtype") or "float32"))
    return arrays


def permute(array: np.ndarray, perm: list[int] | None, inverse: bool = False) -> np.ndarray:
    if not perm:
        return array
    if len(perm) != array.ndim:
        raise StageError("layout", f"permutation {perm} does not fit an array of shape "
                                   f"{array.shape}")
    return np.ascontiguousarray(array.transpose(np.argsort(perm) if inverse else perm))


def resolve_keras_path(model: Any, path: str) -> Any:
    """The Keras layer a weight map names: ``attr:a.0.b``, ``index:N`` or ``name:NAME``
    (``index:3/5``, ``name:outer/inner``: inside a nested model; ``index:3.a.0``: an attribute
    path inside the layer at index 3)."""
    how, _, what = path.partition(":")
    if how == "index":  # 3/5: a layer of the nested model at index 3; 3.mlp1.layers.0: and
        where, _, tail = what.partition(".")  # then an attribute path inside that layer
        for part in where.split("/"):
            model = model.layers[int(part)]
        return resolve_keras_path(model, f"attr:{tail}") if tail else model
    if how == "name":  # outer/inner: a layer of a nested model
        for part in what.split("/"):
            model = model.get_layer(part)
        return model
    if how == "attr":
        obj = model
        for part in what.split("."):
            obj = obj[int(part)] if part.isdigit() else getattr(obj, part)
        return obj
    raise ValueError(f"bad keras_path {path!r} (use attr:, index: or name:)")


class FixedNoise:
    """Random draws inside forward, made the same on both sides for the comparison.

    ``torch.randn_like`` and ``keras.random.normal`` cannot agree draw for draw; while a model
    runs, the k-th draw on either side is the k-th seeded array of the requested shape. A
    dropout that runs at inference too (``keras.random.dropout`` in a layer's ``call``,
    ``F.dropout(x, p, training=True)``, ``torch.dropout(x, p, True)``) draws its keep mask the
    same way: ``u >= rate`` of the k-th uniform array, scaled by ``1 / (1 - rate)`` as both
    libraries scale. A torch dropout with training off stays the identity (``nn.Dropout`` in
    eval mode calls ``F.dropout(..., training=False)``: torch's own function runs).
    """

    _TORCH = {"randn_like": "normal", "rand_like": "uniform", "randn": "normal",
              "rand": "uniform"}
    _KERAS = ("normal", "uniform")
    _DRAWS = "random draws in forward (randn_like, keras.random.normal...)"
    _MASKS = "dropout masks in forward (keras.random.dropout, F.dropout(training=True)...)"

    def __init__(self, torch: Any, keras: Any, seed: int) -> None:
        self.torch, self.keras, self.seed = torch, keras, seed
        self.count = 0
        self.used: set[str] = set()  # what was fixed: _DRAWS, _MASKS

    def draw(self, kind: str, shape: Any, what: str = _DRAWS) -> np.ndarray:
        rng = np.random.default_rng(self.seed + 1000 + self.count)
        self.count += 1
        self.used.add(what)
        dims = tuple(int(d) for d in shape)
        return rng.standard_normal(dims) if kind == "normal" else rng.random(dims)

    def keep(self, shape: Any, rate: float) -> np.ndarray:
        """A dropout's scaled keep mask from the next draw (all zeros at rate 1, as torch)."""
        u = self.draw("uniform", shape, self._MASKS)
        return (u >= rate) / (1.0 - rate) if rate < 1 else np.zeros_like(u)

    def note(self) -> str | None:
        """The report's sentence on what was fixed; None when nothing was drawn."""
        if not self.used:
            return None
        return (f"{' and '.join(w for w in (self._DRAWS, self._MASKS) if w in self.used)} were "
                "fixed to the same seeded arrays on both sides for the comparison")

    def _torch_fn(self, name: str, kind: str) -> Callable[..., Any]:
        torch = self.torch

        def fixed(*args: Any, **kwargs: Any) -> Any:
            like = args[0] if name.endswith("_like") else None
            shape = like.shape if like is not None else (
                args[0] if len(args) == 1 and not isinstance(args[0], int) else args)
            dtype = kwargs.get("dtype") or (like.dtype if like is not None else torch.float32)
            device = like.device if like is not None else kwargs.get("device")
            return torch.from_numpy(self.draw(kind, shape)).to(dtype=dtype, device=device)
        return fixed

    def _torch_dropout(self, original: Callable[..., Any], flag: str) -> Callable[..., Any]:
        """``F.dropout(input, p=0.5, training=True, inplace=False)`` / ``torch.dropout(input,
        p, train)`` with the fixed mask when it trains; torch's own function when it does not."""

        def fixed(input: Any, p: float = 0.5, *args: Any, **kwargs: Any) -> Any:
            train = args[0] if args else kwargs.get(flag, True)
            if not train or not p:  # nothing drawn: a dropout at rate 0 draws no mask in Keras
                return original(input, p, *args, **kwargs)
            inplace = args[1] if len(args) > 1 else kwargs.get("inplace", False)
            mask = self.torch.from_numpy(self.keep(input.shape, float(p))).to(
                dtype=input.dtype, device=input.device)
            return input.mul_(mask) if inplace else input * mask
        return fixed

    def _keras_fn(self, kind: str) -> Callable[..., Any]:
        """``keras.random.normal(shape, mean, stddev)`` / ``uniform(shape, minval, maxval)``
        (``tf.random``'s too) from the next draw, scaled and shifted as asked."""
        first, second = ("mean", "stddev") if kind == "normal" else ("minval", "maxval")

        def fixed(shape: Any, *args: Any, dtype: Any = None, **kwargs: Any) -> Any:
            low = float(kwargs.get(first, args[0] if args else 0.0))
            high = kwargs.get(second, args[1] if len(args) > 1 else 1.0)
            high = 1.0 if high is None else float(high)
            u = self.draw(kind, shape)
            value = low + high * u if kind == "normal" else low + (high - low) * u
            return self.keras.ops.convert_to_tensor(value, dtype=dtype or "float32")
        return fixed

    def _keras_dropout(self, inputs: Any, rate: float, noise_shape: Any = None,
                       seed: Any = None) -> Any:
        """``keras.random.dropout`` with the fixed mask (``noise_shape`` broadcast, its None
        dims the input's)."""
        ops = self.keras.ops
        if not rate:
            return inputs
        shape = tuple(inputs.shape) if noise_shape is None else tuple(
            s if d is None else d for d, s in zip(noise_shape, tuple(inputs.shape), strict=True))
        return ops.multiply(inputs, ops.cast(self.keep(shape, float(rate)), inputs.dtype))

    def run(self, fn: Callable[[], Any], side: str) -> Any:
        """``fn()`` with one side's draws fixed (counted from the first again): torch's
        functions while the torch model runs, ``keras.random``'s while the Keras model runs
        (Keras's own initializers, torch-backed or not, never see them)."""
        torch, functional = self.torch, self.torch.nn.functional
        if side == "torch":
            patches = [(torch, n, self._torch_fn(n, kind)) for n, kind in self._TORCH.items()]
            patches += [(torch, "dropout", self._torch_dropout(torch.dropout, "train")),
                        (functional, "dropout",
                         self._torch_dropout(functional.dropout, "training"))]
        else:
            patches = [(self.keras.random, kind, self._keras_fn(kind)) for kind in self._KERAS]
            patches.append((self.keras.random, "dropout", self._keras_dropout))
            tf = sys.modules.get("tensorflow")  # tf.random.normal in a layer (Keras on TF)
            if tf is not None and getattr(tf, "random", None) is not None:
                patches += [(tf.random, kind, self._keras_fn(kind)) for kind in self._KERAS]
        saved = [(owner, name, getattr(owner, name)) for owner, name, _ in patches]
        for owner, name, patch in patches:
            setattr(owner, name, patch)
        self.count = 0
        try:
            return fn()
        finally:
            for owner, name, original in saved:
                setattr(owner, name, original)


class Models:
    """Both models of one verification, with torch/keras roles resolved."""

    def __init__(self, req: dict[str, Any], send: Send) -> None:
        import keras
        import torch

        self.torch, self.keras = torch, keras
        self.req, self.tr, self.send = req, req["translation"], send
        self.device = "cuda" if req.get("device") == "cuda" else "cpu"
        self.from_torch = self.tr["source_framework"] == "pytorch"
        self.notes: list[str] = []
        self.noise = FixedNoise(torch, keras, req.get("seed", 0))

    def build(self) -> None:
        """Exec both files' definitions, build both models and copy the weights across."""
        keras, torch = self.keras, self.torch
        # fresh layer names (name:dense_1) in a warm worker; gc runs between requests instead
        keras.backend.clear_session(free_memory=False)
        torch.manual_seed(self.req.get("seed", 0))
        keras.utils.set_random_seed(self.req.get("seed", 0))
        src_path = self.req.get("source_path") or "<source>"
        src_ns, dropped = _stage("run source definitions", lambda: exec_definitions(
            self.req["source_text"], src_path))
        tgt_ns, tgt_dropped = _stage("run translated definitions", lambda: exec_definitions(
            self.tr["target_code"], f"<mlsense translation of {os.path.basename(src_path)}>"))
        check_defined(self.tr["target_code"], tgt_dropped)
        self.src_ns, self.tgt_ns = src_ns, tgt_ns  # the training check evaluates in them
        self.source = _stage("build source model", lambda: eval(self.tr["source_model"], src_ns))
        self.target = _stage("build target model", lambda: eval(self.tr["target_model"], tgt_ns))
        self.torch_model = self.source if self.from_torch else self.target
        self.keras_model = self.target if self.from_torch else self.source
        if not isinstance(self.torch_model, torch.nn.Module):
            raise StageError("build models", f"the PyTorch model is a "
                             f"{type(self.torch_model).__name__}, not a torch.nn.Module")
        self.torch_model = self.torch_model.to(self.device).eval()
        self.src_inputs = make_inputs(self.tr["inputs"],
                                       np.random.default_rng(self.req.get("seed", 0)))
        self.tgt_inputs = [permute(a, s.get("to_target"))
                           for a, s in zip(self.src_inputs, self.tr["inputs"], strict=True)]
        _stage("build Keras model", lambda: self.run_keras())  # creates the Keras weights
        self._copy_all()
        skipped = [f"line {line} ({why})" for line, why in dropped
                   if why.startswith(("calls", "uses undefined"))]
        if skipped:  # loops and bare calls are expected; skipped assignments are worth a note
            self.notes.append(f"source assignments not run: {', '.join(skipped[:6])}")

    def _copy_all(self) -> None:
        modules = dict(self.torch_model.named_modules())
        direction = "torch_to_keras" if self.from_torch else "keras_to_torch"
        for wt in self.tr["weight_map"]:
            where = f"{wt['kind']} {wt['torch_path']} <-> {wt['keras_path']} (line {wt['line']})"
            if wt["torch_path"] not in modules:
                raise StageError("copy weights", f"{where}: no torch module "
                                 f"{wt['torch_path']!r}; modules: {sorted(modules)[:20]}")
            layer = _stage("copy weights", partial(resolve_keras_path, self.keras_model,
                                                   wt["keras_path"]))
            _stage(f"copy weights {where}", partial(copy_weights, modules[wt["torch_path"]], layer,
                                                    wt["kind"], wt["params"], direction))
        self._note_uncovered(modules)

    def _note_uncovered(self, modules: dict[str, Any]) -> None:
        mapped = [wt["torch_path"] for wt in self.tr["weight_map"]]
        left = [name for name, mod in modules.items()
                if any(True for _ in mod.parameters(recurse=False))
                and not any(name == m or name.startswith(m + ".") or not m for m in mapped)]
        if left:
            self.notes.append(f"torch modules with weights not in the weight map: {left[:10]}")

    def torch_inputs(self, device: str | None = None) -> list[Any]:
        arrays = self.src_inputs if self.from_torch else self.tgt_inputs
        return [self.torch.from_numpy(a).to(device or self.device) for a in arrays]

    def run_torch(self) -> list[np.ndarray]:
        with self.torch.no_grad():
            args = pack(self.torch_inputs(), self.tr["inputs"])
            out = self.noise.run(lambda: self.torch_model(*args), "torch")
        return [t.detach().cpu().numpy() for t in flatten_outputs(out)]

    def run_keras(self) -> list[np.ndarray]:
        arrays = self.tgt_inputs if self.from_torch else self.src_inputs
        args = pack(arrays, self.tr["inputs"])
        out = self.noise.run(lambda: call_keras(self.keras_model, args), "keras")
        return [np.asarray(self.keras.ops.convert_to_numpy(t)) for t in flatten_outputs(out)]

    def outputs(self) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """(source outputs, target outputs brought back to the source layout)."""
        t_out = _stage("run PyTorch model", self.run_torch)
        k_out = _stage("run Keras model", self.run_keras)
        src, tgt = (t_out, k_out) if self.from_torch else (k_out, t_out)
        note = self.noise.note()
        if note:
            self.notes.append(note)
        specs = self.tr.get("outputs") or []
        back = [permute(a, specs[i].get("to_target") if i < len(specs) else None, inverse=True)
                for i, a in enumerate(tgt)]
        return src, back
