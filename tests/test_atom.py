"""Story feeds from the server: /feeds/stories.atom and /feeds/stories/{id}.atom, valid Atom 1.0."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import feedparser
import pytest
from fastapi.testclient import TestClient
from test_web import SEED_STORY, XSS_STORY, XSS_TEXT, XSS_TITLE, build_seed_store

from rasid.atom import ATOM_NS, rfc3339
from rasid.web.app import create_app

A = f"{{{ATOM_NS}}}"
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})$")


@pytest.fixture()
def client(tmp_path, gold, seed_texts):
    db = build_seed_store(tmp_path / "atom.db", gold, seed_texts)
    with TestClient(create_app(str(db), write_key="", read_key="")) as c:
        yield c


def check_atom(body: bytes) -> ET.Element:
    """RFC 4287's required elements: feed id, title, updated, an author; each entry id, title,
    updated (RFC 3339), and a summary or content."""
    root = ET.fromstring(body)
    assert root.tag == f"{A}feed"
    for tag in ("id", "title", "updated"):
        assert root.find(f"{A}{tag}") is not None, tag
    assert RFC3339.match(root.findtext(f"{A}updated") or "")
    feed_author = root.find(f"{A}author") is not None
    for entry in root.findall(f"{A}entry"):
        for tag in ("id", "title", "updated"):
            assert entry.find(f"{A}{tag}") is not None, tag
        assert RFC3339.match(entry.findtext(f"{A}updated") or "")
        assert feed_author or entry.find(f"{A}author") is not None
        assert entry.find(f"{A}summary") is not None or entry.find(f"{A}content") is not None
    return root


def test_stories_feed(client) -> None:
    r = client.get("/feeds/stories.atom")
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/atom+xml")
    check_atom(r.content)
    parsed = feedparser.parse(r.content)
    assert parsed.version == "atom10" and not parsed.bozo
    # Most covered first: the seed story (five outlets) before the one-outlet story.
    assert [e.link.rsplit("/", 1)[1] for e in parsed.entries] == [SEED_STORY, XSS_STORY]
    assert parsed.entries[1].title == XSS_TITLE  # escaped in the XML, the same text once parsed
    assert b"<script>" not in r.content and XSS_TEXT.encode() not in r.content
    assert "5 مصادر" in parsed.entries[0].summary
    # A narrower window keeps only the stories active near the newest one.
    narrow = feedparser.parse(client.get("/feeds/stories.atom?days=0.5").content)
    assert [e.link.rsplit("/", 1)[1] for e in narrow.entries] == [XSS_STORY]
    assert client.get("/feeds/stories.atom?days=0").status_code == 422


def test_story_feed(client) -> None:
    r = client.get(f"/feeds/stories/{SEED_STORY}.atom")
    assert r.status_code == 200
    check_atom(r.content)
    parsed = feedparser.parse(r.content)
    assert parsed.version == "atom10" and not parsed.bozo
    assert len(parsed.entries) == 5
    stamps = [e.published for e in parsed.entries]
    assert stamps == sorted(stamps, reverse=True)  # newest first
    assert parsed.entries[0].link.endswith("/articles/003")  # 2023-09-18, the newest seed
    assert all(e.author for e in parsed.entries)
    hostile = feedparser.parse(client.get(f"/feeds/stories/{XSS_STORY}.atom").content)
    assert not hostile.bozo and hostile.entries[0].title == XSS_TITLE
    assert client.get("/feeds/stories/no-such-story.atom").status_code == 404


def test_rfc3339() -> None:
    assert rfc3339("2015-08-01") == "2015-08-01T00:00:00Z"
    assert rfc3339("2015-08-01T08:00:57+03:00") == "2015-08-01T08:00:57+03:00"
    assert rfc3339("2015-08-01T08:00:57") == "2015-08-01T08:00:57Z"
    assert rfc3339("yesterday") is None and rfc3339(None) is None
