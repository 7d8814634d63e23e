"""Near-duplicate pairs on the SaudiNewsNet dev days: can a pair model over the deduper's own
signals, or a day-scoped IDF, beat the shipped cosine cut (0.805)?

Protocol (as `bench/stories_dev.py`): fit and tune on 2015-08-01 streamed alone, score 2015-08-02
after streaming 08-01 then 08-02 in time order; in reverse, fit and tune on 08-02 streamed alone and
score 08-01 streamed alone. Targets on 08-02: duplicate-pair precision >= 0.98, recall >= 0.95.

Each protocol is streamed once through `Deduper` with `pair_log` on, which records every candidate
pair (MinHash estimate >= 0.15) with the signals the deduper has at that moment: body TF-IDF cosine,
MinHash Jaccard estimate, paragraphs shared, sizes, time gap; title word overlap and same source
are added here from the articles. A decision rule is then replayed over the log (union-find, as
the deduper groups); the replay of the shipped rule is checked against the deduper's own output.

Rules compared, each tuned on the training day only (streamed F1 of duplicate pairs, ties to the
stricter setting): the cosine cut re-tuned; logistic regressions over four fixed feature sets,
with their probability cut tuned; the shipped cut with the IDF of the calendar day so far (the
08-01 labels' own cosine uses one day's IDF) instead of everything streamed.

    .venv/bin/python bench/dedup_dev.py [--sweep]
"""

from __future__ import annotations

import argparse
import math
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import numpy as np

from rasid.dedup import Deduper, day_number
from rasid.eval.stories import duplicate_groups, duplicate_pairs, load_saudinewsnet, read_gold
from rasid.text.normalize import tokens

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"
DAYS = ("2015-08-01", "2015-08-02")
SHIPPED = 0.805
SHIPPED_FLOOR = 0.0  # the deduper links every pair over the cut (no member floor: see `replay`)
FEATURES = ("cos", "jac", "shared_new", "shared_old", "len_ratio", "same_source", "gap_h", "title")
FEATURE_SETS = {
    "cos+jac": ("cos", "jac"),
    "cos+jac+len": ("cos", "jac", "len_ratio"),
    "cos+jac+paragraphs+len": ("cos", "jac", "shared_new", "shared_old", "len_ratio"),
    "all eight": FEATURES,
}
PROB_CUTS = np.round(np.arange(0.30, 0.951, 0.01), 2)
COS_CUTS = np.round(np.arange(0.70, 0.9001, 0.0025), 4)


class Stream:
    """One streamed protocol: arrival order, the candidate-pair log, the deduper's own groups."""

    def __init__(self, arts, calendar_idf: bool = False) -> None:
        dd = Deduper()
        dd.pair_log = []
        day = None
        t = time.perf_counter()
        for a in arts:
            if calendar_idf:  # document frequencies of the current calendar day only
                d = math.floor(day_number(a.published) or 0.0)
                if d != day:
                    dd._df[:] = 0
                    dd._ndocs = 0
                day = d
            dd.add(a)
        self.seconds = time.perf_counter() - t
        self.ids = [a.id for a in arts]
        self.log: list[dict] = dd.pair_log
        self.dup = {a.id: dd.duplicate_of(a.id) for a in arts}
        self.X = np.zeros((0, len(FEATURES)))  # the logged pairs' signals, filled by `Signals.fill`


def replay(s: Stream, link: np.ndarray, floor: float = 0.0) -> dict[str, str | None]:
    """The groups the deduper would form linking the logged pairs where `link` is true (the 0.3
    MinHash prefilter kept); with `floor` (a rule measured in `bench/dedup_lodo.py`, not the
    deduper's), a link joins the new article to a group only when its logged cosine with every
    member of that group reaches `floor` (a member with no logged pair counts as 0)."""
    order = {u: i for i, u in enumerate(s.ids)}
    parent: dict[str, str] = {}
    members: dict[str, list[str]] = {}  # root -> every article of its group (groups of 2+ only)
    cos_of: dict[str, dict[str, float]] = {}
    if floor > 0:
        for r, c in zip(s.log, s.X[:, 0].tolist(), strict=True):
            if r["jac"] >= 0.3:
                cos_of.setdefault(r["new"], {})[r["old"]] = c

    def find(x: str) -> str:
        while x in parent:
            x = parent[x]
        return x

    for r, yes in zip(s.log, link.tolist(), strict=True):
        if yes and r["jac"] >= 0.3:
            a, b = find(r["new"]), find(r["old"])
            if a != b:
                if floor > 0:
                    mine = cos_of.get(r["new"], {})
                    if any(mine.get(m, 0.0) < floor for m in members.get(b, [b])):
                        continue
                lo, hi = sorted((a, b), key=order.__getitem__)
                parent[hi] = lo
                members[lo] = members.pop(lo, [lo]) + members.pop(hi, [hi])
    return {u: (find(u) if find(u) != u else None) for u in s.ids}


