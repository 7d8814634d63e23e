"""The store's narrow interfaces (`rasid.store.protocols`): both backends implement each; the
stories stage writes headers and members, the understanding stage the analysis, neither the
other's; the stories and analysis stages run under separate locks, so a writer places its articles
while another analyses, and the analysis left pending is done by someone."""

from __future__ import annotations

import re
import threading
import time
from pathlib import Path

import pytest
from storytools import put_stories

from rasid.engine.local import DEFERRED_BLOB, PENDING_BLOB, pending_stories
from rasid.engine.locks import ANALYSIS_LOCK, STAGES_LOCK, store_lock
from rasid.model import Article, Entity, Paragraph, Story
from rasid.pipeline import BaseStage, Batch, Touched
from rasid.runner import build_runner
from rasid.settings import Settings
from rasid.store import SQLiteStore, protocols
from rasid.store.postgres import PostgresStore

SETTINGS = Settings()  # the defaults (engine "local"); the stages are stubs, passed in

PROTOCOLS = [
    protocols.ArticleReads,
    protocols.Articles,
    protocols.StoryReads,
    protocols.StoryWrites,
    protocols.AnalysisWrites,
    protocols.Search,
    protocols.DerivedCache,
    protocols.StateBlobs,
    protocols.Locks,
    protocols.ChangeStamps,
    protocols.ReadStore,
    protocols.StoriesStore,
    protocols.AnalysisStore,
    protocols.Store,
]


def _article(n: int) -> Article:
    text = f"خبر رقم {n} عن اجتماع في الرياض"
    return Article(
        id=f"a{n}",
        origin=f"test:{n}",
        raw_text=text,
        content_hash=f"h{n}",
        title=f"عنوان {n}",
        published=f"2015-08-0{1 + n % 3}",
        paragraphs=[Paragraph(text=text, lang="ar", sentences=[text])],
    )


@pytest.mark.parametrize("proto", PROTOCOLS, ids=lambda p: p.__name__)
def test_both_backends_implement_every_interface(proto: type) -> None:
    with SQLiteStore(":memory:") as store:
        assert isinstance(store, proto)
    assert issubclass(PostgresStore, proto)  # no server needed: the class has every method


def test_a_class_missing_a_method_is_not_a_store() -> None:
    class Partial:
        def get_blob(self, name: str) -> bytes | None:
            return None

    assert not isinstance(Partial(), protocols.StateBlobs)
    assert not isinstance(Partial(), protocols.Store)


def test_the_runner_and_worker_find_no_store_method_by_name() -> None:
    src = Path(__file__).resolve().parent.parent / "src" / "rasid"
    for path in [*sorted((src / "engine").glob("*.py")), src / "web" / "worker.py", src / "runner.py"]:
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"(getattr|hasattr)\((self\.)?_?store\b", text), path.name


def test_headers_and_analysis_are_written_apart(any_store) -> None:  # noqa: ANN001
    store = any_store
    store.add_articles([_article(i) for i in range(3)])
    store.set_assignments([("a0", "s1", None), ("a1", "s1", None)])
    store.put_story_headers(
        [
            Story(
                id="s1",
                title="header",
                articles=["a0", "a1"],
                sources=["x"],
                first_seen="2015-08-01",
                last_seen="2015-08-02",
            )
        ]
    )
    analysed = store.get_story("s1")
    assert analysed is not None
    analysed.entities = [Entity(name="الرياض", type="LOC")]
    # the stories stage moves a member meanwhile: the analysis written after keeps it
    store.set_assignments([("a2", "s1", None)])
    store.put_story_headers(
        [
            Story(
                id="s1",
                title="grown",
                articles=["a0", "a1", "a2"],
                sources=["x", "y"],
                first_seen="2015-08-01",
                last_seen="2015-08-03",
            )
        ]
    )
    analysed.title, analysed.articles = "stale", ["a0"]
    store.put_story_analysis([analysed])
    story = store.get_story("s1")
    assert story is not None
    assert (story.title, story.articles, story.last_seen) == ("grown", ["a0", "a1", "a2"], "2015-08-03")
    assert [e.name for e in story.entities] == ["الرياض"]
    # a header written later keeps the analysis
    store.put_story_headers([Story(id="s1", title="again", articles=["a0", "a1", "a2"])])
    again = store.get_story("s1")
    assert again is not None and [e.name for e in again.entities] == ["الرياض"]
    row = store.list_stories().rows[0]
    assert (row.title, row.articles, row.entities) == ("again", 3, ["الرياض"])
    # the analysis of a story merged away meanwhile does not bring it back
    store.retire_stories({"s1": "s0"})
    store.put_story_analysis([analysed])
    assert store.get_story("s1") is None and store.story_alias("s1") == "s0"


