"""The analysis engine: text + config in, findings out.

Flow per document version: split into top-level chunks (cheap line scan) -> parse each chunk
with libcst, reusing the previous version's tree when its text is unchanged -> build the import
table from statement-level imports -> run the chunk rules in one batched pass per changed
chunk (results cached by chunk text and import fingerprint) -> run module rules -> resolve
positions only for chunks that reported -> apply ``# noqa`` and severity overrides.
"""

from __future__ import annotations

import ast
import gc
import logging
import threading
import warnings
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from .aliases import ImportTable
from .chunks import ChunkSplitter, split_lines
from .config import Config
from .context import ChunkContext, ModuleContext, Report, RuleError, statement_words
from .dispatch import Dispatch, rule_error
from .findings import Finding, Fix, Position, Range, Severity, TextEdit
from .noqa import FILE_NOQA, suppressed
from .registry import (
    ChunkRule,
    ModuleRule,
    RuleInfo,
    all_rules,
    families,
    rule_info,
)
from .units import ParsedChunk, TopChunk

logger = logging.getLogger("mlsense.engine")
# Analysis state per document is bounded (DocumentAnalyzer._bound), by estimate: libcst trees
# measured at 100-150 bytes per source character, a memo entry at under 1 KB.
MEMORY_LIMIT = 512 * 2**20
TREE_BYTES_PER_CHAR = 150
MEMO_BYTES_PER_ENTRY = 1024
# A statement's words are kept in its memo by the gates only above this size: a second scan
# of a long one (a config table) costs a keystroke more than the set's memory; 50,000 short
# ones kept would cost memory (the flow walk keeps them where it runs).
KEEP_WORDS_CHARS = 2000


@dataclass
class AnalysisResult:
    findings: list[Finding]
    rule_errors: list[RuleError] = field(default_factory=list)
    syntax_error: Finding | None = None


@dataclass(frozen=True)
class ParsedVersion:
    """The parse of the last analysed text: its chunks (with their first lines) and imports."""

    text: str
    chunks: list[tuple[TopChunk, int]]
    imports: ImportTable
    # Facts derived from the whole version, computed once by whoever needs them first
    # (the server's file-wide model facts): the version is immutable, so they stay true.
    derived: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)


@dataclass
class _ChunkResult:
    reports: list[tuple[Report, int, int, int, int]]  # report + chunk-relative range
    errors: list[RuleError]


