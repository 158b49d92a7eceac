"""What the rules ask the value model, for a whole file: each layer call with what certainly
flows into it (``layer_feeds``: the elements of an ``nn.Sequential``, the layers ``forward``
applies) and the operations that certainly fail (``failing_operations``: a matmul's inner
sizes, a ``cat``'s other sizes).

Certain means every size was stated by the code: the file's calls, a ``# mlsense: input``
comment, or the first layer's own arguments. A class whose input comes from a first ``Linear``
(``(N, 13)``) could as well take ``(N, T, 13)``: it is walked again with that input, and only
what both walks say is kept.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from typing import Any

import libcst as cst

from ..context import ModuleContext
from ..engine import ParsedVersion
from ..units import TopChunk
from .dims import Shape
from .hints import file_facts, reused, toplevel_problems
from .modules import ClassFact, chunk_classes
from .sequential import ModelFact, chunk_models, input_comment
from .statements import statement_words
from .toplevel import definition_name


@dataclass(frozen=True)
class Feed:
    """A layer call and the shape that reaches it, with where it comes from."""

    chunk: TopChunk
    call: cst.Call
    shape: Shape
    source: str  # "the model's input", "`forward`", or "" (the element ``before`` it)
    before: cst.CSTNode | None = None
    # Where the input's rank is a guess: what the wider walk feeds the same call (a size is
    # certain only where these agree with ``shape``).
    wider: tuple[Shape, ...] | None = None

    def size(self, axis: int) -> int | None:
        """The size at ``axis`` where it is a number every walk agrees on."""
        if not -len(self.shape) <= axis < len(self.shape):
            return None
        got = self.shape[axis]
        if not isinstance(got, int) or self.wider is not None and (not self.wider or any(
                len(w) <= abs(axis) or w[axis] != got for w in self.wider)):
            return None
        return got


def file_version(mctx: ModuleContext) -> ParsedVersion:
    """The analysed version as the value model reads it, once per analysis."""
    parse = mctx.shared.get("semantics:version")
    if parse is None:
        parse = mctx.shared["semantics:version"] = ParsedVersion(
            mctx.text or "", [(c.chunk, 0) for c in mctx.chunks], mctx.imports)
    return parse  # type: ignore[no-any-return]


def any_statement(mctx: ModuleContext, key: str, test: Callable[[str], bool]) -> bool:
    """Whether ``test`` holds for the text of some top-level statement, each answer memoized
    on its statement (``key`` names the test): an edit re-reads the statement it changed, not
    the document, as the rules' file gates on the value model would."""
    return any(statement_holds(ctx.chunk, key, test) for ctx in mctx.chunks)


def statement_holds(chunk: TopChunk, key: str, test: Callable[[str], bool]) -> bool:
    """``test`` of the statement's text, memoized on it (``key`` names the test)."""
    key = "semantics:any:" + key
    found = chunk.memo.get(key)
    if found is None:
        found = chunk.memo[key] = test(chunk.text)
    return found  # type: ignore[return-value]


def _class_walks(parse: ParsedVersion) -> list[tuple[TopChunk, ClassFact, ClassFact | None]]:
    """Each module class's walk, with a second one where its input's rank is a guess."""
    found = reused(parse).get("class-walks")
    if found is None:
        found = reused(parse)["class-walks"] = _walks(
            parse, [c for c, _ in parse.chunks], file_facts(parse))
    return found  # type: ignore[no-any-return]


def _walks(parse: ParsedVersion, chunks: list[TopChunk], facts: tuple[Any, Any, Any]
           ) -> list[tuple[TopChunk, ClassFact, ClassFact | None]]:
    bindings, inputs, definitions = facts
    out = []
    for chunk in chunks:
        comment = input_comment(chunk.text) if "mlsense" in chunk.text else None
        for cls in chunk_classes(chunk, parse.imports, bindings, inputs, definitions):
            name = cls.node.name.value
            start = cls.input
            other = None
            if start is not None and len(start) == 2 and name not in inputs and comment is None:
                wider = {**inputs, name: (start[0], "T", start[1])}
                other = next((c for c in chunk_classes(chunk, parse.imports, bindings, wider,
                                                       definitions) if c.node is cls.node),
                             None)
                if other is None:
                    continue  # not walked again: nothing it says is certain
            out.append((chunk, cls, other))
    return out


