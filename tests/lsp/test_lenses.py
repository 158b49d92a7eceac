"""Code lenses: ``Translate to Keras · Verify`` above each model the translators can start from,
and after a verification its result (``mlsense.verificationReport`` returns the report)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pytest_lsp import LanguageClient

from .lsp_helpers import EXAMPLES, _plain, change_doc, init, open_doc, uri_for, wait_published

TORCH = (EXAMPLES / "torch_regression.py").read_text(encoding="utf-8")
KERAS = (EXAMPLES / "keras_regression.py").read_text(encoding="utf-8")
TWO_MODELS = '''import torch.nn as nn
from torch import nn as tnn


class Encoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(8, 4)

    def forward(self, x):
        return self.fc(x)


head = tnn.Sequential(tnn.Linear(4, 2), tnn.ReLU())
'''


async def _lenses(client: LanguageClient, uri: str) -> list[tuple[int, str, str, Any]]:
    lenses = await client.text_document_code_lens_async(types.CodeLensParams(
        text_document=types.TextDocumentIdentifier(uri=uri)))
    out = []
    for lens in lenses or []:
        assert lens.command is not None
        args = _plain(lens.command.arguments[0]) if lens.command.arguments else None
        out.append((lens.range.start.line, lens.command.title, lens.command.command, args))
    return out


async def test_lenses_on_every_model_with_its_target(client: LanguageClient,
                                                     tmp_path: Path) -> None:
    await init(client)
    uri = uri_for(tmp_path, "two.py")
    open_doc(client, uri, TWO_MODELS)
    await wait_published(client, uri, 1)
    lenses = await _lenses(client, uri)
    assert [(line, title, command) for line, title, command, _ in lenses] == [
        (4, "Translate to Keras", "mlsense.translateFramework"),
        (4, "Verify", "mlsense.verifyTranslation"),
        (13, "Translate to Keras", "mlsense.translateFramework"),
        (13, "Verify", "mlsense.verifyTranslation"),
    ]
    assert lenses[0][3] == {"uri": uri, "target": "keras", "className": "Encoder"}
    assert lenses[2][3] == {"uri": uri, "target": "keras", "className": "head"}

    keras_uri = uri_for(tmp_path, "keras_regression.py")
    open_doc(client, keras_uri, KERAS)
    await wait_published(client, keras_uri, 1)
    [(line, title, _, args), _] = await _lenses(client, keras_uri)
    assert (line, title, args["target"], args["className"]) == (9, "Translate to PyTorch",
                                                                "pytorch", "model")

    # A file without a model has none; neither has an untitled buffer (nothing to translate to).
    plain = uri_for(tmp_path, "plain.py")
    open_doc(client, plain, "x = 1\n")
    await wait_published(client, plain, 1)
    assert await _lenses(client, plain) == []


async def test_untrusted_workspace_gets_no_verify_lens(client: LanguageClient,
                                                       tmp_path: Path) -> None:
    await init(client, {"workspaceTrusted": False})
    uri = uri_for(tmp_path, "regression.py")
    open_doc(client, uri, TORCH)
    await wait_published(client, uri, 1)
    assert [title for _, title, _, _ in await _lenses(client, uri)] == ["Translate to Keras"]
    with pytest.raises(JsonRpcException) as err:
        await client.workspace_execute_command_async(types.ExecuteCommandParams(
            command="mlsense.verificationReport",
            arguments=[{"uri": uri, "target": "keras", "className": "Net"}]))
    assert "has not been verified in this session" in str(err.value)


@pytest.mark.slow
async def test_verification_result_lens_and_report(client: LanguageClient,
                                                   tmp_path: Path) -> None:
    await init(client, {"verification": {"device": "cpu", "timeoutS": 240}})
    uri = uri_for(tmp_path, "torch_regression.py")
    (tmp_path / "torch_regression.py").write_text(TORCH, encoding="utf-8")
    open_doc(client, uri, TORCH)
    await wait_published(client, uri, 1)
    [translate, verify] = await _lenses(client, uri)
    # Run the lens's own command, as an editor does when it is clicked.
    result = dict(_plain(await client.workspace_execute_command_async(types.ExecuteCommandParams(
        command=verify[2], arguments=[verify[3]]))))
    assert result["verified"] is True, result["message"]
    assert client.code_lens_refreshes >= 1  # type: ignore[attr-defined]

    lenses = await _lenses(client, uri)
    assert len(lenses) == 3
    line, title, command, args = lenses[2]
    assert line == translate[0] and command == "mlsense.verificationReport"
    assert title.startswith("$(pass) verified on cpu · max error ") and "edited" not in title
    report = dict(_plain(await client.workspace_execute_command_async(types.ExecuteCommandParams(
        command=command, arguments=[args]))))
    assert report["verified"] is True and report["className"] == "Net"
    [layer] = report["per_layer"]
    assert layer["torch_path"] == "fc" and layer["line"] == 11 and layer["diverges"] is False
    [device] = report["per_device"]
    assert device["device"] == "cpu" and device["outputs"]

    # An edit makes the result stale, and the lens says so.
    change_doc(client, uri, 2, TORCH.replace("lr=0.01", "lr=0.02"))
    await wait_published(client, uri, 2)
    assert (await _lenses(client, uri))[2][1].endswith(" · edited since")
