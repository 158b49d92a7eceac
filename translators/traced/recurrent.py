"""Recurrent layers of a traced graph: ``nn.LSTM`` / ``nn.GRU`` (any number of layers,
sequence-first or batch-first, an initial state passed in, the final state returned) and
``nn.LSTMCell`` / ``nn.GRUCell`` called step by step.

torch stacks the state of every layer and direction in one ``(layers * directions, N, H)``
tensor and runs sequence-first unless ``batch_first``; Keras has one layer per torch layer,
batch-major, each with its own ``initial_state`` list and ``return_state`` outputs. The torch
layer's weights go to each Keras layer by its index (weights.py ``layer``); LSTM's two torch
biases are summed there. Dropout between torch layers acts in training only and is not emitted.
"""

from __future__ import annotations

import ast
from typing import Any, Protocol

from ..base import WeightTransfer
from ..torch_to_keras.layers import LayerError, LayerPlan, plan_layer
from ..torch_to_keras.layout import Val
from ..torch_to_keras.model import Unsupp

STACKED = ("LSTM", "GRU")
CELLS = ("LSTMCell", "GRUCell")


class RecurrentHost(Protocol):
    """What the recurrent translation needs of the graph walk (graph.py ``GraphWalk``)."""

    lines: list[str]
    layers: dict[str, tuple[str, str, str | None]]
    weights: list[WeightTransfer]

    def new_name(self, base: str) -> str:
        """An attribute name for a new layer, not yet taken."""
        ...


def _plan(ctor: str, args: dict[str, Any], line: int) -> LayerPlan:
    call = ast.Call(ast.Name(ctor, ast.Load()), [],
                    [ast.keyword(k, ast.Constant(v)) for k, v in args.items()])
    call.lineno = line
    try:
        return plan_layer(ctor, call, {})
    except LayerError as exc:
        raise Unsupp(line, f"nn.{ctor}", str(exc)) from None


def _add(host: RecurrentHost, key: str, kname: str, code: str, plan: LayerPlan,
         torch_path: str, params: dict[str, Any]) -> str:
    """Register one Keras layer (once) with its weight transfer; returns its attribute name."""
    if key in host.layers:
        return host.layers[key][0]
    name = host.new_name(kname)
    host.layers[key] = (name, code, None)
    assert plan.weight is not None
    host.weights.append(WeightTransfer(plan.weight[0], torch_path, f"attr:{name}",
                                       {**plan.weight[1], **params}, plan.line))
    return name


def _state_exprs(state: Val | None, lstm: bool, line: int) -> list[str] | None:
    """The torch state argument as expressions of its stacked tensors: [h] or [h, c]."""
    if state is None:
        return None
    parts = state.items if state.kind == "tuple" else [state]
    if len(parts) != (2 if lstm else 1) or any(p.kind != "tensor" for p in parts):
        raise Unsupp(line, "RNN state", "pass the state as (h, c) for an LSTM, h for a GRU")
    return [p.expr for p in parts]


def stacked_rnn(host: RecurrentHost, node: dict[str, Any], path: str, module: dict[str, Any],
                args: list[Val], state_used: bool) -> Val:
    """``out, state = self.rnn(x[, state])`` -> one Keras layer per torch layer."""
    ctor, opts, line, name = module["type"], module["args"], node["line"], node["name"]
    layers_n, bidir = int(opts.get("num_layers", 1)), bool(opts.get("bidirectional", False))
    if opts.get("proj_size"):
        raise Unsupp(line, f"self.{path} (nn.{ctor})", "proj_size has no Keras equivalent")
    lstm, dirs = ctor == "LSTM", 2 if bidir else 1
    count = 2 if lstm else 1  # state tensors per direction
    initial = _state_exprs(args[1] if len(args) > 1 else None, lstm, line)
    x = args[0].expr
    if not opts.get("batch_first", False):
        host.lines.append(f"{name}_input = keras.ops.transpose({x}, (1, 0, 2))  "
                          "# torch's RNN is sequence-first, Keras's batch-major")
        x = f"{name}_input"
    returns = state_used or initial is not None
    size, hidden = int(opts["input_size"]), int(opts["hidden_size"])
    base = path.replace(".", "_")
    outs: list[str] = []
    for k in range(layers_n):
        keys = {"input_size": size, "hidden_size": hidden, "batch_first": True,
                "bidirectional": bidir}
        if opts.get("bias") is False:
            keys["bias"] = False
        plan = _plan(ctor, keys, line)
        code = plan.keras.replace("{rnn}", ", return_sequences=True" +
                                  (", return_state=True" if returns else ""))
        kname = _add(host, f"{path}#{k}", base if layers_n == 1 else f"{base}_l{k}", code, plan,
                     path, {"layer": k})
        var = name if layers_n == 1 else f"{name}_l{k}"
        call = f"self.{kname}({x}"
        if initial is not None:
            picks = [f"{s}[{k * dirs + d}]" for d in range(dirs) for s in initial]
            call += f", initial_state=[{', '.join(picks)}]"
        host.lines.append(f"{var} = {call})")
        x = f"{var}[0]" if returns else var
        outs.append(var)
        size = hidden * dirs
    items = node["value"]["items"]
    if not opts.get("batch_first", False):
        host.lines.append(f"{name}_output = keras.ops.transpose({x}, (1, 0, 2))")
        x = f"{name}_output"
    out = Val(x, tuple(items[0]["shape"]))
    if not returns:
        return Val(name, kind="tuple", items=[out])
    parts = []
    for j, letter in zip(range(count), "hc", strict=False):
        # Keras returns out, then each direction's (h[, c]); torch stacks layers and directions
        picks = [f"{var}[{1 + d * count + j}]" for var in outs for d in range(dirs)]
        shape = items[1]["items"][j]["shape"] if lstm else items[1]["shape"]
        host.lines.append(f"{name}_{letter} = keras.ops.stack([{', '.join(picks)}])")
        parts.append(Val(f"{name}_{letter}", tuple(shape)))
    state = Val(f"({name}_h, {name}_c)", kind="tuple", items=parts) if lstm else parts[0]
    return Val(name, kind="tuple", items=[out, state])


def cell_step(host: RecurrentHost, node: dict[str, Any], path: str, module: dict[str, Any],
              args: list[Val]) -> Val:
    """``h, c = self.cell(x, (h, c))`` / ``h = self.gru_cell(x, h)``: Keras cells take the
    states as a list and return ``(output, new_states)``; a missing state is zeros."""
    ctor, opts, line, name = module["type"], module["args"], node["line"], node["name"]
    lstm, hidden = ctor == "LSTMCell", int(opts["hidden_size"])
    keys = {"input_size": int(opts["input_size"]), "hidden_size": hidden}
    if opts.get("bias") is False:
        keys["bias"] = False
    plan = _plan(ctor, keys, line)
    kname = _add(host, path, path.replace(".", "_"), plan.keras, plan, path, {})
    states = _state_exprs(args[1] if len(args) > 1 else None, lstm, line)
    if states is None:
        zeros = f"keras.ops.zeros((keras.ops.shape({args[0].expr})[0], {hidden}))"
        states = [zeros] * (2 if lstm else 1)
    host.lines.append(f"{name} = self.{kname}({args[0].expr}, [{', '.join(states)}])")
    value = node["value"]
    if not lstm:
        return Val(f"{name}[0]", tuple(value["shape"]))
    return Val(name, kind="tuple", items=[Val(f"{name}[1][{i}]", tuple(v["shape"]))
                                          for i, v in enumerate(value["items"])])
