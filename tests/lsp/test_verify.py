"""``mlsense.verifyTranslation``: both models run in the verifier's worker (never in the server),
with cancellable ``$/progress``; refused where the workspace is not trusted."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pytest_lsp import LanguageClient

from .lsp_helpers import EXAMPLES, _plain, debug_info, init, open_doc, uri_for, wait_published

TORCH = (EXAMPLES / "torch_regression.py").read_text(encoding="utf-8")
KERAS = (EXAMPLES / "keras_regression.py").read_text(encoding="utf-8")
VERIFY = "mlsense.verifyTranslation"
REQUEST_CANCELLED = -32800


async def _verify(client: LanguageClient, **arguments: Any) -> dict[str, Any]:
    result = await client.workspace_execute_command_async(types.ExecuteCommandParams(
        command=VERIFY, arguments=[arguments]))
    return dict(_plain(result))


def _progress(client: LanguageClient) -> list[list[Any]]:
    return [list(v) for k, v in client.progress_reports.items() if str(k).startswith("mlsense")]


async def _wait_for_begin(client: LanguageClient, count: int) -> Any:
    """The token of the ``count``-th verification progress once it has begun."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        begun = [t for t, v in client.progress_reports.items()
                 if any(isinstance(x, types.WorkDoneProgressBegin) for x in v)]
        if len(begun) >= count:
            return begun[count - 1]
        await asyncio.sleep(0.01)
    raise AssertionError("no $/progress begin")


async def test_untrusted_workspace_refuses(client: LanguageClient, tmp_path: Path) -> None:
    await init(client, {"workspaceTrusted": False,
                        "verification": {"enabled": True, "device": "cpu", "timeoutS": 60}})
    uri = uri_for(tmp_path, "regression.py")
    open_doc(client, uri, TORCH)
    with pytest.raises(JsonRpcException) as err:
        await _verify(client, uri=uri, target="keras")
    assert "disabled in untrusted workspaces" in str(err.value)
    # translateFramework with verify: the translation still comes, its verification is refused
    result = dict(_plain(await client.workspace_execute_command_async(types.ExecuteCommandParams(
        command="mlsense.translateFramework", arguments=[{"uri": uri, "target": "keras",
                                                          "verify": True}]))))
    assert "class Net(keras.Model)" in result["targetCode"]
    verification = dict(result["verification"])
    assert verification["verified"] is False
    assert "disabled in untrusted workspaces" in verification["message"]
    # verification.enabled false refuses as well, even in a trusted workspace
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(
        settings={"mlsense": {"workspaceTrusted": True, "verification": {"enabled": False}}}))
    await asyncio.sleep(0.2)
    with pytest.raises(JsonRpcException) as again:
        await _verify(client, uri=uri, target="keras")
    assert "disabled in untrusted workspaces" in str(again.value)
    with pytest.raises(JsonRpcException) as bad:
        await _verify(client, uri=uri, target="keras", device="tpu")
    assert "`device` must be one of cpu, cuda, all" in str(bad.value)
    info = await debug_info(client)
    assert info["heavyModules"] == []


@pytest.mark.slow
async def test_verification_both_directions_warm_second_run(client: LanguageClient,
                                                            tmp_path: Path) -> None:
    await init(client, {"verification": {"device": "cpu", "timeoutS": 240}})
    torch_uri = uri_for(tmp_path, "torch_regression.py")
    keras_uri = uri_for(tmp_path, "keras_regression.py")
    open_doc(client, torch_uri, TORCH)  # unsaved: the server verifies the editor's text
    (tmp_path / "keras_regression.py").write_text(KERAS, encoding="utf-8")  # from disk

    first = await _verify(client, uri=torch_uri, target="keras", device="cpu")
    assert first["verified"] is True, first["message"]
    assert first["devices"] == ["cpu"] and first["cancelled"] is False
    assert first["max_abs_error"] is not None and first["max_abs_error"] < 1e-4
    [reports] = _progress(client)
    assert isinstance(reports[0], types.WorkDoneProgressBegin) and reports[0].cancellable
    assert isinstance(reports[-1], types.WorkDoneProgressEnd)
    assert any(isinstance(r, types.WorkDoneProgressReport) for r in reports)

    start = time.monotonic()
    second = await _verify(client, uri=keras_uri, target="pytorch")
    elapsed = time.monotonic() - start
    print(f"second verification in the same session (warm worker): {elapsed:.2f} s")
    assert second["verified"] is True, second["message"]
    assert elapsed < 20
    assert len(_progress(client)) == 2

    # translateFramework with verify: the same result shape in its `verification` field
    translated = dict(_plain(await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command="mlsense.translateFramework", arguments=[
            {"uri": torch_uri, "target": "keras", "verify": True}]))))
    verification = dict(translated["verification"])
    assert verification["verified"] is True and verification["devices"] == ["cpu"]
    assert len(_progress(client)) == 3
    info = await debug_info(client)
    assert info["heavyModules"] == []  # the models ran in the worker subprocess


