"""One batched walk of a statement's tree for every chunk-rule family (engine.py's step 4).

libcst's ``Module.visit`` re-dispatches every node through every visitor; here the methods that
handle each node type are worked out once per analyzer, and the walk is a direct loop over the
dataclass fields that hold children (walk.py), skipping leaves no family handles.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable
from typing import Any

import libcst as cst

from .context import RuleError
from .registry import ChunkRule, visitor_names
from .walk import is_leaf_type, node_fields


def rule_error(family: str, exc: BaseException) -> RuleError:
    return RuleError(family, f"{type(exc).__name__}: {exc}", traceback.format_exc())


Methods = tuple[tuple[int, Callable], ...]  # (family index, unbound visit_/leave_ method)


class Dispatch:
    """Which chunk-rule methods handle each node type, worked out once per analyzer (not per
    chunk): a chunk's walk then costs its nodes, not a rebuild of every family's method table.

    Per node type a plan: its visit and leave methods and the fields holding its children, in
    reverse (they are pushed on a stack). A child of a type that no family handles and that
    has no children of its own (a name, a number, an operator) is not pushed at all."""

    def __init__(self, families: list[type[ChunkRule]]) -> None:
        self.families = families
        self._names = [frozenset(visitor_names(f)) for f in families]
        self._plans: dict[type, tuple[Methods, Methods, tuple[str, ...]]] = {}
        self._walked: dict[type, bool] = {}  # push nodes of this type? (False: not a node too)

    def _methods(self, prefix: str, tp: type) -> Methods:
        name = prefix + tp.__name__
        return tuple((i, getattr(f, name)) for i, f in enumerate(self.families)
                     if name in self._names[i])

    def _plan(self, tp: type) -> tuple[Methods, Methods, tuple[str, ...]]:
        plan = self._plans[tp] = (self._methods("visit_", tp), self._methods("leave_", tp),
                                  tuple(reversed(node_fields(tp))))
        return plan

    def _walk_type(self, tp: type) -> bool:
        if not issubclass(tp, cst.CSTNode):
            walked = False
        else:
            visit, leave, _ = self._plans.get(tp) or self._plan(tp)
            walked = bool(visit or leave) or not is_leaf_type(tp)
        self._walked[tp] = walked
        return walked

    def run(self, module: cst.Module, visitors: list[ChunkRule | None],
            errors: list[RuleError]) -> None:
        """Walk ``module`` once for every family (``None``: failed to start), calling
        ``visit_<Node>`` / ``leave_<Node>`` in source order; a visit returning ``False`` skips
        the node's children. A family that raises is dropped for the rest of the chunk and
        reported once."""
        def call(fns: Methods, node: cst.CSTNode) -> bool:
            descend = True
            for i, fn in fns:
                visitor = visitors[i]
                if visitor is None:
                    continue
                try:
                    if fn(visitor, node) is False:
                        descend = False
                except Exception as exc:
                    visitors[i] = None
                    errors.append(rule_error(visitor.family or type(visitor).__name__, exc))
            return descend

        plans, walked, plan_of, walk_type = self._plans, self._walked, self._plan, self._walk_type
        stack: list[Any] = list(reversed(module.body))
        pop, push = stack.pop, stack.append
        while stack:
            node = pop()
            tp = type(node)
            if tp is tuple:  # leaving a node
                call(*node)
                continue
            plan = plans.get(tp)
            if plan is None:
                plan = plan_of(tp)
            visit, leave, fields = plan
            if leave:
                push((leave, node))
            if visit and not call(visit, node):
                continue
            # The children, last first (the stack pops them in source order).
            for name in fields:
                value = getattr(node, name)
                vt = type(value)
                if vt is tuple or vt is list:
                    for item in reversed(value):
                        it = type(item)
                        w = walked.get(it)
                        if w is None:
                            w = walk_type(it)
                        if w:
                            push(item)
                else:
                    w = walked.get(vt)
                    if w is None:
                        w = walk_type(vt)
                    if w:
                        push(value)
