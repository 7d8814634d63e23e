"""The stories stage's state kept in memory between batches, and several writers on one store.

A long-lived stage (the server's ingest worker, `rasid watch`) loads the state once and then only
when another writer has saved one since; whoever loads replays the journal the others left. Placing
is deterministic, so however the batches are shared out between writers, the assignments equal
those of one writer placing every batch in turn, and the saved state holds every article."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import rasid
from rasid.engine.locks import STAGES_LOCK, store_lock
from rasid.eval.stories import article_from_record, saudinewsnet_records, write_saudinewsnet_jsonl
from rasid.pipeline import Batch
from rasid.runner import build_runner
from rasid.settings import Settings, load_settings
from rasid.stages import StoriesStage
from rasid.stages.story_state import JOURNAL_BLOB, StateKeeper
from rasid.store import open_store

DAY = "2015-08-01"


@pytest.fixture(scope="module")
def day_articles(shared) -> list:
    recs = [
        r
        for r in saudinewsnet_records(shared / "data" / "saudinewsnet" / f"{DAY}.zip")
        if (r.get("content") or "").strip()
    ]
    return [article_from_record(r) for r in recs[:160]]


def _settings(db: str) -> Settings:
    return load_settings(env={}, db=db, embedder="hashing")


def _place(store, settings: Settings, stage: StoriesStage, batch: list) -> None:  # noqa: ANN001
    """One writer's turn: store the batch, then run the stage as the runner does (lock, one transaction)."""
    store.add_articles(batch)
    build_runner(store, settings, None, stages=[stage]).run([])


def _assignments(store) -> dict[str, tuple[str | None, str | None]]:  # noqa: ANN001
    return {a.id: (a.story, a.duplicate_of) for a in store.iter_articles()}


def _batches(articles: list, size: int = 20) -> list[list]:
    return [articles[i : i + size] for i in range(0, len(articles), size)]


def _reference(tmp_path: Path, articles: list) -> dict[str, tuple[str | None, str | None]]:
    """One writer that saves its whole state after every batch (the behaviour before keeping it)."""
    db = str(tmp_path / "ref.db")
    settings = _settings(db)
    with open_store(db) as store:
        for batch in _batches(articles):
            _place(store, settings, StoriesStage(settings, checkpoint_every=1), batch)
        return _assignments(store)


def _check_whole(store, settings: Settings) -> None:  # noqa: ANN001
    """Every article in exactly one stored story, listed there, and in the saved state's story."""
    arts = list(store.iter_articles())
    stories = {s.id: s for s in store.iter_stories()}
    members = [aid for s in stories.values() for aid in s.articles]
    assert len(members) == len(set(members)), "an article listed in two stories"
    assert set(members) == {a.id for a in arts}, "an article in no story"
    assert all(a.story in stories and a.id in stories[a.story].articles for a in arts)
    clusterer = StoriesStage(settings).load_state(store).clusterer

    def live(sid: str | None) -> str | None:
        return (clusterer.merged_into(sid) or sid) if sid else None

    lost = [a.id for a in arts if live(clusterer.story_of(a.id)) != a.story]
    assert not lost, f"{len(lost)} articles the saved state does not hold as stored"


def test_a_kept_state_is_loaded_once_and_places_as_a_fresh_one(tmp_path, day_articles, monkeypatch):
    loads: list[int] = []
    real = StateKeeper.load

    def counting(self: StateKeeper, store):  # noqa: ANN001, ANN202
        loads.append(1)
        return real(self, store)

    monkeypatch.setattr(StateKeeper, "load", counting)
    db = str(tmp_path / "kept.db")
    settings = _settings(db)
    stage = StoriesStage(settings, checkpoint_every=50)
    with open_store(db) as store:
        for batch in _batches(day_articles):
            _place(store, settings, stage, batch)
        assert loads == [1], "a long-lived stage loaded the state again although nobody else saved one"
        journal = json.loads(store.get_blob(JOURNAL_BLOB) or b"[]")
        assert 0 < sum(map(len, journal)) < 50  # checkpoints were written, and a journal follows the last
        got = _assignments(store)
        _check_whole(store, settings)
    assert got == _reference(tmp_path, day_articles)


