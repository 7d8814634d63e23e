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

import json
import math
import re
import zlib
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import numpy as np

from .dedup import TextMemo, _unzip_state, _zip_state, day_number, memo_map
from .model import Article
from .text.normalize import arabic_ratio, light_stem, tokens

FEATURES = (
    "cos_centroid",
    "cos_best",
    "gap_centroid",
    "gap_best",
    "lex",
    "lex_title",
    "rare_shared",
    "num_shared",
    "log_size",
    "dup",
    "same_source",
    "mlex_body",
    "mlex_title",
)
# The signals that do not compare words: they hold between an article and a story in different
# languages, where the lexical ones are zero whatever the two report.
LANG_FREE = ("cos_centroid", "cos_best", "gap_centroid", "gap_best", "num_shared", "log_size", "dup", "same_source")
# The merge signals that do not compare words (two stories in different languages).
MERGE_LANG_FREE = ("cos_centroid", "cos_best_pair", "num_shared", "log_size_min", "log_size_max", "gap_days",
                   "source_overlap")
# Signals for merging two active stories (a fragment and the story it belongs with).
MERGE_FEATURES = (
    "cos_centroid",
    "cos_best_pair",
    "lex",
    "lex_title",
    "num_shared",
    "log_size_min",
    "log_size_max",
    "gap_days",
    "source_overlap",
    "mlex_body",
)
# Signals of one article and one member of a candidate story (the core-linkage check in `assign`).
PAIR_FEATURES = (
    "use",
    "body",
    "title",
    "lead",
    "gap",
    "same_day",
    "same_source",
    "use_same_day",
    "body_same_day",
)
_BUCKETS = 1 << 20
# A story's pooled term bag keeps at most this many terms (the heaviest): a story that runs for
# weeks (the daily weather, the stock market) would otherwise grow without bound and every
# comparison with it would slow down as the archive grows.
BAG_CAP = 3000
_PAIR_MEMBERS = 32
# The candidate index holds a story's most recent MEMBER_WINDOW articles, and a story larger than
# that is represented by their centroid: a long-running story follows its latest developments
# instead of averaging into a generic "news of the day" vector that attracts everything, and the
# cost of a search stays bounded however long a story runs.
MEMBER_WINDOW = 24
_NUMBER = re.compile(r"^\d")
_GRAMS = (3, 4, 5)  # character n-gram sizes of the lead signal (within words, padded by a space)
LEX_CHARS = 400


# the files of the four scorers a StoryClusterer uses, by its keyword argument (in `rasid/data/`,
# and in a folder named by the `story_models` setting)
MODEL_FILES = {"model": "story_model.json", "merge_model": "story_merge.json",
               "cross_model": "story_model_xling.json", "cross_merge_model": "story_merge_xling.json",
               "pair_model": "story_pair.json"}


@dataclass(slots=True)
class StoryModel:
    """A logistic regression over standardised FEATURES, with its decision threshold."""

    features: list[str]
    mean: list[float]
    scale: list[float]
    coef: list[float]
    intercept: float
    threshold: float = 0.5
    trained_on: str = ""
    # The range of each feature in the training rows: inputs are clipped to it, so a linear model
    # never extrapolates (one day of labels has no 500-article story; left unclipped, the size term
    # alone made a story that large swallow every royal-news article of the archive).
    lo: list[float] | None = None
    hi: list[float] | None = None

    def proba(self, X: np.ndarray) -> np.ndarray:
        if self.lo is not None and self.hi is not None:
            X = np.clip(X, np.asarray(self.lo), np.asarray(self.hi))
        z = (X - np.asarray(self.mean)) / np.asarray(self.scale)
        return 1.0 / (1.0 + np.exp(-(z @ np.asarray(self.coef) + self.intercept)))

    def to_json(self) -> str:
        return json.dumps(
            {"features": self.features, "mean": self.mean, "scale": self.scale, "coef": self.coef,
             "intercept": self.intercept, "threshold": self.threshold, "trained_on": self.trained_on,
             "lo": self.lo, "hi": self.hi},
            indent=1,
        )

    @classmethod
    def from_json(cls, text: str, expect: tuple[str, ...] = FEATURES) -> StoryModel:
        d = json.loads(text)
        if list(d["features"]) != list(expect):
            raise ValueError(f"story model features {d['features']} do not match this code's {list(expect)}")
        return cls(**d)

    @classmethod
    def _load(cls, name: str, path: str | Path | None, expect: tuple[str, ...]) -> StoryModel | None:
        """The model at `path`, or the shipped `rasid/data/<name>` (None if it is not shipped)."""
        if path is not None:
            return cls.from_json(Path(path).read_text(encoding="utf-8"), expect)
        f = resources.files("rasid").joinpath(f"data/{name}")
        return cls.from_json(f.read_text(encoding="utf-8"), expect) if f.is_file() else None

    @classmethod
    def load(cls, path: str | Path | None = None) -> StoryModel:
        """The model at `path`, or the one shipped in `rasid/data/story_model.json`."""
        model = cls._load(MODEL_FILES["model"], path, FEATURES)
        if model is None:
            raise FileNotFoundError("rasid/data/story_model.json is not in the package")
        return model

    @classmethod
    def load_cross(cls, path: str | Path | None = None) -> StoryModel | None:
        """The cross-language candidate scorer at `path`, or the shipped
        `rasid/data/story_model_xling.json` (None if absent); see `fit_cross_model`."""
        return cls._load(MODEL_FILES["cross_model"], path, FEATURES)

    @classmethod
    def load_cross_merge(cls, path: str | Path | None = None) -> StoryModel | None:
        """The merge scorer for two stories in different languages at `path`, or the shipped
        `rasid/data/story_merge_xling.json` (None if absent)."""
        return cls._load(MODEL_FILES["cross_merge_model"], path, MERGE_FEATURES)

    @classmethod
    def load_pair(cls, path: str | Path | None = None) -> StoryModel | None:
        """The article-member pair scorer at `path`, or the shipped `rasid/data/story_pair.json`
        (None if absent: no core-linkage check)."""
        return cls._load(MODEL_FILES["pair_model"], path, PAIR_FEATURES)

    @classmethod
    def load_merge(cls, path: str | Path | None = None) -> StoryModel | None:
        """The story-merge model at `path`, or the shipped `rasid/data/story_merge.json` (None if absent)."""
        return cls._load(MODEL_FILES["merge_model"], path, MERGE_FEATURES)

    @classmethod
    def load_folder(cls, folder: str | Path) -> dict[str, StoryModel | None]:
        """The story scorers in `folder`, under the file names of the shipped ones (as `rasid train
        stories --out` writes them), as StoryClusterer keyword arguments. The
        folder must hold `story_model.json`; a merge or cross-language file it lacks is the shipped one."""
        d = Path(folder)
        main = d / MODEL_FILES["model"]
        if not main.is_file():
            raise FileNotFoundError(f"{main}: no story model there (setting story_models = {str(folder)!r})")

        def own(role: str) -> Path | None:
            f = d / MODEL_FILES[role]
            return f if f.is_file() else None

        return {"model": cls.load(main), "merge_model": cls.load_merge(own("merge_model")),
                "cross_model": cls.load_cross(own("cross_model")),
                "cross_merge_model": cls.load_cross_merge(own("cross_merge_model")),
                "pair_model": cls.load_pair(own("pair_model"))}


def _matvec(rows: np.ndarray, vec: np.ndarray) -> np.ndarray:
    """rows @ vec without BLAS: einsum's own loop is single-threaded. A multi-threaded BLAS
    matrix-vector product on a shared 2-core machine spent 5 ms per call waking threads for a job
    of 0.5 ms (measured on 6,000 x 512), and the clusterer does two per article."""
    return np.einsum("ij,j->i", rows, vec)


def _top_stable(x: np.ndarray, k: int) -> np.ndarray:
    """`np.argsort(x, kind="stable")[:k]` without sorting all of `x`: the k smallest, ties by index."""
    if len(x) <= k:
        return np.argsort(x, kind="stable")
    kth = np.partition(x, k - 1)[k - 1]
    if np.isnan(kth):
        return np.argsort(x, kind="stable")[:k]
    idx = np.nonzero(x <= kth)[0]
    return idx[np.argsort(x[idx], kind="stable")[:k]]


