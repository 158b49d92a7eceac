"""``mlsense.translateFramework``: creates a sibling through the client, never overwrites,
reports untranslatable code as a located error."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pytest_lsp import LanguageClient

from .lsp_helpers import EXAMPLES, debug_info, init, open_doc, uri_for, wait_published

TORCH = (EXAMPLES / "torch_regression.py").read_text(encoding="utf-8")


async def _translate(client: LanguageClient, **arguments: object) -> dict:
    result = await client.workspace_execute_command_async(types.ExecuteCommandParams(
        command="mlsense.translateFramework", arguments=[arguments]))
    return _plain(result)


def _plain(value: object) -> object:
    if hasattr(value, "_asdict"):
        return {k: _plain(v) for k, v in value._asdict().items()}  # type: ignore[attr-defined]
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


async def test_translation_creates_the_sibling_through_the_client(client: LanguageClient,
                                                                  tmp_path: Path) -> None:
    await init(client)
    uri = uri_for(tmp_path, "regression.py")
    open_doc(client, uri, TORCH)
    await wait_published(client, uri, 1)
    result = await _translate(client, uri=uri, target="keras")
    target = tmp_path / "regression_keras.py"
    assert result["targetUri"] == target.as_uri()
    assert result["exists"] is False and result["applied"] is True
    assert "keras" in result["targetCode"] and "class Net(keras.Model)" in result["targetCode"]
    compile(result["targetCode"], "regression_keras.py", "exec")
    [edit] = client.applied_edits  # type: ignore[attr-defined]
    create, insert = edit.edit.document_changes
    assert isinstance(create, types.CreateFile) and create.uri == target.as_uri()
    assert create.options is not None and not create.options.overwrite
    assert isinstance(insert, types.TextDocumentEdit)
    assert insert.edits[0].new_text == result["targetCode"]
    assert not target.exists()  # the server writes nothing itself: the client applies the edit
    info = await debug_info(client)
    assert info["heavyModules"] == []


async def test_existing_target_is_never_overwritten(client: LanguageClient,
                                                    tmp_path: Path) -> None:
    await init(client)
    (tmp_path / "regression_keras.py").write_text("# mine\n")
    uri = uri_for(tmp_path, "regression.py")
    open_doc(client, uri, TORCH)
    result = await _translate(client, uri=uri, target="keras", className="Net")
    assert result["exists"] is True and result["applied"] is False
    assert "class Net(keras.Model)" in result["targetCode"]
    assert client.applied_edits == []  # type: ignore[attr-defined]
    assert (tmp_path / "regression_keras.py").read_text() == "# mine\n"


async def test_untranslatable_source_is_a_located_error(client: LanguageClient,
                                                        tmp_path: Path) -> None:
    await init(client)
    uri = uri_for(tmp_path, "plain.py")
    open_doc(client, uri, "x = 1\nprint(x)\n")
    with pytest.raises(JsonRpcException) as err:
        await _translate(client, uri=uri, target="keras")
    assert "plain.py:1" in str(err.value) and "nn.Module" in str(err.value)
    with pytest.raises(JsonRpcException) as bad:
        await _translate(client, uri=uri, target="jax")
    assert "keras or pytorch" in str(bad.value)
    assert client.applied_edits == []  # type: ignore[attr-defined]


BUILT_BY_CODE = '''import torch.nn as nn


class Stack(nn.Module):
    def __init__(self, widths):
        super().__init__()
        layers, width = [], 8
        for w in widths:
            layers += [nn.Linear(width, w), nn.ReLU()]
            width = w
        self.body = nn.Sequential(*layers)

    def forward(self, x):
        return self.body(x)


def make_stack():
    return Stack([16, 4])
'''


@pytest.mark.slow
async def test_a_model_built_by_code_is_traced_only_in_a_trusted_workspace(
        client: LanguageClient, tmp_path: Path) -> None:
    """The static reading stops at the builder function; a trusted workspace lets the server
    build and trace the model in its verification worker, an untrusted one gets the located
    static error and nothing runs."""
    await init(client, {"workspaceTrusted": False})
    uri = uri_for(tmp_path, "stack.py")
    open_doc(client, uri, BUILT_BY_CODE)
    with pytest.raises(JsonRpcException) as err:
        await _translate(client, uri=uri, target="keras", className="make_stack",
                         inputShape=[8])
    assert "stack.py" in str(err.value) and "make_stack" in str(err.value)
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(
        settings={"mlsense": {"workspaceTrusted": True}}))
    await asyncio.sleep(0.5)  # the server pulls workspace/configuration before it applies them
    result = await _translate(client, uri=uri, target="keras", className="make_stack",
                              inputShape=[8])
    code = result["targetCode"]
    assert "keras.Model" in code and "layers.Dense(16" in code and "layers.Dense(4" in code
    compile(code, "stack_keras.py", "exec")
    info = await debug_info(client)
    assert info["heavyModules"] == []  # the tracing ran in the worker, not in the server
