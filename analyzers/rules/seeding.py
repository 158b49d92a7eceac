"""Randomness in a training script that never seeds (MLS115, off by default): ``torch.randn``,
``np.random.*``, ``random.*`` with no seed set anywhere in the file. A module rule: the seed
may be set in any statement. Each statement's summary is memoized."""

from __future__ import annotations

import functools

import libcst as cst

from ..context import ChunkContext
from ..findings import Severity
from ..registry import ModuleRule, RuleInfo, register
from ..walk import iter_nodes

_TORCH_RANDOM = frozenset(f"torch.{n}" for n in (
    "rand", "randn", "randint", "randperm", "normal", "bernoulli", "multinomial", "rand_like",
    "randn_like", "randint_like"))
_PYTHON_RANDOM = frozenset(f"random.{n}" for n in (
    "random", "randint", "randrange", "choice", "choices", "shuffle", "sample", "uniform",
    "gauss", "normalvariate"))
# numpy.random functions that do not draw numbers (or take the seed).
_NUMPY_NOT_DRAWS = frozenset(("seed", "RandomState", "default_rng", "Generator", "SeedSequence",
                              "get_state", "set_state", "PCG64", "MT19937", "Philox", "SFC64",
                              "BitGenerator"))
# Statement text that shows training (what the rule is about) and text that shows a seed.
_TRAINING = (".backward(", ".fit(", "optimizer", "train_step")


def _draws(ctx: ChunkContext, call: cst.Call) -> bool:
    q = ctx.call_qualname(call)
    if q is None:
        return False
    if q in _TORCH_RANDOM or q in _PYTHON_RANDOM:
        return True
    if q == "numpy.random.default_rng":
        return not call.args  # an unseeded generator
    return q.startswith("numpy.random.") and q.count(".") == 2 \
        and q.rpartition(".")[2] not in _NUMPY_NOT_DRAWS


def _first_draw(ctx: ChunkContext) -> cst.Call | None:
    """The statement's first draw of random numbers."""
    return next((n for n in iter_nodes([ctx.module])
                 if isinstance(n, cst.Call) and _draws(ctx, n)), None)


def _summarize(ctx: ChunkContext) -> tuple[bool, bool, bool, bool]:
    """Whether the statement may draw random numbers, seeds, trains, and makes the file a
    script (``__main__``, ``ArgumentParser(``, a training loop at module level): a model
    library or a test file is not a training script."""
    text = ctx.chunk.text
    seeds = "seed" in text.lower()
    trains = any(w in text for w in _TRAINING)
    script = "__main__" in text or "ArgumentParser(" in text \
        or (trains and _starts_with_loop(ctx))
    draws = any(w in text for w in ("rand", "normal", "choice", "shuffle", "sample", "uniform",
                                     "gauss", "bernoulli", "multinomial"))
    return draws, seeds, trains, script


def _starts_with_loop(ctx: ChunkContext) -> bool:
    body = ctx.module.body  # parses the statement: asked only of one that trains
    return bool(body) and isinstance(body[0], cst.For | cst.While)


@register
class UnseededRandomnessRule(ModuleRule):
    """A training script draws random numbers and never sets a seed."""

    family = "reproducibility"
    rules = (
        RuleInfo("MLS115", "unseeded-randomness",
                 "this training script draws random numbers but never sets a seed: every run "
                 "starts from different weights, data order and augmentations, so results "
                 "cannot be reproduced; seed `random`, `numpy` and `torch` once at start-up",
                 Severity.INFORMATION, default_enabled=False),
    )

    def check(self) -> None:
        if not self.ctx.imports.imports_any("torch", "numpy", "random"):
            return
        trains = script = False
        drawing: list[ChunkContext] = []
        for chunk in self.ctx.chunks:
            draws, seeds, chunk_trains, chunk_script = self.ctx.memo(
                chunk, "unseeded-randomness", functools.partial(_summarize, chunk))
            if seeds:
                return
            trains |= chunk_trains
            script |= chunk_script
            if draws:
                drawing.append(chunk)
        if not (trains and script):
            return
        for chunk in drawing:
            call = self.ctx.memo(chunk, "first-random-draw", functools.partial(_first_draw, chunk))
            if call is not None:
                chunk.report(call, "MLS115")
                return
