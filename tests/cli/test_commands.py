"""``mlsense --version``, ``rules``, ``rule``, ``serve`` argument handling, bare invocation."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from mlsense import __version__
from mlsense.analyzers import all_rules

from .conftest import run_cli

ROOT = Path(__file__).resolve().parents[2]


def test_version(tmp_path: Path) -> None:
    run = run_cli("--version", cwd=tmp_path)
    assert run.returncode == 0 and run.stdout.strip() == f"mlsense {__version__}"


def test_no_command_prints_help_and_exits_2(tmp_path: Path) -> None:
    run = run_cli(cwd=tmp_path)
    assert run.returncode == 2 and "check" in run.stderr


def test_unknown_option_is_a_usage_error(tmp_path: Path) -> None:
    run = run_cli("check", ".", "--frobnicate", cwd=tmp_path)
    assert run.returncode == 2 and "unrecognized arguments: --frobnicate" in run.stderr


def test_rules_lists_every_registered_rule(tmp_path: Path) -> None:
    run = run_cli("rules", "--output-format", "json", cwd=tmp_path)
    assert run.returncode == 0
    listed = run.json()
    assert [r["code"] for r in listed] == [r.code for r in all_rules()]
    by_code = {r["code"]: r for r in listed}
    assert by_code["MLS301"]["fixable"] is True and by_code["MLS301"]["family"] == "keras-api"
    assert by_code["MLS001"]["default_enabled"] is True
    text = run_cli("rules", cwd=tmp_path)
    assert text.returncode == 0
    assert text.stdout.splitlines()[0].split() == ["CODE", "NAME", "FAMILY", "DEFAULT", "FIX",
                                                   "SEVERITY"]
    assert len(text.stdout.splitlines()) == len(listed) + 1


def test_rule_prints_the_docs_page_or_a_description(tmp_path: Path) -> None:
    run = run_cli("rule", "mls301", cwd=tmp_path)
    assert run.returncode == 0
    page = ROOT / "docs" / "rules" / "MLS301.md"
    if page.exists():
        assert run.stdout == page.read_text(encoding="utf-8")
    else:
        assert run.stdout.startswith("# MLS301 keras-input-shape-argument")


def test_rule_with_unknown_code_exits_2(tmp_path: Path) -> None:
    run = run_cli("rule", "MLS999", cwd=tmp_path)
    assert run.returncode == 2 and "unknown rule code: MLS999" in run.stderr


def test_serve_rejects_two_transports(tmp_path: Path) -> None:
    run = run_cli("serve", "--tcp", "--ws", cwd=tmp_path)
    assert run.returncode == 2 and "not allowed with" in run.stderr


def _lsp_message(payload: dict) -> bytes:
    body = json.dumps(payload).encode("utf-8")
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


def _read_lsp_message(stream) -> dict:
    length = None
    while True:
        line = stream.readline()
        assert line, "the server closed its output"
        if line in (b"\r\n", b"\n"):
            break
        name, _, value = line.decode("ascii").partition(":")
        if name.lower() == "content-length":
            length = int(value)
    assert length is not None
    return json.loads(stream.read(length))


def test_serve_answers_initialize_over_stdio(tmp_path: Path) -> None:
    proc = subprocess.Popen([sys.executable, "-m", "mlsense", "serve"], cwd=tmp_path,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    try:
        assert proc.stdin is not None and proc.stdout is not None
        proc.stdin.write(_lsp_message({"jsonrpc": "2.0", "id": 1, "method": "initialize",
                                       "params": {"processId": None, "rootUri": None,
                                                  "capabilities": {}}}))
        proc.stdin.flush()
        reply = _read_lsp_message(proc.stdout)
        while reply.get("id") != 1:  # skip notifications / log messages
            reply = _read_lsp_message(proc.stdout)
        assert reply["result"]["serverInfo"]["name"] == "mlsense"
        for message in ({"jsonrpc": "2.0", "id": 2, "method": "shutdown"},
                        {"jsonrpc": "2.0", "method": "exit"}):
            proc.stdin.write(_lsp_message(message))
        proc.stdin.flush()
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
