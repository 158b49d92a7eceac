"""The engine alone on one file, as the server drives it: a cold analysis, then one analysis
per one-line edit with a long-lived DocumentAnalyzer (unchanged statements reused)."""

from __future__ import annotations

import statistics
import time
from pathlib import Path

from lsp_latency import edit_lines


def measure(path: Path, edits: int) -> dict[str, float | int]:
    """Seconds for the cold analysis and each incremental one; every rule enabled."""
    from mlsense.analyzers import DocumentAnalyzer, config_from_mapping

    text = path.read_text(encoding="utf-8")
    config = config_from_mapping({"select": ["ALL"]})
    DocumentAnalyzer(None, config).analyze("import torch\n")  # imports, rule registry
    start, cpu0 = time.perf_counter(), time.process_time()
    analyzer = DocumentAnalyzer(str(path), config)
    findings = len(analyzer.analyze(text).findings)
    cold, cold_cpu = time.perf_counter() - start, time.process_time() - cpu0
    lines = text.splitlines(keepends=True)
    times, cpus = [], []
    for line_no, new_line in edit_lines(text, edits):
        old = lines[line_no]
        lines[line_no] = new_line + old[len(old.rstrip("\r\n")):]
        current = "".join(lines)
        t0, c0 = time.perf_counter(), time.process_time()
        analyzer.analyze(current)
        times.append(time.perf_counter() - t0)
        cpus.append(time.process_time() - c0)
    times.sort()
    cpus.sort()
    return {"cold_s": cold, "cold_cpu_s": cold_cpu, "findings": findings,
            "p50_s": statistics.median(times), "p95_s": _p95(times), "max_s": times[-1],
            "edits": len(times), "p50_cpu_s": statistics.median(cpus), "p95_cpu_s": _p95(cpus),
            "parse_cpu_s": parse_cpu(text)}


def parse_cpu(text: str, repeat: int = 3) -> float:
    """CPU seconds of one libcst parse of the whole file (best of ``repeat``): the anchor the
    edit times are divided by, since this machine's speed varies from day to day."""
    import libcst

    best = float("inf")
    for _ in range(repeat):
        c0 = time.process_time()
        libcst.parse_module(text)
        best = min(best, time.process_time() - c0)
    return best


def _p95(values: list[float]) -> float:
    return values[max(0, min(len(values) - 1, round(0.95 * len(values) + 0.5) - 1))]


# Session 3 (commit 752a831, 2026-11-21 13:31): edit p50 9.6 ms, libcst parse of the corpus
# 0.28 s (both wall; that run had no CPU column for edits and did not time the file's parse).
SESSION3_EDIT_OVER_CORPUS_PARSE = 0.0096 / 0.28


def report(path: Path, edits: int, corpus_parse_cpu: float | None = None) -> list[str]:
    """Lines for the benchmark report; ``corpus_parse_cpu``: libcst parse of the whole corpus
    measured in the same run (CPU s), for a ratio that compares across days."""
    m = measure(path, edits)
    ratios = [f"  edit p50 / libcst parse of this file (CPU)      {m['p50_cpu_s'] / m['parse_cpu_s']:7.1%}"
              f"  (parse {m['parse_cpu_s'] * 1000:.0f} ms CPU)"]
    if corpus_parse_cpu:
        ratios.append(f"  edit p50 / libcst parse of the corpus (CPU)    "
                      f"{m['p50_cpu_s'] / corpus_parse_cpu:7.1%}  (session 3: "
                      f"{SESSION3_EDIT_OVER_CORPUS_PARSE:.1%}, wall / wall)")
    return [
        f"  cold analysis (first version, {m['findings']} findings)   {m['cold_s'] * 1000:7.0f} ms"
        f"  (CPU {m['cold_cpu_s'] * 1000:.0f} ms)",
        f"  after a one-line edit, p50 / p95 / max      {m['p50_s'] * 1000:7.1f} / "
        f"{m['p95_s'] * 1000:.1f} / {m['max_s'] * 1000:.1f} ms  ({m['edits']} edits; CPU p50 / "
        f"p95 {m['p50_cpu_s'] * 1000:.1f} / {m['p95_cpu_s'] * 1000:.1f} ms)",
        *ratios,
    ]
