"""Parse units below top-level statements, so one keystroke re-parses one method, not a class.

A top-level ``class``/``def`` longer than ``SPLIT_MIN_LINES`` is parsed as its header plus one
unit per body statement (dedented), and its tree is reassembled from those parts: rules still see
one ClassDef/FunctionDef, but an edit re-parses only the member it touches, and positions (a full
code-generation pass per unit) are computed for the reporting members only.
"""

from __future__ import annotations

import ast
import itertools
import re
import threading
from collections.abc import Callable
from typing import Any

import libcst as cst
from libcst.metadata import CodeRange, MetadataWrapper, PositionProvider

from .aliases import imports_in
from .chunks import scan_line, split_chunks, split_lines

_SERIALS = itertools.count()
SPLIT_MIN_LINES = 40
INERT_MIN_LINES = 30
_INERT_CALL = "__mlsense_inert__()"
_WORD = re.compile(r"\w+")
_PARSE_LOCK = threading.Lock()
_COMPOUND = re.compile(r"(async\s|def|class|if|for|while|with|try|match|import|from|@)\b")
_DEF_OR_CLASS = re.compile(r"(async\s+def|def|class)\b")

Range4 = tuple[int, int, int, int]  # 0-based start line, start col, end line, end col


class ParsedChunk:
    """One top-level statement's text and its libcst tree (or the reason it has none)."""

    __slots__ = ("text", "module", "error", "_positions", "_node_ids")

    def __init__(self, text: str) -> None:
        self.text = text
        self.module: cst.Module | None = None
        self.error: Exception | None = None
        self._positions: Any = None
        self._node_ids: frozenset[int] | None = None
        try:
            self.module = cst.parse_module(text)
        except Exception as exc:  # libcst raises ParserSyntaxError, and others on odd input
            self.error = exc

    def positions(self) -> Any:
        """node -> CodeRange (1-based lines, 0-based columns), computed once per chunk text."""
        if self._positions is None:
            assert self.module is not None
            wrapper = MetadataWrapper(self.module, unsafe_skip_copy=True)
            self._positions = wrapper.resolve(PositionProvider)
        return self._positions

    def range_of(self, node: cst.CSTNode) -> CodeRange:
        return self.positions()[node]

    def node_ids(self) -> frozenset[int]:
        """ids of this unit's nodes, to find which unit of a split statement owns a node."""
        if self._node_ids is None:
            from .walk import iter_nodes

            self._node_ids = frozenset(id(n) for n in iter_nodes([self.module])) \
                if self.module is not None else frozenset()
        return self._node_ids