def f1(p: float, r: float) -> float:
    return 2 * p * r / (p + r) if p + r else 0.0


class Signals:
    """Feature vectors of logged pairs (title overlap and same source from the articles)."""

    def __init__(self, arts) -> None:
        self.source = {a.id: a.source for a in arts}
        self.title = {a.id: set(tokens(a.title or "")) for a in arts}

    def fill(self, s: Stream) -> None:
        s.X = np.array([self.row(r) for r in s.log])

    def row(self, r: dict) -> list[float]:
        ta, tb = self.title[r["new"]], self.title[r["old"]]
        return [
            r["cos"],
            r["jac"],
            r["shared"] / max(1, r["paras_new"]),
            min(1.0, r["shared"] / max(1, r["paras_old"])),
            min(r["len_new"], r["len_old"]) / max(1.0, r["len_new"], r["len_old"]),
            float(self.source[r["new"]] == self.source[r["old"]]),
            24 * r["gap"],
            len(ta & tb) / max(1, len(ta | tb)),
        ]


def pair_table(s: Stream, gold_dup: dict, cols: list[int]) -> tuple[np.ndarray, np.ndarray]:
    """Logged pairs of the training day with label 'in one gold duplicate group' (the MinHash prefilter kept)."""
    gg = duplicate_groups(gold_dup)
    keep = s.X[:, 1] >= 0.3
    y = np.array([r["new"] in gg and r["old"] in gg and gg[r["new"]] == gg[r["old"]] for r in s.log])
    return s.X[keep][:, cols], y[keep]


def fit_lr(X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, float]:
    from sklearn.linear_model import LogisticRegression

    mu, sd = X.mean(0), X.std(0) + 1e-9
    lr = LogisticRegression(C=1.0, max_iter=5000).fit((X - mu) / sd, y)
    w = lr.coef_[0] / sd
    return w, float(lr.intercept_[0] - (lr.coef_[0] * mu / sd).sum())


def tune(
    s: Stream, gold_dup: dict, rule: Callable[[Stream, float], np.ndarray], grid
) -> tuple[float, float, float]:
    """The grid value with the best streamed F1 on the training day (ties: the stricter, larger one)."""
    best = max((f1(*duplicate_pairs(replay(s, rule(s, v)), gold_dup)), v) for v in grid)
    p, r = duplicate_pairs(replay(s, rule(s, best[1])), gold_dup)
    return float(best[1]), p, r


