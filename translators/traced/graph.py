"""Walk a traced graph (traced/capture.py's description) into Keras ``call`` lines.

Each fx node becomes at most one statement named after the node (``layer1_0_conv1 =
self.layer1_0_conv1(relu)``); identities (``contiguous``, dropout in eval mode) fold into the
statements that use them (sizes are already constants: capture.py ran them while tracing).
Layers are planned by the static translator's table (torch_to_keras/layers.py ``plan_layer``)
from the constructor arguments read off each instance, and functions and tensor methods by its
ops mapping (torch_to_keras/functional.py), so both translations agree on every layer and op.
"""

from __future__ import annotations

import ast
from typing import Any, cast

from ..base import Unsupported, WeightTransfer
from ..shapes import ShapeMismatch
from ..torch_to_keras import ops
from ..torch_to_keras.eval import evaluate
from ..torch_to_keras.forward import Walker, layer_input, resolve_code
from ..torch_to_keras.functional import RANDOM_LIKE, tensor_function
from ..torch_to_keras.layers import LayerError, LayerPlan, plan_layer
from ..torch_to_keras.layout import Val, target_axis
from ..torch_to_keras.model import RESERVED, Attr, ShapeUnsupp, Unsupp
from .constants import buffer_weight, constant_expr, constant_table, following_index
from .recurrent import CELLS, STACKED, cell_step, stacked_rnn
from .transformer import TRANSFORMERS, encoder

_BINOPS = {"add": "+", "iadd": "+", "sub": "-", "isub": "-", "mul": "*", "imul": "*",
           "truediv": "/", "itruediv": "/", "div": "/"}
_IDENTITIES = frozenset({"contiguous", "clone", "detach", "dropout", "dropout1d", "dropout2d",
                         "alpha_dropout", "feature_alpha_dropout"})
_CREATIONS = frozenset({"torch.zeros", "torch.ones"})
_SPATIAL_DROPOUT = {"Dropout1d": 3, "Dropout2d": 4, "Dropout3d": 5}  # ranks they drop channels of


def _drops_here(node: dict[str, Any], short: str) -> bool:
    """Whether a dropout function call drops in the traced (eval) run: its ``training``/``train``
    argument, given by keyword or position, else the function's default (True for
    ``F.dropout`` and friends). Tensor methods such as ``contiguous`` never drop."""
    if node["op"] != "call_function" or "dropout" not in short:
        return False
    kwargs = node["kwargs"]
    for key in ("training", "train"):
        if key in kwargs:
            return bool(kwargs[key])
    return bool(node["args"][2]) if len(node["args"]) > 2 else True


def to_ast(value: Any) -> ast.expr:
    """A JSON-encoded argument (capture.py ``_jsonable``) as the expression it stands for."""
    if isinstance(value, dict):
        if "node" in value:
            return ast.Name(value["node"], ast.Load())
        if "tuple" in value:
            return ast.Tuple([to_ast(v) for v in value["tuple"]], ast.Load())
        if "slice" in value:
            low, high, step = (None if v is None else to_ast(v) for v in value["slice"])
            return ast.Slice(low, high, step)
        if "ellipsis" in value:
            return ast.Constant(Ellipsis)
        raise Unsupp(0, str(value.get("repr", value))[:60], "argument of an unsupported type")
    if isinstance(value, list):
        return ast.List([to_ast(v) for v in value], ast.Load())
    if isinstance(value, tuple):
        return ast.Tuple([to_ast(v) for v in value], ast.Load())
    if isinstance(value, int) and not isinstance(value, bool) and value < 0:
        return ast.UnaryOp(ast.USub(), ast.Constant(-value))
    return ast.Constant(value)


def layer_args(args: dict[str, Any]) -> list[ast.keyword]:
    """Constructor keywords; an all-equal tuple (``(3, 3)``) reads as the int it came from."""
    out = []
    for key, value in args.items():
        items = value.get("tuple") if isinstance(value, dict) else None
        if items and all(isinstance(v, int) and v == items[0] for v in items):
            value = items[0]
        out.append(ast.keyword(key, to_ast(value)))
    return out


