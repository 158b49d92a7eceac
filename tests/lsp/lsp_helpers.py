"""Helpers for the end-to-end tests: a real ``mlsense serve`` process, a pytest-lsp client.

The client advertises VS Code's capabilities; ``init(...)`` lets a test add pull diagnostics,
position encodings or initialization options. The client records every publishDiagnostics
(with its version) and answers ``workspace/applyEdit`` by recording the edit.
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Union

from lsprotocol import types
from pygls.protocol import default_converter
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities
from pytest_lsp.client import DEFAULT_CLIENT_FEATURES, register_lsp_features

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
PLUGINS = Path(__file__).resolve().parent / "plugins"
SERVER_COMMAND = [sys.executable, "-m", "mlsense", "serve"]
SERVER_ENV = {**os.environ, "PYTHONPATH": os.pathsep.join(
    p for p in (str(PLUGINS), os.environ.get("PYTHONPATH", "")) if p)}


def _on_publish(client: LanguageClient, params: types.PublishDiagnosticsParams) -> None:
    client.diagnostics[params.uri] = params.diagnostics
    client.published.append(params)  # type: ignore[attr-defined]


def _on_apply_edit(client: LanguageClient, params: types.ApplyWorkspaceEditParams
                   ) -> types.ApplyWorkspaceEditResult:
    client.applied_edits.append(params)  # type: ignore[attr-defined]
    return types.ApplyWorkspaceEditResult(applied=True)


def _converter() -> Any:
    """pygls' converter, except that a CodeAction carrying a ``command`` object stays a
    CodeAction (lsprotocol 2025.0.0 turns any item with a ``command`` key into a Command)."""
    converter = default_converter()

    def command_or_action(obj: Any, _: type) -> types.Command | types.CodeAction:
        if isinstance(obj.get("command"), str):
            return converter.structure(obj, types.Command)
        return converter.structure(obj, types.CodeAction)

    converter.register_structure_hook(
        Union[types.Command, types.CodeAction], command_or_action)  # noqa: UP007
    return converter


def make_client() -> LanguageClient:
    """pytest-lsp's test client, also recording publications (with versions) and applyEdits."""
    client = LanguageClient(converter_factory=_converter)
    client.published = []  # type: ignore[attr-defined]
    client.applied_edits = []  # type: ignore[attr-defined]
    client.code_lens_refreshes = 0  # type: ignore[attr-defined]
    register_lsp_features(client, {
        **DEFAULT_CLIENT_FEATURES,
        types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS: _on_publish,
        types.WORKSPACE_APPLY_EDIT: _on_apply_edit,
        # VS Code's capabilities (recorded) take workspace/codeLens/refresh: so does this client.
        types.WORKSPACE_CODE_LENS_REFRESH: _on_code_lens_refresh,
    })
    return client


def _on_code_lens_refresh(client: LanguageClient, params: None) -> None:
    client.code_lens_refreshes += 1  # type: ignore[attr-defined]


def vscode_capabilities(pull: bool = False, encodings: list[str] | None = None
                        ) -> types.ClientCapabilities:
    caps = client_capabilities("visual-studio-code")
    if pull:
        assert caps.text_document is not None
        caps.text_document.diagnostic = types.DiagnosticClientCapabilities(
            dynamic_registration=False, related_document_support=False)
    if encodings is not None:
        caps.general = types.GeneralClientCapabilities(position_encodings=encodings)
    return caps


async def init(client: LanguageClient, options: dict[str, Any] | None = None, *,
               pull: bool = False, encodings: list[str] | None = None,
               root: Path | None = None, inlay_refresh: bool = False) -> types.InitializeResult:
    """Initialize the session with VS Code's capabilities and mlsense ``options``
    (``inlay_refresh``: the client also takes workspace/inlayHint/refresh, as VS Code does)."""
    caps = vscode_capabilities(pull, encodings)
    if inlay_refresh:
        assert caps.workspace is not None
        caps.workspace.inlay_hint = types.InlayHintWorkspaceClientCapabilities(
            refresh_support=True)
    return await client.initialize_session(types.InitializeParams(
        capabilities=caps,
        initialization_options=options,
        root_uri=(root or ROOT).as_uri(),
        workspace_folders=[types.WorkspaceFolder(uri=(root or ROOT).as_uri(), name="root")],
    ))