@pytest.mark.parametrize("checkpoint_every", [70, 10**6])
def test_two_writers_taking_turns_lose_and_double_nothing(
    tmp_path, day_articles, monkeypatch, checkpoint_every
):
    """Two long-lived stages on one store (two processes' workers): each notices the other's saves
    and replays what the other journalled (over its own state while no checkpoint came between, else
    over the stored checkpoint), and the outcome equals one writer's."""
    loads: list[int] = []
    real = StateKeeper.load

    def counting(self: StateKeeper, store):  # noqa: ANN001, ANN202
        loads.append(1)
        return real(self, store)

    monkeypatch.setattr(StateKeeper, "load", counting)
    db = str(tmp_path / "two.db")
    settings = _settings(db)
    a, b = (
        StoriesStage(settings, checkpoint_every=checkpoint_every, checkpoint_at_end=checkpoint_every)
        for _ in range(2)
    )
    with open_store(db) as store:
        for k, batch in enumerate(_batches(day_articles)):
            _place(store, settings, (a, b, b, a)[k % 4], batch)
        got = _assignments(store)
        if checkpoint_every > len(day_articles):
            assert len(loads) == 2, "a writer loaded the whole state although the other only journalled"
        _check_whole(store, settings)
    assert got == _reference(tmp_path, day_articles)


def test_a_failed_batch_is_not_kept(tmp_path, day_articles):
    """A batch that fails half-way leaves neither its assignments nor its state: the stage forgets
    what it held and the next batch places the articles from the stored state."""
    db = str(tmp_path / "fail.db")
    settings = _settings(db)
    stage = StoriesStage(settings, checkpoint_every=10**6)
    batches = _batches(day_articles[:60])
    with open_store(db) as store:
        _place(store, settings, stage, batches[0])
        store.add_articles(batches[1])
        real = store.set_assignments

        def broken(rows):  # noqa: ANN001, ANN202
            raise RuntimeError("disk gone")

        store.set_assignments = broken
        with pytest.raises(RuntimeError, match="disk gone"):
            build_runner(store, settings, None, stages=[stage]).run([])
        store.set_assignments = real
        assert all(a.story is None for a in store.get_articles([x.id for x in batches[1]]))
        build_runner(store, settings, None, stages=[stage]).run([])
        _place(store, settings, stage, batches[2])
        got = _assignments(store)
        _check_whole(store, settings)
    (tmp_path / "r").mkdir()
    assert got == _reference(tmp_path / "r", day_articles[:60])


class _Meeting(StoriesStage):
    """A stories stage that, once it holds the state, waits (up to 3 s) for the other writer to hold
    it too: without a lock around the stages both would then save states that miss the other's
    articles; with it the second writer cannot get there while the first waits."""

    def _place(self, store, state, batch, repaired):  # noqa: ANN001, ANN202
        import threading

        with contextlib.suppress(threading.BrokenBarrierError):
            self.meeting.wait(timeout=3)
        return super()._place(store, state, batch, repaired)


