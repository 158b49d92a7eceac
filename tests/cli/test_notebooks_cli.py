"""``mlsense check`` on Jupyter notebooks: found in folders, the code cells analysed as one
document (as the language server joins them), findings in cell coordinates in every format,
``--fix`` / ``--diff`` writing back only the cells' sources, and a located error for a file
that is not a notebook."""

from __future__ import annotations

import json
from pathlib import Path

from .conftest import run_cli

SELECT = ["--select", "MLS0,MLS105,MLS203,MLS301"]


def notebook(cells: list[tuple[str, str | list[str]]], language: str = "python") -> str:
    """nbformat 4 JSON, written as Jupyter writes it (one-space indent)."""
    out = []
    for kind, source in cells:
        cell: dict = {"cell_type": kind, "metadata": {}, "source": source}
        if kind == "code":
            cell.update(execution_count=None, outputs=[{"name": "stdout", "output_type": "stream",
                                                         "text": ["kept\n"]}])
        out.append(cell)
    doc = {"cells": out, "metadata": {"kernelspec": {"display_name": "k", "language": language,
                                                     "name": "k"}},
           "nbformat": 4, "nbformat_minor": 5}
    return json.dumps(doc, indent=1) + "\n"


CELLS: list[tuple[str, str | list[str]]] = [
    ("markdown", "# A training notebook"),
    ("code", ["%matplotlib inline\n", "import torch\n", "import torch.nn as nn\n", "import keras"]),
    ("code", ["model = nn.Linear(3, 1)\n",
              "optimizer = torch.optim.SGD(model.parameters(), lr=0.1)\n",
              "data = [torch.zeros(2, 3)]"]),
    ("code", ["!nvidia-smi\n",
              "for x in data:\n",
              "    loss = model(x).sum()\n",
              "    loss.backward()\n",
              "    print('loss %.3f'\n",
              "          % loss.item())\n",
              "    optimizer.step()\n"]),
    ("markdown", "Keras next."),
    ("code", "m = keras.Sequential([keras.layers.Dense(8, input_shape=(4,))])\n"
             "state = torch.load('m.pt')"),
]


def test_findings_are_located_in_their_cells(tmp_path: Path) -> None:
    (tmp_path / "nb").mkdir()
    (tmp_path / "nb" / "train.ipynb").write_text(notebook(CELLS), encoding="utf-8")
    run = run_cli("check", *SELECT, "nb", cwd=tmp_path)
    assert run.returncode == 1, run.stderr
    lines = run.stdout.splitlines()
    # the import in cell 2 counts in cells 3, 4 and 6; the magics and the `%` continuing
    # print( are not syntax errors
    assert lines[:3] == [
        "nb/train.ipynb:cell 4:7:5: MLS105 `optimizer.step()` in a loop that never calls "
        "`zero_grad()`: gradients add up across iterations; call `optimizer.zero_grad()` before "
        "`backward()`",
        "nb/train.ipynb:cell 6:1:45: MLS301 [*] Keras 3 prefers `keras.Input(shape=(4,))` as the "
        "first layer over `input_shape=` on a layer",
        "nb/train.ipynb:cell 6:2:9: MLS203 [*] `torch.load` without `map_location` fails on a "
        "machine without the GPU the checkpoint was saved from; pass `map_location=\"cpu\"` (or "
        "the target device)",
    ], run.stdout

    data = run_cli("check", *SELECT, "--output-format", "json", "nb", cwd=tmp_path).json()
    assert [(d["cell"], d["code"], d["location"], d["noqa_row"]) for d in data] == [
        (4, "MLS105", {"row": 7, "column": 5}, 7),
        (6, "MLS301", {"row": 1, "column": 45}, 1),
        (6, "MLS203", {"row": 2, "column": 9}, 2)]
    # a fix's edits are in the cell's coordinates too
    fix = data[2]["fix"]["edits"][0]
    assert fix["location"]["row"] == 2 and fix["content"] == ', map_location="cpu"'

    sarif = json.loads(run_cli("check", *SELECT, "--output-format", "sarif", "nb",
                               cwd=tmp_path).stdout)
    results = sarif["runs"][0]["results"]
    assert [(r["ruleId"], r["properties"]["cell"],
             r["locations"][0]["physicalLocation"]["region"]["startLine"]) for r in results] == [
        ("MLS105", 4, 7), ("MLS301", 6, 1), ("MLS203", 6, 2)]


def test_fix_writes_back_only_the_cells_and_keeps_magics_and_outputs(tmp_path: Path) -> None:
    path = tmp_path / "train.ipynb"
    path.write_text(notebook(CELLS), encoding="utf-8")
    diff = run_cli("check", *SELECT, "--diff", "--unsafe-fixes", "train.ipynb", cwd=tmp_path)
    assert diff.returncode == 1
    assert "--- a/train.ipynb:cell 4\n+++ b/train.ipynb:cell 4\n" in diff.stdout
    assert "+    optimizer.zero_grad()\n" in diff.stdout
    assert path.read_text(encoding="utf-8") == notebook(CELLS)  # --diff writes nothing

    run = run_cli("check", *SELECT, "--fix", "--unsafe-fixes", "train.ipynb", cwd=tmp_path)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "(3 fixed, 0 remaining)" in run.stdout
    after = json.loads(path.read_text(encoding="utf-8"))
    sources = ["".join(c["source"]) if isinstance(c["source"], list) else c["source"]
               for c in after["cells"]]
    assert sources[1] == "".join(CELLS[1][1])  # untouched, its magic too
    assert sources[3] == ("!nvidia-smi\nfor x in data:\n    loss = model(x).sum()\n"
                          "    optimizer.zero_grad()\n    loss.backward()\n"
                          "    print('loss %.3f'\n          % loss.item())\n    optimizer.step()\n")
    assert sources[5] == ("m = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(8)])\n"
                          "state = torch.load('m.pt', map_location=\"cpu\")")  # no newline added
    assert isinstance(after["cells"][3]["source"], list)  # kept as a list of lines
    assert isinstance(after["cells"][5]["source"], str)
    assert all(c.get("outputs", [{}])[0].get("text") == ["kept\n"]
               for c in after["cells"] if c["cell_type"] == "code")
    # everything but the fixed cells is byte-for-byte as Jupyter wrote it
    before_lines = notebook(CELLS).splitlines()
    changed = [ln for ln in path.read_text(encoding="utf-8").splitlines() if ln not in before_lines]
    assert len(changed) == 2 and run_cli("check", *SELECT, "train.ipynb",
                                         cwd=tmp_path).returncode == 0


def test_not_a_notebook_is_a_located_error_and_other_kernels_are_skipped(tmp_path: Path) -> None:
    (tmp_path / "broken.ipynb").write_text('{"cells": [', encoding="utf-8")
    (tmp_path / "r.ipynb").write_text(notebook([("code", "library(torch)\nx <- 1\n")], "R"),
                                      encoding="utf-8")
    (tmp_path / "ok.py").write_text("import math\n", encoding="utf-8")
    run = run_cli("check", *SELECT, ".", cwd=tmp_path)
    assert run.returncode == 2
    assert "broken.ipynb: not a Jupyter notebook (invalid JSON: Expecting value: line 1 column 12" \
        in run.stderr
    assert "r.ipynb" not in run.stdout
    assert "1 file could not be checked" in run.stdout
