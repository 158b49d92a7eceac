"""``mlsense translate`` front end: usage errors (exit 3) and failure reporting."""

from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import run_cli

TORCH_MODEL = (Path(__file__).resolve().parents[2] / "examples" / "torch_regression.py")


@pytest.fixture
def model(tmp_path: Path) -> Path:
    path = tmp_path / "model.py"
    path.write_text(TORCH_MODEL.read_text(encoding="utf-8"), encoding="utf-8")
    return path


@pytest.mark.parametrize("args, message", [
    (["missing.py", "--to", "keras"], "path does not exist: missing.py"),
    (["model.py"], "the following arguments are required: --to"),
    (["model.py", "--to", "jax"], "invalid choice: 'jax'"),
    (["model.py", "--to", "keras", "--input-shape", "1,a,3"], "not a shape like 1,28,28"),
    (["model.py", "--to", "keras", "--input-shape", "0,3"], "must be positive"),
    (["model.py", "--to", "keras", "--device", "tpu"], "invalid choice: 'tpu'"),
    (["model.py", "--to", "keras", "--bogus"], "unrecognized arguments: --bogus"),
    (["model.py", "--to", "keras", "-o", "model.py", "--force"], "refusing to overwrite the source"),
    (["model.py", "--to", "keras", "-o", "nodir/out.py"], "folder does not exist"),
])
def test_usage_errors_exit_3(model: Path, args: list[str], message: str) -> None:
    run = run_cli("translate", *args, cwd=model.parent)
    assert run.returncode == 3, run.stderr
    assert message in run.stderr
    assert "Traceback" not in run.stderr


def test_existing_output_is_not_overwritten_without_force(model: Path) -> None:
    out = model.parent / "out.py"
    out.write_text("# mine\n", encoding="utf-8")
    run = run_cli("translate", "model.py", "--to", "keras", "-o", "out.py", cwd=model.parent)
    assert run.returncode == 3 and "pass --force" in run.stderr
    assert out.read_text(encoding="utf-8") == "# mine\n"


def test_undecodable_source_cannot_be_translated(tmp_path: Path) -> None:
    (tmp_path / "bad.py").write_bytes(b"import torch\nx = '\xff'\n")
    run = run_cli("translate", "bad.py", "--to", "keras", cwd=tmp_path)
    assert run.returncode == 2
    assert "bad.py:2: source file: file is not valid UTF-8" in run.stderr
    run = run_cli("translate", "bad.py", "--to", "keras", "--output-format", "json", cwd=tmp_path)
    assert run.returncode == 2
    data = run.json()
    assert data["target_code"] is None and data["verified"] is None
    assert data["unsupported"][0]["line"] == 2


UNSUPPORTED = (
    "import torch.nn as nn\n"
    "\n"
    "\n"
    "class Net(nn.Module):\n"
    "    def __init__(self):\n"
    "        super().__init__()\n"
    "        self.fc = nn.Linear(10, 4)\n"
    "        self.fold = nn.Fold(output_size=(4, 5), kernel_size=(2, 2))\n"
    "\n"
    "    def forward(self, x):\n"
    "        return self.fold(self.fc(x))\n"
)


def test_translation_goes_to_stdout_as_valid_python(model: Path) -> None:
    run = run_cli("translate", "model.py", "--to", "keras", cwd=model.parent)
    assert run.returncode == 0, run.stderr
    compile(run.stdout, "translated.py", "exec")
    assert "import keras" in run.stdout and "class Net(keras.Model)" in run.stdout
    assert "torch" not in run.stdout.replace("PyTorch", "")


def test_output_file_is_written_and_protected(model: Path) -> None:
    run = run_cli("translate", "model.py", "--to", "keras", "-o", "model_keras.py",
                  cwd=model.parent)
    assert run.returncode == 0, run.stderr
    assert run.stdout == "" and "wrote model_keras.py" in run.stderr
    written = (model.parent / "model_keras.py").read_text(encoding="utf-8")
    assert "keras.Model" in written
    again = run_cli("translate", "model.py", "--to", "keras", "-o", "model_keras.py",
                    cwd=model.parent)
    assert again.returncode == 3
    (model.parent / "model_keras.py").write_text("# stale\n", encoding="utf-8")
    forced = run_cli("translate", "model.py", "--to", "keras", "-o", "model_keras.py", "--force",
                     cwd=model.parent)
    assert forced.returncode == 0
    assert (model.parent / "model_keras.py").read_text(encoding="utf-8") == written


