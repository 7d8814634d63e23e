"""A POSTed article goes through the stages of `rasid run`: within seconds it is in a story that the
API, the pages and `rasid story` all show; an article's `story` never names a story that 404s."""

from __future__ import annotations

import io
import json
import time

import pytest
from fastapi.testclient import TestClient

from rasid.cli import main as cli
from rasid.eval.stories import write_saudinewsnet_jsonl
from rasid.settings import load_settings
from rasid.web.app import create_app


@pytest.fixture(scope="module")
def records(shared, tmp_path_factory) -> list[dict]:
    path = tmp_path_factory.mktemp("posted") / "day.jsonl"
    write_saudinewsnet_jsonl([shared / "data" / "saudinewsnet" / "2015-08-01.zip"], path, limit=60)
    recs = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    return [r for r in recs if len(r["text"]) > 400][:4]


def test_posted_article_joins_a_story_within_seconds(tmp_path, records):
    db = str(tmp_path / "posted.db")
    settings = load_settings(None, env={}, db=db)
    with TestClient(create_app(db, write_key="k", read_key="", settings=settings)) as c:
        # the first POST also loads the models (encoder, NER): allowed to take longer
        warm = c.post("/api/articles", params={"wait": 60}, json=records[:2], headers={"X-API-Key": "k"})
        deadline = time.monotonic() + 240
        while warm.json()["status"] not in ("done", "failed") and time.monotonic() < deadline:
            time.sleep(1)
            warm = c.get(warm.json()["status_url"], headers={"X-API-Key": "k"})
        assert warm.json()["status"] == "done", warm.text
        start = time.monotonic()
        r = c.post("/api/articles", json=records[2], headers={"X-API-Key": "k"})
        took = time.monotonic() - start
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["status"] == "done" and body["added"] == [records[2]["id"]]
        assert took < 10, f"posted article took {took:.1f} s to reach its story"
        (art,) = body["articles"]
        assert art["story"] and art["story_url"] == f"/api/stories/{art['story']}"
        story = c.get(art["story_url"]).json()
        assert records[2]["id"] in story["articles"]
        record = c.get("/api/articles/" + records[2]["id"]).json()
        assert record["story"] == art["story"]
        assert c.get(f"/stories/{art['story']}").status_code == 200
        status = c.get(body["status_url"], headers={"X-API-Key": "k"}).json()
        assert status["status"] == "done" and status["articles"] == body["articles"]
        assert c.get(body["status_url"]).status_code == 401
        listed = c.get("/api/stories").json()
        assert art["story"] in {s["id"] for s in listed["stories"]}
    out = io.StringIO()
    assert cli(["story", art["story"], "--db", db], out=out) == 0
    assert records[2]["id"] in json.loads(out.getvalue())["articles"]


def test_article_story_is_null_until_its_story_exists(tmp_path, records):
    db = str(tmp_path / "nostory.db")
    with TestClient(create_app(db, write_key="k", read_key="", stages=())) as c:
        r = c.post("/api/articles", json=records[0], headers={"X-API-Key": "k"})
        assert r.status_code == 200 and r.json()["articles"][0]["story"] is None
        assert c.get("/api/articles/" + records[0]["id"]).json()["story"] is None
        page = c.get("/articles/" + records[0]["id"]).text
        assert "/stories/" not in page
