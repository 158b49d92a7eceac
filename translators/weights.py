"""Weight transfer between a PyTorch module and the matching Keras layer, one ``kind`` at a time.

Two levels:

* numpy transforms, ``to_keras(kind, torch_state, params)`` and ``to_torch(kind, keras_state,
  params)``: plain dicts of arrays in, plain dicts out, no framework import (unit-testable);
* glue, :func:`copy_weights`, that reads a live ``torch.nn.Module`` / Keras layer, transforms and
  assigns, checking every shape. Only the verification worker calls it; torch is imported lazily.

Keys on the torch side are the module's own ``state_dict()`` keys (``weight``, ``bias_hh_l0``).
Keys on the Keras side are variable paths relative to the layer, normalised by
:func:`keras_state`: ``kernel``, ``bias``, ``gamma``, ``forward/kernel`` (Bidirectional),
``query/kernel`` and ``output/kernel`` (MultiHeadAttention); RNN ``*_cell`` parts are dropped.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

Arrays = dict[str, np.ndarray]
KINDS = ("dense", "conv", "depthwise_conv", "separable_conv", "batchnorm", "layernorm",
         "normalization", "embedding", "lstm", "gru", "rnn", "mha", "keras_mha", "conv_lstm",
         "buffer", "variables")


class WeightTransferError(ValueError):
    """The weights of one layer cannot be copied (missing weight, shape mismatch, bad kind)."""


def _need(state: Arrays, key: str, kind: str) -> np.ndarray:
    if key not in state:
        raise WeightTransferError(f"{kind}: expected a weight named {key!r}, found "
                                  f"{sorted(state) or 'no weights'}")
    return np.asarray(state[key])


def _copy_optional(src: Arrays, dst: Arrays, src_key: str, dst_key: str) -> None:
    if src_key in src:
        dst[dst_key] = np.asarray(src[src_key])


# ---- dense ---------------------------------------------------------------------------------
def _flatten_perm(flatten_from: list[int]) -> np.ndarray:
    """Index map: keras (channels-last) flatten position -> torch (channels-first) position."""
    channels, *spatial = (int(d) for d in flatten_from)
    torch_order = np.arange(channels * int(np.prod(spatial, dtype=np.int64))).reshape(
        channels, *spatial)
    return np.moveaxis(torch_order, 0, -1).reshape(-1)


def _dense_to_keras(t: Arrays, p: dict[str, Any]) -> Arrays:
    kernel = _need(t, "weight", "dense").T
    if p.get("flatten_from"):
        perm = _flatten_perm(p["flatten_from"])
        if perm.size != kernel.shape[0]:
            raise WeightTransferError(f"dense: flatten_from {p['flatten_from']} has {perm.size} "
                                      f"features, the layer takes {kernel.shape[0]}")
        kernel = kernel[perm]
    out = {"kernel": np.ascontiguousarray(kernel)}
    _copy_optional(t, out, "bias", "bias")
    return out


def _dense_to_torch(k: Arrays, p: dict[str, Any]) -> Arrays:
    kernel = _need(k, "kernel", "dense")
    if p.get("flatten_from"):
        perm = _flatten_perm(p["flatten_from"])
        if perm.size != kernel.shape[0]:
            raise WeightTransferError(f"dense: flatten_from {p['flatten_from']} has {perm.size} "
                                      f"features, the layer takes {kernel.shape[0]}")
        restored = np.empty_like(kernel)
        restored[perm] = kernel
        kernel = restored
    out = {"weight": np.ascontiguousarray(kernel.T)}
    _copy_optional(k, out, "bias", "bias")
    return out


# ---- convolutions --------------------------------------------------------------------------
def _conv_axes(ndim: int) -> tuple[int, ...]:
    # torch (out, in/g, *k) -> keras (*k, in/g, out); ConvTranspose (in, out/g, *k) -> (*k, out, in)
    return (*range(2, ndim), 1, 0)


def _conv_to_keras(t: Arrays, p: dict[str, Any]) -> Arrays:
    weight = _need(t, "weight", "conv")
    out = {"kernel": np.ascontiguousarray(weight.transpose(_conv_axes(weight.ndim)))}
    _copy_optional(t, out, "bias", "bias")
    return out


def _conv_to_torch(k: Arrays, p: dict[str, Any]) -> Arrays:
    kernel = _need(k, "kernel", "conv")
    rank = kernel.ndim - 2
    # inverse of _conv_axes: keras (*k, a, b) -> torch (b, a, *k)
    out = {"weight": np.ascontiguousarray(kernel.transpose(rank + 1, rank, *range(rank)))}
    _copy_optional(k, out, "bias", "bias")
    return out


def _depthwise_to_keras(t: Arrays, p: dict[str, Any]) -> Arrays:
    weight = _need(t, "weight", "depthwise_conv")  # (in*m, 1, *k), output channel = c*m + j
    mult = int(p.get("multiplier", 1))
    if weight.shape[0] % mult:
        raise WeightTransferError(f"depthwise_conv: {weight.shape[0]} output channels are not a "
                                  f"multiple of multiplier {mult}")
    kernel_size = weight.shape[2:]
    grouped = weight.reshape(weight.shape[0] // mult, mult, *kernel_size)
    out = {"kernel": np.ascontiguousarray(np.moveaxis(grouped, (0, 1), (-2, -1)))}
    _copy_optional(t, out, "bias", "bias")
    return out


def _depthwise_to_torch(k: Arrays, p: dict[str, Any]) -> Arrays:
    kernel = _need(k, "kernel", "depthwise_conv")  # (*k, in, m)
    channels, mult = kernel.shape[-2:]
    grouped = np.moveaxis(kernel, (-2, -1), (0, 1))
    out = {"weight": np.ascontiguousarray(grouped.reshape(channels * mult, 1, *kernel.shape[:-2]))}
    _copy_optional(k, out, "bias", "bias")
    return out


def _separable_to_keras(t: Arrays, p: dict[str, Any]) -> Arrays:
    """nn.Sequential(depthwise conv, pointwise conv) -> SeparableConv's three weights."""
    depth = _depthwise_to_keras({"weight": _need(t, "0.weight", "separable_conv")}, p)
    point = _conv_to_keras({k[2:]: v for k, v in t.items() if k.startswith("1.")}, p)
    out = {"depthwise_kernel": depth["kernel"], "pointwise_kernel": point["kernel"]}
    _copy_optional(point, out, "bias", "bias")
    return out


