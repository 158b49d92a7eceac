"""numpy-level weight transforms: layouts, round trips and errors (no framework import)."""

from __future__ import annotations

import numpy as np
import pytest

from mlsense.translators.weights import WeightTransferError, to_keras, to_torch

RNG = np.random.default_rng(0)


def _rand(*shape: int) -> np.ndarray:
    return RNG.standard_normal(shape).astype(np.float32)


def _assert_same(a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> None:
    assert sorted(a) == sorted(b)
    for key in a:
        np.testing.assert_array_equal(a[key], b[key], err_msg=key)


@pytest.mark.parametrize("kind,state,params", [
    ("dense", {"weight": _rand(4, 6), "bias": _rand(4)}, {}),
    ("dense", {"weight": _rand(5, 24)}, {"flatten_from": [2, 3, 4]}),
    ("conv", {"weight": _rand(6, 2, 3, 5), "bias": _rand(6)}, {"rank": 2}),
    ("conv", {"weight": _rand(6, 4, 3)}, {"rank": 1}),
    ("depthwise_conv", {"weight": _rand(6, 1, 3, 3), "bias": _rand(6)}, {"multiplier": 2}),
    ("batchnorm", {"weight": _rand(3), "bias": _rand(3), "running_mean": _rand(3),
                   "running_var": _rand(3)}, {}),
    ("layernorm", {"weight": _rand(3), "bias": _rand(3)}, {}),
    ("embedding", {"weight": _rand(10, 3)}, {}),
    ("gru", {"weight_ih_l0": _rand(9, 4), "weight_hh_l0": _rand(9, 3), "bias_ih_l0": _rand(9),
             "bias_hh_l0": _rand(9)}, {"hidden": 3}),
    ("mha", {"in_proj_weight": _rand(24, 8), "in_proj_bias": _rand(24),
             "out_proj.weight": _rand(8, 8), "out_proj.bias": _rand(8)}, {"num_heads": 2}),
])
def test_round_trip_is_identity(kind: str, state: dict[str, np.ndarray], params: dict) -> None:
    _assert_same(to_torch(kind, to_keras(kind, state, params), params), state)


def test_dense_flatten_permutes_rows_to_channels_last() -> None:
    channels, height, width = 2, 3, 4
    weight = np.arange(channels * height * width, dtype=np.float32)[None, :]  # one output
    kernel = to_keras("dense", {"weight": weight}, {"flatten_from": [2, 3, 4]})["kernel"]
    # keras row (h, w, c) must hold the torch column (c, h, w)
    h, w, c = 1, 2, 1
    assert kernel[(h * width + w) * channels + c, 0] == c * height * width + h * width + w


def test_conv_kernel_layout() -> None:
    weight = _rand(6, 4, 3, 5)  # (out, in, kh, kw)
    kernel = to_keras("conv", {"weight": weight}, {"rank": 2})["kernel"]
    assert kernel.shape == (3, 5, 4, 6)
    assert kernel[2, 1, 3, 5] == weight[5, 3, 2, 1]


def test_depthwise_channel_order() -> None:
    weight = _rand(6, 1, 3, 3)  # in=3, multiplier=2: output channel c*2 + j
    kernel = to_keras("depthwise_conv", {"weight": weight}, {"multiplier": 2})["kernel"]
    assert kernel.shape == (3, 3, 3, 2)
    assert kernel[0, 1, 2, 1] == weight[2 * 2 + 1, 0, 0, 1]


def test_lstm_bias_is_summed_and_split_back() -> None:
    state = {"weight_ih_l0": _rand(8, 3), "weight_hh_l0": _rand(8, 2), "bias_ih_l0": _rand(8),
             "bias_hh_l0": _rand(8)}
    keras_w = to_keras("lstm", state, {"hidden": 2})
    np.testing.assert_allclose(keras_w["bias"], state["bias_ih_l0"] + state["bias_hh_l0"])
    assert keras_w["kernel"].shape == (3, 8) and keras_w["recurrent_kernel"].shape == (2, 8)
    back = to_torch("lstm", keras_w, {"hidden": 2})
    np.testing.assert_allclose(back["bias_ih_l0"] + back["bias_hh_l0"], keras_w["bias"])


def test_gru_gate_order_and_bias_rows() -> None:
    hidden = 2
    bias_ih = np.repeat(np.array([1, 2, 3], np.float32), hidden)  # r, z, n
    state = {"weight_ih_l0": _rand(6, 3), "weight_hh_l0": _rand(6, 2), "bias_ih_l0": bias_ih,
             "bias_hh_l0": bias_ih * 10}
    keras_bias = to_keras("gru", state, {"hidden": hidden})["bias"]
    assert keras_bias.shape == (2, 6)
    assert list(keras_bias[0]) == [2, 2, 1, 1, 3, 3]  # z, r, h
    assert list(keras_bias[1]) == [20, 20, 10, 10, 30, 30]


def test_bidirectional_keys() -> None:
    state = {}
    for sfx in ("_l0", "_l0_reverse"):
        state.update({"weight_ih" + sfx: _rand(8, 3), "weight_hh" + sfx: _rand(8, 2)})
    keys = set(to_keras("lstm", state, {"bidirectional": True}))
    assert keys == {"forward/kernel", "forward/recurrent_kernel", "backward/kernel",
                    "backward/recurrent_kernel"}


def test_mha_kernel_shapes() -> None:
    state = {"in_proj_weight": _rand(24, 8), "out_proj.weight": _rand(8, 8)}
    out = to_keras("mha", state, {"num_heads": 2})
    assert out["query/kernel"].shape == (8, 2, 4) and out["output/kernel"].shape == (2, 4, 8)


@pytest.mark.parametrize("kind,state,params,match", [
    ("nope", {}, {}, "unknown weight kind 'nope'"),
    ("dense", {"bias": _rand(3)}, {}, "expected a weight named 'weight'"),
    ("dense", {"weight": _rand(3, 10)}, {"flatten_from": [2, 2, 2]}, "8 features"),
    ("mha", {"in_proj_weight": _rand(24, 8), "out_proj.weight": _rand(8, 8)}, {"num_heads": 3},
     "does not divide"),
    ("depthwise_conv", {"weight": _rand(5, 1, 3)}, {"multiplier": 2}, "multiple"),
])
def test_errors_are_clear(kind: str, state: dict, params: dict, match: str) -> None:
    with pytest.raises(WeightTransferError, match=match):
        to_keras(kind, state, params)


def test_gru_without_reset_after_is_rejected() -> None:
    keras_w = {"kernel": _rand(3, 6), "recurrent_kernel": _rand(2, 6), "bias": _rand(6)}
    with pytest.raises(WeightTransferError, match="reset_after=True"):
        to_torch("gru", keras_w, {})
