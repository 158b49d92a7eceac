"""``mlsense serve``: the pygls 2 language server.

Thin by design: documents go to :mod:`.diagnostics` (debounced analysis in worker threads),
findings come back as diagnostics and code actions (:mod:`.actions`), settings are
validated in :mod:`.settings`, positions converted in :mod:`.positions`. Nothing here
imports torch, TensorFlow, Keras or JAX (``mlsense/debugInfo`` lets a test check that).
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import os
import sys
import threading
from collections.abc import Awaitable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from lsprotocol import types
from pygls.capabilities import ServerCapabilitiesBuilder
from pygls.exceptions import JsonRpcInvalidRequest
from pygls.lsp.server import LanguageServer
from pygls.protocol import LanguageServerProtocol, lsp_method
from pygls.uris import to_fs_path

from ... import __version__
from ...analyzers import Config
from .actions import FIX_ALL_KIND, TRANSLATE_COMMAND, ActionBuilder
from .cells import NOTEBOOK_SELECTOR
from .completion import TRIGGERS, size_completions
from .diagnostics import AnalyzedVersion, DiagnosticsEngine, OpenDocument
from .hover import hover_at
from .inlay import inlay_hints
from .lenses import REPORT_COMMAND, VerificationResults, code_lenses, stored_report
from .notebooks import NotebookSync, register_notebook_features
from .positions import PositionEncoder
from .settings import ServerSettings, config_for_document, parse_settings, unwrap_settings
from .translate import (
    command_argument,
    document_text,
    parse_translate_arguments,
    translate_document,
    wants_verification,
)
from .verify import Verifier, register_verification

if TYPE_CHECKING:
    from ...analyzers.engine import AnalysisResult

logger = logging.getLogger("mlsense.server")
T = TypeVar("T")
CLIENT_REQUEST_TIMEOUT_S = 5.0  # how long the server waits on any request it sends the client
HEAVY_FRAMEWORKS = ("torch", "tensorflow", "keras", "jax", "jaxlib", "flax", "tf_keras")
DEBUG_INFO = "mlsense/debugInfo"
_NOTIFY_AT = {"off": 0, "onError": types.MessageType.Error,
              "onWarning": types.MessageType.Warning, "always": types.MessageType.Log}


class _Protocol(LanguageServerProtocol):
    """pygls' protocol, except that text documents are kept by :mod:`.diagnostics` only.

    pygls keeps its own copy of every open text document in ``workspace`` (notebook cells are
    still kept there: :mod:`.notebooks` reads them). Nothing here reads that copy, and pygls
    raises before our handler runs when a change names a document that was never opened, so a
    client bug would go unreported; without the copy a 20 MB document is held once."""

    _initialized = False

    @lsp_method(types.INITIALIZE)
    def lsp_initialize(self, params: types.InitializeParams) -> Any:
        """The first ``initialize`` only: a second one (a protocol error) would reset the
        client's capabilities and the workspace under the open documents."""
        if self._initialized:
            raise JsonRpcInvalidRequest("initialize may only be sent once per session")
        self._initialized = True
        return (yield from super().lsp_initialize(params))

    def handle_message(self, message: Any) -> None:
        """After ``shutdown`` pygls drops requests without an answer, so a client waiting on one
        hangs; the protocol says they get an InvalidRequest error."""
        method = getattr(message, "method", None)
        if self._shutdown and method not in (None, types.EXIT) and \
                getattr(message, "id", None) is not None:
            error = JsonRpcInvalidRequest(f"{method}: the server is shutting down")
            self._send_response(message.id, None, error.to_response_error())
            return
        super().handle_message(message)

    def _user(self, method: str, params: Any) -> Any:
        if (handler := self.fm.features.get(method)) is not None:
            yield handler, (params,), None

    @lsp_method(types.TEXT_DOCUMENT_DID_OPEN)
    def lsp_text_document__did_open(self, params: types.DidOpenTextDocumentParams) -> Any:
        yield from self._user(types.TEXT_DOCUMENT_DID_OPEN, params)

    @lsp_method(types.TEXT_DOCUMENT_DID_CHANGE)
    def lsp_text_document__did_change(self, params: types.DidChangeTextDocumentParams) -> Any:
        yield from self._user(types.TEXT_DOCUMENT_DID_CHANGE, params)

    @lsp_method(types.TEXT_DOCUMENT_DID_CLOSE)
    def lsp_text_document__did_close(self, params: types.DidCloseTextDocumentParams) -> Any:
        yield from self._user(types.TEXT_DOCUMENT_DID_CLOSE, params)


