"""Keras -> PyTorch: constructor / builder parameters stay parameters in the generated model.

``Dense(num_classes)`` becomes ``nn.Linear(..., num_classes)``; a parameter whose value the
translator had to fold (it feeds a flattened size, or is not a number) is pinned with a comment and
a note. The generated torch code is executed with other argument values (torch only), and the
translations are checked numerically against Keras with the defaults (the numeric test helpers).
"""

from __future__ import annotations

import ast
import importlib.util
from pathlib import Path

import pytest

from mlsense.translators import translate

H = "import keras\nfrom keras import layers\n\n"

SUBCLASS = H + '''class Classifier(keras.Model):
    """Two hidden layers and a head."""

    def __init__(self, num_classes=10, hidden=32, rate=0.25, **kwargs):
        super().__init__(**kwargs)
        self.num_classes = num_classes
        self.fc1 = layers.Dense(hidden, activation="relu")
        self.drop = layers.Dropout(rate)
        self.norm = layers.LayerNormalization(epsilon=1e-5)
        self.head = layers.Dense(num_classes)

    def call(self, x, training=False):
        return self.head(self.norm(self.drop(self.fc1(x))))


model = Classifier()
model.build((None, 8))
'''

BUILDER = H + '''def build_model(num_classes=5, units=16, filters=4, act="relu"):
    inputs = keras.Input(shape=(8, 8, 1))
    x = layers.Conv2D(filters, 3, activation=act)(inputs)
    x = layers.Flatten()(x)
    x = layers.Dense(units, activation="relu")(x)
    outputs = layers.Dense(num_classes)(x)
    return keras.Model(inputs, outputs)


model = build_model()
'''


def _init_lines(code: str, cls: str) -> list[str]:
    """The body lines of ``cls.__init__`` in the generated code."""
    tree = ast.parse(code)
    node = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == cls)
    init = next(n for n in node.body if isinstance(n, ast.FunctionDef) and n.name == "__init__")
    return code.splitlines()[init.lineno:init.end_lineno]


def test_subclass_parameters_become_layer_arguments() -> None:
    tr = translate(SUBCLASS, "pytorch")
    init = "\n".join(_init_lines(tr.target_code, "Classifier"))
    assert "def __init__(self, num_classes=10, hidden=32, rate=0.25):" in tr.target_code
    assert "nn.Linear(8, hidden)" in init
    assert "nn.Dropout(rate)" in init
    # in_features / normalized_shape follow the producing layer's parameter by provenance.
    assert "nn.LayerNorm(hidden, eps=1e-05)" in init
    assert "nn.Linear(hidden, num_classes)" in init
    assert "fixed at its default" not in tr.target_code and tr.notes == []
    # Contract data stays plain numbers (shape inference used the defaults).
    assert tr.outputs[0].shape == (10,) and type(tr.outputs[0].shape[0]) is int
    assert tr.target_model == "Classifier()"


def test_builder_parameters_pass_through_and_folded_ones_are_pinned() -> None:
    tr = translate(BUILDER, "pytorch")
    code = tr.target_code
    init = "\n".join(_init_lines(code, "Model"))
    assert "def __init__(self, num_classes=5, units=16, filters=4, act='relu'):" in code
    assert "return Model(num_classes=num_classes, units=units, filters=filters, act=act)" in code
    assert "nn.Conv2d(1, filters, 3)" in init
    assert "nn.Linear(units, num_classes)" in init
    # filters * 6 * 6 is the flattened size: not expressible, so fixed and said so.
    assert "nn.Linear(144, units)" in init
    pins = [line.strip() for line in init.splitlines() if "fixed at its default" in line]
    assert pins == [
        "# mlsense: filters is fixed at its default (4): it feeds a value derived in self.fc1.",
        "# mlsense: act is fixed at its default ('relu'): only a number can stay symbolic.",
    ]
    assert len(tr.notes) == 2 and tr.notes[0].startswith("line 4: filters is fixed")
    assert all(len(line) <= 100 for line in code.splitlines())


def test_parameter_in_unexpressible_position_is_not_named() -> None:
    # Reshape's target sits in forward(), where the constructor's parameter is out of scope.
    source = H + '''def build(width=12):
    inputs = keras.Input(shape=(6,))
    x = layers.Dense(width)(inputs)
    x = layers.Reshape((width, 1))(x)
    outputs = layers.Flatten()(x)
    return keras.Model(inputs, outputs)


model = build()
'''
    tr = translate(source, "pytorch")
    cls = next(n for n in ast.parse(tr.target_code).body if isinstance(n, ast.ClassDef))
    forward = next(n for n in cls.body if isinstance(n, ast.FunctionDef) and n.name == "forward")
    assert "width" not in ast.unparse(forward.body)
    assert "12, 1" in ast.unparse(forward.body)
    assert "nn.Linear(6, width)" in tr.target_code
    assert any("width is fixed at its default (12)" in n for n in tr.notes)


@pytest.mark.slow
def test_generated_models_follow_other_argument_values() -> None:
    torch = pytest.importorskip("torch")
    ns: dict = {}
    exec(compile(translate(SUBCLASS, "pytorch").target_code, "<torch>", "exec"), ns)
    net = ns["Classifier"](num_classes=7, hidden=20).eval()
    assert net(torch.zeros(3, 8)).shape == (3, 7)
    assert net.fc1.out_features == 20 and net.drop.p == 0.25
    ns = {}
    exec(compile(translate(BUILDER, "pytorch").target_code, "<torch>", "exec"), ns)
    net = ns["build_model"](num_classes=9, units=11).eval()
    assert net(torch.zeros(2, 1, 8, 8)).shape == (2, 9)
    assert net.fc1.out_features == 11


@pytest.mark.slow
@pytest.mark.parametrize("source", [SUBCLASS, BUILDER], ids=["subclass", "builder"])
def test_parameterised_translations_match_keras(source: str) -> None:
    # The numeric test module's own helpers (keras is skipped there when it is missing).
    path = Path(__file__).with_name("test_keras_to_torch_numeric.py")
    spec = importlib.util.spec_from_file_location("_k2t_numeric_helpers", path)
    assert spec is not None and spec.loader is not None
    numeric = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(numeric)
    numeric.assert_same(source)
