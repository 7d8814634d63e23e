"""The local runner: inputs -> raw documents -> articles -> store -> story stages, on one machine."""

from __future__ import annotations

import contextlib
import itertools
import json
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Protocol

from ..model import Article, IngestError, RawDoc, Story
from ..pipeline import Reader, Stage, Store
from ..process import TextPipeline
from ..store.protocols import StateBlobs
from .held import Held
from .locks import ANALYSIS_LOCK, store_lock, stories_turn
from .pool import TextPool

StoryStage = Stage  # the name the Dask runner imports


# Stories the first stage touched that the later ones have not analysed yet: one blob per stories
# round, named PENDING_BLOB + ":" + a time-ordered token (a store from before keeps one blob named
# PENDING_BLOB, read the same way). Each is written once and deleted once analysed, so writers
# never read-modify-write a shared list.
PENDING_BLOB = "state:pending-stories"


DEFERRED_BLOB = "state:analysis-deferred"  # prefix of the records of writers that left their analysis


def mark_pending(store: StateBlobs, ids: Sequence[str], prefix: str = PENDING_BLOB) -> str | None:
    """Record `ids` as stories the later stages still owe an analysis; the name of the record."""
    if not ids:
        return None
    name = f"{prefix}:{time.time_ns():020d}-{uuid.uuid4().hex[:8]}"
    store.put_blob(name, json.dumps(list(ids)).encode("utf-8"))
    return name


def pending_stories(store: StateBlobs, names: Sequence[str] | None = None) -> tuple[list[str], list[str]]:
    """(the pending records' names, the story ids they hold, oldest first, each once), of every
    pending record or of those of `names` still stored."""
    found, ids = [], []
    for name in store.blob_names(PENDING_BLOB) if names is None else names:
        blob = store.get_blob(name)
        if blob is not None:
            found.append(name)
            ids.extend(json.loads(blob))
    return found, list(dict.fromkeys(ids))


