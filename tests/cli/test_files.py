"""File discovery and reading: .gitignore, default excludes, bad paths, undecodable files, -j."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from .conftest import FIXABLE, SELECT, UNFIXABLE, run_cli


def _names(run) -> list[str]:
    return sorted({Path(i["filename"]).relative_to(run.cwd).as_posix() for i in run.json()})


def _check_json(cwd: Path, *args: str):
    run = run_cli("check", *args, "--output-format", "json", *SELECT, cwd=cwd)
    run.cwd = cwd.resolve()  # type: ignore[attr-defined]
    return run


def test_gitignore_and_default_excludes_are_respected(tmp_path: Path) -> None:
    for rel in ("src/a.py", "src/b.pyi", "src/gen/c.py", "build_out/d.py", ".venv/lib/e.py",
                "node_modules/x/f.py", "src/__pycache__/g.py", "src/keep.py", "notes.txt"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(FIXABLE, encoding="utf-8")
    (tmp_path / ".gitignore").write_text("build_out/\n*.txt\n", encoding="utf-8")
    (tmp_path / "src" / ".gitignore").write_text("gen/\nkeep.py\n!keep.py\n", encoding="utf-8")
    assert _names(_check_json(tmp_path, ".")) == ["src/a.py", "src/b.pyi", "src/keep.py"]
    everything = _names(_check_json(tmp_path, ".", "--no-respect-gitignore"))
    assert "build_out/d.py" in everything and "src/gen/c.py" in everything
    assert ".venv/lib/e.py" not in everything


def test_parent_gitignore_applies_inside_a_git_repository(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / ".gitignore").write_text("generated_*.py\n", encoding="utf-8")
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "generated_x.py").write_text(FIXABLE, encoding="utf-8")
    (tmp_path / "src" / "real.py").write_text(FIXABLE, encoding="utf-8")
    run = _check_json(tmp_path / "src", ".")
    assert _names(run) == ["real.py"]


def test_explicit_files_are_checked_even_if_gitignored(tmp_path: Path) -> None:
    (tmp_path / ".gitignore").write_text("*.py\n", encoding="utf-8")
    (tmp_path / "a.py").write_text(FIXABLE, encoding="utf-8")
    assert _names(_check_json(tmp_path, ".")) == []
    assert _names(_check_json(tmp_path, "a.py")) == ["a.py"]


def test_nonexistent_path_exits_2(tmp_path: Path) -> None:
    run = run_cli("check", "missing_dir", cwd=tmp_path)
    assert run.returncode == 2
    assert "mlsense: error: path does not exist: missing_dir" in run.stderr
    assert "Traceback" not in run.stderr


def test_broken_symlink_named_explicitly_exits_2(tmp_path: Path) -> None:
    (tmp_path / "dangling.py").symlink_to(tmp_path / "nowhere.py")
    run = run_cli("check", "dangling.py", cwd=tmp_path)
    assert run.returncode == 2 and "path does not exist: dangling.py" in run.stderr


def test_unreadable_files_in_a_folder_are_reported_and_the_rest_checked(tmp_path: Path) -> None:
    (tmp_path / "dangling.py").symlink_to(tmp_path / "nowhere.py")
    os.mkfifo(tmp_path / "pipe.py")  # reading a FIFO would block: it must be refused
    (tmp_path / "ok.py").write_text(FIXABLE, encoding="utf-8")
    run = run_cli("check", ".", *SELECT, cwd=tmp_path, timeout=30)
    assert run.returncode == 2
    assert "dangling.py: cannot read file" in run.stderr
    assert "pipe.py: cannot read file: not a regular file" in run.stderr
    assert "ok.py:3:" in run.stdout
    assert "2 files could not be checked" in run.stdout


def test_non_utf8_file_gives_a_located_mls002(tmp_path: Path) -> None:
    (tmp_path / "latin.py").write_bytes(b"x = 1\ny = 2\nname = 'caf\xe9'\n")
    run = _check_json(tmp_path, ".")
    assert run.returncode == 1
    (item,) = run.json()
    assert item["code"] == "MLS002"
    assert item["location"] == {"row": 3, "column": len("name = 'caf") + 1}
    assert "0xe9" in item["message"]


def test_parallel_output_is_identical_to_serial(tmp_path: Path) -> None:
    for i in range(24):
        folder = tmp_path / f"d{i % 5}"
        folder.mkdir(exist_ok=True)
        text = FIXABLE if i % 3 else UNFIXABLE
        (folder / f"m{i}.py").write_text(text * (1 + i % 4), encoding="utf-8")
    (tmp_path / "d1" / "broken.py").write_text("def f(:\n", encoding="utf-8")
    outputs = {}
    for fmt in ("text", "json"):
        for jobs in ("1", "2"):
            run = run_cli("check", ".", "-j", jobs, "--output-format", fmt, *SELECT, cwd=tmp_path)
            assert run.returncode == 1, run.stderr
            outputs[fmt, jobs] = run.stdout
        assert outputs[fmt, "1"] == outputs[fmt, "2"]
    assert outputs["text", "1"].count("MLS301") >= 24
    assert "d1/broken.py:1:" in outputs["text", "1"]


def test_installed_console_script_runs(tmp_path: Path) -> None:
    import sys

    script = Path(sys.executable).with_name("mlsense")
    if not script.exists():
        pytest.skip("mlsense is not installed as a console script in this environment")
    (tmp_path / "a.py").write_text(FIXABLE, encoding="utf-8")
    proc = subprocess.run([str(script), "check", "a.py", *SELECT], cwd=tmp_path,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1 and "a.py:3:" in proc.stdout


def _read_all(fd: int, sink: list[bytes]) -> None:
    while True:
        try:
            data = os.read(fd, 4096)
        except OSError:  # EIO: the terminal's other end is closed
            return
        if not data:
            return
        sink.append(data)


def _stderr_on_a_terminal(cwd: Path, *args: str) -> tuple[int, str, str]:
    """Run the CLI with stderr on a pseudo-terminal; (exit code, stdout, what the tty got)."""
    import pty
    import sys
    import threading

    leader, follower = pty.openpty()
    chunks: list[bytes] = []
    reader = threading.Thread(target=_read_all, args=(leader, chunks), daemon=True)
    reader.start()  # drain the terminal while the child writes, so it can never block
    try:
        proc = subprocess.run([sys.executable, "-m", "mlsense", *args], cwd=cwd,
                              stdout=subprocess.PIPE, stderr=follower, timeout=60)
    finally:
        os.close(follower)
        reader.join(timeout=10)
        os.close(leader)
    return proc.returncode, proc.stdout.decode(), b"".join(chunks).decode()


def test_progress_bar_only_on_a_terminal_and_only_for_many_files(tmp_path: Path) -> None:
    for i in range(55):
        (tmp_path / f"m{i}.py").write_text("x = 1\n", encoding="utf-8")
    code, out, tty = _stderr_on_a_terminal(tmp_path, "check", ".", "-j", "1")
    assert code == 0 and out.strip() == "All checks passed!"
    assert "55/55 files" in tty
    assert "files" not in _stderr_on_a_terminal(tmp_path, "check", ".", "--no-progress")[2]
    assert "files" not in _stderr_on_a_terminal(tmp_path, "check", "m1.py", "m2.py")[2]
    assert "files" not in run_cli("check", ".", "-j", "1", cwd=tmp_path).stderr  # not a tty
