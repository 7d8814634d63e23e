"""How much labelled data the story models need, and the models fitted on both development days.

`curve`: the protocol of `stories_dev.py` (the scorers fitted and tuned on one day by
`rasid_training.stories.fit_story_models`, then the other day streamed and scored) with only a random
fraction of the training day's candidate blocks (one per article) and of its merge pairs used for
fitting. Flat or noisy in the fraction: one day of labels is about as good as two would be.

`both`: the same procedure on 2015-08-01 and 2015-08-02 streamed together in time order (the two
label files link continuing events); prints the in-sample scores of each day (not a held-out
figure) and, with `--out DIR`, writes the four model files there.

    .venv/bin/python bench/stories_fit_days.py curve [--fractions 1,0.5,0.25] [--seeds 3] [--reverse]
    .venv/bin/python bench/stories_fit_days.py both [--out DIR]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from stories_dev import DAYS, SHARED, dedup, time_ordered, vectors  # noqa: E402

from rasid.eval.stories import bcubed, duplicate_pairs, load_saudinewsnet, pairwise, read_gold  # noqa: E402
from rasid_training.stories import fit_story_models, stream  # noqa: E402


def load(days: tuple[str, ...]) -> tuple[dict, dict[str, str], dict[str, str | None]]:
    day_arts = {d: load_saudinewsnet([SHARED / "saudinewsnet" / f"{d}.zip"]) for d in days}
    rows = [r for d in days for r in read_gold(SHARED / "saudinewsnet-events" / f"dev-{d}.jsonl")]
    return day_arts, {r["url"]: r["event"] for r in rows}, {r["url"]: r["dup_of"] for r in rows}


def scores(pred: dict[str, str], gold: dict[str, str], dup, gdup) -> str:
    b, p = bcubed(pred, gold), pairwise(pred, gold)
    dp, dr = duplicate_pairs({u: dup.get(u) for u in gold}, {u: gdup[u] for u in gold})
    return (
        f"B3 P {b[0]:.4f} R {b[1]:.4f} F1 {b[2]:.4f} | pairwise P {p[0]:.4f} R {p[1]:.4f} F1 {p[2]:.4f} "
        f"| dup P {dp:.4f} R {dr:.4f}"
    )


def curve(fractions: list[float], seeds: int, reverse: bool, cache: Path | None) -> None:
    train_day, test_day = (DAYS[1], DAYS[0]) if reverse else DAYS
    stream_days = (DAYS[0],) if reverse else DAYS  # as stories_dev: 08-01 is streamed alone
    day_arts, gold, _ = load(DAYS)
    tr = day_arts[train_day]
    tr_vec, tr_dup = vectors(tr, cache), dedup(tr)
    tr_gold = {a.id: gold[a.id] for a in tr}
    arts, vecs = time_ordered(day_arts, stream_days, cache)
    dup = dedup(arts)
    gold_test = {a.id: gold[a.id] for a in day_arts[test_day]}
    print(f"fit on {train_day}, score {test_day}; fractions of the training day's candidate blocks")
    for frac in fractions:
        rngs = [None] if frac >= 1.0 else [np.random.default_rng(s) for s in range(seeds)]
        res = []
        for i, rng in enumerate(rngs):
            keep = None if rng is None else (lambda rng=rng, frac=frac: bool(rng.random() < frac))
            m = fit_story_models(
                tr, tr_vec, tr_dup, tr_gold, trained_on=f"{train_day} x{frac}", keep=keep, cross=False
            )
            pred = stream(arts, vecs, dup, m.model, m.merge_model)
            b, p = bcubed(pred, gold_test)[2], pairwise(pred, gold_test)[2]
            res.append((b, p))
            print(
                f"  fraction {frac:.2f} seed {'-' if rng is None else i}: {m.rows} rows ({m.positives} positive), "
                f"join {m.model.threshold:.2f} merge {m.merge_model.threshold:.2f} -> {test_day} "
                f"B3 {b:.4f} pairwise {p:.4f}",
                flush=True,
            )
        r = np.asarray(res)
        print(
            f"fraction {frac:.2f}: B3 {r[:, 0].mean():.4f} (min {r[:, 0].min():.4f}) "
            f"pairwise {r[:, 1].mean():.4f} (min {r[:, 1].min():.4f}) over {len(res)} run(s)",
            flush=True,
        )


def both(out: Path | None, cache: Path | None) -> None:
    day_arts, gold, gdup = load(DAYS)
    arts, vecs = time_ordered(day_arts, DAYS, cache)
    dup = dedup(arts)
    m = fit_story_models(
        arts,
        vecs,
        dup,
        gold,
        trained_on=f"SaudiNewsNet events dev-{DAYS[0]} + dev-{DAYS[1]} "
        f"({len(arts)} articles, streamed together)",
    )
    print(
        f"fitted on both days: {m.rows} candidate rows ({m.positives} positive); thresholds join "
        f"{m.model.threshold:.2f}, cross-language {m.cross_model.threshold:.2f}, merge "
        f"{m.merge_model.threshold:.2f}, cross-language merge {m.cross_merge_model.threshold:.2f}"
    )
    for f, c in zip(m.model.features, m.model.coef, strict=True):
        print(f"  coef {f:14s} {c:+.3f}")
    pred = stream(arts, vecs, dup, m.model, m.merge_model)
    for d in DAYS:
        day = {a.id: gold[a.id] for a in day_arts[d]}
        print(f"in-sample, {d} (both days streamed): {scores(pred, day, dup, gdup)}")
    if out is not None:
        m.write(out)
        print(f"wrote the story models to {out}")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("mode", choices=("curve", "both"))
    ap.add_argument("--fractions", default="1,0.5,0.25")
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--reverse", action="store_true", help="curve: fit on 08-02, score 08-01")
    ap.add_argument("--out", type=Path, default=None, help="both: write the four models to this folder")
    ap.add_argument("--cache", type=Path, default=None, help="directory caching article vectors")
    args = ap.parse_args(argv)
    if args.mode == "curve":
        curve([float(x) for x in args.fractions.split(",")], args.seeds, args.reverse, args.cache)
    else:
        both(args.out, args.cache)


if __name__ == "__main__":
    main()
