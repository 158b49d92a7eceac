"""A small intraprocedural dataflow over statement sequences, shared by the flow rules.

An analysis maps names to abstract values (hashable tuples such as ``("t", "cuda")``) while a
:class:`FlowWalker` runs through a function body or the module's top-level statements in order:
assignments bind, branches are walked on copies of the environment and joined (values that
differ become ``UNKNOWN``), loop bodies run twice so that values carried round the loop are
seen (the first pass is muted). Nested functions and classes are separate scopes, walked on
their own by :func:`.run.run_flows`.

The drivers that run analyses from a ModuleRule, memoized per chunk and shared between
families, are in :mod:`.run`.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, ClassVar

import libcst as cst

from ...context import ChunkContext, FixSpec
from ...walk import IMPORT_FROM_TYPES, IMPORT_TYPES, suites
from .env import FREEZE_AT, MISSING, UNKNOWN, Env, Value, differing_names

__all__ = ["UNKNOWN", "Env", "Envs", "FlowAnalysis", "FlowWalker", "Value", "bind_target",
           "calls_in", "copy_envs", "first_arg", "function_defs", "has_keyword", "param_names"]
# (node, code, fix, message fields) -- a report kept in the memo and replayed each analysis.
Emitted = tuple[cst.CSTNode, str, FixSpec | None, dict[str, Any]]


class FlowAnalysis:
    """Base class: override ``evaluate`` and ``on_statement`` (and ``join_values`` if needed)."""

    # Words without which a statement that mentions no bound name reports nothing and reads
    # nothing but its own names (see :mod:`.relevance`); None: every statement is walked.
    defer_words: ClassVar[frozenset[str] | None] = None
    defer_substrings: ClassVar[tuple[str, ...]] = ()  # the same, anywhere in the text

    def __init__(self, ctx: ChunkContext) -> None:
        self.ctx = ctx
        self.muted = False
        self.emitted: list[Any] = []
        self._seen: set[tuple[int, str]] = set()
        # Set by the walker and shared by the analyses of one walk: calls per statement node.
        self.calls_cache: dict[int, list[cst.Call]] = {}

    def calls(self, stmt: cst.CSTNode) -> list[cst.Call]:
        """``calls_in(stmt)``, computed once per walk (statements are seen once per analysis
        of the walk, and twice in loop bodies)."""
        key = id(stmt)  # the tree outlives the walk, so ids are stable for the cache's life
        found = self.calls_cache.get(key)
        if found is None:
            found = self.calls_cache[key] = _calls_list(stmt)
        return found

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


Envs = tuple[Env, ...]  # one environment per analysis of a walk, in the walker's order


class FlowWalker:
    """Walks statements in order, keeping each analysis's ``env`` up to date.

    Several independent analyses share one walk: each keeps its own environment and sees the
    same events in the same order as it would alone (they only interleave), so their results
    are those of separate walks while the traversal and ``calls_in`` are paid once.
    """

    def __init__(self, *analyses: FlowAnalysis) -> None:
        self.analyses = analyses
        calls: dict[int, list[cst.Call]] = {}
        for a in analyses:
            a.calls_cache = calls  # statements are walked twice in loops and once per analysis

    def on_statement(self, node: cst.CSTNode, envs: Envs) -> None:
        for a, env in zip(self.analyses, envs, strict=True):
            a.on_statement(node, env)

    def bind(self, target: cst.BaseExpression, envs: Envs) -> None:
        for env in envs:
            bind_target(target, UNKNOWN, env)

    def bind_walrus(self, test: cst.BaseExpression, envs: Envs) -> Envs:
        """A copy of ``envs`` where the names a condition binds with ``:=`` are UNKNOWN."""
        envs = copy_envs(envs)
        for target in walrus_targets(test):
            self.bind(target, envs)
        return envs

    def block(self, stmts: Any, envs: Envs) -> Envs:
        for stmt in stmts:
            envs = self.statement(stmt, envs)
            for env in envs:
                if len(env.local) >= FREEZE_AT:
                    envs = tuple(env.compact() for env in envs)
                    break
        return envs

    def suite(self, suite: cst.BaseSuite, envs: Envs) -> Envs:
        if isinstance(suite, cst.IndentedBlock):
            return self.block(suite.body, envs)
        return self.small(suite.body, envs)  # type: ignore[attr-defined]

    def statement(self, stmt: cst.CSTNode, envs: Envs) -> Envs:
        if type(stmt) is cst.SimpleStatementLine or isinstance(stmt, cst.SimpleStatementLine):
            return self.small(stmt.body, envs)
        if isinstance(stmt, cst.If):
            self.on_statement(stmt.test, envs)
            envs = self.bind_walrus(stmt.test, envs)
            then = self.suite(stmt.body, copy_envs(envs))
            other = copy_envs(envs)
            if isinstance(stmt.orelse, cst.If):
                other = self.statement(stmt.orelse, other)
            elif isinstance(stmt.orelse, cst.Else):
                other = self.suite(stmt.orelse.body, other)
            return self.join(then, other)
        if isinstance(stmt, cst.For):
            self.on_statement(stmt.iter, envs)
            envs = copy_envs(envs)
            self.bind(stmt.target, envs)
            return self.loop(stmt.body, envs, stmt.orelse, stmt.target)
        if isinstance(stmt, cst.While):
            self.on_statement(stmt.test, envs)
            return self.loop(stmt.body, self.bind_walrus(stmt.test, envs), stmt.orelse, None)
        if isinstance(stmt, cst.With):
            envs = copy_envs(envs)
            for item in stmt.items:
                self.on_statement(item.item, envs)
                if item.asname is not None:
                    self.bind(item.asname.name, envs)
            return self.suite(stmt.body, envs)
        if isinstance(stmt, cst.Try | cst.TryStar):
            return self.try_(stmt, envs)
        if isinstance(stmt, cst.FunctionDef | cst.ClassDef):
            envs = copy_envs(envs)
            for a, env in zip(self.analyses, envs, strict=True):
                env[stmt.name.value] = a.definition(stmt)
            return envs
        if isinstance(stmt, cst.Match):
            self.on_statement(stmt.subject, envs)
            out = envs
            for case in stmt.cases:
                branch = copy_envs(envs)
                for name in _captures(case.pattern):
                    for env in branch:
                        env[name] = UNKNOWN
                if case.guard is not None:
                    self.on_statement(case.guard, branch)
                out = self.join(out, self.suite(case.body, branch))
            return out
        # Every other statement kind binds nothing the analyses track (pass, return, raise...);
        # a compound kind this walker does not know yet is walked as "any of its blocks runs".
        out = envs
        for suite in suites(stmt):
            out = self.join(out, self.suite(suite, copy_envs(envs)))
        return out

    def small(self, stmts: Any, envs: Envs) -> Envs:
        analyses = self.analyses
        for s in stmts:
            for a, env in zip(analyses, envs, strict=True):
                a.on_statement(s, env)
            # ``envs`` belong to this path (callers copy at every branch): bind in place.
            kind = _SMALL_KINDS.get(type(s))
            if kind is None:
                kind = _small_kind(type(s))
            if kind == _ASSIGN:
                for a, env in zip(analyses, envs, strict=True):
                    _assign(a, s, env)
            elif kind == _ANN_ASSIGN:
                if s.value is not None:
                    for a, env in zip(analyses, envs, strict=True):
                        bind_target(s.target, a.evaluate(s.value, env), env)
            elif kind == _REBIND:
                self.bind(s.target, envs)
            elif kind == _IMPORT:
                if not isinstance(s.names, cst.ImportStar):
                    for name in _imported_names(s.names):
                        for env in envs:
                            env[name] = UNKNOWN
            elif kind == _TYPE_ALIAS:
                self.bind(s.name, envs)
        return envs

    def loop(self, body: cst.BaseSuite, envs: Envs, orelse: cst.Else | None,
             target: cst.BaseExpression | None) -> Envs:
        muted = [a.muted for a in self.analyses]
        for a in self.analyses:
            a.muted = True
        first = self.suite(body, copy_envs(envs))
        for a, was in zip(self.analyses, muted, strict=True):
            a.muted = was
        entry = self.join(envs, first)
        if target is not None:
            self.bind(target, entry)
        out = self.join(entry, self.suite(body, copy_envs(entry)))
        if orelse is not None:
            out = self.suite(orelse.body, out)
        return out

    def try_(self, stmt: cst.Try | cst.TryStar, envs: Envs) -> Envs:
        body = self.suite(stmt.body, copy_envs(envs))
        start = self.join(envs, body)  # a handler may start anywhere in the body
        out = self.suite(stmt.orelse.body, body) if stmt.orelse else body
        for handler in stmt.handlers:
            h = copy_envs(start)
            if handler.name is not None:
                self.bind(handler.name.name, h)
            out = self.join(out, self.suite(handler.body, h))
        if stmt.finalbody is not None:
            out = self.suite(stmt.finalbody.body, out)
        return out

    def join(self, a: Envs, b: Envs) -> Envs:
        return tuple(_join(an, x, y) for an, x, y in zip(self.analyses, a, b, strict=True))


def copy_envs(envs: Envs) -> Envs:
    """A copy per environment for a new path (costs the path's recent writes, not the map)."""
    return tuple(env.copy() for env in envs)


def _assign(a: FlowAnalysis, s: cst.Assign, env: Env) -> None:
    value = a.evaluate(s.value, env)
    element = a.element_value(s.value, env)
    for t in s.targets:
        bind_target(t.target, value, env, element)


def _captures(pattern: cst.CSTNode) -> Iterator[str]:
    """The names a ``case`` pattern binds (``x``, ``[a, *rest]``, ``{**kw}``, ``P(x=y) as p``)."""
    stack = [pattern]
    while stack:
        node = stack.pop()
        if isinstance(node, cst.MatchAs | cst.MatchStar) and node.name is not None:
            yield node.name.value
        if isinstance(node, cst.MatchMapping) and node.rest is not None:
            yield node.rest.value
        stack.extend(node.children)


def _imported_names(names: Sequence[cst.ImportAlias]) -> Iterator[str]:
    """The top-level names an import binds (``import a.b`` binds ``a``)."""
    for alias in names:
        local = alias.asname.name if alias.asname else alias.name
        name = local.value.split(".")[0] if isinstance(local, cst.Name) else None
        if name is None and isinstance(local, cst.Attribute):
            name = (ChunkContext.dotted(local) or "").split(".")[0]
        if name:
            yield name


def _join(analysis: FlowAnalysis, a: Env, b: Env) -> Env:
    """Both paths' bindings: values that differ are joined, a name bound on one path only is
    UNKNOWN (and shadows any outer value). Costs the names written since the paths parted."""
    if a is b:
        return a
    base, names = differing_names(a, b)
    local: dict[str, Value] = {}
    for name in names:
        x, y = a.get(name, MISSING), b.get(name, MISSING)
        local[name] = UNKNOWN if x is MISSING or y is MISSING else analysis.join_values(x, y)
    return Env(base, local)


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


_IMPORTS = IMPORT_TYPES + IMPORT_FROM_TYPES
_OTHER, _ASSIGN, _ANN_ASSIGN, _REBIND, _IMPORT, _TYPE_ALIAS = range(6)
_SMALL_KINDS: dict[type, int] = {}


def _small_kind(tp: type) -> int:
    """What a small statement of type ``tp`` binds (the walker's ``small`` reads it per type:
    one dict lookup instead of a chain of isinstance checks against libcst's ABCs)."""
    kind = (_ASSIGN if issubclass(tp, cst.Assign) else _ANN_ASSIGN if issubclass(tp, cst.AnnAssign)
            else _REBIND if issubclass(tp, cst.AugAssign | cst.Del)
            else _IMPORT if issubclass(tp, _IMPORTS)
            else _TYPE_ALIAS if issubclass(tp, cst.TypeAlias) else _OTHER)
    _SMALL_KINDS[tp] = kind
    return kind


def walrus_targets(expr: cst.CSTNode) -> Iterator[cst.Name]:
    """Names bound by ``:=`` in an expression (comprehensions included: they bind outside)."""
    stack = [expr]
    while stack:
        node = stack.pop()
        if isinstance(node, cst.NamedExpr) and isinstance(node.target, cst.Name):
            yield node.target
        if not isinstance(node, cst.Lambda):
            stack.extend(node.children)


# calls_in dispatches on exact node types: these libcst classes have no subclasses, and
# ``type(n) is C`` skips the ABC instance check that made isinstance most of the flow's cost.
_VALUE_HOLDERS = frozenset((cst.Assign, cst.AnnAssign, cst.AugAssign, cst.Expr, cst.Return,
                            cst.NamedExpr, cst.Yield))
_BINARY = frozenset((cst.BinaryOperation, cst.BooleanOperation))
_SEQUENCES = frozenset((cst.Tuple, cst.List, cst.Set))


def calls_in(node: cst.CSTNode) -> Iterator[cst.Call]:
    """Calls in a statement's expressions, outermost first, without entering lambdas,
    comprehensions or nested scopes (their names live elsewhere)."""
    return iter(_calls_list(node))


def _calls_list(node: cst.CSTNode) -> list[cst.Call]:
    out: list[cst.Call] = []
    stack: list[Any] = [node]
    pop, push = stack.pop, stack.append
    while stack:
        n = pop()
        t = type(n)
        if t is cst.Call:
            out.append(n)
            stack.extend(a.value for a in reversed(n.args))
            push(n.func)
        elif t is cst.Attribute:
            push(n.value)
        elif t is cst.Name or t is cst.Integer or t is cst.SimpleString:
            continue
        elif t is cst.Subscript:
            push(n.value)
            for el in n.slice:
                if type(el.slice) is cst.Index:
                    push(el.slice.value)
        elif t in _BINARY:
            stack.extend((n.right, n.left))
        elif t is cst.UnaryOperation or t is cst.Await:
            push(n.expression)
        elif t is cst.StarredElement:
            push(n.value)
        elif t is cst.Comparison:
            stack.extend(c.comparator for c in n.comparisons)
            push(n.left)
        elif t in _SEQUENCES:
            stack.extend(el.value for el in reversed(n.elements))
        elif t is cst.IfExp:
            stack.extend((n.orelse, n.body, n.test))
        elif t in _VALUE_HOLDERS:
            if n.value is not None:
                push(n.value)
        elif t is cst.Dict:
            stack.extend(el.value for el in n.elements)
    return out


def function_defs(stmts: Any) -> Iterator[cst.FunctionDef]:
    """Every def among the statements, in classes, compound statements and other defs
    (statement level only: never into expressions)."""
    for stmt in stmts:
        if isinstance(stmt, cst.FunctionDef):
            yield stmt
        for suite in suites(stmt):
            if isinstance(suite, cst.IndentedBlock):
                yield from function_defs(suite.body)


def param_names(fn: cst.FunctionDef) -> list[str]:
    p = fn.params
    out = [x.name.value for x in (*p.posonly_params, *p.params, *p.kwonly_params)]
    for star in (p.star_arg, p.star_kwarg):
        if isinstance(star, cst.Param):
            out.append(star.name.value)
    return out


def first_arg(call: cst.Call, keyword: str | None = None, index: int = 0) -> cst.Arg | None:
    """The ``index``-th positional argument of ``call``, or the one passed as ``keyword``."""
    seen = 0
    for a in call.args:
        if a.keyword is None and not a.star:
            if seen == index:
                return a
            seen += 1
    if keyword is not None:
        for a in call.args:
            if a.keyword is not None and a.keyword.value == keyword:
                return a
    return None


def has_keyword(call: cst.Call, *names: str) -> bool:
    for a in call.args:
        if a.star == "**" or (a.keyword is not None and a.keyword.value in names):
            return True
    return False
