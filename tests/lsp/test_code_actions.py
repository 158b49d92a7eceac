"""Code actions: quick fix, ``# noqa`` per line, fix-all, translation offer; edits apply."""

from __future__ import annotations

from pathlib import Path

import pytest
from lsprotocol import types
from pytest_lsp import LanguageClient

from mlsense.analyzers import analyze_text

from .lsp_helpers import (
    EXAMPLES,
    apply_edits,
    code_actions,
    edits_in,
    init,
    open_doc,
    uri_for,
    wait_published,
)

KERAS = (EXAMPLES / "keras_regression.py").read_text(encoding="utf-8")


async def _mls301(client: LanguageClient, uri: str, text: str) -> types.Diagnostic:
    open_doc(client, uri, text)
    published = await wait_published(client, uri, 1)
    return next(d for d in published.diagnostics if d.code == "MLS301")


def _codes(text: str) -> list[str]:
    return [f.code for f in analyze_text(text).findings]


async def test_quick_fix_applies_and_removes_the_finding(client: LanguageClient,
                                                         tmp_path: Path) -> None:
    await init(client)
    # Non-ASCII before the fix on the same line: the edit's UTF-16 range must still be right.
    text = KERAS.replace("model", "modèle").replace("activation='relu'", "activation='relu', name='dénse😀'")
    uri = uri_for(tmp_path)
    diag = await _mls301(client, uri, text)
    actions = await code_actions(client, uri, diag.range, [diag], only=["quickfix"])
    fix = next(a for a in actions if a.title.startswith("Use `keras.Input"))
    assert fix.kind == types.CodeActionKind.QuickFix and fix.is_preferred
    assert list(fix.diagnostics or []) == [diag]
    assert fix.edit is not None
    fixed = apply_edits(text, edits_in(fix.edit, uri))
    assert "keras.Sequential([keras.Input(shape=(10,)), Dense(64, activation='relu', " \
           "name='dénse😀'), Dense(1)])" in fixed
    assert "MLS301" not in _codes(fixed)
    compile(fixed, "fixed.py", "exec")


async def test_noqa_action_silences_only_that_code(client: LanguageClient,
                                                   tmp_path: Path) -> None:
    await init(client)
    uri = uri_for(tmp_path)
    diag = await _mls301(client, uri, KERAS)
    actions = await code_actions(client, uri, diag.range, [diag])
    noqa = next(a for a in actions if a.title == "Disable MLS301 for this line")
    assert noqa.edit is not None
    silenced = apply_edits(KERAS, edits_in(noqa.edit, uri))
    assert silenced.splitlines()[diag.range.start.line].endswith("  # noqa: MLS301")
    assert "MLS301" not in _codes(silenced)
    # A line that already has a noqa list gets the code appended.
    listed = KERAS.replace("Dense(1)])", "Dense(1)])  # noqa: MLS999")
    uri2 = uri_for(tmp_path, "listed.py")
    diag2 = await _mls301(client, uri2, listed)
    actions = await code_actions(client, uri2, diag2.range, [diag2])
    noqa = next(a for a in actions if a.title == "Disable MLS301 for this line")
    assert noqa.edit is not None
    extended = apply_edits(listed, edits_in(noqa.edit, uri2))
    assert extended.splitlines()[diag2.range.start.line].endswith("# noqa: MLS999, MLS301")
    assert "MLS301" not in _codes(extended)


async def test_fix_all_applies_every_safe_fix(client: LanguageClient, tmp_path: Path) -> None:
    await init(client)
    second = ("\nmodel2 = keras.Sequential([Dense(8, input_shape=(4,)), Dense(1)])\n")
    text = KERAS + second
    uri = uri_for(tmp_path)
    open_doc(client, uri, text)
    published = await wait_published(client, uri, 1)
    assert sum(d.code == "MLS301" for d in published.diagnostics) == 2
    whole = types.Range(types.Position(0, 0), types.Position(0, 0))
    actions = await code_actions(client, uri, whole, only=["source.fixAll"])
    assert [a.kind for a in actions] == ["source.fixAll.mlsense"]
    assert actions[0].edit is not None
    fixed = apply_edits(text, edits_in(actions[0].edit, uri))
    assert "MLS301" not in _codes(fixed)
    assert "keras.Input(shape=(4,)), Dense(8)" in fixed
    # Asking only for quick fixes does not return the source action.
    quick = await code_actions(client, uri, whole, only=["quickfix"])
    assert all(a.kind == types.CodeActionKind.QuickFix for a in quick)


