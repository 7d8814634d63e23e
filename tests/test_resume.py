"""A run killed at any moment leaves its work to the next one; `rasid reprocess` completes or rebuilds.

The slow test kills real `rasid run` processes (kill -9) on SaudiNewsNet articles when they report
a stage starting, and checks that re-running ends where one uninterrupted run ends.
"""

from __future__ import annotations

import io
import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from rasid.cli import main

REPO = Path(__file__).resolve().parent.parent


def run_cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def export(db: Path, what: str) -> list[dict]:
    code, out, err = run_cli("export", "--db", str(db), "--what", what)
    assert code == 0, err
    return [json.loads(line) for line in out.splitlines()]


def db_counts(db: Path) -> tuple[int, int, int]:
    """(articles, articles in no story, stories) read straight from the file."""
    with sqlite3.connect(db) as conn:
        n = conn.execute("SELECT count(*) FROM articles").fetchone()[0]
        free = conn.execute("SELECT count(*) FROM articles WHERE story IS NULL").fetchone()[0]
        s = conn.execute("SELECT count(*) FROM stories").fetchone()[0]
    return n, free, s


def analysis(story: dict) -> tuple:
    return (story["entities"], story["timeline"], story["quotes"], story["brief"], story["disputed"])


def run_killed(db: Path, inputs: list[Path], stage: str, delay: float = 0.0) -> int:
    """Run `rasid run` in a child process and kill -9 it `delay` seconds after it reports `stage`
    starting (or let it finish if it never does); return its exit status."""
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "rasid.cli", "run", "--db", str(db), "--log-json", *map(str, inputs)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert proc.stderr is not None
    try:
        for line in proc.stderr:
            rec = json.loads(line) if line.startswith("{") else {}
            if rec.get("level") == "progress" and rec.get("stage") == stage and not rec.get("finished"):
                time.sleep(delay)
                proc.send_signal(signal.SIGKILL)
                break
        threading.Thread(target=proc.stderr.read, daemon=True).start()
        return proc.wait(timeout=600)
    finally:
        if proc.poll() is None:
            proc.kill()


@pytest.fixture(scope="module")
def snn_parts(tmp_path_factory, shared: Path) -> tuple[Path, Path]:
    """Two consecutive slices of a day of SaudiNewsNet, 100 articles each, as JSONL."""
    from rasid.eval.stories import write_saudinewsnet_jsonl

    zips = sorted((shared / "data" / "saudinewsnet").glob("*.zip"))
    if not zips:
        pytest.fail("../shared/data/saudinewsnet is missing")
    folder = tmp_path_factory.mktemp("snn")
    both = folder / "both.jsonl"
    write_saudinewsnet_jsonl(zips[:1], both, limit=200)
    lines = both.read_text(encoding="utf-8").splitlines(keepends=True)
    a, b = folder / "a.jsonl", folder / "b.jsonl"
    a.write_text("".join(lines[:100]), encoding="utf-8")
    b.write_text("".join(lines[100:]), encoding="utf-8")
    return a, b


@pytest.mark.slow
def test_kill_minus_nine_at_any_stage_then_rerun_ends_as_one_clean_run(tmp_path: Path, snn_parts) -> None:
    a, b = snn_parts
    clean = tmp_path / "clean.db"
    code, _, err = run_cli("run", "--db", str(clean), "--no-progress", str(a), str(b))
    assert code == 0, err

    db = tmp_path / "killed.db"
    # 1. killed as the stories stage starts: the first 100 are stored, in no story
    assert run_killed(db, [a], "stories") == -signal.SIGKILL
    n, free, stories = db_counts(db)
    assert n == 100 and free == 100 and stories == 0
    # 2. the next run adds 100 more and is killed while analysing: every article has its story now
    assert run_killed(db, [a, b], "understand", delay=1.0) == -signal.SIGKILL
    n, free, stories = db_counts(db)
    assert n == 200 and free == 0 and stories > 0
    # 3. killed while reading again: nothing new to store, the pending analysis stays pending
    run_killed(db, [a, b], "read")
    # 4. a run to the end completes what the killed ones left
    code, out, err = run_cli("run", "--db", str(db), "--no-progress", str(a), str(b))
    assert code == 0, err
    assert "completed what an earlier run left" in out

    got, want = export(db, "articles"), export(clean, "articles")
    assert len(got) == len({a["id"] for a in got}) == 200  # each stored once
    assert [(x["id"], x["story"], x["duplicate_of"]) for x in got] == [
        (x["id"], x["story"], x["duplicate_of"]) for x in want
    ]
    got_s, want_s = export(db, "stories"), export(clean, "stories")
    assert [(s["id"], s["articles"]) for s in got_s] == [(s["id"], s["articles"]) for s in want_s]
    assert [analysis(s) for s in got_s] == [analysis(s) for s in want_s]
    assert any(s["entities"] for s in got_s)  # analysed, not merely equal and empty


def test_a_failed_stories_stage_leaves_its_articles_to_the_next_run(
    tmp_path: Path, seeds_jsonl: Path, monkeypatch
) -> None:
    """An error in the stories stage rolls back everything it wrote (assignments, state, stories):
    the articles stay stored in no story, and the next run (with nothing new) groups them."""
    from rasid.stages import StoriesStage

    db = tmp_path / "s.db"
    real = StoriesStage.update

    def broken(self, store, batch):  # noqa: ANN001
        real(self, store, batch)  # writes everything, then fails
        raise RuntimeError("killed")

    monkeypatch.setattr(StoriesStage, "update", broken)
    with pytest.raises(RuntimeError):
        main(
            ["run", "--db", str(db), "--no-progress", str(seeds_jsonl)], out=io.StringIO(), err=io.StringIO()
        )
    assert db_counts(db) == (5, 5, 0)
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM blobs").fetchone()[0] == 0
    monkeypatch.setattr(StoriesStage, "update", real)
    code, out, err = run_cli("run", "--db", str(db), "--no-progress", str(seeds_jsonl))
    assert code == 0, err
    assert "0 new articles" in out and "5 articles placed in stories" in out
    assert db_counts(db)[:2] == (5, 0)
    stories = export(db, "stories")
    assert len(stories) == 1 and len(stories[0]["articles"]) == 5 and stories[0]["entities"]


