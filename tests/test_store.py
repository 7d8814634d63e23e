"""The SQLite store on real text: seeds and a few hundred SaudiNewsNet articles.

Articles are built by hand here (paragraphs = non-empty lines) so that these tests depend on the
store alone, not on the cleaning stages.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
import sqlite3
import threading
import zipfile
from pathlib import Path

import numpy as np
import pytest
from storytools import put_stories, put_story

from rasid.model import Article, Dispute, Entity, Paragraph, Quote, Removed, Statement, Story, TimelineEvent
from rasid.store import (
    MIGRATIONS,
    SCHEMA_VERSION,
    Migration,
    SchemaVersionError,
    SQLiteStore,
    StoreError,
    open_store,
)
from rasid.store.sqlite import migrate
from rasid.text.normalize import arabic_ratio, match_form

N_SNN = 300


def sha(*parts: str | None) -> str:
    return hashlib.sha256("\x1f".join(p or "" for p in parts).encode("utf-8")).hexdigest()


def make_article(
    art_id: str, text: str, *, title: str | None = None, published: str | None = None, **extra: object
) -> Article:
    """An Article from raw text: paragraphs are its non-empty lines, sentences a naive split."""
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    if title is None and lines and len(lines[0].split()) <= 20:
        title, lines = lines[0], lines[1:]
    paragraphs = [
        Paragraph(
            text=ln,
            lang="ar" if arabic_ratio(ln) > 0.5 else "und",
            sentences=[s for s in re.split(r"(?<=[.!?؟])\s+", ln) if s],
        )
        for ln in lines
    ]
    return Article(
        id=art_id,
        origin=f"test:{art_id}",
        raw_text=text,
        content_hash=sha(extra.get("source"), extra.get("url"), text),  # type: ignore[arg-type]
        title=title or "",
        published=published,
        paragraphs=paragraphs,
        **extra,  # type: ignore[arg-type]
    )


def decorate(text: str, seed: int = 7) -> str:
    """Real text as some writers set it: diacritics, tatweel and Arabic-Indic digits added."""
    rng = random.Random(seed)
    harakat = "\u064e\u064f\u0650\u0651\u0652\u064b"
    joining = set("بتثجحخسشصضطظعغفقكلمنهي")
    out = []
    for i, ch in enumerate(text):
        if ch.isdigit() and ch.isascii():
            out.append(chr(0x0660 + int(ch)))
            continue
        out.append(ch)
        if "\u0621" <= ch <= "\u064a":
            nxt = text[i + 1] if i + 1 < len(text) else ""
            if ch in joining and "\u0621" <= nxt <= "\u064a" and rng.random() < 0.15:
                out.append("\u0640")
            elif rng.random() < 0.5:
                out.append(rng.choice(harakat))
    return "".join(out)


@pytest.fixture(scope="module")
def snn_articles(shared) -> list[Article]:
    path = shared / "data" / "saudinewsnet" / "2015-07-21.zip"
    with zipfile.ZipFile(path) as zf:
        records = json.loads(zf.read(zf.namelist()[0]))
    arts = []
    for rec in records[:N_SNN]:
        content = rec.get("content") or ""
        if not content.strip():
            continue
        art = make_article(
            rec["url"],
            content,
            title=rec.get("title") or "",
            published=(rec.get("date_extracted") or "").replace(" ", "T") or None,
            source=rec.get("source"),
            url=rec.get("url"),
            author=rec.get("author"),
        )
        arts.append(art)
    return arts


@pytest.fixture(scope="module")
def seed_articles(gold, seed_texts) -> dict[str, Article]:
    dates = {d["id"]: d["published"] for d in gold["documents"]}
    return {sid: make_article(f"seed-{sid}", text, published=dates[sid]) for sid, text in seed_texts.items()}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory, snn_articles, seed_articles):
    """A store with the SaudiNewsNet sample, the seeds and a decorated copy of seed 001."""
    path = tmp_path_factory.mktemp("store") / "corpus.db"
    store = open_store(str(path))
    store.add_articles(snn_articles)
    store.add_articles(list(seed_articles.values()))
    decorated = make_article("seed-001-decorated", decorate(seed_articles["001"].raw_text))
    assert store.add_articles([decorated]) == ["seed-001-decorated"]
    yield store
    store.close()


def ids(hits: list[dict]) -> list[str]:
    return [h["id"] for h in hits]


# -- articles ---------------------------------------------------------------------------------------


def test_article_round_trip_keeps_every_field(tmp_path, seed_texts):
    text = seed_texts["002"]  # Arabic with a French paragraph
    art = make_article(
        "seed-002",
        text,
        published="2023-09-15T08:30:00+03:00",
        url="https://example.invalid/002",
        source="example",
        author="وكالات",
        story="story-kim",
        duplicate_of="seed-000",
    )
    art.removed = [Removed("boilerplate", "اقرأ أيضاً"), Removed("caption", text.splitlines()[0][:40])]
    assert any(p.lang == "und" for p in art.paragraphs) and any(p.lang == "ar" for p in art.paragraphs)
    assert sum(len(p.sentences) for p in art.paragraphs) > len(art.paragraphs)
    with open_store(str(tmp_path / "r.db")) as store:
        assert store.add_articles([art]) == ["seed-002"]
        back = store.get_article("seed-002")
        assert back == art
        assert back is not art and back.paragraphs[0].sentences == art.paragraphs[0].sentences
        assert back.text == art.text and back.raw_text == text
        assert store.get_article("nope") is None
        assert store.has_article("seed-002") and not store.has_article("seed-003")
        assert store.has_hash(art.content_hash) and not store.has_hash(sha("x"))
    # and it survives closing and reopening the file
    with open_store(f"sqlite:///{tmp_path / 'r.db'}") as store:
        assert store.get_article("seed-002") == art
        assert store.get_articles(["nope", "seed-002"]) == [art]


def test_readding_adds_nothing(tmp_path, snn_articles, seed_articles):
    batch = snn_articles[:50]
    with open_store(str(tmp_path / "d.db")) as store:
        assert store.add_articles(batch) == [a.id for a in batch]
        assert store.add_articles(batch) == []
        same_hash = make_article("another-id", batch[0].raw_text, title=batch[0].title)
        same_hash.content_hash = batch[0].content_hash
        same_id = make_article(batch[1].id, seed_articles["003"].raw_text)
        fresh = seed_articles["000"]
        # one new article among re-sends, plus an in-batch repeat of the new one
        assert store.add_articles([same_hash, same_id, fresh, fresh]) == [fresh.id]
        assert store.count_articles() == len(batch) + 1
        assert store.get_article(batch[1].id) == batch[1]  # the first one stored wins
        assert not store.has_article("another-id")
        assert store.add_articles([]) == []


def test_iter_articles_orders_by_published_then_insertion(tmp_path, snn_articles, seed_articles):
    spare = snn_articles[100]
    undated = make_article("undated", spare.raw_text, title=spare.title, url=spare.url)
    with open_store(str(tmp_path / "o.db")) as store:
        store.add_articles([undated, *snn_articles[:80], *seed_articles.values()])
        got = list(store.iter_articles())
        assert len(got) == store.count_articles() == 80 + 5 + 1
        dates = [a.published for a in got]
        assert dates[-1] is None and all(d is not None for d in dates[:-1])
        assert dates[:-1] == sorted(dates[:-1])
        # seeds 000 and 001 share a date: insertion order breaks the tie
        assert ids([{"id": a.id} for a in got if a.published == "2023-09-17"]) == ["seed-000", "seed-001"]
        assert [a.id for a in store.iter_articles(order="added")][0] == "undated"
        with pytest.raises(ValueError):
            list(store.iter_articles(order="random"))


def test_assignments(tmp_path, seed_articles):
    with open_store(str(tmp_path / "a.db")) as store:
        store.add_articles(list(seed_articles.values()))
        store.set_assignments(
            [("seed-000", "s1", None), ("seed-001", "s1", "seed-000"), ("seed-002", "s2", None)]
        )
        assert store.get_article("seed-001").story == "s1"
        assert store.get_article("seed-001").duplicate_of == "seed-000"
        assert store.story_article_ids("s1") == ["seed-000", "seed-001"]  # same date: insertion order
        store.set_assignments([("seed-001", "s2", None)])
        assert store.story_article_ids("s2") == ["seed-002", "seed-001"]  # 2023-09-15 before 2023-09-17
        assert store.get_article("seed-001").duplicate_of is None


# -- search -----------------------------------------------------------------------------------------


def test_search_folds_hamza_and_shows_display_text(corpus, seed_articles):
    hits = corpus.search("الاسبوع", limit=1000)
    assert "seed-002" in ids(hits)
    hit = hits[ids(hits).index("seed-002")]
    assert "الأسبوع" in hit["snippet"]  # the display form, not the matching form
    assert set(hit.keys()) == {"id", "title", "snippet", "score"}
    display = seed_articles["002"].text
    words = hit["snippet"].replace("…", " ").split()
    assert 0 < len(words) <= 30 and " ".join(words) in " ".join(display.split())
    assert [h["score"] for h in hits] == sorted((h["score"] for h in hits), reverse=True)


def test_search_ignores_diacritics_in_text_and_query(corpus, snn_articles):
    source = next(a for a in snn_articles if "محمد" in a.text)
    voweled = make_article("voweled", source.raw_text.replace("محمد", "مُحَمَّد"), title=source.title)
    corpus.add_articles([voweled])
    plain = ids(corpus.search("محمد", limit=1000))
    assert "voweled" in plain and source.id in plain
    assert ids(corpus.search("مُحَمَّد", limit=1000)) == plain
    snippet = next(h for h in corpus.search("محمد", limit=1000) if h["id"] == "voweled")["snippet"]
    assert "مُحَمَّد" in snippet


def test_search_decorated_text_both_ways(corpus, seed_articles):
    """Diacritics, tatweel and Arabic-Indic digits in the stored text or in the query change nothing."""
    text = seed_articles["001"].text
    words = [w.strip('،.:«»"()') for w in text.split()]
    # distinctive words of seed 001: long, and their matching form occurs in no SaudiNewsNet article
    rare = [w for w in dict.fromkeys(words) if len(w) >= 7 and len(corpus.search(w, limit=3)) == 2][:5]
    assert len(rare) >= 3
    for word in rare:
        assert set(ids(corpus.search(word))) == {"seed-001", "seed-001-decorated"}
        assert set(ids(corpus.search(decorate(word, seed=3)))) == {"seed-001", "seed-001-decorated"}
    assert "3278" in text
    assert {"seed-001", "seed-001-decorated"} <= set(ids(corpus.search("3278")))
    assert ids(corpus.search("٣٢٧٨")) == ids(corpus.search("3278"))
    assert ids(corpus.search("روســيا", limit=500)) == ids(corpus.search("روسيا", limit=500))  # tatweel


def test_search_folds_maqsura_ta_marbuta_and_alef(corpus, seed_articles):
    words = {w.strip('،.:«»"()') for w in seed_articles["000"].text.split()}
    swaps = {"ى": "ي", "ة": "ه", "أ": "ا", "إ": "ا"}
    for letter, plain in swaps.items():
        word = next(w for w in sorted(words, key=len, reverse=True) if letter in w)
        variant = word.replace(letter, plain)
        assert variant != word
        found = ids(corpus.search(variant, limit=1000))
        assert "seed-000" in found, (letter, word, variant)
        assert found == ids(corpus.search(word, limit=1000))


def test_stems_find_prefixed_forms_and_rank_below_exact(corpus, seed_articles):
    text = seed_articles["002"].raw_text
    assert re.search(r"(?<!\w)روسيا", text) and "لروسيا" not in text
    li = make_article("li-russia", re.sub(r"(?<!\w)روسيا", "لروسيا", text))
    wa = make_article("wa-russia", re.sub(r"(?<!\w)روسيا", "وروسيا", text))
    corpus.add_articles([li, wa])
    found = ids(corpus.search("روسيا", limit=1000))
    assert {"li-russia", "wa-russia", "seed-002"} <= set(found)
    assert found.index("seed-002") < found.index("li-russia")
    assert found.index("seed-002") < found.index("wa-russia")
    # the prefixed query finds the bare form too
    assert "seed-002" in ids(corpus.search("لروسيا", limit=1000))


def test_title_hit_ranks_above_body_hit(corpus, snn_articles):
    """The same word in one article's title and in another's body: the title wins."""
    for art in snn_articles:
        body = set(match_form(art.text).split())
        cands = [w for w in art.title.split() if len(w) >= 5 and match_form(w) not in body]
        cands = [w for w in cands if ids(corpus.search(w, limit=2)) == [art.id]]
        if cands:
            break
    else:
        pytest.fail("no SaudiNewsNet title word absent from its body and unique in the sample")
    word = cands[0]
    other = next(a for a in snn_articles if a is not art and len(a.paragraphs) >= 3)
    body_hit = make_article(
        "body-hit",
        "\n".join([f"{other.paragraphs[0].text} {word}", *(p.text for p in other.paragraphs[1:])]),
        title=other.title + " (2)",
    )
    corpus.add_articles([body_hit])
    assert ids(corpus.search(word)) == [art.id, "body-hit"]
    assert word in corpus.search(word)[1]["snippet"]


@pytest.mark.parametrize(
    "query",
    ['"', '"""', 'a" OR "b', "NEAR(كيم بوتين)", "*", "title_exact : كيم", "^كيم", "(((", "-كيم", "كيم*"],
)
def test_search_quotes_untrusted_queries(corpus, query):
    corpus.search(query)  # no FTS5 syntax error, whatever the query


