"""``nn.TransformerEncoderLayer`` / ``nn.TransformerEncoder`` of a traced graph -> a readable
Keras layer (MultiHeadAttention, LayerNormalization, a Dense feed-forward block, Dropout),
emitted once in the translated file, one instance per torch layer, plus the encoder's final norm.

torch's attention mask is additive (0 / -inf) or boolean (True = masked); Keras's
``attention_mask`` is boolean with True = attend, so the mask is turned around where it is used.
Weights: ``self_attn`` as ``mha`` (in_proj split into query/key/value, torch's head-major
columns as Keras's (d_model, heads, head_dim) kernels), ``linear1``/``linear2`` as ``dense``,
``norm1``/``norm2`` as ``layernorm``.
"""

from __future__ import annotations

from typing import Any, Protocol

from ..base import WeightTransfer
from ..torch_to_keras.layout import Val
from ..torch_to_keras.model import Unsupp

TRANSFORMERS = ("TransformerEncoderLayer", "TransformerEncoder")

ENCODER_LAYER_CLASS = '''
class TransformerEncoderLayer(layers.Layer):
    """torch.nn.TransformerEncoderLayer on batch-major inputs (N, S, E): self-attention, then a
    feed-forward block, each added back to its input and normalized (after the addition, or
    before the block when norm_first)."""

    def __init__(self, d_model, nhead, dim_feedforward, dropout=0.1, activation="relu",
                 layer_norm_eps=1e-5, norm_first=False, bias=True, **kwargs):
        super().__init__(**kwargs)
        self.norm_first = norm_first
        self.self_attn = layers.MultiHeadAttention(nhead, d_model // nhead, dropout=dropout,
                                                   use_bias=bias)
        self.linear1 = layers.Dense(dim_feedforward, use_bias=bias)
        self.linear2 = layers.Dense(d_model, use_bias=bias)
        self.norm1 = layers.LayerNormalization(epsilon=layer_norm_eps, center=bias)
        self.norm2 = layers.LayerNormalization(epsilon=layer_norm_eps, center=bias)
        self.activation = layers.Activation(activation)
        self.dropout = layers.Dropout(dropout)
        self.dropout1 = layers.Dropout(dropout)
        self.dropout2 = layers.Dropout(dropout)

    def call(self, x, attention_mask=None, training=False):
        if self.norm_first:
            x = x + self._attention(self.norm1(x), attention_mask, training)
            return x + self._feed_forward(self.norm2(x), training)
        x = self.norm1(x + self._attention(x, attention_mask, training))
        return self.norm2(x + self._feed_forward(x, training))

    def _attention(self, x, attention_mask, training):
        out = self.self_attn(x, x, attention_mask=attention_mask, training=training)
        return self.dropout1(out, training=training)

    def _feed_forward(self, x, training):
        hidden = self.dropout(self.activation(self.linear1(x)), training=training)
        return self.dropout2(self.linear2(hidden), training=training)
'''.strip()

_DEFAULTS = {"dropout": 0.1, "activation": "relu", "layer_norm_eps": 1e-5, "norm_first": False,
             "bias": True}


class TransformerHost(Protocol):
    """What the transformer translation needs of the graph walk (graph.py ``GraphWalk``)."""

    lines: list[str]
    layers: dict[str, tuple[str, str, str | None]]
    weights: list[WeightTransfer]
    helpers: dict[str, str]

    def new_name(self, base: str) -> str:
        """An attribute name for a new layer, not yet taken."""
        ...


def _layer_code(args: dict[str, Any], line: int, construct: str) -> str:
    if args["activation"] not in ("relu", "gelu"):
        raise Unsupp(line, construct, f"activation {args['activation']!r}: only relu and gelu "
                     "are translated")
    code = f"TransformerEncoderLayer({args['d_model']}, {args['nhead']}, " \
           f"{args['dim_feedforward']}"
    for key, default in _DEFAULTS.items():
        if args[key] != default:
            code += f", {key}={args[key]!r}"
    return code + ")"


def _add_layer(host: TransformerHost, torch_path: str, kname: str, args: dict[str, Any],
               line: int) -> None:
    host.layers[torch_path] = (kname, _layer_code(args, line, f"self.{torch_path}"), None)
    mha = {"num_heads": args["nhead"], "embed_dim": args["d_model"]}
    for kind, part, params in (("mha", "self_attn", mha), ("dense", "linear1", {}),
                               ("dense", "linear2", {}), ("layernorm", "norm1", {}),
                               ("layernorm", "norm2", {})):
        host.weights.append(WeightTransfer(kind, f"{torch_path}.{part}", f"attr:{kname}.{part}",
                                           params, line))


def keep_mask(mask: Val, line: int) -> str:
    """Keras's boolean attention mask (True = attend) from torch's mask argument."""
    kind = mask.info.get("mask")
    if kind == "bool":
        return f"keras.ops.logical_not({mask.expr})"
    if kind == "additive":
        return f"keras.ops.equal({mask.expr}, 0.0)"
    raise Unsupp(line, "attention mask", "a float mask with values other than 0 and -inf has "
                 "no Keras MultiHeadAttention equivalent (Keras masks are boolean)")


def encoder(host: TransformerHost, node: dict[str, Any], path: str, module: dict[str, Any],
            x: Val, kwargs: dict[str, Val]) -> Val:
    """``self.encoder(src, mask=..., is_causal=...)``: each layer in sequence, then the norm."""
    line, name, args = node["line"], node["name"], module["args"]
    construct = f"self.{path} (nn.{module['type']})"
    for key in ("src_key_padding_mask",):
        if key in kwargs and kwargs[key].info.get("value", 0) is not None:
            raise Unsupp(line, construct, f"{key} is not translated yet")
    layer_args = args["layers"] if module["type"] == "TransformerEncoder" else [args]
    options = ""
    mask = kwargs.get("mask") or kwargs.get("src_mask")
    if mask is not None and mask.kind == "tensor":  # is_causal is only torch's hint about it
        options += f", attention_mask={keep_mask(mask, line)}"
    host.helpers.setdefault("TransformerEncoderLayer", ENCODER_LAYER_CLASS)
    batch_first = bool(layer_args[0]["batch_first"])
    current = x.expr
    if not batch_first:
        host.lines.append(f"{name}_input = keras.ops.transpose({current}, (1, 0, 2))  "
                          "# torch's layer is sequence-first")
        current = f"{name}_input"
    base = path.replace(".", "_")
    for i, layer in enumerate(layer_args):
        torch_path = f"{path}.layers.{i}" if module["type"] == "TransformerEncoder" else path
        kname = host.new_name(f"{base}_layers_{i}" if torch_path != path else base)
        _add_layer(host, torch_path, kname, layer, line)
        var = f"{name}_{i}" if len(layer_args) > 1 else name
        host.lines.append(f"{var} = self.{kname}({current}{options})")
        current = var
    if args.get("norm_eps") is not None:
        kname = host.new_name(f"{base}_norm")
        center = "" if args.get("norm_bias", True) else ", center=False"
        host.layers[f"{path}.norm"] = (
            kname, f"layers.LayerNormalization(epsilon={args['norm_eps']!r}{center})", None)
        host.weights.append(WeightTransfer("layernorm", f"{path}.norm", f"attr:{kname}", {},
                                           line))
        host.lines.append(f"{name}_norm = self.{kname}({current})")
        current = f"{name}_norm"
    if not batch_first:
        host.lines.append(f"{name}_output = keras.ops.transpose({current}, (1, 0, 2))")
        current = f"{name}_output"
    return Val(current, tuple(node["value"]["shape"]))
