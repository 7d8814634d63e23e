"""Decoding rasid's CRFs without crfsuite's string interface.

pycrfsuite takes every feature of every token as a string, encodes it and looks it up in the
model's attribute database: ~30 strings a token, more than half of the NER time. The features
of a word are mostly context-free and news repeats its words, so `ChainTagger` maps each word
once to attribute ids and to the sum of its own features' weights, then scores and decodes whole
articles with numpy. It adds the weights in crfsuite's order (the model's float64 weights, one
attribute after another, zero rows where crfsuite skips an unknown attribute) and decodes with
crfsuite's Viterbi (first maximum wins), so its tags are crfsuite's, bit for bit.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import chain, repeat

import numpy as np

from rasid.understand.ner.features import OFFSET_PREFIXES, OFFSETS, Featurizer, strip_clitics, strip_proclitic

__all__ = ["ChainTagger", "CrfWeights", "TokenBatch"]


def _cqdb_strings(data: bytes, offset: int, count: int) -> list[str]:
    """The strings of a CRFsuite constant quark database (CQDB) chunk, by id."""
    if data[offset : offset + 4] != b"CQDB":
        raise ValueError("not a CRFsuite model: no CQDB chunk")
    out: list[str] = [""] * count
    pos = offset + 24 + 256 * 8  # header, then 256 hash-table references, then the records
    for _ in range(count):
        ident, size = struct.unpack_from("<iI", data, pos)
        out[ident] = data[pos + 8 : pos + 8 + size - 1].decode("utf-8")
        pos += 8 + size
    return out


@dataclass(slots=True)
class CrfWeights:
    """A CRFsuite (crf1d) model file as arrays: the label names and attribute ids in the model's
    order, one row of label weights per attribute (plus a last row of zeros, for attributes the
    model does not know), and the label-to-label transition weights."""

    labels: tuple[str, ...]
    attrs: dict[str, int]
    state: np.ndarray  # (attributes + 1, labels) float64
    trans: np.ndarray  # (labels, labels): trans[i, j] scores label i followed by label j

    @property
    def zero(self) -> int:
        """The id of the all-zero row: what an unknown attribute adds."""
        return len(self.state) - 1

    @classmethod
    def parse(cls, data: bytes) -> CrfWeights:
        """Read the bytes of a `.crfsuite` file (the layout of crfsuite's crf1d_model.c)."""
        if data[:4] != b"lCRF" or data[8:12] != b"FOMC":
            raise ValueError("not a CRFsuite crf1d model")
        n_lab, n_attr, off_feat, off_lab, off_attr = struct.unpack_from("<5I", data, 20)
        labels = tuple(_cqdb_strings(data, off_lab, n_lab))
        names = _cqdb_strings(data, off_attr, n_attr)
        if data[off_feat : off_feat + 4] != b"FEAT":
            raise ValueError("not a CRFsuite model: no feature chunk")
        (n_feat,) = struct.unpack_from("<I", data, off_feat + 8)  # the header's count is left at 0
        dt = np.dtype([("type", "<u4"), ("src", "<u4"), ("dst", "<u4"), ("w", "<f8")])
        feats = np.frombuffer(data, dt, count=n_feat, offset=off_feat + 12)
        st = feats[feats["type"] == 0]
        tr = feats[feats["type"] == 1]
        state = np.zeros((n_attr + 1, n_lab), np.float64)
        trans = np.zeros((n_lab, n_lab), np.float64)
        # crfsuite adds one weight per (attribute, label) feature; a duplicate would be added twice.
        if len(np.unique(st["src"].astype(np.int64) * n_lab + st["dst"])) != len(st):
            raise ValueError("duplicate state features")
        state[st["src"], st["dst"]] = st["w"]
        trans[tr["src"], tr["dst"]] = tr["w"]
        return cls(labels, {a: i for i, a in enumerate(names)}, state, trans)


@dataclass(slots=True)
class TokenBatch:
    """The tokens of some sentences as a `ChainTagger` scores them: each token's word row and the
    attribute ids of its context features in crfsuite's order (zero-row ids where none)."""

    rows: np.ndarray  # (tokens,) word rows
    ids: np.ndarray  # (columns, tokens) attribute ids after the word's own features
    lens: list[int]  # tokens per sentence
    starts: list[int]  # first token of each sentence


class ChainTagger:
    """Tags sentences with CRFs over the features of a `Featurizer`: what pycrfsuite's
    `Tagger.tag(featurizer.sentence(tokens) [+ extra])` returns for each model, from per-word
    caches (bounded: cleared past MAX_WORDS word types). The document CRF sees the same features
    as the sentence CRF plus its own, so both models share one attribute space and one pass over
    the words: their label weights sit side by side in one matrix. Keep one per model pair."""

    __slots__ = (
        "models",
        "attrs",
        "weights",
        "zero",
        "_trans_t",
        "_feats",
        "_rows",
        "_forms",
        "_multi",
        "_own",
        "_shared",
        "_nshared",
        "_bg_minus",
        "_bg_plus",
        "_marks",
        "_pads",
        "_pair_sides",
        "_pair_ok",
        "_slot_ids",
        "_layouts",
    )

    MAX_WORDS = 100_000

    def __init__(self, models: Sequence[CrfWeights]) -> None:
        self.models = tuple(models)
        names: dict[str, int] = {}
        for m in self.models:
            for a in m.attrs:
                names.setdefault(a, len(names))
        self.attrs = names
        self.zero = zero = len(names)  # the row of zeros: what an attribute unknown to a model adds
        # Per model, its label weights re-indexed by the shared attribute ids.
        self.weights: list[np.ndarray] = []
        for m in self.models:
            w = np.zeros((len(names) + 1, len(m.labels)), np.float64)
            ids = np.fromiter((names[a] for a in m.attrs), np.intp, len(m.attrs))
            w[ids] = m.state[np.fromiter(m.attrs.values(), np.intp, len(m.attrs))]
            self.weights.append(w)
        self._trans_t = [np.ascontiguousarray(m.trans.T) for m in self.models]  # [j, i]: i then j
        # Word-pair features by "a|b" (the attribute without its "bg-=" / "bg+=" prefix).
        self._bg_minus = {a[4:]: i for a, i in names.items() if a.startswith("bg-=")}
        self._bg_plus = {a[4:]: i for a, i in names.items() if a.startswith("bg+=")}
        # Forms that can stand left / right in some known pair (every split at a "|", as a form
        # may hold one): pairs of other words need no lookup.
        self._pair_sides: tuple[set[str], set[str]] = (set(), set())
        for key in (*self._bg_minus, *self._bg_plus):
            for k, ch in enumerate(key):
                if ch == "|":
                    self._pair_sides[0].add(key[:k])
                    self._pair_sides[1].add(key[k + 1 :])
        self._marks: dict[str, tuple[int, int, int]] = {}
        # What a neighbour slot holds past the sentence's edge: the "-2:pad"... attribute alone.
        self._pads = [names.get(f"{d}:pad", zero) for d in OFFSETS]
        self._layouts: dict[tuple[int, int], tuple[np.ndarray, np.ndarray]] = {}  # (model, sentences)
        self._feats: Featurizer | None = None
        self._reset(None)

    def _reset(self, feats: Featurizer | None) -> None:
        self._feats = feats
        self._rows: dict[str, int] = {}  # token -> row of the tables below
        self._forms: list[str] = []  # matching form
        self._multi = np.zeros(1024, bool)  # may start a multi-token gazetteer entry
        self._pair_ok = np.zeros((1024, 2), bool)  # may stand left / right in a known word pair
        self._slot_ids: dict[str, tuple[int, ...]] = {}  # shared feature -> its ids at each offset
        # Per model, the weights of the word's own features, summed in order.
        self._own = [np.zeros((1024, len(m.labels)), np.float64) for m in self.models]
        self._shared = np.full((1024, len(OFFSETS), 4), self.zero, np.int32)  # ids a neighbour sees, per slot
        self._nshared = np.zeros(1024, np.intp)  # longest of those id lists

    def _add(self, toks: list[str]) -> None:
        """Rows for new words: attribute ids of what neighbours see, and the sum of the word's own
        features' weights, left to right as crfsuite adds them (np.add.accumulate is sequential;
        an attribute a model does not know adds its zero row, which changes no sum)."""
        assert self._feats is not None
        feats, get, zero = self._feats, self.attrs.get, self.zero
        words = [feats.word_parts(t) for t in toks]
        row0, m = len(self._forms), len(toks)
        while row0 + m > len(self._nshared):
            self._own = [np.concatenate([o, np.zeros_like(o)]) for o in self._own]
            self._shared = np.concatenate([self._shared, np.full_like(self._shared, zero)])
            self._nshared = np.concatenate([self._nshared, np.zeros_like(self._nshared)])
            self._pair_ok = np.concatenate([self._pair_ok, np.zeros_like(self._pair_ok)])
            self._multi = np.concatenate([self._multi, np.zeros_like(self._multi)])
        left, right = self._pair_sides
        self._pair_ok[row0 : row0 + m, 0] = np.fromiter((w[0] in left for w in words), bool, m)
        self._pair_ok[row0 : row0 + m, 1] = np.fromiter((w[0] in right for w in words), bool, m)
        own = _padded(get, zero, [w[1] for w in words])  # (words, longest)
        for table, w in zip(self._own, self.weights, strict=True):
            table[row0 : row0 + m] = np.add.accumulate(w.take(own, axis=0), axis=1)[:, -1]
        # What each neighbour slot sees, known attributes first (the order among them kept).
        slot_ids, get_slots = self._slot_ids, self._slot_ids.get
        found = []
        for wp in words:
            for x in wp[2]:
                hit = get_slots(x)
                if hit is None:
                    hit = tuple([get(p + x, zero) for p in OFFSET_PREFIXES])
                    if not x.startswith("w="):  # the word itself: no other word shares it
                        slot_ids[x] = hit
                found.append(hit)
        lens = np.fromiter((len(w[2]) for w in words), np.intp, m)
        longest = int(lens.max())
        shared: np.ndarray = np.full((m, longest, len(OFFSETS)), zero, np.intp)
        shared[np.arange(longest) < lens[:, None]] = found
        shared = shared.transpose(0, 2, 1).reshape(m * len(OFFSETS), longest)
        shared = np.take_along_axis(shared, np.argsort(shared == zero, axis=1, kind="stable"), axis=1)
        counts = (shared != zero).sum(axis=1).reshape(m, len(OFFSETS)).max(axis=1)
        width = int(counts.max())
        if width > self._shared.shape[2]:
            pad = np.full((len(self._shared), len(OFFSETS), width - self._shared.shape[2]), zero, np.int32)
            self._shared = np.concatenate([self._shared, pad], axis=2)
        self._shared[row0 : row0 + m, :, :width] = shared[:, :width].reshape(m, len(OFFSETS), width)
        self._nshared[row0 : row0 + m] = counts
        self._rows.update(zip(toks, range(row0, row0 + m), strict=True))
        self._forms.extend(w[0] for w in words)
        if "gaz" in feats.use:  # as `Featurizer.multi_starts`, without building the entries
            multi = feats.res.multi
            self._multi[row0 : row0 + m] = np.fromiter(
                (
                    f in multi or strip_proclitic(f) in multi or strip_clitics(f) in multi
                    for f in (w[0] for w in words)
                ),
                bool,
                m,
            )

    def _mark_ids(self, mark: str) -> tuple[int, int, int]:
        """Attribute ids of a gazetteer mark on the token itself, as "-1:" and as "1:"."""
        hit = self._marks.get(mark)
        if hit is None:
            get, zero = self.attrs.get, self.zero
            hit = (get(mark, zero), get("-1:" + mark, zero), get("1:" + mark, zero))
            self._marks[mark] = hit
        return hit

    def tag(self, feats: Featurizer, sents: Sequence[Sequence[str]]) -> list[list[str]]:
        """The first model's best label sequence for each sentence."""
        return self.decode(self.score(feats, sents))

    def forms(self, batch: TokenBatch) -> list[list[str]]:
        """The matching forms of the batch's tokens, per sentence."""
        forms = self._forms
        flat = [forms[r] for r in batch.rows.tolist()]
        return [flat[s : s + n] for s, n in zip(batch.starts, batch.lens, strict=True)]

    def score(self, feats: Featurizer, sents: Sequence[Sequence[str]]) -> TokenBatch:
        """Word rows and context attribute ids per token, in `Featurizer.sentence`'s order after
        the word's own features: its gazetteer mark, per neighbour slot (-2, -1, +1, +2) what
        that neighbour shows (or the pad) and the mark of a +-1 neighbour, then the word pairs."""
        if feats is not self._feats or len(self._rows) > self.MAX_WORDS:
            self._reset(feats)
        lens = [len(s) for s in sents]
        n = sum(lens)
        starts = np.cumsum([0, *lens[:-1]]).tolist() if lens else []
        if n == 0:
            return TokenBatch(np.zeros(0, np.intp), np.zeros((0, 0), np.intp), lens, starts)
        flat = [t for s in sents for t in s]
        get = self._rows.get
        rows = [get(t, -1) for t in flat]
        if -1 in rows:
            self._add(list(dict.fromkeys(t for t, r in zip(flat, rows, strict=True) if r < 0)))
            rows = [r if r >= 0 else get(t, -1) for t, r in zip(flat, rows, strict=True)]
        zero = self.zero
        lens_a = np.asarray(lens, np.intp)
        starts_a = np.asarray(starts, np.intp)
        ends_a = starts_a + lens_a
        forms = self._forms
        fs = [forms[r] for r in rows]
        r = np.asarray(rows, np.intp)
        bg_minus = np.full(n, zero, np.intp)
        bg_plus = np.full(n, zero, np.intp)
        if "ctx" in feats.use and n > 1:
            # Pair i: token i, then token i + 1 (looked up only where both words may pair).
            pairs = np.flatnonzero(self._pair_ok[r[:-1], 0] & self._pair_ok[r[1:], 1]).tolist()
            keys = [fs[i] + "|" + fs[i + 1] for i in pairs]
            get_m, get_p = self._bg_minus.get, self._bg_plus.get
            bg_minus[[i + 1 for i in pairs]] = [get_m(k, zero) for k in keys]
            bg_plus[pairs] = [get_p(k, zero) for k in keys]
            some = lens_a > 0
            bg_minus[starts_a[some]] = zero  # no pair across a sentence boundary
            bg_plus[ends_a[some] - 1] = zero
        gm = np.full((3, n), zero, np.intp)  # own mark, mark seen as "-1:", mark seen as "1:"
        flagged = np.flatnonzero(self._multi[r])
        for i in np.unique(np.searchsorted(ends_a, flagged, side="right")).tolist():
            s, e = starts[i], int(ends_a[i])
            for k, marks in enumerate(feats.gazetteer_marks(fs[s:e])):
                for mark in marks:  # at most one per token
                    own_id, as_prev, as_next = self._mark_ids(mark)
                    gm[0, s + k] = own_id
                    if s + k + 1 < e:
                        gm[1, s + k + 1] = as_prev
                    if k > 0:
                        gm[2, s + k - 1] = as_next
        # At least one column: the pad of a neighbour slot outside the sentence goes in column 0
        # even when no token of the batch shows its neighbours anything (a lone unknown word).
        width = max(1, int(self._nshared[r].max()))
        pos = np.arange(n) - np.repeat(starts_a, lens_a)
        sent_len = np.repeat(lens_a, lens_a)
        cols: list[np.ndarray] = [gm[:1]]
        around = np.concatenate([r[:1], r[:1], r, r[-1:], r[-1:]])  # rows of the tokens at i + d
        for slot, d in enumerate(OFFSETS):
            block = self._shared[around[2 + d : 2 + d + n], slot, :width]
            outside = (pos + d < 0) | (pos + d >= sent_len)
            if outside.any():
                block[outside] = zero
                block[outside, 0] = self._pads[slot]
            cols.append(block.T)
            if d in (-1, 1):
                cols.append(gm[1:2] if d == -1 else gm[2:3])
        cols += [bg_minus[None], bg_plus[None]]
        return TokenBatch(r, np.concatenate(cols, axis=0), lens, starts)

    def decode(
        self,
        batch: TokenBatch,
        model: int = 0,
        which: Sequence[int] | None = None,
        extra: Sequence[Sequence[Sequence[str]]] | None = None,
    ) -> list[list[str]]:
        """Best label sequences under `model` of the sentences `which` (default: all) of `batch`;
        `extra` (one list per sentence of `which`) are more features per token, added after the
        featurizer's (the document CRF's)."""
        full = which is None
        which = range(len(batch.lens)) if which is None else which
        lens = [batch.lens[i] for i in which]
        if not sum(lens):
            return [[] for _ in lens]
        if full:
            rows, ids = batch.rows, batch.ids
        else:
            idx = np.concatenate([np.arange(batch.starts[i], batch.starts[i] + batch.lens[i]) for i in which])
            rows, ids = batch.rows[idx], batch.ids[:, idx]
        if extra is not None:
            get, zero = self.attrs.get, self.zero
            ext = [[get(f, zero) for f in tok] for s in extra for tok in s]
            width = max(map(len, ext))
            if width:
                more = np.array([e + [zero] * (width - len(e)) for e in ext], np.intp).T
                ids = np.concatenate([ids, more], axis=0)
        # Left to right, as crfsuite adds them: one column of attributes after another.
        gathered = self.weights[model].take(ids, axis=0)  # (columns, tokens, labels)
        state = self._own[model][rows]
        for column in gathered:
            state += column
        layout = self._layouts.get((model, len(lens)))
        if layout is None:
            if len(self._layouts) > 512:
                self._layouts.clear()
            layout = self._layouts[model, len(lens)] = _viterbi_layout(self._trans_t[model], len(lens))
        best = _viterbi(state, lens, self._trans_t[model], layout)
        labels = self.models[model].labels
        out: list[list[str]] = []
        start = 0
        for length in lens:
            out.append([labels[k] for k in best[start : start + length]])
            start += length
        return out


def _padded(get: Callable[[str, int], int], zero: int, lists: Sequence[Sequence[str]]) -> np.ndarray:
    """Attribute ids of string lists as one array, one row per list, `zero` where unknown or past
    the end of a shorter list."""
    lens = np.fromiter(map(len, lists), np.intp, len(lists))
    width = max(int(lens.max()), 1) if len(lists) else 1
    flat = list(map(get, chain.from_iterable(lists), repeat(zero)))
    out = np.full((len(lists), width), zero, np.intp)
    out[np.arange(width) < lens[:, None]] = flat
    return out


def _viterbi_layout(trans_t: np.ndarray, n_sent: int) -> tuple[np.ndarray, np.ndarray]:
    """For `_viterbi` over `n_sent` sentences: where each candidate's previous score sits, and
    the transition weight added to it."""
    n_lab = len(trans_t)
    spread = np.arange(n_lab)[:, None] + (np.repeat(np.arange(n_sent), n_lab) * n_lab)[None, :]
    return spread, np.tile(trans_t.T, (1, n_sent))


def _viterbi(
    state: np.ndarray,
    lens: Sequence[int],
    trans_t: np.ndarray,
    layout: tuple[np.ndarray, np.ndarray] | None = None,
) -> list[int]:
    """crfsuite's Viterbi (crf1dc_viterbi) over many sentences at once: `state` holds their tokens
    one after another, `trans_t[j, i]` the weight of label i followed by j. Sentences are aligned
    on their last token, so each step is a few numpy operations over all of them. The forward
    pass keeps only the best scores; the way back recomputes, along the chosen path only, the
    predecessor crfsuite would have stored (the first best), from the same sums."""
    n_sent, n_lab = len(lens), state.shape[1]
    steps = max(lens)
    lens_a = np.asarray(lens, np.intp)
    first_step = steps - lens_a
    sent = np.repeat(np.arange(n_sent), lens_a)
    step = np.repeat(first_step - (np.cumsum(lens_a) - lens_a), lens_a) + np.arange(len(state))
    grid = np.zeros((steps, n_sent * n_lab), np.float64)
    grid.reshape(steps, n_sent, n_lab)[step, sent] = state
    starting: dict[int, list[int]] = {}
    for s, f in enumerate(first_step.tolist()):
        starting.setdefault(f, []).append(s)
    # cand[i, (s, j)]: sentence s with label i at t - 1, then j at t (max over the first axis is
    # a plain element-wise maximum of rows: cheap).
    spread, trans_cols = layout if layout is not None else _viterbi_layout(trans_t, n_sent)
    cand = np.empty((n_lab, n_sent * n_lab), np.float64)
    best = np.empty((steps, n_sent * n_lab), np.float64)
    best[0] = grid[0]
    best_at, grid_at = list(best), list(grid)  # row views, made once
    maximum, add = np.maximum.reduce, np.add
    for t in range(1, steps):
        now = best_at[t]
        best_at[t - 1].take(spread, out=cand)
        add(cand, trans_cols, out=cand)
        maximum(cand, axis=0, out=now)
        add(now, grid_at[t], out=now)
        new = starting.get(t)
        if new is not None:
            now.reshape(n_sent, n_lab)[new] = grid_at[t].reshape(n_sent, n_lab)[new]
    best3 = list(best.reshape(steps, n_sent, n_lab))
    lab = best3[-1].argmax(axis=1)
    labs = [lab]
    for t in range(steps - 1, 0, -1):
        lab = (best3[t - 1] + trans_t[lab]).argmax(axis=1)
        labs.append(lab)
    path = np.array(labs[::-1])
    return path[step, sent].tolist()
