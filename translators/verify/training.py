"""The training check, in the worker: a few optimisation steps on both sides, compared.

After the forward check both models hold the same weights. Each side builds its loss and
optimizer as its script does (:mod:`.recipe`, evaluated in the executed definitions), both get
the same seeded batches in the same order, and after steps 1 and 3 the losses and the updated
weights (the Keras ones brought to torch's layout through the weight map) are compared. The
libraries' dropout layers are switched off on both sides (their training masks cannot match);
random draws and dropout the model's code calls itself are fixed as in the forward check
(``models.FixedNoise``). A model taking an RNN state gets it whole and packed, as there.
"""

from __future__ import annotations

import sys
import time
import types
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from typing import Any

import numpy as np

from ..weights import keras_state, to_torch
from .models import (
    BATCH,
    Models,
    StageError,
    call_keras,
    flatten_outputs,
    make_inputs,
    pack,
    permute,
    resolve_keras_path,
)
from .recipe import PRED, Recipe, RecipeError, find_recipe, free_names

STEPS = 3
CHECKED = (1, 3)
TRAIN_BATCH = 8
_CLASS_LOSSES = ("CrossEntropyLoss", "NLLLoss")
_BINARY_LOSSES = ("BCELoss", "BCEWithLogitsLoss")


def _recipes(models: Models) -> tuple[Recipe | None, Recipe | None]:
    tr, req = models.tr, models.req
    src = find_recipe(req["source_text"], tr["source_framework"], tr["source_model"])
    if src is None:
        return None, None
    try:
        tgt = find_recipe(tr["target_code"], tr["target_framework"], tr["target_model"])
    except RecipeError as exc:
        raise StageError("training check", f"translated training code: {exc}") from exc
    if tgt is None:
        raise StageError("training check", "the source trains, the translation has no "
                                           "training code (see its TODO comments)")
    return src, tgt


def _torch_side(models: Models, recipe: Recipe,
                ns: dict[str, Any]) -> tuple[Any, Any, str, Any]:
    torch = models.torch
    env = {**ns, recipe.model_var: models.torch_model}
    optimizer = eval(recipe.optimizer or "", env)  # noqa: S307 - the script's own expression
    scheduler = eval(recipe.scheduler, {**env, recipe.optimizer_var: optimizer}) \
        if recipe.scheduler and recipe.per_batch else None  # noqa: S307
    candidates = [n for n in free_names(recipe.loss)
                  if n not in ns or isinstance(ns[n], torch.Tensor | np.ndarray)]
    if len(candidates) != 1:
        raise StageError("training check", f"cannot tell the target in the loss "
                         f"{recipe.loss.replace(PRED, 'prediction')} (line {recipe.line})")
    loss_fn = eval(f"lambda {PRED}, {candidates[0]}: {recipe.loss}", env)  # noqa: S307
    kind = next((type(v).__name__ for k, v in ns.items() if k in free_names(recipe.loss)
                 and isinstance(v, torch.nn.Module) and type(v).__module__.startswith(
                     "torch.nn.modules.loss")), "")
    return optimizer, loss_fn, kind, scheduler


def _takes_packed(models: Models) -> bool:
    """Whether the model takes more than its data: an RNN state (a whole or grouped spec)."""
    return any(s.get("whole") or s.get("group") is not None for s in models.tr["inputs"])


def _keras_trainer(models: Models) -> Any:
    """The Keras model ``train_on_batch`` runs: the model itself, or, when it takes a state
    besides its data, a wrapper taking all packed arguments as one list (``train_step`` calls
    ``model(x)`` with one argument) and giving the output the loss compares (the first, as on
    the torch side). The wrapper holds the model, so the model's own weights are trained."""
    inner = models.keras_model
    if not _takes_packed(models):
        return inner
    keras = models.keras

    class PackedArguments(keras.Model):  # type: ignore[misc, name-defined]
        def __init__(self) -> None:
            super().__init__()
            self.inner = inner

        def call(self, xs: list[Any], training: bool | None = None) -> Any:
            return flatten_outputs(call_keras(self.inner, list(xs), bool(training)))[0]

    return PackedArguments()


