"""What the file as a whole says of its model classes: which classes it defines
(``class_definitions``), the constructor arguments its calls give them (``class_bindings``),
what it feeds its models (``model_inputs``: ``model = Net()`` then ``model(torch.randn(64, 1,
28, 28))``, ``model.build((None, 16))``) and what its classes feed one another
(``nested_inputs``). Computed once per analysed version (``hints.file_facts``)."""

from __future__ import annotations

import functools
import hashlib
import re
from collections.abc import Mapping
from typing import Any

import libcst as cst

from ..aliases import ImportTable
from ..units import TopChunk
from ..walk import iter_nodes
from .args import UNKNOWN, literal
from .constructor import bind_arguments, init_env
from .dims import Shape
from .modules import MAX_NESTING, Bindings, Definitions, chunk_classes, is_model_class
from .sequential import TORCH_SEQUENTIAL


def model_classes(chunk: TopChunk, imports: ImportTable) -> tuple[cst.ClassDef, ...]:
    """The ``nn.Module`` / Keras model subclasses one top-level statement defines (memoized on
    the statement; one without the word ``class`` is not parsed)."""
    if "class" not in chunk.text:
        return ()
    key = f"semantics:model-classes@{imports.fingerprint}"
    found = chunk.memo.get(key)
    if found is None:
        found = chunk.memo[key] = tuple(
            s for s in (chunk.module.body if chunk.module is not None else ())
            if isinstance(s, cst.ClassDef) and is_model_class(s, imports.resolve))
    return found  # type: ignore[return-value]


def text_digest(chunk: TopChunk) -> str:
    """A digest of the statement's text (memoized on it): a class walk that applies another
    class depends on that class's text."""
    found = chunk.memo.get("semantics:digest")
    if found is None:
        found = chunk.memo["semantics:digest"] = hashlib.blake2b(
            chunk.text.encode("utf-8", "surrogatepass"), digest_size=8).hexdigest()
    return found  # type: ignore[return-value]


def called_classes(chunk: TopChunk, names: frozenset[str], key: str) -> tuple[str, ...]:
    """Which of ``names`` (the file's model classes; ``key`` spells the set) the statement's
    text calls (``Net(``), memoized on the statement."""
    key = "semantics:called:" + key
    found = chunk.memo.get(key)
    if found is None:
        found = chunk.memo[key] = tuple(sorted(n for n in names if f"{n}(" in chunk.text))
    return found  # type: ignore[return-value]


def class_definitions(chunks: list[TopChunk], imports: ImportTable) -> dict[str, tuple[cst.ClassDef, str]]:
    """The file's top-level ``nn.Module`` subclasses by name (a name defined twice: neither)."""
    out: dict[str, tuple[cst.ClassDef, str]] = {}
    twice: set[str] = set()
    for chunk in chunks:
        for stmt in model_classes(chunk, imports):
            name = stmt.name.value
            if name in out:
                twice.add(name)
            out[name] = (stmt, text_digest(chunk))
    return {k: v for k, v in out.items() if k not in twice}


def class_bindings(chunks: list[TopChunk], imports: ImportTable) -> dict[str, dict[str, Any]]:
    """Constructor arguments of the file's ``nn.Module`` subclasses, from the file's calls
    ``Net(13, hidden=64)``: per parameter, the value every call gives (UNKNOWN where calls
    differ or a value is not stated). Classes never called in the file are left out."""
    classes: dict[str, tuple[cst.ClassDef, str]] = {}
    for c in chunks:
        classes.update((s.name.value, (s, text_digest(c))) for s in model_classes(c, imports))
    if not classes:
        return {}
    names = frozenset(classes)
    names_key = ",".join(sorted(names))
    out: dict[str, dict[str, Any]] = {}
    for chunk in chunks:
        called = [(n, classes[n][1]) for n in called_classes(chunk, names, names_key)]
        if not called or chunk.module is None:
            continue
        key = f"semantics:sites@{imports.fingerprint}:{called!r}"
        sites = chunk.memo.get(key)
        if sites is None:  # each call of a module class in the statement: its arguments
            sites = chunk.memo[key] = [
                (node.func.value, init_env(classes[node.func.value][0],
                                           bind_arguments(classes[node.func.value][0], node)))
                for node in iter_nodes([chunk.module])
                if isinstance(node, cst.Call) and isinstance(node.func, cst.Name)
                and node.func.value in classes]
        for name, site in sites:  # type: ignore[attr-defined]
            seen = out.get(name)
            out[name] = dict(site) if seen is None else {
                k: v if seen.get(k, UNKNOWN) == v else UNKNOWN for k, v in site.items()}
    return out


