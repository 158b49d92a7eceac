"""Reproducibility (MLS113): ``cudnn.benchmark = True`` next to a request for deterministic
algorithms. Both must sit in the same block (a function body, or the module's top level),
unconditionally: ``if deterministic: ... else: benchmark = True`` is a choice, not a clash."""

from __future__ import annotations

import functools
from collections.abc import Iterator, Sequence

import libcst as cst

from ..context import ChunkContext, EditSpec, FixSpec
from ..findings import Severity
from ..registry import ModuleRule, RuleInfo, register
from .flow.walker import first_arg, function_defs
from .patterns import is_name, single_assignment

_BENCHMARK = "torch.backends.cudnn.benchmark"
_DETERMINISTIC = "torch.backends.cudnn.deterministic"
_USE_DETERMINISTIC = "torch.use_deterministic_algorithms"


def _small_statements(body: Sequence[cst.CSTNode]) -> Iterator[cst.BaseSmallStatement]:
    for line in body:
        if isinstance(line, cst.SimpleStatementLine):
            yield from line.body


def _facts(ctx: ChunkContext, stmts: Sequence[cst.CSTNode],
           ) -> tuple[list[cst.Name], bool]:
    """The ``True`` of each ``cudnn.benchmark = True`` among the statements, and whether they
    request deterministic algorithms."""
    benchmarks: list[cst.Name] = []
    deterministic = False
    for small in _small_statements(stmts):
        pair = single_assignment(small)
        if pair is not None and isinstance(pair[0], cst.Attribute) and is_name(pair[1], "True"):
            q = ctx.qualname(pair[0])
            if q == _BENCHMARK:
                benchmarks.append(pair[1])
            elif q == _DETERMINISTIC:
                deterministic = True
        if isinstance(small, cst.Expr) and isinstance(small.value, cst.Call) \
                and ctx.call_qualname(small.value) == _USE_DETERMINISTIC:
            arg = first_arg(small.value, "mode")
            deterministic |= arg is not None and is_name(arg.value, "True")
    return benchmarks, deterministic


def _summarize(ctx: ChunkContext) -> tuple[list[cst.Name], list[cst.Name], bool]:
    """Clashes inside the chunk's functions; the top level's benchmarks and request."""
    clashes: list[cst.Name] = []
    for fn in function_defs(ctx.module.body):
        if isinstance(fn.body, cst.IndentedBlock):
            benchmarks, deterministic = _facts(ctx, fn.body.body)
            if deterministic:
                clashes.extend(benchmarks)
    top, deterministic = _facts(ctx, ctx.module.body)
    return clashes, top, deterministic


@register
class DeterminismRule(ModuleRule):
    """Deterministic algorithms requested, then cuDNN autotuning switched on."""

    family = "torch-reproducibility"
    # Facts come from `….benchmark = True`, `….deterministic = True` and calls of
    # torch.use_deterministic_algorithms (an imported alias counts as the name it imports).
    needs = frozenset({"benchmark", "deterministic", "use_deterministic_algorithms"})
    rules = (
        RuleInfo("MLS113", "cudnn-benchmark-with-determinism",
                 "`cudnn.benchmark = True` lets cuDNN pick its algorithms by timing them, which "
                 "can differ from run to run, while this code asks for deterministic results; "
                 "set `torch.backends.cudnn.benchmark = False`", Severity.WARNING,
                 fixable=True),
    )

    def check(self) -> None:
        if not self.ctx.imports.imports_any("torch"):
            return
        # Only a `….benchmark = True` assignment is ever reported: it names the attribute.
        if not self.ctx.mentions_all("benchmark"):
            return
        top: list[tuple[ChunkContext, cst.Name]] = []
        deterministic = False
        for chunk in self.ctx.chunks:
            clashes, benchmarks, requested = self.ctx.memo(
                chunk, "cudnn-determinism", functools.partial(_summarize, chunk))
            for node in clashes:
                self._report(chunk, node)
            top.extend((chunk, n) for n in benchmarks)
            deterministic |= requested
        if deterministic:
            for chunk, node in top:
                self._report(chunk, node)

    @staticmethod
    def _report(chunk: ChunkContext, node: cst.Name) -> None:
        fix = FixSpec("Set `cudnn.benchmark = False`", (EditSpec(node, "False"),), safe=False)
        chunk.report(node, "MLS113", fix)
