"""Keras sequence layers -> PyTorch: Embedding, LSTM, GRU, SimpleRNN, Bidirectional, attention.

Keras RNNs are batch-major and return the last step unless ``return_sequences=True``; torch RNNs
return ``(output, state)``. The last step of a bidirectional Keras RNN is the concatenation of
the forward direction's final state and the backward direction's final state (which the torch
output holds at time 0), so it is read from ``h_n`` rather than ``output[:, -1]``.
"""

from __future__ import annotations

from .layers import (
    ACTIVATIONS,
    CONVERTERS,
    Mod,
    Result,
    channels_last,
    check_args,
    padding_steps,
    want,
    window_args,
)
from .parse import LayerSpec
from .shapes import Sym, conv_out, fmt_tuple


def embedding(spec: LayerSpec, ins: list[Sym]) -> Result:
    check_args(spec, {"input_dim", "output_dim", "mask_zero", "embeddings_initializer"}, 2)
    if spec.get("mask_zero"):
        raise spec.unsupported("Embedding(mask_zero=True)",
                               "Keras masks padded steps downstream; torch has no masking here")
    vocab, dim = spec.get("input_dim", 0), spec.get("output_dim", 1)
    x = ins[0]
    out = x.with_(shape=(*x.shape, dim), layout="keras", dtype="float32", vocab=None)
    return [Mod(f"nn.Embedding({vocab}, {dim})", "embedding", ("embedding", {}))], out


_RNN_ARGS = {"units", "activation", "recurrent_activation", "use_bias", "return_sequences",
             "return_state", "go_backwards", "stateful", "unroll", "dropout",
             "recurrent_dropout", "reset_after", "unit_forget_bias", "time_major",
             "implementation", "use_cudnn"}


def _check_rnn(spec: LayerSpec) -> None:
    check_args(spec, _RNN_ARGS, 1)
    for key, bad in (("return_state", True), ("go_backwards", True), ("stateful", True),
                     ("use_bias", False)):
        if spec.get(key) == bad:
            raise spec.unsupported(f"{spec.kind}({key}={bad})", "not translated")
    if spec.get("activation", default="tanh") != "tanh" or spec.get(
            "recurrent_activation", default="sigmoid") != "sigmoid":
        raise spec.unsupported(f"{spec.kind}(activation=...)",
                               "torch RNNs use tanh/sigmoid only")
    if spec.kind == "GRU" and spec.get("reset_after", default=True) is not True:
        raise spec.unsupported("GRU(reset_after=False)",
                               "torch's GRU applies the reset gate after the matmul "
                               "(reset_after=True) only")


def rnn(spec: LayerSpec, ins: list[Sym], bidirectional: bool = False,
        outer: LayerSpec | None = None) -> Result:
    """LSTM / GRU / SimpleRNN (nn.RNN, tanh), optionally wrapped in Bidirectional."""
    _check_rnn(spec)
    pre, x = want(ins[0], "keras")
    if len(x.shape) != 2:
        raise spec.unsupported(spec.kind, "RNN input must be (steps, features)")
    units = spec.get("units", 0)
    seq = bool(spec.get("return_sequences", default=False))
    cls = {"LSTM": "LSTM", "GRU": "GRU", "SimpleRNN": "RNN"}[spec.kind]
    extra = ", bidirectional=True" if bidirectional else ""
    ctor = f"nn.{cls}({x.shape[1]}, {units}, batch_first=True{extra})"
    weight = (cls.lower(), {"bidirectional": bidirectional, "hidden": units})
    width = units * (2 if bidirectional else 1)
    if seq:
        mod = Mod(ctor, cls.lower(), weight, stmt="{v}, _ = {m}({x})", expr="{v}")
        return [*pre, mod], x.with_(shape=(x.shape[0], width))
    if not bidirectional:
        # Keras return_sequences=False: the last time step.
        mod = Mod(ctor, cls.lower(), weight, stmt="{v}, _ = {m}({x})", expr="{v}[:, -1, :]")
    else:
        state = "_, ({v}, _)" if cls == "LSTM" else "_, {v}"
        mod = Mod(ctor, cls.lower(), weight, stmt=state + " = {m}({x})",
                  expr="torch.cat([{v}[-2], {v}[-1]], dim=-1)")
    return [*pre, mod], x.with_(shape=(width,))


def recurrent(spec: LayerSpec, ins: list[Sym]) -> Result:
    return rnn(spec, ins)


def bidirectional(spec: LayerSpec, ins: list[Sym]) -> Result:
    check_args(spec, {"layer", "merge_mode", "backward_layer"}, 2)
    inner = spec.get("layer", 0)
    if not isinstance(inner, LayerSpec) or inner.kind not in ("LSTM", "GRU", "SimpleRNN"):
        raise spec.unsupported("Bidirectional(...)", "only LSTM/GRU/SimpleRNN are wrapped")
    if spec.get("merge_mode", 1, "concat") != "concat" or spec.get("backward_layer") is not None:
        raise spec.unsupported("Bidirectional(merge_mode=...)", "only merge_mode='concat'")
    return rnn(inner, ins, bidirectional=True, outer=spec)


