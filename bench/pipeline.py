"""Bench: the whole pipeline (ingest -> text -> store -> stories -> understanding) on SaudiNewsNet days.

Streams the chosen days (default 2015-08-01 and 2015-08-02) through `build_runner`'s runner with the default
stages and prints, per stage and end to end, the wall rate (articles/s) and the CPU spent per
article: the main process's CPU (`time.process_time`, all its threads) plus the CPU of the worker
processes (`RUSAGE_CHILDREN`, counted once a pool has been joined). The machine is shared, so the
CPU figures are the ones to compare across runs; the wall figures only mean something at low load,
which is printed (1-minute load average before and after).

    .venv/bin/python bench/pipeline.py [--days 2015-08-01 2015-08-02] [--then 2015-08-03] [--no-understand]
        [--no-facts-cache] [--no-vectors-cache] [--workers 2]

`--then` adds more days in a second run on the same database, as a daily update would: its
understanding stage re-analyses every story the new articles touched, reading the older articles'
NER mentions and dates and their sentence vectors from the store (`--no-facts-cache` and
`--no-vectors-cache` recompute them, for comparison).

Text-half CPU includes its worker processes; understanding CPU includes its workers, which start
(and load their models) while the stories stage runs.
"""

from __future__ import annotations

import argparse
import os
import resource
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from rasid.eval.stories import write_saudinewsnet_jsonl
from rasid.ingest import Ingestor
from rasid.pipeline import BaseStage, Batch, Stage, Store, Touched
from rasid.runner import build_runner
from rasid.settings import load_settings
from rasid.stages import UnderstandStage, default_stages
from rasid.store import open_store


def _children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


class Clock:
    """Marks of the run: when the stages began (the text half is over) and children CPU then."""

    def __init__(self) -> None:
        self.stages_began: float | None = None
        self.children_at_begin = 0.0
        self.main_cpu_at_begin = 0.0


class Timed(BaseStage):
    """Wraps a stage: adds up its wall seconds and main-process CPU seconds."""

    def __init__(self, stage: Stage, clock: Clock) -> None:
        self.stage = stage
        self.clock = clock
        self.seconds = 0.0
        self.cpu = 0.0

    def _mark(self) -> None:
        if self.clock.stages_began is None:
            self.clock.stages_began = time.perf_counter()
            self.clock.children_at_begin = _children_cpu()
            self.clock.main_cpu_at_begin = time.process_time()

    def report_progress(self, advance: Callable[[int], None]) -> bool:
        return self.stage.report_progress(advance)

    def prepare(self, added: int) -> None:
        self.stage.prepare(added)

    def begin(self, store: Store, batch: Batch) -> None:
        self._mark()
        self.stage.begin(store, batch)

    def end(self, failed: bool = False) -> None:
        self.stage.end(failed)

    def update(self, store: Store, batch: Batch) -> Touched:
        self._mark()
        t0, c0 = time.perf_counter(), time.process_time()
        try:
            return self.stage.update(store, batch)
        finally:
            self.seconds += time.perf_counter() - t0
            self.cpu += time.process_time() - c0


def run_days(args: argparse.Namespace, days: list[str], tmp: Path, label: str) -> None:
    """One `rasid run` of `days` into the bench database; prints its stage table."""
    load_before = os.getloadavg()[0]
    jsonl = tmp / f"{label}.jsonl"
    zips = [Path(args.shared) / "data" / "saudinewsnet" / f"{day}.zip" for day in days]
    n = write_saudinewsnet_jsonl(zips, jsonl)
    settings = load_settings(env={}, db=str(tmp / "bench.db"), workers=args.workers)
    clock = Clock()
    stages = default_stages(settings, understand=not args.no_understand)
    for s in stages:
        if isinstance(s, UnderstandStage):
            s.keep_facts = not args.no_facts_cache
            s.keep_vectors = not args.no_vectors_cache
    timed = [Timed(s, clock) for s in stages]
    with open_store(settings.db) as store, Ingestor(settings) as reader:
        runner = build_runner(store, settings, reader, stages=timed, on_error=lambda e: None)
        children0, cpu0 = _children_cpu(), time.process_time()
        t0 = time.perf_counter()
        summary = runner.run([str(jsonl)])
        total = time.perf_counter() - t0
        children_end, cpu_end = _children_cpu(), time.process_time()
        stories = store.count_stories()
        stored = store.count_articles()
    added = len(summary.added)
    if clock.stages_began is None:  # nothing new: no stage began
        clock.stages_began, clock.children_at_begin, clock.main_cpu_at_begin = (
            t0 + total,
            children_end,
            cpu_end,
        )
    text_s = clock.stages_began - t0
    text_cpu = (clock.main_cpu_at_begin - cpu0) + (clock.children_at_begin - children0)
    stage_children = children_end - clock.children_at_begin
    per = 1000.0 / max(added, 1)
    print(
        f"{label}: days {' '.join(days)}: {n} records, {added} articles added ({stored} stored), {stories} stories, "
        f"{len(summary.stories)} touched; workers {args.workers}; load {load_before:.2f} before, "
        f"{os.getloadavg()[0]:.2f} after"
    )
    print(f"{'stage':18s} {'wall s':>7s} {'art/s':>6s} {'CPU ms/article':>15s}")
    print(f"{'ingest+text+store':18s} {text_s:7.1f} {added / text_s:6.0f} {text_cpu * per:15.1f}")
    for s in timed:
        name = type(s.stage).__name__
        cpu = s.cpu + (stage_children if name == "UnderstandStage" else 0.0)
        split = (
            f"  (main process {s.cpu * per:.1f}, workers {stage_children * per:.1f})"
            if name == "UnderstandStage"
            else ""
        )
        print(f"{name:18s} {s.seconds:7.1f} {added / max(s.seconds, 1e-9):6.0f} {cpu * per:15.1f}{split}")
    all_cpu = (cpu_end - cpu0) + (children_end - children0)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"end to end: {total:.1f}s = {added / total:.1f} articles/s; CPU {all_cpu * per:.1f} ms/article "
        f"({all_cpu / total:.2f} cores busy); peak RSS {peak:.0f} MiB (main process)"
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--shared", default=str(Path(__file__).resolve().parents[2] / "shared"))
    ap.add_argument("--days", nargs="+", default=["2015-08-01", "2015-08-02"])
    ap.add_argument(
        "--then",
        nargs="*",
        default=[],
        help="days added by a second run on the same database (an incremental update)",
    )
    ap.add_argument("--no-understand", action="store_true")
    ap.add_argument(
        "--no-facts-cache",
        action="store_true",
        help="recompute every article's NER and dates when its story is analysed again",
    )
    ap.add_argument(
        "--no-vectors-cache",
        action="store_true",
        help="recompute the sentence vectors of the brief, timeline and disputes when a story is analysed again",
    )
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        run_days(args, args.days, Path(tmp), "run 1")
        if args.then:
            run_days(args, args.then, Path(tmp), "run 2")


if __name__ == "__main__":
    main()
