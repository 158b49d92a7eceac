"""Open documents, their debounced analysis in worker threads, and findings as LSP diagnostics.

Each open document owns one DocumentAnalyzer (it caches per top-level statement) and one
asyncio lock, so analyses of a document run one at a time, in a worker thread, while the event
loop keeps answering. A change bumps the document's version and schedules an analysis after
the debounce delay; an analysis that finishes for a version that is no longer current is
dropped, so diagnostics are never published for stale text.
"""

from __future__ import annotations

import asyncio
import gc
import traceback
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from lsprotocol import types

from ...analyzers import Config, Finding, Range
from .positions import DocumentText, PositionEncoder, to_lsp_position

if TYPE_CHECKING:  # the engine imports libcst: loaded after `initialize` (see server.py)
    from ...analyzers.engine import AnalysisResult, DocumentAnalyzer, ParsedVersion

SOURCE = "mlsense"
_TAGS = {"unnecessary": types.DiagnosticTag.Unnecessary,
         "deprecated": types.DiagnosticTag.Deprecated}


def to_lsp_range(lines: Sequence[str], encoder: PositionEncoder, rng: Range) -> types.Range:
    """An analyzer range (code points) as an LSP range in the client's units."""
    return types.Range(
        start=to_lsp_position(lines, encoder, rng.start.line, rng.start.column),
        end=to_lsp_position(lines, encoder, rng.end.line, rng.end.column),
    )


def to_diagnostic(finding: Finding, lines: Sequence[str], encoder: PositionEncoder) -> types.Diagnostic:
    """One finding as an LSP diagnostic; ``data`` carries the fix, already in client units."""
    data: dict[str, Any] = {"name": finding.name}
    if finding.fix is not None:
        data["fix"] = {
            "title": finding.fix.title,
            "safe": finding.fix.safe,
            "edits": [{"range": _range_json(to_lsp_range(lines, encoder, e.range)),
                       "newText": e.new_text} for e in finding.fix.edits],
        }
    tags = [_TAGS[t] for t in finding.tags if t in _TAGS] or None
    return types.Diagnostic(
        range=to_lsp_range(lines, encoder, finding.range),
        message=finding.message,
        severity=types.DiagnosticSeverity(int(finding.severity)),
        code=finding.code,
        code_description=types.CodeDescription(href=finding.url) if finding.url else None,
        source=SOURCE,
        tags=tags,
        data=data,
    )


def _range_json(rng: types.Range) -> dict[str, Any]:
    return {"start": {"line": rng.start.line, "character": rng.start.character},
            "end": {"line": rng.end.line, "character": rng.end.character}}


@dataclass
class AnalyzedVersion:
    """The analysis of one version of a document, with the lines it was computed on."""

    version: int | None
    generation: int
    lines: list[str]
    result: AnalysisResult
    diagnostics: list[types.Diagnostic]
    serial: int = 0  # which analysis of the server this is
    parse: ParsedVersion | None = None  # the engine's parse of exactly these lines

    @property
    def result_id(self) -> str:
        return f"{self.generation}:{self.version}:{self.serial}"


# Above this a document is not analysed (one log line says so): 3 million characters is about
# 100,000 statements (and ~450 MB of trees, near the engine's 512 MB state limit); bigger
# "source" is generated code or data, and would hold the worker threads for minutes.
MAX_DOCUMENT_CHARS = 3_000_000
FULL_GC_EVERY = 100


@dataclass
class OpenDocument:
    uri: str
    path: str | None
    doc: DocumentText
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    analyzer: DocumentAnalyzer | None = None
    analyzer_generation: int = -1
    latest: AnalyzedVersion | None = None
    closed: bool = False
    published_id: str | None = None
    edits: int = 0  # counts every change, even from clients that send no versions