def test_two_writers_at_once_take_turns_on_a_sqlite_file(tmp_path, day_articles):
    import threading

    db = str(tmp_path / "race.db")
    settings = _settings(db)
    with open_store(db) as store:
        _place(store, settings, StoriesStage(settings), day_articles[:20])
    meeting = threading.Barrier(2)
    errors: list[BaseException] = []

    def writer(batch: list) -> None:
        stage = _Meeting(settings)
        stage.meeting = meeting
        try:
            with open_store(db) as own:  # a connection of its own, as another process would have
                own.add_articles(batch)
                # as the runner runs it, fed this writer's articles only
                with store_lock(own, STAGES_LOCK), own.atomic():
                    stage.update(own, Batch(tuple(a.id for a in batch)))
        except BaseException as exc:  # handed to the test
            errors.append(exc)

    threads = [
        threading.Thread(target=writer, args=(b,)) for b in (day_articles[20:60], day_articles[60:100])
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert not errors, errors
    with open_store(db) as store:
        _check_whole(store, settings)


@pytest.mark.slow
def test_runs_at_once_on_one_sqlite_file_lose_and_double_nothing(tmp_path, shared):
    """Three `rasid run` processes at once on overlapping parts of a day, on one SQLite file: every
    article stored once, in exactly one story, and in the saved state (the story stages take turns
    under the store's lock file)."""
    day = tmp_path / "day.jsonl"
    n = write_saudinewsnet_jsonl([shared / "data" / "saudinewsnet" / f"{DAY}.zip"], day, limit=150)
    lines = day.read_text(encoding="utf-8").splitlines()
    inputs = []
    for k in range(3):
        part = tmp_path / f"part{k}.jsonl"
        part.write_text("\n".join(lines[(k * 50 + j) % n] for j in range(80)) + "\n", encoding="utf-8")
        inputs.append(part)
    db = str(tmp_path / "many.db")
    with open_store(db):
        pass  # created once, before the writers start
    env = {
        **os.environ,
        "PYTHONPATH": str(Path(rasid.__file__).resolve().parents[1]),
        "RASID_WORKERS": "1",
        "RASID_EMBEDDER": "hashing",
    }
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "rasid.cli", "run", "--db", db, "--no-progress", "-q", str(p)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for p in inputs
    ]
    results = [p.communicate(timeout=900) for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0], [err[-500:] for _, err in results]
    with open_store(db) as store:
        ids = {a.id for a in store.iter_articles()}
        assert len(ids) == len({json.loads(line)["id"] for line in lines}) - _empty(lines)
        _check_whole(store, _settings(db))


def _empty(lines: list[str]) -> int:
    """Records the reader refuses (no text and no title)."""
    return sum(
        1 for line in lines if not (json.loads(line)["text"].strip() or json.loads(line)["title"].strip())
    )


@pytest.mark.slow
def test_posts_while_a_run_ingests_lose_and_double_nothing(tmp_path, shared):
    """Articles POSTed to the server while a `rasid run` ingests into the same SQLite file: each
    posted article reaches its story, and afterwards every article is in exactly one story and in
    the saved state."""
    from fastapi.testclient import TestClient

    from rasid.stages import default_stages
    from rasid.web.app import create_app

    day = tmp_path / "day.jsonl"
    write_saudinewsnet_jsonl([shared / "data" / "saudinewsnet" / f"{DAY}.zip"], day, limit=160)
    lines = day.read_text(encoding="utf-8").splitlines()
    (tmp_path / "run.jsonl").write_text("\n".join(lines[:120]) + "\n", encoding="utf-8")
    posted = [json.loads(line) for line in lines[120:] if json.loads(line)["text"].strip()][:12]
    db = str(tmp_path / "mixed.db")
    settings = _settings(db)
    with open_store(db):
        pass
    env = {
        **os.environ,
        "PYTHONPATH": str(Path(rasid.__file__).resolve().parents[1]),
        "RASID_WORKERS": "1",
        "RASID_EMBEDDER": "hashing",
    }
    app = create_app(
        db, write_key="k", read_key="", settings=settings, stages=default_stages(settings, understand=False)
    )
    with TestClient(app) as client:
        run = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "rasid.cli",
                "run",
                "--db",
                db,
                "--no-progress",
                "-q",
                str(tmp_path / "run.jsonl"),
            ],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        stories = {}
        for rec in posted:
            r = client.post("/api/articles", params={"wait": 60}, json=rec, headers={"X-API-Key": "k"})
            assert r.status_code == 200 and r.json()["status"] == "done", r.text
            stories.update({a["id"]: a["story"] for a in r.json()["articles"]})
        _, err = run.communicate(timeout=900)
        assert run.returncode == 0, err[-500:]
    assert stories and all(stories.values())
    with open_store(db) as store:
        assert store.count_articles() >= 120
        _check_whole(store, settings)


