"""Layer mappings added for real public models (issue 9), both directions, each run for real.

Each case translates a source, builds both models in this process, gives every source weight and buffer
random values (so normalisation statistics, biases and gates are all exercised), copies them
with the production ``translators.weights.copy_weights`` as the weight map says, and compares
the outputs on random inputs at atol = rtol = 1e-4. The emitted file is also run as a whole.
"""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

import pytest

from mlsense.translators import Translation, translate
from mlsense.translators.verify.models import resolve_keras_path

np = pytest.importorskip("numpy")
pytest.importorskip("torch")
pytest.importorskip("keras")
from mlsense.translators.weights import copy_weights  # noqa: E402  (imports numpy)

pytestmark = pytest.mark.slow

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def _exec(text: str) -> dict[str, Any]:
    """Run a file of definitions (the cases have no training code; extract_definitions would
    also drop the ``for`` loops that build a graph)."""
    ns: dict[str, Any] = {"__name__": "layer_check"}
    exec(compile(text, "<t>", "exec"), ns)  # noqa: S102
    return ns


def _flat(out: Any) -> list[Any]:
    if isinstance(out, (list, tuple)):
        return [t for o in out for t in _flat(o)]
    return [out]


def _inputs(tr: Translation, rng: np.random.Generator) -> list[np.ndarray]:
    out = []
    for spec in tr.inputs:
        shape = (3, *spec.shape)
        if spec.dtype.startswith("int"):
            out.append(rng.integers(0, spec.vocab or 2, size=shape).astype(np.int64))
        else:
            out.append(rng.standard_normal(shape).astype(np.float32))
    return out


def _randomize_torch(model: Any, rng: np.random.Generator) -> None:
    import torch

    with torch.no_grad():
        for name, tensor in list(model.state_dict().items()):
            if tensor.dtype.is_floating_point:
                values = rng.uniform(0.5, 1.5, tensor.shape) if "var" in name \
                    else rng.standard_normal(tensor.shape) * 0.5
                tensor.copy_(torch.from_numpy(values.astype(np.float32)))


def _randomize_keras(model: Any, rng: np.random.Generator) -> None:
    for var in model.weights:
        if "float" not in str(var.dtype) or "count" in var.path:
            continue
        shape = tuple(var.shape)
        values = rng.uniform(0.5, 1.5, shape) if "variance" in var.path \
            else rng.standard_normal(shape) * 0.5
        var.assign(values.astype(np.float32))
    for layer in model._flatten_layers():
        if hasattr(layer, "finalize_state"):
            layer.finalize_state()  # Normalization reads its statistics from here


def check(source: str, to: str, **kwargs: Any) -> Translation:
    """Translate ``source`` to ``to``; assert both models agree with random weights."""
    import keras
    import torch

    tr = translate(source, to, **kwargs)
    keras.utils.set_random_seed(0)
    torch.manual_seed(0)
    src = eval(tr.source_model, _exec(source))  # noqa: S307
    tgt = eval(tr.target_model, _exec(tr.target_code))  # noqa: S307
    tmodel, kmodel = (src, tgt) if to == "keras" else (tgt, src)
    tmodel.eval()
    rng = np.random.default_rng(0)
    xs = _inputs(tr, rng)
    moved = [x.transpose(s.to_target) if s.to_target else x for x, s in zip(xs, tr.inputs,
                                                                             strict=True)]
    k_in, t_in = (moved, xs) if to == "keras" else (xs, moved)
    kmodel(k_in if len(k_in) > 1 else k_in[0], training=False)  # builds the Keras weights
    _randomize_torch(tmodel, rng) if to == "keras" else _randomize_keras(kmodel, rng)
    modules = dict(tmodel.named_modules())
    direction = "torch_to_keras" if to == "keras" else "keras_to_torch"
    for w in tr.weight_map:
        copy_weights(modules[w.torch_path], resolve_keras_path(kmodel, w.keras_path), w.kind,
                     w.params, direction)
    with torch.no_grad():
        t_out = [t.numpy() for t in _flat(tmodel(*[torch.from_numpy(x) for x in t_in]))]
    k_out = [np.asarray(keras.ops.convert_to_numpy(t))
             for t in _flat(kmodel(k_in if len(k_in) > 1 else k_in[0], training=False))]
    tgt_out = k_out if to == "keras" else t_out
    src_out = t_out if to == "keras" else k_out
    back = [o.transpose(np.argsort(s.to_target)) if s.to_target else o
            for o, s in zip(tgt_out, tr.outputs, strict=True)]
    assert len(back) == len(src_out)
    for got, want in zip(back, src_out, strict=True):
        assert got.shape == want.shape
        np.testing.assert_allclose(got, want, atol=1e-4, rtol=1e-4)
    _run_file(tr, to)
    return tr


