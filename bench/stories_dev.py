"""Story clustering and near-duplicates on the SaudiNewsNet dev labels (2015-08-01, 2015-08-02).

Protocol: the story model is fitted on 2015-08-01 only (teacher-forced candidate features against
the gold events), its threshold tuned by streaming 2015-08-01; then 2015-08-01 and 2015-08-02 are
streamed in time order through dedup + clustering and 2015-08-02 is scored (B-cubed, pairwise,
duplicate pairs). `--reverse` also fits on 08-02 and scores 08-01 (streamed alone). The script also
runs the batch baseline: TF-IDF character 2-5-gram cosine, average-linkage, cut tuned on the scored day.

    .venv/bin/python bench/stories_dev.py [--out DIR] [--reverse] [--cache /tmp/rasid-vec]
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import time
from pathlib import Path

import numpy as np

from rasid.cluster import StoryClusterer, StoryModel
from rasid.dedup import Deduper
from rasid.embed import USEEmbedder, article_vectors, embedding_texts
from rasid.eval.stories import bcubed, duplicate_pairs, load_saudinewsnet, pairwise, read_gold
from rasid_training.stories import fit_story_models

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"
DAYS = ("2015-08-01", "2015-08-02")
PACKAGE_MODELS = Path(__file__).resolve().parents[1] / "src" / "rasid" / "data"


def vectors(arts, cache: Path | None) -> np.ndarray:
    key = hashlib.sha256("\n".join("\x1f".join(embedding_texts(a)) for a in arts).encode()).hexdigest()[:16]
    if cache is not None:
        f = cache / f"vec-{key}.npy"
        if f.exists():
            return np.load(f)
    t = time.perf_counter()
    v = article_vectors(arts, USEEmbedder(threads=1))
    print(f"embedded {len(arts)} articles in {time.perf_counter() - t:.1f}s", file=sys.stderr)
    if cache is not None:
        cache.mkdir(parents=True, exist_ok=True)
        np.save(cache / f"vec-{key}.npy", v)
    return v


def time_ordered(day_arts: dict, days: tuple[str, ...], cache: Path | None) -> tuple[list, np.ndarray]:
    """The articles of `days` in stream order (publication time, then id) with their vectors."""
    arts = [a for d in days for a in day_arts[d]]
    vecs = np.vstack([vectors(day_arts[d], cache) for d in days])
    order = sorted(range(len(arts)), key=lambda i: (arts[i].published or "", arts[i].id))
    return [arts[i] for i in order], vecs[order]


def dedup(arts) -> dict[str, str | None]:
    d = Deduper()
    for a in arts:
        d.add(a)
    return {a.id: d.duplicate_of(a.id) for a in arts}


def stream(
    arts,
    vecs,
    dup,
    model: StoryModel,
    merge: StoryModel | None = None,
) -> tuple[dict[str, str], float, list[float]]:
    cl = StoryClusterer(model=model, merge_model=merge, merges=merge is not None)
    lat = []
    t0 = time.perf_counter()
    for a, v in zip(arts, vecs, strict=True):
        t = time.perf_counter()
        cl.assign(a, v, dup.get(a.id))
        lat.append(time.perf_counter() - t)
    # after the stream: merges may have moved earlier articles into an older story
    pred = {a.id: cl.story_of(a.id) for a in arts}
    return pred, time.perf_counter() - t0, lat


def baseline(arts, gold) -> None:
    """TF-IDF char 2-5-grams on title+body, cosine average-linkage, cut tuned on this day."""
    from scipy.cluster.hierarchy import fcluster, linkage
    from scipy.spatial.distance import squareform
    from sklearn.feature_extraction.text import TfidfVectorizer

    t = time.perf_counter()
    X = TfidfVectorizer(
        analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, max_features=200000
    ).fit_transform([a.title + "\n" + a.text for a in arts])
    S = (X @ X.T).toarray()
    D = np.clip(1.0 - S, 0.0, 2.0)
    np.fill_diagonal(D, 0.0)
    Z = linkage(squareform(D, checks=False), method="average")
    el = time.perf_counter() - t
    best = None
    for cut in np.arange(0.3, 0.96, 0.025):
        labels = fcluster(Z, t=cut, criterion="distance")
        pred = {a.id: str(lab) for a, lab in zip(arts, labels, strict=True)}
        b, p = bcubed(pred, gold), pairwise(pred, gold)
        if best is None or b[2] > best[1][2]:
            best = (cut, b, p)
    assert best is not None
    cut, b, p = best
    print(
        f"baseline tfidf-char avg-link (cut {cut:.3f} tuned on this day): B3 P {b[0]:.4f} R {b[1]:.4f} "
        f"F1 {b[2]:.4f} | pairwise P {p[0]:.4f} R {p[1]:.4f} F1 {p[2]:.4f} | {el:.1f}s for {len(arts)} articles"
    )


def report(name: str, pred, gold, dup_pred, dup_gold) -> None:
    b, p = bcubed(pred, gold), pairwise(pred, gold)
    dp, dr = duplicate_pairs(dup_pred, dup_gold)
    singles = bcubed({u: u for u in gold}, gold)[2]
    print(
        f"{name}: B3 P {b[0]:.4f} R {b[1]:.4f} F1 {b[2]:.4f} | pairwise P {p[0]:.4f} R {p[1]:.4f} F1 {p[2]:.4f} "
        f"| dup pairs P {dp:.4f} R {dr:.4f} | all-singletons B3 F1 {singles:.4f} | "
        f"stories {len(set(pred[u] for u in gold))} / events {len(set(gold.values()))}"
    )


def run(train_day: str, test_day: str, stream_days: tuple[str, ...], cache, out: Path | None, C: float):
    day_arts = {
        d: load_saudinewsnet([SHARED / "saudinewsnet" / f"{d}.zip"]) for d in set(stream_days) | {train_day}
    }
    golds = {
        d: {r["url"]: r["event"] for r in read_gold(SHARED / "saudinewsnet-events" / f"dev-{d}.jsonl")}
        for d in day_arts
    }
    gdups = {
        d: {r["url"]: r["dup_of"] for r in read_gold(SHARED / "saudinewsnet-events" / f"dev-{d}.jsonl")}
        for d in day_arts
    }
    tr = day_arts[train_day]
    tr_vec = vectors(tr, cache)
    tr_dup = dedup(tr)
    t = time.perf_counter()
    fitted = fit_story_models(
        tr,
        tr_vec,
        tr_dup,
        golds[train_day],
        C=C,
        trained_on=f"SaudiNewsNet events dev-{train_day} ({len(tr)} articles)",
    )
    model, merge = fitted.model, fitted.merge_model
    print(
        f"fitted on {train_day}: {fitted.rows} candidate rows, {fitted.positives} positive, "
        f"{time.perf_counter() - t:.1f}s with the threshold searches",
        file=sys.stderr,
    )
    for f, c in zip(model.features, model.coef, strict=True):
        print(f"  coef {f:14s} {c:+.3f}", file=sys.stderr)
    for f, c in zip(merge.features, merge.coef, strict=True):
        print(f"  merge coef {f:14s} {c:+.3f}", file=sys.stderr)
    print(
        f"thresholds (tuned on {train_day}): join {model.threshold:.2f}, cross-language "
        f"{fitted.cross_model.threshold:.2f}, merge {merge.threshold:.2f}, cross-language merge "
        f"{fitted.cross_merge_model.threshold:.2f}"
    )
    if out is not None:
        fitted.write(out)
        print(f"wrote the story models to {out}", file=sys.stderr)
    arts, vecs = time_ordered(day_arts, stream_days, cache)
    dup = dedup(arts)
    pred, el, lat = stream(arts, vecs, dup, model)
    report(
        f"without merges, fitted on {train_day}, scored on {test_day}",
        pred,
        golds[test_day],
        dup,
        gdups[test_day],
    )
    pred, el, lat = stream(arts, vecs, dup, model, merge)
    print(
        f"streamed {len(arts)} articles ({'+'.join(stream_days)}): clustering {el:.1f}s, "
        f"assign p50 {1000 * np.percentile(lat, 50):.1f} ms p95 {1000 * np.percentile(lat, 95):.1f} ms"
    )
    report(f"model fitted on {train_day}, scored on {test_day}", pred, golds[test_day], dup, gdups[test_day])
    baseline(day_arts[test_day], golds[test_day])
    return model


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument(
        "--out",
        type=Path,
        default=None,
        help="write the four models fitted on 08-01 to this folder (for the `story_models` "
        "setting; the shipped ones are fitted on both days by stories_fit_days.py)",
    )
    ap.add_argument("--reverse", action="store_true", help="also fit on 08-02 and score 08-01")
    ap.add_argument("--cache", type=Path, default=None, help="directory caching article vectors")
    ap.add_argument("--C", type=float, default=1.0)
    args = ap.parse_args(argv)
    print("date 2026-11-21; data SaudiNewsNet + saudinewsnet-events dev labels")
    run(DAYS[0], DAYS[1], DAYS, args.cache, args.out, args.C)
    if args.reverse:
        run(DAYS[1], DAYS[0], (DAYS[0],), args.cache, None, args.C)


if __name__ == "__main__":
    main()
