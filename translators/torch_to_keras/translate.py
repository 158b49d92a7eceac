"""PyTorch -> Keras 3 source-to-source translation (entry point: :func:`translate_pytorch_to_keras`).

Pipeline: read the file with ``ast`` (comments with ``tokenize``), pick the model, plan every
module instance's layers (:mod:`.model`, :mod:`.layers`), walk ``forward`` with real
input shapes (:mod:`.forward`) — which decides layouts, RNN return options and weight
transfers — then print hand-written-looking Keras classes and the training code
(:mod:`.training`). The Keras side is channels-last: inputs are transposed at the boundary
(``TensorSpec.to_target``) and every axis-dependent op is remapped.
"""

from __future__ import annotations

import ast
import io
import tokenize
from typing import Any

from ..base import TensorSpec, Translation, TranslationError, Unsupported
from . import emit
from .eval import UNKNOWN, evaluate
from .forward import Session, first_consumer
from .layout import Val
from .model import (
    Attr,
    ClassInfo,
    Resolver,
    ShapeUnsupp,
    Unsupp,
    instance_env,
    merge_envs,
    plan_class,
    plan_value,
    read_class,
)
from .walk import ForwardRun, run_chain

_GUESS_SIZES = [32, 28, 64, 16, 224, 8] + list(range(1, 257))
_DEFAULT_STEPS = 16


def translate_pytorch_to_keras(source: str, *, class_name: str | None = None,
                               partial: bool = False, input_shape: tuple[int, ...] | None = None,
                               filename: str = "<source>") -> Translation:
    """Translate a PyTorch model file to Keras 3 source.

    Raises :class:`TranslationError` (never another exception) with a ``file:line:`` message.
    """
    try:
        tree = ast.parse(source, filename)
    except (SyntaxError, ValueError) as exc:  # ValueError: null bytes in the source
        line = getattr(exc, "lineno", None) or 1
        msg = getattr(exc, "msg", None) or str(exc)
        raise TranslationError(f"{filename}:{line}: cannot parse: {msg}",
                               [Unsupported(line, "syntax", msg)]) from exc
    try:
        return _Translator(tree, source, class_name, partial, input_shape).run()
    except Unsupp as exc:
        line = exc.line or 1
        first = Unsupported(line, exc.construct, exc.reason.split("; also ")[0])
        raise TranslationError(f"{filename}:{line}: cannot translate {exc.construct}: "
                               f"{exc.reason}", [first, *getattr(exc, "more", [])]) from exc
    except (ValueError, TypeError, KeyError, IndexError, AttributeError, RecursionError) as exc:
        # A construct the translator did not anticipate: still a located, clean failure.
        reason = f"unexpected construct ({type(exc).__name__}: {exc})"
        raise TranslationError(f"{filename}:1: cannot translate: {reason}",
                               [Unsupported(1, "model", reason)]) from exc


def read_comments(source: str) -> dict[int, tuple[str, bool]]:
    """Comments by line: (text, True when the comment is alone on its line)."""
    out: dict[int, tuple[str, bool]] = {}
    lines = source.splitlines()
    try:
        for tok in tokenize.generate_tokens(io.StringIO(source).readline):
            if tok.type == tokenize.COMMENT:
                row, col = tok.start
                out[row] = (tok.string, not lines[row - 1][:col].strip())
    except (tokenize.TokenError, IndentationError):
        pass
    return out


