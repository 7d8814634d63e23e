"""The local runner: inputs -> raw documents -> articles -> store -> story stages, on one machine."""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from ..model import Article, IngestError, RawDoc
from ..pipeline import Store
from ..process import TextPipeline
from .pool import TextPool


class Reader(Protocol):
    def read(self, source: str) -> Iterator[RawDoc | IngestError]: ...


class StoryStage(Protocol):
    """Runs after new articles are stored: duplicates, stories, understanding.

    A stage may also have `prepare(added)` (called after each stored batch of the text half with
    the number of articles added so far, e.g. to start worker processes that load their models
    while documents are still being cleaned), `begin(store, new_ids)` (called for every stage
    before the first `update`, e.g. to hand the new articles to those workers while earlier stages
    run) and `end(failed)` (called once all stages ran, or one failed; also after `prepare` alone).
    """

    def update(self, store: Store, new_ids: Sequence[str], touched_stories: Sequence[str] = ()) -> list[str]:
        """Process newly stored articles; return the ids of the stories touched.

        `touched_stories` are the stories the earlier stages of this run touched, so a later stage
        need not reload the new articles to learn them.
        """
        ...


@dataclass(slots=True)
class RunSummary:
    read: int = 0
    added: list[str] = field(default_factory=list)
    already_stored: int = 0
    errors: list[IngestError] = field(default_factory=list)
    stories: list[str] = field(default_factory=list)

    @property
    def usable(self) -> bool:
        """Something was read that is (now or already) an article."""
        return bool(self.added) or self.already_stored > 0


ErrorSink = Callable[[IngestError], None]

STAGES_LOCK = "rasid:story-stages"  # the store lock the story stages run under


def _hooks(stages: Sequence[StoryStage], name: str, *args: object) -> None:
    """Call the optional stage method `name` (prepare, begin, end) on every stage that has it."""
    for stage in stages:
        hook = getattr(stage, name, None)
        if hook is not None:
            hook(*args)


def store_lock(store: Store, name: str) -> contextlib.AbstractContextManager[None]:
    """The store's exclusive lock `name` when it has one (PostgreSQL: an advisory lock that other
    processes on the same database wait for), else nothing (one process per SQLite file)."""
    exclusive = getattr(store, "exclusive", None)
    return exclusive(name) if exclusive is not None else contextlib.nullcontext()


def run_stages(store: Store, stages: Sequence[StoryStage], added: Sequence[str]) -> list[str]:
    """Run the story stages over the newly `added` articles; return the stories they touched.

    They run under the store's lock: the stories stage loads the clusterer's state, advances it
    and saves it whole, and the understanding stage rewrites the stories it analyses whole, so two
    processes writing one store (several `rasid run`, the server's ingest) take turns here; their
    text halves still run at once.
    """
    touched: list[str] = []
    with store_lock(store, STAGES_LOCK):
        if added:
            _hooks(stages, "begin", store, list(added))
        for stage in stages:
            touched.extend(stage.update(store, list(added), list(dict.fromkeys(touched))))
    return touched


@dataclass(slots=True)
class LocalRunner:
    store: Store
    reader: Reader
    text: TextPipeline
    stages: Sequence[StoryStage] = ()
    batch_size: int = 500
    workers: int = 1
    # Documents cleaned in this process before worker processes start: starting two workers costs
    # ~1 s and ~2 s of CPU, more than they save on a day of news (1,300 documents: 1.7 s serial
    # against 2.7 s with workers, docs/benchmarks/pipeline.md).
    serial_first: int = 2000
    on_error: ErrorSink | None = None
    progress: Callable[[int], None] | None = None

    def _raw(self, inputs: Iterable[str], summary: RunSummary) -> Iterator[RawDoc]:
        for source in inputs:
            for item in self.reader.read(source):
                if isinstance(item, IngestError):
                    self._error(item, summary)
                    continue
                summary.read += 1
                yield item

    def _docs(self, inputs: Iterable[str], summary: RunSummary) -> Iterator[Article]:
        raw = self._raw(inputs, summary)
        # Small runs stay in this process: starting workers costs more than it saves.
        yield from self._keep((self.text.process(doc) for doc in itertools.islice(raw, self.serial_first)), summary)
        if self.workers > 1:
            # Workers only when documents are left: a run that fit in the serial part would
            # otherwise start two processes and wait for them to come up and exit (~1 s of CPU).
            following = next(raw, None)
            if following is None:
                return
            with TextPool(self.text, self.workers) as pool:
                yield from self._keep(pool.map(itertools.chain([following], raw)), summary)
        else:
            yield from self._keep((self.text.process(doc) for doc in raw), summary)

    def _keep(self, results: Iterable[Article | IngestError], summary: RunSummary) -> Iterator[Article]:
        for article in results:
            if isinstance(article, IngestError):
                self._error(article, summary)
            else:
                yield article

    def _error(self, error: IngestError, summary: RunSummary) -> None:
        summary.errors.append(error)
        if self.on_error is not None:
            self.on_error(error)

    def run(self, inputs: Sequence[str]) -> RunSummary:
        summary = RunSummary()
        touched: list[str] = []
        failed = True
        try:
            batch: list[Article] = []
            for article in self._docs(inputs, summary):
                batch.append(article)
                if len(batch) >= self.batch_size:
                    self._flush(batch, summary)
                    batch = []
            if batch:
                self._flush(batch, summary)
            touched = run_stages(self.store, self.stages, summary.added)
            failed = False
        finally:
            self._hooks("end", failed)
        summary.stories = sorted(set(touched))
        return summary

    def _hooks(self, name: str, *args: object) -> None:
        _hooks(self.stages, name, *args)

    def _flush(self, batch: list[Article], summary: RunSummary) -> None:
        added = self.store.add_articles(batch)
        summary.added.extend(added)
        summary.already_stored += len(batch) - len(added)
        if added:
            self._hooks("prepare", len(summary.added))
        if self.progress is not None:
            self.progress(len(batch))