def test_punctuation_only_query_returns_nothing(corpus):
    for query in ["", "   ", "!!!", "،؛؟", "...", "ـــ", "\u064e\u0651"]:
        assert corpus.search(query) == []


def test_multiword_query_needs_every_word(corpus):
    both = set(ids(corpus.search("كيم بوتين", limit=1000)))
    assert both and both <= set(ids(corpus.search("كيم", limit=1000)))
    assert both <= set(ids(corpus.search("بوتين", limit=1000)))
    assert "seed-001-decorated" in both


def test_reindex_rebuilds_the_same_index(tmp_path, seed_articles):
    with open_store(str(tmp_path / "x.db")) as store:
        store.add_articles(list(seed_articles.values()))
        before = {q: store.search(q) for q in ("روسيا", "الاسبوع", "كيم بوتين")}
        assert store.reindex() == 5
        assert {q: store.search(q) for q in before} == before
        assert all(before.values())


def test_article_without_hash_is_refused(tmp_path, seed_articles):
    art = make_article("no-hash", seed_articles["003"].raw_text)
    art.content_hash = ""
    with open_store(str(tmp_path / "h.db")) as store, pytest.raises(ValueError, match="content_hash"):
        store.add_articles([art])


# -- stories, vectors, blobs ------------------------------------------------------------------------


