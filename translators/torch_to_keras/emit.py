"""Printing the translated Keras file: classes, ``keras.Sequential`` models, training code."""

from __future__ import annotations

import ast
import re
from typing import Any, Protocol

from ..base import TensorSpec, Translation, WeightTransfer
from .forward import Session, resolve_code
from .layout import Val
from .model import Attr, ClassInfo, Resolver, Unsupp, keras_attr_name
from .training import TrainingTranslator


class SourceFile(Protocol):
    """What printing needs of the PyTorch file being translated (translate.py's translator)."""

    tree: ast.Module
    partial: bool
    resolver: Resolver
    classes: dict[str, ClassInfo]
    globals: dict[str, Any]
    comments: dict[int, tuple[str, bool]]  # line -> (text, alone on its line)
    skip: list[ast.stmt]  # module statements the emitted model replaces

_LAYOUT_NAMES = {(0, 2, 3, 1): "NHWC (PyTorch: NCHW)", (0, 2, 1): "NLC (PyTorch: NCL)"}


def layout_sentence(specs: list[TensorSpec]) -> str:
    """The docstring line that tells the reader which layout the Keras model expects."""
    perms = [s.to_target for s in specs if s.to_target]
    if not perms:
        return "Translated from PyTorch by mlsense; inputs keep the PyTorch axis order."
    names = ", ".join(sorted({_LAYOUT_NAMES.get(p, str(p)) for p in perms}))
    return f"Translated from PyTorch by mlsense; channels-last: inputs are {names}."


def _docstring(node: ast.ClassDef | None, sentence: str, indent: str) -> list[str]:
    original = ast.get_docstring(node) if node is not None else None
    if not original:
        return [f'{indent}"""{sentence}"""']
    body = original.splitlines()
    return [f'{indent}"""{body[0]}', *[f"{indent}{b}" if b else "" for b in body[1:]], "",
            f'{indent}{sentence}', f'{indent}"""']


def _attr_code(attr: Attr) -> str:
    """The Keras constructor of an attribute (forward-resolved, else from its plan)."""
    if attr.code is not None:
        return attr.code
    if attr.kind == "seq":
        return "keras.Sequential([" + ", ".join(_attr_code(i) for i in attr.items) + "])"
    if attr.kind == "module":
        return attr.call_src
    if attr.plan is None:  # partial mode: an untranslated layer the forward never reached
        return "layers.Identity()"
    return resolve_code(attr.plan, attr, None)


def init_lines(tr: SourceFile, session: Session, info: ClassInfo) -> list[str]:
    """The body of the Keras ``__init__``: layers in source order, comments kept."""
    out = ["super().__init__()"]
    if info.init is None:
        return out
    attrs = session.attrs_for_code(info)
    prev = info.init.body[0].lineno - 1
    for stmt in info.init.body:
        for line in range(prev + 1, stmt.lineno):
            text = tr.comments.get(line)
            if text and text[1]:
                out.append(text[0])
        prev = stmt.end_lineno or stmt.lineno
        start = len(out)
        if isinstance(stmt, ast.Expr) and isinstance(stmt.value, (ast.Constant, ast.Call)):
            continue  # docstring / super().__init__()
        target = stmt.targets[0] if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 \
            else None
        if isinstance(target, ast.Attribute) and target.attr in attrs:
            attr = attrs[target.attr]
            name = keras_attr_name(target.attr)
            if attr.kind == "unsupported":
                if not tr.partial:
                    raise Unsupp(attr.line, attr.call_src[:60], attr.reason)
                out.append(session.gap(attr.line, attr.call_src[:60], attr.reason))
                out.append(f"self.{name} = layers.Identity()")
                continue
            if attr.plan is not None and attr.plan.pre:
                out.append(f"self.{name}_pad = {attr.plan.pre}")
            out.append(f"self.{name} = {_attr_code(attr)}")
        elif _mentions_torch(tr, stmt):
            if not tr.partial:
                raise Unsupp(stmt.lineno, ast.unparse(stmt)[:60], "PyTorch code in __init__ "
                             "that is not a supported layer")
            session.gap(stmt.lineno, ast.unparse(stmt)[:60], "not a supported layer")
            out.append(f"# TODO(mlsense): line {stmt.lineno}: not translated: "
                       f"{ast.unparse(stmt)}")
        else:
            out.extend(ast.unparse(stmt).splitlines())
        trailing = tr.comments.get(stmt.lineno)
        if trailing and not trailing[1] and len(out) > start:
            out[start] += "  " + trailing[0]
    return out


def _mentions_torch(tr: SourceFile, node: ast.AST) -> bool:
    return any(isinstance(n, ast.Name) and tr.resolver.aliases.get(n.id, "").startswith("torch")
               for n in ast.walk(node))


def class_source(tr: SourceFile, session: Session, info: ClassInfo, base: str,
                 sentence: str) -> list[str]:
    """One translated class."""
    lines = [f"class {info.name}({base}):", *_docstring(info.node, sentence, "    "), ""]
    params = ""
    if info.init is not None:
        params = ast.unparse(info.init.args).split(", ", 1)[1] if info.init.args.args[1:] or \
            info.init.args.kwonlyargs else ""
    lines.append(f"    def __init__(self{', ' + params if params else ''}):")
    lines += ["        " + line for line in init_lines(tr, session, info)]
    arg_names, body = session.call_code[info.name]
    lines += ["", f"    def call(self{''.join(', ' + a for a in arg_names)}):"]
    lines += ["        " + line for line in body]
    return lines