def attention_call(spec: LayerSpec, query: Sym, value: Sym, key: Sym | None) -> Result:
    """``mha(query, value[, key])`` -> ``nn.MultiheadAttention(batch_first=True)``."""
    check_args(spec, {"num_heads", "key_dim", "value_dim", "dropout", "use_bias",
                      "output_shape"}, 3)
    heads, key_dim = spec.get("num_heads", 0), spec.get("key_dim", 1)
    q_pre, q = want(query, "keras")
    _, v = want(value, "keras")
    embed = q.shape[-1]
    rate = float(spec.get("dropout", default=0.0))
    value_dim = spec.get("value_dim", 2)
    widths = (embed, v.shape[-1], v.shape[-1] if key is None else key.shape[-1])
    if spec.get("output_shape") is not None or not all(isinstance(w, int) for w in widths) \
            or len(q.shape) != 2 or not isinstance(heads, int) or not isinstance(key_dim, int):
        raise spec.unsupported("MultiHeadAttention(...)", "translated for (N, T, F) sequences "
                               "with known widths, without output_shape")
    if key_dim * heads != embed or value_dim not in (None, key_dim) or len(set(widths)) > 1 \
            or not spec.get("use_bias", default=True):
        # Keras projects to num_heads x key_dim, whatever the width: an emitted module
        bias = "" if spec.get("use_bias", default=True) else ", bias=False"
        ctor = (f"KerasMultiHeadAttention({widths[0]}, {widths[2]}, {widths[1]}, {heads}, "
                f"{key_dim}, {value_dim or key_dim}{f', dropout={rate}' if rate else ''}{bias})")
        return [*q_pre, Mod(ctor, "attn", ("keras_mha", {}), helper=KERAS_MHA_HELPER)], q
    extra = f", dropout={rate}" if rate else ""
    ctor = f"nn.MultiheadAttention({embed}, {heads}{extra}, batch_first=True)"
    weight = ("mha", {"num_heads": heads, "embed_dim": embed})
    return [*q_pre, Mod(ctor, "attn", weight)], q


KERAS_MHA_HELPER = '''class KerasMultiHeadAttention(nn.Module):
    """keras.layers.MultiHeadAttention: query, key and value projected to num_heads x key_dim
    (values: value_dim) whatever their width, scaled dot-product attention per head, projected
    back to the query's width (nn.MultiheadAttention needs num_heads x head_dim == width)."""

    def __init__(self, query_dim, key_in, value_in, num_heads, key_dim, value_dim, dropout=0.0,
                 bias=True):
        super().__init__()
        self.num_heads, self.key_dim, self.value_dim = num_heads, key_dim, value_dim
        self.query = nn.Linear(query_dim, num_heads * key_dim, bias=bias)
        self.key = nn.Linear(key_in, num_heads * key_dim, bias=bias)
        self.value = nn.Linear(value_in, num_heads * value_dim, bias=bias)
        self.output = nn.Linear(num_heads * value_dim, query_dim, bias=bias)
        self.dropout = nn.Dropout(dropout)

    def forward(self, query, value, key=None):
        key = value if key is None else key
        n, t, s = query.shape[0], query.shape[1], value.shape[1]
        q = self.query(query).view(n, t, self.num_heads, self.key_dim).transpose(1, 2)
        k = self.key(key).view(n, s, self.num_heads, self.key_dim).transpose(1, 2)
        v = self.value(value).view(n, s, self.num_heads, self.value_dim).transpose(1, 2)
        scores = torch.softmax(q @ k.transpose(-2, -1) / self.key_dim ** 0.5, dim=-1)
        out = (self.dropout(scores) @ v).transpose(1, 2).reshape(n, t, -1)
        return self.output(out)'''


_CONV_LSTM_ARGS = ["filters", "kernel_size", "strides", "padding", "data_format",
                   "dilation_rate", "activation", "recurrent_activation", "use_bias"]


