"""Reading and writing the files ``mlsense`` checks, fixes and translates, safely."""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from pathlib import Path


def read_source(path: Path) -> bytes:
    """The bytes of a regular file. Raises OSError (with a clear message) for anything else:
    opening with O_NONBLOCK keeps a FIFO from blocking the whole run."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(f"not a regular file: {path}")
        chunks = []
        while True:
            block = os.read(fd, 1 << 20)
            if not block:
                break
            chunks.append(block)
        return b"".join(chunks)
    finally:
        os.close(fd)


def write_atomically(path: Path, data: bytes) -> None:
    """Write ``path`` (keeping its mode if it exists) without ever leaving a half-written file:
    write a temporary file next to it, then ``os.replace`` it into place."""
    try:
        mode = stat.S_IMODE(os.stat(path).st_mode)
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".mlsense-tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
