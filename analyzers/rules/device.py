"""Device placement (MLS2xx): where tensors and modules live, tracked through assignments.

Values: ``("dev", p)`` a device, ``("t", p)`` a tensor, ``("m", p)`` a torch.nn module,
``("o", p)`` something moved with ``.to()`` whose kind is unknown; ``p`` is ``"cpu"`` or
``"acc"`` (an accelerator: CUDA/MPS, or a device that is CUDA when one is available).
"""

from __future__ import annotations

import libcst as cst

from ..context import ChunkContext, EditSpec, FixSpec, ModuleContext
from ..findings import Severity
from ..registry import ChunkRule, ModuleRule, RuleInfo, register
from .flow.run import replay, share_flow, shared_flow
from .flow.walker import (
    UNKNOWN,
    Env,
    FlowAnalysis,
    Value,
    first_arg,
    has_keyword,
)
from .patterns import is_attribute, is_empty_sequence

FACTORIES = frozenset(f"torch.{n}" for n in (
    "zeros", "ones", "empty", "full", "rand", "randn", "randint", "randperm", "arange",
    "linspace", "logspace", "eye", "tensor", "as_tensor", "normal",
))
# Methods that keep a tensor on its device.
_TENSOR_KEEP = frozenset((
    "float", "double", "half", "bfloat16", "long", "int", "bool", "detach", "clone",
    "contiguous", "view", "reshape", "unsqueeze", "squeeze", "permute", "transpose",
    "flatten", "requires_grad_", "t", "expand", "repeat", "type_as",
))
_MODULE_KEEP = frozenset(("train", "eval", "float", "double", "half", "bfloat16",
                          "requires_grad_"))
_ACCEL = ("cuda", "mps", "xpu")
_PARAM_LAYERS = ("Linear", "Bilinear", "Conv", "LSTM", "GRU", "RNN", "Embedding", "BatchNorm",
                 "LayerNorm", "GroupNorm", "InstanceNorm", "Transformer", "MultiheadAttention",
                 "PReLU", "LazyLinear", "LazyConv")
_DTYPE_PREFIX = "torch."


def _device_of_string(node: cst.BaseExpression) -> Value:
    if isinstance(node, cst.SimpleString):
        text = node.evaluated_value
        if isinstance(text, str):
            if text.startswith(_ACCEL):
                return ("dev", "acc")
            if text == "cpu":
                return ("dev", "cpu")
    return UNKNOWN


