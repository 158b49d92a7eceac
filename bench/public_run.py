"""mlsense on public code nobody here wrote (bench/public_corpus.sh extracts it into
bench/.work/public): the checker and the translators, per repository.

    .venv/bin/python bench/public_run.py [CORPUS] [--out bench/results/public.txt]
                                         [--dump bench/.work/public_dump.json]

* check: ``mlsense check --select ALL --output-format json`` on each repository (the real CLI,
  one process); findings per code, files that could not be checked, rule errors, wall time.
* translate: every file that defines a model in one framework (an ``nn.Module`` subclass, or a
  Keras ``Sequential`` / ``Model`` / ``keras.Input``) is translated to the other, in process,
  with a 20 s limit per file; how many translate, and the most frequent reasons they do not.
* ``--dump``: every finding (file, line, column, code) and a hash of every translated source,
  so that two commits can be compared exactly (run once per checkout, diff the dumps).
"""

from __future__ import annotations

import argparse
import collections
import hashlib
import json
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
TORCH_MODEL = re.compile(r"^\s*class\s+\w+\s*\([^)]*\b(nn\.Module|torch\.nn\.Module)\b", re.M)
KERAS_MODEL = re.compile(r"\b(keras|layers)\.(Sequential|Input|Model)\s*\("
                         r"|^\s*from\s+(tensorflow\.)?keras\b", re.M)
TORCH_IMPORT = re.compile(r"^\s*(import torch|from torch)\b", re.M)


def run_check(repo: Path) -> dict:
    cmd = [sys.executable, "-m", "mlsense", "check", "--select", "ALL", "--exit-zero",
           "--no-progress", "--output-format", "json", "-j", "1", str(repo)]
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=1800, cwd=repo)
    wall = time.perf_counter() - start
    findings = json.loads(proc.stdout or "[]")
    return {"wall_s": wall, "findings": findings, "stderr": proc.stderr.strip(),
            "returncode": proc.returncode}


class _Timeout(Exception):
    pass


def _alarm(_signum: int, _frame: object) -> None:
    raise _Timeout


def run_translate(path: Path, worker: Any) -> dict | None:
    """Translate one file if it defines a model; verify the translation when ``worker``."""
    from mlsense.translators import TranslationError, translate

    text = path.read_text(encoding="utf-8", errors="replace")
    if TORCH_MODEL.search(text) and TORCH_IMPORT.search(text):
        to = "keras"
    elif KERAS_MODEL.search(text) and not TORCH_IMPORT.search(text):
        to = "pytorch"
    else:
        return None
    signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(20)
    start = time.perf_counter()
    try:
        tr = translate(text, to, filename=str(path))
        digest = hashlib.sha256(tr.target_code.encode()).hexdigest()[:16]
        result = {"to": to, "ok": True, "hash": digest, "translation": tr}
    except TranslationError as exc:
        first = exc.unsupported[0].reason if exc.unsupported else _reason(str(exc))
        result = {"to": to, "ok": False, "reason": first[:90]}
    except _Timeout:
        result = {"to": to, "ok": False, "reason": "timeout (20 s)"}
    except Exception as exc:  # a crash is a finding of this benchmark, not a stop
        result = {"to": to, "ok": False, "reason": f"CRASH {type(exc).__name__}: {exc}"[:120]}
    finally:
        signal.alarm(0)
    result["s"] = time.perf_counter() - start
    tr = result.pop("translation", None)
    if worker is not None and tr is not None:
        from mlsense.translators.verify import verify_translation

        report = verify_translation(str(path), tr, worker=worker, onnx=False)
        result["verified"] = bool(report.verified)
        if not report.verified:
            result["why"] = _reason(report.message)
    return result


