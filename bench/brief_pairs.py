"""Fit and check the brief's pair model (`rasid.brief.PairModel`) on the hand-made statements.

    .venv/bin/python bench/brief_pairs.py                 # leave-one-story-out check + the fit on all
    .venv/bin/python bench/brief_pairs.py --window 3      # features as the pipeline computes them

Pairs: every two sentences (`sentence_units`, as story understanding splits them) of two different
articles of one gold story (bench/gold/brief); positive when both lie on spans of one gold fact.
Features (`pair_features`) use the story's entities, resolved dates and sentence vectors exactly as
`StoryAnalyzer.analyze` passes them to the brief (a recording builder captures them). Logistic
regression (scikit-learn, balanced classes); the cut is the lowest probability whose training
precision reaches `--precision`. Prints per held-out story pair precision/recall, then the
coefficients of the fit on all stories, in the form `PairModel` takes them.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "src"))
sys.path.insert(0, str(REPO / "bench"))

from brief_eval import DiskCachedEmbed  # noqa: E402

from rasid.brief import (  # noqa: E402
    PAIR_FEATURES,
    BriefBuilder,
    PairModel,
    UseEmbedder,
    lexical_overlap,
    pair_features,
    unit_days,
    unit_entities,
)
from rasid.eval.brief import Span, articles_by_url, evaluate_brief_files, locate  # noqa: E402
from rasid.understand.story import StoryAnalyzer  # noqa: E402

SHARED = REPO.parent / "shared"


class Recorder:
    """A brief builder that keeps what story understanding hands it and builds nothing."""

    def __init__(self) -> None:
        self.calls: list[dict] = []

    def build(self, articles, dates=None, units=None, embed=None, mentions=None, days=None):
        self.calls.append(
            {"articles": articles, "dates": dates, "units": units, "mentions": mentions, "days": days}
        )
        return []


def story_pairs(path: Path, embed, window: int | None) -> tuple[np.ndarray, np.ndarray, list]:
    gold = json.loads(path.read_text(encoding="utf-8"))
    urls = [a["url"] for a in gold["articles"]]
    arts, raws = articles_by_url(SHARED / gold["data"], urls)
    raw_of = dict(zip(urls, raws, strict=True))
    rec = Recorder()
    StoryAnalyzer(brief=rec, embed=embed).analyze(arts)
    call = rec.calls[0]
    builder = BriefBuilder(embed=embed, embed_window=window)
    units = builder._units(call["articles"], call["units"])
    lex = lexical_overlap(units)
    vectors, has = builder._vectors(units, lex, embed)
    feats = pair_features(
        units, vectors, has, lex, unit_entities(units, call["mentions"]), unit_days(units, call["days"])
    )
    spans = [[Span(r["article"], r["start"], r["end"]) for r in f["reports"]] for f in gold["statements"]]
    facts = []
    for u in units:
        where = locate(raw_of[u.article], u.text, u.article)
        facts.append({k for k, ss in enumerate(spans) if where and any(where.overlaps(s) for s in ss)})
    n = len(units)
    ii, jj = np.triu_indices(n, k=1)
    keep = np.array([units[i].article != units[j].article for i, j in zip(ii, jj, strict=True)], dtype=bool)
    ii, jj = ii[keep], jj[keep]
    y = np.array([bool(facts[i] & facts[j]) for i, j in zip(ii, jj, strict=True)], dtype=np.int8)
    return feats[ii, jj], y, [gold["story"]] * len(y)


def fit(x: np.ndarray, y: np.ndarray, precision: float):
    from sklearn.linear_model import LogisticRegression

    lr = LogisticRegression(class_weight="balanced", C=1.0, max_iter=2000).fit(x, y)
    p = lr.predict_proba(x)[:, 1]
    cut = 0.5
    for c in np.arange(0.30, 0.991, 0.01):
        pred = p >= c
        if pred.sum() and y[pred].mean() >= precision:
            cut = float(c)
            break
    return lr, cut


def pr(y: np.ndarray, pred: np.ndarray) -> tuple[float, float]:
    tp = int((y.astype(bool) & pred).sum())
    return tp / max(int(pred.sum()), 1), tp / max(int(y.sum()), 1)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--gold", default=str(REPO / "bench" / "gold" / "brief"))
    ap.add_argument("--window", type=int, default=None, help="embed window (default: every sentence)")
    ap.add_argument("--precision", type=float, default=0.7)
    ap.add_argument(
        "--brief",
        action="store_true",
        help="also score the brief of each held-out story with the model fitted on the others",
    )
    ap.add_argument("--cut", type=float, default=None, help="use this cut instead of the --precision rule")
    ap.add_argument("--join-mean", type=float, default=0.85, help="PairModel.join_mean for --brief")
    ap.add_argument("--group-mean", type=float, default=0.85, help="PairModel.group_mean for --brief")
    ap.add_argument("--cache", default="/tmp/rasid-brief-embeddings.npz")
    args = ap.parse_args(argv)
    embed = DiskCachedEmbed(UseEmbedder(), Path(args.cache))
    data = {p.stem: story_pairs(p, embed, args.window) for p in sorted(Path(args.gold).glob("*.json"))}
    for name, (_x, y, _) in data.items():
        print(f"{name}: {len(y)} cross-article pairs, {int(y.sum())} positive")
    held_out: list[dict] = []
    for held in data:
        x = np.concatenate([d[0] for k, d in data.items() if k != held])
        y = np.concatenate([d[1] for k, d in data.items() if k != held])
        lr, cut = fit(x, y, args.precision)
        cut = args.cut or cut
        xt, yt, _ = data[held]
        p, r = pr(yt, lr.predict_proba(xt)[:, 1] >= cut)
        print(f"held out {held}: cut={cut:.2f} pair precision={p:.3f} recall={r:.3f}")
        if args.brief:
            model = PairModel(
                tuple(float(v) for v in lr.coef_[0]),
                float(lr.intercept_[0]),
                cut,
                args.group_mean,
                args.join_mean,
            )
            analyzer = StoryAnalyzer(brief=BriefBuilder(embed=embed, model=model), embed=embed)
            story = evaluate_brief_files([Path(args.gold) / f"{held}.json"], SHARED, analyzer)["stories"][0]
            held_out.append(story)
            keys = ("attribution_precision", "attribution_recall", "coverage_3plus", "dispute_recall")
            print(f"  brief of the held-out story: {json.dumps({k: story[k] for k in keys})}")
    if held_out:
        rows = [r for st in held_out for r in st["per_statement"] if "precision" in r]
        wide = sum(st["facts_3plus_outlets"] for st in held_out)
        covered = sum(st["facts_3plus_outlets"] - len(st["missed_3plus"]) for st in held_out)
        print(
            f"held-out briefs pooled: attribution precision={np.mean([r['precision'] for r in rows]):.3f} "
            f"recall={np.mean([r['recall'] for r in rows]):.3f} over {len(rows)} statements; "
            f"coverage of 3+-outlet facts={covered}/{wide}={covered / max(wide, 1):.3f}"
        )
    x = np.concatenate([d[0] for d in data.values()])
    y = np.concatenate([d[1] for d in data.values()])
    lr, cut = fit(x, y, args.precision)
    p, r = pr(y, lr.predict_proba(x)[:, 1] >= cut)
    print(f"all stories (in sample): cut={cut:.2f} precision={p:.3f} recall={r:.3f}")
    w = ", ".join(f"{v:.3f}" for v in lr.coef_[0])
    print("features:", ", ".join(PAIR_FEATURES))
    print(
        f"PairModel(weights=({w}), intercept={lr.intercept_[0]:.3f}, cut={cut:.2f}, group_mean={args.group_mean})"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