class DeviceFlow(FlowAnalysis):
    """Tracks devices; reports mismatches, `.numpy()` on GPU tensors, discarded `.to()`."""

    # A statement without these words (nor a backslash) makes only CPU values, unknown
    # values, or values read from names it mentions; its reports need an accelerator value
    # (from these words or a name), a bare `.to()`/`.cuda()`/`.cpu()`, or a model bound to a
    # name, and the only read of the whole environment (`_device_name`) looks for devices.
    defer_words = frozenset(("cpu", "to", "numpy", "device"))
    defer_substrings = _ACCEL  # a string starting with one is a device ("cuda:0", "mps")

    def evaluate(self, expr: cst.BaseExpression, env: Env) -> Value:
        if isinstance(expr, cst.Name):
            return self.lookup(expr.value, env)
        if isinstance(expr, cst.SimpleString):
            return _device_of_string(expr)
        if isinstance(expr, cst.IfExp):
            a, b = self.evaluate(expr.body, env), self.evaluate(expr.orelse, env)
            # `"cuda" if torch.cuda.is_available() else "cpu"`: an accelerator when present.
            if {a, b} == {("dev", "acc"), ("dev", "cpu")}:
                return ("dev", "acc")
            return a if a == b else UNKNOWN
        if isinstance(expr, cst.Subscript):
            v = self.evaluate(expr.value, env)
            return v if v[0] == "t" else UNKNOWN
        if isinstance(expr, cst.Call):
            return self._call(expr, env)
        return UNKNOWN

    def _place_of(self, expr: cst.BaseExpression, env: Env) -> str | None:
        v = self.evaluate(expr, env)
        return v[1] if v[0] in ("dev", "t") else None

    def _call(self, call: cst.Call, env: Env) -> Value:
        q = self.ctx.call_qualname(call)
        if q == "torch.device" and call.args:
            return self.evaluate(call.args[0].value, env)
        if q in FACTORIES or q == "torch.from_numpy":
            dev = first_arg(call, "device", 99)
            if dev is None:
                return UNKNOWN if has_keyword(call, "device") else ("t", "cpu")
            place = self._place_of(dev.value, env)
            return ("t", place) if place else UNKNOWN
        if q is not None and q.startswith("torch.nn.") and q.rsplit(".", 1)[1].startswith(_PARAM_LAYERS):
            # Only layers with parameters: a loss or activation module works on any device.
            return UNKNOWN if has_keyword(call, "device") else ("m", "cpu")
        func = call.func
        if isinstance(func, cst.Attribute):
            return self._method(call, func.attr.value, self.evaluate(func.value, env), env)
        base = self.evaluate(func, env)
        if base[0] in ("m", "o"):  # calling a module: the output lives where it does
            return ("t", base[1])
        return UNKNOWN

    def _method(self, call: cst.Call, name: str, base: Value, env: Env) -> Value:
        kind = base[0] if base[0] in ("t", "m") else "o"
        if name == "cuda":
            return (kind, "acc")
        if name == "cpu":
            return (kind, "cpu")
        if name == "to":
            place = self._to_target(call, env)
            if place == "same":
                return base if kind != "o" else UNKNOWN
            return (kind, place) if place else UNKNOWN
        if (kind == "t" and name in _TENSOR_KEEP) or (kind == "m" and name in _MODULE_KEEP):
            return base
        return UNKNOWN

    def _to_target(self, call: cst.Call, env: Env) -> str | None:
        """Where ``x.to(...)`` puts x: a place, ``"same"`` for a dtype-only move, or None."""
        arg = first_arg(call, "device")
        if arg is None:
            return "same" if has_keyword(call, "dtype") and not has_keyword(call, "device") else None
        q = self.ctx.qualname(arg.value)
        if q is not None and q.startswith(_DTYPE_PREFIX) and q.count(".") == 1 and q != "torch.device":
            return "same"  # x.to(torch.float32)
        return self._place_of(arg.value, env)

    # -- events ---------------------------------------------------------------------------
    def on_statement(self, stmt: cst.CSTNode, env: Env) -> None:
        if isinstance(stmt, cst.Expr) and isinstance(stmt.value, cst.Call) and is_attribute(
                stmt.value.func, "to", "cuda", "cpu", on_name=True):
            self._bare_move(stmt.value, env)
        for call in self.calls(stmt):
            func = call.func
            if isinstance(func, cst.Attribute) and func.attr.value == "numpy" and not call.args:
                if self.evaluate(func.value, env) == ("t", "acc"):
                    fix = FixSpec("Insert `.cpu()` before `.numpy()`",
                                  (EditSpec(func.value, ".cpu()", "after"),))
                    self.report(call, "MLS202", fix, name=self.ctx.code_for(func.value))
            elif isinstance(func, cst.Name):
                self._check_model_call(call, func, env)

    def _bare_move(self, call: cst.Call, env: Env) -> None:
        func = call.func
        assert isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name)
        name = func.value.value
        before = self.lookup(name, env)
        if before[0] == "t":
            text = self.ctx.code_for(call)
            fix = FixSpec(f"Assign the result: `{name} = {text}`",
                          (EditSpec(call, f"{name} = {text}"),))
            self.report(call, "MLS205", fix, name=name, call=text)
            return
        after = self._method(call, func.attr.value, before, env)
        # nn.Module.to()/.cuda() move the module in place.
        env[name] = ("m", after[1]) if after[0] in ("m", "o") else UNKNOWN

    def _check_model_call(self, call: cst.Call, func: cst.Name, env: Env) -> None:
        model = self.lookup(func.value, env)
        if model[0] not in ("m", "o"):
            return
        for arg in call.args:
            if arg.keyword is not None or arg.star:
                continue
            v = self.evaluate(arg.value, env)
            if v[0] != "t" or v[1] == model[1]:
                continue
            fix = None
            dev = self._device_name(env) if model[1] == "acc" else '"cpu"'
            if dev is not None:
                text = self.ctx.code_for(arg.value)
                fix = FixSpec(f"Move the input with `.to({dev})`",
                              (EditSpec(arg.value, f"{text}.to({dev})"),), safe=False)
            self.report(arg.value, "MLS201", fix, model=func.value,
                        model_place=_words(model[1]), input=self.ctx.code_for(arg.value),
                        input_place=_words(v[1]))

    @staticmethod
    def _device_name(env: Env) -> str | None:
        """A variable holding the accelerator device (the first by name, so the fix is the
        same whatever order the environment keeps)."""
        return min((name for name, v in env.items() if v == ("dev", "acc")), default=None)