def gold_story(gold) -> Story:
    docs = [f"seed-{d}" for d in gold["story"]["ids"]]
    return Story(
        id="story-kim",
        title="زعيم كوريا الشمالية يختتم زيارته لروسيا",
        articles=docs,
        sources=["الرأي الثالث", "وكالات"],
        entities=[Entity(e["canonical"], e["type"], e["variants"], docs[:2]) for e in gold["entities"]],
        timeline=[
            TimelineEvent(t["date"], t["evidence"][0], [f"seed-{d}" for d in t["docs"]])
            for t in gold["timeline"]
        ],
        quotes=[Quote(q["speaker"], q["text"], f"seed-{q['doc']}") for q in gold["quotes"]],
        brief=[
            Statement(n["a"][1], [f"seed-{n['a'][0]}", f"seed-{n['b'][0]}"]) for n in gold["near_duplicates"]
        ],
        disputed=[
            Dispute(d["claim"], ["seed-001"], ["seed-001"], d["evidence"][1]) for d in gold["disputed"]
        ],
        first_seen="2023-09-15",
        last_seen="2023-09-17",
    )


def test_story_round_trip_and_upsert(tmp_path, gold, seed_articles):
    story = gold_story(gold)
    assert story.entities and story.timeline and story.quotes and story.brief and story.disputed
    stored = list(seed_articles.values())
    added = {a.id: i for i, a in enumerate(stored)}
    dated = {a.id: a.published for a in stored}

    def by_time(ids: list[str]) -> list[str]:  # the members' order: publication, then insertion
        return sorted(ids, key=lambda a: (dated[a] is None, dated[a] or "", added[a]))

    with open_store(str(tmp_path / "s.db")) as store:
        store.add_articles(stored)
        put_story(store, story)
        story.articles = by_time(story.articles)
        assert store.get_story("story-kim") == story
        assert store.get_story("none") is None
        story.title = "كيم في روسيا"
        story.articles = story.articles[:3]
        story.timeline = story.timeline[:1]
        put_story(store, story)
        assert store.count_stories() == 1
        assert store.get_story("story-kim") == story
        other = Story(id="story-2", title="أخرى", articles=by_time(list(added))[3:4], last_seen="2023-10-01")
        put_stories(store, [other])
        assert [s.id for s in store.iter_stories()] == ["story-kim", "story-2"]
        assert [s.id for s in store.iter_stories(order="recent")] == ["story-2", "story-kim"]
        assert list(store.iter_stories())[1] == other
        assert store.delete_story("story-2") and not store.delete_story("story-2")
        assert store.count_stories() == 1