class MlsenseLanguageServer(LanguageServer):
    """The server's state: settings, open documents, what was already reported."""

    def __init__(self) -> None:
        super().__init__("mlsense", __version__, max_workers=2, protocol_cls=_Protocol,
                         notebook_document_sync=NOTEBOOK_SELECTOR)
        self.settings = ServerSettings()
        self.engine = DiagnosticsEngine(self.config_for, self.publish, self.report_rule_errors,
                                        self.report_crash, self.warn_about_client)
        self.pull_diagnostics = False
        self.notebooks = NotebookSync(self)
        self.verifier = Verifier(self)
        self.verifications = VerificationResults()
        self._init_settings: dict[str, Any] = {}
        self._pushed_settings: dict[str, Any] = {}
        self._reported: set[tuple[str, str]] = set()
        self._config_errors: set[str] = set()
        self._plugins: set[str] = set()
        self.loop: asyncio.AbstractEventLoop | None = None

    # -- messages -----------------------------------------------------------------------
    def log(self, message: str, level: types.MessageType = types.MessageType.Info) -> None:
        """window/logMessage (and showMessage when ``showNotifications`` asks for it)."""
        logger.log({1: logging.ERROR, 2: logging.WARNING}.get(int(level), logging.INFO), message)
        self.window_log_message(types.LogMessageParams(type=level, message=message))
        threshold = _NOTIFY_AT.get(self.settings.show_notifications, 0)
        if threshold and int(level) <= int(threshold):
            self.window_show_message(types.ShowMessageParams(type=level, message=message))

    def report_rule_errors(self, result: AnalysisResult) -> None:
        """A rule that raised is reported once per (family, error) for the server's lifetime."""
        for err in result.rule_errors:
            key = (err.family, err.error)
            if key in self._reported:
                continue
            self._reported.add(key)
            self.log(f"mlsense rule family `{err.family}` raised {err.error}; it is skipped "
                     f"where it fails.\n{err.traceback}", types.MessageType.Error)

    def warn_about_client(self, message: str, key: str | None = None) -> None:
        """A client or document problem (a change to a closed document, versions going back,
        an unusable answer): logged once per ``key`` (the message itself by default), from any
        thread, never fatal."""
        dedupe = ("client", key or message)
        if dedupe in self._reported:
            return
        self._reported.add(dedupe)
        if self.loop is not None:  # callable from the analysis threads too
            self.loop.call_soon_threadsafe(self.log, message, types.MessageType.Warning)
        else:
            self.log(message, types.MessageType.Warning)

    def report_crash(self, error: str) -> None:
        """The analysis of a document failed outright: logged once per distinct error."""
        key = ("engine", error.splitlines()[0])
        if key not in self._reported:
            self._reported.add(key)
            self.log(f"mlsense analysis failed (please report this bug): {error}",
                     types.MessageType.Error)

    # -- settings -------------------------------------------------------------------------
    def config_for(self, path: str | None) -> Config:
        """Worker thread: the document's pyproject config with the client's settings on top."""
        config, error = config_for_document(path, self.settings)
        if error is not None and error not in self._config_errors:
            self._config_errors.add(error)
            if self.loop is not None:  # worker thread: log from the event loop's thread
                message = f"mlsense configuration error (defaults used): {error}"
                self.loop.call_soon_threadsafe(self.log, message, types.MessageType.Warning)
        return config

    def apply_settings(self, pulled: Any = None) -> None:
        """Validate the merged settings, load plugins, re-analyse every open document."""
        raw = {**self._init_settings, **self._pushed_settings}
        pulled = unwrap_settings(pulled)
        if isinstance(pulled, dict):
            raw.update(pulled)
        settings, warnings = parse_settings(raw)
        for warning in warnings:
            self.log(f"mlsense settings: {warning}", types.MessageType.Warning)
        self.settings = settings
        self.engine.debounce_s = settings.debounce_ms / 1000
        self.engine.enabled = settings.enable
        self._load_plugins(settings.plugins)
        self.engine.invalidate()
        self.reanalyse_all()
        self.refresh_inlay_hints()
        self.refresh_code_lenses()

    def refresh_inlay_hints(self) -> None:
        """workspace/inlayHint/refresh, where the client supports it: hints depend on the
        settings (and on the analysis they ask for), so the client asks again."""
        caps = self.client_capabilities.workspace if self.client_capabilities else None
        hints = caps.inlay_hint if caps is not None else None
        if hints is not None and hints.refresh_support:
            self.workspace_inlay_hint_refresh(None)  # answered or not: nothing waits on it

    def refresh_code_lenses(self) -> None:
        """workspace/codeLens/refresh, where the client supports it (a verification finished,
        or the settings that decide whether 'Verify' is offered changed)."""
        caps = self.client_capabilities.workspace if self.client_capabilities else None
        lenses = caps.code_lens if caps is not None else None
        if lenses is not None and lenses.refresh_support:
            self.workspace_code_lens_refresh(None)

    def record_verification(self, uri: str, class_name: str | None, target: str, text: str,
                            report: dict[str, Any]) -> None:
        """Keep a verification's report for the model's lens and ``mlsense.verificationReport``."""
        self.verifications.record(uri, class_name, target, text, report)
        self.refresh_code_lenses()

    def _load_plugins(self, modules: tuple[str, ...]) -> None:
        """Import rule modules named in ``plugins`` (they register rules when imported)."""
        for name in modules:
            if name in self._plugins:
                continue
            self._plugins.add(name)
            try:
                importlib.import_module(name)
            except Exception as exc:  # a broken plugin must not take the server down
                self.log(f"mlsense plugin `{name}` could not be imported: "
                         f"{type(exc).__name__}: {exc}", types.MessageType.Error)
            else:
                self.log(f"mlsense plugin `{name}` loaded")

    async def pull_settings(self) -> None:
        """workspace/configuration (section ``mlsense``), when the client supports it."""
        caps = self.client_capabilities.workspace
        if caps is None or not caps.configuration:
            self.apply_settings()
            self.engine.settings_ready.set()
            return
        try:
            values = await self.ask_client(
                types.WORKSPACE_CONFIGURATION,
                self.workspace_configuration_async(types.ConfigurationParams(
                    items=[types.ConfigurationItem(section="mlsense")])),
                None, "the defaults and initializationOptions are used")
            settings, well_formed = _settings_in(values)
            if not well_formed:  # (after a timeout or an error reply this adds nothing)
                self.warn_once(types.WORKSPACE_CONFIGURATION,
                               f"the client answered {_short(values)}, not a list of one "
                               "settings object; the defaults and initializationOptions are used")
            self.apply_settings(settings)
        finally:
            self.engine.settings_ready.set()  # analysis never waits on the client for long

    async def ask_client(self, method: str, request: Awaitable[T], fallback: T,
                         consequence: str) -> T:
        """A request to the client with a time limit: a failed, late or malformed answer is
        logged (one warning per method for the session) and ``fallback`` is used instead."""
        try:
            return await asyncio.wait_for(request, CLIENT_REQUEST_TIMEOUT_S)
        except TimeoutError:
            problem = f"no answer in {CLIENT_REQUEST_TIMEOUT_S:g} s"
        except Exception as exc:  # an error reply, or one pygls could not read
            problem = f"{type(exc).__name__}: {exc}"
        self.warn_once(method, f"{problem}; {consequence}")
        return fallback

    def warn_once(self, method: str, problem: str) -> None:
        """One warning per server-to-client method whose answers were unusable."""
        self.warn_about_client(
            f"mlsense: the client's answer to {method} was unusable: {problem}", key=method)

    # -- diagnostics -----------------------------------------------------------------------
    def reanalyse_all(self) -> None:
        if self.pull_diagnostics:
            caps = self.client_capabilities.workspace
            if caps is not None and caps.diagnostics is not None and caps.diagnostics.refresh_support:
                self.workspace_diagnostic_refresh(None)
            return
        for state in list(self.engine.documents.values()):
            self.engine.schedule(state, delay=0)

    def publish(self, state: OpenDocument, analyzed: AnalyzedVersion) -> None:
        if self.notebooks.owns(state.uri):
            self.notebooks.publish(state, analyzed)
        elif not self.pull_diagnostics:
            self.text_document_publish_diagnostics(types.PublishDiagnosticsParams(
                uri=state.uri, diagnostics=analyzed.diagnostics, version=analyzed.version))

    def debug_info(self) -> dict[str, Any]:
        """What a test (or a bug report) needs: heavy frameworks loaded? memory, versions."""
        import libcst
        import lsprotocol
        import pygls

        return {
            "heavyModules": sorted(m for m in HEAVY_FRAMEWORKS if m in sys.modules),
            "rssBytes": _rss_bytes(),
            "pid": os.getpid(),
            "python": sys.version.split()[0],
            "versions": {"mlsense": __version__, "pygls": _version(pygls),
                         "lsprotocol": _version(lsprotocol), "libcst": _version(libcst)},
            "positionEncoding": self.engine.encoder.encoding,
            "pullDiagnostics": self.pull_diagnostics,
            "openDocuments": len(self.engine.documents),
            "openNotebooks": len(self.notebooks.layouts),
            "analyses": self.engine.analyses,
            "settings": {"enable": self.settings.enable, "debounceMs": self.settings.debounce_ms,
                         "select": self.settings.select, "ignore": self.settings.ignore,
                         "severity": {k: v.label for k, v in self.settings.severity.items()},
                         "plugins": list(self.settings.plugins)},
        }


