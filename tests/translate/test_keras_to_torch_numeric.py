"""Keras -> PyTorch translations run for real: same weights, same inputs, same outputs.

Each case is a small Keras model source. The test translates it, builds the Keras model from the
source and the torch model from the generated code, copies the weights as the translation's
weight_map says (a local copy helper, independent of the translator), and compares outputs.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from mlsense.translators import translate

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
np = pytest.importorskip("numpy")
torch = pytest.importorskip("torch")
keras = pytest.importorskip("keras")

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "translate" / "keras"


def _keras_layer(model, path: str):
    how, _, where = path.partition(":")
    if how == "index":
        return model.layers[int(where)]
    if how == "name":
        return model.get_layer(where)
    layer = model
    for part in where.split("."):
        layer = getattr(layer, part)
    return layer


def _t(a: Any) -> Any:  # torch is imported through importorskip, so its types are Any here
    return torch.from_numpy(np.ascontiguousarray(a, dtype=np.float32))


def _rnn(mod, weights, suffix: str, kind: str, hidden: int) -> None:
    kernel, recurrent, bias = weights
    if kind == "gru":  # keras gates z, r, h -> torch r, z, n
        perm = np.r_[hidden:2 * hidden, 0:hidden, 2 * hidden:3 * hidden]
        kernel, recurrent = kernel[:, perm], recurrent[:, perm]
        b_ih, b_hh = bias[0][perm], bias[1][perm]
    else:
        b_ih, b_hh = bias, np.zeros_like(bias)
    getattr(mod, f"weight_ih_l0{suffix}").copy_(_t(kernel.T))
    getattr(mod, f"weight_hh_l0{suffix}").copy_(_t(recurrent.T))
    getattr(mod, f"bias_ih_l0{suffix}").copy_(_t(b_ih))
    getattr(mod, f"bias_hh_l0{suffix}").copy_(_t(b_hh))


def copy_weights(keras_model, torch_model, weight_map) -> None:
    """Keras -> torch, per weight_map entry (test-local re-implementation of the contract)."""
    modules = dict(torch_model.named_modules())
    with torch.no_grad():
        for wt in weight_map:
            mod, layer = modules[wt.torch_path], _keras_layer(keras_model, wt.keras_path)
            w = [np.asarray(v) for v in layer.get_weights()]
            if wt.kind == "dense":
                kernel = w[0]
                if "flatten_from" in wt.params:
                    c, *spatial = wt.params["flatten_from"]
                    kernel = kernel.reshape(*spatial, c, -1)
                    kernel = np.moveaxis(kernel, len(spatial), 0).reshape(-1, kernel.shape[-1])
                mod.weight.copy_(_t(kernel.T))
            elif wt.kind == "conv":
                rank = wt.params["rank"]
                mod.weight.copy_(_t(np.transpose(w[0], (rank + 1, rank, *range(rank)))))
            elif wt.kind == "depthwise_conv":
                rank, k = wt.params["rank"], w[0]
                k = k.reshape(*k.shape[:rank], -1)
                mod.weight.copy_(_t(np.moveaxis(k, -1, 0)[:, None]))
            elif wt.kind == "batchnorm":
                for name, value in zip(("weight", "bias", "running_mean", "running_var"), w, strict=True):
                    getattr(mod, name).copy_(_t(value))
            elif wt.kind == "layernorm":
                mod.weight.copy_(_t(w[0]))
                mod.bias.copy_(_t(w[1]))
            elif wt.kind == "embedding":
                mod.weight.copy_(_t(w[0]))
            elif wt.kind in ("lstm", "gru"):
                hidden = wt.params["hidden"]
                _rnn(mod, w[:3], "", wt.kind, hidden)
                if wt.params["bidirectional"]:
                    _rnn(mod, w[3:6], "_reverse", wt.kind, hidden)
            elif wt.kind == "mha":
                e = wt.params["embed_dim"]
                qk, qb, kk, kb, vk, vb, ok, ob = w
                mod.in_proj_weight.copy_(_t(np.concatenate(
                    [m.reshape(e, e).T for m in (qk, kk, vk)])))
                mod.in_proj_bias.copy_(_t(np.concatenate([b.reshape(-1) for b in (qb, kb, vb)])))
                mod.out_proj.weight.copy_(_t(ok.reshape(e, e).T))
                mod.out_proj.bias.copy_(_t(ob))
                continue
            else:
                raise AssertionError(f"unknown kind {wt.kind}")
            if wt.kind in ("dense", "conv", "depthwise_conv") and len(w) > 1:
                mod.bias.copy_(_t(w[1]))


def build_both(source: str, **kwargs):
    """Translate ``source`` and build the Keras and torch models with shared weights."""
    tr = translate(source, "pytorch", **kwargs)
    src_ns: dict = {}
    exec(compile(source, "<keras>", "exec"), src_ns)
    keras_model = eval(tr.source_model, src_ns)
    tgt_ns: dict = {}
    exec(compile(tr.target_code, "<torch>", "exec"), tgt_ns)
    torch_model = eval(tr.target_model, tgt_ns)
    # Subclassed models create their weights on the first call.
    keras_model([np.zeros((1, *s.shape), dtype=s.dtype) for s in tr.inputs]
                if len(tr.inputs) > 1 else np.zeros((1, *tr.inputs[0].shape), tr.inputs[0].dtype))
    copy_weights(keras_model, torch_model, tr.weight_map)
    torch_model.eval()
    return tr, keras_model, torch_model


def assert_same(source: str, **kwargs):
    """Both models agree (atol/rtol 1e-4) on the same random inputs; returns the translation."""
    tr, keras_model, torch_model = build_both(source, **kwargs)
    rng = np.random.default_rng(0)
    feeds = []
    for spec in tr.inputs:
        if spec.dtype == "int64":
            feeds.append(rng.integers(0, spec.vocab or 10, size=(2, *spec.shape)))
        else:
            feeds.append(rng.standard_normal((2, *spec.shape)).astype("float32"))
    k_out = keras_model(feeds if len(feeds) > 1 else feeds[0])
    k_outs = [np.asarray(o) for o in (k_out if isinstance(k_out, list | tuple) else [k_out])]
    t_in = []
    for spec, feed in zip(tr.inputs, feeds, strict=True):
        t = torch.as_tensor(feed)
        t_in.append(t.permute(*spec.to_target) if spec.to_target else t)
    with torch.no_grad():
        t_out = torch_model(*t_in)
    t_outs = [o.numpy() for o in (t_out if isinstance(t_out, tuple) else (t_out,))]
    assert len(k_outs) == len(t_outs) == len(tr.outputs)
    for spec, k, t in zip(tr.outputs, k_outs, t_outs, strict=True):
        expected = np.transpose(k, spec.to_target) if spec.to_target else k
        assert expected.shape == t.shape
        np.testing.assert_allclose(t, expected, atol=1e-4, rtol=1e-4)
    return tr


H = "import keras\nfrom keras import layers\n\n"

CASES = {
    "dense_activations": H + """model = keras.Sequential([
    layers.Dense(16, activation="gelu", input_shape=(8,)),
    layers.Dense(16, activation="tanh"), layers.Dense(16, activation="sigmoid"),
    layers.Dense(16, activation="leaky_relu"), layers.Dense(16, activation="elu"),
    layers.Dense(16, activation="relu6"), layers.Dense(16, activation="silu"),
    layers.Dense(4, activation="softmax", use_bias=False)])
