"""Crashes and wrong outputs found on real public models (issue 9): each is a located error now,
or a file that runs. Pure translation (no framework import) unless a test says otherwise."""

from __future__ import annotations

import ast

import pytest

from mlsense.translators import TranslationError, translate

T = "import torch\nimport torch.nn as nn\n\n\n"
NET = T + """class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3)

    def forward(self, x):
        y = self.conv(x)
        return {ret}
"""


@pytest.mark.parametrize("ret", ["y[0]", "y[:, 0]", "y[0][0]", "y[:, :, 0]"])
def test_integer_index_of_a_feature_map_translates(ret: str) -> None:
    # was: IndexError in torch_to_keras/ops.py index (shape list not aligned with the axes)
    tr = translate(NET.format(ret=ret), "keras", input_shape=(3, 8, 8))
    assert "y[" in tr.target_code
    torch_rank = 4 - ret.count("0")
    assert len(tr.outputs[0].shape) == torch_rank - 1


def test_class_without_instantiation_and_required_args_is_located() -> None:
    # was: "unexpected construct at line 1: 'Call' object has no attribute 'lineno'"
    source = T + """class Net(nn.Module):
    def __init__(self, n):
        super().__init__()
        self.fc = nn.Linear(n, 2)

    def forward(self, x):
        return self.fc(x)
"""
    with pytest.raises(TranslationError) as err:
        translate(source, "keras")
    assert ":5:" in str(err.value) and "constructor arguments without defaults: n" in \
        str(err.value)
    assert "unexpected construct" not in str(err.value)


def test_partial_with_an_unsupported_layer_in_an_unused_sequential() -> None:
    # was: AssertionError in torch_to_keras/emit.py _attr_code under --partial
    source = T + """class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 2)
        self.unused = nn.Sequential(nn.Linear(2, 2), nn.PReLU())

    def forward(self, x):
        return self.fc(x)
"""
    tr = translate(source, "keras", partial=True)
    assert "keras.Sequential([layers.Dense(2), layers.Identity()])" in tr.target_code
    ast.parse(tr.target_code)


def test_functional_layer_off_the_output_path_is_left_out() -> None:
    # was: KeyError in keras_to_torch/emit.py (a layer missing from Keras' layer order)
    source = """import keras
from keras import layers
inputs = keras.Input(shape=(8,))
x = layers.Dense(4)(inputs)
dead = layers.Dense(3)(x)
outputs = layers.Dense(2)(x)
model = keras.Model(inputs, outputs)
"""
    tr = translate(source, "pytorch")
    assert "nn.Linear(4, 3)" not in tr.target_code
    assert [w.keras_path for w in tr.weight_map] == ["index:1", "index:2"]


def test_emitted_keras_file_keeps_the_imports_it_uses() -> None:
    # was: a "verified" file without `from collections import namedtuple`
    source = T + """from collections import namedtuple
import math

Config = namedtuple("Config", ["width"])
CFG = Config(width=4)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 2)

    def forward(self, x):
        return self.fc(x)
"""
    code = translate(source, "keras").target_code
    assert "from collections import namedtuple" in code
    assert "import math" not in code  # not used by the output


def test_every_unsupported_construct_is_listed_torch_to_keras() -> None:
    source = T + """class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 4)
        self.act = nn.PReLU()
        self.norm = nn.RMSNorm(4)

    def forward(self, x):
        x = self.act(self.fc(x))
        x = torch.special.bessel_j0(x)
        return self.norm(x)
"""
    with pytest.raises(TranslationError) as err:
        translate(source, "keras")
    text = str(err.value)
    assert text.startswith("<source>:9: cannot translate nn.PReLU()")
    assert "also line 14: torch.special.bessel_j0(x)" in text and "line 10: nn.RMSNorm(4)" in text
    assert [u.line for u in err.value.unsupported] == [9, 14, 10]  # each one located


def test_every_unsupported_construct_is_listed_keras_to_torch() -> None:
    source = """import keras
from keras import layers
model = keras.Sequential([keras.Input(shape=(8,)), layers.Dense(4), layers.PReLU(),
                          layers.Dense(3), layers.ActivityRegularization(), layers.Dense(2)])
"""
    with pytest.raises(TranslationError) as err:
        translate(source, "pytorch")
    assert [(u.line, u.construct) for u in err.value.unsupported] == [
        (3, "PReLU"), (4, "ActivityRegularization")]
    assert "also line 4: ActivityRegularization" in str(err.value)


def test_training_calls_on_an_earlier_model_of_the_same_name_are_marked() -> None:
    """Two notebook cells bind `model`; only the last is translated, and the first cell's
    compile() is marked instead of becoming an optimizer over a model not yet defined."""
    source = """import keras
from keras import layers

inputs = keras.Input(shape=(4,))
outputs = layers.Dense(1)(inputs)
model = keras.Model(inputs, outputs)
model.compile(optimizer="adam", loss="mse")
inputs = keras.Input(shape=(4,))
x = layers.Dense(8, activation="relu")(inputs)
outputs = layers.Dense(1)(x)
model = keras.Model(inputs, outputs)
model.compile(optimizer="adam", loss="mse")
"""
    code = translate(source, "pytorch").target_code
    assert "# TODO(mlsense): model.compile() is on an earlier model" in code
    assert code.index("model = ") < code.index("model.parameters()")
    namespace: dict = {}
    exec(compile(code, "emitted.py", "exec"), namespace)  # runs: no NameError
    assert namespace["model"](__import__("torch").zeros(2, 4)).shape == (2, 1)
