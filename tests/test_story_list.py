"""The story list in SQL (store/story_rows.py): summary rows kept with each story write, filled for
stories written before schema version 5, ranked, filtered and paged without loading any story."""

from __future__ import annotations

import sqlite3

import pytest
from storytools import put_stories, put_story

from rasid.model import Article, Entity, Paragraph, Statement, Story
from rasid.store import SCHEMA_VERSION, SQLiteStore, StoreError
from rasid.store.story_rows import StoryFilter, story_rank


def _article(i: int, source: str, day: str, lang: str = "ar") -> Article:
    text = f"نص المقال رقم {i} من {source}"
    return Article(
        id=f"a{i}",
        origin="t",
        raw_text=text,
        content_hash=f"h{i}",
        title=f"مقال {i}",
        source=source,
        published=f"{day}T10:00:00",
        paragraphs=[Paragraph(text, lang)],
    )


def _story(sid: str, arts: list[Article], entity: str = "") -> Story:
    days = sorted(a.published[:10] for a in arts)
    return Story(
        id=sid,
        title=f"قصة {sid}",
        articles=[a.id for a in arts],
        sources=sorted({a.source for a in arts}),
        first_seen=days[0],
        last_seen=days[-1],
        entities=[Entity(entity, "PER", [entity], [a.id for a in arts])] if entity else [],
        brief=[Statement("جملة", [arts[0].id], "ar")],
    )


@pytest.fixture()
def store(tmp_path):
    s = SQLiteStore(tmp_path / "list.db")
    arts = [
        _article(0, "okaz", "2015-08-02"),
        _article(1, "sabq", "2015-08-02"),
        _article(2, "alriyadh", "2015-08-02"),
        _article(6, "alwatan", "2015-08-01"),
        _article(3, "okaz", "2015-08-01"),
        _article(4, "sabq", "2015-08-01", "en"),
        _article(5, "okaz", "2015-08-03"),
    ]
    s.add_articles(arts)
    put_stories(
        s,
        [
            _story("wide", arts[0:4], "عبد الله"),  # four outlets, 08-01 to 08-02
            _story("pair", arts[4:6], "أوباما"),  # two outlets on 08-01
            _story("single-new", arts[6:7]),  # one article on 08-03
        ],
    )
    yield s
    s.close()


def test_rank_weighs_outlets_against_days(store):
    # wide: log2(5) * 1.5 = 3.48 on 08-02; single-new: 1.5 on 08-03 (= 2.5 on 08-02); pair: 2.38 on 08-01
    ids = [r.id for r in store.list_stories().rows]
    assert ids == ["wide", "single-new", "pair"]
    assert story_rank(3, 3, "2015-08-01") - story_rank(1, 1, "2015-08-01") == pytest.approx(1 + 0.5)
    assert story_rank(1, 1, "2015-08-02") - story_rank(1, 1, "2015-08-01") == pytest.approx(1)
    assert [r.id for r in store.list_stories(order="latest").rows] == ["single-new", "wide", "pair"]
    row = store.list_stories().rows[0]
    assert (row.articles, row.outlets, row.statements, row.entities) == (4, 4, 1, ["عبد الله"])
    assert (row.first_seen, row.last_seen) == ("2015-08-01", "2015-08-02")


def test_filters_and_counts(store):
    def ids(**kw):
        page = store.list_stories(StoryFilter(**kw), order="latest")
        assert page.total == len(page.rows)
        return [r.id for r in page.rows]

    assert ids(date_from="2015-08-02") == ["single-new", "wide"]
    assert ids(date_to="2015-08-01") == ["wide", "pair"]
    assert ids(date_from="2015-08-02", date_to="2015-08-02") == ["wide"]
    assert ids(source="SABQ") == ["wide", "pair"]
    assert ids(lang="en") == ["pair"]
    assert ids(entity="عبدالله") == [] and ids(entity="عبد") == ["wide"] and ids(entity="الله") == ["wide"]
    assert ids(entity="بد") == []  # the start of a word, not any part of one
    assert ids(entity="اوباما") == ["pair"]  # hamza folded
    assert ids(source="okaz", date_from="2015-08-03") == ["single-new"]


