"""What the runner hands the stages (`pipeline.Batch`) and what they hand back (`Touched`): the new
articles from memory, the touched stories' headers from the stories stage, and the store read only
for what a run cannot hold (older members, stories another writer left or changed)."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest
from conftest import SEEDS

from rasid.engine.held import Held
from rasid.evaluate import write_seed_feed
from rasid.ingest import Ingestor
from rasid.pipeline import Batch
from rasid.process import default_text_pipeline
from rasid.runner import build_runner
from rasid.settings import load_settings
from rasid.stages import StoriesStage, UnderstandStage
from rasid.store import open_store
from rasid.store.sqlite import SQLiteStore

pytestmark = pytest.mark.slow


def _seed_articles(gold: dict, tmp: Path) -> list:
    feed = write_seed_feed(SEEDS, gold, tmp / "seeds.jsonl")
    text = default_text_pipeline()
    with Ingestor(load_settings(env={})) as reader:
        return [text.process(doc) for doc in reader.read(str(feed))]


def test_batch_articles_come_from_memory_and_the_rest_from_the_store(tmp_path: Path, gold) -> None:
    arts = _seed_articles(gold, tmp_path)
    with SQLiteStore(tmp_path / "b.db") as store:
        added = store.add_articles(arts)
        assert len(added) == 5
        held = Held(limit=2)
        assert held.keep(arts, added) == [a.id for a in arts[:2]]  # the bound: the first stored
        assert held.keep(arts, added) == []
        batch = held.batch([a.id for a in reversed(arts)])
        assert set(batch.held) == {arts[0].id, arts[1].id}
        got = batch.articles(store, [arts[4].id, "missing", arts[0].id, arts[4].id, arts[2].id])
        assert [a.id for a in got] == [arts[4].id, arts[0].id, arts[2].id]  # asked order, once, known only
        assert got[1] is arts[0]  # held: the runner's own object
        # one kept in memory is what the store gives back (the stages see the same article either way)
        assert store.get_articles([arts[0].id])[0] == arts[0]
        assert store.get_articles([arts[2].id])[0] == got[2]
        # an article the store did not add (already stored) is not held
        again = Held()
        assert again.keep(arts, []) == [] and again.batch([arts[0].id]).held == {}


class _Counting:
    """A store that counts the articles and stories read by id (everything else passes through)."""

    def __init__(self, store: SQLiteStore) -> None:
        self._store = store
        self.articles_read: list[str] = []
        self.stories_read: list[str] = []

    def get_articles(self, ids: Any) -> list:
        self.articles_read.extend(ids)
        return self._store.get_articles(ids)

    def get_story(self, story_id: str) -> Any:
        self.stories_read.append(story_id)
        return self._store.get_story(story_id)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)


def _picture(store: SQLiteStore) -> list[tuple]:
    return [
        (s.id, s.title, tuple(s.articles), tuple(s.sources), len(s.entities), len(s.timeline), len(s.brief))
        + (tuple(e.name for e in s.entities), tuple(q.text for q in s.quotes))
        for s in store.iter_stories()
    ]


def test_stages_are_handed_the_new_articles_and_the_stories_they_touched(tmp_path: Path, gold) -> None:
    """A fresh run over the seeds reads no new article back from the store and no touched story
    (the headers come from the stories stage); its stories are those of a run that held nothing in
    memory and read everything back."""
    feed = write_seed_feed(SEEDS, gold, tmp_path / "seeds.jsonl")
    pictures = []
    for limit in (5000, 0):
        settings = load_settings(env={}, db=str(tmp_path / f"h{limit}.db"))
        with SQLiteStore(settings.db) as base, Ingestor(settings) as reader:
            store = _Counting(base)
            stages = [StoriesStage(settings), UnderstandStage(workers=1)]
            runner = build_runner(store, settings, reader, stages=stages, held=Held(limit=limit))  # type: ignore[arg-type]
            summary = runner.run([str(feed)])
            assert len(summary.added) == 5 and summary.stories
            if limit:
                assert set(store.articles_read).isdisjoint(summary.added), "a new article read back"
                assert store.stories_read == [], "a touched story read back"
            else:  # nothing held: every article is read from the store, as before
                assert set(summary.added) <= set(store.articles_read)
            pictures.append(_picture(base))
    assert pictures[0] == pictures[1] and pictures[0][0][4] > 0


class _Recording:
    """Wraps a story analyzer: records the members of each story it is given."""

    def __init__(self) -> None:
        from rasid.understand.story import StoryAnalyzer

        self.inner = StoryAnalyzer(threads=1)
        self.seen: list[list[str]] = []

    @property
    def facts_kind(self) -> str | None:
        return self.inner.facts_kind

    @property
    def vectors_kind(self) -> str | None:
        return self.inner.vectors_kind

    def warm(self) -> None:
        self.inner.warm()

    def facts_of(self, articles: Any) -> Any:
        return self.inner.facts_of(articles)

    def analyze_with(self, task: Any) -> Any:
        self.seen.append([a.id for a in task[0]])
        return self.inner.analyze_with(task)


def test_a_header_whose_members_changed_since_is_read_again(tmp_path: Path, gold) -> None:
    """Another writer may place articles in a story between the stories stage's chunk and the
    analysis: the understanding stage then analyses the story's members as stored, not those of
    the header it was handed; a story merged away meanwhile is skipped."""
    feed = write_seed_feed(SEEDS, gold, tmp_path / "seeds.jsonl")
    settings = load_settings(env={}, db=str(tmp_path / "m.db"))
    with open_store(settings.db) as store, Ingestor(settings) as reader:
        build_runner(store, settings, reader, stages=[StoriesStage(settings)]).run([str(feed)])
        (story,) = list(store.iter_stories())
        assert len(story.articles) == 5
        stale = Batch(stories=(story.id, "gone"), headers={story.id: _header(story, story.articles[:3])})
        analyzer = _Recording()
        out = UnderstandStage(analyzer=analyzer, workers=1).update(store, stale)
        assert out.ids == [story.id, "gone"]
        assert analyzer.seen == [story.articles]  # the stored five, not the header's three
        current = Batch(stories=(story.id,), headers={story.id: _header(story, story.articles)})
        analyzer.seen = []
        UnderstandStage(analyzer=analyzer, workers=1).update(store, current)
        assert analyzer.seen == [story.articles]
        stored = store.get_story(story.id)
        assert stored is not None and stored.entities and stored.title == story.title


def _header(story: Any, members: list[str]) -> Any:
    from rasid.model import Story

    return Story(id=story.id, title=story.title, articles=list(members), sources=list(story.sources))


def test_the_servers_worker_hands_its_posts_to_the_stages_in_memory(tmp_path: Path, gold) -> None:
    """The server's ingest worker stores a post with one runner and runs the stages with another:
    the stages are still handed the posted articles from memory, and the stories stage's headers."""
    import json

    from rasid.pipeline import BaseStage, Touched
    from rasid.web.worker import IngestQueue

    handed: list[Batch] = []

    class Recorder(BaseStage):
        def update(self, store: Any, batch: Batch) -> Touched:
            handed.append(batch)
            return Touched()

    feed = write_seed_feed(SEEDS, gold, tmp_path / "seeds.jsonl")
    records = [json.loads(line) for line in feed.read_text(encoding="utf-8").splitlines()]
    settings = load_settings(env={}, db=str(tmp_path / "w.db"))
    with SQLiteStore(settings.db) as store:
        queue = IngestQueue(store, lambda: [StoriesStage(settings), Recorder()], settings=lambda: settings)
        job = queue.submit(records)
        job.done.result(timeout=300)
        queue.close()
        assert job.state == "done" and len(job.added) == 5, job.errors
        (batch,) = handed
        assert set(batch.held) == set(job.added) and set(batch.headers) == set(job.stories.values())
        for aid in job.added:  # as stored, but for the story it was placed in since
            stored = store.get_article(aid)
            assert stored is not None and stored.story
            assert batch.held[aid] == dataclasses.replace(stored, story=None, duplicate_of=None)