def test_exclusive_can_be_tried(any_store) -> None:  # noqa: ANN001
    store = any_store
    assert store.blob_names("state:t") == []
    store.put_blob("state:t:2", b"b")
    store.put_blob("state:t:1", b"a")
    store.put_blob("state:u", b"c")
    assert store.blob_names("state:t") == ["state:t:1", "state:t:2"]
    store.delete_blob("state:t:1")
    assert store.blob_names("state:t") == ["state:t:2"] and store.get_blob("state:t:1") is None
    with store_lock(store, ANALYSIS_LOCK) as held:
        assert held
        seen: list[bool] = []

        def other() -> None:  # another holder: a lock file of its own, as another process has
            with store_lock(store, ANALYSIS_LOCK, wait=False) as got:
                seen.append(got)
            with store_lock(store, STAGES_LOCK, wait=False) as got:
                seen.append(got)

        t = threading.Thread(target=other)
        t.start()
        t.join(10)
        assert seen == [False, True]  # the two locks are apart
    with store_lock(store, ANALYSIS_LOCK, wait=False) as held:
        assert held


def test_an_in_memory_store_has_nothing_to_lock() -> None:
    with SQLiteStore(":memory:") as memory, store_lock(memory, STAGES_LOCK, wait=False) as held:
        assert held  # no other process can open it


class _Place(BaseStage):
    """A stories stage without models: each article its own story."""

    def update(self, store, batch: Batch) -> Touched:  # noqa: ANN001
        store.set_assignments([(a, f"s-{a}", None) for a in batch.ids])
        store.put_story_headers([Story(id=f"s-{a}", articles=[a]) for a in batch.ids])
        return Touched([f"s-{a}" for a in batch.ids])


class _Analyse(BaseStage):
    def __init__(self) -> None:
        self.seen: list[str] = []

    def update(self, store, batch: Batch) -> Touched:  # noqa: ANN001
        self.seen.extend(batch.stories)
        store.put_story_analysis(
            [Story(id=s, entities=[Entity(name="x", type="LOC")]) for s in batch.stories]
        )
        return Touched(list(batch.stories))


def test_articles_are_placed_while_another_writer_analyses(tmp_path: Path) -> None:
    """The analysis lock held (a `rasid run` understanding its day): a run that does not wait
    places its articles at once and leaves their analysis pending; the holder, once it lets the
    lock go, analyses them; a waiting run would analyse them itself."""
    with SQLiteStore(tmp_path / "w.db") as store:
        store.add_articles([_article(i) for i in range(4)])
        analyse = _Analyse()
        worker = build_runner(store, SETTINGS, None, stages=[_Place(), analyse], wait_for_analysis=False)
        done = threading.Event()
        result: list = []

        def post() -> None:
            result.append(worker.run([]))
            done.set()

        with store_lock(store, ANALYSIS_LOCK):  # another writer analysing
            t = threading.Thread(target=post)
            t.start()
            assert done.wait(20), "the stories stage waited for the analysis lock"
            summary = result[0]
            assert summary.deferred and analyse.seen == []
            assert {a.id: a.story for a in store.get_articles(["a0", "a3"])} == {"a0": "s-a0", "a3": "s-a3"}
            names, pending = pending_stories(store)
            assert sorted(pending) == [f"s-a{i}" for i in range(4)] and store.blob_names(DEFERRED_BLOB)
        # the holder's part once it lets go (LocalRunner._after_release): the deferred analysis is done
        holder = build_runner(store, SETTINGS, None, stages=[_Place(), analyse])
        holder.run([])
        assert sorted(analyse.seen) == [f"s-a{i}" for i in range(4)]
        assert store.blob_names(PENDING_BLOB) == [] and store.blob_names(DEFERRED_BLOB) == []
        story = store.get_story("s-a2")
        assert story is not None and story.entities and story.articles == ["a2"]


def test_the_stories_stage_places_the_feed_a_chunk_at_a_time(tmp_path: Path) -> None:
    """Each chunk is its own transaction under the stories lock: a stage failing on the second
    chunk leaves the first placed (and pending) and the rest in no story, for the next run."""

    class Chunks(_Place):
        def __init__(self, fail_on: int | None = None) -> None:
            self.calls: list[list[str]] = []
            self.fail_on = fail_on

        def update(self, store, batch: Batch) -> Touched:  # noqa: ANN001
            self.calls.append(list(batch.ids))
            out = super().update(store, batch)
            if len(self.calls) == self.fail_on:
                raise RuntimeError("killed")
            return out

    with SQLiteStore(tmp_path / "c.db") as store:
        store.add_articles([_article(i) for i in range(5)])
        broken, analyse = Chunks(fail_on=2), _Analyse()
        with pytest.raises(RuntimeError):
            build_runner(store, SETTINGS, None, stages=[broken, analyse], stories_chunk=2).run([])
        assert [len(c) for c in broken.calls] == [2, 2]
        assert len(store.unassigned_article_ids()) == 3 and len(pending_stories(store)[1]) == 2
        whole = Chunks()
        summary = build_runner(store, SETTINGS, None, stages=[whole, analyse], stories_chunk=2).run([])
        assert [len(c) for c in whole.calls] == [2, 1] and store.unassigned_article_ids() == []
        assert sorted(analyse.seen) == [f"s-a{i}" for i in range(5)] and summary.resumed_stories == 2
        assert pending_stories(store) == ([], [])


