"""Tensor operations that certainly fail (MLS122, MLS123), on the tensor facts of
analyzers/semantics: a matrix product whose inner sizes differ, a ``cat`` / ``stack`` of
tensors whose other sizes differ.

Only sizes the code states as numbers count (``semantics/queries.py``): a symbol, an unknown
size or a guessed rank never warns.
"""

from __future__ import annotations

import re

from ..aliases import canonical
from ..findings import Severity
from ..registry import ModuleRule, RuleInfo, register
from ..semantics.queries import any_statement, failing_operations, file_version, statement_holds

# A file that spells none of these has no operation to check (``@`` between operands, not
# a decorator's).
_OPERATION_WORDS = ("matmul", "mm(", "cat(", "stack(", "concat")
# What stands before and after the ``@`` of a matrix product (spaces between).
_OPERAND_END = re.compile(r"[\w)\]]")
_OPERAND_START = re.compile(r" *[\w(]")


def has_matmul_operator(text: str) -> bool:
    """Whether ``text`` holds ``@`` between operands (``a @ b``, ``f(x)@w``), as the pattern
    ``[\\w)\\]] *@ *[\\w(]`` would find, looking only at each ``@`` (a regex starting with a
    character class tries every position of the document: 5 ms on a 100 kB file)."""
    at = text.find("@")
    while at >= 0:
        before = at - 1
        while before >= 0 and text[before] == " ":
            before -= 1
        if before >= 0 and _OPERAND_END.match(text, before) \
                and _OPERAND_START.match(text, at + 1):
            return True
        at = text.find("@", at + 1)
    return False


def _mentions_operation(text: str, aliases: tuple[str, ...] = ()) -> bool:
    return any(w in text for w in _OPERATION_WORDS) or has_matmul_operator(text) or any(
        f"{a}(" in text for a in aliases)


# The functions whose failures the value model reports (an import alias of one: its name).
_FUNCTIONS = frozenset(f"torch.{n}" for n in ("cat", "concat", "concatenate", "stack",
                                               "matmul", "mm", "bmm"))


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
        if not mctx.imports.imports_any("torch"):
            return
        aliases = tuple(sorted(local for local, full in mctx.imports.names.items()
                               if canonical(full) in _FUNCTIONS))
        key = f"operations:{aliases!r}"

        def test(text: str) -> bool:
            return _mentions_operation(text, aliases)

        if not any_statement(mctx, key, test):
            return
        contexts = {id(c.chunk): c for c in mctx.chunks}
        for chunk, node, detail in failing_operations(
                file_version(mctx), lambda chunk: statement_holds(chunk, key, test)):
            ctx = contexts.get(id(chunk))
            if ctx is not None:
                code = "MLS122" if detail.startswith(("`@`", "`matmul`", "`mm`", "`bmm`")) \
                    else "MLS123"
                ctx.report(node, code, None, detail=detail[:1].upper() + detail[1:]
                           if not detail.startswith("`") else detail)
