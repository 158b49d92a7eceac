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
from pathlib import Path
from typing import Any

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


def make_client() -> LanguageClient:
    """pytest-lsp's test client, also recording publications (with versions) and applyEdits."""
    client = LanguageClient(converter_factory=default_converter)
    client.published = []  # type: ignore[attr-defined]
    client.applied_edits = []  # type: ignore[attr-defined]
    register_lsp_features(client, {
        **DEFAULT_CLIENT_FEATURES,
        types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS: _on_publish,
        types.WORKSPACE_APPLY_EDIT: _on_apply_edit,
    })
    return client


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
               root: Path | None = None) -> types.InitializeResult:
    """Initialize the session with VS Code's capabilities and mlsense ``options``."""
    return await client.initialize_session(types.InitializeParams(
        capabilities=vscode_capabilities(pull, encodings),
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
                         timeout: float = 20.0) -> types.PublishDiagnosticsParams:
    """The first publication for ``uri`` (at ``version`` if given) not consumed yet."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for params in client.published:  # type: ignore[attr-defined]
            if params.uri == uri and (version is None or params.version == version):
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
