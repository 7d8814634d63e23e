"""Finding input files: a sorted, loop-safe directory walk and size-capped reads.

Sorted by name at every level so two runs over the same tree read in the same order (ids, story
assignment and reports are then reproducible). Symlinked directories are followed, but every directory
is read once (by device and inode), so loops end and link mazes cannot multiply the work. Hidden entries (".git",
editor files) are skipped. A dangling symlink that would have been read is reported by name.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

from ..model import IngestError
from .common import KIND_BY_EXT, Refused


def walk(root: Path) -> Iterator[Path | IngestError]:
    """Input files under `root` (depth first, by name), and errors for what cannot be walked."""
    try:
        st = os.stat(root)
    except OSError as exc:
        yield IngestError(str(root), f"cannot read directory: {exc.strerror}")
        return
    yield from _walk(root, {(st.st_dev, st.st_ino)})


def _walk(directory: Path, seen: set[tuple[int, int]]) -> Iterator[Path | IngestError]:
    try:
        with os.scandir(directory) as it:
            entries = sorted(it, key=lambda e: e.name)
    except OSError as exc:
        yield IngestError(str(directory), f"cannot read directory: {exc.strerror}")
        return
    for entry in entries:
        if entry.name.startswith("."):
            continue
        path = directory / entry.name
        wanted = path.suffix.lower() in KIND_BY_EXT
        try:
            st = entry.stat(follow_symlinks=True)
        except FileNotFoundError:
            if entry.is_symlink():
                if wanted:
                    yield IngestError(str(path), f"dangling symlink (points to {_link_target(path)})")
                continue
            yield IngestError(str(path), "vanished while reading the directory")
            continue
        except OSError as exc:
            yield IngestError(str(path), f"cannot stat: {exc.strerror}")
            continue
        if stat.S_ISDIR(st.st_mode):
            key = (st.st_dev, st.st_ino)
            if key in seen:  # a link back up the tree (a loop) or to a directory already read
                continue
            seen.add(key)
            yield from _walk(path, seen)
        elif wanted:
            yield path


def _link_target(path: Path) -> str:
    try:
        return os.readlink(path)
    except OSError:
        return "?"


def check_path(path: Path) -> os.stat_result:
    """stat a path given on the command line; Refused for missing paths and dangling links."""
    try:
        return os.stat(path)
    except FileNotFoundError:
        if os.path.islink(path):
            raise Refused(f"dangling symlink (points to {_link_target(path)})") from None
        raise Refused("no such file or directory") from None
    except OSError as exc:
        raise Refused(f"cannot stat: {exc.strerror}") from None


def read_capped(path: Path, cap: int) -> bytes:
    """The whole file, refused without reading it if it is over `cap` bytes or not a regular file."""
    st = check_path(path)
    if not stat.S_ISREG(st.st_mode):
        raise Refused("not a regular file")
    if st.st_size > cap:
        raise Refused(f"file is {st.st_size} bytes, over the {cap}-byte cap (max_bytes)")
    with open(path, "rb") as fh:
        # read(n) allocates n bytes up front: ask for the size stat gave, not for the cap.
        data = fh.read(st.st_size + 1)
        if len(data) > st.st_size:  # it grew after stat
            data += fh.read(cap + 1 - len(data))
    if len(data) > cap:
        raise Refused(f"file is over the {cap}-byte cap (max_bytes)")
    return data
