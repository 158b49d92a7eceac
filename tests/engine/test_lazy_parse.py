"""Statements are given to libcst only when a rule needs their tree (issue 11): the others are
checked with ``ast`` and stay text, and every finding is the same as with every tree parsed."""

from __future__ import annotations

from mlsense.analyzers import DocumentAnalyzer
from mlsense.analyzers.engine import ParsedVersion
from mlsense.analyzers.models import find_model_definitions

FILLER = "".join(f"x{i} = torch.zeros({i % 7 + 1})\n" for i in range(200))


def parsed_lines(parse: ParsedVersion | None) -> list[str]:
    """The first line of every statement of the last analysis that libcst parsed."""
    assert parse is not None
    return [chunk.text.splitlines()[0] for chunk, _ in parse.chunks if chunk.parsed]


def test_statements_no_rule_needs_stay_text() -> None:
    analyzer = DocumentAnalyzer()
    result = analyzer.analyze("import torch\n" + FILLER + "r = torch.range(0, 3)\n")
    assert [(f.code, f.range.start.line) for f in result.findings] == [("MLS102", 201)]
    assert parsed_lines(analyzer.last_parse) == ["import torch", "r = torch.range(0, 3)"]


def test_an_aliased_import_counts_as_the_name_it_imports() -> None:
    analyzer = DocumentAnalyzer()
    text = "from torch import range as span\n" + FILLER + "r = span(0, 3)\n"
    findings = analyzer.analyze(text).findings
    assert [(f.code, f.range.start.line) for f in findings] == [("MLS102", 201)]
    assert len(parsed_lines(analyzer.last_parse)) == 2


def test_a_device_move_makes_the_flow_walk_only_the_statements_it_can_need() -> None:
    text = ("import torch\nimport torch.nn as nn\nmodel = nn.Linear(3, 1)\n" + FILLER
            + "model.cuda()\nmodel(x5)\n")
    analyzer = DocumentAnalyzer()
    findings = analyzer.analyze(text).findings
    assert [(f.code, f.range.start.line) for f in findings] == [("MLS201", 204)]
    # The other 199 bindings are deferred (rules/flow/relevance.py): nothing mentions them.
    assert parsed_lines(analyzer.last_parse) == [
        "import torch", "import torch.nn as nn", "model = nn.Linear(3, 1)",
        "x5 = torch.zeros(6)", "model.cuda()", "model(x5)"]
    quiet = DocumentAnalyzer()
    assert quiet.analyze(text.replace("model.cuda()\n", "")).findings == []
    assert parsed_lines(quiet.last_parse) == ["import torch", "import torch.nn as nn"]


def test_syntax_errors_of_unparsed_statements_are_reported() -> None:
    text = "import torch\n" + FILLER + "y = (1,\n" + FILLER
    result = DocumentAnalyzer().analyze(text)
    assert result.syntax_error is not None and result.syntax_error.code == "MLS001"
    assert result.syntax_error.range.start.line == 201


def test_syntax_newer_than_the_running_python_is_decided_by_libcst() -> None:
    # `type X = ...` is Python 3.12: ast refuses it on 3.11, libcst parses it.
    result = DocumentAnalyzer().analyze("import torch\ntype Shape = tuple[int, ...]\n" + FILLER)
    assert result.syntax_error is None and result.findings == []


def test_an_edit_parses_only_what_a_rule_needs() -> None:
    analyzer = DocumentAnalyzer()
    text = "import torch\n" + FILLER
    analyzer.analyze(text)
    analyzer.analyze(text.replace("x0 = torch.zeros(1)", "x0 = torch.zeros(2)"))
    assert parsed_lines(analyzer.last_parse) == ["import torch"]


def test_model_discovery_parses_only_statements_that_can_hold_a_model() -> None:
    analyzer = DocumentAnalyzer()
    text = "import torch.nn as nn\n" + FILLER + "net = nn.Sequential(nn.Linear(3, 1))\n"
    analyzer.analyze(text)
    [model] = find_model_definitions(text, analyzer)
    assert (model.name, model.kind, model.start_line) == ("net", "sequential", 201)
    assert parsed_lines(analyzer.last_parse) == ["import torch.nn as nn",
                                                 "net = nn.Sequential(nn.Linear(3, 1))"]


def test_a_module_rule_with_needs_sees_only_the_statements_holding_its_words() -> None:
    # MLS113 (determinism.py) declares needs: the 200 fillers are neither parsed nor visited.
    analyzer = DocumentAnalyzer()
    text = ("import torch\n" + FILLER + "torch.use_deterministic_algorithms(True)\n"
            "torch.backends.cudnn.benchmark = True\n")
    assert [(f.code, f.range.start.line) for f in analyzer.analyze(text).findings] == [
        ("MLS113", 202)]
    assert parsed_lines(analyzer.last_parse) == [
        "import torch", "torch.use_deterministic_algorithms(True)",
        "torch.backends.cudnn.benchmark = True"]
    aliased = text.replace("import torch\n", "import torch\nfrom torch import "
                           "use_deterministic_algorithms as uda\n").replace(
        "torch.use_deterministic_algorithms(True)", "uda(True)")
    assert [f.code for f in DocumentAnalyzer().analyze(aliased).findings] == ["MLS113"]