class DocumentAnalyzer:
    """Analyses successive versions of one document, reusing work for unchanged statements.

    Not thread-safe: use one per document, from one thread at a time.
    """

    def __init__(self, path: str | None = None, config: Config | None = None,
                 memory_limit: int = MEMORY_LIMIT, incremental: bool = True) -> None:
        self.path = path
        # False for one analysis only (the CLI): what only a next version reuses is not kept.
        self.incremental = incremental
        self.config = config or Config()
        self.memory_limit = memory_limit  # bytes of analysis state, estimated (see _bound)
        self._units: dict[str, ParsedChunk] = {}
        self._new_units: dict[str, ParsedChunk] = {}
        self._chunks: dict[str, TopChunk] = {}
        self._results: dict[tuple[str, int], _ChunkResult] = {}
        self._last_parse: ParsedVersion | None = None
        self._splitter = ChunkSplitter()
        self._infos: dict[str, RuleInfo] = {r.code: r for r in all_rules()}
        self._enabled = frozenset(
            r.code for r in all_rules() if self.config.is_enabled(r.code, r.default_enabled, path)
        )
        self._chunk_rules = [f for f in families() if issubclass(f, ChunkRule)
                             and any(r.code in self._enabled for r in f.rules)]
        self._dispatch = Dispatch(self._chunk_rules)  # type: ignore[arg-type]
        self._module_rules = [f for f in families() if issubclass(f, ModuleRule)
                              and any(r.code in self._enabled for r in f.rules)]

    @property
    def enabled_codes(self) -> frozenset[str]:
        return self._enabled

    @property
    def last_parse(self) -> ParsedVersion | None:
        """The parse of the last analysed text (one snapshot, replaced whole by each analysis,
        so another thread may read it while an analysis runs); None after a file-wide noqa."""
        return self._last_parse

    def analyze(self, text: str) -> AnalysisResult:
        """Findings for ``text``, sorted by position."""
        with _GC_PAUSE:
            return self._analyze(text)

    def _analyze(self, text: str) -> AnalysisResult:
        if FILE_NOQA.search(text):
            self._chunks, self._results, self._units = {}, {}, {}
            self._last_parse = None
            return AnalysisResult([])
        spans = self._splitter.split(text, keep=self.incremental)
        self._new_units = {}
        parsed = [self._parse(s.text) for s in spans]
        offsets = [s.start_line for s in spans]
        imports, plans = self._prepare(parsed)
        syntax_error: Finding | None = None
        # The statements parsed so far first; the others (no rule asked for their tree) are
        # checked after the rules ran, by then most are parsed if a module rule walked them.
        if any(p.parsed and p.module is None for p in parsed):
            syntax_error, whole = self._recover(text, spans, parsed)
            if whole is not parsed:
                parsed, offsets = whole, [0]
                imports, plans = self._prepare(parsed)
        findings, errors, results = self._run_rules(text, parsed, offsets, imports, plans)
        if syntax_error is None and not _all_valid(parsed):
            syntax_error, whole = self._recover(text, spans, parsed)
            if whole is not parsed:
                parsed, offsets = whole, [0]
                imports, plans = self._prepare(parsed)
                findings, errors, results = self._run_rules(text, parsed, offsets, imports,
                                                            plans)
        if syntax_error is None:
            late = next((c for c in parsed if c.failed_late), None)
            if late is not None:  # a rule asked for a tree libcst could not give
                syntax_error = self._libcst_failure(late)
        # Only the current version's chunks stay cached: memory stays flat over many edits.
        self._chunks = {p.text: p for p in parsed}
        self._bound()
        self._units, self._new_units = self._new_units, {}
        self._results = results
        self._last_parse = ParsedVersion(text, list(zip(parsed, offsets, strict=True)), imports)
        if syntax_error is not None:
            findings.append(syntax_error)
        findings = self._postprocess(findings, text)
        return AnalysisResult(findings, _dedupe(errors), syntax_error)

    def _recover(self, text: str, spans: list, parsed: list[TopChunk]
                 ) -> tuple[Finding | None, list[TopChunk]]:
        """A file with a statement libcst cannot parse: Python's message for the first bad
        one (the others are still analysed), or, if the whole file is valid Python that the
        scanner split badly, the file as one chunk (MLS003 if libcst cannot parse that)."""
        syntax_error = self._syntax_error(text, spans, parsed)
        if syntax_error is None and len(spans) > 1:
            parsed = [self._parse(text)]
        if syntax_error is None and parsed[0].module is None:
            syntax_error = self._libcst_failure(parsed[0])
        return syntax_error, parsed

    def _run_rules(self, text: str, parsed: list[TopChunk], offsets: list[int],
                   imports: ImportTable, plans: dict[str, tuple[int, ...]]
                   ) -> tuple[list[Finding], list[RuleError], dict[tuple[str, int], _ChunkResult]]:
        """Chunk rules (cached per statement text and imports), then module rules."""
        results: dict[tuple[str, int], _ChunkResult] = {}
        contexts: list[tuple[ChunkContext, int]] = []
        errors: list[RuleError] = []
        findings: list[Finding] = []
        fingerprint, previous = imports.fingerprint, self._results
        enabled, infos = self._enabled, self._infos
        for chunk, offset in zip(parsed, offsets, strict=True):
            if chunk.parsed and chunk.module is None:
                continue  # a syntax error: reported once by the caller
            key = (chunk.text, fingerprint)
            result = results.get(key) or previous.get(key)
            if result is None:
                result = self._run_chunk_rules(chunk, imports, plans.get(chunk.text, ()))
            results[key] = result
            if result.errors:
                errors.extend(result.errors)
            if result.reports:
                findings.extend(self._to_finding(r, offset, rng) for r, *rng in result.reports)
            contexts.append((ChunkContext(chunk, imports, enabled, infos), offset))
        if self._module_rules and contexts:
            findings.extend(self._run_module_rules(text, contexts, imports, errors))
        return findings, errors, results

    # -- memory -------------------------------------------------------------------------
    def state_bytes(self) -> int:
        """An estimate of what this document's analysis holds: its trees (by text length)
        and the rules' memoized results (by entry)."""
        return self._tree_bytes() + self._memo_bytes()

    def _tree_bytes(self) -> int:
        return sum(len(c.text) for c in self._chunks.values() if c.parsed) * TREE_BYTES_PER_CHAR

    def _memo_bytes(self) -> int:
        return sum(len(c.memo) for c in self._chunks.values()) * MEMO_BYTES_PER_ENTRY

    def _bound(self) -> None:
        """Keep the estimated state under ``memory_limit``: past it, the memoized results of
        the statements parsed longest ago are dropped first (recomputed when needed), down to
        90% of what the trees leave, so the next keystroke does not drop again. The trees of
        the current version stay: they are what was just analysed."""
        trees, memos = self._tree_bytes(), self._memo_bytes()
        if trees + memos <= self.memory_limit:
            return
        target = max(0, self.memory_limit - trees) * 0.9
        dropped = 0
        for chunk in sorted(self._chunks.values(), key=lambda c: c.serial):
            if memos <= target:
                break
            if chunk.memo:
                memos -= len(chunk.memo) * MEMO_BYTES_PER_ENTRY
                chunk.memo.clear()
                dropped += 1
        logger.debug("%s: analysis state over the %d MB limit: memoized results of %d "
                     "statements dropped (oldest first); ~%d MB of trees and %d MB of memos "
                     "left", self.path or "<document>", self.memory_limit >> 20, dropped,
                     trees >> 20, memos >> 20)

    # -- parsing ------------------------------------------------------------------------
    def _parse(self, text: str) -> TopChunk:
        chunk = self._chunks.get(text)
        if chunk is None:
            chunk = TopChunk(text, self._parse_unit)
            self._chunks[text] = chunk
        elif chunk.parsed:  # keep its units cached (a statement still text has none)
            for unit, _, _ in chunk.units:
                self._new_units[unit.text] = unit
        return chunk

    def _parse_unit(self, text: str) -> ParsedChunk:
        unit = self._new_units.get(text) or self._units.get(text)
        if unit is None:
            unit = ParsedChunk(text)
        self._new_units[text] = unit
        return unit

    def _syntax_error(self, text: str, spans: list, parsed: list[TopChunk]) -> Finding | None:
        """Python's own message for the first bad chunk (one diagnostic), or None if the
        whole file is valid Python (then the scanner or libcst is to blame, not the user)."""
        for span, chunk in zip(spans, parsed, strict=True):
            if chunk.valid():
                continue
            err = _python_syntax_error(span.text)
            if err is not None:
                return self._syntax_finding(err, span.start_line)
        if len(spans) > 1:
            err = _python_syntax_error(text)
            if err is not None:
                return self._syntax_finding(err, 0)
        return None

    def _syntax_finding(self, err: SyntaxError, line_offset: int) -> Finding:
        line = max((err.lineno or 1) - 1, 0) + line_offset
        col = max((err.offset or 1) - 1, 0)
        end_line = (err.end_lineno - 1 + line_offset) if err.end_lineno else line
        end_col = max((err.end_offset or 0) - 1, col + 1) if err.end_lineno == err.lineno else col + 1
        if end_line != line:
            end_line, end_col = line, col + 1
        info = rule_info("MLS001")
        detail = f"SyntaxError: {err.msg}"
        return Finding(info.code, info.name, detail, self.config.severity_for(info.code, info.severity),
                       Range(Position(line, col), Position(end_line, end_col)), url=info.url)

    def _libcst_failure(self, chunk: TopChunk) -> Finding:
        info = rule_info("MLS003")
        first = str(chunk.error).strip().splitlines()[0] if chunk.error else "unknown error"
        msg = f"mlsense could not parse this file (valid Python, unsupported by libcst): {first}"
        return Finding(info.code, info.name, msg, info.severity,
                       Range(Position(0, 0), Position(0, 0)), url=info.url)

    # -- rules --------------------------------------------------------------------------
    def _prepare(self, parsed: list[TopChunk]) -> tuple[ImportTable, dict[str, tuple[int, ...]]]:
        """The import table, and for each statement (by text) whose chunk-rule results are not
        cached the families that can report in it (their ``requires`` and ``needs`` gates).
        The statements with a family are parsed; the others stay text until a module rule
        asks for their tree."""
        imports = ImportTable(pair for p in parsed for pair in p.imports())
        imported = frozenset(imports.names)
        for chunk in parsed:
            chunk.resolve(imported)
        rules = self._chunk_rules
        active = [(i, f.needs) for i, f in enumerate(rules)
                  if not f.requires or imports.imports_any(*f.requires)]
        everywhere = tuple(i for i, needs in active if needs is None)
        gated = [(i, needs) for i, needs in active if needs is not None]
        plans: dict[str, tuple[int, ...]] = {}
        fingerprint, previous = imports.fingerprint, self._results
        for chunk in parsed:
            if chunk.text in plans or (chunk.text, fingerprint) in previous:
                continue
            plan = everywhere
            if gated:  # kept for a long statement only (the flow walk may read them again)
                words = statement_words(chunk, imports) if len(chunk.text) > KEEP_WORDS_CHARS \
                    else chunk.words(imports.names)
                found = [i for i, needs in gated if not needs.isdisjoint(words)]
                if found:
                    plan = tuple(sorted((*everywhere, *found)))
            plans[chunk.text] = plan
            if plan:
                chunk.module  # noqa: B018 - parse now: the syntax check then has the tree
        return imports, plans

    def _run_chunk_rules(self, chunk: TopChunk, imports: ImportTable,
                         plan: tuple[int, ...]) -> _ChunkResult:
        """The chunk rules of the families in ``plan`` (indices into ``_chunk_rules``)."""
        if not plan:
            return _NO_RESULT
        ctx = ChunkContext(chunk, imports, self._enabled, self._infos)
        errors: list[RuleError] = []
        visitors: list[ChunkRule | None] = [None] * len(self._chunk_rules)
        for i in plan:
            family = self._chunk_rules[i]
            try:
                visitors[i] = family(ctx)
            except Exception as exc:
                errors.append(rule_error(family.family, exc))
        self._dispatch.run(chunk.module, visitors, errors)  # type: ignore[arg-type]
        return _ChunkResult(self._ranges(ctx.reports, chunk), errors)

    def _run_module_rules(self, text: str, contexts: list[tuple[ChunkContext, int]],
                          imports: ImportTable, errors: list[RuleError]) -> list[Finding]:
        mctx = ModuleContext([c for c, _ in contexts], imports, text)
        for family in self._module_rules:
            try:
                family(mctx if family.needs is None else mctx.restricted(family.needs)).check()
            except Exception as exc:
                errors.append(rule_error(family.family, exc))
        out: list[Finding] = []
        for ctx, offset in contexts:
            if ctx.reports:
                for r, *rng in self._ranges(ctx.reports, ctx.chunk):
                    out.append(self._to_finding(r, offset, rng))
        return out

    @staticmethod
    def _ranges(reports: list[Report], chunk: TopChunk) -> list:
        return [(r, *chunk.range_of(r.node), _fix_ranges(r, chunk)) for r in reports]

    def _to_finding(self, r: Report, offset: int, rng: Iterable) -> Finding:
        l0, c0, l1, c1, fix_ranges = rng
        info = r.info
        fix = None
        if r.fix is not None and fix_ranges is not None:
            edits = tuple(
                TextEdit(Range(Position(a + offset, b), Position(c + offset, d)), text)
                for (a, b, c, d), text in fix_ranges)
            fix = Fix(r.fix.title, edits, r.fix.safe)
        return Finding(
            code=info.code, name=info.name, message=r.message,
            severity=self.config.severity_for(info.code, info.severity),
            range=Range(Position(l0 + offset, c0), Position(l1 + offset, c1)),
            fix=fix, url=info.url,
        )

    # -- noqa ---------------------------------------------------------------------------
    def _postprocess(self, findings: list[Finding], text: str) -> list[Finding]:
        if not findings:
            return findings
        lines = split_lines(text)
        kept = []
        for f in findings:
            line = lines[f.range.start.line] if f.range.start.line < len(lines) else ""
            if "#" in line and f.code != "MLS001" and suppressed(line, f.code):
                continue
            kept.append(f)
        kept.sort(key=lambda f: (f.range.start, f.code))
        return kept


