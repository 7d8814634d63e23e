"""Fitting the story scorers on labelled articles (`rasid train stories`, and the dev benches).

The procedure the shipped scorers come from, for any labels in the development format (one
`{"url": ..., "event": ...}` line per article):
1. the assignment model: the labelled articles streamed in time order with teacher forcing (each
   article's candidate stories scored against the labelled stories built so far), a logistic
   regression over the candidate features; its join threshold is the one whose stream of the same
   articles scores the best B-cubed F1;
2. the merge model: the articles streamed with that model, every (article's story, other candidate)
   pair logged and labelled by whether the two stories' majority events agree; its threshold the
   best mean of B-cubed and pairwise F1;
3. the cross-language scorers: the same rows with the language-free signals only, tuned the same way;
4. the pair scorer of the core-linkage check: every (article, member of a candidate story) pair met
   in the teacher-forced stream, labelled by whether the two share an event; its threshold (the mean
   probability over a story's recent members an article needs to join it) the best mean of
   B-cubed and pairwise F1 over a stream with the three models above.
Every threshold is chosen on the training articles themselves, so the scores printed with a fit are
in-sample: hold a day out to measure (`bench/stories_dev.py`). Given the articles in parts (one per
labelled day, `rasid train stories --gold A --gold B`), the thresholds are instead chosen out of fold:
each part streamed with the scorers fitted on the other parts (`fit_story_models(out_of_fold=True)`),
and each threshold the one whose worst part scores best (`worst_day`).
"""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from rasid.dedup.parse import TextMemo
from rasid.eval.stories import bcubed, pairwise
from rasid.model import Article
from rasid.stories import (
    FEATURES,
    MERGE_FEATURES,
    MERGE_LANG_FREE,
    MODEL_FILES,
    PAIR_FEATURES,
    StoryClusterer,
    StoryModel,
)
from rasid.stories import fit_cross_model as _fit_cross
from rasid.stories import fit_story_model as _fit

JOIN_GRID: tuple[float, ...] = tuple(round(0.2 + 0.05 * i, 2) for i in range(13))  # 0.20 .. 0.80
MERGE_GRID: tuple[float, ...] = (0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.93, 0.95, 0.97)
CORE_GRID: tuple[float, ...] = (0.0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.5)


@dataclass
class StoryModels:
    """The four scorers a StoryClusterer uses, as fitted together."""

    model: StoryModel
    merge_model: StoryModel | None  # None only from a `join_only` fit on too few articles
    cross_model: StoryModel
    cross_merge_model: StoryModel | None
    rows: int = 0  # teacher-forced candidate rows the assignment model was fitted on
    positives: int = 0
    pair_model: StoryModel | None = None  # the core-linkage check (None: not fitted)

    def write(self, folder: str | Path) -> list[Path]:
        """The four files, under the names `StoryModel.load_folder` (and the package) reads."""
        d = Path(folder)
        d.mkdir(parents=True, exist_ok=True)
        out = []
        for attr, name in MODEL_FILES.items():
            if getattr(self, attr) is None:
                continue
            f = d / name
            f.write_text(getattr(self, attr).to_json() + "\n", encoding="utf-8")
            out.append(f)
        return out


class _EveryText(TextMemo):
    """A token memo that keeps every text it is asked for (the last `size`), not only those a
    deduper has put: a fit streams the same articles dozens of times. The words are interned, so
    the texts kept hold one copy of each distinct word (~8 bytes a token)."""

    def tokens(self, text: str) -> list[str]:
        got = self.get(text)
        if got is None:
            got = [sys.intern(t) for t in super().tokens(text)]
            self.put(text, got)
        return got


