"""The response cache serves repeated reads and never a page older than the store."""

from __future__ import annotations

from fastapi.testclient import TestClient
from storytools import put_story
from test_web import SEED_STORY, build_seed_store

from rasid.model import Story
from rasid.store import open_store
from rasid.web.app import create_app
from rasid.web.cache import ResponseCache


def _cache(app) -> ResponseCache:
    layer = app.middleware_stack
    while not isinstance(layer, ResponseCache):
        layer = layer.app
    return layer


def test_cached_until_any_write(tmp_path, gold, seed_texts):
    db = build_seed_store(tmp_path / "c.db", gold, seed_texts)
    app = create_app(str(db), write_key="", read_key="")
    with TestClient(app) as c:
        first = c.get("/api/stories").json()
        assert c.get("/api/stories").json() == first
        cache = _cache(app)
        assert cache.hits >= 1
        assert c.get("/api/stories").headers["content-security-policy"]  # headers kept on a hit
        # another process-like writer: a store object of its own commits a story
        other = open_store(str(db))
        story = other.get_story(SEED_STORY)
        put_story(
            other,
            Story(
                id="late",
                title="قصة لاحقة",
                articles=story.articles[:1],
                sources=story.sources[:1],
                first_seen="2023-09-20",
                last_seen="2023-09-20",
            ),
        )
        other.close()
        after = c.get("/api/stories", params={"order": "latest"}).json()
        assert after["total"] == first["total"] + 1 and after["stories"][0]["id"] == "late"
        assert c.get("/api/stories").json()["total"] == first["total"] + 1
        assert c.get("/api/stories/nope").status_code == 404  # errors are not cached
        assert c.get("/stories/late").status_code == 200


def test_no_cache_when_reading_needs_a_key(tmp_path, gold, seed_texts):
    db = build_seed_store(tmp_path / "k.db", gold, seed_texts)
    app = create_app(str(db), write_key="w", read_key="r")
    with TestClient(app) as c:
        assert c.get("/api/stories", headers={"X-API-Key": "r"}).status_code == 200
        assert c.get("/api/stories").status_code == 401
    layer = app.middleware_stack
    while hasattr(layer, "app"):
        assert not isinstance(layer, ResponseCache)
        layer = layer.app


def test_a_slow_read_is_answered_503_at_the_time_out(tmp_path, gold, seed_texts, monkeypatch):
    import time

    from rasid.store import SQLiteStore

    db = build_seed_store(tmp_path / "t.db", gold, seed_texts)
    real = SQLiteStore.list_stories

    def slow(self, *a, **k):  # type: ignore[no-untyped-def]
        time.sleep(1.5)
        return real(self, *a, **k)

    monkeypatch.setattr(SQLiteStore, "list_stories", slow)
    with TestClient(
        create_app(str(db), write_key="", read_key="", request_timeout=0.3, cache_entries=0)
    ) as c:
        start = time.monotonic()
        r = c.get("/api/stories")
        assert r.status_code == 503 and time.monotonic() - start < 1.4
        assert c.get(f"/api/stories/{SEED_STORY}").status_code == 200  # other reads go on


def test_article_pages_stay_cached_through_writes_elsewhere(tmp_path, gold, seed_texts):
    """A write that does not touch an article keeps its cached page and record (revalidated by
    its story); moving the article to another story, or retiring its story, refreshes them."""
    db = build_seed_store(tmp_path / "a.db", gold, seed_texts)
    app = create_app(str(db), write_key="", read_key="")
    with TestClient(app) as c:
        story = open_store(str(db)).get_story(SEED_STORY)
        first = story.articles[0]
        page = c.get(f"/articles/{first}").text
        record = c.get(f"/api/articles/{first}").json()
        assert record["story"] == SEED_STORY
        total = c.get("/api/stories").json()["total"]
        cache = _cache(app)
        hits = cache.hits
        other = open_store(str(db))
        put_story(
            other,
            Story(
                id="late",
                title="قصة لاحقة",
                articles=story.articles[1:2],
                sources=story.sources[:1],
                first_seen="2023-09-20",
                last_seen="2023-09-20",
            ),
        )
        assert c.get(f"/articles/{first}").text == page
        assert c.get(f"/api/articles/{first}").json() == record
        assert cache.hits == hits + 2  # kept through the write: the article's story is unchanged
        assert c.get("/api/stories").json()["total"] == total + 1  # the list was not
        # the article moves to the new story: its page and record follow at once
        other.set_assignments([(first, "late", None)])
        assert c.get(f"/api/articles/{first}").json()["story"] == "late"
        assert "/stories/late" in c.get(f"/articles/{first}").text
        other.close()


