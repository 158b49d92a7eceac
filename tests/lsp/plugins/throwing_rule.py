"""A test plugin for the server's ``plugins`` setting: a rule family that raises on every call.

Loaded by the server process from ``tests/lsp/plugins`` (on PYTHONPATH in the LSP tests).
Code MLS992 is reserved for tests.
"""

from __future__ import annotations

import libcst as cst

from mlsense.analyzers import ChunkRule, RuleInfo, register


@register
class ThrowingRule(ChunkRule):
    family = "lsp-test-throwing"
    rules = (RuleInfo("MLS992", "always-raises-in-lsp-test", "never reported"),)

    def visit_Call(self, node: cst.Call) -> None:
        raise RuntimeError("lsp test rule always raises")
