"""Prove a translation by running both models in a worker subprocess (never in this process).

:func:`verify_translation` sends the source, the :class:`Translation` and the options to
``python -m mlsense.translators.worker`` (one process per Keras backend: the backend is fixed at
import), which builds both models, copies the weights, runs them on the same seeded inputs and
compares. This module imports no framework: the language server calls it directly.
"""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .base import Translation

Progress = Callable[[str], None]
_EOF = object()


class VerificationAborted(Exception):
    """The worker was killed: timeout, cancellation, or it died; ``reason`` says which."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass
class DeviceResult:
    """The comparison on one device / Keras backend (``skipped`` when it could not run)."""

    device: str
    backend: str
    verified: bool = False
    skipped: bool = False
    max_abs_error: float | None = None
    max_rel_error: float | None = None
    outputs: list[dict[str, Any]] = field(default_factory=list)
    message: str = ""
    timings: dict[str, float] = field(default_factory=dict)


@dataclass
class LayerError:
    """One mapped layer's output error; the first one over tolerance is where things diverge."""

    kind: str
    torch_path: str
    keras_path: str
    line: int
    max_abs_error: float | None
    diverges: bool = False
    note: str = ""


@dataclass
class VerificationReport:
    """What verification found; ``verified`` is True only if every device that ran agreed."""

    verified: bool
    max_abs_error: float | None
    max_rel_error: float | None
    devices: list[str]
    per_device: list[DeviceResult]
    per_layer: list[LayerError]
    onnx: dict[str, Any] | None
    message: str
    duration_s: float
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class _Process:
    """One worker process: stdout lines go to a queue, stderr is drained into a tail buffer."""

    def __init__(self, python: str, backend: str) -> None:
        env = dict(os.environ, KERAS_BACKEND=backend, PYTHONUNBUFFERED="1")
        env.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
        env.setdefault("XLA_PYTHON_CLIENT_PREALLOCATE", "false")  # jax must share the GPU
        package_root = Path(__file__).resolve().parent
        if python == sys.executable:
            cmd = [python, "-m", "mlsense.translators.worker"]
        else:  # another interpreter may not have mlsense installed: run the file itself
            cmd = [python, str(package_root / "worker.py")]
        self.backend = backend
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True, encoding="utf-8",
                                     env=env, bufsize=1)
        self.lines: queue.Queue[Any] = queue.Queue()
        self.stderr: deque[str] = deque(maxlen=40)
        self.ready: dict[str, Any] | None = None
        threading.Thread(target=self._pump_stdout, daemon=True).start()
        threading.Thread(target=self._pump_stderr, daemon=True).start()

    def _pump_stdout(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            try:
                self.lines.put(json.loads(line))
            except json.JSONDecodeError:
                self.stderr.append(line.rstrip())
        self.lines.put(_EOF)

    def _pump_stderr(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.stderr.append(line.rstrip())

    def alive(self) -> bool:
        return self.proc.poll() is None

    def kill(self) -> None:
        if self.alive():
            self.proc.kill()
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass

    def next_message(self, deadline: float, cancel: threading.Event | None) -> dict[str, Any]:
        """The next JSON line, or VerificationAborted on timeout / cancel / death."""
        while True:
            if cancel is not None and cancel.is_set():
                self.kill()
                raise VerificationAborted("cancelled", "verification cancelled")
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self.kill()
                raise VerificationAborted("timeout", "verification timed out")
            try:
                msg = self.lines.get(timeout=min(0.1, remaining))
            except queue.Empty:
                continue
            if msg is _EOF:
                self.kill()
                tail = "\n".join(list(self.stderr)[-8:])
                raise VerificationAborted("died", f"the verification worker exited "
                                          f"(code {self.proc.returncode}): {tail}")
            return msg


class VerificationWorker:
    """Warm worker processes (one per Keras backend) reused across verifications.

    Started lazily, killed after ``idle_timeout`` seconds without a request, restarted when they
    died or were killed by a timeout or a cancellation. ``python`` selects the interpreter that
    has torch / Keras (default: this one). Thread-safe: requests run one at a time.
    """

    def __init__(self, python: str | None = None, idle_timeout: float = 300.0) -> None:
        self.python = python or sys.executable
        self.idle_timeout = idle_timeout
        self._procs: dict[str, _Process] = {}
        self._lock = threading.RLock()
        self._timer: threading.Timer | None = None
        self._next_id = 0

    def warm_up(self, backend: str = "tensorflow") -> None:
        """Start the worker for ``backend`` now (imports take seconds) without waiting for it."""
        with self._lock:
            self._process(backend)
            self._arm_idle_timer()

    def _process(self, backend: str) -> _Process:
        proc = self._procs.get(backend)
        if proc is None or not proc.alive():
            proc = self._procs[backend] = _Process(self.python, backend)
        return proc

    def ready_info(self, backend: str, deadline: float,
                   cancel: threading.Event | None = None) -> dict[str, Any]:
        """Start the backend's worker if needed and wait for its ``ready`` line."""
        with self._lock:
            proc = self._process(backend)
            while proc.ready is None:
                msg = proc.next_message(deadline, cancel)
                if "ready" in msg:
                    proc.ready = msg
            if not proc.ready.get("ready"):
                proc.kill()
                raise VerificationAborted("died", f"the verification worker could not start: "
                                          f"{proc.ready.get('error')}")
            return proc.ready

    def request(self, backend: str, payload: dict[str, Any], deadline: float,
                cancel: threading.Event | None = None,
                progress: Progress | None = None) -> dict[str, Any]:
        """Send one request and wait for its reply (progress lines go to ``progress``)."""
        with self._lock:
            self._cancel_idle_timer()
            try:
                self.ready_info(backend, deadline, cancel)
                proc = self._procs[backend]
                self._next_id += 1
                rid = self._next_id
                assert proc.proc.stdin is not None
                try:
                    proc.proc.stdin.write(json.dumps({**payload, "id": rid}) + "\n")
                    proc.proc.stdin.flush()
                except OSError as exc:
                    proc.kill()
                    raise VerificationAborted("died", f"the verification worker is gone: "
                                              f"{exc}") from exc
                while True:
                    msg = proc.next_message(deadline, cancel)
                    if msg.get("id") != rid:
                        continue  # a late reply to a request that was abandoned
                    if "progress" in msg:
                        if progress is not None:
                            progress(f"[{backend}] {msg['progress']}")
                        continue
                    return msg
            finally:
                self._arm_idle_timer()

    def _arm_idle_timer(self) -> None:
        self._cancel_idle_timer()
        if self._procs and self.idle_timeout > 0:
            self._timer = threading.Timer(self.idle_timeout, self.close)
            self._timer.daemon = True
            self._timer.start()

    def _cancel_idle_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def pids(self) -> dict[str, int]:
        """Process ids of the live workers, by backend (for tests and diagnostics)."""
        return {b: p.proc.pid for b, p in self._procs.items() if p.alive()}

    def close(self) -> None:
        """Stop every worker process."""
        with self._lock:
            self._cancel_idle_timer()
            for proc in self._procs.values():
                # a worker still importing would not read "exit" for seconds: just kill it
                if proc.ready and proc.alive() and proc.proc.stdin is not None:
                    try:
                        proc.proc.stdin.write('{"op": "exit"}\n')
                        proc.proc.stdin.flush()
                        proc.proc.wait(timeout=1)
                    except (OSError, subprocess.TimeoutExpired):
                        pass
                proc.kill()
            self._procs.clear()

    def __enter__(self) -> VerificationWorker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


_shared: VerificationWorker | None = None
_shared_lock = threading.Lock()


def shared_worker(python: str | None = None, idle_timeout: float = 600.0) -> VerificationWorker:
    """The process-wide warm worker (the language server and the CLI reuse one).

    A different ``python`` replaces it (its processes are closed first).
    """
    global _shared
    with _shared_lock:
        wanted = python or sys.executable
        if _shared is None or _shared.python != wanted:
            if _shared is not None:
                _shared.close()
            _shared = VerificationWorker(python=wanted, idle_timeout=idle_timeout)
        return _shared


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


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3g}"


def _device_result(device: str, backend: str, reply: dict[str, Any]) -> DeviceResult:
    if "error" in reply:
        return DeviceResult(device, backend, message=f"{reply.get('stage', 'verify')} failed: "
                                                     f"{reply['error']}")
    res = reply["result"]
    outputs = res.get("outputs", [])
    abs_errs = [o["max_abs_error"] for o in outputs if o.get("max_abs_error") is not None]
    rel_errs = [o["max_rel_error"] for o in outputs if o.get("max_rel_error") is not None]
    row = DeviceResult(device, res.get("backend", backend), verified=bool(res["verified"]),
                       max_abs_error=max(abs_errs) if abs_errs else None,
                       max_rel_error=max(rel_errs) if rel_errs else None, outputs=outputs,
                       timings=res.get("timings", {}))
    n_src, n_tgt = res.get("output_count", [len(outputs)] * 2)
    bad_shapes = [o for o in outputs if o.get("max_abs_error") is None]
    if n_src != n_tgt:
        row.message = f"the source model returns {n_src} outputs, the translation {n_tgt}"
    elif bad_shapes:
        o = bad_shapes[0]
        row.message = f"output shape differs: source {o['shape']}, translation " \
                      f"{o['target_shape']} (in the source layout)"
    else:
        row.message = f"max abs error {_fmt(row.max_abs_error)}, max rel error " \
                      f"{_fmt(row.max_rel_error)}"
    return row


def _layer_errors(rows: list[dict[str, Any]], atol: float, rtol: float) -> list[LayerError]:
    errors, flagged = [], False
    for r in rows:
        err, scale = r.get("max_abs_error"), r.get("scale") or 0.0
        diverges = not flagged and err is not None and err > atol + rtol * scale
        flagged = flagged or diverges
        errors.append(LayerError(r["kind"], r["torch_path"], r["keras_path"], r["line"], err,
                                 diverges, r.get("note", "")))
    return errors


def _summary(rows: list[DeviceResult], layers: list[LayerError], atol: float) -> str:
    ran = [r for r in rows if not r.skipped]
    parts = []
    for r in rows:
        state = "skipped" if r.skipped else ("verified" if r.verified else "FAILED")
        parts.append(f"{r.device}/{r.backend}: {state}, {r.message}")
    head = ("verified" if ran and all(r.verified for r in ran)
            else "NOT verified") + f" (atol {atol:g})"
    first = next((e for e in layers if e.diverges), None)
    compared = [e for e in layers if e.max_abs_error is not None]
    if first is None and compared and len(compared) == len(layers):
        parts.append(f"every mapped layer agrees ({len(layers)} compared): the difference "
                     f"comes from an operation without weights (activation, pooling, reshape, "
                     f"axis) after the last mapped layer {layers[-1].torch_path}")
    if first is not None:
        parts.append(f"first diverging layer: {first.torch_path} <-> {first.keras_path} "
                     f"({first.kind}, source line {first.line}), max abs error "
                     f"{_fmt(first.max_abs_error)}")
    return head + "; " + "; ".join(parts)


def verify_translation(source_path: str, translation: Translation, device: str = "cpu",
                       timeout: float = 120.0, atol: float = 1e-4, rtol: float = 1e-4,
                       seed: int = 0, source_text: str | None = None,
                       worker: VerificationWorker | None = None,
                       cancel: threading.Event | None = None,
                       progress: Progress | None = None, onnx: bool = True) -> VerificationReport:
    """Run the source model and its translation on the same inputs and compare the outputs.

    ``device``: ``cpu`` (torch + Keras on TensorFlow), ``cuda`` (torch on CUDA with TF32 off +
    Keras on the torch backend, and on JAX where installed), ``all``, or one explicit leg
    ``DEVICE/KERAS_BACKEND`` (``cpu/torch`` runs the CUDA code path on a machine without GPU). Without ``worker`` a
    one-shot subprocess is used. Timeouts and cancellation kill the worker and come back as an
    unverified report with a clear message, never as an exception.
    """
    start = time.monotonic()
    deadline = start + timeout
    if source_text is None:
        try:
            source_text = Path(source_path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            failed = DeviceResult(device, "n/a", message=f"cannot read {source_path}: {exc}")
            return _report([failed], [], None, [], atol, start, device)
    _legs(device)  # an unknown device is the caller's bug: raise before starting anything
    own = worker is None
    pool = worker or VerificationWorker(idle_timeout=0)
    payload = {"op": "verify", "source_path": os.path.abspath(source_path),
               "source_text": source_text, "translation": translation.as_dict(), "atol": atol,
               "rtol": rtol, "seed": seed}
    rows: list[DeviceResult] = []
    layers: list[LayerError] = []
    onnx_result: dict[str, Any] | None = None
    notes: list[str] = []
    try:
        for dev, backend in _legs(device):
            if dev == "cuda":
                skip = _cuda_skip_reason(pool, backend, deadline, cancel, rows)
                if skip:
                    rows.append(DeviceResult(dev, backend, skipped=True, message=skip))
                    continue
            if progress is not None:
                progress(f"verifying on {dev} (Keras on {backend})")
            t_ready = time.monotonic()
            info = pool.ready_info(backend, deadline, cancel)  # process start + imports if cold
            t_ready = time.monotonic() - t_ready
            cold = {k: info[k] for k in ("import_s", "import_cpu_s") if k in info} \
                if t_ready > 0.2 else {}
            reply = pool.request(backend, {**payload, "device": dev,
                                           "onnx": onnx and onnx_result is None},
                                 deadline, cancel, progress)
            rows.append(_device_result(dev, backend, reply))
            rows[-1].timings.update(worker_ready_s=round(t_ready, 3), **cold)
            res = reply.get("result") or {}
            onnx_result = onnx_result or res.get("onnx")
            notes += [n for n in res.get("notes", []) if n not in notes]
            if res.get("per_layer") and not layers:
                layers = _layer_errors(res["per_layer"], atol, rtol)
    except VerificationAborted as exc:
        message = {"timeout": f"verification timed out after {timeout:g} s; the worker was "
                              f"killed (raise the timeout for big models)",
                   "cancelled": "verification cancelled; the worker was killed"}.get(
                       exc.reason, str(exc))
        rows.append(DeviceResult(device, "n/a", message=message))
    finally:
        if own:
            pool.close()
    return _report(rows, layers, onnx_result, notes, atol, start, device)


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


def _report(rows: list[DeviceResult], layers: list[LayerError], onnx: dict[str, Any] | None,
            notes: list[str], atol: float, start: float, device: str) -> VerificationReport:
    ran = [r for r in rows if not r.skipped]
    abs_errs = [r.max_abs_error for r in ran if r.max_abs_error is not None]
    rel_errs = [r.max_rel_error for r in ran if r.max_rel_error is not None]
    verified = bool(ran) and all(r.verified for r in ran)
    if device == "cuda" and not ran:
        verified = False
    message = _summary(rows, layers, atol)
    if onnx is not None:
        message += f"; onnx: {onnx.get('message', '')}"
    return VerificationReport(verified=verified, max_abs_error=max(abs_errs) if abs_errs else None,
                              max_rel_error=max(rel_errs) if rel_errs else None,
                              devices=sorted({r.device for r in ran}), per_device=rows,
                              per_layer=layers, onnx=onnx, message=message,
                              duration_s=round(time.monotonic() - start, 3), notes=notes)