def _feeding_facts(parse: ParsedVersion, chunks: list[TopChunk]) -> tuple[Any, Any, Any]:
    """The file's facts as they hold for the classes of ``chunks``: what the classes using
    them (and those using these...) feed them, without walking the other classes. A class
    given an input by another spells its name, so the statements that do not are left out of
    ``nested_inputs`` (its rounds give each kept class what the whole file's give it)."""
    from .inputs import class_definitions, model_classes, nested_inputs

    imports = parse.imports
    everything = [c for c, _ in parse.chunks]
    names = {id(c): {s.name.value for s in model_classes(c, imports)} for c in everything}
    kept = {id(c) for c in chunks}
    wanted = set().union(*(names[id(c)] for c in chunks))
    grown = True
    while grown:
        grown = False
        for c in everything:
            if id(c) not in kept and names[id(c)] and not wanted.isdisjoint(
                    statement_words(c)):
                kept.add(id(c))
                wanted |= names[id(c)]
                grown = True
    definitions = class_definitions(everything, imports)
    bindings, inputs = reused(parse)["bindings"], reused(parse)["inputs"]
    if len(definitions) > 1:
        bindings, inputs = nested_inputs([c for c in everything if id(c) in kept], imports,
                                         bindings, inputs, definitions)
    return bindings, inputs, definitions


def _sequential_feeds(chunk: TopChunk, model: ModelFact, source: str) -> Iterator[Feed]:
    shape, before = model.input, None
    for layer in model.layers:
        if isinstance(layer.node, cst.Call) and shape is not None:
            yield Feed(chunk, layer.node, shape, "" if before else source, before)
        shape, before = layer.shape, layer.node


def _class_feeds(chunk: TopChunk, cls: ClassFact) -> Iterator[Feed]:
    for attr, shapes in cls.fed.items():
        call = cls.constructors.get(attr)
        for shape in shapes if isinstance(call, cst.Call) else ():
            if shape is not None:
                yield Feed(chunk, call, shape, "`forward`")  # type: ignore[arg-type]
    for models in cls.sequentials.values():
        for model in models:
            yield from _sequential_feeds(chunk, model, "`forward`")


def layer_feeds(parse: ParsedVersion) -> list[Feed]:
    """Every layer call with a shape that certainly reaches it (a call fed several shapes
    appears once per shape)."""
    found = reused(parse).get("feeds")
    if found is not None:
        return found  # type: ignore[no-any-return]
    _, inputs, _ = file_facts(parse)
    out: list[Feed] = []
    for chunk, _ in parse.chunks:
        for model in chunk_models(chunk, parse.imports, inputs):
            out.extend(_sequential_feeds(chunk, model, "the model's input"))
    for chunk, cls, other in _class_walks(parse):
        feeds = list(_class_feeds(chunk, cls))
        if other is not None:  # only what the wider input gives too
            wider: dict[int, list[Shape]] = {}
            for f in _class_feeds(chunk, other):
                wider.setdefault(id(f.call), []).append(f.shape)
            feeds = [replace(f, wider=tuple(wider.get(id(f.call), ()))) for f in feeds]
        out.extend(feeds)
    reused(parse)["feeds"] = out
    return out


def failing_operations(parse: ParsedVersion, where: Callable[[TopChunk], bool] | None = None
                       ) -> list[tuple[TopChunk, cst.CSTNode, str]]:
    """The tensor operations that certainly fail, in classes and outside them. ``where``:
    the statements that may hold one (a text test); only their classes are walked (with
    :func:`_feeding_facts` unless the file's facts are known already), and the statements
    outside classes only where one of them is not a class."""
    if where is None:
        chunks, walks = [c for c, _ in parse.chunks], _class_walks(parse)
    else:
        chunks = [c for c, _ in parse.chunks if where(c)]
        found = reused(parse)
        facts = found.get("facts")
        if facts is None:  # the classes among ``chunks`` are the same objects in the entry
            key = f"feeding:{[c.serial for c in chunks if c.serial in found['classes']]}"
            facts = found.get(key)
            if facts is None:
                facts = found[key] = _feeding_facts(parse, chunks)
        walks = _walks(parse, chunks, facts)
    out: list[tuple[TopChunk, cst.CSTNode, str]] = []
    for chunk, cls, other in walks:
        agreed = None if other is None else {id(node) for node, _ in other.problems}
        out.extend((chunk, node, message) for node, message in cls.problems
                   if agreed is None or id(node) in agreed)
    if any(definition_name(c.text, classes_only="keras" in parse.text) is None for c in chunks):
        out.extend(toplevel_problems(parse))
    return out
