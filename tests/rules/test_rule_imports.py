"""Loading the rule catalog stays cheap: no module under analyzers/ imports libcst.matchers
(~0.24 s of CPU in every CLI, server and pool-worker process). The node-shape predicates that
replace it answer the same questions the matchers did."""

from __future__ import annotations

import subprocess
import sys

import libcst as cst
import pytest

from mlsense.analyzers.rules import patterns as p


def test_loading_all_rules_does_not_import_libcst_matchers() -> None:
    # A fresh interpreter: this test process may have imported matchers for other reasons.
    code = ("import sys\n"
            "import mlsense.analyzers.registry as r\n"
            "import mlsense.analyzers.engine\n"
            "assert r.all_rules()\n"
            "print(sorted(m for m in sys.modules if m.startswith('libcst.matchers')))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=60, check=True)
    assert out.stdout.strip() == "[]", out.stdout


def expr(text: str) -> cst.BaseExpression:
    return cst.parse_expression(text)


def stmt(text: str) -> cst.BaseSmallStatement:
    line = cst.parse_statement(text)
    assert isinstance(line, cst.SimpleStatementLine)
    return line.body[0]


@pytest.mark.parametrize("text, attrs, on, on_name, expected", [
    ("p.grad", ("grad",), None, False, True),
    ("p.data", ("grad",), None, False, False),
    ("self.fc", (), "self", False, True),
    ("other.fc", (), "self", False, False),
    ("x.to", ("to", "cuda"), None, True, True),
    ("f().to", ("to",), None, True, False),
    ("a.b.to", ("to",), None, True, False),
    ("to", ("to",), None, False, False),
])
def test_is_attribute(text: str, attrs: tuple[str, ...], on: str | None, on_name: bool,
                      expected: bool) -> None:
    assert p.is_attribute(expr(text), *attrs, on=on, on_name=on_name) is expected


@pytest.mark.parametrize("text, expected", [
    ("-1", True), ("- 1", True), ("1", False), ("-2", False), ("+1", False), ("-0x1", False),
    ("-(1)", True),
])
def test_is_minus_one(text: str, expected: bool) -> None:
    assert p.is_minus_one(expr(text)) is expected


@pytest.mark.parametrize("text, expected", [
    ("y.shape[0]", True), ("y.shape[-1]", False), ("y.shape[0, 1]", False),
    ("y.shape[:1]", False), ("y.size[0]", False), ("shape[0]", False),
])
def test_is_integer_index(text: str, expected: bool) -> None:
    assert p.is_integer_index(expr(text), "shape") is expected


def test_small_predicates() -> None:
    assert p.is_call_of_name(expr("len(x)"), "len", "int")
    assert not p.is_call_of_name(expr("math.floor(x)"), "len", "int")
    assert p.is_empty_sequence(expr("()")) and p.is_empty_sequence(expr("[]"))
    assert not p.is_empty_sequence(expr("(1,)")) and not p.is_empty_sequence(expr("{}"))
    assert p.is_integer(expr("1"), "1") and not p.is_integer(expr("0x1"), "1")
    assert p.is_name(expr("None"), "None") and not p.is_name(expr("x"), "None")


def test_single_assignment() -> None:
    pair = p.single_assignment(stmt("self.fc = nn.Linear(3, 1)"))
    assert pair is not None and cst.Module([]).code_for_node(pair[0]) == "self.fc"
    assert isinstance(pair[1], cst.Call)
    assert p.single_assignment(stmt("a = b = 1")) is None
    assert p.single_assignment(stmt("a: int = 1")) is None
    assert p.single_assignment(stmt("a += 1")) is None
