"""IDF-weighted comparisons of term bags and lead n-grams: the lexical signals of the candidate,
merge and pair scorers."""

from __future__ import annotations

import math

import numpy as np

from .base import _ClustererState, _Story
from .bursts import burst_pairs
from .features import _BUCKETS, _ArticleView, _bag_arrays, _BagArrays


class _Lexical(_ClustererState):
    """StoryClusterer's lexical signals (the first part of the chain: the state is the clusterer's)."""

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

    def _idf(self, keys: list[int] | np.ndarray) -> np.ndarray:
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

    def _cos(
        self, a: dict[int, float], a_norm: float, b: dict[int, float], b_norm: float, idf: dict[int, float]
    ) -> float:
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

    def _row_terms(self, r: int) -> np.ndarray:
        """Member row `r`'s distinct term keys (title and body), ascending."""
        got = self._member_terms[r]
        if got is None:
            body, title = self._row_arrays(r)
            got = self._member_terms[r] = np.union1d(body.keys, title.keys)
        return got

    def _weigh(self, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """IDF, burst weight and routine flag of `keys` at the current counts (see `bursts`)."""
        idf = self._idf(keys)
        w, routine = self._term_days.weights(keys, idf)
        return idf, w, routine

    def _article_burst(self, view: _ArticleView) -> tuple[np.ndarray, np.ndarray]:
        """The article's distinct term keys (ascending) and their burst weights, once per article."""
        if self._burst_for is None or self._burst_for[0] != view.id:
            keys = np.union1d(
                np.fromiter(view.title_bag, np.int64, len(view.title_bag)),
                np.fromiter(view.body_bag, np.int64, len(view.body_bag)),
            )
            self._burst_for = (view.id, keys, self._weigh(keys)[1])
        return self._burst_for[1], self._burst_for[2]

    def _bursts(
        self, keys: np.ndarray, w: np.ndarray, rows: list[int], covered: bool = False
    ) -> tuple[np.ndarray, np.ndarray]:
        """(burst cosine, routine share) of the term set `keys` (weights `w`) with member rows `rows`;
        `covered`: the share of the set's own burst weight the member holds instead of the cosine
        (a title-only item: its few words set against a member's whole text make a low cosine
        whatever it reports)."""
        return burst_pairs(keys, w, [self._row_terms(r) for r in rows], self._weigh, covered)

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
        bags = (
            view.arrays
            if view.arrays is not None
            else (_bag_arrays(view.bag), _bag_arrays(view.title_bag), _bag_arrays(view.body_bag))
        )
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

    def _view_norms(self, view: _ArticleView) -> tuple[float, float]:
        """The IDF norms of the article's title and body bags, computed once per article (the
        candidate signals and the core check both need them; the IDF holds until the next article)."""
        if view.norms is None:
            idf = self._idf_cache  # holds every term of the article (see _prepare)
            view.norms = (
                math.sqrt(sum([(v * idf[k]) ** 2 for k, v in view.title_bag.items()])),
                math.sqrt(sum([(v * idf[k]) ** 2 for k, v in view.body_bag.items()])),
            )
        return view.norms

    @staticmethod
    def _cos_of(dot: float, a_norm: float, b_norm: float) -> float:
        """`_cos` from a `_dots` value (an empty bag gives a zero dot)."""
        if not a_norm or not b_norm or not dot:
            return 0.0
        return dot / (a_norm * b_norm)
