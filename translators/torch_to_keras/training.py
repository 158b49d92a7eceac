"""Module-level PyTorch training code -> Keras ``compile``/``fit`` (and data as NumPy arrays).

Recognised idioms: tensors built with ``torch.randn/rand/zeros/ones/randint/tensor``, a loss
module, an optimizer over ``model.parameters()``, and the epoch loop (full-batch, or over a
``DataLoader(TensorDataset(X, Y), batch_size=..., shuffle=...)``) with ``zero_grad``/
``backward``/``step``. Anything else becomes a ``# TODO(mlsense)`` comment, never silence.
"""

from __future__ import annotations

import ast
import copy
import re
from dataclasses import dataclass, field

from .arrays import AsArray, DropItem, float_randint, not_carried
from .losses import KL_LOSS, SPARSE_LOSS, keras_loss
from .model import Resolver
from .optimizers import OPTIMIZERS, keras_optimizer
from .schedules import (
    L2_CLASS,
    ONE_CYCLE_CLASS,
    bind,
    early_stopping,
    per_epoch_callback,
    per_step_schedule,
)

# Tensor methods NumPy arrays lack (or that mean training): a statement using one is marked.
_TENSOR_METHODS = frozenset({"backward", "parameters", "to", "cuda", "cpu", "item", "detach",
                             "numpy", "float", "long", "half", "view", "unsqueeze", "size",
                             "state_dict", "load_state_dict", "zero_grad", "step", "dim"})
_NUMPY = {"randn": "np.random.randn({args}).astype(\"float32\")",
          "rand": "np.random.rand({args}).astype(\"float32\")",
          "zeros": "np.zeros(({args}), dtype=\"float32\")",
          "ones": "np.ones(({args}), dtype=\"float32\")"}


@dataclass
class TrainingCode:
    """Translated training lines plus what the caller reports."""

    lines: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    uses_numpy: bool = False