def _prune(bag: dict[int, float], keep: int) -> None:
    """Keep the `keep` heaviest terms of `bag`, in place."""
    heavy = sorted(bag.items(), key=lambda kv: kv[1], reverse=True)[:keep]
    bag.clear()
    bag.update(heavy)


def _bag(words: list[str]) -> dict[int, float]:
    out: dict[int, float] = {}
    for w in words:
        k = zlib.crc32(w.encode("utf-8")) & (_BUCKETS - 1)
        out[k] = out.get(k, 0.0) + 1.0
    return out


@dataclass(slots=True)
class _BagArrays:
    """A term bag as two arrays in the bag's own order (the order its dot products are summed in)."""

    keys: np.ndarray  # int64 (int32 for the lead n-grams)
    vals: np.ndarray  # float64


def _bag_arrays(bag: dict[int, float]) -> _BagArrays:
    n = len(bag)
    return _BagArrays(np.fromiter(bag.keys(), np.int64, n), np.fromiter(bag.values(), np.float64, n))


@dataclass(slots=True)
class _ArticleView:
    """What the clusterer reads from one article (computed once per article)."""

    id: str
    day: float
    source: str
    title: str
    bag: dict[int, float]
    title_bag: dict[int, float]
    numbers: frozenset[str]
    body_bag: dict[int, float]
    arrays: tuple[_BagArrays, _BagArrays, _BagArrays] | None = None  # bag, title_bag, body_bag
    lang: str = ""  # see article_language
    # character 3-5-grams of the title (twice) and the lead, sublinear counts (see `_lead_grams`)
    grams: _BagArrays | None = None


def _word_grams(token: str) -> list[int]:
    """The hashed character 3-5-grams of one word padded by a space at each end."""
    w = f" {token} "
    return [zlib.crc32(w[i:i + n].encode("utf-8")) & (_BUCKETS - 1)
            for n in _GRAMS for i in range(max(1, len(w) - n + 1))]


def _lead_grams(title_tokens: list[str], lead_tokens: list[str], cache: dict[str, list[int]] | None) -> _BagArrays:
    """Character n-grams of the title twice and the lead, as the batch TF-IDF baseline reads an
    article, with sublinear counts (1 + log count), keys ascending. A rewording that keeps the
    names and numbers but changes the verbs and their order still shares most of them."""
    counts: Counter = Counter()
    memo = cache if cache is not None else {}
    for t in title_tokens + title_tokens + lead_tokens:
        keys = memo.get(t)
        if keys is None:
            if len(memo) > 500_000:
                memo.clear()
            keys = memo[t] = _word_grams(t)
        counts.update(keys)
    if not counts:
        return _BagArrays(np.zeros(0, np.int32), np.zeros(0, np.float32))
    # int32 keys (buckets < 2**20) and float32 counts: a member's n-grams are kept while its story
    # is active (~1,000 per article), in memory and in the saved state
    keys = np.fromiter(counts.keys(), np.int32, len(counts))
    vals = (1.0 + np.log(np.fromiter(counts.values(), np.float64, len(counts)))).astype(np.float32)
    order = np.argsort(keys)
    return _BagArrays(keys[order], vals[order])


def _stemmer(cache: dict[str, str] | None):
    if cache is None:
        return light_stem

    def stem(token: str) -> str:
        out = cache.get(token)
        if out is None:
            if len(cache) > 500_000:  # bounded: a long stream meets ever more rare words
                cache.clear()
            out = cache[token] = light_stem(token)
        return out

    return stem


_NUM = -1  # a number token (two characters or more): kept in `numbers`, not in the bags
_SKIP = -2  # a one-character token or a one-digit number: dropped


def _term_key(token: str) -> int:
    """What a token contributes: the bag key of its light stem, or _NUM / _SKIP."""
    if _NUMBER.match(token):
        return _NUM if len(token) >= 2 else _SKIP
    if len(token) <= 1:
        return _SKIP
    return zlib.crc32(light_stem(token).encode("utf-8")) & (_BUCKETS - 1)


def _term_keys(toks: list[str], cache: dict[str, int]) -> list[int]:
    """`_term_key` of every token, each distinct word computed once per stream (bounded cache)."""
    return memo_map(toks, cache, _term_key)


def _bag_of_keys(keys: list[int]) -> dict[int, float]:
    """The term bag of a token key list: counts in order of first occurrence, as `_bag` builds them."""
    counts = Counter(keys)
    counts.pop(_NUM, None)
    counts.pop(_SKIP, None)
    return dict(zip(counts.keys(), map(float, counts.values()), strict=True))


def article_language(article: Article) -> str:
    """The language most of the article's prose is in (paragraph `lang` weighted by length); when
    no paragraph carries one ("und" = undetermined), "ar" for mostly Arabic letters, else "" (unknown)."""
    weight: Counter = Counter()
    for p in article.paragraphs:
        if p.lang and p.lang != "und":
            weight[p.lang] += len(p.text)
    if weight:
        return weight.most_common(1)[0][0]
    text = (article.title or "") + " " + (article.text or article.raw_text)[:LEX_CHARS]
    return "ar" if arabic_ratio(text) >= 0.5 else ""


def _no_common_language(a: Iterable[str], b: Counter) -> bool:
    """Whether an article (its language, as a one-element set) or a story (its members' languages)
    and story `b` are known to share no language: their words cannot match, so they are scored by
    the models fitted without the lexical signals. Unknown languages (empty) never count."""
    a = set(a)
    return bool(a) and bool(b) and a.isdisjoint(b)


def article_view(article: Article, now: float, stem_cache: dict[str, str] | None = None,
                 term_cache: dict[str, int] | None = None, memo: TextMemo | None = None,
                 gram_cache: dict[str, list[int]] | None = None) -> _ArticleView:
    """What the clusterer reads from `article`. `term_cache` (token -> bag key, kept by the caller
    across articles) spares re-stemming and re-hashing the words every article repeats; `memo`
    holds the body's tokens when the deduper has just read it."""
    body = article.text or article.raw_text
    lang = article_language(article)
    title_tokens = tokens(article.title or "")
    lead_tokens = tokens(body[:LEX_CHARS])
    day = day_number(article.published)
    if term_cache is not None:
        tk = _term_keys(title_tokens, term_cache)
        lk = _term_keys(lead_tokens, term_cache)
        return _ArticleView(
            id=article.id,
            day=now if day is None else day,
            source=article.source or "",
            title=article.title or "",
            bag=_bag_of_keys(tk + lk),
            title_bag=_bag_of_keys(tk),
            numbers=frozenset(t for t, k in zip(title_tokens + lead_tokens, tk + lk, strict=True) if k == _NUM),
            body_bag=_bag_of_keys(_term_keys(memo.tokens(body) if memo is not None else tokens(body), term_cache)),
            lang=lang,
            grams=_lead_grams(title_tokens, lead_tokens, gram_cache),
        )
    light_stem = _stemmer(stem_cache)
    words = [light_stem(t) for t in title_tokens + lead_tokens if len(t) > 1 and not _NUMBER.match(t)]
    tw = [light_stem(t) for t in title_tokens if len(t) > 1 and not _NUMBER.match(t)]
    nums = frozenset(t for t in title_tokens + lead_tokens if _NUMBER.match(t) and len(t) >= 2)
    return _ArticleView(
        id=article.id,
        day=now if day is None else day,
        source=article.source or "",
        title=article.title or "",
        bag=_bag(words),
        title_bag=_bag(tw),
        numbers=nums,
        body_bag=_bag([light_stem(t) for t in tokens(body) if len(t) > 1 and not _NUMBER.match(t)]),
        lang=lang,
        grams=_lead_grams(title_tokens, lead_tokens, gram_cache),
    )


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


