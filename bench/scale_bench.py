"""Scale: does cost grow with the file, and only with the file? (issue 11)

    .venv/bin/python bench/scale_bench.py [--sizes 5000,20000,50000] [--out FILE]

Generated files of N simple top-level statements (``import torch`` then
``x{i} = torch.zeros({i % 7 + 1})``, the shape of a long notebook or an experiment log) are
written to ``bench/.work/scale/``. For each N, on one core (``taskset -c 0``), in a fresh
process: ``mlsense check`` (default rules) and the anchors ``ast.parse`` and ``libcst`` parse
of the same file; wall and CPU seconds and peak RSS of the process (``wait4``); ratios use CPU
time, which other work on a shared machine inflates least. Then the same at the largest N for
two other files: the generated one ending in a device move (the device-flow walk then runs; it
parses only the statements it can need, rules/flow/relevance.py) and real code (``generate_real``: pytorch/examples mnist, needs
``bash bench/public_corpus.sh``). Then over LSP, a
5,000-statement document: open -> diagnostics, 20 edits of the first statement -> diagnostics
(p50 / p95, the server's 50 ms debounce included), server RSS after the edits.
"""

from __future__ import annotations

import argparse
import ast
import asyncio
import io
import os
import platform
import shutil
import statistics
import subprocess
import sys
import textwrap
import time
import tokenize
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / "bench" / ".work" / "scale"
sys.path.insert(0, str(ROOT / "bench"))

from lsp_latency import LspClient, rss_mb  # noqa: E402


def generate(n: int) -> Path:
    path = WORK / f"gen{n}.py"
    if not path.exists():
        WORK.mkdir(parents=True, exist_ok=True)
        path.write_text("import torch\n" + "".join(
            f"x{i} = torch.zeros({i % 7 + 1})\n" for i in range(n)), encoding="utf-8")
    return path


def run_one(cmd: list[str]) -> tuple[float, float, float, int]:
    """(wall s, CPU s, peak RSS MB, exit status) of ``cmd`` pinned to one core. CPU time (user
    + system) is what a machine shared with other work inflates least."""
    if shutil.which("taskset"):
        cmd = ["taskset", "-c", "0", *cmd]
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    return (wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024,
            os.waitstatus_to_exitcode(status))


MNIST = ROOT / "bench" / ".work" / "public" / "pytorch+examples" / "mnist" / "main.py"


def generate_moved(n: int) -> Path:
    """The generated file ending in a device move: the device-flow walk then runs (a file
    without such a word is not walked at all), deferring the statements nothing mentions."""
    path = WORK / f"gen{n}_moved.py"
    if not path.exists():
        path.write_text(generate(n).read_text(encoding="utf-8") + "x0.cuda()\n",
                        encoding="utf-8")
    return path


def measure(path: Path, n: int, label: str, out: list[str]) -> float:
    """Anchors then ``mlsense check`` on ``path`` (``n`` statements), one line each in
    ``out``; mlsense's CPU seconds."""
    runs = {name: [sys.executable, "-c", code, str(path)] for name, code in ANCHORS.items()}
    runs["mlsense check"] = [sys.executable, "-m", "mlsense", "check", "--exit-zero",
                             "--no-progress", str(path)]
    timed: dict[str, float] = {}
    for name, cmd in runs.items():  # the anchors first: the ratio needs libcst's time
        wall, cpu, rss, code = run_one(cmd)
        timed[name] = cpu
        note = "" if code == 0 else f"  exit {code}"
        extra = ""
        if name == "mlsense check":
            extra = f"  ({cpu / timed['libcst parse']:.2f}x libcst parse, CPU)"
        out.append(f"  {label:>10}  {name:<22}{wall:>8.2f}{cpu:>8.2f}{rss:>9.0f}  "
                   f"{cpu / n * 1e3:.3f} ms{extra}{note}")
        print(out[-1], flush=True)
    return timed["mlsense check"]


