"""The understanding stage: entities, timeline, quotes, brief and disputes of every story the
stories stage touched, over the analysis of `rasid.understand.story`.

It is handed (`pipeline.Batch`) the stories to analyse, the headers the stories stage wrote for
them this run (with their members), and the run's new articles in memory (with any facts the Dask
workers computed). What it reads from the store, and why, is in `UnderstandStage.update`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol, TypeAlias

import numpy as np

from ..engine.pool import WorkerPool
from ..engine.prefetch import FactsAhead
from ..model import Article, Story
from ..pipeline import BaseStage, Batch, Touched
from ..store.protocols import AnalysisStore

if TYPE_CHECKING:
    from ..understand.story import ArticleFacts, StoryAnalysis

# one story's analysis as a pool task: its articles, their known facts[, its kept sentence vectors]
AnalysisTask: TypeAlias = (
    "tuple[Sequence[Article], Mapping[str, ArticleFacts]]"
    " | tuple[Sequence[Article], Mapping[str, ArticleFacts], dict[str, np.ndarray]]"
)


class Analyzer(Protocol):
    """What the stage asks of a story analyser (`rasid.understand.story.StoryAnalyzer`)."""

    @property
    def facts_kind(self) -> str | None:
        """The name articles' facts are kept under in the store (None: keep none)."""
        ...

    @property
    def vectors_kind(self) -> str | None:
        """The name sentence vectors are kept under in the store (None: keep none)."""
        ...

    def warm(self) -> None: ...

    def facts_of(self, articles: Sequence[Article]) -> dict[str, ArticleFacts]: ...

    def analyze_with(self, task: AnalysisTask) -> StoryAnalysis: ...