def test_vectors_and_blobs(tmp_path):
    rng = np.random.default_rng(0)
    matrix = rng.standard_normal((40, 16))  # float64 in, float32 out
    keys = [f"a{i}" for i in range(40)]
    with open_store(str(tmp_path / "v.db")) as store:
        store.put_vectors("use", keys, matrix)
        got = store.get_vectors("use", [*keys[:5], "missing"])
        assert list(got) == keys[:5]
        assert all(v.dtype == np.float32 and v.shape == (16,) for v in got.values())
        np.testing.assert_array_equal(got["a3"], matrix[3].astype(np.float32))
        got["a3"] += 1  # a writable copy
        assert store.get_vectors("other", keys) == {}
        store.put_vectors("use", ["a3"], np.ones((1, 16), dtype=np.float32))
        np.testing.assert_array_equal(store.get_vectors("use", ["a3"])["a3"], np.ones(16, dtype=np.float32))
        assert len(store.get_vectors("use", keys * 30)) == 40  # more ids than one IN list holds
        with pytest.raises(ValueError):
            store.put_vectors("use", keys[:3], matrix)
        assert store.get_blob("clusterer") is None
        store.put_blob("clusterer", b"\x00state-1")
        store.put_blob("clusterer", b"\x00state-2")
        assert store.get_blob("clusterer") == b"\x00state-2"


