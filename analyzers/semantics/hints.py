"""What the editor shows of a file's models, as data: each hint's place (the node it follows, its
absolute range) and what it states (shapes by bound name, a parameter count, a total). The
inlay hints (``server/lsp/inlay.py``) format these, the variable hovers read them and the shape
oracle (``bench/shape_oracle.py``) checks them against a real run: one source for all three.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import libcst as cst

from .dims import Shape, fmt_shape, known_part

if TYPE_CHECKING:
    from ..engine import ParsedVersion
    from ..units import TopChunk

Range4 = tuple[int, int, int, int]  # absolute 0-based line, column (code points), end line/col


@dataclass(frozen=True)
class Hint:
    """One hint. ``shapes``: ``("", shape)`` for a layer element, ``(name, shape)`` per name a
    statement binds, ``("return", shape)`` for a return; ``params``/``total`` for counts."""

    node: cst.CSTNode
    range: Range4
    shapes: tuple[tuple[str, Shape], ...] = ()
    params: int | None = None
    total: bool = False

    def shape_label(self) -> str:
        if len(self.shapes) == 1:
            return f"→ {fmt_shape(self.shapes[0][1])}"
        return "→ " + " · ".join(f"{name} {fmt_shape(shape)}" for name, shape in self.shapes)


def file_facts(parse: ParsedVersion) -> tuple[Any, Any, Any]:
    """The file-wide model facts of one analysed version (constructor arguments and inputs
    from the file's calls, the module classes other classes may use), computed once per
    version for hints, hovers and completions alike (and kept from a recent version whose
    statements they read are the same: :func:`reused`)."""
    found = reused(parse)
    facts = found.get("facts")
    if facts is None:
        from .inputs import class_definitions, nested_inputs

        chunks = [c for c, _ in parse.chunks]
        definitions = class_definitions(chunks, parse.imports)
        bindings, inputs = found["bindings"], found["inputs"]
        if len(definitions) > 1:
            bindings, inputs = nested_inputs(chunks, parse.imports, bindings, inputs,
                                             definitions)
        facts = found["facts"] = (bindings, inputs, definitions)
    return facts  # type: ignore[no-any-return]


_RECENT: dict[tuple[Any, ...], dict[str, Any]] = {}  # by what the results read, newest last
_RECENT_MAX = 4
_RECENT_LOCK = threading.Lock()


def reused(parse: ParsedVersion) -> dict[str, Any]:
    """The file-wide results of this version (the facts, the class walks, the layer feeds,
    the models' outputs), shared with a recent version that has the same imports, the same
    model inputs (``inputs.model_inputs``, memoized per statement) and the same statement
    objects (a statement keeps its object while its text is unchanged) among those the
    results read: the classes and the statements naming ``Sequential``; and the same
    constructor arguments from the file's calls (``inputs.class_bindings``, memoized per
    statement). An edit elsewhere (a training loop, a config table) re-walks nothing."""
    found = parse.derived.get("semantics:reused")
    if found is None:
        from .inputs import class_bindings, model_classes, model_inputs

        chunks = [c for c, _ in parse.chunks]
        imports = parse.imports
        inputs, bindings = model_inputs(chunks, imports), class_bindings(chunks, imports)
        key = (imports.fingerprint, tuple(sorted(inputs.items())),
               repr(sorted((k, sorted(v.items())) for k, v in bindings.items())), tuple(
                   c.serial for c in chunks
                   if "Sequential" in c.text or model_classes(c, imports)))
        with _RECENT_LOCK:
            found = _RECENT.pop(key, None) or {
                "inputs": inputs, "bindings": bindings,
                "classes": frozenset(c.serial for c in chunks if model_classes(c, imports))}
            _RECENT[key] = found
            while len(_RECENT) > _RECENT_MAX:
                del _RECENT[next(iter(_RECENT))]
        parse.derived["semantics:reused"] = found
    return found  # type: ignore[no-any-return]


def file_models(parse: ParsedVersion) -> tuple[dict[str, Shape | None], dict[str, Any]]:
    """What calling each of the file's models gives, once per version: its output shape (with
    the batch axis ``N``) and its kind (``kinds``), by class name or ``=variable`` for an
    ``nn.Sequential`` bound at the top level."""
    found = reused(parse).get("models")
    if found is None:
        from .kinds import layer_kind
        from .modules import chunk_classes
        from .sequential import chunk_models

        bindings, inputs, definitions = file_facts(parse)
        models: dict[str, Shape | None] = {}
        kinds: dict[str, Any] = {}
        for chunk, _ in parse.chunks:
            for cls in chunk_classes(chunk, parse.imports, bindings, inputs, definitions):
                models[cls.node.name.value] = cls.output
                kinds[cls.node.name.value] = cls.output_kind
            fed = {id(m.node): m for m in chunk_models(chunk, parse.imports, inputs)}
            for stmt in chunk.module.body if fed and chunk.module is not None else ():
                for small in stmt.body if isinstance(stmt, cst.SimpleStatementLine) else ():
                    if isinstance(small, cst.Assign) and len(small.targets) == 1 \
                            and isinstance(small.targets[0].target, cst.Name) \
                            and id(small.value) in fed:
                        key = "=" + small.targets[0].target.value
                        layers = fed[id(small.value)].layers
                        models[key] = layers[-1].shape if layers else None
                        call = fed[id(small.value)].node
                        kinds[key] = layer_kind(parse.imports.resolve(call.func), call,
                                                parse.imports.resolve)
        found = reused(parse)["models"] = (models, kinds)
    return found  # type: ignore[no-any-return]


def toplevel_facts(parse: ParsedVersion) -> dict[int, list[Any]]:
    """The tensors bound outside classes, per chunk (``toplevel.file_bindings``), once per
    version; the file's models are applied through their facts."""
    facts = parse.derived.get("semantics:toplevel")
    if facts is None:
        from .toplevel import file_bindings

        problems: list[Any] = []
        facts = parse.derived["semantics:toplevel"] = file_bindings(
            parse, file_models(parse)[0], problems)
        parse.derived["semantics:toplevel-problems"] = problems
    return facts  # type: ignore[no-any-return]