""",
    "conv2d_same_stride2_flatten": H + """model = keras.Sequential([
    keras.Input(shape=(9, 9, 3)),
    layers.Conv2D(8, 3, strides=2, padding="same", activation="relu"),
    layers.Conv2D(6, (2, 3), padding="same", dilation_rate=2),
    layers.Conv2D(4, 4, strides=2, padding="same", use_bias=False),
    layers.Flatten(), layers.Dense(5)])
""",
    "conv2d_groups_pool": H + """model = keras.Sequential([
    keras.Input(shape=(12, 12, 4)),
    layers.Conv2D(8, 3, groups=2), layers.MaxPooling2D(),
    layers.AveragePooling2D(pool_size=2, strides=1, padding="same"),
    layers.MaxPooling2D(pool_size=3, strides=2, padding="same"),
    layers.GlobalAveragePooling2D(), layers.Dense(3)])
""",
    "depthwise_bn": H + """model = keras.Sequential([
    keras.Input(shape=(10, 10, 3)),
    layers.DepthwiseConv2D(3, depth_multiplier=2, padding="same"),
    layers.BatchNormalization(momentum=0.9, epsilon=1e-5), layers.ReLU(),
    layers.Conv2D(8, 1), layers.BatchNormalization(), layers.ReLU(max_value=6),
    layers.GlobalMaxPooling2D()])
""",
    "conv1d": H + """model = keras.Sequential([
    keras.Input(shape=(32, 2)),
    layers.Conv1D(8, 5, strides=2, padding="same", activation="relu"),
    layers.Conv1D(8, 3, padding="causal", dilation_rate=2),
    layers.MaxPooling1D(2), layers.AveragePooling1D(2),
    layers.BatchNormalization(), layers.GlobalAveragePooling1D(), layers.Dense(2)])
""",
    "feature_map_output": H + """model = keras.Sequential([
    keras.Input(shape=(6, 6, 2)), layers.Conv2D(3, 3, padding="same"), layers.Softmax()])
""",
    "layernorm_dropout_reshape_permute": H + """model = keras.Sequential([
    keras.Input(shape=(12,)), layers.Dense(12), layers.Dropout(0.5),
    layers.Reshape((3, 4)), layers.LayerNormalization(), layers.Permute((2, 1)),
    layers.Activation("relu"), layers.LeakyReLU(negative_slope=0.1), layers.ELU(alpha=0.5),
    layers.Flatten()])