def _run_file(tr: Translation, to: str) -> None:
    """The emitted file runs as a whole in a fresh interpreter."""
    backend = "tensorflow" if to == "keras" else "torch"
    env = dict(os.environ, KERAS_BACKEND=backend, TF_CPP_MIN_LOG_LEVEL="3")
    code = tr.target_code + f"\n_model = {tr.target_model}\n"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=300, env=env)
    assert proc.returncode == 0, proc.stderr[-2000:]


H = "import keras\nfrom keras import layers\n\n"
KERAS = {
    "rescaling_separable_pool": H + """inputs = keras.Input(shape=(12, 12, 3))
x = layers.Rescaling(1.0 / 255, offset=-0.5)(inputs)
x = layers.SeparableConv2D(8, 3, padding="same", use_bias=False)(x)
x = layers.SeparableConv2D(6, 3, strides=2, padding="same", depth_multiplier=2)(x)
x = layers.MaxPooling2D(3, strides=2, padding="same")(x)
outputs = layers.GlobalMaxPooling2D()(x)
model = keras.Model(inputs, outputs)
""",
    "conv_transpose_upsampling": H + """model = keras.Sequential([
    keras.Input(shape=(5, 5, 4)),
    layers.Conv2DTranspose(6, 4, strides=2, padding="same", activation="relu"),
    layers.Conv2DTranspose(5, 3, strides=2, padding="same"),
    layers.Conv2DTranspose(3, 3, strides=1),
    layers.UpSampling2D(2),
    layers.UpSampling2D((2, 1), interpolation="bilinear"),
    layers.Cropping2D(((1, 2), (0, 1))),
])
""",
    "groupnorm_resizing_zero_padding": H + """model = keras.Sequential([
    keras.Input(shape=(8, 8, 6)),
    layers.GroupNormalization(groups=3, epsilon=1e-5),
    layers.ZeroPadding2D(1),
    layers.Resizing(5, 7),
    layers.GroupNormalization(groups=-1, center=False, scale=False),
    layers.Conv2D(4, 3),
])
""",
    "normalization_simple_rnn": H + """model = keras.Sequential([
    keras.Input(shape=(7, 3)),
    layers.Normalization(),
    layers.SimpleRNN(5, return_sequences=True),
    layers.Bidirectional(layers.SimpleRNN(4)),
    layers.Dense(2),
])
""",
}

# keras-io's addition_rnn: an encoder state repeated for each output step; the Applications'
# BatchNormalization(scale=False) and Normalization(axis=3)
KERAS["repeat_vector_fixed_affine"] = H + """model = keras.Sequential([
    keras.Input(shape=(7, 12)),
    layers.LSTM(16),
    layers.RepeatVector(4),
    layers.LSTM(16, return_sequences=True),
    layers.BatchNormalization(scale=False),
    layers.BatchNormalization(axis=2, center=False),
    layers.Normalization(axis=2),
    layers.Dense(12, activation="softmax"),
])
"""

# keras-io's transformers: key_dim independent of the width (num_heads x key_dim != F), cross
# attention with value_dim, pooling channels_first over the features
KERAS["keras_mha_channels_first_pool"] = H + """inputs = keras.Input(shape=(6, 8))
x = layers.MultiHeadAttention(num_heads=3, key_dim=5, dropout=0.1)(inputs, inputs)
x = layers.LayerNormalization(epsilon=1e-6)(x + inputs)
context = keras.Input(shape=(4, 7))
y = layers.MultiHeadAttention(num_heads=2, key_dim=8, value_dim=3, use_bias=False)(x, context)
y = layers.GlobalAveragePooling1D(data_format="channels_first")(y)
model = keras.Model([inputs, context], layers.Dense(2)(y))
"""

KERAS["loop_augassign_earlier_cell"] = H + """inputs = keras.Input(shape=(4, 4, 3))
x = layers.Conv2D(5, 3)(inputs)
inputs = keras.Input(shape=(9, 9, 3))
x = layers.Conv2D(4, 3, use_bias=False)(inputs)
for size in [4, 8]:
    residual = x
    x = layers.BatchNormalization()(x)
    x = layers.SeparableConv2D(size, 3, padding="same")(x)
    x = layers.MaxPooling2D(3, strides=2, padding="same")(x)
    residual = layers.Conv2D(size, 1, strides=2, padding="same")(residual)
    x += residual
outputs = layers.GlobalAveragePooling2D()(x)
model = keras.Model(inputs=inputs, outputs=outputs)
"""