def _keras_compile(models: Models, recipe: Recipe, ns: dict[str, Any]) -> Any:
    """The compiled Keras model the steps train (:func:`_keras_trainer`)."""
    opt = eval(recipe.optimizer, ns) if recipe.optimizer else "rmsprop"  # noqa: S307
    loss = eval(recipe.loss, ns)  # noqa: S307 - the script's own expression
    trainer = _keras_trainer(models)
    # Eager steps: the same train_step and ops as fit's; tracing it into a tf.function would
    # cost 1-2 s per compile (every request) for three steps of a small batch.
    trainer.compile(optimizer=opt, loss=loss, jit_compile=False, run_eagerly=True)
    return trainer


class _NoDynamo(types.ModuleType):
    """What torch.optim asks of ``torch._dynamo`` outside compilation: two no-ops.

    An optimizer's first ``add_param_group`` / ``step`` imports ``torch._dynamo`` (about 2 s
    of a cold check, sympy included) only to call ``disable(fn)`` and ``graph_break()``, which
    change nothing when nothing is compiled. Anything else asked of it loads the real module.
    """

    def __init__(self, touched: list[Any]) -> None:
        super().__init__("torch._dynamo")
        self.touched = touched

    def graph_break(self) -> None:
        """A no-op outside torch.compile."""

    def disable(self, fn: Any, recursive: bool = True, wrapping: bool = True) -> Any:
        """``fn`` itself (torch caches it on ``fn``; the cache is removed afterwards)."""
        self.touched.append(fn)
        return fn

    def __getattr__(self, name: str) -> Any:
        if sys.modules.get("torch._dynamo") is self:
            del sys.modules["torch._dynamo"]
        import importlib

        return getattr(importlib.import_module("torch._dynamo"), name)


@contextmanager
def _without_dynamo_import() -> Iterator[None]:
    """Run torch's optimizers without importing ``torch._dynamo`` when it is not loaded yet."""
    if "torch._dynamo" in sys.modules:
        yield
        return
    touched: list[Any] = []
    sys.modules["torch._dynamo"] = _NoDynamo(touched)
    try:
        yield
    finally:
        if isinstance(sys.modules.get("torch._dynamo"), _NoDynamo):
            del sys.modules["torch._dynamo"]
        for fn in touched:  # torch._disable_dynamo's per-function cache: the real one next time
            if fn.__dict__.get("__dynamo_disable") is fn:
                del fn.__dict__["__dynamo_disable"]


def _no_dropout(models: Models) -> bool:
    """Switch off the libraries' own dropout layers, whose training masks cannot match. A
    dropout the model's code calls itself (a custom layer's ``keras.random.dropout``, a literal
    ``F.dropout(x, p, training=True)``) keeps its rate: the steps run with fixed masks."""
    found = False
    for m in models.torch_model.modules():
        if _library_class(m, "torch.nn.", ("Dropout", "AlphaDropout")):
            m.p, found = 0.0, True
    for layer in models.keras_model._flatten_layers():  # noqa: SLF001 - every nested layer
        if _library_class(layer, "keras.", ("Dropout", "SpatialDropout", "GaussianDropout",
                                            "AlphaDropout")):
            layer.rate, found = 0.0, True
    return found


def _library_class(obj: Any, module: str, names: tuple[str, ...]) -> bool:
    """Whether ``obj`` is (a subclass of) one of the library's classes ``names...``."""
    return any(c.__name__.startswith(names) and c.__module__.startswith(module)
               for c in type(obj).__mro__)


