"""Initialization: what the server advertises, and that it answers promptly."""

from __future__ import annotations

import time

from lsprotocol import types
from pytest_lsp import LanguageClient

from .lsp_helpers import debug_info, init


async def test_initialize_capabilities_and_timing(client: LanguageClient) -> None:
    started = time.monotonic()
    result = await init(client)
    elapsed = time.monotonic() - started
    # Generous bound for a loaded 2-core CI machine; a typical start takes well under 1 s.
    assert elapsed < 10, elapsed
    caps = result.capabilities
    assert result.server_info is not None and result.server_info.name == "mlsense"
    sync = caps.text_document_sync
    assert isinstance(sync, types.TextDocumentSyncOptions)
    assert sync.change == types.TextDocumentSyncKind.Incremental and sync.open_close
    assert caps.position_encoding == types.PositionEncodingKind.Utf16
    assert isinstance(caps.code_action_provider, types.CodeActionOptions)
    assert set(caps.code_action_provider.code_action_kinds or []) == {
        "quickfix", "source.fixAll.mlsense", "refactor.rewrite"}
    assert caps.execute_command_provider is not None
    assert "mlsense.translateFramework" in caps.execute_command_provider.commands
    assert isinstance(caps.diagnostic_provider, types.DiagnosticOptions)
    started = time.monotonic()
    info = await debug_info(client)
    assert time.monotonic() - started < 5
    assert info["positionEncoding"] == "utf-16" and info["pullDiagnostics"] is False
    assert any("language server started" in m.message for m in client.log_messages)
