"""One flow walk serves device-flow, torch-loss and jax together (rules/flow/run.py shared_flow):
each family must find exactly what it finds when it is the only one enabled (then it walks
alone), on fresh and on incrementally re-analysed documents."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlsense.analyzers import Config, DocumentAnalyzer, analyze_text

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "rules"
FLOW_CODES = {"device-flow": ("MLS201", "MLS202", "MLS205"),
              "torch-loss": ("MLS101", "MLS106"), "jax": ("MLS501", "MLS502")}
SHARED = tuple(c for codes in FLOW_CODES.values() for c in codes)
# Fixtures of the flow rules, plus one file where torch and jax code meet so that all three
# analyses share a walk.
MIXED = """import jax
import torch
import torch.nn as nn

key = jax.random.PRNGKey(0)
a = jax.random.normal(key, (3,))
b = jax.random.normal(key, (3,))
model = nn.Linear(3, 1).cuda()
x = torch.zeros(4, 3)
model(x)
loss_fn = nn.MSELoss()
y = torch.randn(4)
for step in range(3):
    out = model(x.cuda())
    loss = loss_fn(out, y.cuda())
    x.cuda()
    arr = jax.numpy.zeros(3)
    arr[0] = 1
"""


def sources() -> list[tuple[str, str]]:
    files = sorted(p for p in FIXTURES.glob("MLS[125]0*.py") if p.name.split("_")[0] in SHARED)
    return [(p.name, p.read_text()) for p in files] + [("mixed.py", MIXED)]


def found(text: str, select: tuple[str, ...], keep: tuple[str, ...]) -> list[tuple]:
    result = analyze_text(text, None, Config(select=select))
    return [(f.range, f.code, f.message, f.fix) for f in result.findings if f.code in keep]


@pytest.mark.parametrize("name, text", sources())
def test_each_family_alone_equals_shared_walk(name: str, text: str) -> None:
    together = {fam: found(text, SHARED, codes) for fam, codes in FLOW_CODES.items()}
    assert any(together.values()) or name != "mixed.py"
    for fam, codes in FLOW_CODES.items():
        assert found(text, codes, codes) == together[fam], fam


def test_mixed_file_reports_every_shared_family() -> None:
    codes = {f[1] for f in found(MIXED, SHARED, SHARED)}
    assert {"MLS201", "MLS205", "MLS101", "MLS502", "MLS501"} <= codes


def test_incremental_shared_walk_matches_fresh() -> None:
    doc = DocumentAnalyzer(config=Config(select=SHARED))
    doc.analyze(MIXED)
    edited = MIXED.replace("model(x)\n", "model(x.cuda())\n").replace("y = torch.randn(4)",
                                                                      "y = torch.randn(4, 1)")
    again = doc.analyze(edited)
    fresh = analyze_text(edited, None, Config(select=SHARED))
    assert [(f.range, f.code, f.message) for f in again.findings] == \
        [(f.range, f.code, f.message) for f in fresh.findings]
