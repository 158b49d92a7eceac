"""Engine benchmark: mlsense against its anchors on the same files, in the same run.

    bash bench/setup_anchors.sh                      # once: TorchFix, Fixit, pylsp venv
    .venv/bin/python bench/engine_bench.py           # committed corpus -> bench/results/engine.txt
    .venv/bin/python bench/engine_bench.py PATH --big PATH/to/big_file.py

Batch part (whole corpus): ast.parse, libcst parse, libcst + position & qualified-name metadata
(in-process baselines), TorchFix, Fixit, ``mlsense check -j1`` and ``-j2`` (CLIs, process start
included). One-core runs are pinned with ``taskset -c 0``. Each is timed in wall-clock and CPU
seconds (the children's user + sys): the machine may be shared, and CPU time is what a busy
machine does not inflate, so ratios use CPU time for one-core runs and wall time for the
j1 -> j2 speed-up. Server part (the biggest file): start -> initialize, open -> diagnostics,
one-line edit -> diagnostics p50/p95 and RSS for mlsense, the Fixit LSP and pylsp, plus the
engine alone (DocumentAnalyzer.analyze after one edit, no LSP, no debounce).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import engine_keystroke  # noqa: E402  (flat helper modules next to this script)
import lsp_latency  # noqa: E402

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
ANCHORS = HERE / ".work" / "venv-anchors" / "bin"
PY = sys.executable
SKIP_DIRS = {".git", ".venv", "venv", "__pycache__", "node_modules", ".tox", "build", "dist"}


@dataclass
class Timing:
    name: str
    wall_s: float | None
    cpu_s: float | None
    files: int
    lines: int
    note: str = ""

    def lines_per_s(self, cpu: bool = True) -> float | None:
        t = self.cpu_s if cpu else self.wall_s
        return self.lines / t if t else None


def python_files(corpus: Path) -> list[Path]:
    out: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(corpus):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS and not d.startswith("."))
        out.extend(Path(dirpath) / f for f in sorted(filenames) if f.endswith(".py"))
    return out


def count_lines(paths: list[Path]) -> int:
    return sum(p.read_bytes().count(b"\n") for p in paths)


def pin(cmd: list[str]) -> list[str]:
    """Pin a command to core 0 where taskset exists (one-core figures on a multi-core box)."""
    return ["taskset", "-c", "0", *cmd] if shutil.which("taskset") else cmd


def run_timed(cmd: list[str], timeout: float, stdin: str | None = None,
              cwd: Path | None = None) -> tuple[float, float, int, str]:
    """(wall s, CPU s of the process tree it waited for, exit code, stdout)."""
    start = time.perf_counter()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    proc = subprocess.run(cmd, input=stdin, capture_output=True, text=True, timeout=timeout,
                          cwd=cwd)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if proc.returncode not in (0, 1):
        sys.stderr.write(proc.stderr[-2000:])
    return wall, cpu, proc.returncode, proc.stdout


def baseline(mode: str, name: str, paths: list[Path], timeout: float) -> Timing:
    """An in-process baseline, timed inside the child (interpreter start excluded)."""
    listing = "\n".join(str(p) for p in paths)
    _, _, rc, out = run_timed(pin([PY, str(HERE / "engine_parse.py"), mode]), timeout, listing)
    if rc != 0 or not out.strip():
        return Timing(name, None, None, len(paths), 0, f"failed (exit {rc})")
    data = json.loads(out.strip().splitlines()[-1])
    note = f"{data['failures']} files failed to parse" if data["failures"] else ""
    return Timing(name, data["wall_s"], data["cpu_s"], data["files"], data["lines"], note)


def cli(name: str, cmd: list[str], files: int, lines: int, timeout: float,
        note: str = "") -> Timing:
    try:
        wall, cpu, rc, out = run_timed(cmd, timeout)
    except FileNotFoundError:
        return Timing(name, None, None, files, lines, "not installed (bash bench/setup_anchors.sh)")
    except subprocess.TimeoutExpired:
        return Timing(name, None, None, files, lines, f"timed out after {timeout:.0f} s")
    if rc not in (0, 1):
        return Timing(name, wall, cpu, files, lines, f"exit code {rc}")
    return Timing(name, wall, cpu, files, lines, note)


def batch(corpus: Path, paths: list[Path], lines: int, timeout: float, anchors: bool
          ) -> list[Timing]:
    n = len(paths)
    out = [
        baseline("ast", "ast.parse", paths, timeout),
        baseline("libcst", "libcst parse", paths, timeout),
        baseline("metadata", "libcst + metadata", paths, timeout),
    ]
    if anchors:
        out.append(cli("TorchFix 0.7 (-j1)", pin([str(ANCHORS / "torchfix"), "-j", "1",
                                                   str(corpus)]), n, lines, timeout,
                       "checks only files that import torch"))
        out.append(cli("Fixit 2.2 lint", pin([str(ANCHORS / "fixit"), "lint", str(corpus)]),
                       n, lines, timeout, "default rules"))
    out.append(baseline("engine", "mlsense engine only", paths, timeout))
    check = [PY, "-m", "mlsense", "check", "--select", "ALL", "--exit-zero", "--no-progress",
             "--no-respect-gitignore", "--output-format", "json", str(corpus)]
    out.append(cli("mlsense check -j1", pin(check[:4] + ["-j", "1"] + check[4:]), n, lines,
                   timeout, "--select ALL"))
    out.append(cli("mlsense check -j2", check[:4] + ["-j", "2"] + check[4:], n, lines, timeout,
                   "--select ALL, 2 processes"))
    return out


def format_batch(rows: list[Timing]) -> list[str]:
    by = {r.name: r for r in rows}
    lines = ["  tool                      wall s    CPU s   lines/s (CPU)  note"]
    for r in rows:
        wall = f"{r.wall_s:8.2f}" if r.wall_s is not None else "     n/a"
        cpu = f"{r.cpu_s:8.2f}" if r.cpu_s is not None else "     n/a"
        lps = r.lines_per_s()
        rate = f"{lps:13,.0f}" if lps else "          n/a"
        lines.append(f"  {r.name:<24}{wall} {cpu} {rate}  {r.note}")
    j1, j2 = by.get("mlsense check -j1"), by.get("mlsense check -j2")
    ratios = []

    def ratio(label: str, a: Timing | None, b: Timing | None, target: str) -> None:
        if a and b and a.cpu_s and b.cpu_s:
            ratios.append(f"  {label:<46}{b.cpu_s / a.cpu_s:7.2f}x   target {target}")

    ratio("mlsense check -j1 speed vs TorchFix (CPU)", j1, by.get("TorchFix 0.7 (-j1)"), ">= 10x")
    ratio("mlsense check -j1 speed vs Fixit (CPU)", j1, by.get("Fixit 2.2 lint"), "-")
    if j1 and j1.cpu_s and by["libcst parse"].cpu_s:
        ratios.append(f"  {'mlsense check -j1 time / libcst parse (CPU)':<46}"
                      f"{j1.cpu_s / by['libcst parse'].cpu_s:7.2f}x   target <= 3x")
    eng = by.get("mlsense engine only")
    if eng and eng.cpu_s and by["libcst parse"].cpu_s:
        ratios.append(f"  {'engine only time / libcst parse (CPU)':<46}"
                      f"{eng.cpu_s / by['libcst parse'].cpu_s:7.2f}x   (CLI start-up excluded)")
    if j1 and j2 and j1.wall_s and j2.wall_s:
        ratios.append(f"  {'speed-up -j1 -> -j2 (wall)':<46}{j1.wall_s / j2.wall_s:7.2f}x"
                      f"   target ~2x (needs an otherwise idle machine)")
    if j1 and j2 and j1.cpu_s and j2.cpu_s:
        ratios.append(f"  {'CPU of -j2 / CPU of -j1 (parallel overhead)':<46}"
                      f"{j2.cpu_s / j1.cpu_s:7.2f}x   ~1.0 = no duplicated work")
    return lines + ["", *ratios]


def servers(big: Path, edits: int, anchor_edits: int, anchors: bool, timeout: float
            ) -> list[str]:
    runs: list[tuple[str, list[str], int, dict | None, str]] = [
        ("mlsense serve", [PY, "-m", "mlsense", "serve"], edits, None, "50 ms (default)"),
        ("mlsense serve, no deb.", [PY, "-m", "mlsense", "serve"], edits, {"debounceMs": 0},
         "0 ms"),
    ]
    if anchors:
        runs += [("Fixit LSP", [str(ANCHORS / "fixit"), "lsp"], anchor_edits, None, "500 ms"),
                 ("pylsp", [str(ANCHORS / "pylsp")], anchor_edits, None, "500 ms (lint)")]
    out = [lsp_latency.HEADER]
    for name, cmd, n, opts, debounce in runs:
        res = asyncio.run(lsp_latency.measure(name, cmd, big, edits=n, timeout=timeout,
                                              init_options=opts))
        out.append(lsp_latency.format_result(res, debounce) + f"  ({n} edits)")
    return out


def compile_bytecode() -> str:
    """Compile mlsense's modules to ``__pycache__`` first, as an install does: where
    PYTHONDONTWRITEBYTECODE is set (this machine) every CLI start would otherwise compile ~60
    modules from source (~0.2 s CPU) while the anchors, installed by pip, load bytecode."""
    package = [ROOT / "__init__.py", ROOT / "__main__.py", ROOT / "analyzers", ROOT / "server",
               ROOT / "translators"]
    proc = subprocess.run([PY, "-m", "compileall", "-q", *map(str, package)],
                          capture_output=True, text=True)
    state = "compiled first, as an install does" if proc.returncode == 0 else \
        f"compileall failed (exit {proc.returncode}): start-up includes compiling"
    return f"bytecode: mlsense's modules {state}"


def header(corpus: Path, paths: list[Path], lines: int, big: Path) -> list[str]:
    rev = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
                         capture_output=True, text=True).stdout.strip()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    big_lines = big.read_bytes().count(b"\n")
    return [
        f"mlsense engine benchmark  {time.strftime('%Y-%m-%d %H:%M')}  commit {rev}",
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, load average at start {load:.2f}",
        f"corpus: {corpus}  {len(paths)} files, {lines:,} lines",
        f"big file: {big} ({big_lines:,} lines)",
    ]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("corpus", nargs="?", type=Path, default=HERE / "corpus")
    ap.add_argument("--big", type=Path, help="file opened in the servers (default: largest)")
    ap.add_argument("--edits", type=int, default=30, help="one-line edits for mlsense")
    ap.add_argument("--anchor-edits", type=int, default=5, help="edits for Fixit / pylsp")
    ap.add_argument("--no-anchors", action="store_true", help="skip TorchFix, Fixit, pylsp")
    ap.add_argument("--no-batch", action="store_true")
    ap.add_argument("--no-servers", action="store_true")
    ap.add_argument("--timeout", type=float, default=900, help="per tool, seconds")
    ap.add_argument("--output", type=Path, help="also write the report here (default: "
                    "bench/results/engine.txt for the committed corpus)")
    args = ap.parse_args(argv)
    corpus = args.corpus.resolve()
    paths = python_files(corpus)
    if not paths:
        ap.error(f"no .py files under {corpus}")
    big = (args.big or max(paths, key=lambda p: p.stat().st_size)).resolve()
    lines = count_lines(paths)
    anchors = not args.no_anchors and (ANCHORS / "torchfix").exists()
    report = header(corpus, paths, lines, big)
    report.append(compile_bytecode())
    if not anchors and not args.no_anchors:
        report.append("anchors: not installed -- run bash bench/setup_anchors.sh")
    print("\n".join(report), flush=True)

    def section(title: str, body: list[str]) -> None:
        block = ["", title, *body]
        print("\n".join(block), flush=True)
        report.extend(block)

    corpus_parse: float | None = None
    if not args.no_batch:
        rows = batch(corpus, paths, lines, args.timeout, anchors)
        corpus_parse = next((r.cpu_s for r in rows if r.name == "libcst parse"), None)
        section("== whole corpus (one core unless noted) ==", format_batch(rows))
    if not args.no_servers:
        section("== engine alone on the big file (DocumentAnalyzer, in process) ==",
                engine_keystroke.report(big, args.edits, corpus_parse))
        section(f"== language servers on {big.name} ==",
                servers(big, args.edits, args.anchor_edits, anchors, timeout=60))
    output = args.output or (HERE / "results" / "engine.txt"
                             if corpus == (HERE / "corpus").resolve() else None)
    if output is not None:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text("\n".join(report) + "\n", encoding="utf-8")
        print(f"\nwritten to {output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