class TopChunk:
    """One top-level statement: its units, its (possibly reassembled) tree, and positions.

    A short statement is parsed on first use of ``module`` / ``units`` / ``error``: the engine
    asks only for the trees some rule needs (libcst costs 8x Python's own parser), and
    :meth:`valid` checks the syntax of the others with ``ast``.
    """

    def __init__(self, text: str, parse: Callable[[str], ParsedChunk]) -> None:
        self.text = text
        self._units: list[tuple[ParsedChunk, int, int]] = []  # unit, line offset, column offset
        self._error: Exception | None = None
        self._module: cst.Module | None = None
        self._assembled: dict[int, tuple[cst.CSTNode, cst.CSTNode]] = {}
        self.memo: dict[str, object] = {}
        self.serial = next(_SERIALS)  # creation order: the oldest memos are dropped first
        self._imports: tuple[cst.Module | None, list[tuple[str, str]]] | None = None
        self._parse = parse
        self._inert_names: frozenset[str] | None = None
        self._pending: str | None = None  # the text to parse on first use (None: parsed)
        self._valid: bool | None = None
        # The names the statement binds in the module when known without a tree (a stub's
        # targets, see _inert_stub), else None.
        self.binds: frozenset[str] | None = None
        if self._split(parse):
            return
        stub = inert_stub(text) if text.count("\n") >= INERT_MIN_LINES else None
        if stub is not None:
            self._pending, self._inert_names, self.binds = stub
            self._valid = True  # _inert_stub parsed it (or a text that differs in numbers)
        else:
            self._pending = text

    # -- the tree, parsed on first use ------------------------------------------------------
    @property
    def parsed(self) -> bool:
        return self._pending is None

    @property
    def module(self) -> cst.Module | None:
        if self._pending is not None:
            self._parse_pending()
        return self._module

    @property
    def units(self) -> list[tuple[ParsedChunk, int, int]]:
        if self._pending is not None:
            self._parse_pending()
        return self._units

    @property
    def error(self) -> Exception | None:
        if self._pending is not None:
            self._parse_pending()
        return self._error

    def _parse_pending(self) -> None:
        with _PARSE_LOCK:  # a reader of the last parse (hover...) may race the analysis
            pending = self._pending
            if pending is not None:
                unit = self._parse(pending)
                self._units = [(unit, 0, 0)]
                self._error = unit.error
                self._module = unit.module
                self._pending = None

    def valid(self) -> bool:
        """Whether libcst parses the statement: its tree if parsed; else ``ast``'s verdict
        when it accepts the text, and libcst's when not (it knows newer syntax than the
        running Python: ``type X = ...``). The caller silences SyntaxWarnings."""
        if self._pending is None:
            return self._module is not None
        if self._valid is None:
            try:
                compile(self.text, "<statement>", "exec", ast.PyCF_ONLY_AST)
                self._valid = True
            except (SyntaxError, ValueError, MemoryError, RecursionError):
                self._parse_pending()
                return self._module is not None
        return self._valid

    def syntax_tree(self) -> ast.Module | None:
        """Python's own tree of the statement (not kept), or None where ``ast`` rejects it;
        an accepted text also answers :meth:`valid` without a second compile."""
        try:
            tree = ast.parse(self.text)
        except (SyntaxError, ValueError, MemoryError, RecursionError):
            return None
        if self._pending is not None and self._valid is None:
            self._valid = True
        return tree

    @property
    def failed_late(self) -> bool:
        """Valid Python by ``ast`` that libcst could not parse when a rule asked for it."""
        return self._pending is None and self._module is None and self._valid is True

    def words(self, names: dict[str, str]) -> set[str]:
        """The identifiers and keywords of the statement's text (comments and strings
        included), plus the parts of the qualified name of each imported name it uses
        (``names``: local name -> qualified name), so ``from torch import load as tl`` makes
        ``tl(...)`` a use of ``load``. Not kept: asked once per statement text."""
        words = set(_WORD.findall(self.text))
        used = [q for w, q in names.items() if w in words] if len(names) < len(words) else \
            [names[w] for w in words if w in names]
        for qualname in used:
            words.update(qualname.split("."))
        return words

    def imports(self) -> list[tuple[str, str]]:
        """(local name, qualified name) of this statement's imports, computed once per tree
        (a statement without the word ``import`` is not parsed for it)."""
        if self._pending is not None and "import" not in self.text:
            return []
        module = self.module
        if self._imports is None or self._imports[0] is not module:  # stub -> real parse
            pairs = list(imports_in(module.body)) if module is not None else []
            self._imports = (module, pairs)
        return self._imports[1]

    def resolve(self, imported: frozenset[str]) -> None:
        """Parse for real a statement kept as a stub if it names something imported."""
        if self._inert_names is not None and self._inert_names & imported:
            self._inert_names = None
            self._pending = self.text

    def _split(self, parse: Callable[[str], ParsedChunk]) -> bool:
        lines = split_lines(self.text)
        if len(lines) < SPLIT_MIN_LINES:
            return False
        head = _header_end(lines)
        if head is None:
            return False
        body_start, indent = head
        body = _dedent(lines[body_start:], indent)
        if body is None:
            return False
        header = parse("".join(lines[:body_start]) + indent + "pass\n")
        members = [(parse(s.text), body_start + s.start_line) for s in split_chunks(body)]
        self._units = [(header, 0, 0), *[(u, off, len(indent)) for u, off in members]]
        broken = next((u for u, _, _ in self._units if u.module is None), None)
        if broken is not None:
            self._error = broken.error
            return True
        assert header.module is not None
        shell = header.module.body[-1]
        if not isinstance(shell, cst.ClassDef | cst.FunctionDef) or \
                not isinstance(shell.body, cst.IndentedBlock):
            return False
        statements = [s for u, _ in members for s in u.module.body]  # type: ignore[union-attr]
        if not statements:
            return False
        whole = shell.with_changes(body=shell.body.with_changes(body=statements))
        self._assembled[id(whole)] = (shell, statements[-1])
        self._module = cst.Module(body=[*header.module.body[:-1], whole])
        return True

    def range_of(self, node: cst.CSTNode) -> Range4:
        """Chunk-relative range of a node of this chunk's tree."""
        if id(node) in self._assembled:
            first, last = self._assembled[id(node)]
            s, e = self.range_of(first), self.range_of(last)
            return s[0], s[1], e[2], e[3]
        if len(self.units) == 1:
            unit, line_off, col_off = self.units[0]
        else:
            unit, line_off, col_off = next(
                (u for u in self.units if id(node) in u[0].node_ids()), self.units[0])
        cr = unit.range_of(node)
        return (cr.start.line - 1 + line_off, cr.start.column + col_off,
                cr.end.line - 1 + line_off, cr.end.column + col_off)


Stub = tuple[str, frozenset[str], frozenset[str]]  # stub text, names used, names bound
# An integer literal (no leading zero, at most 18 digits: no size limit applies) that is a
# whole token: not part of a name, a float, a number with a prefix or underscores, an escape.
_INT_LITERAL = re.compile(r"(?<![\w.\\])(?:0|[1-9][0-9]{0,17})(?![\w.])")
_STUBS: dict[str, Stub | None] = {}  # by the text with its integer literals masked
_STUBS_MAX_CHARS = 4 * 2**20
_STUBS_LOCK = threading.Lock()
_stubs_chars = 0