def test_json_output_without_verification(model: Path) -> None:
    run = run_cli("translate", "model.py", "--to", "keras", "--output-format", "json",
                  cwd=model.parent)
    assert run.returncode == 0, run.stderr
    data = run.json()
    assert data["target_framework"] == "keras" and "keras.Model" in data["target_code"]
    assert data["verified"] is None and data["max_abs_error"] is None
    assert data["devices"] == [] and data["unsupported"] == []


def test_unsupported_construct_is_located_and_exits_2(tmp_path: Path) -> None:
    (tmp_path / "net.py").write_text(UNSUPPORTED, encoding="utf-8")
    run = run_cli("translate", "net.py", "--to", "keras", cwd=tmp_path)
    assert run.returncode == 2
    assert run.stdout == ""
    assert "net.py:8: nn.Fold(" in run.stderr and "--partial translates the rest" in run.stderr
    run = run_cli("translate", "net.py", "--to", "keras", "--output-format", "json", cwd=tmp_path)
    assert run.returncode == 2
    data = run.json()
    assert data["target_code"] is None and data["unsupported"][0]["line"] == 8


def test_partial_translation_leaves_stubs_and_exits_0(tmp_path: Path) -> None:
    (tmp_path / "net.py").write_text(UNSUPPORTED, encoding="utf-8")
    run = run_cli("translate", "net.py", "--to", "keras", "--partial", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert "layers.Dense(4)" in run.stdout
    assert run.stderr.count("net.py:8: nn.Fold(") == 1 and "left as a stub" in run.stderr


def test_syntax_error_cannot_be_translated(tmp_path: Path) -> None:
    (tmp_path / "bad.py").write_text("import torch\ndef f(:\n", encoding="utf-8")
    run = run_cli("translate", "bad.py", "--to", "keras", cwd=tmp_path)
    assert run.returncode == 2 and "bad.py:2:" in run.stderr


@pytest.mark.slow
def test_verified_translation_reports_the_error_in_json(model: Path) -> None:
    run = run_cli("translate", "model.py", "--to", "keras", "--verify", "--output-format", "json",
                  cwd=model.parent, timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr
    data = run.json()
    assert data["verified"] is True and data["devices"] == ["cpu"]
    assert data["max_abs_error"] is not None and data["max_abs_error"] <= 1e-4
    assert data["verification"]["verified"] is True


def test_keras_to_pytorch_direction(tmp_path: Path) -> None:
    keras_model = TORCH_MODEL.with_name("keras_regression.py")
    (tmp_path / "k.py").write_text(keras_model.read_text(encoding="utf-8"), encoding="utf-8")
    run = run_cli("translate", "k.py", "--to", "pytorch", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    compile(run.stdout, "translated.py", "exec")
    assert "import torch" in run.stdout and "nn.Linear(10, 64)" in run.stdout


def test_unknown_class_name_is_reported_without_the_partial_hint(model: Path) -> None:
    run = run_cli("translate", "model.py", "--to", "keras", "--class", "Nope", cwd=model.parent)
    assert run.returncode == 2
    assert "model.py:1: Nope:" in run.stderr and "found: Net" in run.stderr
    assert "--partial" not in run.stderr


BUILT_BY_CODE = '''import torch.nn as nn


class Stack(nn.Module):
    def __init__(self, widths):
        super().__init__()
        self.body = nn.Sequential(*[nn.Linear(a, b) for a, b in zip(widths, widths[1:])])

    def forward(self, x):
        return self.body(x)


def small_stack():
    return Stack([6, 5, 4])
'''


@pytest.mark.slow
def test_a_builder_function_is_built_and_traced_then_verified(tmp_path: Path) -> None:
    (tmp_path / "stack.py").write_text(BUILT_BY_CODE, encoding="utf-8")
    run = run_cli("translate", "stack.py", "--to", "keras", "--class", "small_stack", "--verify",
                  "--output-format", "json", cwd=tmp_path, timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr
    data = run.json()
    assert data["verified"] is True and "class Stack(keras.Model):" in data["target_code"]
    assert "self.body_1 = layers.Dense(4)" in data["target_code"]


def test_static_never_runs_the_files_code(tmp_path: Path) -> None:
    """With --static the builder function is where reading stops: a located error, exit 2, and
    the file's code never ran (it would have written a marker file)."""
    marker = tmp_path / "ran.txt"
    source = BUILT_BY_CODE.replace(
        "def small_stack():\n",
        f"def small_stack():\n    open({str(marker)!r}, 'w').close()\n")
    (tmp_path / "stack.py").write_text(source, encoding="utf-8")
    run = run_cli("translate", "stack.py", "--to", "keras", "--class", "small_stack", "--static",
                  cwd=tmp_path)
    assert run.returncode == 2, run.stdout + run.stderr
    assert "stack.py:" in run.stderr and "small_stack" in run.stderr
    assert not marker.exists()