def _words(place: str) -> str:
    return "the GPU" if place == "acc" else "the CPU"


@register
class DeviceFlowRules(ModuleRule):
    """Device placement through assignments, in function bodies and at module level."""

    family = "device-flow"
    rules = (
        RuleInfo("MLS201", "input-not-on-model-device",
                 "`{model}` is on {model_place} but input `{input}` is on {input_place}; "
                 "move the input to the model's device", Severity.WARNING, fixable=True),
        RuleInfo("MLS202", "numpy-on-cuda-tensor",
                 "`{name}` is on the GPU and `.numpy()` only works on CPU tensors; "
                 "call `.cpu()` first", Severity.WARNING, fixable=True),
        RuleInfo("MLS205", "tensor-move-result-discarded",
                 "`Tensor.{call}` returns a new tensor and leaves `{name}` where it was; "
                 "assign the result", Severity.WARNING, fixable=True),
    )

    def check(self) -> None:
        if _device_wanted(self.ctx):
            replay(shared_flow(self.ctx, "device")[0])


# Every report needs an accelerator (a string starting with cuda/mps/xpu, perhaps spelled with
# escapes, or `.cuda()`) or a bare `.to()` / `.cpu()` / `.cuda()`: a file with none of these
# is not walked (nor parsed for it).
def _device_wanted(mctx: ModuleContext) -> bool:
    return mctx.imports.imports_any("torch") and (
        mctx.mentions_any("cuda", "mps", "xpu", "\\") or mctx.mentions_word("cpu", "to"))


# One walk serves this analysis and the other shared ones (torch-loss, jax) when enabled.
share_flow("device", DeviceFlow, (r.code for r in DeviceFlowRules.rules), _device_wanted)


_FACTORY_FIX_SKIP = frozenset(("to", "cuda", "type_as", "cpu"))


_INDEX_FACTORIES = frozenset(("randperm", "arange", "randint"))


def _index_only_calls(fn: cst.FunctionDef) -> frozenset[int]:
    """``torch.randperm`` / ``arange`` / ``randint`` calls of ``fn`` whose tensor is only ever
    used as an index: written in a subscript, or bound once to a name read only in subscripts."""
    from ..walk import iter_nodes

    nodes = list(iter_nodes([fn.body]))
    in_index = {id(n.slice.value) for n in nodes
                if isinstance(n, cst.SubscriptElement) and isinstance(n.slice, cst.Index)}
    targets: dict[str, list[tuple[int, int | None]]] = {}  # name -> (target id, factory call)
    for node in nodes:
        if isinstance(node, cst.Assign | cst.AugAssign | cst.AnnAssign):
            for t in (node.targets if isinstance(node, cst.Assign) else [node]):
                target = t.target
                if isinstance(target, cst.Name):
                    value = node.value
                    call = id(value) if isinstance(node, cst.Assign) and isinstance(value, cst.Call) \
                        and isinstance(value.func, cst.Attribute) \
                        and value.func.attr.value in _INDEX_FACTORIES else None
                    targets.setdefault(target.value, []).append((id(target), call))
    calls = set(in_index)
    for name, bindings in targets.items():
        if len(bindings) != 1 or bindings[0][1] is None:
            continue  # bound twice, or not to an index factory
        target_id, call = bindings[0]
        reads = [n for n in nodes if isinstance(n, cst.Name) and n.value == name
                 and id(n) != target_id]
        if call is not None and reads and all(id(r) in in_index for r in reads):
            calls.add(call)
    return frozenset(calls)


_INDEX_WORDS = ("randperm", "arange", "randint")