def test_a_failed_understanding_is_redone_by_the_next_run(
    tmp_path: Path, seeds_jsonl: Path, monkeypatch
) -> None:
    from rasid.stages import UnderstandStage

    db = tmp_path / "u.db"

    def broken(self, store, batch):  # noqa: ANN001
        raise RuntimeError("killed")

    real = UnderstandStage.update
    monkeypatch.setattr(UnderstandStage, "update", broken)
    with pytest.raises(RuntimeError):
        main(
            ["run", "--db", str(db), "--no-progress", str(seeds_jsonl)], out=io.StringIO(), err=io.StringIO()
        )
    (story,) = export(db, "stories")
    assert len(story["articles"]) == 5 and not story["entities"]  # grouped, not analysed
    monkeypatch.setattr(UnderstandStage, "update", real)
    code, out, err = run_cli("reprocess", "--db", str(db), "--no-progress")
    assert code == 0, err
    (story,) = export(db, "stories")
    assert story["entities"] and story["timeline"]
    # nothing left: a second reprocess has nothing to do
    code, out, _ = run_cli("reprocess", "--db", str(db), "--no-progress")
    assert code == 0 and out.startswith("0 articles placed in stories, 0 stories updated")


def test_reprocess_rebuilds_stories_and_understanding_on_demand(tmp_path: Path, seeds_jsonl: Path) -> None:
    db = tmp_path / "r.db"
    code, _, err = run_cli("run", "--db", str(db), "--no-progress", str(seeds_jsonl))
    assert code == 0, err
    before = export(db, "stories")
    with sqlite3.connect(db) as conn:  # spoil the analysis, as an older understanding would have left it
        conn.execute("UPDATE stories SET entities = '[]', timeline = '[]'")
    code, out, err = run_cli("reprocess", "--db", str(db), "--no-progress", "--understanding")
    assert code == 0, err
    assert out.startswith("0 articles placed in stories, 1 stories updated")
    assert export(db, "stories") == before
    code, out, err = run_cli("reprocess", "--db", str(db), "--no-progress", "--stories")
    assert code == 0, err
    assert out.startswith("5 articles placed in stories, 1 stories updated")
    after = export(db, "stories")
    assert [(s["articles"], analysis(s)) for s in after] == [(s["articles"], analysis(s)) for s in before]


def test_reprocess_needs_an_existing_store(tmp_path: Path) -> None:
    code, out, err = run_cli("reprocess", "--db", str(tmp_path / "none.db"))
    assert code == 3 and err.count("\n") == 1 and "no such database" in err
    assert not (tmp_path / "none.db").exists()


def test_store_atomic_commits_all_or_nothing(tmp_path: Path) -> None:
    from rasid.store import open_store

    with open_store(str(tmp_path / "a.db")) as store:
        with pytest.raises(RuntimeError), store.atomic():
            store.put_blob("state:x", b"1")
            store.put_blob("state:y", b"2")
            raise RuntimeError("killed")
        assert store.get_blob("state:x") is None and store.get_blob("state:y") is None
        with store.atomic():
            store.put_blob("state:x", b"1")
            with store.atomic():  # nested blocks join the outer one
                store.put_blob("state:y", b"2")
            assert store.get_blob("state:y") == b"2"  # the block reads its own writes
            # another connection does not see them before the block ends
            with sqlite3.connect(tmp_path / "a.db") as other:
                assert other.execute("SELECT count(*) FROM blobs").fetchone()[0] == 0
        with sqlite3.connect(tmp_path / "a.db") as other:
            assert other.execute("SELECT count(*) FROM blobs").fetchone()[0] == 2
        store.clear_stories()
        assert store.get_blob("state:x") is None


def test_a_stage_can_report_its_own_progress(tmp_path: Path, seeds_jsonl: Path) -> None:
    from rasid.ingest import Ingestor
    from rasid.pipeline import BaseStage, Touched
    from rasid.runner import build_runner
    from rasid.settings import load_settings
    from rasid.store import open_store

    class Counting(BaseStage):
        def __init__(self) -> None:
            self.on_progress = None

        def report_progress(self, advance) -> bool:  # noqa: ANN001
            self.on_progress = advance
            return True

        def update(self, store, batch) -> Touched:  # noqa: ANN001
            store.set_assignments([(a, "s1", None) for a in batch.ids])
            for _ in batch.ids:
                self.on_progress(1)
            return Touched(["s1"])

    class Log:
        def __init__(self) -> None:
            self.events: list[tuple] = []

        def stage(self, name: str, total: int | None) -> None:
            self.events.append(("stage", name, total))

        def advance(self, n: int = 1) -> None:
            self.events.append(("advance", n))

    log = Log()
    settings = load_settings(env={}, db=str(tmp_path / "p.db"))
    with open_store(settings.db) as store, Ingestor(settings) as reader:
        build_runner(store, settings, reader, stages=[Counting()], progress=log, read_total=5).run(
            [str(seeds_jsonl)]
        )
    assert log.events == [
        ("stage", "read", 5),
        *[("advance", 1)] * 5,
        ("stage", "counting", 5),
        *[("advance", 1)] * 5,
    ]
