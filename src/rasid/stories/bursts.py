"""How much of what two reports share is news of the moment: each term's rate in the last two days
of the stream with reports (today and the last earlier day with any) against its background rate,
and whether it is routine (in the news every day).

Two reports of one happening share the words that happening brought into the news (a place, a
name, an unusual noun), which are far more frequent in the last two days than in the background.
Two reports of a running topic (each day's market session, each day's weather bulletin, each
regional committee's announcement) share mostly the topic's routine words, which are as frequent
every day. The running IDF sees neither: it weighs a term by how rare it is in the whole stream, so
it even lowers the words a happening makes frequent.

The background is the stream's own history (the days that have left the two-day window) shrunk
towards a prior shipped with the package (`data/story_background.npz`, built by
`rasid_training.background` from days of news before any labelled day), so a fresh store has one
from its first article and a long-running one follows its own outlets.
"""

from __future__ import annotations

import io
import math
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np

from .features import _BUCKETS

BACKGROUND_FILE = "story_background.npz"
_EPS = 1e-3  # rate added to both sides of the burst ratio (a term absent from both is not bursty)
WINDOW_PRIOR = 200.0  # articles' worth of background rate the window's rate is shrunk towards
HISTORY_PRIOR = 5000.0  # articles the shipped background counts for against the stream's history
ROUTINE_PRIOR_DAYS = 7.0  # days the shipped routine shares count for against the history's days
ROUTINE_MIN = 0.85  # share of days a term appears on (in two articles or more) to count as routine
# a day of the stream's history counts towards routine terms only with this many articles (a feed
# of a few reports a day has no day-by-day picture of the news; the shipped background stands in)
ROUTINE_DAY_MIN = 200
# A day without reports (a feed's pause, an outlet's day off, a gap in an archive) does not age the
# news: the window's previous day is the last earlier day with reports when it lies at most this
# many days back (the default `story_dormant_days`: how long a story without reports stays a
# candidate); further back, it is history.
WINDOW_REACH_DAYS = 3


@dataclass(slots=True)
class Background:
    """Per-bucket background: the mean daily rate (document frequency / articles of the day) and the
    share of days on which the term appeared in two articles or more."""

    rate: np.ndarray  # float32, _BUCKETS
    routine: np.ndarray  # float32, _BUCKETS

    @classmethod
    def empty(cls) -> Background:
        return cls(np.zeros(_BUCKETS, np.float32), np.zeros(_BUCKETS, np.float32))

    @classmethod
    def load(cls, path: str | Path | None = None) -> Background:
        """The background at `path`, or the shipped one (empty when the package has none)."""
        if path is None:
            f = resources.files("rasid").joinpath(f"data/{BACKGROUND_FILE}")
            if not f.is_file():
                return cls.empty()
            data = f.read_bytes()
        else:
            data = Path(path).read_bytes()
        return cls.from_bytes(data)

    @classmethod
    def from_bytes(cls, data: bytes) -> Background:
        with np.load(io.BytesIO(data), allow_pickle=False) as z:
            keys = z["keys"].astype(np.int64)
            out = cls.empty()
            out.rate[keys] = z["rate"]
            out.routine[keys] = z["routine"]
        return out

    def to_bytes(self) -> bytes:
        keys = np.nonzero((self.rate > 0) | (self.routine > 0))[0].astype(np.int32)
        buf = io.BytesIO()
        np.savez_compressed(
            buf,
            keys=keys,
            rate=self.rate[keys].astype(np.float32),
            routine=self.routine[keys].astype(np.float16),
        )
        return buf.getvalue()


