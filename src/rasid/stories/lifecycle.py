"""A story's life: an article read and counted, an article added to a story (new or existing),
two stories merged, quiet stories swept out of the index."""

from __future__ import annotations

import math
from collections import Counter

import numpy as np

from ..model import Article
from .base import _Story
from .features import _ArticleView, _bag_arrays, _BagArrays, _prune, article_view, counted_terms
from .index import ANCHORS, BAG_CAP, MEMBER_WINDOW, _Index


class _Lifecycle(_Index):
    """StoryClusterer's story lifecycle (built on its candidate index)."""

    def _prepare(self, article: Article, vector: np.ndarray) -> tuple[_ArticleView, np.ndarray]:
        vec = np.asarray(vector, np.float32).reshape(-1)
        if vec.shape[0] != self.dim:
            raise ValueError(f"{article.id}: vector has {vec.shape[0]} dims, expected {self.dim}")
        norm = float(np.linalg.norm(vec))
        vec = vec / norm if norm > 0 else vec
        view = article_view(
            article,
            self._now if math.isfinite(self._now) else 0.0,
            term_cache=self._term_cache,
            memo=self.text_memo,
            gram_cache=self._gram_cache,
        )
        view.arrays = (_bag_arrays(view.bag), _bag_arrays(view.title_bag), _bag_arrays(view.body_bag))
        self._now = max(self._now, view.day)
        self._sweep()
        # document frequencies include the article itself (its own terms are never "unseen")
        self._ndocs += 1
        if view.grams is not None and len(view.grams.keys):
            self._gdf[view.grams.keys] += 1
        ka = counted_terms(view)
        if len(ka):
            self._df[ka] += 1
            self._term_days.add(view.day, ka)
        # IDF of the article's own terms, all at once (the document count and frequencies stay
        # put until the next article, so every comparison of this one reuses them)
        idf: dict[int, float] = {}
        self._idf_cache = idf
        if len(ka):
            c = 1.0 + self._ndocs
            log = math.log
            idf.update(
                zip(ka.tolist(), [log(c / (1.0 + d)) + 1.0 for d in self._df[ka].tolist()], strict=True)
            )
        return view, vec

    def _merge(self, keep: int, gone: int) -> None:
        k, g = self._stories[keep], self._stories[gone]
        k.count += g.count
        k.members.extend(g.members)
        k.first, k.last = min(k.first, g.first), max(k.last, g.last)
        for kb, gb in ((k.bag, g.bag), (k.title_bag, g.title_bag)):
            for key, v in gb.items():
                kb[key] = kb.get(key, 0.0) + v
            if len(kb) > BAG_CAP:
                _prune(kb, BAG_CAP * 2 // 3)
        k.numbers.update(g.numbers)
        k.sources.update(g.sources)
        k.langs.update(g.langs)
        k.norms.clear()
        k.arrays.clear()
        g.arrays.clear()
        self._sums[keep] += self._sums[gone]
        self._sums[gone] = 0.0
        labels = self._members.label[: self._members.n]
        labels[labels == gone] = keep
        self._centroids.data[self._crow[keep]] = self._centroid(keep)
        for m in g.members:
            self._story_of[m] = keep
        mask = np.ones(self._centroids.n, np.bool_)
        mask[self._crow.pop(gone)] = False
        self._centroids.keep(mask)
        self._crow = {int(p): r for r, p in enumerate(self._centroids.label[: self._centroids.n].tolist())}
        if g.near:  # the absorbed story's related stories become the keeper's (links are symmetric)
            for q, p in g.near.items():
                if q == keep:
                    continue
                qn = self._stories[q].near
                qn.pop(gone, None)
                qn[keep] = k.near[q] = max(p, qn.get(keep, 0.0))
                self._linked.add(q)
            k.near.pop(gone, None)
            g.near = {}
            self._linked.update((keep, gone))
        g.active = False
        g.merged_into = k.id
        g.count, g.members = 0, []
        g.bag, g.title_bag, g.numbers, g.sources, g.norms = {}, {}, Counter(), Counter(), {}
        self._merged.append(g.id)

    def _add(self, view: _ArticleView, vec: np.ndarray, pos: int | None) -> str:
        if pos is None:
            pos = len(self._stories)
            sid = f"{self.id_prefix}{pos + 1:06d}"
            self._stories.append(_Story(sid, view.day, view.day, title=view.title))
            self._index[sid] = pos
            if pos == len(self._sums):
                # grown by a quarter: doubling a large archive's sums (2 KB a story) spikes memory
                grown = np.zeros((pos + max(64, pos // 4), self.dim), np.float32)
                grown[:pos] = self._sums
                self._sums = grown
            self._crow[pos] = self._centroids.append(np.zeros(self.dim, np.float32), pos)
        s = self._stories[pos]
        s.count += 1
        s.members.append(view.id)
        s.first, s.last = min(s.first, view.day), max(s.last, view.day)
        if not s.title and view.title:
            s.title = view.title
        idf = self._idf_cache
        s.arrays.clear()
        for which, bag, add in (("bag", s.bag, view.bag), ("title", s.title_bag, view.title_bag)):
            got = s.norms.get(which)
            sq = got[1] ** 2 if got is not None else 0.0
            for k, v in add.items():
                old = bag.get(k, 0.0)
                bag[k] = old + v
                if got is not None:  # keep the norm current without walking a large story's whole bag
                    sq += ((old + v) ** 2 - old**2) * self._idf_of(k, idf) ** 2
            if got is not None:
                got[1] = math.sqrt(max(sq, 0.0))
            if len(bag) > BAG_CAP:
                _prune(bag, BAG_CAP * 2 // 3)
                s.norms.pop(which, None)
        s.numbers.update(view.numbers)
        if view.source:
            s.sources[view.source] += 1
        if view.lang:
            s.langs[view.lang] += 1
        self._sums[pos] += vec
        self._members.append(vec, pos)
        rows = None
        if s.count > MEMBER_WINDOW:
            rows = np.nonzero(self._members.label[: self._members.n] == pos)[0]
            if len(rows) > ANCHORS + MEMBER_WINDOW:  # the oldest rows after the anchors leave the index
                stale = rows[ANCHORS : len(rows) - MEMBER_WINDOW]
                rows = np.concatenate([rows[:ANCHORS], rows[len(rows) - MEMBER_WINDOW :]])
                self._members.label[stale] = -1
                self._members.data[stale] = 0.0
                self._retired += len(stale)
        self._centroids.data[self._crow[pos]] = self._centroid(pos, rows)
        self._member_ids.append(view.id)
        self._member_titles.append(view.title)
        self._member_meta.append((view.day, view.source))
        grams = (
            view.grams
            if view.grams is not None
            else _BagArrays(np.zeros(0, np.int32), np.zeros(0, np.float32))
        )
        self._member_grams.append((grams, self._gram_norm(grams)))
        va = view.arrays
        self._member_bags.append(
            (
                view.body_bag,
                view.title_bag,
                self._norm(view.body_bag, va and va[2]),
                self._norm(view.title_bag, va and va[1]),
            )
        )
        self._member_arrays.append((view.arrays[2], view.arrays[1]) if view.arrays is not None else None)
        self._member_terms.append(None)
        self._story_of[view.id] = pos
        return s.id

    def _sweep(self) -> None:
        """Move stories quiet for `dormant_days` out of the candidate index (batched)."""
        if not math.isfinite(self._now) or self._now - self._last_sweep < min(0.25, self.dormant_days / 4):
            return
        self._last_sweep = self._now
        cutoff = self._now - self.dormant_days
        going = [p for p in self._crow if self._stories[p].last < cutoff]
        if not going and self._retired < 1024:
            return
        for p in going:
            self._refresh_title(p)
            s = self._stories[p]
            s.active = False
            s.bag, s.title_bag, s.numbers, s.sources = {}, {}, Counter(), Counter(s.sources)
            s.arrays.clear()
        gone = np.zeros(len(self._stories), bool)
        gone[going] = True
        labels = self._members.label[: self._members.n]
        mkeep = (labels >= 0) & ~gone[np.maximum(labels, 0)]
        self._retired = 0
        keep = mkeep.tolist()
        self._member_ids = [m for m, k in zip(self._member_ids, keep, strict=True) if k]
        self._member_titles = [m for m, k in zip(self._member_titles, keep, strict=True) if k]
        self._member_meta = [m for m, k in zip(self._member_meta, keep, strict=True) if k]
        self._member_grams = [m for m, k in zip(self._member_grams, keep, strict=True) if k]
        self._member_bags = [m for m, k in zip(self._member_bags, keep, strict=True) if k]
        self._member_arrays = [m for m, k in zip(self._member_arrays, keep, strict=True) if k]
        self._member_terms = [m for m, k in zip(self._member_terms, keep, strict=True) if k]
        self._members.keep(mkeep)
        ckeep = ~gone[self._centroids.label[: self._centroids.n]]
        self._centroids.keep(ckeep)
        self._crow = {int(p): r for r, p in enumerate(self._centroids.label[: self._centroids.n].tolist())}
