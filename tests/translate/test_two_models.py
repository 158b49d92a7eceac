"""A file with two models (a GAN's generator and discriminator) translates the selected one.

The other model's class is not translated; before, PyTorch -> Keras dropped it silently and
kept ``netD = D()`` and dropped ``opt_d = ...``, so the emitted file stopped on a NameError when
run without ``--verify``. Now the class, the statement that builds it and every statement reading
that one are TODO lines with a note each, and the emitted file runs as a whole: on the static
path and on the traced one (a generator whose forward tests ``is_cuda``, as DCGAN's does).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from mlsense.translators import translate
from mlsense.translators.verify import VerificationWorker

pytest.importorskip("keras")

GAN = '''import torch
from torch import nn


class G(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 8)

    def forward(self, z):
        return torch.tanh(self.fc(z))


class D(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(8, 1)

    def forward(self, x):
        return torch.sigmoid(self.fc(x))


netG = G()
netD = D()
opt_d = torch.optim.Adam(netD.parameters(), lr=2e-4)
'''


def test_the_other_model_and_what_uses_it_are_todo_lines() -> None:
    tr = translate(GAN, "keras", class_name="G", filename="gan.py")
    code = tr.target_code
    assert "# TODO(mlsense): class D (line 14): another PyTorch model of the file, not " \
        "translated (translate it on its own: --class D)" in code
    assert "# TODO(mlsense): reads D, which is not translated: netD = D()" in code
    assert "# TODO(mlsense): reads netD, which is not translated: opt_d = " in code
    assert any(n.startswith("line 14: class D: another PyTorch model") for n in tr.notes)
    scope: dict[str, Any] = {}
    exec(compile(code, "emitted.py", "exec"), scope)  # noqa: S102 - it runs as a whole
    assert "netG" in scope and "netD" not in scope


@pytest.fixture(scope="module")
def worker() -> Iterator[VerificationWorker]:
    with VerificationWorker(idle_timeout=0) as pool:
        yield pool


@pytest.mark.slow
def test_the_traced_path_leaves_the_other_model_out_too(worker) -> None:
    traced = GAN.replace("""        return torch.tanh(self.fc(z))""", """        if z.is_cuda and self.ngpu > 1:
            return self.fc(z)
        return torch.tanh(self.fc(z))""").replace("""        self.fc = nn.Linear(4, 8)""",
                                                  """        self.fc = nn.Linear(4, 8)
        self.ngpu = 1""")
    tr = translate(traced, "keras", class_name="G", filename="gan.py", run_code=True,
                   worker=worker)
    code = tr.target_code
    assert "traced" in tr.notes[0]  # the runtime path, not the static one
    assert "# TODO(mlsense): class D (line 17): another PyTorch model" in code, code
    assert "# TODO(mlsense): reads D, which is not translated: netD = D()" in code
    assert "# TODO(mlsense): reads netD, which is not translated: opt_d = " in code
    scope: dict[str, Any] = {}
    exec(compile(code, "emitted.py", "exec"), scope)  # noqa: S102 - it runs as a whole
    assert "netG" in scope and "netD" not in scope