def generate_real(n: int) -> Path | None:
    """A long notebook made of real code: pytorch/examples ``mnist/main.py`` (its imports,
    classes and functions once) followed by the statements of its ``main()`` body at top level,
    repeated until ``n`` statements, each copy's assigned names suffixed with the copy's number
    (``model_12``) so that no two statements are the same text. None without the corpus
    (``bash bench/public_corpus.sh``)."""
    if not MNIST.exists():
        return None
    path = WORK / f"mnist{n}.py"
    if path.exists():
        return path
    src = MNIST.read_text(encoding="utf-8")
    tree = ast.parse(src)
    main = next(s for s in tree.body if isinstance(s, ast.FunctionDef) and s.name == "main")
    lines = src.splitlines(keepends=True)
    head = "".join(lines[: main.lineno - 1])
    body = textwrap.dedent("".join(lines[main.body[0].lineno - 1: main.body[-1].end_lineno]))
    names = set({t.id for t in ast.walk(ast.parse(body))
                    if isinstance(t, ast.Name) and isinstance(t.ctx, ast.Store)})
    copies, count = [head], len(main.body)
    for k in range(max(1, n // count)):
        copies.append(_suffixed(body, names, f"_{k}"))
    WORK.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(copies), encoding="utf-8")
    return path


def _suffixed(code: str, names: set[str], suffix: str) -> str:
    """``code`` with each variable of ``names`` renamed (not attributes, not keywords)."""
    tokens = list(tokenize.generate_tokens(io.StringIO(code).readline))
    lines = code.splitlines(keepends=True)
    depth, edits = 0, []
    for i, tok in enumerate(tokens):
        if tok.type == tokenize.OP and tok.string in "([{":
            depth += 1
        elif tok.type == tokenize.OP and tok.string in ")]}":
            depth -= 1
        elif tok.type == tokenize.NAME and tok.string in names:
            after = tokens[i + 1].string if i + 1 < len(tokens) else ""
            before = tokens[i - 1].string if i else ""
            if before != "." and not (depth and after == "="):
                edits.append(tok.end)
    for line, col in reversed(edits):
        lines[line - 1] = lines[line - 1][:col] + suffix + lines[line - 1][col:]
    return "".join(lines)


ANCHORS = {
    "ast.parse": "import ast, sys; ast.parse(open(sys.argv[1]).read())",
    "libcst parse": "import libcst, sys; libcst.parse_module(open(sys.argv[1]).read())",
}


async def lsp_edits(path: Path, edits: int = 20) -> dict[str, float]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "mlsense", "serve", stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL, limit=2**26)
    client = LspClient(proc)
    try:
        await client.request("initialize", {"processId": os.getpid(), "rootUri": None,
                                            "capabilities": {}}, 60)
        client.notify("initialized", {})
        uri = path.resolve().as_uri()
        lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
        sent = time.perf_counter()
        client.notify("textDocument/didOpen", {"textDocument": {
            "uri": uri, "languageId": "python", "version": 1, "text": "".join(lines)}})
        at, _ = await client.next_diagnostics(uri, 120)
        opened = at - sent
        await asyncio.sleep(0.2)
        latencies = []
        for k in range(edits):  # the first statement after the import: x0 = torch.zeros(k)
            new = f"x0 = torch.zeros({k + 2})\n"
            client.drain()
            sent = time.perf_counter()
            client.notify("textDocument/didChange", {
                "textDocument": {"uri": uri, "version": k + 2},
                "contentChanges": [{"range": {"start": {"line": 1, "character": 0},
                                              "end": {"line": 2, "character": 0}},
                                    "text": new}]})
            at, _ = await client.next_diagnostics(uri, 60)
            latencies.append(at - sent)
            await asyncio.sleep(0.1)
        latencies.sort()
        return {"open": opened, "p50": statistics.median(latencies),
                "p95": latencies[max(0, round(0.95 * len(latencies)) - 1)],
                "rss": rss_mb(proc.pid) or float("nan")}
    finally:
        await client.close()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="5000,20000,50000")
    ap.add_argument("--out", type=Path)
    args = ap.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT,
                            capture_output=True, text=True).stdout.strip()
    out = [f"mlsense scale benchmark  {time.strftime('%Y-%m-%d %H:%M')}  commit {commit}",
           f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
           f"{platform.python_version()}, load average at start {os.getloadavg()[0]:.2f}",
           "files: `import torch` + N x `x{i} = torch.zeros({i % 7 + 1})`, one core each", "",
           f"  {'statements':>10}  {'tool':<22}{'wall s':>8}{'CPU s':>8}{'peak MB':>9}  "
           "per statement (CPU)"]
    walls: dict[int, float] = {}
    for n in sizes:
        walls[n] = measure(generate(n), n, f"{n:,}", out)
    if len(sizes) > 1:
        a, b = sizes[0], sizes[1]
        out += ["", f"  CPU time ratio {b:,} / {a:,} statements: {walls[b] / walls[a]:.2f}  "
                f"(linear: {b / a:.2f}; target <= {1.25 * b / a:.2f})"]
    big = sizes[-1]
    others = [("gen + a device move", generate_moved(big)),
              ("mnist main() copies", generate_real(big))]
    out += ["", f"Other files of {big:,} statements (what a long notebook may hold):",
            "  gen + a device move: the same file ending in `x0.cuda()`, so the device-flow "
            "walk runs (it parses x0's statement and the move: rules/flow/relevance.py)",
            "  mnist main() copies: real code, pytorch/examples mnist/main.py, its main() body "
            "repeated at top level with renamed variables (generate_real)"]
    for label, path in others:
        if path is not None:
            measure(path, big, label, out)
    out += ["", "Normalisation to the issue's machine: the code the issue measured (before the "
            "persistent-map flow) took",
            "  14.8 s here for the 5,000-statement file where the issue measured 7.5 s: this "
            "machine is ~2.0x slower,",
            "  so the issue's <= 10 s for 50,000 statements is ~20 s of CPU here (target kept "
            "here: <= 15 s)."]
    lsp = asyncio.run(lsp_edits(generate(5000)))
    out += ["", "LSP, 5,000-statement document (mlsense serve, debounce 50 ms):",
            f"  open -> diagnostics {lsp['open'] * 1e3:.0f} ms; edit of the first statement -> "
            f"diagnostics p50 {lsp['p50'] * 1e3:.0f} ms / p95 {lsp['p95'] * 1e3:.0f} ms "
            f"(20 edits); RSS {lsp['rss']:.0f} MB"]
    text = "\n".join(out) + "\n"
    print("\n".join(out[-4:]))
    if args.out:
        args.out.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