_CREATORS = frozenset(f"{m}.{n}" for m in ("torch", "numpy", "numpy.random")
                      for n in ("randn", "rand", "zeros", "ones", "empty",
                                             "randint"))


def model_inputs(chunks: list[TopChunk], imports: ImportTable) -> dict[str, Shape]:
    """What the file feeds its models at the top level: ``model = Net()`` then
    ``model(torch.randn(64, 1, 28, 28))`` (directly or through a name bound to such a tensor)
    gives class ``Net`` the input ``(N, 1, 28, 28)``; ``net = nn.Sequential(...)`` then
    ``net(x)`` gives the entry ``"=net"``. A model fed two different shapes, and a name bound
    to two Sequential models, get none. Each statement's part is memoized on its text and on
    what it reads of the bindings before it (the names it mentions)."""
    classes = frozenset(s.name.value for c in chunks for s in model_classes(c, imports))
    if not classes and not any("Sequential" in c.text for c in chunks):
        return {}
    if not _maybe_fed(chunks, classes):
        return {}
    models: dict[str, str] = {}  # variable -> class name, or "=variable" for a Sequential
    tensors: dict[str, Shape] = {}  # variable -> shape of the tensor it holds
    seen: dict[str, Shape | None] = {}
    sequential_bindings: dict[str, int] = {}
    prefix = f"semantics:feeds@{imports.fingerprint}:{','.join(sorted(classes))}"
    for chunk in chunks:
        if chunk.module is None or _compound(chunk):
            continue
        text = chunk.text  # the bindings of the names it may mention (a few at most)
        before = tuple((w, models.get(w), tensors.get(w))
                       for w in sorted(models.keys() | tensors.keys()) if w in text)
        slots: Any = chunk.memo.setdefault(prefix, {})
        found = slots.get(before)
        if found is None:
            if len(slots) >= _VERSIONS:
                del slots[next(iter(slots))]
            found = slots[before] = _statement_feeds(
                chunk, imports, classes, {w: m for w, m, _ in before if m is not None},
                {w: t for w, _, t in before if t is not None})
        observed, after, sequentials = found
        for key, given in observed:
            seen[key] = given if seen.get(key, given) == given else None
        for name, model, tensor in after:
            models.pop(name, None) if model is None else models.update({name: model})
            tensors.pop(name, None) if tensor is None else tensors.update({name: tensor})
        for name in sequentials:
            sequential_bindings[name] = sequential_bindings.get(name, 0) + 1
    return {key: shape for key, shape in seen.items() if shape is not None
            and not (key.startswith("=") and sequential_bindings.get(key[1:], 0) > 1)}


def _compound(chunk: TopChunk) -> bool:
    """Whether the statement holds no simple statement at its top (a class, a function, a
    loop): :func:`model_inputs` reads nothing of it."""
    found = chunk.memo.get("semantics:compound")
    if found is None:
        found = chunk.memo["semantics:compound"] = chunk.module is not None and not any(
            isinstance(s, cst.SimpleStatementLine) for s in chunk.module.body)
    return found  # type: ignore[return-value]


_VERSIONS = 4  # results kept per statement (the same text may sit at several places)


