"""Completion of layer sizes: inside ``nn.Linear(``, ``in_features=``, ``nn.Conv2d(``,
``nn.BatchNorm2d(num_features=``... the size that flows in, labelled with where it comes from;
nothing where it is not certain. The text is typed as in an editor: often not valid yet."""

from __future__ import annotations

from pathlib import Path

from lsprotocol import types
from pytest_lsp import LanguageClient

from .lsp_helpers import change_doc, init, open_doc, uri_for, wait_published

SEQUENTIAL = (Path(__file__).resolve().parents[1] / "fixtures" / "editing"
              / "typing_net.py").read_text(encoding="utf-8")
CLASS = """import torch
import torch.nn as nn
import torch.nn.functional as F


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 3)
        self.fc1 = nn.Linear(in_features=

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = x.view(x.size(0), -1)
        return self.fc1(x)


model = Net()
model(torch.randn(4, 1, 28, 28))
"""


async def _complete(client: LanguageClient, uri: str, line: int, character: int,
                    trigger: str | None = None) -> list[types.CompletionItem]:
    context = types.CompletionContext(
        trigger_kind=types.CompletionTriggerKind.TriggerCharacter, trigger_character=trigger
    ) if trigger else types.CompletionContext(trigger_kind=types.CompletionTriggerKind.Invoked)
    result = await client.text_document_completion_async(types.CompletionParams(
        text_document=types.TextDocumentIdentifier(uri=uri),
        position=types.Position(line, character), context=context))
    if result is None:
        return []
    return list(result.items if isinstance(result, types.CompletionList) else result)


async def test_in_features_after_a_flatten_in_a_sequential(client: LanguageClient,
                                                            tmp_path: Path) -> None:
    result = await init(client)
    provider = result.capabilities.completion_provider
    assert provider is not None and set(provider.trigger_characters or []) >= {"(", "="}
    uri = uri_for(tmp_path, "net.py")
    open_doc(client, uri, SEQUENTIAL)
    await wait_published(client, uri, 1)
    [item] = await _complete(client, uri, 8, len("    nn.Linear("), "(")
    assert (item.label, item.insert_text) == ("4096", "4096")
    assert item.detail == "in_features: (N, 4096) flows in: the output of nn.Flatten()"
    assert item.preselect is True and item.kind == types.CompletionItemKind.Value

    # Typed, not yet closed: `nn.BatchNorm2d(num_features=` after the conv.
    typing = SEQUENTIAL.replace("    nn.ReLU(),\n", "    nn.BatchNorm2d(num_features=\n")
    change_doc(client, uri, 2, typing)
    [item] = await _complete(client, uri, 5, len("    nn.BatchNorm2d(num_features="), "=")
    assert item.label == "16"
    assert item.detail == ("num_features: (N, 16, 32, 32) flows in: the output of "
                           "nn.Conv2d(3, 16, 3, padding=1)")

    # Not a size slot (the second argument), and not a sized layer: nothing.
    assert await _complete(client, uri, 4, len("    nn.Conv2d(3, ")) == []
    assert await _complete(client, uri, 10, len("out = net(")) == []


async def test_in_features_of_a_module_attribute_from_what_forward_feeds_it(
        client: LanguageClient, tmp_path: Path) -> None:
    await init(client)
    uri = uri_for(tmp_path, "net.py")
    open_doc(client, uri, CLASS)  # line 9 is not valid Python yet
    await wait_published(client, uri, 1)
    [item] = await _complete(client, uri, 9, len("        self.fc1 = nn.Linear(in_features="),
                             "=")
    assert item.label == "5408"  # 32 * 13 * 13 after conv 3x3 and a 2x2 pool of 28x28
    assert item.detail == "in_features: (N, 5408) flows in: what forward passes to self.fc1"

    # Without the call that feeds the model, the size is symbolic: nothing is guessed.
    change_doc(client, uri, 2, CLASS.replace("model(torch.randn(4, 1, 28, 28))\n", ""))
    assert await _complete(client, uri, 9,
                           len("        self.fc1 = nn.Linear(in_features="), "=") == []
