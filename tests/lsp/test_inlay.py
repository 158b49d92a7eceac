"""textDocument/inlayHint over a real server: shapes and parameter counts on each Sequential
element, the total after the model, the settings that switch each kind, positions in UTF-16."""

from __future__ import annotations

import asyncio
from pathlib import Path

from lsprotocol import types
from pytest_lsp import LanguageClient

from .lsp_helpers import EXAMPLES, change_doc, init, open_doc, uri_for, wait_published

KERAS = (EXAMPLES / "keras_regression.py").read_text(encoding="utf-8")
TORCH_CNN = '''import torch.nn as nn

# mlsense: input (N, 1, 28, 28)
net = nn.Sequential(
    nn.Conv2d(1, 32, 3), nn.ReLU(),  # «ünïcode» before the hint's line end
    nn.MaxPool2d(2),
    nn.Flatten(),
    nn.Linear(32 * 13 * 13, 10),
)
'''


async def hints(client: LanguageClient, uri: str, lines: int = 100) -> list[tuple[int, int, str]]:
    result = await client.text_document_inlay_hint_async(types.InlayHintParams(
        text_document=types.TextDocumentIdentifier(uri=uri),
        range=types.Range(types.Position(0, 0), types.Position(lines, 0))))
    return [(h.position.line, h.position.character, str(h.label)) for h in result or []]


async def test_sequential_hints(client: LanguageClient, tmp_path: Path) -> None:
    result = await init(client)
    assert result.capabilities.inlay_hint_provider
    uri = uri_for(tmp_path, "cnn.py")
    open_doc(client, uri, TORCH_CNN)
    got = await hints(client, uri)
    lines = TORCH_CNN.splitlines()
    end_conv = lines[4].index("nn.Conv2d(1, 32, 3)") + len("nn.Conv2d(1, 32, 3)")
    assert got == [
        (4, end_conv, "→ (N, 32, 26, 26) · 320 params"),
        (4, lines[4].index("nn.ReLU()") + len("nn.ReLU()"), "→ (N, 32, 26, 26)"),
        (5, len("    nn.MaxPool2d(2)"), "→ (N, 32, 13, 13)"),
        (6, len("    nn.Flatten()"), "→ (N, 5408)"),
        (7, len("    nn.Linear(32 * 13 * 13, 10)"), "→ (N, 10) · 54,090 params"),
        (8, 1, "54,410 params in all"),
    ]
    # The Keras seed: the first layer's input_shape gives the input.
    seed = uri_for(tmp_path, "seed.py")
    open_doc(client, seed, KERAS)
    labels = [label for _, _, label in await hints(client, seed)]
    assert labels == ["→ (N, 64) · 704 params", "→ (N, 1) · 65 params", "769 params in all"]


async def test_hints_follow_edits_and_settings(client: LanguageClient, tmp_path: Path) -> None:
    await init(client, {"inlayHints": {"parameterCounts": False}})
    uri = uri_for(tmp_path, "cnn.py")
    open_doc(client, uri, TORCH_CNN)
    await wait_published(client, uri, 1)
    assert [label for _, _, label in await hints(client, uri)] == [
        "→ (N, 32, 26, 26)", "→ (N, 32, 26, 26)", "→ (N, 32, 13, 13)", "→ (N, 5408)",
        "→ (N, 10)"]
    # An edit is answered with the hints of the new text (the request waits for its analysis).
    change_doc(client, uri, 2, TORCH_CNN.replace("(N, 1, 28, 28)", "(N, 1, 32, 32)"))
    labels = [label for _, _, label in await hints(client, uri)]
    assert labels[:4] == ["→ (N, 32, 30, 30)", "→ (N, 32, 30, 30)", "→ (N, 32, 15, 15)",
                          "→ (N, 7200)"]
    # Only the requested lines: the model's statement starts on line 3.
    assert await hints(client, uri, lines=2) == []


async def test_hover_on_a_layer_shows_shapes_parameters_and_the_keras_equivalent(
        client: LanguageClient, tmp_path: Path) -> None:
    await init(client)
    uri = uri_for(tmp_path, "cnn.py")
    text = TORCH_CNN.replace("nn.MaxPool2d(2),", "nn.MaxPool2d(2), nn.BatchNorm2d(32),")
    open_doc(client, uri, text)
    await wait_published(client, uri, 1)
    line = text.splitlines()[5]
    result = await client.text_document_hover_async(types.HoverParams(
        text_document=types.TextDocumentIdentifier(uri=uri),
        position=types.Position(5, line.index("BatchNorm2d") + 3)))
    assert result is not None and isinstance(result.contents, types.MarkupContent)
    value = result.contents.value
    assert value.startswith("**`nn.BatchNorm2d(32)`** · batch normalization")
    assert "(N, 32, 13, 13) → (N, 32, 13, 13) · 64 parameters" in value
    # The translator's own mapping, with the momentum and epsilon traps written out.
    assert "Keras: `layers.BatchNormalization(momentum=0.9, epsilon=1e-05)`" in value
    assert "channels-last" in value
    start = line.index("nn.BatchNorm2d")
    assert (result.range.start.character, result.range.end.character) == (
        start, start + len("nn.BatchNorm2d(32)"))
    # Outside any layer call: no hover.
    assert await client.text_document_hover_async(types.HoverParams(
        text_document=types.TextDocumentIdentifier(uri=uri),
        position=types.Position(0, 2))) is None


async def test_settings_change_asks_the_client_to_refresh_its_hints(
        client: LanguageClient, tmp_path: Path) -> None:
    refreshes: list[object] = []

    @client.feature(types.WORKSPACE_INLAY_HINT_REFRESH)
    def on_refresh(ls: object, params: object) -> None:  # pygls passes the client first
        refreshes.append(params)

    await init(client, inlay_refresh=True)
    uri = uri_for(tmp_path, "cnn.py")
    open_doc(client, uri, TORCH_CNN)
    await wait_published(client, uri, 1)
    before = len(refreshes)
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(
        settings={"mlsense": {"inlayHints": {"layerShapes": False}}}))
    deadline = asyncio.get_running_loop().time() + 10
    while len(refreshes) == before:
        assert asyncio.get_running_loop().time() < deadline, "no workspace/inlayHint/refresh"
        await asyncio.sleep(0.05)
    assert [label for _, _, label in await hints(client, uri)] == [
        "320 params", "54,090 params", "54,410 params in all"]


async def test_module_class_hints(client: LanguageClient, tmp_path: Path) -> None:
    await init(client)
    torch_seed = (EXAMPLES / "torch_regression.py").read_text(encoding="utf-8")
    uri = uri_for(tmp_path, "seed.py")
    open_doc(client, uri, torch_seed)
    got = await hints(client, uri)
    lines = torch_seed.splitlines()
    labels = {(lines[line][:col].strip(), label) for line, col, label in got}
    # The seed's Net: one nn.Linear(10, 1); forward's result is (N, 1).
    assert any(text.endswith("nn.Linear(10, 1)") and label == "11 params"
               for text, label in labels), labels
    assert any(text.startswith("class Net") and label == "11 params in all"
               for text, label in labels), labels
    assert any(text.startswith("return") and label == "→ (N, 1)" for text, label in labels), \
        labels