def open_doc(client: LanguageClient, uri: str, text: str, version: int = 1) -> None:
    client.text_document_did_open(types.DidOpenTextDocumentParams(
        text_document=types.TextDocumentItem(uri=uri, language_id="python", version=version,
                                             text=text)))


def change_doc(client: LanguageClient, uri: str, version: int, text: str,
               rng: types.Range | None = None) -> None:
    """Send one change: incremental when ``rng`` is given, else the full text."""
    change: types.TextDocumentContentChangeEvent
    if rng is None:
        change = types.TextDocumentContentChangeWholeDocument(text=text)
    else:
        change = types.TextDocumentContentChangePartial(range=rng, text=text)
    client.text_document_did_change(types.DidChangeTextDocumentParams(
        text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
        content_changes=[change]))


async def wait_published(client: LanguageClient, uri: str, version: int | None = None,
                         timeout: float = 20.0,
                         until: Callable[[list[str]], bool] | None = None,
                         ) -> types.PublishDiagnosticsParams:
    """The first publication for ``uri`` (at ``version`` if given, and whose list of codes
    satisfies ``until`` if given) in ``client.published``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for params in client.published:  # type: ignore[attr-defined]
            if params.uri == uri and (version is None or params.version == version) and (
                    until is None or until([str(d.code) for d in params.diagnostics])):
                return params
        await asyncio.sleep(0.01)
    raise AssertionError(f"no diagnostics published for {uri} version {version} in {timeout}s")


async def pull(client: LanguageClient, uri: str) -> list[types.Diagnostic]:
    report = await client.text_document_diagnostic_async(types.DocumentDiagnosticParams(
        text_document=types.TextDocumentIdentifier(uri=uri)))
    assert isinstance(report, types.RelatedFullDocumentDiagnosticReport), report
    return list(report.items)


async def debug_info(client: LanguageClient) -> dict[str, Any]:
    result = await client.protocol.send_request_async("mlsense/debugInfo", {})
    return _plain(result)


def _plain(value: Any) -> Any:
    """pygls turns untyped results into namedtuples: back to dicts and lists."""
    if hasattr(value, "_asdict"):
        return {k: _plain(v) for k, v in value._asdict().items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def uri_for(tmp_path: Path, name: str = "model.py") -> str:
    return (tmp_path / name).as_uri()


CONFIG = ClientServerConfig(server_command=SERVER_COMMAND, server_env=SERVER_ENV,
                            client_factory=make_client)


def lsp_offset(text: str, position: types.Position) -> int:
    """Offset of an LSP (line, UTF-16 units) position: an implementation independent of the
    server's (lines split on \\r\\n, \\r, \\n only)."""
    i = line = 0
    while line < position.line and i < len(text):
        step = 2 if text.startswith("\r\n", i) else 1
        if text[i] in "\r\n":
            line += 1
        i += step if text[i] in "\r\n" else 1
    if line < position.line:
        return len(text)
    units = 0
    while i < len(text) and text[i] not in "\r\n" and units < position.character:
        units += 2 if ord(text[i]) > 0xFFFF else 1
        i += 1
    return i


def edits_in(edit: types.WorkspaceEdit, uri: str) -> list[types.TextEdit]:
    """The text edits a workspace edit makes to ``uri`` (changes or documentChanges)."""
    out: list[types.TextEdit] = list((edit.changes or {}).get(uri, []))
    for change in edit.document_changes or []:
        if isinstance(change, types.TextDocumentEdit) and change.text_document.uri == uri:
            out.extend(e for e in change.edits if isinstance(e, types.TextEdit))
    return out


def apply_edits(text: str, edits: list[types.TextEdit]) -> str:
    """Apply non-overlapping LSP text edits the way an editor does."""
    spans = sorted(((lsp_offset(text, e.range.start), lsp_offset(text, e.range.end), e.new_text)
                    for e in edits), reverse=True)
    for start, end, new in spans:
        text = text[:start] + new + text[end:]
    return text


async def code_actions(client: LanguageClient, uri: str, rng: types.Range,
                       diagnostics: list[types.Diagnostic] | None = None,
                       only: list[str] | None = None) -> list[types.CodeAction]:
    result = await client.text_document_code_action_async(types.CodeActionParams(
        text_document=types.TextDocumentIdentifier(uri=uri), range=rng,
        context=types.CodeActionContext(diagnostics=diagnostics or [], only=only)))
    return [a for a in result or [] if isinstance(a, types.CodeAction)]
