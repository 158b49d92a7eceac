"""A model restored with ``load_state_dict`` and used for inference in training mode (MLS121).

Read per scope in source order (:class:`.scopes.ScopeRule`): names bound to an instance of a
class of the file that has dropout or batch-norm layers, their ``load_state_dict``, what may
put them in eval mode (``.eval()``, ``.train(...)``, being handed to any call or a function of
the file), and their inference calls (under ``no_grad`` / ``inference_mode``, or read with
``argmax`` / ``.numpy()``).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator, Sequence

import libcst as cst

from ..context import ChunkContext, statement_words
from ..findings import Severity
from ..registry import RuleInfo, register
from ..walk import iter_nodes, suites
from .flow.walker import calls_in
from .patterns import is_name, single_assignment
from .scopes import Event, ScopeRule
from .training import grad_off_block

# Layers that behave differently in training and eval mode.
_MODE_LAYERS = frozenset(f"torch.nn.{n}" for n in (
    "Dropout", "Dropout1d", "Dropout2d", "Dropout3d", "AlphaDropout", "FeatureAlphaDropout",
    "BatchNorm1d", "BatchNorm2d", "BatchNorm3d", "SyncBatchNorm"))
# Reading a prediction: the output is used as a result, not trained on.
_READ_METHODS = frozenset(("argmax", "numpy", "tolist"))
_READ_FUNCTIONS = frozenset(("torch.argmax",))
# Plain functions that never change a model's mode.
_HARMLESS = frozenset(("print", "len", "range", "enumerate", "zip", "float", "int", "str",
                       "list", "tuple", "dict", "sum", "min", "max", "round", "isinstance"))


def _root(expr: cst.BaseExpression) -> str | None:
    """``model`` in ``model``, ``model.to(device)``, ``model.cuda()``."""
    while isinstance(expr, cst.Call) and isinstance(expr.func, cst.Attribute):
        expr = expr.func.value
    return ChunkContext.dotted(expr) if isinstance(expr, cst.Name | cst.Attribute) else None


def _instance(expr: cst.BaseExpression) -> str | None:
    """``Net`` in ``Net(...)``, ``Net(...).to(device)``."""
    while isinstance(expr, cst.Call):
        if isinstance(expr.func, cst.Name):
            return expr.func.value
        if not isinstance(expr.func, cst.Attribute) or expr.func.attr.value in ("eval", "train"):
            return None
        expr = expr.func.value
    return None


def _small_statements(ctx: ChunkContext, stmts: Sequence[cst.CSTNode],
                      off: bool = False) -> Iterator[tuple[cst.CSTNode, bool]]:
    """Small statements (and compound headers) in source order, with whether gradient
    recording is off there; nested functions and classes are not entered."""
    for stmt in stmts:
        if isinstance(stmt, cst.SimpleStatementLine):
            for small in stmt.body:
                yield small, off
        elif isinstance(stmt, cst.FunctionDef | cst.ClassDef):
            continue
        elif isinstance(stmt, cst.BaseCompoundStatement):
            inner_off = off or grad_off_block(ctx, stmt)
            yield stmt, off
            for suite in suites(stmt):
                if isinstance(suite, cst.IndentedBlock):
                    yield from _small_statements(ctx, suite.body, inner_off)
                elif isinstance(suite, cst.SimpleStatementSuite):
                    for small in suite.body:
                        yield small, inner_off


def _header_calls(stmt: cst.CSTNode) -> list[cst.Call]:
    """The calls of a statement, or of a compound statement's header only."""
    if not isinstance(stmt, cst.BaseCompoundStatement):
        return list(calls_in(stmt))
    heads: list[cst.CSTNode] = []
    for field in ("test", "iter", "items"):
        value = getattr(stmt, field, None)
        if isinstance(value, cst.CSTNode):
            heads.append(value)
        elif isinstance(value, Sequence):
            heads.extend(v for v in value if isinstance(v, cst.CSTNode))
    return [n for n in iter_nodes(heads) if isinstance(n, cst.Call)]


_DEFINITION = re.compile(r"(?:async\s+)?def\b|class\b")


def _only_definition(text: str) -> bool:
    """Whether a statement's text is surely one def or class (its decorators first): its
    lines at column 0 outside comments are decorators and then that one header. Anything
    else (a string or a bracket at column 0, several statements) answers False."""
    heads = [line for line in text.splitlines() if line[:1] not in ("", " ", "\t", "#")]
    return bool(heads) and _DEFINITION.match(heads[-1]) is not None \
        and all(line.startswith("@") for line in heads[:-1])


def _mode_classes(chunk: ChunkContext) -> tuple[str, ...]:
    """The classes the statement defines that hold dropout / batch-norm layers (memoized per
    statement: walking every class body on each analysis cost most of an edit's time)."""
    if "class" not in chunk.chunk.text:
        return ()  # no class to read (and no tree to parse for it)
    return tuple(stmt.name.value for stmt in chunk.module.body
                 if isinstance(stmt, cst.ClassDef) and any(
                     isinstance(n, cst.Call) and chunk.call_qualname(n) in _MODE_LAYERS
                     for n in iter_nodes([stmt.body])))