_NO_RESULT = _ChunkResult([], [])


def _all_valid(chunks: list[TopChunk]) -> bool:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # SyntaxWarnings of unparsed statements are not ours
        return all(c.valid() for c in chunks)


def _fix_ranges(r: Report, chunk: TopChunk) -> list | None:
    """Chunk-relative edit ranges of a report's fix (positions are cached with the chunk)."""
    if r.fix is None:
        return None
    out = []
    for e in r.fix.edits:
        l0, c0, l1, c1 = chunk.range_of(e.node)
        if e.mode == "before":
            l1, c1 = l0, c0
        elif e.mode == "after":
            l0, c0 = l1, c1
        out.append(((l0, c0, l1, c1), e.text))
    return out


def _python_syntax_error(text: str) -> SyntaxError | None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # SyntaxWarnings are not ours to report
            ast.parse(text)
    except SyntaxError as err:
        return err
    except (ValueError, MemoryError, RecursionError) as err:  # null bytes, absurd nesting
        return SyntaxError(str(err), ("<unknown>", 1, 1, "", 1, 2))
    return None


def _dedupe(errors: list[RuleError]) -> list[RuleError]:
    seen, out = set(), []
    for e in errors:
        if (e.family, e.error) not in seen:
            seen.add((e.family, e.error))
            out.append(e)
    return out


