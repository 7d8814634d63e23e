"""Text processing on several cores: the reader and the store stay in the main process.

Each worker process receives the TextPipeline once (pickled at start-up) and keeps it for its
life; documents travel in chunks. Order is preserved, so a run is deterministic whatever the
number of workers.
"""

from __future__ import annotations

import itertools
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
    def __init__(self, pipeline: TextPipeline, workers: int, chunksize: int = 32, window: int = 2048) -> None:
        ctx = mp.get_context("spawn")
        self._pool = ctx.Pool(workers, initializer=_init, initargs=(pipeline,))
        self._chunksize = chunksize
        self._window = window

    def map(self, docs: Iterable[RawDoc]) -> Iterator[Article | IngestError]:
        """Results in input order. Documents are sent a window at a time: `imap` alone would read
        the whole input into its task queue ahead of the workers and hold it in memory."""
        it = iter(docs)
        pending = list(itertools.islice(it, self._window))
        while pending:
            results = self._pool.imap(_process, pending, chunksize=self._chunksize)
            upcoming = list(itertools.islice(it, self._window))
            yield from results
            pending = upcoming

    def __enter__(self) -> TextPool:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._pool.terminate() if exc_type else self._pool.close()
        self._pool.join()
