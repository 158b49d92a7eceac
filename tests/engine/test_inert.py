"""Long config tables are analysed as one-line stubs (units.py ``_inert_stub``), and a keystroke
that changes only an integer in one reuses the previous version's stub instead of re-reading
the table with ``ast`` (issue 11): the stub, the names and the validity must be what a fresh
reading gives."""

from __future__ import annotations

from mlsense.analyzers import DocumentAnalyzer
from mlsense.analyzers.units import _inert_stub, inert_stub


def table(value: str = "3", name: str = "cfg", key: str = "k") -> str:
    rows = "".join(f'    "{key}{i}": ({value}, {i}, 0.5),\n' for i in range(40))
    return f"{name} = {{\n{rows}}}\n"


def test_a_table_is_a_stub_binding_its_target() -> None:
    stub = inert_stub(table())
    assert stub is not None
    text, names, binds = stub
    assert text == "cfg = __mlsense_inert__()\n"
    assert names == {"cfg"} and binds == {"cfg"}


def test_tables_differing_in_integers_names_or_strings_read_as_fresh() -> None:
    inert_stub(table("3"))
    for variant in [table("4"), table("123456"), table("3", name="other"), table("x"),
                    table("3", key="j"), table("3.5"), table("0x1F"), table("1_000"),
                    table("x.y"), table("3 + 4")]:
        assert inert_stub(variant) == _inert_stub(variant), variant.splitlines()[1]
    assert inert_stub(table("x.y")) is None  # an attribute: rules may care


def test_an_invalid_literal_is_not_taken_for_a_valid_one() -> None:
    assert inert_stub(table("3")) is not None
    assert inert_stub(table("03")) is None  # a leading zero: a syntax error
    assert inert_stub(table("1" * 5000)) is None  # over the int-to-str digit limit
    ok, bad = "VARIATION SELECTOR-1", "VARIATION SELECTOR-300"
    assert inert_stub(table("3", key=f"\\N{{{ok}}}")) is not None
    assert inert_stub(table("3", key=f"\\N{{{bad}}}")) is None  # no such character


def test_an_edit_of_a_table_keeps_it_unparsed_and_syntax_errors_are_reported() -> None:
    analyzer = DocumentAnalyzer()
    text = "import torch\n" + table() + "x = torch.range(0, 3)\n"
    assert [f.code for f in analyzer.analyze(text).findings] == ["MLS102"]
    edited = text.replace('"k7": (3,', '"k7": (4,')
    assert [f.code for f in analyzer.analyze(edited).findings] == ["MLS102"]
    last = analyzer.last_parse
    assert last is not None
    assert [c.text.splitlines()[0] for c, _ in last.chunks if c.parsed] == [
        "import torch", "x = torch.range(0, 3)"]
    broken = analyzer.analyze(text.replace('"k7": (3,', '"k7": (03,'))
    assert broken.syntax_error is not None
    assert broken.syntax_error.range.start.line == 9  # the row of "k7"
