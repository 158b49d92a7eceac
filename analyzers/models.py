"""Where a document defines a model: ``nn.Module``/``keras.Model`` subclasses, module-level
``Sequential`` assignments, functional ``keras.Model(inputs, outputs)`` and Keras builder functions.

Looks at top-level statements only (and one level into a top-level ``def`` for Keras builders),
never walks expressions below the statement's own call, and resolves names through the module's
import table, so ``class Foo(Module)`` is a model only when ``Module`` is torch's. A
DocumentAnalyzer's cached parse of the same text is reused; other text gets a one-shot parse.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import libcst as cst

from .aliases import ImportTable
from .chunks import scan_line, split_chunks, split_lines
from .context import statement_words
from .units import ParsedChunk, TopChunk

if TYPE_CHECKING:
    from .engine import DocumentAnalyzer

Framework = Literal["pytorch", "keras"]
Kind = Literal["class", "sequential", "functional"]

# Canonical qualified names (see aliases.canonical: tensorflow.keras.* reads as keras.*).
CLASS_BASES: dict[str, Framework] = {
    "torch.nn.Module": "pytorch", "torch.nn.modules.module.Module": "pytorch",
    "torch.nn.Sequential": "pytorch", "torch.nn.modules.container.Sequential": "pytorch",
    "keras.Model": "keras", "keras.models.Model": "keras",
    "keras.Sequential": "keras", "keras.models.Sequential": "keras",
}
SEQUENTIAL_CALLS: dict[str, Framework] = {
    "torch.nn.Sequential": "pytorch", "torch.nn.modules.container.Sequential": "pytorch",
    "keras.Sequential": "keras", "keras.models.Sequential": "keras",
}
_FUNCTIONAL_CALLS = frozenset({"keras.Model", "keras.models.Model"})
# A statement holds a model only if it has one of these words (TopChunk.words): a statement
# without any is not parsed to look.
_MODEL_WORDS = frozenset(("class", "def", *(q.rpartition(".")[2] for q in
                                           (*SEQUENTIAL_CALLS, *_FUNCTIONAL_CALLS))))


@dataclass(frozen=True)
class ModelDefinition:
    """A model the translators can start from.

    ``name`` is what the translators accept as ``class_name`` (class, variable or builder
    function). Lines are 0-based: ``start_line`` is the ``class``/``def`` keyword's line (after
    any decorators) or an assignment's first line; ``end_line`` is the statement's last line.
    """

    name: str
    framework: Framework
    kind: Kind
    start_line: int
    end_line: int


@dataclass(frozen=True)
class _Found:
    stmt: cst.BaseStatement
    name: str
    framework: Framework
    kind: Kind


def find_model_definitions(text: str, analyzer: DocumentAnalyzer | None = None
                           ) -> list[ModelDefinition]:
    """Model definitions in ``text``, in document order.

    Uses ``analyzer``'s parse when it last analysed exactly ``text`` (the language server's
    case: no re-parse per request), else parses ``text`` once. Unparsable statements are
    skipped, so the models of the valid rest of a file are still found.
    """
    last = analyzer.last_parse if analyzer is not None else None
    if last is not None and (last.text is text or last.text == text):
        chunks, imports = last.chunks, last.imports
    else:
        chunks, imports = _parse_once(text)
    out: list[ModelDefinition] = []
    local: dict[str, Framework | None] = {}  # top-level class name -> framework (None: not a model)
    for chunk, offset in chunks:
        if not chunk.parsed and _MODEL_WORDS.isdisjoint(statement_words(chunk, imports)):
            continue
        module = chunk.module
        if module is None:
            continue
        for found in _models_in(module.body, imports, local):
            start, end = _lines_of(chunk, module, found.stmt)
            out.append(ModelDefinition(found.name, found.framework, found.kind,
                                       start + offset, end + offset))
    return out


def _parse_once(text: str) -> tuple[list[tuple[TopChunk, int]], ImportTable]:
    """The engine's chunking and import table, without its caches or rules."""
    spans = split_chunks(text)
    chunks = [(TopChunk(s.text, ParsedChunk), s.start_line) for s in spans]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # SyntaxWarnings are not ours to report
        valid = all(c.valid() for c, _ in chunks)
    if not valid and len(chunks) > 1:
        whole = TopChunk(text, ParsedChunk)  # the scanner may have split valid code badly
        if whole.module is not None:
            chunks = [(whole, 0)]
    imports = ImportTable(pair for c, _ in chunks if c.valid() for pair in c.imports())
    imported = frozenset(imports.names)
    for chunk, _ in chunks:
        chunk.resolve(imported)  # a long statement kept as a stub may name a framework
    return chunks, imports


