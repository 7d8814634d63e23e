"""Bench: the text half of the pipeline (ingest -> clean -> language -> sentences -> store) on SaudiNewsNet.

Converts the 18 SaudiNewsNet zips to one JSONL file (outside the repo), then runs `rasid run` on it
in this process with no story stages, and prints articles/s and peak memory.

    .venv/bin/python bench/spine.py [--limit N] [--shared ../shared]
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

from rasid.eval.stories import write_saudinewsnet_jsonl
from rasid.ingest import Ingestor
from rasid.runner import build_runner
from rasid.settings import load_settings
from rasid.store import open_store


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--shared", default=str(Path(__file__).resolve().parents[2] / "shared"))
    ap.add_argument("--limit", type=int, default=None)
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        jsonl = Path(tmp) / "saudinewsnet.jsonl"
        t0 = time.perf_counter()
        zips = sorted((Path(args.shared) / "data" / "saudinewsnet").glob("*.zip"))
        n = write_saudinewsnet_jsonl(zips, jsonl, args.limit)
        print(
            f"converted {n} articles to JSONL in {time.perf_counter() - t0:.1f}s ({jsonl.stat().st_size / 1e6:.0f} MB)"
        )
        settings = load_settings(db=str(Path(tmp) / "bench.db"))
        errors: list[str] = []
        with open_store(settings.db) as store:
            runner = build_runner(
                store,
                settings,
                Ingestor(settings),
                stages=(),
                workers=args.workers,
                on_error=lambda e: errors.append(str(e)),
            )
            t0 = time.perf_counter()
            summary = runner.run([str(jsonl)])
            dt = time.perf_counter() - t0
            stored = store.count_articles()
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        child_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        print(f"read {summary.read}, stored {stored}, errors {len(errors)}")
        for e in errors[:5]:
            print("  error:", e)
        print(
            f"text half: {summary.read / dt:.0f} articles/s ({dt:.1f}s), peak RSS {peak_mb:.0f} MiB main process"
            f" + at most {child_mb:.0f} MiB per worker x {args.workers} workers"
        )
        sys.stdout.flush()


if __name__ == "__main__":
    main()
