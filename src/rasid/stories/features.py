"""What the clusterer reads from one article: its term bags (light stems hashed into buckets),
its numbers, its language and the character n-grams of its title and lead."""

from __future__ import annotations

import re
import zlib
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from ..dedup import TextMemo, day_number, memo_map
from ..model import Article
from ..text.normalize import arabic_ratio, light_stem, tokens

_BUCKETS = 1 << 20
_NUMBER = re.compile(r"^\d")
_GRAMS = (3, 4, 5)  # character n-gram sizes of the lead signal (within words, padded by a space)
LEX_CHARS = 400


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
    # IDF norms of title_bag and body_bag at the article's own IDF (`_view_norms`; set once per article)
    norms: tuple[float, float] | None = None


def counted_terms(view: _ArticleView) -> np.ndarray:
    """The distinct term buckets an article counts in the document and daily frequencies: those
    of its bag (title and lead), its body and its title. One rule for the clusterer, its priming
    and the shipped background (`rasid_training.background`)."""
    keys = set(view.bag) | set(view.body_bag) | set(view.title_bag)
    return np.fromiter(keys, np.int64, len(keys))


def _word_grams(token: str) -> list[int]:
    """The hashed character 3-5-grams of one word padded by a space at each end."""
    w = f" {token} "
    return [
        zlib.crc32(w[i : i + n].encode("utf-8")) & (_BUCKETS - 1)
        for n in _GRAMS
        for i in range(max(1, len(w) - n + 1))
    ]


def _lead_grams(
    title_tokens: list[str], lead_tokens: list[str], cache: dict[str, list[int]] | None
) -> _BagArrays:
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
    bucket = np.fromiter(counts.keys(), np.int32, len(counts))
    vals = (1.0 + np.log(np.fromiter(counts.values(), np.float64, len(counts)))).astype(np.float32)
    order = np.argsort(bucket)
    return _BagArrays(bucket[order], vals[order])


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


def article_view(
    article: Article,
    now: float,
    stem_cache: dict[str, str] | None = None,
    term_cache: dict[str, int] | None = None,
    memo: TextMemo | None = None,
    gram_cache: dict[str, list[int]] | None = None,
) -> _ArticleView:
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
            numbers=frozenset(
                t for t, k in zip(title_tokens + lead_tokens, tk + lk, strict=True) if k == _NUM
            ),
            body_bag=_bag_of_keys(
                _term_keys(memo.tokens(body) if memo is not None else tokens(body), term_cache)
            ),
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
