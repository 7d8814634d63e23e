"""Stream all SaudiNewsNet articles in time order through dedup + embedding + story clustering.

Prints end-to-end articles/s (embedding included), per-article assignment latency p50/p95, peak
memory, and the per-article cost around 3k and around 30k articles already stored.

    .venv/bin/python bench/stories_stream.py [--limit N] [--batch 32]
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

import numpy as np

from rasid.cluster import StoryClusterer
from rasid.dedup import Deduper
from rasid.embed import USEEmbedder, article_vectors
from rasid.eval.stories import load_saudinewsnet

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "saudinewsnet"


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--limit", type=int, default=0)
    ap.add_argument("--batch", type=int, default=32, help="articles embedded together as they arrive")
    args = ap.parse_args(argv)
    t = time.perf_counter()
    arts = load_saudinewsnet(sorted(DATA.glob("*.zip")))
    if args.limit:
        arts = arts[: args.limit]
    print(f"loaded {len(arts)} articles in {time.perf_counter() - t:.1f}s", file=sys.stderr)
    emb, dd, cl = USEEmbedder(threads=1), Deduper(), StoryClusterer()
    n = len(arts)
    cost = np.zeros(n)  # per-article wall time: its share of the embedding batch + dedup + assign
    assign_lat = np.zeros(n)
    t0 = time.perf_counter()
    for start in range(0, n, args.batch):
        batch = arts[start : start + args.batch]
        te = time.perf_counter()
        vecs = article_vectors(batch, emb)
        share = (time.perf_counter() - te) / len(batch)
        for i, (a, v) in enumerate(zip(batch, vecs, strict=True)):
            t1 = time.perf_counter()
            dup = dd.add(a)
            t2 = time.perf_counter()
            cl.assign(a, v, dup)
            t3 = time.perf_counter()
            assign_lat[start + i] = t3 - t2
            cost[start + i] = share + (t3 - t1)
        if (start // args.batch) % 100 == 0:
            el = time.perf_counter() - t0
            print(f"  {start + len(batch)} articles, {(start + len(batch)) / el:.1f}/s", file=sys.stderr)
    total = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print("date 2026-11-21; data SaudiNewsNet, all days, time order")
    print(f"articles {n}, stories {len(cl)}, end to end {n / total:.1f} articles/s ({total:.0f}s)")
    print(f"assignment latency p50 {1000 * np.percentile(assign_lat, 50):.2f} ms, "
          f"p95 {1000 * np.percentile(assign_lat, 95):.2f} ms (p95 over the last 1000: "
          f"{1000 * np.percentile(assign_lat[-1000:], 95):.2f} ms)")
    if n >= 30000:
        a3, a30 = cost[2000:3000].mean(), cost[29000:30000].mean()
        l3, l30 = assign_lat[2000:3000].mean(), assign_lat[29000:30000].mean()
        print(f"per-article cost at 3k {1000 * a3:.2f} ms, at 30k {1000 * a30:.2f} ms (ratio {a30 / a3:.2f}); "
              f"assignment only: {1000 * l3:.2f} -> {1000 * l30:.2f} ms")
    print(f"peak memory (ru_maxrss) {peak:.0f} MiB")


if __name__ == "__main__":
    main()
