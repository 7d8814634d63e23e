"""The stages that run after articles are stored: duplicates and stories, then understanding.

`default_stages` is the one place that decides which run by default. Each stage keeps its
streaming state in the store (as blobs), so a later `rasid run` continues where the last one
stopped: story ids stay stable and earlier stories are never renumbered.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .engine.local import StoryStage
from .model import Article, Story, time_order
from .pipeline import Store
from .settings import Settings

if TYPE_CHECKING:
    from .engine.pool import WorkerPool

_DEDUP_BLOB = "state:dedup"
_CLUSTER_BLOB = "state:clusterer"
_ALIAS_BLOB = "state:story-aliases"


@dataclass(slots=True)
class StoriesStage:
    """Near-duplicates (MinHash/LSH) and streaming story assignment for newly stored articles."""

    settings: Settings
    embedder: Any = None
    chunk: int = 64  # articles embedded per step of the embedding worker
    embed_process_min: int = 256  # from this many articles to embed, a worker process embeds them
    _pool: Any = field(default=None, init=False)  # the embedding worker, started by `prepare`
    # set by the runner when it shows progress: called with 1 as each article is assigned a story
    on_progress: Callable[[int], None] | None = field(default=None, init=False)

    def prepare(self, added: int) -> None:
        """Start the embedding worker as soon as the run has stored enough articles to need one: it
        loads the encoder while the text half still runs on one core, instead of at the start of
        `update`, where the clusterer would wait for it (~1.5 s on a day of news)."""
        if self._pool is None and added >= self.embed_process_min:
            self._pool = _embedding_worker(self._embedder())

    def end(self, failed: bool = False) -> None:
        """Stop the embedding worker, if one was started."""
        if self._pool is not None:
            pool, self._pool = self._pool, None
            pool.__exit__(RuntimeError if failed else None, None, None)

    def _load_state(self, store: Store) -> tuple[Any, Any]:
        from .dedup import Deduper
        from .stories import StoryClusterer, StoryModel

        blob = store.get_blob(_DEDUP_BLOB)
        dedup = Deduper.from_bytes(blob) if blob else Deduper()
        dedup.max_bucket = self.settings.dedup_stop_bucket
        blob = store.get_blob(_CLUSTER_BLOB)
        st = self.settings
        if blob:
            clusterer = StoryClusterer.from_bytes(blob)
        else:
            own = StoryModel.load_folder(st.story_models) if st.story_models else {}
            clusterer = StoryClusterer(model=own.get("model"), merge_model=own.get("merge_model"),
                                       cross_model=own.get("cross_model"), cross_merge_model=own.get("cross_merge_model"),
                                       pair_model=own.get("pair_model"))
        # the settings of this run, not those the state was saved with
        clusterer.dormant_days = st.story_dormant_days
        clusterer.late_after_days = st.story_late_after_days
        clusterer.late_threshold = st.story_late_threshold
        clusterer.late_min_size = st.story_late_min_size
        clusterer.late_merges = st.story_late_merges
        clusterer.related_min = st.story_related_min
        # The clusterer reads each article just after the deduper: it reuses the deduper's tokens.
        clusterer.text_memo = dedup.text_memo
        return dedup, clusterer

    def _embedder(self) -> Any:
        if self.embedder is None:
            from .embed import make_embedder

            # One BLAS thread: the encoder's matrices are small, and a second thread on a shared
            # 2-core machine cost 4x the CPU for no gain in wall time (docs/benchmarks/pipeline.md).
            # The second core is used by embedding beside the clusterer instead (`update`).
            self.embedder = make_embedder(self.settings.embedder, threads=1)
        return self.embedder

    def _kind(self) -> str:
        from .embed import LEAD_CHARS

        # The recipe (title + opening characters) is part of the key: a changed recipe re-embeds.
        return f"article:{self._embedder().name}:title+lead{LEAD_CHARS}"

    def update(self, store: Store, new_ids: Sequence[str], touched_stories: Sequence[str] = ()) -> list[str]:
        if not new_ids:
            return []
        dedup, clusterer = self._load_state(store)
        articles = time_order(store.get_articles(list(new_ids)))
        rows: list[tuple[str, str | None, str | None]] = []
        touched: dict[str, None] = {}
        with _VectorsAhead(store, self._kind(), self._embedder(), articles, self.chunk,
                           self.embed_process_min, self._pool) as vecs:
            for art in articles:
                dup = dedup.add(art)
                sid = clusterer.assign(art, vecs.get(art.id), dup)
                rows.append((art.id, sid, dup))
                touched[sid] = None
                if self.on_progress is not None:
                    self.on_progress(1)
        # A new copy that links two earlier duplicate groups merges them under the earliest
        # article: stored members of the later group get their new head.
        assigned = {aid for aid, _, _ in rows}
        relinked = {aid: head for aid, head in dedup.take_relinked().items() if aid not in assigned}
        for art in store.get_articles(list(relinked)):
            rows.append((art.id, art.story, relinked[art.id]))
        # A merge retires the younger story: its stored articles move to the older one, whose id stays.
        merged = clusterer.take_merged()
        if merged:
            seen = {aid for aid, _, _ in rows}
            moved = [aid for gone in merged for aid in store.story_article_ids(gone) if aid not in seen]
            rows.extend((a.id, a.story, a.duplicate_of) for a in store.get_articles(moved))

        def live(sid: str | None) -> str | None:
            return merged.get(sid, sid) if sid else sid

        # This run's articles take their group's head as it stands after the whole batch.
        rows = [(aid, live(sid), dedup.duplicate_of(aid) if aid in assigned else dup) for aid, sid, dup in rows]
        store.set_assignments(rows)
        store.put_blob(_DEDUP_BLOB, dedup.to_bytes())
        store.put_blob(_CLUSTER_BLOB, clusterer.to_bytes())
        store.put_story_links(clusterer.take_linked())
        if merged:
            record_merges(store, merged)
            touched = dict.fromkeys(merged.get(sid, sid) for sid in touched)
        stories = []
        for sid in touched:
            members = store.story_article_ids(sid)
            old = store.get_story(sid)
            story = old if old is not None else Story(id=sid)
            member_arts = store.get_articles(members)
            story.articles = [a.id for a in time_order(member_arts)]
            story.sources = sorted({a.source for a in member_arts if a.source})
            story.title = clusterer.story_title(sid)
            days = sorted(d for d in (a.published_date for a in member_arts) if d)
            story.first_seen = days[0] if days else None
            story.last_seen = days[-1] if days else None
            stories.append(story)
        store.put_stories(stories)
        return list(touched)


def record_merges(store: Store, merged: dict[str, str]) -> None:
    """Drop the stories retired by a merge and remember where each went (`story_alias`), so a
    link to a retired id still finds its story."""
    import json

    blob = store.get_blob(_ALIAS_BLOB)
    aliases: dict[str, str] = json.loads(blob) if blob else {}
    aliases.update(merged)
    for old, new in list(aliases.items()):  # keep chains short: every alias points to a live story
        while new in aliases and aliases[new] != new:
            new = aliases[new]
        aliases[old] = new
    store.put_blob(_ALIAS_BLOB, json.dumps(aliases, sort_keys=True).encode("utf-8"))
    for gone in merged:
        store.delete_story(gone)


def story_alias(store: Store, story_id: str) -> str | None:
    """The live story a retired (merged) id now belongs to, or None."""
    import json

    blob = store.get_blob(_ALIAS_BLOB)
    return json.loads(blob).get(story_id) if blob else None


def find_story(store: Store, story_id: str) -> Story | None:
    """The story `story_id`, or, for an id retired by a merge, the story that absorbed it
    (its `id` then differs from the one asked for)."""
    story = store.get_story(story_id)
    if story is None:
        live = story_alias(store, story_id)
        story = store.get_story(live) if live else None
    return story


def _embedding_worker(embedder: Any) -> Any:
    """One worker process that embeds groups of article texts (`GroupEmbedWorker.vectors`), its
    encoder loaded as it starts."""
    from .embed import GroupEmbedWorker
    from .engine.pool import WorkerPool

    return WorkerPool(GroupEmbedWorker(embedder), 1, "vectors", chunksize=1, warm="warm")


class _VectorsAhead:
    """Article vectors, from the store's cache or computed chunk by chunk ahead of the reader, and
    cached in the store on a clean exit. `get` must be called in `articles` order.

    The deduper and the clusterer are pure Python and serial; embedding the next chunks beside them
    keeps both cores busy. Many articles are embedded in a worker process: on a thread of this
    process, each of the encoder's short numpy calls waits for the interpreter lock the clusterer
    holds, and the encoder ran 4-20x slower (docs/benchmarks/pipeline.md). A few are embedded on a
    thread, where starting a process would cost more than it saves. A worker already started by
    the caller (`pool`) is used for any number of articles, and left running on exit.
    """

    def __init__(self, store: Store, kind: str, embedder: Any, articles: Sequence[Article], chunk: int,
                 process_min: int = 256, pool: Any = None) -> None:
        from .embed import embedding_texts

        self._store, self._kind = store, kind
        self._have = store.get_vectors(kind, [a.id for a in articles])
        missing = [a for a in articles if a.id not in self._have]
        self._chunks = [[a.id for a in missing[i : i + chunk]] for i in range(0, len(missing), chunk)]
        groups = [[embedding_texts(a) for a in missing[i : i + chunk]] for i in range(0, len(missing), chunk)]
        self._mats: list[Any] = []
        self._pool: Any = None  # a worker of its own, stopped on exit
        self._threads: Any = None
        if pool is not None and missing:
            self._results = pool.map(groups)
        elif len(missing) >= process_min:
            self._pool = _embedding_worker(embedder)
            self._results = self._pool.map(groups)
        else:
            from concurrent.futures import ThreadPoolExecutor

            from .embed import group_vectors

            self._threads = ThreadPoolExecutor(max_workers=1)
            futures = [self._threads.submit(group_vectors, g, embedder) for g in groups]
            self._results = (f.result() for f in futures)

    def get(self, article_id: str) -> Any:
        while article_id not in self._have and len(self._mats) < len(self._chunks):
            self._take()
        return self._have[article_id]

    def _take(self) -> None:
        mat = next(self._results)
        self._have.update(zip(self._chunks[len(self._mats)], mat, strict=True))
        self._mats.append(mat)

    def __enter__(self) -> _VectorsAhead:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, *exc: object) -> None:
        try:
            if exc_type is None:
                while len(self._mats) < len(self._chunks):
                    self._take()
                for ids, mat in zip(self._chunks, self._mats, strict=True):
                    self._store.put_vectors(self._kind, ids, mat)
        finally:
            if self._pool is not None:
                self._pool.__exit__(exc_type, None, None)
            if self._threads is not None:
                self._threads.shutdown(wait=True, cancel_futures=True)


@dataclass(slots=True)
class UnderstandStage:
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

    analyzer: Any = None
    workers: int = 1
    min_pool: int = 64  # fewer stories than this are not worth starting workers for
    batch: int = 256  # stories written per round
    facts_chunk: int = 16  # articles per pool task of the facts pass
    keep_facts: bool = True  # read and write articles' facts in the store (False: recompute each time)
    keep_vectors: bool = True  # read and write sentence vectors in the store (False: recompute each time)
    _pool: Any = field(default=None, init=False)
    _ahead: Any = field(default=None, init=False)

    def _analyzer(self) -> Any:
        if self.analyzer is None:
            from .understand.story import StoryAnalyzer

            self.analyzer = StoryAnalyzer(threads=1)
        return self.analyzer

    def prepare(self, added: int) -> None:
        """Start the worker pool as soon as the run has stored enough articles to need one: the
        workers load their models while the text half is still cleaning documents on one core."""
        if self.workers > 1 and added >= self.min_pool and self._pool is None:
            self._start_pool()

    def begin(self, store: Store, new_ids: Sequence[str]) -> None:
        """Start (and warm) the worker pool when this run has enough new articles to need one, and
        set it to work on the new articles' facts."""
        if self.workers > 1 and len(new_ids) >= self.min_pool:
            if self._pool is None:
                self._start_pool()
            self._ahead = _FactsAhead(store, self._facts_kind(), self._pool, list(new_ids), self.facts_chunk)

    def _facts_kind(self) -> str | None:
        return self._analyzer().facts_kind if self.keep_facts else None

    def _vectors_kind(self) -> str | None:
        return getattr(self._analyzer(), "vectors_kind", None) if self.keep_vectors else None

    def _start_pool(self) -> WorkerPool:
        from .engine.pool import WorkerPool

        # Niced: while the stories stage runs, its serial deduper and clusterer keep their core and
        # the workers (loading models, then the new articles' facts) take what is left.
        self._pool = WorkerPool(self._analyzer(), self.workers, "analyze_with", chunksize=1, warm="warm", nice=10)
        return self._pool

    def end(self, failed: bool = False) -> None:
        """Stop the worker pool, if one was started."""
        if self._ahead is not None:
            ahead, self._ahead = self._ahead, None
            ahead.cancel()
        if self._pool is not None:
            pool, self._pool = self._pool, None
            pool.__exit__(RuntimeError if failed else None, None, None)

    def update(self, store: Store, new_ids: Sequence[str], touched_stories: Sequence[str] = ()) -> list[str]:
        """Analyse the stories touched by this run: `touched_stories` when the stories stage said
        which (the runner passes them on), else the stories of the new articles."""
        ids = list(dict.fromkeys(touched_stories))
        if not ids:
            ids = list(dict.fromkeys(a.story for a in store.get_articles(list(new_ids)) if a.story))
        if self._pool is None and self.workers > 1 and len(ids) >= self.min_pool:
            pool = self._start_pool()
            try:
                self._run(store, ids, pool.map)
            finally:
                self.end()
        elif self._pool is not None:
            self._run(store, ids, self._pool.map)
        else:
            analyze = self._analyzer().analyze_with
            self._run(store, ids, lambda tasks: (analyze(t) for t in tasks))
        return ids

    def _run(self, store: Store, ids: list[str], analyze_all: Any) -> None:
        from .understand.story import ArticleFacts

        kind = self._facts_kind()
        vkind = self._vectors_kind()
        ready: dict[str, Any] = {}
        if self._ahead is not None:
            ready = self._ahead.result()  # computed on the workers while the stories stage ran
            self._ahead = None
            if kind is not None:
                store.put_annotations(kind, {aid: f.to_json() for aid, f in ready.items()})
        stories = [s for s in (store.get_story(sid) for sid in ids) if s is not None]
        # Largest stories first: a big story dealt out last would leave the other worker idle.
        stories.sort(key=lambda s: -len(s.articles))

        def tasks() -> Any:
            for story in stories:
                arts = store.get_articles(story.articles)
                facts = {a.id: ready[a.id] for a in arts if a.id in ready}
                rest = [a.id for a in arts if a.id not in facts]
                if rest and kind is not None:
                    for aid, text in store.get_annotations(kind, rest).items():
                        facts[aid] = ArticleFacts.from_json(aid, text)
                if vkind is None:
                    yield arts, facts
                else:
                    yield arts, facts, store.get_sentence_vectors(vkind, story.articles)

        pending: list[Story] = []
        results: list[Any] = []
        for story, result in zip(stories, analyze_all(tasks()), strict=True):
            pending.append(story)
            results.append(result)
            if len(pending) >= self.batch:
                self._write(store, pending, results, kind, vkind)
                pending, results = [], []
        if pending:
            self._write(store, pending, results, kind, vkind)

    @staticmethod
    def _write(store: Store, stories: list[Story], results: Any, kind: str | None, vkind: str | None) -> None:
        updated = []
        facts: dict[str, str] = {}
        vectors: dict[str, dict[str, Any]] = {}
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
        store.put_stories(updated)
        if kind is not None and facts:
            store.put_annotations(kind, facts)
        if vkind is not None and vectors:
            store.put_sentence_vectors(vkind, vectors)


