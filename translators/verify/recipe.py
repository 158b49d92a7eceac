"""The training recipe of a script, read from its source: which loss and optimizer it trains with.

Keras: the ``model.compile(optimizer=..., loss=...)`` call. PyTorch: the loop that calls
``loss.backward()``: its optimizer (the object whose ``step()`` it calls, as constructed at its
assignment), and its loss expression with the model's output replaced by ``__pred`` (so
``criterion(model(x), y)`` and ``loss_fn(pred, yb.view_as(pred))`` both become a function of the
prediction and the target). Names bound to another expression at module level are inlined
(``opt = keras.optimizers.Adam(1e-3)``; ``model.compile(optimizer=opt)``), because the verifier
executes definitions only and optimizers are not among them. Pure ``ast``: no framework here.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

PRED = "__pred"


@dataclass
class Recipe:
    """How one script trains; the expressions are evaluated in the script's namespace."""

    framework: str
    model_var: str
    optimizer: str | None  # None: Keras' default (rmsprop)
    loss: str  # Keras: the loss argument; PyTorch: an expression of __pred and the target
    line: int
    scheduler: str | None = None  # PyTorch: the lr scheduler built over the optimizer
    optimizer_var: str = "optimizer"  # PyTorch: the name the scheduler's expression reads
    per_batch: bool = False  # PyTorch: the scheduler steps with every optimizer step
    untested: str | None = None  # a schedule the few checked steps do not exercise
    class_weight: str | None = None  # Keras: fit(class_weight=...), given to train_on_batch


class RecipeError(ValueError):
    """The script trains, but not in a way the training check can reproduce (with its line)."""


def _assignments(tree: ast.Module) -> dict[str, ast.expr]:
    found: dict[str, ast.expr] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(
                node.targets[0], ast.Name):
            found.setdefault(node.targets[0].id, node.value)
    return found


_TRAINING_OBJECTS = ("optimizers", "schedules", "lr_scheduler", "losses", "Decay", "Schedule")


class _Inline(ast.NodeTransformer):
    """Names bound to a call at module level -> that call, when it builds an optimizer, a loss
    or a schedule (the verifier's definitions-only namespace does not have them)."""

    def __init__(self, assigned: dict[str, ast.expr]) -> None:
        self.assigned, self.seen = assigned, set[str]()

    def visit_Name(self, node: ast.Name) -> ast.AST:
        value = self.assigned.get(node.id)
        if not isinstance(value, ast.Call) or node.id in self.seen or not any(
                part in ast.unparse(value.func) for part in _TRAINING_OBJECTS):
            return node
        self.seen.add(node.id)
        return self.visit(ast.parse(ast.unparse(value), mode="eval").body)


def _inline(node: ast.expr, assigned: dict[str, ast.expr]) -> str:
    if isinstance(node, ast.Name) and isinstance(assigned.get(node.id), ast.Call):
        node = assigned[node.id]
    return ast.unparse(_Inline(assigned).visit(ast.parse(ast.unparse(node), mode="eval").body))


def _arg(call: ast.Call, name: str, pos: int) -> ast.expr | None:
    for k in call.keywords:
        if k.arg == name:
            return k.value
    return call.args[pos] if pos < len(call.args) else None


def keras_recipe(tree: ast.Module, model_var: str | None) -> Recipe | None:
    """The ``compile`` call of ``model_var`` (or of the first compiled model); None when the
    script compiles nothing or never calls ``fit``/``train_on_batch``."""
    calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call)
             and isinstance(n.func, ast.Attribute) and n.func.attr == "compile"
             and isinstance(n.func.value, ast.Name)]
    mine = [c for c in calls if model_var is None or
            isinstance(c.func, ast.Attribute) and ast.unparse(c.func.value) == model_var]
    call = mine[0] if mine else (calls[0] if calls else None)
    trains = any(isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)
                 and n.func.attr in ("fit", "train_on_batch") for n in ast.walk(tree))
    if call is None or not trains:
        return None  # compiled for evaluation only, or not at all: nothing is trained
    assert isinstance(call.func, ast.Attribute)
    assigned = _assignments(tree)
    loss, opt = _arg(call, "loss", 1), _arg(call, "optimizer", 0)
    if loss is None:
        raise RecipeError(f"line {call.lineno}: compile() without a loss")
    callback = next((n for n in ast.walk(tree) if isinstance(n, ast.Call)
                     and ast.unparse(n.func).endswith("LearningRateScheduler")), None)
    untested = None if callback is None else (
        f"line {callback.lineno}: the LearningRateScheduler callback runs at epoch starts, "
        "which the checked steps do not reach")
    weights = next((k.value for n in ast.walk(tree) if isinstance(n, ast.Call)
                    and isinstance(n.func, ast.Attribute) and n.func.attr == "fit"
                    for k in n.keywords if k.arg == "class_weight"), None)
    return Recipe("keras", ast.unparse(call.func.value),
                  _inline(opt, assigned) if opt is not None else None,
                  _inline(loss, assigned), call.lineno, untested=untested,
                  class_weight=_inline(weights, assigned) if weights is not None else None)


class _PredSubst(ast.NodeTransformer):
    def __init__(self, model: str, preds: set[str]) -> None:
        self.model, self.preds = model, preds

    def visit_Call(self, node: ast.Call) -> ast.AST:
        if isinstance(node.func, ast.Name) and node.func.id == self.model:
            return ast.Name(PRED, ast.Load())
        self.generic_visit(node)
        return node

    def visit_Name(self, node: ast.Name) -> ast.AST:
        return ast.Name(PRED, ast.Load()) if node.id in self.preds else node


