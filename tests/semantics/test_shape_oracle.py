"""The shape oracle: for every Sequential model in tests/fixtures/semantics, the static shapes
and parameter counts (what the inlay hints show) equal what torch and Keras compute when the
model really runs on an input of the stated shape (batch 2). Every layer must be known
statically: a hint that is missing counts as a failure here, a hint that is wrong even more."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import libcst as cst
import pytest

from mlsense.analyzers.semantics.sequential import ModelFact

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "semantics"
BATCH = 2


def static_model(text: str) -> ModelFact:
    """The first Sequential model, read as the server reads the file: per statement, with what
    the file feeds it."""
    from mlsense.analyzers.engine import DocumentAnalyzer
    from mlsense.analyzers.semantics.inputs import model_inputs
    from mlsense.analyzers.semantics.sequential import chunk_models

    analyzer = DocumentAnalyzer()
    analyzer.analyze(text)
    parse = analyzer.last_parse
    assert parse is not None
    chunks = [chunk for chunk, _ in parse.chunks]
    inputs = model_inputs(chunks, parse.imports)
    return next(m for chunk in chunks for m in chunk_models(chunk, parse.imports, inputs))


def concrete(shape: tuple[Any, ...]) -> tuple[int, ...]:
    assert shape[0] == "N" and all(isinstance(d, int) for d in shape[1:]), shape
    return (BATCH, *shape[1:])


def torch_runtime(text: str) -> tuple[tuple[int, ...], list[tuple[tuple[int, ...], int]]]:
    import torch

    namespace: dict[str, Any] = {}
    exec(compile(text, "<fixture>", "exec"), namespace)
    model = namespace["model"]
    fact = static_model(text)
    first = next(iter(model.children()))
    dtype = torch.long if isinstance(first, torch.nn.Embedding) else torch.float32
    x = torch.zeros(concrete(fact.input), dtype=dtype)
    seen: list[tuple[tuple[int, ...], int]] = []
    hooks = [child.register_forward_hook(
        lambda mod, args, out: seen.append((tuple(out.shape),
                                            sum(p.numel() for p in mod.parameters()))))
        for child in model.children()]
    model.eval()
    with torch.no_grad():
        model(x)
    for h in hooks:
        h.remove()
    return tuple(x.shape), seen


def keras_runtime(text: str) -> tuple[tuple[int, ...], list[tuple[tuple[int, ...], int]]]:
    import numpy as np

    namespace: dict[str, Any] = {}
    exec(compile(text, "<fixture>", "exec"), namespace)
    model = namespace["model"]
    fact = static_model(text)
    x: Any = np.zeros(concrete(fact.input), dtype="int32" if "Embedding" in text else "float32")
    start = tuple(x.shape)
    seen = []
    for layer in model.layers:
        x = layer(x, training=False)
        seen.append((tuple(int(d) for d in x.shape), layer.count_params()))
    return start, seen


def static_layers(fact: ModelFact) -> list[tuple[tuple[int, ...], int | None]]:
    out = []
    for layer in fact.layers:
        if layer.is_input:
            continue
        assert layer.shape is not None, f"no static shape for {cst.Module([]).code_for_node(layer.node)}"
        out.append((concrete(layer.shape), layer.params))
    return out


@pytest.mark.parametrize("name", sorted(p.name for p in FIXTURES.glob("torch_*.py")
                                        if not p.name.startswith("torch_class_")))
def test_torch_shapes_and_parameters_match_a_real_run(name: str) -> None:
    text = (FIXTURES / name).read_text(encoding="utf-8")
    fact = static_model(text)
    start, seen = torch_runtime(text)
    assert static_layers(fact) == seen
    assert fact.total == sum(params for _, params in seen)


@pytest.mark.parametrize("name", sorted(p.name for p in FIXTURES.glob("keras_*.py")))
def test_keras_shapes_and_parameters_match_a_real_run(name: str) -> None:
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    text = (FIXTURES / name).read_text(encoding="utf-8")
    fact = static_model(text)
    start, seen = keras_runtime(text)
    assert static_layers(fact) == seen
    assert fact.total == sum(params for _, params in seen)


@pytest.mark.parametrize("name", sorted(p.name for p in FIXTURES.glob("torch_class_*.py")))
def test_module_forward_shapes_match_a_real_run(name: str) -> None:
    """nn.Module subclasses: every layer attribute's output at each of its applications, its
    parameters, the class total and what forward returns, against hooks on a real run."""
    import torch

    from mlsense.analyzers.engine import DocumentAnalyzer
    from mlsense.analyzers.semantics.inputs import (
        class_bindings,
        class_definitions,
        model_inputs,
    )
    from mlsense.analyzers.semantics.modules import chunk_classes

    text = (FIXTURES / name).read_text(encoding="utf-8")
    analyzer = DocumentAnalyzer()  # as the server reads it: per statement, calls across them
    analyzer.analyze(text)
    parse = analyzer.last_parse
    assert parse is not None
    chunks = [chunk for chunk, _ in parse.chunks]
    bindings, inputs = class_bindings(chunks, parse.imports), model_inputs(chunks, parse.imports)
    definitions = class_definitions(chunks, parse.imports)
    namespace: dict[str, Any] = {}
    exec(compile(text, "<fixture>", "exec"), namespace)
    model = namespace["model"].eval()
    # The class of `model` (the others, such as a block it uses, are applied through it).
    [fact] = [f for chunk in chunks
              for f in chunk_classes(chunk, parse.imports, bindings, inputs, definitions)
              if f.node.name.value == type(model).__name__]
    applied: dict[str, list[tuple[int, ...]]] = {}
    for attr, child in model.named_children():
        child.register_forward_hook(
            lambda mod, args, out, attr=attr: applied.setdefault(attr, []).append(
                tuple(out.shape)))
    with torch.no_grad():
        out = model(torch.zeros(concrete(fact.input)))
    assert {attr: [concrete(s) for s in shapes] for attr, shapes in fact.applied.items()} \
        == applied
    for attr, child in model.named_children():
        assert fact.layers[attr][1] == sum(p.numel() for p in child.parameters()), attr
    assert fact.total == sum(p.numel() for p in model.parameters())
    assert concrete(fact.statements[-1].shape) == tuple(out.shape)


# -- the shape oracle over the model corpus (bench/shape_oracle.py) ----------------------------
COVERAGE_FLOOR = 0.97  # raised as the static side learns; the target is 0.9


def _oracle_module() -> Any:
    import importlib.util
    import sys

    if "shape_oracle" in sys.modules:
        return sys.modules["shape_oracle"]
    path = Path(__file__).resolve().parents[2] / "bench" / "shape_oracle.py"
    spec = importlib.util.spec_from_file_location("shape_oracle", path)
    assert spec is not None and spec.loader is not None
    module = sys.modules["shape_oracle"] = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def oracle_results() -> list[Any]:
    return _oracle_module().run_oracle()  # type: ignore[no-any-return]


def test_the_oracle_corpus_has_forty_models_of_both_frameworks(oracle_results: list[Any]
                                                                ) -> None:
    assert len(oracle_results) >= 40
    assert sum(r.framework == "keras" for r in oracle_results) >= 15
    assert sum(r.framework == "pytorch" for r in oracle_results) >= 15
    failed = {r.name: r.error for r in oracle_results if r.error}
    assert not failed
    assert all(r.runtime > 0 for r in oracle_results), "a model whose run records nothing"


def test_every_shape_hint_equals_the_runtime_shape(oracle_results: list[Any]) -> None:
    wrong = {r.name: r.disagree for r in oracle_results if r.disagree}
    assert not wrong


def test_shape_hint_coverage_stays_above_the_floor(oracle_results: list[Any]) -> None:
    runtime = sum(r.runtime for r in oracle_results)
    hinted = sum(r.hinted for r in oracle_results)
    assert hinted / runtime >= COVERAGE_FLOOR, f"{hinted}/{runtime}"


def test_the_oracle_catches_a_wrong_hint() -> None:
    """The comparison itself: a dim that differs, a rank that differs, a symbol that meets two
    values, an expression evaluated with the run's values."""
    matches = _oracle_module().matches
    assert matches(("N", 16, "H/2"), [2, 16, 16], {"N": 2, "H": 32})
    assert not matches(("N", 16, "H/2"), [2, 16, 15], {"N": 2, "H": 32})
    assert not matches(("N", 16), [2, 16, 1], {"N": 2})
    assert not matches(("N", "C", "C"), [2, 3, 4], {"N": 2})
    assert not matches(("N", 10), [3, 10], {"N": 2})
    assert matches(("N", 10), [None, 10], {})
    assert not matches(("N", 10), [None, None], {})
    # a constructor parameter takes the value the run built the model with
    assert matches(("N", "num_classes"), [2, 7], {"N": 2, "num_classes": 7})
    assert not matches(("N", "num_classes"), [2, 7], {"N": 2, "num_classes": 10})
    assert not matches(("N", "2*width", "H/2"), [2, 32, 8], {"N": 2, "width": 8, "H": 16})
    # an unknown size (?) is not compared; the dims around it still are
    assert matches(("N", "?", "H/2"), [2, 48, 8], {"N": 2, "H": 16})
    assert not matches(("N", "?", "H/2"), [2, 48, 9], {"N": 2, "H": 16})


