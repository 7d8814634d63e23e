"""The candidate index: the search for an article's candidate stories with their signals, over the
rows of active centroids and member vectors (the records themselves are in `base`)."""

from __future__ import annotations

import math

import numpy as np

from .features import _ArticleView, _BagArrays
from .lexical import _Lexical
from .scoring import FEATURES

# A story's pooled term bag keeps at most this many terms (the heaviest): a story that runs for
# weeks (the daily weather, the stock market) would otherwise grow without bound and every
# comparison with it would slow down as the archive grows.
BAG_CAP = 3000
_PAIR_MEMBERS = 32
# The candidate index holds a story's most recent MEMBER_WINDOW articles, and a story larger than
# that is represented by their centroid: a long-running story follows its latest developments
# instead of averaging into a generic "news of the day" vector that attracts everything, and the
# cost of a search stays bounded however long a story runs.
MEMBER_WINDOW = 24
# ...and, once it is larger, also its first ANCHORS articles: the core check of a join compares an
# article with those too, so a story cannot drift away from the happening it opened with.
ANCHORS = 4


def _matvec(rows: np.ndarray, vec: np.ndarray) -> np.ndarray:
    """rows @ vec without BLAS: einsum's own loop is single-threaded. A multi-threaded BLAS
    matrix-vector product on a shared 2-core machine spent 5 ms per call waking threads for a job
    of 0.5 ms (measured on 6,000 x 512), and the clusterer does two per article."""
    return np.einsum("ij,j->i", rows, vec)


def _top_stable(x: np.ndarray, k: int) -> np.ndarray:
    """`np.argsort(x, kind="stable")[:k]` without sorting all of `x`: the k smallest, ties by index."""
    if len(x) <= k:
        return np.argsort(x, kind="stable")
    kth = np.partition(x, k - 1)[k - 1]
    if np.isnan(kth):
        return np.argsort(x, kind="stable")[:k]
    idx = np.nonzero(x <= kth)[0]
    return idx[np.argsort(x[idx], kind="stable")[:k]]


