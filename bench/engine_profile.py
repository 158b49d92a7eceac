"""Profile the analysis engine on both of its paths; the numbers behind the report's advice.

    .venv/bin/python bench/engine_profile.py [CORPUS] [--big FILE] [--top 25]

1. Cost per rule family (no profiler, CPU time, best of 3): the corpus analysed with no rule
   enabled (parse + engine overhead), then with each family alone; the difference is the
   family's cost.
2. cProfile of the cold check (analyze_bytes over every file) and of the keystroke path (one
   DocumentAnalyzer, one-line edits of the big file), top functions by own and cumulative time.
cProfile inflates small-function-heavy code; use section 1 for absolute costs.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from engine_bench import python_files  # noqa: E402
from lsp_latency import edit_lines  # noqa: E402

from mlsense.analyzers import (  # noqa: E402
    DocumentAnalyzer,
    all_rules,
    analyze_bytes,
    config_from_mapping,
)
from mlsense.analyzers.registry import families  # noqa: E402


def _cpu(fn, repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        t0 = time.process_time()
        fn()
        best = min(best, time.process_time() - t0)
    return best


def family_costs(blobs: list[tuple[bytes, str]]) -> list[str]:
    """CPU seconds over the corpus with no rules, all rules, and each family alone."""
    def run(select: list[str]):
        config = config_from_mapping({"select": select})
        return lambda: [analyze_bytes(data, path, config) for data, path in blobs]

    # A selector matching nothing: only the engine's own codes stay (parse + overhead).
    base = _cpu(run(["MLS0"]))
    total = _cpu(run(["ALL"]))
    out = [f"  parse + engine, no rules (MLS0 only)   {base:6.3f} s",
           f"  every rule (ALL)                       {total:6.3f} s   rules add "
           f"{total - base:6.3f} s"]
    for fam in families():
        codes = [r.code for r in fam.rules]
        if not codes:
            continue
        cost = _cpu(run(codes)) - base
        out.append(f"  {fam.family or fam.__name__:<28} {fam.__base__.__name__:<11}"
                   f" +{cost:6.3f} s  ({', '.join(codes[:4])}{'...' if len(codes) > 4 else ''})")
    return out


def profile(fn, top: int) -> str:
    pr = cProfile.Profile()
    pr.enable()
    fn()
    pr.disable()
    buf = io.StringIO()
    st = pstats.Stats(pr, stream=buf)
    st.sort_stats("tottime").print_stats(top)
    st.sort_stats("cumulative").print_stats(top)
    return buf.getvalue()


def keystroke(big: Path, edits: int):
    text = big.read_text(encoding="utf-8")
    config = config_from_mapping({"select": ["ALL"]})
    analyzer = DocumentAnalyzer(str(big), config)
    analyzer.analyze(text)
    lines = text.splitlines(keepends=True)
    versions = []
    for line_no, new_line in edit_lines(text, edits):
        old = lines[line_no]
        lines[line_no] = new_line + old[len(old.rstrip("\r\n")):]
        versions.append("".join(lines))
    return lambda: [analyzer.analyze(v) for v in versions]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("corpus", nargs="?", type=Path, default=Path(__file__).parent / "corpus")
    ap.add_argument("--big", type=Path)
    ap.add_argument("--top", type=int, default=25)
    ap.add_argument("--edits", type=int, default=30)
    args = ap.parse_args()
    paths = python_files(args.corpus)
    big = args.big or max(paths, key=lambda p: p.stat().st_size)
    blobs = [(p.read_bytes(), str(p)) for p in paths]
    all_rules()
    analyze_bytes(b"import torch\n")  # imports and registry outside the measurements
    print(f"== cost per rule family, CPU s over {len(blobs)} files (best of 3) ==")
    print("\n".join(family_costs(blobs)))
    config = config_from_mapping({"select": ["ALL"]})
    print("\n== cProfile: cold check of the corpus ==")
    print(profile(lambda: [analyze_bytes(d, p, config) for d, p in blobs], args.top))
    print(f"\n== cProfile: {args.edits} one-line edits of {big.name} (DocumentAnalyzer) ==")
    print(profile(keystroke(big, args.edits), args.top))


if __name__ == "__main__":
    main()
