"""Definitions-only extraction of a model file, so verification can build the model without
training it, loading data or printing.

Kept: imports, ``def``/``class``, module-level assignments that build things (``model =
keras.Sequential([...])``, ``criterion = nn.MSELoss()``), and ``if``/``try`` blocks filtered the same
way, and ``for`` loops whose whole body is kept (``for f in [64, 128]: model.add(...)``, layers
applied to a graph's tensors). Dropped: other loops, ``with`` blocks, ``if __name__ == "__main__":``, bare expression statements
(``model.fit(...)``, ``print(...)``) except model-building calls (``model.add(layer)``,
``nn.init.zeros_(w)``), assignments whose value calls a training / evaluation / I/O
function (``history = model.fit(...)``, ``df = pd.read_csv(...)``), and assignments that use a name
no kept statement defines (``loss = criterion(outputs, y)`` once the loop defining ``outputs`` is
gone). Pure ``ast``: nothing here imports a framework, and kept nodes keep their line numbers.
"""

from __future__ import annotations

import ast
import builtins
from dataclasses import dataclass, field

# Calls that train, evaluate, run, load or print: an assignment calling one is dropped.
_DROP_CALLS = frozenset({
    "fit", "fit_generator", "evaluate", "evaluate_generator", "predict", "predict_generator",
    "predict_on_batch", "test_on_batch", "backward", "step", "zero_grad", "compile", "summary",
    "print", "input", "open", "load", "load_data", "load_weights", "load_state_dict", "save",
    "save_weights", "read_csv", "read_parquet", "read_json", "loadtxt", "genfromtxt",
    "urlretrieve", "plot_model", "show", "savefig", "item", "tolist", "backward_step",
})
_DROP_PREFIXES = ("train",)
# Optimizers are training state; building one also imports torch._dynamo (~3 s on first use).
_OPTIMIZERS = frozenset({
    "Adam", "AdamW", "SGD", "RMSprop", "Adagrad", "Adadelta", "Adamax", "Nadam", "NAdam", "RAdam",
    "LBFGS", "Ftrl", "Lion", "SparseAdam", "ASGD", "Rprop", "Adafactor", "Muon",
})
_OPTIMIZER_MODULES = frozenset({"optim", "optimizers", "lr_scheduler", "schedules"})
# Bare calls that build a model (``model.add(layer)``, ``nn.init.zeros_(w)``) are kept.
_BUILD_CALLS = frozenset({
    "add", "build", "append", "extend", "insert", "add_module", "register_buffer",
    "register_parameter", "register_module", "update", "setdefault", "apply", "setattr",
})
_BUILTINS = frozenset(dir(builtins)) | {"__name__", "__file__", "__doc__"}


class ExtractError(ValueError):
    """The source does not parse: ``line``/``column`` locate the syntax error (1-based line)."""

    def __init__(self, message: str, line: int, column: int = 0) -> None:
        super().__init__(f"line {line}: {message}")
        self.line, self.column = line, column


@dataclass
class Extraction:
    """The kept statements (an ``ast.Module`` with original line numbers) and what was dropped."""

    module: ast.Module
    dropped: list[tuple[int, str]] = field(default_factory=list)  # (line, reason)
    defined: set[str] = field(default_factory=set)

    @property
    def code(self) -> str:
        """The kept definitions as source text (comments are not kept)."""
        return ast.unparse(self.module)


def _call_name(func: ast.expr) -> str | None:
    if isinstance(func, ast.Attribute):
        return func.attr
    if isinstance(func, ast.Name):
        return func.id
    return None


def _dotted_parts(func: ast.expr) -> list[str]:
    parts = []
    while isinstance(func, ast.Attribute):
        parts.append(func.attr)
        func = func.value
    if isinstance(func, ast.Name):
        parts.append(func.id)
    return parts


def _drop_call(node: ast.AST) -> str | None:
    """Why ``node`` must not run: the first training / I-O / optimizer call inside it."""
    for sub in ast.walk(node):
        if isinstance(sub, ast.Call):
            name = _call_name(sub.func)
            if name and (name in _DROP_CALLS or name.startswith(_DROP_PREFIXES)):
                return f"calls {name}()"
            parts = _dotted_parts(sub.func)
            if name in _OPTIMIZERS or _OPTIMIZER_MODULES & set(parts[1:]):
                return f"builds an optimizer ({'.'.join(reversed(parts))})"
    return None


def _free_names(node: ast.AST) -> set[str]:
    """Names ``node`` reads that it does not bind itself (comprehension targets, lambda args)."""
    loaded: set[str] = set()
    bound: set[str] = set()
    for sub in ast.walk(node):
        if isinstance(sub, ast.Name):
            (loaded if isinstance(sub.ctx, ast.Load) else bound).add(sub.id)
        elif isinstance(sub, ast.arg):
            bound.add(sub.arg)
    return loaded - bound


def _target_names(targets: list[ast.expr]) -> set[str]:
    names = set()
    for target in targets:
        for sub in ast.walk(target):
            if isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Store):
                names.add(sub.id)
    return names


