"""The response cache serves repeated reads and never a page older than the store."""

from __future__ import annotations

from fastapi.testclient import TestClient
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
        other.put_story(Story(id="late", title="قصة لاحقة", articles=story.articles[:1],
                              sources=story.sources[:1], first_seen="2023-09-20", last_seen="2023-09-20"))
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
    with TestClient(create_app(str(db), write_key="", read_key="", request_timeout=0.3, cache_entries=0)) as c:
        start = time.monotonic()
        r = c.get("/api/stories")
        assert r.status_code == 503 and time.monotonic() - start < 1.4
        assert c.get(f"/api/stories/{SEED_STORY}").status_code == 200  # other reads go on
