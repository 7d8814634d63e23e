"""The server's ingest queue: POSTed records go through the same stages as a `rasid run` input.

One worker thread owns the writing store. It takes every job waiting, runs each job's records
through the text half (clean, store) and marks the job `stored` (its article ids are known), then
runs the story stages (`default_stages`: duplicates and stories, then understanding, exactly the
list `rasid run` builds) once over the articles of all those jobs, and marks them `done` with each
article's story. While another writer (a `rasid run`) holds the analysis lock, the round leaves
the analysis of its stories to that writer (`wait_for_analysis=False`): the articles are in their
stories at once, and their stories are analysed when that writer ends. The stages and the text pipeline are built once and reused, as their models take
seconds to load. Jobs are remembered (the last `keep` of them) so a client can ask for their state.
"""

from __future__ import annotations

import itertools
import queue
import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..engine.held import Held
from ..model import IngestError, RawDoc
from ..pipeline import Stage, Store

if TYPE_CHECKING:
    from ..ingest.htmltext import PageExtractor
    from ..process import TextPipeline
    from ..settings import Settings

_STOP = object()


@dataclass(slots=True)
class _RecordsReader:
    """A Reader over records already in memory (the POSTed JSON), parsed like `.json` input files."""

    records: Sequence[dict[str, Any]]
    pages: PageExtractor

    def read(self, source: str) -> Iterator[RawDoc | IngestError]:
        from ..ingest import with_outlets
        from ..ingest.records import record_to_doc
        from ..outlets import shipped_registry

        docs = (
            d
            for n, rec in enumerate(self.records, 1)
            for d in record_to_doc(rec, f"{source}#{n}", None, self.pages)
        )
        yield from with_outlets(docs, shipped_registry())  # each article's source resolved to its outlet


@dataclass(slots=True)
class Job:
    """One POST: its records, then what became of them."""

    id: str
    records: list[dict[str, Any]]
    state: str = "queued"  # queued -> stored -> done | failed
    read: int = 0
    added: list[str] = field(default_factory=list)
    already_stored: int = 0
    errors: list[str] = field(default_factory=list)
    stories: dict[str, str | None] = field(default_factory=dict)  # article id -> its story
    stored: Future = field(default_factory=Future)  # set when the articles are in the store
    done: Future = field(default_factory=Future)  # set when the story stages ran

    @property
    def usable(self) -> bool:
        return bool(self.added) or self.already_stored > 0

    def record(self) -> dict[str, Any]:
        arts = [
            {
                "id": a,
                "url": f"/api/articles/{a}",
                "story": self.stories.get(a),
                "story_url": f"/api/stories/{self.stories[a]}" if self.stories.get(a) else None,
            }
            for a in self.added
        ]
        return {
            "job": self.id,
            "status": self.state,
            "status_url": f"/api/ingest/{self.id}",
            "read": self.read,
            "added": list(self.added),
            "already_stored": self.already_stored,
            "errors": list(self.errors),
            "usable": self.usable,
            "articles": arts,
            "stories": sorted({s for s in self.stories.values() if s}),
        }


