"""What a rule sees: the chunk's tree, import resolution, and ``report()``."""

from __future__ import annotations

import re
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from typing import Any

import libcst as cst

from .aliases import ImportTable, dotted_name
from .findings import RuleInfo
from .units import TopChunk

_EMPTY_MODULE = cst.Module(body=[])
MEMO_VERSIONS = 4  # results kept per statement by ModuleContext.memo_for


@dataclass(frozen=True)
class EditSpec:
    """An edit relative to a node: replace it, or insert text before or after it."""

    node: cst.CSTNode
    text: str
    mode: str = "replace"  # "replace" | "before" | "after"


@dataclass(frozen=True)
class FixSpec:
    title: str
    edits: tuple[EditSpec, ...]
    safe: bool = True


@dataclass
class Report:
    """A finding before positions are known (positions cost a pass; paid only when needed)."""

    info: RuleInfo
    message: str
    node: cst.CSTNode
    fix: FixSpec | None = None


class ChunkContext:
    """Per-chunk services for rules."""

    def __init__(self, chunk: TopChunk, imports: ImportTable, enabled: frozenset[str],
                 infos: dict[str, RuleInfo]) -> None:
        self.chunk = chunk
        self.imports = imports
        self.enabled_codes = enabled
        self._infos = infos
        self.reports: list[Report] = []

    @property
    def module(self) -> cst.Module:
        """The statement's tree (parsed on first use; empty if libcst cannot parse it)."""
        return self.chunk.module or _EMPTY_MODULE

    # -- resolution ---------------------------------------------------------------------
    def qualname(self, node: cst.BaseExpression) -> str | None:
        """Canonical qualified name of a Name/Attribute whose head is imported, else None."""
        return self.imports.resolve(node)

    def call_qualname(self, node: cst.CSTNode) -> str | None:
        """Qualified name of the function a Call calls (None if not a Call or unresolved)."""
        if isinstance(node, cst.Call):
            return self.imports.resolve(node.func)
        return None

    @staticmethod
    def dotted(node: cst.BaseExpression) -> str | None:
        return dotted_name(node)

    def code_for(self, node: cst.CSTNode) -> str:
        """Source text of ``node`` (as libcst renders it, formatting kept)."""
        return _EMPTY_MODULE.code_for_node(node)

    def local_name_for(self, qualname: str) -> str | None:
        """How this file spells ``qualname`` given its imports, or None if not importable."""
        return self.imports.local_name_for(qualname)

    # -- reporting ----------------------------------------------------------------------
    def enabled(self, code: str) -> bool:
        return code in self.enabled_codes

    def report(self, node: cst.CSTNode, code: str, fix: FixSpec | None = None,
               **fields: Any) -> None:
        """Report ``code`` at ``node``; ``fields`` fill the rule's message template."""
        if code not in self.enabled_codes:
            return
        info = self._infos[code]
        try:
            message = info.message.format(**fields)
        except (KeyError, IndexError):
            message = info.message
        self.reports.append(Report(info, message, node, fix))


_WORDS_KEYS: dict[int, str] = {}  # import fingerprint -> memo key of statement_words


def statement_words(chunk: TopChunk, imports: ImportTable) -> set[str]:
    """``chunk.words(imports.names)``, kept in the statement's memo: the engine's chunk-rule
    gates and the flow walk's deferral both read it, once per statement text."""
    key = _WORDS_KEYS.get(imports.fingerprint)
    if key is None:  # one key object for every statement's memo (and its hash computed once)
        if len(_WORDS_KEYS) > 64:
            _WORDS_KEYS.clear()
        key = _WORDS_KEYS[imports.fingerprint] = f"words@{imports.fingerprint}"
    found = chunk.memo.get(key)
    if found is None:
        found = chunk.memo[key] = chunk.words(imports.names)
    return found  # type: ignore[return-value]


def _has_word(text: str, words: tuple[str, ...]) -> bool:
    ends = re.compile("(?:" + "|".join(map(re.escape, words)) + r")(?!\w)")
    for match in ends.finditer(text):
        start = match.start()
        if start == 0 or not (text[start - 1].isalnum() or text[start - 1] == "_"):
            return True
    return False