def test_the_oracle_reports_the_constructor_arguments_of_the_run() -> None:
    """What a symbolic hint's parameter names stand for: the arguments of the model
    expression, defaults included, integers only (a float rate is no size)."""
    import json
    import subprocess
    import sys

    head = FIXTURES / "oracle_symbolic_head.py"
    case = {"path": str(head), "model": "ClassifierHead(96, 7)",
            "inputs": [{"shape": [2, 96, 5, 6], "dtype": "float32", "vocab": None}]}
    proc = subprocess.run([sys.executable, "-m", "mlsense.translators.verify.oracle"],
                          input=json.dumps([case]), capture_output=True, text=True,
                          timeout=300, check=True)
    [run] = json.loads(proc.stdout.strip().splitlines()[-1])
    assert run["error"] is None
    assert run["arguments"] == {"in_chs": 96, "num_classes": 7, "hidden_dim": 256}


def _hint_labels(text: str) -> dict[int, str]:
    """The shape hints of ``text`` as the editor shows them, by 1-based line."""
    from mlsense.analyzers.engine import DocumentAnalyzer
    from mlsense.analyzers.semantics.hints import file_hints

    analyzer = DocumentAnalyzer()
    analyzer.analyze(text)
    assert analyzer.last_parse is not None
    return {h.range[0] + 1: h.shape_label() for h in file_hints(analyzer.last_parse)
            if h.shapes}