@dataclass(slots=True)
class UnderstandStage(BaseStage):
    """Entities, timeline, quotes, brief and disputes for every story touched by this run.

    Stories are independent, so with `workers` > 1 and enough stories they are analysed on worker
    processes (each with its own models, one BLAS thread each). `begin` starts those workers before
    the stories stage runs and gives them the story-independent half of the work at once: each new
    article's NER mentions and date expressions (`ArticleFacts`). The clusterer is serial, so that
    half runs on the core it leaves free. Facts are kept in the store (`annotations`, keyed by the
    models that made them), so a story that grows later re-reads its older articles' facts instead
    of tagging them again. So are the sentence vectors of the brief, timeline and disputes (by
    article and text digest, keyed by the embedder): a story that grows re-reads its older
    articles' vectors instead of running the encoder over them again.
    """

    analyzer: Analyzer | None = None
    workers: int = 1
    min_pool: int = 64  # fewer stories than this are not worth starting workers for
    batch: int = 256  # stories written per round
    facts_chunk: int = 16  # articles per pool task of the facts pass
    keep_facts: bool = True  # read and write articles' facts in the store (False: recompute each time)
    keep_vectors: bool = True  # read and write sentence vectors in the store (False: recompute each time)
    _pool: WorkerPool | None = field(default=None, init=False)
    _ahead: FactsAhead | None = field(default=None, init=False)
    _built: bool = field(default=False, init=False)  # the analyzer is this stage's own
    # set by the runner: called with the number of stories as each batch of them is written
    on_progress: Callable[[int], None] | None = field(default=None, init=False)

    def report_progress(self, advance: Callable[[int], None]) -> bool:
        self.on_progress = advance
        return True

    def _analyzer(self) -> Analyzer:
        if self.analyzer is None:
            from ..understand.story import StoryAnalyzer

            self.analyzer = StoryAnalyzer(threads=1)
            self._built = True
        return self.analyzer

    def _pool_analyzer(self) -> Analyzer:
        """The analyzer sent to the workers. One this stage built gets a fresh copy: once it has
        analysed a story here (a small round of a long-lived stage, e.g. the server's), it holds
        loaded models that cannot be pickled to a worker process."""
        if self.analyzer is None or self._built:
            from ..understand.story import StoryAnalyzer

            return StoryAnalyzer(threads=1)
        return self.analyzer

    def prepare(self, added: int) -> None:
        """Start the worker pool as soon as the run has stored enough articles to need one: the
        workers load their models while the text half is still cleaning documents on one core."""
        if self.workers > 1 and added >= self.min_pool and self._pool is None:
            self._start_pool()

    def begin(self, store: AnalysisStore, batch: Batch) -> None:
        """Start (and warm) the worker pool when this run has enough new articles to need one, and
        set it to work on the new articles' facts (those not handed in `batch.facts`)."""
        if self.workers > 1 and len(batch.ids) >= self.min_pool:
            pool = self._pool if self._pool is not None else self._start_pool()
            kind = self._facts_kind()
            known = batch.facts.get(kind, {}) if kind is not None else {}
            ids = [i for i in batch.ids if i not in known]
            self._ahead = FactsAhead(
                store, kind, pool, ids, self.facts_chunk, lambda part: batch.articles(store, part)
            )

    def _facts_kind(self) -> str | None:
        return self._analyzer().facts_kind if self.keep_facts else None

    def _vectors_kind(self) -> str | None:
        return self._analyzer().vectors_kind if self.keep_vectors else None

    def _start_pool(self) -> WorkerPool:
        # Niced: while the stories stage runs, its serial deduper and clusterer keep their core and
        # the workers (loading models, then the new articles' facts) take what is left.
        self._pool = WorkerPool(
            self._pool_analyzer(), self.workers, "analyze_with", chunksize=1, warm="warm", nice=10
        )
        return self._pool

    def end(self, failed: bool = False) -> None:
        """Stop the worker pool, if one was started."""
        if self._ahead is not None:
            ahead, self._ahead = self._ahead, None
            ahead.cancel()
        if self._pool is not None:
            pool, self._pool = self._pool, None
            pool.__exit__(RuntimeError if failed else None, None, None)

    def update(self, store: AnalysisStore, batch: Batch) -> Touched:
        """Analyse the stories `batch.stories` (every pending one: the runner's list).

        Each story's members are those of the header the stories stage wrote this run
        (`batch.headers`), and its new articles (and their Dask facts) those in memory. The store
        is read only for what this run cannot hold: (1) each handed header's member ids, to check
        them: the stories lock is let go between the stories stage's chunks and before the
        analysis lock is taken, so another writer may have changed the story since; (2) the whole
        story, when there is no header (a story another writer or a stopped run left pending) or
        its members changed (none when it was merged away: skipped); (3) the older members' text;
        (4) their facts and sentence vectors kept by earlier runs (`keep_facts`, `keep_vectors`)."""
        ids = list(dict.fromkeys(batch.stories))
        if self._pool is None and self.workers > 1 and len(ids) >= self.min_pool:
            pool = self._start_pool()
            try:
                self._run(store, batch, ids, pool.map)
            finally:
                self.end()
        elif self._pool is not None:
            self._run(store, batch, ids, self._pool.map)
        else:
            analyze = self._analyzer().analyze_with
            self._run(store, batch, ids, lambda tasks: (analyze(t) for t in tasks))
        return Touched(ids)

    @staticmethod
    def _stories(store: AnalysisStore, batch: Batch, ids: list[str]) -> list[Story]:
        """The stories of `ids` still stored, each as its header in `batch` while its stored members
        are still those, else as stored (reads (1) and (2) of `update`)."""
        found = []
        for sid in ids:
            header = batch.headers.get(sid)
            if header is not None and store.story_article_ids(sid) == header.articles:
                found.append(dataclasses.replace(header, articles=list(header.articles)))
                continue
            story = store.get_story(sid)
            if story is not None:
                found.append(story)
        return found

    def _run(
        self,
        store: AnalysisStore,
        batch: Batch,
        ids: list[str],
        analyze_all: Callable[[Iterable[AnalysisTask]], Iterator[StoryAnalysis]],
    ) -> None:
        from ..understand.story import ArticleFacts

        kind = self._facts_kind()
        vkind = self._vectors_kind()
        ready: dict[str, ArticleFacts] = {}
        if self._ahead is not None:
            ready = self._ahead.result()  # computed on the workers while the stories stage ran
            self._ahead = None
            if kind is not None:
                store.put_annotations(kind, {aid: f.to_json() for aid, f in ready.items()})
        handed = batch.facts.get(kind, {}) if kind is not None else {}
        stories = self._stories(store, batch, ids)
        # Largest stories first: a big story dealt out last would leave the other worker idle.
        stories.sort(key=lambda s: -len(s.articles))

        def tasks() -> Iterator[AnalysisTask]:
            for story in stories:
                arts = batch.articles(store, story.articles)  # (3): the older members
                facts: dict[str, ArticleFacts] = {a.id: ready[a.id] for a in arts if a.id in ready}
                facts.update(
                    (a.id, ArticleFacts.from_json(a.id, handed[a.id]))
                    for a in arts
                    if a.id not in facts and a.id in handed
                )
                rest = [a.id for a in arts if a.id not in facts]  # (4): kept by earlier runs
                if rest and kind is not None:
                    for aid, text in store.get_annotations(kind, rest).items():
                        facts[aid] = ArticleFacts.from_json(aid, text)
                if vkind is None:
                    yield arts, facts
                else:
                    yield arts, facts, store.get_sentence_vectors(vkind, story.articles)

        pending: list[Story] = []
        results: list[StoryAnalysis] = []
        for story, result in zip(stories, analyze_all(tasks()), strict=True):
            pending.append(story)
            results.append(result)
            if len(pending) >= self.batch:
                self._write(store, pending, results, kind, vkind)
                self._advance(len(pending))
                pending, results = [], []
        if pending:
            self._write(store, pending, results, kind, vkind)
            self._advance(len(pending))

    def _advance(self, n: int) -> None:
        if self.on_progress is not None:
            self.on_progress(n)

    @staticmethod
    def _write(
        store: AnalysisStore,
        stories: list[Story],
        results: list[StoryAnalysis],
        kind: str | None,
        vkind: str | None,
    ) -> None:
        updated = []
        facts: dict[str, str] = {}
        vectors: dict[str, dict[str, np.ndarray]] = {}
        for story, result in zip(stories, results, strict=True):
            story.entities = result.entities
            story.timeline = result.timeline
            story.quotes = result.quotes
            story.brief = result.brief
            story.disputed = result.disputed
            days = sorted(d.isoformat() for d in result.published.values() if d is not None)
            if days and not story.first_seen:
                story.first_seen, story.last_seen = days[0], days[-1]
            updated.append(story)
            facts.update((aid, f.to_json()) for aid, f in result.new_facts.items())
            for aid, rows in result.new_vectors.items():
                vectors.setdefault(aid, {}).update(rows)
        store.put_story_analysis(updated)
        if kind is not None and facts:
            store.put_annotations(kind, facts)
        if vkind is not None and vectors:
            store.put_sentence_vectors(vkind, vectors)
