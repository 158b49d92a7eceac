"""PyTorch -> Keras translation output: readable code, located errors, partial mode (no TF)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from mlsense.translators import TranslationError, translate

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "translate" / "torch"


def _t(name: str, **kw):
    return translate((FIXTURES / name).read_text(), "keras", **kw)


def test_names_comments_and_docstring_are_kept() -> None:
    tr = _t("linear_mlp.py")
    code = tr.target_code
    ast.parse(code)
    assert "class MLP(keras.Model):" in code
    assert "A two-layer perceptron." in code
    assert "# hidden layer" in code and "# activation as a function" in code
    assert "self.fc1 = layers.Dense(hidden)" in code  # the user's expression, not a number
    assert "self.fc2 = layers.Dense(num_classes, use_bias=False)" in code
    assert "def __init__(self, in_features=12, hidden=32, num_classes=5):" in code
    assert "torch" not in code and "import keras" in code
    assert tr.inputs[0].shape == (12,) and tr.inputs[0].to_target is None


def test_channels_last_layout_is_documented_and_flatten_order_kept() -> None:
    tr = _t("conv2d_pool_flatten.py")
    code = tr.target_code
    assert "channels-last: inputs are NHWC (PyTorch: NCHW)" in code
    assert tr.inputs[0].to_target == (0, 2, 3, 1)
    assert tr.inputs[0].shape == (3, 16, 16)  # the image size that fits fc's in_features
    # explicit padding at stride 2 is padded like torch, not "same"
    assert "layers.ZeroPadding2D(1)" in code
    # torch flattens C,H,W: the Keras side transposes back before flattening
    assert "keras.ops.transpose(x, (0, 3, 1, 2))" in code


def test_no_dead_code_for_permute_before_lstm() -> None:
    code = _t("conv1d_to_lstm.py").target_code
    assert "permute" not in code and "transpose" not in code  # already (N, L, C) in Keras
    assert "# (N, L, C) for the LSTM" not in code or "x = x" not in code


def test_lstm_last_step_becomes_return_sequences_false() -> None:
    tr = _t("lstm_last.py")
    assert "layers.LSTM(hidden)" in tr.target_code
    assert "out = self.lstm(x)" in tr.target_code
    assert tr.inputs[0].dtype == "int64" and tr.inputs[0].vocab == 50
    kinds = {w.torch_path: (w.kind, w.keras_path) for w in tr.weight_map}
    assert kinds["lstm"] == ("lstm", "attr:lstm")


def test_batchnorm_epsilon_momentum_and_leaky_slope_are_explicit() -> None:
    code = _t("resnet_block.py").target_code + _t("activations.py").target_code
    assert "layers.BatchNormalization(momentum=0.9, epsilon=1e-05)" in code
    assert "layers.BatchNormalization(momentum=0.95, epsilon=0.001)" in code
    assert "layers.LeakyReLU(negative_slope=0.01)" in code
    assert "keras.ops.gelu(a, approximate=False)" in code


def test_blocks_with_different_strides_share_code_that_fits_both() -> None:
    tr = _t("resnet_block.py")
    code = tr.target_code
    assert "class BasicBlock(layers.Layer):" in code
    assert 'padding="same", strides=stride' not in code
    paths = {w.torch_path: w.keras_path for w in tr.weight_map}
    assert paths["block2.shortcut.0"] == "attr:block2.shortcut.layers.0"


def test_module_level_sequential_uses_index_paths() -> None:
    tr = _t("sequential_conv_flatten.py")
    assert tr.source_model == tr.target_model == "net"
    assert "keras.Input(shape=(12, 12, 1))" in tr.target_code
    assert "layers.Permute((3, 1, 2))" in tr.target_code
    assert [w.keras_path for w in tr.weight_map] == ["index:0", "index:5"]


def test_seed_example_training_code() -> None:
    src = (Path(__file__).resolve().parents[2] / "examples" / "torch_regression.py").read_text()
    code = translate(src, "keras").target_code
    assert "keras.optimizers.Adam(learning_rate=0.01, epsilon=1e-08)" in code
    assert 'loss="mse"' in code and "model.fit(x, y, epochs=10" in code
    assert "backward" not in code


UNKNOWN_LAYER = """import torch.nn as nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 4)
        self.up = nn.PReLU(2)

    def forward(self, x):
        x = self.fc(x)
        return self.up(x)
"""


def test_unknown_layer_is_a_located_error() -> None:
    with pytest.raises(TranslationError) as info:
        translate(UNKNOWN_LAYER, "keras")
    [gap] = info.value.unsupported
    assert gap.line == 8 and "PReLU" in gap.reason


def test_partial_mode_leaves_todo_comments() -> None:
    tr = translate(UNKNOWN_LAYER, "keras", partial=True)
    lines = [line.strip() for line in tr.target_code.splitlines()]
    todo = ("# TODO(mlsense): line 8: nn.PReLU(2): nn.PReLU has no Keras mapping "
            "in mlsense (layers.Identity placeholder)")
    assert lines[lines.index(todo) + 1] == "self.up = layers.Identity()"
    assert "return self.up(x)" in lines  # the rest of forward is still translated
    assert [(u.line, u.construct) for u in tr.unsupported] == [(8, "nn.PReLU(2)")]
    ast.parse(tr.target_code)


SEQUENTIAL_GAP = """import torch
from torch import nn

model = nn.Sequential(
    nn.Conv2d(3, 8, 3, padding=1),
    nn.PReLU(2),
    nn.ReLU(),
    nn.Flatten(),
    nn.Linear(2048, 10),
)
"""


def test_partial_sequential_root_gets_a_placeholder_layer() -> None:
    with pytest.raises(TranslationError, match="PReLU"):
        translate(SEQUENTIAL_GAP, "keras", input_shape=(3, 32, 32))
    tr = translate(SEQUENTIAL_GAP, "keras", input_shape=(3, 32, 32), partial=True)
    lines = [line.strip() for line in tr.target_code.splitlines()]
    todo = next(i for i, line in enumerate(lines) if line.startswith("# TODO(mlsense): line 6"))
    # The placeholder keeps the rank and layout, so the flatten still restores torch's order.
    assert lines[todo + 1:todo + 6] == ["layers.Identity(),", "layers.ReLU(),",
                                        "layers.Permute((3, 1, 2)),", "layers.Flatten(),",
                                        "layers.Dense(10),"]
    assert [u.line for u in tr.unsupported] == [6]
    assert [w.keras_path for w in tr.weight_map] == ["index:0", "index:5"]
    ast.parse(tr.target_code)


CONTROL_FLOW = """import torch.nn as nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 4)

    def forward(self, x):
        if x.sum() > 0:
            x = self.fc(x)
        return x
"""


def test_control_flow_on_tensors_is_rejected_with_line() -> None:
    with pytest.raises(TranslationError) as info:
        translate(CONTROL_FLOW, "keras")
    assert info.value.unsupported[0].line == 10
    assert "control flow" in info.value.unsupported[0].reason


def test_input_shape_is_required_when_not_inferable() -> None:
    src = CONTROL_FLOW.replace("        if x.sum() > 0:\n            x = self.fc(x)\n", "")
    with pytest.raises(TranslationError, match="input-shape"):
        translate(src, "keras")
    with pytest.raises(TranslationError):
        translate("def broken(:\n", "keras")