@pytest.mark.slow
async def test_cancel_right_after_begin(client: LanguageClient, tmp_path: Path) -> None:
    await init(client)
    uri = uri_for(tmp_path, "regression.py")
    open_doc(client, uri, TORCH)
    await wait_published(client, uri, 1)

    # window/workDoneProgress/cancel: the command answers promptly with a cancelled result.
    task = asyncio.ensure_future(_verify(client, uri=uri, target="keras"))
    token = await _wait_for_begin(client, 1)
    start = time.monotonic()
    client.window_work_done_progress_cancel(types.WorkDoneProgressCancelParams(token=token))
    result = await asyncio.wait_for(task, 10)
    print(f"cancelled verification answered in {time.monotonic() - start:.2f} s")
    assert result["cancelled"] is True and result["verified"] is False
    assert "cancelled" in result["message"]
    assert isinstance(client.progress_reports[token][-1], types.WorkDoneProgressEnd)

    # $/cancelRequest: pygls answers RequestCancelled; the verification stops with it.
    msg_id = "verify-to-cancel"
    request = asyncio.ensure_future(client.protocol.send_request_async(
        types.WORKSPACE_EXECUTE_COMMAND, types.ExecuteCommandParams(
            command=VERIFY, arguments=[{"uri": uri, "target": "keras"}]), msg_id=msg_id))
    token = await _wait_for_begin(client, 2)
    client.protocol.notify(types.CANCEL_REQUEST, types.CancelParams(id=msg_id))
    with pytest.raises(JsonRpcException) as err:
        await asyncio.wait_for(request, 10)
    assert err.value.code == REQUEST_CANCELLED
    deadline = time.monotonic() + 10
    while not isinstance(client.progress_reports[token][-1], types.WorkDoneProgressEnd):
        assert time.monotonic() < deadline, "the cancelled verification did not end"
        await asyncio.sleep(0.02)
    assert client.progress_reports[token][-1].message == "verification cancelled"

    # The server stays healthy: it still analyses and answers.
    open_doc(client, uri_for(tmp_path, "other.py"), "import torch\nx = torch.zeros(3)\n")
    await wait_published(client, uri_for(tmp_path, "other.py"), 1)
    info = await debug_info(client)
    assert info["heavyModules"] == []


@pytest.mark.slow
async def test_shutdown_during_verification_answers_promptly(client: LanguageClient,
                                                             tmp_path: Path) -> None:
    await init(client)
    uri = uri_for(tmp_path, "regression.py")
    open_doc(client, uri, TORCH)
    task = asyncio.ensure_future(_verify(client, uri=uri, target="keras"))
    await _wait_for_begin(client, 1)
    start = time.monotonic()
    client.session_ended = True  # type: ignore[attr-defined]
    # shutdown, exit, and the server process gone (pygls 2.1 failed this shutdown request
    # while a command was running: see lsp._cancel_pending_requests)
    await asyncio.wait_for(client.shutdown_session(), 10)
    print(f"shutdown during a verification took {time.monotonic() - start:.2f} s")
    with pytest.raises(JsonRpcException) as err:
        await asyncio.wait_for(task, 5)
    assert err.value.code == REQUEST_CANCELLED


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(c) for c in (task / "children").read_text().split()]
    return found


async def test_worker_killed_mid_run_gives_a_result_and_the_next_run_works(
        client: LanguageClient, tmp_path: Path) -> None:
    await init(client)
    sleepy = tmp_path / "sleepy.py"
    sleepy.write_text("import time\n_ = time.sleep(60)\n" + TORCH, encoding="utf-8")
    uri = sleepy.as_uri()
    open_doc(client, uri, sleepy.read_text(encoding="utf-8"))
    await wait_published(client, uri, 1)
    server_pid = (await debug_info(client))["pid"]
    task = asyncio.ensure_future(_verify(client, uri=uri, target="keras"))
    await _wait_for_begin(client, 1)
    deadline = time.monotonic() + 30
    while not (workers := _children(server_pid)):
        assert time.monotonic() < deadline, "no verification worker started"
        await asyncio.sleep(0.05)
    await asyncio.sleep(1)  # the worker is in the user's module now
    for pid in workers:
        os.kill(pid, signal.SIGKILL)
    result = await asyncio.wait_for(task, 15)
    assert result["verified"] is False
    assert "worker exited" in result["message"], result["message"]
    # The server restarts the worker for the next verification.
    good = uri_for(tmp_path, "regression.py")
    open_doc(client, good, TORCH)
    assert (await asyncio.wait_for(_verify(client, uri=good, target="keras"), 120))["verified"]
