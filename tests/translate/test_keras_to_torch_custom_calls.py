"""Keras -> PyTorch: an inlined custom layer or block function runs each layer once (issue 9).

A custom layer's ``call`` (and a function that builds part of a Functional graph) is traced in
place. Its tensor arguments used to be substituted as expressions, so ``x + self.d2(self.d1(x))``
applied to ``self.inp(x)`` computed ``self.inp(x)`` twice, and a chain of blocks doubled that at
each level (a dropout or a BatchNorm in training would then run twice: a wrong model). Each
argument that calls something is now bound to a local of ``forward`` first. Here the emitted
model runs under torch forward hooks (every module called exactly once per forward) and the real
verifier runs Keras and torch at atol 1e-4.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest

from mlsense.translators import Translation, translate
from mlsense.translators.verify import VerificationWorker, verify_translation

torch = pytest.importorskip("torch")

pytestmark = pytest.mark.slow

RESBLOCK = '''import keras
from keras import layers


class ResBlock(layers.Layer):
    """Two dense layers with a skip."""

    def __init__(self, units):
        super().__init__()
        self.d1 = layers.Dense(units, activation="relu")
        self.d2 = layers.Dense(units)

    def call(self, x):
        # the residual path
        return x + self.d2(self.d1(x))
'''

SUBCLASS = RESBLOCK + '''

class Net(keras.Model):
    def __init__(self):
        super().__init__()
        self.inp = layers.Dense(16)
        self.b1 = ResBlock(16)
        self.b2 = ResBlock(16)
        self.out = layers.Dense(1)

    def call(self, x):
        return self.out(self.b2(self.b1(self.inp(x))))


model = Net()
'''

FUNCTIONAL = RESBLOCK + '''

inputs = keras.Input(shape=(8,))
x = ResBlock(12)(layers.Dense(12)(inputs))
outputs = layers.Dense(2)(ResBlock(12)(x))
model = keras.Model(inputs, outputs)
'''

BLOCK_FUNCTION = '''import keras
from keras import layers


def block(x, units):
    y = layers.Dense(units, activation="relu")(x)
    return layers.add([x, layers.Dense(units)(y)])


inputs = keras.Input(shape=(8,))
outputs = layers.Dense(3)(block(block(layers.Dense(10)(inputs), 10), 10))
model = keras.Model(inputs, outputs)
'''


@pytest.fixture(scope="module")
def worker() -> Iterator[VerificationWorker]:
    with VerificationWorker(idle_timeout=0) as pool:
        yield pool


def _verified(tmp_path: Any, worker: VerificationWorker, source: str) -> Translation:
    path = tmp_path / "model.py"
    path.write_text(source, encoding="utf-8")
    tr = translate(source, "pytorch", class_name="model", input_shape=(8,), filename=str(path))
    report = verify_translation(str(path), tr, source_text=source, worker=worker, onnx=False,
                                training=False)
    assert report.verified, report.message
    assert report.max_abs_error is not None and report.max_abs_error <= 1e-4
    return tr


def _calls_per_module(code: str) -> Counter[str]:
    """How many times each leaf module of the emitted model runs in one forward."""
    scope: dict[str, Any] = {}
    exec(compile(code, "emitted.py", "exec"), scope)  # noqa: S102 - the translation under test
    model = scope["model"].eval()
    calls: Counter[str] = Counter()
    for name, module in model.named_modules():
        if not list(module.children()):
            module.register_forward_hook(lambda *_, name=name: calls.update([name]))
    with torch.no_grad():
        model(torch.zeros(2, 8))
    return calls


@pytest.mark.parametrize("source", [SUBCLASS, FUNCTIONAL, BLOCK_FUNCTION],
                         ids=["subclass", "functional", "block-function"])
def test_each_layer_runs_once_and_the_models_agree(tmp_path, worker, source) -> None:
    tr = _verified(tmp_path, worker, source)
    calls = _calls_per_module(tr.target_code)
    assert len(calls) == len(tr.weight_map) >= 5  # every Dense, each with Keras' weights
    assert set(calls.values()) == {1}, calls


def test_a_block_argument_is_bound_to_a_local_named_after_it(tmp_path, worker) -> None:
    code = translate(SUBCLASS, "pytorch", class_name="model", input_shape=(8,)).target_code
    forward = code[code.index("def forward"):]
    assert "b1_x = self.inp(x)" in forward and forward.count("self.inp(") == 1