def _statement_feeds(chunk: TopChunk, imports: ImportTable, classes: frozenset[str],
                     models: dict[str, str], tensors: dict[str, Shape]
                     ) -> tuple[tuple[tuple[str, Shape], ...], tuple[Any, ...], tuple[str, ...]]:
    """One top-level statement's part of :func:`model_inputs`, given the bindings of the names
    it mentions: the (model, shape) pairs it feeds, each name it rebinds with its model and
    tensor after it (None: unbound), the names it binds to a Sequential."""
    observed: list[tuple[str, Shape]] = []
    bound: list[str] = []
    sequentials: list[str] = []
    assert chunk.module is not None
    for stmt in chunk.module.body:
        if not isinstance(stmt, cst.SimpleStatementLine):
            continue
        for small in stmt.body:
            fed = any(f"{name}(" in chunk.text for name in models)  # else nothing to scan
            for call in _calls_of(small) if fed or ".build(" in chunk.text else ():
                built = _built(call, models)
                if built is not None:
                    observed.append(built)
                if isinstance(call.func, cst.Name) and call.func.value in models and call.args:
                    shape = _tensor_shape(call.args[0].value, tensors, imports)
                    if shape is not None:
                        observed.append((models[call.func.value], shape))
            if isinstance(small, cst.Assign) and len(small.targets) == 1 \
                    and isinstance(small.targets[0].target, cst.Name):
                target = small.targets[0].target.value
                bound.append(target)
                models.pop(target, None)
                tensors.pop(target, None)
                value = _unwrap_moves(small.value)
                if isinstance(value, cst.Call) and isinstance(value.func, cst.Name) \
                        and value.func.value in classes:
                    models[target] = value.func.value
                elif isinstance(value, cst.Call) \
                        and imports.resolve(value.func) in TORCH_SEQUENTIAL:
                    models[target] = f"={target}"
                    sequentials.append(target)
                elif (shape := _tensor_shape(value, tensors, imports)) is not None:
                    tensors[target] = shape
    return tuple(observed), tuple((n, models.get(n), tensors.get(n)) for n in dict.fromkeys(
        bound)), tuple(sequentials)


def _maybe_fed(chunks: list[TopChunk], classes: frozenset[str]) -> bool:
    """Whether some statement may feed a model, read from the texts alone (no statement is
    parsed for a file that binds models but never calls or builds one)."""
    key = "semantics:model-names:" + ",".join(sorted(classes))
    names: set[str] = set()
    for c in chunks:
        found = c.memo.get(key)
        if found is None:
            found = c.memo[key] = frozenset(
                m.group(1) for m in _binding_pattern(classes).finditer(c.text)) \
                if "=" in c.text and ("Sequential" in c.text or any(n in c.text for n in classes)) \
                else frozenset()
        names.update(found)  # type: ignore[arg-type]
    key = "semantics:feeds-text:" + ",".join(sorted(names))
    for c in chunks:
        fed = c.memo.get(key)
        if fed is None:
            fed = c.memo[key] = ".build(" in c.text or any(f"{n}(" in c.text for n in names)
        if fed:
            return True
    return False


@functools.lru_cache(maxsize=32)
def _binding_pattern(classes: frozenset[str]) -> re.Pattern[str]:
    """``name = Net(`` / ``name = nn.Sequential(`` at the start of a line."""
    called = "|".join([re.escape(c) for c in sorted(classes)] + [r"[\w.]*Sequential"])
    return re.compile(r"^[ \t]*(\w+)[ \t]*=[ \t]*(?:" + called + r")[ \t]*\(", re.M)