def _separable_to_torch(k: Arrays, p: dict[str, Any]) -> Arrays:
    depth = _depthwise_to_torch({"kernel": _need(k, "depthwise_kernel", "separable_conv")}, p)
    point = _conv_to_torch({"kernel": _need(k, "pointwise_kernel", "separable_conv"),
                            **({"bias": k["bias"]} if "bias" in k else {})}, p)
    return {"0.weight": depth["weight"], **{f"1.{n}": v for n, v in point.items()}}


# ---- normalisation, embedding --------------------------------------------------------------
_BN = (("weight", "gamma"), ("bias", "beta"), ("running_mean", "moving_mean"),
       ("running_var", "moving_variance"))
_LN = (("weight", "gamma"), ("bias", "beta"))
_EMB = (("weight", "embeddings"),)
_NORM = (("mean", "mean"), ("variance", "variance"))  # keras.layers.Normalization's statistics


def _renamer(pairs: tuple[tuple[str, str], ...], to_keras: bool) -> Callable[[Arrays, dict], Arrays]:
    def rename(state: Arrays, p: dict[str, Any]) -> Arrays:
        out: Arrays = {}
        for torch_key, keras_key in pairs:
            src, dst = (torch_key, keras_key) if to_keras else (keras_key, torch_key)
            _copy_optional(state, out, src, dst)
        if not out:
            raise WeightTransferError(f"expected weights named {[pp[0 if to_keras else 1] for pp in pairs]}, "
                                      f"found {sorted(state) or 'none'}")
        return out
    return rename


