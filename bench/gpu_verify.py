"""Verify the seed examples and every bench model on a GPU machine.

    .venv/bin/python bench/gpu_verify.py [--device cuda|all|cpu] [--models PATTERN]

``cuda``: torch on CUDA with TF32 off, Keras on its torch backend, and on JAX where jax is
installed (each backend in its own worker process). ``all`` adds the CPU leg (Keras on
TensorFlow). Without a GPU the cuda legs are reported as skipped. Prints one line per model and
leg: verified?, max abs error, time; exits 1 if any leg that ran failed.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from mlsense.translators import TranslationError, translate
from mlsense.translators.verify import VerificationWorker, verify_translation

ROOT = Path(__file__).resolve().parents[1]


def targets(pattern: str) -> list[tuple[Path, str]]:
    """Seeds first, then the bench models (torch -> keras, keras -> pytorch)."""
    files = [(ROOT / "examples" / "torch_regression.py", "keras"),
             (ROOT / "examples" / "keras_regression.py", "pytorch")]
    files += [(p, "keras") for p in sorted((ROOT / "bench/models/torch").glob(pattern))]
    files += [(p, "pytorch") for p in sorted((ROOT / "bench/models/keras").glob(pattern))]
    return files


def main(argv: list[str] | None = None) -> int:
    """Run every target on ``--device`` and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cuda",
                        help="cpu | cuda | all | DEVICE/KERAS_BACKEND (cpu/torch, cuda/jax)")
    parser.add_argument("--models", default="*.py", help="glob over bench model file names")
    parser.add_argument("--timeout", type=float, default=300.0)
    args = parser.parse_args(argv)
    print(f"{'model':<28} {'dir':<4} {'leg':<18} {'result':<9} {'max abs err':<12} {'time':>6}")
    failed = ran = 0
    with VerificationWorker() as worker:
        for path, to in targets(args.models):
            name, arrow = f"{path.parent.name}/{path.stem}", "t2k" if to == "keras" else "k2t"
            try:
                translation = translate(path.read_text(), to, filename=str(path))
            except TranslationError as exc:
                print(f"{name:<28} {arrow:<4} {'-':<18} {'NO TRANS':<9} {exc}")
                failed += 1
                continue
            start = time.perf_counter()
            report = verify_translation(str(path), translation, device=args.device,
                                        worker=worker, timeout=args.timeout, onnx=False)
            took = time.perf_counter() - start
            for leg in report.per_device:
                state = "skipped" if leg.skipped else ("ok" if leg.verified else "FAILED")
                err = "-" if leg.max_abs_error is None else f"{leg.max_abs_error:.2e}"
                print(f"{name:<28} {arrow:<4} {leg.device + '/' + leg.backend:<18} {state:<9} "
                      f"{err:<12} {took:>5.1f}s" + ("" if leg.verified else f"  {leg.message}"))
                ran += not leg.skipped
                failed += not leg.skipped and not leg.verified
    print(f"\n{ran} legs ran, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