def test_story_pages_stay_cached_until_their_story_changes(tmp_path, gold, seed_texts):
    db = build_seed_store(tmp_path / "s.db", gold, seed_texts)
    app = create_app(str(db), write_key="", read_key="")
    with TestClient(app) as c:
        page = c.get(f"/stories/{SEED_STORY}").text
        record = c.get(f"/api/stories/{SEED_STORY}").json()
        cache = _cache(app)
        hits = cache.hits
        other = open_store(str(db))
        story = other.get_story(SEED_STORY)
        put_story(
            other,
            Story(
                id="late",
                title="قصة لاحقة",
                articles=[],  # another story: none of this one's members moves to it
                sources=story.sources[:1],
                first_seen="2023-09-20",
                last_seen="2023-09-20",
            ),
        )
        assert c.get(f"/stories/{SEED_STORY}").text == page
        assert c.get(f"/api/stories/{SEED_STORY}").json() == record
        assert cache.hits == hits + 2  # another story was written: this one is served from the cache
        story.title = "عنوان جديد للقصة"
        put_story(other, story)
        assert "عنوان جديد للقصة" in c.get(f"/stories/{SEED_STORY}").text
        assert c.get(f"/api/stories/{SEED_STORY}").json()["title"] == "عنوان جديد للقصة"
        # a member becoming a copy changes the page (its badge) though the story row does not change
        before = c.get(f"/stories/{SEED_STORY}").text
        other.set_assignments([(story.articles[1], SEED_STORY, story.articles[0])])
        assert c.get(f"/stories/{SEED_STORY}").text != before
        other.close()


def test_etag_and_304_follow_the_page(tmp_path, gold, seed_texts):
    """A read page carries an ETag; a client holding it gets 304 (no body) until the page changes,
    and then the new page with a new ETag."""
    db = build_seed_store(tmp_path / "e.db", gold, seed_texts)
    app = create_app(str(db), write_key="", read_key="")
    with TestClient(app) as c:
        first = c.get("/api/stories")
        tag = first.headers["etag"]
        assert tag.startswith('"') and first.headers["cache-control"] == "no-cache"
        again = c.get("/api/stories", headers={"If-None-Match": tag})  # served from the cache
        assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == tag
        assert again.headers["content-security-policy"]  # the security headers on a 304 too
        assert c.get("/api/stories", headers={"If-None-Match": '"other"'}).status_code == 200
        assert c.get("/api/stories", headers={"If-None-Match": f'"x", W/{tag}'}).status_code == 304
        page = c.get("/stories/" + SEED_STORY)
        assert (
            c.get("/stories/" + SEED_STORY, headers={"If-None-Match": page.headers["etag"]}).status_code
            == 304
        )
        other = open_store(str(db))
        story = other.get_story(SEED_STORY)
        put_story(
            other,
            Story(
                id="late",
                title="قصة لاحقة",
                articles=story.articles[:1],
                sources=story.sources[:1],
                first_seen="2023-09-20",
                last_seen="2023-09-20",
            ),
        )
        other.close()
        changed = c.get("/api/stories", headers={"If-None-Match": tag})
        assert changed.status_code == 200 and changed.headers["etag"] != tag
        assert changed.json()["total"] == first.json()["total"] + 1
        assert "etag" not in c.get("/api/stories/nope").headers  # errors carry none


def test_search_pages_share_one_search_until_a_write(tmp_path, gold, seed_texts, monkeypatch):
    """The HTML page and the API answer of one query run one search; a write runs it again."""
    from rasid.store import SQLiteStore

    db = build_seed_store(tmp_path / "s.db", gold, seed_texts)
    calls: list[str] = []
    real = SQLiteStore.search_page

    def counted(self, query, *a, **k):  # type: ignore[no-untyped-def]
        calls.append(query)
        return real(self, query, *a, **k)

    monkeypatch.setattr(SQLiteStore, "search_page", counted)
    app = create_app(str(db), write_key="", read_key="")
    with TestClient(app) as c:
        api = c.get("/api/search", params={"q": "روسيا"}).json()
        assert c.get("/search", params={"q": "روسيا"}).status_code == 200
        assert calls == ["روسيا"] and api["total"] >= 1
        other = open_store(str(db))
        story = other.get_story(SEED_STORY)
        put_story(
            other,
            Story(
                id="late",
                title="قصة لاحقة",
                articles=story.articles[:1],
                sources=story.sources[:1],
                first_seen="2023-09-20",
                last_seen="2023-09-20",
            ),
        )
        other.close()
        assert c.get("/search", params={"q": "روسيا"}).status_code == 200
        assert calls == ["روسيا", "روسيا"]