def _bn_to_torch(state: Arrays, p: dict[str, Any]) -> Arrays:
    """BatchNormalization -> nn.BatchNormNd; ``center``/``scale`` False: Keras has no beta /
    gamma, the torch module's fixed offset 0 / scale 1 are written out."""
    out = _renamer(_BN, False)(state, p)
    size = np.asarray(state["moving_mean"]).shape if "moving_mean" in state else None
    if size is not None and p.get("center") is False:
        out["bias"] = np.zeros(size, np.float32)
    if size is not None and p.get("scale") is False:
        out["weight"] = np.ones(size, np.float32)
    return out


# ---- recurrent -----------------------------------------------------------------------------
def _directions(p: dict[str, Any]) -> list[tuple[str, str]]:
    """(torch suffix, keras prefix) per direction."""
    if p.get("cell"):
        return [("", "")]  # nn.LSTMCell / nn.GRUCell: weight_ih, bias_hh... without _l0
    layer = int(p.get("layer", 0))
    if p.get("bidirectional"):
        return [(f"_l{layer}", "forward/"), (f"_l{layer}_reverse", "backward/")]
    return [(f"_l{layer}", "")]


def _swap_first_two_gates(a: np.ndarray) -> np.ndarray:
    """GRU gate order: torch (r, z, n) <-> keras (z, r, h) along axis 0 (its own inverse)."""
    r, z, n = np.split(a, 3, axis=0)
    return np.concatenate([z, r, n], axis=0)


def _rnn_to_keras(t: Arrays, p: dict[str, Any], gru: bool, kind: str = "") -> Arrays:
    kind = kind or ("gru" if gru else "lstm")
    reorder = _swap_first_two_gates if gru else (lambda a: a)
    out: Arrays = {}
    for sfx, pre in _directions(p):
        out[pre + "kernel"] = np.ascontiguousarray(reorder(_need(t, "weight_ih" + sfx, kind)).T)
        out[pre + "recurrent_kernel"] = np.ascontiguousarray(
            reorder(_need(t, "weight_hh" + sfx, kind)).T)
        if "bias_ih" + sfx in t:
            b_ih, b_hh = reorder(t["bias_ih" + sfx]), reorder(_need(t, "bias_hh" + sfx, kind))
            # LSTM / SimpleRNN: keras has one bias (the sum); GRU reset_after=True keeps both.
            out[pre + "bias"] = np.stack([b_ih, b_hh]) if gru else b_ih + b_hh
    return out


def _rnn_to_torch(k: Arrays, p: dict[str, Any], gru: bool, kind: str = "") -> Arrays:
    kind = kind or ("gru" if gru else "lstm")
    reorder = _swap_first_two_gates if gru else (lambda a: a)
    out: Arrays = {}
    for sfx, pre in _directions(p):
        out["weight_ih" + sfx] = np.ascontiguousarray(reorder(_need(k, pre + "kernel", kind).T))
        out["weight_hh" + sfx] = np.ascontiguousarray(
            reorder(_need(k, pre + "recurrent_kernel", kind).T))
        if pre + "bias" in k:
            bias = k[pre + "bias"]
            if gru:
                if bias.ndim != 2:
                    raise WeightTransferError("gru: the Keras GRU needs reset_after=True "
                                              "(bias of shape (2, 3*units)) to match PyTorch")
                out["bias_ih" + sfx], out["bias_hh" + sfx] = reorder(bias[0]), reorder(bias[1])
            else:
                out["bias_ih" + sfx], out["bias_hh" + sfx] = bias, np.zeros_like(bias)
    return out


# ---- multi-head attention ------------------------------------------------------------------
def _mha_heads(p: dict[str, Any], embed_dim: int) -> tuple[int, int]:
    heads = int(p.get("num_heads", 0))
    if heads <= 0 or embed_dim % heads:
        raise WeightTransferError(f"mha: num_heads={p.get('num_heads')!r} does not divide "
                                  f"embed_dim {embed_dim}")
    return heads, embed_dim // heads


