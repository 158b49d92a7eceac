"""The worker processes verification runs in, seen from the parent: start, talk, time out, kill.

``python -m mlsense.translators.verify.worker`` (worker.py) runs in one process per Keras backend,
kept warm between requests by :class:`VerificationWorker`; this module imports no framework.
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
from pathlib import Path
from typing import Any

Progress = Callable[[str], None]
_EOF = object()


class VerificationAborted(Exception):
    """The worker was killed: timeout, cancellation, or it died; ``reason`` says which."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


class _Process:
    """One worker process: stdout lines go to a queue, stderr is drained into a tail buffer."""

    def __init__(self, python: str, backend: str) -> None:
        env = dict(os.environ, KERAS_BACKEND=backend, PYTHONUNBUFFERED="1")
        env.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
        env.setdefault("XLA_PYTHON_CLIENT_PREALLOCATE", "false")  # jax must share the GPU
        package_root = Path(__file__).resolve().parent
        if python == sys.executable:
            cmd = [python, "-m", "mlsense.translators.verify.worker"]
        else:  # another interpreter may not have mlsense installed: run the file itself
            cmd = [python, str(package_root / "worker.py")]
        self.backend = backend
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True, encoding="utf-8",
                                     errors="replace", env=env, bufsize=1)
        self.lines: queue.Queue[Any] = queue.Queue()
        self.stderr: deque[str] = deque(maxlen=40)
        self.ready: dict[str, Any] | None = None
        threading.Thread(target=self._pump_stdout, daemon=True).start()
        threading.Thread(target=self._pump_stderr, daemon=True).start()

    def _pump_stdout(self) -> None:
        assert self.proc.stdout is not None
        try:
            for line in self.proc.stdout:
                try:
                    message = json.loads(line)
                except ValueError:  # not JSON (a stray print, a torn line): kept for the report
                    message = None
                if isinstance(message, dict):
                    self.lines.put(message)
                else:  # only objects are messages; anything else on the pipe is noise
                    self.stderr.append(f"(not a worker message) {line.rstrip()[:200]}")
        finally:  # whatever ends the pipe, the reader learns the worker is gone
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
