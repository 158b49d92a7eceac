"""Model definitions found through the import table: the framework is resolved, not guessed."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlsense.analyzers.engine import DocumentAnalyzer
from mlsense.analyzers.models import ModelDefinition, find_model_definitions

ROOT = Path(__file__).resolve().parents[2]

TORCH_CLASS = """\
import torch.nn as nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 2)

    def forward(self, x):
        return self.fc(x)
"""


def _found(text: str) -> list[tuple[str, str, str, int, int]]:
    return [(m.name, m.framework, m.kind, m.start_line, m.end_line)
            for m in find_model_definitions(text)]


@pytest.mark.parametrize("imports, base", [
    ("import torch.nn as nn", "nn.Module"),
    ("from torch import nn", "nn.Module"),
    ("import torch", "torch.nn.Module"),
    ("from torch.nn import Module", "Module"),
    ("from torch.nn import Module as M", "M"),
    ("from torch import nn", "nn.Sequential"),
])
def test_torch_classes_through_any_import_spelling(imports: str, base: str) -> None:
    text = f"{imports}\n\nclass Net({base}):\n    pass\n"
    assert _found(text) == [("Net", "pytorch", "class", 2, 3)]


@pytest.mark.parametrize("imports, base", [
    ("import keras", "keras.Model"),
    ("import tensorflow as tf", "tf.keras.Model"),
    ("from tensorflow import keras", "keras.Model"),
    ("from keras import Model", "Model"),
    ("from tensorflow.keras.models import Model", "Model"),
    ("import keras", "keras.models.Model"),
])
def test_keras_classes_through_any_import_spelling(imports: str, base: str) -> None:
    text = f"{imports}\n\nclass M({base}):\n    def call(self, x):\n        return x\n"
    assert _found(text) == [("M", "keras", "class", 2, 4)]


@pytest.mark.parametrize("text", [
    "class Module:\n    pass\n\n\nclass Foo(Module):\n    pass\n",  # a local Module
    "from mylib import Module\n\nclass Foo(Module):\n    pass\n",  # someone else's Module
    "from torch.nn import Module\n\nclass Module:\n    pass\n\nclass Foo(Module):\n    pass\n",
    "import torch\n\nclass Foo(torch.nn.Linear):\n    pass\n",  # a layer, not a model
    "from keras import layers\n\nclass Foo(layers.Layer):\n    pass\n",
    "class Model(object):\n    pass\n\nx = Sequential()\n",  # nothing imported at all
])
def test_not_a_model(text: str) -> None:
    assert _found(text) == []


def test_sequential_and_functional_assignments() -> None:
    text = ("import keras\nfrom keras import layers\nfrom torch import nn\n"
            "import tensorflow as tf\n\n"
            "seq = keras.Sequential([layers.Dense(1)])\n"  # 5
            "seq2 = keras.models.Sequential()\n"  # 6
            "tseq: nn.Module = nn.Sequential(\n    nn.Linear(4, 2),\n    nn.ReLU(),\n)\n"  # 7-10
            "inputs = keras.Input(shape=(4,))\n"
            "outputs = layers.Dense(2)(inputs)\n"
            "model = keras.Model(inputs, outputs)\n"  # 13
            "tfm = tf.keras.Model(inputs=inputs, outputs=outputs)\n"  # 14
            "empty = keras.Model()\n"  # not functional: no inputs
            "a = b = tf.keras.Sequential()\n")  # 16
    assert _found(text) == [
        ("seq", "keras", "sequential", 5, 5),
        ("seq2", "keras", "sequential", 6, 6),
        ("tseq", "pytorch", "sequential", 7, 10),
        ("model", "keras", "functional", 13, 13),
        ("tfm", "keras", "functional", 14, 14),
        ("a", "keras", "sequential", 16, 16),
    ]


def test_subclass_of_a_model_class_in_the_file() -> None:
    text = ("from torch import nn\n\n\nclass Base(nn.Module):\n    pass\n\n\n"
            "class Net(Base):\n    pass\n\n\nclass Deeper(Net):\n    pass\n\n\n"
            "class Plain:\n    pass\n\n\nclass NotModel(Plain):\n    pass\n")
    assert [(m.name, m.framework) for m in find_model_definitions(text)] == [
        ("Base", "pytorch"), ("Net", "pytorch"), ("Deeper", "pytorch")]


def test_lines_skip_comments_and_decorators() -> None:
    text = ("from torch import nn\n\n# The model.\n@register(\n    'net',\n)\n"
            "class Net(nn.Module):  # comment\n    pass\n    # trailing comment\n\n\n"
            "# after\nx = 1\n")
    assert _found(text) == [("Net", "pytorch", "class", 6, 7)]


def test_keras_builder_function() -> None:
    text = ("import keras\n\n\ndef build_model(units=8):\n"
            "    model = keras.Sequential([keras.layers.Dense(units)])\n    return model\n\n\n"
            "def make(inputs, outputs):\n    return keras.Model(inputs, outputs)\n\n\n"
            "def helper():\n    return 1\n")
    assert _found(text) == [("build_model", "keras", "sequential", 3, 5),
                            ("make", "keras", "functional", 8, 9)]


def test_valid_statements_found_despite_a_syntax_error_elsewhere() -> None:
    text = TORCH_CLASS + "\n\ndef broken(:\n    pass\n"
    assert _found(text) == [("Net", "pytorch", "class", 3, 9)]


def test_long_class_split_into_units_keeps_its_lines() -> None:
    body = "".join(f"        self.l{i} = nn.Linear(4, 4)\n" for i in range(60))
    text = ("from torch import nn\n\n\nclass Big(nn.Module):\n    def __init__(self):\n"
            "        super().__init__()\n" + body + "\n    def forward(self, x):\n"
            "        return x\n")
    end = len(text.splitlines()) - 1
    assert _found(text) == [("Big", "pytorch", "class", 3, end)]
    analyzer = DocumentAnalyzer()
    analyzer.analyze(text)
    assert find_model_definitions(text, analyzer) == find_model_definitions(text)


def test_analyzer_parse_is_reused_only_for_the_same_text() -> None:
    analyzer = DocumentAnalyzer()
    analyzer.analyze(TORCH_CLASS)
    last = analyzer.last_parse
    assert last is not None and last.text == TORCH_CLASS
    assert find_model_definitions(TORCH_CLASS, analyzer) == [
        ModelDefinition("Net", "pytorch", "class", 3, 9)]
    # Other text than the analysed one: parsed afresh, never answered from the stale parse.
    renamed = TORCH_CLASS.replace("Net", "Other")
    assert [m.name for m in find_model_definitions(renamed, analyzer)] == ["Other"]
    # A file-wide noqa drops the parse; the definitions are still found.
    quiet = "# mlsense: noqa\n" + TORCH_CLASS
    analyzer.analyze(quiet)
    assert analyzer.last_parse is None
    assert [m.start_line for m in find_model_definitions(quiet, analyzer)] == [4]


def test_chunk_of_several_statements_locates_each() -> None:
    # The line scanner reads the quotes that close a backslash-continued string as opening a
    # triple-quoted one, so one chunk holds three statements: their lines then come from the
    # chunk's positions, not its text.
    text = ("from torch import nn\nx = 'a\\\n'''\n"
            "net = nn.Sequential(\n    nn.ReLU(),\n)\n\n\nclass Net(nn.Module):\n    pass\n")
    analyzer = DocumentAnalyzer()
    analyzer.analyze(text)
    assert analyzer.last_parse is not None
    assert any(len(c.module.body) > 1 for c, _ in analyzer.last_parse.chunks if c.module)
    assert _found(text) == [("net", "pytorch", "sequential", 3, 5),
                            ("Net", "pytorch", "class", 8, 9)]
    assert find_model_definitions(text, analyzer) == find_model_definitions(text)


@pytest.mark.parametrize("path", sorted((ROOT / "examples").glob("*.py")), ids=lambda p: p.name)
def test_examples_never_crash_and_lines_are_in_range(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    n = len(text.splitlines())
    for m in find_model_definitions(text):
        assert 0 <= m.start_line <= m.end_line < n
        assert m.name in text.splitlines()[m.start_line] or m.kind != "class"