@dataclass(slots=True)
class TextCaches:
    """What the streams of one fit share: the word- and text-level caches a clusterer fills as it
    reads articles (a word's bag key, its character n-grams, a body's tokens). Each is a pure
    function of its key, so a clusterer given them decides exactly as a fresh one; a fit that
    streams its articles 30-60 times (one stream per threshold tried) reads each text once."""

    terms: dict[str, int] = field(default_factory=dict)
    grams: dict[str, list[int]] = field(default_factory=dict)
    texts: TextMemo = field(default_factory=lambda: _EveryText(size=50_000))

    def clusterer(self, **kw: Any) -> StoryClusterer:
        cl = StoryClusterer(**kw)
        cl.share_caches(self.terms, self.grams, self.texts)
        return cl


def _untrained() -> StoryModel:
    n = len(FEATURES)
    return StoryModel(list(FEATURES), [0.0] * n, [1.0] * n, [0.0] * n, 0.0)


def candidate_blocks(
    arts: Sequence[Article],
    vecs: np.ndarray,
    dup: dict[str, str | None],
    gold: dict[str, str],
    pair_rows: list[tuple[np.ndarray, np.ndarray]] | None = None,
    caches: TextCaches | None = None,
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Teacher-forced candidate rows, one (features, same-event) block per article that had candidates.
    `pair_rows`, when given, receives the (PAIR_FEATURES, same-event) blocks of every article with
    the recent members of each of its candidate stories. `caches`: shared with the fit's other streams."""
    cl = (caches or TextCaches()).clusterer(model=_untrained(), merges=False, core=False)
    if pair_rows is not None:
        cl.pair_log = []
    out = []
    for a, v in zip(arts, vecs, strict=True):
        X, y = cl.observe(a, v, gold[a.id], dup.get(a.id))
        if len(y):
            out.append((X, y))
        if cl.pair_log:
            for aid, members, XP in cl.pair_log:
                pair_rows.append((XP, np.array([gold[m] == gold[aid] for m in members], bool)))  # type: ignore[union-attr]
            cl.pair_log = []
    return out


def stream(
    arts: Sequence[Article],
    vecs: np.ndarray,
    dup: dict[str, str | None],
    model: StoryModel,
    merge: StoryModel | None = None,
    pair: StoryModel | None = None,
    caches: TextCaches | None = None,
) -> dict[str, str]:
    """Article id -> story id after streaming `arts` (merges on when `merge` is given, the core
    check when `pair` is). `caches`: shared with the fit's other streams."""
    cl = (caches or TextCaches()).clusterer(
        model=model, merge_model=merge, merges=merge is not None, pair_model=pair, core=pair is not None
    )
    for a, v in zip(arts, vecs, strict=True):
        cl.assign(a, v, dup.get(a.id))
    return {a.id: cl.story_of(a.id) or a.id for a in arts}


def _mean_f1(pred: dict[str, str], gold: dict[str, str]) -> float:
    """The objective of the merge and core threshold searches: the mean of B-cubed and pairwise F1."""
    return (bcubed(pred, gold)[2] + pairwise(pred, gold)[2]) / 2


def _part(
    arts: Sequence[Article], vecs: np.ndarray, gold: dict[str, str], idx: Sequence[int]
) -> tuple[list[Article], np.ndarray, dict[str, str]]:
    """The articles at positions `idx`, their vectors and their labels."""
    a = [arts[i] for i in idx]
    return a, vecs[list(idx)], {x.id: gold[x.id] for x in a}


def _best(grid: Sequence[float], score: Callable[[float], float]) -> float:
    best = (-1.0, grid[0])
    for th in grid:
        s = score(th)
        if s > best[0] + 1e-9:  # ties keep the lower threshold
            best = (s, th)
    return best[1]


_ENOUGH = "one labelled day of news, ~1,300 articles, is enough"


def _one_kind(arts: Sequence[Article], gold: dict[str, str], same: np.ndarray, rows: str, need: str) -> str:
    """Why a fit stopped: the labels gave `rows` (`same`: which are same-event) of one kind only."""
    return (
        f"the labels of {len(arts)} articles in {len(set(gold.values()))} events gave {len(same)} {rows}, "
        f"{int(same.sum())} of them same-event: {need} of both kinds (label more: {_ENOUGH})"
    )


def fit_story_models(
    arts: Sequence[Article],
    vecs: np.ndarray,
    dup: dict[str, str | None],
    gold: dict[str, str],
    trained_on: str = "",
    C: float = 1.0,
    keep: Callable[[], bool] | None = None,
    cross: bool = True,
    core: bool = True,
    grids: tuple[Sequence[float], Sequence[float], Sequence[float]] | None = None,
    parts: Sequence[Sequence[int]] | None = None,
    out_of_fold: bool = False,
    worst_day: bool = True,
    join_only: bool = False,
    train_only: Sequence[int] = (),
    caches: TextCaches | None = None,
) -> StoryModels:
    """Fit and tune the four scorers on `arts` (in stream order, each with a label in `gold`).

    `keep`, when given, is asked once per candidate block and once per merge pair whether to use it
    (the learning-curve bench subsamples with it); `cross=False` leaves the cross-language
    thresholds untuned (at 0.5), for benches that never use them; `core=False` fits no pair scorer
    (no core-linkage check). `grids`: the (join, merge, core) threshold grids searched, by default
    JOIN_GRID, MERGE_GRID and CORE_GRID (a bench that fits many times may search coarser ones).
    `parts`: positions in `arts` of two or more parts (e.g. one per day); the core check's threshold
    is then cross-fitted: each part is streamed with a pair scorer fitted on the other parts' rows,
    and the threshold with the best mean score over the parts is kept (the pair scorer shipped is
    still fitted on every row). Tuned on the rows it was fitted on, the threshold follows the
    scorer's in-sample confidence (one dev fold chose 0.0, another 0.4).
    `out_of_fold` (with `parts`): the join, merge and core thresholds are all chosen out of fold
    instead (`_out_of_fold_thresholds`): each part streamed with scorers fitted on the other parts;
    `worst_day` (the default): each threshold the one whose worst part scores best, not whose mean
    does: leaving one dev day out, the mean followed whichever training day the thresholds suited
    (docs/benchmarks/stories_lodo.md, session 13). `join_only`: tune the join threshold alone (the
    merge model is trained on the stream it sets), leaving the merge and core thresholds at 0.5 and
    0.0 for a caller that tunes them itself (the out-of-fold search's fits on each part).
    `train_only` (with `parts` and `out_of_fold`): positions of articles outside every part that
    join each part's out-of-fold fit without being scored themselves (days whose labels are good
    enough to learn from but miss links, so that thresholds scored on them would favour splitting).
    `caches`: the word and text caches every stream of the fit shares (made here when not given).
    """
    join_grid, merge_grid, core_grid = grids if grids is not None else (JOIN_GRID, MERGE_GRID, CORE_GRID)
    caches = caches if caches is not None else TextCaches()
    oof = (
        _out_of_fold_thresholds(arts, vecs, dup, gold, parts, grids, C, worst_day, train_only, caches)
        if out_of_fold and parts is not None and len(parts) > 1
        else None
    )
    pair_rows: list[tuple[np.ndarray, np.ndarray]] = []
    blocks = candidate_blocks(arts, vecs, dup, gold, pair_rows if core else None, caches)
    if keep is not None:
        blocks = [b for b in blocks if keep()]
    if not blocks:
        raise ValueError(
            f"none of the {len(arts)} labelled articles had a candidate story: too few to fit on ({_ENOUGH})"
        )
    X = np.vstack([b[0] for b in blocks])
    y = np.concatenate([b[1] for b in blocks])
    if y.all() or not y.any():
        raise ValueError(_one_kind(arts, gold, y, "(article, candidate story) rows", "the scorers need rows"))
    model = _fit(X, y, C=C, trained_on=trained_on)
    cross_model = _fit_cross(X, y, C=C, trained_on=trained_on + "; language-free signals only")

    def join_score(m: StoryModel) -> Callable[[float], float]:
        def f(th: float) -> float:
            m.threshold = th
            return bcubed(stream(arts, vecs, dup, m, caches=caches), gold)[2]

        return f

    model.threshold = oof[0] if oof is not None else _best(join_grid, join_score(model))
    if cross:
        cross_model.threshold = _best(join_grid, join_score(cross_model))

    cl = caches.clusterer(model=model, merges=False, core=False)
    cl.merge_log = []
    for a, v in zip(arts, vecs, strict=True):
        cl.assign(a, v, dup.get(a.id))

    def majority(pos: int, n: int) -> str:
        return Counter(gold[u] for u in cl._stories[pos].members[:n]).most_common(1)[0][0]

    log = [r for r in cl.merge_log if keep is None or keep()]
    MX = np.asarray([f for *_, f in log])
    My = np.asarray([majority(p, n) == majority(q, m) for p, n, q, m, _ in log])
    if len(My) == 0 or My.all() or not My.any():
        if join_only:  # a part of the out-of-fold search too small to show both: streamed without merges
            return StoryModels(model, None, cross_model, None, rows=len(y), positives=int(y.sum()))
        raise ValueError(
            _one_kind(arts, gold, My, "story pairs a merge was weighed for", "the merge model needs pairs")
        )
    merge = _fit(MX, My, C=C, trained_on=trained_on)
    merge.features = list(MERGE_FEATURES)
    cross_merge = _fit_cross(
        MX,
        My,
        C=C,
        features=MERGE_FEATURES,
        keep=MERGE_LANG_FREE,
        trained_on=trained_on + "; language-free merge signals only",
    )
    for m in (merge, cross_merge) if cross else (merge,):
        if oof is not None and m is merge:
            m.threshold = oof[1]
            continue
        if join_only:
            m.threshold = 0.5
            continue

        def f(th: float, m: StoryModel = m) -> float:
            m.threshold = th
            pred = stream(arts, vecs, dup, model, m, caches=caches)
            return _mean_f1(pred, gold)

        m.threshold = _best(merge_grid, f)
    pair = fit_pair_model(pair_rows, C=C, trained_on=trained_on) if core and pair_rows else None
    if pair is not None and oof is not None:
        pair.threshold = oof[2]
    elif pair is not None and join_only:
        pair.threshold = 0.0
    elif pair is not None and parts is not None and len(parts) > 1:
        pair.threshold = _crossfit_core(arts, vecs, dup, gold, model, merge, parts, core_grid, C, caches)
    elif pair is not None:

        def core_score(th: float) -> float:
            pair.threshold = th
            pred = stream(arts, vecs, dup, model, merge, pair, caches)
            return _mean_f1(pred, gold)

        pair.threshold = _best(core_grid, core_score)
    return StoryModels(
        model, merge, cross_model, cross_merge, rows=len(y), positives=int(y.sum()), pair_model=pair
    )


def _crossfit_core(
    arts: Sequence[Article],
    vecs: np.ndarray,
    dup: dict[str, str | None],
    gold: dict[str, str],
    model: StoryModel,
    merge: StoryModel,
    parts: Sequence[Sequence[int]],
    grid: Sequence[float],
    C: float,
    caches: TextCaches | None = None,
) -> float:
    """The core threshold whose mean score over `parts` is best, each part streamed with a pair
    scorer fitted on the other parts' article-member rows."""
    subs = [_part(arts, vecs, gold, idx) for idx in parts]
    rows = []
    for a, v, _ in subs:
        r: list[tuple[np.ndarray, np.ndarray]] = []
        candidate_blocks(a, v, dup, gold, r, caches)
        rows.append(r)
    held = []
    for k, (a, v, g) in enumerate(subs):
        pm = fit_pair_model([b for j, r in enumerate(rows) if j != k for b in r], C=C)
        if pm is not None:
            held.append((a, v, g, pm))
    if not held:
        return grid[0]

    def score(th: float) -> float:
        total = 0.0
        for a, v, g, pm in held:
            pm.threshold = th
            pred = stream(a, v, dup, model, merge, pm, caches)
            total += _mean_f1(pred, g)
        return total / len(held)

    return _best(grid, score)


def _out_of_fold_thresholds(
    arts: Sequence[Article],
    vecs: np.ndarray,
    dup: dict[str, str | None],
    gold: dict[str, str],
    parts: Sequence[Sequence[int]],
    grids: tuple[Sequence[float], Sequence[float], Sequence[float]] | None,
    C: float,
    worst_day: bool = True,
    train_only: Sequence[int] = (),
    caches: TextCaches | None = None,
) -> tuple[float, float, float]:
    """The (join, merge, core) thresholds with the best worst score over `parts` (`worst_day`; else
    the best mean score), each part streamed with the scorers fitted (`fit_story_models`) on the
    other parts, tuned in the order the fit tunes them: the join threshold on B-cubed F1 with joins alone, then the merge threshold, then
    the core threshold, on the mean of B-cubed and pairwise F1. Chosen on the articles the scorers
    were fitted on, every threshold follows the scorers' in-sample confidence: on the dev days the
    candidate model is surer of its own training day than of the next one, and the tuned core check
    came out weaker than the held-out day needed."""
    join_grid, merge_grid, core_grid = grids if grids is not None else (JOIN_GRID, MERGE_GRID, CORE_GRID)
    held = []
    for k, idx in enumerate(parts):
        rest = sorted({*train_only, *(i for j, other in enumerate(parts) if j != k for i in other)})
        ra, rv, rg = _part(arts, vecs, gold, rest)
        # merge and core thresholds are set by the search below: the fit tunes the join alone
        fitted = fit_story_models(
            ra, rv, dup, rg, C=C, cross=False, grids=grids, join_only=True, caches=caches
        )
        held.append((*_part(arts, vecs, gold, idx), fitted))

    def score_over_parts(set_th: Callable[[StoryModels], None], joins_only: bool = False) -> float:
        scores = []
        for a, v, g, m in held:
            set_th(m)
            if joins_only:
                scores.append(bcubed(stream(a, v, dup, m.model, caches=caches), g)[2])
            else:
                pred = stream(a, v, dup, m.model, m.merge_model, m.pair_model, caches)
                scores.append(_mean_f1(pred, g))
        return min(scores) if worst_day else sum(scores) / len(scores)

    def setter(role: str, th: float) -> Callable[[StoryModels], None]:
        def f(m: StoryModels) -> None:
            scorer = getattr(m, role)
            if scorer is not None:
                scorer.threshold = th

        return f

    join = _best(join_grid, lambda th: score_over_parts(setter("model", th), joins_only=True))
    for _, _, _, m in held:
        m.model.threshold = join
    # the merge threshold with the core check off, as the in-sample fit tunes it
    saved = [m.pair_model for _, _, _, m in held]
    for _, _, _, m in held:
        m.pair_model = None
    merge = _best(merge_grid, lambda th: score_over_parts(setter("merge_model", th)))
    for (_, _, _, m), pm in zip(held, saved, strict=True):
        if m.merge_model is not None:
            m.merge_model.threshold = merge
        m.pair_model = pm
    core = _best(core_grid, lambda th: score_over_parts(setter("pair_model", th)))
    return join, merge, core


def fit_pair_model(
    blocks: Sequence[tuple[np.ndarray, np.ndarray]], C: float = 1.0, trained_on: str = ""
) -> StoryModel | None:
    """The pair scorer on (article, member) rows; None when the rows hold only one kind of pair."""
    X = np.vstack([b[0] for b in blocks])
    y = np.concatenate([b[1] for b in blocks])
    if y.all() or not y.any():
        return None
    model = _fit(X, y, C=C, trained_on=trained_on + "; article-member pairs", features=PAIR_FEATURES)
    model.unbounded_above = ("gap",)  # see StoryModel.unbounded_above
    return model


__all__ = [
    "CORE_GRID",
    "JOIN_GRID",
    "MERGE_GRID",
    "fit_pair_model",
    "StoryModels",
    "TextCaches",
    "candidate_blocks",
    "fit_story_models",
    "stream",
]
