"""The shape oracle: every model of the corpus (tests/fixtures/semantics, bench/models) run for
real, each statement's runtime tensor shapes against the shape hints the editor shows.

    .venv/bin/python bench/shape_oracle.py [--gaps] [--out bench/results/shape_oracle.txt]

Static side: the hints of ``analyzers/semantics/hints.py`` (what ``textDocument/inlayHint``
shows), by statement. Runtime side: ``python -m mlsense.translators.verify.oracle`` (one
subprocess for all models) runs each file, builds its model and runs it on the input the static
side assumed (batch 2; where that input has symbols, ``H``/``W``/``L``..., their values come
from the translator's input spec), recording every statement that binds or returns a tensor.
A hint agrees when each of its dims equals the runtime one: ``N`` is 2 in the model's run,
symbols of the input take the run's values, other symbols bind to what they meet (the same
symbol twice in a shape must meet the same number), expressions (``H/2``, ``C*H*W``) are
evaluated. Per model: statements with a runtime tensor, with a hint, agreeing, disagreeing;
coverage = statements with a hint / statements with a runtime tensor.
"""

from __future__ import annotations

import argparse
import ast
import json
import re
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import libcst as cst

ROOT = Path(__file__).resolve().parents[1]
CORPUS = [ROOT / "tests" / "fixtures" / "semantics", ROOT / "bench" / "models" / "torch",
          ROOT / "bench" / "models" / "keras"]
BATCH = 2
_DEFAULTS = {"L": 16, "H": 32, "W": 32, "D": 8, "T": 16}
_BARE = re.compile(r"[A-Za-z_]\w*")


@dataclass
class ModelResult:
    """One file's comparison."""

    path: Path
    framework: str
    runtime: int = 0  # statements with a runtime tensor
    hinted: int = 0
    agree: int = 0
    disagree: list[str] = field(default_factory=list)  # "line 12 x: (N, 3) != [2, 4]"
    gaps: list[str] = field(default_factory=list)  # statements with a tensor and no hint
    params: int = 0  # parameter-count hints checked against the built layer
    error: str | None = None

    @property
    def name(self) -> str:
        return f"{self.path.parent.name}/{self.path.stem}"


def corpus_files() -> list[Path]:
    return [p for folder in CORPUS for p in sorted(folder.glob("*.py"))]


def _framework(text: str) -> str:
    return "keras" if re.search(r"^\s*(import|from)\s+(keras|tensorflow)", text, re.M) \
        else "pytorch"


# -- static side ------------------------------------------------------------------------------
def static_side(path: Path) -> tuple[Any, list[Any]]:
    """The analysed version of ``path`` and its hints, as the server computes them."""
    from mlsense.analyzers.engine import DocumentAnalyzer
    from mlsense.analyzers.semantics.hints import file_hints

    analyzer = DocumentAnalyzer(str(path))
    analyzer.analyze(path.read_text(encoding="utf-8"))
    parse = analyzer.last_parse
    assert parse is not None, path
    return parse, list(file_hints(parse))


def _model_input(parse: Any, expr: str) -> tuple[Any, ...] | None:
    """The input the static side assumes for the model built by ``expr`` (``Net()`` or a
    variable bound at the top level to a class call or a Sequential)."""
    from mlsense.analyzers.semantics.hints import file_facts
    from mlsense.analyzers.semantics.modules import chunk_classes
    from mlsense.analyzers.semantics.sequential import chunk_models

    bindings, inputs, definitions = file_facts(parse)
    target: str | None = None
    call: cst.BaseExpression | None = None
    m = re.fullmatch(r"(\w+)\(.*\)", expr)
    if m:
        target = m.group(1)
    for chunk, _ in parse.chunks:
        for stmt in chunk.module.body if chunk.module is not None else ():
            for small in getattr(stmt, "body", ()) if isinstance(
                    stmt, cst.SimpleStatementLine) else ():
                if isinstance(small, cst.Assign) and len(small.targets) == 1 \
                        and isinstance(small.targets[0].target, cst.Name) \
                        and small.targets[0].target.value == expr:
                    call = small.value
                    if isinstance(call, cst.Call) and isinstance(call.func, cst.Name):
                        target = call.func.value
    for chunk, _ in parse.chunks:
        for model in chunk_models(chunk, parse.imports, inputs):
            if model.node is call:
                return model.input
        for cls in chunk_classes(chunk, parse.imports, bindings, inputs, definitions):
            if cls.node.name.value == target:
                return cls.input
    return None


