"""Translation benchmark: translate + verify every bench model, both directions, plus nobuco.

    .venv/bin/python bench/translate_bench.py [--device cpu|cuda|all] [--no-nobuco]
                                              [--out bench/results/translate.txt]

For each file in bench/models/torch (-> Keras) and bench/models/keras (-> PyTorch): translate in
this process (pure Python), verify in one warm worker, and print model, direction, translated?,
verified?, max abs error, ONNX agreement and the times. Then the cold / warm timings of the seed
examples, and nobuco (the reference PyTorch -> Keras converter) on the torch half side by side
with mlsense: bench/nobuco_compare.py run in nobuco's own Keras 2 venv
bench/.work/venv-nobuco-tf215 (create it with bash bench/setup_nobuco.sh; see --nobuco-python).
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
from mlsense.translators.verify import VerificationWorker, start_workers, verify_translation

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


def _cpu(worker: VerificationWorker) -> float:
    """CPU seconds of this process and of the worker's live processes (Linux /proc)."""
    total = time.process_time()
    for pid in worker.pids().values():
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def seed_timings() -> list[str]:
    """Cold (fresh worker: process start + imports) and warm translate+verify of each seed, as
    the front ends run them: the worker's process is started first (``start_workers``), then
    the file is translated while it imports. Wall and CPU (this process + the worker)."""
    lines = []
    for path, to in SEEDS:
        times: list[tuple[float, float]] = []
        cold: dict[str, float] = {}
        worker = VerificationWorker()
        try:
            for _ in range(3):
                start, cpu = time.perf_counter(), _cpu(worker)
                if not times:
                    start_workers(worker)
                translation = translate(path.read_text(), to, filename=str(path))
                report = verify_translation(str(path), translation, worker=worker)
                times.append((time.perf_counter() - start, _cpu(worker) - cpu))
                assert report.verified, report.message
                cold = cold or report.per_device[0].timings
        finally:
            worker.close()
        warm = min(times[1:])
        lines.append(f"{path.name:<22} -> {to:<8} cold {times[0][0]:5.2f}s wall / "
                     f"{times[0][1]:5.2f}s CPU (worker imports {cold.get('import_s', 0):.2f}s "
                     f"wall / {cold.get('import_cpu_s', 0):.2f}s CPU)   warm {warm[0]:5.2f}s "
                     f"wall / {warm[1]:5.2f}s CPU (best of 2; CPU includes the worker's)")
    return lines


NOBUCO_VENVS = [WORK / "venv-nobuco-tf215", WORK / "venv-nobuco"]  # Keras 2 first, then Keras 3
NOBUCO_NOTE = ("nobuco emits a traced Keras graph, not source ({lam} of the {total} Keras layers it "
               "built are TFOpLambda/SlicingOpLambda); mlsense emits Keras source and proves it "
               "by running both models.")


def nobuco_python() -> Path:
    """The first nobuco venv's python that exists (the Keras 2 one from bench/setup_nobuco.sh)."""
    for venv in NOBUCO_VENVS:
        if (venv / "bin" / "python").exists():
            return venv / "bin" / "python"
    return NOBUCO_VENVS[0] / "bin" / "python"


def run_nobuco(jobs: list[dict], python: Path) -> dict:
    """bench/nobuco_compare.py on the jobs in nobuco's venv: {env, rows}, {import_error} or {fail}."""
    WORK.mkdir(parents=True, exist_ok=True)
    jobs_file, out = WORK / "nobuco_jobs.json", WORK / "nobuco_result.json"
    jobs_file.write_text(json.dumps(jobs, indent=1), encoding="utf-8")
    out.unlink(missing_ok=True)
    proc = subprocess.run([str(python), str(ROOT / "bench" / "nobuco_compare.py"), "--jobs",
                           str(jobs_file), "--json", str(out)],
                          capture_output=True, text=True, timeout=1800)
    if not out.exists():
        return {"fail": f"nobuco_compare.py failed (rc {proc.returncode}): {proc.stderr[-600:]}"}
    return json.loads(out.read_text(encoding="utf-8"))


