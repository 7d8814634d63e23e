"""Search: the query syntax (words, "phrases", OR, -exclusion) on FTS5, true totals, paging,
copies collapsed, results grouped by story, highlighted snippets that stay escaped."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from test_web import SEED_STORY, build_seed_store

from rasid.store import open_store
from rasid.store.search import SearchKeys, fts5_expression, parse_query
from rasid.web.app import create_app


@pytest.fixture()
def db(tmp_path, gold, seed_texts):
    return build_seed_store(tmp_path / "s.db", gold, seed_texts)


@pytest.fixture()
def client(db):
    with TestClient(create_app(str(db), write_key="", read_key="")) as c:
        yield c


def ids(client, q, **params):
    body = client.get("/api/search", params={"q": q, **params}).json()
    assert body["total"] >= len(body["results"])
    return {h["id"] for h in body["results"]}, body


def test_syntax_maps_onto_fts5():
    keys = SearchKeys()
    parsed = parse_query(keys, 'بوتين OR "كيم جونغ" -روسيا طائرات')
    assert [len(g) for g in parsed.groups] == [2, 1] and len(parsed.excluded) == 1
    expr = fts5_expression(parsed)
    assert '{title_exact body_exact} : "كيم جونغ"' in expr and " NOT " in expr
    assert fts5_expression(parse_query(keys, "-روسيا")) is None  # nothing to look for
    assert fts5_expression(parse_query(keys, 'NEAR(a b) AND "x')) is not None  # text, not syntax


def test_or_exclusion_and_phrases(client):
    a, _ = ids(client, "كومسومولسك")
    b, _ = ids(client, "بوتين")
    both, _ = ids(client, "كومسومولسك بوتين")
    either, body = ids(client, "كومسومولسك OR بوتين")
    assert a and b
    assert either == a | b and body["total"] == len(a | b)
    assert both == a & b
    without, _ = ids(client, "كومسومولسك -بوتين")
    assert without == a - b
    phrase, _ = ids(client, '"كيم جونغ"')
    words, _ = ids(client, "كيم جونغ")
    assert phrase and phrase <= words
    assert ids(client, '"جونغ كيم"')[0] == set()  # the words, but not in that order
    assert client.get("/api/search", params={"q": "-بوتين"}).json()["total"] == 0


def test_totals_paging_groups(client):
    _, full = ids(client, "كومسومولسك")
    assert full["total"] == len(full["results"]) >= 3
    firsts = [
        client.get("/api/search", params={"q": "كومسومولسك", "limit": 1, "page": n}).json()
        for n in range(1, full["total"] + 1)
    ]
    assert [p["results"][0]["id"] for p in firsts] == [h["id"] for h in full["results"]]
    assert all(p["total"] == full["total"] and p["pages"] == full["total"] for p in firsts)
    grouped = [a for g in full["groups"] for a in g["articles"]]
    assert sorted(grouped) == sorted(h["id"] for h in full["results"])
    assert any(g["story"] == SEED_STORY and g["title"] for g in full["groups"])


def test_copies_are_collapsed(db, client):
    _, before = ids(client, "كومسومولسك")
    first, second = before["results"][0]["id"], before["results"][1]["id"]
    store = open_store(str(db))
    store.set_assignments([(second, SEED_STORY, first)])
    store.close()
    _, after = ids(client, "كومسومولسك")
    assert after["total"] == before["total"] - 1
    assert second not in {h["id"] for h in after["results"]}
    assert next(h for h in after["results"] if h["id"] == first)["copies"] == 1


def test_highlights_mark_the_query_words(client):
    _, body = ids(client, "كومسومولسك")
    for h in body["results"]:
        assert h["highlights"], h
        for start, end in h["highlights"]:
            assert "كومسومولسك" in h["snippet"][start:end]
    page = client.get("/search", params={"q": "onerror"}).text
    assert "<mark>onerror=alert(1)&gt;</mark>" in page and "<img" not in page


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("2015-08-03T14:05:09", "3 أغسطس 2015، 14:05"),
        ("2015-08-03 09:30", "3 أغسطس 2015، 09:30"),
        ("2015-08-03", "3 أغسطس 2015"),
        ("2015-08-03T00:00:00", "3 أغسطس 2015"),
        (None, ""),
    ],
)
def test_times_of_day_are_shown_where_known(value, shown):
    from rasid.render import format_when

    assert format_when(value) == shown