def _case(path: Path, parse: Any) -> tuple[dict[str, Any], dict[str, int]]:
    """The runtime case of one file (the model to build and its inputs) and the values the
    static input's symbols take in the run."""
    text = path.read_text(encoding="utf-8")
    framework = _framework(text)
    expr, specs = None, None
    try:
        from mlsense.translators import translate

        translation = translate(text, "keras" if framework == "pytorch" else "pytorch",
                                filename=str(path))
        expr, specs = translation.source_model, [s.as_dict() for s in translation.inputs]
    except Exception:  # noqa: BLE001 - not translatable: the file's `model`, the static input
        if re.search(r"^model\s*=", text, re.M):
            expr = "model"
    stated = _oracle_lines(text)
    if "model" in stated:
        expr = stated["model"]
    if "input" in stated:  # `# oracle: input (2, 3, 64, 64)`: what the run feeds
        specs = [{"shape": list(ast.literal_eval(stated["input"]))[1:], "dtype": "float32",
                  "vocab": None}]
    static = _model_input(parse, expr) if expr else None
    bound: dict[str, int] = {"N": BATCH}
    if static is not None:
        given = specs[0]["shape"] if specs and len(specs) == 1 else None
        dims = []
        for i, d in enumerate(static):
            if isinstance(d, int):
                dims.append(d)
            elif i == 0:
                dims.append(BATCH)
            else:
                value = given[i - 1] if given and len(given) == len(static) - 1 \
                    else _DEFAULTS.get(d, 8)
                bound[d] = value
                dims.append(value)
        spec = dict(specs[0]) if specs and len(specs) == 1 else {
            "dtype": "int64" if "Embedding" in text else "float32", "vocab": None}
        spec["shape"] = dims
        specs = [spec]
    elif specs is not None:
        specs = [{**s, "shape": [BATCH, *s["shape"]]} for s in specs]
    return {"path": str(path), "model": expr, "inputs": specs}, bound


def _oracle_lines(text: str) -> dict[str, str]:
    """``# oracle: model Net(in_chans=3)`` / ``# oracle: input (2, 3, 64, 64)``: how to run a
    file whose input nothing else states (the static side never reads these lines)."""
    return {m.group(1): m.group(2).strip()
            for m in re.finditer(r"^# oracle: (model|input) (.+)$", text, re.M)}


# -- comparison -------------------------------------------------------------------------------
def matches(static: tuple[Any, ...], runtime: list[int | None], bound: dict[str, int]) -> bool:
    """Whether a static shape states the runtime one (see the module's docstring)."""
    if len(static) != len(runtime):
        return False
    env = dict(bound)
    for s, r in zip(static, runtime, strict=True):
        if s == "?":  # the hint says this size is not known
            continue
        if isinstance(s, int):
            if r != s:
                return False
        elif _BARE.fullmatch(s) and r is not None:
            if env.setdefault(s, r) != r:
                return False
    for s, r in zip(static, runtime, strict=True):
        if isinstance(s, str) and s != "?" and not _BARE.fullmatch(s):
            if r is None:
                continue
            try:
                value = eval(s.replace("/", "//"), {"__builtins__": {}}, env)  # noqa: S307
            except NameError:
                return False
            if value != r:
                return False
        elif isinstance(s, str) and r is None and s in bound and s != "N":
            return False  # a dim the run knows came out unknown: not what the hint says
    return True


