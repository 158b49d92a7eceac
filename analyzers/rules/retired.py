"""Retired deep-learning frameworks (MLS601; table: data/retired_frameworks.json)."""

from __future__ import annotations

import libcst as cst

from ..context import ChunkContext
from ..findings import Severity
from ..registry import ChunkRule, RuleInfo, register
from .tables import load_table

# A file that imports one of these beside a retired framework converts from it.
_MIGRATION_TARGETS = ("torch", "jax", "flax", "transformers", "timm", "torchvision",
                      "onnxruntime", "pytensor")


@register
class RetiredFrameworkRule(ChunkRule):
    """Importing a framework that no longer gets fixes or new hardware support."""

    family = "retired-frameworks"
    needs = frozenset(("import",))
    rules = (
        RuleInfo("MLS601", "retired-framework-import",
                 "{name} is {status}: no fixes, no support for new Python versions or GPUs; "
                 "migrate to {target}", Severity.WARNING),
    )

    def __init__(self, ctx: ChunkContext) -> None:
        super().__init__(ctx)
        self._table = load_table("retired_frameworks")

    def visit_Import(self, node: cst.Import) -> None:
        for alias in node.names:
            self._check(alias.name)

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        if node.module is not None and not node.relative:
            self._check(node.module)

    def _check(self, module: cst.BaseExpression) -> None:
        if self.ctx.imports.imports_any(*_MIGRATION_TARGETS):
            return  # a conversion script (weights from MXNet into timm...): already migrating
        dotted = ChunkContext.dotted(module) or ""
        entry = self._table.get(dotted.split(".")[0])
        if entry is not None:
            self.ctx.report(module, "MLS601", None, **entry)
