"""Faults from clients the server must survive, each against a real ``mlsense serve`` process:
after every one the server still answers, and its answers are right.

* changes to a document that was never opened, versions going backwards, ranges past the end,
  positions that split a UTF-16 surrogate pair or lie past a line's end;
* a 20 MB document; 1,000 documents opened at once;
* ``workspace/configuration`` answered with ``null`` or never answered;
* a bounded run of random JSON-RPC messages (hypothesis), after which a normal request still
  gets a right answer.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import pytest
import pytest_lsp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient
from pytest_lsp.client import DEFAULT_CLIENT_FEATURES, register_lsp_features

from mlsense.analyzers import analyze_text

from .lsp_helpers import (
    EXAMPLES,
    SERVER_COMMAND,
    SERVER_ENV,
    change_doc,
    debug_info,
    init,
    make_client,
    open_doc,
    uri_for,
    wait_published,
)
from .raw_client import RawServer

KERAS = (EXAMPLES / "keras_regression.py").read_text(encoding="utf-8")
TORCH = (EXAMPLES / "torch_regression.py").read_text(encoding="utf-8")


def codes(params: types.PublishDiagnosticsParams) -> list[str]:
    return [str(d.code) for d in params.diagnostics]


def expected(text: str) -> list[str]:
    return [f.code for f in analyze_text(text).findings]


def warnings(client: LanguageClient) -> list[str]:
    return [m.message for m in client.log_messages if m.type == types.MessageType.Warning]


async def test_change_to_a_document_never_opened(client: LanguageClient, tmp_path: Path) -> None:
    await init(client)
    ghost = uri_for(tmp_path, "ghost.py")
    change_doc(client, ghost, 2, KERAS)
    change_doc(client, ghost, 3, "x = 1\n", types.Range(types.Position(0, 0),
                                                       types.Position(0, 0)))
    uri = uri_for(tmp_path)
    open_doc(client, uri, KERAS)
    assert codes(await wait_published(client, uri, 1)) == expected(KERAS)
    assert not [p for p in client.published if p.uri == ghost]  # type: ignore[attr-defined]
    assert any("ghost.py, which is not open" in m for m in warnings(client))


async def test_versions_going_backwards(client: LanguageClient, tmp_path: Path) -> None:
    await init(client)
    uri = uri_for(tmp_path)
    open_doc(client, uri, KERAS, version=5)
    await wait_published(client, uri, 5)
    change_doc(client, uri, 3, TORCH)  # older than what the server has
    assert codes(await wait_published(client, uri, 3)) == expected(TORCH)
    change_doc(client, uri, 6, KERAS)
    assert codes(await wait_published(client, uri, 6)) == expected(KERAS)
    assert any("went from version 5 back to 3" in m for m in warnings(client))


async def test_ranges_past_the_end_and_broken_utf16_offsets(client: LanguageClient,
                                                            tmp_path: Path) -> None:
    await init(client)
    uri = uri_for(tmp_path)
    head = "label = '\U0001F600'\n"  # one code point, two UTF-16 units
    open_doc(client, uri, head)
    await wait_published(client, uri, 1)
    # Past the last line: appended at the end (as VS Code clamps).
    far = types.Position(10_000, 10_000)
    change_doc(client, uri, 2, KERAS, types.Range(far, far))
    assert codes(await wait_published(client, uri, 2)) == expected(head + KERAS)
    # Inside the surrogate pair, and past the end of a line: clamped, never a crash (the
    # string is closed again whichever side of the emoji the cut lands on).
    split = types.Position(0, 10)
    change_doc(client, uri, 3, "'", types.Range(split, types.Position(0, 500)))
    published = await wait_published(client, uri, 3)
    assert codes(published) == expected(head + KERAS)
    assert published.diagnostics[0].range.start.line == 1 + next(
        i for i, line in enumerate(KERAS.splitlines()) if "input_shape" in line)
    # Start after end: taken as the same range the other way round.
    change_doc(client, uri, 4, "", types.Range(types.Position(1, 0), types.Position(0, 0)))
    assert codes(await wait_published(client, uri, 4)) == expected(KERAS)


async def test_a_20_mb_document_is_refused_politely(client: LanguageClient,
                                                    tmp_path: Path) -> None:
    await init(client)
    big = uri_for(tmp_path, "big.py")
    line = "x = [" + "1, " * 30 + "]\n"
    text = KERAS + line * (20 * 2**20 // len(line))
    open_doc(client, big, text)
    started = time.monotonic()
    info = await debug_info(client)
    assert time.monotonic() - started < 10
    assert list((await wait_published(client, big, 1, timeout=60)).diagnostics) == []
    assert any("big.py is not analysed" in m for m in warnings(client))
    assert info["rssBytes"] < 1.5 * 2**30
    small = uri_for(tmp_path)
    open_doc(client, small, KERAS)
    assert codes(await wait_published(client, small, 1)) == expected(KERAS)
    # Cut back below the limit, the same document is analysed again.
    change_doc(client, big, 2, KERAS)
    assert codes(await wait_published(client, big, 2)) == expected(KERAS)


async def test_a_thousand_documents_at_once(client: LanguageClient, tmp_path: Path) -> None:
    await init(client)
    uris = [uri_for(tmp_path, f"m{i}.py") for i in range(1000)]
    for i, uri in enumerate(uris):
        open_doc(client, uri, KERAS if i % 2 else TORCH)
    started = time.monotonic()
    info = await debug_info(client)  # answered while they are analysed
    assert time.monotonic() - started < 10 and info["openDocuments"] == 1000
    for i, uri in enumerate(uris):
        got = codes(await wait_published(client, uri, 1, timeout=180))
        assert got == expected(KERAS if i % 2 else TORCH), uri
    assert (await debug_info(client))["rssBytes"] < 1.5 * 2**30


# -- clients that answer workspace/configuration badly -------------------------------------
def _client_answering(answer: Any) -> LanguageClient:
    client = make_client()

    async def configuration(params: types.ConfigurationParams) -> Any:
        if answer == "late":  # past the server's 5 s limit
            await asyncio.sleep(7)
            client.answered_late = True  # type: ignore[attr-defined]
            return [{"select": ["MLS9"]}]
        return answer

    # Replace pytest-lsp's handler: a fresh client gets the defaults, then ours.
    features = {**DEFAULT_CLIENT_FEATURES}
    features.pop(types.WORKSPACE_CONFIGURATION)
    client.protocol.fm.features.pop(types.WORKSPACE_CONFIGURATION, None)
    register_lsp_features(client, {types.WORKSPACE_CONFIGURATION: configuration})
    return client


def _config(answer: Any) -> ClientServerConfig:
    return ClientServerConfig(server_command=SERVER_COMMAND, server_env=SERVER_ENV,
                              client_factory=lambda: _client_answering(answer))


@pytest_lsp.fixture(config=_config(None))
async def null_config_client(lsp_client: LanguageClient):
    yield
    await lsp_client.shutdown_session()


@pytest_lsp.fixture(config=_config({"select": ["MLS301"]}))
async def object_config_client(lsp_client: LanguageClient):
    yield
    await lsp_client.shutdown_session()


@pytest_lsp.fixture(config=_config("late"))
async def silent_config_client(lsp_client: LanguageClient):
    yield
    await lsp_client.shutdown_session()


async def test_configuration_answered_null(null_config_client: LanguageClient,
                                           tmp_path: Path) -> None:
    await _falls_back_to_defaults(null_config_client, tmp_path)


async def test_configuration_answered_with_an_object(object_config_client: LanguageClient,
                                                     tmp_path: Path) -> None:
    await _falls_back_to_defaults(object_config_client, tmp_path)


async def test_configuration_answered_too_late(silent_config_client: LanguageClient,
                                               tmp_path: Path) -> None:
    await _falls_back_to_defaults(silent_config_client, tmp_path)
    while not getattr(silent_config_client, "answered_late", False):
        await asyncio.sleep(0.1)
    # The late answer is dropped: the settings in force stay those of initializationOptions.
    uri = uri_for(tmp_path, "after.py")
    open_doc(silent_config_client, uri, KERAS)
    assert codes(await wait_published(silent_config_client, uri, 1)) == ["MLS301"]


async def _falls_back_to_defaults(client: LanguageClient, tmp_path: Path) -> None:
    await init(client, {"select": ["MLS3"]})
    uri = uri_for(tmp_path)
    open_doc(client, uri, KERAS)
    # Within the request limit (5 s) plus analysis: initializationOptions still apply.
    assert codes(await wait_published(client, uri, 1, timeout=30)) == ["MLS301"]
    change_doc(client, uri, 2, KERAS + "\n")
    assert codes(await wait_published(client, uri, 2)) == ["MLS301"]
    notes = [m for m in warnings(client) if "workspace/configuration was unusable" in m]
    assert len(notes) == 1, client.log_messages


# -- random JSON-RPC ----------------------------------------------------------------------
# Not "shutdown" and "exit": they end the session by design (tested on their own below).
METHODS = ["initialize", "initialized", "textDocument/didOpen",
           "textDocument/didChange", "textDocument/didClose", "textDocument/hover",
           "textDocument/codeAction", "textDocument/diagnostic", "workspace/executeCommand",
           "workspace/didChangeConfiguration", "$/cancelRequest", "$/setTrace",
           "notebookDocument/didOpen", "notebookDocument/didChange", "mlsense/debugInfo",
           "textDocument/inlayHint", "no/such/method"]
JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-2**40, 2**40) | st.floats(allow_nan=False)
    | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
        st.sampled_from(["textDocument", "uri", "text", "version", "range", "position",
                         "contentChanges", "command", "arguments", "id", "settings",
                         "start", "end", "line", "character", "x"]), inner, max_size=5),
    max_leaves=20)
MESSAGES = st.one_of(
    st.fixed_dictionaries({"jsonrpc": st.just("2.0"), "method": st.sampled_from(METHODS),
                           "params": JSON},
                          optional={"id": st.integers(0, 2**31) | st.text(max_size=5)}),
    st.fixed_dictionaries({"jsonrpc": st.just("2.0"),
                           "id": st.integers(0, 2**31) | st.none(),
                           "result": JSON}),
    JSON,
)


@pytest.fixture(scope="module")
def raw_server():
    server = RawServer()
    server.initialize()
    yield server
    server.close()


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(batch=st.lists(MESSAGES | st.binary(max_size=40), min_size=1, max_size=8))
def test_random_messages_then_a_normal_request(raw_server: RawServer, batch: list[Any],
                                               tmp_path_factory: pytest.TempPathFactory) -> None:
    for message in batch:
        if isinstance(message, bytes):
            raw_server.send_bytes(message)
        else:
            raw_server.send(message)
    info = raw_server.request("mlsense/debugInfo", {}, timeout=10)
    assert info["result"]["pid"] == raw_server.proc.pid
    # And real work still gives the right answer.
    uri = (tmp_path_factory.mktemp("doc") / "model.py").as_uri()
    raw_server.notify("textDocument/didOpen", {"textDocument": {
        "uri": uri, "languageId": "python", "version": 1, "text": KERAS}})
    published = raw_server.wait(lambda m: m.get("method") == "textDocument/publishDiagnostics"
                                and m["params"]["uri"] == uri, timeout=10)
    assert [d["code"] for d in published["params"]["diagnostics"]] == expected(KERAS)
    raw_server.notify("textDocument/didClose", {"textDocument": {"uri": uri}})


def test_requests_after_shutdown_get_an_error_not_silence() -> None:
    server = RawServer()
    try:
        server.initialize()
        assert server.request("shutdown", None)["result"] is None
        answer = server.request("mlsense/debugInfo", {}, timeout=10)
        assert answer["error"]["code"] == -32600  # InvalidRequest, as the protocol says
        server.notify("exit", None)
        assert server.proc.wait(timeout=10) == 0
    finally:
        server.close()
