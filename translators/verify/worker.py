"""The verification worker: ``python -m mlsense.translators.verify.worker`` speaks JSON lines.

It is the only place that imports torch / Keras (with the backend named by ``KERAS_BACKEND``, fixed
for the life of the process). Startup pre-imports both and reports ``{"ready": true, ...}``; each
request line ``{"id", "op": "verify", ...}`` (or ``"op": "capture"``: build and trace the
source model, traced/capture.py) gets ``{"id", "progress": "..."}`` lines and one
``{"id", "result": {...}}`` (or ``{"id", "error": "...", "stage": "..."}``). The user's code may
print: the protocol runs on a private copy of stdout while fd 1 is pointed at stderr. Building
the models is models.py's job, comparing them compare.py's.
"""

from __future__ import annotations

import gc
import importlib.util
import json
import os
import sys
import time
import traceback
from typing import Any, TextIO

if __name__ == "__main__" and not __package__:
    # Run as a file by another interpreter, which may not have mlsense installed: load the
    # package this file belongs to (three folders up) and run the worker as its module, so
    # nothing of ours lands on sys.path beside the user's own modules.
    _root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    _spec = importlib.util.spec_from_file_location(
        "mlsense", os.path.join(_root, "__init__.py"), submodule_search_locations=[_root])
    assert _spec is not None and _spec.loader is not None
    sys.modules["mlsense"] = importlib.util.module_from_spec(_spec)
    _spec.loader.exec_module(sys.modules["mlsense"])
    import runpy

    runpy.run_module("mlsense.translators.verify.worker", run_name="__main__", alter_sys=True)
    sys.exit(0)

from .compare import compare, onnx_check, per_layer_errors  # noqa: E402
from .models import Models, Send, StageError, describe_exception  # noqa: E402
from .training import training_check  # noqa: E402

__all__ = ["main", "verify"]


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
    if req.get("per_layer", True):  # the report shows each layer's error, verified or not
        send({"progress": "comparing each mapped layer" if verified
              else "locating the first diverging layer"})
        try:
            result["per_layer"] = per_layer_errors(models)
        except Exception as exc:  # noqa: BLE001 - diagnostics must not hide the main result
            result["notes"].append(f"per-layer probe failed: {describe_exception(exc)}")
    if req.get("onnx"):
        send({"progress": "checking the ONNX export with onnxruntime"})
        t0 = time.perf_counter()
        result["onnx"] = onnx_check(models, atol, rtol)
        timings["onnx_s"] = time.perf_counter() - t0
    if req.get("training", True):
        send({"progress": "training both models for a few steps"})
        t0 = time.perf_counter()
        try:
            result["training"] = training_check(models, req.get("train_atol", 1e-4),
                                                req.get("train_rtol", 1e-3))
        except StageError as exc:
            result["training"] = {"ran": True, "verified": False, "message": str(exc)}
        except Exception as exc:  # noqa: BLE001 - a user-code failure is the check's result
            result["training"] = {"ran": True, "verified": False,
                                  "message": f"training check failed: {describe_exception(exc)}"}
        timings["training_s"] = time.perf_counter() - t0
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
        elif req.get("op") == "capture":  # build and trace the source model (traced translation)
            from ..traced.capture import capture

            reply({"result": capture(req)})
        elif req.get("op") == "capture_keras":  # build a Keras model, print its graph
            from ..traced.keras.capture import capture_keras

            reply({"result": capture_keras(req)})
        else:
            reply({"error": f"unknown op {req.get('op')!r}", "stage": "protocol"})
    except StageError as exc:
        reply({"error": str(exc), "stage": exc.stage})
    except Exception as exc:  # noqa: BLE001 - the worker must outlive a bad request
        reply({"error": describe_exception(exc), "stage": "verify", "traceback": traceback.format_exc()})


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
        send({"ready": False, "error": describe_exception(exc)})
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
