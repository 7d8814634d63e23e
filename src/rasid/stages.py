"""The stages that run after articles are stored: duplicates and stories, then understanding.

`default_stages` is the one place that decides which run by default. Each stage keeps its
streaming state in the store (as blobs), so a later `rasid run` continues where the last one
stopped: story ids stay stable and earlier stories are never renumbered.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from .engine.local import StoryStage
from .model import Article, Story, time_order
from .pipeline import Store
from .settings import Settings

_DEDUP_BLOB = "state:dedup"
_CLUSTER_BLOB = "state:clusterer"
_ALIAS_BLOB = "state:story-aliases"


@dataclass(slots=True)
class StoriesStage:
    """Near-duplicates (MinHash/LSH) and streaming story assignment for newly stored articles."""

    settings: Settings
    embedder: Any = None
    chunk: int = 64  # articles embedded per step of the embedding thread
    _dedup: Any = field(default=None, init=False)
    _clusterer: Any = field(default=None, init=False)

    def _load_state(self, store: Store) -> tuple[Any, Any]:
        from .cluster import StoryClusterer
        from .dedup import Deduper

        blob = store.get_blob(_DEDUP_BLOB)
        dedup = Deduper.from_bytes(blob) if blob else Deduper()
        blob = store.get_blob(_CLUSTER_BLOB)
        if blob:
            clusterer = StoryClusterer.from_bytes(blob)
            clusterer.dormant_days = self.settings.story_dormant_days
        else:
            clusterer = StoryClusterer(dormant_days=self.settings.story_dormant_days)
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
        with _VectorsAhead(store, self._kind(), self._embedder(), articles, self.chunk) as vecs:
            for art in articles:
                dup = dedup.add(art)
                sid = clusterer.assign(art, vecs.get(art.id), dup)
                rows.append((art.id, sid, dup))
                touched[sid] = None
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
        if merged:
            record_merges(store, merged)
            touched = {live(sid): None for sid in touched}
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


class _VectorsAhead:
    """Article vectors, from the store's cache or computed chunk by chunk on a thread ahead of the
    reader, and cached in the store on a clean exit.

    The encoder spends its time in numpy, which releases the GIL, while the deduper and the
    clusterer are pure Python: embedding the next chunk beside the assignment of this one keeps
    both cores busy in a stage that otherwise runs on one. `get` must be called in `articles` order.
    """

    def __init__(self, store: Store, kind: str, embedder: Any, articles: Sequence[Article], chunk: int) -> None:
        from concurrent.futures import ThreadPoolExecutor

        from .embed import article_vectors

        self._store, self._kind = store, kind
        self._have = store.get_vectors(kind, [a.id for a in articles])
        missing = [a for a in articles if a.id not in self._have]
        self._chunks = [[a.id for a in missing[i : i + chunk]] for i in range(0, len(missing), chunk)]
        self._pool = ThreadPoolExecutor(max_workers=1)
        self._futures = [
            self._pool.submit(article_vectors, missing[i : i + chunk], embedder) for i in range(0, len(missing), chunk)
        ]
        self._done = 0

    def get(self, article_id: str) -> Any:
        while article_id not in self._have and self._done < len(self._futures):
            mat = self._futures[self._done].result()
            self._have.update(zip(self._chunks[self._done], mat, strict=True))
            self._done += 1
        return self._have[article_id]

    def __enter__(self) -> _VectorsAhead:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, *exc: object) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
        if exc_type is None:
            for k, ids in enumerate(self._chunks):
                mat = self._futures[k].result()
                self._store.put_vectors(self._kind, ids, mat)


@dataclass(slots=True)
class UnderstandStage:
    """Entities, timeline, quotes, brief and disputes for every story touched by this run.

    Stories are independent, so with `workers` > 1 and enough stories they are analysed on worker
    processes (each with its own models, one BLAS thread each). `begin` starts those workers before
    the stories stage runs, so they load their models on the core the (single-threaded) clusterer
    leaves free.
    """

    analyzer: Any = None
    workers: int = 1
    min_pool: int = 64  # fewer stories than this are not worth starting workers for
    batch: int = 256  # stories written per round
    _pool: Any = field(default=None, init=False)

    def begin(self, store: Store, new_ids: Sequence[str]) -> None:
        """Start (and warm) the worker pool when this run has enough new articles to need one."""
        if self.workers > 1 and len(new_ids) >= self.min_pool and self._pool is None:
            from .engine.pool import WorkerPool
            from .understand.story import StoryAnalyzer

            worker = self.analyzer or StoryAnalyzer(threads=1)
            self._pool = WorkerPool(worker, self.workers, "analyze", chunksize=1, warm="warm")

    def end(self, failed: bool = False) -> None:
        """Stop the worker pool, if one was started."""
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
            self.begin(store, ids)
            try:
                self._run(store, ids, self._pool.map)
            finally:
                self.end()
        elif self._pool is not None:
            self._run(store, ids, self._pool.map)
        else:
            if self.analyzer is None:
                from .understand.story import StoryAnalyzer

                self.analyzer = StoryAnalyzer()
            analyze = self.analyzer.analyze
            self._run(store, ids, lambda groups: (analyze(g) for g in groups))
        return ids

    def _run(self, store: Store, ids: list[str], analyze_all: Any) -> None:
        stories = [s for s in (store.get_story(sid) for sid in ids) if s is not None]
        # Largest stories first: a big story dealt out last would leave the other worker idle.
        stories.sort(key=lambda s: -len(s.articles))
        groups = (store.get_articles(s.articles) for s in stories)
        pending: list[Story] = []
        results: list[Any] = []
        for story, result in zip(stories, analyze_all(groups), strict=True):
            pending.append(story)
            results.append(result)
            if len(pending) >= self.batch:
                self._write(store, pending, results)
                pending, results = [], []
        if pending:
            self._write(store, pending, results)

    @staticmethod
    def _write(store: Store, stories: list[Story], results: Any) -> None:
        updated = []
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
        store.put_stories(updated)


def default_stages(settings: Settings, understand: bool = True) -> list[StoryStage]:
    import os

    stages: list[StoryStage] = [StoriesStage(settings)]
    if understand:
        stages.append(UnderstandStage(workers=settings.workers or os.cpu_count() or 1))
    return stages
