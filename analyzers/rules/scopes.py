"""Scope-ordered events for module rules whose facts span statements: a model built in one
top-level statement and compiled in another, a scaler fitted before the split.

A *scope* is a function body, or the module's top level (every top-level statement in order,
across chunks). :class:`ScopeRule` memoizes, per top-level statement, the events of each
function it defines (judged on their own) and the events of its top-level part (judged together,
in source order, with those of the other statements).
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Sequence
from typing import Any, ClassVar

import libcst as cst

from ..context import ChunkContext
from ..registry import ModuleRule
from ..walk import suites
from .flow.walker import function_defs

Event = Any  # a rule's own tuple


def flat_statements(stmts: Sequence[cst.CSTNode]) -> Iterator[cst.CSTNode]:
    """The small statements and compound statements (for their headers) of a block in source
    order, entering ``if``/``for``/``while``/``with``/``try`` blocks but not functions or classes."""
    for stmt in stmts:
        if isinstance(stmt, cst.SimpleStatementLine):
            yield from stmt.body
        elif isinstance(stmt, cst.FunctionDef | cst.ClassDef):
            continue
        elif isinstance(stmt, cst.BaseCompoundStatement):
            yield stmt
            for suite in suites(stmt):
                if isinstance(suite, cst.IndentedBlock):
                    yield from flat_statements(suite.body)
                elif isinstance(suite, cst.SimpleStatementSuite):
                    yield from suite.body


def target_names(target: cst.CSTNode) -> Iterator[str]:
    """Dotted names bound by an assignment target (tuples unpacked; ``df[c]`` binds ``df``)."""
    if isinstance(target, cst.Tuple | cst.List):
        for el in target.elements:
            yield from target_names(el.value)
    elif isinstance(target, cst.StarredElement):
        yield from target_names(target.value)
    elif isinstance(target, cst.Subscript):
        yield from target_names(target.value)
    else:
        name = ChunkContext.dotted(target) if isinstance(target, cst.BaseExpression) else None
        if name:
            yield name


def assigned_names(stmt: cst.CSTNode) -> list[str]:
    """Every name a small statement (or a ``for``/``with`` header) binds."""
    out: list[str] = []
    if isinstance(stmt, cst.Assign):
        for t in stmt.targets:
            out.extend(target_names(t.target))
    elif isinstance(stmt, cst.AnnAssign | cst.AugAssign):
        out.extend(target_names(stmt.target))
    elif isinstance(stmt, cst.For):
        out.extend(target_names(stmt.target))
    elif isinstance(stmt, cst.With):
        for item in stmt.items:
            if item.asname is not None:
                out.extend(target_names(item.asname.name))
    return out


class ScopeRule(ModuleRule):
    """A module rule over the events of each scope. Subclasses set ``key``, ``imports`` (module
    prefixes, one of which the file must import) and ``gate`` (words a statement's text must
    contain for it to be read at all), and define ``events`` and ``judge``."""

    key: ClassVar[str] = ""
    imports: ClassVar[tuple[str, ...]] = ()
    gate: ClassVar[tuple[str, ...]] = ()

    @classmethod
    def events(cls, ctx: ChunkContext, stmts: Sequence[cst.CSTNode]) -> list[Event]:
        raise NotImplementedError  # pragma: no cover - interface

    def judge(self, events: list[tuple[ChunkContext, Event]]) -> None:
        raise NotImplementedError  # pragma: no cover - interface

    def statements_to_read(self) -> list[bool] | None:
        """Per statement, whether its events can change a judgement (None: all of them). A
        statement left out is not parsed; a subclass says which ones cannot matter."""
        return None

    @classmethod
    def _summarize(cls, ctx: ChunkContext) -> tuple[list[list[Event]], list[Event]]:
        text = ctx.chunk.text
        if cls.gate and not any(g in text for g in cls.gate):
            return [], []
        functions = [cls.events(ctx, fn.body.body) for fn in function_defs(ctx.module.body)
                     if isinstance(fn.body, cst.IndentedBlock)]
        return [f for f in functions if f], cls.events(ctx, ctx.module.body)

    def check(self) -> None:
        if self.imports and not self.ctx.imports.imports_any(*self.imports):
            return
        top: list[tuple[ChunkContext, Event]] = []
        read = self.statements_to_read()
        for i, chunk in enumerate(self.ctx.chunks):
            if read is not None and not read[i]:
                continue
            functions, events = self.ctx.memo(chunk, self.key,
                                              functools.partial(self._summarize, chunk))
            for fn_events in functions:
                self.judge([(chunk, e) for e in fn_events])
            top.extend((chunk, e) for e in events)
        if top:
            self.judge(top)
