"""Dropout that runs at inference too, made the same on both sides for the comparison
(verify/models.py ``FixedNoise``): ``keras.random.dropout`` and ``F.dropout(training=True)`` /
``torch.dropout`` take their keep mask from the same seeded arrays while a model runs; torch's
dropout with training off, and ``nn.Dropout`` in eval mode, stay the identity. Real torch and
Keras runs: in process for the masks, in the worker for verified translations."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from mlsense.translators import Translation, translate
from mlsense.translators.verify import VerificationReport, VerificationWorker, verify_translation
from mlsense.translators.verify.models import FixedNoise

pytestmark = pytest.mark.slow
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "translate" / "noise"
MASKS_FIXED = "dropout masks in forward"


@pytest.fixture(scope="module")
def frameworks() -> tuple[object, object]:
    keras = pytest.importorskip("keras")
    torch = pytest.importorskip("torch")
    return torch, keras


def test_both_sides_drop_the_same_units(frameworks) -> None:
    torch, keras = frameworks
    x = np.random.default_rng(3).standard_normal((4, 50)).astype(np.float32)
    noise = FixedNoise(torch, keras, seed=7)
    fn = torch.nn.functional
    t_out = noise.run(lambda: [fn.dropout(torch.from_numpy(x), 0.4),
                               torch.dropout(torch.from_numpy(x), 0.4, True)], "torch")
    k_out = noise.run(lambda: [keras.random.dropout(keras.ops.convert_to_tensor(x), 0.4, seed=1)
                               for _ in range(2)], "keras")
    for k, (t, k_tensor) in enumerate(zip(t_out, k_out, strict=True)):
        kept = np.random.default_rng(7 + 1000 + k).random(x.shape) >= 0.4  # the k-th draw
        expected = np.where(kept, x / 0.6, 0.0)
        np.testing.assert_allclose(t.numpy(), expected, rtol=1e-6, atol=1e-6)
        np.testing.assert_allclose(keras.ops.convert_to_numpy(k_tensor), expected, rtol=1e-6,
                                   atol=1e-6)
        assert 0.2 < 1 - kept.mean() < 0.6
    assert not np.array_equal(t_out[0].numpy(), t_out[1].numpy())  # the second is a new draw
    assert fn.dropout is not None and keras.random.dropout.__module__.startswith("keras")
    assert noise.note() is not None and MASKS_FIXED in noise.note()


def test_dropout_off_stays_the_identity(frameworks) -> None:
    torch, keras = frameworks
    x = torch.randn(3, 20)
    layer = torch.nn.Dropout(0.5).eval()
    noise = FixedNoise(torch, keras, seed=0)
    out = noise.run(lambda: [torch.nn.functional.dropout(x, 0.5, training=False),
                             torch.nn.functional.dropout(x, 0.5, False),
                             torch.dropout(x, 0.5, False), layer(x)], "torch")
    for y in out:
        assert torch.equal(y, x)
    assert noise.note() is None and noise.count == 0  # nothing drawn


def _translated(source: Path, to: str, select: str, shape: tuple[int, ...],
                worker: VerificationWorker) -> Translation:
    return translate(source.read_text(encoding="utf-8"), to, class_name=select,
                     input_shape=shape, filename=str(source), run_code=to == "keras",
                     worker=worker)


def _verify(source: Path, tr: Translation, worker: VerificationWorker) -> VerificationReport:
    return verify_translation(str(source), tr, source_text=source.read_text(encoding="utf-8"),
                              worker=worker, onnx=False, training=False)


@pytest.fixture(scope="module")
def worker() -> Iterator[VerificationWorker]:
    with VerificationWorker(idle_timeout=0) as pool:
        yield pool


KERAS_SOURCE = FIXTURES / "keras_custom_dropout.py"
TORCH_SOURCE = FIXTURES / "torch_functional_dropout.py"


def test_keras_dropout_in_call_verifies_in_torch(worker) -> None:
    tr = _translated(KERAS_SOURCE, "pytorch", "MyModel", (12,), worker)
    # the custom layer is a torch class of its own; its forward drops whatever the mode
    assert "F.dropout(inputs, self.rate, training=True)" in tr.target_code
    assert "self.dp = MyDropout(0.5)" in tr.target_code
    report = _verify(KERAS_SOURCE, tr, worker)
    assert report.verified, report.message
    assert report.max_abs_error is not None and report.max_abs_error <= 1e-4
    assert any(MASKS_FIXED in n for n in report.notes)


@pytest.mark.parametrize(("old", "new"), [
    # another rate: other units dropped, the kept ones scaled otherwise
    ("MyDropout(0.5)", "MyDropout(0.4)"),
    # a draw before the dropout: the mask is the next seeded array, not the Keras side's
    ("F.dropout(", "F.dropout(0 * torch.rand(1) + ")])
def test_masks_that_differ_fail_the_comparison(worker, old, new) -> None:
    tr = _translated(KERAS_SOURCE, "pytorch", "MyModel", (12,), worker)
    assert old in tr.target_code
    tr.target_code = tr.target_code.replace(old, new)
    report = _verify(KERAS_SOURCE, tr, worker)
    assert not report.verified
    assert report.max_abs_error is not None and report.max_abs_error > 1e-2


KERAS_TRAINING = """

x = np.random.random((64, 12))
y = np.random.random((64, 4))
model = MyModel()
model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.05), loss="mse")
model.fit(x, y, batch_size=16, epochs=2)
"""


def test_training_check_runs_with_the_same_masks(tmp_path, worker) -> None:
    source = KERAS_SOURCE.read_text(encoding="utf-8").replace(
        "import keras\n", "import keras\nimport numpy as np\n") + KERAS_TRAINING
    path = tmp_path / "custom_dropout_training.py"
    path.write_text(source, encoding="utf-8")
    tr = _translated(path, "pytorch", "MyModel", (12,), worker)
    assert "MyDropout(0.5)" in tr.target_code and "optimizer.step()" in tr.target_code
    report = verify_translation(str(path), tr, source_text=source, worker=worker, onnx=False)
    assert report.verified, report.message
    training = report.training
    assert training is not None and training.ran and training.verified, training
    assert training.torch_loss[0] != training.torch_loss[2]  # the weights did move
    assert not any("switched off" in n for n in training.notes)  # the custom layer kept its rate
    assert any(MASKS_FIXED in n for n in training.notes)


# The traced PyTorch -> Keras path writes F.dropout(..., training=True) as keras.random.dropout;
# the same line at another rate must fail the comparison.
KERAS_DROPOUT = "keras.random.dropout(relu, {rate}, seed=self.seed_generator)"


@pytest.mark.parametrize(("rate", "verified"), [(0.4, True), (0.6, False)])
def test_torch_functional_dropout_against_keras_random_dropout(worker, rate, verified) -> None:
    tr = _translated(TORCH_SOURCE, "keras", "Net", (12,), worker)
    assert KERAS_DROPOUT.format(rate=0.4) in tr.target_code
    assert "self.drop = layers.Dropout(0.3)" in tr.target_code  # eval mode: off on both sides
    tr.target_code = tr.target_code.replace(KERAS_DROPOUT.format(rate=0.4),
                                            KERAS_DROPOUT.format(rate=rate))
    report = _verify(TORCH_SOURCE, tr, worker)
    assert report.verified is verified, report.message
    assert report.max_abs_error is not None
    assert (report.max_abs_error <= 1e-4) is verified
    assert any(MASKS_FIXED in n for n in report.notes)
