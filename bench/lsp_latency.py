"""Language-server latency: a small raw LSP client (JSON-RPC over stdio, asyncio subprocess).

For one server command and one file it measures
  * start -> initialize: process spawn until the ``initialize`` response,
  * open -> diagnostics: ``didOpen`` until the first ``publishDiagnostics`` for the file
    (or, for a server that only answers pull requests, the ``textDocument/diagnostic`` reply),
  * edit -> diagnostics: for each of N real one-line edits (an integer literal on a code line
    changed), ``didChange`` until the next diagnostics for the file; p50 / p95 / max,
  * RSS after open: VmRSS of the server process from /proc/<pid>/status.
The server's own debounce is part of the edit latency; callers report it next to the figures.
Not part of the product. Run alone:  python bench/lsp_latency.py FILE -- server command...
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

_INT = re.compile(r"(?<![\w.])(\d+)(?![\w.])")


@dataclass
class LatencyResult:
    name: str
    start_to_initialize_s: float | None = None
    open_to_diagnostics_s: float | None = None
    edit_latencies_s: list[float] = field(default_factory=list)
    edit_timeouts: int = 0
    rss_after_open_mb: float | None = None
    diagnostics_on_open: int | None = None
    error: str | None = None

    def percentile(self, q: float) -> float | None:
        """Nearest-rank percentile of the edit latencies (q in 0..100)."""
        data = sorted(self.edit_latencies_s)
        if not data:
            return None
        rank = max(1, min(len(data), int(round(q / 100 * len(data) + 0.5))))
        return data[rank - 1]

    @property
    def p50(self) -> float | None:
        return statistics.median(self.edit_latencies_s) if self.edit_latencies_s else None


def edit_lines(text: str, count: int) -> list[tuple[int, str]]:
    """``count`` one-line edits spread over the file: (line index, new line text).

    Each changes an integer literal on a code line (``3`` -> ``4``), so the file stays valid
    Python and the server has to re-check a real statement.
    """
    lines = text.splitlines()
    candidates = []
    for i, line in enumerate(lines):
        code = line.split("#", 1)[0]
        stripped = code.strip()
        if not stripped or stripped.startswith(("\"", "'", "@")) or code.count("\"") % 2:
            continue
        if _INT.search(code):
            candidates.append(i)
    if not candidates:
        raise ValueError("no line with an integer literal to edit")
    step = max(1, len(candidates) // count)
    picked = (candidates[::step] * (count // max(1, len(candidates[::step])) + 1))[:count]
    edits = []
    for i in picked:
        m = _INT.search(lines[i])
        assert m is not None
        new = lines[i][: m.start()] + str(int(m.group()) + 1) + lines[i][m.end():]
        edits.append((i, new))
    return edits


def rss_mb(pid: int) -> float | None:
    """Resident set size of ``pid`` in MB (MiB), from /proc; None where unavailable."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    m = re.search(r"^VmRSS:\s+(\d+)\s+kB", status, re.M)
    return int(m.group(1)) / 1024 if m else None


class LspClient:
    """Just enough JSON-RPC for the benchmark: requests, notifications, server requests."""

    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc
        self._next_id = 0
        self._pending: dict[int, asyncio.Future] = {}
        self.diagnostics: asyncio.Queue[tuple[float, dict]] = asyncio.Queue()
        self._reader = asyncio.create_task(self._read_loop())

    async def _read_loop(self) -> None:
        stdout = self.proc.stdout
        assert stdout is not None
        while True:
            headers: dict[str, str] = {}
            while True:
                line = await stdout.readline()
                if not line:
                    return
                line = line.strip()
                if not line:
                    break
                key, _, value = line.decode("ascii", "replace").partition(":")
                headers[key.strip().lower()] = value.strip()
            body = await stdout.readexactly(int(headers.get("content-length", "0")))
            self._dispatch(json.loads(body))

    def _dispatch(self, msg: dict) -> None:
        now = time.perf_counter()
        if "id" in msg and ("result" in msg or "error" in msg) and "method" not in msg:
            fut = self._pending.pop(msg["id"], None)
            if fut is not None and not fut.done():
                fut.set_result((now, msg))
        elif msg.get("method") == "textDocument/publishDiagnostics":
            self.diagnostics.put_nowait((now, msg["params"]))
        elif "id" in msg and "method" in msg:  # a request from the server: answer politely
            result: Any = None
            if msg["method"] == "workspace/configuration":
                result = [{} for _ in msg.get("params", {}).get("items", [])]
            self._send({"jsonrpc": "2.0", "id": msg["id"], "result": result})

    def _send(self, msg: dict) -> None:
        body = json.dumps(msg).encode()
        assert self.proc.stdin is not None
        self.proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)

    async def request(self, method: str, params: Any, timeout: float) -> tuple[float, dict]:
        self._next_id += 1
        fut: asyncio.Future = asyncio.get_running_loop().create_future()
        self._pending[self._next_id] = fut
        self._send({"jsonrpc": "2.0", "id": self._next_id, "method": method, "params": params})
        return await asyncio.wait_for(fut, timeout)

    def notify(self, method: str, params: Any) -> None:
        self._send({"jsonrpc": "2.0", "method": method, "params": params})

    async def next_diagnostics(self, uri: str, timeout: float) -> tuple[float, dict]:
        deadline = time.perf_counter() + timeout
        while True:
            remaining = deadline - time.perf_counter()
            if remaining <= 0:
                raise TimeoutError
            at, params = await asyncio.wait_for(self.diagnostics.get(), remaining)
            if params.get("uri") == uri:
                return at, params

    def drain(self) -> None:
        while not self.diagnostics.empty():
            self.diagnostics.get_nowait()

    async def close(self) -> None:
        """Polite shutdown, then terminate / kill whatever is left."""
        with contextlib.suppress(Exception):
            await self.request("shutdown", None, timeout=3)
            self.notify("exit", None)
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.proc.wait(), 2)
        if self.proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self.proc.terminate()
            try:
                await asyncio.wait_for(self.proc.wait(), 2)
            except TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    self.proc.kill()
                await self.proc.wait()
        self._reader.cancel()