""",
    "embedding_lstm": H + """model = keras.Sequential([
    keras.Input(shape=(7,), dtype="int32"), layers.Embedding(50, 8),
    layers.LSTM(6, return_sequences=True), layers.LSTM(5), layers.Dense(2)])
""",
    "bidirectional_gru": H + """model = keras.Sequential([
    keras.Input(shape=(7, 4)),
    layers.Bidirectional(layers.GRU(5, return_sequences=True)),
    layers.Bidirectional(layers.LSTM(3)), layers.Dense(2)])
""",
    "gru_last": H + """model = keras.Sequential([keras.Input(shape=(5, 3)), layers.GRU(4)])
""",
    "functional_branches": H + """inputs = keras.Input(shape=(8, 8, 3))
x = layers.Conv2D(4, 3, padding="same", activation="relu")(inputs)
a = layers.Conv2D(4, 1)(x)
b = layers.Conv2D(4, 3, padding="same")(x)
x = layers.Add()([a, b, x])
c = layers.Concatenate(axis=-1)([x, a])
y = layers.GlobalAveragePooling2D()(c)
outputs = layers.Dense(3, activation="softmax")(y)
model = keras.Model(inputs, outputs)
""",
    "functional_multi_io": H + """left = keras.Input(shape=(6,))
right = keras.Input(shape=(4,))
shared = layers.Dense(5)
l = shared(layers.Dense(4)(left))
r = shared(right)
merged = layers.concatenate([l, r])
out1 = layers.Dense(1, name="score")(merged)
out2 = layers.Dense(3)(layers.Multiply()([l, r]))
model = keras.Model(inputs=[left, right], outputs=[out1, out2])
""",
    "functional_residual_ops": H + """inputs = keras.Input(shape=(10,))
h = layers.Dense(10, activation="relu")(inputs)
h = h + inputs
h = keras.ops.relu(layers.Dense(10)(h)) * 0.5
outputs = layers.Dense(2)(layers.Subtract()([h, inputs]))
model = keras.Model(inputs=inputs, outputs=outputs)
""",
    "transformer_block": H + """inputs = keras.Input(shape=(6, 16))
attn = layers.MultiHeadAttention(num_heads=4, key_dim=4)(inputs, inputs)
x = layers.LayerNormalization(epsilon=1e-6)(inputs + attn)
ff = layers.Dense(32, activation="relu")(x)
ff = layers.Dense(16)(ff)
x = layers.LayerNormalization(epsilon=1e-6)(layers.Add()([x, ff]))
outputs = layers.Dense(2)(layers.GlobalAveragePooling1D()(x))
model = keras.Model(inputs, outputs)
""",
    "subclass": H + '''class Net(keras.Model):
    """A small subclassed CNN."""

    def __init__(self, num_classes=3, **kwargs):
        super().__init__(**kwargs)
        self.num_classes = num_classes
        self.conv = layers.Conv2D(4, 3, activation="relu")
        self.pool = layers.MaxPooling2D()
        self.flatten = layers.Flatten()
        self.head = layers.Dense(num_classes)

    def call(self, inputs, training=False):
        x = self.pool(self.conv(inputs))
        x = self.flatten(x)
        return keras.ops.softmax(self.head(x))


model = Net()
model.build((None, 8, 8, 1))
''',
    "tf_keras_imports": """import tensorflow as tf
from tensorflow.keras.layers import Dense, Dropout

model = tf.keras.Sequential()
model.add(Dense(8, activation="relu", input_shape=(4,)))
model.add(Dropout(0.2))
model.add(tf.keras.layers.Dense(2))
""",
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_translation_matches_keras(name: str) -> None:
    assert_same(CASES[name])


def test_flatten_after_conv_maps_weights_not_input() -> None:
    tr = assert_same(CASES["conv2d_same_stride2_flatten"])
    flat = [w for w in tr.weight_map if "flatten_from" in w.params]
    assert flat and flat[0].params["flatten_from"] == [4, 3, 3]
    assert tr.inputs[0].to_target == (0, 3, 1, 2)


def test_feature_map_output_has_layout() -> None:
    tr = assert_same(CASES["feature_map_output"])
    assert tr.outputs[0].to_target == (0, 3, 1, 2)
    assert "dim=1" in tr.target_code


BENCH = ROOT / "bench" / "models" / "keras"


@pytest.mark.parametrize("path", sorted(FIXTURES.glob("*.py")) + sorted(BENCH.glob("*.py")),
                         ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_fixture_models(path: Path) -> None:
    assert_same(path.read_text())


def test_seed_example_translates_verifies_and_runs(tmp_path: Path) -> None:
    source = (ROOT / "examples" / "keras_regression.py").read_text()
    tr = assert_same(source)
    assert tr.source_model == tr.target_model == "model"
    script = tmp_path / "torch_regression_translated.py"
    script.write_text(tr.target_code)
    proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "epoch 10/10" in proc.stdout
