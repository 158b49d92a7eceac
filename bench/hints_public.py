"""Inlay-hint coverage on public code (bench/public_corpus.sh extracts it into
bench/.work/public): per repository, the ``nn.Sequential`` / ``keras.Sequential`` models
written out in the source, their elements, and how many get a shape and a parameter count.

    .venv/bin/python bench/hints_public.py [CORPUS] [--out bench/results/hints.txt]
"""

from __future__ import annotations

import argparse
import collections
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT.parent))

from mlsense.analyzers.engine import DocumentAnalyzer  # noqa: E402
from mlsense.analyzers.semantics.sequential import sequential_models  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("corpus", nargs="?", type=Path, default=ROOT / "bench" / ".work" / "public")
    ap.add_argument("--out", type=Path)
    args = ap.parse_args()
    rows = [f"mlsense inlay-hint coverage on public code  {time.strftime('%Y-%m-%d %H:%M')}", "",
            f"  {'repository':<36}{'models':>7}{'elements':>9}{'shape':>7}{'params':>7}"
            f"{'no input':>9}"]
    totals: collections.Counter[str] = collections.Counter()
    for repo in sorted(p for p in args.corpus.iterdir() if p.is_dir()):
        c: collections.Counter[str] = collections.Counter()
        for path in sorted(repo.rglob("*.py")):
            text = path.read_text(encoding="utf-8", errors="replace")
            if "Sequential" not in text:
                continue
            analyzer = DocumentAnalyzer(str(path))
            analyzer.analyze(text)
            parse = analyzer.last_parse
            if parse is None:
                continue
            for chunk, _ in parse.chunks:
                if chunk.module is None or "Sequential" not in chunk.text:
                    continue
                for model in sequential_models(chunk.module, parse.imports.resolve, chunk.text):
                    c["models"] += 1
                    c["no input"] += model.input is None
                    for layer in model.layers:
                        c["elements"] += 1
                        c["shape"] += layer.shape is not None
                        c["params"] += layer.params is not None
        totals.update(c)
        rows.append(f"  {repo.name:<36}{c['models']:>7}{c['elements']:>9}{c['shape']:>7}"
                    f"{c['params']:>7}{c['no input']:>9}")
    rows.append(f"  {'all':<36}{totals['models']:>7}{totals['elements']:>9}{totals['shape']:>7}"
                f"{totals['params']:>7}{totals['no input']:>9}")
    text = "\n".join(rows) + "\n"
    sys.stdout.write(text)
    if args.out:
        args.out.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