def _stage_name(stage: Stage) -> str:
    return type(stage).__name__.removesuffix("Stage").lower() or "stage"


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
    resumed_stories: int = (
        0  # stories a stopped run (or another writer) left unanalysed, analysed by this run
    )
    deferred: bool = False  # the analysis was left to the writer holding its lock (`wait_for_analysis` False)
    feed: list[str] = field(default_factory=list)  # the articles the first stage was fed

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
    # False: when another writer holds the analysis lock, leave this run's stories pending for it
    # instead of waiting (the server's ingest worker, so posts keep reaching their stories)
    wait_for_analysis: bool = True
    # The articles the first stage may place (those still in no story, in time order); None: every
    # stored article in no story. The server's worker passes its posts' ids, so a round for one
    # post does not place the hundreds a `rasid run` stored a moment ago and will place itself.
    only: Sequence[str] | None = None
    recheck_rounds: int = 8
    # Articles the first stage places per transaction under its lock: between chunks another
    # writer (a posted article) takes its turn instead of waiting for a whole day's placing.
    stories_chunk: int = 100
    # The articles this run stored (and what was computed with them), handed to the stages in
    # memory. A caller that stores with one runner and runs the stages with another (the server's
    # ingest worker) passes the same one to both.
    held: Held = field(default_factory=Held)
    _first_counts: bool = field(default=False, init=False)  # the first stage counts its own progress
    _records: list[str] = field(default_factory=list, init=False)  # the pending records this run wrote
    # the headers the first stage wrote this run, by story id (the last written of each)
    _headers: dict[str, Story] = field(default_factory=dict, init=False)

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
        yield from self._keep(
            (self.text.process(doc) for doc in itertools.islice(raw, self.serial_first)), summary
        )
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
        """The stages, under the store's locks (`engine/locks.py`). The first (stories) stage runs
        under `STAGES_LOCK` (taken in turn: `stories_turn`), `stories_chunk` articles at a time, each
        chunk one store transaction that also writes a pending record of the stories it touched;
        the lock is let go between chunks, so another writer's post is placed meanwhile. The
        articles fed are read under the lock, so each is placed by exactly one writer; a run killed
        between chunks leaves the rest in no story, fed again by the next run. The later stages run
        under `ANALYSIS_LOCK`, tried before the first lock is let go after the last chunk, over the
        pending records (`_scope`), and delete those they did: another writer's stories stage runs
        while this one analyses.

        With `wait_for_analysis` False (the server's ingest worker), a run that finds the analysis
        lock held leaves its records to the holder (`_defer`), who analyses them once it lets the
        lock go (`_after_release`)."""
        if not self.stages:
            return []
        later = self.stages[1:]
        with contextlib.ExitStack() as analysis:
            placed: list[str] = []
            feed: list[str] | None = None
            while True:  # a chunk of the feed at a time, letting the lock go between chunks
                with stories_turn(self.store):
                    if feed is None:
                        feed = self._start_first(summary)
                    last = self._place_chunk(summary, feed, placed, pending=bool(later))
                    if last:
                        held = bool(later) and analysis.enter_context(
                            store_lock(self.store, ANALYSIS_LOCK, wait=False)
                        )
                        break
            if not later:
                return sorted(set(placed))
            if not held:
                if not self.wait_for_analysis:
                    return self._defer(summary, placed)
                analysis.enter_context(store_lock(self.store, ANALYSIS_LOCK))
            done = self._run_later(summary, later, placed, self._scope())
        done.extend(self._after_release(later))  # the lock is let go now
        return sorted(set(placed) | set(done))

    def _defer(self, summary: RunSummary, placed: list[str]) -> list[str]:
        """Leave this run's pending stories to the holder of the analysis lock: say so (a record
        every holder looks for after letting the lock go), then try the lock once more, in case
        the holder let it go before the record was written."""
        mark_pending(self.store, self._records, DEFERRED_BLOB)
        done: list[str] = []
        with store_lock(self.store, ANALYSIS_LOCK, wait=False) as held:
            if held:
                done = self._run_later(summary, self.stages[1:], placed, self._scope())
        if held:
            done.extend(self._after_release(self.stages[1:]))
        else:
            summary.deferred = True
        return sorted(set(placed) | set(done))

    def _after_release(self, later: Sequence[Stage]) -> list[str]:
        """Analyse what writers that found the lock held left pending meanwhile (`_defer`)."""
        done: list[str] = []
        for _ in range(self.recheck_rounds):
            if not self.store.blob_names(DEFERRED_BLOB):
                break
            with store_lock(self.store, ANALYSIS_LOCK, wait=False) as held:
                if not held:  # its holder looks again after letting it go
                    break
                done.extend(self._run_later(RunSummary(), later, [], []))
        return done

    def _scope(self) -> list[str] | None:
        """The pending records this run analyses: every one (None) for a run over every article in
        no story; only its own (and those deferred to it) for a run over given articles (`only`: the
        server's rounds), which leaves a `rasid run`'s records to it, placed or still placing."""
        return None if self.only is None else list(self._records)

    def _start_first(self, summary: RunSummary) -> list[str]:
        """The first stage's feed (read under its lock): this run's articles and any a stopped run
        left in no story, by time; the stages' `begin` hooks."""
        store = self.store
        self._records, self._headers = [], {}
        feed = store.unassigned_article_ids()
        if self.only is not None:
            mine = set(self.only)
            feed = [a for a in feed if a in mine]
        summary.resumed = len(set(feed) - set(summary.added))
        summary.feed = feed
        if summary.resumed:
            self._prepare(len(feed))
        if feed:
            batch = self.held.batch(feed)
            for stage in self.stages:
                stage.begin(store, batch)
        stage = self.stages[0]
        self._first_counts = stage.report_progress(self._advance)
        self._stage(_stage_name(stage), len(feed))
        return feed

    def _place_chunk(self, summary: RunSummary, feed: list[str], placed: list[str], pending: bool) -> bool:
        """Run the first stage over the next `stories_chunk` articles of `feed` still in no story
        (another writer may have placed some while the lock was let go), as one store transaction
        that also records the stories touched as pending. True when the feed is done."""
        store = self.store
        want = set(feed)
        left = (
            [a for a in store.unassigned_article_ids() if a in want]
            if placed or len(feed) > self.stories_chunk
            else feed
        )
        chunk = left[: self.stories_chunk]
        batch = self.held.batch(chunk)
        if self.only is None:  # the server's rounds (`only`) keep their state in memory instead
            batch = replace(batch, feed_left=len(left) - len(chunk))
        with store.atomic():
            out = self.stages[0].update(store, batch)
            touched = list(dict.fromkeys(out.ids))
            name = mark_pending(store, touched) if pending else None
        if name is not None:
            self._records.append(name)
        self._headers.update(out.headers)
        placed.extend(touched)
        if not self._first_counts:
            self._advance(len(chunk))
        return len(left) <= self.stories_chunk

    def _run_later(
        self, summary: RunSummary, stages: Sequence[Stage], placed: list[str], records: list[str] | None
    ) -> list[str]:
        """The later stages over the stories of the pending `records` (None: every pending record)
        and of those writers deferred to the lock's holder (call under ANALYSIS_LOCK); the records
        read are removed once all of them ran."""
        store = self.store
        deferred = store.blob_names(DEFERRED_BLOB)  # read first: what they ask for is pending already
        if records is not None:
            asked = (json.loads(blob) for blob in map(store.get_blob, deferred) if blob)
            records = list(dict.fromkeys([*records, *itertools.chain.from_iterable(asked)]))
        names, ids = pending_stories(store, records)
        summary.resumed_stories = len(set(ids) - set(placed))
        touched = list(ids)
        if ids:
            for stage in stages:
                own = stage.report_progress(self._advance)
                self._stage(_stage_name(stage), len(touched))
                done = stage.update(store, self.held.batch(summary.feed, touched, self._headers)).ids
                if not own:
                    self._advance(len(done))
                touched = list(dict.fromkeys([*touched, *done]))
        for name in [*names, *deferred]:
            store.delete_blob(name)
        return touched

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
        self.held.keep(batch, added)
        summary.added.extend(added)
        summary.already_stored += len(batch) - len(added)
        if added:
            self._prepare(len(summary.added))
