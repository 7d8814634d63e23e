"""A small newsroom's feed: the dev stream restricted to a few outlets and clustered on its own,
against the same articles' stories in the whole stream and against the batch baseline on them.

Each subset of outlets (drawn at random, seeded) is streamed alone (its own deduper, IDF and burst
counts) over 07-31..08-03; the held-out day's articles of those outlets are scored with their pairs
with the day before, as `bench/stories_lodo.py` scores a fold. `--primed` also streams each subset
with the other outlets' articles counted in the term statistics (`StoryClusterer.prime`, in time
order) but not clustered: whether a loss comes from the statistics of a small stream or from the
reports it lacks.

    .venv/bin/python bench/stories_small_feeds.py [--models DIR] [--cache /tmp/rasid-vec] [--seed 0]
        [--sizes 2 3 3 4 6] [--cut 0.8] [--primed]

`--models`: a folder of story scorers (default: the shipped ones, fitted on these days; the LODO's
kept fold scorers for the held-out day, e.g. DIR/2015-08-03, are the honest choice). `--cut`: the
baseline's distance cut (0.8: what the LODO tuned on the training days in every fold).
"""

from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from stories_dev import SHARED, dedup, time_ordered  # noqa: E402
from stories_lodo import baseline_linkage, events  # noqa: E402

from rasid.cluster import StoryClusterer, StoryModel  # noqa: E402
from rasid.eval.stories import bcubed, load_saudinewsnet, pairwise  # noqa: E402
from rasid.model import Article  # noqa: E402

DAYS = ("2015-07-31", "2015-08-01", "2015-08-02", "2015-08-03")


def baseline(arts: list[Article], cut: float) -> dict[str, str]:
    """The LODO's batch baseline (`stories_lodo.baseline_linkage`) cut at `cut`."""
    from scipy.cluster.hierarchy import fcluster

    lab = fcluster(baseline_linkage(arts), t=cut, criterion="distance")
    return {a.id: str(x) for a, x in zip(arts, lab, strict=True)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--models", type=Path, default=None)
    ap.add_argument("--cache", type=Path, default=None, help="article vector cache (as stories_dev's)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--sizes", type=int, nargs="+", default=[2, 3, 3, 4, 6])
    ap.add_argument("--cut", type=float, default=0.8)
    ap.add_argument("--primed", action="store_true")
    args = ap.parse_args()
    models = StoryModel.load_folder(args.models) if args.models else {}
    day_arts = {d: load_saudinewsnet([SHARED / "saudinewsnet" / f"{d}.zip"]) for d in DAYS}
    arts, vecs = time_ordered(day_arts, DAYS, args.cache)
    gold = events(SHARED, list(DAYS[-2:]))
    test = {a.id for a in day_arts[DAYS[-1]]}

    def stream(keep: set[str], primed: bool = False) -> dict[str, str | None]:
        mine = [a for a in arts if a.source in keep]
        dup = dedup(mine)
        cl = StoryClusterer(**models)
        for a, v in zip(arts, vecs, strict=True):
            if a.source in keep:
                cl.assign(a, v, dup[a.id])
            elif primed:
                cl.prime([a])
        return {a.id: cl.story_of(a.id) for a in mine}

    def score(pred: dict, keep: set[str]) -> str:
        ids = {a.id for a in arts if a.source in keep and a.id in gold}
        p = {k: v for k, v in pred.items() if k in ids}
        g = {k: gold[k] for k in ids}
        b, w = bcubed(p, g, test & ids), pairwise(p, g, test & ids)
        return f"B3 {b[2]:.4f} pw {w[2]:.4f} (P {w[0]:.3f} R {w[1]:.3f})"

    outlets = sorted({a.source for a in arts})
    rng = random.Random(args.seed)
    whole = stream(set(outlets))
    print(
        f"scorers: {args.models or 'shipped'}; held-out day {DAYS[-1]}, streamed after {', '.join(DAYS[:-1])}"
    )
    for k in args.sizes:
        keep = set(rng.sample(outlets, k))
        n = sum(a.source in keep for a in day_arts[DAYS[-1]])
        lines = [
            f"in the whole stream {score(whole, keep)}",
            f"alone {score(stream(keep), keep)}",
        ]
        if args.primed:
            lines.append(f"alone, the other outlets counted {score(stream(keep, True), keep)}")
        two = [a for d in DAYS[-2:] for a in day_arts[d] if a.source in keep]
        lines.append(f"baseline (cut {args.cut}) {score(baseline(two, args.cut), keep)}")
        print(f"{', '.join(sorted(keep))}: {n} articles on {DAYS[-1]}", flush=True)
        for line in lines:
            print(f"    {line}", flush=True)


if __name__ == "__main__":
    main()
