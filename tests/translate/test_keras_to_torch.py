"""Keras -> PyTorch translation: structure, errors and training code (no framework import)."""

from __future__ import annotations

import ast

import pytest

from mlsense.translators import TranslationError, translate

H = "import keras\nfrom keras import layers\n\n"


def _tr(source: str, **kwargs):
    return translate(source, "pytorch", **kwargs)


def test_seed_example_is_sequential_with_training_loop() -> None:
    with open("examples/keras_regression.py") as fh:
        tr = _tr(fh.read())
    code = tr.target_code
    ast.parse(code)
    assert "nn.Sequential(" in code and "nn.Linear(10, 64)" in code
    assert "torch.optim.Adam(model.parameters(), lr=0.001, eps=1e-7)" in code
    assert "batch_size=32" in code and "range(10)" in code and "yb.view_as(pred)" in code
    assert "keras" not in code.replace("Keras", "")
    assert [w.kind for w in tr.weight_map] == ["dense", "dense"]
    assert [w.keras_path for w in tr.weight_map] == ["index:0", "index:1"]
    assert [w.torch_path for w in tr.weight_map] == ["0", "2"]
    assert tr.inputs[0].shape == (10,)


@pytest.mark.parametrize("imports, prefix", [
    ("import tensorflow as tf\n", "tf.keras.layers."),
    ("from tensorflow import keras\n", "keras.layers."),
    ("from tensorflow.keras import layers\nfrom tensorflow import keras\n", "layers."),
    ("from keras.layers import Dense\nimport keras\n", ""),
])
def test_import_spellings_resolve_the_same(imports: str, prefix: str) -> None:
    seq = "tf.keras.Sequential" if "tf" in imports.split()[-1] else "keras.Sequential"
    source = imports + f"model = {seq}([{prefix}Dense(4, input_shape=(3,)), {prefix}Dense(2)])\n"
    tr = _tr(source)
    assert "nn.Linear(3, 4)" in tr.target_code and "nn.Linear(4, 2)" in tr.target_code


def test_lstm_model_becomes_a_class_and_keeps_variable() -> None:
    tr = _tr(H + "model = keras.Sequential([keras.Input(shape=(5, 3)), layers.LSTM(4)])\n")
    assert "class Model(nn.Module):" in tr.target_code
    assert "model = Model()" in tr.target_code
    assert "x[:, -1, :]" in tr.target_code


def test_concatenate_axis_on_feature_map_becomes_dim1() -> None:
    source = H + """inputs = keras.Input(shape=(8, 8, 3))
a = layers.Conv2D(4, 1)(inputs)
b = layers.Conv2D(2, 1)(inputs)
model = keras.Model(inputs, layers.Concatenate(axis=-1)([a, b]))
"""
    tr = _tr(source)
    assert "torch.cat([a, b], dim=1)" in tr.target_code
    assert tr.outputs[0].shape == (8, 8, 6) and tr.outputs[0].to_target == (0, 3, 1, 2)


def test_class_name_picks_among_models() -> None:
    source = H + ("small = keras.Sequential([layers.Dense(2, input_shape=(3,))])\n"
                  "big = keras.Sequential([layers.Dense(5, input_shape=(7,))])\n")
    assert "nn.Linear(3, 2)" in _tr(source, class_name="small").target_code.split("big")[0]
    assert _tr(source, class_name="big").inputs[0].shape == (7,)
    with pytest.raises(TranslationError, match="no model named"):
        _tr(source, class_name="nope")


def test_input_shape_argument_and_missing_shape_error() -> None:
    source = H + "model = keras.Sequential([layers.Dense(2)])\n"
    with pytest.raises(TranslationError, match="input shape"):
        _tr(source)
    assert "nn.Linear(6, 2)" in _tr(source, input_shape=(6,)).target_code


@pytest.mark.parametrize("layer, construct", [
    ("layers.Lambda(lambda t: t * 2)", "Lambda"),
    ("layers.GRU(4, reset_after=False)", "reset_after"),
    ("layers.LSTM(4, stateful=True)", "stateful"),
    ("layers.Embedding(10, 4, mask_zero=True)", "mask_zero"),
])
def test_unsupported_layers_are_located(layer: str, construct: str) -> None:
    source = H + f"model = keras.Sequential([\n    keras.Input(shape=(5, 3)),\n    {layer},\n])\n"
    with pytest.raises(TranslationError) as info:
        _tr(source)
    assert info.value.unsupported and info.value.unsupported[0].line == 6
    assert construct in info.value.unsupported[0].construct


def test_custom_layer_in_subclass_call_is_located() -> None:
    source = H + """class Net(keras.Model):
    def __init__(self):
        super().__init__()
        self.fc = layers.Dense(2)

    def call(self, x):
        for _ in range(2):
            x = self.fc(x)
        return x
"""
    with pytest.raises(TranslationError) as info:
        _tr(source, input_shape=(2,))
    assert info.value.unsupported[0].line == 10


def test_unknown_training_code_becomes_todo_in_partial_mode() -> None:
    source = H + """import numpy as np
X = np.zeros((4, 3))
model = keras.Sequential([layers.Dense(1, input_shape=(3,))])
model.compile(optimizer="sgd", loss="mae")
cb = keras.callbacks.EarlyStopping(patience=2)
model.fit(X, X[:, 0], epochs=3)
"""
    tr = _tr(source, partial=True)
    assert ("# TODO(mlsense): uses Keras/TensorFlow outside the recognised training patterns: "
            "cb = keras.callbacks.EarlyStopping(patience=2)") in tr.target_code
    assert [u.line for u in tr.unsupported] == [8]
    assert "nn.L1Loss()" in tr.target_code and "torch.optim.SGD(model.parameters(), lr=0.01)" \
        in tr.target_code
    ast.parse(tr.target_code)


def test_syntax_error_and_no_model() -> None:
    with pytest.raises(TranslationError) as info:
        _tr("model = (\n")
    assert info.value.unsupported[0].construct == "syntax"
    with pytest.raises(TranslationError, match="no Keras model"):
        _tr("x = 1\n")


def test_batchnorm_momentum_and_epsilon_are_explicit() -> None:
    tr = _tr(H + "model = keras.Sequential([keras.Input(shape=(4,)), "
             "layers.BatchNormalization(momentum=0.9)])\n")
    assert "nn.BatchNorm1d(4, eps=0.001, momentum=0.1)" in tr.target_code


def test_same_padding_at_stride_2_pads_bottom_right() -> None:
    tr = _tr(H + "model = keras.Sequential([keras.Input(shape=(8, 8, 1)), "
             "layers.Conv2D(2, 3, strides=2, padding='same')])\n")
    assert "nn.ZeroPad2d((0, 1, 0, 1))" in tr.target_code
    assert tr.outputs[0].shape == (4, 4, 2)
