"""Exclusive locks between the processes that write one store.

The story stages read the clusterer's state, advance it and write it back, so two processes
running them on one store (several `rasid run`, the server's ingest worker, `rasid watch`) must
take turns there. PostgreSQL stores offer `exclusive(name)` (an advisory lock); a SQLite file gets
an advisory file lock beside it (`flock`, released by the kernel if the process dies). Their text
halves and their readers never take it.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from ..pipeline import Store
from ..store.errors import StoreError

STAGES_LOCK = "rasid:story-stages"  # the lock the story stages run under


def lock_path(store_path: str, name: str) -> Path | None:
    """The lock file of lock `name` beside the SQLite file `store_path` (None for an in-memory
    store, which no other process can open)."""
    if not store_path or store_path == ":memory:" or store_path.startswith("file:"):
        return None
    slug = re.sub(r"[^A-Za-z0-9]+", "-", name).strip("-")
    return Path(f"{store_path}.{slug}.lock")


@contextlib.contextmanager
def file_lock(path: Path) -> Iterator[None]:
    """Hold an exclusive `flock` on `path` (created if missing), waiting for any other holder: a
    process, or another thread of this one with its own lock."""
    import fcntl

    try:
        fh: IO[str] = open(path, "a")  # noqa: SIM115 - held for the block
    except OSError as exc:
        raise StoreError(f"{path}: cannot open the store's lock file: {exc.strerror or exc}") from exc
    try:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)
    finally:
        fh.close()


def store_lock(store: Store, name: str) -> contextlib.AbstractContextManager[None]:
    """The exclusive lock `name` on `store`: the store's own when it has one (PostgreSQL's
    `exclusive`), a file lock beside a SQLite file, else nothing (an in-memory store)."""
    exclusive = getattr(store, "exclusive", None)
    if exclusive is not None:
        lock: contextlib.AbstractContextManager[None] = exclusive(name)
        return lock
    path = lock_path(str(getattr(store, "path", "") or ""), name)
    return file_lock(path) if path is not None else contextlib.nullcontext()
