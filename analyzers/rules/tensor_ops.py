"""Tensor operations that certainly fail (MLS122, MLS123), on the tensor facts of
analyzers/semantics: a matrix product whose inner sizes differ, a ``cat`` / ``stack`` of
tensors whose other sizes differ.

Only sizes the code states as numbers count (``semantics/queries.py``): a symbol, an unknown
size or a guessed rank never warns.
"""

from __future__ import annotations

import re

from ..findings import Severity
from ..registry import ModuleRule, RuleInfo, register
from ..semantics.queries import failing_operations, file_version

# A file that spells none of these has no operation to check (``@`` between operands, not
# a decorator's).
_OPERATION_WORDS = ("matmul", "mm(", "cat(", "stack(", "concat")
_MATMUL_OPERATOR = re.compile(r"[\w)\]] *@ *[\w(]")


@register
class TensorOperationRules(ModuleRule):
    """Matrix products and concatenations of tensors whose sizes cannot go together."""

    family = "torch-ops"
    rules = (
        RuleInfo("MLS122", "matmul-inner-size-mismatch",
                 "{detail}; this fails at run time", Severity.ERROR),
        RuleInfo("MLS123", "concat-size-mismatch",
                 "{detail}; this fails at run time", Severity.ERROR),
    )

    def check(self) -> None:
        mctx = self.ctx
        if not mctx.imports.imports_any("torch") or not (
                mctx.mentions_any(*_OPERATION_WORDS) or _MATMUL_OPERATOR.search(
                    mctx.text if mctx.text is not None
                    else "\n".join(c.chunk.text for c in mctx.chunks))):
            return
        contexts = {id(c.chunk): c for c in mctx.chunks}
        for chunk, node, detail in failing_operations(file_version(mctx)):
            ctx = contexts.get(id(chunk))
            if ctx is not None:
                code = "MLS122" if detail.startswith(("`@`", "`matmul`", "`mm`", "`bmm`")) \
                    else "MLS123"
                ctx.report(node, code, None, detail=detail[:1].upper() + detail[1:]
                           if not detail.startswith("`") else detail)
