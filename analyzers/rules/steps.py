"""What a PyTorch training step leaves out or adds (MLS114, MLS120, MLS209): ``optimizer.step()``
in a loop that clears gradients but never computes them, ``backward()`` in a loop that clears
an optimizer's gradients but never steps it, and ``.item()`` synchronisations in the step loop.

MLS114 needs the whole file: a helper defined in another top-level statement may call
``backward()`` for the loop. Each statement's summary (memoized) holds its candidate loops, the
functions the loop calls, and whether the statement's own text mentions gradients at all.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass

import libcst as cst

from ..context import ChunkContext
from ..findings import Severity
from ..registry import ChunkRule, ModuleRule, RuleInfo, register
from ..walk import iter_nodes
from .flow.walker import calls_in, function_defs
from .patterns import LOOP_WORDS, is_attribute, is_name
from .torch_api import is_optimizer
from .training import backward_receivers, loop_statements

_LOOPS = (cst.For, cst.While)
# Words in a statement's text that mean gradients are computed somewhere in it.
_GRADIENT_WORDS = ("backward", "autograd", ".grad", "value_and_grad", "functorch")
# Modules whose functions never run backward for the caller.
_PLAIN_MODULES = frozenset(("torch", "numpy", "math", "time", "tqdm", "logging", "random",
                            "os", "sys", "itertools", "functools", "collections", "json",
                            "pathlib", "wandb", "warnings", "copy", "builtins"))


def _optimizer_step(call: cst.Call) -> cst.BaseExpression | None:
    """The optimizer of ``optimizer.step()`` (no closure) or ``scaler.step(optimizer)``."""
    if not is_attribute(call.func, "step"):
        return None
    receiver = call.func.value
    if is_optimizer(receiver) and not call.args:
        return receiver
    if len(call.args) == 1 and is_optimizer(call.args[0].value):
        return call.args[0].value
    return None


def _loops(body: cst.CSTNode) -> Iterator[cst.For | cst.While]:
    for node in iter_nodes([body]):
        if isinstance(node, _LOOPS):
            yield node


@dataclass(frozen=True)
class _Candidate:
    step: cst.Call
    optimizer: str
    called: frozenset[str]  # names of the plain functions the loop calls (helper candidates)


def _called_names(ctx: ChunkContext, loop: cst.CSTNode) -> frozenset[str]:
    names = set()
    for call in (n for n in iter_nodes([loop]) if isinstance(n, cst.Call)):
        if isinstance(call.func, cst.Name):
            q = ctx.qualname(call.func)
            if q is None or q.partition(".")[0] not in _PLAIN_MODULES:
                names.add(call.func.value if q is None else "import:" + q)
    return frozenset(names)


def _defined(ctx: ChunkContext) -> frozenset[str]:
    """The functions a statement defines (methods and nested functions too)."""
    return frozenset(fn.name.value for fn in function_defs(ctx.module.body))


def _summarize(ctx: ChunkContext) -> tuple[tuple[_Candidate, ...], bool]:
    """Candidate loops, and whether the statement's text mentions gradients (then nothing in
    it is a candidate, and its functions may compute them)."""
    text = ctx.chunk.text
    mentions = any(w in text for w in _GRADIENT_WORDS)
    if mentions or "zero_grad" not in text or ".step(" not in text:
        return (), mentions
    found = []
    for loop in _loops(ctx.module):
        stmts = [s for s, _ in loop_statements(ctx, loop.body, into_loops=False)]
        zeroed = any(is_attribute(c.func, "zero_grad") for s in stmts for c in calls_in(s))
        for stmt in stmts:
            for call in calls_in(stmt):
                opt = _optimizer_step(call)
                if opt is not None and zeroed:
                    found.append(_Candidate(call, ctx.code_for(opt), _called_names(ctx, loop)))
    return tuple(found), mentions


@register
class StepWithoutBackwardRule(ModuleRule):
    """``zero_grad()`` and ``step()`` in a loop that never computes gradients."""

    family = "torch-training-step"
    rules = (
        RuleInfo("MLS114", "optimizer-step-without-backward",
                 "`{optimizer}.step()` runs in a loop that clears the gradients but never "
                 "computes them (no `backward()`): the step does nothing and the model does not "
                 "learn; call `loss.backward()` before `{optimizer}.step()`", Severity.WARNING),
    )

    def check(self) -> None:
        # A candidate needs a statement with both words (_summarize): none without them.
        if not self.ctx.imports.imports_any("torch") or \
                not self.ctx.mentions_all("zero_grad", ".step("):
            return
        summaries = [(c, self.ctx.memo(c, "step-without-backward", functools.partial(_summarize, c)))
                     for c in self.ctx.chunks]
        if not any(candidates for _, (candidates, _) in summaries):
            return
        helpers: set[str] = set()  # functions defined where gradients are mentioned
        for chunk, (_, mentions) in summaries:
            if mentions:
                helpers |= self.ctx.memo(chunk, "defined-functions",
                                         functools.partial(_defined, chunk))
        for chunk, (candidates, _) in summaries:
            for cand in candidates:
                if any(n.startswith("import:") or n in helpers for n in cand.called):
                    continue  # a helper (here or imported) may run backward for the loop
                chunk.report(cand.step, "MLS114", None, optimizer=cand.optimizer)


# Words in a statement's text that mean an optimizer may be stepped somewhere in it
# (``optimizer.step()``, ``scaler.step(opt)``, ``xm.optimizer_step(opt)``, ``train_step(...)``).
_STEP_WORDS = ("step(", "step)")


@dataclass(frozen=True)
class _BackwardCandidate:
    backward: cst.Call
    optimizer: str
    called: frozenset[str]


def _backward_calls(stmt: cst.CSTNode) -> Iterator[cst.Call]:
    for call in calls_in(stmt):
        if is_attribute(call.func, "backward"):
            yield call


def _passes(loop: cst.CSTNode, ctx: ChunkContext, optimizer: str) -> bool:
    """A call in the loop is given the optimizer (a helper that may step it)."""
    for call in (n for n in iter_nodes([loop]) if isinstance(n, cst.Call)):
        if any(ctx.code_for(a.value) == optimizer for a in call.args):
            return True
    return False


def _summarize_backward(ctx: ChunkContext) -> tuple[tuple[_BackwardCandidate, ...], bool]:
    """Candidate loops for MLS120, and whether the statement's text may step an optimizer
    (then nothing in it is a candidate, and its functions may step for a loop elsewhere)."""
    text = ctx.chunk.text
    steps = any(w in text for w in _STEP_WORDS)
    if steps or "zero_grad" not in text or "backward" not in text:
        return (), steps
    found = []
    for loop in _loops(ctx.module):
        stmts = [s for s, _ in loop_statements(ctx, loop.body, into_loops=False)]
        zeroed = [c.func.value for s in stmts for c in calls_in(s)
                  if is_attribute(c.func, "zero_grad") and is_optimizer(c.func.value)]
        if not zeroed:
            continue
        optimizer = ctx.code_for(zeroed[0])
        if _passes(loop, ctx, optimizer) or any(
                isinstance(n, cst.Attribute) and n.attr.value == "grad"
                for n in iter_nodes([loop])):
            continue  # a helper may step it; the gradients are read (Fisher information, manual SGD)
        backward = next((c for s in stmts for c in _backward_calls(s)), None)
        if backward is not None:
            found.append(_BackwardCandidate(backward, optimizer, _called_names(ctx, loop)))
    return tuple(found), steps


@register
class BackwardWithoutStepRule(ModuleRule):
    """``zero_grad()`` and ``backward()`` in a loop that never steps the optimizer."""

    family = "torch-training-step"
    rules = (
        RuleInfo("MLS120", "backward-without-step",
                 "`backward()` computes gradients in a loop that clears `{optimizer}`'s "
                 "gradients but never calls `{optimizer}.step()`: the weights never change; "
                 "call `{optimizer}.step()` after `backward()`", Severity.WARNING),
    )

    def check(self) -> None:
        # A candidate needs a statement with both words (_summarize_backward).
        if not self.ctx.imports.imports_any("torch") or \
                not self.ctx.mentions_all("zero_grad", "backward"):
            return
        summaries = [(c, self.ctx.memo(c, "backward-without-step",
                                       functools.partial(_summarize_backward, c)))
                     for c in self.ctx.chunks]
        if not any(candidates for _, (candidates, _) in summaries):
            return
        helpers: set[str] = set()  # functions defined where an optimizer may be stepped
        for chunk, (_, steps) in summaries:
            if steps:
                helpers |= self.ctx.memo(chunk, "defined-functions",
                                         functools.partial(_defined, chunk))
        for chunk, (candidates, _) in summaries:
            for cand in candidates:
                if any(n.startswith("import:") or n in helpers for n in cand.called):
                    continue  # a helper (here or imported) may step the optimizer
                chunk.report(cand.backward, "MLS120", None, optimizer=cand.optimizer)


@register
class SyncInStepLoopRule(ChunkRule):
    """``.item()`` / ``.cpu()`` on every iteration of a loop that trains."""

    family = "torch-training-step"
    needs = LOOP_WORDS  # reports on loops only
    requires = ("torch",)
    rules = (
        RuleInfo("MLS209", "device-sync-in-step-loop",
                 "`.{method}()` on every training step waits for the GPU to finish its queued "
                 "work (a host-device synchronisation); accumulate on the device and read the "
                 "value every N steps or once per epoch", Severity.INFORMATION,
                 default_enabled=False),
    )

    def __init__(self, ctx: ChunkContext) -> None:
        super().__init__(ctx)
        self._active = ctx.imports.imports_any("torch")

    def visit_For(self, node: cst.For) -> None:
        self._loop(node)

    def visit_While(self, node: cst.While) -> None:
        self._loop(node)

    def _loop(self, loop: cst.For | cst.While) -> None:
        if not self._active:
            return
        # Only statements directly in the loop body: under an `if` (logging every N steps) the
        # read is occasional.
        stmts = [(s, d) for s, d in loop_statements(self.ctx, loop.body, into_loops=False)]
        trains = any(True for s, _ in stmts for _ in backward_receivers(s)) and any(
            _optimizer_step(c) is not None for s, _ in stmts for c in calls_in(s))
        if not trains:
            return
        for stmt, depth in stmts:
            if depth or isinstance(stmt, _LOOPS):
                continue
            for call in calls_in(stmt):
                if is_attribute(call.func, "item", "cpu", "tolist") and not call.args \
                        and not is_name(call.func.value, "self"):
                    self.ctx.report(call, "MLS209", None, method=call.func.attr.value)
                    return
