"""The verification worker failing in the ways processes fail: killed in the middle of a run,
or an interpreter that prints garbage on the protocol pipe (bytes that are not UTF-8, JSON that
is not a message, a torn line) and then exits or hangs. Each time the caller gets an unverified
report that says what happened, promptly, and the next verification works.
(Hanging past the timeout and cancellation: test_verify.py.)"""

from __future__ import annotations

import os
import signal
import stat
import threading
import time
from pathlib import Path

from mlsense.translators.verify import VerificationReport, VerificationWorker, verify_translation

from .test_verify import EXAMPLES, SLEEPY, _write, seed_torch_to_keras

GARBAGE = b'\xff\xfe\x00 not utf-8\n42\n[1, 2]\n"a string"\nnull\n{"ready": tr'


def _fake_interpreter(tmp_path: Path, then: str) -> str:
    """An executable that answers like no worker should: garbage on stdout, then ``then``."""
    (tmp_path / "garbage.bin").write_bytes(GARBAGE + b"\n")
    script = tmp_path / "python"
    script.write_text(f"#!/bin/sh\ncat '{tmp_path / 'garbage.bin'}'\n{then}\n")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return str(script)


def _sleepy_translation():
    translation = seed_torch_to_keras()
    translation.source_model, translation.weight_map[0].torch_path = "model", ""
    return translation


def test_worker_killed_mid_run(tmp_path: Path) -> None:
    source = _write(tmp_path, "sleepy.py", SLEEPY)
    with VerificationWorker() as own:
        own.ready_info("tensorflow", time.monotonic() + 120)
        pid = own.pids()["tensorflow"]
        reports: list[VerificationReport] = []
        run = threading.Thread(target=lambda: reports.append(verify_translation(
            str(source), _sleepy_translation(), worker=own, timeout=120)))
        run.start()
        time.sleep(2)  # the worker is now importing the sleepy module
        killed = time.monotonic()
        os.kill(pid, signal.SIGKILL)
        run.join(timeout=30)
        assert not run.is_alive() and time.monotonic() - killed < 10
        [report] = reports
        assert not report.verified
        assert "worker exited (code -9)" in report.message, report.message
        again = verify_translation(str(EXAMPLES / "torch_regression.py"), seed_torch_to_keras(),
                                   worker=own, onnx=False)
        assert again.verified, again.message
        assert own.pids()["tensorflow"] != pid


def test_garbage_on_the_pipe_then_exit(tmp_path: Path) -> None:
    fake = _fake_interpreter(tmp_path, "exit 3")
    with VerificationWorker(python=fake) as own:
        start = time.monotonic()
        report = verify_translation(str(EXAMPLES / "torch_regression.py"),
                                    seed_torch_to_keras(), worker=own, onnx=False, timeout=60)
        assert time.monotonic() - start < 10
    assert not report.verified
    assert "worker exited (code 3)" in report.message, report.message
    assert "(not a worker message) 42" in report.message  # what it printed is shown


def test_garbage_on_the_pipe_then_silence(tmp_path: Path) -> None:
    fake = _fake_interpreter(tmp_path, "exec sleep 600")
    with VerificationWorker(python=fake) as own:
        start = time.monotonic()
        report = verify_translation(str(EXAMPLES / "torch_regression.py"),
                                    seed_torch_to_keras(), worker=own, onnx=False, timeout=3)
        assert time.monotonic() - start < 10
        assert own.pids() == {}  # the hung process was killed
    assert not report.verified and "timed out after 3 s" in report.message