def side_by_side(rows: list[Row], result: dict) -> list[str]:
    """Per torch model: mlsense (translated / verified / err / time) next to nobuco."""
    theirs = {r["model"]: r for r in result["rows"]}
    head = (f"{'model':<20} | {'mlsense: transl.':<16} {'verified':<8} {'max err':<9} "
            f"{'time':>6} | {'nobuco: converted':<17} {'max err':<9} {'time':>6}")
    lines = [f"side by side on the PyTorch -> Keras models, atol 1e-4 "
             f"(nobuco venv: {result['env']})", head, "-" * len(head)]
    mine = [r for r in rows if r.direction == "torch->keras"]

    def err(value: float | None) -> str:
        return "-" if value is None else f"{value:.2e}"

    for r in mine:
        n = theirs.get(r.model, {"ok": False, "error": "not run (mlsense did not translate it)"})
        n_time = "-" if n.get("convert_s") is None else f"{n['convert_s']:.2f}s"
        lines.append(f"{r.model:<20} | {'yes' if r.translated else 'NO':<16} "
                     f"{'yes' if r.verified else 'NO':<8} {err(r.max_abs):<9} "
                     f"{r.translate_s + r.verify_s:>5.2f}s | {'yes' if n['ok'] else 'NO':<17} "
                     f"{err(n.get('max_abs')):<9} {n_time:>6}")
    lines += [f"  ! nobuco {m}: {n['error']}" for m, n in theirs.items() if n.get("error")]
    n_ok, total = sum(bool(theirs.get(r.model, {}).get("ok")) for r in mine), len(mine)
    m_ok = sum(r.verified for r in mine)
    lines += [f"success share: mlsense verified {m_ok}/{total} ({100 * m_ok / total:.0f}%), "
              f"nobuco converted within atol {n_ok}/{total} ({100 * n_ok / total:.0f}%)",
              "time: mlsense = translate + verify (warm worker: build both models, copy weights, "
              "compare, ONNX leg); nobuco = pytorch_to_keras incl. its own per-node validation, "
              "imports excluded",
              NOBUCO_NOTE.format(lam=sum(n.get("lambda_layers", 0) for n in theirs.values()),
                                 total=sum(n.get("layers", 0) for n in theirs.values()))]
    return lines


def nobuco_section(rows: list[Row], jobs: list[dict], python: Path) -> list[str]:
    """Run nobuco on the torch models in its own venv; the exact error if it cannot run."""
    setup = "bash bench/setup_nobuco.sh builds the Keras 2 venv (" \
            f"{NOBUCO_VENVS[0].relative_to(ROOT)}) the comparison needs"
    if not python.exists():
        return [f"nobuco: not run, {python} does not exist; {setup}"]
    result = run_nobuco(jobs, python)
    if "fail" in result:
        return [f"nobuco: {result['fail']}"]
    if "import_error" in result:
        return ["nobuco 0.17.0 cannot run with Keras 3 (keras 3.15.1, tensorflow-cpu 2.21.0):",
                f"  {result['import_error']}", f"  at {result['where']}",
                "  (nobuco imports Keras 2 internals; TF >= 2.16 ships Keras 3, so nobuco "
                f"needs TF <= 2.15 + Keras 2: {setup})"]
    return side_by_side(rows, result)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; exit 1 unless every model translates and verifies."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda", "all"])
    parser.add_argument("--no-nobuco", action="store_true")
    parser.add_argument("--no-seeds", action="store_true", help="skip the cold/warm seed timings")
    parser.add_argument("--nobuco-python", type=Path, default=None,
                        help="default: the first of bench/.work/venv-nobuco-tf215, venv-nobuco")
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
        lines += [""] + nobuco_section(rows, jobs, args.nobuco_python or nobuco_python())
    text = "\n".join(lines) + "\n"
    print(text)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text)
    return 0 if all(r.translated and r.verified for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
