"""Keras -> PyTorch: custom Keras layers become torch classes; each layer runs once (issue 9).

``class ResBlock(layers.Layer)`` is emitted as ``class ResBlock(nn.Module)`` (its constructor
parameters, attribute names, docstring and the comments of ``call``, now ``forward``) and the
model holds ``self.b1 = ResBlock(16)``. Where a custom layer is still inlined into ``forward``
(a list of layers in it) and where a function builds part of a Functional graph, each tensor
argument that calls something is bound to a local first: before, ``x + self.d2(self.d1(x))``
applied to ``self.inp(x)`` computed ``self.inp(x)`` twice, doubling at each block (a dropout or
a BatchNorm in training would run twice: a wrong model). The emitted models run under torch
forward hooks (every module called exactly once per forward) and the real verifier runs Keras and
torch, the Keras weights copied by the weight map, at atol 1e-4.
"""

from __future__ import annotations

import ast
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest

from mlsense.translators import Translation, translate
from mlsense.translators.verify import VerificationWorker, verify_translation

torch = pytest.importorskip("torch")

pytestmark = pytest.mark.slow

RESBLOCK = '''import keras
from keras import layers, ops


class ResBlock(layers.Layer):
    """Two dense layers with a skip."""

    def __init__(self, units):
        super().__init__()
        self.d1 = layers.Dense(units, activation="relu")
        self.d2 = layers.Dense(units)

    def call(self, x):
        # the residual path
        return x + self.d2(self.d1(x))
'''

SUBCLASS = RESBLOCK + '''

class Net(keras.Model):
    def __init__(self):
        super().__init__()
        self.inp = layers.Dense(16)
        self.b1 = ResBlock(16)
        self.b2 = ResBlock(16)
        self.out = layers.Dense(1)

    def call(self, x):
        return self.out(self.b2(self.b1(self.inp(x))))


model = Net()
'''

SCALE = '''

class Scale(layers.Layer):
    def __init__(self, units):
        super().__init__()
        self.units = units

    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(input_shape[-1], self.units), name="kernel")
        self.gain = self.add_weight(shape=(self.units,), initializer="ones", name="gain")

    def call(self, x):
        return ops.matmul(x, self.kernel) * self.gain
'''

FUNCTIONAL = RESBLOCK + SCALE + '''

inputs = keras.Input(shape=(8,))
x = ResBlock(12)(layers.Dense(12)(inputs))
x = Scale(4)(Scale(6)(ResBlock(12)(x)))
model = keras.Model(inputs, layers.Dense(2)(x))
'''

SEQUENTIAL = RESBLOCK + '''

model = keras.Sequential([keras.Input(shape=(8,)), layers.Dense(16), ResBlock(16), ResBlock(16),
                          layers.Dense(2)])
'''

LISTED = '''import keras
from keras import layers


class Stack(layers.Layer):
    def __init__(self, units):
        super().__init__()
        self.parts = [layers.Dense(units, activation="relu"), layers.Dense(units)]

    def call(self, x):
        y = x
        for part in self.parts:
            y = part(y)
        return x + y


inputs = keras.Input(shape=(8,))
x = Stack(10)(layers.Dense(10)(inputs))
model = keras.Model(inputs, layers.Dense(2)(Stack(10)(x)))
'''

BLOCK_FUNCTION = '''import keras
from keras import layers


def block(x, units):
    y = layers.Dense(units, activation="relu")(x)
    return layers.add([x, layers.Dense(units)(y)])


inputs = keras.Input(shape=(8,))
outputs = layers.Dense(3)(block(block(layers.Dense(10)(inputs), 10), 10))
model = keras.Model(inputs, outputs)
'''


@pytest.fixture(scope="module")
def worker() -> Iterator[VerificationWorker]:
    with VerificationWorker(idle_timeout=0) as pool:
        yield pool


def _verified(tmp_path: Any, worker: VerificationWorker, source: str) -> Translation:
    path = tmp_path / "model.py"
    path.write_text(source, encoding="utf-8")
    tr = translate(source, "pytorch", class_name="model", input_shape=(8,), filename=str(path))
    report = verify_translation(str(path), tr, source_text=source, worker=worker, onnx=False,
                                training=False)
    assert report.verified, report.message
    assert report.max_abs_error is not None and report.max_abs_error <= 1e-4
    return tr


def _calls_per_module(code: str) -> Counter[str]:
    """How many times each leaf module of the emitted model runs in one forward."""
    scope: dict[str, Any] = {}
    exec(compile(code, "emitted.py", "exec"), scope)  # noqa: S102 - the translation under test
    model = scope["model"].eval()
    calls: Counter[str] = Counter()
    for name, module in model.named_modules():
        if not list(module.children()):
            module.register_forward_hook(lambda *_, name=name: calls.update([name]))
    with torch.no_grad():
        model(torch.zeros(2, 8))
    return calls


@pytest.mark.parametrize("source", [SUBCLASS, FUNCTIONAL, SEQUENTIAL, BLOCK_FUNCTION, LISTED],
                         ids=["subclass", "functional", "sequential", "block-function",
                              "inlined"])