def _batches(models: Models, kind: str, keras_loss: str) -> list[tuple[list[Any], Any, Any]]:
    """(torch inputs, torch target, Keras (inputs, target)) per step, seeded, in order."""
    torch = models.torch
    rng = np.random.default_rng(models.req.get("seed", 0) + 1)
    specs = models.tr["inputs"]
    # a state's shape holds the batch it was traced at: the data keeps that batch too
    batch = BATCH if _takes_packed(models) else TRAIN_BATCH
    out_spec = (models.tr.get("outputs") or [{}])[0].get("to_target")
    batches = []
    for _ in range(STEPS):
        src = make_inputs(specs, rng, batch)
        tgt = [permute(a, s.get("to_target")) for a, s in zip(src, specs, strict=True)]
        t_in, k_in = (src, tgt) if models.from_torch else (tgt, src)
        xs = pack([torch.from_numpy(a).to(models.device) for a in t_in], specs)
        with torch.no_grad():
            shape = tuple(flatten_outputs(models.torch_model(*xs))[0].shape)
        lowered = keras_loss.lower()
        if "categorical" in lowered and "sparse" not in lowered and "one_hot" not in lowered:
            y_t = np.eye(shape[-1], dtype=np.float32)[rng.integers(0, shape[-1], size=shape[:-1])]
            y_k = y_t
        elif kind in _CLASS_LOSSES or "sparse" in lowered:
            y_t = rng.integers(0, shape[-1], size=shape[:-1]).astype(np.int64)
            y_k = y_t
        elif kind == "KLDivLoss" or "kl_divergence" in lowered or "kldivergence" in lowered:
            logits = rng.standard_normal(shape)  # targets are probability distributions
            y_t = (np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)).astype(np.float32)
            y_k = y_t
        else:
            y_t = (rng.integers(0, 2, size=shape) if kind in _BINARY_LOSSES or "binary" in
                   keras_loss else rng.standard_normal(shape)).astype(np.float32)
            y_k = permute(y_t, out_spec, inverse=not models.from_torch) if out_spec else y_t
        batches.append((xs, torch.from_numpy(y_t).to(models.device), (pack(k_in, specs), y_k)))
    return batches


def _eps_floor(optimizer: Any, keras_optimizer: Any) -> float:
    """The gradient size under which Adam updates depend on where epsilon goes (0: not Adam).

    Keras adds epsilon after the bias correction, torch before: at step t the two differ by
    about ``eps / (sqrt(1 - beta2 ** t) * |g|)`` of the update, so below ``100 * eps /
    sqrt(1 - beta2)`` they differ by more than 1 % by design (and a gradient of rounding noise,
    such as a bias before a batch norm, gets an arbitrary update on both sides). The smaller of
    the two epsilons is used, so a wrong one in the translation does not hide itself."""
    k_eps = getattr(keras_optimizer, "epsilon", None)
    if "Adam" not in type(keras_optimizer).__name__ or not isinstance(k_eps, float | int):
        return 0.0
    floors = [100 * min(g["eps"], float(k_eps)) / float(np.sqrt(1 - g["betas"][1]))
              for g in optimizer.param_groups if "betas" in g and "eps" in g]
    return max(floors, default=0.0)


def _weight_errors(models: Models, atol: float, rtol: float, small: dict[int, np.ndarray],
                   start_w: dict[int, np.ndarray] | None) -> dict[str, Any]:
    """Max abs difference of the mapped trainable weights (those whose gradients stayed over the
    epsilon floor), whether all are close, the worst tensor, and what was left out. With
    ``start_w`` (after several steps) each tensor may also differ by 1 % of its largest update:
    what the left-out weights carry into the others' later gradients."""
    modules = dict(models.torch_model.named_modules())
    row: dict[str, Any] = {"max_weight_error": 0.0, "weights_close": True, "worst": "",
                           "excluded": 0, "excluded_max_error": 0.0}
    for wt in models.tr["weight_map"]:
        module = modules[wt["torch_path"]]
        layer = resolve_keras_path(models.keras_model, wt["keras_path"])
        k_vars = {k: np.asarray(models.keras.ops.convert_to_numpy(v))
                  for k, v in keras_state(layer).items()}
        as_torch = to_torch(wt["kind"], k_vars, wt["params"])
        for name, param in module.named_parameters():
            if name not in as_torch or not param.numel():
                continue
            t = param.detach().cpu().numpy().astype(np.float64)
            k = np.asarray(as_torch[name], dtype=np.float64).reshape(t.shape)
            skip = small.get(id(param), np.zeros(t.shape, dtype=bool))
            diff = np.abs(t - k)
            if skip.any():
                row["excluded"] += int(skip.sum())
                row["excluded_max_error"] = max(row["excluded_max_error"], float(diff[skip].max()))
            if skip.all():
                continue
            err = float(diff[~skip].max())
            carried = 0.0
            if start_w is not None and id(param) in start_w:
                carried = 0.01 * float(np.abs(t - start_w[id(param)]).max())
            row["weights_close"] &= bool(np.all(diff[~skip] <= atol + carried
                                                + rtol * np.abs(t[~skip])))
            if err >= row["max_weight_error"]:
                row["max_weight_error"] = err
                row["worst"] = f"{wt['torch_path']}.{name} (line {wt['line']})"
    return row


