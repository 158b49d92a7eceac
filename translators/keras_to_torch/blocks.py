"""The statements around a Keras model that build it without being layer calls (issue 9):
``for`` loops and ``x += y`` in a Functional graph, ``model.add`` in a loop after a Sequential,
functions of the file that build blocks, and the dead code of earlier notebook cells. They are
found in the model's own block of the module and handed to the tracer (model.py)."""

from __future__ import annotations

import ast
import copy
from typing import Any, Protocol

from ..base import TranslationError, Unsupported
from .parse import Folder, LayerSpec, Opaque, UserLayer


class ModelStatements(Protocol):
    """What this module reads and completes of a found model (model.py's ``Found``)."""

    name: str
    node: ast.AST
    stmts: list[ast.stmt]
    layers: list[ast.expr]
    body: list[ast.stmt]
    model_call: ast.Call | None


def fail(node: Any, construct: str, reason: str) -> TranslationError:
    line = getattr(node, "lineno", 0)
    return TranslationError(f"line {line}: {construct}: {reason}",
                            [Unsupported(line, construct, reason, getattr(node, "col_offset", 0))])


def complete_graph(found: ModelStatements, folder: Folder) -> None:
    """Add the graph's ``for`` loops and ``x += y`` statements (they are replaced by the torch
    class too) and keep only the statements the model's inputs and outputs depend on."""
    block = _block_of(folder.imports.tree, found.node)
    if block is None:
        return
    before = block[:next(i for i, s in enumerate(block) if s is found.node)]
    listed = {id(s) for s in found.body}
    graph_names = {n.id for s in found.body for n in ast.walk(s) if isinstance(n, ast.Name)}
    extra = [s for s in before if isinstance(s, (ast.For, ast.AugAssign)) and id(s) not in listed
             and (folder.imports.mentions_framework(s) or _names(s, ast.Load) & graph_names)]
    found.stmts.extend(s for s in extra if all(s is not t for t in found.stmts))
    body = sorted([*found.body, *extra], key=lambda s: s.lineno)
    assert found.model_call is not None
    live = _names(found.model_call, ast.Load)
    kept: list[ast.stmt] = []
    for stmt in reversed(body):
        writes = _names(stmt, ast.Store)
        if not writes & live:
            continue  # dead: an earlier cell's graph, or a layer nothing reads
        kept.append(stmt)
        if isinstance(stmt, ast.Assign):
            live -= writes  # rebinding: what came before is another value
        live |= _exposed(stmt)
    found.body = kept[::-1]
    called = _names(ast.Module(found.body, []), ast.Load)
    # a function the graph calls (traced in place) goes with the model where it uses the
    # framework or nothing else in the file calls it (a Lambda's function)
    model_ids = {id(n) for s in found.body for n in ast.walk(s)}
    elsewhere = {n.id for n in ast.walk(folder.imports.tree) if isinstance(n, ast.Name) and
                 isinstance(n.ctx, ast.Load) and id(n) not in model_ids}
    found.stmts.extend(s for s in before if isinstance(s, ast.FunctionDef) and s.name in called
                       and (folder.imports.mentions_framework(s) or s.name not in elsewhere)
                       and all(s is not t for t in found.stmts))  # inlined where called


def _block_of(tree: ast.AST, stmt: ast.AST) -> list[ast.stmt] | None:
    """The statement list that holds ``stmt``."""
    return next((body for node in ast.walk(tree) for body in (getattr(node, "body", None),)
                 if isinstance(body, list) and any(s is stmt for s in body)), None)


class _Substitute(ast.NodeTransformer):
    """Loop-time values written into an expression (``ResidualUnit(filters, strides=2)``)."""

    def __init__(self, values: dict[str, Any]) -> None:
        self.values = values

    def visit_Name(self, node: ast.Name) -> ast.expr:
        if isinstance(node.ctx, ast.Load) and node.id in self.values:
            return ast.copy_location(ast.Constant(self.values[node.id]), node)
        return node


def add_loops(found: ModelStatements, folder: Folder) -> None:
    """``for filters in [64] * 3 + [128] * 4: model.add(Unit(filters))`` after a Sequential
    (handson-ml3's ResNet-34): the loop is run over its literal values, its plain assignments
    folded, and each ``add`` becomes a layer in order; the loop is replaced by the torch class."""
    block = _block_of(folder.imports.tree, found.node)
    if block is None or any(isinstance(s, ast.For) for s in found.stmts):
        return
    start = next(i for i, s in enumerate(block) if s is found.node)
    layers = [e for e in found.layers if e.lineno <= (getattr(found.node, "end_lineno", 0) or 0)]
    values: dict[str, Any] = {}
    loops: list[ast.stmt] = []

    def run(stmts: list[ast.stmt], in_loop: bool) -> None:
        for stmt in stmts:
            if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and \
                    isinstance(stmt.targets[0], ast.Name):
                value = folder.fold(stmt.value, values)
                if not isinstance(value, Opaque | LayerSpec | UserLayer):
                    values[stmt.targets[0].id] = value
            elif isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call) and \
                    isinstance(stmt.value.func, ast.Attribute) and stmt.value.func.attr == "add" \
                    and ast.unparse(stmt.value.func.value) == found.name and stmt.value.args:
                arg = stmt.value.args[0]
                layers.append(_Substitute(dict(values)).visit(copy.deepcopy(arg)) if in_loop
                              else arg)
            elif isinstance(stmt, ast.For) and isinstance(stmt.target, ast.Name) and any(
                    isinstance(n, ast.Attribute) and n.attr == "add" for n in ast.walk(stmt)):
                items = folder.fold(stmt.iter, values)
                if not isinstance(items, tuple):
                    raise fail(stmt, f"for {stmt.target.id} in ...", "a loop that adds layers "
                               "must run over a literal list or tuple")
                loops.append(stmt)
                for item in items:
                    values[stmt.target.id] = item
                    run(stmt.body, True)

    run(block[start + 1:], False)
    if loops:
        found.layers = layers
        found.stmts.extend(loops)


def _names(node: ast.AST, ctx: type) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ctx)}


def assigned_names(stmt: ast.stmt) -> set[str]:
    """The names a top-level statement binds: a def's or class's name, its targets' names."""
    if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        return {stmt.name}
    targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target] if isinstance(
        stmt, ast.AugAssign | ast.AnnAssign | ast.For) else []
    return {name for t in targets for name in _names(t, ast.Store)}


def _exposed(stmt: ast.stmt) -> set[str]:
    """Names ``stmt`` reads before assigning them (a loop body's ``residual = x`` reads x)."""
    if not isinstance(stmt, ast.For):
        return _names(stmt, ast.Load)
    defined, exposed = _names(stmt.target, ast.Store), _names(stmt.iter, ast.Load)
    for inner in stmt.body:
        exposed |= _exposed(inner) - defined
        if isinstance(inner, ast.Assign):
            defined |= _names(inner, ast.Store)
    return exposed
