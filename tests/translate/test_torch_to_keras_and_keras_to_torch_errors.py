"""Both directions: bad input is a located TranslationError, never another exception."""

from __future__ import annotations

import pytest

from mlsense.translators import TranslationError, translate

MODELS = {
    "keras": "import torch\nfrom torch import nn\n\nmodel = nn.Sequential(nn.Linear(4, 2))\n",
    "pytorch": "import keras\nfrom keras import layers\n\n"
               "model = keras.Sequential([keras.Input(shape=(4,)), layers.Dense(2)])\n",
}
# case -> (source, or None for the valid model; class_name; expected line)
BAD: dict[str, tuple[str | None, str | None, int]] = {
    "empty file": ("", None, 1),
    "syntax error": ("import torch\nmodel = (\n", None, 2),
    "no model": ("import torch\nimport keras\n\nx = [1, 2]\n", None, 1),
    "unknown class_name": (None, "Missing", 1),
    "class_name not a name": (None, "Net(", 1),
}


@pytest.mark.parametrize("to", ["keras", "pytorch"])
@pytest.mark.parametrize("case", list(BAD))
def test_bad_input_is_a_located_translation_error(to: str, case: str) -> None:
    source, class_name, line = BAD[case]
    with pytest.raises(TranslationError) as info:
        translate(MODELS[to] if source is None else source, to, class_name=class_name,
                  filename="m.py")
    assert type(info.value) is TranslationError
    assert str(info.value).startswith(f"m.py:{line}: ")
    assert info.value.unsupported and info.value.unsupported[0].line == line
    if class_name is not None:
        assert info.value.unsupported[0].construct == class_name
    if case == "unknown class_name":
        assert "found: model" in str(info.value)  # names what the file does define


def test_a_size_the_data_computes_is_located_not_a_crash() -> None:
    # keras-io's EEG example: num_classes comes from the dataset; it used to reach the
    # verification request as an unfoldable value and crash its JSON encoding
    source = ("import keras\nfrom keras import layers\n\nnum_classes = len(labels)\n"
              "model = keras.Sequential([keras.Input(shape=(8,)), layers.Dense(4),\n"
              "                          layers.Dense(num_classes)])\n")
    with pytest.raises(TranslationError) as info:
        translate(source, "pytorch", filename="m.py")
    assert str(info.value).startswith("m.py:6: Dense(num_classes): the size num_classes is not "
                                      "a number the file states"), str(info.value)