def _torch_loss(models: Models, loss_fn: Any, xs: list[Any], y_t: Any) -> Any:
    """One torch step's loss, its gradients computed (inside the fixed draws, as Keras's)."""
    loss = loss_fn(flatten_outputs(models.torch_model(*xs))[0], y_t)
    loss.backward()
    return loss


def training_check(models: Models, atol: float = 1e-4, rtol: float = 1e-3) -> dict[str, Any]:
    """Run the steps on both sides and compare; the result dict goes into the report."""
    with _without_dynamo_import():
        return _training_check(models, atol, rtol)


def _training_check(models: Models, atol: float, rtol: float) -> dict[str, Any]:
    start = time.perf_counter()
    try:
        src, tgt = _recipes(models)
    except RecipeError as exc:
        raise StageError("training check", f"source training code: {exc}") from exc
    if src is None or tgt is None:
        return {"ran": False, "message": "no training code in the source"}
    t_recipe, k_recipe = (src, tgt) if models.from_torch else (tgt, src)
    t_ns, k_ns = (models.src_ns, models.tgt_ns) if models.from_torch else (
        models.tgt_ns, models.src_ns)
    optimizer, loss_fn, kind, scheduler = _torch_side(models, t_recipe, t_ns)
    trainer = _keras_compile(models, k_recipe, k_ns)
    notes = ["dropout switched off on both sides"] if _no_dropout(models) else []
    notes += [f"not covered: {r.untested}" for r in (t_recipe, k_recipe) if r.untested]
    if scheduler is not None:
        notes.append("the learning-rate schedule followed at every step")
    models.torch_model.train()
    result: dict[str, Any] = {"ran": True, "steps": [], "atol": atol, "rtol": rtol,
                              "notes": notes, "torch_loss": [], "keras_loss": []}
    class_weight = eval(k_recipe.class_weight, k_ns) if k_recipe.class_weight else None  # noqa: S307
    floor = _eps_floor(optimizer, trainer.optimizer)
    small: dict[int, np.ndarray] = {}  # param -> its elements under the epsilon floor
    start_w = {id(p): p.detach().cpu().numpy().astype(np.float64)
               for p in models.torch_model.parameters()}
    for step, (xs, y_t, (k_in, y_k)) in enumerate(_batches(models, kind, k_recipe.loss), 1):
        optimizer.zero_grad()
        loss = models.noise.run(partial(_torch_loss, models, loss_fn, xs, y_t), "torch")
        for param in models.torch_model.parameters():
            if floor and param.grad is not None:
                under = param.grad.detach().abs().cpu().numpy() < floor
                small[id(param)] = small[id(param)] | under if id(param) in small else under
        optimizer.step()
        if scheduler is not None:
            scheduler.step()
        k_x = k_in[0] if len(k_in) == 1 else list(k_in)
        k_loss = models.noise.run(partial(trainer.train_on_batch, k_x, y_k,
                                          class_weight=class_weight), "keras")
        result["torch_loss"].append(float(loss.item()))
        result["keras_loss"].append(float(np.ravel(k_loss)[0]))
        if step in CHECKED:
            lt, lk = result["torch_loss"][-1], result["keras_loss"][-1]
            result["steps"].append({"step": step, **_weight_errors(
                models, atol, rtol, small,
                start_w if step > 1 and any(m.any() for m in small.values()) else None),
                                    "loss_close": abs(lt - lk) <= atol + rtol * abs(lt)})
    losses_close = all(abs(a - b) <= atol + rtol * abs(a)
                       for a, b in zip(result["torch_loss"], result["keras_loss"], strict=True))
    result["verified"] = losses_close and all(s["weights_close"] for s in result["steps"])
    result["max_weight_error"] = max(s["max_weight_error"] for s in result["steps"])
    last = result["steps"][-1]
    if last["excluded"]:
        notes.append(f"{last['excluded']} weights whose gradient fell under {floor:.2g} not "
                     f"compared (Adam's epsilon: Keras adds it after the bias correction, "
                     f"torch before); their max difference {last['excluded_max_error']:.2g}")
    fixed = models.noise.note()
    if fixed:
        notes.append(fixed)
    result["duration_s"] = round(time.perf_counter() - start, 3)
    return result
