"""verify_translation on hand-written translations (source file + target code + weight map).

One warm worker serves the module; the timeout / cancel tests use their own, since they kill it.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from mlsense.translators import translate
from mlsense.translators.base import TensorSpec, Translation, WeightTransfer
from mlsense.translators.verify import (
    VerificationReport,
    VerificationWorker,
    verify_translation,
)

pytestmark = pytest.mark.slow
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"

KERAS_NET = '''
import keras
from keras import layers


class Net(keras.Model):
    def __init__(self):
        super().__init__()
        self.fc = layers.Dense(1)

    def call(self, x):
        return self.fc(x)


model = Net()
model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.01, epsilon=1e-8), loss="mse")
model.fit(x, y, epochs=10, batch_size=len(x), verbose=0)
'''

TORCH_SEQ = '''
import torch
from torch import nn

model = nn.Sequential(nn.Linear(10, 64), nn.ReLU(), nn.Linear(64, 1))
loss_fn = nn.MSELoss()
optimizer = torch.optim.Adam(model.parameters(), lr=0.001, eps=1e-7)
for epoch in range(10):
    optimizer.zero_grad()
    loss = loss_fn(model(x), y)
    loss.backward()
    optimizer.step()
'''


def seed_torch_to_keras() -> Translation:
    return Translation("pytorch", "keras", KERAS_NET, "Net()", "Net()", [TensorSpec((10,))],
                       [TensorSpec((1,))], [WeightTransfer("dense", "fc", "attr:fc", {}, 12)])


def seed_keras_to_torch() -> Translation:
    return Translation("keras", "pytorch", TORCH_SEQ, "model", "model", [TensorSpec((10,))],
                       [TensorSpec((1,))],
                       [WeightTransfer("dense", "0", "index:0", {}, 10),
                        WeightTransfer("dense", "2", "index:1", {}, 10)])


@pytest.fixture(scope="module")
def worker() -> Iterator[VerificationWorker]:
    with VerificationWorker(idle_timeout=600) as shared:
        yield shared


def _write(tmp_path: Path, name: str, source: str) -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(source))
    return path


def test_seed_torch_to_keras_verifies(worker: VerificationWorker) -> None:
    report = verify_translation(str(EXAMPLES / "torch_regression.py"), seed_torch_to_keras(),
                                worker=worker)
    assert report.verified, report.message
    assert report.max_abs_error is not None and report.max_abs_error < 1e-5
    assert report.devices == ["cpu"] and report.per_device[0].backend == "tensorflow"
    assert report.onnx is not None and report.onnx["agrees"], report.onnx
    [fc] = report.per_layer  # each mapped layer's error is reported, verified or not
    assert (fc.torch_path, fc.line, fc.diverges) == ("fc", 12, False)  # as the weight map says
    assert fc.max_abs_error is not None and fc.max_abs_error < 1e-5
    assert "every mapped layer agrees" not in report.message
    assert (report.atol, report.rtol) == (1e-4, 1e-4)
    assert report.as_dict()["per_device"][0]["outputs"][0]["shape"] == [2, 1]


def test_seed_keras_to_torch_verifies(worker: VerificationWorker) -> None:
    report = verify_translation(str(EXAMPLES / "keras_regression.py"), seed_keras_to_torch(),
                                worker=worker)
    assert report.verified, report.message
    assert report.max_abs_error < 1e-4


def test_warm_worker_is_reused_and_fast(worker: VerificationWorker) -> None:
    verify_translation(str(EXAMPLES / "torch_regression.py"), seed_torch_to_keras(),
                       worker=worker)
    pid = worker.pids()["tensorflow"]
    start = time.monotonic()
    report = verify_translation(str(EXAMPLES / "torch_regression.py"), seed_torch_to_keras(),
                                worker=worker)
    assert report.verified and worker.pids()["tensorflow"] == pid
    assert time.monotonic() - start < 5.0  # budget 1.5 s; slack for a loaded CI machine


def test_wrong_activation_is_located_per_layer(tmp_path: Path, worker: VerificationWorker) -> None:
    source = _write(tmp_path, "mlp.py", """
        import torch
        from torch import nn


        class MLP(nn.Module):
            def __init__(self):
                super().__init__()
                self.fc1 = nn.Linear(4, 8)
                self.fc2 = nn.Linear(8, 3)

            def forward(self, x):
                return self.fc2(torch.relu(self.fc1(x)))
        """)
    target = textwrap.dedent("""
        import keras
        from keras import layers


        class MLP(keras.Model):
            def __init__(self):
                super().__init__()
                self.fc1 = layers.Dense(8)
                self.fc2 = layers.Dense(3)

            def call(self, x):
                return self.fc2(keras.ops.tanh(self.fc1(x)))
        """)
    translation = Translation("pytorch", "keras", target, "MLP()", "MLP()", [TensorSpec((4,))],
                              weight_map=[WeightTransfer("dense", "fc1", "attr:fc1", {}, 9),
                                          WeightTransfer("dense", "fc2", "attr:fc2", {}, 10)])
    report = verify_translation(str(source), translation, worker=worker, onnx=False)
    assert not report.verified
    assert report.max_abs_error is not None and report.max_abs_error > 1e-3
    fc1, fc2 = report.per_layer
    assert fc1.max_abs_error is not None and fc1.max_abs_error < 1e-5 and not fc1.diverges
    assert fc2.diverges and fc2.line == 10
    assert "first diverging layer: fc2" in report.message and "line 10" in report.message


def test_keras_to_torch_divergence_with_fused_activation(tmp_path: Path,
                                                         worker: VerificationWorker) -> None:
    source = _write(tmp_path, "seq.py", """
        import keras
        from keras import layers

        model = keras.Sequential([
            keras.Input((4,)),
            layers.Dense(8, activation="relu"),
            layers.Dense(3, activation="sigmoid"),
        ])
        """)
    def run(activations: tuple[str, str]) -> VerificationReport:
        target = ("import torch\nfrom torch import nn\n\nmodel = nn.Sequential(nn.Linear(4, 8), "
                  f"nn.{activations[0]}(), nn.Linear(8, 3), nn.{activations[1]}())\n")
        translation = Translation(
            "keras", "pytorch", target, "model", "model", [TensorSpec((4,))],
            weight_map=[WeightTransfer("dense", "0", "index:0", {}, 7),
                        WeightTransfer("dense", "2", "index:1", {}, 8)])
        return verify_translation(str(source), translation, worker=worker, onnx=False)

    report = run(("Tanh", "Sigmoid"))  # wrong activation between the layers
    assert not report.verified
    first, second = report.per_layer
    # Keras fuses relu into Dense: the probe applies it to the torch Linear output to compare
    assert first.max_abs_error is not None and first.max_abs_error < 1e-5, first
    assert second.diverges and second.line == 8

    report = run(("ReLU", "Tanh"))  # wrong activation after the last weighted layer
    assert not report.verified and not any(e.diverges for e in report.per_layer)
    assert "every mapped layer agrees" in report.message


CONV_SOURCE = """
import torch
from torch import nn


class ConvNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3, padding=1)
        self.bn = nn.BatchNorm2d(4)
        self.head = nn.Linear(4 * 5 * 5, 2)

    def forward(self, x):
        features = torch.relu(self.bn(self.conv(x)))
        return self.head(features.flatten(1)), features
"""

CONV_TARGET = """
import keras
from keras import layers


class ConvNet(keras.Model):
    def __init__(self):
        super().__init__()
        self.conv = layers.Conv2D(4, 3, padding="same")
        self.bn = layers.BatchNormalization(epsilon=1e-5, momentum=0.9)
        self.head = layers.Dense(2)

    def call(self, x):
        features = keras.ops.relu(self.bn(self.conv(x)))
        return self.head(layers.Flatten()(features)), features
"""


def conv_translation() -> Translation:
    nhwc = (0, 2, 3, 1)
    return Translation(
        "pytorch", "keras", CONV_TARGET, "ConvNet()", "ConvNet()",
        [TensorSpec((3, 5, 5), to_target=nhwc)], [TensorSpec((2,)), TensorSpec((4, 5, 5),
                                                                               to_target=nhwc)],
        [WeightTransfer("conv", "conv", "attr:conv", {"rank": 2}, 9),
         WeightTransfer("batchnorm", "bn", "attr:bn", {}, 10),
         WeightTransfer("dense", "head", "attr:head", {"flatten_from": [4, 5, 5]}, 11)])


def test_channels_last_layout_and_flatten_order(tmp_path: Path,
                                                worker: VerificationWorker) -> None:
    source = _write(tmp_path, "convnet.py", CONV_SOURCE)
    report = verify_translation(str(source), conv_translation(), worker=worker)
    assert report.verified, report.message
    assert [o["shape"] for o in report.per_device[0].outputs] == [[2, 2], [2, 4, 5, 5]]


def test_missing_flatten_permutation_fails(tmp_path: Path, worker: VerificationWorker) -> None:
    source = _write(tmp_path, "convnet.py", CONV_SOURCE)
    translation = conv_translation()
    translation.weight_map[2].params = {}  # the NCHW/NHWC flatten-order trap
    report = verify_translation(str(source), translation, worker=worker, onnx=False)
    assert not report.verified
    first = next(e for e in report.per_layer if e.diverges)
    assert first.torch_path == "head" and first.line == 11


def test_embedding_ids_keras_to_torch(tmp_path: Path, worker: VerificationWorker) -> None:
    source = _write(tmp_path, "emb.py", """
        import keras
        from keras import layers

        model = keras.Sequential([keras.Input((7,), dtype="int64"), layers.Embedding(20, 4),
                                  layers.GlobalAveragePooling1D(), layers.Dense(2)])
        """)
    target = textwrap.dedent("""
        import torch
        from torch import nn


        class Model(nn.Module):
            def __init__(self):
                super().__init__()
                self.embedding = nn.Embedding(20, 4)
                self.dense = nn.Linear(4, 2)

            def forward(self, ids):
                return self.dense(self.embedding(ids).mean(dim=1))
        """)
    translation = Translation(
        "keras", "pytorch", target, "model", "Model()", [TensorSpec((7,), "int64", vocab=20)],
        weight_map=[WeightTransfer("embedding", "embedding", "index:0", {}, 5),
                    WeightTransfer("dense", "dense", "index:2", {}, 6)])
    report = verify_translation(str(source), translation, worker=worker)
    assert report.verified, report.message


def test_errors_in_translated_code_are_located(worker: VerificationWorker) -> None:
    translation = seed_torch_to_keras()
    translation.target_code = translation.target_code.replace("return self.fc(x)",
                                                              "return self.fc(y)")
    report = verify_translation(str(EXAMPLES / "torch_regression.py"), translation,
                                worker=worker)
    assert not report.verified
    assert "NameError" in report.message and "'y' is not defined" in report.message
    assert "line 12" in report.message
    assert "<mlsense translation of torch_regression.py>" in report.message


def test_bad_weight_map_path_is_reported(worker: VerificationWorker) -> None:
    translation = seed_torch_to_keras()
    translation.weight_map[0].torch_path = "fc9"
    report = verify_translation(str(EXAMPLES / "torch_regression.py"), translation,
                                worker=worker)
    assert not report.verified and "no torch module 'fc9'" in report.message


def test_source_text_overrides_the_file(worker: VerificationWorker) -> None:
    text = (EXAMPLES / "torch_regression.py").read_text().replace("nn.Linear(10, 1)",
                                                                  "nn.Linear(10, 2)")
    report = verify_translation(str(EXAMPLES / "torch_regression.py"), seed_torch_to_keras(),
                                source_text=text, worker=worker, onnx=False)
    assert not report.verified and "shape" in report.message


def test_user_prints_do_not_break_the_protocol(worker: VerificationWorker) -> None:
    text = (EXAMPLES / "torch_regression.py").read_text().replace(
        "super().__init__()", "super().__init__()\n        print('{\"id\": 1}' * 1000)")
    report = verify_translation(str(EXAMPLES / "torch_regression.py"), seed_torch_to_keras(),
                                source_text=text, worker=worker, onnx=False)
    assert report.verified, report.message


def test_all_devices_reports_cuda_skipped_without_gpu(worker: VerificationWorker) -> None:
    report = verify_translation(str(EXAMPLES / "torch_regression.py"), seed_torch_to_keras(),
                                device="all", worker=worker, onnx=False)
    cuda_rows = [r for r in report.per_device if r.device == "cuda"]
    if any(not r.skipped for r in cuda_rows):
        pytest.skip("this machine has a GPU")
    assert report.verified and report.devices == ["cpu"]
    assert cuda_rows and all("skipped, no GPU" in r.message for r in cuda_rows)


def test_keras_torch_backend_leg_on_cpu(tmp_path: Path) -> None:
    """The CUDA code path (Keras on its torch backend, own worker) run on the CPU."""
    source = _write(tmp_path, "convnet.py", CONV_SOURCE)
    with VerificationWorker() as own:
        report = verify_translation(str(source), conv_translation(), device="cpu/torch",
                                    worker=own, onnx=False)
        assert report.verified, report.message
        assert [(r.device, r.backend) for r in report.per_device] == [("cpu", "torch")]
        assert list(own.pids()) == ["torch"]
        cuda = verify_translation(str(source), conv_translation(), device="cuda", worker=own,
                                  onnx=False)
        if any(not r.skipped for r in cuda.per_device):
            return  # a GPU machine: the legs ran, nothing more to check here
        assert not cuda.verified and cuda.devices == []  # asked for cuda, got none
        assert all("no GPU" in r.message for r in cuda.per_device)


def test_unreadable_source_is_reported(tmp_path: Path) -> None:
    report = verify_translation(str(tmp_path / "missing.py"), seed_torch_to_keras())
    assert not report.verified and "cannot read" in report.message


def test_unknown_device_is_rejected() -> None:
    with pytest.raises(ValueError, match="unknown device 'tpu'"):
        verify_translation(str(EXAMPLES / "torch_regression.py"), seed_torch_to_keras(),
                           device="tpu")


SLEEPY = "import time\n_ = time.sleep(60)\nimport torch\nmodel = torch.nn.Linear(10, 1)\n"


def test_timeout_and_cancel_kill_the_worker_which_restarts(tmp_path: Path) -> None:
    source = _write(tmp_path, "sleepy.py", SLEEPY)
    translation = seed_torch_to_keras()
    translation.source_model, translation.weight_map[0].torch_path = "model", ""
    with VerificationWorker() as own:
        own.ready_info("tensorflow", time.monotonic() + 120)
        pid = own.pids()["tensorflow"]
        start = time.monotonic()
        report = verify_translation(str(source), translation, worker=own, timeout=3)
        assert time.monotonic() - start < 10
        assert not report.verified and "timed out after 3 s" in report.message
        assert "tensorflow" not in own.pids()

        again = verify_translation(str(EXAMPLES / "torch_regression.py"),
                                   seed_torch_to_keras(), worker=own, onnx=False)
        assert again.verified and own.pids()["tensorflow"] != pid

        cancel = threading.Event()
        threading.Timer(1.0, cancel.set).start()
        start = time.monotonic()
        report = verify_translation(str(source), translation, worker=own, cancel=cancel)
        assert time.monotonic() - start < 8
        assert not report.verified and "cancelled" in report.message
        assert own.pids() == {}


def test_idle_worker_is_stopped() -> None:
    own = VerificationWorker(idle_timeout=1.0)
    own.warm_up("tensorflow")
    assert "tensorflow" in own.pids()
    deadline = time.monotonic() + 10
    while own.pids() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert own.pids() == {}


def test_worker_runs_as_a_file_for_another_interpreter() -> None:
    """Another interpreter (one that may lack mlsense) runs worker.py as a file: the worker loads
    the package it belongs to from its own location and verifies as usual."""
    other = os.path.join(os.path.dirname(sys.executable), ".", os.path.basename(sys.executable))
    with VerificationWorker(python=other, idle_timeout=600) as own:
        report = verify_translation(str(EXAMPLES / "torch_regression.py"), seed_torch_to_keras(),
                                    worker=own, onnx=False)
        assert report.verified, report.message
        pid = own.pids()["tensorflow"]
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        assert argv[1].endswith(b"/translators/verify/worker.py"), argv


def test_parent_imports_no_framework() -> None:
    code = textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {str(Path(__file__).parent)!r})
        from test_verify import seed_torch_to_keras
        from mlsense.translators.verify import verify_translation
        report = verify_translation({str(EXAMPLES / "torch_regression.py")!r},
                                    seed_torch_to_keras(), onnx=False)
        assert report.verified, report.message
        loaded = {{m.split(".")[0] for m in sys.modules}} & {{"torch", "tensorflow", "keras", "jax"}}
        assert not loaded, loaded
        """)
    subprocess.run([sys.executable, "-c", code], check=True, timeout=240)


def test_per_layer_probe_is_not_rewritten_by_an_inplace_op(tmp_path: Path,
                                                           worker: VerificationWorker) -> None:
    """A BatchNorm followed by ReLU(inplace=True): the probe keeps the BatchNorm's own output
    (the in-place ReLU used to rewrite it), and with 8 channels on an 8x8 image, where NCHW and
    NHWC have the same shape, the layouts are still matched: no layer is reported off."""
    source = _write(tmp_path, "block.py", """
        import torch
        from torch import nn


        class Block(nn.Module):
            def __init__(self):
                super().__init__()
                self.conv = nn.Conv2d(3, 8, 3, padding=1)
                self.bn = nn.BatchNorm2d(8)
                self.relu = nn.ReLU(inplace=True)

            def forward(self, x):
                return self.relu(self.bn(self.conv(x)))
    """)
    translation = translate(source.read_text(), "keras", input_shape=(3, 8, 8))
    report = verify_translation(str(source), translation, worker=worker, onnx=False)
    assert report.verified, report.message
    for row in report.per_layer:
        assert row.max_abs_error is not None and row.max_abs_error < 1e-4, row
