"""``mlsense translate``: translate a model file, optionally verify it, write or print it.

Exit codes: 0 ok, 1 verification failed, 2 cannot translate, 3 usage error.
"""

from __future__ import annotations

import argparse
import json
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from ...translators.base import Unsupported
from .parser import UsageError, print_error

if TYPE_CHECKING:
    from ...translators.base import Translation
    from ...translators.verify import VerificationWorker


def _check_translate_paths(args: argparse.Namespace) -> tuple[Path, Path | None]:
    source = Path(args.file)
    if not source.is_file():
        what = "is not a file" if source.exists() else "does not exist"
        raise UsageError(f"path {what}: {args.file}", 3)
    out = Path(args.output) if args.output else None
    if out is not None:
        if out.exists() and out.resolve() == source.resolve():
            raise UsageError(f"refusing to overwrite the source file {args.output}", 3)
        if out.exists() and not args.force:
            raise UsageError(f"{args.output} exists; pass --force to overwrite it", 3)
        if not out.parent.is_dir():
            raise UsageError(f"folder does not exist: {out.parent}", 3)
    return source, out


def _located(filename: str, unsupported: Sequence[Unsupported]) -> list[str]:
    """``FILE:line: construct: reason`` once per distinct construct, in source order."""
    seen = dict.fromkeys((u.line, u.construct, u.reason) for u in unsupported)
    return [f"{filename}:{line}: {construct}: {reason}"
            for line, construct, reason in sorted(seen, key=lambda k: k[0])]


def cmd_translate(args: argparse.Namespace) -> int:
    """Run ``mlsense translate``; returns its exit status."""
    source_path, out = _check_translate_paths(args)
    worker = _start_worker(args)
    try:
        return _read_and_translate(args, source_path, out, worker)
    finally:
        if worker is not None:
            worker.close()


def _start_worker(args: argparse.Namespace) -> VerificationWorker | None:
    """One warm worker for tracing and ``--verify``; with ``--verify`` its process starts now,
    so its framework imports (seconds) overlap reading and translating the file."""
    # The user ran the command on their own file: where static reading stops, building and
    # tracing the model (running the file's code) is allowed unless --static says otherwise.
    if not (args.verify or (args.to == "keras" and not getattr(args, "static", False))):
        return None
    from ...translators.verify import VerificationWorker, start_workers

    worker = VerificationWorker(idle_timeout=0)
    if args.verify:
        start_workers(worker, args.device)
    return worker


def _read_and_translate(args: argparse.Namespace, source_path: Path, out: Path | None,
                        worker: VerificationWorker | None) -> int:
    from ...analyzers.engine import decode_source

    name = str(args.file)
    text, problem, pos = decode_source(source_path.read_bytes())
    if text is None:
        line = pos.line + 1 if pos else 1
        return _translate_failed(args, name, [Unsupported(line, "source file", str(problem))])
    run_code = not getattr(args, "static", False)
    return _translate_and_report(args, name, source_path, out, text, run_code, worker)


def _translate_and_report(args: argparse.Namespace, name: str, source_path: Path,
                          out: Path | None, text: str, run_code: bool,
                          worker: VerificationWorker | None) -> int:
    from . import output

    try:
        from ...translators import TranslationError, translate

        translation = translate(text, args.to, class_name=args.class_name, partial=args.partial,
                                input_shape=args.input_shape, filename=name, run_code=run_code,
                                worker=worker, timeout=args.timeout)
    except TranslationError as exc:
        return _translate_failed(args, name, exc.unsupported, str(exc))
    except SyntaxError as exc:
        return _translate_failed(args, name, [Unsupported(exc.lineno or 1, "syntax", exc.msg)])
    except ImportError as exc:
        return _translate_failed(args, name, [], f"no translator to {args.to} available: {exc}")
    report = _verify(source_path, text, translation, args, worker) if args.verify else None
    if out is not None:
        from .fileio import write_atomically

        write_atomically(out, translation.target_code.encode("utf-8"))
    if args.output_format == "json":
        data = output.translation_json(translation, report, args.verify, out)
        sys.stdout.write(json.dumps(data, indent=2) + "\n")
    else:
        if out is None:
            sys.stdout.write(translation.target_code)
        for message in output.translation_messages(name, translation, report, out):
            print(message, file=sys.stderr)
    if args.verify and not (report is not None and getattr(report, "verified", False)):
        return 1
    return 0


def _translate_failed(args: argparse.Namespace, name: str, unsupported: Sequence[Unsupported],
                      message: str | None = None) -> int:
    located = _located(name, unsupported)
    if args.output_format == "json":
        data = {"target_code": None, "verified": None, "max_abs_error": None, "devices": [],
                "error": message or f"cannot translate {name}",
                "unsupported": [u.as_dict() for u in unsupported]}
        sys.stdout.write(json.dumps(data, indent=2) + "\n")
        return 2
    for line in located:
        print(line, file=sys.stderr)
    if located:
        # The hint only helps when real constructs are missing, not for a bad file or --class.
        not_constructs = {"syntax", "source file", args.class_name}
        partial_helps = not args.partial and any(u.construct not in not_constructs
                                                 for u in unsupported)
        hint = " (--partial translates the rest, with located TODOs)" if partial_helps else ""
        print_error(f"cannot translate {name}{hint}")
    else:
        print_error(f"cannot translate {name}: {message or 'unknown reason'}")
    return 2


def _verify(source_path: Path, text: str, translation: Translation,
            args: argparse.Namespace, worker: VerificationWorker | None) -> object:
    """The verifier's report, or a stand-in failure when it cannot run at all."""
    from . import output

    try:
        from ...translators.verify import verify_translation
    except ImportError as exc:
        return output.UnavailableVerification(f"verification is not available: {exc}")
    try:
        # The decoded text is passed so a file in a declared non-UTF-8 encoding verifies too.
        progress = (lambda msg: print(f"verify: {msg}", file=sys.stderr)) if args.verbose else None
        return verify_translation(str(source_path), translation, device=args.device,
                                  timeout=args.timeout, source_text=text, progress=progress,
                                  worker=worker)
    except Exception as exc:  # the verifier's own bug: report it, do not crash the CLI
        if args.verbose:
            traceback.print_exc()
        return output.UnavailableVerification(f"verification crashed: {type(exc).__name__}: {exc}")