def _settings_in(values: Any) -> tuple[Any, bool]:
    """The settings object in a ``workspace/configuration`` answer (None if none), and whether
    the answer had the protocol's shape: a list with one object or null per item asked for.
    pygls hands a JSON array over as a list or tuple, a JSON object as a namedtuple."""
    if not isinstance(values, list | tuple) or hasattr(values, "_fields") or not values:
        return None, False
    item = values[0]
    if item is None:
        return None, True
    if isinstance(unwrap_settings(item), Mapping):
        return item, True
    return None, False


def _short(value: Any, limit: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "..."


def _version(module: Any) -> str:
    try:
        from importlib.metadata import version
        return version(module.__name__)
    except Exception:
        return getattr(module, "__version__", "unknown")


def _rss_bytes() -> int:
    """Current resident set size (Linux /proc; peak RSS elsewhere)."""
    try:
        with open("/proc/self/statm", encoding="ascii") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        import resource
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def hover_for(server: MlsenseLanguageServer, uri: str, position: types.Position) -> types.Hover | None:
    """Rule documentation under ``position`` (a ``# noqa:`` code or one of our diagnostics)."""
    return hover_at(server, uri, position)


def _path_of(uri: str) -> str | None:
    return to_fs_path(uri) if uri.startswith("file:") else None


def create_server() -> MlsenseLanguageServer:
    """A server with every feature registered (used by ``start`` and by tests)."""
    server = MlsenseLanguageServer()
    _register_lifecycle(server)
    _register_documents(server)
    register_notebook_features(server)
    register_verification(server)
    _register_requests(server)
    return server


def _load_engine() -> None:
    from ...analyzers.registry import all_rules

    all_rules()


def _register_lifecycle(server: MlsenseLanguageServer) -> None:
    @server.feature(types.INITIALIZE)
    def initialize(ls: MlsenseLanguageServer, params: types.InitializeParams) -> None:
        caps = params.capabilities
        encoding = ServerCapabilitiesBuilder.choose_position_encoding(caps)
        ls.engine.encoder = PositionEncoder(encoding)
        ls.pull_diagnostics = caps.text_document is not None \
            and caps.text_document.diagnostic is not None
        options = unwrap_settings(params.initialization_options)
        ls._init_settings = dict(options) if isinstance(options, dict) else {}
        settings, _ = parse_settings(ls._init_settings)
        ls.settings = settings  # warnings are logged once initialized (the client listens then)
        # libcst and the rules take ~0.3 s to import: answer `initialize` first, load them now.
        threading.Thread(target=_load_engine, name="mlsense-load-engine", daemon=True).start()

    @server.feature(types.INITIALIZED)
    async def initialized(ls: MlsenseLanguageServer, params: types.InitializedParams) -> None:
        ls.loop = asyncio.get_running_loop()
        ls.log(f"mlsense {__version__} language server started (pid {os.getpid()}, Python "
               f"{sys.version.split()[0]}, positions in {ls.engine.encoder.encoding}, "
               f"{'pull' if ls.pull_diagnostics else 'push'} diagnostics)")
        await ls.pull_settings()

    @server.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
    async def did_change_configuration(ls: MlsenseLanguageServer,
                                       params: types.DidChangeConfigurationParams) -> None:
        pushed = unwrap_settings(params.settings)
        if isinstance(pushed, dict):
            ls._pushed_settings = dict(pushed)
        await ls.pull_settings()

    @server.feature(types.SHUTDOWN)
    def shutdown(ls: MlsenseLanguageServer, params: None) -> None:
        ls.engine.shutdown()
        ls.verifier.close()
        _cancel_pending_requests(ls)


def _cancel_pending_requests(ls: MlsenseLanguageServer) -> None:
    """Cancel the requests still running (a verification...) before pygls does: pygls 2.1
    cancels them while iterating the dict their callbacks remove them from, and the shutdown
    request then fails with "dictionary changed size during iteration"."""
    futures = getattr(ls.protocol, "_request_futures", None)
    if not isinstance(futures, dict):
        return
    current = ls.protocol.msg_id
    for msg_id, future in list(futures.items()):
        if msg_id != current and not future.done():
            future.cancel()


def _register_documents(server: MlsenseLanguageServer) -> None:
    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: MlsenseLanguageServer, params: types.DidOpenTextDocumentParams) -> None:
        doc = params.text_document
        state = ls.engine.open(doc.uri, _path_of(doc.uri), doc.text, doc.version)
        if not ls.pull_diagnostics:
            ls.engine.schedule(state, delay=0)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: MlsenseLanguageServer, params: types.DidChangeTextDocumentParams) -> None:
        doc = params.text_document
        state = ls.engine.change(doc.uri, doc.version, params.content_changes)
        if state is not None and not ls.pull_diagnostics:
            ls.engine.schedule(state)

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE)
    def did_save(ls: MlsenseLanguageServer, params: types.DidSaveTextDocumentParams) -> None:
        state = ls.engine.documents.get(params.text_document.uri)
        if state is not None:
            ls.engine.refresh(state)  # re-read its pyproject configuration
            if not ls.pull_diagnostics:
                ls.engine.schedule(state, delay=0)

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: MlsenseLanguageServer, params: types.DidCloseTextDocumentParams) -> None:
        ls.engine.close(params.text_document.uri)
        if not ls.pull_diagnostics:
            ls.text_document_publish_diagnostics(types.PublishDiagnosticsParams(
                uri=params.text_document.uri, diagnostics=[]))


