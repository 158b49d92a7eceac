"""Keras -> PyTorch source-to-source translation (``translate_keras_to_pytorch``).

Pipeline: parse (``ast``) -> find the models (:mod:`.model`) -> trace each with symbolic
tensors (:mod:`.graph`, layer table in :mod:`.layers` / :mod:`.rnn`) -> emit
``nn.Sequential`` or an ``nn.Module`` class (:mod:`.emit`) -> rewrite the rest of the file:
keras imports become torch ones, compile/fit become a loss, an optimizer and a loop
(:mod:`.training`), plain Python (numpy data) is kept as written.
"""

from __future__ import annotations

import ast
import re

from ..base import TensorSpec, Translation, TranslationError, Unsupported
from .blocks import assigned_names
from .datasets import is_dataset
from .emit import Emitted, camel, emit_class, emit_sequential, signature
from .fitting import evaluate_lines, fit_lines, hoist_calls, predict_lines
from .gaps import training_gaps
from .losses import compile_lines
from .model import Found, Traced, fail, init_params_without_defaults, param_defaults, trace
from .params import fixed_reason, plain, render, unmark, used_names
from .parse import Folder, Imports, module_constants
from .selection import choose, with_defaults
from .training import TrainState, l2_optimizer, method_call, other_call_lines


def translate_keras_to_pytorch(source: str, *, class_name: str | None = None,
                               partial: bool = False, input_shape: tuple[int, ...] | None = None,
                               filename: str = "<source>") -> Translation:
    """Translate a Keras model file to PyTorch.

    Raises :class:`TranslationError` (never another exception) with a ``file:line:`` message.
    """
    try:
        tree = ast.parse(source, filename=filename)
    except (SyntaxError, ValueError) as exc:  # ValueError: null bytes in the source
        line = getattr(exc, "lineno", None) or 1
        msg = getattr(exc, "msg", None) or str(exc)
        raise TranslationError(f"{filename}:{line}: cannot parse: {msg}",
                               [Unsupported(line, "syntax", msg)]) from None
    try:
        imports = Imports(tree)
        folder = Folder(source, imports, module_constants(tree))
        models = discover(tree.body, folder)
        if not models:
            reason = "no Keras model found (Sequential, keras.Model(inputs, outputs) or a " \
                     "keras.Model subclass)"
            raise TranslationError(reason, [Unsupported(1, "model", reason)])
        chosen = choose(models, class_name, tree, folder)
        return _Builder(source, tree, folder, chosen, partial, input_shape).run()
    except TranslationError as exc:
        raise _located(exc, filename) from exc
    except (ValueError, TypeError, KeyError, IndexError, AttributeError, RecursionError) as exc:
        # A construct the translator did not anticipate: still a located, clean failure.
        reason = f"unexpected construct ({type(exc).__name__}: {exc})"
        raise TranslationError(f"{filename}:1: cannot translate: {reason}",
                               [Unsupported(1, "model", reason)]) from exc


def _located(exc: TranslationError, filename: str) -> TranslationError:
    """``exc`` with a ``file:line:`` prefix (the first unsupported construct's line)."""
    message = unmark(str(exc))
    line = exc.unsupported[0].line if exc.unsupported else 1
    prefix = f"line {line}: "
    if message.startswith(prefix):
        message = message[len(prefix):]
    return TranslationError(f"{filename}:{line or 1}: {message}", _unmarked(exc.unsupported))


def _plain_spec(spec: TensorSpec) -> TensorSpec:
    return TensorSpec(plain(spec.shape), spec.dtype, plain(spec.to_target), plain(spec.vocab))


def _unmarked(items: list[Unsupported]) -> list[Unsupported]:
    """Unsupported items with parameter markers replaced by their default values."""
    return [Unsupported(u.line, unmark(u.construct), unmark(u.reason), u.column) for u in items]