def _mha_to_keras(t: Arrays, p: dict[str, Any]) -> Arrays:
    if "bias_k" in t:
        raise WeightTransferError("mha: add_bias_kv=True has no Keras MultiHeadAttention equivalent")
    if "in_proj_weight" in t:
        projections = np.split(t["in_proj_weight"], 3, axis=0)
    else:
        projections = [_need(t, f"{n}_proj_weight", "mha") for n in "qkv"]
    biases = np.split(t["in_proj_bias"], 3) if "in_proj_bias" in t else [None] * 3
    embed_dim = projections[0].shape[0]
    heads, head_dim = _mha_heads(p, embed_dim)
    out: Arrays = {}
    for name, weight, bias in zip(("query", "key", "value"), projections, biases, strict=True):
        out[name + "/kernel"] = np.ascontiguousarray(weight.T.reshape(-1, heads, head_dim))
        if bias is not None:
            out[name + "/bias"] = bias.reshape(heads, head_dim)
    out_weight = _need(t, "out_proj.weight", "mha")
    out["output/kernel"] = np.ascontiguousarray(out_weight.T.reshape(heads, head_dim, -1))
    _copy_optional(t, out, "out_proj.bias", "output/bias")
    return out


def _mha_to_torch(k: Arrays, p: dict[str, Any]) -> Arrays:
    kernels = [_need(k, f"{n}/kernel", "mha") for n in ("query", "key", "value")]
    weights = [kern.reshape(kern.shape[0], -1).T for kern in kernels]  # (E, in)
    out: Arrays = {}
    if len({w.shape for w in weights}) == 1 and p.get("packed", True):
        out["in_proj_weight"] = np.ascontiguousarray(np.concatenate(weights, axis=0))
    else:
        for n, w in zip("qkv", weights, strict=True):
            out[f"{n}_proj_weight"] = np.ascontiguousarray(w)
    if "query/bias" in k:
        out["in_proj_bias"] = np.concatenate([k[f"{n}/bias"].reshape(-1)
                                              for n in ("query", "key", "value")])
    out_kernel = _need(k, "output/kernel", "mha")
    out["out_proj.weight"] = np.ascontiguousarray(
        out_kernel.reshape(-1, out_kernel.shape[-1]).T)
    _copy_optional(k, out, "output/bias", "out_proj.bias")
    return out


def _keras_mha_to_torch(k: Arrays, p: dict[str, Any]) -> Arrays:
    """keras MultiHeadAttention -> the emitted KerasMultiHeadAttention: query/key/value kernels
    (in, heads, dim) become Linear weights (heads * dim, in); the output kernel (heads, dim, out)
    a Linear weight (out, heads * dim)."""
    out: Arrays = {}
    for name in ("query", "key", "value"):
        kernel = _need(k, f"{name}/kernel", "keras_mha")
        out[f"{name}.weight"] = np.ascontiguousarray(kernel.reshape(kernel.shape[0], -1).T)
        if f"{name}/bias" in k:
            out[f"{name}.bias"] = np.asarray(k[f"{name}/bias"]).reshape(-1)
    kernel = _need(k, "output/kernel", "keras_mha")
    out["output.weight"] = np.ascontiguousarray(kernel.reshape(-1, kernel.shape[-1]).T)
    _copy_optional(k, out, "output/bias", "output.bias")
    return out


def _conv_lstm_to_torch(k: Arrays, p: dict[str, Any]) -> Arrays:
    """keras ConvLSTM{1,2,3}D -> the emitted ConvLSTM{n}d: the kernel (*k, in, 4F) and the
    recurrent kernel (*k, F, 4F) become conv weights (4F, in, *k); the gate order is kept."""
    out = {f"input_conv.{n}": v for n, v in _conv_to_torch(k, p).items()}
    recurrent = _need(k, "recurrent_kernel", "conv_lstm")
    out["recurrent_conv.weight"] = _conv_to_torch({"kernel": recurrent}, p)["weight"]
    return out


