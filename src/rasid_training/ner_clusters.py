"""Word clusters from unlabelled news, for the NER features.

Brown clustering in pure Python takes hours on 9M words, so the same idea is done with linear
algebra: count which words occur immediately left and right (and two away) of each of the 50k
most frequent matching-form words, weight the counts by positive PMI, reduce with a truncated SVD,
and cluster the unit vectors with k-means into fine clusters; the fine centroids are clustered
again into coarser ones, so each word gets ids at three nested granularities, like Brown prefixes.
"""

from __future__ import annotations

import json
import re
import zipfile
from collections import Counter
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np

from rasid.text.normalize import match_form

# Letters with their diacritics and tatweel, or digits: raw-text words, folded one distinct word at a time.
_WORD = re.compile(r"(?:[^\W\d_]|[\u0610-\u061a\u064b-\u065f\u0670\u0640])+|\d+", re.UNICODE)


def saudinewsnet_texts(zips: Sequence[Path], limit: int | None = None) -> Iterator[str]:
    """Article bodies from SaudiNewsNet zip files (each a JSON array with `content`)."""
    seen = 0
    for path in zips:
        with zipfile.ZipFile(path) as zf:
            for name in zf.namelist():
                if not name.endswith(".json"):
                    continue
                for art in json.loads(zf.read(name).decode("utf-8")):
                    text = art.get("content") or ""
                    if text:
                        yield text
                        seen += 1
                        if limit is not None and seen >= limit:
                            return


def build_clusters(
    texts: Iterator[str] | Sequence[str],
    vocab_size: int = 50_000,
    context_size: int = 5_000,
    dim: int = 100,
    ks: tuple[int, ...] = (64, 256, 1024),
    seed: int = 0,
) -> tuple[dict[str, tuple[int, ...]], dict[str, int], np.ndarray]:
    """Cluster ids (coarse to fine) per frequent word, the word counts, and the unit word vectors
    (rows in the order of the cluster dict)."""
    from scipy import sparse
    from sklearn.cluster import KMeans, MiniBatchKMeans
    from sklearn.decomposition import TruncatedSVD

    forms: dict[str, str] = {}
    docs = []
    for t in texts:
        doc = []
        for raw in _WORD.findall(t):
            f = forms.get(raw)
            if f is None:
                f = forms[raw] = match_form(raw)
            if f:
                doc.append(f)
        docs.append(doc)
    counts = Counter(w for d in docs for w in d)
    vocab = [w for w, _ in counts.most_common(vocab_size)]
    index = {w: i for i, w in enumerate(vocab)}
    v = len(vocab)
    c = min(context_size, v)
    # One id stream with -1 for rare words and sentence (document) boundaries.
    ids = np.fromiter(
        (index.get(w, -1) for d in docs for w in [*d, "\x00"]),
        dtype=np.int64,
    )
    blocks = []
    for off in (-2, -1, 1, 2):
        if off < 0:
            a, b = ids[-off:], ids[:off]
        else:
            a, b = ids[:-off], ids[off:]
        ok = (a >= 0) & (b >= 0) & (b < c)
        m = sparse.coo_matrix(
            (np.ones(int(ok.sum()), dtype=np.float32), (a[ok], b[ok])), shape=(v, c)
        ).tocsr()
        blocks.append(m)
    mat = sparse.hstack(blocks).tocsr()
    mat.sum_duplicates()
    # Positive PMI with context-distribution smoothing (alpha 0.75).
    total = mat.sum()
    row = np.asarray(mat.sum(axis=1)).ravel() + 1e-9
    col = np.asarray(mat.sum(axis=0)).ravel() ** 0.75
    col = col / col.sum()
    coo = mat.tocoo()
    pmi = np.log(coo.data / total / (row[coo.row] / total) / (col[coo.col] + 1e-12))
    keep = pmi > 0
    ppmi = sparse.csr_matrix((pmi[keep], (coo.row[keep], coo.col[keep])), shape=mat.shape)
    vecs = TruncatedSVD(n_components=dim, random_state=seed, algorithm="randomized", n_iter=5).fit_transform(
        ppmi
    )
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True) + 1e-9
    fine_k = ks[-1]
    fine = MiniBatchKMeans(n_clusters=fine_k, random_state=seed, batch_size=4096, n_init=1, max_iter=100)
    fine_ids = fine.fit_predict(vecs)
    centres = fine.cluster_centers_
    levels = []
    for k in ks[:-1]:
        coarse = KMeans(n_clusters=k, random_state=seed, n_init=3).fit_predict(centres)
        levels.append(coarse[fine_ids])
    levels.append(fine_ids)
    clusters = {w: tuple(int(lv[i]) for lv in levels) for i, w in enumerate(vocab)}
    return clusters, {w: counts[w] for w in vocab}, vecs.astype(np.float32)
