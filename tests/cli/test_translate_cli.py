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
