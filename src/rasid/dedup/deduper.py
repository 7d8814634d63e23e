"""The streaming near-duplicate detector (`Deduper`): article-level groups by MinHash candidates
verified with a TF-IDF cosine, paragraph-level matches, expiry, and its saved state."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from ..model import Article
from .codec import _unzip_state, _zip_state
from .index import BandIndex, _ParagraphTable
from .paragraphs import ParagraphMatch
from .parse import TextMemo, _all_shingles, _ngram_counts, _parse, _Parsed, _require_rensa, day_number


@dataclass(slots=True)
class _Entry:
    id: str
    day: float
    head: str
    tf_keys: np.ndarray | None = None
    tf_vals: np.ndarray | None = None
    paragraph_keys: list[int] = field(default_factory=list)


def _pair_signals(
    new_id: str, old: _Entry, cos: float, jac: float, shared: int, paras: int, n_grams: float, day: float
) -> dict:
    """The signals of one candidate pair that the deduper has at streaming time (`Deduper.pair_log`)."""
    return {
        "new": new_id,
        "old": old.id,
        "cos": cos,
        "jac": jac,
        "shared": shared,
        "paras_new": paras,
        "paras_old": len(old.paragraph_keys),
        "len_new": n_grams,
        "len_old": float(old.tf_vals.sum()) if old.tf_vals is not None else 0.0,
        "gap": day - old.day,
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
                        log.append(
                            _pair_signals(
                                article.id,
                                e,
                                cos,
                                float(jac[j]),
                                len(shared.get(e.id, ())),
                                len(paragraphs),
                                float(tf_vals.sum()),
                                day,
                            )
                        )
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

    def _paragraph_digests(
        self,
        article: Article,
        parsed: _Parsed,
        shingles: list[str],
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
            sh = (
                set(shingles[start : start + length - 4])
                if length > 5
                else {parsed.norm[start : start + length]}
            )
            out.append((pi, len(sh), self._digest(sh)))
        return out

    def _article_digest(
        self,
        parsed: _Parsed,
        shingles: list[str],
        paragraphs: list[tuple[int, int, np.ndarray]],
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

    def _index_paragraphs(
        self,
        key: int,
        article: Article,
        paragraphs: list[tuple[int, int, np.ndarray]],
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
                    best[q, owner] = ParagraphMatch(
                        article.id, pi, self._entries[owner].id, opi, round(score, 3)
                    )
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
                "threshold": self.threshold,
                "paragraph_threshold": self.paragraph_threshold,
                "min_chars": self.min_chars,
                "min_paragraph_chars": self.min_paragraph_chars,
                "window_days": self.window_days,
                "num_perm": self.num_perm,
                "bands": self.bands,
                "seed": self.seed,
                "df_buckets": self.df_buckets,
                "max_bucket": self.max_bucket,
            },
            "next_key": self._next_key,
            "next_pkey": self._next_pkey,
            "ndocs": self._ndocs,
            "now": self._now if math.isfinite(self._now) else None,
            "parent": self._parent,
            "members": self._members,
            "head_of": self._head_of,
            "head_order": {k: list(v) for k, v in self._head_order.items()},
            "relinked": self._relinked,
            "entries": [
                {
                    "key": k,
                    "id": self._entries[k].id,
                    "day": self._entries[k].day,
                    "head": self._entries[k].head,
                    "pkeys": self._entries[k].paragraph_keys,
                }
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
            "adigests": np.stack([self._digests[k] for k in akeys])
            if akeys
            else np.zeros((0, self.num_perm), np.uint32),
            "tf_len": np.array(tf_len, np.int64),
            "tf_keys": np.concatenate([self._entries[k].tf_keys for k in akeys])
            if akeys
            else np.zeros(0, np.uint32),  # type: ignore[misc]
            "tf_vals": np.concatenate([self._entries[k].tf_vals for k in akeys])
            if akeys
            else np.zeros(0, np.float32),  # type: ignore[misc]
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
            sizes[pk - pk[0]], dig[pk - pk[0]], own[pk - pk[0]] = (
                arrays["psize"],
                pdig,
                arrays["powner"].reshape(-1, 2),
            )
            self._ptable.append(int(pk[0]), dig, sizes.tolist(), own.tolist())
        if len(pdig):
            self._paragraphs.insert_hashes(arrays["pkeys"].tolist(), self._paragraphs.band_hashes(pdig))
        return self
