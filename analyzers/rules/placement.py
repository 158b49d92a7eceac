"""Where a whole model runs (MLS206, MLS207): CUDA hard-coded in a file that never asks whether
a GPU is there, and ``nn.DataParallel`` around a model that was never moved to a GPU.

Both are file-wide facts (the check, or the move, may be in any statement), so these are module
rules over per-statement summaries (memoized).
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass

import libcst as cst

from ..context import ChunkContext
from ..findings import Severity
from ..registry import ModuleRule, RuleInfo, register
from ..walk import iter_nodes, suites
from .flow.walker import calls_in, first_arg
from .instances import module_constructor
from .patterns import is_attribute, single_assignment

# Words that show the file asks which device it has (or lets a launcher choose).
_CHECKS = ("is_available", "device_count", "torch.accelerator", "set_default_device",
           "LOCAL_RANK", "local_rank", "xla")
_MOVES = frozenset(("to", "cuda", "to_empty", "xpu", "npu"))
_PARALLEL = frozenset(("torch.nn.DataParallel", "torch.nn.parallel.DataParallel",
                       "torch.nn.parallel.data_parallel.DataParallel"))
_DISTRIBUTED = frozenset(("torch.nn.parallel.DistributedDataParallel",
                          "torch.nn.parallel.distributed.DistributedDataParallel"))


def _cuda_literal(node: cst.BaseExpression) -> bool:
    return isinstance(node, cst.SimpleString) and isinstance(node.evaluated_value, str) \
        and node.evaluated_value.split(":")[0] == "cuda"


def _hard_coded(ctx: ChunkContext, call: cst.Call) -> bool:
    """``x.cuda()``, ``x.to("cuda")``, ``torch.device("cuda:0")``, ``f(..., device="cuda")``."""
    if is_attribute(call.func, "cuda") and not call.args:
        return True
    if is_attribute(call.func, "to") and call.args and _cuda_literal(call.args[0].value):
        return True
    if ctx.call_qualname(call) == "torch.device" and call.args \
            and _cuda_literal(call.args[0].value):
        return True
    return any(a.keyword is not None and a.keyword.value == "device" and _cuda_literal(a.value)
               for a in call.args)


def _unconditional_calls(stmts: list[cst.CSTNode]) -> Iterator[cst.Call]:
    """Calls in statements not under an ``if`` (a branch is a choice of device), entering
    functions, classes, loops, ``with`` and ``try``."""
    for stmt in stmts:
        if isinstance(stmt, cst.SimpleStatementLine):
            for small in stmt.body:
                yield from calls_in(small)
        elif isinstance(stmt, cst.If):
            continue
        else:
            for suite in suites(stmt):
                if isinstance(suite, cst.IndentedBlock):
                    yield from _unconditional_calls(list(suite.body))


def _cuda_summary(ctx: ChunkContext) -> tuple[cst.Call | None, bool, bool]:
    """The first unconditional hard-coded CUDA call of the statement, whether the statement
    checks which devices exist, and whether it makes the file a script (``__main__``,
    ``argparse``)."""
    text = ctx.chunk.text
    script = "__main__" in text or "argparse" in text
    checks = any(w in text for w in _CHECKS)
    if checks or "cuda" not in text:
        return None, checks, script
    first = next((c for c in _unconditional_calls(list(ctx.module.body))
                  if _hard_coded(ctx, c)), None)
    return first, False, script


@register
class HardCodedCudaRule(ModuleRule):
    """CUDA hard-coded in a script with no check that a GPU exists anywhere in the file."""

    family = "device-placement"
    rules = (
        RuleInfo("MLS206", "cuda-without-availability-check",
                 "CUDA is hard-coded here and nothing in this script checks that a GPU exists: "
                 "the script fails on a machine without one; choose the device with "
                 "`torch.device(\"cuda\" if torch.cuda.is_available() else \"cpu\")`",
                 Severity.INFORMATION),
    )

    def check(self) -> None:
        # Only a hard-coded CUDA call is reported, and only a statement with "cuda" has one.
        if not self.ctx.imports.imports_any("torch") or not self.ctx.mentions_all("cuda"):
            return
        first: tuple[ChunkContext, cst.Call] | None = None
        script = False
        for chunk in self.ctx.chunks:
            call, checks, makes_script = self.ctx.memo(chunk, "cuda-hard-coded",
                                                       functools.partial(_cuda_summary, chunk))
            if checks:
                return
            script |= makes_script
            if call is not None and first is None:
                first = (chunk, call)
        if first is not None and script:
            first[0].report(first[1], "MLS206")


@dataclass(frozen=True)
class _Wrap:
    call: cst.Call
    model: str
    results: tuple[str, ...]
    kind: str  # "DataParallel" / "DistributedDataParallel"


def _binding(ctx: ChunkContext, value: cst.BaseExpression, code: str) -> bool:
    """A new module left on the CPU: ``nn.Linear(...)``, ``Net(...)``, no device argument."""
    if not isinstance(value, cst.Call):
        return False
    kind = module_constructor(ctx, value)
    fresh = kind is True or (isinstance(kind, str) and kind[:1].isupper())
    return fresh and "device" not in code and "cuda" not in code


def _parallel_summary(ctx: ChunkContext,
                      ) -> tuple[frozenset[str], dict[str, bool], tuple[_Wrap, ...], bool]:
    """Names moved to a device, each bound name -> whether every binding is a fresh CPU module,
    the wrapping calls, and whether the statement sets a default device."""
    text = ctx.chunk.text
    moved: set[str] = set()
    bound: dict[str, bool] = {}
    wraps: list[_Wrap] = []
    results: dict[int, str] = {}  # id of an assigned call -> the name it is assigned to
    calls: list[cst.Call] = []
    for node in iter_nodes([ctx.module]):
        if isinstance(node, cst.Call):
            calls.append(node)
            if isinstance(node.func, cst.Attribute) and node.func.attr.value in _MOVES:
                name = ctx.dotted(node.func.value)
                if name:
                    moved.add(name)
        pair = single_assignment(node)
        if pair is None:
            continue
        name = ctx.dotted(pair[0]) if isinstance(pair[0], cst.BaseExpression) else None
        if name is None:
            continue
        value = pair[1]
        results[id(value)] = name
        if ctx.call_qualname(value) in _PARALLEL | _DISTRIBUTED:
            continue  # the wrapper: what it wraps is judged, not the name it is bound to
        fresh = _binding(ctx, value, ctx.code_for(value) if isinstance(value, cst.Call) else "")
        bound[name] = bound.get(name, True) and fresh
    for call in calls:
        q = ctx.call_qualname(call)
        if q not in _PARALLEL and q not in _DISTRIBUTED:
            continue
        arg = first_arg(call, "module")
        model = ctx.dotted(arg.value) if arg is not None else None
        if model is None:
            continue
        if q in _DISTRIBUTED:
            ids = first_arg(call, "device_ids", index=1)
            if ids is None or (isinstance(ids.value, cst.Name) and ids.value.value == "None"):
                continue  # a CPU module without device_ids is what DDP expects
        result = results.get(id(call))
        wraps.append(_Wrap(call, model, (result,) if result else (),
                           "DataParallel" if q in _PARALLEL else "DistributedDataParallel"))
    default = any(w in text for w in ("set_default_device", "with torch.device"))
    return frozenset(moved), bound, tuple(wraps), default


@register
class ParallelOnCpuRule(ModuleRule):
    """``nn.DataParallel(model)`` where ``model`` is never moved to a GPU."""

    family = "device-placement"
    rules = (
        RuleInfo("MLS207", "data-parallel-model-not-on-device",
                 "`{kind}` wraps `{model}`, which is never moved to a GPU in this file: it "
                 "needs the module's parameters on `device_ids[0]` and fails with \"module "
                 "must have its parameters and buffers on device cuda:0\"; call "
                 "`{model}.to(device)` first", Severity.WARNING),
    )

    def check(self) -> None:
        if not self.ctx.imports.imports_any("torch") \
                or not self.ctx.mentions_all("DataParallel"):
            return  # the summaries walk every statement: only for a file that wraps a model
        summaries = [(c, self.ctx.memo(c, "parallel-on-cpu",
                                       functools.partial(_parallel_summary, c)))
                     for c in self.ctx.chunks]
        moved: set[str] = set()
        bound: dict[str, bool] = {}
        for _, (m, b, _, default) in summaries:
            if default:
                return
            moved |= m
            for name, fresh in b.items():
                bound[name] = bound.get(name, True) and fresh
        for chunk, (_, _, wraps, _) in summaries:
            for w in wraps:
                # A move of `model` moves `model.features` too.
                names = [p for n in (w.model, *w.results) for p in _prefixes(n)]
                if bound.get(w.model) and not any(n in moved for n in names):
                    chunk.report(w.call, "MLS207", None, kind=w.kind, model=w.model)


def _prefixes(name: str) -> list[str]:
    """``a.b.c`` -> ``a``, ``a.b``, ``a.b.c``."""
    parts = name.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts) + 1)]
