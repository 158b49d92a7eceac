"""The verification worker: ``python -m mlsense.translators.worker`` speaks JSON lines.

It is the only place that imports torch / Keras (with the backend named by ``KERAS_BACKEND``, fixed
for the life of the process). Startup pre-imports both and reports ``{"ready": true, ...}``; each
request line ``{"id", "op": "verify", ...}`` gets ``{"id", "progress": "..."}`` lines and one
``{"id", "result": {...}}`` (or ``{"id", "error": "...", "stage": "..."}``). The user's code may
print: the protocol runs on a private copy of stdout while fd 1 is pointed at stderr.
"""

from __future__ import annotations

import gc
import importlib.util
import json
import os
import sys
import time
import traceback
from collections.abc import Callable
from functools import partial
from typing import Any, TextIO

import numpy as np

try:
    from .extract import extract_definitions
    from .weights import copy_weights
except ImportError:  # run as a plain script by another interpreter
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from extract import extract_definitions  # type: ignore[no-redef]
    from weights import copy_weights  # type: ignore[no-redef]

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
        raise StageError(stage, _describe(exc)) from exc


def _describe(exc: BaseException) -> str:
    """``Type: message`` plus the innermost frame from user code (a file we exec'd)."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__)
              if f.filename.startswith("<mlsense") or f.filename.endswith(".py")
              and "site-packages" not in f.filename and "mlsense/translators" not in f.filename
              and "/translators/" not in f.filename]
    where = f" ({frames[-1].filename}, line {frames[-1].lineno})" if frames else ""
    text = str(exc).split("Arguments received by")[0]  # Keras appends every argument's repr
    return f"{type(exc).__name__}: {' '.join(text.split())}{where}"


# ---- building models -----------------------------------------------------------------------
def _exec_definitions(text: str, filename: str) -> tuple[dict[str, Any], list[Any]]:
    extraction = extract_definitions(text, filename)
    namespace: dict[str, Any] = {"__name__": "__mlsense_verify__", "__file__": filename}
    exec(compile(extraction.module, filename, "exec"), namespace)  # noqa: S102 - the point
    return namespace, extraction.dropped


def _is_functional(model: Any) -> bool:
    return any(c.__name__ in ("Functional", "Sequential") for c in type(model).__mro__)


def _call_keras(model: Any, xs: list[Any]) -> Any:
    if len(xs) == 1:
        return model(xs[0], training=False)
    return model(list(xs), training=False) if _is_functional(model) else model(*xs,
                                                                                training=False)


def _flatten(out: Any) -> list[Any]:
    if isinstance(out, dict):
        return [v for k in sorted(out) for v in _flatten(out[k])]
    if isinstance(out, list | tuple):
        return [v for item in out for v in _flatten(item)]
    return [out]


def _make_inputs(specs: list[dict[str, Any]], seed: int) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    arrays = []
    for spec in specs:
        shape = (BATCH, *spec["shape"])
        if spec.get("dtype", "float32").startswith("int"):
            arrays.append(rng.integers(0, int(spec.get("vocab") or 2), size=shape).astype(np.int64))
        else:
            arrays.append(rng.standard_normal(shape).astype(np.float32))
    return arrays


def _permute(array: np.ndarray, perm: list[int] | None, inverse: bool = False) -> np.ndarray:
    if not perm:
        return array
    if len(perm) != array.ndim:
        raise StageError("layout", f"permutation {perm} does not fit an array of shape "
                                   f"{array.shape}")
    return np.ascontiguousarray(array.transpose(np.argsort(perm) if inverse else perm))


def _resolve_keras(model: Any, path: str) -> Any:
    how, _, what = path.partition(":")
    if how == "index":
        return model.layers[int(what)]
    if how == "name":
        return model.get_layer(what)
    if how == "attr":
        obj = model
        for part in what.split("."):
            obj = obj[int(part)] if part.isdigit() else getattr(obj, part)
        return obj
    raise ValueError(f"bad keras_path {path!r} (use attr:, index: or name:)")


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

    def build(self) -> None:
        """Exec both files' definitions, build both models and copy the weights across."""
        keras, torch = self.keras, self.torch
        # fresh layer names (name:dense_1) in a warm worker; gc runs between requests instead
        keras.backend.clear_session(free_memory=False)
        torch.manual_seed(self.req.get("seed", 0))
        keras.utils.set_random_seed(self.req.get("seed", 0))
        src_path = self.req.get("source_path") or "<source>"
        src_ns, dropped = _stage("run source definitions", lambda: _exec_definitions(
            self.req["source_text"], src_path))
        tgt_ns, _ = _stage("run translated definitions", lambda: _exec_definitions(
            self.tr["target_code"], f"<mlsense translation of {os.path.basename(src_path)}>"))
        self.source = _stage("build source model", lambda: eval(self.tr["source_model"], src_ns))
        self.target = _stage("build target model", lambda: eval(self.tr["target_model"], tgt_ns))
        self.torch_model = self.source if self.from_torch else self.target
        self.keras_model = self.target if self.from_torch else self.source
        if not isinstance(self.torch_model, torch.nn.Module):
            raise StageError("build models", f"the PyTorch model is a "
                             f"{type(self.torch_model).__name__}, not a torch.nn.Module")
        self.torch_model = self.torch_model.to(self.device).eval()
        self.src_inputs = _make_inputs(self.tr["inputs"], self.req.get("seed", 0))
        self.tgt_inputs = [_permute(a, s.get("to_target"))
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
            layer = _stage("copy weights", partial(_resolve_keras, self.keras_model,
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
            out = self.torch_model(*self.torch_inputs())
        return [t.detach().cpu().numpy() for t in _flatten(out)]

    def run_keras(self) -> list[np.ndarray]:
        arrays = self.tgt_inputs if self.from_torch else self.src_inputs
        out = _call_keras(self.keras_model, arrays)
        return [np.asarray(self.keras.ops.convert_to_numpy(t)) for t in _flatten(out)]

    def outputs(self) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """(source outputs, target outputs brought back to the source layout)."""
        t_out = _stage("run PyTorch model", self.run_torch)
        k_out = _stage("run Keras model", self.run_keras)
        src, tgt = (t_out, k_out) if self.from_torch else (k_out, t_out)
        specs = self.tr.get("outputs") or []
        back = [_permute(a, specs[i].get("to_target") if i < len(specs) else None, inverse=True)
                for i, a in enumerate(tgt)]
        return src, back


# ---- comparing -----------------------------------------------------------------------------
def compare(ref: np.ndarray, got: np.ndarray, atol: float, rtol: float) -> dict[str, Any]:
    """Max abs / rel error (rel: |got-ref| / max(|ref|, atol)) and allclose for one output."""
    if ref.shape != got.shape:
        return {"shape": list(ref.shape), "target_shape": list(got.shape), "allclose": False,
                "max_abs_error": None, "max_rel_error": None}
    ref64, got64 = ref.astype(np.float64), got.astype(np.float64)
    diff = np.abs(got64 - ref64)
    finite = bool(np.all(np.isfinite(got64)) and np.all(np.isfinite(ref64)))
    return {"shape": list(ref.shape), "allclose": finite and bool(np.allclose(got64, ref64,
                                                                              atol=atol,
                                                                              rtol=rtol)),
            "max_abs_error": float(diff.max()) if diff.size else 0.0,
            "max_rel_error": float((diff / np.maximum(np.abs(ref64), atol)).max())
            if diff.size else 0.0}


def _to_keras_layout(torch_out: np.ndarray, keras_out: np.ndarray) -> np.ndarray | None:
    """The torch layer output arranged like the Keras one, or None when they cannot be matched."""
    if keras_out.shape == torch_out.shape:
        return torch_out
    if keras_out.ndim == torch_out.ndim >= 3:
        last = np.moveaxis(torch_out, 1, -1)  # channels-first -> channels-last
        if last.shape == keras_out.shape:
            return last
    if torch_out.ndim == keras_out.ndim + 1 == 3 and torch_out[:, -1].shape == keras_out.shape:
        return torch_out[:, -1]  # a recurrent layer returning only its last step in Keras
    return None


def per_layer_errors(models: Models) -> list[dict[str, Any]]:
    """Each mapped layer's output on both sides (torch forward hooks, wrapped Keras ``call``)."""
    modules = dict(models.torch_model.named_modules())
    activations: dict[str, Any] = {}
    t_seen: dict[str, np.ndarray] = {}
    k_seen: dict[str, np.ndarray] = {}
    handles: list[Any] = []
    wrapped: list[Any] = []

    def grab(out: Any) -> np.ndarray:
        first = _flatten(out)[0]
        return (first.detach().cpu().numpy() if hasattr(first, "detach")
                else np.asarray(models.keras.ops.convert_to_numpy(first)))

    for wt in models.tr["weight_map"]:
        key = wt["torch_path"]
        if key in modules:
            def hook(_m: Any, _i: Any, out: Any, key: str = key) -> None:
                t_seen.setdefault(key, grab(out))  # returning a value would replace the output

            handles.append(modules[key].register_forward_hook(hook))
        try:
            layer = _resolve_keras(models.keras_model, wt["keras_path"])
        except (AttributeError, IndexError, KeyError, ValueError):
            continue
        if getattr(getattr(layer, "activation", None), "__name__", "linear") != "linear":
            activations[key] = layer.activation  # Keras fuses it; the torch module does not
        original = layer.call

        def call(*args: Any, _orig: Any = original, _key: str = key, **kwargs: Any) -> Any:
            out = _orig(*args, **kwargs)
            k_seen.setdefault(_key, grab(out))
            return out

        object.__setattr__(layer, "call", call)  # bypass Keras attribute tracking
        wrapped.append(layer)
    try:
        models.run_torch()
        models.run_keras()
    finally:
        for handle in handles:
            handle.remove()
        for layer in wrapped:
            object.__delattr__(layer, "call")
    return [_layer_row(models, wt, t_seen.get(wt["torch_path"]), k_seen.get(wt["torch_path"]),
                       activations.get(wt["torch_path"])) for wt in models.tr["weight_map"]]


def _layer_row(models: Models, wt: dict[str, Any], t_out: np.ndarray | None,
               k_out: np.ndarray | None, activation: Any) -> dict[str, Any]:
    row = {"kind": wt["kind"], "torch_path": wt["torch_path"], "keras_path": wt["keras_path"],
           "line": wt["line"], "max_abs_error": None, "scale": None}
    aligned = _to_keras_layout(t_out, k_out) if t_out is not None and k_out is not None else None
    if aligned is not None and k_out is not None:
        if activation is not None:
            ops = models.keras.ops
            aligned = np.asarray(ops.convert_to_numpy(activation(ops.convert_to_tensor(aligned))))
        row["max_abs_error"] = float(np.abs(k_out.astype(np.float64) - aligned).max())
        row["scale"] = float(np.abs(aligned).max()) if aligned.size else 0.0
    else:
        row["note"] = ("layer not reached" if t_out is None or k_out is None
                       else f"shapes differ: torch {list(t_out.shape)}, keras {list(k_out.shape)}")
    return row


# ---- ONNX leg ------------------------------------------------------------------------------
def onnx_check(models: Models, atol: float, rtol: float) -> dict[str, Any]:
    """Export the PyTorch model (TorchScript exporter) and compare onnxruntime with torch."""
    import io
    import warnings

    torch = models.torch
    result: dict[str, Any] = {"exporter": "torchscript", "exported": False, "agrees": False}
    try:
        model = models.torch_model.to("cpu")
        args = tuple(models.torch_inputs("cpu"))
        buffer = io.BytesIO()
        # grad stays on: under no_grad, eval-mode attention takes a fused fast path
        # (aten::_native_multi_head_attention) that the exporter cannot translate
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(model, args, buffer, dynamo=False, opset_version=17)
        result["exported"] = True
        import onnxruntime

        session = onnxruntime.InferenceSession(buffer.getvalue(),
                                               providers=["CPUExecutionProvider"])
        feed = {i.name: a.numpy() for i, a in zip(session.get_inputs(), args, strict=False)}
        got = session.run(None, feed)
        with torch.no_grad():
            ref = [t.numpy() for t in _flatten(model(*args))]
        rows = [compare(r, np.asarray(g), atol, rtol) for r, g in zip(ref, got, strict=False)]
        result["agrees"] = len(rows) == len(ref) and all(r["allclose"] for r in rows)
        errors = [r["max_abs_error"] for r in rows if r["max_abs_error"] is not None]
        result["max_abs_error"] = max(errors) if errors else None
        result["message"] = ("onnxruntime agrees with PyTorch" if result["agrees"]
                             else "onnxruntime output differs from PyTorch")
    except Exception as exc:  # noqa: BLE001 - export failures are reported, never fatal
        result["message"] = f"{'onnxruntime' if result['exported'] else 'export'} failed: " \
                            f"{_describe(exc)}"[:500]
    finally:
        models.torch_model.to(models.device)
    return result


# ---- one request ---------------------------------------------------------------------------
def verify(req: dict[str, Any], send: Send) -> dict[str, Any]:
    """Build, copy, run and compare; returns the per-device result dict."""
    timings: dict[str, float] = {}
    start = time.perf_counter()
    models = Models(req, send)
    if models.device == "cuda":  # TF32 would add ~1e-3 error to every matmul
        models.torch.backends.cuda.matmul.allow_tf32 = False
        models.torch.backends.cudnn.allow_tf32 = False
    send({"progress": "building models and copying weights"})
    models.build()
    timings["build_s"] = time.perf_counter() - start
    send({"progress": "running both models"})
    src, tgt = models.outputs()
    atol, rtol = req.get("atol", 1e-4), req.get("rtol", 1e-4)
    rows = [compare(s, t, atol, rtol) for s, t in zip(src, tgt, strict=False)]
    verified = len(src) == len(tgt) and bool(rows) and all(r["allclose"] for r in rows)
    result: dict[str, Any] = {
        "device": models.device, "backend": models.keras.backend.backend(),
        "verified": verified, "outputs": rows, "notes": models.notes,
        "output_count": [len(src), len(tgt)], "per_layer": [], "onnx": None,
    }
    timings["run_s"] = time.perf_counter() - start - timings["build_s"]
    if not verified and req.get("per_layer", True):
        send({"progress": "locating the first diverging layer"})
        try:
            result["per_layer"] = per_layer_errors(models)
        except Exception as exc:  # noqa: BLE001 - diagnostics must not hide the main result
            result["notes"].append(f"per-layer probe failed: {_describe(exc)}")
    if req.get("onnx"):
        send({"progress": "checking the ONNX export with onnxruntime"})
        t0 = time.perf_counter()
        result["onnx"] = onnx_check(models, atol, rtol)
        timings["onnx_s"] = time.perf_counter() - t0
    result["timings"] = timings
    return result


def _handle(req: dict[str, Any], send: Send) -> None:
    rid = req.get("id")

    def reply(msg: dict[str, Any]) -> None:
        send({"id": rid, **msg})

    try:
        if req.get("op") == "ping":
            reply({"result": {"pong": True}})
        elif req.get("op") == "verify":
            reply({"result": verify(req, reply)})
        else:
            reply({"error": f"unknown op {req.get('op')!r}", "stage": "protocol"})
    except StageError as exc:
        reply({"error": str(exc), "stage": exc.stage})
    except Exception as exc:  # noqa: BLE001 - the worker must outlive a bad request
        reply({"error": _describe(exc), "stage": "verify", "traceback": traceback.format_exc()})


def _protocol_stream() -> TextIO:
    """A private line-buffered copy of stdout; fd 1 then goes to stderr (user prints, TF logs)."""
    proto = os.fdopen(os.dup(1), "w", buffering=1, encoding="utf-8")
    sys.stdout.flush()
    os.dup2(2, 1)
    return proto


def main() -> None:
    """Pre-import the frameworks, announce readiness, then serve requests until stdin closes."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    proto = _protocol_stream()

    def send(msg: dict[str, Any]) -> None:
        proto.write(json.dumps(msg, default=str) + "\n")

    start, cpu_start = time.perf_counter(), time.process_time()
    try:
        import keras  # noqa: F401 - pre-import: the backend (TF/torch/jax) loads here
        import torch

        cuda = bool(torch.cuda.is_available())
    except Exception as exc:  # noqa: BLE001 - reported to the parent, which shows it
        send({"ready": False, "error": _describe(exc)})
        return
    send({"ready": True, "backend": os.environ.get("KERAS_BACKEND", "tensorflow"), "cuda": cuda,
          "jax": importlib.util.find_spec("jax") is not None,
          "import_s": round(time.perf_counter() - start, 3),
          "import_cpu_s": round(time.process_time() - cpu_start, 3), "pid": os.getpid()})
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            req = json.loads(line)
        except json.JSONDecodeError as exc:
            send({"id": None, "error": f"bad request: {exc}", "stage": "protocol"})
            continue
        if req.get("op") == "exit":
            break
        _handle(req, send)
        gc.collect()  # after the reply: the parent is not waiting for this


if __name__ == "__main__":
    main()