async def test_translate_offered_on_model_definitions(client: LanguageClient,
                                                      tmp_path: Path) -> None:
    await init(client)
    torch_src = ("import torch\nfrom torch import nn\n\n\nclass Net(nn.Module):\n"
                 "    def __init__(self):\n        super().__init__()\n"
                 "        self.fc = nn.Linear(4, 2)\n\n"
                 "    def forward(self, x):\n        return self.fc(x)\n")
    uri = uri_for(tmp_path, "net.py")
    open_doc(client, uri, torch_src)
    await wait_published(client, uri, 1)
    line = types.Range(types.Position(4, 0), types.Position(4, 0))
    actions = await code_actions(client, uri, line, only=["refactor"])
    assert len(actions) == 1 and actions[0].kind == types.CodeActionKind.RefactorRewrite
    assert actions[0].command is not None
    assert actions[0].command.command == "mlsense.translateFramework"
    assert list(actions[0].command.arguments or []) == [{"uri": uri, "target": "keras", "className": "Net"}]
    # Not on other lines; and a Keras Sequential assignment offers PyTorch.
    body = types.Range(types.Position(7, 0), types.Position(7, 0))
    assert await code_actions(client, uri, body, only=["refactor"]) == []
    kuri = uri_for(tmp_path, "k.py")
    open_doc(client, kuri, KERAS)
    await wait_published(client, kuri, 1)
    seq_line = next(i for i, x in enumerate(KERAS.splitlines()) if "Sequential(" in x)
    pos = types.Position(seq_line, 0)
    actions = await code_actions(client, kuri, types.Range(pos, pos), only=["refactor.rewrite"])
    assert [list(a.command.arguments or []) for a in actions if a.command] == [
        [{"uri": kuri, "target": "pytorch", "className": "model"}]]


async def test_translate_not_offered_for_a_base_that_is_not_torch(client: LanguageClient,
                                                                  tmp_path: Path) -> None:
    await init(client)
    # torch is imported, but this `Module` is the file's own class: no model, no translation.
    src = ("import torch\n\n\nclass Module:\n    pass\n\n\nclass Foo(Module):\n    pass\n\n\n"
           "class Bar(torch.nn.Module):\n    pass\n")
    uri = uri_for(tmp_path, "own_module.py")
    open_doc(client, uri, src)
    await wait_published(client, uri, 1)
    whole = types.Range(types.Position(0, 0), types.Position(12, 0))
    actions = await code_actions(client, uri, whole, only=["refactor"])
    assert [list(a.command.arguments or []) for a in actions if a.command] == [
        [{"uri": uri, "target": "keras", "className": "Bar"}]]


_FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "rules"
# Rules added for issue 10: the quick fix each offers on its .in.py fixture, and whether it is
# safe (preferred, and applied by fix-all) or offered for review only.
_NEW_RULE_FIXES = [
    ("MLS108_loss_accumulated_with_graph", "Accumulate `loss.item()`", False),
    ("MLS111_module_forward_called_directly", "Call `layer(...)`", False),
    ("MLS112_torch_load_model_without_weights_only",
     "Pass `weights_only=False` (only for a file you trust)", False),
    ("MLS113_cudnn_benchmark_with_determinism", "Set `cudnn.benchmark = False`", False),
    ("MLS208_tensor_attribute_not_buffer", "Register `mask` as a buffer", False),
    ("MLS308_from_logits_on_probability_output", "Pass `from_logits=False`", False),
    ("MLS404_sklearn_removed_keyword", "Rename to `estimator=`", True),
    ("MLS503_jax_removed_tree_api", "Use `J.tree_util.tree_map`", True),
]


@pytest.mark.parametrize(("stem", "title", "safe"), _NEW_RULE_FIXES, ids=lambda v: str(v)[:6])
async def test_new_rule_quick_fixes(client: LanguageClient, tmp_path: Path, stem: str,
                                    title: str, safe: bool) -> None:
    await init(client)
    code = stem.split("_", 1)[0]
    text = (_FIXTURES / f"{stem}.in.py").read_text(encoding="utf-8")
    uri = uri_for(tmp_path, f"{stem}.py")
    open_doc(client, uri, text)
    published = await wait_published(client, uri, 1)
    diags = [d for d in published.diagnostics if d.code == code]
    before = _codes(text).count(code)
    assert diags and len(diags) == before
    for diag in diags:
        actions = await code_actions(client, uri, diag.range, [diag], only=["quickfix"])
        fix = next((a for a in actions if a.title == f"{title} ({code})"), None)
        if fix is None:
            continue
        assert fix.kind == types.CodeActionKind.QuickFix
        assert bool(fix.is_preferred) == safe
        assert fix.edit is not None
        fixed = apply_edits(text, edits_in(fix.edit, uri))
        compile(fixed, "fixed.py", "exec")
        assert _codes(fixed).count(code) == before - 1
        break
    else:
        raise AssertionError(f"no quick fix titled {title!r} for {code}")