async def _open_and_edit(client: LspClient, result: LatencyResult, path: Path, text: str,
                         sync_kind: int, edits: int, timeout: float, settle_s: float) -> None:
    uri = path.resolve().as_uri()
    client.drain()
    sent = time.perf_counter()
    client.notify("textDocument/didOpen", {"textDocument": {
        "uri": uri, "languageId": "python", "version": 1, "text": text}})
    at, params = await client.next_diagnostics(uri, timeout)
    result.open_to_diagnostics_s = at - sent
    result.diagnostics_on_open = len(params.get("diagnostics", []))
    await asyncio.sleep(settle_s)  # let a second, debounced publication arrive and be dropped
    result.rss_after_open_mb = rss_mb(client.proc.pid)
    lines = text.splitlines(keepends=True)
    for version, (line_no, new_line) in enumerate(edit_lines(text, edits), start=2):
        old = lines[line_no]
        ending = old[len(old.rstrip("\r\n")):]
        lines[line_no] = new_line + ending
        if sync_kind == 2:
            change: dict = {"range": {"start": {"line": line_no, "character": 0},
                                      "end": {"line": line_no + 1, "character": 0}},
                            "text": lines[line_no]}
        else:
            change = {"text": "".join(lines)}
        client.drain()
        sent = time.perf_counter()
        client.notify("textDocument/didChange", {
            "textDocument": {"uri": uri, "version": version}, "contentChanges": [change]})
        try:
            at, _ = await client.next_diagnostics(uri, timeout)
            result.edit_latencies_s.append(at - sent)
        except TimeoutError:
            result.edit_timeouts += 1
        await asyncio.sleep(settle_s)


async def measure(name: str, command: list[str], path: Path, edits: int = 30,
                  timeout: float = 30.0, settle_s: float = 0.05,
                  init_options: dict | None = None, env: dict | None = None) -> LatencyResult:
    """Start ``command``, open ``path``, make ``edits`` one-line edits; never raises."""
    result = LatencyResult(name)
    text = path.read_text(encoding="utf-8")
    if os.sep in command[0]:  # the server runs in the file's folder: make the path absolute
        command = [os.path.abspath(command[0]), *command[1:]]
    started = time.perf_counter()
    try:
        proc = await asyncio.create_subprocess_exec(
            *command, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.DEVNULL, cwd=str(path.parent),
            env={**os.environ, **(env or {})}, limit=2**26)
    except OSError as exc:
        result.error = f"cannot start: {exc}"
        return result
    client = LspClient(proc)
    try:
        at, reply = await client.request("initialize", {
            "processId": os.getpid(), "rootUri": path.parent.resolve().as_uri(),
            "capabilities": {"textDocument": {"publishDiagnostics": {"versionSupport": True},
                                              "synchronization": {"dynamicRegistration": False}},
                             "workspace": {"configuration": False}},
            "initializationOptions": init_options or {},
            "workspaceFolders": [{"uri": path.parent.resolve().as_uri(), "name": "bench"}],
        }, timeout)
        result.start_to_initialize_s = at - started
        if "error" in reply:
            raise RuntimeError(f"initialize failed: {reply['error']}")
        sync = reply["result"].get("capabilities", {}).get("textDocumentSync", 1)
        sync_kind = sync.get("change", 1) if isinstance(sync, dict) else int(sync)
        client.notify("initialized", {})
        await _open_and_edit(client, result, path, text, sync_kind, edits, timeout, settle_s)
    except TimeoutError:
        result.error = "timed out"
    except Exception as exc:  # report, never crash the benchmark
        result.error = f"{type(exc).__name__}: {exc}"
    finally:
        await client.close()
    return result


def format_result(r: LatencyResult, debounce: str) -> str:
    """One table row: name, the four measures, debounce, and any error."""
    def ms(v: float | None) -> str:
        return f"{v * 1000:7.0f} ms" if v is not None else "      n/a"

    edits = f"{ms(r.p50)} / {ms(r.percentile(95))}"
    rss = f"{r.rss_after_open_mb:6.0f} MB" if r.rss_after_open_mb is not None else "     n/a"
    extra = f"  timeouts={r.edit_timeouts}" if r.edit_timeouts else ""
    extra += f"  error: {r.error}" if r.error else ""
    return (f"  {r.name:<22} {ms(r.start_to_initialize_s)} {ms(r.open_to_diagnostics_s)}"
            f"  {edits}  {rss}  {debounce}{extra}")


HEADER = ("  server                 start→init  open→diags   edit→diags p50 / p95      RSS"
          "   debounce")


if __name__ == "__main__":
    if "--" not in sys.argv or len(sys.argv) < 4:
        raise SystemExit(__doc__)
    split = sys.argv.index("--")
    res = asyncio.run(measure("server", sys.argv[split + 1:], Path(sys.argv[1])))
    print(HEADER)
    print(format_result(res, "?"))