def test_sentence_vectors_by_article_and_digest(tmp_path, seed_texts):
    from rasid.embed import text_digest

    rng = np.random.default_rng(1)
    (a, text_a), (b, text_b) = sorted(seed_texts.items())[:2]
    sents = {a: text_a.split("\n")[:3], b: text_b.split("\n")[:2]}
    vecs = {
        aid: {text_digest(t): rng.standard_normal(8).astype(np.float32) for t in ts}
        for aid, ts in sents.items()
    }
    path = tmp_path / "sv.db"
    with open_store(str(path)) as store:
        assert store.get_sentence_vectors("use:1", [a, b]) == {}
        store.put_sentence_vectors("use:1", vecs)
        got = store.get_sentence_vectors("use:1", [a])
        assert set(got) == set(vecs[a])  # only the asked articles' sentences
        d = text_digest(sents[a][0])
        np.testing.assert_array_equal(
            got[d], vecs[a][d].astype(np.float16).astype(np.float32)
        )  # kept as float16
        assert got[d].dtype == np.float32 and got[d].flags.writeable
        assert len(store.get_sentence_vectors("use:1", [a, b])) == len({*vecs[a], *vecs[b]})
        assert store.get_sentence_vectors("use:2", [a, b]) == {}  # another embedder's identity
        # a new embedder's vectors replace the old embedder's for the same articles only
        store.put_sentence_vectors("use:2", {a: {d: np.ones(8, dtype=np.float32)}})
        assert store.get_sentence_vectors("use:1", [a]) == {}
        assert set(store.get_sentence_vectors("use:1", [b])) == set(vecs[b])
    with open_store(str(path)) as store:  # kept across opens
        np.testing.assert_array_equal(
            store.get_sentence_vectors("use:2", [a])[d], np.ones(8, dtype=np.float32)
        )
    # a changed sentence has another digest: a kept vector is never found for text it was not made from
    assert text_digest(sents[a][0]) != text_digest(sents[a][0].replace("كوريا", "روسيا", 1))


# -- schema and files -------------------------------------------------------------------------------


def test_migrates_an_empty_file_and_refuses_a_newer_one(tmp_path):
    path = tmp_path / "empty.db"
    path.touch()
    with open_store(str(path)) as store:
        assert store.schema_version == SCHEMA_VERSION
        assert store.count_articles() == 0 and store.count_stories() == 0
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(SchemaVersionError, match="newer rasid"):
        open_store(str(path))