@pytest.mark.slow
def test_a_long_lived_understanding_stage_starts_workers_after_analysing_here(tmp_path, day_articles):
    """The server's understanding stage analyses small rounds in its own process; a later round big
    enough for worker processes (a run's articles placed by the server's round) must still start
    them (the analyzer used here holds models that do not pickle)."""
    from rasid.stages import UnderstandStage

    db = str(tmp_path / "u.db")
    settings = _settings(db)
    with open_store(db) as store:
        _place(store, settings, StoriesStage(settings), day_articles[:40])
        touched = list(dict.fromkeys(a.story for a in store.iter_articles() if a.story))
        assert len(touched) >= 6
        ids = [a.id for a in store.iter_articles()]
        stage = UnderstandStage(workers=2, min_pool=5)
        stage.update(store, Batch(tuple(ids), stories=tuple(touched[:1])))  # in this process
        stage.update(store, Batch(tuple(ids), stories=tuple(touched[:6])))  # on two workers
        stage.end()
        assert all(store.get_story(s).entities is not None for s in touched[:6])


def test_a_run_saves_the_state_whole_at_its_end_and_the_next_run_replays_nothing(
    tmp_path, day_articles, monkeypatch
):
    """A run over every article in no story (`rasid run`) writes the checkpoint at its last chunk,
    so the next process loads it without replaying the run; a checkpoint falling due a chunk before
    the end waits for that last one. The server's rounds (`only`) and short runs journal."""
    from rasid.engine.held import Held
    from rasid.stories import StoryClusterer

    checkpoints: list[int] = []
    replayed: list[int] = []
    real_bytes, real_replay = StoryClusterer.to_bytes, StoriesStage._replay

    def counting_bytes(self):  # noqa: ANN001, ANN202
        checkpoints.append(1)
        return real_bytes(self)

    def counting_replay(self, store, state, batches):  # noqa: ANN001, ANN202
        replayed.append(sum(map(len, batches)))
        return real_replay(self, store, state, batches)

    monkeypatch.setattr(StoryClusterer, "to_bytes", counting_bytes)
    monkeypatch.setattr(StoriesStage, "_replay", counting_replay)

    def journal(store) -> int:  # noqa: ANN001
        return sum(map(len, json.loads(store.get_blob(JOURNAL_BLOB) or b"[]")))

    db = str(tmp_path / "end.db")
    settings = _settings(db)

    def run(store, articles: list, hold: bool = True, every: int = 50, **kw) -> int:  # noqa: ANN001, ANN003
        held = Held()  # held in memory as the text half leaves them: vectors embedded from `begin`
        added = store.add_articles(articles)
        if hold:
            held.keep(articles, added)
        stage = StoriesStage(settings, checkpoint_every=every, checkpoint_at_end=30)
        build_runner(store, settings, None, stages=[stage], held=held, stories_chunk=20, **kw).run([])
        return len(added)

    fed = day_articles[100:120]
    with open_store(db) as store:
        run(store, day_articles[:80])  # chunks of 20: due at 60 (50), left to the end at 80
        assert (checkpoints, journal(store)) == ([1], 0)
        run(store, day_articles[80:100])  # a new process: nothing to replay; 20 < 30 journalled
        assert (checkpoints, sum(replayed), journal(store)) == ([1], 0, 20)
        n = run(store, fed, only=[a.id for a in fed])  # a server round: journalled, whatever its length
        assert (checkpoints, journal(store)) == ([1], 20 + n)
        kind = StoriesStage(settings)._kind()
        ids = [a.id for a in store.iter_articles()]
        assert len(store.get_vectors(kind, ids)) == len(ids)  # each cached as it was placed
        got = _assignments(store)
        _check_whole(store, settings)
    settings = _settings(str(tmp_path / "ref.db"))  # the same runs, each chunk saving the state whole
    with open_store(settings.db) as store:
        for part, kw in (
            (day_articles[:80], {}),
            (day_articles[80:100], {}),
            (fed, {"only": [a.id for a in fed]}),
        ):
            run(store, part, hold=False, every=1, **kw)
        assert got == _assignments(store)


def test_when_a_checkpoint_is_due():
    keeper = StateKeeper(_settings(":memory:"), checkpoint_every=100, checkpoint_at_end=30)
    assert not keeper.due(99, None) and keeper.due(100, None)  # not knowing the run's end
    assert not keeper.due(29, 0) and keeper.due(30, 0)  # the run's last chunk
    assert not keeper.due(120, 79) and keeper.due(120, 80)  # the end near: the journal under 2 x 100
    assert keeper.due(100, 5000)