class StoryClusterer:
    """Assigns each article to a story, streaming; see the module docstring.

    model: the candidate scorer (default: the shipped `data/story_model.json`).
    dormant_days: a story not updated for this long leaves the candidate index (settings.story_dormant_days).
    late_after_days, late_threshold, late_min_size: see `_join_threshold` (settings.story_late_*).
    late_merges: whether such a late story may merge with another (settings.story_late_merges; see
        `_maybe_merge`).
    candidates: how many nearest centroids and nearest members to consider.
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
        late_after_days: float = 2.0,
        late_threshold: float = 0.9,
        late_min_size: int = 8,
        late_merges: bool = False,
        cross_model: StoryModel | None = None,
        cross_merge_model: StoryModel | None = None,
        related_min: float = 0.2,
        pair_model: StoryModel | None = None,
        core: bool = True,
    ) -> None:
        self.model = model if model is not None else StoryModel.load()
        self.merge_model = (merge_model if merge_model is not None else StoryModel.load_merge()) if merges else None
        self.cross_model = cross_model if cross_model is not None else StoryModel.load_cross()
        self.cross_merge_model = (cross_merge_model if cross_merge_model is not None
                                  else StoryModel.load_cross_merge()) if merges else None
        self.merge_log: list[tuple[int, int, int, int, list[float]]] | None = None  # training hook
        self._merged: list[str] = []  # ids retired by a merge since the last take_merged()
        self.related_min = related_min
        # The core-linkage check (see `_core_ok`): None leaves joining to the candidate model alone.
        self.pair_model = (pair_model if pair_model is not None else StoryModel.load_pair()) if core else None
        self.pair_log: list[tuple[str, list[str], np.ndarray]] | None = None  # training hook
        self._linked: set[int] = set()  # stories whose related stories changed since take_linked()
        self.dormant_days = dormant_days
        self.late_after_days = late_after_days
        self.late_threshold = late_threshold
        self.late_min_size = late_min_size
        self.late_merges = late_merges
        self.k = candidates
        self.dim = dim
        self.id_prefix = id_prefix
        self._stories: list[_Story] = []
        self._index: dict[str, int] = {}  # story id -> position in _stories
        self._story_of: dict[str, int] = {}  # article id -> story position
        self._sums = np.zeros((64, dim), np.float32)  # vector sum per story position
        self._centroids = _Rows(dim)  # active stories: normalised centroid, label = story position
        self._crow: dict[int, int] = {}  # story position -> row in _centroids
        self._members = _Rows(dim)  # active stories' member vectors, label = story position
        self._member_ids: list[str] = []  # parallel to _members rows
        self._member_titles: list[str] = []
        self._member_meta: list[tuple[float, str]] = []  # (day, source), parallel to _members rows
        # each member's lead n-grams (keys, sublinear counts) and their IDF norm at arrival
        self._member_grams: list[tuple[_BagArrays, float]] = []
        self._gdf = np.zeros(_BUCKETS, np.uint32)  # document frequency of each n-gram bucket
        self._gram_cache: dict[str, list[int]] = {}
        self._gram_weights: np.ndarray | None = None  # one article's count * idf^2 by bucket
        self._gram_for: tuple[str, np.ndarray] | None = None  # whose weights those are, and their keys
        self._gram_norm_now = 0.0
        # (body bag, title bag, their IDF norms at arrival), parallel to _members rows
        self._member_bags: list[tuple[dict[int, float], dict[int, float], float, float]] = []
        # the same bags as arrays (body, title), built when first compared; parallel to _members rows
        self._member_arrays: list[tuple[_BagArrays, _BagArrays] | None] = []
        self._df = np.zeros(_BUCKETS, np.uint32)
        self._ndocs = 0
        self._now = -math.inf
        self._last_sweep = -math.inf
        self._retired = 0  # member rows out of the window, awaiting compaction
        self._term_cache: dict[str, int] = {}  # token -> bag key (see article_view)
        # Set it to the deduper's `text_memo` when both read the same articles in turn (the stories
        # stage): the body is then normalised and tokenised once for both.
        self.text_memo: TextMemo | None = None
        self._idf_cache: dict[int, float] = {}  # bag key -> IDF at the current document count
        self._slot: np.ndarray | None = None  # bag key -> index among the article's terms (-1: none)
        self._lex_dots: dict[tuple[str, int], float] = {}  # this article's dot products (_candidates)

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
            if self.cross_model is not None and view.lang:
                # a story with no article in this article's language: its words cannot match, so the
                # candidate is scored by the model fitted without the lexical signals
                cross = [i for i, q in enumerate(positions)
                         if _no_common_language({view.lang}, self._stories[q].langs)]
                if cross:
                    p[cross] = self.cross_model.proba(X[cross])
                    need[cross] = np.maximum(need[cross], self.cross_model.threshold)
            ok = np.nonzero(p >= need)[0]
            dup_pos = self._story_of.get(duplicate_of) if duplicate_of else None
            for j in ok[np.argsort(-p[ok], kind="stable")].tolist():
                q = positions[j]
                if q == dup_pos or self._core_ok(q, view, vec):
                    target = q
                    break
        sid = self._add(view, vec, target)
        if len(positions) > 1 and (self.merge_model is not None or self.merge_log is not None):
            sid = self._maybe_merge(self._index[sid], positions, fresh=target is None)
        return sid

    def _core_rows(self, pos: int, view: _ArticleView, vec: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Story `pos`'s member rows in the index (its MEMBER_WINDOW most recent articles) and the
        PAIR_FEATURES of the article with each of them."""
        rows = np.nonzero(self._members.label[: self._members.n] == pos)[0]
        if not len(rows):
            return rows, np.zeros((0, len(PAIR_FEATURES)))
        use = self._members.data[rows] @ vec
        pairs: list[tuple[int, _BagArrays]] = []
        for r in rows.tolist():
            body, title = self._row_arrays(r)
            pairs += [(2, body), (1, title)]
        dots = self._view_dots(view, pairs)
        idf = self._idf_cache
        b_norm = math.sqrt(sum([(v * idf[k]) ** 2 for k, v in view.body_bag.items()]))
        t_norm = math.sqrt(sum([(v * idf[k]) ** 2 for k, v in view.title_bag.items()]))
        weights, g_norm = self._article_grams(view)
        out = np.zeros((len(rows), len(PAIR_FEATURES)))
        day = math.floor(view.day)
        for i, r in enumerate(rows.tolist()):
            _, _, nb, nt = self._member_bags[r]
            mday, msrc = self._member_meta[r]
            mg, mg_norm = self._member_grams[r]
            lead = float(weights[mg.keys] @ mg.vals) / (g_norm * mg_norm) if g_norm and mg_norm else 0.0
            body = self._cos_of(dots[2 * i], b_norm, nb)
            same = 1.0 if math.floor(mday) == day else 0.0
            out[i] = (float(use[i]), body, self._cos_of(dots[2 * i + 1], t_norm, nt), lead, abs(view.day - mday),
                      same, 1.0 if view.source and msrc == view.source else 0.0, float(use[i]) * same, body * same)
        return rows, out

    def _gram_idf(self, keys: np.ndarray) -> np.ndarray:
        return np.log((1.0 + self._ndocs) / (1.0 + self._gdf[keys])) + 1.0

    def _gram_norm(self, g: _BagArrays) -> float:
        if not len(g.keys):
            return 0.0
        x = g.vals * self._gram_idf(g.keys)
        return math.sqrt(float(x @ x))

    def _article_grams(self, view: _ArticleView) -> tuple[np.ndarray, float]:
        """A dense table of the article's n-gram weights (count * IDF^2, zero elsewhere), so a
        member's dot product with it is one gather, and the article's IDF norm. Built once per
        article (kept until the next `_prepare`)."""
        if self._gram_weights is None:
            self._gram_weights = np.zeros(_BUCKETS, np.float64)
        w = self._gram_weights
        g = view.grams
        if g is None or not len(g.keys):
            return w, 0.0
        if self._gram_for is None or self._gram_for[0] != view.id:
            if self._gram_for is not None:
                w[self._gram_for[1]] = 0.0
            idf = self._gram_idf(g.keys)
            w[g.keys] = g.vals * idf * idf
            self._gram_for = (view.id, g.keys)
            self._gram_norm_now = math.sqrt(float(((g.vals * idf) ** 2).sum()))
        return w, self._gram_norm_now

    def _core_ok(self, pos: int, view: _ArticleView, vec: np.ndarray) -> bool:
        """Whether the article is close enough to story `pos`'s core to join it: the mean, over the
        story's recent members, of the pair scorer's probability that the article and that member
        report one happening, at least the pair model's threshold. The candidate model compares
        the article with the story's pooled words and its single best member, so a topic that
        runs for days (each day's market session, each regional committee's announcement) keeps
        admitting the next report of its kind through one similar member; an average over the
        members (average linkage, as in agglomerative clustering) does not chain that way."""
        if self.pair_model is None:
            return True
        rows, X = self._core_rows(pos, view, vec)
        if not len(rows):
            return True
        return float(self.pair_model.proba(X).mean()) >= self.pair_model.threshold

    def _join_threshold(self, pos: int) -> float:
        """The probability an article needs to join story `pos`. A story that opened more than
        `late_after_days` ago and has gathered `late_min_size` articles has usually become a chain
        of related happenings (the daily market report, a club's summer, a country's news): its
        recent members resemble every new report on the topic, and in the 31k stream such chains
        took in several events of each later day. Joining one then needs strong evidence
        (`late_threshold`); a new report that falls short starts the next story. Small stories keep
        the model's threshold at any age: a visit reported over four days stays one story."""
        if self._is_late(pos):
            return max(self.model.threshold, self.late_threshold)
        return self.model.threshold

    def _is_late(self, pos: int) -> bool:
        """Story `pos` opened more than `late_after_days` ago and holds `late_min_size` articles."""
        s = self._stories[pos]
        return s.count >= self.late_min_size and s.first < self._now - self.late_after_days

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

    def prime(self, articles: Iterable[Article]) -> int:
        """Count document frequencies from articles without clustering them; returns how many.

        Lexical signals weight terms by inverse document frequency, which a fresh stream does not
        know yet; priming with earlier articles (the store's history, any Arabic news sample) gives
        rare names their weight from the first article on.
        """
        n = 0
        for a in articles:
            view = article_view(a, 0.0, term_cache=self._term_cache)
            keys = set(view.bag) | set(view.body_bag) | set(view.title_bag)
            self._ndocs += 1
            if keys:
                self._df[np.fromiter(keys, np.int64, len(keys))] += 1
            n += 1
        self._idf_cache = {}
        return n

    def observe(self, article: Article, vector: np.ndarray, label: str, duplicate_of: str | None = None,
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

    # -- internals ---------------------------------------------------------------------------
    def _prepare(self, article: Article, vector: np.ndarray) -> tuple[_ArticleView, np.ndarray]:
        vec = np.asarray(vector, np.float32).reshape(-1)
        if vec.shape[0] != self.dim:
            raise ValueError(f"{article.id}: vector has {vec.shape[0]} dims, expected {self.dim}")
        norm = float(np.linalg.norm(vec))
        vec = vec / norm if norm > 0 else vec
        view = article_view(article, self._now if math.isfinite(self._now) else 0.0, term_cache=self._term_cache,
                            memo=self.text_memo, gram_cache=self._gram_cache)
        view.arrays = (_bag_arrays(view.bag), _bag_arrays(view.title_bag), _bag_arrays(view.body_bag))
        self._now = max(self._now, view.day)
        self._sweep()
        # document frequencies include the article itself (its own terms are never "unseen")
        self._ndocs += 1
        if view.grams is not None and len(view.grams.keys):
            self._gdf[view.grams.keys] += 1
        keys = set(view.bag) | set(view.body_bag) | set(view.title_bag)
        if keys:
            ka = np.fromiter(keys, np.int64, len(keys))
            self._df[ka] += 1
        # IDF of the article's own terms, all at once (the document count and frequencies stay
        # put until the next article, so every comparison of this one reuses them)
        self._idf_cache = idf = {}
        if keys:
            c = 1.0 + self._ndocs
            log = math.log
            idf.update(zip(keys, [log(c / (1.0 + d)) + 1.0 for d in self._df[ka].tolist()], strict=True))
        return view, vec

    def _idf(self, keys: list[int]) -> np.ndarray:
        return np.log((1.0 + self._ndocs) / (1.0 + self._df[np.asarray(keys, np.int64)])) + 1.0

    def _norm(self, bag: dict[int, float], arrays: _BagArrays | None = None) -> float:
        """IDF-weighted L2 norm of `bag` (`arrays`: the same bag as arrays, when at hand)."""
        if not bag:
            return 0.0
        if arrays is None:
            arrays = _bag_arrays(bag)
        x = arrays.vals * self._idf(arrays.keys)
        return math.sqrt(x.dot(x))  # what np.linalg.norm computes for a 1-D array, minus its checks

    def _story_norm(self, s: _Story, which: str) -> float:
        got = s.norms.get(which)
        if got is None or self._ndocs > got[0] * 1.05:
            bag = s.bag if which == "bag" else s.title_bag
            got = [float(self._ndocs), self._norm(bag, self._story_arrays(s, which) if bag else None)]
            s.norms[which] = got
        return got[1]

    def _cos(self, a: dict[int, float], a_norm: float, b: dict[int, float], b_norm: float,
             idf: dict[int, float]) -> float:
        """IDF-weighted cosine of two term bags; walks the shared terms of the smaller bag in its
        order (the order the dot product has always been summed in), so a large story costs no more
        than a small one, and looks up IDF only for shared terms."""
        if not a or not b or not a_norm or not b_norm:
            return 0.0
        if len(b) < len(a):
            a, b = b, a
        shared = a.keys() & b.keys()  # found in C; most pairs share few terms
        if not shared:
            return 0.0
        dot = 0.0
        for k in filter(shared.__contains__, a) if len(shared) > 1 else shared:
            w = idf.get(k)
            if w is None:
                w = self._idf_of(k, idf)
            dot += a[k] * b[k] * w**2
        return dot / (a_norm * b_norm) if dot else 0.0

    def _idf_of(self, k: int, cache: dict[int, float]) -> float:
        v = cache.get(k)
        if v is None:
            v = math.log((1.0 + self._ndocs) / (1.0 + float(self._df[k]))) + 1.0
            cache[k] = v
        return v

    def _story_arrays(self, s: _Story, which: str) -> _BagArrays:
        got = s.arrays.get(which)
        if got is None:
            got = s.arrays[which] = _bag_arrays(s.bag if which == "bag" else s.title_bag)
        return got

    def _row_arrays(self, r: int) -> tuple[_BagArrays, _BagArrays]:
        """Member row `r`'s (body, title) bags as arrays."""
        got = self._member_arrays[r]
        if got is None:
            body, title, _, _ = self._member_bags[r]
            got = self._member_arrays[r] = (_bag_arrays(body), _bag_arrays(title))
        return got

    def _view_dots(self, view: _ArticleView, pairs: list[tuple[int, _BagArrays]]) -> list[float]:
        """IDF-weighted dot products of the article's bags with many others, in a few array
        operations: `pairs` lists (which, other), `which` 0, 1, 2 for the article's bag, title bag,
        body bag. Each result is the float `_cos` sums: the shared terms' products added one by one,
        in the order of the smaller bag (the article's on a tie), from 0.0. Shared terms are found
        through a dense slot table (bag key -> index among the article's terms) and put in that
        order; a cumulative sum along the rows of a zero-padded matrix adds them in sequence (an
        accumulation is never reordered, unlike a reduction), and the padding adds nothing."""
        n = len(pairs)
        lens = np.fromiter((len(b.keys) for _, b in pairs), np.int64, n)
        if not n or not lens.sum():
            return [0.0] * n
        bags = view.arrays if view.arrays is not None else (
            _bag_arrays(view.bag), _bag_arrays(view.title_bag), _bag_arrays(view.body_bag))
        slot = self._slot
        if slot is None:
            slot = self._slot = np.full(_BUCKETS, -1, np.int32)
        terms_u = list(self._idf_cache)  # every term of the article (see _prepare)
        u_keys = np.fromiter(terms_u, np.int64, len(terms_u))
        slot[u_keys] = np.arange(len(terms_u), dtype=np.int32)
        try:
            pos = np.full((3, len(terms_u)), -1, np.int64)
            val = np.zeros((3, len(terms_u)))
            for w, b in enumerate(bags):
                at = slot[b.keys]
                pos[w, at] = np.arange(len(at))
                val[w, at] = b.vals
            which = np.fromiter((w for w, _ in pairs), np.int64, n)
            xk = np.concatenate([b.keys for _, b in pairs])
            seg = np.repeat(np.arange(n), lens)
            u = slot[xk]
        finally:
            slot[u_keys] = -1
        cand = np.nonzero(u >= 0)[0]
        cu, cw = u[cand], which[seg[cand]]
        vpos = pos[cw, cu]
        keep = vpos >= 0
        hits, hu, hw, hpos = cand[keep], cu[keep], cw[keep], vpos[keep]
        if not len(hits):
            return [0.0] * n
        hseg = seg[hits]
        # iterate the article's bag unless the other one is strictly smaller (the `_cos` rule)
        vlen = np.array([len(b.keys) for b in bags])
        article_first = vlen[which] <= lens
        order = np.lexsort((np.where(article_first[hseg], hpos, hits), hseg))
        hits, hu, hw, hseg = hits[order], hu[order], hw[order], hseg[order]
        xv = np.concatenate([b.vals for _, b in pairs])
        uniq, inv = np.unique(hu, return_inverse=True)
        idf = self._idf_cache
        idf2 = np.array([idf[k] ** 2 for k in u_keys[uniq].tolist()])
        terms = val[hw, hu] * xv[hits] * idf2[inv.reshape(-1)]
        cnt = np.bincount(hseg, minlength=n)
        rank = np.arange(len(hits)) - (np.cumsum(cnt) - cnt)[hseg]
        padded = np.zeros((n, int(cnt.max())))
        padded[hseg, rank] = terms
        return np.cumsum(padded, axis=1)[:, -1].tolist()

    @staticmethod
    def _cos_of(dot: float, a_norm: float, b_norm: float) -> float:
        """`_cos` from a `_dots` value (an empty bag gives a zero dot)."""
        if not a_norm or not b_norm or not dot:
            return 0.0
        return dot / (a_norm * b_norm)

    def _candidates(self, view: _ArticleView, vec: np.ndarray, duplicate_of: str | None) -> tuple[list[int], np.ndarray]:
        cand: dict[int, list[float]] = {}
        nc = self._centroids.n
        cent_sims = np.zeros(0, np.float32)
        if nc:
            cent_sims = _matvec(self._centroids.data[:nc], vec)
            for p in self._centroids.label[_top_stable(-cent_sims, self.k)].tolist():
                cand.setdefault(p, [])
        best_member: dict[int, float] = {}
        near: dict[int, list[int]] = {}  # story position -> its most similar member rows
        nm = self._members.n
        msims = np.zeros(0, np.float32)
        if nm:
            msims = _matvec(self._members.data[:nm], vec)
            kk = min(nm, 4 * self.k)
            top = np.argpartition(-msims, kk - 1)[:kk] if nm > kk else np.arange(nm)
            top = top[np.argsort(-msims[top], kind="stable")]
            for r, pos, sim in zip(top.tolist(), self._members.label[top].tolist(), msims[top].tolist(), strict=True):
                if pos < 0:  # a member row that left its story's window
                    continue
                near.setdefault(pos, []).append(r)
                if pos not in best_member:
                    best_member[pos] = sim
                    if len(best_member) <= self.k:
                        cand.setdefault(pos, [])
        dup_pos = self._story_of.get(duplicate_of) if duplicate_of else None
        if dup_pos is not None:
            if not self._stories[dup_pos].active:
                self._revive(dup_pos)
                nc = self._centroids.n
                cent_sims = _matvec(self._centroids.data[:nc], vec)
            cand.setdefault(dup_pos, [])
        if not cand:
            return [], np.zeros((0, len(FEATURES)))
        positions = sorted(cand)
        crow = self._crow
        c_cent = np.array([float(cent_sims[crow[p]]) for p in positions])
        # a story whose best member is outside the top members: compute it exactly
        c_best = np.array([best_member[p] if p in best_member else self._best_member(p, vec) for p in positions])
        idf = self._idf_cache  # holds every term of the article (see _prepare)
        art_idf_total = sum([idf[k] for k in view.bag]) or 1.0
        a_norm = math.sqrt(sum([(v * idf[k]) ** 2 for k, v in view.bag.items()]))
        t_norm = math.sqrt(sum([(v * idf[k]) ** 2 for k, v in view.title_bag.items()]))
        b_norm = math.sqrt(sum([(v * idf[k]) ** 2 for k, v in view.body_bag.items()]))
        # every lexical comparison of this article, in one batch: per candidate, the story's bag and
        # title bag, then (body, title) of its members nearest by embedding (at most 3)
        pairs: list[tuple[int, _BagArrays]] = []
        member_rows: list[list[int]] = []
        dot_keys: list[tuple[str, int] | None] = []  # ("bag" | "title", story) or ("body", member row)
        for p in positions:
            s = self._stories[p]
            pairs.append((0, self._story_arrays(s, "bag")))
            pairs.append((1, self._story_arrays(s, "title")))
            dot_keys += [("bag", p), ("title", p)]
            mrows = self._lex_rows(p, near.get(p), msims)
            member_rows.append(mrows)
            for r in mrows:
                body, title = self._row_arrays(r)
                pairs.append((2, body))
                pairs.append((1, title))
                dot_keys += [("body", r), None]
        got = self._view_dots(view, pairs)
        # kept for `_merge_features`: a story this article has just started holds exactly its bags
        self._lex_dots = {key: d for key, d in zip(dot_keys, got, strict=True) if key is not None}
        dots = iter(got)
        # the article's rare terms with their IDF, in bag order (the order `rare` is summed in)
        rare_terms = [(k, w) for k, w in ((k, idf[k]) for k in view.bag) if w >= 4.0]
        rows = []
        for i, p in enumerate(positions):
            s = self._stories[p]
            sbag = s.bag
            rare = sum([w for k, w in rare_terms if k in sbag]) / art_idf_total
            nums = len(s.numbers.keys() & view.numbers)
            lex = self._cos_of(next(dots), a_norm, self._story_norm(s, "bag"))
            lex_t = self._cos_of(next(dots), t_norm, self._story_norm(s, "title"))
            best_body = best_title = 0.0
            for r in member_rows[i]:
                _, _, nb, nt = self._member_bags[r]
                best_body = max(best_body, self._cos_of(next(dots), b_norm, nb))
                best_title = max(best_title, self._cos_of(next(dots), t_norm, nt))
            rows.append([
                c_cent[i],
                c_best[i],
                c_cent[i] - c_cent.max(),
                c_best[i] - c_best.max(),
                lex,
                lex_t,
                rare,
                math.log1p(nums),
                math.log1p(s.count),
                1.0 if p == dup_pos else 0.0,
                s.sources.get(view.source, 0) / s.count if view.source else 0.0,
                best_body,
                best_title,
            ])
        return positions, np.asarray(rows, dtype=np.float64)

    def _lex_rows(self, pos: int, rows: list[int] | None, msims: np.ndarray) -> list[int]:
        """The member rows whose bags give mlex_body / mlex_title: the story's members nearest by embedding
        among the top members found, else its nearest members overall (at most 3). Member norms use the
        IDF of the moment the member arrived: close enough, and computed once."""
        if not rows:
            all_rows = np.nonzero(self._members.label[: self._members.n] == pos)[0]
            if not len(all_rows):
                return []
            rows = all_rows[np.argsort(-msims[all_rows], kind="stable")][:3].tolist()
        return rows[:3]

    def _maybe_merge(self, pos: int, positions: list[int], fresh: bool = False) -> str:
        """Merge the article's story with another candidate story when the merge model says they
        report one happening: two fragments carry more evidence (centroids of several articles, their
        pooled names and numbers) than one article did when it had to choose. The younger story is
        absorbed into the older one, whose id stays. A late story (`_is_late`) takes part in no
        merge unless `late_merges`: merges are for fragments of one fresh happening, and in the 31k
        stream it was merges that grew the long chains (a week of royal-court news, 13 merges).
        `fresh`: the article has just started story `pos`, whose bags are then its own, so its
        lexical dot products with the other candidates' bags are those `_candidates` computed."""
        if not self.late_merges and self._is_late(pos):
            return self._stories[pos].id
        others = [q for q in positions if q != pos and self._stories[q].active and q in self._crow
                  and (self.late_merges or not self._is_late(q))]
        if not others:
            return self._stories[pos].id
        rows = self._rows_by_story([pos, *others])
        side = self._merge_side(pos, rows[pos])
        dots = self._lex_dots if fresh else None
        F = [self._merge_features(pos, q, side, dots, rows[q]) for q in others]
        if self.merge_log is not None:
            for q, f in zip(others, F, strict=True):
                self.merge_log.append((pos, self._stories[pos].count, q, self._stories[q].count, f))
        if self.merge_model is None:
            return self._stories[pos].id
        X = np.asarray(F, dtype=np.float64)
        pm = self.merge_model.proba(X)
        need = np.full(len(others), self.merge_model.threshold)
        if self.cross_merge_model is not None:
            # two stories with no language in common: their words cannot match (see cross_model)
            la = self._stories[pos].langs
            cross = [i for i, q in enumerate(others) if _no_common_language(la, self._stories[q].langs)]
            if cross:
                pm[cross] = self.cross_merge_model.proba(X[cross])
                need[cross] = self.cross_merge_model.threshold
        for q, p in zip(others, pm.tolist(), strict=True):
            self._link(pos, q, p)
        ok = np.nonzero(pm >= need)[0]
        if not len(ok):
            return self._stories[pos].id
        b = int(ok[np.argmax(pm[ok])])
        keep, gone = min(pos, others[b]), max(pos, others[b])
        self._merge(keep, gone)
        return self._stories[keep].id

    def _link(self, a: int, b: int, p: float) -> None:
        """Remember stories `a` and `b` as related when the merge model gave them `p` >= related_min
        (kept: the best `p` seen). Two stories the model thought might be one happening but did not
        merge are, for a reader, the coverage next door: the other fragments of a press conference,
        the neighbouring developments of one conflict."""
        if p < self.related_min or a == b:
            return
        sa, sb = self._stories[a], self._stories[b]
        if p > sa.near.get(b, 0.0):
            sa.near[b] = sb.near[a] = p
            self._linked.update((a, b))

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

    def _rows_by_story(self, stories: list[int]) -> dict[int, np.ndarray]:
        """Each story's member rows, ascending (as `np.nonzero(labels == story)`), in one pass."""
        labels = self._members.label[: self._members.n]
        wanted = np.zeros(len(self._stories) + 1, bool)  # by story position + 1 (a retired row is -1)
        wanted[np.asarray(stories) + 1] = True
        idx = np.nonzero(wanted[labels + 1])[0]
        lab = labels[idx]
        return {p: idx[lab == p] for p in stories}

    def _merge_side(self, a: int, rows: np.ndarray | None = None) -> tuple:
        """What `_merge_features` reads of story `a`, gathered once for all the stories it is
        compared with: its centroid, its most recent member rows (arrival order: a long-running
        story's pair search stays bounded however many articles it has gathered) and their
        vectors, its bag norms, numbers and sources."""
        sa = self._stories[a]
        if rows is None:
            rows = np.nonzero(self._members.label[: self._members.n] == a)[0]
        ra = rows[-_PAIR_MEMBERS:]
        return (self._centroids.data[self._crow[a]], ra, self._members.data[ra],
                self._story_norm(sa, "bag"), self._story_norm(sa, "title"), set(sa.numbers), set(sa.sources))

    def _merge_features(self, a: int, b: int, side: tuple | None = None,
                        dots: dict[tuple[str, int], float] | None = None, rows: np.ndarray | None = None,
                        ) -> list[float]:
        """The MERGE_FEATURES of stories `a` and `b`. `dots`: lexical dot products of story `a`'s
        bags (and its one member's body) already known, by ("bag" | "title", story b) and
        ("body", member row of b); each equals what `_cos` would sum. `rows`: story `b`'s member rows."""
        sa, sb = self._stories[a], self._stories[b]
        ca, ra, va, norm_a, tnorm_a, nums_a, src_a = side if side is not None else self._merge_side(a)
        cb = self._centroids.data[self._crow[b]]
        if rows is None:
            rows = np.nonzero(self._members.label[: self._members.n] == b)[0]
        rb = rows[-_PAIR_MEMBERS:]
        best_pair, body = 0.0, 0.0
        idf = self._idf_cache
        if len(ra) and len(rb):
            sims = va @ self._members.data[rb].T
            i, j = np.unravel_index(int(np.argmax(sims)), sims.shape)
            best_pair = float(sims[i, j])
            ba, _, na, _ = self._member_bags[int(ra[i])]
            bb, _, nb, _ = self._member_bags[int(rb[j])]
            known = dots.get(("body", int(rb[j]))) if dots is not None else None
            body = self._cos(ba, na, bb, nb, idf) if known is None else self._cos_of(known, na, nb)
        known = dots.get(("bag", b)) if dots is not None else None
        norm_b = self._story_norm(sb, "bag")
        lex = self._cos(sa.bag, norm_a, sb.bag, norm_b, idf) if known is None else self._cos_of(known, norm_a, norm_b)
        known = dots.get(("title", b)) if dots is not None else None
        tnorm_b = self._story_norm(sb, "title")
        lex_t = (self._cos(sa.title_bag, tnorm_a, sb.title_bag, tnorm_b, idf) if known is None
                 else self._cos_of(known, tnorm_a, tnorm_b))
        nums = len(nums_a & sb.numbers.keys())
        gap = max(0.0, max(sa.first, sb.first) - min(sa.last, sb.last))
        src_b = set(sb.sources)
        overlap = len(src_a & src_b) / min(len(src_a), len(src_b)) if src_a and src_b else 0.0
        return [
            float(ca @ cb), best_pair, lex, lex_t, math.log1p(nums),
            math.log1p(min(sa.count, sb.count)), math.log1p(max(sa.count, sb.count)), gap, overlap, body,
        ]

    def _merge(self, keep: int, gone: int) -> None:
        k, g = self._stories[keep], self._stories[gone]
        k.count += g.count
        k.members.extend(g.members)
        k.first, k.last = min(k.first, g.first), max(k.last, g.last)
        for kb, gb in ((k.bag, g.bag), (k.title_bag, g.title_bag)):
            for key, v in gb.items():
                kb[key] = kb.get(key, 0.0) + v
            if len(kb) > BAG_CAP:
                _prune(kb, BAG_CAP * 2 // 3)
        k.numbers.update(g.numbers)
        k.sources.update(g.sources)
        k.langs.update(g.langs)
        k.norms.clear()
        k.arrays.clear()
        g.arrays.clear()
        self._sums[keep] += self._sums[gone]
        self._sums[gone] = 0.0
        labels = self._members.label[: self._members.n]
        labels[labels == gone] = keep
        self._centroids.data[self._crow[keep]] = self._centroid(keep)
        for m in g.members:
            self._story_of[m] = keep
        mask = np.ones(self._centroids.n, bool)
        mask[self._crow.pop(gone)] = False
        self._centroids.keep(mask)
        self._crow = {int(p): r for r, p in enumerate(self._centroids.label[: self._centroids.n].tolist())}
        if g.near:  # the absorbed story's related stories become the keeper's (links are symmetric)
            for q, p in g.near.items():
                if q == keep:
                    continue
                qn = self._stories[q].near
                qn.pop(gone, None)
                qn[keep] = k.near[q] = max(p, qn.get(keep, 0.0))
                self._linked.add(q)
            k.near.pop(gone, None)
            g.near = {}
            self._linked.update((keep, gone))
        g.active = False
        g.merged_into = k.id
        g.count, g.members = 0, []
        g.bag, g.title_bag, g.numbers, g.sources, g.norms = {}, {}, Counter(), Counter(), {}
        self._merged.append(g.id)

    def _centroid(self, pos: int, rows: np.ndarray | None = None) -> np.ndarray:
        """The story's vector in the index: the mean of all its articles while it is small, of
        its MEMBER_WINDOW most recent ones once it is larger (L2-normalised). `rows`: the story's
        member rows, when the caller has them already."""
        c = self._sums[pos]
        if self._stories[pos].count > MEMBER_WINDOW:
            if rows is None:
                rows = np.nonzero(self._members.label[: self._members.n] == pos)[0]
            if len(rows):
                c = self._members.data[rows].sum(axis=0)
        return c / max(1e-12, float(np.linalg.norm(c)))

    def _best_member(self, pos: int, vec: np.ndarray) -> float:
        rows = np.nonzero(self._members.label[: self._members.n] == pos)[0]
        if not len(rows):
            return float(self._sums[pos] @ vec / max(1e-12, float(np.linalg.norm(self._sums[pos]))))
        return float((self._members.data[rows] @ vec).max())

    def _add(self, view: _ArticleView, vec: np.ndarray, pos: int | None) -> str:
        if pos is None:
            pos = len(self._stories)
            sid = f"{self.id_prefix}{pos + 1:06d}"
            self._stories.append(_Story(sid, view.day, view.day, title=view.title))
            self._index[sid] = pos
            if pos == len(self._sums):
                self._sums = np.vstack([self._sums, np.zeros_like(self._sums)])
            self._crow[pos] = self._centroids.append(np.zeros(self.dim, np.float32), pos)
        s = self._stories[pos]
        s.count += 1
        s.members.append(view.id)
        s.first, s.last = min(s.first, view.day), max(s.last, view.day)
        if not s.title and view.title:
            s.title = view.title
        idf = self._idf_cache
        s.arrays.clear()
        for which, bag, add in (("bag", s.bag, view.bag), ("title", s.title_bag, view.title_bag)):
            got = s.norms.get(which)
            sq = got[1] ** 2 if got is not None else 0.0
            for k, v in add.items():
                old = bag.get(k, 0.0)
                bag[k] = old + v
                if got is not None:  # keep the norm current without walking a large story's whole bag
                    sq += ((old + v) ** 2 - old**2) * self._idf_of(k, idf) ** 2
            if got is not None:
                got[1] = math.sqrt(max(sq, 0.0))
            if len(bag) > BAG_CAP:
                _prune(bag, BAG_CAP * 2 // 3)
                s.norms.pop(which, None)
        s.numbers.update(view.numbers)
        if view.source:
            s.sources[view.source] += 1
        if view.lang:
            s.langs[view.lang] += 1
        self._sums[pos] += vec
        self._members.append(vec, pos)
        rows = None
        if s.count > MEMBER_WINDOW:
            rows = np.nonzero(self._members.label[: self._members.n] == pos)[0]
            if len(rows) > MEMBER_WINDOW:  # the oldest rows leave the index (the new one is last)
                old, rows = rows[: len(rows) - MEMBER_WINDOW], rows[len(rows) - MEMBER_WINDOW :]
                self._members.label[old] = -1
                self._members.data[old] = 0.0
                self._retired += len(old)
        self._centroids.data[self._crow[pos]] = self._centroid(pos, rows)
        self._member_ids.append(view.id)
        self._member_titles.append(view.title)
        self._member_meta.append((view.day, view.source))
        grams = view.grams if view.grams is not None else _BagArrays(np.zeros(0, np.int32), np.zeros(0, np.float32))
        self._member_grams.append((grams, self._gram_norm(grams)))
        va = view.arrays
        self._member_bags.append((view.body_bag, view.title_bag, self._norm(view.body_bag, va and va[2]),
                                  self._norm(view.title_bag, va and va[1])))
        self._member_arrays.append((view.arrays[2], view.arrays[1]) if view.arrays is not None else None)
        self._story_of[view.id] = pos
        return s.id

    def _refresh_title(self, pos: int) -> None:
        rows = np.nonzero(self._members.label[: self._members.n] == pos)[0]
        if not len(rows):
            return
        cent = self._centroids.data[self._crow[pos]]
        best = rows[int(np.argmax(self._members.data[rows] @ cent))]
        title = self._member_titles[best]
        if title:
            self._stories[pos].title = title

    def _sweep(self) -> None:
        """Move stories quiet for `dormant_days` out of the candidate index (batched)."""
        if not math.isfinite(self._now) or self._now - self._last_sweep < min(0.25, self.dormant_days / 4):
            return
        self._last_sweep = self._now
        cutoff = self._now - self.dormant_days
        going = [p for p in self._crow if self._stories[p].last < cutoff]
        if not going and self._retired < 1024:
            return
        for p in going:
            self._refresh_title(p)
            s = self._stories[p]
            s.active = False
            s.bag, s.title_bag, s.numbers, s.sources = {}, {}, Counter(), Counter(s.sources)
            s.arrays.clear()
        gone = np.zeros(len(self._stories), bool)
        gone[going] = True
        labels = self._members.label[: self._members.n]
        mkeep = (labels >= 0) & ~gone[np.maximum(labels, 0)]
        self._retired = 0
        keep = mkeep.tolist()
        self._member_ids = [m for m, k in zip(self._member_ids, keep, strict=True) if k]
        self._member_titles = [m for m, k in zip(self._member_titles, keep, strict=True) if k]
        self._member_meta = [m for m, k in zip(self._member_meta, keep, strict=True) if k]
        self._member_grams = [m for m, k in zip(self._member_grams, keep, strict=True) if k]
        self._member_bags = [m for m, k in zip(self._member_bags, keep, strict=True) if k]
        self._member_arrays = [m for m, k in zip(self._member_arrays, keep, strict=True) if k]
        self._members.keep(mkeep)
        ckeep = ~gone[self._centroids.label[: self._centroids.n]]
        self._centroids.keep(ckeep)
        self._crow = {int(p): r for r, p in enumerate(self._centroids.label[: self._centroids.n].tolist())}

    def _revive(self, pos: int) -> None:
        """A near-duplicate of a dormant story's member arrived: bring the story back."""
        s = self._stories[pos]
        s.active = True
        self._crow[pos] = self._centroids.append(self._centroid(pos), pos)

    # -- persistence -------------------------------------------------------------------------
    def to_bytes(self) -> bytes:
        """The whole state as a zip of JSON and .npy arrays (no pickle); see `from_bytes`."""
        act = set(self._crow)
        stories = []
        for p, s in enumerate(self._stories):
            d = {"id": s.id, "first": s.first, "last": s.last, "count": s.count, "members": s.members,
                 "title": s.title, "active": s.active, "sources": dict(s.sources), "langs": dict(s.langs)}
            if s.merged_into is not None:
                d["merged_into"] = s.merged_into
            if s.near:
                d["near"] = [[q, p] for q, p in s.near.items()]
            if p in act:
                d["bag"] = [[k, v] for k, v in s.bag.items()]
                d["title_bag"] = [[k, v] for k, v in s.title_bag.items()]
                d["numbers"] = dict(s.numbers)
                d["norms"] = s.norms
            stories.append(d)
        meta = {
            "version": 1,
            "params": {"dormant_days": self.dormant_days, "candidates": self.k, "dim": self.dim,
                       "late_after_days": self.late_after_days, "late_threshold": self.late_threshold,
                       "late_min_size": self.late_min_size, "late_merges": self.late_merges,
                       "id_prefix": self.id_prefix, "related_min": self.related_min},
            "model": json.loads(self.model.to_json()),
            "merge_model": json.loads(self.merge_model.to_json()) if self.merge_model is not None else None,
            "cross_model": json.loads(self.cross_model.to_json()) if self.cross_model is not None else None,
            "cross_merge_model": (json.loads(self.cross_merge_model.to_json())
                                  if self.cross_merge_model is not None else None),
            "pair_model": json.loads(self.pair_model.to_json()) if self.pair_model is not None else None,
            "member_meta": [[d, src] for d, src in self._member_meta],
            "ndocs": self._ndocs,
            "now": self._now if math.isfinite(self._now) else None,
            "last_sweep": self._last_sweep if math.isfinite(self._last_sweep) else None,
            "stories": stories,
            "member_ids": self._member_ids,
            "member_titles": self._member_titles,
            "member_bags": [[[[k, v] for k, v in b.items()], [[k, v] for k, v in t.items()], nb, nt]
                            for b, t, nb, nt in self._member_bags],
            "centroid_order": self._centroids.label[: self._centroids.n].tolist(),
        }
        arrays = {
            "sums": self._sums[: len(self._stories)],
            "df": self._df,
            "members": self._members.data[: self._members.n],
            "member_story": self._members.label[: self._members.n],
            "gdf": self._gdf,
            "gram_keys": np.concatenate([g.keys for g, _ in self._member_grams] or [np.zeros(0, np.int32)]),
            "gram_vals": np.concatenate([g.vals for g, _ in self._member_grams] or [np.zeros(0, np.float32)]),
            "gram_lens": np.array([len(g.keys) for g, _ in self._member_grams], np.int64),
            "gram_norms": np.array([n for _, n in self._member_grams], np.float64),
        }
        return _zip_state(meta, arrays)

    @classmethod
    def from_bytes(cls, data: bytes, model: StoryModel | None = None) -> StoryClusterer:
        """Continue from a saved state; `model` overrides the saved model (default: the saved one)."""
        meta, arrays = _unzip_state(data)
        saved = StoryModel.from_json(json.dumps(meta["model"]))
        merge = meta.get("merge_model")
        saved_merge = StoryModel.from_json(json.dumps(merge), MERGE_FEATURES) if merge else None
        self = cls(model=model or saved, merge_model=saved_merge, merges=saved_merge is not None, **meta["params"])
        # the cross-language scorers the state was saved with (a state from before them: the shipped ones)
        if "cross_model" in meta:
            cm = meta["cross_model"]
            self.cross_model = StoryModel.from_json(json.dumps(cm)) if cm else None
        if "cross_merge_model" in meta:
            cm = meta["cross_merge_model"]
            self.cross_merge_model = StoryModel.from_json(json.dumps(cm), MERGE_FEATURES) if cm else None
        if "pair_model" in meta:  # a state from before the core check: the shipped pair scorer
            pm = meta["pair_model"]
            self.pair_model = StoryModel.from_json(json.dumps(pm), PAIR_FEATURES) if pm else None
        self._ndocs = meta["ndocs"]
        self._now = meta["now"] if meta["now"] is not None else -math.inf
        self._last_sweep = meta["last_sweep"] if meta["last_sweep"] is not None else -math.inf
        self._df = arrays["df"].astype(np.uint32)
        n = len(meta["stories"])
        self._sums = np.zeros((max(64, n), self.dim), np.float32)
        self._sums[:n] = arrays["sums"]
        for p, d in enumerate(meta["stories"]):
            s = _Story(d["id"], d["first"], d["last"], d["count"], list(d["members"]), d["title"], d["active"])
            s.sources = Counter(d["sources"])
            s.langs = Counter(d.get("langs", {}))
            s.bag = {int(k): float(v) for k, v in d.get("bag", [])}
            s.title_bag = {int(k): float(v) for k, v in d.get("title_bag", [])}
            s.numbers = Counter(d.get("numbers", {}))
            s.norms = {k: list(v) for k, v in d.get("norms", {}).items()}
            s.merged_into = d.get("merged_into")
            s.near = {int(q): float(p) for q, p in d.get("near", [])}
            self._stories.append(s)
            self._index[s.id] = p
            for m in s.members:
                self._story_of[m] = p
        for row, p in zip(arrays["members"], arrays["member_story"].tolist(), strict=True):
            self._members.append(row, int(p))
        self._retired = int((self._members.label[: self._members.n] < 0).sum())
        for p in meta["centroid_order"]:
            self._crow[p] = self._centroids.append(self._centroid(p), p)
        self._member_ids = list(meta["member_ids"])
        self._member_titles = list(meta["member_titles"])
        # a state from before member days were kept: each member at its story's last day
        stories_of = arrays["member_story"].tolist()
        self._member_meta = ([(float(d), str(src)) for d, src in meta["member_meta"]] if "member_meta" in meta
                             else [(self._stories[p].last if p >= 0 else 0.0, "") for p in stories_of])
        self._member_bags = [
            ({int(k): float(v) for k, v in b}, {int(k): float(v) for k, v in t}, float(nb), float(nt))
            for b, t, nb, nt in meta["member_bags"]
        ]
        if "gram_lens" in arrays:
            self._gdf = arrays["gdf"].astype(np.uint32)
            ends = np.cumsum(arrays["gram_lens"])
            keys = np.split(arrays["gram_keys"].astype(np.int32), ends[:-1]) if len(ends) else []
            vals = np.split(arrays["gram_vals"].astype(np.float32), ends[:-1]) if len(ends) else []
            self._member_grams = [(_BagArrays(k, v), float(n))
                                  for k, v, n in zip(keys, vals, arrays["gram_norms"].tolist(), strict=True)]
        else:  # a state from before the lead n-grams: members compare as sharing none
            empty = _BagArrays(np.zeros(0, np.int32), np.zeros(0, np.float32))
            self._member_grams = [(empty, 0.0)] * len(self._member_bags)
        self._member_arrays = [None] * len(self._member_bags)
        return self


def fit_story_model(X: np.ndarray, y: np.ndarray, C: float = 1.0, trained_on: str = "",
                    features: tuple[str, ...] = FEATURES) -> StoryModel:
    """Fit the candidate scorer (scikit-learn, at training time only) and export it as a StoryModel."""
    from sklearn.linear_model import LogisticRegression

    mean = X.mean(axis=0)
    scale = X.std(axis=0)
    scale[scale == 0] = 1.0
    lr = LogisticRegression(C=C, max_iter=2000)
    lr.fit((X - mean) / scale, y.astype(int))
    return StoryModel(
        features=list(features), mean=mean.tolist(), scale=scale.tolist(), coef=lr.coef_[0].tolist(),
        intercept=float(lr.intercept_[0]), threshold=0.5, trained_on=trained_on,
        lo=X.min(axis=0).tolist(), hi=X.max(axis=0).tolist(),
    )


def fit_cross_model(X: np.ndarray, y: np.ndarray, C: float = 1.0, trained_on: str = "",
                    features: tuple[str, ...] = FEATURES, keep: tuple[str, ...] = LANG_FREE) -> StoryModel:
    """The scorer for an article and a story (or two stories, with MERGE_FEATURES and
    MERGE_LANG_FREE) in different languages: fitted on the same rows as the main model, with the
    signals that do not compare words only, and returned over all `features` with zero weight on
    the lexical ones (so the clusterer scores both with one row)."""
    cols = [features.index(f) for f in keep]
    sub = fit_story_model(X[:, cols], y, C=C, trained_on=trained_on)
    mean, scale, coef = X.mean(axis=0), X.std(axis=0), np.zeros(len(features))
    scale[scale == 0] = 1.0
    lo, hi = X.min(axis=0), X.max(axis=0)
    for j, c in enumerate(cols):
        mean[c], scale[c], coef[c] = sub.mean[j], sub.scale[j], sub.coef[j]
    return StoryModel(features=list(features), mean=mean.tolist(), scale=scale.tolist(), coef=coef.tolist(),
                      intercept=sub.intercept, threshold=0.5, trained_on=trained_on, lo=lo.tolist(), hi=hi.tolist())