def _keras_path(path: str, sequential_root: bool) -> str:
    if sequential_root:
        parts = path.split(".")
        if len(parts) == 2 and parts[0] == "layers":
            return f"index:{parts[1]}"
    return f"attr:{path}"


def _weights(session: Session, sequential_root: bool) -> list[WeightTransfer]:
    return [WeightTransfer(w.kind, w.torch_path, _keras_path(w.keras_path, sequential_root),
                           w.params, w.line) for w in session.weights]


def _output_specs(out: Val) -> list[TensorSpec]:
    if out.kind == "unknown":
        return []
    vals = out.items if out.kind == "tuple" else [out]
    return [TensorSpec(tuple(d if d is not None else -1 for d in (v.shape or (None,))[1:]),
                       to_target=v.perm) for v in vals]


def _file(tr: SourceFile, body: list[str], model_names: set[str],
          perm: tuple[int, ...] | None, session: Session) -> tuple[str, list[str]]:
    """Assemble the whole file: docstring, imports, constants, model, training code."""
    defs: list[ast.stmt] = []
    rest: list[ast.stmt] = []
    for node in tr.tree.body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            continue
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and node is \
                tr.tree.body[0]:
            continue
        if isinstance(node, ast.ClassDef) and node.name in tr.classes:
            continue
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and \
                isinstance(node.targets[0], ast.Name) and node.targets[0].id in tr.globals:
            defs.append(node)
        elif isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            defs.append(node)
        else:
            rest.append(node)
    translator = TrainingTranslator(tr.resolver, model_names, perm)
    rest = [n for n in rest if not (isinstance(n, ast.Assign) and n in tr.skip)]
    consts = [ast.unparse(d) for d in defs]
    consts += translator.leave_out(tr.tree, "\n".join(consts + body), rest)  # other models
    training = translator.translate(rest)
    doc = ast.get_docstring(tr.tree)
    head = [f'"""{doc}"""', ""] if doc else []
    uses_np = training.uses_numpy or any("np." in line for line in training.lines)
    head += (["import numpy as np", ""] if uses_np else []) + ["import keras"]
    if any("layers." in line for line in body):
        head.append("from keras import layers")
    head.append("")
    text = "\n".join((["", *consts, "", ""] if consts else [""]) + body)
    if training.lines:
        text += "\n\n\n" + "\n".join(training.lines)
    head[-1:-1] = kept_imports(tr.tree, text, head)
    return ("\n".join(head) + "\n" + text).rstrip() + "\n", training.notes


_FRAMEWORKS = {"torch", "torchvision", "torchaudio", "torchtext", "keras", "tensorflow", "numpy"}


def kept_imports(tree: ast.Module, text: str, head: list[str]) -> list[str]:
    """The source's other imports (``from collections import namedtuple``) the output uses."""
    words = set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", text))
    kept: list[str] = []
    for node in tree.body:
        if not isinstance(node, (ast.Import, ast.ImportFrom)) or (
                isinstance(node, ast.ImportFrom) and (node.level or not node.module)):
            continue
        modules = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module]
        if any((m or "").split(".")[0] in _FRAMEWORKS for m in modules):
            continue
        bound = {(a.asname or a.name).split(".")[0] for a in node.names}
        line = ast.unparse(node)
        if bound & words and line not in head and line not in kept:
            kept.append(line)
    return kept


def class_translation(tr: SourceFile, session: Session, root: ClassInfo, call: ast.Call,
                      specs: list[tuple[TensorSpec, bool]], lines: list[str],
                      out: Val) -> Translation:
    """The Translation of a subclassed model."""
    session.call_code[root.name] = ([a.arg for a in root.forward.args.args[1:]], lines)
    sentence = layout_sentence([s for s, _ in specs])
    body: list[str] = []
    order = [n.name for n in tr.tree.body if isinstance(n, ast.ClassDef)]
    for name in order:
        if name not in session.call_code:
            continue
        info = tr.classes[name]
        base = "keras.Model" if name == root.name else "layers.Layer"
        if body:
            body += ["", ""]
        body += class_source(tr, session, info, base, sentence if name == root.name else
                             "Translated from PyTorch by mlsense.")
    models = {t.id for n in tr.tree.body if isinstance(n, ast.Assign)
              for t in n.targets if isinstance(t, ast.Name) and isinstance(n.value, ast.Call)
              and isinstance(n.value.func, ast.Name) and n.value.func.id == root.name}
    perm = specs[0][0].to_target if specs else None
    text, notes = _file(tr, body, models, perm, session)
    expr = ast.unparse(call)
    return Translation("pytorch", "keras", text, expr, expr, [s for s, _ in specs],
                       _output_specs(out), _weights(session, False), session.unsupported,
                       notes)


def sequential_translation(tr: SourceFile, session: Session, assign: ast.Assign,
                           spec: TensorSpec, items: list[str], out: Val) -> Translation:
    """The Translation of a module-level ``nn.Sequential`` model."""
    name = ast.unparse(assign.targets[0])
    shape: Any = spec.shape
    if spec.to_target:
        shape = tuple(spec.shape[p - 1] for p in spec.to_target[1:])
    dtype = ', dtype="int32"' if spec.dtype == "int64" else ""
    inner = ",\n".join("    " + i.replace("\n", "\n    ")
                       for i in [f"keras.Input(shape={tuple(shape)!r}{dtype})", *items])
    comment = "# " + layout_sentence([spec])
    body = [comment, f"{name} = keras.Sequential([\n{inner},\n])"]
    tr.skip = [assign]
    text, notes = _file(tr, body, {name}, spec.to_target, session)
    return Translation("pytorch", "keras", text, name, name, [spec], _output_specs(out),
                       _weights(session, True), session.unsupported, notes)
