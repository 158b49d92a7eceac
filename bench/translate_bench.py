"""Translation benchmark: translate + verify every bench model, both directions, plus nobuco.

    .venv/bin/python bench/translate_bench.py [--device cpu|cuda|all] [--no-nobuco]
                                              [--out bench/results/translate.txt]

For each file in bench/models/torch (-> Keras) and bench/models/keras (-> PyTorch): translate in
this process (pure Python), verify in one warm worker, and print model, direction, translated?,
verified?, max abs error, ONNX agreement and the times. Then the cold / warm timings of the seed
examples, and nobuco (the reference PyTorch -> Keras converter) on the torch half, run from its
own venv bench/.work/venv-nobuco (see --nobuco-python).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from mlsense.translators import Translation, TranslationError, translate
from mlsense.translators.verify import VerificationWorker, verify_translation

ROOT = Path(__file__).resolve().parents[1]
MODELS = ROOT / "bench" / "models"
WORK = ROOT / "bench" / ".work"
SEEDS = [(ROOT / "examples" / "torch_regression.py", "keras"),
         (ROOT / "examples" / "keras_regression.py", "pytorch")]


@dataclass
class Row:
    """One model's outcome."""

    model: str
    direction: str
    translated: bool = False
    verified: bool = False
    max_abs: float | None = None
    onnx: str = "-"
    translate_s: float = 0.0
    verify_s: float = 0.0
    message: str = ""


def bench_files() -> list[tuple[Path, str]]:
    """Every bench model with its target framework."""
    files = [(p, "keras") for p in sorted((MODELS / "torch").glob("*.py"))]
    return files + [(p, "pytorch") for p in sorted((MODELS / "keras").glob("*.py"))]


def run_one(path: Path, to: str, worker: VerificationWorker,
            device: str) -> tuple[Row, Translation | None]:
    """Translate and verify one file; returns the row and the Translation (or None)."""
    row = Row(path.stem, "torch->keras" if to == "keras" else "keras->torch")
    source = path.read_text(encoding="utf-8")
    start = time.perf_counter()
    try:
        translation = translate(source, to, filename=str(path))
    except TranslationError as exc:
        row.translate_s = time.perf_counter() - start
        row.message = f"translation failed: {exc}"
        return row, None
    row.translate_s, row.translated = time.perf_counter() - start, True
    start = time.perf_counter()
    report = verify_translation(str(path), translation, device=device, worker=worker,
                                source_text=source, timeout=300)
    row.verify_s = time.perf_counter() - start
    row.verified, row.max_abs = report.verified, report.max_abs_error
    if report.onnx is not None:
        row.onnx = "agrees" if report.onnx.get("agrees") else (
            "differs" if report.onnx.get("exported") else "no export")
    if not report.verified:
        row.message = report.message
    return row, translation


def table(rows: list[Row]) -> list[str]:
    """The results as fixed-width text lines."""
    head = f"{'model':<26} {'direction':<13} {'transl.':<8} {'verified':<9} {'max abs err':<12}" \
           f" {'onnx':<10} {'translate':>9} {'verify':>7}"
    lines = [head, "-" * len(head)]
    for r in rows:
        err = "-" if r.max_abs is None else f"{r.max_abs:.2e}"
        lines.append(f"{r.model:<26} {r.direction:<13} {'yes' if r.translated else 'NO':<8} "
                     f"{'yes' if r.verified else 'NO':<9} {err:<12} {r.onnx:<10} "
                     f"{r.translate_s * 1000:>7.0f}ms {r.verify_s:>6.2f}s")
    for r in rows:
        if r.message:
            lines.append(f"  ! {r.model} ({r.direction}): {r.message[:400]}")
    return lines


def shares(rows: list[Row]) -> list[str]:
    """Translated / verified shares, overall and per direction."""
    lines = []
    for label in ("torch->keras", "keras->torch", "all"):
        sub = [r for r in rows if label == "all" or r.direction == label]
        if sub:
            n_t, n_v = sum(r.translated for r in sub), sum(r.verified for r in sub)
            lines.append(f"{label:<13} translated {n_t}/{len(sub)} ({100 * n_t / len(sub):.0f}%)"
                         f"   verified {n_v}/{len(sub)} ({100 * n_v / len(sub):.0f}%)")
    return lines


def seed_timings() -> list[str]:
    """Cold (fresh worker: process start + imports) and warm translate+verify of each seed."""
    lines = []
    for path, to in SEEDS:
        with VerificationWorker() as worker:
            times: list[float] = []
            cold: dict[str, float] = {}
            for _ in range(3):
                start = time.perf_counter()
                translation = translate(path.read_text(), to, filename=str(path))
                report = verify_translation(str(path), translation, worker=worker)
                times.append(time.perf_counter() - start)
                assert report.verified, report.message
                cold = cold or report.per_device[0].timings
        rest = times[0] - cold.get("import_s", 0.0)
        lines.append(f"{path.name:<22} -> {to:<8} cold {times[0]:5.2f}s (worker imports "
                     f"{cold.get('import_s', 0):.2f}s wall / {cold.get('import_cpu_s', 0):.2f}s "
                     f"CPU, rest {rest:.2f}s)   warm {min(times[1:]):5.2f}s (best of 2)")
    return lines