def inert_stub(text: str) -> Stub | None:
    """:func:`_inert_stub`, remembered for the texts that differ only in the values of their
    integer literals (a keystroke in a config table): replacing one such literal by another
    changes neither the syntax's validity, nor a name, nor a node type. A text spelling a
    ``\\N{...}`` escape is not remembered (``VARIATION SELECTOR-1`` exists, ``-300`` not)."""
    global _stubs_chars
    if _compound(text):
        return None
    if "\\N" in text:
        return _inert_stub(text)
    key = _INT_LITERAL.sub("0", text)
    with _STUBS_LOCK:
        if key in _STUBS:
            found = _STUBS[key] = _STUBS.pop(key)  # the most recently used last
            return found
    found = _inert_stub(text)
    with _STUBS_LOCK:
        if key not in _STUBS:
            _STUBS[key] = found
            _stubs_chars += len(key)
            while _stubs_chars > _STUBS_MAX_CHARS and len(_STUBS) > 1:
                oldest = next(iter(_STUBS))
                _stubs_chars -= len(oldest)
                del _STUBS[oldest]
    return found


def _inert_stub(text: str) -> Stub | None:
    """A stand-in for a long simple statement that no rule can care about, the names it uses
    and the names it binds in the module.

    Big literals (model-config tables, label maps) cost libcst ~100 ms per keystroke but hold no
    attribute access, lambda or import: rules only look at framework APIs, reached through an
    import or an attribute. Such a statement is replaced by ``targets = __mlsense_inert__()``
    (same bindings for the dataflow) unless one of its names turns out to be imported. What it
    binds is what the flow walk's deferral would read from its ``ast`` (rules/flow/run.py
    ``_bound``): a single assignment's targets, else every name stored to.
    """
    if _compound(text):
        return None
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return None
    names: set[str] = set()
    stored: set[str] = set()
    targets: list[str] = []
    out: list[str] = []
    for stmt in tree.body:
        if isinstance(stmt, ast.Expr):
            out.append(_INERT_CALL)
        elif isinstance(stmt, ast.Assign | ast.AnnAssign) and stmt.value is not None:
            nodes = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            if not all(isinstance(t, ast.Name) for t in nodes):
                return None
            targets = [t.id for t in nodes]  # type: ignore[attr-defined]
            out.append(" = ".join(targets) + f" = {_INERT_CALL}")
        else:
            return None
        for node in ast.walk(stmt):
            if isinstance(node, ast.Attribute | ast.Lambda | ast.NamedExpr | ast.Await |
                          ast.Yield | ast.YieldFrom | ast.Starred):
                return None
            if isinstance(node, ast.Name):
                names.add(node.id)
                if not isinstance(node.ctx, ast.Load):
                    stored.add(node.id)
    single = len(tree.body) == 1 and targets and ":=" not in text
    leading = text[: len(text) - len(text.lstrip())]
    return (leading + "\n".join(out) + "\n", frozenset(names),
            frozenset(targets if single else stored))


def _compound(text: str) -> bool:
    """Whether the statement's first code line opens a compound statement (or an import)."""
    for line in text.splitlines():
        stripped = line.lstrip()
        if stripped and not stripped.startswith("#"):
            return _COMPOUND.match(stripped) is not None
    return False


def _header_end(lines: list[str]) -> tuple[int, str] | None:
    """(first body line, body indentation) for a def/class whose body is an indented block."""
    i = 0
    while i < len(lines) and (not lines[i].strip() or lines[i].lstrip().startswith(("#", "@"))):
        if lines[i].startswith("@"):
            # a decorator may span lines: skip to its end
            depth, string, cont = scan_line(lines[i], 0, None)
            while (depth or string or cont) and i + 1 < len(lines):
                i += 1
                depth, string, cont = scan_line(lines[i], depth, string)
        i += 1
    if i >= len(lines) or not _DEF_OR_CLASS.match(lines[i]):
        return None
    depth, string, cont = scan_line(lines[i], 0, None)
    while (depth or string or cont) and i + 1 < len(lines):
        i += 1
        depth, string, cont = scan_line(lines[i], depth, string)
    if not lines[i].split("#")[0].rstrip().endswith(":"):
        return None
    for j in range(i + 1, len(lines)):
        stripped = lines[j].strip()
        if stripped and not stripped.startswith("#"):
            indent = lines[j][: len(lines[j]) - len(lines[j].lstrip())]
            return (i + 1, indent) if indent else None
    return None


def _dedent(lines: list[str], indent: str) -> str | None:
    """The body lines without ``indent``; None if a statement line is less indented."""
    out = []
    depth, string = 0, None
    for line in lines:
        if line.startswith(indent):
            out.append(line[len(indent):])
        elif not line.strip():
            out.append(line.lstrip(" \t\f"))
        elif line.lstrip().startswith("#") and string is None:  # a comment may sit anywhere
            out.append(line.lstrip())
        elif string is not None or depth:
            # Inside a string or brackets indentation is free: keep the line. Only the end
            # column of a node ending on such a line is then off (by the indent width).
            out.append(line)
        else:
            return None
        depth, string, _ = scan_line(line, depth, string)
    return "".join(out)


