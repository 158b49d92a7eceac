"""Every bench model translates and verifies on CPU (one warm worker for the module)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from mlsense.translators import translate
from mlsense.translators.verify import VerificationWorker, verify_translation

pytestmark = pytest.mark.slow
MODELS = Path(__file__).resolve().parents[2] / "bench" / "models"
CASES = [(p, "keras") for p in sorted((MODELS / "torch").glob("*.py"))] + \
        [(p, "pytorch") for p in sorted((MODELS / "keras").glob("*.py"))]


@pytest.fixture(scope="module")
def worker() -> Iterator[VerificationWorker]:
    with VerificationWorker(idle_timeout=600) as shared:
        yield shared


def test_there_are_bench_models() -> None:
    assert sum(to == "keras" for _, to in CASES) >= 13
    assert sum(to == "pytorch" for _, to in CASES) >= 13


@pytest.mark.parametrize("path,to", CASES, ids=[f"{p.parent.name}/{p.stem}" for p, _ in CASES])
def test_bench_model_translates_and_verifies(path: Path, to: str,
                                            worker: VerificationWorker) -> None:
    source = path.read_text(encoding="utf-8")
    translation = translate(source, to, filename=str(path))
    assert translation.weight_map, "a bench model without weights proves nothing"
    report = verify_translation(str(path), translation, worker=worker, source_text=source,
                                timeout=240)
    assert report.verified, report.message
    assert report.max_abs_error is not None and report.max_abs_error < 1e-4
    if report.onnx and report.onnx.get("exported"):
        assert report.onnx["agrees"], report.onnx
