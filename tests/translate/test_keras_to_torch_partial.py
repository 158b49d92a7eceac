"""Keras -> PyTorch partial mode: an untranslatable layer becomes a marked placeholder."""

from __future__ import annotations

import ast

import pytest

from mlsense.translators import TranslationError, translate

SEQUENTIAL = """import keras
from keras import layers

model = keras.Sequential([
    layers.Dense(32, activation="relu", input_shape=(10,)),
    layers.UnitNormalization(),
    layers.Dense(16),
    layers.Dense(1),
])
"""

FUNCTIONAL = """import keras
from keras import layers

inputs = keras.Input(shape=(28, 28, 1))
x = layers.Conv2D(8, 3, activation="relu")(inputs)
x = layers.Conv3DTranspose(8, 3)(x)
x = layers.ReLU()(x)
x = layers.Flatten()(x)
outputs = layers.Dense(10)(x)
model = keras.Model(inputs, outputs)
"""


@pytest.mark.parametrize("source, line, construct", [(SEQUENTIAL, 6, "UnitNormalization"),
                                                     (FUNCTIONAL, 6, "Conv3DTranspose")])
def test_unsupported_layer_raises_without_partial(source: str, line: int, construct: str) -> None:
    with pytest.raises(TranslationError) as info:
        translate(source, "pytorch", filename="m.py")
    [gap] = info.value.unsupported
    assert (gap.line, gap.construct) == (line, construct)
    assert str(info.value).startswith(f"m.py:{line}: ")


def test_partial_sequential_keeps_the_rest_with_a_marked_placeholder() -> None:
    tr = translate(SEQUENTIAL, "pytorch", partial=True)
    code = tr.target_code
    ast.parse(code)
    todo = ("# TODO(mlsense): line 6: UnitNormalization: Keras layer UnitNormalization has no "
            "PyTorch mapping (nn.Identity placeholder)")
    lines = [line.strip() for line in code.splitlines()]
    assert lines[lines.index(todo) + 1] == "nn.Identity(),"
    # in_features after the gap is unknown: a lazy module infers it, later sizes are known again.
    assert "nn.LazyLinear(16)," in lines and "nn.Linear(16, 1)," in lines
    assert [(u.line, u.construct) for u in tr.unsupported] == [(6, "UnitNormalization")]
    assert [w.keras_path for w in tr.weight_map] == ["index:0", "index:2", "index:3"]


def test_partial_functional_flattens_in_keras_order_after_the_gap() -> None:
    tr = translate(FUNCTIONAL, "pytorch", partial=True)
    code = tr.target_code
    assert "# TODO(mlsense): line 6: Conv3DTranspose: Keras layer Conv3DTranspose has no PyTorch mapping" in code
    assert "= nn.Identity()" in code
    # Sizes are unknown after the gap, so the flatten cannot use the C,H,W weight permutation.
    assert "x.permute(0, 2, 3, 1).flatten(1)" in code and "nn.LazyLinear(10)" in code
    assert [u.line for u in tr.unsupported] == [6]
    assert not any("flatten_from" in w.params for w in tr.weight_map)


def test_partial_gap_without_a_lazy_form_is_another_placeholder() -> None:
    source = FUNCTIONAL.replace("layers.ReLU()(x)", "layers.LayerNormalization()(x)")
    tr = translate(source, "pytorch", partial=True)
    assert [(u.line, u.reason) for u in tr.unsupported] == [
        (6, "Keras layer Conv3DTranspose has no PyTorch mapping"),
        (7, "input size unknown after the placeholder for line 6")]
    assert tr.target_code.count("nn.Identity()") == 2


@pytest.mark.slow
def test_partial_translation_runs_in_torch() -> None:
    torch = pytest.importorskip("torch")
    for source, shape in [(SEQUENTIAL, (3, 10)), (FUNCTIONAL, (3, 1, 28, 28))]:
        tr = translate(source, "pytorch", partial=True)
        scope: dict[str, object] = {}
        exec(compile(tr.target_code, "<translated>", "exec"), scope)  # noqa: S102
        model = eval(tr.target_model, scope)  # noqa: S307
        out = model(torch.zeros(shape))
        assert tuple(out.shape) == (3, 1 if source is SEQUENTIAL else 10)