def compare(path: Path, hints: list[Any], records: list[dict[str, Any]],
            bound: dict[str, int], error: str | None) -> ModelResult:
    from mlsense.analyzers.semantics.dims import fmt_shape

    text = path.read_text(encoding="utf-8")
    result = ModelResult(path, _framework(text), error=error)
    static: dict[tuple[int, int], dict[str, Any]] = {}
    counts: dict[tuple[int, int], int] = {}
    for hint in hints:
        if hint.shapes:
            static.setdefault((hint.range[0] + 1, hint.range[1]), {}).update(hint.shapes)
        if hint.params is not None and not hint.total:
            counts[(hint.range[0] + 1, hint.range[1])] = hint.params
    by_key: dict[tuple[int, int], list[dict[str, Any]]] = {}
    for record in records:
        if record["context"] == "params":  # a built layer's parameters
            key = (record["key"][0], record["key"][1])
            if key in counts and len(record["shapes"]) == 1:
                result.params += 1
                if counts[key] != record["shapes"][0]:
                    result.disagree.append(f"line {key[0]} params: {counts[key]} != "
                                           f"{record['shapes'][0]}")
            continue
        by_key.setdefault(tuple(record["key"]), []).append(record)  # type: ignore[arg-type]
    for key, group in sorted(by_key.items()):
        result.runtime += 1
        hinted = static.get(key, {})
        complete, wrong = True, []
        for record in group:
            env = bound if record["context"] == "run" else {}
            shape = hinted.get(record["name"])
            if shape is None:
                complete = False
                continue
            for runtime in record["shapes"]:
                if not isinstance(runtime, list) or runtime and isinstance(runtime[0], list) \
                        or not matches(shape, runtime, env):
                    wrong.append(f"line {key[0]} {record['name'] or 'layer'}: "
                                 f"{fmt_shape(shape)} != {runtime}")
        if wrong:
            result.disagree.extend(wrong)
        elif complete:
            result.hinted += 1
            result.agree += 1
        else:
            line = text.splitlines()[key[0] - 1].strip()
            result.gaps.append(f"line {key[0]}: {line[:70]}")
        if wrong:
            result.hinted += 1
    return result


def run_oracle(files: list[Path] | None = None) -> list[ModelResult]:
    """Every corpus model's comparison; one oracle subprocess for all."""
    files = files or corpus_files()
    statics = [static_side(p) for p in files]
    cases, bounds = zip(*(_case(p, parse) for p, (parse, _) in zip(files, statics, strict=True)),
                        strict=True)
    proc = subprocess.run([sys.executable, "-m", "mlsense.translators.verify.oracle"],
                          input=json.dumps(list(cases)), capture_output=True, text=True,
                          cwd=ROOT, timeout=600, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"the oracle failed:\n{proc.stderr[-3000:]}")
    runs = json.loads(proc.stdout.strip().splitlines()[-1])
    # The run's constructor arguments give the parameter names of symbolic hints their values.
    return [compare(p, hints, run["records"], {**run.get("arguments", {}), **bound}, run["error"])
            for p, (_, hints), run, bound in zip(files, statics, runs, bounds, strict=True)]


def table(results: list[ModelResult], gaps: bool = False) -> str:
    rows = [f"mlsense shape oracle  {time.strftime('%Y-%m-%d %H:%M')}", "",
            f"  {'model':<40}{'framework':>10}{'runtime':>9}{'hinted':>8}{'agree':>7}"
            f"{'disagree':>10}"]
    for r in results:
        rows.append(f"  {r.name:<40}{r.framework:>10}{r.runtime:>9}{r.hinted:>8}{r.agree:>7}"
                    f"{len(r.disagree):>10}" + ("  (run failed)" if r.error else ""))
        rows += [f"      ! {d}" for d in r.disagree]
        rows += [f"      - {g}" for g in r.gaps] if gaps else []
    runtime, hinted = sum(r.runtime for r in results), sum(r.hinted for r in results)
    agree, disagree = sum(r.agree for r in results), sum(len(r.disagree) for r in results)
    rows += [f"  {'all (' + str(len(results)) + ' models)':<40}{'':>10}{runtime:>9}{hinted:>8}"
             f"{agree:>7}{disagree:>10}", "",
             f"coverage: {hinted} / {runtime} statements with a runtime tensor have a hint "
             f"({100 * hinted / max(runtime, 1):.1f}%); {disagree} disagreements; "
             f"{sum(r.params for r in results)} parameter counts checked; "
             f"{sum(r.error is not None for r in results)} runs failed.",
             "runtime: statements (forward/call and their helpers, module-level and builder "
             "assignments, Sequential elements) that bound or returned a tensor in the run;",
             "hinted: those whose every tensor has a shape hint; agree/disagree: hint vs runtime."]
    return "\n".join(rows) + "\n"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--gaps", action="store_true", help="list the statements without a hint")
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "shape_oracle.txt")
    args = ap.parse_args()
    start, cpu = time.perf_counter(), time.process_time()
    results = run_oracle()
    text = table(results, args.gaps)
    sys.stdout.write(text)
    for r in results:
        if r.error:
            sys.stdout.write(f"\n{r.name}: {r.error}\n")
    sys.stdout.write(f"\n{time.perf_counter() - start:.1f} s wall, "
                     f"{time.process_time() - cpu:.1f} s CPU here (+ the oracle subprocess)\n")
    if args.out and not args.gaps:
        args.out.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
