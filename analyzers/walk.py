"""A fast traversal for batched rule visitors.

libcst's own ``visit`` rebuilds every node on the way back up and costs ~9x more than walking
the dataclass fields directly (measured: 150 ms vs 17 ms on a 3,000-line module). This walker
calls ``visit_<Node>`` / ``leave_<Node>`` in source order but skips whitespace, comments and
punctuation (parentheses, commas, colons), which rules never need to visit.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Iterator

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
    for name in child_fields(type(node)):
        value = getattr(node, name)
        tp = type(value)
        if tp is list or tp is tuple:
            out.extend(item for item in value if _is_node_type(type(item)))
        elif _is_node_type(tp):
            out.append(value)
    return out


def iter_nodes(roots: Iterable[cst.CSTNode]) -> Iterator[cst.CSTNode]:
    """Every node under ``roots`` (pre-order), whitespace and punctuation excluded."""
    stack = list(reversed(list(roots)))
    while stack:
        node = stack.pop()
        yield node
        kids = children(node)
        kids.reverse()
        stack.extend(kids)


Callback = Callable[[cst.CSTNode], object]


def walk(roots: Iterable[cst.CSTNode],
         visit: Callable[[type], list[Callback]],
         leave: Callable[[type], list[Callback]]) -> None:
    """Depth-first walk calling ``visit(type)`` callbacks on entry and ``leave(type)`` on exit.

    A visit callback returning ``False`` skips the node's children (as in libcst).
    """
    _LEAVE = object()
    stack: list[object] = list(reversed(list(roots)))
    while stack:
        item = stack.pop()
        if item is _LEAVE:
            left = stack.pop()
            for fn in leave(type(left)):
                fn(left)  # type: ignore[arg-type]
            continue
        node: cst.CSTNode = item  # type: ignore[assignment]
        descend = True
        for fn in visit(type(node)):
            if fn(node) is False:  # type: ignore[arg-type]
                descend = False
        stack.append(node)
        stack.append(_LEAVE)
        if descend:
            kids = children(node)  # type: ignore[arg-type]
            kids.reverse()
            stack.extend(kids)
