"""PyTorch -> Keras translations run for real: same weights, same inputs, same outputs.

Each fixture under tests/fixtures/translate/torch (one coverage item each) and each benchmark
model under bench/models/torch is translated; the test builds the torch model from the source
and the Keras model from the generated code, copies weights as the weight_map says (with
translators.weights), feeds both the same random inputs (Keras in its channels-last layout) and
compares the outputs at atol = rtol = 1e-4.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from mlsense.translators import translate
from mlsense.translators.verify.extract import extract_definitions

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
np = pytest.importorskip("numpy")
torch = pytest.importorskip("torch")
keras = pytest.importorskip("keras")
from mlsense.translators.weights import copy_weights  # noqa: E402  (imports numpy)

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
FIXTURES = sorted((ROOT / "tests" / "fixtures" / "translate" / "torch").glob("*.py"))
BENCH = sorted((ROOT / "bench" / "models" / "torch").glob("*.py"))


def _exec(text: str) -> dict:
    ns: dict = {"__name__": "t2k_test"}
    exec(compile(extract_definitions(text, "<t>").module, "<t>", "exec"), ns)  # noqa: S102
    return ns


def _keras_layer(model, path: str):
    how, _, where = path.partition(":")
    if how == "index":
        return model.layers[int(where)]
    obj = model
    for part in where.split("."):
        obj = obj[int(part)] if part.isdigit() else getattr(obj, part)
    return obj


def _inputs(specs, rng):
    arrays = []
    for spec in specs:
        shape = (3, *spec.shape)
        if spec.dtype.startswith("int"):
            arrays.append(rng.integers(0, spec.vocab or 2, size=shape).astype(np.int64))
        else:
            arrays.append(rng.standard_normal(shape).astype(np.float32))
    return arrays


def _flat(out):
    if isinstance(out, (list, tuple)):
        return [t for o in out for t in _flat(o)]
    return [out]


def run_both(source: str, **kwargs):
    """Translate, build both models, copy weights, run; returns (translation, torch, keras)."""
    tr = translate(source, "keras", **kwargs)
    torch.manual_seed(0)
    keras.utils.set_random_seed(0)
    tmodel = eval(tr.source_model, _exec(source)).eval()
    kmodel = eval(tr.target_model, _exec(tr.target_code))
    xs = _inputs(tr.inputs, np.random.default_rng(0))
    kxs = [x.transpose(s.to_target) if s.to_target else x for x, s in zip(xs, tr.inputs, strict=True)]
    kmodel(*kxs, training=False)  # builds the Keras weights
    modules = dict(tmodel.named_modules())
    for w in tr.weight_map:
        copy_weights(modules[w.torch_path], _keras_layer(kmodel, w.keras_path), w.kind,
                     w.params, "torch_to_keras")
    with torch.no_grad():
        t_out = [t.numpy() for t in _flat(tmodel(*[torch.from_numpy(x) for x in xs]))]
    k_out = [np.asarray(keras.ops.convert_to_numpy(t)) for t in _flat(kmodel(*kxs,
                                                                            training=False))]
    back = [k.transpose(np.argsort(s.to_target)) if s.to_target else k
            for k, s in zip(k_out, tr.outputs, strict=True)]
    return tr, t_out, back


@pytest.mark.parametrize("path", FIXTURES + BENCH, ids=lambda p: ("bench-" if "bench" in p.parts else "fixture-") + p.stem)
def test_translation_matches_numerically(path: Path) -> None:
    tr, t_out, k_out = run_both(path.read_text())
    assert len(t_out) == len(k_out) == len(tr.outputs)
    for t, k, spec in zip(t_out, k_out, tr.outputs, strict=True):
        assert t.shape == k.shape
        assert tuple(d for d in spec.shape) == t.shape[1:]
        np.testing.assert_allclose(k, t, atol=1e-4, rtol=1e-4)
    # every torch module with parameters has a weight transfer
    mapped = [w.torch_path for w in tr.weight_map]
    left = [name for name, m in eval(tr.source_model, _exec(path.read_text())).named_modules()
            if any(True for _ in m.parameters(recurse=False))
            and not any(name == p or name.startswith(p + ".") for p in mapped)]
    assert left == []


def test_seed_example_translates_runs_and_matches(tmp_path: Path) -> None:
    source = (ROOT / "examples" / "torch_regression.py").read_text()
    tr, t_out, k_out = run_both(source)
    np.testing.assert_allclose(k_out[0], t_out[0], atol=1e-4, rtol=1e-4)
    script = tmp_path / "translated.py"
    # the PyTorch loop prints nothing, so fit is silent; count the optimizer's steps instead
    assert "model.fit(x, y, epochs=10, batch_size=len(x), verbose=0)" in tr.target_code
    script.write_text(tr.target_code + 'print("steps", int(model.optimizer.iterations))\n')
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "KERAS_BACKEND": "tensorflow"}
    proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                          timeout=120, env=env)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "steps 10" in proc.stdout