def discover(body: list[ast.stmt], folder: Folder, builder: str | None = None) -> list[Found]:
    """Every Keras model defined by the statements (recursing into builder functions)."""
    imports = folder.imports
    found: list[Found] = []
    for i, stmt in enumerate(body):
        if isinstance(stmt, ast.ClassDef) and any(imports.is_keras(b, "Model") for b in stmt.bases):
            found.append(Found("subclass", stmt.name, stmt, [stmt]))
        elif isinstance(stmt, ast.FunctionDef) and builder is None:
            inner = discover(stmt.body, folder, builder=stmt.name)
            for f in inner:
                f.builder, f.stmts = stmt.name, [stmt]
            found.extend(inner)
        value = stmt.value if isinstance(stmt, ast.Assign | ast.Return) else None
        name = (stmt.targets[0].id if isinstance(stmt, ast.Assign) and isinstance(
            stmt.targets[0], ast.Name) else builder or "model")
        if not isinstance(value, ast.Call):
            continue
        if imports.is_keras(value.func, "Sequential"):
            layers = value.args[0] if value.args else next(
                (k.value for k in value.keywords if k.arg == "layers"), None)
            f = Found("sequential", name, stmt, [stmt])
            f.layers = list(layers.elts) if isinstance(layers, ast.List | ast.Tuple) else []
            for later in body[i + 1:]:
                call = method_call(later)
                if call and call[0] == name and call[1] == "add" and call[2].args:
                    f.layers.append(call[2].args[0])
                    f.stmts.append(later)
            found.append(f)
        elif imports.is_keras(value.func, "Model"):
            f = Found("functional", name, stmt, [stmt], model_call=value)
            f.body = _graph_statements(body[:i], folder, found)
            f.stmts.extend(f.body)
            found.append(f)
    return found


def _graph_statements(before: list[ast.stmt], folder: Folder, taken: list[Found]) -> list[ast.stmt]:
    """The assignments that build a Functional graph: they touch Keras or graph variables."""
    used = {id(s) for f in taken for s in f.stmts}
    names: set[str] = set()
    graph: list[ast.stmt] = []
    for stmt in before:
        if id(stmt) in used or not isinstance(stmt, ast.Assign):
            continue
        refs = {n.id for n in ast.walk(stmt.value) if isinstance(n, ast.Name)}
        if folder.imports.mentions_framework(stmt.value) or refs & names:
            graph.append(stmt)
            names.update(n.id for t in stmt.targets for n in ast.walk(t) if isinstance(n, ast.Name))
    return graph


