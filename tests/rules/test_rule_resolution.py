"""Rules see through import aliases, honour noqa and config, and give the same findings when a
document is re-analysed incrementally as when it is analysed fresh."""

from __future__ import annotations

import pytest

from mlsense.analyzers import AnalysisResult, Config, DocumentAnalyzer, Severity, analyze_text
from mlsense.analyzers.registry import families

# Other test modules may register throwaway families in the same process: judge only ours.
_OURS = [f for f in families() if f.__module__.startswith("mlsense.analyzers.rules")]
BUILTIN = frozenset(r.code for f in _OURS for r in f.rules)


def builtin_errors(result: AnalysisResult) -> list:
    return [e for e in result.rule_errors if e.family in {f.family for f in _OURS}]

ALL = Config(select=("ALL",))


def codes(text: str, config: Config = ALL) -> list[tuple[int, str]]:
    result = analyze_text(text, None, config)
    assert not builtin_errors(result), result.rule_errors
    return [(f.range.start.line, f.code) for f in result.findings if f.code in BUILTIN]


@pytest.mark.parametrize("imports, ctor", [
    ("import torch\nimport torch.nn as nn", "nn.Linear"),
    ("import torch\nfrom torch import nn", "nn.Linear"),
    ("import torch\nfrom torch.nn import Linear", "Linear"),
    ("import torch as T", "T.nn.Linear"),
])
def test_torch_aliases(imports: str, ctor: str) -> None:
    text = f"{imports}\nm = {ctor}(3, 1).cuda()\n"
    text += "x = T.zeros(2, 3)\n" if "as T" in imports else "x = torch.zeros(2, 3)\n"
    text += "m(x)\n"
    assert codes(text) == [(len(imports.splitlines()) + 2, "MLS201")]


@pytest.mark.parametrize("imports, layer", [
    ("from tensorflow.keras.layers import Dense\nfrom tensorflow import keras", "Dense"),
    ("from keras import layers\nimport keras", "layers.Dense"),
    ("import tensorflow as tf\nkeras = tf.keras", None),
    ("import tensorflow as tf", "tf.keras.layers.Dense"),
])
def test_keras_aliases(imports: str, layer: str | None) -> None:
    seq = "tf.keras.Sequential" if "tf.keras.layers" in (layer or "") else "keras.Sequential"
    if layer is None:  # an assignment alias is not an import: nothing is resolved
        text = f"{imports}\nm = keras.Sequential([keras.layers.Dense(1, input_shape=(3,))])\n"
        assert codes(text) == []
        return
    text = f"{imports}\nm = {seq}([{layer}(1, input_shape=(3,))])\n"
    result = analyze_text(text, None, ALL)
    assert [f.code for f in result.findings if f.code in BUILTIN] == ["MLS301"]
    fix = result.findings[0].fix
    assert fix is not None and "Input(shape=(3,))" in fix.edits[0].new_text


def test_unrelated_code_is_silent() -> None:
    """Same method names without the frameworks imported: no findings."""
    text = (
        "class Model:\n    def fit_generator(self):\n        pass\n\n"
        "m = Model()\nm.fit_generator()\nx = [1]\nx[0] = 2\nopt.step()\n"
        "import numpy as np\na = np.zeros(3)\na[0] = 1\nw.require_grad = True\n"
    )
    assert codes(text) == [(12, "MLS104")]  # the typo is reported regardless of imports


def test_noqa_and_config() -> None:
    text = ("import torch\nx = torch.randn(3, device='cuda')\n"
            "a = x.numpy()  # noqa: MLS202\nb = x.numpy()  # noqa\nc = x.numpy()\n"
            "d = x.numpy()  # noqa: MLS201\n")
    assert codes(text) == [(4, "MLS202"), (5, "MLS202")]
    assert codes(text, Config(ignore=("MLS2",))) == []
    result = analyze_text(text, None, Config(severity={"MLS202": Severity.ERROR}))
    assert {f.severity for f in result.findings if f.code == "MLS202"} == {Severity.ERROR}


def test_default_off_rules() -> None:
    text = "import torch\nstate = torch.load('m.pt')\n"
    assert codes(text, Config()) == []
    assert codes(text) == [(1, "MLS203")]


def test_seed_examples() -> None:
    from pathlib import Path

    root = Path(__file__).resolve().parents[2] / "examples"
    torch_codes = codes((root / "torch_regression.py").read_text(), Config())
    assert torch_codes == [(26, "MLS101")]
    keras_codes = codes((root / "keras_regression.py").read_text(), Config())
    assert keras_codes == [(9, "MLS301")]


def test_incremental_equals_fresh() -> None:
    """Module rules memoize per statement: after edits, findings equal a fresh analysis."""
    base = ("import torch\nimport torch.nn as nn\n\nmodel = nn.Linear(10, 1)\n"
            "y = torch.randn(100)\ncrit = nn.MSELoss()\n\n"
            "def step(x):\n    return crit(model(x), y)\n")
    edits = [
        base,
        base.replace("torch.randn(100)", "torch.randn(100, 1)"),
        base,
        base.replace("nn.Linear(10, 1)", "nn.Linear(10, 1).cuda()") + "z = torch.ones(3)\nmodel(z)\n",
        base.replace("crit = nn.MSELoss()", "crit = nn.CrossEntropyLoss()"),
        base,
    ]
    doc = DocumentAnalyzer(None, ALL)
    for text in edits:
        incremental = doc.analyze(text).findings
        assert incremental == analyze_text(text, None, ALL).findings
    assert [f.code for f in doc.analyze(base).findings if f.code in BUILTIN] == ["MLS101"]


def test_rules_survive_odd_code() -> None:
    """Constructs the dataflow does not model never raise."""
    text = (
        "import torch, jax\nimport jax.numpy as jnp\n"
        "async def f(a, *b, c=1, **d):\n    async with a as (x, y):\n        pass\n"
        "    async for i in b:\n        x[i] = jnp.ones(1)\n"
        "    try:\n        pass\n    except* ValueError as e:\n        pass\n"
        "    (w := torch.zeros(1)).numpy()\n    del a\n    global g\n"
        "    lambda: x.numpy()\n    return [k.numpy() for k in b]\n"
        "x = jnp.zeros(3)\nx[0], x[1] = 1, 2\nx[...] = 0\n"
    )
    result = analyze_text(text, None, ALL)
    assert builtin_errors(result) == [] and result.syntax_error is None
    assert [(f.range.start.line, f.code) for f in result.findings if f.code in BUILTIN] == [
        (18, "MLS501")]
