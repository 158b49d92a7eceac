"""Training code around the model, both ways: evaluate / predict / fit options, and every
statement the translators do not recognise kept as a located, reported TODO (issue 13)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from mlsense.translators import translate

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
NEW_USER_LINE = 'print("final loss", model.evaluate(X, y, verbose=0))\n'

KERAS_SCRIPT = '''"""Keras training with everything a new user tries."""

import numpy as np
import keras
from keras import layers

X = np.random.rand(64, 6).astype("float32")
y = np.random.rand(64).astype("float32")

model = keras.Sequential([keras.Input((6,)), layers.Dense(8, activation="relu"), layers.Dense(1)])
model.compile(optimizer="adam", loss="mse", metrics=["mae"])
history = model.fit(X, y, epochs=3, batch_size=16, shuffle=False, verbose=0,
                    validation_split=0.25)
print("final", model.evaluate(X, y, verbose=0))
preds = model.predict(X)
print(history.history["loss"][-1])
model.trainable = False
cb = keras.callbacks.EarlyStopping(patience=2)
weights = model.get_weights()
'''

TORCH_SCRIPT = '''"""PyTorch training, evaluation and a few things Keras has no twin for."""

import torch
from torch import nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(6, 1)

    def forward(self, x):
        return self.fc(x)


x = torch.randn(64, 6)
y = torch.randn(64, 1)
model = Net()
criterion = nn.MSELoss()
optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
for epoch in range(3):
    optimizer.zero_grad()
    loss = criterion(model(x), y)
    loss.backward()
    optimizer.step()
model.eval()
with torch.no_grad():
    preds = model(x)
    final = criterion(preds, y)
print("final", final.item())
model.fc.weight.data.zero_()
torch.save(model.state_dict(), "weights.pt")
n_params = sum(p.numel() for p in model.parameters())
print(preds.argmax(1).float().mean())
'''


def _run(code: str, tmp_path: Path) -> str:
    path = tmp_path / "translated.py"
    path.write_text(code)
    proc = subprocess.run([sys.executable, str(path)], capture_output=True, text=True,
                          cwd=tmp_path, timeout=240)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout


def _marked(code: str, statement: str) -> str:
    """The TODO line that keeps ``statement`` (it must be there, as a comment)."""
    hits = [line for line in code.splitlines() if line.startswith("# TODO(mlsense): ")
            and line.endswith(statement)]
    assert len(hits) == 1, f"{statement!r} is not marked:\n{code}"
    return hits[0]


def test_keras_seed_with_evaluate_line_translates_evaluate() -> None:
    source = (EXAMPLES / "keras_regression.py").read_text() + NEW_USER_LINE
    tr = translate(source, "pytorch")
    code = tr.target_code
    assert "evaluate" not in code.replace("# ", "")  # no Keras method left on a torch model
    assert "with torch.no_grad():" in code and "evaluation = loss.item()" in code
    assert "print('final loss', evaluation)" in code
    assert 'print(f"epoch' in code  # fit had no verbose: one line per epoch as Keras prints
    ast.parse(code)


@pytest.mark.slow
def test_keras_script_translation_runs(tmp_path: Path) -> None:
    tr = translate(KERAS_SCRIPT, "pytorch")
    code = tr.target_code
    assert 'print(f"epoch' not in code  # fit(verbose=0)
    assert "DataLoader(dataset, batch_size=16, shuffle=False)" in code
    assert "split = int(len(x_all) * (1 - 0.25))" in code and "val_loss = loss_fn(" in code
    assert "evaluation = [loss.item(), mae.item()]" in code
    assert "preds = model(torch.as_tensor(X, dtype=torch.float32)).numpy()" in code
    out = _run(code, tmp_path)  # it trains, evaluates and predicts without a Keras call
    final = next(line for line in out.splitlines() if line.startswith("final"))
    assert len(ast.literal_eval(final.split(" ", 1)[1])) == 2  # [loss, mae] as Keras returns


def test_unrecognised_keras_lines_are_marked_and_reported() -> None:
    tr = translate(KERAS_SCRIPT, "pytorch")
    expected = {  # source line -> statement kept as a comment
        16: 'print(history.history["loss"][-1])',
        17: "model.trainable = False",
        18: "cb = keras.callbacks.EarlyStopping(patience=2)",
        19: "weights = model.get_weights()",
    }
    for line, statement in expected.items():
        todo = _marked(tr.target_code, statement)
        reason = todo[len("# TODO(mlsense): "):-len(statement) - 2]
        assert reason, todo
        assert any(n.startswith(f"line {line}: {reason}") for n in tr.notes), (line, tr.notes)
    partial = translate(KERAS_SCRIPT, "pytorch", partial=True)
    assert sorted(u.line for u in partial.unsupported) == sorted(expected)


def test_unrecognised_torch_lines_are_marked_and_reported() -> None:
    tr = translate(TORCH_SCRIPT, "keras")
    code = tr.target_code
    assert "preds = model.predict(x, verbose=0)" in code
    assert "final = model.evaluate(x, y, batch_size=len(x), verbose=0)" in code
    assert "print('final', final)" in code  # .item() of evaluate's float dropped
    assert "model.fit(x, y, epochs=3, batch_size=len(x), verbose=0)" in code
    expected = {
        31: "model.fc.weight.data.zero_()",
        32: "torch.save(model.state_dict(), 'weights.pt')",
        33: "n_params = sum((p.numel() for p in model.parameters()))",
        34: "print(preds.argmax(1).float().mean())",
    }
    for line, statement in expected.items():
        _marked(code, statement)
        assert any(n.startswith(f"line {line}: training code not translated (")
                   and n.endswith(statement) for n in tr.notes), (line, tr.notes)
    assert any("uses the model (model)" in n for n in tr.notes)
    assert len([n for n in tr.notes if "not translated" in n]) == len(expected)


@pytest.mark.slow
def test_torch_script_translation_runs(tmp_path: Path) -> None:
    out = _run(translate(TORCH_SCRIPT, "keras").target_code, tmp_path)
    final = next(line for line in out.splitlines() if line.startswith("final"))
    assert float(final.split()[1]) >= 0.0


def test_torch_seed_broadcasting_target_is_noted() -> None:
    tr = translate((EXAMPLES / "torch_regression.py").read_text(), "keras")
    [note] = [n for n in tr.notes if "broadcasts" in n]
    assert note.startswith("line 27: y is 1-D") and "per-sample loss" in note
    tr = translate(TORCH_SCRIPT, "keras")  # y = torch.randn(64, 1): nothing to say
    assert not any("broadcasts" in n for n in tr.notes)
