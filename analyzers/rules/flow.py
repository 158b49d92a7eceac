"""A small intraprocedural dataflow over statement sequences, shared by the flow rules.

An analysis maps names to abstract values (hashable tuples such as ``("t", "cuda")``) while a
:class:`FlowWalker` runs through a function body or the module's top-level statements in order:
assignments bind, branches are walked on copies of the environment and joined (values that
differ become ``UNKNOWN``), loop bodies run twice so that values carried round the loop are
seen (the first pass is muted). Nested functions and classes are separate scopes, walked on
their own by :func:`run_flow`.

``run_flow`` drives an analysis from a ModuleRule: function bodies are analysed once per chunk
text, top-level statements once per (chunk text, incoming environment) pair, so an edit re-walks
only what it can change.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from typing import Any

import libcst as cst

from ..context import ChunkContext, FixSpec, ModuleContext

Value = tuple[Any, ...]  # hashable: environments are hashed for the memo
Env = dict[str, Value]
UNKNOWN: Value = ("?",)
# (node, code, fix, message fields) -- a report kept in the memo and replayed each analysis.
Emitted = tuple[cst.CSTNode, str, FixSpec | None, dict[str, Any]]


class FlowAnalysis:
    """Base class: override ``evaluate`` and ``on_statement`` (and ``join_values`` if needed)."""

    def __init__(self, ctx: ChunkContext) -> None:
        self.ctx = ctx
        self.muted = False
        self.emitted: list[Any] = []
        self._seen: set[tuple[int, str]] = set()

    def lookup(self, name: str, env: Env) -> Value:
        """Value of a name not bound in ``env`` is UNKNOWN unless an analysis says otherwise."""
        return env.get(name, UNKNOWN)

    def evaluate(self, expr: cst.BaseExpression, env: Env) -> Value:
        return UNKNOWN

    def element_value(self, expr: cst.BaseExpression, env: Env) -> Value:
        """The value each name of a tuple target gets from ``a, b = expr``."""
        return UNKNOWN

    def definition(self, stmt: cst.FunctionDef | cst.ClassDef) -> Value:
        """The value a ``def`` or ``class`` statement binds its name to."""
        return UNKNOWN

    def on_statement(self, stmt: cst.CSTNode, env: Env) -> None:
        """Look at one small statement (or a compound statement's header expression) before it
        binds; may update ``env`` for in-place effects such as ``model.to(device)``."""

    def join_values(self, a: Value, b: Value) -> Value:
        return a if a == b else UNKNOWN

    def emit(self, item: Any, node: cst.CSTNode, code: str) -> None:
        """Record ``item`` unless muted or already recorded for this node and code."""
        key = (id(node), code)
        if self.muted or key in self._seen:
            return
        self._seen.add(key)
        self.emitted.append(item)

    def report(self, node: cst.CSTNode, code: str, fix: FixSpec | None = None,
               **fields: Any) -> None:
        self.emit((node, code, fix, fields), node, code)


class FlowWalker:
    """Walks statements in order, keeping ``env`` up to date for an analysis."""

    def __init__(self, analysis: FlowAnalysis) -> None:
        self.a = analysis

    def block(self, stmts: Any, env: Env) -> Env:
        for stmt in stmts:
            env = self.statement(stmt, env)
        return env

    def suite(self, suite: cst.BaseSuite, env: Env) -> Env:
        if isinstance(suite, cst.IndentedBlock):
            return self.block(suite.body, env)
        return self.small(suite.body, env)  # type: ignore[attr-defined]

    def statement(self, stmt: cst.CSTNode, env: Env) -> Env:
        if isinstance(stmt, cst.SimpleStatementLine):
            return self.small(stmt.body, env)
        if isinstance(stmt, cst.If):
            self.a.on_statement(stmt.test, env)
            then = self.suite(stmt.body, dict(env))
            other = dict(env)
            if isinstance(stmt.orelse, cst.If):
                other = self.statement(stmt.orelse, other)
            elif isinstance(stmt.orelse, cst.Else):
                other = self.suite(stmt.orelse.body, other)
            return self.join(then, other)
        if isinstance(stmt, cst.For):
            self.a.on_statement(stmt.iter, env)
            env = dict(env)
            bind_target(stmt.target, UNKNOWN, env)
            return self.loop(stmt.body, env, stmt.orelse, stmt.target)
        if isinstance(stmt, cst.While):
            self.a.on_statement(stmt.test, env)
            return self.loop(stmt.body, dict(env), stmt.orelse, None)
        if isinstance(stmt, cst.With):
            env = dict(env)
            for item in stmt.items:
                self.a.on_statement(item.item, env)
                if item.asname is not None:
                    bind_target(item.asname.name, UNKNOWN, env)
            return self.suite(stmt.body, env)
        if isinstance(stmt, cst.Try | cst.TryStar):
            return self.try_(stmt, env)
        if isinstance(stmt, cst.FunctionDef | cst.ClassDef):
            env = dict(env)
            env[stmt.name.value] = self.a.definition(stmt)
            return env
        if isinstance(stmt, cst.Match):
            self.a.on_statement(stmt.subject, env)
            out = env
            for case in stmt.cases:
                out = self.join(out, self.suite(case.body, dict(env)))
            return out
        return env

    def small(self, stmts: Any, env: Env) -> Env:
        for s in stmts:
            self.a.on_statement(s, env)
            if isinstance(s, cst.Assign):
                value = self.a.evaluate(s.value, env)
                element = self.a.element_value(s.value, env)
                env = dict(env)
                for t in s.targets:
                    bind_target(t.target, value, env, element)
            elif isinstance(s, cst.AnnAssign) and s.value is not None:
                env = dict(env)
                bind_target(s.target, self.a.evaluate(s.value, env), env)
            elif isinstance(s, cst.AugAssign | cst.Del):
                env = dict(env)
                bind_target(s.target, UNKNOWN, env)
            elif isinstance(s, cst.Import | cst.ImportFrom) and not isinstance(s.names, cst.ImportStar):
                env = dict(env)
                for alias in s.names:
                    local = alias.asname.name if alias.asname else alias.name
                    name = local.value.split(".")[0] if isinstance(local, cst.Name) else None
                    if name is None and isinstance(local, cst.Attribute):
                        name = (ChunkContext.dotted(local) or "").split(".")[0]
                    if name:
                        env[name] = UNKNOWN
        return env

    def loop(self, body: cst.BaseSuite, env: Env, orelse: cst.Else | None,
             target: cst.BaseExpression | None) -> Env:
        muted = self.a.muted
        self.a.muted = True
        first = self.suite(body, dict(env))
        self.a.muted = muted
        entry = self.join(env, first)
        if target is not None:
            bind_target(target, UNKNOWN, entry)
        out = self.join(entry, self.suite(body, dict(entry)))
        if orelse is not None:
            out = self.suite(orelse.body, out)
        return out

    def try_(self, stmt: cst.Try | cst.TryStar, env: Env) -> Env:
        body = self.suite(stmt.body, dict(env))
        start = self.join(env, body)  # a handler may start anywhere in the body
        out = self.suite(stmt.orelse.body, body) if stmt.orelse else body
        for handler in stmt.handlers:
            h = dict(start)
            if handler.name is not None:
                bind_target(handler.name.name, UNKNOWN, h)
            out = self.join(out, self.suite(handler.body, h))
        if stmt.finalbody is not None:
            out = self.suite(stmt.finalbody.body, out)
        return out

    def join(self, a: Env, b: Env) -> Env:
        if a is b:
            return a
        out: Env = {}
        for name in a.keys() | b.keys():
            if name in a and name in b:
                out[name] = self.a.join_values(a[name], b[name])
            else:
                # Bound on one path only: unknown here (and it shadows any outer value).
                out[name] = UNKNOWN
        return out


def bind_target(target: cst.BaseExpression, value: Value, env: Env,
                element: Value = UNKNOWN) -> None:
    """Bind an assignment target: a Name gets ``value``, the names of a tuple target get
    ``element`` (nested tuples and starred names: UNKNOWN)."""
    if isinstance(target, cst.Name):
        env[target.value] = value
    elif isinstance(target, cst.Tuple | cst.List):
        for el in target.elements:
            bind_target(el.value, element, env)
    elif isinstance(target, cst.StarredElement):
        bind_target(target.value, UNKNOWN, env)


def calls_in(node: cst.CSTNode) -> Iterator[cst.Call]:
    """Calls in a statement's expressions, outermost first, without entering lambdas,
    comprehensions or nested scopes (their names live elsewhere)."""
    stack: list[Any] = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, cst.Call):
            yield n
            stack.extend(a.value for a in reversed(n.args))
            stack.append(n.func)
        elif isinstance(n, cst.Attribute):
            stack.append(n.value)
        elif isinstance(n, cst.Subscript):
            stack.append(n.value)
            for el in n.slice:
                if isinstance(el.slice, cst.Index):
                    stack.append(el.slice.value)
        elif isinstance(n, cst.BinaryOperation):
            stack.extend((n.right, n.left))
        elif isinstance(n, cst.UnaryOperation | cst.Await | cst.StarredElement):
            stack.append(n.expression if not isinstance(n, cst.StarredElement) else n.value)
        elif isinstance(n, cst.BooleanOperation):
            stack.extend((n.right, n.left))
        elif isinstance(n, cst.Comparison):
            stack.extend(c.comparator for c in n.comparisons)
            stack.append(n.left)
        elif isinstance(n, cst.Tuple | cst.List | cst.Set):
            stack.extend(el.value for el in reversed(n.elements))
        elif isinstance(n, cst.IfExp):
            stack.extend((n.orelse, n.body, n.test))
        elif isinstance(n, cst.Assign | cst.AnnAssign | cst.AugAssign | cst.Expr | cst.Return
                        | cst.NamedExpr | cst.Yield):
            if n.value is not None:
                stack.append(n.value)
        elif isinstance(n, cst.Dict):
            stack.extend(el.value for el in n.elements)


def function_defs(stmts: Any) -> Iterator[cst.FunctionDef]:
    """Every def among the statements, in classes, compound statements and other defs
    (statement level only: never into expressions)."""
    for stmt in stmts:
        if isinstance(stmt, cst.FunctionDef):
            yield stmt
            yield from function_defs(_body(stmt.body))
        elif isinstance(stmt, cst.ClassDef):
            yield from function_defs(_body(stmt.body))
        elif isinstance(stmt, cst.If):
            yield from function_defs(_body(stmt.body))
            if stmt.orelse is not None:
                yield from function_defs([stmt.orelse] if isinstance(stmt.orelse, cst.If)
                                         else _body(stmt.orelse.body))
        elif isinstance(stmt, cst.BaseCompoundStatement):
            yield from function_defs(_body(stmt.body))
            for extra in (getattr(stmt, "orelse", None), getattr(stmt, "finalbody", None)):
                if extra is not None:
                    yield from function_defs(_body(extra.body))
            for handler in getattr(stmt, "handlers", ()):
                yield from function_defs(_body(handler.body))


def _body(suite: Any) -> Any:
    return suite.body if isinstance(suite, cst.IndentedBlock) else ()


def param_names(fn: cst.FunctionDef) -> list[str]:
    p = fn.params
    out = [x.name.value for x in (*p.posonly_params, *p.params, *p.kwonly_params)]
    for star in (p.star_arg, p.star_kwarg):
        if isinstance(star, cst.Param):
            out.append(star.name.value)
    return out


AnalysisFactory = Callable[[ChunkContext], FlowAnalysis]


def run_flow(mctx: ModuleContext, key: str, make: AnalysisFactory,
             ) -> tuple[list[tuple[ChunkContext, list[Any]]], Env]:
    """Run an analysis over every function body and the module's top-level statements;
    returns each chunk's emitted items and the top-level environment after the last chunk.
    Results are memoized per chunk."""
    out: list[tuple[ChunkContext, list[Any]]] = []
    env: Env = {}
    env_hash = 0
    for chunk in mctx.chunks:
        items = list(mctx.memo(chunk, f"{key}:defs", functools.partial(_defs, chunk, make)))
        top_items, env, env_hash = mctx.memo(
            chunk, f"{key}:top:{env_hash}", functools.partial(_top, chunk, make, env))
        items.extend(top_items)
        out.append((chunk, items))
    return out, env


def _defs(chunk: ChunkContext, make: AnalysisFactory) -> list[Any]:
    analysis = make(chunk)
    walker = FlowWalker(analysis)
    for fn in function_defs(chunk.module.body):
        env: Env = dict.fromkeys(param_names(fn), UNKNOWN)
        walker.suite(fn.body, env)
    return analysis.emitted


def _top(chunk: ChunkContext, make: AnalysisFactory, env: Env) -> tuple[list[Any], Env, int]:
    analysis = make(chunk)
    out = FlowWalker(analysis).block(chunk.module.body, dict(env))
    # Unknown bindings carry no information between statements; dropping them keeps the
    # environment (copied and hashed per statement) small: a module of 3,000 defs was O(n^2).
    out = {k: v for k, v in out.items() if v != UNKNOWN}
    return analysis.emitted, out, hash(frozenset(out.items()))


def replay(results: list[tuple[ChunkContext, list[Any]]]) -> None:
    """Report memoized ``(node, code, fix, fields)`` items on their chunks."""
    for chunk, items in results:
        for node, code, fix, fields in items:
            chunk.report(node, code, fix, **fields)


def first_arg(call: cst.Call, keyword: str | None = None, index: int = 0) -> cst.Arg | None:
    """The ``index``-th positional argument of ``call``, or the one passed as ``keyword``."""
    positional = [a for a in call.args if a.keyword is None and not a.star]
    if index < len(positional):
        return positional[index]
    if keyword is not None:
        for a in call.args:
            if a.keyword is not None and a.keyword.value == keyword:
                return a
    return None


def has_keyword(call: cst.Call, *names: str) -> bool:
    return any(a.keyword is not None and a.keyword.value in names for a in call.args) or any(
        a.star == "**" for a in call.args)