def _reason(message: str) -> str:
    """The reason without its location and the construct's own text (for counting)."""
    first = message.strip().splitlines()[0] if message.strip() else "?"
    first = re.sub(r"^.*?:\d+(:\d+)?:\s*", "", first)  # file:line[:col]:
    return first.split(": ", 1)[-1][:90]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("corpus", type=Path, nargs="?", default=ROOT / "bench" / ".work" / "public")
    ap.add_argument("--out", type=Path, help="write the table here too")
    ap.add_argument("--dump", type=Path, help="every finding and translation, for diffs")
    ap.add_argument("--no-verify", action="store_true",
                    help="translate only (verification runs both models, in a worker process)")
    args = ap.parse_args()
    repos = sorted(p for p in args.corpus.iterdir() if p.is_dir())
    if not repos:
        print(f"no repositories under {args.corpus}: run bench/public_corpus.sh", file=sys.stderr)
        return 2
    import mlsense  # the checkout measured: this one, or another one on PYTHONPATH

    package = Path(mlsense.__file__).parent
    rev = subprocess.run(["git", "-C", str(package), "rev-parse", "--short", "HEAD"],
                         capture_output=True, text=True).stdout.strip()
    lines = [f"mlsense on public code  {time.strftime('%Y-%m-%d %H:%M')}  commit {rev}", ""]
    dump: dict[str, dict] = {}
    worker = None
    if not args.no_verify:
        from mlsense.translators.verify import VerificationWorker

        worker = VerificationWorker(idle_timeout=600)
    codes: collections.Counter[str] = collections.Counter()
    head = f"{'repository':<34} {'snapshot':<19} {'files':>5} {'lines':>7} {'check s':>7} " \
           f"{'findings':>8} {'errors':>6}  {'models':>6} {'transl.':>7} {'transl. s':>9} {'verified':>8}"
    lines += [head, "-" * len(head)]
    reasons: collections.Counter[str] = collections.Counter()
    for repo in repos:
        files = sorted(repo.rglob("*.py"))
        n_lines = sum(len(f.read_bytes().splitlines()) for f in files)
        snap = (repo / ".snapshot").read_text().split() if (repo / ".snapshot").exists() else []
        checked = run_check(repo)
        # rule families that failed and files that could not be checked: stderr lines
        rule_errors = sum(1 for line in checked["stderr"].splitlines() if line.strip())
        for f in checked["findings"]:
            codes[f["code"]] += 1
        translations = {}
        for f in files:
            result = run_translate(f, worker)
            if result is not None:
                translations[str(f.relative_to(repo))] = result
                if not result["ok"]:
                    reasons[f"{result['to']:<7} {result['reason']}"] += 1
        ok = sum(r["ok"] for r in translations.values())
        lines.append(f"{repo.name:<34} {(snap[1][:8] + ' ' + snap[2]) if len(snap) > 2 else '?':<19} "
                     f"{len(files):>5} {n_lines:>7} {checked['wall_s']:>7.1f} "
                     f"{len(checked['findings']):>8} {rule_errors:>6}  {len(translations):>6} "
                     f"{ok:>7} {sum(r.pop('s') for r in translations.values()):>9.1f} "
                     f"{sum(r.get('verified', False) for r in translations.values()):>8}")
        dump[repo.name] = {
            "findings": sorted([str(Path(f["filename"]).relative_to(repo.resolve())),
                                f["location"]["row"], f["location"]["column"], f["code"]]
                               for f in checked["findings"]),
            "translations": translations,
            "stderr": checked["stderr"],
        }
    lines += ["", "findings by code: " + ", ".join(f"{c} {n}" for c, n in sorted(codes.items())),
              "", "why models did not translate (most frequent first):"]
    lines += [f"  {n:>4}  {reason}" for reason, n in reasons.most_common(15)]
    unverified = collections.Counter(r["why"] for repo in dump.values()
                                     for r in repo["translations"].values() if "why" in r)
    if unverified:
        lines += ["", "why translated models did not verify:"]
        lines += [f"  {n:>4}  {why}" for why, n in unverified.most_common(10)]
    if worker is not None:
        worker.close()
    text = "\n".join(lines) + "\n"
    print(text, end="")
    if args.out:
        args.out.write_text(text, encoding="utf-8")
    if args.dump:
        args.dump.write_text(json.dumps(dump, indent=1, sort_keys=True), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
