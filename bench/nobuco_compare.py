"""nobuco on the PyTorch bench models: convert each to Keras, compare outputs with torch, time it.

Runs in nobuco's own venv (Keras 2; create it with ``bash bench/setup_nobuco.sh``), never in the
project venv, and never imports mlsense (the jobs carry everything mlsense knows):

    bench/.work/venv-nobuco-tf215/bin/python bench/nobuco_compare.py \
        [--jobs bench/.work/nobuco_jobs.json] [--json OUT.json]

A job is ``{"model", "path", "source_model", "inputs": [{"shape", "dtype", "vocab"}, ...]}``:
the model expression and input shapes (batch axis excluded) that mlsense's translator found for
the file. ``bench/translate_bench.py`` writes the jobs file on every run. Each model is built by
executing its file (bench models hold definitions only) and evaluating ``source_model``; a batch of
2 seeded random inputs goes through ``nobuco.pytorch_to_keras`` (channel order kept as in torch,
so outputs compare element by element) and then through both models. Converted = conversion
succeeded and max abs error <= 1e-4. Without ``--json``: a table and the success share; with it,
the same rows as JSON in that file (nobuco prints its own conversion trees on stdout).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import re
import sys
import time
import traceback
from pathlib import Path
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # before TensorFlow is imported

ATOL = 1e-4
ROOT = Path(__file__).resolve().parents[1]
DEFAULT_JOBS = ROOT / "bench" / ".work" / "nobuco_jobs.json"


def _torchvision_without_ops() -> str:
    """Make ``import torchvision`` work when its compiled ops cannot load; returns a note or "".

    nobuco imports torchvision (undeclared in its METADATA). The only torchvision for torch
    2.13.0 on PyPI (0.28.0) is a CUDA build whose ``_C.so`` needs ``libc10_cuda.so``, absent from
    the CPU torch wheel; torchvision then guards most of its op registrations but still calls
    ``register_fake("torchvision::nms")`` / ``("torchvision::qnms")``, which raises "operator
    does not exist". Declaring those two schemas (no kernels) lets it import. The bench models
    use no torchvision op, so this changes nothing about their conversion.
    """
    import ctypes
    import importlib.util

    import torch

    spec = importlib.util.find_spec("torchvision")
    if spec is None or not spec.submodule_search_locations:
        return ""
    so = Path(next(iter(spec.submodule_search_locations))) / "_C.so"
    try:
        ctypes.CDLL(str(so))
        return ""
    except OSError as exc:
        global _TV_LIB  # the Library must stay alive for the definitions to stay registered
        _TV_LIB = torch.library.Library("torchvision", "DEF")
        _TV_LIB.define("nms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor")
        _TV_LIB.define("qnms(Tensor qdets, Tensor scores, float iou_threshold) -> Tensor")
        return f"torchvision ops stubbed ({str(exc).split(':')[0]} missing)"


_TV_LIB: Any = None


def import_stack() -> tuple[dict[str, Any], str]:
    """Import numpy/torch/TF/Keras/nobuco; returns (modules, version line). Raises on failure."""
    start = time.perf_counter()
    tv_note = _torchvision_without_ops()
    from importlib.metadata import version

    import keras
    import nobuco
    import numpy as np
    import tensorflow as tf
    import torch

    mods = {"np": np, "torch": torch, "nobuco": nobuco, "ChannelOrder": nobuco.ChannelOrder}
    env = (f"nobuco {version('nobuco')}, tensorflow {tf.__version__}, keras {keras.__version__}, "
           f"torch {torch.__version__}, numpy {np.__version__}; imports "
           f"{time.perf_counter() - start:.1f}s" + (f"; {tv_note}" if tv_note else ""))
    return mods, env


def make_inputs(mods: dict[str, Any], specs: list[dict[str, Any]]) -> list[Any]:
    """A seeded batch of 2 per input: token ids below ``vocab`` for int inputs, N(0, 1) otherwise."""
    np, torch = mods["np"], mods["torch"]
    rng = np.random.default_rng(0)
    args = []
    for spec in specs:
        shape = (2, *spec["shape"])
        if str(spec["dtype"]).startswith("int"):
            args.append(torch.from_numpy(rng.integers(0, spec.get("vocab") or 2, shape)))
        else:
            args.append(torch.from_numpy(rng.standard_normal(shape).astype("float32")))
    return args


def _unimplemented(log: str) -> str:
    """The ops nobuco found no converter for, from its captured log ("torch.relu, ...") or "".

    After "Unimplemented nodes:" nobuco prints the call tree again with each op lacking a
    converter in inverse video (ESC[7m) as ``name[module]``.
    """
    section = log.partition("Unimplemented nodes:")[2]
    found = re.findall(r"\x1b\[7m([\w.]+)\[([\w.]+)\]", section)
    return ", ".join(dict.fromkeys(f"{module}.{name}" for name, module in found))


def convert_one(mods: dict[str, Any], job: dict[str, Any]) -> dict[str, Any]:
    """Build, convert, run and compare one model; a row with ok / max_abs / convert_s / error."""
    np, torch, nobuco = mods["np"], mods["torch"], mods["nobuco"]
    row: dict[str, Any] = {"model": job["model"], "ok": False}
    log = io.StringIO()
    try:
        ns: dict[str, Any] = {"__name__": "nobuco_bench", "__file__": job["path"]}
        code = Path(job["path"]).read_text(encoding="utf-8")
        exec(compile(code, job["path"], "exec"), ns)  # bench models are definitions only
        torch.manual_seed(0)
        model = eval(job["source_model"], ns).eval()
        args = make_inputs(mods, job["inputs"])
        order = mods["ChannelOrder"].PYTORCH
        start = time.perf_counter()
        with contextlib.redirect_stdout(log), contextlib.redirect_stderr(log):
            keras_model = nobuco.pytorch_to_keras(model, args=args, inputs_channel_order=order,
                                                  outputs_channel_order=order)
        row["convert_s"] = time.perf_counter() - start
        # nobuco's output is a traced graph: count the op-lambda layers among the Keras layers
        kinds = [type(layer).__name__ for layer in keras_model.layers]
        row["layers"], row["lambda_layers"] = len(kinds), sum("Lambda" in k for k in kinds)
        with torch.no_grad():
            ref = model(*args)
        refs = list(ref) if isinstance(ref, (list, tuple)) else [ref]
        got = keras_model([a.numpy() for a in args], training=False)
        gots = list(got) if isinstance(got, (list, tuple)) else [got]
        row["max_abs"] = max(float(np.abs(np.asarray(g) - r.numpy()).max())
                             for g, r in zip(gots, refs, strict=True))
        row["ok"] = row["max_abs"] <= ATOL
        if not row["ok"]:
            row["error"] = f"outputs differ (max abs err {row['max_abs']:.2e} > {ATOL:g})"
    except Exception as exc:  # one model's failure is a row, not the end of the run
        row.setdefault("convert_s", None)
        missing = _unimplemented(log.getvalue())
        row["error"] = f"{type(exc).__name__}: {str(exc)[:200]}" + (
            f" (nobuco has no converter for {missing})" if missing else "")
    return row


def table(env: str, rows: list[dict[str, Any]]) -> str:
    """The rows as text: model | converted? | max abs err | time, then the success share."""
    lines = [f"nobuco on the PyTorch bench models ({env})", "",
             f"{'model':<24} {'converted?':<11} {'max abs err':<12} {'time':>8}  lambda layers",
             "-" * 74]
    for r in rows:
        err = "-" if r.get("max_abs") is None else f"{r['max_abs']:.2e}"
        t = "-" if r.get("convert_s") is None else f"{r['convert_s']:.2f}s"
        lam = f"{r['lambda_layers']}/{r['layers']}" if "layers" in r else "-"
        lines.append(f"{r['model']:<24} {'yes' if r['ok'] else 'NO':<11} {err:<12} {t:>8}  {lam}")
    lines += [f"  ! {r['model']}: {r['error']}" for r in rows if r.get("error")]
    ok = sum(r["ok"] for r in rows)
    share = 100 * ok / len(rows) if rows else 0.0
    lines.append(f"\nconverted (max abs err <= {ATOL:g}) {ok}/{len(rows)} ({share:.0f}%); time = "
                 "pytorch_to_keras incl. its per-node validation; nobuco emits a traced Keras "
                 "graph (op-lambda layers), not source")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Convert every job's model; exit 0 even when models fail (the rows say why), 2 on setup."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=Path, default=DEFAULT_JOBS)
    parser.add_argument("--json", type=Path, help="write {env, rows} or {import_error} here")
    args = parser.parse_args(argv)
    if not args.jobs.exists():
        print(f"{args.jobs} does not exist: run bench/translate_bench.py once (it writes the "
              "model expressions and input shapes mlsense found)", file=sys.stderr)
        return 2
    jobs = json.loads(args.jobs.read_text(encoding="utf-8"))
    try:
        mods, env = import_stack()
    except Exception as exc:
        result: dict[str, Any] = {"import_error": f"{type(exc).__name__}: {exc}",
                                  "where": traceback.format_exc().strip().splitlines()[-3].strip()}
    else:
        result = {"env": env, "rows": []}
        for job in jobs:
            result["rows"].append(convert_one(mods, job))
            print(f"nobuco {job['model']}: ok={result['rows'][-1]['ok']}", file=sys.stderr)
    if args.json:
        args.json.write_text(json.dumps(result), encoding="utf-8")
    elif "import_error" in result:
        print(f"nobuco cannot be imported: {result['import_error']}\n  at {result['where']}")
    else:
        print(table(result["env"], result["rows"]))
    return 2 if "import_error" in result else 0


if __name__ == "__main__":
    sys.exit(main())
