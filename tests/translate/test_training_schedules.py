"""Schedulers, callbacks, losses and optimizer traps in training-code translation (issue 13):
what each direction emits, and that the training check catches each trap when it is undone
(real torch / Keras runs in one warm worker)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from mlsense.translators import translate
from mlsense.translators.verify import VerificationWorker, verify_translation

FIXTURES = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "translate" / "training"


def _code(name: str) -> str:
    src = (FIXTURES / name).read_text()
    return translate(src, "keras" if name.startswith("torch_") else "pytorch").target_code


def test_torch_schedulers_per_batch_become_keras_schedules() -> None:
    assert ("learning_rate=keras.optimizers.schedules.CosineDecay(0.01, decay_steps=70, "
            "alpha=0.0001 / 0.01)") in _code("torch_regression_huber_cosine.py")
    multi = _code("torch_nll_logsoftmax_multistep.py")
    # torch has passed milestone m after m steps: Keras' boundary is one step earlier
    assert ("PiecewiseConstantDecay(boundaries=[2 - 1, 20 - 1], values=[0.1 * 0.5 ** 0, "
            "0.1 * 0.5 ** 1, 0.1 * 0.5 ** 2])") in multi
    onecycle = _code("torch_gru_regression_onecycle.py")
    assert "class OneCycleSchedule(keras.optimizers.schedules.LearningRateSchedule):" in onecycle
    assert "learning_rate=OneCycleSchedule(0.1, 50)" in onecycle


def test_torch_schedulers_per_epoch_become_a_callback() -> None:
    code = _code("torch_gru_text_classifier.py")
    assert "keras.callbacks.LearningRateScheduler(lambda epoch: 0.1 * 0.9 ** epoch)" in code
    step = _code("torch_binary_bce_steplr_epoch.py")
    assert "LearningRateScheduler(lambda epoch: 0.05 * 0.5 ** (epoch // 2))" in step
    assert "# TODO(mlsense): SGD momentum under a changing learning rate" in step


def test_one_cycle_momentum_cycling_is_marked_not_dropped() -> None:
    src = (FIXTURES / "torch_gru_regression_onecycle.py").read_text().replace(
        ",\n                                                cycle_momentum=False)", ")")
    tr = translate(src, "keras")
    assert "# TODO(mlsense): OneCycleLR option cycle_momentum" in tr.target_code
    assert any("cycle_momentum" in n for n in tr.notes)


def test_torch_early_stopping_pattern_becomes_callbacks() -> None:
    code = _code("torch_multiclass_early_stopping.py")
    assert ("validation_data=(x_val, y_val), callbacks=[keras.callbacks.EarlyStopping("
            'monitor="val_loss", patience=patience), keras.callbacks.ModelCheckpoint('
            '"best.weights.h5"') in code


def test_keras_callbacks_and_schedules_become_loop_code() -> None:
    code = _code("keras_binary_auc_exponential_decay.py")
    assert "scheduler = torch.optim.lr_scheduler.ExponentialLR(optimizer, gamma=0.8 ** (1 / 5))" \
        in code
    assert "        optimizer.step()\n        scheduler.step()\n" in code
    assert "    if val_loss.item() < best_loss:" in code and "        if wait >= 2:" in code
    assert "auc = " in code and "TODO" not in code
    restore = _code("keras_binary_logits_smoothing_restore.py")
    assert "    if epoch_loss < best_loss - 0.001:" in restore
    assert "model.load_state_dict(best_state)  # restore_best_weights=True" in restore
    assert "yb.view_as(pred) * (1 - 0.1) + 0.1 / 2" in restore  # binary label smoothing
    lr_cb = _code("keras_gru_text_lr_scheduler.py")
    assert '        group["lr"] = schedule(epoch, group["lr"])' in lr_cb


def test_losses_keep_their_options() -> None:
    assert "loss=keras.losses.Huber(delta=0.5)" in _code("torch_regression_huber_cosine.py")
    assert "label_smoothing=0.1)" in _code("torch_label_smoothing_validation.py")
    assert "nn.HuberLoss(delta=2.0)" in _code("keras_gru_regression_piecewise.py")
    assert "nn.CrossEntropyLoss(label_smoothing=0.1)" in _code(
        "keras_onehot_label_smoothing_adamw.py")
    assert 'nn.KLDivLoss(reduction="batchmean")' in _code("keras_kl_divergence_targets.py")
    weighted = _code("keras_class_weight_imbalanced.py")
    assert ("train_loss_fn = nn.CrossEntropyLoss(weight=torch.tensor([1.0, 3.0, 6.0]), "
            'reduction="none")') in weighted
    assert "loss = train_loss_fn(pred, yb.reshape(-1)).mean()" in weighted


@pytest.mark.parametrize(("loss", "why"), [
    ("nn.CrossEntropyLoss(weight=torch.ones(3))", "divides by the sum of the weights"),
    ("nn.MSELoss(reduction='sum')", "reduction='sum' of MSELoss"),
    ("nn.SmoothL1Loss(beta=0.5)", "SmoothL1Loss(beta) is not translated"),
])
def test_untranslatable_loss_options_are_marked(loss: str, why: str) -> None:
    src = (FIXTURES / "torch_classifier_ce.py").read_text().replace("nn.CrossEntropyLoss()", loss)
    tr = translate(src, "keras")
    assert any(why in n for n in tr.notes), tr.notes
    assert ".compile(" not in tr.target_code  # the loop is kept as TODO lines, not mistranslated


def test_keras_adam_weight_decay_is_adamw() -> None:
    code = _code("keras_onehot_label_smoothing_adamw.py")
    assert "torch.optim.AdamW(model.parameters(), lr=0.004, weight_decay=0.01, eps=1e-7)" in code


@pytest.fixture(scope="module")
def worker() -> Iterator[VerificationWorker]:
    with VerificationWorker(idle_timeout=600) as shared:
        yield shared


def _verify(name: str, worker: VerificationWorker, source: str | None = None,
            old: str = "", new: str = "") -> str:
    path = FIXTURES / name
    tr = translate(source or path.read_text(), "keras" if name.startswith("torch_") else "pytorch")
    if old:
        assert old in tr.target_code, tr.target_code
        tr.target_code = tr.target_code.replace(old, new)
    report = verify_translation(str(path), tr, worker=worker, onnx=False, source_text=source)
    assert report.training is not None and report.training.ran
    return report.message if not report.verified else "verified"


@pytest.mark.slow
def test_the_check_catches_undone_traps(worker: VerificationWorker) -> None:
    # a per-batch schedule that changes the rate at step 2: a different gamma fails the check
    assert _verify("torch_nll_logsoftmax_multistep.py", worker, None,
                   "values=[0.1 * 0.5 ** 0, 0.1 * 0.5 ** 1",
                   "values=[0.1 * 0.5 ** 0, 0.1 * 0.9 ** 1").startswith("NOT verified")
    # torch Adam's weight_decay is L2 on the gradient: Keras' decoupled weight_decay fails
    assert "training: FAILED" in _verify(
        "torch_adam_l2_weight_decay.py", worker, None, "optimizer=AdamWithL2(l2=0.5, ",
        "optimizer=keras.optimizers.Adam(weight_decay=0.5, ")
    # the OneCycle rate follows torch's: a wrong peak fails
    assert "training: FAILED" in _verify("torch_gru_regression_onecycle.py", worker, None,
                                         "OneCycleSchedule(0.1, 50)", "OneCycleSchedule(0.2, 50)")


@pytest.mark.slow
def test_known_framework_gaps_are_marked_and_fail_the_check(worker: VerificationWorker) -> None:
    text = (FIXTURES / "torch_gru_text_classifier.py").read_text()
    adam = text.replace("torch.optim.SGD(model.parameters(), lr=0.1)",
                        "torch.optim.Adam(model.parameters(), lr=0.005)")
    tr = translate(adam, "keras")
    assert "# TODO(mlsense): Keras on TensorFlow keeps an Embedding's gradient sparse" in \
        tr.target_code
    assert "embed.weight" in _verify("torch_gru_text_classifier.py", worker, adam)
    lstm = text.replace("nn.GRU(16, 32, batch_first=True)", "nn.LSTM(16, 32, batch_first=True)")
    assert "# TODO(mlsense): torch's LSTM trains two bias vectors" in translate(
        lstm, "keras").target_code
    assert "bias_hh" in _verify("torch_gru_text_classifier.py", worker, lstm)


def test_loop_statements_fit_does_not_carry_are_marked() -> None:
    src = (FIXTURES / "torch_classifier_ce.py").read_text().replace(
        "        optimizer.step()\n",
        "        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)\n"
        "        optimizer.step()\n        total = loss.item()\n")
    tr = translate(src, "keras")
    [todo] = [line for line in tr.target_code.splitlines() if "not carried into fit()" in line]
    assert todo.endswith("torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)")
    assert any(n.startswith("line 29: training code not translated (not carried into fit())")
               for n in tr.notes), tr.notes  # the running loss is Keras' own log: not marked


def test_tf_data_pipelines_become_a_data_loader() -> None:
    code = _code("keras_tfdata_pipeline_regression.py")
    assert "loader = DataLoader(dataset, batch_size=16, shuffle=True)" in code
    assert "x_val, y_val = torch.as_tensor(Xv, dtype=torch.float32)" in code
    body = code.split('"""', 2)[2]  # after the docstring
    assert not any("tf." in line or "tensorflow" in line for line in body.splitlines()
                   if not line.lstrip().startswith("#"))  # no TensorFlow left
    src = (FIXTURES / "keras_tfdata_pipeline_regression.py").read_text()
    tr = translate(src.replace(".shuffle(200)", ".map(lambda a, b: (a, b))"), "pytorch")
    assert "# TODO(mlsense): the tf.data step .map() is not translated" in tr.target_code
    assert "for epoch in range(" not in tr.target_code
