"""The shared flow walk (rules/flow/) over every statement and expression kind libcst defines:
no family may fail on any syntax, a def inside any compound statement is analysed, and names a
statement binds in unusual ways (match captures, walrus, ``type``, ``lazy import``) are bound.

The list of kinds is read from libcst itself, so a libcst upgrade that adds one fails here until
the corpus below covers it."""

from __future__ import annotations

import inspect

import libcst as cst
import pytest

from mlsense.analyzers import Config, analyze_text
from mlsense.analyzers.walk import iter_nodes

FLOW = ("MLS101", "MLS106", "MLS201", "MLS202", "MLS205", "MLS501", "MLS502")

# One file with every statement and expression class (checked below), in torch and jax code so
# that all three shared analyses walk it.
CORPUS = '''\
import torch
import torch.nn as nn
from torch import optim
lazy import jax
lazy from jax import numpy as jnp
type Shape = tuple[int, ...]
model = nn.Linear(3, 1).cuda()
x: torch.Tensor = torch.zeros(4, 3)
x += 1
del x
x = torch.zeros(4, 3)
assert x is not None, "x"
pass
values = [1, 2.5, 3j, ..., "a" "b", f"{x!r:>4}", t"{x}", b"raw", None]
mapping = {"a": 1, **{"b": 2}}
sets = {1, 2}
comps = ([i for i in range(3)], {i for i in range(3)}, {i: i for i in range(3)},
         (i for i in range(3)), {**d for d in [mapping]})
first, *rest = (1, 2, 3)
picked = values[0:2:1], values[-1], not values, values if values else None
lam = lambda a, *b, c=1, **d: a + c
cmp = 1 < 2 <= 3 != 4 and (1 or 2)
if (n := len(values)) > 1:
    pass
elif n:
    pass
else:
    pass
for i in range(3):
    if i:
        continue
    break
else:
    pass
while False:
    pass
else:
    pass
with open(__file__) as fh, open(__file__):
    pass
try:
    raise ValueError("x") from None
except ValueError as err:
    pass
else:
    pass
finally:
    pass
try:
    pass
except* OSError:
    pass
match values:
    case [1, *others] if others:
        pass
    case {"a": 1, **kw}:
        pass
    case str() | bytes() as s:
        pass
    case _:
        pass


def gen():
    global model
    yield 1
    yield from range(2)
    return


def outer():
    counter = 0

    def inner():
        nonlocal counter
        counter += 1
    return inner


async def run():
    await run()
    async for _ in run():
        pass
    async with run():
        pass


@staticmethod
class Holder(nn.Module):
    size: int = 3

    def forward(self, x):
        return x
'''


def _concrete_kinds() -> set[str]:
    bases = (cst.BaseStatement, cst.BaseSmallStatement, cst.BaseExpression)
    return {name for name in cst.__all__
            if inspect.isclass(kind := getattr(cst, name)) and issubclass(kind, bases)
            and not inspect.isabstract(kind) and not name.startswith("Base")}


def test_corpus_has_every_statement_and_expression_kind() -> None:
    present = {type(n).__name__ for n in iter_nodes([cst.parse_module(CORPUS)])}
    assert _concrete_kinds() - present == set()


def test_flow_families_walk_every_kind_without_failing() -> None:
    result = analyze_text(CORPUS, None, Config(select=("ALL",)))
    assert result.rule_errors == []
    assert result.syntax_error is None
    # The walk got past all of it: the bug below the corpus is still found.
    tail = CORPUS + "\nmodel(torch.randn(2, 3))\n"
    codes = [f.code for f in analyze_text(tail, None, Config(select=FLOW)).findings]
    assert codes == ["MLS201"]


COMPOUND_HEADERS = {
    "if": ("if cond:", ""), "elif": ("if cond:\n    pass\nelif other:", ""),
    "else": ("if cond:\n    pass\nelse:", ""), "for": ("for i in range(3):", ""),
    "for-else": ("for i in range(3):\n    pass\nelse:", ""), "while": ("while cond:", ""),
    "with": ("with ctx:", ""), "try": ("try:", "except Exception:\n    pass"),
    "except": ("try:\n    pass\nexcept Exception:", ""),
    "except*": ("try:\n    pass\nexcept* Exception:", ""),
    "finally": ("try:\n    pass\nfinally:", ""), "match": ("match cmd:\n    case 1:", ""),
    "class": ("class Box:", ""), "async-def": ("async def outer():", ""),
}


@pytest.mark.parametrize("kind", sorted(COMPOUND_HEADERS))
def test_def_inside_any_compound_statement_is_analysed(kind: str) -> None:
    header, after = COMPOUND_HEADERS[kind]
    depth = "        " if kind == "match" else "    "
    body = "".join(depth + line + "\n" for line in (
        "def step():",
        "    model = nn.Linear(3, 1).cuda()",
        "    model(torch.zeros(2, 3))"))
    text = f"import torch\nimport torch.nn as nn\n{header}\n{body}{after}\n"
    codes = [f.code for f in analyze_text(text, None, Config(select=FLOW)).findings]
    assert codes == ["MLS201"], text


@pytest.mark.parametrize("binding", [
    "match batch:\n    case [x, *_]:\n        pass",
    "if (x := batch.cuda()) is not None:\n    pass",
    "while (x := batch.cuda()) is None:\n    pass",
    "type x = int",
    "lazy import x",
])
def test_names_bound_by_unusual_statements_forget_what_was_known(binding: str) -> None:
    # `x` starts on the CPU; after the statement rebinds it nothing is known, so the call on the
    # GPU model must not be flagged (a warning on code that may be correct is a bug).
    text = ("import torch\nimport torch.nn as nn\nmodel = nn.Linear(3, 1).cuda()\n"
            "batch = [torch.zeros(2, 3)]\nx = torch.zeros(2, 3)\n" + binding + "\nmodel(x)\n")
    before = text.replace(binding + "\n", "")
    assert [f.code for f in analyze_text(before, None, Config(select=FLOW)).findings] == ["MLS201"]
    assert analyze_text(text, None, Config(select=FLOW)).findings == []