def attr_name(path: str, taken: set[str]) -> str:
    """``layer1.0.conv1`` -> ``layer1_0_conv1`` (renamed where Keras reserves the name)."""
    name = path.replace(".", "_") or "module"
    name = name + "_" if name in RESERVED else name
    while name in taken:
        name += "_"
    return name


class GraphWalk:
    """The ``call`` body of one traced model, its layers and its weight transfers."""

    def __init__(self, desc: dict[str, Any], input_perm: tuple[int, ...] | None) -> None:
        self.desc, self.input_perm = desc, input_perm
        self.pyenv: dict[str, Any] = {}
        self.env: dict[str, Val] = {}
        self.lines: list[str] = []
        self.layers: dict[str, tuple[str, str, str | None]] = {}  # path -> (attr, code, pre)
        self.attrs: dict[str, Attr] = {}
        self.weights: list[WeightTransfer] = []
        self.unsupported: list[Unsupported] = []
        self.inputs: list[str] = []
        self.helpers: dict[str, str] = {}  # classes the emitted file defines before the model
        self.output: Val | None = None
        self.users: dict[str, list[dict[str, Any]]] = {}
        for node in desc["nodes"]:
            for ref in _refs([node["args"], node["kwargs"]]):
                self.users.setdefault(ref, []).append(node)

    def run(self) -> None:
        """Walk every node; each unsupported one is recorded (with its line), not raised."""
        for node in self.desc["nodes"]:
            try:
                self.node(node)
            except (Unsupp, ops.OpError, ShapeMismatch) as exc:
                line = getattr(exc, "line", 0) or node["line"] or self.desc.get("forward_line", 1)
                construct = getattr(exc, "construct", "") or _describe(node)
                self.unsupported.append(Unsupported(line, construct,
                                                    getattr(exc, "reason", str(exc))))
                self.env[node["name"]] = Val(node["name"], kind="unknown")

    # nodes ----------------------------------------------------------------------------------
    def node(self, node: dict[str, Any]) -> None:
        op, name = node["op"], node["name"]
        if any(self.env.get(r, Val("")).kind == "unknown" for r in _refs(node["args"])):
            self.env[name] = Val(name, kind="unknown")  # already reported upstream
            return
        if op == "placeholder":  # the input, then the arguments given examples (an RNN state)
            value = node["value"]
            if "items" in value:
                self.env[name] = Val(name, kind="tuple", items=[
                    Val(f"{name}[{i}]", tuple(v["shape"])) for i, v in enumerate(value["items"])])
            else:
                perm = None if self.inputs else self.input_perm
                self.env[name] = Val(name, tuple(value["shape"]), perm)
            self.inputs.append(name)
        elif op == "output":
            out = self.ex(to_ast(node["args"][0]))
            self.lines.append(f"return {out.expr}")
            self.output = out
        elif op == "call_module":
            self.emit(name, self.call_layer(node))
        elif op == "get_attr":
            self.env[name] = self.tensor_constant(node) if not node.get("buffer") \
                else self.buffer(node)
        else:
            self.emit(name, self.call(node))

    def emit(self, name: str, val: Val) -> None:
        """One statement per tensor node; identities (dropout in eval, contiguous) fold away."""
        if val.kind == "tensor" and val.expr != name and not _is_name(val.expr):
            self.lines.append(f"{name} = {val.expr}")
            val = val.renamed(name)
        self.env[name] = val

    def call(self, node: dict[str, Any]) -> Val:
        target = node["target"]
        short = target.rsplit(".", 1)[-1]
        if target in _CREATIONS and "shape" in node["value"]:
            value = node["value"]  # sizes are the example's (tracing made them constants)
            return Val(f"keras.ops.{short}({tuple(value['shape'])}, dtype={value['dtype']!r})",
                       tuple(value["shape"]))
        if short in ("split", "chunk") and "items" in node["value"]:
            return self.split(node)
        args = [to_ast(a) for a in node["args"]]
        keywords = [ast.keyword(k, to_ast(v)) for k, v in node["kwargs"].items()]
        call = ast.Call(ast.Name(short, ast.Load()), args[1:] if node["op"] == "call_method"
                        else args, keywords)
        call.lineno = node["line"]
        if short in _BINOPS and target.startswith(("operator.", "torch.")) or \
                node["op"] == "call_method" and short in _BINOPS and len(args) == 2:
            return self.binop(ast.BinOp(args[0], _OPS[_BINOPS[short]], args[1]))
        if target == "operator.neg":
            x = self.ex(args[0])
            return Val(f"-{_paren(x.expr)}", x.shape, x.perm)
        if target == "operator.getitem":
            return self.getitem(self.ex(args[0]), args[1], node)
        if target == "getattr":
            return self.getattr(self.ex(args[0]), node["args"][1], node)
        if short in ("cat", "concat", "concatenate"):
            tensors = [self.ex(e) for e in cast(ast.Tuple, args[0]).elts]
            dim = node["kwargs"].get("dim", node["args"][1] if len(args) > 1 else 0)
            return ops.concat(tensors, dim)
        if short in ("matmul", "bmm", "einsum"):
            return self.product(node, short, args)
        x = self.ex(args[0])
        if short == "expand":
            return self.expand(node, x)
        if short == "masked_fill" and len(args) == 3:  # x.masked_fill(mask, value)
            mask = self.ex(args[1])
            fill = self.ex(args[2])
            if mask.kind != "tensor":
                raise Unsupp(node["line"], _describe(node), "masked_fill with a non-tensor mask")
            return Val(f"keras.ops.where({ops.to_layout(mask, x.perm)}, {fill.expr}, {x.expr})",
                       x.shape, x.perm)
        if short in _IDENTITIES and not _drops_here(node, short):
            return x
        if short == "dropout":  # F.dropout(x, p) trains by default: it drops at inference too
            rate = node["kwargs"].get("p", node["args"][1] if len(node["args"]) > 1 else 0.5)
            seed = self.layers.setdefault("<noise>", (self.new_name("seed_generator"),
                                                      "keras.random.SeedGenerator()", None))[0]
            return Val(f"keras.random.dropout({x.expr}, {rate!r}, seed=self.{seed})",
                       x.shape, x.perm)
        if short in _IDENTITIES:
            raise Unsupp(node["line"], _describe(node), f"{short} with training on (it drops "
                         "at inference too) has no Keras translation; pass training=self.training")
        if short in RANDOM_LIKE and len(args) == 1 and not keywords:
            seed = self.layers.setdefault("<noise>", (self.new_name("seed_generator"),
                                                      "keras.random.SeedGenerator()", None))[0]
            return Val(f"keras.random.{RANDOM_LIKE[short]}(keras.ops.shape({x.expr}), "
                       f"seed=self.{seed})", x.shape, x.perm)
        skip = 0 if node["op"] == "call_method" else 1
        try:
            return tensor_function(cast(Walker, self), short, x, call, skip)
        except ShapeUnsupp:
            if short not in ("view", "reshape") or _shape(node) is None:
                raise
        # the batch axis merged with others (``view(-1, vocab)`` of a sequence-first output):
        # the traced sizes are those of the example, so the source's own sizes are kept
        dims = [self.ex(a) for a in args[1:]]
        sizes = dims[0].expr if len(dims) == 1 else f"({', '.join(d.expr for d in dims)})"
        return Val(f"keras.ops.reshape({ops.to_layout(x, None)}, {sizes})", _shape(node))

    def product(self, node: dict[str, Any], short: str, args: list[ast.expr]) -> Val:
        """``a @ b`` / ``torch.matmul`` / ``bmm`` / ``einsum(eq, a, b...)`` on tensors in
        PyTorch's axis order (an operand held channels-last is put back first)."""
        if short == "einsum":
            equation = node["args"][0]
            operands = args[1:]
            if len(operands) == 1 and isinstance(operands[0], ast.Tuple | ast.List):
                operands = list(operands[0].elts)
            if not isinstance(equation, str):
                raise Unsupp(node["line"], _describe(node), "the einsum equation is not a string")
        tensors = [self.ex(a) for a in (operands if short == "einsum" else args[:2])]
        if any(t.kind != "tensor" for t in tensors):
            raise Unsupp(node["line"], _describe(node), f"{short} of a non-tensor")
        texts = [ops.to_layout(t, None) for t in tensors]
        if short == "einsum":
            return Val(f"keras.ops.einsum({equation!r}, {', '.join(texts)})", _shape(node))
        return Val(f"keras.ops.matmul({texts[0]}, {texts[1]})", _shape(node))

    def expand(self, node: dict[str, Any], x: Val) -> Val:
        """``x.expand(b, -1, d)`` -> ``keras.ops.broadcast_to``: -1 keeps x's size, a size
        that followed the input's batch in the trace (``cls_token.expand(b, -1, -1)``) is the
        input's first size."""
        sizes = _int_args(node["args"][1:])
        if sizes is None or x.shape is None or x.kind != "tensor":
            raise Unsupp(node["line"], _describe(node), "expand() to sizes the trace did not "
                         "give as integers")
        follow = {i for kind, i in (node.get("batch_axes") or []) if kind == "size"}
        expr = ops.to_layout(x, None)
        shape = list(x.shape)
        for _ in range(len(sizes) - len(shape)):  # expand adds leading axes
            expr, shape = f"keras.ops.expand_dims({expr}, 0)", [1, *shape]
        fixed = [shape[i] if s == -1 or i in follow else s for i, s in enumerate(sizes)]
        if fixed != shape:
            expr = f"keras.ops.broadcast_to({expr}, ({', '.join(map(str, fixed))},))"
        # the batch is a tensor inside call(): repeat along it rather than spell a mixed shape
        for i in sorted(follow):
            expr = f"keras.ops.repeat({expr}, {self.size0()}, axis={i})"
        return Val(expr, _shape(node))

    def call_layer(self, node: dict[str, Any]) -> Val:
        path = node["target"]
        module = self.desc["modules"][path]
        ctor = module["type"]
        construct = f"self.{path} (nn.{ctor})"
        first = self.env.get(_refs(node["args"][:1])[0]) if _refs(node["args"][:1]) else None
        if ctor in _SPATIAL_DROPOUT and first is not None and \
                first.rank != _SPATIAL_DROPOUT[ctor]:
            ctor = "Dropout"  # torch drops single elements of inputs of another rank
        if ctor in STACKED + CELLS:
            return self.recurrent(node, path, module)
        if ctor in TRANSFORMERS:
            x = self.ex(to_ast(node["args"][0]))
            kwargs = {k: self.ex(to_ast(v)) for k, v in node["kwargs"].items()}
            for key, value in zip(("mask", "src_key_padding_mask", "is_causal"),
                                  node["args"][1:], strict=False):
                kwargs[key] = self.ex(to_ast(value))
            return encoder(self, node, path, module, Val(ops.to_layout(x, None), x.shape),
                           kwargs)
        if path not in self.attrs:
            call = ast.Call(ast.Name(ctor, ast.Load()), [], layer_args(module["args"]))
            call.lineno = node["line"]
            try:
                self.attrs[path] = Attr("layer", node["line"], plan=plan_layer(ctor, call, {}))
            except LayerError as exc:
                raise Unsupp(node["line"], construct, str(exc)) from None
        attr = self.attrs[path]
        plan = attr.plan
        assert plan is not None
        args = [self.ex(to_ast(a)) for a in node["args"]]
        if not args or any(a.kind != "tensor" for a in args):
            raise Unsupp(node["line"], construct, "expected tensor arguments")
        kname = self.layers[path][0] if path in self.layers else self.new_name(path)
        if len(args) != 1 or node["kwargs"]:
            raise Unsupp(node["line"], construct, "layer called with more than one input")
        axes, out = layer_input(plan, args[0])
        expr = args[0].expr if axes is None else f"keras.ops.transpose({args[0].expr}, {axes})"
        if plan.pre:
            expr = f"self.{kname}_pad({expr})"
        self.add_layer(path, kname, resolve_code(plan, attr, args[0]), plan)
        shape = _shape(node) or out.shape
        return Val(f"self.{kname}({expr})", shape, out.perm)

    def split(self, node: dict[str, Any]) -> Val:
        """``x.split(size, dim)`` / ``x.chunk(n, dim)`` into equal parts: ``keras.ops.split``."""
        x = self.ex(to_ast(node["args"][0]))
        items = [tuple(v["shape"]) for v in node["value"]["items"]]
        dim = node["kwargs"].get("dim", node["args"][2] if len(node["args"]) > 2 else 0)
        if not isinstance(dim, int) or x.rank is None or len(set(items)) != 1:
            raise Unsupp(node["line"], _describe(node), "only a split into equal parts along "
                         "a literal dim is translated")
        name = node["name"]
        self.lines.append(f"{name} = keras.ops.split({x.expr}, {len(items)}, "
                          f"axis={target_axis(x, dim)})")
        return Val(name, kind="tuple", items=[Val(f"{name}[{i}]", shape, x.perm)
                                              for i, shape in enumerate(items)])

    def tensor_constant(self, node: dict[str, Any]) -> Val:
        """A tensor forward built from constants (a causal mask): its expression, computed
        once in the emitted ``call``."""
        value = node["value"]
        axes = node.get("batch_axes")
        try:  # a fill, a mask of a known pattern, a small literal
            expr = constant_expr(value, node["line"], axes, self.size0() if axes else "")
        except Unsupp:
            table = None if axes else constant_table(value)
            if table is None:
                raise
            # too large for call(): a named table at module level
            tname = f"TABLE_{sum(k.startswith('TABLE_') for k in self.helpers) + 1}"
            self.helpers[tname] = (f"# a {tuple(value['shape'])} table forward built from sizes "
                                   f"alone (line {node['line']}), written out\n{tname} = {table}")
            self.helpers.setdefault("<numpy>", "import numpy as np")
            expr = f"keras.ops.convert_to_tensor({tname})"
        base = "causal_mask" if "tril" in expr else "constant"
        name, count = base, 0
        while name in self.env or any(line.startswith(f"{name} = ") for line in self.lines):
            count += 1
            name = f"{base}_{count}"
        self.lines.append(f"{name} = {expr}")
        if "np." in expr:
            self.helpers.setdefault("<numpy>", "import numpy as np")
        return Val(name, tuple(value["shape"]), info={"mask": value.get("mask")})

    def buffer(self, node: dict[str, Any]) -> Val:
        """``self.pe`` (a registered buffer or a parameter used directly): a Keras variable of
        the model, its value copied with the weights."""
        target = node["target"]
        if target not in self.layers:
            kname = self.new_name(target)
            code, transfer = buffer_weight(target, kname, node["value"], node["line"],
                                           bool(node.get("parameter")))
            self.layers[target] = (kname, code, None)
            self.weights.append(transfer)
        return Val(f"self.{self.layers[target][0]}", tuple(node["value"]["shape"]),
                   info={"mask": node["value"].get("mask")})

    def size0(self) -> str:
        """The name of the input's first size (``src_size0 = keras.ops.shape(src)[0]``),
        stated once, for what the trace showed follows it."""
        name = f"{self.inputs[0]}_size0"
        if not any(line.startswith(f"{name} = ") for line in self.lines):
            self.lines.append(f"{name} = keras.ops.shape({self.inputs[0]})[0]")
        return name

    def taken(self) -> set[str]:
        """The attribute names given to layers so far."""
        return {v[0] for v in self.layers.values()}

    def new_name(self, base: str) -> str:
        """An attribute name for a new layer, not yet taken."""
        return attr_name(base, self.taken())

    def add_layer(self, path: str, kname: str, code: str, plan: LayerPlan) -> None:
        if path in self.layers:
            if self.layers[path][1] != code:
                raise Unsupp(plan.line, f"self.{path}", "the same layer is used in two ways "
                             "that need different Keras options")
            return
        self.layers[path] = (kname, code, plan.pre)
        if plan.weight is not None:
            kind, params = plan.weight
            self.weights.append(WeightTransfer(kind, path, f"attr:{kname}", dict(params),
                                               plan.line))

    def recurrent(self, node: dict[str, Any], path: str, module: dict[str, Any]) -> Val:
        """An RNN (recurrent.py): its state arguments may be tuples of tensors."""
        args = [self.ex(to_ast(a)) for a in node["args"]]
        while len(args) > 1 and args[-1].kind == "py" and args[-1].info.get("value") is None:
            args.pop()  # state=None: it starts from zeros, as a Keras RNN does
        if not args or args[0].kind != "tensor" or node["kwargs"]:
            raise Unsupp(node["line"], f"self.{path} (nn.{module['type']})",
                         "expected a tensor and an optional state")
        args[0] = Val(ops.to_layout(args[0], None), args[0].shape)
        if module["type"] in CELLS:
            return cell_step(self, node, path, module, args)
        used = any(_item(u) == 1 for u in self.users.get(node["name"], []))
        return stacked_rnn(self, node, path, module, args, used)

    # values ---------------------------------------------------------------------------------
    def getitem(self, base: Val, index: ast.expr, node: dict[str, Any]) -> Val:
        if base.kind == "tuple":
            pos = evaluate(index, self.pyenv)
            if not isinstance(pos, int):
                raise Unsupp(node["line"], _describe(node), "tuple index must be an integer")
            return base.items[pos]
        if base.kind != "tensor":
            raise Unsupp(node["line"], _describe(node), "indexing not supported here")
        elts = list(index.elts) if isinstance(index, ast.Tuple) else [index]
        # x[:, [-1], :] (a one-item list keeps the axis): the slice -1: says the same in Keras
        elts = [_one_item_slice(e, self.pyenv) for e in elts]
        follow = node.get("batch_axes") or []
        if follow and base.perm is None:  # self.pe[:x.size(0)]: bounds follow the input
            return Val(f"{base.expr}[{following_index(elts, follow, self.size0())}]",
                       _shape(node))
        out = ops.index(base, elts, lambda e: evaluate(e, self.pyenv))
        return Val(out.expr, _shape(node) or out.shape, out.perm)

    def getattr(self, base: Val, attr: Any, node: dict[str, Any]) -> Val:
        raise Unsupp(node["line"], f".{attr}", "this attribute of a tensor has no Keras "
                     "translation")

    def size(self, tensor: Val, axis: Any, node: ast.AST) -> Val:
        """``x.size(axis)`` for the ops mapping (tracing already made sizes constants)."""
        if not isinstance(axis, int) or tensor.shape is None:
            raise Unsupp(getattr(node, "lineno", 0), "size", "size axis must be an integer")
        return Val(f"keras.ops.shape({tensor.expr})[{target_axis(tensor, axis)}]", kind="py",
                   info={"value": tensor.shape[axis], "dynamic": True})

    def ex(self, node: ast.expr) -> Val:
        if isinstance(node, ast.Name):
            return self.env[node.id]
        if isinstance(node, ast.Constant):
            return Val(repr(node.value), kind="py", info={"value": node.value})
        if isinstance(node, ast.UnaryOp):
            value = evaluate(node, {})
            return Val(repr(value), kind="py", info={"value": value})
        if isinstance(node, ast.Tuple | ast.List):
            items = [self.ex(e) for e in node.elts]
            text = ", ".join(i.expr for i in items)
            if all(i.kind == "py" for i in items):
                return Val(f"({text})", kind="py",
                           info={"value": tuple(i.info.get("value") for i in items)})
            return Val(f"({text})" if isinstance(node, ast.Tuple) else f"[{text}]",
                       kind="tuple", items=items)
        raise Unsupp(0, ast.unparse(node)[:60], "argument not supported")

    def binop(self, node: ast.BinOp) -> Val:
        left, right = self.ex(node.left), self.ex(node.right)
        sym = _SYMBOLS[type(node.op)]
        tensor = left if left.kind == "tensor" else right
        if tensor.kind != "tensor":
            raise Unsupp(0, f"{left.expr} {sym} {right.expr}", "operands are not tensors")
        other = right if tensor is left else left
        text = other.expr
        if other.kind == "tensor":
            if other.rank != tensor.rank and (other.perm or tensor.perm):
                raise Unsupp(0, f"{left.expr} {sym} {right.expr}",
                             "broadcasting between channels-last tensors of different rank")
            text = ops.to_layout(other, tensor.perm) if other.rank == tensor.rank else text
        lt, rt = (tensor.expr, text) if tensor is left else (text, tensor.expr)
        return Val(f"{_paren(lt)} {sym} {_paren(rt)}", tensor.shape, tensor.perm)