@register
class InferenceWithoutEvalRule(ScopeRule):
    """Inference with a loaded model whose dropout / batch-norm layers are still in training
    mode."""

    family = "torch-evaluation"
    rules = (
        RuleInfo("MLS121", "inference-without-eval-after-load",
                 "`{model}` (a `{cls}`, which has dropout or batch-norm layers) is loaded with "
                 "`load_state_dict` and used for inference without `{model}.eval()`: dropout "
                 "stays on and batch-norm uses batch statistics, so predictions are noisy and "
                 "wrong; call `{model}.eval()` after loading", Severity.WARNING),
    )
    key = "inference-without-eval"
    imports = ("torch",)
    # No gate: the model may be built, loaded and called in three top-level statements;
    # ``check`` reads a file only where it loads a state dict into a class with such layers.

    @classmethod
    def events(cls, ctx: ChunkContext, stmts: Sequence[cst.CSTNode]) -> list[Event]:
        out: list[Event] = []
        for stmt, off in _small_statements(ctx, stmts):
            pair = single_assignment(stmt) if not isinstance(stmt, cst.BaseCompoundStatement) \
                else None
            new: tuple[str, str] | None = None
            if pair is not None:
                name = ChunkContext.dotted(pair[0])
                klass = _instance(pair[1])
                if name is not None:
                    new = (name, klass or "")
            for call in _header_calls(stmt):
                func = call.func
                if isinstance(func, cst.Attribute):
                    receiver = _root(func.value)
                    method = func.attr.value
                    if method == "load_state_dict" and receiver is not None:
                        out.append(("load", receiver))
                        continue
                    if method in ("eval", "train", "apply", "requires_grad_") and receiver:
                        out.append(("ok", receiver))
                    if method in _READ_METHODS and isinstance(func.value, cst.Call):
                        inner = func.value
                        while isinstance(inner.func, cst.Attribute) and isinstance(
                                inner.func.value, cst.Call) and inner.func.attr.value in (
                                    "cpu", "detach", "squeeze", "to"):
                            inner = inner.func.value
                        out.append(("infer", ChunkContext.dotted(inner.func)
                                    if isinstance(inner.func, cst.Name | cst.Attribute)
                                    else None, inner))
                    if is_name(func.value, "self"):
                        out.append(("call", ChunkContext.dotted(func)))  # a method: may eval
                elif isinstance(func, cst.Name):
                    q = ctx.call_qualname(call)
                    if q in _READ_FUNCTIONS and call.args \
                            and isinstance(call.args[0].value, cst.Call):
                        inner_call = call.args[0].value
                        out.append(("infer", ChunkContext.dotted(inner_call.func)
                                    if isinstance(inner_call.func, cst.Name | cst.Attribute)
                                    else None, inner_call))
                    elif q is None and func.value not in _HARMLESS \
                            and not func.value[:1].isupper():
                        # the model itself, or a function of the file that may put it in eval mode
                        out.append(("call", func.value))
                    elif q is not None and not q.startswith("torch."):
                        out.append(("call", None))
                if off and isinstance(func, cst.Name | cst.Attribute):
                    out.append(("infer", ChunkContext.dotted(func), call))
                for arg in call.args:
                    name = _root(arg.value)
                    if name is not None:
                        out.append(("ok", name))
            if new is not None:
                out.append(("new", *new))
        return out

    def check(self) -> None:
        if not self.ctx.imports.imports_any("torch") or not any(
                "load_state_dict" in c.chunk.text for c in self.ctx.chunks):
            return
        self._mode_classes: dict[str, str] = {}
        for chunk in self.ctx.chunks:
            for name in self.ctx.memo(chunk, "mode-classes",
                                      functools.partial(_mode_classes, chunk)):
                self._mode_classes[name] = name
        if self._mode_classes:
            super().check()

    def statements_to_read(self) -> list[bool] | None:
        """A report needs a ``new`` event (a name bound to ``Cls(...)``, ``Cls`` a class of
        ``_mode_classes``) and then a ``load`` in the same scope. A function's events matter
        only where its statement says ``load_state_dict`` and names such a class; top-level
        events before the first statement that can bind such an instance change nothing
        (``new`` resets what ``judge`` knew of its name, and no class is tracked before it),
        and a statement that is only a def or class has none."""
        imports = self.ctx.imports
        classes = frozenset(self._mode_classes)
        read: list[bool] = []
        started = False
        for chunk in self.ctx.chunks:
            text = chunk.chunk.text
            names = not classes.isdisjoint(statement_words(chunk.chunk, imports))
            only_definition = _only_definition(text)
            started = started or (names and not only_definition)
            read.append((started and not only_definition)
                        or (names and "load_state_dict" in text))
        return read

    def judge(self, events: list[tuple[ChunkContext, Event]]) -> None:
        classes: dict[str, str] = {}  # name -> class with mode layers
        loaded: set[str] = set()
        done: set[str] = set()  # reported or possibly in eval mode
        defined = getattr(self, "_mode_classes", {})
        for chunk, ev in events:
            kind = ev[0]
            if kind == "new":
                _, name, klass = ev
                loaded.discard(name)
                done.discard(name)
                if klass in defined:
                    classes[name] = klass
                else:
                    classes.pop(name, None)
            elif kind == "load":
                loaded.add(ev[1])
            elif kind == "ok":
                done.add(ev[1])
            elif kind == "call" and ev[1] not in classes:
                done.update(classes)
            elif kind == "infer":
                _, name, call = ev
                if name in classes and name in loaded and name not in done:
                    done.add(name)
                    chunk.report(call, "MLS121", None, model=name, cls=classes[name])


