"""The local runner: inputs -> raw documents -> articles -> store -> story stages, on one machine."""

from __future__ import annotations

import contextlib
import itertools
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from ..model import Article, IngestError, RawDoc
from ..pipeline import Reader, Stage, Store
from ..process import TextPipeline
from .locks import STAGES_LOCK, store_lock
from .pool import TextPool

StoryStage = Stage  # the name the Dask runner imports


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
    reader: Reader | None  # None: a runner that reads nothing and only runs the stages (`run([])`)
    text: TextPipeline | None
    stages: Sequence[Stage] = ()
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
        if self.reader is None:
            raise ValueError("this runner has no reader: it only runs the stages (run([]))")
        for source in inputs:
            for item in self.reader.read(source):
                if isinstance(item, IngestError):
                    self._error(item, summary)
                    continue
                summary.read += 1
                yield item

    def _docs(self, inputs: Sequence[str], summary: RunSummary) -> Iterator[Article]:
        if not inputs:
            return
        if self.text is None:
            raise ValueError("this runner has no text pipeline: it only runs the stages (run([]))")
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
            summary.stories = self.run_stages(summary)
            failed = False
        finally:
            self.end_stages(failed)
        return summary

    def end_stages(self, failed: bool) -> None:
        """Let every stage stop what it started (`Stage.end`)."""
        for stage in self.stages:
            stage.end(failed)

    def run_stages(self, summary: RunSummary) -> list[str]:
        """The stages, under the store's lock: the stories stage reads the clusterer's state (or
        checks that the one it holds is current), advances it and saves it, and the understanding
        stage rewrites the stories it analyses whole, so two processes writing one store (several
        `rasid run`, the server's ingest) take turns here while their text halves run at once. The
        articles fed are read under the lock, so each is placed by exactly one of them."""
        if not self.stages:
            return []
        with store_lock(self.store, STAGES_LOCK):
            return self._run_stages_locked(summary)

    def _run_stages_locked(self, summary: RunSummary) -> list[str]:
        store = self.store
        unassigned = getattr(store, "unassigned_article_ids", None)
        # this run's articles and any a stopped run left in no story, by time
        feed = list(unassigned()) if unassigned is not None else list(summary.added)
        summary.resumed = len(set(feed) - set(summary.added))
        blob = store.get_blob(PENDING_BLOB)
        pending: list[str] = json.loads(blob) if blob else []
        summary.resumed_stories = len(pending)
        if summary.resumed:
            self._prepare(len(feed))
        if feed:
            for stage in self.stages:
                stage.begin(store, feed)
        touched = list(pending)
        atomic = getattr(store, "atomic", None)
        for i, stage in enumerate(self.stages):
            name = type(stage).__name__.removesuffix("Stage").lower() or "stage"
            # A stage may count its own items; otherwise the first stage's articles count when it
            # ends, a later stage's stories too.
            own = stage.report_progress(self._advance)
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
                done = stage.update(store, feed, list(dict.fromkeys(touched)))
                if not own:
                    self._advance(len(done))
                touched = list(dict.fromkeys([*touched, *done]))
        if len(self.stages) > 1 and touched:
            store.put_blob(PENDING_BLOB, b"[]")
        return sorted(set(touched))

    def _stage(self, name: str, total: int | None) -> None:
        if self.progress is not None:
            self.progress.stage(name, total)

    def _advance(self, n: int) -> None:
        if self.progress is not None:
            self.progress.advance(n)

    def _prepare(self, added: int) -> None:
        for stage in self.stages:
            stage.prepare(added)

    def _flush(self, batch: list[Article], summary: RunSummary) -> None:
        added = self.store.add_articles(batch)
        summary.added.extend(added)
        summary.already_stored += len(batch) - len(added)
        if added:
            self._prepare(len(summary.added))
