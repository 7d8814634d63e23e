"""Text processing on several cores: the reader and the store stay in the main process.

Each worker process receives the TextPipeline once (pickled at start-up) and keeps it for its
life; documents travel in chunks. Order is preserved, so a run is deterministic whatever the
number of workers.
"""

from __future__ import annotations

import multiprocessing as mp
from collections.abc import Iterable, Iterator
from types import TracebackType

from ..model import Article, IngestError, RawDoc
from ..process import TextPipeline

# The one pipeline of a worker process. It is set by the pool initializer inside the worker and
# never in the parent: a process pool's per-worker state has no other home.
_WORKER_PIPELINE: list[TextPipeline] = []


def _init(pipeline: TextPipeline) -> None:
    _WORKER_PIPELINE.append(pipeline)


def _process(doc: RawDoc) -> Article | IngestError:
    return _WORKER_PIPELINE[0].process(doc)


class TextPool:
    def __init__(self, pipeline: TextPipeline, workers: int, chunksize: int = 32) -> None:
        ctx = mp.get_context("spawn")
        self._pool = ctx.Pool(workers, initializer=_init, initargs=(pipeline,))
        self._chunksize = chunksize

    def map(self, docs: Iterable[RawDoc]) -> Iterator[Article | IngestError]:
        return self._pool.imap(_process, docs, chunksize=self._chunksize)

    def __enter__(self) -> TextPool:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._pool.terminate() if exc_type else self._pool.close()
        self._pool.join()
