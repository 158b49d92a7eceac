"""Helpers for CLI tests: run the real entry point (``python -m mlsense``) in a subprocess."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

# A fixable MLS301 finding (keras is imported, so `keras.Input` can be spelled).
FIXABLE = (
    "import keras\n"
    "\n"
    "model = keras.Sequential([keras.layers.Dense(8, input_shape=(4,)), keras.layers.Dense(1)])\n"
)
FIXABLE_AFTER = (
    "import keras\n"
    "\n"
    "model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(8), "
    "keras.layers.Dense(1)])\n"
)
# The same rule without a fix: nothing spells `keras.Input` in this file.
UNFIXABLE = (
    "from keras.models import Sequential\n"
    "from keras.layers import Dense\n"
    "\n"
    "model = Sequential([Dense(8, input_shape=(4,)), Dense(1)])\n"
)
CLEAN = "import math\n\nprint(math.pi)\n"
# Only the engine and MLS301 codes: other rule families landing later must not change results.
SELECT = ["--select", "MLS0,MLS301"]


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        return json.loads(self.stdout)


def run_cli(*args: str, cwd: Path, timeout: float = 60) -> Run:
    """``python -m mlsense ARGS`` in ``cwd``; no progress bar (stderr is not a TTY anyway)."""
    proc = subprocess.run([sys.executable, "-m", "mlsense", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=timeout)
    return Run(proc.returncode, proc.stdout, proc.stderr)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A small project: one fixable finding, one unfixable, one clean file."""
    (tmp_path / "fixable.py").write_text(FIXABLE, encoding="utf-8")
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "unfixable.py").write_text(UNFIXABLE, encoding="utf-8")
    (tmp_path / "pkg" / "clean.py").write_text(CLEAN, encoding="utf-8")
    return tmp_path
