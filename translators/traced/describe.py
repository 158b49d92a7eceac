"""What the traced description says of each node and layer, as plain JSON: a layer's
constructor arguments read off the instance (the transformer encoder layers' options from their
submodules), a node's arguments and keywords, its runtime value (a tensor's shape, dtype, a
mask's kind, a small constant's values). Runs in the verification worker with capture.py."""

from __future__ import annotations

import inspect
from typing import Any

import numpy as np
import torch
from torch import fx

# torch RNN constructors take ``*args``: their arguments, as the instance stores them.
_RNN_ARGS = {"input_size": None, "hidden_size": None, "num_layers": 1, "bias": True,
             "batch_first": False, "dropout": 0.0, "bidirectional": False, "proj_size": 0}

def is_buffer(model: torch.nn.Module, node: fx.Node) -> bool:
    """Whether a ``get_attr`` node reads a buffer or parameter of the model (not a tensor
    constant that tracing made from a tensor computed outside the graph)."""
    if node.op != "get_attr":
        return False
    owner, _, name = str(node.target).rpartition(".")
    try:
        module = model.get_submodule(owner)
    except AttributeError:
        return False
    return name in module._buffers or name in module._parameters


def is_parameter(model: torch.nn.Module, node: fx.Node) -> bool:
    """Whether a ``get_attr`` node reads an ``nn.Parameter`` (trained) rather than a buffer."""
    if node.op != "get_attr":
        return False
    owner, _, name = str(node.target).rpartition(".")
    try:
        return name in model.get_submodule(owner)._parameters
    except AttributeError:
        return False


def layer_args(layer: torch.nn.Module) -> dict[str, Any]:
    """What the translation needs of a layer: its constructor arguments; for the transformer
    encoder layers, the options their submodules hold."""
    if isinstance(layer, torch.nn.TransformerEncoder):
        norm = layer.norm
        return {"layers": [_encoder_layer_args(m) for m in layer.layers],
                "norm_eps": norm.eps if isinstance(norm, torch.nn.LayerNorm) else None,
                "norm_bias": getattr(norm, "bias", None) is not None}
    if isinstance(layer, torch.nn.TransformerEncoderLayer):
        return _encoder_layer_args(layer)
    return constructor_args(layer)


def _encoder_layer_args(layer: Any) -> dict[str, Any]:
    act = getattr(layer, "activation_relu_or_gelu", 0)  # torch: 1 relu, 2 gelu, else other
    fn = layer.activation
    activation = str({1: "relu", 2: "gelu"}.get(act) or getattr(fn, "__name__",
                                                                 type(fn).__name__))
    if isinstance(fn, torch.nn.GELU) and fn.approximate != "none":
        activation = "gelu_tanh"
    attn = layer.self_attn
    return {"d_model": attn.embed_dim, "nhead": attn.num_heads,
            "dim_feedforward": layer.linear1.out_features, "dropout": layer.dropout.p,
            "activation": activation.lower(), "layer_norm_eps": layer.norm1.eps,
            "norm_first": layer.norm_first, "bias": layer.linear1.bias is not None,
            "batch_first": attn.batch_first}


