"""Near-duplicate detection at article and paragraph level, one article at a time.

Wire copies are the commonest near-duplicates in a news stream: the same agency text printed by
several papers with a changed lead or a trimmed tail. Two levels are kept:

- Article level: MinHash/LSH over character 5-gram shingles of the matching form finds candidates;
  each candidate is verified with a TF-IDF cosine (sublinear TF, word 1-3-grams, IDF from the
  document frequencies seen so far in the stream). A pure Jaccard cut was measured too and cannot
  reach the precision needed for group-pair scoring (docs/benchmarks/stories.md). `duplicate_of`
  points to the earliest article of the group, so a chain of copies never re-heads.
- Paragraph level: the same MinHash over each paragraph; a pair is reported when the estimated
  containment of the shorter paragraph's shingles in the other's passes a threshold. A paragraph
  two outlets share is a fact confirmed by both. Reworded paragraphs are not seen here (their
  shingles differ); `reworded_pairs` finds them from sentence vectors inside one story.

MinHash sketches come from `rensa` (a Rust MinHash, ~8x faster than datasketch's Python update
here). The LSH band index is our own, on numpy arrays: rensa's index cannot be rebuilt from stored
digests, and a dict-per-band index (datasketch) costs ~100 bytes per band entry; ours costs 8 and
serialises as plain arrays. Entries older than `window_days` leave the index so memory and the
saved state stay bounded; exact re-ingests are caught by the store's content hash anyway.
"""

from __future__ import annotations

import io
import json
import math
import re
import zipfile
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from itertools import compress, pairwise, repeat
from operator import is_
from typing import Any

import numpy as np

from .model import Article
from .text.normalize import _TOKEN, match_form, tokens

_MAX_HASH = np.uint64(0xFFFFFFFF)


def _require_rensa():  # imported lazily: the stories extra is optional
    try:
        import rensa
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError("near-duplicate detection needs rensa, a dependency of rasid: reinstall rasid") from exc
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


def memo_map(keys: list[str], cache: dict[str, Any], fn: Callable[[str], Any], limit: int = 500_000) -> list[Any]:
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


def _ngram_counts(toks: list[str], buckets: int, crc: dict[str, int] | None = None) -> tuple[np.ndarray, np.ndarray]:
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


