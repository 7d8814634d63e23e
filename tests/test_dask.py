"""The Dask engine: JSONL ranges read every record once; the same stories as the local engine."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from rasid.engine.dask import Unit, from_file, partitions, plan_units, read_unit
from rasid.ingest import Ingestor
from rasid.model import IngestError
from rasid.settings import load_settings
from rasid.store import open_store

SNN_DAY = "2015-08-01"


@pytest.fixture(scope="module")
def day_jsonl(shared, tmp_path_factory) -> Path:
    from rasid.eval.stories import write_saudinewsnet_jsonl

    path = tmp_path_factory.mktemp("dask") / "day.jsonl"
    write_saudinewsnet_jsonl([shared / "data" / "saudinewsnet" / f"{SNN_DAY}.zip"], path, limit=300)
    return path


def docs_of(units: list[Unit], reader: Ingestor) -> tuple[list[tuple[str | None, str]], int]:
    """(id, text) of every document of `units`, and the number of errors (records without text)."""
    out, errors = [], 0
    for unit in units:
        for item in read_unit(unit, reader):
            if isinstance(item, IngestError):
                errors += 1
            else:
                out.append((item.id, item.text))
    return out, errors


def whole(path: Path, reader: Ingestor) -> tuple[list[tuple[str | None, str]], int]:
    items = list(reader.read(str(path)))
    docs = [(d.id, d.text) for d in items if not isinstance(d, IngestError)]
    return docs, len(items) - len(docs)


@pytest.mark.parametrize("block", [1, 97, 4096, 65536])
def test_jsonl_ranges_read_every_record_once(day_jsonl, tmp_path, block):
    """Ranges of any size (down to one byte) give the records of the whole file, once each, in order;
    a last line without its newline and blank lines change nothing."""
    with Ingestor(load_settings()) as reader:
        cut = tmp_path / "cut.jsonl"
        lines = day_jsonl.read_text(encoding="utf-8").splitlines()[:40]
        cut.write_text("\n\n".join(lines), encoding="utf-8")
        path = cut if block < 4096 else day_jsonl
        units = list(from_file(path, block))
        assert len(units) == -(-path.stat().st_size // block)
        want = whole(path, reader)
        assert len(want[0]) >= 30 and docs_of(units, reader) == want


def test_jsonl_ranges_resolve_outlets_as_the_whole_read(tmp_path):
    """A range is read through the same reader as the whole file: records naming no source get their
    outlet from the URL (ranges once skipped this), and errors name the range they are in."""
    lines = [
        json.dumps(
            {
                "id": f"x{i}",
                "url": f"https://www.okaz.com.sa/news/{i}",
                "text": "نص قصير عن خبر ما في المدينة " * 8,
            },
            ensure_ascii=False,
        )
        for i in range(60)
    ]
    lines[45] = "{not json"
    path = tmp_path / "u.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with Ingestor(load_settings()) as reader:
        want = [(d.id, d.source) for d in reader.read(str(path)) if not isinstance(d, IngestError)]
        units = list(from_file(path, 2000))
        got = [d for u in units for d in read_unit(u, reader)]
    assert len(units) > 3 and len(want) == 59 and want[0][1] == "okaz"
    assert [(d.id, d.source) for d in got if not isinstance(d, IngestError)] == want
    errors = [d for d in got if isinstance(d, IngestError)]
    assert len(errors) == 1 and "(from byte " in errors[0].origin and "invalid JSON" in errors[0].reason


def test_plan_walks_directories_and_reports_refused(tmp_path, day_jsonl):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.jsonl").write_bytes(day_jsonl.read_bytes()[:50_000].rsplit(b"\n", 1)[0] + b"\n")
    (tmp_path / "in" / "b.txt").write_text("نص قصير للتجربة", encoding="utf-8")
    planned = list(plan_units([str(tmp_path / "in"), str(tmp_path / "missing.jsonl")], 20_000))
    errors = [p for p in planned if isinstance(p, IngestError)]
    units = [p for p in planned if isinstance(p, Unit)]
    assert len(errors) == 1 and "missing.jsonl" in errors[0].origin
    assert [u.source for u in units].count(str(tmp_path / "in" / "a.jsonl")) == 3
    assert sum(len(g) for g in partitions(iter(units), 30_000)) == len(units)


def _assignments(db: str) -> dict[str, str]:
    with open_store(db) as store:
        return {a.id: a.story or "" for a in store.iter_articles()}


@pytest.mark.slow
def test_dask_gives_the_local_engines_stories(day_jsonl, tmp_path):
    """300 articles of a day through two Dask workers (the file cut into ranges) and through the
    local runner: the same articles, and the same stories (B³ agreement printed)."""
    from rasid.eval.stories import bcubed
    from rasid.runner import build_runner
    from rasid.stages import default_stages

    settings = load_settings()
    local_db, dask_db = str(tmp_path / "local.db"), str(tmp_path / "dask.db")
    t0 = time.perf_counter()
    with open_store(local_db) as store, Ingestor(settings) as reader:
        local = build_runner(
            store,
            settings,
            reader,
            stages=default_stages(settings, understand=False),
            workers=1,
            engine="local",
        ).run([str(day_jsonl)])
    t1 = time.perf_counter()
    with open_store(dask_db) as store, Ingestor(settings) as reader:
        dask = build_runner(
            store,
            settings,
            reader,
            stages=default_stages(settings, understand=False),
            workers=2,
            engine="dask",
            facts=False,
            block_bytes=256 << 10,
            part_bytes=256 << 10,
        ).run([str(day_jsonl)])
    t2 = time.perf_counter()
    assert (
        dask.read == local.read > 250 and dask.added == local.added and len(dask.errors) == len(local.errors)
    )
    a, b = _assignments(local_db), _assignments(dask_db)
    assert a.keys() == b.keys() and all(a.values())
    p, r, f = bcubed(b, a)
    print(
        f"\nB³ dask vs local: P {p:.4f} R {r:.4f} F1 {f:.4f}; {len(set(a.values()))} stories local, "
        f"{len(set(b.values()))} dask; dask/local time {(t2 - t1) / (t1 - t0):.2f} (noisy, shared machine)"
    )
    assert f >= 0.99
    with open_store(dask_db) as store:  # the vectors came from the workers, cached for the stages
        kinds = store._select("SELECT DISTINCT kind FROM vectors")
        assert len(kinds) == 1 and store._select("SELECT count(*) FROM vectors")[0][0] == len(a)
    json.dumps(dask.stories)


def test_runs_on_a_running_scheduler(seeds_jsonl, tmp_path):
    """`--scheduler ADDRESS`: the text half on an existing cluster's workers (the plugin registered
    on them), articles as the local reader makes them."""
    import logging

    from distributed import LocalCluster

    from rasid.cli import main
    from rasid.runner import build_runner

    with (
        LocalCluster(
            n_workers=1,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
            silence_logs=logging.ERROR,
        ) as cluster,
        open_store(str(tmp_path / "s.db")) as store,
    ):
        settings = load_settings(engine="dask", scheduler=cluster.scheduler_address)
        with Ingestor(settings) as reader:
            summary = build_runner(
                store, settings, reader, stages=[], workers=2, vectors=False, facts=False
            ).run([str(seeds_jsonl), str(tmp_path / "none.txt")])
        assert summary.read == 5 and sorted(summary.added) == ["000", "001", "002", "003", "004"]
        assert len(summary.errors) == 1 and "none.txt" in summary.errors[0].origin
        assert store.get_article("002").paragraphs
    # the command line refuses --scheduler without --engine dask, and --workers with --scheduler
    assert (
        main(["run", "--db", str(tmp_path / "x.db"), "--scheduler", "tcp://127.0.0.1:1", str(seeds_jsonl)])
        == 2
    )
    assert (
        main(
            [
                "run",
                "--engine",
                "dask",
                "--workers",
                "2",
                "--scheduler",
                "tcp://127.0.0.1:1",
                str(seeds_jsonl),
            ]
        )
        == 2
    )