def constructor_args(module: torch.nn.Module) -> dict[str, Any]:
    """The constructor arguments that differ from the defaults, read from the instance."""
    out: dict[str, Any] = {}
    try:
        params = inspect.signature(type(module).__init__).parameters
    except (TypeError, ValueError):
        params = {}  # type: ignore[assignment]
    if any(p.kind is p.VAR_POSITIONAL for p in params.values()) and hasattr(module, "hidden_size"):
        pairs = [(k, d) for k, d in _RNN_ARGS.items()]
    else:
        pairs = [(k, p.default) for k, p in params.items() if k != "self"
                 and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
    for key, default in pairs:
        value = _instance_value(module, key)
        if value is _MISSING:
            continue
        same = isinstance(value, tuple) and len(set(value)) == 1 and value[0] == default
        if default is inspect.Parameter.empty or default is None or \
                not (value == default or same):
            out[key] = jsonable(value)
    return out


_MISSING = object()


def _instance_value(module: torch.nn.Module, key: str) -> Any:
    if isinstance(module, torch.nn.MultiheadAttention):
        derived = {"bias": module.in_proj_bias is not None, "add_bias_kv": module.bias_k is not None,
                   "kdim": None if module._qkv_same_embed_dim else module.kdim,
                   "vdim": None if module._qkv_same_embed_dim else module.vdim}
        if key in derived:
            return derived[key]
    if key in module._parameters or (key == "bias" and not isinstance(getattr(module, key, 0),
                                                                      bool)):
        return getattr(module, key, None) is not None  # a weight: the flag that created it
    value = getattr(module, key, _MISSING)
    if isinstance(value, torch.Tensor | torch.nn.Module) or callable(value):
        return _MISSING
    return value


def jsonable(value: Any) -> Any:
    """Constructor values and node arguments as JSON; node references as ``{"node": name}``."""
    if isinstance(value, fx.Node):
        return {"node": value.name}
    if isinstance(value, bool | int | float | str) or value is None:
        return value
    if isinstance(value, slice):
        return {"slice": [jsonable(value.start), jsonable(value.stop), jsonable(value.step)]}
    if isinstance(value, tuple | list | torch.Size):
        return {"tuple": [jsonable(v) for v in value]}
    if isinstance(value, dict):
        return {"dict": {str(k): jsonable(v) for k, v in value.items()}}
    if value is Ellipsis:
        return {"ellipsis": True}
    return {"repr": repr(value)}


_CONSTANT_SIZE = 4096  # a tensor built from constants with more values is not written out


def describe_value(value: Any, constant: bool = False) -> Any:
    """A node's runtime result: a tensor's shape and dtype (a mask's kind; a small constant's
    values), or the Python value."""
    if isinstance(value, torch.Tensor):
        out: dict[str, Any] = {"shape": list(value.shape),
                               "dtype": str(value.dtype).replace("torch.", "")}
        if value.dtype == torch.bool:
            out["mask"] = "bool"
        elif value.is_floating_point() and value.numel() <= 1 << 16 and bool(
                ((value == 0) | (value == float("-inf"))).all()):
            out["mask"] = "additive"  # 0 where attended, -inf where masked
        if constant and value.numel() and bool((value == value.flatten()[0]).all()):
            out["fill"] = value.flatten()[0].item()  # torch.zeros(n, 51): every value the same
        elif constant and value.numel() <= _CONSTANT_SIZE:
            out["values"] = [v if np.isfinite(v) else str(v) for v in
                             value.detach().double().flatten().tolist()]
        return out
    if isinstance(value, tuple | list):
        return {"items": [describe_value(v) for v in value]}
    return {"value": jsonable(value)}


def target(node: fx.Node) -> str:
    if node.op == "call_function":
        name = fx.node._get_qualified_name(node.target)  # type: ignore[arg-type]
        return name.replace("_operator.", "operator.")
    return str(node.target)


def given_kwargs(node: fx.Node) -> dict[str, Any]:
    """A call's keywords without those fx filled in with the function's defaults."""
    kwargs = dict(node.kwargs)
    if node.op == "call_function":
        # F.max_pool2d and friends dispatch on return_indices: read the plain variant's defaults
        dispatched = torch._jit_internal.boolean_dispatched.get(node.target)  # type: ignore
        try:
            params = inspect.signature(dispatched["if_false"] if dispatched else
                                       node.target).parameters  # type: ignore[arg-type]
        except (TypeError, ValueError):
            params = {}  # type: ignore[assignment]
        kwargs = {k: v for k, v in kwargs.items() if not (
            k in params and not isinstance(v, fx.Node) and params[k].default is not
            inspect.Parameter.empty and _equal(params[k].default, v))}
    return {k: jsonable(v) for k, v in kwargs.items()}


def _equal(a: Any, b: Any) -> bool:
    try:
        return bool(a == b) and type(a) is type(b)
    except Exception:  # noqa: BLE001 - an odd default that does not compare
        return False