class TermDays:
    """Per-bucket document counts of the current and the previous day with reports (the window; see
    WINDOW_REACH_DAYS) and of the days before them (the history), with the background prior; see
    the module docstring."""

    def __init__(self, background: Background | None = None) -> None:
        self.background = background if background is not None else Background.load()
        self.day: int | None = None
        self.prev_day: int | None = None  # the day `prev` counts (the last earlier day with reports)
        self.cur = np.zeros(_BUCKETS, np.float32)
        self.prev = np.zeros(_BUCKETS, np.float32)
        self.cur_n = 0
        self.prev_n = 0
        self.hist = np.zeros(_BUCKETS, np.float32)
        self.hist_n = 0
        self.hist_days = 0
        self.hist_present = np.zeros(_BUCKETS, np.uint16)  # history days with the term in 2+ articles

    def add(self, day: float, keys: np.ndarray) -> None:
        """Count one article of calendar day `day` holding the terms `keys` (distinct bucket keys)."""
        d = math.floor(day)
        if self.day is None:
            self.day, self.prev_day = d, d - 1
        if d > self.day:
            self._roll(d)
        assert self.prev_day is not None
        if d == self.day:
            self.cur[keys] += 1.0
            self.cur_n += 1
        elif d >= self.prev_day:  # the previous day with reports, or a day between it and today
            self.prev[keys] += 1.0
            self.prev_n += 1
        else:  # a late report of an older day: history
            self.hist[keys] += 1.0
            self.hist_n += 1

    def _roll(self, d: int) -> None:
        assert self.day is not None
        near = d - self.day <= WINDOW_REACH_DAYS
        for _ in range(1 if near else 2):
            if self.prev_n:
                self.hist += self.prev
                self.hist_n += self.prev_n
            if self.prev_n >= ROUTINE_DAY_MIN:
                self.hist_days += 1
                self.hist_present += (self.prev >= 2).astype(np.uint16)
            self.prev, self.prev_n = self.cur, self.cur_n
            self.cur, self.cur_n = np.zeros(_BUCKETS, np.float32), 0
        self.prev_day = self.day if near else d - 1
        self.day = d

    def weights(self, keys: np.ndarray, idf: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """For terms `keys` of one report in the window, with their IDF: the burst weight (IDF times
        the log ratio of the window's rate to the background's, floored at zero) and whether each is
        routine (0 / 1). The window's rate leaves the report itself out: a word no other report of
        the last two days uses is no news of the moment, however rare (in a quiet stream of a few
        reports, every rare word would otherwise burst and swamp the few the reports share)."""
        bg = self.background
        base = (self.hist[keys] + HISTORY_PRIOR * bg.rate[keys]) / (self.hist_n + HISTORY_PRIOR)
        others = np.maximum(self.cur[keys] + self.prev[keys] - 1.0, 0.0)
        n = max(self.cur_n + self.prev_n - 1, 0)
        q = (others + WINDOW_PRIOR * base) / (n + WINDOW_PRIOR)
        burst = np.maximum(0.0, np.log((q + _EPS) / (base + _EPS)))
        share = (self.hist_present[keys] + ROUTINE_PRIOR_DAYS * bg.routine[keys]) / (
            self.hist_days + ROUTINE_PRIOR_DAYS
        )
        return idf * burst, (share >= ROUTINE_MIN).astype(np.float64)

    def arrays(self) -> dict[str, np.ndarray]:
        """The counts, for a saved state (the background is not saved: the package's is used)."""
        return {
            "td_cur": self.cur,
            "td_prev": self.prev,
            "td_hist": self.hist,
            "td_hist_present": self.hist_present,
        }

    def meta(self) -> dict[str, int | None]:
        return {
            "day": self.day,
            "prev_day": self.prev_day,
            "cur_n": self.cur_n,
            "prev_n": self.prev_n,
            "hist_n": self.hist_n,
            "hist_days": self.hist_days,
        }

    def restore(self, meta: dict, arrays: dict[str, np.ndarray]) -> None:
        self.day = meta["day"]
        # a state saved before the window reached past empty days: its previous day is the day before
        self.prev_day = meta.get("prev_day", None if self.day is None else self.day - 1)
        self.cur_n, self.prev_n = int(meta["cur_n"]), int(meta["prev_n"])
        self.hist_n, self.hist_days = int(meta["hist_n"]), int(meta["hist_days"])
        self.cur = arrays["td_cur"].astype(np.float32)
        self.prev = arrays["td_prev"].astype(np.float32)
        self.hist = arrays["td_hist"].astype(np.float32)
        self.hist_present = arrays["td_hist_present"].astype(np.uint16)


Weigh = Callable[[np.ndarray], tuple[np.ndarray, np.ndarray, np.ndarray]]


def burst_pairs(
    a_keys: np.ndarray, a_w: np.ndarray, members: list[np.ndarray], weigh: Weigh, covered: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """(burst cosine, routine share) of one article's term set with each member's. `a_keys`: the
    article's distinct bucket keys, ascending; `a_w` their burst weights; `members`: each member's
    distinct keys; `weigh(keys) -> (idf, burst weight, routine)` for any keys at the current counts.

    burst cosine: the cosine of the two term sets weighted by burst weight (0 when either has none);
    with `covered`, the share of the article's burst weight (squared) on terms the member holds;
    routine share: the share of the IDF of the shared terms carried by routine terms (0: none shared)."""
    n = len(members)
    out_cos, out_share = np.zeros(n), np.zeros(n)
    if not n or not len(a_keys):
        return out_cos, out_share
    lens = np.fromiter((len(m) for m in members), np.int64, n)
    if not lens.sum():
        return out_cos, out_share
    cat = np.concatenate(members).astype(np.int64)
    seg = np.repeat(np.arange(n), lens)
    idf, w, routine = weigh(cat)
    m_norm = np.sqrt(np.bincount(seg, w * w, minlength=n))
    a_norm = math.sqrt(float(a_w @ a_w))
    pos = np.minimum(np.searchsorted(a_keys, cat), len(a_keys) - 1)
    hit = a_keys[pos] == cat
    hs = seg[hit]
    dot = np.bincount(hs, w[hit] * w[hit], minlength=n)
    tot = np.bincount(hs, idf[hit], minlength=n)
    rt = np.bincount(hs, idf[hit] * routine[hit], minlength=n)
    ok = (m_norm > 0) & (a_norm > 0)
    out_cos[ok] = dot[ok] / (a_norm * a_norm if covered else m_norm[ok] * a_norm)
    has = tot > 0
    out_share[has] = rt[has] / tot[has]
    return out_cos, out_share
