"""Stream all SaudiNewsNet articles in time order through dedup + embedding + story clustering.

Prints end-to-end articles/s (embedding included), per-article assignment latency p50/p95, peak
memory, the per-article cost around 3k and around 30k articles already stored, how many stories of
10+ articles span 5+ and 8+ publication days (running topics), and the largest stories.

    .venv/bin/python bench/stories_stream.py [--limit N] [--batch 32] [--dedup-module old/dedup.py]
"""

from __future__ import annotations

import argparse
import importlib.util
import os
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
    ap.add_argument("--dedup-module", type=Path, help="another copy of dedup.py (e.g. before a change)")
    ap.add_argument(
        "--largest", type=int, default=20, help="print the N largest stories at the end, with titles"
    )
    args = ap.parse_args(argv)
    t = time.perf_counter()
    arts = load_saudinewsnet(sorted(DATA.glob("*.zip")))
    if args.limit:
        arts = arts[: args.limit]
    print(f"loaded {len(arts)} articles in {time.perf_counter() - t:.1f}s", file=sys.stderr)
    deduper = Deduper
    if args.dedup_module:  # loaded as a sibling of rasid.dedup so its relative imports work
        spec = importlib.util.spec_from_file_location("rasid._dedup_alt", args.dedup_module)
        mod = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = mod
        spec.loader.exec_module(mod)
        deduper = mod.Deduper
        print(f"Deduper from {args.dedup_module}")
    emb, dd, cl = USEEmbedder(threads=1), deduper(), StoryClusterer()
    n = len(arts)
    cost = np.zeros(n)  # per-article wall time: its share of the embedding batch + dedup + assign
    assign_lat = np.zeros(n)
    cpu_dd, cpu_cl = np.zeros(n), np.zeros(n)  # process CPU of add / assign (a busy machine inflates it less)
    t0 = time.perf_counter()
    for start in range(0, n, args.batch):
        batch = arts[start : start + args.batch]
        te = time.perf_counter()
        vecs = article_vectors(batch, emb)
        share = (time.perf_counter() - te) / len(batch)
        for i, (a, v) in enumerate(zip(batch, vecs, strict=True)):
            c1, t1 = time.process_time(), time.perf_counter()
            dup = dd.add(a)
            c2, t2 = time.process_time(), time.perf_counter()
            cl.assign(a, v, dup)
            c3, t3 = time.process_time(), time.perf_counter()
            assign_lat[start + i] = t3 - t2
            cost[start + i] = share + (t3 - t1)
            cpu_dd[start + i], cpu_cl[start + i] = c2 - c1, c3 - c2
        if (start // args.batch) % 100 == 0:
            el = time.perf_counter() - t0
            print(f"  {start + len(batch)} articles, {(start + len(batch)) / el:.1f}/s", file=sys.stderr)
    total = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"date {time.strftime('%Y-%m-%d %H:%M')}; data SaudiNewsNet, all days, time order; "
        f"load average at the end {os.getloadavg()[0]:.2f}"
    )
    print(f"articles {n}, stories {len(cl)}, end to end {n / total:.1f} articles/s ({total:.0f}s)")
    print(
        f"assignment latency p50 {1000 * np.percentile(assign_lat, 50):.2f} ms, "
        f"p95 {1000 * np.percentile(assign_lat, 95):.2f} ms (p95 over the last 1000: "
        f"{1000 * np.percentile(assign_lat[-1000:], 95):.2f} ms)"
    )
    if n >= 30000:
        a3, a30 = cost[2000:3000].mean(), cost[29000:30000].mean()
        l3, l30 = assign_lat[2000:3000].mean(), assign_lat[29000:30000].mean()
        print(
            f"per-article cost at 3k {1000 * a3:.2f} ms, at 30k {1000 * a30:.2f} ms (ratio {a30 / a3:.2f}); "
            f"assignment only: {1000 * l3:.2f} -> {1000 * l30:.2f} ms"
        )
        d3, d30 = cpu_dd[2000:3000].mean(), cpu_dd[29000:30000].mean()
        k3, k30 = cpu_cl[2000:3000].mean(), cpu_cl[29000:30000].mean()
        print(
            f"process CPU per article, 3k -> 30k: Deduper.add {1000 * d3:.2f} -> {1000 * d30:.2f} ms "
            f"({d30 / d3:.2f}x), StoryClusterer.assign {1000 * k3:.2f} -> {1000 * k30:.2f} ms ({k30 / k3:.2f}x)"
        )
    print(f"peak memory (ru_maxrss) {peak:.0f} MiB")
    by_id = {a.id: a for a in arts}
    sizes = sorted(((len(cl.members(sid)), sid) for sid in cl.story_ids() if cl.members(sid)), reverse=True)
    # running topics: how many stories of 10 or more articles span many publication days
    spans = [
        (size, len({(by_id[m].published or "")[:10] for m in cl.members(sid)}))
        for size, sid in sizes
        if size >= 10
    ]
    print(
        f"stories of 10+ articles {len(spans)}: spanning 5+ days {sum(d >= 5 for _, d in spans)} "
        f"({sum(n for n, d in spans if d >= 5)} articles), 8+ days {sum(d >= 8 for _, d in spans)}, "
        f"longest {max((d for _, d in spans), default=0)} days; the {args.largest} largest span "
        f"{np.mean([d for _, d in spans[: args.largest]] or [0]):.1f} days on average"
    )
    for size, sid in sizes[: args.largest]:
        mem = [by_id[m] for m in cl.members(sid)]
        days = sorted({(a.published or "")[:10] for a in mem})
        print(
            f"  {sid} {size:4d} articles, {len({a.source for a in mem}):2d} outlets, {len(days):2d} days "
            f"({days[0]}..{days[-1]})  {cl.story_title(sid)[:90]}"
        )


if __name__ == "__main__":
    main()
