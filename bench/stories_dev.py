"""Story clustering and near-duplicates on the SaudiNewsNet dev labels (2015-08-01, 2015-08-02).

Protocol: the story model is fitted on 2015-08-01 only (teacher-forced candidate features against
the gold events), its threshold tuned by streaming 2015-08-01; then 2015-08-01 and 2015-08-02 are
streamed in time order through dedup + clustering and 2015-08-02 is scored (B-cubed, pairwise,
duplicate pairs). `--reverse` also fits on 08-02 and scores 08-01 (streamed alone). The script also
runs the batch baseline: TF-IDF character 2-5-gram cosine, average-linkage, cut tuned on the scored day.

    .venv/bin/python bench/stories_dev.py [--write-model] [--reverse] [--cache /tmp/rasid-vec]
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np

from rasid.cluster import (
    MERGE_FEATURES,
    MERGE_LANG_FREE,
    StoryClusterer,
    StoryModel,
    fit_cross_model,
    fit_story_model,
)
from rasid.dedup import Deduper
from rasid.embed import USEEmbedder, article_vectors, embedding_texts
from rasid.eval.stories import bcubed, duplicate_pairs, load_saudinewsnet, pairwise, read_gold

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"
DAYS = ("2015-08-01", "2015-08-02")
MODEL_PATH = Path(__file__).resolve().parents[1] / "src" / "rasid" / "data" / "story_model.json"
MERGE_PATH = MODEL_PATH.with_name("story_merge.json")
CROSS_PATH = MODEL_PATH.with_name("story_model_xling.json")
CROSS_MERGE_PATH = MODEL_PATH.with_name("story_merge_xling.json")


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


def train(arts, vecs, dup, gold: dict[str, str], C: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    cl = StoryClusterer(model=_dummy_model(), merges=False)
    Xs, ys = [], []
    for a, v in zip(arts, vecs, strict=True):
        X, y = cl.observe(a, v, gold[a.id], dup.get(a.id))
        if len(y):
            Xs.append(X)
            ys.append(y)
    return np.vstack(Xs), np.concatenate(ys)


def _dummy_model() -> StoryModel:
    from rasid.cluster import FEATURES

    n = len(FEATURES)
    return StoryModel(list(FEATURES), [0.0] * n, [1.0] * n, [0.0] * n, 0.0)


def stream(arts, vecs, dup, model: StoryModel, merge: StoryModel | None = None,
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


def fit_merge(arts, vecs, dup, gold: dict[str, str], model: StoryModel, C: float = 1.0,
              ) -> tuple[StoryModel, StoryModel]:
    """Fit the story-merge model on one day: stream it with the fitted assignment model (no merges),
    log every (article's story, other candidate story) pair with its features, and label the pair
    by whether the two stories' majority events (at that moment) are the same."""
    cl = StoryClusterer(model=model, merges=False)
    cl.merge_log = []
    for a, v in zip(arts, vecs, strict=True):
        cl.assign(a, v, dup.get(a.id))

    def majority(pos: int, n: int) -> str:
        return Counter(gold[u] for u in cl._stories[pos].members[:n]).most_common(1)[0][0]

    X = np.asarray([f for _, _, _, _, f in cl.merge_log])
    y = np.asarray([majority(p, n) == majority(q, m) for p, n, q, m, _ in cl.merge_log])
    merge = fit_story_model(X, y, C=C)
    merge.features = list(MERGE_FEATURES)
    print(f"merge model: {len(y)} story pairs, {int(y.sum())} same-event", file=sys.stderr)
    for f, c in zip(merge.features, merge.coef, strict=True):
        print(f"  merge coef {f:14s} {c:+.3f}", file=sys.stderr)
    # the merge scorer for two stories in different languages: same pairs, language-free signals
    cross = fit_cross_model(X, y, C=C, features=MERGE_FEATURES, keep=MERGE_LANG_FREE)
    for m, name in ((merge, "merge"), (cross, "cross-language merge")):
        best = (-1.0, 0.5)
        for th in (0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.93, 0.95, 0.97):
            m.threshold = th
            pred, _, _ = stream(arts, vecs, dup, model, m)
            score = (bcubed(pred, gold)[2] + pairwise(pred, gold)[2]) / 2
            print(f"  {name} threshold {th:.2f}: mean(B3 F1, pairwise F1) {score:.4f} on the training day",
                  file=sys.stderr)
            if score > best[0] + 1e-9:
                best = (score, th)
        m.threshold = best[1]
    return merge, cross


def tune_threshold(arts, vecs, dup, gold, model: StoryModel) -> float:
    best = (-1.0, 0.5)
    for th in np.arange(0.2, 0.85, 0.05):
        model.threshold = float(th)
        pred, _, _ = stream(arts, vecs, dup, model)
        f = bcubed(pred, gold)[2]
        print(f"  threshold {th:.2f}: B3 F1 {f:.4f} on the training day", file=sys.stderr)
        if f > best[0] + 1e-9:
            best = (f, float(th))
    return best[1]


def baseline(arts, gold) -> None:
    """TF-IDF char 2-5-grams on title+body, cosine average-linkage, cut tuned on this day."""
    from scipy.cluster.hierarchy import fcluster, linkage
    from scipy.spatial.distance import squareform
    from sklearn.feature_extraction.text import TfidfVectorizer

    t = time.perf_counter()
    X = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, max_features=200000).fit_transform(
        [a.title + "\n" + a.text for a in arts]
    )
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
    print(f"baseline tfidf-char avg-link (cut {cut:.3f} tuned on this day): B3 P {b[0]:.4f} R {b[1]:.4f} "
          f"F1 {b[2]:.4f} | pairwise P {p[0]:.4f} R {p[1]:.4f} F1 {p[2]:.4f} | {el:.1f}s for {len(arts)} articles")


