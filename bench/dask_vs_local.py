"""Bench: the Dask engine against the local engine on the same input, in one run.

Writes the chosen SaudiNewsNet days as one JSONL feed, then runs it through each engine in a fresh
process (`rasid run` with the default stages, each into its own new SQLite store), and prints per
engine the wall time, articles/s and peak memory (the runner's process, and its largest child:
a Dask worker or a local pool worker), then the B³ agreement of the two story assignments (each
article's story; the local engine's as the reference) and the dask/local time ratio.

    .venv/bin/python bench/dask_vs_local.py [--days 2015-08-01] [--workers 2] [--no-understand] [--limit N]

The machine is shared: wall times and the ratio are noisy; the load average is printed.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def one(engine: str, feed: str, db: str, workers: int, understand: bool) -> None:
    """Run one engine (in this process) and print its figures as one JSON line."""
    from rasid.ingest import Ingestor
    from rasid.runner import build_runner
    from rasid.settings import load_settings
    from rasid.stages import default_stages
    from rasid.store import open_store

    settings = load_settings(workers=workers)
    t0 = time.perf_counter()
    with open_store(db) as store:
        stages = default_stages(settings, understand=understand)
        if engine == "dask":
            from rasid.engine.dask import DaskRunner

            summary = DaskRunner(store=store, settings=settings, stages=stages, workers=workers,
                                 facts=understand).run([feed])
        else:
            with Ingestor(settings) as reader:
                summary = build_runner(store, settings, reader, stages=stages, engine="local").run([feed])
    seconds = time.perf_counter() - t0
    mib = 1024.0  # ru_maxrss is in KiB on Linux
    print(json.dumps({
        "engine": engine, "seconds": seconds, "read": summary.read, "added": len(summary.added),
        "peak_main_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / mib,
        "peak_child_mib": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / mib,
    }))


def assignments(db: str) -> dict[str, str]:
    from rasid.store import open_store

    with open_store(db) as store:
        return {a.id: a.story or f"\0{a.id}" for a in store.iter_articles()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--days", nargs="+", default=["2015-08-01"])
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--no-understand", dest="understand", action="store_false")
    ap.add_argument("--limit", type=int, default=0, help="first N records only")
    ap.add_argument("--one", choices=["local", "dask"], help=argparse.SUPPRESS)
    ap.add_argument("--feed", help=argparse.SUPPRESS)
    ap.add_argument("--db", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:
        one(args.one, args.feed, args.db, args.workers, args.understand)
        return
    from rasid.eval.stories import bcubed, write_saudinewsnet_jsonl

    shared = REPO.parent / "shared" / "data" / "saudinewsnet"
    with tempfile.TemporaryDirectory(prefix="rasid-dask-bench-") as tmp:
        feed = Path(tmp) / "feed.jsonl"
        n = write_saudinewsnet_jsonl([shared / f"{d}.zip" for d in args.days], feed, limit=args.limit or None)
        print(f"{n} records of {' '.join(args.days)}, {feed.stat().st_size / 2**20:.1f} MiB; workers {args.workers}; "
              f"{'with' if args.understand else 'without'} understanding; load {os.getloadavg()[0]:.1f}")
        figures = {}
        for engine in ("local", "dask"):
            db = str(Path(tmp) / f"{engine}.db")
            cmd = [sys.executable, __file__, "--one", engine, "--feed", str(feed), "--db", db,
                   "--workers", str(args.workers)] + ([] if args.understand else ["--no-understand"])
            done = subprocess.run(cmd, capture_output=True, text=True, check=False)
            if done.returncode:
                sys.exit(f"{engine} engine failed: {done.stderr[-2000:]}")
            fig = json.loads(done.stdout.strip().splitlines()[-1])
            figures[engine] = (fig, assignments(db))
            print(f"{engine:>5}: {fig['seconds']:.1f} s, {fig['added'] / fig['seconds']:.1f} articles/s "
                  f"({fig['added']} stored of {fig['read']} read); peak RSS {fig['peak_main_mib']:.0f} MiB main, "
                  f"{fig['peak_child_mib']:.0f} MiB largest child; load {os.getloadavg()[0]:.1f}")
        local, dask = figures["local"][1], figures["dask"][1]
        p, r, f = bcubed(dask, local)
        ratio = figures["dask"][0]["seconds"] / figures["local"][0]["seconds"]
        same = sum(local[a] == dask.get(a) for a in local)
        print(f"B³ agreement dask vs local: P {p:.4f} R {r:.4f} F1 {f:.4f}; same story id for {same}/{len(local)}; "
              f"{len(set(local.values()))} stories local, {len(set(dask.values()))} dask")
        print(f"dask/local time ratio: {ratio:.2f}")


if __name__ == "__main__":
    main()
