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

import libcst as cst

from ..context import ModuleContext
from ..engine import ParsedVersion
from ..units import TopChunk
from .dims import Shape
from .hints import file_facts, reused, toplevel_problems
from .modules import ClassFact, chunk_classes
from .sequential import ModelFact, chunk_models, input_comment


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
    key = "semantics:any:" + key
    for ctx in mctx.chunks:
        memo = ctx.chunk.memo
        found = memo.get(key)
        if found is None:
            found = memo[key] = test(ctx.chunk.text)
        if found:
            return True
    return False


def _class_walks(parse: ParsedVersion) -> list[tuple[TopChunk, ClassFact, ClassFact | None]]:
    """Each module class's walk, with a second one where its input's rank is a guess."""
    found = reused(parse).get("class-walks")
    if found is not None:
        return found  # type: ignore[no-any-return]
    bindings, inputs, definitions = file_facts(parse)
    out = []
    for chunk, _ in parse.chunks:
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
    reused(parse)["class-walks"] = out
    return out


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


def failing_operations(parse: ParsedVersion) -> list[tuple[TopChunk, cst.CSTNode, str]]:
    """The tensor operations that certainly fail, in classes and outside them."""
    out: list[tuple[TopChunk, cst.CSTNode, str]] = []
    for chunk, cls, other in _class_walks(parse):
        agreed = None if other is None else {id(node) for node, _ in other.problems}
        out.extend((chunk, node, message) for node, message in cls.problems
                   if agreed is None or id(node) in agreed)
    out.extend(toplevel_problems(parse))
    return out
