"""Settings: initializationOptions, didChangeConfiguration (push and pull), bad values,
pyproject ``[tool.mlsense]`` as the base, enable=false."""

from __future__ import annotations

from pathlib import Path

from lsprotocol import types
from pytest_lsp import LanguageClient

from .lsp_helpers import EXAMPLES, debug_info, init, open_doc, uri_for, wait_published

KERAS = (EXAMPLES / "keras_regression.py").read_text(encoding="utf-8")


def _codes(params: types.PublishDiagnosticsParams) -> list[str]:
    return [str(d.code) for d in params.diagnostics]


async def test_initialization_options_select(client: LanguageClient, tmp_path: Path) -> None:
    await init(client, {"select": ["MLS1"], "debounceMs": 10})
    uri = uri_for(tmp_path)
    open_doc(client, uri, KERAS)
    assert "MLS301" not in _codes(await wait_published(client, uri, 1))
    info = await debug_info(client)
    assert info["settings"]["select"] == ["MLS1"] and info["settings"]["debounceMs"] == 10


async def test_did_change_configuration_push_and_pull(client: LanguageClient,
                                                      tmp_path: Path) -> None:
    await init(client)
    uri = uri_for(tmp_path)
    open_doc(client, uri, KERAS)
    first = await wait_published(client, uri, 1)
    assert [d.severity for d in first.diagnostics if d.code == "MLS301"] == [
        types.DiagnosticSeverity.Warning]
    # Pull model: the client's configuration changes, the notification carries nothing.
    client.set_configuration({"severity": {"MLS301": "error"}}, section="mlsense")
    client.published.clear()  # type: ignore[attr-defined]
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings=None))
    for _ in range(100):  # publications that were already under way may come first
        again = await wait_published(client, uri, 1)
        severities = [d.severity for d in again.diagnostics if d.code == "MLS301"]
        if severities != [types.DiagnosticSeverity.Warning]:
            break
        client.published.remove(again)  # type: ignore[attr-defined]
    assert severities == [types.DiagnosticSeverity.Error]
    # Push model (VS Code sends the section): ignore takes effect on open documents.
    client.set_configuration({}, section="mlsense")
    client.published.clear()  # type: ignore[attr-defined]
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(
        settings={"mlsense": {"ignore": ["MLS301"]}}))
    await wait_published(client, uri, 1, until=lambda codes: "MLS301" not in codes)


async def test_bad_values_fall_back_to_defaults_with_warnings(client: LanguageClient,
                                                              tmp_path: Path) -> None:
    await init(client, {"debounceMs": "fast", "select": 5, "severity": {"MLS301": "loud"},
                        "showNotifications": "sometimes", "enable": "yes"})
    uri = uri_for(tmp_path)
    open_doc(client, uri, KERAS)
    published = await wait_published(client, uri, 1)
    # Every bad value was replaced by its default: the rule still runs, as a warning.
    assert [d.severity for d in published.diagnostics if d.code == "MLS301"] == [
        types.DiagnosticSeverity.Warning]
    warnings = [m.message for m in client.log_messages
                if m.type == types.MessageType.Warning]
    for key in ("debounceMs", "select", "severity.MLS301", "showNotifications", "enable"):
        assert sum(f"`{key}`" in w for w in warnings) == 1, (key, warnings)


async def test_enable_false_publishes_nothing(client: LanguageClient, tmp_path: Path) -> None:
    await init(client, {"enable": False})
    uri = uri_for(tmp_path)
    open_doc(client, uri, KERAS)
    assert list((await wait_published(client, uri, 1)).diagnostics) == []


async def test_pyproject_is_the_base_and_client_overrides(client: LanguageClient,
                                                          tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.mlsense]\nignore = ["MLS301"]\n')
    await init(client, root=tmp_path)
    uri = uri_for(tmp_path)
    open_doc(client, uri, KERAS)
    assert "MLS301" not in _codes(await wait_published(client, uri, 1))
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(
        settings={"mlsense": {"ignore": []}}))
    await wait_published(client, uri, 1, until=lambda codes: "MLS301" in codes)


async def test_broken_pyproject_is_logged_and_defaults_used(client: LanguageClient,
                                                            tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.mlsense]\nselect = 3\n')
    await init(client, root=tmp_path)
    uri = uri_for(tmp_path)
    open_doc(client, uri, KERAS)
    assert "MLS301" in _codes(await wait_published(client, uri, 1))
    errors = [m.message for m in client.log_messages if "configuration error" in m.message]
    assert len(errors) == 1 and "pyproject.toml" in errors[0] and "select" in errors[0]
