"""A rule that raises is logged once per (family, error); the server keeps answering.

The throwing rule comes from ``tests/lsp/plugins/throwing_rule.py`` through the ``plugins``
setting, as a user's own rule module would.
"""

from __future__ import annotations

from pathlib import Path

from lsprotocol import types
from pytest_lsp import LanguageClient

from .lsp_helpers import EXAMPLES, change_doc, init, open_doc, uri_for, wait_published

KERAS = (EXAMPLES / "keras_regression.py").read_text(encoding="utf-8")


async def test_throwing_plugin_rule_is_logged_once(client: LanguageClient,
                                                   tmp_path: Path) -> None:
    await init(client, {"plugins": ["throwing_rule"]})
    uri = uri_for(tmp_path)
    open_doc(client, uri, KERAS)
    assert "MLS301" in [d.code for d in (await wait_published(client, uri, 1)).diagnostics]
    text = KERAS
    for version in range(2, 7):  # new calls in new statements: the rule runs (and raises) again
        text += f"\nprint({version})\n"
        change_doc(client, uri, version, text)
        published = await wait_published(client, uri, version)
        assert "MLS301" in [d.code for d in published.diagnostics]
    logged = [m for m in client.log_messages if "lsp-test-throwing" in m.message]
    assert len(logged) == 1
    assert logged[0].type == types.MessageType.Error
    assert "RuntimeError: lsp test rule always raises" in logged[0].message
    assert any("plugin `throwing_rule` loaded" in m.message for m in client.log_messages)


async def test_missing_plugin_is_reported_not_fatal(client: LanguageClient,
                                                    tmp_path: Path) -> None:
    await init(client, {"plugins": ["no_such_mlsense_plugin"], "showNotifications": "onError"})
    uri = uri_for(tmp_path)
    open_doc(client, uri, KERAS)
    assert "MLS301" in [d.code for d in (await wait_published(client, uri, 1)).diagnostics]
    errors = [m.message for m in client.log_messages if m.type == types.MessageType.Error]
    assert len(errors) == 1 and "no_such_mlsense_plugin" in errors[0]
    # showNotifications=onError: errors also pop up (window/showMessage), info does not.
    assert [m.message for m in client.messages] == errors
