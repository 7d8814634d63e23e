"""Bench: the whole pipeline (ingest -> text -> store -> stories -> understanding) on SaudiNewsNet days.

Streams the chosen days (default 2015-08-01 and 2015-08-02) through `LocalRunner` with the default
stages, timing each stage, and prints articles/s per stage and end to end, plus peak memory.

    .venv/bin/python bench/pipeline.py [--days 2015-08-01 2015-08-02] [--no-understand]
"""

from __future__ import annotations

import argparse
import os
import resource
import tempfile
import time
from pathlib import Path

from rasid.engine.local import LocalRunner
from rasid.eval.stories import write_saudinewsnet_jsonl
from rasid.ingest import Ingestor
from rasid.process import default_text_pipeline
from rasid.settings import load_settings
from rasid.stages import default_stages
from rasid.store import open_store


class Timed:
    """Wraps a stage and adds up the seconds spent in it."""

    def __init__(self, stage: object) -> None:
        self.stage = stage
        self.seconds = 0.0

    def update(self, store, new_ids):  # noqa: ANN001, ANN201 - a thin pass-through
        t0 = time.perf_counter()
        try:
            return self.stage.update(store, new_ids)
        finally:
            self.seconds += time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--shared", default=str(Path(__file__).resolve().parents[2] / "shared"))
    ap.add_argument("--days", nargs="+", default=["2015-08-01", "2015-08-02"])
    ap.add_argument("--no-understand", action="store_true")
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        jsonl = Path(tmp) / "days.jsonl"
        zips = [Path(args.shared) / "data" / "saudinewsnet" / f"{day}.zip" for day in args.days]
        n = write_saudinewsnet_jsonl(zips, jsonl)
        settings = load_settings(env={}, db=str(Path(tmp) / "bench.db"))
        stages = [Timed(s) for s in default_stages(settings, understand=not args.no_understand)]
        with open_store(settings.db) as store, Ingestor(settings) as reader:
            runner = LocalRunner(store=store, reader=reader, text=default_text_pipeline(), stages=stages,
                                 workers=args.workers, on_error=lambda e: None)
            t0 = time.perf_counter()
            summary = runner.run([str(jsonl)])
            total = time.perf_counter() - t0
            stories = store.count_stories()
        added = len(summary.added)
        text_s = total - sum(s.seconds for s in stages)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"days {' '.join(args.days)}: {n} records, {added} articles stored, {stories} stories")
        print(f"ingest+text+store: {text_s:.1f}s ({added / text_s:.0f} articles/s)")
        for s in stages:
            name = type(s.stage).__name__
            print(f"{name}: {s.seconds:.1f}s ({added / s.seconds:.0f} articles/s)")
        print(f"end to end: {total:.1f}s = {added / total:.1f} articles/s; peak RSS {peak:.0f} MiB (main process)")


if __name__ == "__main__":
    main()
