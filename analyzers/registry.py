"""Rule families, their codes and the central registry.

A rule family is one class (TorchFix style) that declares its codes in ``rules`` and reports
through its :class:`~mlsense.analyzers.context.ChunkContext`. Two kinds exist:

* :class:`ChunkRule` -- a libcst ``BatchableCSTVisitor`` run over one top-level statement
  ("chunk") at a time, in one batched pass with every other chunk rule. Results are cached per
  chunk text, so typing inside one function re-runs rules on that function only.
* :class:`ModuleRule` -- sees every chunk of the module in order (flow across top-level
  statements, e.g. a training loop written at module level). Runs on each analysis, so it must
  stay cheap: look at module-level statements, not into every function body.
"""

from __future__ import annotations

import functools
import importlib
import pkgutil
from collections.abc import Iterable
from typing import TYPE_CHECKING, ClassVar

import libcst as cst

from .findings import DOCS_DIR, RuleInfo, Severity

if TYPE_CHECKING:
    from .context import ChunkContext, ModuleContext

__all__ = ["DOCS_DIR", "ChunkRule", "ModuleRule", "RuleClass", "RuleInfo", "all_rules",
           "codes_matching", "families", "register", "rule_info", "unregister", "visitor_names"]

class _RuleFamily:
    family: ClassVar[str] = ""
    rules: ClassVar[tuple[RuleInfo, ...]] = ()


_VISITOR_NAMES: dict[type, tuple[str, ...]] = {}


class ChunkRule(_RuleFamily, cst.BatchableCSTVisitor):
    """A family of rules that visit the nodes of one chunk (define ``visit_<Node>`` methods).

    Two optional gates let the engine skip a statement without parsing it (a statement no
    family and no module rule needs is never given to libcst). Both must be sound: a family
    that could report without them holding must leave them unset.
    """

    # Words of which a statement must contain one for the family to report in it: identifiers
    # and keywords of its text (comments and strings included), an imported name also counting
    # as the parts of what it imports. None: every statement.
    needs: ClassVar[frozenset[str] | None] = None
    # Module prefixes of which the file must import one (``ImportTable.imports_any``) for the
    # family to report anything. Empty: no import needed.
    requires: ClassVar[tuple[str, ...]] = ()

    def __init__(self, ctx: ChunkContext) -> None:
        super().__init__()
        self.ctx = ctx


def visitor_names(cls: type[ChunkRule]) -> tuple[str, ...]:
    """The ``visit_``/``leave_`` methods a family defines (libcst's no-op stubs left out)."""
    names = _VISITOR_NAMES.get(cls)
    if names is None:
        names = _VISITOR_NAMES[cls] = tuple(
            n for n in dir(cls)
            if n.startswith(("visit_", "leave_")) and callable(getattr(cls, n))
            and not getattr(getattr(cls, n), "_is_no_op", False))
    return names


class ModuleRule(_RuleFamily):
    """A family of rules over the whole module's sequence of chunks."""

    # Words of which a statement must contain one for the family to read it (as for
    # ChunkRule.needs): its ``ctx.chunks`` then holds only those statements, in order, so the
    # others are neither parsed nor visited for it. Sound only for a family whose facts and
    # findings all come from such statements (never one reading a flow walk: that needs every
    # statement). None: every statement.
    needs: ClassVar[frozenset[str] | None] = None

    def __init__(self, ctx: ModuleContext) -> None:
        self.ctx = ctx

    def check(self) -> None:  # pragma: no cover - interface
        raise NotImplementedError


RuleClass = type[ChunkRule] | type[ModuleRule]

_FAMILIES: list[RuleClass] = []
_BY_CODE: dict[str, RuleInfo] = {}
_ENGINE_RULES = (
    RuleInfo("MLS001", "syntax-error", "{detail}", Severity.ERROR),
    RuleInfo("MLS002", "undecodable-file", "{detail}", Severity.ERROR),
    RuleInfo("MLS003", "unparsable-statement", "{detail}", Severity.INFORMATION),
)


def unregister(cls: RuleClass) -> None:
    """Remove a family registered with :func:`register` (plugins under test)."""
    if cls in _FAMILIES:
        _FAMILIES.remove(cls)
        for info in cls.rules:
            _BY_CODE.pop(info.code, None)


def register(cls: RuleClass) -> RuleClass:
    """Class decorator: add a rule family to the registry (codes must be unique)."""
    infos = []
    for info in cls.rules:
        if info.code in _BY_CODE:
            raise ValueError(f"duplicate rule code {info.code} in {cls.__name__}")
        full = RuleInfo(**{**info.__dict__, "family": cls.family or cls.__name__})
        _BY_CODE[full.code] = full
        infos.append(full)
    cls.rules = tuple(infos)
    _FAMILIES.append(cls)
    return cls


for _info in _ENGINE_RULES:
    _BY_CODE[_info.code] = RuleInfo(**{**_info.__dict__, "family": "engine"})


_BUILTIN_PACKAGE = f"{__package__}.rules"


@functools.cache
def _load_builtin_rules() -> None:
    """Discover the built-in families: import every module of the ``rules`` package (each
    registers its families with :func:`register` as it is imported). The registry names the
    package, never its modules, so rule modules can import the registry without a cycle.
    Two threads that race here both import, and Python's import lock makes that harmless."""
    package = importlib.import_module(_BUILTIN_PACKAGE)
    for module in pkgutil.walk_packages(package.__path__, f"{_BUILTIN_PACKAGE}."):
        importlib.import_module(module.name)


def families() -> list[RuleClass]:
    """Every registered rule family."""
    _load_builtin_rules()
    return list(_FAMILIES)


def all_rules() -> list[RuleInfo]:
    """Every rule code, sorted by code."""
    _load_builtin_rules()
    return sorted(_BY_CODE.values(), key=lambda r: r.code)


def rule_info(code: str) -> RuleInfo:
    _load_builtin_rules()
    return _BY_CODE[code]


def codes_matching(selectors: Iterable[str]) -> list[str]:
    """Codes selected by any of the prefixes (for ``--select`` validation and listing)."""
    sel = [s.upper() for s in selectors]
    return [r.code for r in all_rules() if any(s == "ALL" or r.code.startswith(s) for s in sel)]
