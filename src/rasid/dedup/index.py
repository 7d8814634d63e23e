"""The LSH band index over MinHash digests and the paragraph table of the deduper (numpy arrays,
no per-entry objects; see `BandIndex`)."""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise

import numpy as np


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

    def append(
        self, key: int, digests: np.ndarray, sizes: list[int], owners: Sequence[Sequence[int]]
    ) -> None:
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
        digest, size, owner = (
            np.zeros((cap, self.digest.shape[1]), np.uint32),
            np.zeros(cap, np.int64),
            np.zeros((cap, 2), np.int64),
        )
        k = self.n - self.start
        digest[:k], size[:k], owner[:k] = self.digest[live], self.size[live], self.owner[live]
        self.digest, self.size, self.owner = digest, size, owner
        self.base += self.start
        self.n, self.start = k, 0

    def drop_below(self, key: int) -> None:
        self.start = min(max(self.start, key - self.base), self.n)

    def rows(self, keys: np.ndarray) -> np.ndarray:
        return keys - self.base
