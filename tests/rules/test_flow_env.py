"""Flow environments (rules/flow/env.py) against the plain-dict semantics they replace: random
programs of bindings, branches and joins give the same bindings either way, however often the
persistent side folds its writes into new frozen states."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from mlsense.analyzers.rules.flow import env as flow_env
from mlsense.analyzers.rules.flow.env import EMPTY, UNKNOWN, Env, Frozen, apply_delta
from mlsense.analyzers.rules.flow.walker import FlowAnalysis, _join

NAMES = st.sampled_from([f"v{i}" for i in range(12)])
VALUES = st.sampled_from([("t", "cpu"), ("t", "acc"), UNKNOWN, ("m", "acc")])
Program = list[Any]
programs = st.recursive(
    st.lists(st.tuples(st.just("set"), NAMES, VALUES), max_size=6),
    lambda inner: st.lists(st.one_of(st.tuples(st.just("set"), NAMES, VALUES),
                                     st.tuples(st.just("branch"), inner, inner)), max_size=6),
    max_leaves=40)


class _Plain(FlowAnalysis):
    def __init__(self) -> None:  # no chunk: only join_values is used
        pass


def run_dict(program: Program, env: dict) -> dict:
    for op in program:
        if op[0] == "set":
            env[op[1]] = op[2]
        else:
            a, b = run_dict(op[1], dict(env)), run_dict(op[2], dict(env))
            env = {n: (a[n] if a[n] == b[n] else UNKNOWN) if n in a and n in b else UNKNOWN
                   for n in a.keys() | b.keys()}
    return env


def run_env(program: Program, env: Env) -> Env:
    for op in program:
        if op[0] == "set":
            env[op[1]] = op[2]
        else:
            env = _join(_Plain(), run_env(op[1], env.copy()), run_env(op[2], env.copy()))
        env = env.compact()
    return env


@settings(max_examples=200, deadline=None)
@given(programs, programs)
def test_env_behaves_like_a_dict(first: Program, second: Program) -> None:
    old = flow_env.FREEZE_AT
    flow_env.FREEZE_AT = 2  # fold often, so joins meet states from different folds
    try:
        # A root from an earlier statement (UNKNOWN dropped), then a walk on top of it.
        start = run_dict(first, {})
        root, _ = run_env(first, Env()).settle(EMPTY)
        assert dict(root.map.items()) == {k: v for k, v in start.items() if v != UNKNOWN}
        expected = run_dict(second, dict(root.map.items()))
        walked = run_env(second, Env(root))
        assert dict(walked.items()) == expected
        settled, delta = walked.settle(root)
        assert apply_delta(root, delta).map == settled.map
        assert dict(settled.map.items()) == {k: v for k, v in expected.items() if v != UNKNOWN}
        # The fingerprint is kept per binding: equal contents, equal fingerprints.
        fresh, _ = Env(local={k: v for k, v in expected.items()}).settle(EMPTY)
        assert settled.fingerprint == fresh.fingerprint
    finally:
        flow_env.FREEZE_AT = old


def test_join_looks_only_at_names_written_since_the_paths_parted() -> None:
    big, _ = Env(local={f"v{i}": ("t", "cpu") for i in range(10_000)}).settle(EMPTY)
    a, b = Env(big), Env(big)
    for i in range(200):  # more than FREEZE_AT: a's writes are folded into new states
        a[f"w{i}"] = ("t", "acc")
        a = a.compact()
    b["v1"] = ("t", "acc")
    base, names = flow_env.differing_names(a, b)
    assert base is big and names == {f"w{i}" for i in range(200)} | {"v1"}
    joined = _join(_Plain(), a, b)
    assert joined.get("v1") == UNKNOWN and joined.get("w5") == UNKNOWN
    assert joined.get("v2") == ("t", "cpu")
    assert isinstance(joined.base, Frozen) and len(joined.local) == 201


# -- the per-statement memo (deltas, checkpoints) under edits --------------------------------
LINES = ["model = nn.Linear(3, 1)", "model = nn.Linear(3, 1).cuda()", "model.cuda()",
         "model.cpu()", "x = torch.zeros(2, 3)", "x = x.cuda()", "model(x)",
         "y = torch.randn(2)", "loss = nn.MSELoss()(model(x), y)", "x = 1", "del x",
         "if flag:\n    x = x.cuda()", "for i in range(3):\n    model(x)"]
HEADER = "import torch\nimport torch.nn as nn\n"


@settings(max_examples=40, deadline=None)
@given(st.lists(st.sampled_from(LINES), min_size=60, max_size=120),
       st.lists(st.tuples(st.integers(0, 200), st.sampled_from(LINES + [None])),
                min_size=1, max_size=6))
def test_incremental_flow_equals_a_fresh_analysis(body: list[str],
                                                  edits: list[tuple[int, str | None]]) -> None:
    from mlsense.analyzers import Config, DocumentAnalyzer, analyze_text

    config = Config(select=("MLS101", "MLS106", "MLS201", "MLS202", "MLS205"))
    analyzer = DocumentAnalyzer(None, config)
    analyzer.analyze(HEADER + "\n".join(body) + "\n")
    for where, line in edits:  # replace, insert or delete one statement, re-analyse
        where %= len(body)
        if line is None:
            del body[where]
        elif where % 2:
            body.insert(where, line)
        else:
            body[where] = line
        text = HEADER + "\n".join(body) + "\n"
        assert analyzer.analyze(text).findings == analyze_text(text, None, config).findings


def test_fingerprints_tell_swapped_bindings_apart() -> None:
    # Two names trading values: plain sums of Python's tuple hashes collided about once in four
    # such pairs, and the statement memo then replayed a walk from the other environment (a CI
    # run reported MLS201 on a re-analysis of unchanged text).
    values = [("t", "cpu"), ("t", "acc"), ("m", "cpu"), ("m", "acc"), ("k", "logits"),
              ("k", "probs")]
    names = [f"v{i}" for i in range(12)] + ["model", "x", "y", "loss"]
    seen: dict[int, tuple] = {}
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            for p in values:
                for q in values:
                    if p == q:
                        continue
                    state, _ = Env(local={a: p, b: q}).settle(EMPTY)
                    content = ((a, p), (b, q))
                    assert seen.setdefault(state.fingerprint, content) == content
