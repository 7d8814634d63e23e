"""A line-aligned byte range of a file, read as a stream: how one large `.jsonl` archive is cut
into pieces that several readers (the Dask engine's workers) read at once, each record once."""

from __future__ import annotations

import io
from typing import Any


class LineRange(io.RawIOBase):
    """Bytes [start, stop) of the file at `path`, extended to whole lines: a range that does not
    start the file starts after the first newline at or after `start - 1` (the line the range
    before it finishes), and a range ends at the end of the line holding byte `stop - 1`. Ranges
    that tile a file therefore read each of its lines exactly once."""

    def __init__(self, path: str, start: int, stop: int) -> None:
        self._fh = open(path, "rb")  # noqa: SIM115 - closed by close()
        self._stop = stop
        self._done = False
        self._last = b"\n"
        if start > 0:
            self._fh.seek(start - 1)
            while True:  # skip the line the previous range finishes
                chunk = self._fh.read(65536)
                if not chunk:
                    self._done = True
                    break
                nl = chunk.find(b"\n")
                if nl >= 0:
                    self._fh.seek(self._fh.tell() - len(chunk) + nl + 1)
                    break

    def readable(self) -> bool:
        return True

    def readinto(self, buf: Any) -> int:
        if self._done:
            return 0
        pos = self._fh.tell()
        want = len(buf)
        if pos < self._stop:
            data = self._fh.read(min(want, self._stop - pos))
        elif self._last == b"\n":
            data = b""
        else:  # past the range, inside its last line: read on to its newline
            data = self._fh.read(min(want, 65536))
            nl = data.find(b"\n")
            if nl >= 0:
                data = data[: nl + 1]
                self._fh.seek(pos + nl + 1)
        if not data:
            self._done = True
            return 0
        self._last = data[-1:]
        buf[: len(data)] = data
        return len(data)

    def close(self) -> None:
        self._fh.close()
        super().close()