class TrainingTranslator:
    """Translate statements in order, remembering losses, optimizers and data loaders."""

    def __init__(self, resolver: Resolver, model_names: set[str],
                 input_perm: tuple[int, ...] | None) -> None:
        self.r, self.models, self.perm = resolver, model_names, input_perm
        self.loss: dict[str, str] = {}
        self.optim: dict[str, str] = {}
        self.loaders: dict[str, tuple[str, str, str, str]] = {}
        self.compiled: dict[str, str] = {}  # model -> the Keras loss its compile() was given
        self.no_grad = False  # inside ``with torch.no_grad():`` (evaluation / inference)
        self.predicted: dict[str, tuple[str, str]] = {}  # name -> (model, input) of a predict
        self.scalars: set[str] = set()  # names holding evaluate()'s float (``.item()`` dropped)
        self.ranks: dict[str, int] = {}  # tensors built from a literal shape -> their rank
        self.schedulers: dict[str, tuple[str, ast.Call]] = {}  # name -> (class, constructor)
        self.lr: dict[str, str] = {}  # optimizer -> its learning rate (torch's default if unset)
        self.l2: dict[str, str] = {}  # optimizer -> the Keras class name of its L2 subclass
        self.restored: set[str] = set()  # state_dict copies EarlyStopping restores
        self.datasets: dict[str, ast.Call] = {}  # name -> its TensorDataset(x, y) call
        self.lost: set[str] = set()  # names bound by statements kept as TODO lines
        self.out = TrainingCode()

    def translate(self, stmts: list[ast.stmt]) -> TrainingCode:
        for stmt in stmts:
            self.stmt(stmt, "")
        return self.out

    def leave_out(self, tree: ast.Module, emitted: str, stmts: list[ast.stmt]) -> list[str]:
        """The file's top-level classes that ``stmts`` (the code to translate) read but the
        output does not define (another model of the file, a GAN's discriminator): a note each,
        and the statements that build or use them become TODO lines (they would stop the
        emitted file with a NameError). Returns a TODO comment line per class to place."""
        read = {n.id for s in stmts for n in ast.walk(s) if isinstance(n, ast.Name)}
        todos = []
        for node in tree.body:
            if not isinstance(node, ast.ClassDef) or node.name not in read or re.search(
                    rf"^class {re.escape(node.name)}\b", emitted, re.M):
                continue
            why = (f"another PyTorch model of the file, not translated (translate it on its "
                   f"own: --class {node.name})")
            self.lost.add(node.name)
            self.out.notes.append(f"line {node.lineno}: class {node.name}: {why}")
            todos.append(f"# TODO(mlsense): class {node.name} (line {node.lineno}): {why}")
        return todos

    def todo(self, stmt: ast.stmt, indent: str, why: str) -> None:
        used = sorted({n.id for n in ast.walk(stmt) if isinstance(n, ast.Name)
                       and n.id in self.models and isinstance(n.ctx, ast.Load)})
        if used and why.startswith("unrecognised"):
            why = f"uses the model ({used[0]}) outside the recognised training patterns"
        first = ast.unparse(stmt).splitlines()[0]
        if isinstance(stmt, ast.Assign | ast.AugAssign | ast.AnnAssign | ast.For | ast.With):
            self.lost.update(n.id for n in ast.walk(stmt) if isinstance(n, ast.Name)
                             and isinstance(n.ctx, ast.Store))
        self.out.notes.append(f"line {stmt.lineno}: training code not translated ({why}): {first}")
        for i, text in enumerate(ast.unparse(stmt).splitlines()):
            prefix = f"# TODO(mlsense): {why}: " if i == 0 else "#   "
            self.out.lines.append(indent + prefix + text)

    def emit(self, indent: str, text: str) -> None:
        self.out.lines.append(indent + text)

    def stmt(self, stmt: ast.stmt, indent: str) -> None:
        stmt = AsArray(self.r).visit(DropItem(self.scalars).visit(copy.deepcopy(stmt)))
        reads = sorted({n.id for n in ast.walk(stmt) if isinstance(n, ast.Name)
                        and isinstance(n.ctx, ast.Load)} & self.lost)
        restore = isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call) and \
            isinstance(stmt.value.func, ast.Attribute) and \
            stmt.value.func.attr == "load_state_dict" and reads == sorted(self.restored & set(reads))
        if reads and not restore:  # it would fail with a NameError: kept, marked
            self.todo(stmt, indent, f"reads {reads[0]}, which is not translated")
        elif isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
            self.assign(stmt, indent)
        elif isinstance(stmt, ast.For):
            self.loop(stmt, indent)
        elif isinstance(stmt, ast.If) and "__name__" in ast.unparse(stmt.test):
            self.emit(indent, f"if {ast.unparse(stmt.test)}:")
            before = len(self.out.lines)
            for s in stmt.body:
                self.stmt(s, indent + "    ")
            if len(self.out.lines) == before:
                self.emit(indent + "    ", "pass")
        elif isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call):
            self.call_stmt(stmt, indent)
        elif isinstance(stmt, ast.With) and "no_grad" in ast.unparse(stmt.items[0].context_expr):
            self.no_grad = True  # Keras inference builds no graph for gradients anyway
            for s in stmt.body:
                self.stmt(s, indent)
            self.no_grad = False
        elif not self._mentions_torch(stmt):
            self.emit(indent, ast.unparse(stmt))
        else:
            self.todo(stmt, indent, "unrecognised PyTorch training code")

    def _mentions_torch(self, node: ast.AST) -> bool:
        """Whether ``node`` uses torch, the model or a tensor-only method (not plain Python)."""
        for n in ast.walk(node):
            if isinstance(n, ast.Name) and (self.r.aliases.get(n.id, "").startswith("torch") or
                                            n.id in self.models and isinstance(n.ctx, ast.Load)):
                return True
            if isinstance(n, ast.Attribute) and n.attr in _TENSOR_METHODS:
                return True
        return False

    def call_stmt(self, stmt: ast.Expr, indent: str) -> None:
        call = stmt.value
        assert isinstance(call, ast.Call)
        qual = self.r.qualname(call.func) or ""
        if qual == "torch.manual_seed":
            self.emit(indent, f"keras.utils.set_random_seed({ast.unparse(call.args[0])})")
        elif isinstance(call.func, ast.Attribute) and call.func.attr in ("eval", "train") and \
                ast.unparse(call.func.value) in self.models:
            return  # Keras picks training/inference mode per call (fit vs predict)
        elif isinstance(call.func, ast.Attribute) and call.func.attr == "load_state_dict" and \
                [ast.unparse(a) for a in call.args] in ([r] for r in self.restored):
            self.emit(indent, "# the best weights: restored by EarlyStopping(restore_best_weights="
                              "True)")
        elif not self._mentions_torch(stmt):
            self.emit(indent, ast.unparse(stmt))
        else:
            self.todo(stmt, indent, "unrecognised PyTorch call")

    def assign(self, stmt: ast.Assign, indent: str) -> None:
        target, value = ast.unparse(stmt.targets[0]), stmt.value
        qual = self.r.qualname(value.func) if isinstance(value, ast.Call) else None
        name = qual.rsplit(".", 1)[-1] if qual else ""
        if qual and qual.startswith("torch.nn.") and name.endswith("Loss") and \
                isinstance(value, ast.Call):
            made = keras_loss(name, value)
            if made.startswith("!"):
                self.todo(stmt, indent, f"loss not translated: {made[1:]}")
            else:
                self.loss[target] = made
        elif qual and qual.startswith("torch.optim.lr_scheduler.") and isinstance(value, ast.Call):
            self.schedulers[target] = (name, value)  # translated where the loop steps it
        elif qual and qual.startswith("torch.optim.") and name in OPTIMIZERS:
            assert isinstance(value, ast.Call)  # a qualname was found for its callee
            self.optim[target] = self.optimizer(name, value, target)
        elif qual and qual.startswith("torch.") and name in _NUMPY and \
                isinstance(value, ast.Call) and not value.keywords:
            args = ", ".join(ast.unparse(a) for a in value.args)
            self.ranks[target] = len(value.args)
            self.out.uses_numpy = True
            self.emit(indent, f"{target} = {_NUMPY[name].format(args=args)}")
        elif (labels := float_randint(value, self.r)) is not None:  # binary float targets
            low, high, size = (ast.unparse(a) for a in labels.args)
            self.out.uses_numpy = True
            self.emit(indent, f'{target} = np.random.randint({low}, {high}, size={size})'
                              '.astype("float32")')
        elif qual == "torch.randint" and isinstance(value, ast.Call) and len(value.args) == 3:
            low, high, size = (ast.unparse(a) for a in value.args)
            self.out.uses_numpy = True
            self.emit(indent, f"{target} = np.random.randint({low}, {high}, size={size})")
        elif qual and qual.endswith("TensorDataset") and isinstance(value, ast.Call) and \
                len(value.args) == 2 and not value.keywords:
            self.datasets[target] = value  # read by the DataLoader over it
        elif qual and qual.endswith("DataLoader") and isinstance(value, ast.Call):
            self.loader(target, value, stmt, indent)
        elif isinstance(value, ast.Call) and ast.unparse(value.func) in self.models:
            self.model_call(target, value, indent)
        elif self.no_grad and isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute) \
                and value.func.attr == "numpy" and isinstance(value.func.value, ast.Call) and \
                ast.unparse(value.func.value.func) in self.models:
            self.model_call(target, value.func.value, indent)  # predict() returns NumPy already
        elif isinstance(value, ast.Call) and ast.unparse(value.func) in self.loss and \
                self.evaluation(target, value, indent):
            pass
        elif not self._mentions_torch(stmt):
            self.emit(indent, ast.unparse(stmt))
        else:
            self.todo(stmt, indent, "unrecognised PyTorch expression")

    def model_call(self, target: str, call: ast.Call, indent: str) -> None:
        """``out = model(x)``: ``predict`` under ``no_grad`` (a NumPy array), else a call."""
        model, args = ast.unparse(call.func), ", ".join(self._data(a) for a in call.args)
        if self.no_grad and len(call.args) == 1 and not call.keywords:
            self.predicted[target] = (model, ast.unparse(call.args[0]))
            self.emit(indent, f"{target} = {model}.predict({args}, verbose=0)")
        else:
            self.emit(indent, f"{target} = {model}({args}, training=False)")

    def evaluation(self, target: str, call: ast.Call, indent: str) -> bool:
        """``val_loss = criterion(model(x), y)`` under ``no_grad`` -> ``model.evaluate(x, y)``
        when the model was compiled with the same loss; False when that does not hold."""
        if not self.no_grad or len(call.args) != 2:
            return False
        (pred, loss), y = self._of_output(call), call.args[1]
        if isinstance(y, ast.Call) and isinstance(y.func, ast.Attribute) and \
                y.func.attr in ("view_as", "reshape", "view"):
            y = y.func.value  # Keras matches the target's shape to the output itself
        if isinstance(pred, ast.Call) and ast.unparse(pred.func) in self.models \
                and len(pred.args) == 1:
            model, x = ast.unparse(pred.func), ast.unparse(pred.args[0])
        elif isinstance(pred, ast.Name) and pred.id in self.predicted:
            model, x = self.predicted[pred.id]
        else:
            return False
        if self.compiled.get(model) != loss:
            return False  # evaluate() computes the compiled loss only
        x_node = ast.parse(x, mode="eval").body
        self.scalars.add(target)
        self.emit(indent, f"{target} = {model}.evaluate({self._data(x_node)}, "
                          f"{ast.unparse(y)}, batch_size=len({x}), verbose=0)")
        return True

    def _of_output(self, call: ast.Call) -> tuple[ast.expr, str]:
        """(the prediction a loss call reads, the Keras loss): ``loss_fn(torch.log(p), y)`` is
        the loss of probabilities ``p`` (NLL -> sparse crossentropy, KLDivLoss -> KLDivergence)."""
        pred, loss = call.args[0], self.loss[ast.unparse(call.func)]
        of_probs = {KL_LOSS: "keras.losses.KLDivergence()",
                    SPARSE_LOSS: "keras.losses.SparseCategoricalCrossentropy()"}
        if isinstance(pred, ast.Call) and (self.r.qualname(pred.func) or "") == "torch.log" \
                and loss in of_probs and len(pred.args) == 1:
            return pred.args[0], of_probs[loss]
        return pred, loss

    def _data(self, node: ast.expr) -> str:
        """A model input array, transposed to channels-last when the model wants it."""
        text = ast.unparse(node)
        if self.perm is None:
            return text
        return f"np.transpose({text}, {self.perm})"

    def optimizer(self, name: str, call: ast.Call, target: str) -> str:
        """The Keras optimizer for ``torch.optim.<name>(...)`` (``learning_rate=LR`` stands for
        the rate or the schedule the loop decides)."""
        text, self.lr[target], l2_class = keras_optimizer(name, call)
        if l2_class:
            self.l2[target] = l2_class
        return text

    def loader(self, target: str, call: ast.Call, stmt: ast.stmt, indent: str) -> None:
        ds = call.args[0] if call.args else None
        if isinstance(ds, ast.Name) and ds.id in self.datasets:
            ds = self.datasets[ds.id]
        if not (isinstance(ds, ast.Call) and (self.r.qualname(ds.func) or "").endswith(
                "TensorDataset") and len(ds.args) == 2):
            self.todo(stmt, indent, "only DataLoader(TensorDataset(X, Y), ...) is translated")
            return
        kws = {k.arg: ast.unparse(k.value) for k in call.keywords}
        self.loaders[target] = (ast.unparse(ds.args[0]), ast.unparse(ds.args[1]),
                                kws.get("batch_size", "1"), kws.get("shuffle", "False"))

    def loop(self, stmt: ast.For, indent: str) -> None:
        text = ast.unparse(stmt)
        if ".backward()" not in text or not (isinstance(stmt.iter, ast.Call) and
                                              ast.unparse(stmt.iter.func) == "range"):
            self.todo(stmt, indent, "loop is not a recognised training loop")
            return
        epochs = ast.unparse(stmt.iter.args[-1])
        inner = next((s for s in stmt.body if isinstance(s, ast.For)), None)
        region = inner if inner is not None else ast.Module(
            [s for s in stmt.body if not isinstance(s, ast.With | ast.If)], [])
        loss_call = next((n for n in ast.walk(region) if isinstance(n, ast.Call)
                          and ast.unparse(n.func) in self.loss), None)
        model_call = next((n for n in ast.walk(region) if isinstance(n, ast.Call)
                           and ast.unparse(n.func) in self.models), None)
        opt = next((o for o in self.optim if f"{o}.step()" in text), None)
        if loss_call is None or model_call is None or opt is None or len(loss_call.args) != 2:
            self.todo(stmt, indent, "training loop without a recognised model/loss/optimizer")
            return
        model = ast.unparse(model_call.func)
        target = ast.unparse(loss_call.args[1])
        pred, loss = self._of_output(loss_call)
        preds = {ast.unparse(n.targets[0]) for n in ast.walk(region) if isinstance(n, ast.Assign)
                 and n.value is model_call}
        if pred is not model_call and ast.unparse(pred) not in preds:
            self.todo(stmt, indent, f"the loss takes {ast.unparse(loss_call.args[0])}, not the "
                                    "model's output")
            return
        if inner is not None and ast.unparse(inner.iter) in self.loaders:
            x_src, y, batch, shuffle = self.loaders[ast.unparse(inner.iter)]
            fit = f"{self._data(ast.parse(x_src, mode='eval').body)}, {y}, epochs={epochs}, " \
                  f"batch_size={batch}, shuffle={shuffle}"
        else:
            x = model_call.args[0]
            self.emit(indent, "# The PyTorch loop took one full-batch step per epoch.")
            fit = f"{self._data(x)}, {target}, epochs={epochs}, batch_size=len({ast.unparse(x)})"
        callbacks: list[str] = []
        used: set[int] = {id(inner)}
        fit += self._validation(stmt, loss, callbacks, used)
        optimizer = self._scheduled(stmt, opt, inner, callbacks, indent)
        self._leftovers(stmt, used, indent)
        if callbacks:
            fit += f", callbacks=[{', '.join(callbacks)}]"
        if "print(" not in text:
            fit += ", verbose=0"  # the PyTorch loop printed nothing
        if self.ranks.get(target) == 1 and loss in ('"mse"', '"mae"'):
            self.out.notes.append(
                f"line {loss_call.lineno}: {target} is 1-D: if the model returns (N, 1), torch's "
                f"{ast.unparse(loss_call.func)} broadcasts the pair to (N, N) (its UserWarning); "
                f"Keras' {loss} matches them per sample, so the translation trains on the "
                "per-sample loss")
        self.compiled[model] = loss
        if opt in self.l2:
            self.out.lines += [indent + line if line else ""
                               for line in L2_CLASS.format(name=self.l2[opt][:-6]).splitlines()]
            self.out.lines += ["", ""]
        self.emit(indent, f"{model}.compile(optimizer={optimizer}, loss={loss})")
        self.emit(indent, f"{model}.fit({fit})")
        if "print(" in text:
            self.out.notes.append(f"line {stmt.lineno}: prints inside the training loop were "
                                  "replaced by Keras' progress output")

    def _leftovers(self, stmt: ast.For, used: set[int], indent: str) -> None:
        """A TODO line and a note for each statement of the loop that fit() does not carry."""
        for s in not_carried(stmt, used, set(self.models) | set(self.loss)):
            first = ast.unparse(s).splitlines()[0]
            self.emit(indent, f"# TODO(mlsense): not carried into fit() (line {s.lineno}): "
                              f"{first}")
            self.out.notes.append(f"line {s.lineno}: training code not translated (not carried "
                                  f"into fit()): {first}")

    def _validation(self, stmt: ast.For, loss: str, callbacks: list[str],
                    used: set[int]) -> str:
        """``, validation_data=(x, y)`` for a ``no_grad`` loss of the model in the epoch loop, and
        the EarlyStopping / checkpoint callbacks of the standard pattern on it."""
        for s in stmt.body:
            if not (isinstance(s, ast.With) and "no_grad" in ast.unparse(s.items[0].context_expr)):
                continue
            for a in ast.walk(s):
                call = a.value if isinstance(a, ast.Assign) else None
                if isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute) and \
                        call.func.attr == "item":
                    call = call.func.value
                if not (isinstance(a, ast.Assign) and isinstance(call, ast.Call) and
                        ast.unparse(call.func) in self.loss and len(call.args) == 2):
                    continue
                (pred, val_loss), y = self._of_output(call), call.args[1]
                outputs = {ast.unparse(n.targets[0]): n.value for n in ast.walk(s)
                           if isinstance(n, ast.Assign) and len(n.targets) == 1}
                if isinstance(pred, ast.Name) and pred.id in outputs:
                    pred = outputs[pred.id]  # pred = model(x_val); loss_fn(pred, ...)
                if isinstance(y, ast.Call) and isinstance(y.func, ast.Attribute) and \
                        y.func.attr in ("view_as", "reshape", "view"):
                    y = y.func.value
                if not (isinstance(pred, ast.Call) and ast.unparse(pred.func) in self.models
                        and len(pred.args) == 1):
                    continue
                if val_loss != loss:
                    return ""  # validation with another loss: fit() reports the compiled one
                val = ast.unparse(a.targets[0])
                used.add(id(s))
                used.add(self._early_stop(stmt, val, callbacks))
                return f", validation_data=({self._data(pred.args[0])}, {ast.unparse(y)})"
        return ""

    def _early_stop(self, stmt: ast.For, val: str, callbacks: list[str]) -> int:
        """The early-stopping callbacks of the loop's pattern on ``val``; the id of its ``if``
        (0: none)."""
        for s in stmt.body:
            found = early_stopping(s, val) if isinstance(s, ast.If) else None
            if found is None or not isinstance(s, ast.If):
                continue
            call, saves = found
            copies = [ast.unparse(n.targets[0]) for n in ast.walk(ast.Module(s.body, []))
                      if isinstance(n, ast.Assign) and "state_dict()" in ast.unparse(n.value)
                      and "save" not in ast.unparse(n.value)]
            if copies:
                self.restored.update(copies)
                call = call[:-1] + ", restore_best_weights=True)"
            callbacks.append(call)
            if saves:
                callbacks.append('keras.callbacks.ModelCheckpoint("best.weights.h5", '
                                 'monitor="val_loss", save_best_only=True, '
                                 'save_weights_only=True)')
                self.out.notes.append(f"line {s.lineno}: the best weights are saved by Keras' "
                                      "ModelCheckpoint to best.weights.h5 (Keras needs that "
                                      "suffix), not as a torch state_dict")
            return id(s)
        return 0

    def _scheduled(self, stmt: ast.For, opt: str, inner: ast.For | None,
                   callbacks: list[str], indent: str) -> str:
        """The optimizer with its learning rate, a schedule in it or a callback for it."""
        lr = self.lr[opt]
        step = next(((name, n) for n in ast.walk(stmt) for name in self.schedulers
                     if isinstance(n, ast.Call) and ast.unparse(n) == f"{name}.step()"), None)
        plain = self.optim[opt].replace("learning_rate=LR", f"learning_rate={lr}")
        if step is None:
            return plain
        name, call = step
        kind, ctor = self.schedulers[name]
        args = bind(ctor, kind)
        per_batch = inner is None or call in set(ast.walk(inner))
        made = per_step_schedule(kind, args, lr) if per_batch else \
            per_epoch_callback(kind, args, lr)
        if made.startswith("!"):
            self.todo(ast.Expr(ctor, lineno=ctor.lineno), indent, made[1:])
            return plain
        if "momentum=" in self.optim[opt] and "momentum=0," not in self.optim[opt] and \
                self.optim[opt].split("(")[0].endswith(("SGD", "SGDWithL2")):
            why = ("SGD momentum under a changing learning rate: torch's buffer sums gradients "
                   "and the current rate scales it, Keras' sums rate-scaled steps, so the updates "
                   "differ after each change of the rate")
            self.emit(indent, f"# TODO(mlsense): {why}")
            self.out.notes.append(f"line {ctor.lineno}: {why}")
        if kind == "OneCycleLR":
            self.out.lines += [indent + line if line else "" for line in
                               ONE_CYCLE_CLASS.splitlines()]
            self.out.lines += ["", ""]
        if not per_batch:
            callbacks.append(made)
            self.out.notes.append(f"line {ctor.lineno}: {name} steps once an epoch: a Keras "
                                  "LearningRateScheduler callback sets the same rate per epoch")
            return plain
        return self.optim[opt].replace("learning_rate=LR", f"learning_rate={made}")