class _Builder:
    """Assembles the target file around the translated model."""

    def __init__(self, source: str, tree: ast.Module, folder: Folder, chosen: Found,
                 partial: bool, input_shape: tuple[int, ...] | None) -> None:
        self.source, self.tree, self.folder = source, tree, folder
        self.chosen, self.partial, self.input_shape = chosen, partial, input_shape
        self.unsupported: list[Unsupported] = []
        self.notes: list[str] = []
        self.model_vars: dict[str, str] = {}  # variable -> class for subclass instances
        self.derived: set[str] = set()  # names bound to Keras-only results (a fit History)
        self.untranslated: dict[str, int] = {}  # name -> line of the TODO that left it unbound
        self._placed = False  # the translated model has been written out
        self._inlined: set[str] = set()  # custom layer classes traced into the model
        self._classes: set[str] = set()
        self.build_shapes = self._build_shapes()

    def _build_shapes(self) -> dict[str, tuple[int | None, ...]]:
        shapes: dict[str, tuple[int | None, ...]] = {}
        for stmt in ast.walk(self.tree):
            if isinstance(stmt, ast.Assign) and isinstance(stmt.value, ast.Call) and isinstance(
                    stmt.value.func, ast.Name) and isinstance(stmt.targets[0], ast.Name):
                self.model_vars[stmt.targets[0].id] = stmt.value.func.id
            call = method_call(stmt) if isinstance(stmt, ast.stmt) else None
            if call and call[1] == "build" and call[2].args:
                value = self.folder.fold(call[2].args[0])
                if isinstance(value, tuple) and len(value) >= 2:
                    shapes[call[0]] = value[1:]
                    cls = self.model_vars.get(call[0])
                    if cls:
                        shapes[cls] = value[1:]
        return shapes

    def run(self) -> Translation:
        found = self.chosen
        self._needs_arguments()
        traced = trace(found, self.folder, self.input_shape, self.build_shapes, self.partial,
                       found.ctor)
        self._inlined = set(traced.tracer.inlined)
        self._classes = set(traced.tracer.classes)  # emitted as torch classes (classes.py)
        self.notes += traced.tracer.notes
        self.notes += self._random_at_inference()
        self.unsupported.extend(_unmarked(traced.tracer.unsupported))
        emitted = self._emit(traced)
        self._pin_params(emitted)
        code = self._assemble(emitted)
        code, gaps = training_gaps(code, self.tree, self.folder.imports)
        self.notes += gaps
        source_model, target_model = self._model_exprs(found, emitted)
        return Translation("keras", "pytorch", code, source_model, target_model,
                           emitted.inputs, emitted.outputs, emitted.weight_map,
                           self.unsupported, self.notes)

    def _random_at_inference(self) -> list[str]:
        """A note per ``keras.random.dropout`` the model runs whatever ``training`` is."""
        classes = [c for n, c in self.folder.imports.user_classes.items() if n in self._inlined
                   or n in self._classes or c is self.chosen.node]
        return [f"line {n.lineno}: keras.random.dropout(...) in {c.name}.call() runs at "
                "inference too (Keras applies it whenever call() runs), and so does the "
                "translation (F.dropout(..., training=True)): outputs are random; "
                "verification fixes both sides' masks to the same draws"
                for c in classes for n in ast.walk(c) if isinstance(n, ast.Call)
                and self.folder.imports.resolve(n.func) == "keras.random.dropout"]

    def _builder_fn(self) -> ast.FunctionDef | None:
        found = self.chosen
        fn = found.stmts[0] if found.builder else None
        return fn if isinstance(fn, ast.FunctionDef) else None

    def _emit(self, traced: Traced) -> Emitted:
        """The model's code (parameter names in ``__init__``) and plain contract data."""
        found = self.chosen
        emitted = None
        if found.kind == "sequential" and not found.builder:
            emitted = emit_sequential(found, traced)
        if emitted is None:
            cls_name = found.name if found.kind == "subclass" else camel(found.builder or found.name)
            fn = self._builder_fn()
            sig = f"self, {signature(self._emitted_args(fn.args))}" if fn and \
                fn.args.args + fn.args.kwonlyargs else "self"
            emitted = emit_class(found, traced, self.folder, cls_name, sig)
        emitted.code = render(emitted.code, symbolic=emitted.class_name is not None)
        emitted.inputs = [_plain_spec(s) for s in emitted.inputs]
        emitted.outputs = [_plain_spec(s) for s in emitted.outputs]
        for w in emitted.weight_map:
            w.params = plain(w.params)
        return emitted

    def _emitted_args(self, args: ast.arguments) -> ast.arguments:
        """The constructor / builder parameters as emitted: a call the file does not make
        (``--class "MyModel(256, 16)"``) gives them its values as defaults."""
        found = self.chosen
        return args if found.ctor_in_file or not found.ctor else with_defaults(args, found.ctor)

    def _params(self) -> tuple[dict[str, object], list[ast.stmt], int]:
        """(defaults of the constructor / builder parameters, the body reading them, line)."""
        node = self.chosen.node
        fn = self._builder_fn()
        if isinstance(node, ast.ClassDef):
            fn = next((s for s in node.body if isinstance(s, ast.FunctionDef)
                       and s.name == "__init__"), None)
            skip = 1
        else:
            skip = 0
        if fn is None:
            return {}, [], 1
        values = {**param_defaults(fn.args, self.folder, skip), **plain(self.chosen.ctor)}
        return values, fn.body, fn.lineno

    def _pin_params(self, emitted: Emitted) -> None:
        """Comment and note each parameter the torch code cannot follow (fixed at its default)."""
        defaults, body, line = self._params()
        read = set().union(*(used_names(s) for s in body)) if body else set()
        pins: list[str] = []
        for name, default in defaults.items():
            if name not in read:
                continue
            reason = fixed_reason(name, default, emitted.code, self._emit_with)
            if reason is None:
                continue
            given = name in self.chosen.ctor and self.chosen.ctor_in_file
            text = (f"{name} is fixed at {default!r}, its value in {self.chosen.ctor_text}"
                    if given else f"{name} is fixed at its default ({default!r})") + f": {reason}"
            pins.append(f"        # mlsense: {text}.")
            self.notes.append(f"line {line}: {text}")
        if pins:
            lines = emitted.code.splitlines()
            start = next((i for i, line in enumerate(lines)
                          if line.startswith(f"class {emitted.class_name}(")), 0)
            at = lines.index("        super().__init__()", start) + 1
            emitted.code = "\n".join(lines[:at] + pins + lines[at:])

    def _emit_with(self, overrides: dict[str, object]) -> str | None:
        """The model code traced with other parameter values (None: it does not trace)."""
        try:
            traced = trace(self.chosen, self.folder, self.input_shape, self.build_shapes,
                           self.partial, {**self.chosen.ctor, **overrides})
            return self._emit(traced).code
        except (TranslationError, ValueError, TypeError, KeyError, IndexError, ZeroDivisionError):
            return None

    def _model_exprs(self, found: Found, emitted: Emitted) -> tuple[str, str]:
        if found.ctor_text:  # the call that builds it: the file's or --class "MyModel(256, 16)"
            return found.ctor_text, found.ctor_text
        if found.kind == "subclass":
            return f"{found.name}()", f"{found.name}()"
        if found.builder:
            return f"{found.builder}()", f"{found.builder}()"
        return found.name, found.name

    def _needs_arguments(self) -> None:
        """A subclass no call builds cannot be traced when its constructor needs arguments."""
        found = self.chosen
        if found.kind != "subclass" or found.ctor_text:
            return
        assert isinstance(found.node, ast.ClassDef)
        missing = init_params_without_defaults(found.node)
        if missing:
            raise fail(found.node, f"class {found.name}", f"constructor needs arguments "
                       f"{missing}: select a call (--class \"{found.name}(...)\") or a variable "
                       f"the file builds with one, or give them defaults")

    def _model_code(self, emitted: Emitted) -> list[str]:
        found = self.chosen
        lines = emitted.code.splitlines()
        if found.builder:
            fn = next(s for s in self.tree.body if isinstance(s, ast.FunctionDef)
                      and s.name == found.builder)
            names = [a.arg for a in fn.args.args + fn.args.kwonlyargs]
            call = ", ".join(f"{n}={n}" for n in names)
            lines += ["", "", f"def {found.builder}({ast.unparse(self._emitted_args(fn.args))}):",
                      f"    return {emitted.class_name}({call})"]
        elif found.kind != "subclass" and emitted.class_name:
            lines += ["", "", f"{found.name} = {emitted.class_name}()"]
        return ["", *lines, ""]

    def _assemble(self, emitted: Emitted) -> str:
        state = TrainState(softmax_output=self._ends_with("softmax", emitted),
                           input_perm=tuple(emitted.inputs[0].to_target) if emitted.inputs
                           and emitted.inputs[0].to_target else None,
                           input_long=bool(emitted.inputs and emitted.inputs[0].dtype == "int64"))
        state.tree = self.tree
        model_stmts = {id(s) for s in self.chosen.stmts}
        body: list[str] = []
        header: list[str] = []
        placed = False
        prev_end = 0
        var = self.chosen.name if self.chosen.kind != "subclass" else None
        for stmt in self.tree.body:
            if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant) \
                    and stmt is self.tree.body[0]:
                header += [self.folder.text(stmt), ""]
                continue
            if isinstance(stmt, ast.Import | ast.ImportFrom):
                if stmt.lineno not in self.folder.imports.keras_import_lines:
                    header.append(self.folder.text(stmt))
                continue
            if id(stmt) in model_stmts:
                if not placed:
                    body.extend(["", *self._model_code(emitted), ""])
                    placed = self._placed = True
                prev_end = stmt.end_lineno or stmt.lineno
                continue
            if body and body[-1] and stmt.lineno - prev_end > 1:
                body.append("")  # keep the source's paragraph breaks
            body.extend(self._statement(stmt, state, var))
            prev_end = stmt.end_lineno or stmt.lineno
        code = re.sub(r"\n{4,}", "\n\n\n", "\n".join(body))
        new = [line for line in self._torch_imports(code) if line not in header]
        stdlib = [line for line in new if line in ("import copy", "import math")]
        first = next((i for i, line in enumerate(header) if line.startswith(("import ", "from "))),
                     len(header))
        header[first:first] = stdlib
        header += [line for line in new if line not in stdlib]
        code = code.strip("\n")
        gap = "\n\n\n" if code.startswith(("class ", "def ", "#", "@")) else "\n\n"
        return "\n".join(header) + gap + code + "\n"

    def _ends_with(self, act: str, emitted: Emitted) -> bool:
        code = emitted.code.strip().splitlines()
        tail = "\n".join(code[-3:])
        return f"{act}(" in tail.lower()

    def _is_model(self, name: str) -> bool:
        chosen = self.chosen
        if chosen.builder and name == chosen.builder:
            return False  # calling the builder makes a model; the translation keeps it
        return name == (chosen.name if chosen.kind != "subclass" else None) or \
            self.model_vars.get(name) == chosen.name or bool(
                chosen.builder and self.model_vars.get(name) == chosen.builder)

    def _statement(self, stmt: ast.stmt, state: TrainState, var: str | None) -> list[str]:
        lines = self._translated(stmt, state)
        # a name a TODO line leaves unbound (another model's class, its instance): the
        # statements reading it are TODO lines too, not code that fails when the file runs
        bound = assigned_names(stmt)
        if lines and lines[0].startswith("# TODO(mlsense)"):
            self.untranslated.update(dict.fromkeys(bound, stmt.lineno))
        else:
            for name in bound:
                self.untranslated.pop(name, None)
        todos = [line for line in lines if line.lstrip().startswith("# TODO(mlsense)")]
        for line in todos:  # every TODO the training translation wrote is reported, located
            note = f"line {stmt.lineno}: {line.strip()[len('# TODO(mlsense): '):]}"
            if note not in self.notes:
                self.notes.append(note)
        return lines

    def _consumed(self) -> set[str]:
        """Names read by the model's compile() / fit() arguments (an optimizer variable...)."""
        return {n.id for s in self.tree.body if (c := method_call(s)) and self._is_model(c[0])
                and c[1] in ("compile", "fit") for n in ast.walk(c[2]) if isinstance(n, ast.Name)}

    def _training_object(self, stmt: ast.stmt, state: TrainState) -> list[str] | None:
        """``opt = keras.optimizers.Adam(...)``, a schedule or callbacks read by compile/fit:
        remembered, and translated where they are used."""
        if not (isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(
                stmt.targets[0], ast.Name) and stmt.targets[0].id in self._consumed()):
            return None
        value = stmt.value
        items = value.elts if isinstance(value, ast.List | ast.Tuple) else [value]
        if not items or not all(isinstance(i, ast.Call) and (self.folder.imports.resolve(
                i.func) or "").startswith(("keras.optimizers", "keras.callbacks"))
                or isinstance(i, ast.Name) and i.id in state.objects
                or is_dataset(i, self.folder) for i in items):
            return None
        state.objects[stmt.targets[0].id] = value
        kinds = ", ".join(dict.fromkeys(
            "tf.data pipeline" if is_dataset(i, self.folder) else
            (self.folder.imports.resolve(i.func) or "").rsplit(".", 1)[-1]
            for i in items if isinstance(i, ast.Call)))
        return [f"# {stmt.targets[0].id} ({kinds or 'callbacks'}): translated where compile() / "
                "fit() uses it"]

    def _translated(self, stmt: ast.stmt, state: TrainState) -> list[str]:
        remembered = self._training_object(stmt, state)
        if remembered is not None:
            return remembered
        if isinstance(stmt, ast.ClassDef) and stmt.name in self._classes and \
                stmt.name not in self._inlined:
            return [f"# class {stmt.name}: a custom Keras layer, translated as a torch class "
                    f"with {self.chosen.name}"]
        if isinstance(stmt, ast.ClassDef) and stmt.name in self.folder.imports.user_classes \
                and stmt.name in self._inlined:
            return [f"# class {stmt.name}: a custom Keras layer, translated where "
                    f"{self.chosen.name} uses it (forward)"]
        if isinstance(stmt, ast.ClassDef) and any(
                isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id ==
                stmt.name and l2_optimizer(n, self.folder, self.tree) for n in ast.walk(
                self.tree)):
            return [f"# class {stmt.name}: the optimizer with L2 on the gradient is torch's "
                    "weight_decay (below)"]
        if isinstance(stmt, ast.ClassDef) and stmt.name == "OneCycleSchedule" and any(
                "LearningRateSchedule" in ast.unparse(b) for b in stmt.bases):
            return ["# class OneCycleSchedule: torch's OneCycleLR (below)"]
        if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call) and \
                self.folder.imports.resolve(stmt.value.func) == "keras.utils.set_random_seed":
            return [f"torch.manual_seed({', '.join(map(self.folder.text, stmt.value.args))})"]
        call = method_call(stmt)
        if call is not None and self._is_model(call[0]) and not self._placed \
                and self.chosen.kind != "subclass":
            # `model` rebound later (notebook cells): this call is on an earlier object
            return [f"# TODO(mlsense): {call[0]}.{call[1]}() is on an earlier model bound to "
                    f"the name {call[0]}; only the last one is translated: "
                    f"{self.folder.text(stmt)}"]
        if call is not None and self._is_model(call[0]):
            obj, method, node, target = call
            made: list[str] | None = None
            if method == "compile":
                made = compile_lines(node, obj, self.folder, state)
            elif method == "fit":
                if target:  # History has no torch twin: later uses of it are marked
                    self.derived.add(target)
                made = fit_lines(node, obj, self.folder, state)
            elif method == "build":
                made = []
            elif method == "evaluate":
                made = evaluate_lines(node, obj, target, self.folder, state)
            elif method == "predict":
                made = predict_lines(node, obj, target, state, self.folder)
            else:
                made = other_call_lines(method, node, obj, self.folder)
            if made is not None:
                return made
            return self._todo(stmt, f"{obj}.{method}(...)", f"{obj}.{method}(...) is not "
                              "translated to PyTorch")
        models = {n.id for n in ast.walk(stmt) if isinstance(n, ast.Name) and self._is_model(n.id)}
        if models and isinstance(stmt, ast.Expr | ast.Assign | ast.AugAssign | ast.AnnAssign):
            hoisted = hoist_calls(stmt, models, self.folder, state)
            if hoisted is not None:
                before, rest = hoisted
                uses = {n.id for n in ast.walk(rest) if isinstance(n, ast.Name)}
                if not uses & (models | self.derived):
                    return [*before, ast.unparse(rest)]
        reason = self._why_not(stmt)
        if reason is not None:
            return self._todo(stmt, self.folder.text(stmt).splitlines()[0], reason)
        return self.folder.text(stmt).splitlines()

    def _why_not(self, stmt: ast.stmt) -> str | None:
        """Why ``stmt`` cannot be copied as written (it uses the model, Keras or a History)."""
        if isinstance(stmt, ast.ClassDef) and any(self.folder.imports.is_keras(b, "Model")
                                                  for b in stmt.bases):
            return (f"another Keras model of the file (translate it on its own: --class "
                    f"{stmt.name})")
        if self.folder.imports.mentions_framework(stmt):
            return "uses Keras/TensorFlow outside the recognised training patterns"
        loads = {n.id for n in ast.walk(stmt) if isinstance(n, ast.Name)
                 and isinstance(n.ctx, ast.Load)}
        used = sorted(n for n in loads if self._is_model(n))
        if used:
            return f"uses the model ({used[0]}) outside the recognised training patterns"
        if loads & self.derived:
            return f"uses {sorted(loads & self.derived)[0]} (a Keras History)"
        unbound = sorted(n for n in loads if n in self.untranslated)
        if unbound:
            return (f"reads {unbound[0]}, left untranslated at line "
                    f"{self.untranslated[unbound[0]]} (a TODO above)")
        return None

    def _todo(self, stmt: ast.stmt, construct: str, reason: str) -> list[str]:
        item = Unsupported(stmt.lineno, construct, reason, stmt.col_offset)
        if self.partial:
            self.unsupported.append(item)
        # the note says it in the default mode too; _statement adds it from the comment line
        text = self.folder.text(stmt).splitlines()
        return [f"# TODO(mlsense): {reason}: {text[0]}", *(f"#   {line}" for line in text[1:])]

    @staticmethod
    def _torch_imports(code: str) -> list[str]:
        lines = ["import torch", "from torch import nn"]
        if "F." in code:
            lines.append("import torch.nn.functional as F")
        if "DataLoader(" in code:
            lines.append("from torch.utils.data import DataLoader, TensorDataset")
        return [*[f"import {m}" for m in ("copy", "math") if f"{m}." in code], *lines]
