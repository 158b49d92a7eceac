"""The shared flow walk defers top-level statements that cannot matter to it yet
(rules/flow/relevance.py, issue 11): they stay unparsed until a later statement mentions a name
they bind, and every finding is what a walk of every statement gives."""

from __future__ import annotations

import ast

from mlsense.analyzers import DocumentAnalyzer
from mlsense.analyzers.findings import Finding
from mlsense.analyzers.rules.flow.relevance import bound_names

HEAD = "import torch\nimport torch.nn as nn\n"
FILLER = "".join(f"x{i} = torch.zeros({i % 7 + 1})\n" for i in range(100))


def check(text: str) -> tuple[list[Finding], list[str]]:
    """The findings, and the first line of every statement libcst parsed."""
    analyzer = DocumentAnalyzer()
    findings = analyzer.analyze(text).findings
    parse = analyzer.last_parse
    assert parse is not None
    return findings, [chunk.text.splitlines()[0] for chunk, _ in parse.chunks if chunk.parsed]


def codes(findings: list[Finding]) -> list[tuple[str, int]]:
    """(code, 0-based line) of each finding."""
    return [(f.code, f.range.start.line) for f in findings]


def test_a_deferred_binding_is_walked_when_a_later_statement_reads_it() -> None:
    findings, parsed = check(HEAD + FILLER + "y = x7\ny.cuda()\n")
    assert codes(findings) == [("MLS205", 103)]  # x7 is a CPU tensor, so is y
    assert "x7 = torch.zeros(1)" in parsed and "y = x7" in parsed
    assert "x8 = torch.zeros(2)" not in parsed


def test_rebinding_a_deferred_name_kills_its_fact() -> None:
    moved = HEAD + FILLER + "x7.cuda()\n"
    assert codes(check(moved)[0]) == [("MLS205", 102)]
    findings, parsed = check(HEAD + FILLER + "x7 = build()\nx7.cuda()\n")
    assert findings == []
    assert "x7 = torch.zeros(1)" in parsed and "x7 = build()" in parsed


def test_rebinding_a_known_name_without_trigger_words_kills_its_fact() -> None:
    text = HEAD + "model = nn.Linear(3, 1).cuda()\n" + FILLER + "model(torch.zeros(3))\n"
    assert codes(check(text)[0]) == [("MLS201", 103)]
    rebound = text.replace("model(torch", "model = build()\nmodel(torch")
    findings, parsed = check(rebound)
    assert findings == []
    assert "model = build()" in parsed  # it mentions a bound name: walked


def test_a_device_string_is_never_deferred() -> None:
    # "cuda_0" is not the word `cuda` but is a device: the fix names the variable holding it,
    # which only a walk of its statement knows (nothing mentions `gpu` afterwards).
    text = (HEAD + 'gpu = "cuda_0"\n' + FILLER + "model = nn.Linear(3, 1).cuda()\n"
            + "model(torch.zeros(3))\n")
    findings, parsed = check(text)
    assert codes(findings) == [("MLS201", 104)]
    assert findings[0].fix is not None and "`.to(gpu)`" in findings[0].fix.title
    assert 'gpu = "cuda_0"' in parsed


def test_the_torch_loss_analysis_makes_the_walk_take_every_statement() -> None:
    # torch-loss resolves names against the final environment: nothing can be deferred.
    text = HEAD + "loss_fn = nn.MSELoss()\n" + FILLER + "x0.cuda()\n"
    findings, parsed = check(text)
    assert codes(findings) == [("MLS205", 103)]
    assert len(parsed) == 104


def test_bound_names_cover_every_way_to_bind() -> None:
    source = """
import a.b, c as d
from e import f as g
h, *i = j
k += 1
del l
for m in n: pass
with o as p: pass
q: int = 1
def r(s): global t
class U: pass
try: pass
except E as v: pass
match w:
    case {"k": x, **y} | [*z] | Point(aa=bb): pass
(cc := dd)
"""
    assert bound_names(ast.parse(source)) == {
        "a", "d", "g", "h", "i", "k", "l", "m", "p", "q", "r", "s", "t", "U", "v", "x", "y",
        "z", "bb", "cc"}


def test_a_def_or_class_binds_its_name_and_an_assignment_its_targets() -> None:
    """The cheap readings of what a top-level statement binds (a big class's whole tree was
    walked on each edit for its methods' locals): sound where no global/nonlocal or := can
    reach the module, and left to the full walk otherwise."""
    import ast

    from mlsense.analyzers.rules.flow.relevance import assigned_names, defined_name

    cls = "# a comment\n@register\nclass Net(nn.Module):\n    def forward(self, x):\n        y = x\n"
    assert defined_name(cls) == {"Net"}
    assert defined_name("async def f():\n    pass\n") == {"f"}
    assert defined_name("def f():\n    global g\n    g = 1\n") is None
    assert defined_name("def f(a=(b := 2)):\n    pass\n") is None
    assert defined_name("x = 1\n") is None
    table = "cfg = {'a': [i for i in range(3)], 'f': lambda k: k}\n"
    assert assigned_names(ast.parse(table), table) == {"cfg"}
    pair = "a, (b, c) = 1, (2, 3)\n"
    assert assigned_names(ast.parse(pair), pair) == {"a", "b", "c"}
    assert assigned_names(ast.parse("for i in x: pass\n"), "for i in x: pass\n") is None