class IngestQueue:
    """A worker thread that runs POSTed records through the text pipeline and the story stages."""

    def __init__(
        self,
        store: Store,
        stages: Callable[[], Sequence[Stage]],
        keep: int = 1000,
        settings: Callable[[], Settings] | None = None,
    ) -> None:
        self._store = store
        self._make_stages = stages
        self._make_settings = settings
        self._stages: Sequence[Stage] | None = None
        self._text: TextPipeline | None = None
        self._pages: PageExtractor | None = None
        self._queue: queue.Queue[Any] = queue.Queue()
        self._jobs: OrderedDict[str, Job] = OrderedDict()
        self._lock = threading.Lock()
        self._keep = keep
        self._thread: threading.Thread | None = None
        self._caught_up = False  # a round has placed every stored article in no story

    def submit(self, records: list[dict[str, Any]]) -> Job:
        job = Job(id=uuid.uuid4().hex[:16], records=records)
        with self._lock:
            self._jobs[job.id] = job
            while len(self._jobs) > self._keep:
                self._jobs.popitem(last=False)
            if self._thread is None:
                self._thread = threading.Thread(target=self._work, name="rasid-ingest", daemon=True)
                self._thread.start()
        self._queue.put(job)
        return job

    def get(self, job_id: str) -> Job | None:
        with self._lock:
            return self._jobs.get(job_id)

    def close(self, timeout: float = 30.0) -> None:
        with self._lock:
            thread = self._thread
        if thread is not None:
            self._queue.put(_STOP)
            thread.join(timeout)

    # -- the worker -------------------------------------------------------------------------------

    def _work(self) -> None:
        while True:
            first = self._queue.get()
            if first is _STOP:
                return
            batch = [first]
            stop = False
            while True:  # every job waiting joins this round of the story stages
                try:
                    more = self._queue.get_nowait()
                except queue.Empty:
                    break
                if more is _STOP:
                    stop = True
                    break
                batch.append(more)
            self._round(batch)
            if stop:
                return

    def _round(self, jobs: list[Job]) -> None:
        """Store the jobs' text, then run the stages once over them. No lock of its own: storing is
        one transaction that skips what another writer stored, and the runner takes the store's
        locks for the stages (`engine/locks.py`), as every writer of the store does."""
        try:
            self._setup()
            held = Held()  # the round's articles, handed to the stages in memory
            for job in jobs:
                self._store_text(job, held)
            added = list(dict.fromkeys(itertools.chain.from_iterable(j.added for j in jobs)))
            self._run_stages(added, held)
            found = {
                a.id: a.story for a in self._store.get_articles([a for j in jobs for a in (j.added or [])])
            }
            for job in jobs:
                job.stories = {a: found.get(a) for a in job.added}
                job.state = "done"
        except Exception as exc:  # one failed round must not stop the worker; the jobs say why
            for job in jobs:
                job.state = "failed"
                job.errors.append(f"ingest failed: {type(exc).__name__}: {exc}")
        finally:
            for job in jobs:
                for fut in (job.stored, job.done):
                    if not fut.done():
                        fut.set_result(job)
                job.records = []  # the text is stored now; do not keep the request body

    def _setup(self) -> None:
        if self._text is None:
            from ..ingest.htmltext import PageExtractor
            from ..process import default_text_pipeline

            self._text = default_text_pipeline()
            self._pages = PageExtractor()
        if self._stages is None:
            self._stages = list(self._make_stages())

    def _settings(self) -> Settings:
        if self._make_settings is not None:
            return self._make_settings()
        from ..settings import Settings

        return Settings()

    def _store_text(self, job: Job, held: Held) -> None:
        from ..runner import build_runner

        if self._pages is None:  # built by `_setup`, called first
            raise RuntimeError("the ingest worker stored text before building its pipeline")
        # the text half only: the story stages run once for the whole round (`_run_stages`)
        runner = build_runner(
            self._store,
            self._settings(),
            _RecordsReader(job.records, self._pages),
            text=self._text,
            stages=(),
            engine="local",
            held=held,
        )
        summary = runner.run([f"api:{job.id}"])
        job.read, job.added, job.already_stored = summary.read, list(summary.added), summary.already_stored
        job.errors = [str(e) for e in summary.errors]
        job.state = "stored"
        job.stored.set_result(job)

    def _run_stages(self, added: list[str], held: Held) -> None:
        """The stage half of `rasid run` (a runner that reads nothing): the story stages over every
        stored article in no story yet (these jobs' and any a stopped round left), with the
        runner's crash safety (one transaction for the first stage, pending stories kept). The
        stages are handed the jobs' articles from `held`, filled as `_store_text` stored them."""
        from ..runner import build_runner

        stages = self._stages or ()
        if not added or not stages:
            return
        # A `rasid run` analysing its day holds the analysis lock for minutes: leave the analysis of
        # these stories to it rather than hold up the next posts (they reach their stories meanwhile).
        # Only the first round places every stored article in no story (what a stopped writer left);
        # later ones place their own posts, not what a running `rasid run` stored and will place.
        runner = build_runner(
            self._store,
            self._settings(),
            None,
            text=self._text,
            stages=stages,
            wait_for_analysis=False,
            only=added if self._caught_up else None,
            held=held,
        )
        runner.run([])
        self._caught_up = True