def conv_lstm(spec: LayerSpec, ins: list[Sym]) -> Result:
    """ConvLSTM1D/2D/3D -> an emitted ``ConvLSTM{n}d`` module on channels-first input
    ``(N, C, T, *spatial)``: every step's input convolution at once, then the recurrence."""
    rank = int(spec.kind[-2])
    channels_last(spec)
    check_args(spec, {*_CONV_LSTM_ARGS, "return_sequences", "return_state", "go_backwards",
                      "stateful", "unroll", "dropout", "recurrent_dropout",
                      "unit_forget_bias"}, len(_CONV_LSTM_ARGS))
    for key in ("return_state", "go_backwards", "stateful"):
        if spec.get(key):
            raise spec.unsupported(f"{spec.kind}({key}=True)", "not translated")
    pos = {n: i for i, n in enumerate(_CONV_LSTM_ARGS)}
    k, st, d = window_args(spec, pos, rank)
    pre, x = want(ins[0], "cf")
    if len(x.shape) != rank + 2:
        raise spec.unsupported(spec.kind, f"input must be (steps, {rank} spatial axes, channels)")
    cin, filters = x.shape[-1], spec.get("filters", 0)
    if cin is None or not isinstance(filters, int):
        raise spec.unsupported(spec.kind, "the number of input channels or filters is unknown")
    padding = str(spec.get("padding", pos["padding"], "valid")).lower()
    frame = x.with_(shape=x.shape[1:])
    pad_steps, pad_arg = padding_steps(spec, frame, k, st, d, padding)
    if pad_steps:
        raise spec.unsupported(f"{spec.kind}(padding='same')", "Keras pads each frame unevenly "
                               "at this stride; pad the frames with F.pad before the layer")
    opts = f", {fmt_tuple(k)}"
    opts += f", stride={fmt_tuple(st)}" if any(v != 1 for v in st) else ""
    opts += pad_arg
    opts += f", dilation={fmt_tuple(d)}" if any(v != 1 for v in d) else ""
    opts += "" if spec.get("use_bias", pos["use_bias"], True) else ", bias=False"
    for key, default in (("activation", "tanh"), ("recurrent_activation", "sigmoid")):
        name = spec.get(key, pos[key], default)
        if name == default:
            continue
        module = ACTIVATIONS.get(name, (None, ""))[0] if isinstance(name, str) else None
        if module is None:
            raise spec.unsupported(f"{spec.kind}({key}={name!r})", "activation is not translated")
        opts += f", {key}={module}"
    seq = bool(spec.get("return_sequences", default=False))
    opts += ", return_sequences=True" if seq else ""
    spatial = tuple(conv_out(x.shape[1 + i], k[i], st[i], d[i], padding) for i in range(rank))
    out = x.with_(shape=(x.shape[0], *spatial, filters) if seq else (*spatial, filters))
    mod = Mod(f"ConvLSTM{rank}d({cin}, {filters}{opts})", "conv_lstm", ("conv_lstm", {}),
              helper=conv_lstm_helper(rank))
    return [*pre, mod], out


def conv_lstm_helper(rank: int) -> str:
    """The source of ``ConvLSTM{rank}d`` (Keras' gate order i, f, c, o is kept)."""
    return f'''class ConvLSTM{rank}d(nn.Module):
    """keras.layers.ConvLSTM{rank}D on channels-first input (N, C, T, ...): an LSTM whose gates
    are convolutions, in Keras' gate order (input, forget, cell, output). The hidden state's
    convolution is "same" at stride 1. Returns every step (N, F, T, ...) when
    return_sequences, else the last one (N, F, ...)."""

    def __init__(self, in_channels, filters, kernel_size, stride=1, padding=0, dilation=1,
                 bias=True, activation=None, recurrent_activation=None, return_sequences=False):
        super().__init__()
        self.filters = filters
        self.input_conv = nn.Conv{rank}d(in_channels, 4 * filters, kernel_size, stride=stride,
                                    padding=padding, dilation=dilation, bias=bias)
        self.recurrent_conv = nn.Conv{rank}d(filters, 4 * filters, kernel_size, padding="same",
                                        bias=False)
        self.activation = activation or nn.Tanh()
        self.recurrent_activation = recurrent_activation or nn.Sigmoid()
        self.return_sequences = return_sequences

    def forward(self, x):
        n, steps = x.shape[0], x.shape[2]
        frames = self.input_conv(x.transpose(1, 2).flatten(0, 1)).unflatten(0, (n, steps))
        h = frames.new_zeros(n, self.filters, *frames.shape[3:])
        c = torch.zeros_like(h)
        outputs = []
        for t in range(steps):
            i, f, g, o = (frames[:, t] + self.recurrent_conv(h)).chunk(4, dim=1)
            i, f, o = (self.recurrent_activation(v) for v in (i, f, o))
            c = f * c + i * self.activation(g)
            h = o * self.activation(c)
            outputs.append(h)
        return torch.stack(outputs, dim=2) if self.return_sequences else h'''


def _not_called_directly(spec: LayerSpec, ins: list[Sym]) -> Result:
    raise spec.unsupported("MultiHeadAttention", "call it as mha(query, value)")


def register() -> None:
    """Add the sequence layers to the converter table."""
    CONVERTERS.update({"Embedding": embedding, "LSTM": recurrent, "GRU": recurrent,
                       "SimpleRNN": recurrent,
                       "Bidirectional": bidirectional,
                       "MultiHeadAttention": _not_called_directly,
                       "ConvLSTM1D": conv_lstm, "ConvLSTM2D": conv_lstm, "ConvLSTM3D": conv_lstm})


register()
