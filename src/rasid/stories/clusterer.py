"""Streaming story clustering: one article at a time, in time order.

For each article the clusterer finds candidate stories among the *active* ones (dormant stories
have left the index): the nearest story centroids and the stories of the nearest member articles,
both by inner product of L2-normalised vectors (a BLAS matrix-vector product over the active rows,
the same computation as a faiss IndexFlatIP, without faiss's costly in-place updates of centroids),
plus the story of the article's near-duplicate, if any. Each candidate gets a few signals —
embedding similarity to the centroid and to the best member, TF-IDF cosine of title+lead stems and
of titles, shared rare tokens and shared numbers, time since the story was last/first seen, story
size, the duplicate link, how often the source already reported it (time enters through dormancy:
the dev labels' crawl times carry no usable within-day signal, and a time-gap feature fitted on one
day extrapolated badly to stories that span days) — combined by a small logistic
regression trained on the SaudiNewsNet dev labels (`data/story_model.json`, plain JSON: no pickle).
The best candidate is joined when its probability passes the model's threshold; otherwise the
article starts a new story.

Stories keep running totals (vector sum, count, first/last time, term counts) so nothing is ever
rescanned. Story ids are sequential ("s000001", ...) in order of creation, so they are stable: a
later article never renumbers an earlier story, and a continued run (`from_bytes`) keeps counting.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np

from ..dedup import TextMemo
from ..model import Article
from . import state
from .base import _Rows
from .bursts import Background, TermDays
from .features import _BUCKETS, _no_common_language, article_view, counted_terms
from .places import PlaceLexicon
from .policy import _Policy
from .scoring import StoryModel


class StoryClusterer(_Policy):
    """Assigns each article to a story, streaming; see the module docstring.

    model: the candidate scorer (default: the shipped `data/story_model.json`).
    dormant_days: a story not updated for this long leaves the candidate index (settings.story_dormant_days).
    late_after_days, late_threshold, late_min_size: see `_join_threshold` (settings.story_late_*).
    late_merges: whether such a late story may merge with another (settings.story_late_merges; see
        `_maybe_merge`).
    candidates: how many nearest centroids and nearest members to consider.
    pair_model, core: the core-linkage check of a join (`_core_ok`; core=False: none).
    merge_core: the same check between two stories before a merge (`_merge_core_ok`).
    anchor_core: a late story (`_is_late`) larger than MEMBER_WINDOW also checks a join against its
        first ANCHORS members (`_core_ok`).
    place_merges, places: two stories whose headlines name places, none in common, do not merge
        (`_places_agree`); `places` is the lexicon (default: the shipped `data/story_places.txt`).
    """

    def __init__(
        self,
        model: StoryModel | None = None,
        dormant_days: float = 3.0,
        candidates: int = 8,
        dim: int = 512,
        id_prefix: str = "s",
        merge_model: StoryModel | None = None,
        merges: bool = True,
        late_after_days: float = 3.0,
        late_threshold: float = 0.9,
        late_min_size: int = 8,
        late_merges: bool = False,
        cross_model: StoryModel | None = None,
        cross_merge_model: StoryModel | None = None,
        related_min: float = 0.2,
        pair_model: StoryModel | None = None,
        core: bool = True,
        merge_core: bool = True,
        anchor_core: bool = True,
        background: Background | None = None,
        place_merges: bool = True,
        places: PlaceLexicon | None = None,
    ) -> None:
        self.model = model if model is not None else StoryModel.load()
        self.merge_model = (
            (merge_model if merge_model is not None else StoryModel.load_merge()) if merges else None
        )
        self.cross_model = cross_model if cross_model is not None else StoryModel.load_cross()
        self.cross_merge_model = (
            (cross_merge_model if cross_merge_model is not None else StoryModel.load_cross_merge())
            if merges
            else None
        )
        self.merge_log = None  # training hook
        self._merged = []  # ids retired by a merge since the last take_merged()
        self.related_min = related_min
        # The core-linkage check (see `_core_ok`): None leaves joining to the candidate model alone.
        self.pair_model = (pair_model if pair_model is not None else StoryModel.load_pair()) if core else None
        self.pair_log = None  # training hook
        self.merge_core = (
            merge_core  # the same check between two stories before they merge (`_merge_core_ok`)
        )
        self.anchor_core = anchor_core  # a large story's first members in the join's core check too
        # the headlines' places before a merge (`_places_agree`); None: no such check
        self.places = (places if places is not None else PlaceLexicon.load()) if place_merges else None
        self._linked = set()  # stories whose related stories changed since take_linked()
        self.dormant_days = dormant_days
        self.late_after_days = late_after_days
        self.late_threshold = late_threshold
        self.late_min_size = late_min_size
        self.late_merges = late_merges
        self.k = candidates
        self.dim = dim
        self.id_prefix = id_prefix
        self._stories = []
        self._index = {}  # story id -> position in _stories
        self._story_of = {}  # article id -> story position
        self._sums = np.zeros((64, dim), np.float32)  # vector sum per story position
        self._centroids = _Rows(dim)  # active stories: normalised centroid, label = story position
        self._crow = {}  # story position -> row in _centroids
        self._members = _Rows(dim)  # active stories' member vectors, label = story position
        self._member_ids = []  # parallel to _members rows
        self._member_titles = []
        self._member_meta = []  # (day, source), parallel to _members rows
        # each member's lead n-grams (keys, sublinear counts) and their IDF norm at arrival
        self._member_grams = []
        self._gdf = np.zeros(_BUCKETS, np.uint32)  # document frequency of each n-gram bucket
        self._gram_cache = {}
        self._gram_weights = None  # one article's count * idf^2 by bucket
        self._gram_for = None  # whose weights those are, and their keys
        self._gram_norm_now = 0.0
        # (body bag, title bag, their IDF norms at arrival), parallel to _members rows
        self._member_bags = []
        # the same bags as arrays (body, title), built when first compared; parallel to _members rows
        self._member_arrays = []
        # the distinct term keys (title and body) of each member, sorted; built when first compared
        self._member_terms = []
        # daily term counts and the background: how bursty a term is now (`bursts.TermDays`)
        self._term_days = TermDays(background)
        self._burst_for = None  # (article id, its sorted term keys, their burst weights)
        self._df = np.zeros(_BUCKETS, np.uint32)
        self._ndocs = 0
        self._now = -math.inf
        self._last_sweep = -math.inf
        self._retired = 0  # member rows out of the window, awaiting compaction
        self._term_cache = {}  # token -> bag key (see article_view)
        # Set it to the deduper's `text_memo` when both read the same articles in turn (the stories
        # stage): the body is then normalised and tokenised once for both.
        self.text_memo = None
        self._idf_cache = {}  # bag key -> IDF at the current document count
        self._slot = None  # bag key -> index among the article's terms (-1: none)
        self._lex_dots = {}  # this article's dot products (_candidates)

    # -- public ------------------------------------------------------------------------------
    def assign(self, article: Article, vector: np.ndarray, duplicate_of: str | None = None) -> str:
        """The story id of `article` (joining the best candidate story, or a new one)."""
        if article.id in self._story_of:
            return self._stories[self._story_of[article.id]].id
        view, vec = self._prepare(article, vector)
        positions, X = self._candidates(view, vec, duplicate_of)
        target = None
        if len(positions):
            p = self.model.proba(X)
            need = np.array([self._join_threshold(q) for q in positions])
            cross: list[int] = []
            if self.cross_model is not None and view.lang:
                # a story with no article in this article's language: its words cannot match, so the
                # candidate is scored by the model fitted without the lexical signals
                cross = [
                    i
                    for i, q in enumerate(positions)
                    if _no_common_language({view.lang}, self._stories[q].langs)
                ]
                if cross:
                    p[cross] = self.cross_model.proba(X[cross])
                    need[cross] = np.maximum(need[cross], self.cross_model.threshold)
            ok = np.nonzero(p >= need)[0]
            dup_pos = self._story_of.get(duplicate_of) if duplicate_of else None
            # the core check reads lexical signals too: a story with no language in common is left
            # to the cross-language scorer (as a merge of two such stories is, `_maybe_merge`)
            for j in ok[np.argsort(-p[ok], kind="stable")].tolist():
                q = positions[j]
                if q == dup_pos or j in cross or self._core_ok(q, view, vec):
                    target = q
                    break
        sid = self._add(view, vec, target)
        if len(positions) > 1 and (self.merge_model is not None or self.merge_log is not None):
            sid = self._maybe_merge(self._index[sid], positions, fresh=target is None)
        return sid

    def take_merged(self) -> dict[str, str]:
        """Stories merged away since the last call: {gone id: id of the story that absorbed it}.

        A merge keeps the older story's id, so ids stay stable; the younger id is retired and its
        articles now belong to the older story (a caller that stored them must move them).
        """
        gone, self._merged = self._merged, []
        return {g: self.merged_into(g) or g for g in gone}

    def merged_into(self, story_id: str) -> str | None:
        """The story a retired id was merged into (following chains), or None if it is live."""
        s = self._stories[self._index[story_id]]
        seen = 0
        while s.merged_into is not None and seen < 1000:
            s = self._stories[self._index[s.merged_into]]
            seen += 1
        return s.id if s.id != story_id else None

    def share_caches(self, terms: dict[str, int], grams: dict[str, list[int]], texts: TextMemo) -> None:
        """Read words and texts through caches shared with other clusterers (a word's bag key, its
        character n-grams, a body's tokens). Each is a pure function of its key, so the decisions are
        those of a clusterer with its own; a fit that streams the same articles many times reads
        each text once."""
        self._term_cache, self._gram_cache, self.text_memo = terms, grams, texts

    def prime(self, articles: Iterable[Article]) -> int:
        """Count document frequencies from articles without clustering them; returns how many.

        Lexical signals weight terms by inverse document frequency, which a fresh stream does not
        know yet; priming with earlier articles (the store's history, any Arabic news sample) gives
        rare names their weight from the first article on. Dated articles also count in the daily
        term counts (`bursts.TermDays`): feed them in time order.
        """
        n = 0
        for a in articles:
            view = article_view(a, math.nan, term_cache=self._term_cache)
            ka = counted_terms(view)
            self._ndocs += 1
            if len(ka):
                self._df[ka] += 1
                if math.isfinite(view.day):
                    self._term_days.add(view.day, ka)
            n += 1
        self._idf_cache = {}
        return n

    def observe(
        self,
        article: Article,
        vector: np.ndarray,
        label: str,
        duplicate_of: str | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Training step (teacher forcing): features of the candidates, which of them carry `label`,
        then add the article to the story of `label` (a new one the first time it is seen)."""
        if not hasattr(self, "_label_pos"):
            self._label_pos: dict[str, int] = {}
        view, vec = self._prepare(article, vector)
        positions, X = self._candidates(view, vec, duplicate_of)
        pos_label = {p: lab for lab, p in self._label_pos.items()}
        y = np.array([pos_label.get(p) == label for p in positions], dtype=bool)
        if self.pair_log is not None:
            for p in positions:
                rows, X_pair = self._core_rows(p, view, vec)
                if len(rows):
                    self.pair_log.append((article.id, [self._member_ids[r] for r in rows], X_pair))
        target = self._label_pos.get(label)
        if target is not None and not self._stories[target].active:
            self._revive(target)
        sid = self._add(view, vec, target)
        self._label_pos[label] = self._index[sid]
        return X, y

    def story_of(self, article_id: str) -> str | None:
        pos = self._story_of.get(article_id)
        return None if pos is None else self._stories[pos].id

    def members(self, story_id: str) -> list[str]:
        return list(self._stories[self._index[story_id]].members)

    def story_ids(self) -> list[str]:
        return [s.id for s in self._stories]

    def is_active(self, story_id: str) -> bool:
        return self._stories[self._index[story_id]].active

    def story_span(self, story_id: str) -> tuple[float, float]:
        """First and last time (days since the epoch) of the story's articles."""
        s = self._stories[self._index[story_id]]
        return s.first, s.last

    def story_title(self, story_id: str) -> str:
        """Title of the member closest to the story centroid (while active; frozen once dormant)."""
        pos = self._index[story_id]
        s = self._stories[pos]
        if s.active:
            self._refresh_title(pos)
        return s.title

    def __len__(self) -> int:
        return len(self._stories)

    def related(self, story_id: str, k: int = 5) -> list[tuple[str, float]]:
        """The `k` stories most related to `story_id` (a live one), best first, with the merge
        probability that links them; [] for a story merged away."""
        s = self._stories[self._index[story_id]]
        if s.merged_into is not None:
            return []
        ranked = sorted(s.near.items(), key=lambda t: (-t[1], t[0]))[:k]
        return [(self._stories[q].id, round(p, 4)) for q, p in ranked]

    def take_linked(self, k: int = 5) -> dict[str, list[tuple[str, float]]]:
        """Stories whose related stories changed since the last call, with `related(id, k)` for
        each ([] for a story merged away), for a caller that stores them."""
        changed, self._linked = self._linked, set()
        return {self._stories[p].id: self.related(self._stories[p].id, k) for p in sorted(changed)}

    # -- persistence -------------------------------------------------------------------------
    def to_bytes(self) -> bytes:
        """The whole state as a zip of JSON and .npy arrays (no pickle); see `from_bytes`."""
        return state.to_bytes(self)

    @classmethod
    def from_bytes(cls, data: bytes, model: StoryModel | None = None) -> StoryClusterer:
        """Continue from a saved state; `model` overrides the saved model (default: the saved one)."""
        return state.from_bytes(cls, data, model)
