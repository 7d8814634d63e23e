"""What the story clusterer's parts share: a story's running record, the growable rows of the
candidate index, and `_ClustererState`, which declares every attribute `StoryClusterer.__init__`
sets, with its type, so that each part (lexical, index, lifecycle, policy: a chain of classes, each
building on the one before) type-checks against the state it reads."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from ..dedup import TextMemo
from .bursts import TermDays
from .features import _BagArrays
from .places import PlaceLexicon
from .scoring import StoryModel


@dataclass(slots=True)
class _Story:
    id: str
    first: float
    last: float
    count: int = 0
    members: list[str] = field(default_factory=list)
    title: str = ""
    active: bool = True
    bag: dict[int, float] = field(default_factory=dict)
    title_bag: dict[int, float] = field(default_factory=dict)
    numbers: Counter = field(default_factory=Counter)
    sources: Counter = field(default_factory=Counter)
    langs: Counter = field(default_factory=Counter)  # article_language of the members
    # IDF-weighted norms of bag / title_bag, with the document count they were computed at:
    # updated incrementally as articles join, recomputed in full when the collection grew by 5%.
    norms: dict[str, list[float]] = field(default_factory=dict)
    merged_into: str | None = None  # set when this story was merged into an older one
    # related stories: position -> the best merge probability seen between the two (>= related_min)
    near: dict[int, float] = field(default_factory=dict)
    # bag and title_bag as arrays (see _BagArrays), built when first compared; emptied whenever
    # either bag changes
    arrays: dict[str, _BagArrays] = field(default_factory=dict)


class _Rows:
    """A growable float32 matrix with a parallel int64 label per row (capacity doubling)."""

    def __init__(self, dim: int) -> None:
        self.data = np.zeros((64, dim), np.float32)
        self.label = np.zeros(64, np.int64)
        self.n = 0

    def append(self, row: np.ndarray, label: int) -> int:
        if self.n == len(self.data):
            self.data = np.vstack([self.data, np.zeros_like(self.data)])
            self.label = np.concatenate([self.label, np.zeros_like(self.label)])
        self.data[self.n] = row
        self.label[self.n] = label
        self.n += 1
        return self.n - 1

    def keep(self, mask: np.ndarray) -> None:
        idx = np.nonzero(mask[: self.n])[0]
        k = len(idx)
        self.data[:k] = self.data[idx]
        self.label[:k] = self.label[idx]
        self.n = k


class _ClustererState:
    """The clusterer's attributes, declared (annotations only: `StoryClusterer.__init__` sets them;
    see it for what each holds)."""

    # the scorers and the settings
    model: StoryModel
    merge_model: StoryModel | None
    cross_model: StoryModel | None
    cross_merge_model: StoryModel | None
    pair_model: StoryModel | None
    merge_log: list[tuple[int, int, int, int, list[float]]] | None
    pair_log: list[tuple[str, list[str], np.ndarray]] | None
    related_min: float
    merge_core: bool
    anchor_core: bool
    places: PlaceLexicon | None
    dormant_days: float
    late_after_days: float
    late_threshold: float
    late_min_size: int
    late_merges: bool
    k: int
    dim: int
    id_prefix: str
    text_memo: TextMemo | None
    # the stories and the candidate index
    _merged: list[str]
    _linked: set[int]
    _stories: list[_Story]
    _index: dict[str, int]
    _story_of: dict[str, int]
    _sums: np.ndarray
    _centroids: _Rows
    _crow: dict[int, int]
    _members: _Rows
    _member_ids: list[str]
    _member_titles: list[str]
    _member_meta: list[tuple[float, str]]
    _member_grams: list[tuple[_BagArrays, float]]
    _member_bags: list[tuple[dict[int, float], dict[int, float], float, float]]
    _member_arrays: list[tuple[_BagArrays, _BagArrays] | None]
    _member_terms: list[np.ndarray | None]
    _term_days: TermDays
    _burst_for: tuple[str, np.ndarray, np.ndarray] | None
    # document frequencies, the clock and the per-article caches
    _gdf: np.ndarray
    _gram_cache: dict[str, list[int]]
    _gram_weights: np.ndarray | None
    _gram_for: tuple[str, np.ndarray] | None
    _gram_norm_now: float
    _df: np.ndarray
    _ndocs: int
    _now: float
    _last_sweep: float
    _retired: int
    _term_cache: dict[str, int]
    _idf_cache: dict[int, float]
    _slot: np.ndarray | None
    _lex_dots: dict[tuple[str, int], float]
