"""The PostgreSQL store on a throwaway cluster (tests/pg.py): the same answers as SQLite, many writers.

Skipped only where the PostgreSQL binaries or psycopg are missing (scripts/setup.sh installs both).
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from storytools import put_stories, put_story
from test_store import decorate, make_article

import rasid
from rasid.cli import main
from rasid.model import Dispute, Entity, Story
from rasid.store import SchemaVersionError, SQLiteStore, StoreError, open_store
from rasid.store.postgres import PG_MIGRATIONS, PgMigration, PostgresStore, migrate

SNN_DAY = "2015-08-01"


def run_cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def ids(hits: list[dict]) -> list[str]:
    return [h["id"] for h in hits]


@pytest.fixture(scope="module")
def day_articles(shared):
    from rasid.eval.stories import article_from_record, saudinewsnet_records

    recs = [
        r
        for r in saudinewsnet_records(shared / "data" / "saudinewsnet" / "2015-07-21.zip")
        if (r.get("content") or "").strip()
    ]
    return [
        make_article(a.id, a.raw_text, title=a.title, published=a.published, source=a.source, url=a.url)
        for a in map(article_from_record, recs[:250])
    ]


@pytest.fixture(scope="module")
def both(pg_cluster, tmp_path_factory, day_articles, gold, seed_texts):
    """The same articles (a SaudiNewsNet sample, the seeds, a decorated seed 001) in SQLite and PostgreSQL."""
    dates = {d["id"]: d["published"] for d in gold["documents"]}
    seeds = [make_article(f"seed-{sid}", text, published=dates[sid]) for sid, text in seed_texts.items()]
    decorated = make_article("seed-001-decorated", decorate(seed_texts["001"]))
    lite = open_store(str(tmp_path_factory.mktemp("pg") / "same.db"))
    pg = open_store(pg_cluster.create_database())
    for store in (lite, pg):
        store.add_articles(day_articles)
        store.add_articles(seeds)
        store.add_articles([decorated])
    yield lite, pg
    lite.close()
    pg.close()


# -- the store ------------------------------------------------------------------------------------


def test_open_store_dispatches_postgres_urls(pg_url):
    with open_store(pg_url) as store:
        assert isinstance(store, PostgresStore) and store.count_articles() == 0
        assert store.schema_version == PG_MIGRATIONS[-1].version
    alt = pg_url.replace("postgresql://", "postgresql+psycopg://")
    with open_store(alt) as store:
        assert isinstance(store, PostgresStore)
    with pytest.raises(StoreError, match="does_not_exist"):
        open_store(pg_url.rsplit("/", 1)[0] + "/does_not_exist")
    store = open_store(pg_url)
    store.close()
    store.close()
    with pytest.raises(StoreError, match="closed"):
        store.count_articles()


def test_articles_round_trip_as_in_sqlite(both, day_articles):
    lite, pg = both
    assert pg.count_articles() == lite.count_articles()
    sample = [day_articles[7].id, "seed-002", day_articles[0].id, "nope"]
    assert pg.get_articles(sample) == lite.get_articles(sample)
    assert pg.get_article("seed-004") == lite.get_article("seed-004")
    assert pg.get_article("nope") is None
    assert [a.id for a in pg.iter_articles()] == [a.id for a in lite.iter_articles()]
    assert [a.id for a in pg.iter_articles("added")] == [a.id for a in lite.iter_articles("added")]
    assert pg.add_articles(day_articles[:20]) == []
    assert pg.has_article("seed-000") and pg.has_hash(day_articles[3].content_hash)


def test_search_finds_what_sqlite_finds(both, day_articles):
    """The same hits with the same bm25 scores (to 0.5 %), in the same order, for every query: rasid's
    own folding and keys, FTS5's bm25 recomputed over the tsvector's weights."""
    lite, pg = both
    queries = [
        "الاسبوع",
        "روسيا",
        "كيم بوتين",
        "محمد",
        "وزير الخارجية",
        "السعودية",
        "لروسيا",
        "3278",
        "٣٢٧٨",
        "روســيا",
        "مُحَمَّد",
        "الامير",
        "مكه",
        "الى",
        "ولي العهد",
    ]
    tops = same = 0
    worst_all = 0.0
    for q in queries:
        a, b = pg.search(q, limit=1000), lite.search(q, limit=1000)
        assert set(ids(a)) == set(ids(b)), q
        assert [h["score"] for h in a] == sorted((h["score"] for h in a), reverse=True)
        tops += len(set(ids(a)[:10]) & set(ids(b)[:10])) / max(1, min(10, len(b)))
        same += ids(a) == ids(b)
        score_b = {h["id"]: h["score"] for h in b}
        worst = max((abs(h["score"] - score_b[h["id"]]) / max(1.0, score_b[h["id"]]) for h in a), default=0.0)
        assert worst <= 5e-3, (q, worst)
        worst_all = max(worst_all, worst)
        snippets = {h["id"]: h["snippet"] for h in b}
        assert all(h["snippet"] == snippets[h["id"]] for h in a), q
    print(
        f"top-10 overlap with SQLite's ranking: {tops / len(queries):.2f}; same order: {same}/{len(queries)}; "
        f"largest score difference {worst_all:.2%}"
    )
    # scores differ in the 4th decimal (FTS5 counts "3.5" as two tokens, the tsvector as one), which
    # may swap two hits of near-equal score
    assert tops / len(queries) >= 0.95 and same >= len(queries) - 2, (tops, same)
    hit = next(h for h in pg.search("الاسبوع", limit=1000) if h["id"] == "seed-002")
    assert "الأسبوع" in hit["snippet"] and set(hit) == {"id", "title", "snippet", "score"}


def test_search_ranks_exact_above_stem_and_title_above_body(both, seed_texts):
    _, pg = both
    found = ids(pg.search("روسيا", limit=1000))
    text = seed_texts["002"]
    li = make_article("li-russia-pg", text.replace("روسيا", "لروسيا"))
    pg.add_articles([li])
    found = ids(pg.search("روسيا", limit=1000))
    assert found.index("seed-002") < found.index("li-russia-pg")
    assert set(ids(pg.search("مُحَمَّد", limit=1000))) == set(ids(pg.search("محمد", limit=1000)))
    assert ids(pg.search(decorate("كومسومولسك", seed=3))) == ids(pg.search("كومسومولسك"))


@pytest.mark.parametrize("query", ['"', "a' | 'b", "!كيم", "كيم:*", "(((", "\\", "'", "&|!<->", ""])
def test_search_quotes_untrusted_queries(both, query):
    _, pg = both
    pg.search(query)  # never a tsquery syntax error


def test_stories_vectors_annotations_blobs_as_in_sqlite(pg_url, tmp_path):
    lite, pg = open_store(str(tmp_path / "s.db")), open_store(pg_url)
    for store in (lite, pg):
        a = Story(
            id="s1",
            title="أولى",
            articles=["a2", "a1"],
            sources=["x"],
            first_seen="2015-08-01",
            last_seen="2015-08-02",
            entities=[Entity(name="روسيا", type="LOC", variants=["لروسيا"], articles=["a1"])],
            disputed=[Dispute(claim="عدد", articles=["a1"], disputed_by=["a2"], text="x")],
        )
        b = Story(id="s2", title="ثانية", articles=["a3"], last_seen="2015-08-03")
        put_stories(store, [a, b])
        put_story(store, Story(id="s3", title="ثالثة"))
        store.put_story_links({"s1": [("s2", 0.5), ("s3", 0.7)]})
        a.articles = ["a1"]
        put_stories(store, [a])
        store.put_vectors("k", ["a1", "a2"], np.arange(6, dtype=np.float32).reshape(2, 3))
        store.put_annotations("ner1", {"a1": "{}", "a2": "[1]"})
        store.put_annotations("ner2", {"a1": "[2]"})
        store.put_sentence_vectors("e", {"a1": {"d1": np.ones(4, np.float32), "d2": np.zeros(4, np.float32)}})
        store.put_blob("state", b"\x00\x01bytes")
        store.put_blob("state", b"\x02")
    for meth, args in [
        ("get_story", ("s1",)),
        ("get_story", ("none",)),
        ("count_stories", ()),
        ("story_titles", (["s1", "s3", "zz"],)),
        ("get_annotations", ("ner1", ["a1", "a2"])),
        ("get_annotations", ("ner2", ["a1", "a2"])),
        ("get_blob", ("state",)),
        ("get_blob", ("none",)),
    ]:
        assert getattr(pg, meth)(*args) == getattr(lite, meth)(*args), meth
    assert [s.id for s in pg.iter_stories()] == [s.id for s in lite.iter_stories()] == ["s1", "s2", "s3"]
    assert [s.id for s in pg.iter_stories("recent")] == [s.id for s in lite.iter_stories("recent")]
    assert pg.get_story("s1").related == ["s3", "s2"]
    vp, vl = pg.get_vectors("k", ["a1", "a2", "a9"]), lite.get_vectors("k", ["a1", "a2", "a9"])
    assert vp.keys() == vl.keys() and all(np.array_equal(vp[k], vl[k]) for k in vp)
    sp, sl = pg.get_sentence_vectors("e", ["a1"]), lite.get_sentence_vectors("e", ["a1"])
    assert sp.keys() == sl.keys() == {"d1", "d2"} and all(np.array_equal(sp[k], sl[k]) for k in sp)
    assert pg.delete_story("s2") and not pg.delete_story("s2")
    assert pg.get_story("s1").related == ["s3"]
    lite.close()
    pg.close()


def test_migrations_once_under_concurrent_opens_and_newer_refused(pg_url):
    stores: list[PostgresStore] = []
    errors: list[BaseException] = []

    def open_one() -> None:
        try:
            stores.append(open_store(pg_url))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=open_one) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and len(stores) == 6
    assert stores[0]._select("SELECT count(*), max(version) FROM rasid_schema") == [
        (1, PG_MIGRATIONS[-1].version)
    ]
    conn = stores[0]._db()
    future = (*PG_MIGRATIONS, PgMigration(99, "from the future", ("CREATE TABLE later (x int)",)))
    assert migrate(conn, future) == 99
    for s in stores:
        s.close()
    with pytest.raises(SchemaVersionError, match="newer rasid"):
        open_store(pg_url)


def test_concurrent_writers_store_each_article_once(pg_url, day_articles):
    """Eight writers adding overlapping batches at once: each article stored exactly once."""
    arts = day_articles[:160]
    added: list[list[str]] = []
    errors: list[BaseException] = []

    def write(k: int) -> None:
        try:
            with open_store(pg_url) as store:
                mine = [arts[(k * 20 + j) % len(arts)] for j in range(60)]
                got: list[str] = []
                for i in range(0, len(mine), 15):
                    got.extend(store.add_articles(mine[i : i + 15][::-1] if k % 2 else mine[i : i + 15]))
                added.append(got)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    flat = [a for got in added for a in got]
    assert len(flat) == len(set(flat)) == len(arts)
    with open_store(pg_url) as store:
        assert store.count_articles() == len(arts)
        assert {a.id for a in store.iter_articles()} == {a.id for a in arts}
        assert store.get_articles([arts[5].id]) == [arts[5]]


def test_exclusive_lock_serializes_holders(pg_url):
    spans: list[tuple[float, float]] = []

    def hold() -> None:
        with open_store(pg_url) as store, store.exclusive("rasid:test"):
            t0 = time.monotonic()
            time.sleep(0.3)
            spans.append((t0, time.monotonic()))

    threads = [threading.Thread(target=hold) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    spans.sort()
    assert len(spans) == 3
    assert all(spans[i][1] <= spans[i + 1][0] for i in range(2))


# -- through the command line ---------------------------------------------------------------------


def test_seeds_through_postgres_as_through_sqlite(pg_url, seeds_jsonl, tmp_path):
    code, out, err = run_cli("run", "--db", pg_url, "--no-progress", str(seeds_jsonl))
    assert code == 0, err
    assert "5 new articles" in out
    code, out, _ = run_cli("export", "--db", pg_url, "--what", "articles")
    arts = [json.loads(line) for line in out.splitlines()]
    assert sorted(a["id"] for a in arts) == ["000", "001", "002", "003", "004"]
    code, out, _ = run_cli("export", "--db", pg_url, "--what", "stories")
    stories = [json.loads(line) for line in out.splitlines()]
    assert len(stories) == 1 and sorted(stories[0]["articles"]) == ["000", "001", "002", "003", "004"]
    code, out, _ = run_cli("search", "--db", pg_url, "الاسبوع", "--format", "jsonl")
    hits = [json.loads(line) for line in out.splitlines()]
    assert "002" in [h["id"] for h in hits] and any("الأسبوع" in h["snippet"] for h in hits)
    code, out, _ = run_cli("story", "--db", pg_url, stories[0]["id"], "--format", "md")
    assert code == 0 and stories[0]["title"] in out
    code, out, _ = run_cli("run", "--db", pg_url, "--no-progress", str(seeds_jsonl))
    assert code == 0 and "0 new articles, 5 already stored" in out
    # the same exports as SQLite
    db = str(tmp_path / "seeds.db")
    assert run_cli("run", "--db", db, "--no-progress", str(seeds_jsonl))[0] == 0
    for what in ("articles", "stories"):
        assert (
            run_cli("export", "--db", db, "--what", what)[1]
            == run_cli("export", "--db", pg_url, "--what", what)[1]
        )
    # rasid serve --db postgresql://... : the app the command serves, through a test client
    from fastapi.testclient import TestClient

    from rasid.web.app import create_app

    with TestClient(create_app(pg_url, write_key="", read_key="")) as client:
        page = client.get(f"/stories/{stories[0]['id']}")
        assert page.status_code == 200 and stories[0]["title"].split()[0] in page.text
        api = client.get(f"/api/stories/{stories[0]['id']}").json()
        assert api["id"] == stories[0]["id"]
        found = client.get("/api/search", params={"q": "الاسبوع"}).json()["results"]
        assert "002" in [h["id"] for h in found]


def test_story_list_and_search_pages_as_in_sqlite(pg_url, tmp_path, both):
    """PostgresStore.list_stories and search_page give what SQLiteStore's give (rows, totals,
    cursors; search groups, phrases, OR, exclusions)."""
    from test_story_list import _article, _story

    from rasid.store.story_rows import StoryFilter

    lite, pg = open_store(str(tmp_path / "list.db")), open_store(pg_url)
    arts = [
        _article(0, "okaz", "2015-08-02"),
        _article(1, "sabq", "2015-08-02"),
        _article(2, "alriyadh", "2015-08-02"),
        _article(6, "alwatan", "2015-08-01"),
        _article(3, "okaz", "2015-08-01"),
        _article(4, "sabq", "2015-08-01", "en"),
        _article(5, "okaz", "2015-08-03"),
        _article(7, "okaz", ""),
    ]
    stories = [
        _story("wide", arts[0:4], "عبد الله"),
        _story("pair", arts[4:6], "أوباما"),
        _story("single-new", arts[6:7]),
        Story(id="undated", title="بلا تاريخ", articles=["a7"]),
    ]
    for store in (lite, pg):
        store.add_articles(arts)
        put_stories(store, stories)
    filters = [
        StoryFilter(),
        StoryFilter(date_from="2015-08-02"),
        StoryFilter(date_to="2015-08-01"),
        StoryFilter(source="SABQ"),
        StoryFilter(lang="en"),
        StoryFilter(entity="عبد"),
        StoryFilter(entity="بد"),
        StoryFilter(entity="اوباما"),
        StoryFilter(source="okaz", date_from="2015-08-03"),
    ]
    for f in filters:
        for order in ("rank", "latest"):
            assert pg.list_stories(f, order=order) == lite.list_stories(f, order=order), (f, order)
            assert pg.list_stories(f, order=order, limit=1, offset=1) == lite.list_stories(
                f, order=order, limit=1, offset=1
            )
    for order in ("rank", "latest"):  # keyset paging walks the same stories
        seen, cursor = [], None
        while True:
            page, other = (
                pg.list_stories(order=order, limit=1, cursor=cursor),
                lite.list_stories(order=order, limit=1, cursor=cursor),
            )
            assert page == other
            seen += [r.id for r in page.rows]
            cursor = page.next_cursor
            if cursor is None:
                break
        assert sorted(seen) == sorted(s.id for s in stories)
    with pytest.raises(ValueError, match="cursor"):
        pg.list_stories(cursor="nonsense")
    lite.close()
    pg.close()
    lite, pg = both
    lite.add_articles(
        [a for a in pg.iter_articles() if not lite.has_article(a.id)]
    )  # another test adds to pg
    for query in (
        "الاسبوع",
        "روسيا",
        '"وزير الخارجية"',
        "روسيا OR الاسبوع",
        "روسيا -سوريا",
        'الخارجية -"وزير الخارجية"',
        "",
        "!!",
    ):
        got, want = pg.search_page(query, 1000), lite.search_page(query, 1000)
        assert (got["total"], got["stories"]) == (want["total"], want["stories"]), query
        assert {h["id"] for h in got["hits"]} == {h["id"] for h in want["hits"]}, query
        assert all(h.keys() == want["hits"][0].keys() for h in got["hits"])
        if '"' not in query:  # words are scored as SQLite scores them (a phrase is scored as its words)
            score = {h["id"]: h["score"] for h in want["hits"]}
            assert all(
                abs(h["score"] - score[h["id"]]) <= 5e-3 * max(1.0, score[h["id"]]) for h in got["hits"]
            )
        page = pg.search_page(query, 3, 2)
        assert page["total"] == got["total"] and [h["id"] for h in page["hits"]] == [
            h["id"] for h in got["hits"][2:5]
        ]
    assert pg.search_page('"وزير الخارجية"', 1000)["total"] < pg.search_page("وزير الخارجية", 1000)["total"]


def test_story_list_pages_over_postgres(pg_url):
    """`rasid serve --db postgresql://...`: the list page and /api/stories, with filters and a cursor."""
    from fastapi.testclient import TestClient
    from test_story_list import _article, _story

    from rasid.web.app import create_app

    arts = [
        _article(0, "okaz", "2015-08-02"),
        _article(1, "sabq", "2015-08-02"),
        _article(2, "okaz", "2015-08-01"),
    ]
    with open_store(pg_url) as store:
        store.add_articles(arts)
        put_stories(store, [_story("wide", arts[0:2], "عبد الله"), _story("old", arts[2:3])])
    with TestClient(create_app(pg_url, write_key="k", read_key="", stages=())) as client:
        page = client.get("/")
        assert page.status_code == 200 and "قصة wide" in page.text and "قصة old" in page.text
        page = client.get("/", params={"source": "sabq"})
        assert page.status_code == 200 and "قصة wide" in page.text and "قصة old" not in page.text
        api = client.get("/api/stories", params={"per_page": 1}).json()
        assert api["total"] == 2 and [s["id"] for s in api["stories"]] == ["wide"] and api["next_cursor"]
        more = client.get("/api/stories", params={"per_page": 1, "cursor": api["next_cursor"]}).json()
        assert [s["id"] for s in more["stories"]] == ["old"] and more["next_cursor"] is None
        assert client.get("/api/stories", params={"cursor": "x"}).status_code == 422
        latest = client.get("/api/stories", params={"order": "latest", "entity": "عبد"}).json()
        assert [s["id"] for s in latest["stories"]] == ["wide"] and latest["stories"][0]["outlet_count"] == 2
        found = client.get("/search", params={"q": "المقال"})
        assert found.status_code == 200
        assert client.get("/api/stories/wide").json()["id"] == "wide"
        # ingesting through the server writes to PostgreSQL too (no lock file beside a URL)
        record = {
            "id": "posted-1",
            "text": "نص خبر جديد عن المقال رقم ثمانية",
            "source": "okaz",
            "published": "2015-08-04",
        }
        posted = client.post("/api/articles", json=record, headers={"X-API-Key": "k"})
        assert posted.status_code == 200 and posted.json()["added"] == ["posted-1"], posted.text
        assert client.get("/api/articles/posted-1").json()["source"] == "okaz"


@pytest.mark.slow
def test_ten_runs_at_once_store_every_article_once_and_in_a_story(pg_url, shared, tmp_path):
    """Ten `rasid run` processes started together on overlapping parts of a day (each record in
    three of them): every article stored exactly once, each in exactly one stored story."""
    from rasid.eval.stories import write_saudinewsnet_jsonl

    day = tmp_path / "day.jsonl"
    n = write_saudinewsnet_jsonl([shared / "data" / "saudinewsnet" / f"{SNN_DAY}.zip"], day, limit=200)
    lines = day.read_text(encoding="utf-8").splitlines()
    assert n == len(lines) == 200
    inputs = []
    for k in range(10):
        part = tmp_path / f"part{k}.jsonl"
        part.write_text("\n".join(lines[(k * 20 + j) % n] for j in range(60)) + "\n", encoding="utf-8")
        inputs.append(part)
    env = {**os.environ, "PYTHONPATH": str(Path(rasid.__file__).resolve().parents[1]), "RASID_WORKERS": "1"}
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "rasid.cli", "run", "--db", pg_url, "--no-progress", "-q", str(p)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for p in inputs
    ]
    results = [p.communicate(timeout=900) for p in procs]
    assert [p.returncode for p in procs] == [0] * 10, [err[-500:] for _, err in results]
    # the reference: the whole part through one process into SQLite, text half only
    from rasid.ingest import Ingestor
    from rasid.process import default_text_pipeline
    from rasid.settings import load_settings

    text = default_text_pipeline()
    with Ingestor(load_settings()) as reader, SQLiteStore(":memory:") as ref:
        ref.add_articles([text.process(doc) for doc in reader.read(str(day))])
        want = {a.content_hash for a in ref.iter_articles()}
    with open_store(pg_url) as store:
        arts = list(store.iter_articles())
        assert len(arts) == len(want) and {a.content_hash for a in arts} == want
        stories = list(store.iter_stories())
        members = [aid for s in stories for aid in s.articles]
        assert len(members) == len(set(members)), "an article in two stories"
        assert set(members) == {a.id for a in arts}, "an article in no story"
        by_id = {s.id: s for s in stories}
        assert all(a.story in by_id and a.id in by_id[a.story].articles for a in arts)


def test_atomic_unassigned_and_clear_stories_as_in_sqlite(pg_url, tmp_path, day_articles):
    """The crash-safety methods the runner uses: a failed atomic block writes nothing, a finished
    one everything; unassigned articles in time order; clear_stories forgets stories and state."""
    lite, pg = open_store(str(tmp_path / "a.db")), open_store(pg_url)
    arts = day_articles[:30]
    for store in (lite, pg):
        store.add_articles(arts)
        with pytest.raises(RuntimeError), store.atomic():
            store.set_assignments([(arts[0].id, "s1", None)])
            store.put_blob("state:x", b"1")
            assert store.get_blob("state:x") == b"1"  # the block reads its own writes
            raise RuntimeError("stop")
        assert store.get_blob("state:x") is None and store.get_article(arts[0].id).story is None
        with store.atomic():
            store.set_assignments([(a.id, "s1", None) for a in arts[:10]])
            with store.atomic():  # nested: joins the outer block
                put_stories(store, [Story(id="s1", title="t", articles=[a.id for a in arts[:10]])])
            store.put_blob("state:x", b"2")
            store.put_blob("other", b"3")
    assert (
        pg.unassigned_article_ids() == lite.unassigned_article_ids()
        and len(pg.unassigned_article_ids()) == 20
    )
    assert pg.get_story("s1") == lite.get_story("s1") and pg.get_blob("state:x") == b"2"
    for store in (lite, pg):
        store.clear_stories()
        assert (
            store.count_stories() == 0
            and store.get_blob("state:x") is None
            and store.get_blob("other") == b"3"
        )
        assert len(store.unassigned_article_ids()) == 30
        assert (
            store.list_stories().total == 0 and store.list_stories().rows == []
        )  # the list forgets them too
    lite.close()
    pg.close()


def test_story_list_rows_are_written_for_stories_of_an_older_schema(pg_url):
    """A database at schema version 1 (before the SQL story list) with stories: opening it migrates
    and writes their list rows and facets, so they are listed and filtered as new ones."""
    from rasid.store.story_rows import StoryFilter

    psycopg = pytest.importorskip("psycopg")
    with psycopg.connect(pg_url, autocommit=True) as conn:
        assert migrate(conn, PG_MIGRATIONS[:1], "old") == 1
        for sid, source, day, members in (("s1", "okaz", "2015-07-21", 3), ("s2", "sabq", "2015-07-22", 1)):
            conn.execute(
                "INSERT INTO stories (id, title, first_seen, last_seen, sources, updated_at)"
                " VALUES (%s, %s, %s, %s, %s::jsonb, 'then')",
                (sid, sid, day, day, json.dumps([source])),
            )
            for i in range(members):
                conn.execute(  # a member as an older rasid kept it: listed, with no story of its own
                    "INSERT INTO articles (id, origin, raw_text, clean_text, source, content_hash, added_at, tsv)"
                    " VALUES (%s, 'test', 'x', 'x', %s, %s, 'then', ''::tsvector)",
                    (f"{sid}-a{i}", source, f"h-{sid}-{i}"),
                )
                conn.execute(
                    "INSERT INTO story_articles (story, idx, article) VALUES (%s, %s, %s)",
                    (sid, i, f"{sid}-a{i}"),
                )
    with open_store(pg_url) as store:
        assert store.schema_version == PG_MIGRATIONS[-1].version
        page = store.list_stories()
        assert [(r.id, r.articles, r.outlets) for r in page.rows] == [("s2", 1, 1), ("s1", 3, 1)]
        assert [r.id for r in store.list_stories(StoryFilter(source="OKAZ")).rows] == ["s1"]
        assert [r.id for r in store.list_stories(StoryFilter(date_to="2015-07-21")).rows] == ["s1"]


def test_reads_on_other_threads_use_their_own_connection(pg_url, day_articles):
    """Reads from other threads run on a connection of their own (so they never queue behind the
    store's lock), see committed rows only, and are closed with the store; the opening thread and
    an atomic block read on the main connection, and see the block's own writes."""
    store = open_store(pg_url)
    store.add_articles(day_articles[:3])
    seen: dict[str, object] = {}
    started, release = threading.Event(), threading.Event()

    def reader() -> None:
        seen["count"] = store.count_articles()
        started.set()
        release.wait(10)
        seen["blob"] = store.get_blob("state:x")

    with store.atomic():
        store.put_blob("state:x", b"1")
        assert store.get_blob("state:x") == b"1"
        t = threading.Thread(target=reader)
        t.start()
        assert started.wait(10)
        release.set()
        t.join(10)
    assert seen == {"count": 3, "blob": None}  # the block was not committed while the thread read
    assert store.readers == 1 and store.get_blob("state:x") == b"1"
    threads = [
        threading.Thread(target=lambda: seen.setdefault("n", store.count_articles())) for _ in range(3)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert store.readers == 4
    store.close()
    assert store.readers == 0
    with pytest.raises(StoreError, match="closed"):
        store.count_articles()