def _models_in(body: Sequence[cst.BaseStatement], imports: ImportTable,
               local: dict[str, Framework | None]) -> Iterator[_Found]:
    for stmt in body:
        if isinstance(stmt, cst.ClassDef):
            framework = _class_framework(stmt, imports, local)
            local[stmt.name.value] = framework
            if framework is not None:
                yield _Found(stmt, stmt.name.value, framework, "class")
        elif isinstance(stmt, cst.SimpleStatementLine):
            found = _assigned_model(stmt, imports)
            if found is not None:
                yield _Found(stmt, *found)
        elif isinstance(stmt, cst.FunctionDef) and isinstance(stmt.body, cst.IndentedBlock):
            local.pop(stmt.name.value, None)
            builder = _keras_builder(stmt.body.body, imports)
            if builder is not None:
                yield _Found(stmt, stmt.name.value, "keras", builder)


def _class_framework(cls: cst.ClassDef, imports: ImportTable,
                     local: dict[str, Framework | None]) -> Framework | None:
    """The framework of the first base that is a model class (imported, or a model class
    defined earlier in the file; a local class shadows an imported name)."""
    for arg in cls.bases:
        if isinstance(arg.value, cst.Name) and arg.value.value in local:
            framework = local[arg.value.value]
        else:
            qualname = imports.resolve(arg.value)
            framework = CLASS_BASES.get(qualname) if qualname is not None else None
        if framework is not None:
            return framework
    return None


def _assigned_model(line: cst.SimpleStatementLine, imports: ImportTable
                    ) -> tuple[str, Framework, Kind] | None:
    """(variable, framework, kind) for ``x = nn.Sequential(...)``/``x = keras.Model(i, o)``."""
    for small in line.body:
        if isinstance(small, cst.Assign):
            names = [t.target for t in small.targets if isinstance(t.target, cst.Name)]
            value: cst.BaseExpression | None = small.value
        elif isinstance(small, cst.AnnAssign) and isinstance(small.target, cst.Name):
            names, value = [small.target], small.value
        else:
            continue
        found = _model_call(value, imports)
        if found is not None and names:
            return (names[0].value, *found)
    return None


def _model_call(value: cst.BaseExpression | None, imports: ImportTable
                ) -> tuple[Framework, Kind] | None:
    if not isinstance(value, cst.Call):
        return None
    qualname = imports.resolve(value.func)
    if qualname is None:
        return None
    framework = SEQUENTIAL_CALLS.get(qualname)
    if framework is not None:
        return framework, "sequential"
    if qualname in _FUNCTIONAL_CALLS and value.args:  # Model() alone is no functional model
        return "keras", "functional"
    return None


def _keras_builder(body: Sequence[cst.BaseStatement], imports: ImportTable) -> Kind | None:
    """The kind of Keras model a function's own statements build and assign or return."""
    for stmt in body:
        if not isinstance(stmt, cst.SimpleStatementLine):
            continue
        for small in stmt.body:
            value = small.value if isinstance(small, cst.Assign | cst.AnnAssign | cst.Return) \
                else None
            found = _model_call(value, imports)
            if found is not None and found[0] == "keras":
                return found[1]
    return None


def _lines_of(chunk: TopChunk, module: cst.Module, stmt: cst.BaseStatement) -> tuple[int, int]:
    """Chunk-relative (first, last) line of ``stmt``: from the chunk's text when it holds only
    this statement (no position pass), else from the chunk's cached positions."""
    if len(module.body) == 1:
        lines = split_lines(chunk.text)
        start = _first_statement_line(lines)
        end = len(lines) - 1
        while end > start and _is_trivia(lines[end]):
            end -= 1
        return start, end
    l0, _, l1, _ = chunk.range_of(stmt)
    return l0, l1


def _first_statement_line(lines: list[str]) -> int:
    """The first line after leading comments, blank lines and (multi-line) decorators."""
    i = 0
    while i < len(lines):
        if _is_trivia(lines[i]):
            i += 1
        elif lines[i].startswith("@"):
            depth, string, cont = scan_line(lines[i], 0, None)
            while (depth or string or cont) and i + 1 < len(lines):
                i += 1
                depth, string, cont = scan_line(lines[i], depth, string)
            i += 1
        else:
            return i
    return 0


def _is_trivia(line: str) -> bool:
    stripped = line.strip()
    return not stripped or stripped.startswith("#")
