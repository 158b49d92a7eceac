"""Prove a translation by running both models in a worker subprocess (never in this process).

:func:`verify_translation` sends the source, the :class:`Translation` and the options to
``python -m mlsense.translators.verify.worker`` (one process per Keras backend: the backend is
fixed at import), which builds both models, copies the weights, runs them on the same seeded inputs and
compares. This module imports no framework: the language server calls it directly. The worker
processes are driven by process.py; the report types live in report.py.
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..base import Translation
from .process import Progress, VerificationAborted, VerificationWorker, shared_worker
from .report import (
    DeviceResult,
    LayerError,
    TrainingResult,
    VerificationReport,
    build_report,
    device_result,
    layer_errors,
    training_result,
)

__all__ = ["DeviceResult", "LayerError", "Progress", "TrainingResult", "VerificationAborted",
           "VerificationReport", "VerificationWorker", "capture_model", "shared_worker",
           "start_workers", "verify_translation"]


def _legs(device: str) -> list[tuple[str, str]]:
    """(device, Keras backend) pairs to run; the cuda legs are pruned once we know about GPUs."""
    if device == "cpu":
        return [("cpu", "tensorflow")]
    if device == "cuda":
        return [("cuda", "torch"), ("cuda", "jax")]
    if device == "all":
        return [("cpu", "tensorflow"), ("cuda", "torch"), ("cuda", "jax")]
    dev, _, backend = device.partition("/")  # one explicit leg, e.g. cpu/torch
    if dev in ("cpu", "cuda") and backend in ("tensorflow", "torch", "jax"):
        return [(dev, backend)]
    raise ValueError(f"unknown device {device!r} (use cpu, cuda, all or DEVICE/KERAS_BACKEND "
                     f"such as cpu/torch)")


def start_workers(worker: VerificationWorker, device: str = "cpu") -> None:
    """Start the process of the first leg ``device`` runs, without waiting for it.

    A front end that knows a verification is coming (``translate --verify``, the editor's
    verify command) calls this before translating: the worker's imports (seconds) then overlap
    the translation and the front end's own imports, on another core.
    """
    worker.warm_up(_legs(device)[0][1])


@dataclass
class _Run:
    """One verification in progress: how to run its legs and what they found so far."""

    pool: VerificationWorker
    payload: dict[str, Any]
    deadline: float
    cancel: threading.Event | None
    progress: Progress | None
    onnx: bool
    atol: float
    rtol: float
    rows: list[DeviceResult] = field(default_factory=list)
    layers: list[LayerError] = field(default_factory=list)
    onnx_result: dict[str, Any] | None = None
    notes: list[str] = field(default_factory=list)
    training: TrainingResult | None = None
    backends: tuple[str, ...] = ()  # the Keras backends of the cuda legs still to run

    def leg(self, dev: str, backend: str) -> None:
        """Run one (device, Keras backend) leg and record its row, or why it was skipped."""
        if dev == "cuda":
            skip = _cuda_skip_reason(self.pool, backend, self.deadline, self.cancel, self.rows)
            if skip:
                self.rows.append(DeviceResult(dev, backend, skipped=True, message=skip))
                return
        if self.progress is not None:
            self.progress(f"verifying on {dev} (Keras on {backend})")
        t_ready = time.monotonic()
        # process start + imports if cold
        info = self.pool.ready_info(backend, self.deadline, self.cancel)
        t_ready = time.monotonic() - t_ready
        if dev == "cuda" and info.get("cuda"):  # the other GPU legs import while this one runs
            for other in self.backends:
                if other != backend and (other != "jax" or info.get("jax")):
                    self.pool.warm_up(other)
        cold = {k: info[k] for k in ("import_s", "import_cpu_s") if k in info} \
            if t_ready > 0.2 else {}
        reply = self.pool.request(backend, {**self.payload, "device": dev,
                                            "onnx": self.onnx and self.onnx_result is None},
                                  self.deadline, self.cancel, self.progress)
        self.rows.append(device_result(dev, backend, reply))
        self.rows[-1].timings.update(worker_ready_s=round(t_ready, 3), **cold)
        res = reply.get("result") or {}
        self.onnx_result = self.onnx_result or res.get("onnx")
        self.training = self.training or training_result(res.get("training"))
        self.notes += [n for n in res.get("notes", []) if n not in self.notes]
        if res.get("per_layer") and not self.layers:
            self.layers = layer_errors(res["per_layer"], self.atol, self.rtol)


def verify_translation(source_path: str, translation: Translation, device: str = "cpu",
                       timeout: float = 120.0, atol: float = 1e-4, rtol: float = 1e-4,
                       seed: int = 0, source_text: str | None = None,
                       worker: VerificationWorker | None = None,
                       cancel: threading.Event | None = None,
                       progress: Progress | None = None, onnx: bool = True,
                       training: bool = True) -> VerificationReport:
    """Run the source model and its translation on the same inputs and compare the outputs.

    ``device``: ``cpu`` (torch + Keras on TensorFlow), ``cuda`` (torch on CUDA with TF32 off +
    Keras on the torch backend, and on JAX where installed), ``all``, or one explicit leg
    ``DEVICE/KERAS_BACKEND`` (``cpu/torch`` runs the CUDA code path on a machine without GPU). Without ``worker`` a
    one-shot subprocess is used. ``training``: when the source has training code, also run 1
    and 3 optimisation steps on both sides (each with its own loss and optimizer) and compare
    the losses and updated weights (atol 1e-4, rtol 1e-3). Timeouts and cancellation kill the worker and come back as an
    unverified report with a clear message, never as an exception.
    """
    start = time.monotonic()
    if source_text is None:
        try:
            source_text = Path(source_path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            failed = DeviceResult(device, "n/a", message=f"cannot read {source_path}: {exc}")
            return build_report([failed], [], None, [], atol, start, device)
    _legs(device)  # an unknown device is the caller's bug: raise before starting anything
    own = worker is None
    pool = worker or VerificationWorker(idle_timeout=0)
    payload = {"op": "verify", "source_path": os.path.abspath(source_path),
               "source_text": source_text, "translation": translation.as_dict(), "atol": atol,
               "rtol": rtol, "seed": seed, "training": training}
    run = _Run(pool, payload, start + timeout, cancel, progress, onnx, atol, rtol)
    try:
        legs = _legs(device)
        for i, (dev, backend) in enumerate(legs):
            run.backends = tuple(b for d, b in legs[i + 1:] if d == "cuda")
            run.leg(dev, backend)
    except VerificationAborted as exc:
        message = {"timeout": f"verification timed out after {timeout:g} s; the worker was "
                              f"killed (raise the timeout for big models)",
                   "cancelled": "verification cancelled; the worker was killed"}.get(
                       exc.reason, str(exc))
        run.rows.append(DeviceResult(device, "n/a", message=message))
    finally:
        if own:
            pool.close()
    return build_report(run.rows, run.layers, run.onnx_result, run.notes, atol, start, device,
                        rtol, run.training)


def capture_model(source_text: str, filename: str, selection: str,
                  input_shape: tuple[int, ...], timeout: float = 120.0,
                  worker: VerificationWorker | None = None,
                  op: str = "capture") -> dict[str, Any]:
    """Build the model ``selection`` names from the file and trace it, in a worker process
    (on a batch of 2 inputs of ``input_shape``; empty: guessed from the first layer).
    ``op``: ``capture`` (a PyTorch model, traced/capture.py) or ``capture_keras`` (a Keras
    model's graph printed as source, traced/keras/capture.py).

    Returns the JSON description of traced/capture.py, or ``{"error": {"line", "construct",
    "reason"}}``; a worker that dies or times out comes back as such an error too.
    """
    own = worker is None
    pool = worker or VerificationWorker(idle_timeout=0)
    payload = {"op": op, "source_text": source_text, "filename": filename,
               "selection": selection, "input_shape": list(input_shape)}
    try:
        reply = pool.request("tensorflow", payload, time.monotonic() + timeout)
    except VerificationAborted as exc:
        return {"error": {"line": 1, "construct": selection,
                          "reason": f"building and tracing the model failed: {exc}"}}
    finally:
        if own:
            pool.close()
    if "error" in reply:
        return {"error": {"line": 1, "construct": selection, "reason": f"building and tracing "
                          f"the model failed ({reply.get('stage')}): {reply['error']}"}}
    result: dict[str, Any] = reply["result"]
    return result


def _cuda_skip_reason(pool: VerificationWorker, backend: str, deadline: float,
                      cancel: threading.Event | None, rows: list[DeviceResult]) -> str | None:
    """Why a cuda leg cannot run (no GPU, no jax), asking a worker that is already up if any."""
    info = next((pool.ready_info(b, deadline, cancel) for b in ("tensorflow", "torch")
                 if b in pool.pids()), None)
    if info is None:
        info = pool.ready_info("torch", deadline, cancel)
    if not info.get("cuda"):
        return "skipped, no GPU"
    if backend == "jax" and not info.get("jax"):
        return "skipped, jax is not installed"
    return None
