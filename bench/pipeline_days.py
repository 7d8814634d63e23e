"""Bench: the whole pipeline as a user runs it day by day: one `rasid run` process per day into a
fresh store, each timed from its start to its exit (interpreter start, model loads and the stored
state's load and save included), the articles per second over all the runs.

    .venv/bin/python bench/pipeline_days.py [--days 2015-08-01 2015-08-02 2015-08-03] [--repeat 3]
        [--src DIR ...] [--workers N]

`--src` compares source trees (e.g. a worktree's `src` against this one's): each repetition runs
every tree in turn, alternating which goes first, so a load change on the shared machine falls on
all of them; the summary gives each tree's median and best total. The machine's 1-minute load is
printed before each sequence: wall times mean something only at low load.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from rasid.eval.stories import write_saudinewsnet_jsonl

HERE = Path(__file__).resolve().parents[1]


def _children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def one_sequence(src: Path, days: list[Path], db: Path, workers: int | None) -> tuple[list[float], float]:
    """Wall seconds of each day's `rasid run` into the fresh store `db`, and the CPU seconds of all
    of them (their worker processes included)."""
    env = dict(os.environ, PYTHONPATH=str(src))
    out = []
    cpu0 = _children_cpu()
    for day in days:
        cmd = [sys.executable, "-m", "rasid", "run", "-q", "--no-progress", "--db", str(db), str(day)]
        if workers:
            cmd += ["--workers", str(workers)]
        t0 = time.perf_counter()
        done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
        out.append(time.perf_counter() - t0)
        if done.returncode != 0:
            raise SystemExit(f"{src}: rasid run {day.name} failed ({done.returncode}): {done.stderr[-2000:]}")
    return out, _children_cpu() - cpu0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--shared", default=str(HERE.parent / "shared"))
    ap.add_argument("--days", nargs="+", default=["2015-08-01", "2015-08-02", "2015-08-03"])
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--src", nargs="+", default=[str(HERE / "src")], help="source trees to compare")
    ap.add_argument("--workers", type=int, default=None)
    args = ap.parse_args()
    srcs = [Path(s).resolve() for s in args.src]
    totals: dict[Path, list[float]] = {s: [] for s in srcs}
    cpus: dict[Path, list[float]] = {s: [] for s in srcs}
    with tempfile.TemporaryDirectory() as tmp:
        files, n = [], 0
        for day in args.days:
            f = Path(tmp) / f"{day}.jsonl"
            n += write_saudinewsnet_jsonl([Path(args.shared) / "data" / "saudinewsnet" / f"{day}.zip"], f)
            files.append(f)
        for r in range(args.repeat):
            order = srcs if r % 2 == 0 else srcs[::-1]
            for src in order:
                db = Path(tmp) / f"run{r}-{srcs.index(src)}.db"
                load = os.getloadavg()[0]
                walls, cpu = one_sequence(src, files, db, args.workers)
                totals[src].append(sum(walls))
                cpus[src].append(cpu)
                runs = " + ".join(f"{w:.1f}" for w in walls)
                print(
                    f"{src}: {runs} = {sum(walls):.1f} s, {n / sum(walls):.1f} articles/s, "
                    f"CPU {cpu:.1f} s (load {load:.2f})",
                    flush=True,
                )
                for p in Path(tmp).glob(f"{db.name}*"):
                    p.unlink()
    print(f"{n} articles, days {' '.join(args.days)}, one run per day")
    for src, ts in totals.items():
        med = statistics.median(ts)
        print(
            f"{src}: median {med:.1f} s = {n / med:.1f} articles/s; best {min(ts):.1f} s = {n / min(ts):.1f}/s; "
            f"CPU median {statistics.median(cpus[src]):.1f} s"
        )


if __name__ == "__main__":
    main()