class BandIndex:
    """LSH over MinHash digests: `bands` bands of `rows` values each, in sorted numpy runs.

    Each band of a digest hashes to 56 bits, tagged with the band number in the top 8 bits, so all
    bands of an entry live in one sorted uint64 array and a query is one vectorised binary search
    per run. New entries wait in a small buffer (a dict from band hash to entry keys, so a query
    looks them up directly); a full buffer becomes a sorted run, and runs of similar size are
    merged (a log-structured merge, `fanout` 8: a run merges into the one before once it is an
    eighth of its size, so a 7-day paragraph index at 30k articles has 2-3 runs, not 5-6), so an
    insert costs O(log n) amortised however large the index grows.

    Keys must increase from insert to insert (the deduper numbers entries in arrival order), so
    expiry is a watermark: `remove_older(key)` removes every entry keyed below `key` at once, a
    lookup masks them with one comparison, and a run that is mostly expired is filtered (or
    dropped) right away instead of waiting for a merge that a large old run may not see for a long
    time. `remove(key)` removes one entry anywhere (masked by a set until its run is merged; the
    set forgets a key once no run holds it, so it stays bounded).

    A lookup also counts the live entries of each queried bucket, so frequent buckets are found
    without a separate count table: with `lookup(..., max_bucket=N)` a band hash shared by more
    than N live entries is a stop band, and a query most of whose bands are stop bands is
    boilerplate and gets no entries (frequent-bucket pruning, as in large near-duplicate
    systems, but per query: a paragraph that merely contains a common phrase keeps its few hot
    bands and still finds its copies — pruning single bands lost such pairs on SaudiNewsNet).
    """

    def __init__(self, bands: int, rows: int, buffer: int = 1024, fanout: int = 8) -> None:
        if bands > 255:
            raise ValueError("at most 255 bands")
        self.bands, self.rows, self.buffer, self.fanout = bands, rows, buffer, fanout
        self._runs: list[tuple[np.ndarray, np.ndarray]] = []  # (sorted tagged hashes, entry keys)
        self._buf: dict[int, int | list[int]] = {}  # buffered entries: tagged hash -> entry key(s)
        self._buf_rows: list[np.ndarray] = []  # ... their band hashes, for the flush
        self._buf_keys: list[int] = []
        self._dead: set[int] = set()  # keys removed one by one (>= _low) that a run or the buffer still holds
        self._low = 0  # every key below is removed (remove_older)
        self._last = -1  # the last key inserted
        self._size = 0

    def band_hashes(self, digest: np.ndarray) -> np.ndarray:
        """One tagged hash per band of a digest (uint32 array of bands*rows values); a (n, num_perm)
        matrix of digests gives a (n, bands) matrix, one row per digest, in one pass."""
        d = np.asarray(digest)
        lead = d.shape[:-1]
        d = d[..., : self.bands * self.rows].astype(np.uint64).reshape(*lead, self.bands, self.rows)
        h = np.full((*lead, self.bands), 1469598103934665603, dtype=np.uint64)
        with np.errstate(over="ignore"):
            for r in range(self.rows):
                h = (h ^ d[..., r]) * np.uint64(1099511628211)
        h &= np.uint64((1 << 56) - 1)
        return h | (np.arange(self.bands, dtype=np.uint64) << np.uint64(56))

    def insert(self, key: int, digest: np.ndarray) -> None:
        self.insert_hashes([key], self.band_hashes(digest)[None, :])

    def insert_hashes(self, keys: list[int], hashes: np.ndarray) -> None:
        """Insert entries `keys` (increasing, above every key inserted before) by their
        `band_hashes` rows (computed already for a query)."""
        if not keys:
            return
        if keys[0] <= self._last or any(b <= a for a, b in pairwise(keys)):
            raise ValueError("BandIndex keys must increase from insert to insert")
        self._last = keys[-1]
        self._size += len(keys)
        if len(keys) >= self.buffer:  # a bulk load (from_bytes): straight to a run
            self._flush()
            self._push(hashes.ravel(), np.repeat(np.asarray(keys, np.int64), self.bands))
            return
        buf = self._buf
        for key, row in zip(keys, hashes.tolist(), strict=True):
            for h in row:
                got = buf.setdefault(h, key)  # one key as a plain int: no list per band to collect
                if got != key:
                    buf[h] = [*got, key] if isinstance(got, list) else [got, key]
        self._buf_rows.append(hashes)
        self._buf_keys.extend(keys)
        if len(self._buf_keys) >= self.buffer:
            self._flush()

    def remove(self, key: int) -> None:
        """Remove entry `key` (one inserted, not removed yet)."""
        if key >= self._low and key not in self._dead:
            self._dead.add(key)
            self._size -= 1

    def remove_older(self, key: int) -> None:
        """Remove every entry keyed below `key`: expiry of the oldest entries of a stream.

        Runs wholly below the watermark are dropped and runs more than half below it are filtered
        (a filtered sorted run stays sorted), so stored entries stay within about twice the live
        ones and a lookup never wades through a week of expired boilerplate."""
        if key <= self._low:
            return
        low, b = self._low, self.bands
        gone = sum(1 for k in self._buf_keys if low <= k < key and k not in self._dead)
        runs = []
        for flat, keys in self._runs:
            expired = keys < key
            n_exp = int(np.count_nonzero(expired))
            if n_exp:
                # entries already below the old watermark, or removed one by one, were counted then
                newly = expired & (keys >= low)
                gone += int(np.count_nonzero(newly)) // b
                if self._dead:
                    gone -= len(set(keys[newly].tolist()) & self._dead)
            if n_exp == len(keys):
                continue
            if 2 * n_exp > len(keys):
                flat, keys = flat[~expired], keys[~expired]
            runs.append((flat, keys))
        self._runs = runs
        self._dead = {k for k in self._dead if k >= key}
        self._low = key
        self._size -= gone

    def _flush(self) -> None:
        if not self._buf_keys:
            return
        flat = np.concatenate(self._buf_rows).ravel()
        keys = np.repeat(np.asarray(self._buf_keys, np.int64), self.bands)
        self._buf, self._buf_rows, self._buf_keys = {}, [], []
        self._push(flat, keys)

    def _push(self, flat: np.ndarray, keys: np.ndarray) -> None:
        order = np.argsort(flat, kind="stable")
        self._runs.append((flat[order], keys[order]))
        # merge the newest run into the one before once it reaches 1/fanout of it: few runs (each
        # costs every lookup a binary search), at the price of rewriting a large run more often
        # (an O(n) merge of two sorted runs, cheap next to the lookups it saves)
        while len(self._runs) >= 2 and len(self._runs[-1][0]) * self.fanout >= len(self._runs[-2][0]):
            (fa, ka), (fb, kb) = self._runs[-2], self._runs.pop()
            flat, keys = np.concatenate([fa, fb]), np.concatenate([ka, kb])
            alive = keys >= self._low
            if self._dead:
                dead = np.fromiter(self._dead, np.int64, len(self._dead))
                gone = np.isin(keys, dead)
                self._dead.difference_update(keys[gone].tolist())  # no run holds them any more
                alive &= ~gone
            if not alive.all():
                flat, keys = flat[alive], keys[alive]
            order = np.argsort(flat, kind="stable")  # two sorted runs: timsort merges them in O(n)
            self._runs[-1] = (flat[order], keys[order])

    def query(self, digest: np.ndarray) -> set[int]:
        return self.query_hashes(self.band_hashes(digest)[None, :])[0]

    def query_hashes(self, q: np.ndarray) -> list[set[int]]:
        """Entries sharing a band with each row of `q` (a (n, bands) matrix of `band_hashes`)."""
        return self.lookup(q)[0]

    def lookup(self, q: np.ndarray, max_bucket: int = 0) -> tuple[list[set[int]], np.ndarray]:
        """(entries sharing a band with each row of `q`, live entries in each queried bucket).

        `q` is a (n, bands) matrix of `band_hashes`; the sizes come as the same (n, bands) matrix.
        With `max_bucket` > 0, a row more than half of whose buckets hold more than `max_bucket`
        live entries is boilerplate: it gets no entries (its sizes are still reported). One
        binary search per run for all rows (sorted, so each search starts near the last),
        instead of one per row; expired entries are masked in one comparison."""
        n = len(q)
        flat_q = q.ravel()
        pos_parts: list[np.ndarray] = []  # position in flat_q of each hit entry
        key_parts: list[np.ndarray] = []
        if self._runs:
            order = np.argsort(flat_q)  # sorted queries: each binary search starts near the last
            sorted_q = flat_q[order]
        for flat, keys in self._runs:
            lo = np.searchsorted(flat, sorted_q, "left")
            hit = np.nonzero(flat[np.minimum(lo, len(flat) - 1)] == sorted_q)[0]
            if not len(hit):
                continue  # most bands of most queries meet nothing: no second search
            lo = lo[hit]
            cnt = np.searchsorted(flat, sorted_q[hit], "right") - lo
            # the key positions lo..hi-1 of every hit
            ends = np.cumsum(cnt)
            key_parts.append(keys[np.arange(int(ends[-1])) - np.repeat(ends - cnt - lo, cnt)])
            pos_parts.append(np.repeat(order[hit], cnt))
        if self._buf:
            bpos, bkeys = [], []
            for i, got in enumerate(map(self._buf.get, flat_q.tolist())):
                if got is not None:
                    if isinstance(got, list):
                        bpos.extend([i] * len(got))
                        bkeys.extend(got)
                    else:
                        bpos.append(i)
                        bkeys.append(got)
            if bkeys:
                pos_parts.append(np.array(bpos, np.int64))
                key_parts.append(np.array(bkeys, np.int64))
        found: list[set[int]] = [set() for _ in range(n)]
        if not key_parts:
            return found, np.zeros((n, self.bands), np.int64)
        pos, keys = np.concatenate(pos_parts), np.concatenate(key_parts)
        alive = keys >= self._low
        if self._dead:
            alive &= ~np.isin(keys, np.fromiter(self._dead, np.int64, len(self._dead)))
        pos, keys = pos[alive], keys[alive]
        sizes = np.bincount(pos, minlength=len(flat_q))
        if max_bucket > 0:
            hot = (sizes > max_bucket).reshape(n, self.bands).sum(axis=1) * 2 > self.bands
            if hot.any():
                keep = ~hot[pos // self.bands]
                pos, keys = pos[keep], keys[keep]
        if n == 1:
            found[0].update(keys.tolist())
        elif len(pos):
            rows = pos // self.bands
            order = np.argsort(rows, kind="stable")
            got = keys[order].tolist()
            cut = np.searchsorted(rows[order], np.arange(n + 1)).tolist()
            for r in range(n):
                if cut[r] < cut[r + 1]:
                    found[r].update(got[cut[r] : cut[r + 1]])
        return found, sizes.reshape(n, self.bands)

    def stored(self) -> int:
        """Entries the runs and the buffer hold, expired ones included (bounded by `remove_older`)."""
        return sum(len(k) for _, k in self._runs) // self.bands + len(self._buf_keys)

    def __len__(self) -> int:
        return self._size


class _ParagraphTable:
    """Digest, shingle count and owner (article key, paragraph index) of each indexed paragraph,
    as numpy rows by key.

    Paragraph keys are given in arrival order and expire oldest first, so the live keys are one
    range: rows of three arrays instead of three dicts of small objects, a lookup's candidates are
    gathered with one fancy index, and expiry moves a start row (the arrays are compacted when
    they would otherwise grow)."""

    __slots__ = ("base", "start", "n", "digest", "size", "owner")

    def __init__(self, num_perm: int) -> None:
        self.base = 0  # key of row 0
        self.start = 0  # first live row
        self.n = 0  # rows used
        self.digest = np.zeros((256, num_perm), np.uint32)
        self.size = np.zeros(256, np.int64)
        self.owner = np.zeros((256, 2), np.int64)

    def keys(self) -> range:
        return range(self.base + self.start, self.base + self.n)

    def append(self, key: int, digests: np.ndarray, sizes: list[int], owners: Sequence[Sequence[int]]) -> None:
        """Rows for keys key, key+1, ... (above every key so far; a gap gets unused rows)."""
        if self.start == self.n:  # empty: restart at this key
            self.base, self.start, self.n = key, 0, 0
        at = key - self.base
        if at < self.n:
            raise ValueError("paragraph keys must increase")
        m = len(sizes)
        if at + m > len(self.size):
            self._make_room(at + m)
            at = key - self.base
        self.digest[at : at + m] = digests
        self.size[at : at + m] = sizes
        self.owner[at : at + m] = owners
        self.n = at + m

    def _make_room(self, need: int) -> None:
        live = slice(self.start, self.n)
        cap = len(self.size)
        if need - self.start > cap // 2:  # mostly live: grow
            cap = max(2 * cap, 2 * (need - self.start))
        digest, size, owner = np.zeros((cap, self.digest.shape[1]), np.uint32), np.zeros(cap, np.int64), np.zeros((cap, 2), np.int64)
        k = self.n - self.start
        digest[:k], size[:k], owner[:k] = self.digest[live], self.size[live], self.owner[live]
        self.digest, self.size, self.owner = digest, size, owner
        self.base += self.start
        self.n, self.start = k, 0

    def drop_below(self, key: int) -> None:
        self.start = min(max(self.start, key - self.base), self.n)

    def rows(self, keys: np.ndarray) -> np.ndarray:
        return keys - self.base


@dataclass(slots=True, frozen=True)
class ParagraphMatch:
    """Paragraph `paragraph` of `article` shares its text with paragraph `other_paragraph` of `other`.

    `score` is the estimated containment of the shorter paragraph's shingles in the longer one
    (1.0 = one is a verbatim part of the other); `kind` is "verbatim" (from shingles) or "reworded"
    (from sentence vectors).
    """

    article: str
    paragraph: int
    other: str
    other_paragraph: int
    score: float
    kind: str = "verbatim"


@dataclass(slots=True)
class _Entry:
    id: str
    day: float
    head: str
    tf_keys: np.ndarray | None = None
    tf_vals: np.ndarray | None = None
    paragraph_keys: list[int] = field(default_factory=list)


def _pair_signals(new_id: str, old: _Entry, cos: float, jac: float, shared: int, paras: int, n_grams: float,
                  day: float) -> dict:
    """The signals of one candidate pair that the deduper has at streaming time (`Deduper.pair_log`)."""
    return {
        "new": new_id, "old": old.id, "cos": cos, "jac": jac, "shared": shared, "paras_new": paras,
        "paras_old": len(old.paragraph_keys), "len_new": n_grams,
        "len_old": float(old.tf_vals.sum()) if old.tf_vals is not None else 0.0, "gap": day - old.day,
    }


class Deduper:
    """Streaming near-duplicate detector; feed articles in time order with `add`.

    threshold: TF-IDF cosine (word 1-3-grams, sublinear TF) above which two bodies are copies;
      0.805 chosen on 2015-08-01 (docs/benchmarks/stories.md).
    paragraph_threshold: estimated shingle containment for a shared paragraph.
    min_chars / min_paragraph_chars: shorter texts are never called duplicates (too little evidence).
    window_days: how long an article stays findable.
    max_bucket: a paragraph more than half of whose LSH bands fall in buckets shared by more than
      `max_bucket` live paragraphs of the window is boilerplate (an agency dateline, a paper's
      standard footer): it is indexed but not looked up, so it is reported as shared with nobody
      and its lookups do not grow with the archive. 64 is 4-5x the outlets of SaudiNewsNet (a wire
      paragraph reaches at most one copy per outlet or so in a week); on all 31k articles only SPA
      datelines cross it (docs/benchmarks/dedup_scale.md). Scale it with the number of outlets; 0
      turns the rule off. Article-level decisions never use it.
    """

    def __init__(
        self,
        threshold: float = 0.805,
        paragraph_threshold: float = 0.6,
        min_chars: int = 100,
        min_paragraph_chars: int = 40,
        window_days: float = 7.0,
        num_perm: int = 120,
        bands: int = 40,
        seed: int = 7,
        df_buckets: int = 1 << 20,
        max_bucket: int = 64,
    ) -> None:
        if num_perm % bands:
            raise ValueError("num_perm must be a multiple of bands")
        self.threshold = threshold
        self.paragraph_threshold = paragraph_threshold
        self.min_chars = min_chars
        self.min_paragraph_chars = min_paragraph_chars
        self.window_days = window_days
        self.num_perm, self.bands, self.seed = num_perm, bands, seed
        self.df_buckets = df_buckets
        self.max_bucket = max_bucket
        self._rensa = _require_rensa()
        self._articles = BandIndex(bands, num_perm // bands)
        self._paragraphs = BandIndex(bands, num_perm // bands)
        self._entries: dict[int, _Entry] = {}  # article key -> entry
        self._key_of: dict[str, int] = {}
        self._next_key = 0
        self._next_pkey = 0
        self._digests: dict[int, np.ndarray] = {}  # article key -> digest
        self._ptable = _ParagraphTable(num_perm)  # paragraph key -> digest, shingles, owner
        self._df = np.zeros(df_buckets, np.uint32)
        self._ndocs = 0
        self._now = -math.inf
        self._crc: dict[str, int] = {}  # token -> crc32, so a frequent word is hashed once
        # the bodies' tokens, for a story clusterer that reads the same articles next
        self.text_memo = TextMemo()
        # Set to a list to record every candidate pair (MinHash estimate >= 0.15) with its signals:
        # body cosine, MinHash Jaccard, paragraphs shared, sizes, time gap (bench/dedup_dev.py).
        self.pair_log: list[dict] | None = None
        # Groups: union-find over heads, so two groups that one new copy links merge under the
        # earliest head (connected components, as the gold labels define duplicate groups).
        self._parent: dict[str, str] = {}
        self._members: dict[str, list[str]] = {}  # head -> later members (heads with members only)
        self._head_order: dict[str, tuple[float, int]] = {}  # head -> (day, arrival) for "earliest"
        self._relinked: dict[str, str] = {}
        self._head_of: dict[str, str] = {}  # member -> head when it joined (resolve with _find)

    def _find(self, article_id: str) -> str:
        while article_id in self._parent:
            article_id = self._parent[article_id]
        return article_id

    def _join(self, heads: set[str]) -> str:
        """Merge the groups of `heads` under the earliest one; remember whose head changed."""
        order = sorted(heads, key=lambda h: (self._head_order.get(h, (math.inf, 0)), h))
        first = order[0]
        for h in order[1:]:
            self._parent[h] = first
            moved = [h, *self._members.pop(h, [])]
            self._members.setdefault(first, []).extend(moved)
            self._head_order.pop(h, None)
            for m in moved:
                self._relinked[m] = first
        return first

    def duplicate_of(self, article_id: str) -> str | None:
        """The current head of `article_id`'s group (None if it heads it or is unknown)."""
        head = self._find(self._head_of.get(article_id, article_id))
        return head if head != article_id else None

    def take_relinked(self) -> dict[str, str]:
        """Articles whose `duplicate_of` changed since the last call (two groups merged): id -> head.

        The caller updates those stored articles; a merge happens when a new copy matches two
        earlier groups, which the first arrivals could not know were one.
        """
        out, self._relinked = self._relinked, {}
        return out

    # -- sketches ----------------------------------------------------------------------------
    def _digest(self, shingles: list[str] | set[str]) -> np.ndarray:
        m = self._rensa.RMinHash(num_perm=self.num_perm, seed=self.seed)
        m.update(shingles)
        return np.asarray(m.digest(), dtype=np.uint32)

    def _tfidf_weights(self, keys: np.ndarray, counts: np.ndarray) -> np.ndarray:
        """Sublinear TF times the current IDF (the new article's, computed once for all candidates)."""
        idf = np.log((1.0 + self._ndocs) / (1.0 + self._df[keys])) + 1.0
        return (1.0 + np.log(counts)) * idf

    def _tfidf_cos(self, ak: np.ndarray, wa: np.ndarray, bk: np.ndarray, bv: np.ndarray) -> float:
        """Cosine of the new article (keys `ak`, weights `wa`) and an earlier one (keys, counts)."""
        if not len(ak) or not len(bk):
            return 0.0
        wb = self._tfidf_weights(bk, bv)
        common, ia, ib = np.intersect1d(ak, bk, assume_unique=True, return_indices=True)
        if not len(common):
            return 0.0
        return float(wa[ia] @ wb[ib] / (np.linalg.norm(wa) * np.linalg.norm(wb)))

    # -- streaming ---------------------------------------------------------------------------
    def add(self, article: Article) -> str | None:
        """Index `article`; return the id of the earliest article it copies, or None."""
        return self.add_with_matches(article)[0]

    def add_with_matches(self, article: Article) -> tuple[str | None, list[ParagraphMatch]]:
        """Index `article`; return (duplicate_of, paragraphs it shares with earlier articles)."""
        if article.id in self._key_of:
            entry = self._entries.get(self._key_of[article.id])
            return (entry.head if entry and entry.head != article.id else None), []
        day = day_number(article.published)
        if day is None:
            day = self._now if self._now > -math.inf else 0.0
        self._now = max(self._now, day)
        self._evict()
        key = self._next_key
        self._next_key += 1
        parsed = _parse(article)
        self.text_memo.put(article.text, parsed.tokens)
        tf_keys, tf_vals = _ngram_counts(parsed.tokens, self.df_buckets, self._crc)
        self._ndocs += 1
        if len(tf_keys):
            self._df[tf_keys] += 1
        head: str | None = None
        long_enough = parsed.mf_len >= self.min_chars
        shingles = _all_shingles(parsed.norm)
        paragraphs = self._paragraph_digests(article, parsed, shingles)
        digest = self._article_digest(parsed, shingles, paragraphs) if long_enough else None
        entry = _Entry(article.id, day, article.id)
        self._entries[key] = entry
        self._key_of[article.id] = key
        # paragraphs first: what this article shares with each candidate is one of the pair's signals
        matches = self._index_paragraphs(key, article, paragraphs)
        if digest is not None:
            matched: set[str] = set()
            wa: np.ndarray | None = None
            cands = [o for o in sorted(self._articles.query(digest)) if o in self._digests]
            if cands:
                # cheap MinHash estimate first (copies share most character shingles), for all
                # candidates in one array operation: an SPA dateline makes dozens of short wire
                # items candidates of each other
                jac = (np.stack([self._digests[o] for o in cands]) == digest).mean(axis=1)
                log = self.pair_log
                floor = 0.3 if log is None else 0.15  # a log also keeps pairs the prefilter drops
                shared: dict[str, set[int]] = {}
                if log is not None:
                    for m in matches:
                        shared.setdefault(m.other, set()).add(m.paragraph)
                for j in np.nonzero(jac >= floor)[0].tolist():
                    e = self._entries[cands[j]]
                    if wa is None:
                        wa = self._tfidf_weights(tf_keys, tf_vals)
                    cos = self._tfidf_cos(tf_keys, wa, e.tf_keys, e.tf_vals)  # type: ignore[arg-type]
                    if log is not None:
                        log.append(_pair_signals(article.id, e, cos, float(jac[j]), len(shared.get(e.id, ())),
                                                 len(paragraphs), float(tf_vals.sum()), day))
                    if jac[j] >= 0.3 and cos >= self.threshold:
                        # the group's root, not the member: a member is not in `_parent`, so
                        # `_find(member)` would name it as a head of its own
                        matched.add(self._find(self._head_of.get(e.id, e.id)))
            if matched:
                head = self._join(matched)
        entry.head = head or article.id
        if head is None:
            self._head_order[article.id] = (day, key)
        else:
            self._members.setdefault(head, []).append(article.id)
            self._head_of[article.id] = head
        if digest is not None:
            entry.tf_keys, entry.tf_vals = tf_keys, tf_vals
            self._digests[key] = digest
            self._articles.insert(key, digest)
        return head, matches

    def _paragraph_digests(self, article: Article, parsed: _Parsed, shingles: list[str],
                           ) -> list[tuple[int, int, np.ndarray]]:
        """(paragraph index, distinct shingles, digest) of the paragraphs long enough to index."""
        out = []
        for pi, para in enumerate(article.paragraphs):
            if len(para.text.strip()) < self.min_paragraph_chars:
                continue
            start, length = parsed.starts[pi], parsed.lengths[pi]
            if start < 0:
                continue
            # the paragraph's k-grams are a stretch of the body's (its text is part of the body's)
            sh = set(shingles[start : start + length - 4]) if length > 5 else {parsed.norm[start : start + length]}
            out.append((pi, len(sh), self._digest(sh)))
        return out

    def _article_digest(self, parsed: _Parsed, shingles: list[str], paragraphs: list[tuple[int, int, np.ndarray]],
                        ) -> np.ndarray:
        """The body's digest. A MinHash value is a minimum over the set, so the digest of a union is
        the element-wise minimum of the parts' digests: the paragraphs' digests (computed anyway)
        cover their stretches of the body's k-grams, and only the rest (short paragraphs, k-grams
        across paragraph breaks) is hashed again."""
        parts, rest, at = [], [], 0
        for pi, _, d in paragraphs:
            start, length = parsed.starts[pi], parsed.lengths[pi]
            if length <= 5:  # its one "k-gram" is the whole short text, not one of the body's
                continue
            rest.extend(shingles[at:start])
            at = start + length - 4
            parts.append(d)
        rest.extend(shingles[at:])
        if not parts:
            return self._digest(rest)
        if rest:
            parts.append(self._digest(rest))
        return np.minimum.reduce(parts) if len(parts) > 1 else parts[0].copy()

    def _index_paragraphs(self, key: int, article: Article, paragraphs: list[tuple[int, int, np.ndarray]],
                          ) -> list[ParagraphMatch]:
        entry = self._entries[key]
        if not paragraphs:
            return []
        sizes = [a for _, a, _ in paragraphs]
        digests = np.stack([d for _, _, d in paragraphs])
        hashes = self._paragraphs.band_hashes(digests)
        # Stop bands: an LSH bucket that more than `max_bucket` live paragraphs of the window share
        # is boilerplate (a dateline, a paper's footer), and is not looked into.
        found, _ = self._paragraphs.lookup(hashes, self.max_bucket)
        matches: list[ParagraphMatch] = []
        # no paragraph of this article is in the index yet, so querying them all before inserting
        # any finds what one-at-a-time would (that excluded the article's own paragraphs anyway).
        # All candidates of all paragraphs are scored in one array operation.
        cand = [sorted(got) for got in found]
        n_cand = [len(c) for c in cand]
        if sum(n_cand):
            tab = self._ptable
            rows_q = np.repeat(np.arange(len(cand)), n_cand)
            rows_c = tab.rows(np.fromiter((k for c in cand for k in c), np.int64, sum(n_cand)))
            jac = (tab.digest[rows_c] == digests[rows_q]).mean(axis=1)
            a = np.asarray(sizes, np.int64)[rows_q]
            b = tab.size[rows_c].astype(np.float64)
            contain = np.minimum(1.0, jac * (a + b) / ((1.0 + jac) * np.minimum(a, b)))
            hit = np.nonzero(contain >= self.paragraph_threshold)[0]
            owners = tab.owner[rows_c[hit]].tolist()
            best: dict[tuple[int, int], ParagraphMatch] = {}  # (query row, owner) -> best match
            for j, q, (owner, opi) in zip(hit.tolist(), rows_q[hit].tolist(), owners, strict=True):
                score = float(contain[j])
                prev = best.get((q, owner))
                if prev is None or score > prev.score:
                    pi = paragraphs[q][0]
                    best[q, owner] = ParagraphMatch(article.id, pi, self._entries[owner].id, opi, round(score, 3))
            matches.extend(best[qo] for qo in sorted(best))
        first = self._next_pkey
        self._next_pkey += len(paragraphs)
        entry.paragraph_keys.extend(range(first, self._next_pkey))
        self._ptable.append(first, digests, sizes, [(key, pi) for pi, _, _ in paragraphs])
        self._paragraphs.insert_hashes(list(range(first, self._next_pkey)), hashes)
        return matches

    def _evict(self) -> None:
        """Drop articles older than the window; arrival order is (nearly) time order, so the
        oldest entries are at the front of `_entries` and the scan stops at the first young one."""
        if self.window_days <= 0 or not math.isfinite(self._now):
            return
        cutoff = self._now - self.window_days
        old = []
        for k, e in self._entries.items():  # insertion order
            if e.day >= cutoff:
                break
            old.append(k)
        if len(old) < 64:  # evict in batches
            return
        plow: int | None = None
        for k in old:
            e = self._entries.pop(k)
            self._key_of.pop(e.id, None)
            if e.id not in self._members:
                self._head_order.pop(e.id, None)
            self._digests.pop(k, None)
            if e.paragraph_keys:
                plow = e.paragraph_keys[-1] + 1
        # Keys are given in arrival order and `old` is the front of it, so every evicted key is
        # below every kept one: one watermark per index removes them all.
        self._articles.remove_older(old[-1] + 1)
        if plow is not None:
            self._paragraphs.remove_older(plow)
            self._ptable.drop_below(plow)

    def __len__(self) -> int:
        return len(self._entries)

    # -- persistence -------------------------------------------------------------------------
    def to_bytes(self) -> bytes:
        """The whole state as a zip of JSON and .npy arrays (no pickle)."""
        keys = sorted(self._entries)
        meta = {
            "version": 2,  # 2 adds params.max_bucket; nothing else changed
            "params": {
                "threshold": self.threshold, "paragraph_threshold": self.paragraph_threshold,
                "min_chars": self.min_chars, "min_paragraph_chars": self.min_paragraph_chars,
                "window_days": self.window_days, "num_perm": self.num_perm, "bands": self.bands,
                "seed": self.seed, "df_buckets": self.df_buckets, "max_bucket": self.max_bucket,
            },
            "next_key": self._next_key, "next_pkey": self._next_pkey, "ndocs": self._ndocs,
            "now": self._now if math.isfinite(self._now) else None,
            "parent": self._parent, "members": self._members, "head_of": self._head_of,
            "head_order": {k: list(v) for k, v in self._head_order.items()}, "relinked": self._relinked,
            "entries": [
                {"key": k, "id": self._entries[k].id, "day": self._entries[k].day, "head": self._entries[k].head,
                 "pkeys": self._entries[k].paragraph_keys}
                for k in keys
            ],
        }
        akeys = [k for k in keys if k in self._digests]
        tab = self._ptable
        live = slice(tab.start, tab.n)
        pkeys = [k for k, s in zip(tab.keys(), tab.size[live].tolist(), strict=True) if s > 0]  # gaps: size 0
        prow = tab.rows(np.array(pkeys, np.int64))
        tf_len = [len(self._entries[k].tf_keys) for k in akeys]  # type: ignore[arg-type]
        arrays = {
            "df": self._df,
            "akeys": np.array(akeys, np.int64),
            "adigests": np.stack([self._digests[k] for k in akeys]) if akeys else np.zeros((0, self.num_perm), np.uint32),
            "tf_len": np.array(tf_len, np.int64),
            "tf_keys": np.concatenate([self._entries[k].tf_keys for k in akeys]) if akeys else np.zeros(0, np.uint32),  # type: ignore[misc]
            "tf_vals": np.concatenate([self._entries[k].tf_vals for k in akeys]) if akeys else np.zeros(0, np.float32),  # type: ignore[misc]
            "pkeys": np.array(pkeys, np.int64),
            "pdigests": tab.digest[prow],
            "psize": tab.size[prow],
            "powner": tab.owner[prow],
        }
        return _zip_state(meta, arrays)

    @classmethod
    def from_bytes(cls, data: bytes) -> Deduper:
        meta, arrays = _unzip_state(data)
        version = meta.get("version", 1)
        if version > 2:
            raise ValueError(f"deduper state version {version} is newer than this rasid reads (2)")
        # Version 1 (before stop bands) has no max_bucket and gets the default: what is stored (the
        # digests the index is rebuilt from) is the same, only later paragraph lookups change.
        self = cls(**meta["params"])
        self._next_key, self._next_pkey, self._ndocs = meta["next_key"], meta["next_pkey"], meta["ndocs"]
        self._now = meta["now"] if meta["now"] is not None else -math.inf
        self._df = arrays["df"].astype(np.uint32)
        self._parent, self._members, self._head_of = meta["parent"], meta["members"], meta["head_of"]
        self._head_order = {k: (float(v[0]), int(v[1])) for k, v in meta["head_order"].items()}
        self._relinked = meta["relinked"]
        for e in meta["entries"]:
            self._entries[e["key"]] = _Entry(e["id"], e["day"], e["head"], paragraph_keys=list(e["pkeys"]))
            self._key_of[e["id"]] = e["key"]
        offs = np.concatenate([[0], np.cumsum(arrays["tf_len"])])
        adig = arrays["adigests"].astype(np.uint32)
        for i, k in enumerate(arrays["akeys"].tolist()):
            self._digests[k] = adig[i]
            ent = self._entries[k]
            ent.tf_keys = arrays["tf_keys"][offs[i] : offs[i + 1]].astype(np.uint32)
            ent.tf_vals = arrays["tf_vals"][offs[i] : offs[i + 1]].astype(np.float32)
        if len(adig):  # one batch: the index holds what inserting one by one would
            self._articles.insert_hashes(arrays["akeys"].tolist(), self._articles.band_hashes(adig))
        pdig = arrays["pdigests"].astype(np.uint32)
        pk = arrays["pkeys"].astype(np.int64)
        if len(pk):  # one block of rows; keys missing from the range (none in practice) stay unused
            sizes = np.zeros(int(pk[-1] - pk[0]) + 1, np.int64)
            dig = np.zeros((len(sizes), self.num_perm), np.uint32)
            own = np.zeros((len(sizes), 2), np.int64)
            sizes[pk - pk[0]], dig[pk - pk[0]], own[pk - pk[0]] = arrays["psize"], pdig, arrays["powner"].reshape(-1, 2)
            self._ptable.append(int(pk[0]), dig, sizes.tolist(), own.tolist())
        if len(pdig):
            self._paragraphs.insert_hashes(arrays["pkeys"].tolist(), self._paragraphs.band_hashes(pdig))
        return self


_CLAUSE = re.compile(r"(?<=[.!?؟])\s+|[،,؛;]\s*")


def clauses(text: str, min_chars: int = 25) -> list[str]:
    """Sentences and comma-separated clauses of `text` long enough to carry a fact.

    A reworded wire paragraph keeps its facts but not its wrapping: two outlets embed the same
    clause in different paragraphs (seed 002/004: paragraph cosine 0.67, best clause pair 0.74),
    so `reworded_pairs` compares clauses.
    """
    return [c.strip() for c in _CLAUSE.split(text) if len(c.strip()) >= min_chars]


def reworded_pairs(
    paragraphs: list[tuple[str, int, str]], vectors: np.ndarray, threshold: float = 0.72
) -> list[ParagraphMatch]:
    """Paragraphs of different articles of one story that say the same thing in other words.

    `paragraphs` lists units (article id, paragraph index, text) — whole paragraphs or their
    `clauses`, several units per paragraph allowed — and `vectors` their L2-normalised embeddings,
    row for row. MinHash cannot see a reworded wire paragraph; a cross-lingual sentence embedding
    can. Only pairs across articles are returned, each paragraph paired with its best match in each
    other article. Meant for the few hundred clauses of one story, not a corpus (it is quadratic).
    The threshold is set from the one labelled reworded pair (seeds, 0.74) and keeps under 2% of
    cross-article clause pairs of the seed story: a starting point, not a measured operating point.
    """
    if len(paragraphs) < 2:
        return []
    sims = vectors @ vectors.T
    out: list[ParagraphMatch] = []
    art = [p[0] for p in paragraphs]
    best: dict[tuple[str, int, str], tuple[float, int]] = {}
    for i in range(len(paragraphs)):
        for j in range(i + 1, len(paragraphs)):
            if art[j] == art[i] or sims[i, j] < threshold:
                continue
            key = (art[i], paragraphs[i][1], art[j])
            if key not in best or sims[i, j] > best[key][0]:
                best[key] = (float(sims[i, j]), j)
    for (a, pi, other), (s, j) in sorted(best.items()):
        out.append(ParagraphMatch(a, pi, other, paragraphs[j][1], round(s, 3), "reworded"))
    return out


def _zip_state(meta: dict, arrays: dict[str, np.ndarray]) -> bytes:
    """The state as one zip. Deflate level 1: the stories stage saves both states at the end of
    every run, on its serial path, and level 6 spent ~0.9 s compressing a day's states for 5 %
    smaller blobs (docs/benchmarks/pipeline.md)."""
    buf = io.BytesIO()
    def entry(name: str) -> zipfile.ZipInfo:  # fixed timestamps: same state, same bytes
        info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
        info.compress_type = zipfile.ZIP_DEFLATED
        return info

    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        zf.writestr(entry("state.json"), json.dumps(meta, ensure_ascii=False), compresslevel=1)
        for name, arr in arrays.items():
            b = io.BytesIO()
            np.save(b, arr, allow_pickle=False)
            zf.writestr(entry(f"{name}.npy"), b.getvalue(), compresslevel=1)
    return buf.getvalue()


def _unzip_state(data: bytes) -> tuple[dict, dict[str, np.ndarray]]:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        meta = json.loads(zf.read("state.json").decode("utf-8"))
        arrays = {
            n[:-4]: np.load(io.BytesIO(zf.read(n)), allow_pickle=False) for n in zf.namelist() if n.endswith(".npy")
        }
    return meta, arrays