class DiagnosticsEngine:
    """Schedules analyses and hands finished, current results to ``publish``."""

    def __init__(self, config_for: Callable[[str | None], Config],
                 publish: Callable[[OpenDocument, AnalyzedVersion], None],
                 report_errors: Callable[[AnalysisResult], None],
                 report_crash: Callable[[str], None],
                 warn: Callable[[str], None] = lambda message: None) -> None:
        self.documents: dict[str, OpenDocument] = {}
        self.encoder = PositionEncoder()
        self.debounce_s = 0.05
        self.enabled = True
        self.generation = 0  # bumped when settings change: analyzers are rebuilt
        self.analyses = 0
        self._config_for = config_for
        self._publish = publish
        self._report_errors = report_errors
        self._report_crash = report_crash
        self._warn = warn  # a client or document problem: logged, never fatal
        self.too_large: set[str] = set()  # documents already reported as too large
        self._analyses_since_gc = 0
        self._pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="mlsense-analysis")
        self._tasks: set[asyncio.Task[Any]] = set()
        # Set once the client's settings are known: nothing is analysed with the wrong ones.
        self.settings_ready = asyncio.Event()

    # -- document lifecycle -------------------------------------------------------------
    def open(self, uri: str, path: str | None, text: str, version: int | None) -> OpenDocument:
        state = OpenDocument(uri, path, DocumentText(text, version))
        self.documents[uri] = state
        return state

    def change(self, uri: str, version: int | None,
               changes: Sequence[types.TextDocumentContentChangeEvent]) -> OpenDocument | None:
        state = self.documents.get(uri)
        if state is None:
            self._warn(f"mlsense: didChange for {uri}, which is not open; ignored")
            return None
        if version is not None and state.doc.version is not None and version <= state.doc.version:
            self._warn(f"mlsense: {uri} went from version {state.doc.version} back to {version}; "
                       "the change is applied as sent")
        for change in changes:
            state.doc.apply_change(change, self.encoder)
        state.doc.version = version
        state.edits += 1
        return state

    def replace(self, state: OpenDocument, text: str, version: int | None) -> None:
        """Give ``state`` a whole new text (a notebook's joined cells after a change)."""
        state.doc = DocumentText(text, version)
        state.edits += 1

    def close(self, uri: str) -> None:
        state = self.documents.pop(uri, None)
        if state is not None:
            state.closed = True

    def refresh(self, state: OpenDocument) -> None:
        """Forget ``state``'s analyzer and results (its pyproject may have changed on disk)."""
        state.analyzer_generation = -1
        state.latest = None

    def invalidate(self) -> None:
        """Settings changed: every analyzer is rebuilt on its next run."""
        self.generation += 1

    # -- scheduling -----------------------------------------------------------------------
    def schedule(self, state: OpenDocument, delay: float | None = None) -> None:
        """Analyse ``state`` after the debounce delay unless it changes again meanwhile."""
        task = asyncio.ensure_future(self._debounced(state, state.edits, delay))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _debounced(self, state: OpenDocument, edits: int, delay: float | None) -> None:
        await asyncio.sleep(self.debounce_s if delay is None else delay)
        if state.closed or state.edits != edits:
            return  # a newer change scheduled its own run
        analyzed = await self.current(state)
        if analyzed is not None and not state.closed and state.edits == edits \
                and state.published_id != analyzed.result_id:
            state.published_id = analyzed.result_id  # two runs for one version publish once
            self._publish(state, analyzed)

    async def current(self, state: OpenDocument) -> AnalyzedVersion | None:
        """The analysis of the document's current text (reused if already done)."""
        await self.settings_ready.wait()
        async with state.lock:
            while not state.closed:
                latest = state.latest
                if latest is not None and latest.lines is state.doc.lines \
                        and latest.generation == self.generation:
                    return latest
                lines, version, generation = state.doc.lines, state.doc.version, self.generation
                text = state.doc.text
                loop = asyncio.get_running_loop()
                try:
                    analyzed = await loop.run_in_executor(
                        self._pool, self._analyze, state, text, lines, version, generation)
                except Exception as exc:  # an engine bug must not take the server down
                    state.analyzer = None  # its caches may be inconsistent now
                    self._report_crash(f"{type(exc).__name__}: {exc}\n"
                                       + "".join(traceback.format_exception(exc)))
                    return None
                self.analyses += 1
                analyzed.serial = self.analyses
                self._report_errors(analyzed.result)
                state.latest = analyzed
                # Loop: if the text changed during the analysis, analyse the newest text.
            return None

    def _analyze(self, state: OpenDocument, text: str, lines: list[str], version: int | None,
                 generation: int) -> AnalyzedVersion:
        """Worker thread: one document's analysis, serialised by the document's lock."""
        if not self.enabled or len(text) > MAX_DOCUMENT_CHARS:
            from ...analyzers.engine import AnalysisResult

            if self.enabled and state.uri not in self.too_large:
                self.too_large.add(state.uri)
                self._warn(f"mlsense: {state.uri} is not analysed: {len(text) / 1e6:.1f} million "
                           f"characters, more than the {MAX_DOCUMENT_CHARS / 1e6:g} million "
                           "a document may have (generated code or data?)")
            return AnalyzedVersion(version, generation, lines, AnalysisResult([]), [])
        if state.analyzer is None or state.analyzer_generation != generation:
            from ...analyzers.engine import DocumentAnalyzer

            state.analyzer = DocumentAnalyzer(state.path, self._config_for(state.path))
            state.analyzer_generation = generation
        result = state.analyzer.analyze(text)
        diagnostics = [to_diagnostic(f, lines, self.encoder) for f in result.findings]
        self._freeze_survivors()
        return AnalyzedVersion(version, generation, lines, result, diagnostics,
                               parse=state.analyzer.last_parse)

    def _freeze_survivors(self) -> None:
        """Keep the cyclic garbage collector off the trees (gc.freeze): they live across
        edits, have no cycles (refcounting frees them) and made every few keystrokes pay a
        full collection of the document (measured: 130 ms of a 5,000-statement document's
        250 ms edit). Every FULL_GC_EVERY analyses everything is thawed and collected once,
        so cycles that died while frozen are reclaimed."""
        self._analyses_since_gc += 1
        if self._analyses_since_gc >= FULL_GC_EVERY:
            self._analyses_since_gc = 0
            gc.unfreeze()
            gc.collect()
        gc.freeze()

    def shutdown(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        self._pool.shutdown(wait=False, cancel_futures=True)