def nested_inputs(chunks: list[TopChunk], imports: ImportTable, bindings: Bindings,
                  inputs: Mapping[str, Shape], definitions: Definitions
                  ) -> tuple[dict[str, Any], dict[str, Shape]]:
    """Bindings and inputs completed with what other module classes feed the file's classes
    (``self.block = Block(64)`` applied to ``(N, 64, H, W)``): a class fed one shape with one
    set of constructor arguments everywhere gets them; one fed several, or also something
    unknown, gets no input at all (its forward's hints would hold for one use only)."""
    found_bindings, found_inputs = dict(bindings), dict(inputs)
    for _ in range(MAX_NESTING):
        fed: dict[str, set[tuple[Shape | None, tuple[tuple[str, Any], ...]]]] = {}  # uses
        for chunk in chunks:
            for cls in chunk_classes(chunk, imports, found_bindings, found_inputs, definitions):
                for name, uses in cls.class_inputs.items():
                    fed.setdefault(name, set()).update(uses)
        new_bindings, new_inputs = dict(bindings), dict(inputs)
        for name, used in fed.items():
            shapes = {_own(shape) for shape, _ in used}
            if len(used) == 1 and None not in shapes \
                    and (name not in inputs or shapes == {inputs[name]}):
                [(shape, env)] = used
                assert shape is not None
                new_inputs[name], new_bindings[name] = shape, dict(env)
            else:
                new_inputs.pop(name, None)
        if new_inputs == found_inputs and new_bindings == found_bindings:
            break
        found_bindings, found_inputs = new_bindings, new_inputs
    return found_bindings, found_inputs


def _own(shape: Shape | None) -> Shape | None:
    """A shape another class may be given: None where it is unknown or written in the
    feeding class's own parameters (``(N, planes, ?, ?)`` means nothing inside the block)."""
    if shape is None or any(isinstance(d, str) and not set(_NAME.findall(d)) <= _INPUT_NAMES
                            for d in shape):
        return None
    return shape


_NAME = re.compile(r"[A-Za-z_]\w*|\?")
_INPUT_NAMES = frozenset(("N", "C", "D", "H", "W", "L", "T"))


def _built(call: cst.Call, models: Mapping[str, str]) -> tuple[str, Shape] | None:
    """``model.build((None, 16))`` on a Keras model of the file: (its class, ``(N, 16)``)."""
    func = call.func
    if not (isinstance(func, cst.Attribute) and func.attr.value == "build"
            and isinstance(func.value, cst.Name) and func.value.value in models
            and len(call.args) == 1):
        return None
    shape = literal(call.args[0].value)
    if not isinstance(shape, tuple) or len(shape) < 2 or not all(
            isinstance(d, int) and not isinstance(d, bool) for d in shape[1:]):
        return None
    return models[func.value.value], ("N", *shape[1:])


def _calls_of(node: cst.CSTNode) -> list[cst.Call]:

    return [n for n in iter_nodes([node]) if isinstance(n, cst.Call)]


def _unwrap_moves(expr: cst.BaseExpression) -> cst.BaseExpression:
    """``Net().to(device)``, ``x.cuda()``, ``x.float()``: what is moved or cast."""
    while isinstance(expr, cst.Call) and isinstance(expr.func, cst.Attribute) \
            and expr.func.attr.value in ("to", "cuda", "cpu", "float", "double", "eval", "train"):
        expr = expr.func.value
    return expr


def _tensor_shape(expr: cst.BaseExpression, tensors: Mapping[str, Shape],
                  imports: ImportTable) -> Shape | None:
    expr = _unwrap_moves(expr)
    if isinstance(expr, cst.Name):
        return tensors.get(expr.value)
    if not isinstance(expr, cst.Call) or imports.resolve(expr.func) not in _CREATORS:
        return None
    name = imports.resolve(expr.func)
    positional = [a.value for a in expr.args if a.keyword is None and not a.star]
    if name == "torch.randint":  # randint(low, high, size) / randint(high, size)
        size = next((literal(a.value) for a in expr.args
                     if a.keyword is not None and a.keyword.value == "size"), None)
        if size is None and positional:
            size = literal(positional[-1])
        dims = size
    elif len(positional) == 1 and isinstance(literal(positional[0]), tuple):
        dims = literal(positional[0])
    else:
        dims = tuple(literal(p) for p in positional)
    if not isinstance(dims, tuple) or not dims or not all(
            isinstance(d, int) and not isinstance(d, bool) for d in dims):
        return None
    return ("N", *dims[1:])
