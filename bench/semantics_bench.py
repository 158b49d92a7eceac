"""Editor features on a real file, over LSP (issue 8): how long an inlay-hint request for the
whole file, a hover on a layer call and a size completion take, warm (the document analysed).

    .venv/bin/python bench/semantics_bench.py [FILE] [--repeat 30] [--out bench/results/semantics.txt]

FILE defaults to timm's models/resnet.py in the fetched public corpus (bench/public_corpus.sh);
targets from the issue: inlay hints <= 50 ms, a hover <= 20 ms. A second document, a small CNN
with an nn.Linear( being typed, times the completion. The server is `mlsense serve` on stdio;
each figure is the client's round trip (p50 / p95 / max of --repeat requests).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

from lsp_latency import LspClient  # noqa: E402

RESNET = ROOT / "bench" / ".work" / "public" / "huggingface+pytorch-image-models" / "timm" \
    / "models" / "resnet.py"
TYPING = (ROOT / "tests" / "fixtures" / "editing" / "typing_net.py").read_text(encoding="utf-8")


def _stats(values: list[float]) -> str:
    values = sorted(values)
    p95 = values[max(0, round(0.95 * len(values)) - 1)]
    return (f"p50 {statistics.median(values) * 1e3:6.1f} ms  p95 {p95 * 1e3:6.1f} ms  "
            f"max {values[-1] * 1e3:6.1f} ms")


def _server_cpu(pid: int) -> float:
    """CPU seconds the server process has used (user + system, from /proc)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return float("nan")


def _first_variable(lines: list[str]) -> tuple[int, int] | None:
    """The first ``x = self.`` statement in a method: a variable hover there."""
    for i, line in enumerate(lines):
        if line.startswith("        x = self."):
            return i, 8
    return None


def _first_layer_call(lines: list[str]) -> tuple[int, int] | None:
    for i, line in enumerate(lines):
        for name in ("nn.Conv2d(", "nn.Linear(", "nn.BatchNorm2d("):
            if name in line:
                return i, line.index(name) + 4
    return None


async def _timed(client: LspClient, method: str, params: Any) -> tuple[float, dict]:
    """Round trip of one request: sent until its reply arrived (the client stamps arrivals)."""
    sent = time.perf_counter()
    arrived, reply = await client.request(method, params, 30)
    return arrived - sent, reply


async def measure(path: Path, repeat: int) -> dict[str, Any]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "mlsense", "serve", stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL, limit=2**26)
    client = LspClient(proc)
    out: dict[str, Any] = {}
    try:
        await client.request("initialize", {"processId": os.getpid(), "rootUri": None,
                                            "capabilities": {}}, 60)
        client.notify("initialized", {})
        text = path.read_text(encoding="utf-8")
        lines = text.splitlines()
        uri = path.resolve().as_uri()
        client.notify("textDocument/didOpen", {"textDocument": {
            "uri": uri, "languageId": "python", "version": 1, "text": text}})
        await client.next_diagnostics(uri, 120)
        whole = {"start": {"line": 0, "character": 0}, "end": {"line": len(lines), "character": 0}}
        inlay, hover, variable = [], [], []
        hints = 0
        cpu: dict[str, float] = {}
        start_cpu = _server_cpu(proc.pid)
        for _ in range(repeat):
            elapsed, reply = await _timed(client, "textDocument/inlayHint", {
                "textDocument": {"uri": uri}, "range": whole})
            inlay.append(elapsed)
            hints = len(reply.get("result") or [])
        cpu["inlay"] = (_server_cpu(proc.pid) - start_cpu) / repeat
        at = _first_layer_call(lines)
        found = False
        start_cpu = _server_cpu(proc.pid)
        if at is not None:
            for _ in range(repeat):
                elapsed, reply = await _timed(client, "textDocument/hover", {
                    "textDocument": {"uri": uri},
                    "position": {"line": at[0], "character": at[1]}})
                hover.append(elapsed)
                found = bool(reply.get("result"))
        cpu["hover"] = (_server_cpu(proc.pid) - start_cpu) / repeat
        at = _first_variable(lines)
        shown = None
        start_cpu = _server_cpu(proc.pid)
        for _ in range(repeat if at is not None else 0):
            elapsed, reply = await _timed(client, "textDocument/hover", {
                "textDocument": {"uri": uri}, "position": {"line": at[0], "character": at[1]}})
            variable.append(elapsed)
            result = reply.get("result")
            shown = result["contents"]["value"].strip("`\n").removeprefix("python\n") \
                if result else None
        cpu["variable"] = (_server_cpu(proc.pid) - start_cpu) / max(len(variable), 1)
        out.update(lines=len(lines), hints=hints, inlay=inlay, hover=hover, hover_found=found,
                   variable=variable, variable_shown=shown, cpu=cpu)

        typing_uri = (ROOT / "bench" / ".work" / "typing_net.py").resolve().as_uri()
        client.notify("textDocument/didOpen", {"textDocument": {
            "uri": typing_uri, "languageId": "python", "version": 1, "text": TYPING}})
        await client.next_diagnostics(typing_uri, 60)
        completion, label = [], None
        for _ in range(repeat):
            elapsed, reply = await _timed(client, "textDocument/completion", {
                "textDocument": {"uri": typing_uri},
                "position": {"line": 8, "character": len("    nn.Linear(")}})
            completion.append(elapsed)
            items = (reply.get("result") or {}).get("items") or []
            label = items[0]["label"] if items else None
        out.update(completion=completion, completion_label=label)
        return out
    finally:
        await client.close()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("file", nargs="?", type=Path, default=RESNET)
    ap.add_argument("--repeat", type=int, default=30)
    ap.add_argument("--out", type=Path)
    args = ap.parse_args()
    if not args.file.exists():
        print(f"{args.file} missing: run bash bench/public_corpus.sh", file=sys.stderr)
        return 2
    result = asyncio.run(measure(args.file, args.repeat))
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT,
                            capture_output=True, text=True).stdout.strip()
    shown = args.file.relative_to(ROOT) if args.file.is_relative_to(ROOT) else args.file
    text = "\n".join([
        f"mlsense editor-feature latency  {time.strftime('%Y-%m-%d %H:%M')}  commit {commit}",
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, load average at start {os.getloadavg()[0]:.2f}",
        f"file: {shown} ({result['lines']:,} lines), warm, {args.repeat} requests each", "",
        f"  inlay hints, whole file ({result['hints']} hints)  {_stats(result['inlay'])}"
        f"   (target <= 50 ms; server CPU {result['cpu']['inlay'] * 1e3:.1f} ms a request)",
        f"  hover on the first layer call ({'a layer hover' if result['hover_found'] else 'no hover'})"
        f"  {_stats(result['hover'])}   (target <= 20 ms; server CPU "
        f"{result['cpu']['hover'] * 1e3:.1f} ms)" if result["hover"] else
        "  hover: no layer call in the file",
        f"  hover on the first `x = self.` variable ({result['variable_shown'] or 'nothing known'})"
        f"  {_stats(result['variable'])}   (target <= 20 ms; server CPU "
        f"{result['cpu']['variable'] * 1e3:.1f} ms)" if result["variable"] else
        "  variable hover: no `x = self.` statement in the file",
        f"  completion in nn.Linear( of a small CNN (offers {result['completion_label']})"
        f"  {_stats(result['completion'])}",
    ]) + "\n"
    print(text, end="")
    if args.out:
        args.out.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