# ---- a buffer or parameter used directly (``self.pe``): one Keras variable -----------------
def _buffer_to_keras(t: Arrays, p: dict[str, Any]) -> Arrays:
    return {"value": _need(t, str(p.get("name")), "buffer")}


def _buffer_to_torch(k: Arrays, p: dict[str, Any]) -> Arrays:
    return {str(p.get("name")): _need(k, "value", "buffer")}


# ---- a custom layer's own variables (``self.w = self.add_weight(...)``), as they are --------
def _variables(to_keras: bool) -> Callable[[Arrays, dict[str, Any]], Arrays]:
    """params["pairs"] = [[torch_name, keras_name], ...]; no transpose."""
    def copy(state: Arrays, p: dict[str, Any]) -> Arrays:
        out: Arrays = {}
        for torch_key, keras_key in p.get("pairs", []):
            src, dst = (torch_key, keras_key) if to_keras else (keras_key, torch_key)
            out[str(dst)] = _need(state, str(src), "variables")
        return out
    return copy


_TO_KERAS: dict[str, Callable[[Arrays, dict[str, Any]], Arrays]] = {
    "dense": _dense_to_keras, "conv": _conv_to_keras, "depthwise_conv": _depthwise_to_keras,
    "separable_conv": _separable_to_keras, "batchnorm": _renamer(_BN, True),
    "layernorm": _renamer(_LN, True), "normalization": _renamer(_NORM, True),
    "embedding": _renamer(_EMB, True), "lstm": lambda t, p: _rnn_to_keras(t, p, False),
    "gru": lambda t, p: _rnn_to_keras(t, p, True), "mha": _mha_to_keras,
    "rnn": lambda t, p: _rnn_to_keras(t, p, False, "rnn"), "buffer": _buffer_to_keras,
    "variables": _variables(True),
}
_TO_TORCH: dict[str, Callable[[Arrays, dict[str, Any]], Arrays]] = {
    "dense": _dense_to_torch, "conv": _conv_to_torch, "depthwise_conv": _depthwise_to_torch,
    "separable_conv": _separable_to_torch, "batchnorm": _bn_to_torch,
    "layernorm": _renamer(_LN, False), "normalization": _renamer(_NORM, False),
    "embedding": _renamer(_EMB, False), "lstm": lambda k, p: _rnn_to_torch(k, p, False),
    "gru": lambda k, p: _rnn_to_torch(k, p, True), "mha": _mha_to_torch,
    "keras_mha": _keras_mha_to_torch, "conv_lstm": _conv_lstm_to_torch,
    "rnn": lambda k, p: _rnn_to_torch(k, p, False, "rnn"), "buffer": _buffer_to_torch,
    "variables": _variables(False),
}


def to_keras(kind: str, torch_state: Arrays, params: dict[str, Any] | None = None) -> Arrays:
    """Turn a torch module's state (``state_dict`` as numpy) into Keras weights for ``kind``."""
    if kind not in _TO_KERAS:
        raise WeightTransferError(f"unknown weight kind {kind!r} (known: {', '.join(KINDS)})")
    return _TO_KERAS[kind](torch_state, params or {})


def to_torch(kind: str, keras_state: Arrays, params: dict[str, Any] | None = None) -> Arrays:
    """Turn a Keras layer's weights (normalised keys, see module doc) into torch state for ``kind``."""
    if kind not in _TO_TORCH:
        raise WeightTransferError(f"unknown weight kind {kind!r} (known: {', '.join(KINDS)})")
    return _TO_TORCH[kind](keras_state, params or {})


