"""Weight transfer on real layers: one torch layer and one Keras layer per kind, same config.

Each case copies torch -> Keras and compares outputs, then randomises the Keras weights, copies
Keras -> a fresh torch layer and compares again.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

torch = pytest.importorskip("torch")
keras = pytest.importorskip("keras")
layers = keras.layers
nn = torch.nn

from mlsense.translators.weights import WeightTransferError, copy_weights  # noqa: E402

pytestmark = pytest.mark.slow


@dataclass
class Case:
    """One kind: how to build both layers, the torch-layout input and how to run each side."""

    name: str
    kind: str
    make_torch: Callable[[], Any]
    make_keras: Callable[[], Any]
    shape: tuple[int, ...]
    params: dict[str, Any] = field(default_factory=dict)
    to_keras: tuple[int, ...] | None = None  # input permutation torch layout -> keras layout
    run_torch: Callable[[Any, Any], Any] = lambda m, x: m(x)
    run_keras: Callable[[Any, Any], Any] = lambda lay, x: lay(x)
    int_vocab: int | None = None


def _first(out: Any) -> Any:
    return out[0] if isinstance(out, tuple) else out


CASES = [
    Case("dense", "dense", lambda: nn.Linear(6, 4), lambda: layers.Dense(4), (3, 6)),
    Case("dense_flatten_nchw", "dense", lambda: nn.Linear(24, 5), lambda: layers.Dense(5),
         (2, 2, 3, 4), {"flatten_from": [2, 3, 4]}, (0, 2, 3, 1),
         run_torch=lambda m, x: m(x.flatten(1)),
         run_keras=lambda lay, x: lay(keras.ops.reshape(x, (x.shape[0], -1)))),
    Case("conv1d", "conv", lambda: nn.Conv1d(4, 6, 3, padding=1),
         lambda: layers.Conv1D(6, 3, padding="same"), (2, 4, 10), {"rank": 1}, (0, 2, 1)),
    Case("conv2d_groups_dilation", "conv", lambda: nn.Conv2d(4, 6, 3, groups=2, dilation=2),
         lambda: layers.Conv2D(6, 3, groups=2, dilation_rate=2), (2, 4, 9, 9), {"rank": 2},
         (0, 2, 3, 1)),
    Case("conv2d_no_bias_stride", "conv", lambda: nn.Conv2d(3, 5, 3, stride=2, bias=False),
         lambda: layers.Conv2D(5, 3, strides=2, use_bias=False), (2, 3, 9, 9), {"rank": 2},
         (0, 2, 3, 1)),
    Case("conv2d_transpose", "conv", lambda: nn.ConvTranspose2d(4, 3, 3, stride=2),
         lambda: layers.Conv2DTranspose(3, 3, strides=2), (2, 4, 5, 5),
         {"rank": 2, "transpose": True}, (0, 2, 3, 1)),
    Case("depthwise2d", "depthwise_conv", lambda: nn.Conv2d(3, 6, 3, groups=3),
         lambda: layers.DepthwiseConv2D(3, depth_multiplier=2), (2, 3, 8, 8),
         {"rank": 2, "multiplier": 2}, (0, 2, 3, 1)),
    Case("depthwise1d", "depthwise_conv", lambda: nn.Conv1d(4, 4, 3, groups=4),
         lambda: layers.DepthwiseConv1D(3), (2, 4, 8), {"rank": 1, "multiplier": 1}, (0, 2, 1)),
    Case("batchnorm2d", "batchnorm", lambda: nn.BatchNorm2d(4, eps=1e-3),
         lambda: layers.BatchNormalization(epsilon=1e-3), (2, 4, 5, 5), {}, (0, 2, 3, 1)),
    Case("layernorm", "layernorm", lambda: nn.LayerNorm(6),
         lambda: layers.LayerNormalization(epsilon=1e-5), (2, 3, 6)),
    Case("embedding", "embedding", lambda: nn.Embedding(20, 5), lambda: layers.Embedding(20, 5),
         (2, 7), int_vocab=20),
    Case("lstm", "lstm", lambda: nn.LSTM(5, 7, batch_first=True),
         lambda: layers.LSTM(7, return_sequences=True), (2, 6, 5), {"hidden": 7},
         run_torch=lambda m, x: m(x)[0]),
    Case("lstm_bidirectional", "lstm", lambda: nn.LSTM(5, 7, batch_first=True, bidirectional=True),
         lambda: layers.Bidirectional(layers.LSTM(7, return_sequences=True)), (2, 6, 5),
         {"hidden": 7, "bidirectional": True}, run_torch=lambda m, x: m(x)[0]),
    Case("gru", "gru", lambda: nn.GRU(5, 7, batch_first=True),
         lambda: layers.GRU(7, return_sequences=True), (2, 6, 5), {"hidden": 7},
         run_torch=lambda m, x: m(x)[0]),
    Case("gru_bidirectional", "gru", lambda: nn.GRU(5, 7, batch_first=True, bidirectional=True),
         lambda: layers.Bidirectional(layers.GRU(7, return_sequences=True)), (2, 6, 5),
         {"hidden": 7, "bidirectional": True}, run_torch=lambda m, x: m(x)[0]),
    Case("mha", "mha", lambda: nn.MultiheadAttention(8, 2, batch_first=True),
         lambda: layers.MultiHeadAttention(2, key_dim=4), (2, 5, 8),
         {"num_heads": 2, "embed_dim": 8}, run_torch=lambda m, x: m(x, x, x)[0],
         run_keras=lambda lay, x: lay(x, x)),
]


def _inputs(case: Case) -> tuple[Any, np.ndarray]:
    rng = np.random.default_rng(0)
    if case.int_vocab:
        data = rng.integers(0, case.int_vocab, size=case.shape).astype(np.int64)
    else:
        data = rng.standard_normal(case.shape).astype(np.float32)
    keras_data = data.transpose(case.to_keras) if case.to_keras else data
    return torch.from_numpy(data), np.ascontiguousarray(keras_data)


def _randomise_torch(module: Any) -> None:
    gen = torch.Generator().manual_seed(1)
    with torch.no_grad():
        for name, tensor in module.state_dict().items():
            if name == "num_batches_tracked":
                continue
            noise = torch.randn(tensor.shape, generator=gen) * 0.5
            # running variances must stay positive
            tensor.copy_(noise.abs() + 0.5 if name == "running_var" else noise)


def _randomise_keras(layer: Any) -> None:
    rng = np.random.default_rng(2)
    for var in layer.weights:
        noise = rng.standard_normal(tuple(var.shape)).astype(np.float32) * 0.5
        var.assign(np.abs(noise) + 0.5 if "variance" in var.path else noise)


def _compare(case: Case, t_mod: Any, k_layer: Any, x_t: Any, x_k: np.ndarray) -> float:
    with torch.no_grad():
        expected = _first(case.run_torch(t_mod.eval(), x_t)).numpy()
    got = keras.ops.convert_to_numpy(case.run_keras(k_layer, x_k))
    if case.to_keras and got.ndim == len(case.to_keras):
        got = got.transpose(np.argsort(case.to_keras))
    assert got.shape == expected.shape
    return float(np.max(np.abs(got - expected)))


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_transfer_both_directions(case: Case) -> None:
    torch.manual_seed(0)
    x_t, x_k = _inputs(case)
    t_mod, k_layer = case.make_torch().eval(), case.make_keras()
    case.run_keras(k_layer, x_k)  # builds the Keras layer
    _randomise_torch(t_mod)
    copy_weights(t_mod, k_layer, case.kind, case.params, "torch_to_keras")
    assert _compare(case, t_mod, k_layer, x_t, x_k) < 1e-4

    _randomise_keras(k_layer)
    fresh = case.make_torch().eval()
    copy_weights(fresh, k_layer, case.kind, case.params, "keras_to_torch")
    assert _compare(case, fresh, k_layer, x_t, x_k) < 1e-4


def test_missing_bias_is_reported() -> None:
    t_mod, k_layer = nn.Linear(4, 3), layers.Dense(3, use_bias=False)
    k_layer(np.zeros((1, 4), np.float32))
    with pytest.raises(WeightTransferError, match="bias"):
        copy_weights(t_mod, k_layer, "dense", {}, "torch_to_keras")


def test_shape_mismatch_is_reported() -> None:
    t_mod, k_layer = nn.Linear(5, 3), layers.Dense(3)
    k_layer(np.zeros((1, 4), np.float32))
    with pytest.raises(WeightTransferError, match=r"expects shape \(4, 3\).*\(5, 3\)"):
        copy_weights(t_mod, k_layer, "dense", {}, "torch_to_keras")
