"""The HTTP API, the web pages and the offline renders, over a store built by hand from the seeds.

The store here is a hand-built fixture (the seed articles, and a story whose statements, timeline,
entities, quotes and dispute are real seed sentences located through gold.json's evidence strings):
these tests check rendering, routing, auth and escaping, not the analysis that fills a real store.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from markupsafe import escape
from storytools import put_story

from rasid.model import (
    Article,
    Dispute,
    Entity,
    Paragraph,
    Quote,
    Removed,
    Statement,
    Story,
    TimelineEvent,
)
from rasid.render import ar_count, md_text, safe_href, story_html, story_markdown, story_view
from rasid.store import open_store
from rasid.web.app import create_app

SEED_STORY = "seed-story"
XSS_STORY = "xss-story"
XSS_TITLE = "<script>alert(1)</script>"
XSS_TEXT = "<img src=x onerror=alert(1)>"
XSS_URL = "javascript:alert(1)"
_SENT = re.compile(r"(?<=[.!؟?])\s+")


def _sentence(text: str, needle: str) -> str:
    """The sentence of `text` that contains `needle` (whole paragraph if no sentence split fits)."""
    for line in text.splitlines():
        if needle in line:
            for sent in _SENT.split(line.strip()):
                if needle in sent:
                    return sent.strip()
            return line.strip()
    raise AssertionError(f"{needle!r} not in text")


def seed_articles(gold: dict, texts: dict[str, str]) -> dict[str, Article]:
    """The seeds as Articles: paragraphs are the non-empty lines, foreign ones tagged from gold."""
    foreign = {(f["doc"], f["starts"]): f["lang"] for f in gold["foreign_paragraphs"]}
    out: dict[str, Article] = {}
    for doc in gold["documents"]:
        d_id, text = doc["id"], texts[doc["id"]]
        lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
        if len(lines[0]) <= 100:  # a headline line
            title, body = lines[0], lines[1:]
        else:  # no headline: the lead's first words, as the pipeline's fallback title does
            title, body = lines[0][:90].rsplit(" ", 1)[0] + "…", lines
        paragraphs = []
        for ln in body:
            lang = next((lg for (fd, st), lg in foreign.items() if fd == d_id and ln.startswith(st)), "ar")
            paragraphs.append(Paragraph(ln, lang, _SENT.split(ln)))
        out[d_id] = Article(
            id=d_id,
            origin=doc["file"],
            raw_text=text,
            content_hash=hashlib.sha256(text.encode()).hexdigest(),
            title=title,
            source=f"seed-{d_id}",
            published=doc["published"],
            paragraphs=paragraphs,
            removed=[Removed(n["kind"], n["text"]) for n in gold["noise"] if n["doc"] == d_id],
            story=SEED_STORY,
        )
    return out


def seed_story(gold: dict, texts: dict[str, str], articles: dict[str, Article]) -> Story:
    """A story over the seeds whose every text is a real seed sentence found via gold evidence."""
    ids = sorted(articles)
    brief = []
    for pair in gold["near_duplicates"]:
        (a_doc, a_text), (b_doc, _) = pair["a"], pair["b"]
        brief.append(Statement(_sentence(texts[a_doc], a_text), [a_doc, b_doc], "ar"))
    timeline = []
    for ev in gold["timeline"]:
        doc, needle = next((d, e) for e in ev["evidence"] for d in ev["docs"] if e in texts[d])
        sent = _sentence(texts[doc], needle)
        timeline.append(TimelineEvent(ev["date"], sent, list(ev["docs"])))
        if len(ev["docs"]) == 1 and len(brief) < 6:
            brief.append(Statement(sent, [doc], "ar"))
    dispute = gold["disputed"][0]
    d_doc = dispute["source_claims"][0].split(":")[0]
    claim = _sentence(texts[d_doc], dispute["evidence"][0])
    denial = _sentence(texts[d_doc], dispute["evidence"][1])
    brief.append(Statement(claim, [d_doc], "ar"))
    entities = []
    for ent in gold["entities"]:
        arabic = [v for v in ent["variants"] if re.search("[\u0600-\u06ff]", v)]
        found = [d for d in ids if any(v in texts[d] for v in ent["variants"])]
        entities.append(
            Entity(arabic[0] if arabic else ent["canonical"], ent["type"], ent["variants"], found)
        )
    speakers = {e["canonical"]: e["variants"][0] for e in gold["entities"]}
    quotes = [Quote(speakers.get(q["speaker"], q["speaker"]), q["text"], q["doc"]) for q in gold["quotes"]]
    dates = sorted(a.published for a in articles.values() if a.published)
    return Story(
        id=SEED_STORY,
        title=articles["000"].title,
        articles=ids,
        sources=[articles[i].source for i in ids],
        entities=entities,
        timeline=timeline,
        quotes=quotes,
        brief=brief,
        disputed=[Dispute(claim, [d_doc], [d_doc], denial)],
        first_seen=dates[0],
        last_seen=dates[-1],
    )


def xss_article(texts: dict[str, str]) -> Article:
    """An article whose every field tries to inject markup, around a real seed paragraph."""
    real = next(ln for ln in texts["002"].splitlines() if len(ln) > 80)
    return Article(
        id="xss-1",
        origin="hostile",
        raw_text=real,
        content_hash="xss",
        title=XSS_TITLE,
        url=XSS_URL,
        source="<b>evil</b>",
        published="2023-09-19",
        paragraphs=[Paragraph(XSS_TEXT, "en"), Paragraph(real, "ar")],
        removed=[Removed("embed", XSS_TEXT)],
        story=XSS_STORY,
    )


def xss_story(art: Article) -> Story:
    return Story(
        id=XSS_STORY,
        title=XSS_TITLE,
        articles=[art.id],
        sources=[art.source or ""],
        entities=[Entity(XSS_TITLE, "PER", [XSS_TEXT], [art.id])],
        timeline=[TimelineEvent("2023-09-19", XSS_TEXT, [art.id])],
        quotes=[Quote(XSS_TITLE, XSS_TEXT, art.id)],
        brief=[Statement(XSS_TEXT, [art.id], "en")],
        disputed=[Dispute(XSS_TITLE, [art.id], [art.id], XSS_TEXT)],
        first_seen="2023-09-19",
        last_seen="2023-09-19",
    )


def cleaned(arts: dict[str, Article]) -> dict[str, Article]:
    """The same articles with paragraphs and removed debris from the real text pipeline."""
    from rasid.model import RawDoc
    from rasid.process import default_text_pipeline

    text = default_text_pipeline()
    out = {}
    for a_id, art in arts.items():
        body = art.raw_text.split("\n", 1)[1] if art.raw_text.startswith(art.title) else art.raw_text
        done = text.process(
            RawDoc(
                origin=art.origin,
                id=a_id,
                title=art.title,
                text=body,
                source=art.source,
                published=art.published,
            )
        )
        assert isinstance(done, Article), done
        done.story = art.story
        out[a_id] = done
    return out


def build_seed_store(
    db: Path, gold: dict, texts: dict[str, str], hostile: bool = True, clean: bool = False
) -> Path:
    """A SQLite store holding the seed story (and, if `hostile`, the XSS story).

    With `clean`, the articles' paragraphs come from the real cleaner (for screenshots and the
    browser tests); the story's texts are seed sentences either way.
    """
    store = open_store(str(db))
    arts = seed_articles(gold, texts)
    if clean:
        arts = cleaned(arts)
    store.add_articles(list(arts.values()))
    put_story(store, seed_story(gold, texts, arts))
    if hostile:
        bad = xss_article(texts)
        store.add_articles([bad])
        put_story(store, xss_story(bad))
    store.close()
    return db


@pytest.fixture()
def db(tmp_path, gold, seed_texts) -> Path:
    return build_seed_store(tmp_path / "web.db", gold, seed_texts)


@pytest.fixture()
def client(db) -> TestClient:
    with TestClient(create_app(str(db), write_key="", read_key="")) as c:
        yield c


# -- API ----------------------------------------------------------------------------------------


def test_story_list_paging_and_filters(client):
    body = client.get("/api/stories").json()
    assert body["total"] == 2 and body["page"] == 1
    assert {s["id"] for s in body["stories"]} == {SEED_STORY, XSS_STORY}
    # ranked: five outlets on 09-18 outweigh one article a day later (one day = half the outlets)
    assert [s["id"] for s in body["stories"]] == [SEED_STORY, XSS_STORY]
    latest = client.get("/api/stories", params={"order": "latest"}).json()
    assert [s["id"] for s in latest["stories"]] == [XSS_STORY, SEED_STORY]
    page2 = client.get("/api/stories", params={"per_page": 1, "page": 2, "order": "latest"}).json()
    assert page2["pages"] == 2 and [s["id"] for s in page2["stories"]] == [SEED_STORY]
    assert client.get("/api/stories", params={"per_page": 1, "page": 3}).json()["stories"] == []
    seed = page2["stories"][0]
    assert seed["article_count"] == 5 and len(seed["sources"]) == 5 and seed["outlet_count"] == 5
    # keyset paging: the cursor of page 1 gives page 2, the last page has no cursor
    first = client.get("/api/stories", params={"per_page": 1, "order": "latest"}).json()
    assert [s["id"] for s in first["stories"]] == [XSS_STORY] and first["next_cursor"]
    after = client.get(
        "/api/stories", params={"per_page": 1, "order": "latest", "cursor": first["next_cursor"]}
    ).json()
    assert [s["id"] for s in after["stories"]] == [SEED_STORY] and after["next_cursor"] is None
    # a cursor of the other order, or garbage, is refused
    assert client.get("/api/stories", params={"cursor": first["next_cursor"]}).status_code == 422
    assert client.get("/api/stories", params={"cursor": "nonsense"}).status_code == 422

    def ids(**params):
        return [s["id"] for s in client.get("/api/stories", params=params).json()["stories"]]

    # dates: active range overlap
    assert ids(date_from="2023-09-18", date_to="2023-09-18") == [SEED_STORY]
    assert ids(date_from="2023-09-19") == [XSS_STORY]
    assert ids(date_to="2023-09-14") == []
    # entity, by matching form: hamza and ya spellings folded
    assert ids(entity="بوتين") == [SEED_STORY]
    assert ids(entity="كيم جونغ اون") == [SEED_STORY]
    assert ids(entity="فلاديفوستوك") == [SEED_STORY]
    assert ids(entity="غير موجود") == []
    assert ids(source="seed-003") == [SEED_STORY]
    assert ids(lang="en") == [XSS_STORY]
    assert ids(lang="ar") == [SEED_STORY, XSS_STORY]
    assert ids(source="seed-003", date_from="2023-09-19") == []


@pytest.mark.parametrize(
    "params",
    [
        {"page": 0},
        {"per_page": 0},
        {"per_page": 101},
        {"page": "x"},
        {"date_from": "17/09/2023"},
        {"date_from": "2015-13-45"},
        {"date_to": "2015-02-30"},
        {"order": "oldest"},
        {"entity": "x" * 7_000},
        {"source": "y" * 201},
        {"lang": "z" * 11},
    ],
)
def test_paging_bounds_are_validated(client, params):
    r = client.get("/api/stories", params=params)
    assert r.status_code == 422
    assert "x" * 300 not in r.text and "y" * 201 not in r.text  # a refused value is not echoed
    page = client.get("/", params=params)
    assert page.status_code == 422 and "x" * 300 not in page.text


def test_story_and_article_records(client, gold):
    story = client.get(f"/api/stories/{SEED_STORY}").json()
    assert set(story) >= {
        "id",
        "title",
        "articles",
        "sources",
        "entities",
        "timeline",
        "quotes",
        "brief",
        "disputed",
    }
    assert sorted(story["articles"]) == ["000", "001", "002", "003", "004"]  # in publication order
    assert len(story["timeline"]) == len(gold["timeline"])
    assert all(set(s) >= {"text", "articles", "lang"} for s in story["brief"])
    art = client.get("/api/articles/002").json()
    assert art["id"] == "002" and art["story"] == SEED_STORY
    assert any(p["lang"] == "fr" for p in art["paragraphs"])
    assert set(art["paragraphs"][0]) == {"text", "lang"}


def test_404s_are_json_on_the_api_and_html_on_pages(client):
    for path in ("/api/stories/nope", "/api/articles/nope", "/api/nothing-here"):
        r = client.get(path)
        assert r.status_code == 404
        assert r.headers["content-type"].startswith("application/json")
        assert "detail" in r.json()
    for path in ("/stories/nope", "/articles/nope"):
        r = client.get(path)
        assert r.status_code == 404 and r.headers["content-type"].startswith("text/html")


def test_search(client, seed_texts):
    r = client.get("/api/search", params={"q": "كومسومولسك"}).json()
    hit_ids = {h["id"] for h in r["results"]}
    assert hit_ids and hit_ids <= {"000", "001", "002", "004", "xss-1"}
    assert all(
        set(h) >= {"id", "title", "snippet", "score", "highlights", "story", "copies"} for h in r["results"]
    )
    assert r["total"] == len(r["results"]) and r["pages"] == 1
    assert client.get("/api/search", params={"q": ""}).status_code == 422
    assert client.get("/api/search").status_code == 422
    assert (
        client.get("/api/search", params={"q": "كومسومولسك", "limit": 1}).json()["results"][:1]
        == r["results"][:1]
    )


def test_ingest_needs_a_key(db, seed_texts):
    record = {"id": "posted-1", "text": seed_texts["003"], "source": "test-outlet", "published": "2023-09-18"}
    with TestClient(create_app(str(db), write_key="", read_key="")) as off:
        assert off.post("/api/articles", json=record).status_code == 503
    with TestClient(create_app(str(db), write_key="s3cret", read_key="", stages=())) as c:
        assert c.post("/api/articles", json=record).status_code == 401
        assert c.post("/api/articles", json=record, headers={"X-API-Key": "wrong"}).status_code == 401
        assert c.get("/api/articles/posted-1").status_code == 404
        r = c.post("/api/articles", json=record, headers={"X-API-Key": "s3cret"})
        assert r.status_code == 200, r.text
        assert r.json()["added"] == ["posted-1"]
        art = c.get("/api/articles/posted-1").json()
        assert art["source"] == "test-outlet" and art["published"].startswith("2023-09-18")
        assert any("بوتين" in p["text"] for p in art["paragraphs"])
        # a list, by bearer token; the same record again adds nothing
        again = c.post("/api/articles", json=[record], headers={"Authorization": "Bearer s3cret"})
        assert (
            again.status_code == 200 and again.json()["added"] == [] and again.json()["already_stored"] == 1
        )
        bad = c.post("/api/articles", json={"id": "empty"}, headers={"X-API-Key": "s3cret"})
        assert bad.status_code == 422 and bad.json()["errors"]
        assert c.post("/api/articles", json=["x"], headers={"X-API-Key": "s3cret"}).status_code == 422


def test_ingest_calls_the_injected_callable(db):
    seen = []

    def fake(records):
        seen.extend(records)
        return {"added": [r["id"] for r in records]}

    with TestClient(create_app(str(db), write_key="k", read_key="", ingest=fake)) as c:
        r = c.post(
            "/api/articles",
            json=[{"id": "a", "text": "x"}, {"id": "b", "text": "y"}],
            headers={"X-API-Key": "k"},
        )
    assert r.status_code == 200 and r.json() == {"added": ["a", "b"]} and len(seen) == 2


def test_read_key_guards_api_and_pages(db, monkeypatch):
    monkeypatch.setenv("RASID_READ_KEY", "reader")
    monkeypatch.setenv("RASID_API_KEY", "writer")
    with TestClient(create_app(str(db))) as c:
        assert c.get("/api/stories").status_code == 401
        assert c.get("/").status_code == 401
        assert c.get("/api/stories", headers={"X-API-Key": "reader"}).status_code == 200
        assert c.get("/api/stories", headers={"X-API-Key": "writer"}).status_code == 200
        assert c.get("/", auth=("anyone", "reader")).status_code == 200
        assert c.get("/static/style.css").status_code == 200


def test_openapi_and_docs(client):
    spec = client.get("/openapi.json").json()
    assert {"/api/stories", "/api/search", "/api/articles"} <= set(spec["paths"])
    post = spec["paths"]["/api/articles"]["post"]
    assert {"200", "202", "401", "413", "422", "503"} <= set(post["responses"])
    assert "InputRecord" in str(post["requestBody"]) and post["security"]
    assert set(spec["components"]["securitySchemes"]) == {"ApiKey", "Bearer"}
    assert "InputRecord" in spec["components"]["schemas"]  # the body's reference resolves
    assert "StoryList" in str(spec["paths"]["/api/stories"]["get"]["responses"]["200"])
    docs = client.get("/docs")
    assert docs.status_code == 200 and "/api/articles" in docs.text and "InputRecord" in docs.text
    # served from this server only: no CDN, no script, the strict policy
    assert "cdn" not in docs.text.lower() and "<script" not in docs.text.lower()
    assert "script-src 'self'" in docs.headers["content-security-policy"]
    assert "unsafe-inline" not in docs.headers["content-security-policy"]


# -- pages --------------------------------------------------------------------------------------


def test_pages_render_rtl_with_security_headers(client):
    r = client.get("/")
    assert r.status_code == 200
    assert '<html lang="ar" dir="rtl">' in r.text
    csp = r.headers["content-security-policy"]
    assert "default-src 'self'" in csp and "unsafe-inline" not in csp
    assert r.headers["x-content-type-options"] == "nosniff"
    assert "<script" not in r.text.replace("&lt;script", "")
    css = client.get("/static/style.css")
    assert css.status_code == 200 and "Noto Naskh Arabic" in css.text


def test_story_page_shows_brief_timeline_matrix_and_more(client, gold, seed_texts):
    page = client.get(f"/stories/{SEED_STORY}").text
    story = client.get(f"/api/stories/{SEED_STORY}").json()
    for st in story["brief"]:
        assert str(escape(st["text"])) in page
    # timeline as an SVG with one mark per event and the dates on the axis
    svg = page[page.index("<svg") : page.index("</svg>")]
    assert svg.count("<circle") == len(gold["timeline"])
    assert "13 سبتمبر 2023" in svg
    # single-source and disputed statements are marked
    assert page.count('class="badge single"') == sum(len(s["articles"]) == 1 for s in story["brief"])
    assert 'class="badge disputed"' in page
    # coverage matrix: one row per statement, a tick per (statement, outlet)
    table = page[page.index('<table class="matrix">') : page.index("</table>")]
    assert table.count("<tr") == len(story["brief"]) + 2  # the header and the per-outlet totals
    assert table.count("✓") == sum(len(set(s["articles"])) for s in story["brief"])
    # entities with variants, quotes with speakers, dispute, articles linked
    assert "كيم جونج أون" in page and "بوتين" in page
    assert gold["quotes"][0]["text"] in page
    assert str(escape(story["disputed"][0]["text"])) in page
    for a_id in story["articles"]:
        assert f'href="/articles/{a_id}"' in page


def test_article_page_shows_paragraphs_and_removed(client):
    page = client.get("/articles/002").text
    assert 'dir="auto" lang="fr"' in page and "Les roquettes de calibre 122" in page
    page1 = client.get("/articles/001").text
    assert "<details" in page1 and "covid19-ultimate-card" in page1
    assert f'href="/stories/{SEED_STORY}"' in page1


def test_search_page(client):
    page = client.get("/search", params={"q": "بوتين"}).text
    results = page[page.index('<section class="card result-group">') :]
    assert results.count("<li>") >= 2 and 'href="/articles/' in results and "<mark>" in results
    assert client.get("/search").status_code == 200


def test_list_page_filters_and_paging(client):
    page = client.get("/", params={"entity": "شويغو"}).text
    assert SEED_STORY in page and XSS_STORY not in page
    paged = client.get("/", params={"per_page": 1}).text
    assert "page=2" in paged
    # empty form fields are "no filter", a bad date is 422
    assert client.get("/", params={"date_from": "", "entity": ""}).status_code == 200
    assert client.get("/", params={"date_from": "yesterday"}).status_code == 422
    bad_page = client.get("/", params={"page": 0})
    assert bad_page.status_code == 422 and bad_page.headers["content-type"].startswith("text/html")
    assert "page" in bad_page.text


# -- escaping -----------------------------------------------------------------------------------


def _assert_inert(markup: str, where: str) -> None:
    assert "<script>alert" not in markup, where
    assert "<img src=x" not in markup, where
    assert "<b>evil" not in markup, where
    assert 'href="javascript:' not in markup.lower(), where
    assert "](javascript:" not in markup.lower() and "(<javascript:" not in markup.lower(), where


def test_hostile_article_is_shown_as_text_everywhere(client, db):
    pages = {
        "list": client.get("/").text,
        "story": client.get(f"/stories/{XSS_STORY}").text,
        "article": client.get("/articles/xss-1").text,
        "search": client.get("/search", params={"q": "onerror"}).text,
    }
    for where, markup in pages.items():
        _assert_inert(markup, where)
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in markup, where
    for where in ("story", "article"):
        assert "&lt;img src=x onerror=alert(1)&gt;" in pages[where], where
    assert "&lt;img src=x <mark>onerror=alert(1)&gt;</mark>" in pages["search"]  # the hit marked, still text
    assert "javascript:alert(1)" in pages["article"]  # shown, as plain text
    store = open_store(str(db))
    story = store.get_story(XSS_STORY)
    arts = {a.id: a for a in store.get_articles(story.articles)}
    store.close()
    md = story_markdown(story, arts)
    html = story_html(story, arts)
    _assert_inert(md, "markdown")
    _assert_inert(html, "html")
    assert "&lt;script&gt;" in md and "&lt;script&gt;" in html


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("https://example.org/a?b=1", True),
        ("http://x.y/", True),
        ("javascript:alert(1)", False),
        ("JavaScript:alert(1)", False),
        ("data:text/html,<b>", False),
        ("//evil.example/x", False),
        (" java\tscript:x", False),
        ("https://", False),
        (None, False),
    ],
)
def test_safe_href(url, ok):
    assert (safe_href(url) is not None) is ok


# -- offline renders ----------------------------------------------------------------------------


def test_offline_html_is_self_contained(db):
    store = open_store(str(db))
    story = store.get_story(SEED_STORY)
    arts = {a.id: a for a in store.get_articles(story.articles)}
    store.close()
    html = story_html(story, arts)
    assert html.startswith("<!doctype html>") and 'dir="rtl"' in html
    assert "<style>" in html and "Noto Naskh Arabic" in html
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html)
    assert "<script" not in html and "<link" not in html
    assert "<svg" in html and "الموجز" in html
    for st in story.brief:
        assert str(escape(st.text)) in html
    md = story_markdown(story, arts)
    assert md.startswith("# ") and "## الموجز" in md and "## الخط الزمني" in md
    assert md.count("\n1. ") == 1
    view = story_view(story, arts)
    # the markdown coverage table has one row per statement
    assert md.count("| ✓") + md.count("|  |") >= len(view.statements)
    assert json.dumps(view.coverage.exclusive, ensure_ascii=False)


def test_arabic_counts_agree_with_the_number():
    assert [ar_count(n, "article") for n in (1, 2, 3, 10, 11, 100, 103)] == [
        "مقال واحد",
        "مقالان",
        "3 مقالات",
        "10 مقالات",
        "11 مقالًا",
        "100 مقالًا",
        "103 مقالات",
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("- x", "\\- x"),
        ("# x", "\\# x"),
        ("12. x", "12\\. x"),
        ("seed-000 2023-08-31", "seed-000 2023-08-31"),
        ("[a](javascript:x)", "\\[a\\](javascript:x)"),
        ("<b>", "&lt;b&gt;"),
        ("a*b_c`d|e", "a\\*b\\_c\\`d\\|e"),
    ],
)
def test_markdown_text_is_inert(text, expected):
    assert md_text(text) == expected