class _FactsAhead:
    """The facts of this run's new articles, computed on the pool from a thread of this process
    while the stories stage runs. Articles whose facts the store already holds are skipped."""

    def __init__(self, store: Store, kind: str | None, pool: Any, ids: list[str], chunk: int) -> None:
        import threading

        self._store, self._pool = store, pool
        have = set(store.get_annotations(kind, ids)) if kind is not None else set()
        self._ids = [i for i in ids if i not in have]
        self._chunk = chunk
        self._facts: dict[str, Any] = {}
        self._error: BaseException | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._work, name="rasid-facts", daemon=True)
        self._thread.start()

    def _chunks(self) -> Any:
        for i in range(0, len(self._ids), self._chunk):
            if self._stop.is_set():
                return
            yield self._store.get_articles(self._ids[i : i + self._chunk])

    def _work(self) -> None:
        try:
            for found in self._pool.map(self._chunks(), method="facts_of", stop=self._stop):
                self._facts.update(found)
        except BaseException as e:  # handed to the caller of result()
            self._error = e

    def result(self) -> dict[str, Any]:
        """id -> ArticleFacts of every new article not already in the store (waits for the pool)."""
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._facts

    def cancel(self) -> None:
        """Stop waiting for the pool (the run failed; the pool is about to be terminated)."""
        self._stop.set()
        self._thread.join(timeout=5.0)


def default_stages(settings: Settings, understand: bool = True) -> list[StoryStage]:
    import os

    stages: list[StoryStage] = [StoriesStage(settings)]
    if understand:
        stages.append(UnderstandStage(workers=settings.workers or os.cpu_count() or 1))
    return stages