def toplevel_problems(parse: ParsedVersion) -> list[tuple[TopChunk, cst.CSTNode, str]]:
    """The operations outside classes that certainly fail (``toplevel.Problems``)."""
    toplevel_facts(parse)
    return parse.derived["semantics:toplevel-problems"]  # type: ignore[no-any-return]


def _statement_shapes(node: cst.CSTNode, shape: Shape) -> tuple[tuple[str, Shape], ...]:
    if isinstance(node, cst.Assign) and len(node.targets) == 1 \
            and isinstance(node.targets[0].target, cst.Name):
        return ((node.targets[0].target.value, shape),)
    if isinstance(node, cst.Return):
        return (("return", shape),)
    return (("", shape),)


def chunk_hints(parse: ParsedVersion, chunk: TopChunk, offset: int) -> list[Hint]:
    """The hints of one top-level statement (its first line is ``offset``)."""
    from .modules import chunk_classes
    from .sequential import chunk_models

    if chunk.module is None:
        return []
    bindings, inputs, definitions = file_facts(parse)
    models = chunk_models(chunk, parse.imports, inputs)
    classes = chunk_classes(chunk, parse.imports, bindings, inputs, definitions)
    toplevel = toplevel_facts(parse).get(id(chunk), ())
    if not models and not classes and not toplevel:
        return []

    def place(node: cst.CSTNode, **kw: Any) -> Hint:
        l0, c0, l1, c1 = chunk.range_of(node)
        return Hint(node, (offset + l0, c0, offset + l1, c1), **kw)

    def shown(shapes: tuple[tuple[str, Shape], ...]) -> tuple[tuple[str, Shape], ...] | None:
        """The shapes as hinted (unknown sizes as ``?``); None when one says nothing."""
        out = tuple((name, known_part(shape)) for name, shape in shapes)
        return None if any(s is None for _, s in out) else out  # type: ignore[return-value]

    applied: dict[int, list[Any]] = {}
    for cls in classes:
        for key, facts in cls.sequentials.items():
            applied.setdefault(key, []).extend(facts)
    out: list[Hint] = []
    for model in models:
        uses = applied.get(id(model.node), [])
        if uses:  # applied in forward: its facts there, if forward feeds it one shape
            model = uses[0]
            if len({tuple(la.shape for la in (*m.layers, *m.inner)) for m in uses}) > 1:
                model = replace(model, layers=tuple(replace(la, shape=None)
                                                     for la in model.layers), inner=())
        for layer in (*model.layers, *model.inner):
            layer_shapes = shown((("", layer.shape),)) if layer.shape is not None else None
            if layer_shapes or layer.params:
                out.append(place(layer.node, shapes=layer_shapes or (),
                                 params=layer.params or None))
        if model.total is not None:
            out.append(place(model.node, params=model.total, total=True))
    for cls in classes:  # nn.Module subclasses: layers in __init__, shapes in forward
        if cls.total is not None:
            out.append(place(cls.node.name, params=cls.total, total=True))
        out.extend(place(node.value if isinstance(node, cst.Assign) else node, params=params)
                   for node, params in cls.layers.values() if params)
        out.extend(place(fact.node, shapes=stated) for fact in cls.statements
                   if (stated := shown(fact.names or _statement_shapes(fact.node, fact.shape))))
        out.extend(place(element, shapes=stated)
                   for element, shapes in cls.repeated.values()
                   if len(shapes) == 1 and None not in shapes
                   and (stated := shown((("", next(iter(shapes))),))))  # type: ignore[arg-type]
    out.extend(place(fact.node, shapes=stated) for fact in toplevel
               if (stated := shown(fact.shapes)))
    return out


def file_hints(parse: ParsedVersion, first: int = 0, last: int | None = None
               ) -> Iterator[Hint]:
    """The hints of the statements that overlap lines ``first``..``last`` (0-based)."""
    for chunk, offset in parse.chunks:
        end = offset + chunk.text.count("\n")
        if end < first or (last is not None and offset > last):
            continue
        yield from chunk_hints(parse, chunk, offset)
