"""The training check on a model that takes an RNN state besides its data
(``forward(input, hidden)``, the state from ``init_hidden``): the state inputs keep their whole
shape, grouped specs are packed into the ``(h, c)`` tuple on both sides, and Keras trains the
model through a wrapper taking the packed arguments. Real torch and Keras runs in the worker."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from mlsense.translators import Translation, translate
from mlsense.translators.verify import VerificationReport, VerificationWorker, verify_translation
from mlsense.translators.verify.recipe import PRED, find_recipe

pytestmark = pytest.mark.slow
FIXTURE = (Path(__file__).resolve().parents[1] / "fixtures" / "translate" / "training_state"
           / "torch_lstm_lm_state.py")

# The traced translation (run_code) writes the model only, not the script's training code; this
# is the Keras training the loop translates to (NLLLoss on log-probabilities: sparse
# cross-entropy from logits, whose log-softmax leaves log-probabilities unchanged).
KERAS_TRAINING = '''

import numpy as np

data = np.random.randint(0, 40, (35, 20))
state = np.zeros((2, 20, 6), dtype="float32")
model = RNNModel()
model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.5),
              loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
model.fit([data[:5], (state, state)], data[1:6].reshape(-1), epochs=2)
'''


@pytest.fixture(scope="module")
def worker() -> Iterator[VerificationWorker]:
    with VerificationWorker(idle_timeout=0) as pool:
        yield pool


def _translated(tmp_path: Path, worker: VerificationWorker,
                batch_first: bool) -> tuple[str, Path, Translation]:
    source = FIXTURE.read_text(encoding="utf-8")
    if batch_first:
        source = source.replace("nn.LSTM(ninp, nhid, nlayers, bias=False)",
                                "nn.LSTM(ninp, nhid, nlayers, bias=False, batch_first=True)")
    path = tmp_path / "word_lm.py"
    path.write_text(source, encoding="utf-8")
    tr = translate(source, "keras", class_name="RNNModel", input_shape=(5,), filename=str(path),
                   run_code=True, worker=worker)
    assert "def call(self, input_1, hidden):" in tr.target_code
    state = [s.as_dict() for s in tr.inputs[1:]]
    assert [(s["whole"], s["group"]) for s in state] == [(True, 1), (True, 1)]
    tr.target_code += KERAS_TRAINING
    return source, path, tr


def _verify(source: str, path: Path, tr: Translation,
            worker: VerificationWorker) -> VerificationReport:
    return verify_translation(str(path), tr, source_text=source, worker=worker, onnx=False)


def test_the_prediction_is_the_first_of_a_tuple_the_model_returns() -> None:
    recipe = find_recipe(FIXTURE.read_text(encoding="utf-8"), "pytorch", "RNNModel")
    assert recipe is not None and recipe.model_var == "model"
    assert recipe.loss == f"criterion({PRED}, targets)"


@pytest.mark.parametrize("batch_first", [False, True])
def test_a_model_taking_a_state_trains_the_same(tmp_path, worker, batch_first) -> None:
    report = _verify(*_translated(tmp_path, worker, batch_first), worker)
    assert report.verified, report.message
    training = report.training
    assert training is not None and training.ran and training.verified, training
    assert [s["step"] for s in training.steps] == [1, 3]
    for t, k in zip(training.torch_loss, training.keras_loss, strict=True):
        assert abs(t - k) <= 1e-4 + 1e-3 * abs(t)
    assert training.torch_loss[0] != training.torch_loss[2]  # the weights did move
    assert training.max_weight_error is not None and training.max_weight_error < 1e-4


def test_a_changed_learning_rate_fails_the_check_with_a_state(tmp_path, worker) -> None:
    source, path, tr = _translated(tmp_path, worker, batch_first=True)
    tr.target_code = tr.target_code.replace("learning_rate=0.5", "learning_rate=0.2")
    report = _verify(source, path, tr, worker)
    assert report.per_device[0].verified  # the forward pass still agrees
    assert not report.verified and "training: FAILED" in report.message
    training = report.training
    assert training is not None and training.ran and not training.verified
    assert training.torch_loss[0] == pytest.approx(training.keras_loss[0], abs=1e-5)
    assert training.max_weight_error is not None and training.max_weight_error > 1e-3
