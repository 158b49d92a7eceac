"""The training check of ``--verify``: the same batches through both sides' loss and optimizer,
1 and 3 steps, losses and updated weights compared (real torch and Keras runs in the worker)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from mlsense.translators import translate
from mlsense.translators.verify import VerificationWorker, verify_translation

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("training_verify")]
ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"


@pytest.fixture(scope="module")
def worker() -> Iterator[VerificationWorker]:
    with VerificationWorker(idle_timeout=600) as shared:
        yield shared


@pytest.mark.parametrize(("seed", "to"), [("torch_regression.py", "keras"),
                                          ("keras_regression.py", "pytorch")])
def test_seed_translations_train_the_same(seed: str, to: str,
                                          worker: VerificationWorker) -> None:
    path = EXAMPLES / seed
    report = verify_translation(str(path), translate(path.read_text(), to), worker=worker,
                                onnx=False)
    assert report.verified, report.message
    training = report.training
    assert training is not None and training.ran and training.verified, training
    assert [s["step"] for s in training.steps] == [1, 3]
    assert len(training.torch_loss) == len(training.keras_loss) == 3
    for t, k in zip(training.torch_loss, training.keras_loss, strict=True):
        assert abs(t - k) <= 1e-4 + 1e-3 * abs(t)
    assert training.max_weight_error is not None and training.max_weight_error < 1e-4
    assert training.torch_loss[0] != training.torch_loss[1]  # the weights did move
    section = report.as_dict()["training"]
    assert section["verified"] and section["atol"] == 1e-4 and section["rtol"] == 1e-3
    assert "training: verified over 3 steps" in report.message


def _with_lr(code: str, old: str, new: str) -> str:
    assert old in code, code
    return code.replace(old, new)


def test_changed_learning_rate_in_keras_target_fails(worker: VerificationWorker) -> None:
    path = EXAMPLES / "torch_regression.py"
    tr = translate(path.read_text(), "keras")
    tr.target_code = _with_lr(tr.target_code, "learning_rate=0.01", "learning_rate=0.02")
    report = verify_translation(str(path), tr, worker=worker, onnx=False)
    assert report.per_device[0].verified  # the forward pass still agrees
    assert not report.verified and report.message.startswith("NOT verified")
    training = report.training
    assert training is not None and not training.verified
    assert training.torch_loss[0] == pytest.approx(training.keras_loss[0], abs=1e-5)  # same start
    assert training.max_weight_error is not None and training.max_weight_error > 1e-3
    assert "training: FAILED" in report.message and "fc.weight" in report.message


def test_changed_adam_epsilon_in_torch_target_fails(worker: VerificationWorker) -> None:
    path = EXAMPLES / "keras_regression.py"
    tr = translate(path.read_text(), "pytorch")
    # a gross epsilon (Keras' 1e-7 -> 1.0) shrinks every Adam update; 1e-8 would not show
    tr.target_code = _with_lr(tr.target_code, "eps=1e-7", "eps=1.0")
    report = verify_translation(str(path), tr, worker=worker, onnx=False)
    assert report.per_device[0].verified and not report.verified
    assert report.training is not None and not report.training.verified
    assert report.training.max_weight_error is not None
    assert report.training.max_weight_error > 1e-4


def test_untranslated_training_code_fails_the_check(worker: VerificationWorker) -> None:
    path = EXAMPLES / "keras_regression.py"
    tr = translate(path.read_text(), "pytorch")
    start = tr.target_code.index("loss_fn = ")
    tr.target_code = tr.target_code[:start]  # the translation lost its training code
    report = verify_translation(str(path), tr, worker=worker, onnx=False)
    assert not report.verified and report.training is not None
    assert "has no training code" in report.training.message


def test_no_training_code_means_no_training_section(tmp_path: Path,
                                                    worker: VerificationWorker) -> None:
    source = tmp_path / "model_only.py"
    text = (EXAMPLES / "torch_regression.py").read_text()
    source.write_text(text[:text.index("criterion = ")])
    report = verify_translation(str(source), translate(source.read_text(), "keras"),
                                worker=worker, onnx=False)
    assert report.verified and report.training is not None and not report.training.ran
    assert "training" not in report.message


def test_cli_prints_the_training_check() -> None:
    proc = subprocess.run([sys.executable, "-m", "mlsense", "translate",
                           str(EXAMPLES / "keras_regression.py"), "--to", "pytorch", "--verify"],
                          capture_output=True, text=True, cwd=ROOT, timeout=280)
    assert proc.returncode == 0, proc.stderr[-3000:]
    line = next(x for x in proc.stderr.splitlines() if x.startswith("training check:"))
    assert "verified over 3 steps" in line and "max weight error" in line


FIXTURES = sorted((ROOT / "tests" / "fixtures" / "translate" / "training").glob("*.py"))


def test_optimizer_defaults_and_betas_follow_torch() -> None:
    """RMSprop's alpha (0.99) is Keras' rho (0.9 by default), its eps moves inside the root;
    Adam's betas are beta_1 / beta_2."""
    src = (FIXTURES[0].parent / "torch_rmsprop_adam_betas.py").read_text()
    code = translate(src, "keras").target_code
    assert "keras.optimizers.RMSprop(learning_rate=0.01, rho=0.99, epsilon=1e-16)" in code
    adam = src.replace("torch.optim.RMSprop(model.parameters(), lr=0.01)",
                       "torch.optim.Adam(model.parameters(), lr=0.01, betas=(0.8, 0.95))")
    assert "keras.optimizers.Adam(learning_rate=0.01, beta_1=0.8, beta_2=0.95, epsilon=1e-08)" \
        in translate(adam, "keras").target_code


def test_adamw_keeps_torch_weight_decay() -> None:
    code = translate((FIXTURES[0].parent / "torch_classifier_ce.py").read_text(),
                     "keras").target_code
    assert "keras.optimizers.AdamW(learning_rate=0.01, weight_decay=0.01" in code
