"""Drive flow analyses (:mod:`.walker`) from ModuleRules, memoized per chunk.

Function bodies are analysed once per chunk text, top-level statements once per (chunk text,
incoming environments) pair, so an edit re-walks only what it can change. Analyses registered
with :func:`share_flow` run together in one walk (:func:`shared_flow`): the traversal and the
calls of each statement are paid once for device-flow, torch-loss and jax.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import libcst as cst

from ...context import ChunkContext, ModuleContext, statement_words
from .env import EMPTY, UNKNOWN, Delta, Env, Frozen, apply_delta
from .relevance import Deferral, assigned_names, bound_names, defined_name
from .walker import FlowAnalysis, FlowWalker, function_defs, param_names

AnalysisFactory = Callable[[ChunkContext], FlowAnalysis]
# The chunks that emitted items (in order) with their items, and the top-level environment
# after the last chunk.
FlowResult = tuple[list[tuple[ChunkContext, list[Any]]], Env]
Roots = tuple[Frozen, ...]  # the top-level environment between statements, one per analysis


@dataclass(frozen=True)
class SharedFlow:
    """An analysis that walks together with the other shared ones (see :func:`shared_flow`)."""

    make: AnalysisFactory
    codes: frozenset[str]  # the finding codes it serves: not walked when none is enabled
    wanted: Callable[[ModuleContext], bool]  # the family's own gate, e.g. "imports torch"


_SHARED: dict[str, SharedFlow] = {}


def share_flow(name: str, make: AnalysisFactory, codes: Iterable[str],
               wanted: Callable[[ModuleContext], bool]) -> None:
    """Register analysis ``name`` for shared walks; rule modules call this at import."""
    _SHARED[name] = SharedFlow(make, frozenset(codes), wanted)


def shared_flow(mctx: ModuleContext, name: str) -> FlowResult:
    """The result of shared analysis ``name`` over the module.

    One walk runs every shared analysis the module needs (codes enabled, gate true), memoized
    under one key per chunk named after that set, so the first family to ask pays for the
    walk and the others read the memo. Each analysis gets exactly what a walk of its own gives.
    """
    enabled = mctx.chunks[0].enabled_codes if mctx.chunks else frozenset()
    names = [n for n, s in _SHARED.items()
             if n == name or (s.codes & enabled and s.wanted(mctx))]
    key = "+".join(names)
    results = mctx.shared.get(key)
    if results is None:  # the first family to ask in this analysis walks for all of them
        results = mctx.shared[key] = run_flows(mctx, key, [_SHARED[n].make for n in names])
    return results[names.index(name)]


def run_flows(mctx: ModuleContext, key: str, makes: Sequence[AnalysisFactory]) -> list[FlowResult]:
    """Run several analyses in one walk over every function body and the module's top-level
    statements; one result per analysis, in order. Memoized per chunk under ``key``: function
    bodies per chunk text, top-level statements per (chunk text, incoming environments).

    The environments between statements are compared by fingerprint (kept up to date per
    binding, never rehashed whole). A statement's memo keeps what it changed (a delta), and a
    whole environment only every ``CHECKPOINT_EVERY`` statements: an edit re-walks from the
    statement it touched, rebuilding what flows in from the checkpoint before it."""
    outs: list[list[tuple[int, ChunkContext, list[Any]]]] = [[] for _ in makes]
    state = _TopState(tuple(EMPTY for _ in makes))
    defs_key, top_key, alone_key = f"{key}:defs", f"{key}:top", f"{key}:alone"
    no_defs: tuple[list[Any], ...] = tuple([] for _ in makes)
    deferral = _deferral(makes)
    imports = mctx.imports
    for index, chunk in enumerate(mctx.chunks):
        if deferral is not None:
            words = statement_words(chunk.chunk, imports)
            for due in deferral.due(words):  # deferred statements binding a name it mentions
                late = mctx.chunks[due]
                emitted, deltas = mctx.memo(late, alone_key,
                                            functools.partial(_alone, late, makes))
                state.apply(deltas)
                _collect(outs, due, late, no_defs, emitted)
            if deferral.defer(index, chunk.chunk.text, words, state.roots(),
                              functools.partial(_bound, mctx, chunk)):
                continue
        body = chunk.module.body
        if len(body) == 1 and type(body[0]) is cst.SimpleStatementLine:
            defs = no_defs  # no def in a simple statement: nothing to walk or memoize
        else:
            defs = mctx.memo(chunk, defs_key, functools.partial(_defs, chunk, makes))
        step: _Step = mctx.memo_for(chunk, top_key, state.fingerprint,
                                    functools.partial(_top, chunk, makes, state, index))
        state.follow(step)
        _collect(outs, index, chunk, defs, step.emitted)
    return [([(c, items) for _, c, items in sorted(out, key=_first)], Env(root))
            for out, root in zip(outs, state.roots(), strict=True)]


def _first(entry: tuple[int, ChunkContext, list[Any]]) -> int:
    return entry[0]


def _collect(outs: list[list[tuple[int, ChunkContext, list[Any]]]], index: int,
             chunk: ChunkContext, defs: tuple[list[Any], ...],
             top: tuple[list[Any], ...]) -> None:
    for out, def_items, top_items in zip(outs, defs, top, strict=True):
        if def_items or top_items:
            out.append((index, chunk, [*def_items, *top_items]))


def _deferral(makes: Sequence[AnalysisFactory]) -> Deferral | None:
    """Deferral (:mod:`.relevance`) for a walk whose analyses all declare their trigger words."""
    words: set[str] = set()
    for make in makes:
        declared: frozenset[str] | None = getattr(make, "defer_words", None)
        if declared is None:
            return None
        words.update(declared)
    substrings = ("\\", *(s for make in makes for s in getattr(make, "defer_substrings", ())))
    return Deferral(frozenset(words), substrings) if makes else None


def _bound(mctx: ModuleContext, chunk: ChunkContext) -> frozenset[str] | None:
    def compute() -> frozenset[str] | None:
        if chunk.chunk.binds is not None:  # a config table's stub knows its targets
            return chunk.chunk.binds
        own = defined_name(chunk.chunk.text)
        if own is not None:  # a def / class: it binds its name only (no global, walrus)
            return own if chunk.chunk.valid() else None  # valid(): no second parse
        tree = chunk.chunk.syntax_tree()
        if tree is None:
            return None
        assigned = assigned_names(tree, chunk.chunk.text)  # a config table: its targets
        return assigned if assigned is not None else bound_names(tree)
    return mctx.memo(chunk, "flow:bound", compute)


def _alone(chunk: ChunkContext, makes: Sequence[AnalysisFactory]
           ) -> tuple[tuple[list[Any], ...], tuple[Delta, ...]]:
    """A deferred statement walked in an empty environment: its reports (none, by the trigger
    words) and what it binds (deltas from the empty environment, one per analysis)."""
    analyses = [make(chunk) for make in makes]
    walked = FlowWalker(*analyses).block(chunk.module.body, tuple(Env(EMPTY) for _ in makes))
    return tuple(a.emitted for a in analyses), tuple(env.settle(EMPTY)[1] for env in walked)


CHECKPOINT_EVERY = 32


@dataclass(frozen=True)
class _Step:
    """One top-level statement's memo: its reports, what it changed, where that leads."""

    emitted: tuple[list[Any], ...]
    deltas: tuple[Delta, ...]  # per analysis
    fingerprint: tuple[int, ...]  # of the environments after it
    checkpoint: Roots | None  # the environments after it, kept every CHECKPOINT_EVERY steps


