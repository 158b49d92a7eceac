"""The engine end to end: noqa, syntax errors, decoding, caching, rule isolation."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from mlsense.analyzers import Config, DocumentAnalyzer, analyze_bytes, analyze_text

ROOT = Path(__file__).resolve().parents[2]
SEED = (ROOT / "examples" / "keras_regression.py").read_text(encoding="utf-8")
BAD_LINE = "model = keras.Sequential([Dense(64, activation='relu', input_shape=(10,)), Dense(1)])"


def codes(text: str, config: Config | None = None) -> list[str]:
    return [f.code for f in analyze_text(text, config=config).findings]


def test_seed_reports_input_shape_with_a_fix() -> None:
    [finding] = [f for f in analyze_text(SEED).findings if f.code == "MLS301"]
    line = SEED.splitlines()[finding.range.start.line]
    assert line == BAD_LINE
    assert line[finding.range.start.column:finding.range.end.column] == "input_shape=(10,)"
    assert finding.fix is not None and "keras.Input(shape=(10,))" in finding.fix.edits[0].new_text


def test_noqa_forms() -> None:
    assert "MLS301" not in codes(SEED.replace(BAD_LINE, BAD_LINE + "  # noqa"))
    assert "MLS301" not in codes(SEED.replace(BAD_LINE, BAD_LINE + "  # noqa: MLS301"))
    assert "MLS301" in codes(SEED.replace(BAD_LINE, BAD_LINE + "  # noqa: MLS101"))
    assert codes("# mlsense: noqa\n" + SEED) == []


def test_syntax_error_is_one_located_finding_and_other_statements_still_report() -> None:
    text = SEED + "\ndef broken(:\n    pass\n"
    result = analyze_text(text)
    errors = [f for f in result.findings if f.code == "MLS001"]
    assert len(errors) == 1
    assert errors[0].range.start.line == len(SEED.splitlines()) + 1
    assert errors[0].message.startswith("SyntaxError:")
    assert "MLS301" in [f.code for f in result.findings]


def test_undecodable_bytes_are_located() -> None:
    data = b"import torch\nx = 'caf\xe9'\n"
    [finding] = analyze_bytes(data).findings
    assert finding.code == "MLS002"
    assert (finding.range.start.line, finding.range.start.column) == (1, 8)
    assert "0xe9" in finding.message
    latin = b"# -*- coding: latin-1 -*-\n" + data
    assert analyze_bytes(latin).findings == []
    assert analyze_bytes(b"\xef\xbb\xbf" + SEED.encode()).findings[0].code == "MLS301"


def test_match_statement_is_analysed() -> None:
    text = "import torch\n\ndef f(x):\n    match x:\n        case 1:\n            import keras\n"
    assert analyze_text(text).findings == []


def test_null_bytes_and_empty_file_do_not_crash() -> None:
    assert [f.code for f in analyze_text("x = 1\x00\n").findings] == ["MLS001"]
    assert analyze_text("").findings == []


def test_throwing_rule_is_isolated_and_reported() -> None:
    from mlsense.analyzers.registry import register, unregister

    from .throwing_rule import ThrowingRule

    register(ThrowingRule)
    try:
        cfg = Config(extend_select=("MLS991",))
        result = DocumentAnalyzer(None, cfg).analyze(SEED)
    finally:
        unregister(ThrowingRule)
    assert "MLS301" in [f.code for f in result.findings]
    assert [e.family for e in result.rule_errors] == ["test-throwing"]
    assert "RuntimeError: boom" in result.rule_errors[0].error


EDITS = st.lists(st.tuples(st.integers(0, 400), st.integers(0, 6),
                           st.sampled_from(["", "x", "(", ")", "\n", "'", '"""', "#", "  ",
                                            "input_shape=(3,)", "import keras\n", ":"])),
                 min_size=1, max_size=12)


@settings(max_examples=60, deadline=None)
@given(EDITS)
def test_incremental_analysis_matches_a_fresh_one(edits: list[tuple[int, int, str]]) -> None:
    analyzer = DocumentAnalyzer()
    text = SEED
    analyzer.analyze(text)
    for pos, length, insert in edits:
        pos = min(pos, len(text))
        text = text[:pos] + insert + text[pos + length:]
        assert analyzer.analyze(text).findings == analyze_text(text).findings


def _big_table(entry: str) -> str:
    rows = "".join(f'    "row{i}": {entry},\n' for i in range(60))
    return "TABLE = {\n" + rows + "}\n"


def test_long_literal_statements_are_checked_when_they_use_an_import() -> None:
    # Long statements without attribute access or imported names are replaced by a stub for
    # speed; one that calls an imported name must still be analysed for real.
    header = "import torch\nfrom torch.autograd import Variable\n\n"
    plain = analyze_text(header + _big_table("(1, 2)") + "v = Variable(torch.eye(3))\n")
    assert [(f.code, f.range.start.line) for f in plain.findings] == [("MLS102", 65)]
    uses_import = analyze_text(header + _big_table("Variable(1)"))
    assert [f.range.start.line for f in uses_import.findings] == list(range(4, 64))
    syntax = analyze_text(header + _big_table("(1, 2"))
    assert [f.code for f in syntax.findings] == ["MLS001"]


def test_invalid_byte_in_the_first_lines_is_located() -> None:
    [finding] = analyze_bytes(b"import torch  # caf\xe9\nx = 1\n").findings
    assert finding.code == "MLS002"
    assert (finding.range.start.line, finding.range.start.column) == (0, 19)


def test_memory_limit_drops_memos_oldest_first_never_results(caplog) -> None:
    import logging

    from mlsense.analyzers.engine import MEMO_BYTES_PER_ENTRY, TREE_BYTES_PER_CHAR

    # `device=` makes the device-flow walk (and memoize) every statement: none is deferred.
    body = "".join(f'x{i} = torch.zeros({i % 5 + 1}, device="cpu")\n' for i in range(2000))
    text = "import torch\nimport torch.nn as nn\nmodel = nn.Linear(3, 1).cuda()\n" + body \
        + "model(x7)\n"
    trees = len(text) * TREE_BYTES_PER_CHAR
    unbounded = DocumentAnalyzer()
    expected = unbounded.analyze(text).findings
    assert [f.code for f in expected] == ["MLS201"]
    assert unbounded.state_bytes() > trees + 2000 * MEMO_BYTES_PER_ENTRY  # memos were kept
    limit = trees + 3000 * MEMO_BYTES_PER_ENTRY  # about half the memos fit
    bounded = DocumentAnalyzer(memory_limit=limit)
    with caplog.at_level(logging.DEBUG, logger="mlsense.engine"):
        assert bounded.analyze(text).findings == expected
    assert bounded.state_bytes() <= limit
    assert any("memoized results of" in r.getMessage() and "oldest first" in r.getMessage()
               for r in caplog.records)
    # The newest statements keep their memos; an edit still gives what a fresh analysis does.
    chunks = sorted(bounded._chunks.values(), key=lambda c: c.serial)
    assert not chunks[0].memo and chunks[-1].memo
    edited = text.replace('x7 = torch.zeros(3, device="cpu")', "x7 = torch.zeros(3).cuda()")
    assert bounded.analyze(edited).findings == analyze_text(edited).findings == []
