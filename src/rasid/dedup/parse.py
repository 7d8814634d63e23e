"""The text side of near-duplicate detection: an article's matching form parsed once, character
shingles, hashed word n-gram counts, and the small caches the deduper and the clusterer share."""

from __future__ import annotations

import zlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from itertools import compress, repeat
from operator import is_
from typing import Any

import numpy as np

from ..model import Article
from ..text.normalize import _TOKEN, match_form, tokens


def _require_rensa():  # imported lazily: the stories extra is optional
    try:
        import rensa
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            "near-duplicate detection needs rensa, a dependency of rasid: reinstall rasid"
        ) from exc
    return rensa


def day_number(published: str | None) -> float | None:
    """Days since the epoch of an ISO date/datetime (naive times taken as UTC); None if unparsable."""
    if not published:
        return None
    text = published.strip().replace("Z", "+00:00")
    try:
        dt = datetime.fromisoformat(text)
    except ValueError:
        try:
            dt = datetime.fromisoformat(text[:10])
        except ValueError:
            return None
    if dt.tzinfo is not None:
        return dt.timestamp() / 86400.0
    return (dt - datetime(1970, 1, 1)).total_seconds() / 86400.0


def char_shingles(text: str, k: int = 5) -> list[str]:
    """Distinct character k-grams of the matching form, tokens joined by single spaces."""
    norm = " ".join(tokens(text))
    if len(norm) <= k:
        return [norm] if norm else []
    return list({norm[i : i + k] for i in range(len(norm) - k + 1)})


@dataclass(slots=True)
class _Parsed:
    """One article's matching-form text, parsed once: dedup needs the body's tokens (TF-IDF), its
    matching-form length (the `min_chars` test), its character shingles and every paragraph's.

    Built paragraph by paragraph: the body is the paragraphs joined by blank lines, and neither the
    matching form nor the token pattern reaches across a line break, so the body's tokens are the
    paragraphs' tokens in order and its shingle text is their shingle texts joined by one space.
    One pass over the text instead of four (three for the body, one for the paragraphs).
    """

    tokens: list[str]
    mf_len: int  # len(match_form(body))
    norm: str  # " ".join(tokens): the text shingled
    starts: list[int]  # per paragraph: offset of its shingle text in `norm` (-1 when it has none)
    lengths: list[int]  # per paragraph: length of its shingle text


def _parse(article: Article) -> _Parsed:
    toks: list[str] = []
    mf_len = n_mf = 0
    norms: list[str] = []
    starts: list[int] = []
    lengths: list[int] = []
    at = 0
    for para in article.paragraphs:
        mf = match_form(para.text)
        if mf:
            mf_len += len(mf)
            n_mf += 1
        pt = _TOKEN.findall(mf)
        toks.extend(pt)
        pn = " ".join(pt)
        if pn:
            if norms:
                at += 1  # the joining space
            starts.append(at)
            norms.append(pn)
            at += len(pn)
        else:
            starts.append(-1)
        lengths.append(len(pn))
    return _Parsed(toks, mf_len + max(0, n_mf - 1), " ".join(norms), starts, lengths)


class TextMemo:
    """The tokens (`normalize.tokens`) of the last few article bodies, so that a second reader of a
    body right after the deduper (the story clusterer) does not normalise and tokenise it again.

    The deduper fills it; a clusterer given the same memo (`StoryClusterer.text_memo`) reads it.
    Keyed by the text itself, so a changed or unknown text is simply tokenised; bounded to `size`.
    """

    def __init__(self, size: int = 16) -> None:
        self.size = size
        self._items: dict[str, list[str]] = {}

    def put(self, text: str, toks: list[str]) -> None:
        items = self._items
        items[text] = toks
        if len(items) > self.size:
            del items[next(iter(items))]

    def get(self, text: str) -> list[str] | None:
        """The tokens kept for `text`, or None when the memo does not hold it (do not mutate)."""
        return self._items.get(text)

    def tokens(self, text: str) -> list[str]:
        """`tokens(text)`, from the memo when the deduper has just read this text (do not mutate)."""
        got = self._items.get(text)
        return got if got is not None else tokens(text)


def _all_shingles(norm: str, k: int = 5) -> list[str]:
    """Every character k-gram of `norm`, repeats included, in text order: a MinHash digest does not
    change with repeats, and a slice of this list is the k-grams of a stretch of the text."""
    if len(norm) <= k:
        return [norm] if norm else []
    return [norm[i : i + k] for i in range(len(norm) - k + 1)]


def memo_map(
    keys: list[str], cache: dict[str, Any], fn: Callable[[str], Any], limit: int = 500_000
) -> list[Any]:
    """`[fn(k) for k in keys]`, each distinct key computed once while it stays in `cache` (the
    caller's, so it lives on the caller's object). The cache is emptied past `limit` keys: a long
    stream meets ever more rare words."""
    got = list(map(cache.get, keys))
    if None in got:
        new = set(compress(keys, map(is_, got, repeat(None))))  # the unseen keys, found in C
        if len(cache) > limit:
            cache.clear()
            new = set(keys)
        cache.update((k, fn(k)) for k in new)
        got = list(map(cache.__getitem__, keys))
    return got


def _ngram_counts(
    toks: list[str], buckets: int, crc: dict[str, int] | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Hashed word 1-3-gram counts: (sorted bucket ids uint32, counts float32).

    Tokens are hashed once (crc32, stable across runs; `crc` remembers them across articles);
    n-gram hashes are mixed in numpy.
    """
    if not toks:
        return np.zeros(0, np.uint32), np.zeros(0, np.float32)
    if crc is None:
        h1 = np.fromiter((zlib.crc32(t.encode("utf-8")) for t in toks), np.uint64, len(toks))
    else:
        h1 = np.array(memo_map(toks, crc, lambda t: zlib.crc32(t.encode("utf-8"))), np.uint64)
    h2 = (h1[:-1] * np.uint64(0x9E3779B1) + h1[1:]) * np.uint64(0x85EBCA6B)
    h3 = (h2[:-1] * np.uint64(0xC2B2AE35) + h1[2:]) * np.uint64(0x27D4EB2F)
    allh = np.concatenate([h1, h2 ^ (h2 >> np.uint64(29)), h3 ^ (h3 >> np.uint64(31))]) % np.uint64(buckets)
    keys, counts = np.unique(allh.astype(np.uint32), return_counts=True)
    return keys, counts.astype(np.float32)
