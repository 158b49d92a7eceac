"""LSTM / GRU / MultiheadAttention calls: tuple outputs -> Keras return options.

PyTorch RNNs always return ``(out, state)``; Keras returns what ``return_sequences`` /
``return_state`` ask for. The translator reads how ``forward`` uses the outputs (only
``out[:, -1, :]``? the final ``h``?) and picks the options, so ``out[:, -1, :]`` becomes a plain
``return_sequences=False`` LSTM output.
"""

from __future__ import annotations

import ast

from . import forward as fw
from . import ops
from .eval import evaluate
from .layout import Val
from .model import Unsupp, keras_attr_name


def _is_last_step(node: ast.Subscript) -> bool:
    """``out[:, -1, :]`` or ``out[:, -1]``."""
    elts = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
    if len(elts) not in (2, 3) or evaluate(elts[1], {}) != -1:
        return False
    return all(isinstance(e, ast.Slice) and e.lower is None and e.upper is None
               and e.step is None for e in [elts[0]] + elts[2:])


def _uses(run: fw.Walker, stmt: ast.stmt, name: str) -> tuple[bool, bool]:
    """(used other than as the last step, used as ``name[:, -1, :]``) after ``stmt``."""
    if name == "_":
        return False, False
    later = run.body[run.body.index(stmt) + 1:] if stmt in run.body else []
    other = last = False
    for s in later:
        parents = {id(c): p for p in ast.walk(s) for c in ast.iter_child_nodes(p)}
        lookup = {id(n): n for n in ast.walk(s)}
        for node in ast.walk(s):
            if isinstance(node, ast.Name) and node.id == name and isinstance(node.ctx, ast.Load):
                parent = lookup.get(id(parents.get(id(node))))
                if isinstance(parent, ast.Subscript) and parent.value is node and \
                        _is_last_step(parent):
                    last = True
                else:
                    other = True
    return other, last


def _names(node: ast.expr, count: int, what: str, line: int) -> list[str]:
    if count == 1 and isinstance(node, ast.Name):
        return [node.id]
    names = [e.id for e in node.elts if isinstance(e, ast.Name)] \
        if isinstance(node, ast.Tuple) else []
    if isinstance(node, ast.Tuple) and len(node.elts) == count == len(names):
        return names
    if isinstance(node, ast.Name) and node.id == "_":
        return ["_"] * count
    raise Unsupp(line, what, "unpack the state as (h, c)")


def rnn_call(run: fw.Walker, target: ast.Tuple, name: str, call: ast.Call,
             stmt: ast.stmt | None) -> Val:
    """``out, (h, c) = self.lstm(x)`` / ``out, h = self.gru(x)`` / ``self.lstm(x)[0]``."""
    attr, cattr = run.attrs[name], run.code[name]
    plan = attr.plan
    assert plan is not None and cattr.plan is not None
    if len(call.args) != 1 or call.keywords:
        raise Unsupp(call.lineno, ast.unparse(call)[:60], "initial states are not supported")
    x = run.ex(call.args[0])
    run.need_tensor(x, call.args[0])
    xin = ops.to_layout(x, None)
    bidir, hidden = plan.extra["bidirectional"], plan.extra["hidden"]
    kinds = ["h", "c"] if plan.torch_ctor == "LSTM" else ["h"]
    out_name = target.elts[0].id if isinstance(target.elts[0], ast.Name) else ""
    if not out_name or len(target.elts) != 2:
        raise Unsupp(call.lineno, ast.unparse(target), "expected out, state = ...")
    states = _names(target.elts[1], len(kinds), ast.unparse(target.elts[1]), call.lineno)
    if stmt is None:  # inline use (``self.lstm(x)[0]``): only the sequence is read
        seq, last, state = True, False, False
    else:
        seq, last = _uses(run, stmt, out_name)
        state = any(_uses(run, stmt, s) != (False, False) for s in states)
    opts = {"return_sequences": seq or (bidir and last), "return_state": state}
    if cattr.rnn and cattr.rnn != opts:
        raise Unsupp(call.lineno, name, "the same RNN layer is used with different outputs")
    cattr.rnn = opts
    cattr.code = fw.resolve_code(cattr.plan, cattr, x)
    kname = keras_attr_name(name)
    run.s.add_weight(plan, run.tprefix + name, run.kprefix + kname)
    steps = x.shape[1] if x.shape is not None and len(x.shape) == 3 else None
    width = hidden * (2 if bidir else 1)
    call_text = f"self.{kname}({xin})"
    if stmt is None:
        return Val(call_text, (None, steps, width))
    dirs = ["_fwd", "_bwd"] if bidir else [""]
    names = [out_name]
    if state:
        names += [s + d if s != "_" else "_" for d in dirs for s in states]
    run.lines.append(f"{', '.join(names)} = {call_text}")
    if opts["return_sequences"]:
        run.env[out_name] = Val(out_name, (None, steps, width))
    else:
        run.env[out_name] = Val(out_name, (None, width), kind="rnn_last")
    for s in states:
        if s != "_":
            items = [Val(s + d, (None, hidden)) for d in dirs]
            run.env[s] = Val(s, kind="rnn_state", items=items)
    return run.env[out_name]