KERAS["custom_model_as_layer"] = H + """class Classifier(keras.Model):
    def __init__(self, num_classes=2):
        super().__init__()
        if num_classes == 2:
            num_units = 1
            activation = "sigmoid"
        else:
            num_units = num_classes
            activation = "softmax"
        self.dense = layers.Dense(num_units, activation=activation)

    def call(self, inputs):
        return self.dense(inputs)


inputs = keras.Input(shape=(3,))
features = layers.Dense(8, activation="relu")(inputs)
outputs = Classifier(num_classes=4)(features)
model = keras.Model(inputs=inputs, outputs=outputs)
"""
KERAS["custom_residual_unit_in_sequential"] = H + """from functools import partial

DefaultConv2D = partial(layers.Conv2D, kernel_size=3, strides=1, padding="same",
                        use_bias=False)


class ResidualUnit(keras.layers.Layer):
    def __init__(self, filters, strides=1, activation="relu", **kwargs):
        super().__init__(**kwargs)
        self.activation = keras.activations.get(activation)
        self.main_layers = [
            DefaultConv2D(filters, strides=strides),
            layers.BatchNormalization(),
            self.activation,
            DefaultConv2D(filters),
            layers.BatchNormalization()
        ]
        self.skip_layers = []
        if strides > 1:
            self.skip_layers = [
                DefaultConv2D(filters, kernel_size=1, strides=strides),
                layers.BatchNormalization()
            ]

    def call(self, inputs):
        Z = inputs
        for layer in self.main_layers:
            Z = layer(Z)
        skip_Z = inputs
        for layer in self.skip_layers:
            skip_Z = layer(skip_Z)
        return self.activation(Z + skip_Z)


model = keras.Sequential([
    DefaultConv2D(4, kernel_size=3, strides=2, input_shape=[12, 12, 3]),
    ResidualUnit(4),
    ResidualUnit(6, strides=2),
    layers.GlobalAvgPool2D(),
    layers.Dense(2),
])
"""

KERAS["custom_layer_in_subclassed_model"] = H + """class Gated(keras.layers.Layer):
    def __init__(self, units):
        super().__init__()
        self.value = layers.Dense(units)
        self.gate = layers.Dense(units, activation="sigmoid")

    def call(self, x):
        h = self.value(x)
        return h * self.gate(x)


class Net(keras.Model):
    def __init__(self):
        super().__init__()
        self.block = Gated(5)
        self.out = layers.Dense(2)

    def call(self, x):
        x = self.block(x)
        return self.out(x)


model = Net()
model.build((None, 6))
"""

KERAS["sequential_add_in_a_loop"] = H + """model = keras.Sequential([keras.Input(shape=(6,)), layers.Dense(8)])
prev_units = 8
for units in [8] * 2 + [5]:
    activation = "relu" if units == prev_units else "tanh"
    model.add(layers.Dense(units, activation=activation))
    prev_units = units
model.add(layers.Dense(2))
"""

KERAS["function_building_blocks"] = H + """inputs = keras.Input(shape=(8, 8, 3))
x = layers.Rescaling(1.0 / 255)(inputs)


def residual_block(x, filters, pooling=False):
    residual = x
    x = layers.Conv2D(filters, 3, activation="relu", padding="same")(x)
    if pooling:
        x = layers.MaxPooling2D(2, padding="same")(x)
        residual = layers.Conv2D(filters, 1, strides=2)(residual)
    elif filters != residual.shape[-1]:
        residual = layers.Conv2D(filters, 1)(residual)
    x = layers.add([x, residual])
    return x


x = residual_block(x, filters=4, pooling=True)
x = residual_block(x, filters=6)
x = residual_block(x, filters=6)
outputs = layers.GlobalAveragePooling2D()(x)
model = keras.Model(inputs=inputs, outputs=outputs)
"""

