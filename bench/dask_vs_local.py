"""Bench: the Dask engine against the local engine on the same input, in one run.

Writes the chosen SaudiNewsNet days as one JSONL feed, then runs it through each engine in a fresh
process (`rasid run` with the default stages, each into its own new SQLite store), and prints per
engine the wall time, articles/s and peak memory (the runner's process, and its largest child:
a Dask worker or a local pool worker), then the B³ agreement of the two story assignments (each
article's story; the local engine's as the reference) and the dask/local time ratio.

    .venv/bin/python bench/dask_vs_local.py [--days 2015-08-01 | --days all] [--workers 2] [--no-understand]
        [--limit N] [--out figures.json]

Each engine also reports the wall time of each stage it ran (read = reading, cleaning, storing and,
on Dask, the workers' vectors and facts; then the story stages), from the runner's progress hook.

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


class StageClock:
    """A runner progress sink that keeps the wall seconds of each stage (from one stage's start to
    the next's, the last to `stop`)."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self._current: tuple[str, float] | None = None

    def stage(self, name: str, total: int | None) -> None:
        self.stop()
        self._current = (name, time.perf_counter())

    def advance(self, n: int = 1) -> None:
        pass

    def stop(self) -> None:
        if self._current is not None:
            name, t0 = self._current
            self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - t0
            self._current = None


def one(engine: str, feed: str, db: str, workers: int, understand: bool) -> None:
    """Run one engine (in this process) and print its figures as one JSON line."""
    from rasid.ingest import Ingestor
    from rasid.runner import build_runner
    from rasid.settings import load_settings
    from rasid.stages import default_stages
    from rasid.store import open_store

    settings = load_settings(workers=workers)
    clock = StageClock()
    t0 = time.perf_counter()
    with open_store(db) as store:
        stages = default_stages(settings, understand=understand)
        with Ingestor(settings) as reader:  # the Dask engine's workers build their own
            summary = build_runner(
                store,
                settings,
                reader,
                stages=stages,
                engine=engine,
                workers=workers,
                facts=understand,
                progress=clock,
            ).run([feed])
    clock.stop()
    seconds = time.perf_counter() - t0
    mib = 1024.0  # ru_maxrss is in KiB on Linux
    print(
        json.dumps(
            {
                "engine": engine,
                "seconds": seconds,
                "read": summary.read,
                "added": len(summary.added),
                "peak_main_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / mib,
                "peak_child_mib": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / mib,
                "stage_seconds": clock.seconds,
                "cpu_main_s": resource.getrusage(resource.RUSAGE_SELF).ru_utime
                + resource.getrusage(resource.RUSAGE_SELF).ru_stime,
                "cpu_children_s": resource.getrusage(resource.RUSAGE_CHILDREN).ru_utime
                + resource.getrusage(resource.RUSAGE_CHILDREN).ru_stime,
            }
        )
    )


def assignments(db: str) -> dict[str, str]:
    """Each stored article's story (an article in none: a story of its own), read without loading the
    articles' text."""
    import sqlite3

    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        return {a_id: story or f"\0{a_id}" for a_id, story in conn.execute("SELECT id, story FROM articles")}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--days", nargs="+", default=["2015-08-01"], help="days, or `all` for every zip")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--no-understand", dest="understand", action="store_false")
    ap.add_argument("--limit", type=int, default=0, help="first N records only")
    ap.add_argument("--out", help="also write the figures (per engine, and the agreement) to this JSON file")
    ap.add_argument("--one", choices=["local", "dask"], help=argparse.SUPPRESS)
    ap.add_argument("--feed", help=argparse.SUPPRESS)
    ap.add_argument("--db", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:
        one(args.one, args.feed, args.db, args.workers, args.understand)
        return
    from rasid.eval.stories import bcubed, write_saudinewsnet_jsonl

    shared = REPO.parent / "shared" / "data" / "saudinewsnet"
    if args.days == ["all"]:
        args.days = sorted(p.stem for p in shared.glob("*.zip"))
    with tempfile.TemporaryDirectory(prefix="rasid-dask-bench-") as tmp:
        feed = Path(tmp) / "feed.jsonl"
        n = write_saudinewsnet_jsonl([shared / f"{d}.zip" for d in args.days], feed, limit=args.limit or None)
        print(
            f"{n} records of {' '.join(args.days) if len(args.days) < 4 else f'{len(args.days)} days'}, {feed.stat().st_size / 2**20:.1f} MiB; workers {args.workers}; "
            f"{'with' if args.understand else 'without'} understanding; load {os.getloadavg()[0]:.1f}"
        )
        figures = {}
        for engine in ("local", "dask"):
            db = str(Path(tmp) / f"{engine}.db")
            cmd = [
                sys.executable,
                __file__,
                "--one",
                engine,
                "--feed",
                str(feed),
                "--db",
                db,
                "--workers",
                str(args.workers),
            ] + ([] if args.understand else ["--no-understand"])
            done = subprocess.run(cmd, capture_output=True, text=True, check=False)
            if done.returncode:
                sys.exit(f"{engine} engine failed: {done.stderr[-2000:]}")
            fig = json.loads(done.stdout.strip().splitlines()[-1])
            print(
                f"{engine:>5}: {fig['seconds']:.1f} s, {fig['added'] / fig['seconds']:.1f} articles/s "
                f"({fig['added']} stored of {fig['read']} read); peak RSS {fig['peak_main_mib']:.0f} MiB main, "
                f"{fig['peak_child_mib']:.0f} MiB largest child; load {os.getloadavg()[0]:.1f}",
                flush=True,
            )
            print(
                "       stages: "
                + ", ".join(f"{k} {v:.1f} s" for k, v in fig["stage_seconds"].items())
                + f"; CPU {fig['cpu_main_s']:.0f} s main, {fig['cpu_children_s']:.0f} s children",
                flush=True,
            )
            figures[engine] = (fig, assignments(db))
        local, dask = figures["local"][1], figures["dask"][1]
        p, r, f = bcubed(dask, local)
        ratio = figures["dask"][0]["seconds"] / figures["local"][0]["seconds"]
        same = sum(local[a] == dask.get(a) for a in local)
        print(
            f"B³ agreement dask vs local: P {p:.4f} R {r:.4f} F1 {f:.4f}; same story id for {same}/{len(local)}; "
            f"{len(set(local.values()))} stories local, {len(set(dask.values()))} dask"
        )
        print(f"dask/local time ratio: {ratio:.2f}")
        if args.out:
            Path(args.out).write_text(
                json.dumps(
                    {
                        "days": args.days,
                        "records": n,
                        "workers": args.workers,
                        "understand": args.understand,
                        "local": figures["local"][0],
                        "dask": figures["dask"][0],
                        "bcubed": [p, r, f],
                        "same": same,
                        "articles": len(local),
                        "stories_local": len(set(local.values())),
                        "stories_dask": len(set(dask.values())),
                        "ratio": ratio,
                    },
                    indent=1,
                )
            )


if __name__ == "__main__":
    main()
