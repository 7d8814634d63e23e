"""The burst signals of the story pair scorer (`rasid.stories.bursts`): the daily term counts and,
on real text, that they tell reports of one happening from the next report of a running topic
better than the running IDF does."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from rasid.dedup import day_number
from rasid.eval.stories import load_saudinewsnet, read_gold
from rasid.stories.bursts import (
    ROUTINE_DAY_MIN,
    ROUTINE_MIN,
    WINDOW_REACH_DAYS,
    Background,
    TermDays,
    burst_pairs,
)
from rasid.stories.features import _BUCKETS
from rasid_training.background import article_terms, build_background


def test_days_roll_from_window_to_history() -> None:
    td = TermDays(Background.empty())
    k = np.array([5, 7])
    for i in range(ROUTINE_DAY_MIN):
        td.add(100.2, k if i == 0 else k[:1])
    assert (td.cur_n, td.cur[5], td.cur[7]) == (ROUTINE_DAY_MIN, ROUTINE_DAY_MIN, 1.0)
    td.add(101.1, k)  # the next day: 100 becomes the previous day
    assert (td.prev_n, td.cur_n, td.prev[5], td.hist_n) == (ROUTINE_DAY_MIN, 1, ROUTINE_DAY_MIN, 0)
    td.add(100.5, k[:1])  # a late report of the previous day counts there
    assert td.prev[5] == ROUTINE_DAY_MIN + 1
    td.add(105.0, k)  # four days on: both 100 and 101 have left the window
    assert (td.hist_n, td.prev_n, td.cur_n) == (ROUTINE_DAY_MIN + 2, 0, 1)
    # day 100 is a day of the news for routine terms; day 101, with one report, is not
    assert td.hist_days == 1 and td.hist_present[5] == 1 and td.hist_present[7] == 0
    td.add(90.0, k)  # far older: history
    assert td.hist_n == ROUTINE_DAY_MIN + 3


def test_days_without_reports_do_not_age_the_news() -> None:
    """A pause in the feed (no report on day 11) leaves day 10 in the window on day 12: a term both
    days' reports share is news of the moment there. After a pause longer than WINDOW_REACH_DAYS
    the last day with reports is history, as a day two days back is in a feed with no pause."""
    k = np.array([1, 2])
    for gap, in_window in ((2, True), (WINDOW_REACH_DAYS, True), (WINDOW_REACH_DAYS + 1, False)):
        td = TermDays(Background.empty())
        td.add(10.3, k)
        td.add(10.0 + gap, k[:1])
        assert (td.prev_n, td.hist_n) == ((1, 0) if in_window else (0, 1)), gap
        w, _ = td.weights(k[:1], np.ones(1))
        assert (w[0] > 0.0) == in_window, gap
        td.add(10.0 + gap - 1, k)  # a late report of the day between: in the window when day 10 is
        assert td.prev_n == (2 if in_window else 1), gap
        back = TermDays(Background.empty())  # a saved state keeps where the window reaches
        back.restore(td.meta(), td.arrays())
        back.add(10.5, k)
        assert back.prev_n == (3 if in_window else 1), gap
    dense = TermDays(Background.empty())  # no pause: day 10 leaves the window two days on
    for d in (10.3, 11.2, 12.0):
        dense.add(d, k)
    assert (dense.hist_n, dense.prev_n, dense.cur_n) == (1, 1, 1)


def test_a_word_no_other_recent_report_uses_is_no_news_of_the_moment() -> None:
    td = TermDays(Background.empty())
    td.add(10.0, np.array([1, 2]))
    td.add(10.5, np.array([1, 3]))
    w, _ = td.weights(np.array([1, 2, 3]), np.ones(3))
    assert w[0] > 1.0 and w[1] == 0.0 and w[2] == 0.0


def test_a_term_of_the_moment_weighs_and_a_routine_one_does_not() -> None:
    bg = Background.empty()
    bg.rate[1] = 0.2  # in a fifth of every day's reports
    bg.routine[1] = 1.0
    bg.rate[2] = 0.0001  # rare in the background
    td = TermDays(bg)
    for i in range(300):  # term 1 at its background rate, term 2 in 60 reports of the moment
        td.add(50.0, np.array([k for k, on in ((1, i % 5 == 0), (2, i < 60)) if on], np.int64))
    w, routine = td.weights(np.array([1, 2]), np.ones(2))
    assert w[0] == pytest.approx(0.0, abs=0.01) and w[1] > 2.0
    assert routine.tolist() == [1.0, 0.0] and ROUTINE_MIN <= 1.0


def test_burst_pairs_cosine_and_routine_share() -> None:
    keys = np.array([1, 2, 3])

    def weigh(k: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return np.full(len(k), 2.0), np.where(k == 1, 0.0, 1.0), (k == 1).astype(float)

    cos, share = burst_pairs(
        keys, weigh(keys)[1], [np.array([1, 2, 3]), np.array([1, 9]), np.zeros(0, np.int64)], weigh
    )
    assert cos[0] == pytest.approx(1.0) and cos[1] == 0.0 and cos[2] == 0.0
    assert share[0] == pytest.approx(1 / 3) and share[1] == pytest.approx(1.0) and share[2] == 0.0


def test_the_shipped_background_loads_and_round_trips() -> None:
    bg = Background.load()
    assert (bg.rate > 0).sum() > 10_000 and (bg.routine >= ROUTINE_MIN).sum() > 1_000
    again = Background.from_bytes(bg.to_bytes())
    assert np.allclose(again.rate, bg.rate) and np.allclose(again.routine, bg.routine, atol=1e-3)


def _auc(pos: list[float], neg: list[float]) -> float:
    p, n = np.array(pos), np.array(neg)
    return float(
        ((p[:, None] > n[None, :]).sum() + 0.5 * (p[:, None] == n[None, :]).sum()) / (len(p) * len(n))
    )


def test_on_real_days_bursts_rank_one_happening_above_the_next_report_of_a_topic(shared: Path) -> None:
    """08-02's reports against 08-01's, on pairs sharing a good part of their weighted words (where
    the running topics sit): the burst cosine ranks the pairs of one gold event above the others
    better than the IDF cosine of the same term sets."""
    data = shared / "data"
    gold = {}
    for d in ("2015-08-01", "2015-08-02"):
        gold.update(
            {r["url"]: r["event"] for r in read_gold(data / "saudinewsnet-events" / f"dev-{d}.jsonl")}
        )
    arts = [
        a
        for d in ("2015-08-01", "2015-08-02")
        for a in load_saudinewsnet([data / "saudinewsnet" / f"{d}.zip"])
    ]
    arts = sorted((a for a in arts if a.id in gold and a.published), key=lambda a: (a.published, a.id))
    bg = build_background(load_saudinewsnet([data / "saudinewsnet" / "2015-07-27.zip"]))
    td = TermDays(bg)
    df = np.zeros(_BUCKETS)
    cache: dict[str, int] = {}
    terms = []
    for a in arts:
        k = np.sort(article_terms(a, cache))
        terms.append(k)
        df[k] += 1
        td.add(day_number(a.published) or 0.0, k)
    n = len(arts)

    def weigh(k: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        idf = np.log((1 + n) / (1 + df[k])) + 1
        w, r = td.weights(k, idf)
        return idf, w, r

    day = [math.floor(day_number(a.published) or 0.0) for a in arts]
    first = min(day)
    old = [i for i in range(n) if day[i] == first]
    new = [i for i in range(n) if day[i] > first]
    rng = np.random.default_rng(0)
    pos_b, neg_b, pos_i, neg_i = [], [], [], []
    for i in rng.choice(new, size=min(400, len(new)), replace=False).tolist():
        idf_i = weigh(terms[i])[0]
        icos, _ = burst_pairs(
            terms[i], idf_i, [terms[j] for j in old], lambda k: (weigh(k)[0],) * 2 + (weigh(k)[2],)
        )
        bcos, _ = burst_pairs(terms[i], weigh(terms[i])[1], [terms[j] for j in old], weigh)
        for j, ic, bc in zip(old, icos.tolist(), bcos.tolist(), strict=True):
            if ic < 0.15:
                continue
            same = gold[arts[i].id] == gold[arts[j].id]
            (pos_b if same else neg_b).append(bc)
            (pos_i if same else neg_i).append(ic)
    assert len(pos_b) >= 30 and len(neg_b) >= 50, (len(pos_b), len(neg_b))
    assert _auc(pos_b, neg_b) > _auc(pos_i, neg_i) + 0.05, (
        _auc(pos_b, neg_b),
        _auc(pos_i, neg_i),
        len(pos_b),
        len(neg_b),
    )


def test_a_state_saved_before_the_burst_signals_loads_with_the_shipped_scorers(shared: Path) -> None:
    """A store checkpointed by the previous version (scorers over fewer signals, no daily term
    counts) continues with the shipped scorers instead of failing to load."""
    import json

    from rasid.dedup import _unzip_state, _zip_state
    from rasid.stories import StoryClusterer, StoryModel
    from rasid.stories.scoring import PAIR_FEATURES

    arts = load_saudinewsnet([shared / "data" / "saudinewsnet" / "2015-08-01.zip"])[:40]
    rng = np.random.default_rng(1)
    cl = StoryClusterer()
    for a in arts:
        cl.assign(a, rng.normal(size=512).astype(np.float32))
    meta, arrays = _unzip_state(cl.to_bytes())
    old = json.loads(json.dumps(meta["pair_model"]))
    keep = len(PAIR_FEATURES) - 2
    for k in ("features", "mean", "scale", "coef", "lo", "hi"):
        old[k] = old[k][:keep]
    meta["pair_model"] = old
    del meta["term_days"]
    for k in [k for k in arrays if k.startswith("td_")]:
        del arrays[k]
    back = StoryClusterer.from_bytes(_zip_state(meta, arrays))
    shipped = StoryModel.load_pair()
    assert back.pair_model is not None and shipped is not None
    assert back.pair_model.coef == shipped.coef
    assert back._term_days.cur_n == 0 and back.story_of(arts[0].id) == cl.story_of(arts[0].id)
    back.assign(arts[0], rng.normal(size=512).astype(np.float32))  # an article already placed
    later = load_saudinewsnet([shared / "data" / "saudinewsnet" / "2015-08-02.zip"])[:5]
    for a in later:
        assert back.assign(a, rng.normal(size=512).astype(np.float32))
