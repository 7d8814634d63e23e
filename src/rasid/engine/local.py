"""The local runner: inputs -> raw documents -> articles -> store -> story stages, on one machine."""

from __future__ import annotations

import contextlib
import itertools
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from ..model import Article, IngestError, RawDoc, Story
from ..pipeline import Store
from ..process import TextPipeline
from .pool import TextPool


class Reader(Protocol):
    def read(self, source: str) -> Iterator[RawDoc | IngestError]: ...


class StoryStage(Protocol):
    """Runs after new articles are stored: duplicates, stories, understanding.

    The first stage places articles in stories (`Store.set_assignments`); the stages after it
    analyse the stories it touched. The runner feeds the first stage every stored article still in
    no story (this run's, and any a stopped run left behind), and runs its `update` as one store
    transaction where the store offers `atomic()`: a run killed mid-stage leaves neither
    assignments nor saved state, and the next run feeds the same articles again. The stories it
    touched are kept in the store (`PENDING_BLOB`) until every later stage has run over them, so a
    run killed during understanding leaves those stories to the next run too.

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


PENDING_BLOB = "state:pending-stories"  # stories touched by the first stage, not yet through the later ones


class Progress(Protocol):
    """What a run reports as it goes: `stage(name, total)` when a stage starts (total: the items it
    will count, None if unknown), then `advance(n)` as items are done."""

    def stage(self, name: str, total: int | None) -> None: ...

    def advance(self, n: int = 1) -> None: ...


@dataclass(slots=True)
class RunSummary:
    read: int = 0
    added: list[str] = field(default_factory=list)
    already_stored: int = 0
    errors: list[IngestError] = field(default_factory=list)
    stories: list[str] = field(default_factory=list)
    resumed: int = 0  # stored articles a stopped run left in no story, placed by this run
    resumed_stories: int = 0  # stories a stopped run left unanalysed, analysed by this run

    @property
    def usable(self) -> bool:
        """Something was read that is (now or already) an article."""
        return bool(self.added) or self.already_stored > 0


ErrorSink = Callable[[IngestError], None]


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
    progress: Progress | None = None
    read_total: int | None = None  # documents the inputs hold, when known beforehand (for progress)

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
            self._advance(1)
            if isinstance(article, IngestError):
                self._error(article, summary)
            else:
                yield article

    def _error(self, error: IngestError, summary: RunSummary) -> None:
        summary.errors.append(error)
        if self.on_error is not None:
            self.on_error(error)

    def run(self, inputs: Sequence[str]) -> RunSummary:
        """Read, clean and store `inputs`, then run the stages over what is stored and not yet
        processed (this run's new articles and any a stopped run left). `run([])` only completes
        that leftover work."""
        summary = RunSummary()
        failed = True
        try:
            if inputs:
                self._stage("read", self.read_total)
            batch: list[Article] = []
            for article in self._docs(inputs, summary):
                batch.append(article)
                if len(batch) >= self.batch_size:
                    self._flush(batch, summary)
                    batch = []
            if batch:
                self._flush(batch, summary)
            summary.stories = self._run_stages(summary)
            failed = False
        finally:
            self._hooks("end", failed)
        return summary

    def _run_stages(self, summary: RunSummary) -> list[str]:
        if not self.stages:
            return []
        store = self.store
        unassigned = getattr(store, "unassigned_article_ids", None)
        # this run's articles and any a stopped run left in no story, by time
        feed = list(unassigned()) if unassigned is not None else list(summary.added)
        summary.resumed = len(set(feed) - set(summary.added))
        blob = store.get_blob(PENDING_BLOB)
        pending: list[str] = json.loads(blob) if blob else []
        summary.resumed_stories = len(pending)
        if summary.resumed:
            self._hooks("prepare", len(feed))
        if feed:
            self._hooks("begin", store, feed)
        touched = list(pending)
        atomic = getattr(store, "atomic", None)
        for i, stage in enumerate(self.stages):
            name = type(stage).__name__.removesuffix("Stage").lower() or "stage"
            # A stage that reports its own progress has an `on_progress` attribute (items done);
            # otherwise the first stage's articles count when it ends, a later stage's stories as
            # it writes them.
            own = self.progress is not None and hasattr(stage, "on_progress")
            if own:
                stage.on_progress = self._advance  # type: ignore[attr-defined]
            if i == 0:
                self._stage(name, len(feed))
                with atomic() if atomic is not None else contextlib.nullcontext():
                    touched.extend(stage.update(store, feed, list(dict.fromkeys(touched))))
                    touched = list(dict.fromkeys(touched))
                    if touched != pending:
                        store.put_blob(PENDING_BLOB, json.dumps(touched).encode("utf-8"))
                if not own:
                    self._advance(len(feed))
            else:
                self._stage(name, len(touched))
                view = _CountingStore(store, self._advance) if self.progress is not None and not own else store
                touched.extend(stage.update(view, feed, list(dict.fromkeys(touched))))
                touched = list(dict.fromkeys(touched))
        if len(self.stages) > 1 and touched:
            store.put_blob(PENDING_BLOB, b"[]")
        return sorted(set(touched))

    def _stage(self, name: str, total: int | None) -> None:
        if self.progress is not None:
            self.progress.stage(name, total)

    def _advance(self, n: int) -> None:
        if self.progress is not None:
            self.progress.advance(n)

    def _hooks(self, name: str, *args: object) -> None:
        """Call the optional stage method `name` (prepare, begin, end) on every stage that has it."""
        for stage in self.stages:
            hook = getattr(stage, name, None)
            if hook is not None:
                hook(*args)

    def _flush(self, batch: list[Article], summary: RunSummary) -> None:
        added = self.store.add_articles(batch)
        summary.added.extend(added)
        summary.already_stored += len(batch) - len(added)
        if added:
            self._hooks("prepare", len(summary.added))


class _CountingStore:
    """The store as a later stage sees it when progress is shown: stories written are counted."""

    def __init__(self, store: Store, advance: Callable[[int], None]) -> None:
        self._store = store
        self._count = advance

    def put_stories(self, stories: Sequence[Story]) -> None:
        self._store.put_stories(stories)
        self._count(len(stories))

    def __getattr__(self, name: str) -> object:
        return getattr(self._store, name)
