"""Story membership is kept in one place (`articles.story`, written by `set_assignments`): a
story's member list is read from it in publication order, on both backends; stores of the schema
that kept a second, ordered copy (`story_articles`) are moved over on open. And what the web's page
cache asks of a store (`ChangeStamps`, `ReadStore.reader`), on both backends."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from rasid.model import Article, Paragraph, Story
from rasid.store import SQLiteStore
from rasid.store.postgres import PostgresStore


def _article(n: int, published: str | None, source: str = "okaz") -> Article:
    text = f"خبر رقم {n} عن اجتماع في الرياض"
    return Article(
        id=f"a{n}",
        origin=f"test:{n}",
        raw_text=text,
        content_hash=f"h{n}",
        title=f"عنوان {n}",
        source=source,
        published=published,
        paragraphs=[Paragraph(text=text, lang="ar", sentences=[text])],
    )


def _tables(store: SQLiteStore | PostgresStore) -> set[str]:
    if isinstance(store, SQLiteStore):
        return {r[0] for r in store._select("SELECT name FROM sqlite_master WHERE type = 'table'")}
    return {r[0] for r in store._select("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")}


def test_a_storys_members_are_its_assigned_articles(any_store) -> None:  # noqa: ANN001
    """`get_story(...).articles`, `story_article_ids` and the list row's size all follow
    `set_assignments`, in publication order (undated last, then insertion); the header's
    `Story.articles` is not a second copy."""
    store = any_store
    assert "story_articles" not in _tables(store)
    store.add_articles(
        [_article(0, "2015-08-03"), _article(1, None), _article(2, "2015-08-01"), _article(3, "2015-08-03")]
    )
    store.set_assignments([(f"a{i}", "s1", None) for i in range(4)])
    store.put_story_headers([Story(id="s1", title="t", articles=["a0", "nowhere"])])
    expected = ["a2", "a0", "a3", "a1"]
    assert store.get_story("s1").articles == expected == store.story_article_ids("s1")
    assert store.list_stories().rows[0].articles == 4
    store.set_assignments([("a3", "s2", None)])  # moved: s1 loses it at once, no header rewritten
    assert store.get_story("s1").articles == ["a2", "a0", "a1"]
    store.put_story_headers([Story(id="s1", title="t"), Story(id="s2", title="u")])
    assert {r.id: r.articles for r in store.list_stories().rows} == {"s1": 3, "s2": 1}
    assert [s.articles for s in store.iter_stories()] == [["a2", "a0", "a1"], ["a3"]]
    store.clear_stories()
    assert store.get_story("s1") is None and len(store.unassigned_article_ids()) == 4


def test_stamps_change_with_what_a_page_shows(any_store) -> None:  # noqa: ANN001
    store = any_store
    store.add_articles([_article(i, f"2015-08-0{1 + i}") for i in range(3)])
    assert store.article_stamp("a0") is not None  # in no story: its page is kept
    assert store.article_stamp("nope") is None and store.story_stamp("s1") is None
    store.set_assignments([("a0", "s1", None), ("a1", "s1", None), ("a2", "s2", None)])
    assert store.article_stamp("a0") is None  # its story has no row yet
    store.put_story_headers([Story(id="s1", title="t"), Story(id="s2", title="u")])
    art, story, other = store.article_stamp("a0"), store.story_stamp("s1"), store.story_stamp("s2")
    assert art and story and other and story != other
    store.put_blob("x", b"y")  # a write elsewhere
    assert (store.article_stamp("a0"), store.story_stamp("s1")) == (art, story)
    store.set_assignments([("a1", "s1", "a0")])  # a member becomes a copy: the story's page changes
    assert store.story_stamp("s1") != story and store.article_stamp("a0") == art
    story = store.story_stamp("s1")
    store.put_story_links({"s1": [("s2", 0.7)]})
    assert store.story_stamp("s1") != story
    story = store.story_stamp("s1")
    store.put_story_headers([Story(id="s2", title="renamed")])  # a related story's title
    assert store.story_stamp("s1") != story
    store.set_assignments([("a0", "s2", None)])
    assert store.article_stamp("a0") != art


def test_a_reader_sees_the_data_version_move(tmp_path: Path) -> None:
    with SQLiteStore(tmp_path / "v.db") as store:
        watch = store.reader()
        assert watch is not store and watch.readonly
        before = watch.data_version()
        assert before is not None
        assert watch.data_version() == before
        store.put_blob("x", b"y")
        assert watch.data_version() != before
        watch.close()
    with SQLiteStore(":memory:") as memory:
        assert memory.reader() is memory  # a second connection would see another database


def test_postgres_reads_per_thread_and_tells_no_version(pg_url: str) -> None:
    with PostgresStore(pg_url) as store:
        assert store.reader() is store and store.data_version() is None


def _old_rows(execute, story_list: bool) -> None:  # noqa: ANN001
    """Stories as a store kept them before: `s1` lists a1, a2 and a4 (a4 is stored in s2, a2 in
    no story), `s2` lists a4; a3 is in no story and listed nowhere."""
    for n, day, story in (
        (1, "2015-08-02", "s1"),
        (2, "2015-08-01", None),
        (3, None, None),
        (4, "2015-08-03", "s2"),
    ):
        execute(
            "INSERT INTO articles (id, origin, raw_text, clean_text, source, published, content_hash, story,"
            " added_at{tsv}) VALUES (?, 'test', 'x', 'x', 'okaz', ?, ?, ?, 'then'{tsv_value})",
            (f"a{n}", day, f"h{n}", story),
        )
    for sid in ("s1", "s2"):
        execute(
            "INSERT INTO stories (id, title, first_seen, last_seen, sources, updated_at)"
            " VALUES (?, ?, '2015-08-01', '2015-08-03', '[\"okaz\"]', 'then')",
            (sid, sid),
        )
        if story_list:  # the old list rows: s1's counts its three listed members
            execute(
                "INSERT INTO story_list (id, title, size, outlets) VALUES (?, ?, ?, 1)",
                (sid, sid, 3 if sid == "s1" else 1),
            )
    for sid, idx, art in (("s1", 0, "a1"), ("s1", 1, "a2"), ("s1", 2, "a4"), ("s2", 0, "a4")):
        execute("INSERT INTO story_articles (story, idx, article) VALUES (?, ?, ?)", (sid, idx, art))


def _check_moved(store: SQLiteStore | PostgresStore) -> None:
    assert "story_articles" not in _tables(store)
    assert store.get_story("s1").articles == ["a2", "a1"]  # a2 joined; a4 stays where it is stored
    assert store.get_story("s2").articles == ["a4"]
    assert store.unassigned_article_ids() == ["a3"]
    assert {r.id: r.articles for r in store.list_stories().rows} == {"s1": 2, "s2": 1}


def test_an_older_sqlite_stores_member_lists_move_to_articles(tmp_path: Path) -> None:
    """Schema 6 to 7: the `story_articles` copy is dropped, a member it listed in no story joins
    that story, and the list rows of stories whose two lists differed are written again."""
    from rasid.store.sqlite_schema import MIGRATIONS, SCHEMA_VERSION, migrate

    path = tmp_path / "old.db"
    conn = sqlite3.connect(path, isolation_level=None)
    assert migrate(conn, MIGRATIONS[:6], "old") == 6

    def execute(sql: str, params: tuple[object, ...]) -> None:
        conn.execute(sql.format(tsv="", tsv_value=""), params)

    _old_rows(execute, story_list=True)
    conn.close()
    with SQLiteStore(path) as store:
        assert store.schema_version == SCHEMA_VERSION == 7
        _check_moved(store)
        plan = " ".join(
            str(r[-1])
            for r in store._select(
                "EXPLAIN QUERY PLAN SELECT story, id FROM articles WHERE story IN (?, ?)"
                " ORDER BY story, published IS NULL, published, seq",
                ("s1", "s2"),
            )
        )
        assert "COVERING INDEX articles_members" in plan and "TEMP B-TREE" not in plan


def test_an_older_postgres_stores_member_lists_move_to_articles(pg_url: str) -> None:
    """The same on PostgreSQL (schema 3 to 4)."""
    from rasid.store.postgres import pg_sql
    from rasid.store.postgres_schema import PG_MIGRATIONS, PG_SCHEMA_VERSION, migrate

    psycopg = pytest.importorskip("psycopg")
    with psycopg.connect(pg_url, autocommit=True) as conn:
        assert migrate(conn, PG_MIGRATIONS[:3], "old") == 3

        def execute(sql: str, params: tuple[object, ...]) -> None:
            conn.execute(pg_sql(sql.format(tsv=", tsv", tsv_value=", ''::tsvector")), params)

        _old_rows(execute, story_list=True)
    with PostgresStore(pg_url) as store:
        assert store.schema_version == PG_SCHEMA_VERSION == 4
        _check_moved(store)
