"""Child process of the engine benchmark: time one in-process baseline over a list of files.

    python bench/engine_parse.py MODE < file-list      (one path per line)

MODE is ``ast`` (ast.parse), ``libcst`` (libcst.parse_module), ``metadata`` (libcst parse +
MetadataWrapper resolving PositionProvider and QualifiedNameProvider, what Fixit and TorchFix
pay per file) or ``engine`` (mlsense.analyzers.analyze_bytes with every rule enabled, without
the CLI around it). Prints one JSON line: files, lines, failures, wall_s, cpu_s -- measured
inside the process, so interpreter start-up and imports are excluded.
"""

from __future__ import annotations

import ast
import json
import sys
import time
from collections.abc import Callable


def _runner(mode: str) -> Callable[[bytes, str], object]:
    if mode == "ast":
        return lambda data, path: ast.parse(data, path)
    import libcst as cst

    if mode == "libcst":
        return lambda data, path: cst.parse_module(data)
    if mode == "metadata":
        from libcst.metadata import (
            FullRepoManager,  # noqa: F401  (imported so its import cost is not timed)
            MetadataWrapper,
            PositionProvider,
            QualifiedNameProvider,
        )

        def with_metadata(data: bytes, path: str) -> object:
            wrapper = MetadataWrapper(cst.parse_module(data))
            return wrapper.resolve_many([PositionProvider, QualifiedNameProvider])

        return with_metadata
    if mode == "engine":
        from mlsense.analyzers import all_rules, analyze_bytes, config_from_mapping

        config = config_from_mapping({"select": ["ALL"]}) if _accepts_select() else None
        _ = all_rules()
        return lambda data, path: analyze_bytes(data, path, config)
    raise SystemExit(f"unknown mode {mode!r}")


def _accepts_select() -> bool:
    from mlsense.analyzers import ConfigError, config_from_mapping

    try:
        config_from_mapping({"select": ["ALL"]})
    except (ConfigError, TypeError):
        return False
    return True


def main(mode: str) -> None:
    paths = [p for p in sys.stdin.read().splitlines() if p]
    blobs = []
    for p in paths:
        with open(p, "rb") as fh:
            blobs.append((fh.read(), p))
    run = _runner(mode)
    failures = 0
    wall0, cpu0 = time.perf_counter(), time.process_time()
    for data, path in blobs:
        try:
            run(data, path)
        except Exception:  # a baseline that cannot parse a file is counted, not fatal
            failures += 1
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    lines = sum(d.count(b"\n") for d, _ in blobs)
    print(json.dumps({"mode": mode, "files": len(blobs), "lines": lines, "failures": failures,
                      "wall_s": wall, "cpu_s": cpu}))


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "ast")
