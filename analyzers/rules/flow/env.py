"""Flow environments whose copies and joins cost what changed, not what is known.

A walk's environment is a persistent map (a HAMT, ``immutables.Map``) shared by every path that
came from it, plus the path's own recent writes in a small dict. Copying a path copies the small
dict; joining two paths looks only at the names written since they parted, found by following
each side's chain of frozen states back to the one they share. When a path's own writes pass
``FREEZE_AT`` they are folded into a new frozen state (``O(writes × log n)``), so a straight run of
50,000 assignments never copies more than ``FREEZE_AT`` names at a branch.

Between top-level statements the state is a root :class:`Frozen` (no parent) with a fingerprint
kept up to date per written name, so the per-statement memo can be keyed without hashing the
whole environment.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import immutables

Value = tuple[Any, ...]  # hashable
UNKNOWN: Value = ("?",)
FREEZE_AT = 64
_MASK = (1 << 64) - 1
MISSING: Any = object()  # a default for ``get`` that no binding can be


class Frozen:
    """An immutable environment state: a map, the state it was made from (within one walk) and
    the names written on top of that one; roots carry a fingerprint of their content."""

    __slots__ = ("map", "parent", "changed", "fingerprint")

    def __init__(self, map_: immutables.Map, parent: Frozen | None = None,
                 changed: frozenset[str] = frozenset(), fingerprint: int = 0) -> None:
        self.map = map_
        self.parent = parent
        self.changed = changed
        self.fingerprint = fingerprint


EMPTY = Frozen(immutables.Map())


def _item_hash(name: str, value: Value) -> int:
    """One binding's share of a fingerprint, which is the sum of the shares (so a write updates
    it in O(1)). Python's tuple hash is close to linear in its parts, so plain sums of it collide
    whenever two names swap values ({a: 1, b: 2} against {a: 2, b: 1}: about one pair in four);
    the SplitMix64 finaliser mixes each share so a sum collides only by chance (2**-64)."""
    z = hash((name, value)) & _MASK
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK
    return z ^ (z >> 31)


class Env:
    """A mutable view for one path of a walk: ``base`` (shared, never changed) overlaid with this
    path's ``local`` writes: ``get``, ``[name] = value``, ``items``."""

    __slots__ = ("base", "local")

    def __init__(self, base: Frozen = EMPTY, local: dict[str, Value] | None = None) -> None:
        self.base = base
        self.local: dict[str, Value] = {} if local is None else local

    def get(self, name: str, default: Any = None) -> Any:
        v = self.local.get(name, MISSING)
        if v is MISSING:
            return self.base.map.get(name, default)
        return v

    def __setitem__(self, name: str, value: Value) -> None:
        self.local[name] = value

    def items(self) -> Iterator[tuple[str, Value]]:
        """Every binding (the whole map: for reports, not for the walk's hot path)."""
        yield from self.local.items()
        for name, value in self.base.map.items():
            if name not in self.local:
                yield name, value

    def copy(self) -> Env:
        return Env(self.base, dict(self.local))

    def compact(self) -> Env:
        """This path with its writes folded into a new frozen state once they are many."""
        if len(self.local) < FREEZE_AT:
            return self
        base = Frozen(self.base.map.update(self.local), self.base, frozenset(self.local))
        return Env(base)

    def settle(self, root: Frozen) -> tuple[Frozen, Delta]:
        """A new root: ``root`` with every name this walk (started on ``root``) wrote, and
        UNKNOWN bindings dropped (they carry nothing between top-level statements); and the
        delta that makes the one from the other (:func:`apply_delta`)."""
        old_map = root.map
        if self.base is root:  # nothing folded during the walk: the writes are all local
            local = self.local
            if len(local) == 1:  # the common case: a statement that binds one name
                ((name, new),) = local.items()
                old = old_map.get(name, MISSING)
                if old == new or (new == UNKNOWN and old is MISSING):
                    return root, ()
                # apply_delta's work for this one name, done here: ``old`` is known already.
                fp = root.fingerprint
                if old is not MISSING:
                    fp -= _item_hash(name, old)
                delta: Delta
                if new == UNKNOWN:
                    delta, new_map = ((name, None),), old_map.delete(name)
                else:
                    fp += _item_hash(name, new)
                    delta, new_map = ((name, new),), old_map.set(name, new)
                return Frozen(new_map, fingerprint=fp & _MASK), delta
            names: Any = local
        else:
            names = set(self.local)
            names.update(changed_since(self.base, root) or ())
        delta = tuple((name, new if new != UNKNOWN else None) for name in sorted(names)
                      if old_map.get(name, MISSING) != (new := self.get(name))
                      and not (new == UNKNOWN and name not in old_map))
        return apply_delta(root, delta), delta


Delta = tuple[tuple[str, Value | None], ...]  # (name, new value), None: unbound


def apply_delta(root: Frozen, delta: Delta) -> Frozen:
    """``root`` with ``delta``'s bindings (O(len(delta) × log n)); its fingerprint follows."""
    if not delta:
        return root
    fp = root.fingerprint
    if len(delta) == 1:  # the common case: one statement, one name
        name, new = delta[0]
        old = root.map.get(name, MISSING)
        m1 = root.map
        if old is not MISSING:
            fp -= _item_hash(name, old)
            if new is None:
                m1 = m1.delete(name)
        if new is not None:
            fp += _item_hash(name, new)
            m1 = m1.set(name, new)  # replaces an old binding
        return Frozen(m1, fingerprint=fp & _MASK)
    m = root.map.mutate()
    for name, new in delta:
        old = root.map.get(name, MISSING)
        if old is not MISSING:
            fp -= _item_hash(name, old)
            del m[name]
        if new is not None:
            fp += _item_hash(name, new)
            m[name] = new
    return Frozen(m.finish(), fingerprint=fp & _MASK)


def changed_since(state: Frozen, ancestor: Frozen) -> set[str] | None:
    """Names written between ``ancestor`` and ``state`` (None if ``ancestor`` is not one)."""
    out: set[str] = set()
    node: Frozen | None = state
    while node is not None and node is not ancestor:
        out.update(node.changed)
        node = node.parent
    return out if node is ancestor else None


def _common(a: Frozen, b: Frozen) -> Frozen | None:
    seen = set()
    node: Frozen | None = a
    while node is not None:
        seen.add(id(node))
        node = node.parent
    node = b
    while node is not None and id(node) not in seen:
        node = node.parent
    return node


def differing_names(a: Env, b: Env) -> tuple[Frozen, set[str]]:
    """A state both came from and the names that may differ between ``a`` and ``b``: those
    written on either side since it (every name when they share no state)."""
    names = a.local.keys() | b.local.keys()
    if a.base is b.base:
        return a.base, names
    common = _common(a.base, b.base)
    if common is None:  # never made by one walk; correct, if slow
        names.update(a.base.map.keys(), b.base.map.keys())
        return EMPTY, names
    names.update(changed_since(a.base, common) or ())
    names.update(changed_since(b.base, common) or ())
    return common, names