def _method_owner(loop: ast.AST, method: str) -> str | None:
    for n in ast.walk(loop):
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and \
                n.func.attr == method and isinstance(n.func.value, ast.Name):
            return n.func.value.id
    return None


def _first_name(target: ast.expr) -> str | None:
    """The name a model's prediction is bound to: ``out = model(x)``, or the first of a tuple,
    ``output, hidden = model(x, hidden)`` (the first output, as the check compares)."""
    if isinstance(target, ast.Tuple | ast.List) and target.elts:
        target = target.elts[0]
    return target.id if isinstance(target, ast.Name) else None


def torch_recipe(tree: ast.Module) -> Recipe | None:
    """The loop calling ``backward()``: its optimizer and loss; None when the script has none."""
    loop = next((n for n in ast.walk(tree) if isinstance(n, ast.For | ast.While)
                 and _method_owner(n, "backward")), None)
    if loop is None:
        return None
    where = f"line {loop.lineno}"
    assigned = _assignments(tree)
    owners = [n.func.value.id for n in ast.walk(loop) if isinstance(n, ast.Call)
              and isinstance(n.func, ast.Attribute) and n.func.attr == "step"
              and isinstance(n.func.value, ast.Name)]
    # the optimizer is the stepped object built over parameters (a scheduler steps too)
    opt_name = next((o for o in owners if "parameters()" in ast.unparse(assigned.get(o) or
                                                                      ast.Pass())),
                    owners[0] if owners else None)
    loss_name = _method_owner(loop, "backward")
    opt = assigned.get(opt_name or "")
    if not isinstance(opt, ast.Call):
        raise RecipeError(f"{where}: the training loop's optimizer is not built by a call")
    owner = next((n.func.value for n in ast.walk(opt) if isinstance(n, ast.Call)
                  and isinstance(n.func, ast.Attribute) and n.func.attr == "parameters"), None)
    if not isinstance(owner, ast.Name):
        raise RecipeError(f"{where}: the optimizer is not built over model.parameters()")
    model = owner.id
    loss_value = next((n.value for n in ast.walk(loop) if isinstance(n, ast.Assign)
                       and [ast.unparse(t) for t in n.targets] == [loss_name]), None)
    if loss_value is None:
        raise RecipeError(f"{where}: no assignment of the loss {loss_name} in the loop")
    calls = [n for n in ast.walk(loop) if isinstance(n, ast.Assign) and len(n.targets) == 1
             and isinstance(n.value, ast.Call) and isinstance(n.value.func, ast.Name)
             and n.value.func.id == model]
    preds = {name for n in calls if (name := _first_name(n.targets[0])) is not None}
    expr = _PredSubst(model, preds).visit(ast.parse(ast.unparse(loss_value), mode="eval"))
    if PRED not in {n.id for n in ast.walk(expr) if isinstance(n, ast.Name)}:
        raise RecipeError(f"{where}: the loss does not use the model's output")
    recipe = Recipe("pytorch", model, ast.unparse(opt), ast.unparse(expr.body), loss_value.lineno,
                    optimizer_var=opt_name or "optimizer")
    _scheduler(loop, assigned, recipe)
    return recipe


def _innermost_loop(loop: ast.AST, target: ast.AST) -> ast.AST | None:
    """The deepest for/while loop inside ``loop`` (itself included) that holds ``target``."""
    for child in ast.iter_child_nodes(loop):
        if target in set(ast.walk(child)):
            inner = _innermost_loop(child, target)
            if inner is not None:
                return inner
    return loop if isinstance(loop, ast.For | ast.While) and target in set(ast.walk(loop)) else None


def _scheduler(loop: ast.AST, assigned: dict[str, ast.expr], recipe: Recipe) -> None:
    """The lr scheduler stepped in ``loop`` (built over the optimizer), and whether it steps
    with every optimizer step."""
    steps = {ast.unparse(n.func.value): n for n in ast.walk(loop) if isinstance(n, ast.Call)
             and isinstance(n.func, ast.Attribute) and n.func.attr == "step"}
    opt_step = steps.pop(recipe.optimizer_var, None)
    for name, call in steps.items():
        value = assigned.get(name)
        if isinstance(value, ast.Call) and any(isinstance(a, ast.Name) and a.id ==
                                               recipe.optimizer_var for a in value.args):
            recipe.scheduler = ast.unparse(value)
            recipe.per_batch = _innermost_loop(loop, call) is _innermost_loop(loop, opt_step) \
                if opt_step is not None else False
            if not recipe.per_batch:
                recipe.untested = (f"line {call.lineno}: {name}.step() runs once an epoch, "
                                   "after the checked steps")
            return


def find_recipe(source: str, framework: str, model_expr: str) -> Recipe | None:
    """The recipe of ``source`` (a ``framework`` script); None when it has no training code.

    Raises :class:`RecipeError` when it trains in a way the check cannot reproduce.
    """
    tree = ast.parse(source)
    if framework == "keras":
        return keras_recipe(tree, model_expr if model_expr.isidentifier() else None)
    return torch_recipe(tree)


def free_names(expr: str) -> list[str]:
    """Names an expression reads, in order, without ``__pred``."""
    names = [n.id for n in ast.walk(ast.parse(expr, mode="eval")) if isinstance(n, ast.Name)]
    return [n for n in dict.fromkeys(names) if n != PRED]