class _TopState:
    """The top-level environments between statements: the last known ones plus the deltas of
    the statements since (memo hits need only the fingerprint; a miss rebuilds them)."""

    def __init__(self, roots: Roots) -> None:
        self._roots = roots
        self._pending: list[tuple[Delta, ...]] = []
        self.fingerprint = tuple(r.fingerprint for r in roots)
        self.computed: Roots | None = None  # set by _top: the environments it just made

    def roots(self) -> Roots:
        if self._pending:
            roots = list(self._roots)
            for deltas in self._pending:
                roots = [apply_delta(r, d) for r, d in zip(roots, deltas, strict=True)]
            self._roots, self._pending = tuple(roots), []
        return self._roots

    def apply(self, deltas: tuple[Delta, ...]) -> None:
        """Apply a deferred statement's bindings (names no walked statement has mentioned)."""
        if any(deltas):
            self._roots = tuple(apply_delta(r, d)
                                for r, d in zip(self.roots(), deltas, strict=True))
            self.fingerprint = tuple(r.fingerprint for r in self._roots)
        self.computed = None

    def follow(self, step: _Step) -> None:
        known = step.checkpoint if self.computed is None else self.computed
        self.computed = None
        if known is not None:
            self._roots, self._pending = known, []
        else:
            self._pending.append(step.deltas)
            if len(self._pending) > 4 * CHECKPOINT_EVERY:  # checkpoints moved by edits
                self.roots()
        self.fingerprint = step.fingerprint


def _defs(chunk: ChunkContext, makes: Sequence[AnalysisFactory]) -> tuple[list[Any], ...]:
    analyses = [make(chunk) for make in makes]
    walker = FlowWalker(*analyses)
    for fn in function_defs(chunk.module.body):
        params = param_names(fn)
        walker.suite(fn.body, tuple(Env(local=dict.fromkeys(params, UNKNOWN)) for _ in analyses))
    return tuple(a.emitted for a in analyses)


def _top(chunk: ChunkContext, makes: Sequence[AnalysisFactory], state: _TopState,
         index: int) -> _Step:
    roots = state.roots()
    analyses = [make(chunk) for make in makes]
    walked = FlowWalker(*analyses).block(chunk.module.body, tuple([Env(root) for root in roots]))
    # Unknown bindings carry no information between statements: settle() drops them.
    after, deltas = [], []
    for env, root in zip(walked, roots, strict=True):
        new, delta = env.settle(root)
        after.append(new)
        deltas.append(delta)
    state.computed = settled = tuple(after)
    return _Step(tuple([a.emitted for a in analyses]), tuple(deltas),
                 tuple([r.fingerprint for r in settled]),
                 settled if index % CHECKPOINT_EVERY == CHECKPOINT_EVERY - 1 else None)


def replay(results: list[tuple[ChunkContext, list[Any]]]) -> None:
    """Report memoized ``(node, code, fix, fields)`` items on their chunks."""
    for chunk, items in results:
        for node, code, fix, fields in items:
            chunk.report(node, code, fix, **fields)