def changed_pairs(base: dict, new: dict, gold_dup: dict) -> dict[str, list[tuple[str, str]]]:
    """Pairs of gold items grouped by one rule and not the other, by gold truth."""
    items = list(gold_dup)
    pb = duplicate_groups({**dict.fromkeys(items), **base})
    pn = duplicate_groups({**dict.fromkeys(items), **new})
    gg = duplicate_groups(gold_dup)
    out: dict[str, list[tuple[str, str]]] = {
        "gained true": [],
        "gained false": [],
        "lost true": [],
        "lost false": [],
    }
    for i, a in enumerate(items):
        for b in items[i + 1 :]:
            was, now = pb[a] == pb[b], pn[a] == pn[b]
            if was != now:
                truth = gg[a] == gg[b]
                out[f"{'gained' if now else 'lost'} {'true' if truth else 'false'}"].append((a, b))
    return out


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument(
        "--sweep", action="store_true", help="also print 08-02 P/R along the cut of each rule fitted on 08-01"
    )
    args = ap.parse_args(argv)
    print("date 2026-11-22; data SaudiNewsNet 2015-08-01/02 + saudinewsnet-events dev dup_of")
    by_day = {d: load_saudinewsnet([SHARED / "saudinewsnet" / f"{d}.zip"]) for d in DAYS}
    gold = {
        d: {r["url"]: r["dup_of"] for r in read_gold(SHARED / "saudinewsnet-events" / f"dev-{d}.jsonl")}
        for d in DAYS
    }
    every = [a for d in DAYS for a in by_day[d]]
    sig = Signals(every)
    titles = {a.id: f"{a.source} {(a.title or '').strip()[:45]}" for a in every}
    both = sorted(every, key=lambda a: (a.published or "", a.id))
    streams = {
        "08-01": Stream(by_day[DAYS[0]]),
        "08-02": Stream(by_day[DAYS[1]]),
        "both": Stream(both),
        "both, calendar-day IDF": Stream(both, calendar_idf=True),
    }
    print(
        f"streamed with pair logs: 08-01 alone {streams['08-01'].seconds:.1f}s, 08-02 alone "
        f"{streams['08-02'].seconds:.1f}s, 08-01+08-02 {streams['both'].seconds:.1f}s "
        f"({len(streams['both'].log)} candidate pairs logged)"
    )
    for s in streams.values():
        sig.fill(s)

    def shipped(s: Stream, cut: float) -> np.ndarray:
        return s.X[:, 0] >= cut

    for name, s in streams.items():  # the replay is the deduper
        assert replay(s, shipped(s, SHIPPED), SHIPPED_FLOOR) == s.dup, name

    # (train stream, train gold, test stream, test gold, direction)
    directions = [
        ("08-01", DAYS[0], "both", DAYS[1], "fit 08-01 -> score 08-02 (after 08-01)"),
        ("08-02", DAYS[1], "08-01", DAYS[0], "reverse: fit 08-02 -> score 08-01 (alone)"),
    ]
    base_test = {}
    for tr, tday, te, sday, label in directions:
        print(f"\n## {label}")
        S = streams[te]
        base = replay(S, shipped(S, SHIPPED), SHIPPED_FLOOR)
        base_test[te] = base
        rows = []
        p0, r0 = duplicate_pairs(
            replay(streams[tr], shipped(streams[tr], SHIPPED), SHIPPED_FLOOR), gold[tday]
        )
        rows.append(("shipped cut 0.805", "-", (p0, r0), base, streams[te]))
        v, p, r = tune(streams[tr], gold[tday], shipped, COS_CUTS)
        rows.append((f"cosine cut re-tuned ({v:.4f})", "-", (p, r), replay(S, shipped(S, v)), S))
        if te == "both":
            cal = streams["both, calendar-day IDF"]  # the training day streamed alone is one calendar day
            rows.append(
                (
                    "calendar-day IDF, cut 0.805",
                    "-",
                    (p0, r0),
                    replay(cal, shipped(cal, SHIPPED), SHIPPED_FLOOR),
                    cal,
                )
            )
            rows.append(
                (f"calendar-day IDF, cut re-tuned ({v:.4f})", "-", (p, r), replay(cal, shipped(cal, v)), cal)
            )
        sweeps = []
        from sklearn.metrics import average_precision_score

        X, y = pair_table(streams[tr], gold[tday], list(range(len(FEATURES))))
        print(
            "pair AP of each signal alone on the training day: "
            + ", ".join(f"{f} {average_precision_score(y, X[:, i]):.3f}" for i, f in enumerate(FEATURES))
        )
        for fname, feats in FEATURE_SETS.items():
            cols = [FEATURES.index(f) for f in feats]
            X, y = pair_table(streams[tr], gold[tday], cols)
            w, b = fit_lr(X, y)

            def rule(s: Stream, th: float, w=w, b=b, cols=cols) -> np.ndarray:
                return s.X[:, cols] @ w + b >= math.log(th / (1 - th))

            th, p, r = tune(streams[tr], gold[tday], rule, PROB_CUTS)
            coef = " ".join(f"{f} {c:+.2f}" for f, c in zip(feats, w, strict=True)) + f" bias {b:+.2f}"
            rows.append((f"LR {fname} (p >= {th:.2f})", coef, (p, r), replay(S, rule(S, th)), S))
            sweeps.append((fname, rule, th))
        for name, coef, (p, r), pred, _ in rows:
            tp, trr = duplicate_pairs(pred, gold[sday])
            ok = "meets" if tp >= 0.98 and trr >= 0.95 else "misses"
            ch = changed_pairs(base, pred, gold[sday])
            delta = ", ".join(f"{k} {len(v)}" for k, v in ch.items() if v) or "none"
            print(
                f"{name:44s} train P {p:.4f} R {r:.4f} | test P {tp:.4f} R {trr:.4f} ({ok} 0.98/0.95) "
                f"| pairs changed vs shipped: {delta}"
            )
            if coef != "-":
                print(f"    weights: {coef}")
            for k, v in ch.items():
                for a, b in v:
                    print(f"    {k}: {titles[a]} | {titles[b]}")
        if args.sweep and te == "both":
            for fname, rule, th in sweeps:
                print(
                    f"  sweep, LR {fname} fitted on 08-01 (tuned cut {th:.2f}), 08-02 P/R by probability cut:"
                )
                for c in PROB_CUTS[(PROB_CUTS >= 0.5) & (PROB_CUTS <= 0.85)]:
                    tp, trr = duplicate_pairs(replay(S, rule(S, c)), gold[sday])
                    mark = " <- tuned" if abs(c - th) < 1e-9 else ""
                    print(
                        f"    {c:.2f}: P {tp:.4f} R {trr:.4f}{' meets' if tp >= 0.98 and trr >= 0.95 else ''}{mark}"
                    )
    for d in DAYS:
        print(f"gold duplicate pairs on {d}: {sum(n * (n - 1) // 2 for n in _sizes(gold[d]))}")


def _sizes(gold_dup: dict) -> list[int]:
    return list(Counter(duplicate_groups(gold_dup).values()).values())


if __name__ == "__main__":
    main()