def report(name: str, pred, gold, dup_pred, dup_gold) -> None:
    b, p = bcubed(pred, gold), pairwise(pred, gold)
    dp, dr = duplicate_pairs(dup_pred, dup_gold)
    singles = bcubed({u: u for u in gold}, gold)[2]
    print(f"{name}: B3 P {b[0]:.4f} R {b[1]:.4f} F1 {b[2]:.4f} | pairwise P {p[0]:.4f} R {p[1]:.4f} F1 {p[2]:.4f} "
          f"| dup pairs P {dp:.4f} R {dr:.4f} | all-singletons B3 F1 {singles:.4f} | "
          f"stories {len(set(pred[u] for u in gold))} / events {len(set(gold.values()))}")


def run(train_day: str, test_day: str, stream_days: tuple[str, ...], cache, write_model: bool, C: float):
    day_arts = {d: load_saudinewsnet([SHARED / "saudinewsnet" / f"{d}.zip"]) for d in set(stream_days) | {train_day}}
    golds = {d: {r["url"]: r["event"] for r in read_gold(SHARED / "saudinewsnet-events" / f"dev-{d}.jsonl")}
             for d in day_arts}
    gdups = {d: {r["url"]: r["dup_of"] for r in read_gold(SHARED / "saudinewsnet-events" / f"dev-{d}.jsonl")}
             for d in day_arts}
    tr = day_arts[train_day]
    tr_vec = vectors(tr, cache)
    tr_dup = dedup(tr)
    t = time.perf_counter()
    X, y = train(tr, tr_vec, tr_dup, golds[train_day])
    model = fit_story_model(X, y, C=C, trained_on=f"SaudiNewsNet events dev-{train_day} ({len(tr)} articles)")
    print(f"fitted on {train_day}: {len(y)} candidate rows, {int(y.sum())} positive, "
          f"{time.perf_counter() - t:.1f}s", file=sys.stderr)
    for f, c in zip(model.features, model.coef, strict=True):
        print(f"  coef {f:14s} {c:+.3f}", file=sys.stderr)
    model.threshold = tune_threshold(tr, tr_vec, tr_dup, golds[train_day], model)
    print(f"threshold {model.threshold:.2f} (tuned on {train_day})")
    # the scorer for an article and a story in different languages: same rows, no lexical signals;
    # its threshold tuned like the main one, by streaming the training day with it alone
    cross = fit_cross_model(X, y, C=C, trained_on=model.trained_on + "; language-free signals only")
    cross.threshold = tune_threshold(tr, tr_vec, tr_dup, golds[train_day], cross)
    print(f"cross-language model threshold {cross.threshold:.2f} (tuned on {train_day})")
    merge, cross_merge = fit_merge(tr, tr_vec, tr_dup, golds[train_day], model, C=C)
    merge.trained_on = model.trained_on
    cross_merge.trained_on = model.trained_on + "; language-free merge signals only"
    print(f"merge threshold {merge.threshold:.2f}, cross-language merge threshold {cross_merge.threshold:.2f} "
          f"(tuned on {train_day})")
    if write_model:
        MODEL_PATH.parent.mkdir(parents=True, exist_ok=True)
        MODEL_PATH.write_text(model.to_json() + "\n", encoding="utf-8")
        MERGE_PATH.write_text(merge.to_json() + "\n", encoding="utf-8")
        CROSS_PATH.write_text(cross.to_json() + "\n", encoding="utf-8")
        CROSS_MERGE_PATH.write_text(cross_merge.to_json() + "\n", encoding="utf-8")
        print(f"wrote {MODEL_PATH}, {MERGE_PATH}, {CROSS_PATH} and {CROSS_MERGE_PATH}", file=sys.stderr)
    arts, vecs = time_ordered(day_arts, stream_days, cache)
    dup = dedup(arts)
    pred, el, lat = stream(arts, vecs, dup, model)
    report(f"without merges, fitted on {train_day}, scored on {test_day}", pred, golds[test_day], dup, gdups[test_day])
    pred, el, lat = stream(arts, vecs, dup, model, merge)
    print(f"streamed {len(arts)} articles ({'+'.join(stream_days)}): clustering {el:.1f}s, "
          f"assign p50 {1000 * np.percentile(lat, 50):.1f} ms p95 {1000 * np.percentile(lat, 95):.1f} ms")
    report(f"model fitted on {train_day}, scored on {test_day}", pred, golds[test_day], dup, gdups[test_day])
    baseline(day_arts[test_day], golds[test_day])
    return model


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--write-model", action="store_true", help="write src/rasid/data/story_model.json")
    ap.add_argument("--reverse", action="store_true", help="also fit on 08-02 and score 08-01")
    ap.add_argument("--cache", type=Path, default=None, help="directory caching article vectors")
    ap.add_argument("--C", type=float, default=1.0)
    args = ap.parse_args(argv)
    print("date 2026-11-21; data SaudiNewsNet + saudinewsnet-events dev labels")
    run(DAYS[0], DAYS[1], DAYS, args.cache, args.write_model, args.C)
    if args.reverse:
        run(DAYS[1], DAYS[0], (DAYS[0],), args.cache, False, args.C)


if __name__ == "__main__":
    main()
