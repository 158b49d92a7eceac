"""PyTorch training and evaluation loops (MLS108-110): a loss summed with its graph, a
learning-rate scheduler stepped before the optimizer, evaluation that records gradients.

Loops are read statement by statement in source order (``loop_statements``): ``if``/``with``/
``try`` blocks are entered, nested functions and classes are not, and a block under
``torch.no_grad()`` / ``inference_mode()`` is skipped (nothing in it records a graph).
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass

import libcst as cst

from ..aliases import ImportTable
from ..context import ChunkContext, EditSpec, FixSpec, statement_words
from ..findings import Severity
from ..registry import ChunkRule, ModuleRule, RuleInfo, register
from ..walk import iter_nodes, suites
from .flow.walker import calls_in
from .patterns import LOOP_WORDS, is_attribute, is_name, single_assignment
from .torch_api import is_optimizer

# Functions and context managers that turn gradient recording off.
GRAD_OFF = frozenset(("torch.no_grad", "torch.inference_mode", "torch.autograd.no_grad",
                      "torch.autograd.grad_mode.no_grad", "torch.autograd.grad_mode.inference_mode",
                      "torch.set_grad_enabled", "torch.autograd.set_grad_enabled"))
_LOSS_FUNCTIONS = frozenset(f"torch.nn.functional.{n}" for n in (
    "cross_entropy", "nll_loss", "binary_cross_entropy", "binary_cross_entropy_with_logits",
    "kl_div", "mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss", "cosine_embedding_loss",
    "ctc_loss", "hinge_embedding_loss", "margin_ranking_loss", "multilabel_margin_loss",
    "multilabel_soft_margin_loss", "multi_margin_loss", "poisson_nll_loss", "gaussian_nll_loss",
    "soft_margin_loss", "triplet_margin_loss", "triplet_margin_with_distance_loss"))
_SCHEDULER_MODULE = "torch.optim.lr_scheduler."
_LOOPS = (cst.For, cst.While)


def turns_grad_off(ctx: ChunkContext, expr: cst.BaseExpression) -> bool:
    """``torch.no_grad()``, ``torch.inference_mode()``, ``torch.set_grad_enabled(<not True>)``
    (the decorator forms too, with or without the call)."""
    call = expr if isinstance(expr, cst.Call) else None
    q = ctx.call_qualname(call) if call is not None else ctx.qualname(expr)
    if q not in GRAD_OFF:
        return False
    if q.endswith("set_grad_enabled"):
        # set_grad_enabled(True) records; set_grad_enabled(is_train) may not: count it as off.
        return call is not None and not (call.args and is_name(call.args[0].value, "True"))
    return True


def grad_off_block(ctx: ChunkContext, stmt: cst.CSTNode) -> bool:
    """A ``with`` statement whose items turn gradient recording off."""
    return isinstance(stmt, cst.With) and any(turns_grad_off(ctx, i.item) for i in stmt.items)


def grad_off_function(ctx: ChunkContext, fn: cst.FunctionDef) -> bool:
    return any(turns_grad_off(ctx, d.decorator) for d in fn.decorators)


def loop_statements(ctx: ChunkContext, body: cst.BaseSuite, *, into_loops: bool,
                    ) -> Iterator[tuple[cst.CSTNode, int]]:
    """The small statements and nested loops of a block in source order, with their depth in
    ``if``/``with``/``try`` blocks (0: directly in the block). Gradient-free ``with`` blocks,
    functions and classes are skipped; nested loops are entered only when ``into_loops``."""

    def lines(suite: cst.BaseSuite) -> list[cst.CSTNode]:
        if isinstance(suite, cst.IndentedBlock):
            return list(suite.body)
        assert isinstance(suite, cst.SimpleStatementSuite)
        return [cst.SimpleStatementLine(body=suite.body)]

    # Depth-first, in source order: a worklist of (statement, depth), reversed.
    work: list[tuple[cst.CSTNode, int]] = [(s, 0) for s in reversed(lines(body))]
    while work:
        stmt, depth = work.pop()
        if isinstance(stmt, cst.SimpleStatementLine):
            for small in stmt.body:
                yield small, depth
        elif isinstance(stmt, cst.FunctionDef | cst.ClassDef) or grad_off_block(ctx, stmt):
            continue
        elif isinstance(stmt, _LOOPS):
            yield stmt, depth
            if into_loops:
                work.extend((s, depth + 1) for s in reversed(lines(stmt.body)))
        else:
            inner = [s for suite in suites(stmt) for s in lines(suite)]
            work.extend((s, depth + 1) for s in reversed(inner))


def _dotted(node: cst.CSTNode) -> str | None:
    return ChunkContext.dotted(node) if isinstance(node, cst.BaseExpression) else None


def _mentions(expr: cst.CSTNode, name: str) -> bool:
    """``expr`` is ``name``, or calls/operates on it directly: ``scaler.scale(loss)``,
    ``loss / steps``, ``(loss1 + loss2)``."""
    if _dotted(expr) == name:
        return True
    if isinstance(expr, cst.BinaryOperation):
        return _mentions(expr.left, name) or _mentions(expr.right, name)
    if isinstance(expr, cst.Call) and expr.args:
        return _dotted(expr.args[0].value) == name
    return False


def backward_receivers(stmt: cst.CSTNode) -> Iterator[cst.BaseExpression]:
    """What a statement calls ``backward`` on: ``x`` in ``x.backward()``,
    ``accelerator.backward(x)``, ``torch.autograd.backward(x)``."""
    for call in calls_in(stmt):
        if is_attribute(call.func, "backward"):
            yield call.func.value
            if call.args:
                yield call.args[0].value


def _loss_objects(ctx: ChunkContext) -> frozenset[str]:
    """Names (``criterion``, ``self.loss_fn``) bound in the chunk to a ``torch.nn`` loss."""
    found = set()
    for node in iter_nodes([ctx.module]):
        pair = single_assignment(node)
        if pair is None or not isinstance(pair[1], cst.Call):
            continue
        q = ctx.call_qualname(pair[1]) or ""
        name = _dotted(pair[0])
        if name and q.startswith("torch.nn.") and q.endswith("Loss"):
            found.add(name)
    return frozenset(found)


@dataclass
class _Accumulation:
    stmt: cst.AugAssign | cst.Assign
    target: str
    loss: cst.Name
    value: cst.BaseExpression


@register
class LossAccumulationRule(ChunkRule):
    """``total += loss`` where ``loss`` still carries its autograd graph."""

    family = "torch-training-loop"
    needs = LOOP_WORDS  # reports on loops only
    requires = ("torch",)
    rules = (
        RuleInfo("MLS108", "loss-accumulated-with-graph",
                 "`{total}` accumulates the tensor `{loss}` with its autograd graph, so every "
                 "iteration's graph stays alive (memory grows); accumulate `{loss}.item()` or "
                 "`{loss}.detach()`", Severity.WARNING, fixable=True),
    )

    def __init__(self, ctx: ChunkContext) -> None:
        super().__init__(ctx)
        self._active = ctx.imports.imports_any("torch")
        self._off: list[bool] = [False]  # gradient recording off here (no_grad block/decorator)
        self._losses: frozenset[str] | None = None
        self._evaluates: bool | None = None

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._off.append(grad_off_function(self.ctx, node))

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self._off.pop()

    def visit_With(self, node: cst.With) -> None:
        self._off.append(self._off[-1] or grad_off_block(self.ctx, node))

    def leave_With(self, original_node: cst.With) -> None:
        self._off.pop()

    def visit_For(self, node: cst.For) -> None:
        self._loop(node)

    def visit_While(self, node: cst.While) -> None:
        self._loop(node)

    def _loop(self, loop: cst.For | cst.While) -> None:
        if not self._active or self._off[-1]:
            return
        stmts = [s for s, _ in loop_statements(self.ctx, loop.body, into_loops=False)]
        backward = [r for s in stmts for r in backward_receivers(s)]
        for index, stmt in enumerate(stmts):
            acc = _accumulation(stmt)
            if acc is None or any(_mentions(r, acc.target) for r in backward):
                continue
            if self._is_graph(acc.loss.value, stmts, index, bool(backward)):
                self._report(acc)

    def _is_graph(self, name: str, stmts: list[cst.CSTNode], index: int,
                  trains: bool) -> bool:
        """Whether ``name`` holds a loss tensor with its graph at ``stmts[index]``: its last
        assignment before that computes a loss, or it is passed to ``backward()`` before the
        next assignment (in an evaluation loop, only a known loss call counts)."""
        last = None
        for i in range(index - 1, -1, -1):
            pair = single_assignment(stmts[i])
            if pair is not None and _dotted(pair[0]) == name:
                last = i
                break
        if last is None:
            return False
        value = single_assignment(stmts[last])[1]  # type: ignore[index]
        if self._computes_loss(value):
            return trains or self._in_evaluation()
        if not isinstance(value, cst.Call | cst.BinaryOperation) or _detached(value):
            return False
        for stmt in stmts[last + 1:]:
            pair = single_assignment(stmt)
            if pair is not None and _dotted(pair[0]) == name:
                return False
            if any(_mentions(r, name) for r in backward_receivers(stmt)):
                return True
        return False

    def _computes_loss(self, value: cst.BaseExpression) -> bool:
        if isinstance(value, cst.BinaryOperation):
            return self._computes_loss(value.left) or self._computes_loss(value.right)
        if not isinstance(value, cst.Call):
            return False
        if self.ctx.call_qualname(value) in _LOSS_FUNCTIONS:
            return True
        func = value.func
        if isinstance(func, cst.Call):  # nn.MSELoss()(out, y)
            q = self.ctx.call_qualname(func) or ""
            return q.startswith("torch.nn.") and q.endswith("Loss")
        if self._losses is None:
            self._losses = _loss_objects(self.ctx)
        return _dotted(func) in self._losses

    def _in_evaluation(self) -> bool:
        """The chunk puts a model in evaluation mode (``.eval()``): a loop there that sums a
        loss without backward is an evaluation loop, not a sum of loss terms to return."""
        if self._evaluates is None:
            self._evaluates = any(is_attribute(c.func, "eval") and not c.args
                                  for c in iter_nodes([self.ctx.module])
                                  if isinstance(c, cst.Call))
        return self._evaluates

    def _report(self, acc: _Accumulation) -> None:
        loss = acc.loss.value
        fix = None
        if acc.value is acc.loss:
            fix = FixSpec(f"Accumulate `{loss}.item()`", (EditSpec(acc.loss, f"{loss}.item()"),),
                          safe=False)
        self.ctx.report(acc.stmt, "MLS108", fix, total=acc.target, loss=loss)


def _detached(value: cst.BaseExpression) -> bool:
    """``x.item()``, ``float(x)``, ``x.detach()``... : a number or a tensor without a graph."""
    if isinstance(value, cst.Call):
        if is_attribute(value.func, "item", "detach", "tolist", "numpy", "cpu"):
            return True
        return is_name(value.func, "float", "int")
    return False


def _accumulation(stmt: cst.CSTNode) -> _Accumulation | None:
    """``total += loss`` / ``total = total + loss`` (also ``loss * n``) with ``loss`` a name."""
    if isinstance(stmt, cst.AugAssign) and isinstance(stmt.operator, cst.AddAssign):
        target, value = _dotted(stmt.target), stmt.value
    else:
        pair = single_assignment(stmt)
        if pair is None or not isinstance(pair[1], cst.BinaryOperation) \
                or not isinstance(pair[1].operator, cst.Add):
            return None
        target = _dotted(pair[0])
        if target is None or _dotted(pair[1].left) != target:
            return None
        value = pair[1].right
    if target is None:
        return None
    loss = value
    if isinstance(value, cst.BinaryOperation) and isinstance(value.operator,
                                                             cst.Multiply | cst.Divide):
        loss = value.left if isinstance(value.left, cst.Name) else value.right
    if not isinstance(loss, cst.Name) or loss.value == target:
        return None
    return _Accumulation(stmt, target, loss, value)  # type: ignore[arg-type]


def _is_scheduler(ctx: ChunkContext, receiver: cst.BaseExpression,
                  schedulers: frozenset[str]) -> bool:
    name = _dotted(receiver)
    if name is None:
        return False
    last = name.rpartition(".")[2].lower()
    return name in schedulers or ("sched" in last and "noise" not in last)


def _schedulers(ctx: ChunkContext) -> frozenset[str]:
    found = set()
    for node in iter_nodes([ctx.module]):
        pair = single_assignment(node)
        if pair is not None and (ctx.call_qualname(pair[1]) or "").startswith(_SCHEDULER_MODULE):
            name = _dotted(pair[0])
            if name:
                found.add(name)
    return frozenset(found)


def _optimizer_step(ctx: ChunkContext, call: cst.Call) -> bool:
    if not is_attribute(call.func, "step"):
        return False
    receiver = call.func.value
    if is_optimizer(receiver):
        return True
    return bool(call.args) and is_optimizer(call.args[0].value)  # scaler.step(optimizer)


@register
class SchedulerOrderRule(ChunkRule):
    """``scheduler.step()`` before ``optimizer.step()`` in the same loop iteration."""

    family = "torch-training-loop"
    needs = LOOP_WORDS
    requires = ("torch",)
    rules = (
        RuleInfo("MLS110", "scheduler-step-before-optimizer-step",
                 "`{scheduler}.step()` runs before `{optimizer}.step()` in this loop: the first "
                 "learning rate of the schedule is skipped (PyTorch >= 1.1 expects the "
                 "scheduler to step after the optimizer)", Severity.WARNING),
    )

    def __init__(self, ctx: ChunkContext) -> None:
        super().__init__(ctx)
        self._active = ctx.imports.imports_any("torch")
        self._known: frozenset[str] | None = None

    def visit_For(self, node: cst.For) -> None:
        self._loop(node)

    def visit_While(self, node: cst.While) -> None:
        self._loop(node)

    def _loop(self, loop: cst.For | cst.While) -> None:
        if not self._active:
            return
        first: cst.Call | None = None
        for stmt, depth in loop_statements(self.ctx, loop.body, into_loops=True):
            if isinstance(stmt, _LOOPS):
                continue
            for call in calls_in(stmt):
                if first is None:
                    if depth == 0 and isinstance(stmt, cst.Expr) and call is stmt.value \
                            and self._scheduler_step(call):
                        first = call
                        continue
                    if _optimizer_step(self.ctx, call):
                        return  # the optimizer steps first
                elif _optimizer_step(self.ctx, call):
                    func = first.func
                    assert isinstance(func, cst.Attribute)
                    opt = call.func.value if is_optimizer(call.func.value) else call.args[0].value  # type: ignore[attr-defined]
                    self.ctx.report(first, "MLS110", None, scheduler=self.ctx.code_for(func.value),
                                    optimizer=self.ctx.code_for(opt))
                    return

    def _scheduler_step(self, call: cst.Call) -> bool:
        if not is_attribute(call.func, "step") or call.args:
            return False
        if self._known is None:
            self._known = _schedulers(self.ctx)
        return _is_scheduler(self.ctx, call.func.value, self._known)


# -- evaluation without no_grad (a module rule: the caller may turn gradients off) --------

@dataclass(frozen=True)
class _EvalSummary:
    """One top-level statement's facts: forward calls after ``.eval()`` outside ``no_grad``
    (with the function they are in), names called under ``no_grad``, models put in eval mode
    at top level, and top-level loops that call a model."""

    candidates: tuple[tuple[str | None, cst.Call, str], ...]  # (function, call, model)
    called_without_grad: frozenset[str]
    evals: frozenset[str]
    loop_calls: tuple[tuple[cst.Call, str], ...]
    trains: frozenset[str]  # models put back in training mode at top level (.train())


def _method_call(stmt: cst.CSTNode, method: str) -> str | None:
    """``model`` in a statement ``model.eval()`` (or ``model = model.eval()``)."""
    value = stmt.value if isinstance(stmt, cst.Expr) else \
        (single_assignment(stmt) or (None, None))[1]
    if isinstance(value, cst.Call) and is_attribute(value.func, method) and not value.args:
        return _dotted(value.func.value)
    return None


def _model_calls(ctx: ChunkContext, loop: cst.For | cst.While, model: str) -> cst.Call | None:
    """The first ``model(...)`` / ``model.forward(...)`` in a loop, outside no_grad blocks;
    None if the loop also computes gradients or puts the model back in training mode, or ends
    in an unconditional ``break`` (it runs once: a peek at one batch records one graph)."""
    body = loop.body.body if isinstance(loop.body, cst.IndentedBlock) else ()
    last = body[-1] if body else None
    if isinstance(last, cst.SimpleStatementLine) and isinstance(last.body[-1], cst.Break):
        return None
    found = None
    for stmt, _ in loop_statements(ctx, loop.body, into_loops=True):
        if isinstance(stmt, _LOOPS):
            continue
        if _method_call(stmt, "train") == model or any(True for _ in backward_receivers(stmt)):
            return None
        for call in calls_in(stmt):
            if ctx.call_qualname(call) in ("torch.autograd.grad",):
                return None
            func = call.func
            if found is None and (_dotted(func) == model
                                  or (is_attribute(func, "forward") and _dotted(func.value) == model)):
                found = call
    return found


def _wants_gradients(ctx: ChunkContext, body: cst.CSTNode) -> bool:
    """The function computes gradients somewhere (saliency maps, attacks, fine-tuning)."""
    for node in iter_nodes([body]):
        if isinstance(node, cst.Call):
            if is_attribute(node.func, "backward", "requires_grad_") \
                    or ctx.call_qualname(node) in ("torch.autograd.grad", "torch.enable_grad"):
                return True
            if turns_grad_off(ctx, node):
                return True  # set_grad_enabled(False) as a statement, a no_grad it manages
        if isinstance(node, cst.Name) and node.value == "requires_grad":
            return True
    return False


def _block_candidates(ctx: ChunkContext, body: cst.BaseSuite) -> Iterator[tuple[cst.Call, str]]:
    """Loops after ``model.eval()`` in one block that call the model with gradients on."""
    evals: set[str] = set()
    for stmt, depth in loop_statements(ctx, body, into_loops=False):
        if depth != 0:
            continue
        model = _method_call(stmt, "eval")
        if model is not None:
            evals.add(model)
            continue
        model = _method_call(stmt, "train")
        if model is not None:
            evals.discard(model)
        if isinstance(stmt, _LOOPS):
            for model in sorted(evals):
                call = _model_calls(ctx, stmt, model)
                if call is not None:
                    yield call, model


_EVAL_WORDS = ("eval", "no_grad", "inference_mode", "set_grad_enabled")
# Words one of which a statement holds for _summarize_eval to find an eval, a train, a
# gradient switch (an imported alias counts as what it imports) or a candidate.
_MODE_WORDS = frozenset(("eval", "train", *(q.rpartition(".")[2] for q in GRAD_OFF)))


def _may_switch_modes(ctx: ChunkContext, imports: ImportTable) -> bool:
    """Whether the statement can hold anything of its _EvalSummary but top-level loop calls."""
    return _may_hold_candidates(ctx.chunk.text) \
        or not _MODE_WORDS.isdisjoint(statement_words(ctx.chunk, imports))


def _may_hold_candidates(text: str) -> bool:
    """A text test (it costs nothing; most statements fail it) before walking a tree for
    candidates and calls under no_grad."""
    return "eval()" in text or any(w in text for w in _EVAL_WORDS[1:])


def _summarize_eval(ctx: ChunkContext) -> _EvalSummary:
    candidates: list[tuple[str | None, cst.Call, str]] = []
    without: set[str] = set()
    text = ctx.chunk.text
    for node in iter_nodes([ctx.module]) if _may_hold_candidates(text) else ():
        if isinstance(node, cst.FunctionDef):
            if grad_off_function(ctx, node) or _wants_gradients(ctx, node.body):
                continue
            candidates.extend((node.name.value, c, m) for c, m in _block_candidates(ctx, node.body))
        elif grad_off_block(ctx, node):
            assert isinstance(node, cst.With)
            for call in iter_nodes([node.body]):
                if isinstance(call, cst.Call):
                    name = _dotted(call.func)
                    if name:
                        without.add(name.rpartition(".")[2])
    top = ctx.module.body
    evals: set[str] = set()
    trains: set[str] = set()
    loop_calls: list[tuple[cst.Call, str]] = []
    for line in top:
        if isinstance(line, cst.SimpleStatementLine):
            for small in line.body:
                if (m := _method_call(small, "eval")) is not None:
                    evals.add(m)
                if (m := _method_call(small, "train")) is not None:
                    trains.add(m)
                for call in calls_in(small):
                    if turns_grad_off(ctx, call):
                        trains.add("*")  # torch.set_grad_enabled(False) for the rest of the file
        elif isinstance(line, _LOOPS) and "(" in text and not _wants_gradients(ctx, line):
            called = {_dotted(c.func) for c in iter_nodes([line]) if isinstance(c, cst.Call)}
            for model in called:
                if model:
                    found = _model_calls(ctx, line, model)
                    if found is not None:
                        loop_calls.append((found, model))
    return _EvalSummary(tuple(candidates), frozenset(without), frozenset(evals),
                        tuple(loop_calls), frozenset(trains))


@register
class EvalWithoutNoGradRule(ModuleRule):
    """Evaluation loops after ``model.eval()`` that still record the autograd graph."""

    family = "torch-evaluation"
    rules = (
        RuleInfo("MLS109", "eval-without-no-grad",
                 "`{model}` is in eval mode but this loop calls it with gradients on: every "
                 "forward pass records its autograd graph (memory, time); wrap the loop in "
                 "`with torch.no_grad():` (or `torch.inference_mode()`)", Severity.WARNING),
    )

    def check(self) -> None:
        if not self.ctx.imports.imports_any("torch"):
            return
        # Nothing to say in a file that never mentions eval mode or gradient switches: the
        # per-statement summaries are skipped there.
        if not any(self.ctx.mentions_all(w) for w in _EVAL_WORDS):
            return
        imports = self.ctx.imports
        # A statement with none of the words has no candidates, evals, trains or no_grad
        # calls: only its top-level loops can report, after an eval, so it is parsed only then.
        summaries = [(c, self._summary(c) if _may_switch_modes(c, imports) else None)
                     for c in self.ctx.chunks]
        without = frozenset().union(*(s.called_without_grad for _, s in summaries if s))
        in_eval: set[str] = set()
        for chunk, found in summaries:
            if found is None and not in_eval:
                continue
            summary = found or self._summary(chunk)
            for function, call, model in summary.candidates:
                if function not in without:
                    chunk.report(call, "MLS109", None, model=model)
            for call, model in summary.loop_calls:
                if model in in_eval:
                    chunk.report(call, "MLS109", None, model=model)
            in_eval |= summary.evals
            in_eval -= summary.trains
            if "*" in summary.trains:
                return

    def _summary(self, chunk: ChunkContext) -> _EvalSummary:
        return self.ctx.memo(chunk, "eval-no-grad", functools.partial(_summarize_eval, chunk))


# Calls in a loop that never put a model back in training mode for the caller.
_HARMLESS_CALLS = frozenset((
    "range", "len", "enumerate", "zip", "print", "float", "int", "str", "round", "sum", "min",
    "max", "abs", "list", "tuple", "dict", "set", "sorted", "isinstance", "format", "iter",
    "next", "getattr", "hasattr", "any", "all", "map", "filter", "repr", "bool", "type"))
_PLAIN_PREFIXES = ("torch.", "numpy.", "math.", "time.", "tqdm.", "logging.", "os.", "sys.",
                   "json.", "random.", "wandb.", "builtins.", "copy.", "pathlib.")


def _scope_nodes(body: cst.CSTNode) -> Iterator[cst.CSTNode]:
    """Every node under ``body`` except those in nested functions, classes and lambdas."""
    stack: list[cst.CSTNode] = [body]
    while stack:
        node = stack.pop()
        yield node
        if node is not body and isinstance(node, cst.FunctionDef | cst.ClassDef | cst.Lambda):
            continue
        stack.extend(reversed(node.children))


def _evals_before_exit(suite: cst.BaseSuite) -> Iterator[tuple[cst.Call, str]]:
    """``model.eval()`` calls (with the model's dotted name) of a loop body, in any block,
    except those followed in their block by ``break``/``return``/``raise`` (no next
    iteration) and those in nested loops' ``else`` or functions."""
    if not isinstance(suite, cst.IndentedBlock):
        return
    body = list(suite.body)
    for i, stmt in enumerate(body):
        if isinstance(stmt, cst.SimpleStatementLine):
            later = [s for line in body[i:] if isinstance(line, cst.SimpleStatementLine)
                     for s in line.body]
            if any(isinstance(s, cst.Break | cst.Return | cst.Raise) for s in later):
                return
            for small in stmt.body:
                for call in calls_in(small):
                    if is_attribute(call.func, "eval") and not call.args:
                        model = _dotted(call.func.value)
                        if model is not None:
                            yield call, model
        elif isinstance(stmt, cst.FunctionDef | cst.ClassDef):
            continue
        else:
            for inner in suites(stmt):
                yield from _evals_before_exit(inner)


def _may_restore(ctx: ChunkContext, loop: cst.For | cst.While,
                 model: str) -> frozenset[str] | None:
    """None if something in the loop may put ``model`` back in training mode: a ``.train``
    anywhere, a call given the model, a method of ``self``, an imported function that is not a
    plain library one. Otherwise the plain names the loop calls, which may be functions of the
    file (judged by the caller against what the file binds them to)."""
    names = set()
    for node in _scope_nodes(loop.body):
        if isinstance(node, cst.Attribute) and node.attr.value in ("train", "training"):
            return None
        if not isinstance(node, cst.Call):
            continue
        if any(_dotted(a.value) == model for a in node.args):
            return None
        func = node.func
        if _dotted(func) == model:
            continue
        if isinstance(func, cst.Name):
            q = ctx.qualname(func)
            if q is None and func.value not in _HARMLESS_CALLS:
                names.add(func.value)
            if q is not None and not q.startswith(_PLAIN_PREFIXES):
                return None
        elif isinstance(func, cst.Attribute) and is_name(func.value, "self"):
            return None
        elif isinstance(func, cst.Attribute) and func.attr.value in ("apply", "set_mode", "mode"):
            return None
    return frozenset(names)


def _torch_objects(ctx: ChunkContext) -> frozenset[str]:
    """Names the statement binds (at any depth) only to a call of a ``torch`` constructor
    (``criterion = nn.MSELoss()``): calling them never changes another model's mode."""
    bound: dict[str, bool] = {}
    for node in _scope_nodes(ctx.module):
        if isinstance(node, cst.FunctionDef | cst.ClassDef):
            bound[node.name.value] = False
        pair = single_assignment(node) if isinstance(node, cst.BaseSmallStatement) else None
        if pair is None or not is_name(pair[0]):
            continue
        value = pair[1]
        q = ctx.call_qualname(value) if isinstance(value, cst.Call) else None
        ok = q is not None and q.startswith("torch.")
        bound[pair[0].value] = bound.get(pair[0].value, True) and ok
    return frozenset(n for n, ok in bound.items() if ok)


def _trains(ctx: ChunkContext, loop: cst.For | cst.While, model: str, evaluation: cst.Call,
            ) -> bool:
    """The loop runs ``backward`` and calls ``model`` with gradients on before ``evaluation``
    (in source order): a model put in eval mode before it is used (a frozen teacher) is not
    one the loop trains then validates."""
    forwards: set[int] = set()
    backward = False
    for stmt, _ in loop_statements(ctx, loop.body, into_loops=True):
        if isinstance(stmt, _LOOPS):
            continue
        backward = backward or any(True for _ in backward_receivers(stmt))
        forwards.update(id(c) for c in calls_in(stmt) if _dotted(c.func) == model)
    if not backward or not forwards:
        return False
    for node in iter_nodes([loop.body]):
        if node is evaluation:
            return False
        if id(node) in forwards:
            return True
    return False


def _summarize_train_mode(ctx: ChunkContext) -> tuple[tuple[cst.Call, str, frozenset[str]], ...]:
    """MLS119 candidates: the eval call, the model, the plain names the loop calls."""
    text = ctx.chunk.text
    found = []
    if ".eval()" in text and "backward" in text:
        seen: set[int] = set()
        for loop in (n for n in iter_nodes([ctx.module]) if isinstance(n, _LOOPS)):
            for call, model in _evals_before_exit(loop.body):
                if id(call) in seen:
                    continue
                seen.add(id(call))
                if not _trains(ctx, loop, model, call):
                    continue
                names = _may_restore(ctx, loop, model)
                if names is not None:
                    found.append((call, model, names))
    return tuple(found)


def _bound_names(ctx: ChunkContext) -> tuple[frozenset[str], frozenset[str]]:
    """The names the statement binds only to torch objects, and the functions and classes it
    defines (read only in a file with an MLS119 candidate)."""
    text = ctx.chunk.text
    objects = _torch_objects(ctx) if "torch" in text or "nn." in text else frozenset()
    defined = frozenset(fn.name.value for fn in iter_nodes([ctx.module])
                        if isinstance(fn, cst.FunctionDef | cst.ClassDef))
    return objects, defined


@register
class TrainModeRule(ModuleRule):
    """``model.eval()`` in a training loop that never calls ``model.train()`` again."""

    family = "torch-training-loop"
    rules = (
        RuleInfo("MLS119", "train-mode-not-restored",
                 "`{model}.eval()` runs inside the training loop but `{model}.train()` is never "
                 "called in it: from the second iteration on the model trains in eval mode "
                 "(dropout off, batch-norm statistics frozen); call `{model}.train()` at the "
                 "top of the loop body", Severity.WARNING),
    )

    def check(self) -> None:
        # A candidate needs a statement with both (_summarize_train_mode).
        if not self.ctx.imports.imports_any("torch") or \
                not self.ctx.mentions_all(".eval()", "backward"):
            return
        summaries = [(c, self.ctx.memo(c, "train-mode", functools.partial(_summarize_train_mode, c)))
                     for c in self.ctx.chunks]
        if not any(found for _, found in summaries):
            return
        objects: set[str] = set()
        defined: set[str] = set()
        for chunk, _ in summaries:
            objs, others = self.ctx.memo(chunk, "train-mode-names",
                                         functools.partial(_bound_names, chunk))
            objects |= objs
            defined |= others
        harmless = objects - defined
        for chunk, found in summaries:
            for call, model, names in found:
                if names <= harmless:
                    chunk.report(call, "MLS119", None, model=model)
