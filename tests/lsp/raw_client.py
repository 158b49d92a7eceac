"""A bare JSON-RPC client over a real ``mlsense serve --stdio`` process, for faults a proper
client library refuses to produce: messages of any shape, sent as raw framed bytes."""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import threading
import time
from typing import Any

from .lsp_helpers import SERVER_COMMAND, SERVER_ENV


class RawServer:
    def __init__(self) -> None:
        self.proc = subprocess.Popen(SERVER_COMMAND, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     env=SERVER_ENV, start_new_session=True)
        self.messages: queue.Queue[dict[str, Any]] = queue.Queue()
        self.stderr: list[bytes] = []
        self._next_id = 10_000
        threading.Thread(target=self._read, daemon=True).start()
        threading.Thread(target=self._drain, daemon=True).start()

    def _read(self) -> None:
        out = self.proc.stdout
        assert out is not None
        while True:
            length = None
            while True:
                line = out.readline()
                if not line:
                    return
                if line in (b"\r\n", b"\n"):
                    break
                name, _, value = line.decode("ascii").partition(":")
                if name.strip().lower() == "content-length":
                    length = int(value.strip())
            assert length is not None
            self.messages.put(json.loads(out.read(length)))

    def _drain(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.stderr.append(line)

    def send_bytes(self, body: bytes) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.proc.stdin.flush()

    def send(self, message: Any) -> None:
        self.send_bytes(json.dumps(message).encode("utf-8"))

    def notify(self, method: str, params: Any) -> None:
        self.send({"jsonrpc": "2.0", "method": method, "params": params})

    def request(self, method: str, params: Any, timeout: float = 30.0) -> dict[str, Any]:
        """Send a request and wait for its response (other messages are kept in ``seen``)."""
        self._next_id += 1
        rid = self._next_id
        self.send({"jsonrpc": "2.0", "id": rid, "method": method, "params": params})
        return self.wait(lambda m: m.get("id") == rid and "method" not in m, timeout)

    def wait(self, match: Any, timeout: float = 30.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"no matching message in {timeout}s; server alive: "
                                     f"{self.proc.poll() is None}; stderr tail: "
                                     f"{b''.join(self.stderr[-10:]).decode(errors='replace')}")
            try:
                message = self.messages.get(timeout=min(remaining, 0.2))
            except queue.Empty:
                continue
            if message.get("method") in ("workspace/configuration",
                                         "window/workDoneProgress/create",
                                         "client/registerCapability"):
                self.send({"jsonrpc": "2.0", "id": message["id"], "result": None
                           if message["method"] != "workspace/configuration" else [{}]})
            if match(message):
                return message

    def initialize(self) -> None:
        self.request("initialize", {"processId": os.getpid(), "rootUri": None,
                                    "capabilities": {}})
        self.notify("initialized", {})

    def close(self) -> None:
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait(timeout=10)
