"""The statement/expression walker of a PyTorch ``forward`` (see :mod:`.forward`), and the two
ways a walk recurses: :func:`run_chain` through an ``nn.Sequential`` and :func:`call_module` into
a nested user module (a new :class:`ForwardRun`)."""

from __future__ import annotations

import ast
from typing import Any

from . import forward as fw
from . import ops
from .eval import UNKNOWN, evaluate
from .functional import tensor_function
from .layout import Val, relayout, target_axis
from .model import Attr, ClassInfo, ShapeUnsupp, Unsupp, keras_attr_name, plan_class
from .rnn import attention_call, cell_call, rnn_call, rnn_index

_BINOPS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/"}


class ForwardRun:
    """Translate one instance's ``forward`` on given inputs into Keras ``call`` lines."""

    def __init__(self, session: fw.Session, info: ClassInfo, attrs: dict[str, Attr],
                 torch_prefix: str, keras_prefix: str) -> None:
        self.s, self.info, self.attrs = session, info, attrs
        self.code = session.attrs_for_code(info)
        self.tprefix, self.kprefix = torch_prefix, keras_prefix
        self.pyenv: dict[str, Any] = session.code_env.get(info.name, {})
        self.env: dict[str, Val] = {}
        self.lines: list[str] = []
        self.body = [s for s in info.forward.body
                     if not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant))]

    def run(self, inputs: list[Val]) -> tuple[list[str], Val]:
        """Walk the body; returns (call body lines, returned value).

        Without ``--partial``, a failure of the root walk lists every untranslatable
        construct: the walk is run again with placeholders to find the others.
        """
        try:
            return self._run(inputs)
        except Unsupp as exc:
            if self.s.partial or self.tprefix or isinstance(exc, ShapeUnsupp):
                raise
            raise _every_gap(exc, self, inputs) from exc

    def _run(self, inputs: list[Val]) -> tuple[list[str], Val]:
        for v in inputs:
            self.env[v.expr] = v
        out: Val | None = None
        prev = self.info.forward.body[0].lineno - 1 if self.info.forward.body else 0
        for stmt in self.body:
            self._comments(prev, stmt.lineno)
            prev = stmt.end_lineno or stmt.lineno
            start = len(self.lines)
            try:
                ret = self.stmt(stmt)
                out = ret if ret is not None else out
            except (Unsupp, ops.OpError) as exc:
                self._fail(stmt, exc)
            trailing = self.s.comments.get(stmt.lineno)
            if trailing and not trailing[1] and len(self.lines) > start:
                self.lines[start] += "  " + trailing[0]
        if out is None and self.s.partial and self.s.unsupported:
            out = Val("None", kind="unknown")  # the return itself was left as a TODO
        if out is None:
            raise Unsupp(self.info.forward.lineno, f"{self.info.name}.forward",
                         "forward returns no tensor that could be translated")
        return self.lines, out

    def _comments(self, after: int, before: int) -> None:
        for line in range(after + 1, before):
            text = self.s.comments.get(line)
            if text and text[1]:
                self.lines.append(text[0])

    def _fail(self, stmt: ast.stmt, exc: Exception) -> None:
        if isinstance(exc, ShapeUnsupp):
            raise exc  # the caller may retry with another guessed input size
        line = getattr(exc, "line", stmt.lineno)
        construct = getattr(exc, "construct", ast.unparse(stmt).splitlines()[0][:60])
        reason = getattr(exc, "reason", str(exc))
        if not self.s.partial:
            raise Unsupp(line, construct, reason) from exc
        self.s.gap(line, construct, reason)
        self.lines.append(f"# TODO(mlsense): line {stmt.lineno}: not translated ({reason}): "
                          f"{ast.unparse(stmt)}")
        for target in _targets(stmt):
            self.env[target] = Val(target, kind="unknown")

    # statements ---------------------------------------------------------------------------
    def stmt(self, stmt: ast.stmt) -> Val | None:
        if isinstance(stmt, ast.Return) and stmt.value is not None:
            val = self.ex(stmt.value)
            self.need_tensor(val, stmt.value)
            self.lines.append(f"return {val.expr}")
            return val
        if isinstance(stmt, ast.AugAssign) and isinstance(stmt.target, ast.Name):
            value = ast.BinOp(ast.Name(stmt.target.id, ast.Load()), stmt.op, stmt.value)
            ast.copy_location(value, stmt)
            stmt = ast.copy_location(ast.Assign([stmt.target], value), stmt)
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
            target = stmt.targets[0]
            if isinstance(target, ast.Name):
                self.assign(target.id, self.ex(stmt.value))
                return None
            if isinstance(target, ast.Tuple):
                self.assign_tuple(target, stmt.value, stmt)
                return None
        kind = type(stmt).__name__
        reason = "control flow in forward is not supported" if isinstance(
            stmt, (ast.If, ast.For, ast.While, ast.With, ast.Try)) else "statement not supported"
        raise Unsupp(stmt.lineno, f"{kind}: {ast.unparse(stmt).splitlines()[0][:60]}", reason)

    def assign(self, name: str, val: Val) -> None:
        if val.kind == "tuple":
            self.lines.append(f"{name} = {val.expr}")
            self.env[name] = val
            return
        if val.expr != name:
            self.lines.append(f"{name} = {val.expr}")
        self.env[name] = val.renamed(name)

    def assign_tuple(self, target: ast.Tuple, value: ast.expr, stmt: ast.stmt) -> None:
        attr = self._self_attr(value)
        if isinstance(value, ast.Call) and attr is not None and attr[1].kind == "layer" \
                and attr[1].plan is not None:
            ctor = attr[1].plan.torch_ctor
            if ctor in ("LSTM", "GRU"):
                rnn_call(self, target, attr[0], value, stmt)
                return
            if ctor == "LSTMCell":
                cell_call(self, target, attr[0], value)
                return
            if ctor == "MultiheadAttention":
                attention_call(self, target, attr[0], value, stmt)
                return
        val = self.ex(value)
        names = [e.id for e in target.elts if isinstance(e, ast.Name)]
        if val.kind != "tuple" or len(val.items) != len(target.elts) or \
                len(names) != len(target.elts):
            raise Unsupp(stmt.lineno, ast.unparse(stmt)[:60], "tuple unpacking not supported here")
        self.lines.append(f"{', '.join(names)} = {val.expr}")
        for name, item in zip(names, val.items, strict=True):
            self.env[name] = item.renamed(name)

    # expressions --------------------------------------------------------------------------
    def ex(self, node: ast.expr) -> Val:
        if isinstance(node, ast.Name):
            if node.id in self.env:
                return self.env[node.id]
            return Val(node.id, kind="py", info={"value": evaluate(node, self.pyenv)})
        if isinstance(node, ast.Constant):
            return Val(repr(node.value), kind="py", info={"value": node.value})
        if isinstance(node, (ast.Tuple, ast.List)):
            items = [self.ex(e) for e in node.elts]
            text = ", ".join(i.expr for i in items)
            if all(i.kind == "py" for i in items):
                value = tuple(i.info.get("value", UNKNOWN) for i in items)
                return Val(f"({text})", kind="py", info={"value": value})
            return Val(f"({text})" if isinstance(node, ast.Tuple) else f"[{text}]",
                       kind="tuple", items=items)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            inner = self.ex(node.operand)
            if inner.kind == "py":
                value = evaluate(node, {})
                return Val(f"-{inner.expr}", kind="py", info={"value": value})
        if isinstance(node, ast.BinOp) and type(node.op) in _BINOPS:
            return self.binop(node)
        if isinstance(node, ast.Call):
            return self.call(node)
        if isinstance(node, ast.Subscript):
            return self.subscript(node)
        if isinstance(node, ast.Attribute) and node.attr == "shape":
            base = self.ex(node.value)
            self.need_tensor(base, node)
            return Val(f"keras.ops.shape({base.expr})", kind="py", info={"shape_of": base})
        raise Unsupp(node.lineno, ast.unparse(node)[:60], "expression not supported in forward")

    def binop(self, node: ast.BinOp) -> Val:
        left, right = self.ex(node.left), self.ex(node.right)
        sym = _BINOPS[type(node.op)]
        if left.kind == "py" and right.kind == "py":
            return Val(f"{left.expr} {sym} {right.expr}", kind="py",
                       info={"value": evaluate(node, {}), "binop": True})
        lt, rt = _paren(left), _paren(right)
        if left.kind == "tensor" and right.kind == "tensor":
            if left.rank != right.rank:
                if left.perm or right.perm:
                    raise Unsupp(node.lineno, ast.unparse(node)[:60],
                                 "broadcasting between channels-last tensors of different rank")
            else:
                rt = _paren(Val(ops.to_layout(right, left.perm), info=right.info))
            shape = left.shape
            return Val(f"{lt} {sym} {rt}", shape, left.perm, info={"binop": True})
        tensor = left if left.kind == "tensor" else right
        if tensor.kind != "tensor":
            raise Unsupp(node.lineno, ast.unparse(node)[:60], "operands are not tensors")
        return Val(f"{lt} {sym} {rt}", tensor.shape, tensor.perm, info={"binop": True})

    def subscript(self, node: ast.Subscript) -> Val:
        attr = self._self_attr(node.value)
        if attr is not None and attr[1].plan is not None and \
                attr[1].plan.torch_ctor in ("LSTM", "GRU", "MultiheadAttention"):
            target = ast.Tuple([ast.Name("_rnn_out", ast.Store()), ast.Name("_", ast.Store())],
                               ast.Store())
            if evaluate(node.slice, {}) != 0:
                raise Unsupp(node.lineno, ast.unparse(node)[:60], "only [0] of this output")
            call = node.value
            assert isinstance(call, ast.Call)
            fn = rnn_call if attr[1].plan.torch_ctor != "MultiheadAttention" else attention_call
            return fn(self, target, attr[0], call, None)  # inline: no statement to look past
        base = self.ex(node.value)
        elts = list(node.slice.elts) if isinstance(node.slice, ast.Tuple) else [node.slice]
        if base.kind == "tensor":
            return ops.index(base, elts, lambda e: evaluate(e, self.pyenv))
        if base.kind in ("rnn_state", "rnn_last", "tuple"):
            return rnn_index(base, elts, node)
        if base.kind == "py" and "shape_of" in base.info:
            return self.size(base.info["shape_of"], evaluate(node.slice, self.pyenv), node)
        raise Unsupp(node.lineno, ast.unparse(node)[:60], "indexing not supported here")

    def size(self, tensor: Val, axis: Any, node: ast.expr) -> Val:
        """``tensor.size(axis)`` / ``tensor.shape[axis]``: a Python value, its size if known."""
        if not isinstance(axis, int) or tensor.shape is None:
            raise Unsupp(node.lineno, ast.unparse(node)[:60], "size axis must be a literal")
        value = tensor.shape[axis]
        return Val(f"keras.ops.shape({tensor.expr})[{target_axis(tensor, axis)}]", kind="py",
                   info={"value": value if value is not None else UNKNOWN})

    def call(self, node: ast.Call) -> Val:
        attr = self._self_attr(node)
        if attr is not None:
            return self.self_call(attr[0], node)
        qual = self.s.resolver.qualname(node.func)
        if qual and qual.startswith(("torch.nn.functional.", "torch.")) and node.args:
            name = qual.rsplit(".", 1)[1]
            if name in ("cat", "concat", "concatenate"):
                return self._cat(node)
            first = self.ex(node.args[0])
            return self.tensor_fn(name, first, node, skip=1)
        if isinstance(node.func, ast.Attribute):
            receiver = self.ex(node.func.value)
            return self.tensor_fn(node.func.attr, receiver, node, skip=0)
        raise Unsupp(node.lineno, ast.unparse(node.func)[:60], "call not supported in forward")

    def _cat(self, node: ast.Call) -> Val:
        args = ops.bind(node, ["tensors", "dim"], 0)
        seq = args.get("tensors")
        if not isinstance(seq, (ast.List, ast.Tuple)):
            raise Unsupp(node.lineno, "torch.cat", "needs a literal list of tensors")
        tensors = [self.ex(e) for e in seq.elts]
        for t, e in zip(tensors, seq.elts, strict=True):
            self.need_tensor(t, e)
        dim = evaluate(args["dim"], self.pyenv) if "dim" in args else 0
        return ops.concat(tensors, dim)

    def tensor_fn(self, name: str, x: Val, node: ast.Call, skip: int) -> Val:
        """``F.name(x, ...)`` / ``torch.name(x, ...)`` / ``x.name(...)``."""
        if x.kind == "rnn_state" and name == "squeeze":
            return rnn_index(x, [ast.Constant(0)], node)
        self.need_tensor(x, node)
        return tensor_function(self, name, x, node, skip)

    def self_call(self, name: str, node: ast.Call) -> Val:
        attr, cattr = self.attrs[name], self.code[name]
        kname = keras_attr_name(name)
        tpath, kpath = self.tprefix + name, self.kprefix + kname
        if attr.kind == "unsupported":
            if not self.s.partial:
                raise Unsupp(attr.line, attr.call_src[:60], attr.reason)
            self.s.gap(attr.line, attr.call_src[:60], attr.reason)  # even if its input is one
        if attr.plan is not None and attr.plan.torch_ctor in ("LSTMCell", "GRUCell"):
            val = cell_call(self, None, name, node)
            assert val is not None  # an LSTMCell without a target raised
            return val
        args = [self.ex(a) for a in node.args]
        for a, n in zip(args, node.args, strict=True):
            self.need_tensor(a, n)
        if attr.kind == "unsupported":
            # The layer is a layers.Identity placeholder (see __init__); its sizes are unknown.
            self.s.gap(attr.line, attr.call_src[:60], attr.reason)
            if len(args) != 1 or node.keywords:
                raise Unsupp(node.lineno, ast.unparse(node)[:60], "placeholder for an "
                             "untranslated layer takes one tensor")
            cattr.code = "layers.Identity()"
            return fw.unknown_like(args[0]).renamed(f"self.{kname}({args[0].expr})")
        if node.keywords or not args:
            raise Unsupp(node.lineno, ast.unparse(node)[:60], "layer call arguments not supported")
        if attr.kind == "seq":
            codes, out = run_chain(self.s, attr.items, cattr.items, args[0],
                                   tpath + ".", kpath + ".layers.")
            cattr.code = "keras.Sequential([" + ", ".join(codes) + "])"
            return Val(f"self.{kname}({args[0].expr})", out.shape, out.perm)
        if attr.kind == "module":
            wants = fw.module_layouts(self.s, attr, args)
            exprs = [ops.to_layout(a, w) for a, w in zip(args, wants, strict=False)]
            moved = [Val(e, a.shape, w) for e, a, w in zip(exprs, args, wants, strict=False)]
            out = call_module(self.s, attr, moved, tpath, kpath)
            cattr.code = cattr.call_src
            return Val(f"self.{kname}({', '.join(exprs)})", out.shape, out.perm, out.kind,
                       out.items)
        assert attr.plan is not None
        if cattr.plan is None:  # planned per instance, but not with the class-wide values
            raise Unsupp(attr.line, f"self.{name} = nn.{attr.plan.torch_ctor}(...)",
                         f"instances of {self.info.name} give it different arguments that "
                         f"Keras needs as constants ({cattr.reason})")
        if attr.plan.torch_ctor in ("LSTM", "GRU", "MultiheadAttention"):
            raise Unsupp(node.lineno, ast.unparse(node)[:60],
                         "unpack the outputs: out, state = layer(x) (or use [0])")
        axes, out = fw.layer_input(attr.plan, args[0])
        expr = args[0].expr
        if axes is not None:
            expr = f"keras.ops.transpose({expr}, {axes})"
        if cattr.plan.pre:
            expr = f"self.{kname}_pad({expr})"
        cattr.code = fw.resolve_code(cattr.plan, cattr, args[0])
        self.s.add_weight(attr.plan, tpath, kpath)
        return Val(f"self.{kname}({expr})", out.shape, out.perm)

    # helpers ------------------------------------------------------------------------------
    def _self_attr(self, node: ast.expr) -> tuple[str, Attr] | None:
        if isinstance(node, ast.Call):
            node = node.func
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and \
                node.value.id == "self" and node.attr in self.attrs:
            return node.attr, self.attrs[node.attr]
        return None

    def need_tensor(self, val: Val, node: ast.AST) -> None:
        """Raise (a located Unsupp) unless ``val`` is a tensor of known rank or a tuple."""
        if val.kind == "unknown":
            raise Unsupp(getattr(node, "lineno", 0), val.expr, "depends on an untranslated value")
        if val.kind not in ("tensor", "tuple") or (val.kind == "tensor" and val.rank is None):
            raise Unsupp(getattr(node, "lineno", 0), ast.unparse(node)[:60],
                         "expected a tensor here")

    def relayout_to(self, val: Val, perm: tuple[int, ...] | None) -> str:
        """``val`` in layout ``perm`` (a transpose when needed)."""
        return ops.to_layout(val, perm) if relayout(val.perm, perm, val.rank or 0) else val.expr