def test_each_layer_runs_once_and_the_models_agree(tmp_path, worker, source) -> None:
    tr = _verified(tmp_path, worker, source)
    calls = _calls_per_module(tr.target_code)
    assert {w.torch_path for w in tr.weight_map} == set(calls) and len(calls) >= 5
    assert set(calls.values()) == {1}, calls


def _class(code: str, name: str) -> str:
    node = next(n for n in ast.parse(code).body if isinstance(n, ast.ClassDef) and n.name == name)
    return ast.get_source_segment(code, node) or ""


def test_a_custom_layer_reads_like_the_source() -> None:
    tr = translate(SUBCLASS, "pytorch", class_name="model", input_shape=(8,))
    block = _class(tr.target_code, "ResBlock")
    assert block.startswith('class ResBlock(nn.Module):\n    """Two dense layers with a skip."""')
    assert "def __init__(self, units):" in block and "self.d1 = nn.Linear(16, units)" in block
    assert "def forward(self, x):\n        # the residual path\n        return x + " in block
    net = _class(tr.target_code, "Net")
    assert "self.b1 = ResBlock(16)" in net and "self.b2 = ResBlock(16)" in net
    assert "return self.out(self.b2(self.b1(self.inp(x))))" in net
    paths = {(w.torch_path, w.keras_path) for w in tr.weight_map}
    assert {("b1.d1", "attr:b1.d1"), ("b2.d2", "attr:b2.d2"), ("inp", "attr:inp")} <= paths


def test_instances_of_different_input_sizes_pass_it_to_the_constructor() -> None:
    tr = translate(FUNCTIONAL, "pytorch", class_name="model", input_shape=(8,))
    scale = _class(tr.target_code, "Scale")
    assert "def __init__(self, units, *, in_features):" in scale
    assert "self.kernel = nn.Parameter(nn.init.xavier_uniform_(torch.empty(in_features, " \
        "units)))" in scale
    assert "self.gain = nn.Parameter(torch.ones(units))" in scale
    assert "Scale(6, in_features=12)" in tr.target_code and "Scale(4, in_features=6)" in \
        tr.target_code
    # the same input size everywhere: the class keeps it written out
    assert "self.d1 = nn.Linear(12, units)" in _class(tr.target_code, "ResBlock")
    assert tr.target_code.count("class Scale(") == 1


def test_an_inlined_custom_layer_binds_its_argument_and_says_why() -> None:
    tr = translate(LISTED, "pytorch", class_name="model", input_shape=(8,))
    assert "class Stack(" not in tr.target_code
    forward = tr.target_code[tr.target_code.index("def forward"):]
    assert forward.count("self.fc1(") == 1 and "stack1_x = self.fc1(inputs)" in forward
    notes = [n for n in tr.notes if "Stack(...)" in n]
    assert [n.split(":")[0] for n in notes] == ["line 18", "line 19"]  # each instance, located
    assert all("inlined into forward instead of emitted as a torch class" in n
               and "a list of layers" in n for n in notes)


def test_a_class_built_through_an_if_on_a_parameter_says_for_which_value() -> None:
    source = RESBLOCK.replace('        self.d2 = layers.Dense(units)\n', '''        if units > 8:
            self.d2 = layers.Dense(units)
        else:
            self.d2 = layers.Dense(units, activation="relu")
''') + "\n\nmodel = keras.Sequential([keras.Input(shape=(8,)), layers.Dense(12)])\n"
    source = source.replace("keras.Sequential([keras.Input(shape=(8,)), layers.Dense(12)])",
                            "keras.Model(INPUTS, ResBlock(12)(layers.Dense(12)(INPUTS)))")
    source = source.replace("\n\nmodel =", "\n\nINPUTS = keras.Input(shape=(8,))\nmodel =")
    block = _class(translate(source, "pytorch", class_name="model").target_code, "ResBlock")
    assert "# mlsense: layers built for units=12 (read by an if in Keras' __init__)" in block
    assert "if units" not in block and "self.d2 = nn.Linear(units, units)" in block


def test_a_value_the_constructor_keeps_is_read_from_the_instance(tmp_path, worker) -> None:
    source = SEQUENTIAL.replace("    def __init__(self, units):\n        super().__init__()\n",
                                "    def __init__(self, units, scale=0.5):\n"
                                "        super().__init__()\n        self.scale = scale\n")
    source = source.replace("return x + self.d2(self.d1(x))",
                            "return x + self.d2(self.d1(x)) * self.scale")
    source = source.replace("ResBlock(16), ResBlock(16)", "ResBlock(16), ResBlock(16, scale=2.0)")
    code = _verified(tmp_path, worker, source).target_code
    block = _class(code, "ResBlock")
    assert "def __init__(self, units, scale=0.5):" in block and "self.scale = scale" in block
    assert "* self.scale" in block and code.count("class ResBlock(nn.Module)") == 1
    assert "ResBlock(16)" in code and "ResBlock(16, scale=2.0)" in code