def rnn_index(base: Val, elts: list[ast.expr], node: ast.AST) -> Val:
    """``out[:, -1, :]`` of a last-step output, ``h[-1]`` of a final state, tuple items."""
    line = getattr(node, "lineno", 0)
    if base.kind == "rnn_last":
        if isinstance(node, ast.Subscript) and _is_last_step(node):
            return Val(base.expr, base.shape)
        raise Unsupp(line, ast.unparse(node)[:60], "only out[:, -1, :] of this output")
    idx = evaluate(elts[0], {}) if len(elts) == 1 else None
    if not isinstance(idx, int):
        raise Unsupp(line, ast.unparse(node)[:60], "only integer indices of RNN states")
    if base.kind == "tuple":
        return base.items[idx]
    if len(base.items) == 1 and idx in (0, -1):
        return base.items[0]
    if len(base.items) == 2 and idx in (0, 1, -1, -2):
        return base.items[idx % 2]
    raise Unsupp(line, ast.unparse(node)[:60], "state index out of range for one layer")


def attention_call(run: fw.Walker, target: ast.Tuple, name: str, call: ast.Call,
                   stmt: ast.stmt | None) -> Val:
    """``out, w = self.attn(q, k, v)`` -> ``out = self.attn(q, v, k)`` (Keras order)."""
    attr, cattr = run.attrs[name], run.code[name]
    assert attr.plan is not None and cattr.plan is not None
    args = ops.bind(call, ["query", "key", "value", "key_padding_mask", "need_weights",
                           "attn_mask"], 0)
    if "key_padding_mask" in args or "attn_mask" in args or len(args) - \
            ("need_weights" in args) != 3:
        raise Unsupp(call.lineno, ast.unparse(call)[:60], "masks are not supported")
    q, k, v = (run.ex(args[n]) for n in ("query", "key", "value"))
    texts = [ops.to_layout(t, None) for t in (q, k, v)]
    weights = target.elts[1] if len(target.elts) > 1 else None
    if stmt is not None and isinstance(weights, ast.Name) and any(_uses(run, stmt, weights.id)):
        raise Unsupp(call.lineno, weights.id, "attention weights (torch averages heads) are not "
                     "supported")
    cattr.code = cattr.plan.keras
    kname = keras_attr_name(name)
    run.s.add_weight(attr.plan, run.tprefix + name, run.kprefix + kname)
    kv = texts[2] if texts[1] == texts[2] else f"{texts[2]}, {texts[1]}"
    val = Val(f"self.{kname}({texts[0]}, {kv})", q.shape)
    if stmt is None:
        return val
    out_name = target.elts[0].id if isinstance(target.elts[0], ast.Name) else "_"
    run.assign(out_name, val)
    return run.env[out_name]


def cell_call(run: fw.Walker, target: ast.expr | None, name: str, call: ast.Call) -> Val | None:
    """``h, c = self.cell(x, (h, c))`` / ``h = self.gru_cell(x, h)`` -> Keras cells, which take
    the states as a list and return ``(output, new_states)``; a missing state is zeros."""
    attr, cattr = run.attrs[name], run.code[name]
    plan = attr.plan
    assert plan is not None and cattr.plan is not None
    lstm, hidden = plan.torch_ctor == "LSTMCell", plan.extra["hidden"]
    args = ops.bind(call, ["input", "hx"], 0)
    x = run.ex(args["input"])
    run.need_tensor(x, args["input"])
    xin = ops.to_layout(x, None)
    hx = args.get("hx")
    if hx is None:
        states = [f"keras.ops.zeros((keras.ops.shape({xin})[0], {hidden}))"] * (2 if lstm else 1)
    else:
        nodes = list(hx.elts) if lstm and isinstance(hx, ast.Tuple) else [hx]
        if len(nodes) != (2 if lstm else 1):
            raise Unsupp(call.lineno, ast.unparse(hx)[:60], "pass the state as (h, c)")
        vals = [run.ex(n) for n in nodes]
        for v, n in zip(vals, nodes, strict=True):
            run.need_tensor(v, n)
        states = [ops.to_layout(v, None) for v in vals]
    cattr.code = cattr.plan.keras
    kname = keras_attr_name(name)
    run.s.add_weight(plan, run.tprefix + name, run.kprefix + kname)
    text = f"self.{kname}({xin}, [{', '.join(states)}])"
    if not lstm:
        return Val(f"{text}[0]", (None, hidden))
    if target is None:
        raise Unsupp(call.lineno, ast.unparse(call)[:60], "unpack the state: h, c = cell(...)")
    states_out = _names(target, 2, ast.unparse(target), call.lineno)
    run.lines.append(f"_, ({', '.join(states_out)}) = {text}")
    for state in states_out:
        if state != "_":
            run.env[state] = Val(state, (None, hidden))
    return None