def run_chain(session: fw.Session, items: list[Attr], code_items: list[Attr], val: Val,
              torch_prefix: str, keras_prefix: str) -> tuple[list[str], Val]:
    """Items of a ``keras.Sequential`` for an ``nn.Sequential`` applied to ``val``."""
    out: list[str] = []
    for pos, (item, citem) in enumerate(zip(items, code_items, strict=True)):
        tpath = f"{torch_prefix}{pos}"
        if item.kind == "unsupported":
            if not session.partial:
                raise Unsupp(item.line, item.call_src[:60], item.reason)
            todo = session.gap(item.line, item.call_src[:60], item.reason)
            out.append(f"{todo}\nlayers.Identity()")
            val = fw.unknown_like(val)
            continue
        if item.kind == "seq":
            codes, val = run_chain(session, item.items, citem.items, val, tpath + ".",
                                   f"{keras_prefix}{len(out)}.layers.")
            out.append("keras.Sequential([" + ", ".join(codes) + "])")
            continue
        if item.kind == "module":
            wants = fw.module_layouts(session, item, [val])
            axes = relayout(val.perm, wants[0], val.rank or 0)
            if axes is not None:
                out.append(f"layers.Permute({tuple(a for a in axes[1:])})")
                val = Val("", val.shape, wants[0])
            val = call_module(session, item, [val], tpath, f"{keras_prefix}{len(out)}")
            out.append(citem.call_src)
            continue
        assert item.plan is not None and citem.plan is not None
        axes, nxt = fw.layer_input(item.plan, val)
        if axes is not None:
            out.append(f"layers.Permute({tuple(a for a in axes[1:])})")
        if citem.plan.pre:
            out.append(citem.plan.pre)
        if item.plan.torch_ctor in ("LSTM", "GRU"):
            citem.rnn = {"return_sequences": True}
        session.add_weight(item.plan, tpath, f"{keras_prefix}{len(out)}")
        out.append(fw.resolve_code(citem.plan, citem, val))
        val = nxt
    return out, val