class _GcPause:
    """The cyclic garbage collector off while an analysis runs (re-entrant, any thread).

    An analysis allocates a tree per statement and keeps it: with the collector on, every few
    thousand allocations it traverses the young objects and, as the heap grows, the whole heap
    again (measured: 11 s of a 50,000-statement file's 34 s). What an analysis makes has no
    garbage cycles to speak of (trees are acyclic; refcounting frees them), so nothing is lost
    by collecting only after it. The collector is switched back on only if it was on when the
    first of the overlapping analyses started."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._depth = 0
        self._was_enabled = False

    def __enter__(self) -> None:
        with self._lock:
            if self._depth == 0:
                self._was_enabled = gc.isenabled()
                gc.disable()
            self._depth += 1

    def __exit__(self, *exc: object) -> None:
        with self._lock:
            self._depth -= 1
            if self._depth == 0 and self._was_enabled:
                gc.enable()


_GC_PAUSE = _GcPause()


def analyze_text(text: str, path: str | None = None, config: Config | None = None) -> AnalysisResult:
    """One-shot analysis of ``text`` (the CLI's path; the server keeps a DocumentAnalyzer)."""
    return DocumentAnalyzer(path, config, incremental=False).analyze(text)


def decode_source(data: bytes) -> tuple[str | None, str | None, Position | None]:
    """(text, None, None) for decodable source; (None, message, position) otherwise.

    Honours a UTF-8 BOM and a PEP 263 coding declaration, like Python does.
    """
    import io
    import tokenize

    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError as exc:
        # An invalid byte in the first two lines fails detection itself: locate it as UTF-8.
        if "invalid or missing encoding declaration" not in str(exc):
            return None, f"cannot decode file: {exc}", Position(0, 0)
        encoding = "utf-8"
    try:
        text = data.decode("utf-8-sig" if encoding == "utf-8-sig" else encoding)
    except LookupError:
        return None, f"unknown encoding {encoding!r} in coding declaration", Position(0, 0)
    except UnicodeDecodeError as exc:
        before = data[: exc.start]
        line = before.count(b"\n")
        col = len(before[before.rfind(b"\n") + 1:].decode(encoding, errors="replace"))
        msg = (f"file is not valid {encoding.upper()}: byte 0x{data[exc.start]:02x} at line "
               f"{line + 1}, column {col + 1} ({exc.reason})")
        return None, msg, Position(line, col)
    return text, None, None


def analyze_bytes(data: bytes, path: str | None = None, config: Config | None = None) -> AnalysisResult:
    """Like analyze_text, for raw file contents: undecodable bytes give one located finding."""
    text, message, pos = decode_source(data)
    if text is None:
        assert message is not None and pos is not None
        info = rule_info("MLS002")
        f = Finding(info.code, info.name, message, Severity.ERROR,
                    Range(pos, Position(pos.line, pos.column + 1)), url=info.url)
        return AnalysisResult([f], syntax_error=f)
    return analyze_text(text, path, config)
