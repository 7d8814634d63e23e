"""Related stories: pairs the story-merge model linked without merging them, on real news."""

from __future__ import annotations

import io
import json

import pytest

from rasid.cluster import StoryClusterer
from rasid.eval.stories import load_saudinewsnet, stream_order, write_saudinewsnet_jsonl
from rasid.model import Article


@pytest.fixture(scope="module")
def streamed(shared) -> tuple[StoryClusterer, list[Article]]:
    """The first 700 articles of 2015-08-02 streamed (hashing vectors: fast, and the links only
    need the merge model's probabilities)."""
    from rasid.embed import HashingEmbedder, article_vectors

    arts = stream_order(load_saudinewsnet([shared / "data" / "saudinewsnet" / "2015-08-02.zip"]))[:700]
    vecs = article_vectors(arts, HashingEmbedder())
    cl = StoryClusterer()
    for a, v in zip(arts, vecs, strict=True):
        cl.assign(a, v)
    return cl, arts


def test_links_are_symmetric_live_and_above_the_cut(streamed):
    cl, arts = streamed
    live = {cl.story_of(a.id) for a in arts}
    linked = 0
    for sid in live:
        rel = cl.related(sid, k=1000)
        linked += bool(rel)
        assert [p for _, p in rel] == sorted((p for _, p in rel), reverse=True)
        for other, p in rel:
            assert other in live and other != sid and p >= cl.related_min
            assert (sid, p) in cl.related(other, k=1000)
    assert linked >= 10  # a real day has neighbouring happenings
    # a story merged away has no links, and nothing links to it
    gone = [s.id for s in cl._stories if s.merged_into is not None]
    assert all(cl.related(g) == [] for g in gone)


def test_links_survive_the_saved_state(streamed):
    cl, arts = streamed
    again = StoryClusterer.from_bytes(cl.to_bytes())
    for sid in {cl.story_of(a.id) for a in arts}:
        assert again.related(sid) == cl.related(sid)


def test_related_min_one_means_no_links(shared):
    from rasid.embed import HashingEmbedder, article_vectors

    arts = stream_order(load_saudinewsnet([shared / "data" / "saudinewsnet" / "2015-08-02.zip"]))[:300]
    cl = StoryClusterer(related_min=1.0)
    for a, v in zip(arts, article_vectors(arts, HashingEmbedder()), strict=True):
        cl.assign(a, v)
    assert all(cl.related(cl.story_of(a.id) or "") == [] for a in arts)
    assert cl.take_linked() == {}


def test_pipeline_stores_links_and_shows_them(tmp_path, shared):
    """`rasid run` on real news stores the links both ways; the export, the API and the story page
    carry them, and the page shows the related story's title escaped."""
    from fastapi.testclient import TestClient

    from rasid.cli import main as cli
    from rasid.store import open_store
    from rasid.web.app import create_app

    feed = tmp_path / "day.jsonl"
    write_saudinewsnet_jsonl([shared / "data" / "saudinewsnet" / "2015-08-02.zip"], feed, limit=500)
    db = str(tmp_path / "r.db")
    assert (
        cli(["run", "--db", db, "--quiet", "--no-progress", str(feed)], out=io.StringIO(), err=io.StringIO())
        == 0
    )
    with open_store(db) as store:
        stories = {s.id: s for s in store.iter_stories()}
    linked = {sid: s.related for sid, s in stories.items() if s.related}
    assert linked, "no related stories in 500 real articles"
    for sid, rel in linked.items():
        assert all(r in stories and sid in stories[r].related for r in rel)
    out = io.StringIO()
    assert cli(["export", "--db", db, "--what", "stories"], out=out) == 0
    exported = {r["id"]: r["related"] for r in map(json.loads, out.getvalue().splitlines())}
    assert {k: v for k, v in exported.items() if v} == linked

    sid, rel = next(iter(linked.items()))
    client = TestClient(create_app(db, write_key="", read_key=""))
    assert client.get(f"/api/stories/{sid}").json()["related"] == rel
    page = client.get(f"/stories/{sid}").text
    assert 'id="related"' in page and f'href="/stories/{rel[0]}"' in page
    from html import escape

    assert escape(stories[rel[0]].title, quote=False) in page
    md = io.StringIO()
    assert cli(["story", "--db", db, sid, "--format", "md"], out=md) == 0
    assert "قصص ذات صلة" in md.getvalue()


def test_a_state_saved_before_links_still_loads(streamed):
    """A state without links (no "near" per story, no related_min parameter) loads, with none."""
    from rasid.dedup import _unzip_state, _zip_state

    cl, arts = streamed
    meta, arrays = _unzip_state(cl.to_bytes())
    meta["params"].pop("related_min")
    for s in meta["stories"]:
        s.pop("near", None)
    again = StoryClusterer.from_bytes(_zip_state(meta, arrays))
    assert again.related_min == StoryClusterer().related_min
    assert all(again.related(cl.story_of(a.id) or "") == [] for a in arts)
