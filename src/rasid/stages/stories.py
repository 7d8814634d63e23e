"""The stories stage: near-duplicates (MinHash/LSH) and streaming story assignment for newly
stored articles, over the algorithms of `rasid.dedup` and `rasid.stories`.

It is handed the new articles (`pipeline.Batch`: those the runner holds in memory, with any
vectors computed with them) and returns the stories it touched with the headers it wrote
(`pipeline.Touched`), which the understanding stage is handed in turn. What it reads from the
store is what no memory of this run holds: articles a stopped run or another process stored
(`Batch.articles`), the older members of the stories it touched (their headers' sources and days),
stored members that move (relinked copies, merged stories), cached vectors, and its own state.

The state those algorithms stream through is kept by a `StateKeeper` (`story_state.py`): in the
store as a checkpoint and a journal, and in memory between the batches of a long-lived stage (the
server's ingest worker, `rasid watch`), so a batch of one posted article neither loads nor saves
the whole state while no other process has placed articles meanwhile.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..engine.prefetch import VectorsAhead, embedding_worker
from ..model import Article, Story, time_order
from ..pipeline import BaseStage, Batch, Touched
from ..settings import Settings
from ..store.protocols import StoriesStore
from .story_state import StateKeeper, StoryState

if TYPE_CHECKING:
    import numpy as np

    from ..embed import Embedder
    from ..engine.pool import WorkerPool

Row = tuple[str, str | None, str | None]  # (article id, story id, duplicate_of)


@dataclass(slots=True)
class StoriesStage(BaseStage):
    """Places each new article in a story (and marks copies), then writes the touched stories'
    headers: members, sources, title, first and last day."""

    settings: Settings
    embedder: Embedder | None = None
    chunk: int = 64  # articles embedded per step of the embedding worker
    embed_process_min: int = 256  # from this many articles to embed, a worker process embeds them
    checkpoint_every: int = 1000  # journal articles past which a batch saves the whole state
    checkpoint_at_end: int = 100  # journal articles from which a run's last chunk saves it (story_state.py)
    _pool: WorkerPool | None = field(default=None, init=False)  # the embedding worker, started by `prepare`
    # set by the runner: called with 1 as each article is assigned a story
    on_progress: Callable[[int], None] | None = field(default=None, init=False)
    _keeper: StateKeeper | None = field(default=None, init=False)
    _ahead: VectorsAhead | None = field(default=None, init=False)  # the run's vectors, from `begin`

    def report_progress(self, advance: Callable[[int], None]) -> bool:
        self.on_progress = advance
        return True

    def prepare(self, added: int) -> None:
        """Start the embedding worker as soon as the run has stored enough articles to need one: it
        loads the encoder while the text half still runs on one core, instead of at the start of
        `update`, where the clusterer would wait for it (~1.5 s on a day of news)."""
        if self._pool is None and added >= self.embed_process_min:
            self._pool = embedding_worker(self._embedder())

    def begin(self, store: StoriesStore, batch: Batch) -> None:
        """Start embedding the run's articles held in memory (in the order they will be placed),
        so that the vectors of each chunk are ready when `update` places it."""
        self._close_ahead()
        held = [batch.held[i] for i in batch.ids if i in batch.held]
        if held:
            self._ahead = self._vectors(store, time_order(held), batch.vectors.get(self._kind()))

    def _close_ahead(self) -> None:
        if self._ahead is not None:
            ahead, self._ahead = self._ahead, None
            ahead.close()

    def end(self, failed: bool = False) -> None:
        """Stop the embedding worker, if one was started."""
        self._close_ahead()
        if self._pool is not None:
            pool, self._pool = self._pool, None
            pool.__exit__(RuntimeError if failed else None, None, None)

    def keeper(self) -> StateKeeper:
        if self._keeper is None:
            self._keeper = StateKeeper(self.settings, self.checkpoint_every, self.checkpoint_at_end)
        return self._keeper

    def load_state(self, store: StoriesStore) -> StoryState:
        """The state as stored, its journal replayed (call under the stages lock)."""
        state = self.keeper().load(store)
        self._replay(store, state, state.journal)
        return state

    def _embedder(self) -> Embedder:
        if self.embedder is None:
            from ..embed import make_embedder

            # One BLAS thread: the encoder's matrices are small, and a second thread on a shared
            # 2-core machine cost 4x the CPU for no gain in wall time (docs/benchmarks/pipeline.md).
            # The second core is used by embedding beside the clusterer instead (`update`).
            self.embedder = make_embedder(self.settings.embedder, threads=1)
        return self.embedder

    def _kind(self) -> str:
        from ..embed import LEAD_CHARS

        # The recipe (title + opening characters) is part of the key: a changed recipe re-embeds.
        return f"article:{self._embedder().name}:title+lead{LEAD_CHARS}"

    def _vectors(
        self, store: StoriesStore, articles: Sequence[Article], known: Mapping[str, np.ndarray] | None = None
    ) -> VectorsAhead:
        return VectorsAhead(
            store,
            self._kind(),
            self._embedder(),
            articles,
            self.chunk,
            self.embed_process_min,
            self._pool,
            known=known,
        )

    def update(self, store: StoriesStore, batch: Batch) -> Touched:
        """Place `batch.ids` (in publication order); the stories touched and their new headers."""
        if not batch.ids:
            return Touched()
        keeper = self.keeper()
        try:
            state, others = keeper.open(store)
            repaired = self._replay(store, state, others)
            return self._place(store, state, batch, repaired)
        except BaseException:
            keeper.forget()  # the state in memory may be half-way through this batch
            raise

    def _place(self, store: StoriesStore, state: StoryState, batch: Batch, repaired: list[Row]) -> Touched:
        dedup, clusterer = state.dedup, state.clusterer
        articles = time_order(batch.articles(store))
        ids = [a.id for a in articles]
        rows: list[Row] = []
        ahead = self._ahead if self._ahead is not None and self._ahead.covers(ids) else None
        with (
            contextlib.nullcontext(ahead)
            if ahead is not None
            else self._vectors(store, articles, batch.vectors.get(self._kind()))
        ) as vecs:
            for art in articles:
                dup = dedup.add(art)
                sid = clusterer.assign(art, vecs.get(art.id), dup)
                rows.append((art.id, sid, dup))
                if self.on_progress is not None:
                    self.on_progress(1)
        if ahead is not None:
            ahead.keep(ids)
        touched = dict.fromkeys(sid for _, sid, _ in rows if sid)
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
        rows = [
            (aid, live(sid), dedup.duplicate_of(aid) if aid in assigned else dup) for aid, sid, dup in rows
        ]
        if repaired:  # the stories those articles were wrongly stored in get their headers again
            touched.update(
                dict.fromkeys(a.story for a in store.get_articles([r[0] for r in repaired]) if a.story)
            )
        store.set_assignments([*repaired, *rows])
        self.keeper().save(store, state, ids, batch.feed_left)
        store.put_story_links(clusterer.take_linked())
        if merged:
            store.retire_stories(merged)
            touched = dict.fromkeys(merged.get(sid, sid) for sid in touched)
        touched.update(dict.fromkeys(sid for _, sid, _ in repaired if sid))
        headers = self._write_headers(store, state, list(touched), batch)
        return Touched(list(touched), {s.id: s for s in headers})

    @staticmethod
    def _write_headers(store: StoriesStore, state: StoryState, ids: list[str], batch: Batch) -> list[Story]:
        """Write the headers of the stories `ids` from their members as just assigned (read from
        the store: the one record of membership); the batch's articles come from memory, the older
        members' sources and days from the store."""
        stories = []
        for sid in ids:
            members = store.story_article_ids(sid)
            if not members:  # left empty by a repair of the store (`_replay`)
                store.delete_story(sid)
                continue
            story = Story(id=sid)  # the header only: the analysis is the understanding stage's
            member_arts = batch.articles(store, members)
            story.articles = [a.id for a in time_order(member_arts)]
            story.sources = sorted({a.source for a in member_arts if a.source})
            story.title = state.clusterer.story_title(sid)
            days = sorted(d for d in (a.published_date for a in member_arts) if d)
            story.first_seen = days[0] if days else None
            story.last_seen = days[-1] if days else None
            stories.append(story)
        store.put_story_headers(stories)
        return stories

    def _replay(self, store: StoriesStore, state: StoryState, batches: list[list[str]]) -> list[Row]:
        """Place the journalled `batches` again, in their order, over `state`: it becomes the state
        the writer that journalled them held. Returns the assignments to write where the store
        disagrees with the replayed state (none while placing is deterministic; a safety net, so
        the store and the state never drift apart)."""
        ids = [aid for batch in batches for aid in batch]
        if not ids:
            return []
        dedup, clusterer = state.dedup, state.clusterer
        for batch in batches:
            order = {aid: i for i, aid in enumerate(batch)}
            articles = sorted(store.get_articles(batch), key=lambda a: order[a.id])
            with self._vectors(store, articles) as vecs:
                for art in articles:
                    clusterer.assign(art, vecs.get(art.id), dedup.add(art))
            # what placing them did to the store then (moves, merges, links) is in the store already
            dedup.take_relinked()
            clusterer.take_merged()
            clusterer.take_linked()

        def live(sid: str | None) -> str | None:
            return (clusterer.merged_into(sid) or sid) if sid else None

        want = {aid: (live(clusterer.story_of(aid)), dedup.duplicate_of(aid)) for aid in ids}
        return [
            (a.id, *want[a.id])
            for a in store.get_articles(ids)
            if want[a.id][0] is not None and (a.story, a.duplicate_of) != want[a.id]
        ]