NOBUCO_DRIVER = r'''
import json, os, sys, time, traceback
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, sys.argv[1])  # translators/ (extract.py is pure Python)
from extract import extract_definitions
jobs = json.load(sys.stdin)
try:
    import numpy as np
    import torch
    import nobuco
    from nobuco import ChannelOrder
    import keras
    env = f"nobuco {getattr(nobuco, '__version__', '?')}, keras {keras.__version__}"
except Exception as exc:
    print(json.dumps({"import_error": f"{type(exc).__name__}: {exc}",
                      "where": traceback.format_exc().strip().splitlines()[-3].strip()}))
    sys.exit(0)
out = []
for job in jobs:
    row = {"model": job["model"]}
    try:
        ns = {"__name__": "nobuco_bench"}
        src = open(job["path"]).read()
        exec(compile(extract_definitions(src).module, job["path"], "exec"), ns)
        model = eval(job["source_model"], ns).eval()
        rng = np.random.default_rng(0)
        args = [torch.from_numpy(rng.integers(0, s["vocab"] or 2, (2, *s["shape"])))
                if s["dtype"].startswith("int") else
                torch.from_numpy(rng.standard_normal((2, *s["shape"])).astype("float32"))
                for s in job["inputs"]]
        start = time.perf_counter()
        k = nobuco.pytorch_to_keras(model, args=args, inputs_channel_order=ChannelOrder.TORCH,
                                    outputs_channel_order=ChannelOrder.TORCH)
        row["convert_s"] = time.perf_counter() - start
        with torch.no_grad():
            ref = model(*args)
        ref = ref if isinstance(ref, (list, tuple)) else [ref]
        got = k([a.numpy() for a in args])
        got = got if isinstance(got, (list, tuple)) else [got]
        row["max_abs"] = max(float(np.abs(np.asarray(g) - r.numpy()).max())
                             for g, r in zip(got, ref))
        row["ok"] = row["max_abs"] < 1e-4
    except Exception as exc:
        row["error"] = f"{type(exc).__name__}: {str(exc)[:200]}"
    out.append(row)
print(json.dumps({"env": env, "rows": out}))
'''


def nobuco_section(jobs: list[dict], python: Path) -> list[str]:
    """Run nobuco on the torch models in its own venv; the exact error if it cannot run."""
    if not python.exists():
        return [f"nobuco: not run, {python} does not exist (create it: python3 -m venv "
                f"bench/.work/venv-nobuco && bench/.work/venv-nobuco/bin/pip install -c "
                f"constraints.txt torch==2.13.0 tensorflow-cpu==2.21.0 keras==3.15.1 nobuco)"]
    WORK.mkdir(parents=True, exist_ok=True)
    driver = WORK / "nobuco_driver.py"
    driver.write_text(NOBUCO_DRIVER)
    proc = subprocess.run([str(python), str(driver), str(ROOT / "translators")],
                          input=json.dumps(jobs), capture_output=True, text=True, timeout=1800)
    last = (proc.stdout.strip().splitlines() or ["{}"])[-1]
    try:
        result = json.loads(last)
    except json.JSONDecodeError:
        return [f"nobuco: driver failed (rc {proc.returncode}): {proc.stderr[-600:]}"]
    if "import_error" in result:
        return ["nobuco 0.17.0 cannot run with Keras 3 (keras 3.15.1, tensorflow-cpu 2.21.0):",
                f"  {result['import_error']}", f"  at {result['where']}",
                "  (nobuco imports Keras 2 internals; TF >= 2.16 ships Keras 3, so nobuco "
                "needs TF <= 2.15 + Keras 2)"]
    lines = [f"nobuco ({result['env']}) on the torch->keras models:"]
    ok = 0
    for row in result["rows"]:
        ok += bool(row.get("ok"))
        detail = row.get("error") or f"max abs err {row['max_abs']:.2e}, {row['convert_s']:.2f}s"
        lines.append(f"  {row['model']:<26} {'yes' if row.get('ok') else 'NO':<4} {detail}")
    lines.append(f"nobuco verified {ok}/{len(result['rows'])}")
    return lines


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; exit 1 unless every model translates and verifies."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda", "all"])
    parser.add_argument("--no-nobuco", action="store_true")
    parser.add_argument("--no-seeds", action="store_true", help="skip the cold/warm seed timings")
    parser.add_argument("--nobuco-python", type=Path,
                        default=WORK / "venv-nobuco" / "bin" / "python")
    parser.add_argument("--out", type=Path, help="also write the output to this file")
    args = parser.parse_args(argv)
    lines = [f"mlsense translation benchmark  (device {args.device}, {os.cpu_count()} CPUs, "
             f"load average {os.getloadavg()[0]:.1f} at start)", ""]
    rows, jobs = [], []
    start = time.perf_counter()
    with VerificationWorker() as worker:
        for path, to in bench_files():
            row, translation = run_one(path, to, worker, args.device)
            print(f"{row.model:<26} {row.direction} verified={row.verified}", file=sys.stderr)
            rows.append(row)
            if to == "keras" and translation is not None:
                jobs.append({"model": row.model, "path": str(path),
                             "source_model": translation.source_model,
                             "inputs": [s.as_dict() for s in translation.inputs]})
    lines += table(rows) + [""] + shares(rows)
    lines.append(f"total {time.perf_counter() - start:.1f}s with one warm worker")
    if not args.no_seeds:
        lines += ["", "seed examples, translate + verify (cpu, incl. ONNX leg):"] + seed_timings()
    if not args.no_nobuco:
        lines += [""] + nobuco_section(jobs, args.nobuco_python)
    text = "\n".join(lines) + "\n"
    print(text)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text)
    return 0 if all(r.translated and r.verified for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
