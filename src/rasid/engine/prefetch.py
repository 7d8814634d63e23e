"""Work done ahead of the serial stages, on the other core: article vectors for the stories
stage, and the new articles' facts (NER mentions, date expressions) for the understanding stage.

The deduper and the clusterer are pure Python and serial; computing what they and the next stage
will need beside them keeps both cores busy. Both helpers hand results back in the order asked.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from types import TracebackType
from typing import TYPE_CHECKING

import numpy as np

from ..model import Article
from ..store.protocols import DerivedCache
from .pool import WorkerPool

if TYPE_CHECKING:
    from ..embed import Embedder
    from ..understand.story import ArticleFacts


def embedding_worker(embedder: Embedder) -> WorkerPool:
    """One worker process that embeds groups of article texts (`GroupEmbedWorker.vectors`), its
    encoder loaded as it starts."""
    from ..embed import GroupEmbedWorker

    return WorkerPool(GroupEmbedWorker(embedder), 1, "vectors", chunksize=1, warm="warm")


class VectorsAhead:
    """Article vectors, from the store's cache or computed chunk by chunk ahead of the reader, and
    cached in the store on a clean exit. `get` must be called in `articles` order.

    Many articles are embedded in a worker process: on a thread of this process, each of the
    encoder's short numpy calls waits for the interpreter lock the clusterer holds, and the encoder
    ran 4-20x slower (docs/benchmarks/pipeline.md). A few are embedded on a thread, where starting
    a process would cost more than it saves. A worker already started by the caller (`pool`) is
    used for any number of articles, and left running on exit. `known`: vectors the caller holds
    in memory (the Dask workers' for this run's articles, cached in the store already); only the
    others are looked up in the store.

    Used without `with` over a whole run's articles (the stories stage's `begin`), the caller
    caches each part's vectors as it goes (`keep`) and `close`s it: then the encoder never waits
    for the clusterer between two parts of the run, nor the clusterer for the encoder's first
    group of each part.
    """

    def __init__(
        self,
        store: DerivedCache,
        kind: str,
        embedder: Embedder,
        articles: Sequence[Article],
        chunk: int,
        process_min: int = 256,
        pool: WorkerPool | None = None,
        known: Mapping[str, np.ndarray] | None = None,
    ) -> None:
        from ..embed import embedding_texts, group_vectors

        self._store, self._kind = store, kind
        known = known or {}
        # as the store gives them back: float32
        self._have = {a.id: np.asarray(known[a.id], dtype=np.float32) for a in articles if a.id in known}
        unknown = [a.id for a in articles if a.id not in self._have]
        if unknown:
            self._have.update(store.get_vectors(kind, unknown))
        missing = [a for a in articles if a.id not in self._have]
        self._chunks = [[a.id for a in missing[i : i + chunk]] for i in range(0, len(missing), chunk)]
        groups = [[embedding_texts(a) for a in missing[i : i + chunk]] for i in range(0, len(missing), chunk)]
        self._mats: list[np.ndarray] = []
        self._computed = {a.id for a in missing}  # embedded here: cached in the store by `keep` or on exit
        self._pool: WorkerPool | None = None  # a worker of its own, stopped on exit
        self._threads: ThreadPoolExecutor | None = None
        self._results: Iterator[np.ndarray]
        if pool is not None and missing:
            self._results = pool.map(groups)
        elif len(missing) >= process_min:
            self._pool = embedding_worker(embedder)
            self._results = self._pool.map(groups)
        else:
            self._threads = ThreadPoolExecutor(max_workers=1)
            futures: list[Future[np.ndarray]] = [
                self._threads.submit(group_vectors, g, embedder) for g in groups
            ]
            self._results = (f.result() for f in futures)

    def get(self, article_id: str) -> np.ndarray:
        while article_id not in self._have and len(self._mats) < len(self._chunks):
            self._take()
        return self._have[article_id]

    def covers(self, ids: Sequence[str]) -> bool:
        """Whether every one of `ids` has (or will have) its vector here."""
        return all(i in self._have or i in self._computed for i in ids)

    def keep(self, ids: Sequence[str]) -> None:
        """Cache in the store the vectors embedded here of `ids` (each taken by `get` already)."""
        fresh = [i for i in ids if i in self._computed]
        if fresh:
            self._store.put_vectors(self._kind, fresh, np.stack([self._have[i] for i in fresh]))
            self._computed.difference_update(fresh)

    def _take(self) -> None:
        mat = next(self._results)
        self._have.update(zip(self._chunks[len(self._mats)], mat, strict=True))
        self._mats.append(mat)

    def close(self) -> None:
        """Stop without waiting for or caching what is still being embedded."""
        self._stop(RuntimeError)

    def _stop(self, exc_type: type[BaseException] | None) -> None:
        if self._pool is not None:
            self._pool.__exit__(exc_type, None, None)
        if self._threads is not None:
            self._threads.shutdown(wait=True, cancel_futures=True)

    def __enter__(self) -> VectorsAhead:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        try:
            if exc_type is None:
                while len(self._mats) < len(self._chunks):
                    self._take()
                for ids, mat in zip(self._chunks, self._mats, strict=True):
                    rows = [k for k, i in enumerate(ids) if i in self._computed]
                    if rows:
                        self._store.put_vectors(self._kind, [ids[k] for k in rows], mat[rows])
        finally:
            self._stop(exc_type)


class FactsAhead:
    """The facts of this run's new articles, computed on the pool from a thread of this process
    while the stories stage runs. Articles whose facts the store already holds are skipped.
    `load` gives the articles of some ids (the runner's in memory, the others from the store)."""

    def __init__(
        self,
        store: DerivedCache,
        kind: str | None,
        pool: WorkerPool,
        ids: list[str],
        chunk: int,
        load: Callable[[list[str]], list[Article]],
    ) -> None:
        self._load, self._pool = load, pool
        have = set(store.get_annotations(kind, ids)) if kind is not None and ids else set()
        self._ids = [i for i in ids if i not in have]
        self._chunk = chunk
        self._facts: dict[str, ArticleFacts] = {}
        self._error: BaseException | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._work, name="rasid-facts", daemon=True)
        self._thread.start()

    def _chunks(self) -> Iterator[list[Article]]:
        for i in range(0, len(self._ids), self._chunk):
            if self._stop.is_set():
                return
            yield self._load(self._ids[i : i + self._chunk])

    def _work(self) -> None:
        try:
            for found in self._pool.map(self._chunks(), method="facts_of", stop=self._stop):
                self._facts.update(found)
        except BaseException as e:  # handed to the caller of result()
            self._error = e

    def result(self) -> dict[str, ArticleFacts]:
        """id -> ArticleFacts of every new article not already in the store (waits for the pool)."""
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._facts

    def cancel(self) -> None:
        """Stop waiting for the pool (the run failed; the pool is about to be terminated)."""
        self._stop.set()
        self._thread.join(timeout=5.0)
