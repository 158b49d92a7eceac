"""Training-check bench: translate each training script to the other framework and verify it.

Prints a table (script, direction, translated, forward verified, training verified, max errors,
seconds) and writes it to bench/results/training.txt. Run: .venv/bin/python bench/training_bench.py
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from mlsense.translators import TranslationError, translate
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


def main() -> None:
    header = ("script", "direction", "translated", "forward", "training", "fwd max abs",
              "train max weight", "train max loss diff", "left out (max err)", "verify s",
              "no-train s")
    rows = [header]
    with VerificationWorker(idle_timeout=600) as worker:
        for path in SCRIPTS:
            to = "keras" if "import torch" in path.read_text() else "pytorch"
            direction = f"{'keras' if to == 'pytorch' else 'pytorch'} -> {to}"
            try:
                tr = translate(path.read_text(), to)
            except TranslationError as exc:
                rows.append((path.name, direction, f"no: {exc}", *[""] * 8))
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
                         _left_out(tr_res), f"{t_full:.2f}", f"{t_plain:.2f}"))
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    text = "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()
                     for r in rows) + "\n"
    sys.stdout.write(text)
    out = ROOT / "bench" / "results" / "training.txt"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text)


if __name__ == "__main__":
    main()