def test_a_writer_waiting_for_the_stories_lock_gets_the_next_turn(tmp_path: Path) -> None:
    from rasid.engine.locks import stories_turn

    with SQLiteStore(tmp_path / "t.db") as store:
        order: list[str] = []
        waiting = threading.Event()

        def other() -> None:
            waiting.set()
            with stories_turn(store):
                order.append("other")

        with stories_turn(store):
            t = threading.Thread(target=other)
            t.start()
            waiting.wait(5)
            time.sleep(0.3)  # the other writer is queued on the lock now
        with stories_turn(store):  # asks again at once: the waiting writer goes first
            order.append("again")
        t.join(5)
        assert order == ["other", "again"]


def test_a_round_over_given_articles_analyses_only_its_own_stories(tmp_path: Path) -> None:
    """The server's rounds (`only`) leave the pending stories of a `rasid run` still placing its
    day to that run, and analyse their own."""
    from rasid.engine.local import mark_pending

    with SQLiteStore(tmp_path / "o.db") as store:
        store.add_articles([_article(i) for i in range(3)])
        theirs = mark_pending(store, ["s-theirs"])
        analyse = _Analyse()
        build_runner(store, SETTINGS, None, stages=[_Place(), analyse], only=["a1"]).run([])
        assert analyse.seen == ["s-a1"]
        assert store.unassigned_article_ids() == ["a0", "a2"]
        assert pending_stories(store) == ([theirs], ["s-theirs"])


def test_retired_ids_kept_in_a_table_and_chains_resolved(any_store) -> None:  # noqa: ANN001
    """The registry of ids retired by merges: a chain retired in either order points every id to
    the live story; `clear_stories` forgets it with the stories."""
    store = any_store
    put_stories(store, [Story(id=f"s{i}", title=f"t{i}") for i in range(5)])
    store.retire_stories({"s4": "s3", "s3": "s2"})  # s3 retired in the same batch it is named in
    store.retire_stories({"s2": "s1"})
    assert [store.story_alias(f"s{i}") for i in range(5)] == [None, None, "s1", "s1", "s1"]
    found = store.find_story("s4")
    assert found is not None and found.id == "s1"
    store.clear_stories()
    assert store.story_alias("s4") is None


def test_an_older_stores_alias_blob_moves_into_the_table(tmp_path: Path) -> None:
    """A SQLite store of schema version 5 kept the registry as a JSON blob; opening it moves the
    entries into `story_aliases` and drops the blob."""
    import json
    import sqlite3

    from rasid.store.sqlite_schema import MIGRATIONS, migrate

    path = tmp_path / "old.db"
    conn = sqlite3.connect(path, isolation_level=None)
    assert migrate(conn, MIGRATIONS[:5], "old") == 5
    aliases = {"s000007": "s000001", "s000009": "s000001"}
    conn.execute(
        "INSERT INTO blobs (name, data, updated_at) VALUES (?, ?, 'then')",
        ("state:story-aliases", json.dumps(aliases).encode("utf-8")),
    )
    conn.commit()
    conn.close()
    with SQLiteStore(path) as store:
        assert store.story_alias("s000007") == "s000001" and store.story_alias("s000009") == "s000001"
        assert store.get_blob("state:story-aliases") is None


def test_an_older_postgres_alias_blob_moves_into_the_table(pg_url: str) -> None:
    """The same on PostgreSQL (schema version 2 to 3)."""
    import json

    from rasid.store.postgres_schema import PG_MIGRATIONS, migrate

    psycopg = pytest.importorskip("psycopg")
    with psycopg.connect(pg_url, autocommit=True) as conn:
        assert migrate(conn, PG_MIGRATIONS[:2], "old") == 2
        conn.execute(
            "INSERT INTO blobs (name, data, updated_at) VALUES (%s, %s, 'then')",
            ("state:story-aliases", json.dumps({"s000007": "s000001"}).encode("utf-8")),
        )
    with PostgresStore(pg_url) as store:
        assert store.story_alias("s000007") == "s000001"
        assert store.get_blob("state:story-aliases") is None