def test_vectors_handed_in_memory_are_not_looked_up_or_recomputed(tmp_path: Path, gold) -> None:
    """The Dask workers' article vectors reach the stories stage in the batch: the vectors of the
    articles handed are taken as given (as float32, as the store gives them back), the others are
    looked up in the store's cache, and only those missing there are computed."""
    import numpy as np

    from rasid.embed import embedding_texts, group_vectors, make_embedder
    from rasid.engine.prefetch import VectorsAhead

    arts = _seed_articles(gold, tmp_path)
    embedder = make_embedder("hashing")
    kind = "article:test"
    with SQLiteStore(tmp_path / "v.db") as base:
        base.add_articles(arts)
        store = _Counting(base)
        asked: list[list[str]] = []

        def get_vectors(k: str, ids: list[str]) -> dict:
            asked.append(list(ids))
            return base.get_vectors(k, ids)

        store.get_vectors = get_vectors  # type: ignore[method-assign]
        mat = group_vectors([embedding_texts(a) for a in arts], embedder)
        known = {a.id: mat[i].astype(np.float64) for i, a in enumerate(arts[:3])}
        base.put_vectors(kind, [arts[3].id], mat[3:4])
        with VectorsAhead(store, kind, embedder, arts, chunk=2, known=known) as vecs:  # type: ignore[arg-type]
            got = [vecs.get(a.id) for a in arts]
        assert asked == [[arts[3].id, arts[4].id]]  # only those not handed
        assert all(v.dtype == np.float32 for v in got)
        assert np.allclose(np.vstack(got), mat.astype(np.float32), atol=1e-6)
        assert set(base.get_vectors(kind, [a.id for a in arts])) == {
            arts[3].id,
            arts[4].id,
        }  # computed: cached
