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

from ...context import ChunkContext, ModuleContext
from .env import EMPTY, UNKNOWN, Env, Frozen
from .walker import FlowAnalysis, FlowWalker, function_defs, param_names

AnalysisFactory = Callable[[ChunkContext], FlowAnalysis]
# Each chunk's emitted items, and the top-level environment after the last chunk.
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
    results = run_flows(mctx, "+".join(names), [_SHARED[n].make for n in names])
    return results[names.index(name)]


def run_flow(mctx: ModuleContext, key: str, make: AnalysisFactory) -> FlowResult:
    """Run one analysis over every function body and the module's top-level statements."""
    return run_flows(mctx, key, [make])[0]


def run_flows(mctx: ModuleContext, key: str, makes: Sequence[AnalysisFactory]) -> list[FlowResult]:
    """Run several analyses in one walk over every function body and the module's top-level
    statements; one result per analysis, in order. Memoized per chunk under ``key``: function
    bodies per chunk text, top-level statements per (chunk text, incoming environments), the
    environments compared by fingerprint (kept up to date per binding, never rehashed whole)."""
    outs: list[list[tuple[ChunkContext, list[Any]]]] = [[] for _ in makes]
    roots: Roots = tuple(EMPTY for _ in makes)
    for chunk in mctx.chunks:
        defs = mctx.memo(chunk, f"{key}:defs", functools.partial(_defs, chunk, makes))
        fingerprint = tuple(root.fingerprint for root in roots)
        top, roots = mctx.memo_for(chunk, f"{key}:top", fingerprint,
                                   functools.partial(_top, chunk, makes, roots))
        for out, def_items, top_items in zip(outs, defs, top, strict=True):
            out.append((chunk, [*def_items, *top_items]))
    return [(out, Env(root)) for out, root in zip(outs, roots, strict=True)]


def _defs(chunk: ChunkContext, makes: Sequence[AnalysisFactory]) -> tuple[list[Any], ...]:
    analyses = [make(chunk) for make in makes]
    walker = FlowWalker(*analyses)
    for fn in function_defs(chunk.module.body):
        params = param_names(fn)
        walker.suite(fn.body, tuple(Env(local=dict.fromkeys(params, UNKNOWN)) for _ in analyses))
    return tuple(a.emitted for a in analyses)


def _top(chunk: ChunkContext, makes: Sequence[AnalysisFactory], roots: Roots,
         ) -> tuple[tuple[list[Any], ...], Roots]:
    analyses = [make(chunk) for make in makes]
    walked = FlowWalker(*analyses).block(chunk.module.body, tuple(Env(root) for root in roots))
    # Unknown bindings carry no information between statements: settle() drops them.
    return (tuple(a.emitted for a in analyses),
            tuple(env.settle(root) for env, root in zip(walked, roots, strict=True)))


def replay(results: list[tuple[ChunkContext, list[Any]]]) -> None:
    """Report memoized ``(node, code, fix, fields)`` items on their chunks."""
    for chunk, items in results:
        for node, code, fix, fields in items:
            chunk.report(node, code, fix, **fields)