def test_keyset_paging_walks_every_story_once(store):
    seen, cursor = [], None
    while True:
        page = store.list_stories(limit=1, cursor=cursor)
        seen += [r.id for r in page.rows]
        cursor = page.next_cursor
        if cursor is None:
            break
    assert seen == [r.id for r in store.list_stories().rows]
    with pytest.raises(ValueError):
        store.list_stories(cursor="bm90IGEgY3Vyc29y")


def test_listing_loads_no_story(store, monkeypatch):
    def boom(*a, **k):
        raise AssertionError("the list read a whole story")

    monkeypatch.setattr(store, "_load_stories", boom)
    assert store.list_stories(StoryFilter(entity="اوباما", lang="ar")).total == 1


def test_rewriting_a_story_updates_its_row_and_facets(store):
    story = store.get_story("pair")
    story.sources = ["okaz"]
    story.entities = []
    put_story(store, story)
    assert [r.id for r in store.list_stories(StoryFilter(source="sabq")).rows] == ["wide"]
    assert store.list_stories(StoryFilter(entity="اوباما")).total == 0
    store.delete_story("pair")
    assert store.list_stories(StoryFilter(source="okaz")).total == 2


def test_rows_of_older_stories_are_filled_on_open(tmp_path, store):
    path = store.path
    conn = sqlite3.connect(path)
    conn.execute("DELETE FROM story_list")
    conn.execute("DELETE FROM story_facets")
    conn.commit()
    conn.close()
    with SQLiteStore(path, read_only=True) as ro:
        assert ro.list_stories().total == 0  # a reader does not write
    with SQLiteStore(path) as again:
        assert [r.id for r in again.list_stories().rows] == ["wide", "single-new", "pair"]
        assert again.list_stories(StoryFilter(lang="en")).total == 1


def test_read_only_store_refuses_writes_and_other_versions(tmp_path, store):
    with SQLiteStore(store.path, read_only=True) as ro:
        assert ro.count_stories() == 3
        with pytest.raises(StoreError):
            ro.put_blob("x", b"y")
    conn = sqlite3.connect(store.path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION - 1}")
    conn.commit()
    conn.close()
    with pytest.raises(StoreError):
        SQLiteStore(store.path, read_only=True)


def test_a_source_stored_by_name_is_found_by_its_outlet_id(tmp_path):
    """Stores from before the outlet registry hold sources as written («صحيفة سبق»); their facet
    rows also carry the outlet id, which the web filter resolves a name, id or domain to."""
    with SQLiteStore(tmp_path / "names.db") as s:
        art = _article(0, "صحيفة سبق", "2015-08-02")
        s.add_articles([art])
        put_stories(s, [_story("old", [art])])
        assert [r.id for r in s.list_stories(StoryFilter(source="sabq")).rows] == ["old"]
        assert [r.id for r in s.list_stories(StoryFilter(source="صحيفة سبق")).rows] == ["old"]
        assert s.list_stories(StoryFilter(source="okaz")).total == 0


def test_a_read_only_store_is_served(tmp_path, store, monkeypatch):
    """A store this process cannot write (here: os.access says so) is served: pages, API and feeds
    read it; POST answers 503 without touching it."""
    import os

    from fastapi.testclient import TestClient

    from rasid.web.app import create_app

    path = store.path
    store.close()
    real_access = os.access
    monkeypatch.setattr(os, "access", lambda p, mode, **kw: False if mode & os.W_OK else real_access(p, mode))
    with TestClient(create_app(path, write_key="k", read_key="")) as client:
        assert client.app.state.store.readonly
        assert [s["id"] for s in client.get("/api/stories").json()["stories"]] == [
            "wide",
            "single-new",
            "pair",
        ]
        assert client.get("/", params={"source": "sabq.org"}).status_code == 200
        body = client.get("/api/stories", params={"source": "صحيفة سبق"}).json()
        assert [s["id"] for s in body["stories"]] == ["wide", "pair"]
        feed = client.get("/feeds/stories.atom", params={"days": 1})
        assert feed.status_code == 200 and feed.headers["content-type"].startswith("application/atom+xml")
        assert "قصة wide" in feed.text and "قصة single-new" in feed.text and "قصة pair" not in feed.text
        assert client.get("/feeds/stories/pair.atom").status_code == 200
        assert client.get("/feeds/stories/nope.atom").status_code == 404
        posted = client.post("/api/articles", headers={"X-API-Key": "k"}, json=[{"text": "نص"}])
        assert posted.status_code == 503 and "read-only" in posted.json()["detail"]
