"""Keras -> PyTorch model selection: a class, a call, a builder, or a variable (issue 9).

``model = MyModel(hidden_dim=256, output_dim=16)`` (keras-team/keras's demo_subclass) selects
the subclass with the call's arguments bound to ``__init__``'s parameters, so layer sizes read
from them resolve; the emitted class keeps the parameters, and the real verifier (Keras and
torch in one warm worker) runs both models at atol 1e-4.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

import pytest

from mlsense.translators import Translation, TranslationError, translate
from mlsense.translators.verify import VerificationWorker, verify_translation

pytestmark = pytest.mark.slow

HEAD = "import keras\nfrom keras import layers\n\nWIDTH = 6\n\n"

SUBCLASS = HEAD + '''
class MyModel(keras.Model):
    def __init__(self, hidden_dim, output_dim, rate=0.1):
        super().__init__()
        self.dense1 = layers.Dense(hidden_dim, activation="relu")
        self.drop = layers.Dropout(rate)
        self.dense2 = layers.Dense(output_dim)

    def call(self, x):
        return self.dense2(self.drop(self.dense1(x)))


model = MyModel(hidden_dim=12, output_dim=5)
model.compile(optimizer="adam", loss="mse")
'''

BUILDER = HEAD + '''
def build_model(units, classes=3):
    inputs = keras.Input(shape=(7,))
    x = layers.Dense(units, activation="relu")(inputs)
    return keras.Model(inputs, layers.Dense(classes)(x))
'''


@pytest.fixture(scope="module")
def worker() -> Iterator[VerificationWorker]:
    with VerificationWorker(idle_timeout=0) as pool:
        yield pool


def _verified(tmp_path, worker: VerificationWorker, source: str, select: str | None,
              shape: tuple[int, ...] | None = (9,)) -> Translation:
    path = tmp_path / "model.py"
    path.write_text(source, encoding="utf-8")
    tr = translate(source, "pytorch", class_name=select, input_shape=shape, filename=str(path))
    report = verify_translation(str(path), tr, source_text=source, worker=worker, onnx=False,
                                training=False)
    assert report.verified, report.message
    assert report.max_abs_error is not None and report.max_abs_error <= 1e-4
    return tr


def _init_signature(code: str, cls: str) -> str:
    node = next(n for n in ast.parse(code).body if isinstance(n, ast.ClassDef) and n.name == cls)
    init = next(n for n in node.body if isinstance(n, ast.FunctionDef) and n.name == "__init__")
    return ast.unparse(init.args)


@pytest.mark.parametrize("select", ["model", None, "MyModel"])
def test_the_files_instance_gives_the_constructor_arguments(tmp_path, worker, select) -> None:
    tr = _verified(tmp_path, worker, SUBCLASS, select)
    code = tr.target_code
    assert tr.source_model == tr.target_model == "MyModel(hidden_dim=12, output_dim=5)"
    assert tr.outputs[0].shape == (5,)
    # the class reads like the source: the same parameters, layer sizes written with them
    assert _init_signature(code, "MyModel") == "self, hidden_dim, output_dim, rate=0.1"
    assert "nn.Linear(9, hidden_dim)" in code and "nn.Linear(hidden_dim, output_dim)" in code
    assert "nn.Dropout(rate)" in code
    assert "\nmodel = MyModel(hidden_dim=12, output_dim=5)\n" in code
    assert "fixed at its default" not in code


def test_a_call_selects_with_its_arguments_as_the_emitted_defaults(tmp_path, worker) -> None:
    tr = _verified(tmp_path, worker, SUBCLASS, "MyModel(WIDTH, 4, rate=0.5)")
    assert tr.target_model == "MyModel(WIDTH, 4, rate=0.5)"
    assert tr.outputs[0].shape == (4,)
    # the file never builds it so: the call's values (a module constant folded) are defaults
    assert _init_signature(tr.target_code, "MyModel") == \
        "self, hidden_dim=6, output_dim=4, rate=0.5"
    assert "nn.Linear(9, hidden_dim)" in tr.target_code


def test_a_builder_call_and_a_variable_built_by_one(tmp_path, worker) -> None:
    tr = _verified(tmp_path, worker, BUILDER, "build_model(10, classes=2)", None)
    assert tr.target_model == "build_model(10, classes=2)" and tr.outputs[0].shape == (2,)
    assert "def build_model(units=10, classes=2):" in tr.target_code
    source = BUILDER + "\n\nnet = build_model(units=WIDTH)\n"
    tr = _verified(tmp_path, worker, source, "net", None)
    assert tr.target_model == "build_model(units=WIDTH)" and tr.outputs[0].shape == (3,)
    assert "def build_model(units, classes=3):" in tr.target_code
    assert "nn.Linear(7, units)" in tr.target_code


@pytest.mark.parametrize(("select", "line", "reason"), [
    ("MyModel(12)", 1, "the call leaves output_dim without a value"),
    ("MyModel(1, 2, 3, 4)", 1, "takes 3 positional arguments, the call gives 4"),
    ("MyModel(1, 2, size=3)", 1, "size= is not a parameter"),
    ("MyModel(1, hidden_dim=2, output_dim=3)", 1, "hidden_dim= is given twice"),
    ("MyModel(n, 2)", 1, "hidden_dim=n is not a literal or a module-level constant"),
    ("Other(1)", 1, "no model named 'Other' (found: MyModel)"),
])
def test_a_call_that_cannot_bind_is_a_located_error(select, line, reason) -> None:
    with pytest.raises(TranslationError) as err:
        translate(SUBCLASS, "pytorch", class_name=select, input_shape=(9,), filename="m.py")
    [gap] = err.value.unsupported
    assert (gap.line, gap.construct) == (line, select) and reason in gap.reason
    assert str(err.value).startswith(f"m.py:{line}: ")


def test_an_instance_with_unreadable_arguments_and_a_class_nothing_builds() -> None:
    source = SUBCLASS.replace("MyModel(hidden_dim=12, output_dim=5)", "MyModel(size(), 5)")
    with pytest.raises(TranslationError) as err:
        translate(source, "pytorch", class_name="model", input_shape=(9,))
    [gap] = err.value.unsupported
    assert gap.line == 18 and "hidden_dim=size() is not a literal" in gap.reason
    unbuilt = SUBCLASS.split("\nmodel = ")[0]
    with pytest.raises(TranslationError) as err:
        translate(unbuilt, "pytorch", input_shape=(9,))
    [gap] = err.value.unsupported
    assert "constructor needs arguments ['hidden_dim', 'output_dim']" in gap.reason
    assert '--class "MyModel(...)"' in gap.reason



def test_a_class_the_file_builds_once_takes_that_calls_arguments() -> None:
    source = SUBCLASS.replace("MyModel(hidden_dim=12, output_dim=5)", "MyModel(12, 5, rate=0.3)")
    tr = translate(source, "pytorch", class_name="MyModel", input_shape=(9,))
    assert tr.target_model == "MyModel(12, 5, rate=0.3)" and tr.outputs[0].shape == (5,)
    twice = source + "\nother = MyModel(4, 2)\n"  # which one? the user says
    with pytest.raises(TranslationError) as err:
        translate(twice, "pytorch", class_name="MyModel", input_shape=(9,))
    assert '--class "MyModel(...)"' in err.value.unsupported[0].reason
    assert translate(twice, "pytorch", class_name="other", input_shape=(9,)).outputs[0].shape \
        == (2,)