# keras-io's next-frame prediction (conv_lstm): ConvLSTM2D stacks over a video, then a Conv3D
# across time; a ConvLSTM1D that keeps the last step only, with a strided input convolution.
KERAS["conv_lstm_conv3d"] = H + """inputs = keras.Input(shape=(4, 12, 12, 2))
x = layers.ConvLSTM2D(5, (3, 3), padding="same", return_sequences=True, activation="relu")(inputs)
x = layers.BatchNormalization()(x)
x = layers.ConvLSTM2D(4, (2, 2), padding="same", return_sequences=True)(x)
x = layers.Conv3D(3, (3, 3, 3), activation="sigmoid", padding="same")(x)
x = layers.Conv3D(2, 2, strides=(1, 2, 2))(x)
x = layers.MaxPooling3D((1, 2, 2))(x)
outputs = layers.ConvLSTM2D(3, 3, padding="valid", use_bias=False,
                            recurrent_activation="hard_sigmoid")(x)
model = keras.Model(inputs, outputs)
"""
KERAS["conv_lstm_1d_last_step"] = H + """model = keras.Sequential([
    keras.Input(shape=(5, 9, 3)),
    layers.ConvLSTM1D(4, 3, strides=2, dilation_rate=1, unit_forget_bias=False),
    layers.Flatten(),
    layers.Dense(2),
])
"""


@pytest.mark.parametrize("name", sorted(KERAS))
def test_keras_layer_translates_and_matches(name: str) -> None:
    tr = check(KERAS[name], "pytorch")
    assert "for size" not in tr.target_code and "+= residual" not in tr.target_code
    assert "def residual_block" not in tr.target_code  # inlined where it is called
    assert "Conv2d(3, 5" not in tr.target_code  # the earlier cell's graph is not the model


def test_normalization_with_fixed_statistics_has_no_weights() -> None:
    tr = check(H + """model = keras.Sequential([
    keras.Input(shape=(2,)), layers.Normalization(mean=[1.0, -2.0], variance=[4.0, 0.25]),
    layers.Dense(1)])
""", "pytorch")
    assert [w.kind for w in tr.weight_map] == ["dense"]
    assert "class Normalization(nn.Module)" in tr.target_code


def test_partial_layer_factory_and_computed_input_shape() -> None:
    # handson-ml3 ch. 14 (functools.partial), DLwP ch. 13 (an Input shape computed from data)
    source = H + """from functools import partial
import numpy as np

raw_data = np.zeros((1, 3))
sequence_length = 10
DefaultConv = partial(layers.Conv1D, kernel_size=3, padding="same", activation="relu")
inputs = keras.Input(shape=(sequence_length, raw_data.shape[-1]))
x = DefaultConv(filters=4)(inputs)
x = DefaultConv(6, kernel_size=5)(x)
outputs = layers.GlobalAveragePooling1D()(x)
model = keras.Model(inputs, outputs)
"""
    tr = check(source, "pytorch", input_shape=(10, 3))
    assert "nn.Conv1d(4, 6, 5, padding=\"same\")" in tr.target_code


def test_input_shape_wins_over_none_dims() -> None:
    source = H + """inputs = keras.Input(shape=(None,), dtype="int64")
x = layers.Embedding(50, 8)(inputs)
outputs = layers.GRU(4)(x)
model = keras.Model(inputs, outputs)
"""
    tr = check(source, "pytorch", input_shape=(12,))
    assert tr.inputs[0].shape == (12,)