class ModuleContext:
    """What a ModuleRule sees: every chunk of the module in order."""

    def __init__(self, chunks: Sequence[ChunkContext], imports: ImportTable,
                 text: str | None = None) -> None:
        self.chunks = chunks
        self.imports = imports
        # The document (None: the chunks' texts are searched instead), for file-level gates.
        self.text = text
        # Results several module rules ask for in one analysis, computed by the first.
        self.shared: dict[str, Any] = {}
        self._keys: dict[str, str] = {}  # memo key -> key with the import fingerprint

    def restricted(self, needs: frozenset[str]) -> ModuleContext:
        """This module as a family with ``needs`` sees it (:attr:`ModuleRule.needs`): only the
        statements holding one of the words; the same document text for the file gates."""
        imports = self.imports
        # Every word of a statement is in the document's text (an imported name's parts are in
        # its import), so a document without any of them has no such statement.
        chunks = [c for c in self.chunks
                  if not needs.isdisjoint(statement_words(c.chunk, imports))] \
            if self.mentions_any(*needs) else []
        return ModuleContext(chunks, imports, self.text)

    def _texts(self) -> list[str]:
        return [self.text] if self.text is not None else [c.chunk.text for c in self.chunks]

    def mentions_any(self, *words: str) -> bool:
        """Whether the file's text (comments and strings included) holds one of ``words``
        (substrings): a file-level gate that reads no tree (remembered for this analysis:
        several families ask the same, each scan reads the whole document)."""
        key = "any:" + ",".join(words)
        found = self.shared.get(key)
        if found is None:
            found = self.shared[key] = any(w in t for t in self._texts() for w in words)
        return found

    def mentions_all(self, *words: str) -> bool:
        """Whether the file's text holds every one of ``words`` (substrings): the file-level
        form of a per-statement summary that is empty unless its statement holds them all."""
        texts = self._texts()
        return all(any(w in t for t in texts) for w in words)

    def mentions_word(self, *words: str) -> bool:
        """Whether the file's text holds one of ``words`` as a whole word (remembered for
        this analysis; a regex with ``\\b`` first is many times slower on a big file)."""
        key = "words:" + ",".join(words)
        found = self.shared.get(key)
        if found is None:
            found = self.shared[key] = any(_has_word(t, words) for t in self._texts())
        return found

    def _full_key(self, key: str) -> str:
        full = self._keys.get(key)
        if full is None:
            full = self._keys[key] = f"{key}@{self.imports.fingerprint}"
        return full

    def memo(self, chunk: ChunkContext, key: str, compute: Callable[[], Any]) -> Any:
        """Cache ``compute()`` on the chunk's text: recomputed only when that statement changes
        (and when the module's imports change, since ``key`` should include what it depends on)."""
        full_key = self._keys.get(key) or self._full_key(key)
        memo = chunk.chunk.memo
        found = memo.get(full_key, memo)
        if found is memo:  # not computed yet (None is a result)
            found = memo[full_key] = compute()
        return found

    def memo_for(self, chunk: ChunkContext, key: str, version: Hashable,
                 compute: Callable[[], Any]) -> Any:
        """Like :meth:`memo`, for a result that also depends on what flows in (``version``,
        e.g. a fingerprint of the environment before the statement). A few versions are kept
        per statement, newest last (the same text may sit at several places in a file); older
        ones are dropped, so an edit upstream does not pile up results downstream."""
        full_key = self._keys.get(key) or self._full_key(key)
        slots = chunk.chunk.memo.get(full_key)
        if type(slots) is not dict:
            slots = chunk.chunk.memo[full_key] = {}
        found = slots.get(version, slots)
        if found is not slots:
            return found
        if len(slots) >= MEMO_VERSIONS:
            del slots[next(iter(slots))]
        slots[version] = result = compute()
        return result


@dataclass
class RuleError:
    """A rule family that raised; it is skipped for that chunk and reported once."""

    family: str
    error: str
    traceback: str = field(repr=False, default="")