def _is_main_guard(test: ast.expr) -> bool:
    return (isinstance(test, ast.Compare) and isinstance(test.left, ast.Name)
            and test.left.id == "__name__" and len(test.comparators) == 1
            and isinstance(test.comparators[0], ast.Constant)
            and test.comparators[0].value == "__main__")


class _Filter:
    """Walks statements in order, tracking which names the kept statements define."""

    def __init__(self) -> None:
        self.defined: set[str] = set(_BUILTINS)
        self.dropped: list[tuple[int, str]] = []

    def block(self, body: list[ast.stmt]) -> list[ast.stmt]:
        kept = []
        for stmt in body:
            reason = self._reason_to_drop(stmt)
            if reason is None:
                kept.append(stmt)
            else:
                self.dropped.append((stmt.lineno, reason))
        return kept

    def _nonempty(self, body: list[ast.stmt], anchor: ast.stmt) -> list[ast.stmt]:
        kept = self.block(body)
        return kept or [ast.copy_location(ast.Pass(), anchor)]

    def _reason_to_drop(self, stmt: ast.stmt) -> str | None:  # noqa: C901 - one branch per kind
        if isinstance(stmt, ast.Import | ast.ImportFrom):
            for alias in stmt.names:
                name = alias.asname or alias.name.split(".")[0]
                if name != "*":
                    self.defined.add(name)
            return None
        if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            self.defined.add(stmt.name)
            return None
        if isinstance(stmt, ast.If):
            return self._if(stmt)
        if isinstance(stmt, ast.Try):
            stmt.body = self._nonempty(stmt.body, stmt)
            for handler in stmt.handlers:
                handler.body = self._nonempty(handler.body, handler)  # type: ignore[arg-type]
            stmt.orelse = self.block(stmt.orelse)
            stmt.finalbody = self.block(stmt.finalbody)
            return None
        if isinstance(stmt, ast.Assign | ast.AnnAssign | ast.AugAssign):
            return self._assignment(stmt)
        if isinstance(stmt, ast.Pass):
            return None
        if isinstance(stmt, ast.Expr):
            return self._expression(stmt)
        if isinstance(stmt, ast.For):
            return self._for(stmt)
        if isinstance(stmt, ast.AsyncFor | ast.While):
            return "loop"
        if isinstance(stmt, ast.With | ast.AsyncWith):
            return "with block"
        return f"{type(stmt).__name__.lower()} statement"

    def _for(self, stmt: ast.For) -> str | None:
        """A ``for`` loop that only builds (``model.add(...)``, layers applied to a graph's
        tensors, assignments) is kept whole; one with anything else (training) is dropped."""
        if stmt.orelse or _free_names(stmt.iter) - self.defined:
            return "loop"
        defined, dropped = set(self.defined), list(self.dropped)
        self.defined |= _target_names([stmt.target])
        body = self.block(stmt.body)
        builds = any(isinstance(n, ast.Call) for kept in body for n in ast.walk(kept))
        if len(body) != len(stmt.body) or not builds:
            self.defined, self.dropped = defined, dropped
            return "loop"
        return None

    def _if(self, stmt: ast.If) -> str | None:
        if _is_main_guard(stmt.test):
            return "__main__ block"
        missing = _free_names(stmt.test) - self.defined
        if missing:
            return f"uses undefined {', '.join(sorted(missing))}"
        stmt.body = self._nonempty(stmt.body, stmt)
        stmt.orelse = self.block(stmt.orelse)
        return None

    def _expression(self, stmt: ast.Expr) -> str | None:
        call = stmt.value
        name = _call_name(call.func) if isinstance(call, ast.Call) else None
        builds = name is not None and (name in _BUILD_CALLS or (name.endswith("_")
                                                                and not name.startswith("_")))
        if not builds or _drop_call(call) or _free_names(call) - self.defined:
            return "expression statement"
        return None

    def _assignment(self, stmt: ast.Assign | ast.AnnAssign | ast.AugAssign) -> str | None:
        value = stmt.value
        if value is None:  # a bare annotation binds nothing
            return None
        why = _drop_call(value)
        if why:
            return why
        targets: list[ast.expr] = (list(stmt.targets) if isinstance(stmt, ast.Assign)
                                   else [stmt.target])
        reads = _free_names(value)
        for target in targets:  # `model.trainable = False` reads `model`
            if not isinstance(target, ast.Name):
                reads |= _free_names(target)
        if isinstance(stmt, ast.AugAssign) and isinstance(stmt.target, ast.Name):
            reads.add(stmt.target.id)
        missing = reads - self.defined
        if missing:
            return f"uses undefined {', '.join(sorted(missing))}"
        self.defined |= _target_names(targets)
        return None


def extract_definitions(source: str, filename: str = "<source>") -> Extraction:
    """Parse ``source`` and keep only what builds models (see the module docstring).

    Raises :class:`ExtractError` with the line of a syntax error.
    """
    try:
        tree = ast.parse(source, filename=filename)
    except SyntaxError as exc:
        raise ExtractError(f"syntax error: {exc.msg}", exc.lineno or 1, exc.offset or 0) from exc
    walker = _Filter()
    module = ast.Module(body=walker.block(tree.body), type_ignores=[])
    return Extraction(module=module, dropped=walker.dropped,
                      defined=walker.defined - _BUILTINS)