# ---- glue on live objects (called in the worker only) --------------------------------------
def keras_key(layer: Any, variable: Any) -> str:
    """The normalised key of one of ``layer``'s variables (``kernel``, ``forward/bias``...)."""
    path = str(getattr(variable, "path", variable.name))
    prefix = str(getattr(layer, "path", "")) + "/"
    rel = path[len(prefix):] if path.startswith(prefix) else path.rsplit("/", 1)[-1]
    parts = []
    for part in rel.split("/"):
        if part.endswith("_cell"):
            continue  # the RNN cell is an implementation detail
        if part.startswith(("forward_", "backward_")):
            part = part.split("_", 1)[0]
        parts.append("output" if part == "attention_output" else part)
    return "/".join(parts)


def keras_state(layer: Any) -> dict[str, Any]:
    """The variables of a Keras layer keyed by :func:`keras_key`."""
    return {keras_key(layer, v): v for v in layer.weights}


def _assign_checked(name: str, current_shape: tuple[int, ...], value: np.ndarray) -> np.ndarray:
    if tuple(current_shape) != tuple(value.shape):
        raise WeightTransferError(f"{name}: target expects shape {tuple(current_shape)}, the "
                                  f"source gives {tuple(value.shape)}")
    return value


def copy_weights(torch_module: Any, keras_layer: Any, kind: str, params: dict[str, Any] | None,
                 direction: str) -> None:
    """Copy one layer's weights; ``direction`` is ``torch_to_keras`` or ``keras_to_torch``."""
    import torch  # the worker has it loaded already

    # a custom layer's own variables: its sublayers have weight-map entries of their own
    own = kind in ("buffer", "variables")
    if own:
        t_state = {**dict(torch_module.named_buffers(recurse=False)),
                   **dict(torch_module.named_parameters(recurse=False))}
    if kind == "buffer":  # the module's own tensor, persistent or not; a Keras variable
        k_vars = {"value": keras_layer}
    else:
        t_state = t_state if own else torch_module.state_dict()
        k_vars = keras_state(keras_layer)
        if kind == "variables":  # a weight made without name= is found by its attribute
            attrs = {str(k) for _, k in (params or {}).get("pairs", []) if str(k).startswith(
                "attr:")}
            found = {a: getattr(keras_layer, a[5:]) for a in attrs}
            k_vars = {k: v for k, v in k_vars.items()
                      if not any(v is w for w in found.values())} | found
    if direction == "torch_to_keras":
        new = to_keras(kind, {k: v.detach().cpu().numpy() for k, v in t_state.items()}, params)
        _check_keys(new, k_vars, "Keras layer")
        uncovered = sorted(set(k_vars) - set(new))
        if uncovered:
            raise WeightTransferError(f"{kind}: no source weight for Keras weights {uncovered}; "
                                      f"check use_bias/affine/center/scale")
        for key, value in new.items():
            var = k_vars[key]
            var.assign(_assign_checked(f"keras {key}", tuple(var.shape),
                                       value.astype(np.float32)))
        return
    if direction != "keras_to_torch":
        raise WeightTransferError(f"unknown direction {direction!r}")
    from keras import ops

    new = to_torch(kind, {k: ops.convert_to_numpy(v) for k, v in k_vars.items()}, params)
    _check_keys(new, t_state, "torch module")
    params_left = {n for n, _ in torch_module.named_parameters(recurse=not own)} - set(new)
    if params_left:
        raise WeightTransferError(f"{kind}: no source weight for torch parameters "
                                  f"{sorted(params_left)}")
    with torch.no_grad():
        for key, value in new.items():
            tensor = t_state[key]
            _assign_checked(f"torch {key}", tuple(tensor.shape), value)
            tensor.copy_(torch.from_numpy(np.ascontiguousarray(value)).to(tensor.dtype))


def _check_keys(new: dict[str, Any], existing: dict[str, Any], where: str) -> None:
    missing = sorted(set(new) - set(existing))
    if missing:
        raise WeightTransferError(f"the {where} has no weights {missing} (it has "
                                  f"{sorted(existing)}); check use_bias/affine/center/scale")
