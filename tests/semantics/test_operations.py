"""The value model's tensor operations against torch itself: for each pair of shapes,
``ops.matmul`` / ``ops.concat_mismatch`` either give what torch gives or say it fails, and
they say it fails only where torch raises (a mismatch is reported as an error, so a wrong one
would flag correct code)."""

from __future__ import annotations

import itertools

import libcst as cst
import pytest

from mlsense.analyzers.semantics import ops
from mlsense.analyzers.semantics.dims import fmt_shape

torch = pytest.importorskip("torch")

SHAPES = [(3, 4), (4, 5), (5, 6), (4,), (5,), (2, 3, 4), (2, 4, 5), (1, 4, 5), (2, 5, 6),
          (3, 4, 5), (8, 3, 4)]
NODE = cst.Name("x")


def _torch(op: str, a: tuple[int, ...], b: tuple[int, ...]) -> tuple[int, ...] | None:
    fn = {"@": torch.matmul, "matmul": torch.matmul, "mm": torch.mm, "bmm": torch.bmm}[op]
    try:
        return tuple(fn(torch.zeros(a), torch.zeros(b)).shape)
    except RuntimeError:
        return None


def _matmul(a: tuple, b: tuple, op: str) -> tuple[tuple | None, list[str]]:
    reported: list[str] = []
    got = ops.matmul(a, b, op, NODE, lambda node, message: reported.append(message))
    return got, reported


@pytest.mark.parametrize("op", ["@", "mm", "bmm"])
def test_matmul_agrees_with_torch(op: str) -> None:
    for a, b in itertools.product(SHAPES, repeat=2):
        got, reported = _matmul(a, b, op)
        real = _torch(op, a, b)
        if reported:
            assert real is None, (op, a, b, reported)  # never a failure torch does not see
            assert f"{fmt_shape(a)} and {fmt_shape(b)}" in reported[0]
        if got is not None:
            assert got == real, (op, a, b)


def test_matmul_with_symbols_never_reports() -> None:
    reported: list[str] = []
    assert ops.matmul(("N", 32), ("N", 8), "@", NODE, lambda n, m: reported.append(m)) is None
    assert ops.matmul(("N", 32), (32, "H"), "@", NODE, lambda n, m: reported.append(m)) \
        == ("N", "H")
    assert reported == []


@pytest.mark.parametrize("stack", [False, True])
def test_concat_mismatch_agrees_with_torch(stack: bool) -> None:
    fn = torch.stack if stack else torch.cat
    for a, b in itertools.product(SHAPES, repeat=2):
        for dim in range(-len(a), len(a)):
            wrong = ops.concat_mismatch([a, b], dim, stack)
            try:
                fn([torch.zeros(a), torch.zeros(b)], dim=dim)
                fails = False
            except (RuntimeError, IndexError):
                fails = True
            if wrong is not None:
                assert fails, (a, b, dim, stack, wrong)
            elif len(a) == len(b):  # one rank: a failure it misses would be a certain one
                assert not fails, (a, b, dim, stack)


def test_concat_with_symbols_never_reports() -> None:
    assert ops.concat_mismatch([("N", 32), ("N", 16)], 1, False) is None
    assert ops.concat_mismatch([("N", 32), (8, 32)], 1, False) is None
    assert ops.concat_mismatch([("N", 32), ("N", 16)], 0, False) is not None
