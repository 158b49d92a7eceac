"""Training-check bench: translate each training script to the other framework and verify it.

Prints a table (script, direction, translated, forward verified, training verified, max errors,
seconds, and the round trip: the translation translated back and training-checked against it)
and writes it to bench/results/training.txt, with the CPU seconds of the whole run.
Run: .venv/bin/python bench/training_bench.py
"""

from __future__ import annotations

import resource
import sys
import tempfile
import time
from pathlib import Path

from mlsense.translators import Translation, TranslationError, translate
from mlsense.translators.verify import TrainingResult, VerificationWorker, verify_translation

ROOT = Path(__file__).resolve().parents[1]
SCRIPTS = [ROOT / "examples" / "torch_regression.py", ROOT / "examples" / "keras_regression.py",
           *sorted((ROOT / "tests" / "fixtures" / "translate" / "training").glob("*.py"))]


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2e}"


def _left_out(result: TrainingResult | None) -> str:
    """Weights left out of the comparison after the last step (Adam's epsilon floor)."""
    last = result.steps[-1] if result is not None and result.steps else {}
    if not last.get("excluded"):
        return "0"
    return f"{last['excluded']} ({last['excluded_max_error']:.1e})"


def _round_trip(tr: Translation, worker: VerificationWorker, scratch: Path, name: str) -> str:
    """Translate the translation back and training-check the pair: the result and the number
    of TODO lines the way back wrote."""
    back = "keras" if tr.target_framework == "pytorch" else "pytorch"
    path = scratch / name
    path.write_text(tr.target_code)
    try:
        again = translate(tr.target_code, back, input_shape=tuple(tr.inputs[0].shape))
    except TranslationError as exc:
        return f"refused: {str(exc)[:60]}"
    todos = sum("TODO(mlsense)" in line for line in again.target_code.splitlines())
    rep = verify_translation(str(path), again, worker=worker, onnx=False)
    training = rep.training
    state = "trains the same" if rep.verified else (
        "training FAILED" if training and training.ran else "NOT verified")
    return f"{state}, {todos} TODO"


def main() -> None:
    header = ("script", "direction", "translated", "forward", "training", "fwd max abs",
              "train max weight", "train max loss diff", "left out (max err)", "verify s",
              "no-train s", "round trip")
    cpu0 = time.process_time() + resource.getrusage(resource.RUSAGE_CHILDREN).ru_utime
    wall0 = time.monotonic()
    scratch = Path(tempfile.mkdtemp(prefix="training_bench_"))
    rows = [header]
    with VerificationWorker(idle_timeout=600) as worker:
        for path in SCRIPTS:
            to = "keras" if "import torch" in path.read_text() else "pytorch"
            direction = f"{'keras' if to == 'pytorch' else 'pytorch'} -> {to}"
            try:
                tr = translate(path.read_text(), to)
            except TranslationError as exc:
                rows.append((path.name, direction, f"no: {exc}", *[""] * 9))
                continue
            verify_translation(str(path), tr, worker=worker, onnx=False)  # warm up
            t0 = time.monotonic()
            plain = verify_translation(str(path), tr, worker=worker, onnx=False, training=False)
            t_plain = time.monotonic() - t0
            t0 = time.monotonic()
            rep = verify_translation(str(path), tr, worker=worker, onnx=False)
            t_full = time.monotonic() - t0
            tr_res = rep.training
            loss_diff = max((abs(a - b) for a, b in zip(tr_res.torch_loss, tr_res.keras_loss,
                                                         strict=False)), default=None) \
                if tr_res and tr_res.ran else None
            rows.append((path.relative_to(ROOT).as_posix(), direction, "yes",
                         str(plain.verified), str(tr_res.verified) if tr_res and tr_res.ran
                         else "n/a", _fmt(rep.max_abs_error),
                         _fmt(tr_res.max_weight_error if tr_res else None), _fmt(loss_diff),
                         _left_out(tr_res), f"{t_full:.2f}", f"{t_plain:.2f}",
                         _round_trip(tr, worker, scratch, path.name)))
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    text = "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()
                     for r in rows) + "\n"
    passed = sum(r[4] == "True" for r in rows[1:])
    trips = sum(r[-1].startswith("trains the same") for r in rows[1:])
    cpu = time.process_time() + resource.getrusage(resource.RUSAGE_CHILDREN).ru_utime - cpu0
    text += (f"\n{len(rows) - 1} scripts: {passed} pass the training check, {trips} round trips "
             f"train the same; {time.monotonic() - wall0:.0f} s wall, {cpu:.0f} s CPU here and in "
             "finished children (the warm worker's own CPU is not counted)\n")
    sys.stdout.write(text)
    out = ROOT / "bench" / "results" / "training.txt"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text)


if __name__ == "__main__":
    main()