def call_module(session: fw.Session, attr: Attr, args: list[Val], torch_path: str,
                keras_path: str) -> Val:
    """Walk a nested user module instance on ``args`` (already in the layouts it wants)."""
    info = session.classes[attr.cls]
    attrs = plan_class(info, attr.env, session.resolver, session.classes)
    arg_names = [a.arg for a in info.forward.args.args[1:]]
    if len(args) != len(arg_names):
        raise Unsupp(attr.line, f"{info.name}.forward", "called with a different argument count")
    inputs = [Val(name, v.shape, v.perm, v.kind, v.items, v.info)
              for name, v in zip(arg_names, args, strict=True)]
    run = ForwardRun(session, info, attrs, torch_path + ".", keras_path + ".")
    lines, out = run.run(inputs)
    session.call_code.setdefault(info.name, (arg_names, lines))
    return out


def _every_gap(exc: Unsupp, root: ForwardRun, inputs: list[Val]) -> Unsupp:
    """``exc`` with the other untranslatable constructs of the model (``exc.more``)."""
    s = root.s
    session = fw.Session(s.resolver, s.classes, s.code_env, True, s.comments)
    try:
        ForwardRun(session, root.info, root.attrs, "", "").run(inputs)
    except (Unsupp, ValueError, TypeError, KeyError, IndexError):
        pass  # the gaps found so far are still worth listing
    more = [u for u in session.unsupported if (u.line, u.construct) != (exc.line, exc.construct)
            and "untranslated value" not in u.reason]  # not the consequences of a gap
    if not more:
        return exc
    also = "; ".join(f"line {u.line}: {u.construct}: {u.reason}" for u in more)
    out = Unsupp(exc.line, exc.construct, f"{exc.reason}; also {also}")
    out.more = more
    return out


def _paren(val: Val) -> str:
    return f"({val.expr})" if val.info.get("binop") else val.expr


def _targets(stmt: ast.stmt) -> list[str]:
    names: list[str] = []
    for node in ast.walk(stmt):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.append(node.id)
    return names
