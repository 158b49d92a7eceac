"""A test plugin: a rule family that raises on every call (codes MLS99x are reserved for tests).

Not registered on import: the test registers it and unregisters it afterwards, so no other test
in the process sees it.
"""

from __future__ import annotations

import libcst as cst

from mlsense.analyzers import ChunkRule, RuleInfo


class ThrowingRule(ChunkRule):
    family = "test-throwing"
    rules = (RuleInfo("MLS991", "always-raises", "never reported", default_enabled=False),)

    def visit_Call(self, node: cst.Call) -> None:
        raise RuntimeError("boom")
