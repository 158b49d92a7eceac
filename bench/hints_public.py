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

import libcst as cst

from mlsense.analyzers.engine import DocumentAnalyzer
from mlsense.analyzers.semantics.hints import file_facts, file_hints
from mlsense.analyzers.semantics.modules import chunk_classes
from mlsense.analyzers.semantics.sequential import chunk_models
from mlsense.analyzers.walk import iter_nodes

ROOT = Path(__file__).resolve().parents[1]


def _row(name: str, c: collections.Counter[str]) -> str:
    return (f"  {name:<36}{c['models']:>7}{c['elements']:>9}{c['shape']:>7}{c['params']:>7}"
            f"{c['no input']:>9}{c['classes']:>9}{c['layers']:>8}{c['layer params']:>7}"
            f"{c['forward']:>8}{c['forward shape']:>7}{c['applied']:>8}{c['applied shape']:>7}")


def _forward_statements(cls: cst.ClassDef) -> set[int]:
    """ids of the small statements at the top level of ``forward`` / ``call``."""
    body = cls.body.body if isinstance(cls.body, cst.IndentedBlock) else ()
    for stmt in body:
        if isinstance(stmt, cst.FunctionDef) and stmt.name.value in ("forward", "call") \
                and isinstance(stmt.body, cst.IndentedBlock):
            return {id(small) if isinstance(s, cst.SimpleStatementLine) else id(s)
                    for s in stmt.body.body
                    for small in (s.body if isinstance(s, cst.SimpleStatementLine) else [s])}
    return set()


def _applications(module: cst.Module) -> set[int]:
    """ids of the assignments outside classes whose value applies a layer built in place
    (``x = layers.Dense(64)(x)``), at module level or in a top-level function."""
    out = set()
    for stmt in module.body:
        if isinstance(stmt, cst.ClassDef):
            continue
        for node in iter_nodes([stmt]):
            if isinstance(node, cst.Assign) and isinstance(node.value, cst.Call) \
                    and isinstance(node.value.func, cst.Call):
                out.add(id(node))
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("corpus", nargs="?", type=Path, default=ROOT / "bench" / ".work" / "public")
    ap.add_argument("--out", type=Path)
    args = ap.parse_args()
    rows = [f"mlsense inlay-hint coverage on public code  {time.strftime('%Y-%m-%d %H:%M')}", "",
            f"  {'repository':<36}{'models':>7}{'elements':>9}{'shape':>7}{'params':>7}"
            f"{'no input':>9}{'classes':>9}{'layers':>8}{'params':>7}{'forward':>8}"
            f"{'shape':>7}{'applied':>8}{'shape':>7}"]
    totals: collections.Counter[str] = collections.Counter()
    for repo in sorted(p for p in args.corpus.iterdir() if p.is_dir()):
        c: collections.Counter[str] = collections.Counter()
        for path in sorted(repo.rglob("*.py")):
            text = path.read_text(encoding="utf-8", errors="replace")
            if "Sequential" not in text and "Module" not in text and "Model" not in text \
                    and "layers" not in text:
                continue
            analyzer = DocumentAnalyzer(str(path))
            analyzer.analyze(text)
            parse = analyzer.last_parse
            if parse is None:
                continue
            chunks = [c for c, _ in parse.chunks]
            bindings, inputs, definitions = file_facts(parse)
            hinted = {id(h.node) for h in file_hints(parse) if h.shapes}
            for chunk in chunks:
                if chunk.module is not None and "(" in chunk.text:
                    applied = _applications(chunk.module)
                    c["applied"] += len(applied)
                    c["applied shape"] += len(applied & hinted)
                for cls in chunk_classes(chunk, parse.imports, bindings, inputs, definitions):
                    c["classes"] += 1
                    c["layers"] += len(cls.layers)
                    c["layer params"] += sum(p is not None for _, p in cls.layers.values())
                    forward = _forward_statements(cls.node)
                    c["forward"] += len(forward)
                    c["forward shape"] += len(forward & {id(s.node) for s in cls.statements})
                if chunk.module is None or "Sequential" not in chunk.text:
                    continue
                for model in chunk_models(chunk, parse.imports, inputs):
                    c["models"] += 1
                    c["no input"] += model.input is None
                    for layer in model.layers:
                        c["elements"] += 1
                        c["shape"] += layer.shape is not None
                        c["params"] += layer.params is not None
        totals.update(c)
        rows.append(_row(repo.name, c))
    rows.append(_row("all", totals))
    rows += ["", "Sequential: models written out, their elements, elements with a shape / a "
             "parameter count, models whose input is unknown.",
             "nn.Module / keras.Model classes: classes, layers assigned in __init__ (with a "
             "parameter count), statements of forward's / call's top level (with a shape).",
             "applied: assignments outside classes that apply a layer built in place "
             "(x = layers.Dense(64)(x)), with a shape."]
    text = "\n".join(rows) + "\n"
    sys.stdout.write(text)
    if args.out:
        args.out.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
