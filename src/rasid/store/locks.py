"""A lock shared by the processes writing one SQLite file: an advisory `flock` on a file beside it
(released by the kernel if the process dies). PostgreSQL stores use advisory locks instead."""

from __future__ import annotations

import contextlib
import fcntl
import re
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from .errors import StoreError


def lock_path(store_path: str, name: str) -> Path | None:
    """The lock file of lock `name` beside the SQLite file `store_path` (None for an in-memory
    store, which no other process can open)."""
    if not store_path or store_path == ":memory:" or store_path.startswith("file:"):
        return None
    slug = re.sub(r"[^A-Za-z0-9]+", "-", name).strip("-")
    return Path(f"{store_path}.{slug}.lock")


@contextlib.contextmanager
def file_lock(path: Path | None, wait: bool = True) -> Iterator[bool]:
    """Hold an exclusive `flock` on `path` (created if missing), waiting for any other holder (a
    process, or another thread of this one with its own lock); the block gets True. With `wait`
    False the block gets False at once if another holds it. No path: nothing to lock (True)."""
    if path is None:
        yield True
        return
    try:
        fh: IO[str] = open(path, "a")  # noqa: SIM115 - held for the block
    except OSError as exc:
        raise StoreError(f"{path}: cannot open the store's lock file: {exc.strerror or exc}") from exc
    try:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)
    finally:
        fh.close()