class _Index(_Lexical):
    """StoryClusterer's candidate search and member rows (built on its lexical signals)."""

    def _candidates(
        self, view: _ArticleView, vec: np.ndarray, duplicate_of: str | None
    ) -> tuple[list[int], np.ndarray]:
        cand: dict[int, list[float]] = {}
        nc = self._centroids.n
        cent_sims = np.zeros(0, np.float32)
        if nc:
            cent_sims = _matvec(self._centroids.data[:nc], vec)
            for p in self._centroids.label[_top_stable(-cent_sims, self.k)].tolist():
                cand.setdefault(p, [])
        best_member: dict[int, float] = {}
        near: dict[int, list[int]] = {}  # story position -> its most similar member rows
        nm = self._members.n
        msims = np.zeros(0, np.float32)
        if nm:
            msims = _matvec(self._members.data[:nm], vec)
            kk = min(nm, 4 * self.k)
            top = np.argpartition(-msims, kk - 1)[:kk] if nm > kk else np.arange(nm)
            top = top[np.argsort(-msims[top], kind="stable")]
            for r, pos, sim in zip(
                top.tolist(), self._members.label[top].tolist(), msims[top].tolist(), strict=True
            ):
                if pos < 0:  # a member row that left its story's window
                    continue
                near.setdefault(pos, []).append(r)
                if pos not in best_member:
                    best_member[pos] = sim
                    if len(best_member) <= self.k:
                        cand.setdefault(pos, [])
        dup_pos = self._story_of.get(duplicate_of) if duplicate_of else None
        if dup_pos is not None:
            if not self._stories[dup_pos].active:
                self._revive(dup_pos)
                nc = self._centroids.n
                cent_sims = _matvec(self._centroids.data[:nc], vec)
            cand.setdefault(dup_pos, [])
        if not cand:
            return [], np.zeros((0, len(FEATURES)))
        positions = sorted(cand)
        crow = self._crow
        c_cent = np.array([float(cent_sims[crow[p]]) for p in positions])
        # a story whose best member is outside the top members: compute it exactly
        c_best = np.array(
            [best_member[p] if p in best_member else self._best_member(p, vec) for p in positions]
        )
        idf = self._idf_cache  # holds every term of the article (see _prepare)
        art_idf_total = sum([idf[k] for k in view.bag]) or 1.0
        a_norm = math.sqrt(sum([(v * idf[k]) ** 2 for k, v in view.bag.items()]))
        t_norm, b_norm = self._view_norms(view)
        # every lexical comparison of this article, in one batch: per candidate, the story's bag and
        # title bag, then (body, title) of its members nearest by embedding (at most 3)
        pairs: list[tuple[int, _BagArrays]] = []
        member_rows: list[list[int]] = []
        dot_keys: list[tuple[str, int] | None] = []  # ("bag" | "title", story) or ("body", member row)
        for p in positions:
            s = self._stories[p]
            pairs.append((0, self._story_arrays(s, "bag")))
            pairs.append((1, self._story_arrays(s, "title")))
            dot_keys += [("bag", p), ("title", p)]
            mrows = self._lex_rows(p, near.get(p), msims)
            member_rows.append(mrows)
            for r in mrows:
                body, title = self._row_arrays(r)
                pairs.append((2, body))
                pairs.append((1, title))
                dot_keys += [("body", r), None]
        got = self._view_dots(view, pairs)
        # kept for `_merge_features`: a story this article has just started holds exactly its bags
        self._lex_dots = {key: d for key, d in zip(dot_keys, got, strict=True) if key is not None}
        dots = iter(got)
        # burst signals (see `bursts`) of the article with each candidate's nearest members
        bkeys, bw = self._article_burst(view)
        flat = [r for rows_i in member_rows for r in rows_i]
        b_cos, b_share = self._bursts(bkeys, bw, flat, covered=not view.body_bag)
        # the article's rare terms with their IDF, in bag order (the order `rare` is summed in)
        rare_terms = [(k, w) for k, w in ((k, idf[k]) for k in view.bag) if w >= 4.0]
        rows = []
        at = 0  # position in `flat`
        for i, p in enumerate(positions):
            s = self._stories[p]
            sbag = s.bag
            rare = sum([w for k, w in rare_terms if k in sbag]) / art_idf_total
            nums = len(s.numbers.keys() & view.numbers)
            lex = self._cos_of(next(dots), a_norm, self._story_norm(s, "bag"))
            lex_t = self._cos_of(next(dots), t_norm, self._story_norm(s, "title"))
            best_body = best_title = burst = routine = 0.0
            for r in member_rows[i]:
                burst = max(burst, float(b_cos[at]))
                routine += float(b_share[at]) / len(member_rows[i])
                at += 1
                _, _, nb, nt = self._member_bags[r]
                best_body = max(best_body, self._cos_of(next(dots), b_norm, nb))
                best_title = max(best_title, self._cos_of(next(dots), t_norm, nt))
            rows.append(
                [
                    c_cent[i],
                    c_best[i],
                    c_cent[i] - c_cent.max(),
                    c_best[i] - c_best.max(),
                    lex,
                    lex_t,
                    rare,
                    math.log1p(nums),
                    math.log1p(s.count),
                    1.0 if p == dup_pos else 0.0,
                    s.sources.get(view.source, 0) / s.count if view.source else 0.0,
                    best_body,
                    best_title,
                    burst,
                    routine,
                ]
            )
        return positions, np.asarray(rows, dtype=np.float64)

    def _lex_rows(self, pos: int, rows: list[int] | None, msims: np.ndarray) -> list[int]:
        """The member rows whose bags give mlex_body / mlex_title: the story's members nearest by embedding
        among the top members found, else its nearest members overall (at most 3). Member norms use the
        IDF of the moment the member arrived: close enough, and computed once."""
        if not rows:
            all_rows = np.nonzero(self._members.label[: self._members.n] == pos)[0]
            if not len(all_rows):
                return []
            rows = all_rows[np.argsort(-msims[all_rows], kind="stable")][:3].tolist()
        return rows[:3]

    def _rows_by_story(self, stories: list[int]) -> dict[int, np.ndarray]:
        """Each story's member rows, ascending (as `np.nonzero(labels == story)`), in one pass."""
        labels = self._members.label[: self._members.n]
        wanted = np.zeros(len(self._stories) + 1, bool)  # by story position + 1 (a retired row is -1)
        wanted[np.asarray(stories) + 1] = True
        idx = np.nonzero(wanted[labels + 1])[0]
        lab = labels[idx]
        return {p: idx[lab == p] for p in stories}

    def _centroid(self, pos: int, rows: np.ndarray | None = None) -> np.ndarray:
        """The story's vector in the index: the mean of all its articles while it is small, of
        its MEMBER_WINDOW most recent ones once it is larger (L2-normalised). `rows`: the story's
        member rows, when the caller has them already."""
        c = self._sums[pos]
        if self._stories[pos].count > MEMBER_WINDOW:
            if rows is None:
                rows = np.nonzero(self._members.label[: self._members.n] == pos)[0]
            if len(rows):
                c = self._members.data[rows[-MEMBER_WINDOW:]].sum(axis=0)
        return c / max(1e-12, float(np.linalg.norm(c)))

    def _best_member(self, pos: int, vec: np.ndarray) -> float:
        rows = np.nonzero(self._members.label[: self._members.n] == pos)[0]
        if not len(rows):
            return float(self._sums[pos] @ vec / max(1e-12, float(np.linalg.norm(self._sums[pos]))))
        return float((self._members.data[rows] @ vec).max())

    def _refresh_title(self, pos: int) -> None:
        rows = np.nonzero(self._members.label[: self._members.n] == pos)[0]
        if not len(rows):
            return
        cent = self._centroids.data[self._crow[pos]]
        best = rows[int(np.argmax(self._members.data[rows] @ cent))]
        title = self._member_titles[best]
        if title:
            self._stories[pos].title = title

    def _revive(self, pos: int) -> None:
        """A near-duplicate of a dormant story's member arrived: bring the story back."""
        s = self._stories[pos]
        s.active = True
        self._crow[pos] = self._centroids.append(self._centroid(pos), pos)
