"""``mlsense.verifyTranslation``: translate a document and prove the translation by running both
models, in the verifier's worker subprocess (this process never imports a framework).

One warm :class:`~mlsense.translators.verify.VerificationWorker` per server, created on the first
verification (it stops its processes when idle, and on shutdown), so a second verification in a
session skips the seconds of torch/TensorFlow imports. Each verification runs in a background
thread and reports ``$/progress`` (cancellable); ``window/workDoneProgress/cancel`` and
``$/cancelRequest`` set the cancel event the verifier polls, which kills the worker at once.
"""

from __future__ import annotations

import asyncio
import itertools
import math
import threading
from collections.abc import AsyncIterator, Awaitable, Callable
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls.exceptions import JsonRpcException, JsonRpcInvalidParams
from pygls.uris import to_fs_path

from .settings import VERIFY_DEVICES
from .translate import (
    REQUEST_FAILED,
    command_argument,
    document_text,
    parse_translate_arguments,
    run_translation,
)

VERIFY_COMMAND = "mlsense.verifyTranslation"
DISABLED_MESSAGE = "verification runs your code; it is disabled in untrusted workspaces"
CANCELLED_MESSAGE = "verification cancelled"
_FRAMEWORK = {"keras": "Keras", "pytorch": "PyTorch"}


@dataclass
class ProgressSession:
    """One verification's cancel event and its ``$/progress`` token (None: client has none)."""

    cancel: threading.Event = field(default_factory=threading.Event)
    token: str | None = None
    report: Callable[[str], None] = lambda message: None


def _finite(value: Any) -> Any:
    """JSON has no NaN/Infinity: a non-finite error becomes null (the message says why)."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    return value


class Verifier:
    """The server's verifications: settings gate, warm worker, progress and cancellation."""

    def __init__(self, server: Any, idle_timeout: float = 600.0) -> None:
        self.server = server
        self.idle_timeout = idle_timeout
        self._worker: Any = None
        self._lock = threading.Lock()
        # One at a time: the worker runs one request at a time anyway.
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="mlsense-verify")
        self._tokens = itertools.count(1)
        self._active: set[threading.Event] = set()  # cancel events of running verifications

    def refusal(self) -> str | None:
        """Why verification may not run now (None when it may)."""
        settings = self.server.settings
        if not settings.verification.enabled or not settings.workspace_trusted:
            return DISABLED_MESSAGE
        return None

    @staticmethod
    def unverified(message: str, cancelled: bool = False) -> dict[str, Any]:
        """A result in the command's shape for a verification that did not run."""
        return {"verified": False, "max_abs_error": None, "max_rel_error": None, "devices": [],
                "message": message, "per_layer": [], "onnx": None, "cancelled": cancelled}

    def worker(self) -> Any:
        """The warm worker, created on first use (the verify module imports no framework)."""
        with self._lock:
            if self._worker is None:
                from ...translators.verify import VerificationWorker
                self._worker = VerificationWorker(idle_timeout=self.idle_timeout)
            return self._worker

    def close(self) -> None:
        """Shutdown: cancel what runs, stop the worker processes without blocking the loop."""
        for cancel in list(self._active):
            cancel.set()
        self._pool.shutdown(wait=False, cancel_futures=True)
        with self._lock:
            worker, self._worker = self._worker, None
        if worker is not None:
            # A running request holds the worker's lock until it sees the cancel (<= 0.1 s):
            # close from a thread so the shutdown answer is not held up.
            threading.Thread(target=worker.close, name="mlsense-verify-close",
                             daemon=True).start()

    @asynccontextmanager
    async def progress(self, title: str) -> AsyncIterator[ProgressSession]:
        """A cancellable work-done progress around a verification; cancelling the progress or
        the request sets ``session.cancel``."""
        ls = self.server
        session = ProgressSession()
        self._active.add(session.cancel)
        loop = asyncio.get_running_loop()
        _watch_request_cancel(ls, session.cancel)
        window = ls.client_capabilities.window
        if window is not None and window.work_done_progress:
            token: str | None = f"mlsense-verify-{next(self._tokens)}"
            created = await ls.ask_client(
                types.WINDOW_WORK_DONE_PROGRESS_CREATE,
                _created(ls.work_done_progress.create_async(token)), False,
                "verification runs without progress")
            if not created:  # refused, late or garbled: verify without progress
                token = None
            if token is not None:
                session.token = token
                ls.work_done_progress.begin(token, types.WorkDoneProgressBegin(
                    title=title, cancellable=True, message="translating"))
                future = ls.work_done_progress.tokens.get(token)
                if future is not None:  # cancelled by window/workDoneProgress/cancel
                    future.add_done_callback(partial(_set_if_cancelled, session.cancel))

                def report(message: str) -> None:  # worker thread -> event loop
                    loop.call_soon_threadsafe(ls.work_done_progress.report, token,
                                              types.WorkDoneProgressReport(message=message))
                session.report = report
        end = "failed"
        try:
            yield session
            end = CANCELLED_MESSAGE if session.cancel.is_set() else "done"
        except asyncio.CancelledError:  # the request's task was cancelled: stop the worker
            session.cancel.set()
            raise
        finally:
            self._active.discard(session.cancel)
            if session.token is not None:
                ls.work_done_progress.end(session.token, types.WorkDoneProgressEnd(message=end))
                ls.work_done_progress.tokens.pop(session.token, None)

    async def verify(self, source_path: Path, translation: Any, source_text: str, device: str,
                     title: str, session: ProgressSession | None = None) -> dict[str, Any]:
        """Run the verifier in the background thread; the report as a JSON-ready dict."""
        if session is None:
            async with self.progress(title) as own:
                return await self.verify(source_path, translation, source_text, device, title,
                                         own)
        from ...translators.verify import verify_translation
        if session.cancel.is_set():
            return self.unverified(CANCELLED_MESSAGE, cancelled=True)
        session.report(f"verifying on {device}")
        run = partial(verify_translation, str(source_path), translation, device=device,
                      timeout=self.server.settings.verification.timeout_s,
                      source_text=source_text, worker=self.worker(), cancel=session.cancel,
                      progress=session.report)
        try:
            report = await asyncio.get_running_loop().run_in_executor(self._pool, run)
        except (OSError, ValueError, RuntimeError) as exc:  # could not start the worker...
            raise JsonRpcException(f"{VERIFY_COMMAND}: verification failed: "
                                   f"{type(exc).__name__}: {exc}", code=REQUEST_FAILED) from exc
        result = _finite(report.as_dict())
        result["cancelled"] = session.cancel.is_set()
        return dict(result)