def test_migration_steps_apply_in_order_and_roll_back(tmp_path):
    conn = sqlite3.connect(tmp_path / "m.db", isolation_level=None)
    assert migrate(conn, MIGRATIONS[:1]) == 1
    extra = Migration(SCHEMA_VERSION + 1, "test step", ("CREATE TABLE extra (x TEXT)",))
    assert migrate(conn, (*MIGRATIONS, extra)) == SCHEMA_VERSION + 1
    assert conn.execute("SELECT count(*) FROM extra").fetchone()[0] == 0
    broken = Migration(SCHEMA_VERSION + 2, "broken", ("CREATE TABLE half (x)", "THIS IS NOT SQL"))
    with pytest.raises(sqlite3.OperationalError):
        migrate(conn, (*MIGRATIONS, extra, broken))
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION + 1
    assert not conn.execute("SELECT name FROM sqlite_master WHERE name = 'half'").fetchall()
    conn.close()


def test_open_store_targets(tmp_path):
    # nothing listens on port 1: a one-line error naming the server, password masked
    with pytest.raises(StoreError, match=r"postgresql://user:\*\*\*@127\.0\.0\.1:1/rasid: cannot connect"):
        open_store("postgresql://user:secret@127.0.0.1:1/rasid")
    with pytest.raises(StoreError, match="unknown database scheme"):
        open_store("mysql://localhost/rasid")
    with pytest.raises(StoreError, match="does not exist"):
        open_store(str(tmp_path / "no" / "such" / "dir.db"))
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not a database at all " * 100)
    with pytest.raises(StoreError, match="junk.db"):
        open_store(str(junk))
    with open_store("sqlite://") as mem:
        assert isinstance(mem, SQLiteStore) and mem.count_articles() == 0
    store = open_store(f"sqlite:///{tmp_path / 'u.db'}")
    store.close()
    store.close()  # idempotent
    assert Path(tmp_path / "u.db").is_file()
    with pytest.raises(StoreError, match="closed"):
        store.count_articles()


def test_one_store_shared_by_threads(tmp_path, snn_articles):
    """The web server calls one store from a thread pool while a run may be writing."""
    errors: list[BaseException] = []
    with open_store(str(tmp_path / "t.db")) as store:

        def write() -> None:
            try:
                for i in range(0, 120, 20):
                    store.add_articles(snn_articles[i : i + 20])
            except BaseException as exc:  # pragma: no cover - reported below
                errors.append(exc)

        thread = threading.Thread(target=write)
        thread.start()
        seen = []
        while thread.is_alive() or not seen:
            seen.append(store.count_articles())
            store.search("السعودية")
            for art in store.iter_articles():  # writes may land while iterating
                assert art.paragraphs
        thread.join()
        assert not errors
        assert seen == sorted(seen) and store.count_articles() == 120


def test_reader_is_not_blocked_by_an_open_write_transaction(tmp_path, seed_articles, snn_articles):
    path = tmp_path / "wal.db"
    with open_store(str(path)) as writer_store:
        writer_store.add_articles(list(seed_articles.values()))
    writer = sqlite3.connect(path, isolation_level=None, timeout=0.1)
    with open_store(str(path)) as reader:
        writer.execute("BEGIN IMMEDIATE")
        writer.execute(
            "INSERT INTO articles (id, origin, raw_text, clean_text, content_hash, added_at)"
            " VALUES ('w', 'w', 'x', 'x', 'hash-w', 'now')"
        )
        # while the write is open and uncommitted, the reader reads (and sees the last commit)
        assert reader.count_articles() == 5
        assert reader.get_article("seed-001") == seed_articles["001"]
        assert "seed-000" in ids(reader.search("روسيا"))
        writer.execute("COMMIT")
        assert reader.count_articles() == 6
        # and the reader store writes while another connection holds a read snapshot
        writer.execute("BEGIN")
        writer.execute("SELECT count(*) FROM articles").fetchone()
        assert reader.add_articles(snn_articles[:20]) == [a.id for a in snn_articles[:20]]
        assert writer.execute("SELECT count(*) FROM articles").fetchone()[0] == 6  # its snapshot
        writer.execute("COMMIT")
        assert writer.execute("SELECT count(*) FROM articles").fetchone()[0] == 26
    writer.close()