T = "import torch\nimport torch.nn as nn\n\n\n"
TORCH = {
    "conv_transpose_dcgan_style": T + """class Generator(nn.Module):
    def __init__(self, nz=8, ngf=4):
        super().__init__()
        self.main = nn.Sequential(
            nn.ConvTranspose2d(nz, ngf * 2, 4, 1, 0, bias=False),
            nn.BatchNorm2d(ngf * 2), nn.ReLU(True),
            nn.ConvTranspose2d(ngf * 2, ngf, 4, 2, 1, bias=False),
            nn.ConvTranspose2d(ngf, ngf, 3, 2, 1, output_padding=1),
            nn.ConvTranspose2d(ngf, 3, 3, stride=2, output_padding=1), nn.Tanh())

    def forward(self, x):
        return self.main(x)
""",
    "instancenorm_reflection_upsample": T + """class Style(nn.Module):
    def __init__(self):
        super().__init__()
        self.pad = nn.ReflectionPad2d(2)
        self.conv = nn.Conv2d(3, 6, 5)
        self.inorm = nn.InstanceNorm2d(6, affine=True)
        self.inorm_plain = nn.InstanceNorm2d(6)
        self.gnorm = nn.GroupNorm(3, 6)
        self.reflect = nn.ReflectionPad2d((1, 0, 2, 1))
        self.zero = nn.ZeroPad2d((0, 1, 1, 0))
        self.up = nn.Upsample(scale_factor=2, mode="nearest")
        self.up2 = nn.Upsample(scale_factor=2.0, mode="bilinear")

    def forward(self, x):
        x = self.inorm(self.conv(self.pad(x)))
        x = self.gnorm(self.inorm_plain(x))
        return self.up2(self.up(self.zero(self.reflect(x))))
""",
    "pixel_shuffle_pool_padding": T + """class SuperRes(nn.Module):
    def __init__(self, upscale_factor=3):
        super().__init__()
        self.conv = nn.Conv2d(2, 2 * upscale_factor ** 2, 3, padding=1)
        self.pixel_shuffle = nn.PixelShuffle(upscale_factor)
        self.pool = nn.MaxPool2d(3, stride=2, padding=1)
        self.adapt = nn.AdaptiveAvgPool2d((2, 3))

    def forward(self, x):
        x = self.pixel_shuffle(self.conv(x))
        return self.adapt(self.pool(x - 3.0))
""",
    "conv3d": T + """class Video(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv3d(2, 4, 3, padding=1)
        self.bn = nn.BatchNorm3d(4)
        self.pool = nn.MaxPool3d(2)
        self.gap = nn.AdaptiveAvgPool3d(1)
        self.fc = nn.Linear(4, 3)

    def forward(self, x):
        x = self.pool(torch.relu(self.bn(self.conv(x))))
        return self.fc(self.gap(x).flatten(1))
""",
    "reflection_pad_per_instance": T + """class ConvLayer(nn.Module):
    def __init__(self, cin, cout, kernel_size):
        super().__init__()
        reflection_padding = kernel_size // 2
        self.reflection_pad = nn.ReflectionPad2d(reflection_padding)
        self.conv2d = nn.Conv2d(cin, cout, kernel_size)

    def forward(self, x):
        return self.conv2d(self.reflection_pad(x))


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = ConvLayer(3, 4, 5)
        self.b = ConvLayer(4, 2, 3)

    def forward(self, x):
        return self.b(self.a(x))
""",
    "lstm_cell_gru_cell": T + """class Cells(nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm1 = nn.LSTMCell(4, 6)
        self.gru = nn.GRUCell(6, 5)
        self.linear = nn.Linear(5, 2)

    def forward(self, x):
        h_t, c_t = self.lstm1(x[:, 0])
        h_t, c_t = self.lstm1(x[:, 1], (h_t, c_t))
        g = self.gru(h_t)
        g = self.gru(c_t, g)
        return self.linear(g)
""",
    "functional_resize_pad_squeeze": T + """import torch.nn.functional as F


class Decoder(nn.Module):
    def __init__(self, upsample=2):
        super().__init__()
        self.upsample = upsample
        self.conv = nn.Conv2d(3, 4, 3)
        self.head = nn.Conv2d(4, 1, 7)

    def forward(self, x):
        x = F.interpolate(x, mode="nearest", scale_factor=2)
        x = F.pad(self.conv(x), (1, 0, 2, 1), mode="reflect")
        x = F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False)
        x = F.pad(x, (1, 1, 0, 0), value=0.5)
        out = self.head(x).mean(dim=(2, 3))
        out = F.interpolate(out.unsqueeze(2).unsqueeze(3), scale_factor=self.upsample)
        return out.mean(dim=(2, 3)).squeeze(1).unsqueeze(0).squeeze(0)
""",
    "functional_pool_padding_math": T + """import torch.nn.functional as F


class Cell(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 3, 3, padding=1)

    def forward(self, x):
        y = F.max_pool2d(x - 2.0, kernel_size=3, stride=1, padding=1)
        z = torch.exp(0.5 * self.conv(x)) + y.abs().sqrt()
        return torch.log1p(F.max_pool2d(z, 3, stride=2, padding=1))
""",
}
SHAPES = {"functional_pool_padding_math": (3, 7, 6), "functional_resize_pad_squeeze": (3, 5, 4), "lstm_cell_gru_cell": (2, 4), "reflection_pad_per_instance": (3, 8, 8), "conv_transpose_dcgan_style": (8, 1, 1), "instancenorm_reflection_upsample": (3, 9, 8),
          "pixel_shuffle_pool_padding": (2, 4, 6), "conv3d": (2, 4, 6, 6)}


@pytest.mark.parametrize("name", sorted(TORCH))
def test_torch_layer_translates_and_matches(name: str) -> None:
    check(TORCH[name], "keras", input_shape=SHAPES[name])
