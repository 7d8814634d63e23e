"""Progress of a run for the command line: one bar per stage on stderr, or JSON lines.

The runner calls `stage(name, total)` as each stage starts and `advance(n)` as items are done
(`engine.local.Progress`). Lines written while a bar is shown go through `write`, above the bar.
"""

from __future__ import annotations

import io
import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any, TextIO

# What each stage counts.
UNITS = {"read": "documents", "stories": "articles", "understand": "stories"}
_ONE_DOC = {".txt", ".html", ".htm"}


class BarProgress:
    """A tqdm bar per stage (name, count, total, rate and ETA where the total is known)."""

    def __init__(self, err: TextIO) -> None:
        self.err = err
        self._bar: Any = None

    def stage(self, name: str, total: int | None) -> None:
        from tqdm import tqdm

        self.close()
        self._bar = tqdm(
            total=total,
            desc=f"rasid {name}",
            unit=" " + UNITS.get(name, "items"),
            file=self.err,
            leave=True,
            disable=None,
            **_width(self.err),
        )

    def advance(self, n: int = 1) -> None:
        if self._bar is not None:
            self._bar.update(n)

    def write(self, line: str) -> None:
        """Print `line` above the bar (or plainly when none is shown)."""
        if self._bar is not None:
            from tqdm import tqdm

            tqdm.write(line.rstrip("\n"), file=self.err)
        else:
            self.err.write(line if line.endswith("\n") else line + "\n")

    def close(self) -> None:
        if self._bar is not None:
            bar, self._bar = self._bar, None
            bar.close()


def _width(stream: TextIO) -> dict[str, Any]:
    """Follow the terminal's width, or 100 columns on a terminal that reports none (tqdm would
    draw nothing at width 0)."""
    try:
        columns = os.get_terminal_size(stream.fileno()).columns
    except (OSError, ValueError, AttributeError, io.UnsupportedOperation):
        return {"dynamic_ncols": True}
    return {"dynamic_ncols": True} if columns > 0 else {"ncols": 100, "nrows": 40}


class JsonProgress:
    """Progress as JSON lines on stderr: one when each stage starts, one when it ends."""

    def __init__(self, err: TextIO) -> None:
        self.err = err
        self._name: str | None = None
        self._done = 0

    def stage(self, name: str, total: int | None) -> None:
        self.close()
        self._name, self._done = name, 0
        self._emit({"level": "progress", "stage": name, "total": total, "done": 0})

    def advance(self, n: int = 1) -> None:
        self._done += n

    def write(self, line: str) -> None:
        self.err.write(line if line.endswith("\n") else line + "\n")

    def close(self) -> None:
        if self._name is not None:
            self._emit({"level": "progress", "stage": self._name, "done": self._done, "finished": True})
            self._name = None

    def _emit(self, rec: dict[str, Any]) -> None:
        self.err.write(json.dumps(rec) + "\n")
        self.err.flush()


def count_documents(inputs: Iterable[str]) -> int | None:
    """The documents the inputs hold, when that is known without reading them: one per text or
    HTML file, one per line of a JSONL file. None when any input's count is unknown (a URL, a
    feed, a JSON file)."""
    total = 0
    for source in inputs:
        if "://" in source:
            return None
        path = Path(source)
        files: Iterable[Path]
        if path.is_dir():
            files = (Path(root) / f for root, _, names in os.walk(path) for f in names)
        else:
            files = [path]
        for f in files:
            suffix = f.suffix.lower()
            if suffix in _ONE_DOC:
                total += 1
            elif suffix == ".jsonl":
                try:
                    with f.open("rb") as fh:
                        total += sum(1 for line in fh if line.strip())
                except OSError:
                    return None
            elif suffix in {".json", ".xml", ".rss", ".atom"}:
                return None
    return total