def test_a_class_nothing_builds_is_hinted_with_its_parameters_as_symbols() -> None:
    """Public code: no call states the input or the constructor's arguments, so the hints
    start from (N, in_chans, H, W) and keep parameters as names, never their defaults."""
    labels = _hint_labels((FIXTURES / "oracle_symbolic_resnet_stem.py").read_text(
        encoding="utf-8"))
    assert labels[31] == "→ (N, stem_width, (H-1)/2+1, (W-1)/2+1)"
    assert labels[42] == "→ (N, num_classes)"
    assert not any("1000" in label or "64" in label for label in labels.values())


def test_a_size_nothing_states_is_a_question_mark_and_an_unknown_shape_no_hint() -> None:
    """``self.inplanes`` changed in a loop is not a size the hints may use: the conv it
    sizes gives ``(N, ?, H', W')``; its flattened ``(N, ?)`` says nothing: no hint."""
    text = (
        "import torch.nn as nn\n\n\n"
        "class Stem(nn.Module):\n"
        "    def __init__(self, in_chans=3, num_classes=1000):\n"
        "        super().__init__()\n"
        "        self.inplanes = 64\n"
        "        for _ in range(2):\n"
        "            self.inplanes *= 2\n"
        "        width = self.inplanes\n"
        "        self.conv = nn.Conv2d(in_chans, width, 3, stride=2, padding=1)\n"
        "        self.fc = nn.Linear(width, num_classes)\n\n"
        "    def forward(self, x):\n"
        "        x = self.conv(x)\n"
        "        y = self.fc(x.mean((2, 3)))\n"
        "        z = x.flatten(1)\n"
        "        return y\n")
    labels = _hint_labels(text)
    assert labels[15] == "→ (N, ?, (H-1)/2+1, (W-1)/2+1)"
    assert labels[16] == "→ (N, num_classes)"
    assert 17 not in labels


def test_a_block_fed_in_its_users_parameters_gets_no_input_from_them() -> None:
    """``SEModule`` fed ``(N, planes, ?, ?)`` by a block nothing builds: ``planes`` is the
    block's parameter, meaningless inside SEModule (and another user may feed it something
    else), so SEModule's forward is not hinted from that use."""
    text = (
        "import torch.nn as nn\n\n\n"
        "class SE(nn.Module):\n"
        "    def __init__(self, channels):\n"
        "        super().__init__()\n"
        "        self.fc = nn.Conv2d(channels, channels, 1)\n\n"
        "    def forward(self, x):\n"
        "        y = x.mean((2, 3), keepdim=True)\n"
        "        return x * self.fc(y)\n\n\n"
        "class Block(nn.Module):\n"
        "    def __init__(self, inplanes, planes):\n"
        "        super().__init__()\n"
        "        self.conv = nn.Conv2d(inplanes, planes, 3, padding=1)\n"
        "        self.se = SE(planes)\n\n"
        "    def forward(self, x):\n"
        "        out = self.conv(x)\n"
        "        return self.se(out)\n")
    labels = _hint_labels(text)
    assert labels[21] == "→ (N, planes, H, W)"
    assert 10 not in labels and 11 not in labels
