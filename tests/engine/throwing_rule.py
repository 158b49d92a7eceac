"""A test plugin: a rule family that raises on every call (code MLS99x: reserved for tests)."""

from __future__ import annotations

import libcst as cst

from mlsense.analyzers import ChunkRule, RuleInfo, register


@register
class ThrowingRule(ChunkRule):
    family = "test-throwing"
    rules = (RuleInfo("MLS991", "always-raises", "never reported", default_enabled=False),)

    def visit_Call(self, node: cst.Call) -> None:
        raise RuntimeError("boom")