_OPS: dict[str, ast.operator] = {"+": ast.Add(), "-": ast.Sub(), "*": ast.Mult(),
                                 "/": ast.Div()}
_SYMBOLS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/"}


def _int_args(args: list[Any]) -> list[int] | None:
    """``expand(2, -1)`` / ``expand((2, -1))`` arguments as ints (None if one is not)."""
    if len(args) == 1 and isinstance(args[0], list | tuple):
        args = list(args[0])
    elif len(args) == 1 and isinstance(args[0], dict) and "tuple" in args[0]:
        args = list(args[0]["tuple"])
    if not all(isinstance(a, int) and not isinstance(a, bool) for a in args):
        return None
    return [int(a) for a in args]


def _refs(value: Any) -> list[str]:
    if isinstance(value, dict):
        if "node" in value:
            return [value["node"]]
        return [r for v in value.values() for r in _refs(v)]
    if isinstance(value, list):
        return [r for v in value for r in _refs(v)]
    return []


def _item(node: dict[str, Any]) -> int | None:
    """The index a ``getitem`` node takes (None for other nodes)."""
    if node["target"] == "operator.getitem" and isinstance(node["args"][1], int):
        return int(node["args"][1])
    return None


def _shape(node: dict[str, Any]) -> tuple[int, ...] | None:
    value = node.get("value") or {}
    return tuple(value["shape"]) if "shape" in value else None


def _is_name(text: str) -> bool:
    return text.isidentifier()


def _paren(text: str) -> str:
    """``text`` as an operand: parenthesised when it has an operator outside brackets."""
    depth = 0
    for char in text:
        depth += char in "([{"
        depth -= char in ")]}"
        if char == " " and depth == 0:
            return f"({text})"
    return text


def _describe(node: dict[str, Any]) -> str:
    target = node["target"]
    if node["op"] == "call_method":
        return f".{target}(...)"
    return f"{target}(...)"


def _one_item_slice(elt: ast.expr, env: dict[str, Any]) -> ast.expr:
    """``[k]`` inside an index (one integer in a list) -> the slice ``k:k+1``; else as is."""
    if not isinstance(elt, ast.List | ast.Tuple) or len(elt.elts) != 1:  # capture sends lists as tuples
        return elt
    k = evaluate(elt.elts[0], env)
    if not isinstance(k, int) or isinstance(k, bool):
        return elt
    upper = None if k == -1 else ast.Constant(k + 1)
    return ast.Slice(lower=ast.Constant(k) if k >= 0 else ast.UnaryOp(ast.USub(), ast.Constant(-k)),
                     upper=upper)