def _register_requests(server: MlsenseLanguageServer) -> None:
    @server.feature(types.TEXT_DOCUMENT_DIAGNOSTIC, types.DiagnosticOptions(
        identifier="mlsense", inter_file_dependencies=False, workspace_diagnostics=False))
    async def diagnostic(ls: MlsenseLanguageServer, params: types.DocumentDiagnosticParams
                         ) -> types.DocumentDiagnosticReport:
        if ls.notebooks.notebook_of(params.text_document.uri) is not None:
            return await ls.notebooks.pull(params.text_document.uri, params.previous_result_id)
        state = ls.engine.documents.get(params.text_document.uri)
        if state is not None and ls.notebooks.owns(state.uri):
            state = None  # a notebook's diagnostics belong to its cells
        analyzed = await ls.engine.current(state) if state is not None else None
        if analyzed is None:
            return types.RelatedFullDocumentDiagnosticReport(items=[])
        if params.previous_result_id == analyzed.result_id:
            return types.RelatedUnchangedDocumentDiagnosticReport(result_id=analyzed.result_id)
        return types.RelatedFullDocumentDiagnosticReport(items=analyzed.diagnostics,
                                                         result_id=analyzed.result_id)

    @server.feature(types.TEXT_DOCUMENT_CODE_ACTION, types.CodeActionOptions(code_action_kinds=[
        types.CodeActionKind.QuickFix, FIX_ALL_KIND, types.CodeActionKind.RefactorRewrite]))
    async def code_action(ls: MlsenseLanguageServer, params: types.CodeActionParams
                          ) -> list[types.CodeAction] | None:
        ws = ls.client_capabilities.workspace
        versioned = bool(ws and ws.workspace_edit and ws.workspace_edit.document_changes)
        if ls.notebooks.notebook_of(params.text_document.uri) is not None:
            return await ls.notebooks.code_actions(params, versioned)
        state = ls.engine.documents.get(params.text_document.uri)
        if state is None or ls.notebooks.owns(state.uri):
            return None
        analyzed = await ls.engine.current(state)
        if analyzed is None:
            return None
        return ActionBuilder(state, analyzed, ls.engine.encoder, versioned).build(params)

    @server.feature(types.TEXT_DOCUMENT_INLAY_HINT,
                    types.InlayHintOptions(resolve_provider=False))
    async def inlay_hint(ls: MlsenseLanguageServer,
                         params: types.InlayHintParams) -> list[types.InlayHint] | None:
        uri = params.text_document.uri
        state = ls.engine.documents.get(uri)
        if state is None or ls.notebooks.owns(uri):
            return None
        analyzed = await ls.engine.current(state)  # the hints of the text the client has
        if analyzed is None or analyzed.parse is None:
            return []  # not analysed: disabled, or too large
        return inlay_hints(analyzed.parse, analyzed.lines, ls.engine.encoder, ls.settings,
                           params.range)

    @server.feature(types.TEXT_DOCUMENT_COMPLETION,
                    types.CompletionOptions(trigger_characters=TRIGGERS))
    async def completion(ls: MlsenseLanguageServer,
                         params: types.CompletionParams) -> types.CompletionList | None:
        uri = params.text_document.uri
        state = ls.engine.documents.get(uri)
        if state is None or ls.notebooks.owns(uri):
            return None
        analyzed = await ls.engine.current(state)  # the text the client has, analysed
        if analyzed is None or analyzed.parse is None:
            return None
        items = size_completions(analyzed.parse, analyzed.lines, ls.engine.encoder,
                                 params.position)
        # Incomplete: the answer depends on the text typed next, not only on a prefix.
        return types.CompletionList(is_incomplete=True, items=items) if items else None

    @server.feature(types.TEXT_DOCUMENT_CODE_LENS, types.CodeLensOptions(resolve_provider=False))
    async def code_lens(ls: MlsenseLanguageServer,
                        params: types.CodeLensParams) -> list[types.CodeLens] | None:
        uri = params.text_document.uri
        state = ls.engine.documents.get(uri)
        if state is None or ls.notebooks.owns(uri) or not uri.startswith("file:"):
            return None  # translation starts from files only
        analyzed = await ls.engine.current(state)
        if analyzed is None or analyzed.parse is None:
            return []
        text = "".join(analyzed.lines)
        return code_lenses(uri, text, state.analyzer, ls.verifications,
                           ls.verifier.refusal() is None, ls.engine.encoder, analyzed.lines)

    @server.command(REPORT_COMMAND)
    def verification_report(ls: MlsenseLanguageServer, *args: Any) -> dict[str, Any]:
        from ...analyzers.models import find_model_definitions

        uri = command_argument(args, REPORT_COMMAND).get("uri")
        state = ls.engine.documents.get(uri) if isinstance(uri, str) else None
        models = len(find_model_definitions(str(state.doc.text), state.analyzer)) if state else 1
        return stored_report(ls.verifications, args, models)

    @server.feature(types.TEXT_DOCUMENT_HOVER)
    def hover(ls: MlsenseLanguageServer, params: types.HoverParams) -> types.Hover | None:
        # Synchronous on purpose: it reads the last analysis and never waits for a new one.
        return hover_for(ls, params.text_document.uri, params.position)

    @server.command(TRANSLATE_COMMAND)
    async def translate_framework(ls: MlsenseLanguageServer, *args: Any) -> dict[str, Any]:
        uri, target, class_name, input_shape = parse_translate_arguments(args)
        text = document_text(ls, uri, TRANSLATE_COMMAND)
        return await translate_document(ls, uri, text, target, class_name, input_shape,
                                        verify=wants_verification(args))

    @server.feature(DEBUG_INFO)
    def debug_info(ls: MlsenseLanguageServer, params: Any) -> dict[str, Any]:
        return ls.debug_info()


def start(mode: str = "stdio", host: str = "127.0.0.1", port: int = 2087) -> None:
    """Run the language server over stdio, TCP or WebSocket until the client exits."""
    logging.basicConfig(level=os.environ.get("MLSENSE_LOG_LEVEL", "WARNING").upper(),
                        stream=sys.stderr, format="mlsense %(levelname)s %(name)s: %(message)s")
    server = create_server()
    if mode == "stdio":
        server.start_io()
    elif mode == "tcp":
        server.start_tcp(host, port)
    elif mode == "ws":
        try:
            import websockets  # noqa: F401  (pygls needs it for WebSocket transport)
        except ImportError:
            raise SystemExit("mlsense serve --ws needs the `websockets` package "
                             "(pip install websockets)") from None
        server.start_ws(host, port)
    else:
        raise ValueError(f"unknown transport {mode!r} (use stdio, tcp or ws)")


if __name__ == "__main__":
    start()