@register
class ForwardDeviceRules(ChunkRule):
    """Tensors created inside ``forward`` without ``device=`` stay on the CPU."""

    family = "device-forward"
    needs = frozenset(("forward",))  # only inside a `def forward`
    requires = ("torch",)
    rules = (
        RuleInfo("MLS204", "tensor-created-in-forward-without-device",
                 "`{func}` in `forward` creates its tensor on the CPU even when the module is "
                 "on the GPU; pass `device={device}`", Severity.WARNING, fixable=True),
    )

    def __init__(self, ctx: ChunkContext) -> None:
        super().__init__(ctx)
        self._forward: list[str | None] = []  # stack: first input name of each open forward
        self._depth = 0  # functions open inside the current forward
        self._moved: set[int] = set()
        self._indices: frozenset[int] = frozenset()  # integer index tensors, only used to index

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        if node.name.value == "forward" and not self._forward:
            params = [p.name.value for p in node.params.params]
            self._forward.append(params[1] if len(params) > 1 and params[0] == "self" else None)
            # The chunk's text first (the body's code is part of it): generating the code of
            # every forward body cost ~8% of a cold analysis.
            if any(w in self.ctx.chunk.text for w in _INDEX_WORDS) \
                    and any(w in self.ctx.code_for(node.body) for w in _INDEX_WORDS):
                self._indices = _index_only_calls(node)
        elif self._forward:
            self._depth += 1

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        if not self._forward:
            return
        if self._depth:
            self._depth -= 1
        else:
            self._forward.pop()

    def visit_Call(self, node: cst.Call) -> None:
        if not self._forward:
            return
        func = node.func
        if isinstance(func, cst.Attribute) and func.attr.value in _FACTORY_FIX_SKIP \
                and isinstance(func.value, cst.Call):
            self._moved.add(id(func.value))  # torch.zeros(n).to(x.device) is fine
            return
        q = self.ctx.call_qualname(node)
        if q not in FACTORIES or id(node) in self._moved or has_keyword(node, "device"):
            return
        if q in ("torch.tensor", "torch.as_tensor") and node.args and isinstance(
                node.args[0].value, cst.Integer | cst.Float | cst.UnaryOperation):
            return  # 0-d CPU tensors mix freely with CUDA tensors
        if node.args and is_empty_sequence(node.args[0].value):
            return  # torch.rand(()): a 0-d tensor, which mixes freely with CUDA tensors
        if q == "torch.full" or q == "torch.normal":
            return  # positional layouts vary; too easy to get the fix wrong
        if id(node) in self._indices:
            return  # x[:, torch.randperm(n)]: a CPU index tensor indexes a CUDA tensor fine
        inp = self._forward[-1]
        device = f"{inp}.device" if inp else "x.device"
        fix = None
        if inp is not None:
            fix = FixSpec(f"Pass `device={device}`", (EditSpec(node, self._with_device(node, device)),))
        self.ctx.report(node, "MLS204", fix, func=self.ctx.code_for(func), device=device)

    def _with_device(self, call: cst.Call, device: str) -> str:
        args = list(call.args)
        new = cst.Arg(keyword=cst.Name("device"), value=cst.parse_expression(device),
                      equal=cst.AssignEqual(cst.SimpleWhitespace(""), cst.SimpleWhitespace("")))
        if args:
            args[-1] = args[-1].with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")))
        return self.ctx.code_for(call.with_changes(args=[*args, new]))


@register
class TorchLoadRules(ChunkRule):
    """``torch.load`` of a checkpoint saved on a GPU fails on a CPU-only machine."""

    family = "device-load"
    needs = frozenset(("load",))
    requires = ("torch",)
    rules = (
        RuleInfo("MLS203", "torch-load-without-map-location",
                 "`torch.load` without `map_location` fails on a machine without the GPU the "
                 "checkpoint was saved from; pass `map_location=\"cpu\"` (or the target device)",
                 Severity.INFORMATION, default_enabled=False, fixable=True),
    )

    def visit_Call(self, node: cst.Call) -> None:
        if self.ctx.call_qualname(node) != "torch.load" or has_keyword(node, "map_location"):
            return
        if first_arg(node, None, 1) is not None or not node.args:
            return  # map_location passed positionally (or nothing to load)
        last = node.args[-1]
        fix = FixSpec('Pass `map_location="cpu"`',
                      (EditSpec(last.value, ', map_location="cpu"', "after"),))
        self.ctx.report(node, "MLS203", fix)
