"""A fast traversal of libcst trees for batched rule visitors (dispatch.py ``Dispatch``).

libcst's own ``visit`` rebuilds every node on the way back up and costs ~9x more than walking
the dataclass fields directly (measured: 150 ms vs 17 ms on a 3,000-line module). ``children``
gives a node's children in source order but skips whitespace, comments and punctuation
(parentheses, commas, colons), which rules never need to visit.
"""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Iterable, Iterator
from typing import Any

import libcst as cst

_SKIPPED_FIELDS = frozenset({
    "lpar", "rpar", "comma", "semicolon", "header", "footer", "leading_lines",
    "lines_after_decorators", "trailing_whitespace", "newline", "indent", "equal", "colon",
})
_FIELDS: dict[type, tuple[str, ...]] = {}


def child_fields(tp: type) -> tuple[str, ...]:
    """Names of the fields of a node type that can hold nodes rules care about."""
    names = _FIELDS.get(tp)
    if names is None:
        names = tuple(f.name for f in dataclasses.fields(tp)
                      if f.name not in _SKIPPED_FIELDS and not f.name.startswith("whitespace"))
        _FIELDS[tp] = names
    return names


_LEAF_FIELD_TYPES = (str, bool, int)
_NODE_FIELDS: dict[type, tuple[str, ...]] = {}


def node_fields(tp: type) -> tuple[str, ...]:
    """``child_fields(tp)`` less those declared as plain values (``Name.value``, ``Arg.star``):
    the fields that may hold a child node."""
    names = _NODE_FIELDS.get(tp)
    if names is None:
        hints = {f.name: f.type for f in dataclasses.fields(tp)}
        names = _NODE_FIELDS[tp] = tuple(
            name for name in child_fields(tp)
            if hints[name] not in _LEAF_FIELD_TYPES
            and typing.get_origin(hints[name]) is not typing.Literal)
    return names


def is_leaf_type(tp: type) -> bool:
    """Whether nodes of type ``tp`` can have no children to walk (a name, a number, a string,
    an operator)."""
    return not node_fields(tp)


_IS_NODE: dict[type, bool] = {}


def _is_node_type(tp: type) -> bool:
    # isinstance() against the CSTNode ABC is slow; the answer per concrete type is cached.
    known = _IS_NODE.get(tp)
    if known is None:
        known = _IS_NODE[tp] = issubclass(tp, cst.CSTNode)
    return known


def children(node: cst.CSTNode) -> list[cst.CSTNode]:
    """The child nodes of ``node`` that the walker visits, in source order."""
    out: list[cst.CSTNode] = []
    known = _IS_NODE  # hot path: the caches are read inline, the functions only fill them
    fields = _NODE_FIELDS.get(type(node))
    if fields is None:
        fields = node_fields(type(node))
    for name in fields:
        value = getattr(node, name)
        tp = type(value)
        if tp is list or tp is tuple:
            for item in value:
                is_node = known.get(type(item))
                if is_node is None:
                    is_node = _is_node_type(type(item))
                if is_node:
                    out.append(item)
        else:
            is_node = known.get(tp)
            if is_node is None:
                is_node = _is_node_type(tp)
            if is_node:
                out.append(value)
    return out


def iter_nodes(roots: Iterable[cst.CSTNode]) -> Iterator[cst.CSTNode]:
    """Every node under ``roots`` (pre-order), whitespace and punctuation excluded."""
    stack = list(reversed(list(roots)))
    pop, push = stack.pop, stack.append
    known, plans = _IS_NODE, _REVERSED_FIELDS
    while stack:
        node = pop()
        yield node
        fields = plans.get(type(node))
        if fields is None:
            fields = plans[type(node)] = tuple(reversed(node_fields(type(node))))
        for name in fields:  # the children, last first: the stack pops them in order
            value = getattr(node, name)
            tp = type(value)
            if tp is list or tp is tuple:
                for item in reversed(value):
                    is_node = known.get(type(item))
                    if is_node is None:
                        is_node = _is_node_type(type(item))
                    if is_node:
                        push(item)
            else:
                is_node = known.get(tp)
                if is_node is None:
                    is_node = _is_node_type(tp)
                if is_node:
                    push(value)


_REVERSED_FIELDS: dict[type, tuple[str, ...]] = {}


# ``lazy import`` (PEP 810) parses to its own node kinds in libcst 1.9+; they bind like imports.
IMPORT_TYPES: tuple[type[Any], ...] = tuple(
    t for t in (cst.Import, getattr(cst, "LazyImport", None)) if t is not None)
IMPORT_FROM_TYPES: tuple[type[Any], ...] = tuple(
    t for t in (cst.ImportFrom, getattr(cst, "LazyImportFrom", None)) if t is not None)


def suites(stmt: cst.CSTNode) -> Iterator[cst.BaseSuite]:
    """The blocks directly inside a compound statement, whatever its kind: body, ``elif`` and
    ``else`` blocks, handlers, ``finally``, ``match`` cases (none for a simple statement)."""
    if not isinstance(stmt, cst.BaseCompoundStatement):
        return
    body = getattr(stmt, "body", None)
    if isinstance(body, cst.BaseSuite):
        yield body
    orelse = getattr(stmt, "orelse", None)
    if isinstance(orelse, cst.If):
        yield from suites(orelse)
    elif orelse is not None:
        yield orelse.body
    for part in (*getattr(stmt, "handlers", ()), *getattr(stmt, "cases", ())):
        yield part.body
    final = getattr(stmt, "finalbody", None)
    if final is not None:
        yield final.body