class _Translator:
    def __init__(self, tree: ast.Module, source: str, class_name: str | None, partial: bool,
                 input_shape: tuple[int, ...] | None) -> None:
        self.tree, self.source, self.partial = tree, source, partial
        self.input_shape = input_shape
        self.resolver = Resolver(tree)
        self.classes: dict[str, ClassInfo] = {}
        for node in tree.body:
            if isinstance(node, ast.ClassDef) and any(
                    (self.resolver.qualname(b) or "") == "torch.nn.Module" or
                    (isinstance(b, ast.Name) and b.id in self.classes) for b in node.bases):
                info = read_class(node)
                if info is not None:
                    self.classes[node.name] = info
        self.globals = self._globals()
        self.class_name = class_name
        self.comments = read_comments(source)
        self.skip: list[ast.stmt] = []  # module statements the emitted model replaces

    def _globals(self) -> dict[str, Any]:
        env: dict[str, Any] = {}
        for node in self.tree.body:
            if isinstance(node, ast.Assign) and len(node.targets) == 1 and \
                    isinstance(node.targets[0], ast.Name):
                val = evaluate(node.value, env)
                if val is not UNKNOWN:
                    env[node.targets[0].id] = val
        return env

    # choosing the model ---------------------------------------------------------------------
    def _root(self) -> ast.Call | ast.Assign:
        """The model: the call that builds the root class, or the ``x = nn.Sequential(...)``."""
        seqs = {n.targets[0].id: n for n in self.tree.body if isinstance(n, ast.Assign)
                and len(n.targets) == 1 and isinstance(n.targets[0], ast.Name)
                and isinstance(n.value, ast.Call)
                and self.resolver.torch_layer(n.value.func) == "Sequential"}
        if self.class_name:
            expr = _parse_class_name(self.class_name)
            name = expr.func.id if isinstance(expr, ast.Call) and \
                isinstance(expr.func, ast.Name) else getattr(expr, "id", "")
            if name in seqs:
                return seqs[name]
            if name not in self.classes:
                found = ", ".join(sorted({*self.classes, *seqs})) or "none"
                raise Unsupp(1, self.class_name, "no nn.Module subclass or nn.Sequential "
                             f"variable of that name in the file (found: {found})")
            return self._instantiation(name, expr)
        used = {n.func.id for info in self.classes.values() for n in ast.walk(info.node)
                if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)}
        roots = [name for name in self.classes if name not in used]
        if roots:
            return self._instantiation(roots[-1], ast.Name(roots[-1]))
        if seqs:
            return list(seqs.values())[-1]
        raise Unsupp(1, "model", "no nn.Module subclass with forward() or nn.Sequential found")

    def _instantiation(self, name: str, given: ast.expr) -> ast.Call:
        """The call that builds the model: given by the user, found in the file, or ``Name()``."""
        if isinstance(given, ast.Call):
            return given
        for node in ast.walk(self.tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and \
                    node.func.id == name:
                return node
        return ast.Call(ast.Name(name), [], [])

    # planning -------------------------------------------------------------------------------
    def _collect_envs(self, info: ClassInfo, env: dict[str, Any],
                      out: dict[str, list[dict[str, Any]]]) -> None:
        out.setdefault(info.name, []).append(env)
        stack = list(plan_class(info, env, self.resolver, self.classes).values())
        while stack:
            attr = stack.pop()
            stack.extend(attr.items)
            if attr.kind == "module":
                self._collect_envs(self.classes[attr.cls], attr.env, out)

    def run(self) -> Translation:
        node = self._root()
        if isinstance(node, ast.Assign):
            return self._run_sequential(node)
        assert isinstance(node.func, ast.Name)  # _root only builds calls of a class name
        info = self.classes[node.func.id]
        env = instance_env(info, node, self.globals, self.globals)
        envs: dict[str, list[dict[str, Any]]] = {}
        self._collect_envs(info, env, envs)
        code_env = {name: merge_envs(e) for name, e in envs.items()}
        attrs = plan_class(info, env, self.resolver, self.classes)
        args = [a.arg for a in info.forward.args.args[1:]]
        specs = [self._input_spec(info, attrs, a) for a in args]
        session, lines, out = self._walk(info, attrs, code_env, specs)
        return _mark_training_gaps(emit.class_translation(self, session, info, node, specs,
                                                          lines, out), self.tree, self.resolver)

    def _walk(self, info: ClassInfo, attrs: dict[str, Attr], code_env: dict[str, Any],
              specs: list[tuple[TensorSpec, bool]]) -> tuple[Session, list[str], Val]:
        """Run the root forward; when the spatial size was guessed, retry other sizes."""
        guessed = any(g for _, g in specs)
        for size in (_GUESS_SIZES if guessed else [0]):
            session = Session(self.resolver, self.classes, code_env, self.partial, self.comments)
            inputs = []
            for name, (spec, guess) in zip([a.arg for a in info.forward.args.args[1:]], specs,
                                           strict=True):
                if guess:
                    spec.shape = spec.shape[:1] + (size,) * (len(spec.shape) - 1)
                inputs.append(_input_val(name, spec))
            try:
                lines, out = ForwardRun(session, info, attrs, "", "").run(inputs)
                return session, lines, out
            except ShapeUnsupp:
                if not guessed:
                    raise
        raise Unsupp(info.forward.lineno, "input shape", "no image size fits the layers; "
                     "pass --input-shape")

    def _input_spec(self, info: ClassInfo, attrs: dict[str, Attr],
                    arg: str) -> tuple[TensorSpec, bool]:
        """The spec of one forward argument, and whether its spatial size is a guess."""
        consumer = first_consumer(self.resolver, info, attrs, arg)
        return self._spec_for(consumer, info.forward.lineno)

    def _spec_for(self, attr: Attr | None, line: int) -> tuple[TensorSpec, bool]:
        if self.input_shape is not None:
            shape = tuple(self.input_shape)
            perm = None
            if attr is not None:
                sess = Session(self.resolver, self.classes, {}, False, {})
                perm = _first_layout(sess, attr, len(shape) + 1)
            spec = TensorSpec(shape, to_target=perm)
            if attr is not None and attr.plan is not None and "vocab" in attr.plan.extra:
                spec.dtype, spec.vocab = "int64", attr.plan.extra["vocab"]
            return spec, False
        while attr is not None and attr.kind in ("seq", "module"):
            if attr.kind == "seq":
                attr = attr.items[0] if attr.items else None
            else:
                child = self.classes[attr.cls]
                cattrs = plan_class(child, attr.env, self.resolver, self.classes)
                first = child.forward.args.args[1].arg
                attr = first_consumer(self.resolver, child, cattrs, first)
        plan = attr.plan if attr is not None else None
        if plan is None:
            raise Unsupp(line, "input shape", "cannot infer the input shape from the first "
                         "layer; pass --input-shape")
        return _spec_from_plan(plan, line)

    def _run_sequential(self, assign: ast.Assign) -> Translation:
        attr = plan_value(assign.value, self.globals, self.resolver, self.classes)
        assert attr is not None
        code_env: dict[str, Any] = {}
        envs: dict[str, list[dict[str, Any]]] = {}
        stack = list(attr.items)
        while stack:
            item = stack.pop()
            stack.extend(item.items)
            if item.kind == "module":
                self._collect_envs(self.classes[item.cls], item.env, envs)
        code_env = {name: merge_envs(e) for name, e in envs.items()}
        spec, guessed = self._spec_for(attr.items[0] if attr.items else None, assign.lineno)
        for size in (_GUESS_SIZES if guessed else [0]):
            if guessed:
                spec.shape = spec.shape[:1] + (size,) * (len(spec.shape) - 1)
            session = Session(self.resolver, self.classes, code_env, self.partial, self.comments)
            try:
                items, out = run_chain(session, attr.items, attr.items, _input_val("x", spec), "",
                                       "layers.")
            except ShapeUnsupp:
                if not guessed:
                    raise
                continue
            return _mark_training_gaps(emit.sequential_translation(
                self, session, assign, spec, items, out), self.tree, self.resolver)
        raise Unsupp(assign.lineno, "input shape", "no image size fits the layers; "
                     "pass --input-shape")


LSTM_BIASES = ("torch's LSTM trains two bias vectors (bias_ih, bias_hh) that Keras' LSTM holds as "
               "one: their sum moves by two updates per step in torch, one in Keras, so the "
               "training differs from the first step (the forward pass is the same)")
EMBEDDING_MOMENTS = ("Keras on TensorFlow keeps an Embedding's gradient sparse and squares it per "
                     "occurrence in Adam/RMSprop's second moment (torch squares the summed "
                     "gradient): training differs when a token repeats in a batch (SGD is exact)")


def _mark_training_gaps(tr: Translation, tree: ast.Module, resolver: Resolver) -> Translation:
    """A TODO line and a note for each known training gap of a trained model: an LSTM with
    biases, an Embedding under an optimizer with a second moment."""
    calls = [(resolver.qualname(n.func) or "", n) for n in ast.walk(tree)
             if isinstance(n, ast.Call)]
    gaps = [(n, LSTM_BIASES) for q, n in calls if q == "torch.nn.LSTM"
            and not any(k.arg == "bias" for k in n.keywords)][:1]
    if any(q in ("torch.optim.Adam", "torch.optim.AdamW", "torch.optim.RMSprop")
           for q, _ in calls):
        gaps += [(n, EMBEDDING_MOMENTS) for q, n in calls if q == "torch.nn.Embedding"][:1]
    lines = tr.target_code.splitlines()
    at = next((i for i, line in enumerate(lines) if ".compile(" in line), None)
    if at is None:
        return tr
    indent = lines[at][:len(lines[at]) - len(lines[at].lstrip())]
    for node, why in gaps:
        lines.insert(at, f"{indent}# TODO(mlsense): {why}")
        tr.notes.append(f"line {node.lineno}: {why}")
    tr.target_code = "\n".join(lines) + "\n"
    return tr


def _parse_class_name(text: str) -> ast.expr:
    """``Net`` or ``Net(3, hidden=8)`` as given by the user; a located error otherwise."""
    try:
        return ast.parse(text.strip(), mode="eval").body
    except SyntaxError as exc:
        raise Unsupp(1, text, f"class_name is not a name or a call ({exc.msg})") from None


def _first_layout(session: Session, attr: Attr, rank: int) -> tuple[int, ...] | None:
    while attr.kind == "seq" and attr.items:
        attr = attr.items[0]
    if attr.kind == "layer" and attr.plan is not None:
        from .layout import channels_last
        return channels_last(rank) if attr.plan.layout == "cl" else None
    return None


def _spec_from_plan(plan: Any, line: int) -> tuple[TensorSpec, bool]:
    """Input spec guessed from the first layer's definition."""
    ctor, extra = plan.torch_ctor, plan.extra
    w = plan.weight[1] if plan.weight else {}
    probe = plan.out_shape
    if ctor == "Embedding":
        return TensorSpec((_DEFAULT_STEPS,), "int64", vocab=extra["vocab"]), False
    if ctor == "Linear":
        return TensorSpec((_in_dim(probe),)), False
    if ctor in ("LSTM", "GRU"):
        return TensorSpec((_DEFAULT_STEPS, _in_dim(probe))), False
    if ctor == "MultiheadAttention":
        return TensorSpec((_DEFAULT_STEPS, w["embed_dim"])), False
    if ctor in ("Conv1d", "Conv2d", "BatchNorm2d"):
        rank = 2 if ctor.endswith("2d") else 1
        chans = _in_dim(probe, axis=1, rank=rank + 2)
        perm = (0, 2, 3, 1) if rank == 2 else (0, 2, 1)
        return TensorSpec((chans,) + (32,) * rank, to_target=perm), True
    raise Unsupp(line, f"nn.{ctor}", "cannot infer the input shape from this first layer; "
                 "pass --input-shape")


def _in_dim(shape_fn: Any, axis: int = -1, rank: int = 2) -> int:
    """The size the layer checks on ``axis``: probe its shape function with a wrong size."""
    from ..shapes import ShapeMismatch
    probe: list[int | None] = [None] + [7] * (rank - 1)
    try:
        shape_fn(tuple(probe[:axis] + [987654] + probe[axis + 1:] if axis != -1
                       else probe[:-1] + [987654]))
    except ShapeMismatch as exc:
        return int(str(exc).split("expected ")[1].split(" ")[0])
    raise Unsupp(0, "input shape", "the first layer's input size is not known statically; "
                 "pass --input-shape")


def _input_val(name: str, spec: TensorSpec) -> Val:
    return Val(name, (None,) + tuple(spec.shape), spec.to_target)