async def _created(request: Awaitable[object]) -> bool:
    await request
    return True


def _set_if_cancelled(cancel: threading.Event, future: Future[Any]) -> None:
    if future.cancelled():
        cancel.set()


def _watch_request_cancel(ls: Any, cancel: threading.Event) -> None:
    """Set ``cancel`` when the client sends ``$/cancelRequest`` for the current request.

    pygls answers the cancelled request itself (RequestCancelled) but does not stop a command
    coroutine already running: we watch the request's future, found by the message id pygls
    keeps in a context variable for the handler.
    """
    protocol = ls.protocol
    futures = getattr(protocol, "_request_futures", None)
    msg_id = protocol.msg_id
    future: Future[Any] | None = futures.get(msg_id) if isinstance(futures, dict) else None
    if future is not None:
        future.add_done_callback(partial(_set_if_cancelled, cancel))


def parse_verify_arguments(args: tuple[Any, ...]
                           ) -> tuple[str, str, str | None, tuple[int, ...] | None, str | None]:
    """(uri, target, className, inputShape, device) from ``{uri, target, className?,
    device?: "cpu" | "cuda" | "all", inputShape?}``."""
    uri, target, class_name, shape = parse_translate_arguments(args, VERIFY_COMMAND)
    device = command_argument(args, VERIFY_COMMAND).get("device")
    if device is not None and device not in VERIFY_DEVICES:
        raise JsonRpcInvalidParams(f"{VERIFY_COMMAND}: `device` must be one of "
                                   f"{', '.join(VERIFY_DEVICES)}, got {device!r}")
    return uri, target, class_name, shape, device


async def verify_command(ls: Any, args: tuple[Any, ...]) -> dict[str, Any]:
    """The command's body: gate, translate the current text, verify with progress."""
    uri, target, class_name, shape, device = parse_verify_arguments(args)
    refusal = ls.verifier.refusal()
    if refusal is not None:
        raise JsonRpcException(f"{VERIFY_COMMAND}: {refusal}", code=REQUEST_FAILED)
    source = to_fs_path(uri) if uri.startswith("file:") else None
    if source is None:
        raise JsonRpcInvalidParams(f"{VERIFY_COMMAND}: not a file URI: {uri}")
    text = document_text(ls, uri, VERIFY_COMMAND)
    path = Path(source)
    device = device or ls.settings.verification.device
    title = f"mlsense: verifying the {_FRAMEWORK[target]} translation of {path.name}"
    async with ls.verifier.progress(title) as session:
        loop = asyncio.get_running_loop()
        translation = await loop.run_in_executor(None, run_translation, text, target,
                                                 class_name, path.name, shape)
        result: dict[str, Any] = await ls.verifier.verify(path, translation, text, device,
                                                          title, session)
    ls.record_verification(uri, class_name, target, text, result)
    return result


def register_verification(server: Any) -> None:
    """Register ``mlsense.verifyTranslation``."""

    @server.command(VERIFY_COMMAND)
    async def verify_translation_command(ls: Any, *args: Any) -> dict[str, Any]:
        return await verify_command(ls, args)
