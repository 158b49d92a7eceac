"""Cheap import-alias resolution: local name -> fully qualified name, without scope analysis.

libcst's QualifiedNameProvider costs a full scope pass per document version (seconds on large
files). ML code binds frameworks with module-level imports, so a table built from the import
statements (walked at statement level only, never into expressions) resolves nearly every
reference. Known limit: a local variable that shadows an imported name is still resolved.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import libcst as cst

from .walk import IMPORT_FROM_TYPES, IMPORT_TYPES, suites

# Spellings of the same API, mapped to the name rules match on.
_CANONICAL_PREFIXES = (
    ("tensorflow.python.keras.", "keras."),
    ("tensorflow.keras.", "keras."),
    ("tf_keras.", "keras."),
    ("keras.src.", "keras."),
)
_CANONICAL_EXACT = {"tensorflow.keras": "keras", "tf_keras": "keras"}


def canonical(qualname: str) -> str:
    """Map alternative spellings (``tensorflow.keras.layers.Dense``) to one (``keras.layers.Dense``)."""
    if qualname in _CANONICAL_EXACT:
        return _CANONICAL_EXACT[qualname]
    for prefix, repl in _CANONICAL_PREFIXES:
        if qualname.startswith(prefix):
            return repl + qualname[len(prefix):]
    return qualname


def dotted_name(node: cst.BaseExpression) -> str | None:
    """``a.b.c`` for a Name/Attribute chain, else None."""
    parts: list[str] = []
    while isinstance(node, cst.Attribute):
        parts.append(node.attr.value)
        node = node.value
    if isinstance(node, cst.Name):
        parts.append(node.value)
        return ".".join(reversed(parts))
    return None


def _module_name(node: cst.BaseExpression | None) -> str:
    return dotted_name(node) if node is not None else ""  # type: ignore[return-value]


def imports_in(statements: Iterable[cst.CSTNode]) -> Iterator[tuple[str, str]]:
    """(local name, qualified name) for every import among the statements, recursing into
    compound statements (if/try/with/def/class bodies) but never into expressions."""
    for stmt in statements:
        if isinstance(stmt, cst.SimpleStatementLine):
            for small in stmt.body:
                if isinstance(small, IMPORT_TYPES):
                    for alias in small.names:
                        full = _module_name(alias.name)
                        if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                            yield alias.asname.name.value, full
                        else:
                            head = full.split(".")[0]
                            yield head, head
                elif isinstance(small, IMPORT_FROM_TYPES) and not isinstance(small.names, cst.ImportStar):
                    if small.relative:
                        continue
                    base = _module_name(small.module)
                    for alias in small.names:
                        name = _module_name(alias.name)
                        local = name
                        if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                            local = alias.asname.name.value
                        yield local, f"{base}.{name}" if base else name
        elif isinstance(stmt, cst.BaseCompoundStatement):
            yield from imports_in(_child_statements(stmt))


def _child_statements(stmt: cst.BaseCompoundStatement) -> Iterator[cst.CSTNode]:
    for suite in suites(stmt):
        if isinstance(suite, cst.IndentedBlock):
            yield from suite.body
        elif isinstance(suite, cst.SimpleStatementSuite):
            yield cst.SimpleStatementLine(body=suite.body)


class ImportTable:
    """Resolves names through the module's imports. Later imports of a name win."""

    def __init__(self, pairs: Iterable[tuple[str, str]] = ()) -> None:
        self.names: dict[str, str] = {}
        for local, full in pairs:
            self.names[local] = full
        self.fingerprint = hash(tuple(sorted(self.names.items())))
        self._imports_any: dict[tuple[str, ...], bool] = {}
        self._resolved: dict[str, str | None] = {}  # dotted name -> qualified name
        self._by_node: dict[int, tuple[cst.BaseExpression, str | None]] = {}

    def resolve(self, node: cst.BaseExpression) -> str | None:
        """Canonical qualified name of a Name/Attribute chain whose head is imported
        (remembered per node for this table: every rule family asks about the same calls)."""
        known = self._by_node.get(id(node))
        if known is not None and known[0] is node:
            return known[1]
        dotted = dotted_name(node)
        found = None if dotted is None else self.resolve_dotted(dotted)
        self._by_node[id(node)] = (node, found)  # the node is kept: its id stays its own
        return found

    def resolve_dotted(self, dotted: str) -> str | None:
        found = self._resolved.get(dotted, self)
        if found is self:  # not asked before (None is an answer)
            head, _, rest = dotted.partition(".")
            full = self.names.get(head)
            found = None if full is None else canonical(f"{full}.{rest}" if rest else full)
            if len(self._resolved) < 100_000:
                self._resolved[dotted] = found
        return found  # type: ignore[return-value]

    def local_name_for(self, qualname: str) -> str | None:
        """How this module spells ``qualname`` (e.g. ``keras.Input`` -> ``tf.keras.Input``)."""
        best: tuple[int, str] | None = None
        for local, full in self.names.items():
            for spelling in {full, canonical(full)}:
                if qualname == spelling:
                    return local
                if qualname.startswith(spelling + "."):
                    cand = local + qualname[len(spelling):]
                    if best is None or len(spelling) > best[0]:
                        best = (len(spelling), cand)
        return best[1] if best else None

    def imports_any(self, *prefixes: str) -> bool:
        """Whether any import resolves under one of the given module prefixes (cached: every
        rule family asks for every chunk)."""
        known = self._imports_any.get(prefixes)
        if known is None:
            known = self._imports_any[prefixes] = self._imports_any_uncached(prefixes)
        return known

    def _imports_any_uncached(self, prefixes: tuple[str, ...]) -> bool:
        for full in self.names.values():
            c = canonical(full)
            if any(c == p or c.startswith(p + ".") or full.startswith(p + ".") or full == p
                   for p in prefixes):
                return True
        return False
