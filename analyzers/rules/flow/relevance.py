"""Which top-level statements a shared flow walk can leave unparsed (deferred), soundly.

A statement whose words (identifiers, keywords and words of comments and strings, plus the
parts of the qualified names of the imported names it uses) hold none of the walk's trigger
words (:attr:`.walker.FlowAnalysis.defer_words`; ``defer_substrings`` and a backslash, since
an escaped string may spell ``"cuda"``, anywhere in its text), no name the environment binds
and no name a deferred statement binds reads only unbound names: what it does is the same wherever it is walked, in an empty environment. With
no trigger word it reports nothing and does not read the environment as a whole, so all it
does is bind some of its own words (:func:`bound_names`, from Python's ``ast``: a superset).

Such a statement is deferred: its bindings wait, indexed by name, until a later statement
mentions one of them (to read it, rebind it or kill it); then it is walked alone, in an empty
environment (memoized per text), and what it bound is applied before that statement. Between
the two nothing mentioned those names, so the environment there is what an in-order walk
gives. The final environment lacks the bindings of statements still deferred, so an analysis
that reads it (torch-loss resolves its ``("global", name)`` values there) declares no words
and the walk then walks every statement.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Iterable

from .env import Frozen

_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


def bound_names(tree: ast.Module) -> frozenset[str]:
    """Every name the statements may bind, in any scope (more than the module's: sound here):
    assignment, ``for``/``with``/walrus/``del`` targets, imports, defs and classes, ``except``
    and ``case`` captures, ``global``/``nonlocal``, parameters."""
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            if not isinstance(node.ctx, ast.Load):
                out.add(node.id)
        elif isinstance(node, _SCOPES):
            out.add(node.name)
        elif isinstance(node, ast.alias):
            out.add((node.asname or node.name).split(".")[0])
        elif isinstance(node, ast.arg):
            out.add(node.arg)
        elif isinstance(node, ast.ExceptHandler | ast.MatchAs | ast.MatchStar):
            if node.name:
                out.add(node.name)
        elif isinstance(node, ast.MatchMapping):
            if node.rest:
                out.add(node.rest)
        elif isinstance(node, ast.Global | ast.Nonlocal):
            out.update(node.names)
    return frozenset(out)


_SCOPE_DECL = re.compile(r"^[ \t]*(?:global|nonlocal)[ \t]+\w", re.MULTILINE)
_DEF = re.compile(r"^(?:async[ \t]+def|def|class)[ \t]+(\w+)", re.MULTILINE)


def defined_name(text: str) -> frozenset[str] | None:
    """What a top-level ``def`` / ``class`` statement binds in the module: its name, when the
    text has no ``global``/``nonlocal`` and no ``:=`` (a decorator, default or base could bind
    with one); None for any other statement (use :func:`bound_names`). Walking a big class's
    whole tree for the names of its methods' locals cost an edit ~20 ms."""
    if ":=" in text or _SCOPE_DECL.search(text):
        return None
    head = next((line for line in text.splitlines()
                 if line.strip() and not line.lstrip().startswith("#")), "")
    if not head.startswith(("def ", "class ", "async ", "@")):
        return None
    match = _DEF.search(text)
    return frozenset({match.group(1)}) if match else None


def assigned_names(tree: ast.Module, text: str) -> frozenset[str] | None:
    """What a single top-level assignment binds: its targets' names (a comprehension's or a
    lambda's names in its value stay in their own scope); None for anything else, or with a
    ``:=`` (use :func:`bound_names`)."""
    if len(tree.body) != 1 or ":=" in text:
        return None
    stmt = tree.body[0]
    if isinstance(stmt, ast.Assign):
        targets: list[ast.expr] = list(stmt.targets)
    elif isinstance(stmt, ast.AnnAssign | ast.AugAssign):
        targets = [stmt.target]
    else:
        return None
    return frozenset(n.id for t in targets for n in ast.walk(t)
                     if isinstance(n, ast.Name) and not isinstance(n.ctx, ast.Load))


class Deferral:
    """The deferred statements of one walk: chunk index -> names it binds, and name -> index."""

    def __init__(self, triggers: frozenset[str], substrings: tuple[str, ...]) -> None:
        self.triggers = triggers
        self.substrings = substrings  # the backslash among them
        self._binds: dict[int, frozenset[str]] = {}
        self._by_name: dict[str, int] = {}

    def due(self, words: Iterable[str]) -> list[int]:
        """The deferred statements binding one of ``words``, oldest first, no longer deferred."""
        by_name = self._by_name
        if not by_name:
            return []
        found = {by_name[w] for w in by_name.keys() & words}  # C: iterates the smaller
        for index in found:
            for name in self._binds.pop(index):
                del by_name[name]
        return sorted(found)

    def defer(self, index: int, text: str, words: set[str], roots: tuple[Frozen, ...],
              binds: Callable[[], frozenset[str] | None]) -> bool:
        """Defer statement ``index`` if it is irrelevant to the walk until one of its names
        is mentioned (see the module's docstring); call after :meth:`due` on its words."""
        if not self.triggers.isdisjoint(words) or any(s in text for s in self.substrings):
            return False
        for root in roots:
            names = root.map
            if len(names) < len(words):
                if not words.isdisjoint(names):  # iterates the map's names
                    return False
            elif any(map(names.__contains__, words)):
                return False
        bound = binds()
        if bound is None:  # ast rejects it (or newer syntax): walk it as the walker does
            return False
        self._binds[index] = bound
        for name in bound:
            self._by_name[name] = index
        return True
