"""The dev days scored inside the whole SaudiNewsNet stream: stories with a history behind them.

`bench/stories_dev.py` streams 2015-08-01 and 2015-08-02 alone. A real store holds weeks of
stories, and a story that keeps growing (the daily market report, a club's summer) can take in
reports of several happenings of a later day. Here every article of the 18 days is streamed in
time order (dedup + clusterer, shipped models), and the two labelled days are scored where they
stand: at the end of 2015-08-02 (`--until 2015-08-03`, default) or at the end of the stream
(`--until end`, after later merges). Scores per day (that day's pairs only) and over both days
(pairs across the two days count too: the labels link 08-01 events that continue into 08-02).

    .venv/bin/python bench/stories_history.py [--vectors /tmp/an/vec31k.npy] [--until end]
        [--late-after-days inf]     # the clusterer without the late rule
        [--late-merges]             # late stories may still merge (as before session 5)

Vectors: the shipped embedder over every article (a few minutes), cached in `--cache`; or a
precomputed array in load order (`--vectors`, checked on 26 re-embedded rows).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from stories_dev import DAYS, SHARED  # noqa: E402
from stories_speed import load_5k  # noqa: E402

from rasid.cluster import StoryClusterer  # noqa: E402
from rasid.dedup import Deduper  # noqa: E402
from rasid.eval.stories import bcubed, pairwise, read_gold  # noqa: E402


def load(vec_path: Path | None, cache: Path | None):
    """Every article in time order with its vector (see `stories_speed.load_5k`)."""
    arts, vecs = load_5k(cache, vec_path, n=None)
    order = sorted(range(len(arts)), key=lambda i: (arts[i].published or "", arts[i].id))
    return [arts[i] for i in order], vecs[order]


def score(pred: dict[str, str], gold: dict[str, str]) -> str:
    b, p = bcubed(pred, gold), pairwise(pred, gold)
    return f"B3 P {b[0]:.3f} R {b[1]:.3f} F1 {b[2]:.4f} | pairwise P {p[0]:.3f} R {p[1]:.3f} F1 {p[2]:.4f}"


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument(
        "--vectors", type=Path, default=None, help="article vectors of the 31k stream, load order"
    )
    ap.add_argument("--cache", type=Path, default=Path("/tmp/rasid-vec"))
    ap.add_argument("--until", default="2015-08-03", help="score at the first article of this day, or 'end'")
    ap.add_argument("--late-after-days", type=float, default=None)
    ap.add_argument("--late-threshold", type=float, default=None)
    ap.add_argument("--late-min-size", type=int, default=None)
    ap.add_argument("--late-merges", action="store_true", help="let late stories merge (as before session 5)")
    args = ap.parse_args(argv)
    arts, vecs = load(args.vectors, args.cache)
    if args.until != "end":
        n = sum(1 for a in arts if (a.published or "") < args.until)
        arts, vecs = arts[:n], vecs[:n]
    kw = {
        k: v
        for k, v in (
            ("late_after_days", args.late_after_days),
            ("late_threshold", args.late_threshold),
            ("late_min_size", args.late_min_size),
            ("late_merges", args.late_merges or None),
        )
        if v is not None
    }
    t = time.perf_counter()
    dd = Deduper()
    for a in arts:
        dd.add(a)
    dup = {a.id: dd.duplicate_of(a.id) for a in arts}
    cl = StoryClusterer(**kw)
    for a, v in zip(arts, vecs, strict=True):
        cl.assign(a, v, dup.get(a.id))
    pred = {a.id: cl.story_of(a.id) or a.id for a in arts}
    print(
        f"date {time.strftime('%Y-%m-%d %H:%M')}; {len(arts)} articles streamed (until {args.until}) in {time.perf_counter() - t:.0f}s; "
        f"clusterer {kw or 'defaults'}: late_after_days {cl.late_after_days}, late_threshold {cl.late_threshold}, "
        f"late_min_size {cl.late_min_size}, late_merges {cl.late_merges}"
    )
    golds = {
        d: {r["url"]: r["event"] for r in read_gold(SHARED / "saudinewsnet-events" / f"dev-{d}.jsonl")}
        for d in DAYS
    }
    for d, g in golds.items():
        print(f"{d}: {score(pred, g)}")
    print(f"both days: {score(pred, {**golds[DAYS[0]], **golds[DAYS[1]]})}")
    sizes = Counter(pred.values())
    print(f"stories {len(sizes)}; largest {[n for _, n in sizes.most_common(8)]}")


if __name__ == "__main__":
    main()
