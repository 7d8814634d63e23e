"""The brief builder: groups a story's sentences across articles and chooses the statements."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np

from ..model import Article, Statement
from ..pipeline import SentenceSplitter
from .groups import (
    StatementGroup,
    _copy_representatives,
    _Grouping,
    _most_complete,
    _second_groups,
    _story_centroid,
    _unit_mean,
)
from .pairs import (
    DEFAULT_PAIR_MODEL,
    LinkThresholds,
    PairModel,
    lexical_overlap,
    link_scores,
    numbers_in,
    pair_features,
    unit_days,
    unit_entities,
)
from .units import Embed, Unit, UseEmbedder, sentence_units


class BriefBuilder:
    """Groups a story's sentences across articles and chooses the brief's statements.

    `embed` maps texts to L2-normalised rows; the default is the multilingual USE. Two sentences of
    different articles link when the learned pair score `model` (vectors, words, context, entities,
    numbers, days; see `PairModel`) says they state the same fact; `model=None` keeps the older
    threshold rule (`LinkThresholds`) and maximal-marginal-relevance selection. With a model,
    selection takes the facts most outlets report first, then the most central, skipping what is
    too close to a chosen statement, within `budget` (`max_statements` and `max_chars` for up to four
    outlets, `statements_per_outlet` more per further outlet, at most `max_statements_cap`); each
    statement quotes the member sentence that states the fact most completely (`quote_chars` at
    most), and `second_groups` lets a sentence that states two facts cite its article in both.
    """

    def __init__(
        self,
        embed: Embed | None = None,
        max_statements: int = 8,
        max_chars: int = 2000,
        thresholds: LinkThresholds | None = None,
        min_tokens: int = 6,
        coverage_weight: float = 0.6,
        mmr_lambda: float = 0.7,
        redundancy_cap: float = 0.85,
        splitter: SentenceSplitter | None = None,
        embed_window: int | None = 3,
        copy_overlap: float = 0.9,
        model: PairModel | None = DEFAULT_PAIR_MODEL,
        quote_chars: int = 400,
        second_groups: bool = True,
        statements_per_outlet: int = 1,
        max_statements_cap: int = 12,
    ) -> None:
        self.model = model
        self.quote_chars = quote_chars
        self.second_groups = second_groups
        self.statements_per_outlet = statements_per_outlet
        self.max_statements_cap = max_statements_cap
        self.embed: Embed = embed if embed is not None else UseEmbedder()
        self.embed_window = embed_window
        self.copy_overlap = copy_overlap
        self.max_statements = max_statements
        self.max_chars = max_chars
        self.thresholds = thresholds or LinkThresholds()
        self.min_tokens = min_tokens
        self.coverage_weight = coverage_weight
        self.mmr_lambda = mmr_lambda
        self.redundancy_cap = redundancy_cap
        self.splitter = splitter

    # -- grouping -------------------------------------------------------------------------------

    def group(self, articles: Sequence[Article], units: Sequence[Unit] | None = None) -> list[StatementGroup]:
        """All statement groups of the story (singletons included), biggest coverage first."""
        return self._group(articles, units).groups

    def _units(self, articles: Sequence[Article], units: Sequence[Unit] | None) -> list[Unit]:
        """The story's candidate sentences; `units` (from `sentence_units` with the default splitter
        and at most `min_tokens`) saves a second pass when the caller already split the story."""
        if units is None or self.splitter is not None:
            return sentence_units(articles, self.min_tokens, splitter=self.splitter)
        return [u for u in units if u.n_tokens >= self.min_tokens]

    def _group(
        self,
        articles: Sequence[Article],
        units: Sequence[Unit] | None = None,
        embed: Embed | None = None,
        mentions: Mapping[tuple[str, int], Sequence[tuple[int, int, int]]] | None = None,
        days: Mapping[tuple[str, int], Sequence[tuple[int, int, str]]] | None = None,
    ) -> _Grouping:
        units = self._units(articles, units)
        if not units:
            return _Grouping([], np.zeros((0, 0), dtype=np.float32), [], [])
        lex = lexical_overlap(units)
        vectors, has = self._vectors(units, lex, embed or self.embed)
        numbers = [numbers_in(u.text) for u in units]
        if self.model is not None:
            score = self.meaning_scores(
                units, vectors, has, lex, unit_entities(units, mentions), unit_days(units, days), numbers
            )
        else:
            score = self.pair_scores(units, vectors, lex)
        members = self._cluster(score, self.model.group_mean if self.model is not None else None)
        extras: list[list[int]] = [[] for _ in members]
        if self.model is not None and self.second_groups:
            extras = _second_groups(members, units, score, self.model.join_mean)
        centroid = _story_centroid(units, vectors, has)
        groups = [
            self._make_group(m, units, vectors, score, centroid, x, numbers)
            for m, x in zip(members, extras, strict=True)
        ]
        # A group none of whose sentences was embedded has no measured centrality: it ranks with
        # the least central measured group rather than stretching the scale the others share.
        measured = [g.centrality for g, m in zip(groups, members, strict=True) if has[m].any()]
        floor = min(measured) if measured else 0.0
        for g, m in zip(groups, members, strict=True):
            if not has[m].any():
                g.centrality = floor
        order = sorted(range(len(groups)), key=lambda g: (-len(groups[g].sources), groups[g].first_position))
        return _Grouping(units, vectors, [members[g] for g in order], [groups[g] for g in order])

    def _vectors(self, units: Sequence[Unit], lex: np.ndarray, embed: Embed) -> tuple[np.ndarray, np.ndarray]:
        """Sentence vectors for the units that need one; zero rows (and False in the mask) elsewhere.

        Embedding every sentence of a multi-article story was the largest cost of understanding a
        day of news (USE runs ~4 ms per sentence on one core). A vector is needed where cosine can
        change the outcome: a sentence in the opening `embed_window` sentences of its article (where
        a brief's statements come from), one that another article's sentence overlaps lexically
        (>= `lexical_mid`, so the mid rule can link them) and, in a story that mixes languages,
        every sentence (words cannot link a translation). Sentences that are lexical copies of each
        other (overlap >= `lexical`, linked whatever the cosine says) share one vector, that of the
        first of them that needs one. `embed_window=None` embeds every sentence. The default window
        of 3 (the leads) was 8 until the 2015-08-02 measurement in docs/benchmarks/pipeline.md: it
        embeds 18% fewer characters and keeps the statements carried by several outlets (602 vs 596).
        """
        n = len(units)
        t = self.thresholds
        if self.embed_window is None:
            need = np.ones(n, dtype=bool)
            rep = np.arange(n)
        else:
            arts = np.array([u.article for u in units], dtype=object)
            cross = arts[:, None] != arts[None, :]
            seen: dict[str, int] = {}
            in_window = np.zeros(n, dtype=bool)
            for k, u in enumerate(units):
                seen[u.article] = seen.get(u.article, 0) + 1
                in_window[k] = seen[u.article] <= self.embed_window
            partner = ((lex >= t.lexical_mid) & cross).any(axis=1)
            mixed = len({u.lang for u in units if u.lang != "und"}) > 1
            need = in_window | partner | mixed
            rep = _copy_representatives((lex >= self.copy_overlap) & cross, need)
        has = rep >= 0
        vectors = np.zeros((n, 0), dtype=np.float32)
        todo = sorted(set(rep[has].tolist()))
        if todo:
            got = np.asarray(embed([units[k].text for k in todo]), dtype=np.float32)
            vectors = np.zeros((n, got.shape[1]), dtype=np.float32)
            row = {k: i for i, k in enumerate(todo)}
            for k in np.nonzero(has)[0].tolist():
                vectors[k] = got[row[int(rep[k])]]
        return vectors, has

    def meaning_scores(
        self,
        units: Sequence[Unit],
        vectors: np.ndarray,
        has: np.ndarray,
        lex: np.ndarray,
        entities: Sequence[frozenset[int]] | None = None,
        dates: Sequence[str | None] | None = None,
        numbers: Sequence[frozenset[str]] | None = None,
    ) -> np.ndarray:
        """The learned pair score scaled so that >= 1 links (`PairModel`); within one article only
        near-verbatim repeats link, as in `pair_scores`."""
        assert self.model is not None
        p = self.model.probability(pair_features(units, vectors, has, lex, entities, dates, numbers))
        ids = np.array([u.article for u in units], dtype=object)
        same = ids[:, None] == ids[None, :]
        score = np.where(same, lex / self.thresholds.same_article, p / self.model.cut)
        # The model was calibrated on sentences of one language: a pair in two languages (a
        # translation, say) links by the rule of `pair_scores` (cosine >= `semantic`).
        langs = np.array([u.lang for u in units], dtype=object)
        cross = (langs[:, None] != langs[None, :]) & (langs[:, None] != "und") & (langs[None, :] != "und")
        if cross.any():
            score = np.where(cross, self.pair_scores(units, vectors, lex), score)
        np.fill_diagonal(score, 0.0)
        return score.astype(np.float32)

    def pair_scores(
        self, units: Sequence[Unit], vectors: np.ndarray, lex: np.ndarray | None = None
    ) -> np.ndarray:
        """The pairwise link-score matrix (>= 1: same statement) for already-embedded units
        (a zero row: not embedded, linked by words only)."""
        if lex is None:
            lex = lexical_overlap(units)
        if vectors.shape[1] == 0:
            vectors = np.zeros((len(units), 1), dtype=np.float32)
        cos = np.clip(vectors @ vectors.T, -1.0, 1.0)
        ids = np.array([u.article for u in units], dtype=object)
        same = ids[:, None] == ids[None, :]
        return link_scores(lex, cos, same, self.thresholds)

    def _cluster(self, score: np.ndarray, group_mean: float | None = None) -> list[list[int]]:
        """Greedy average-link agglomeration over linked pairs, strongest pair first.

        Plain connected components would chain a statement to its neighbour's neighbour; requiring
        the mean score across the two groups to stay high keeps groups about one thing.
        """
        n = score.shape[0]
        owner = list(range(n))
        members: dict[int, list[int]] = {i: [i] for i in range(n)}
        ii, jj = np.nonzero(np.triu(score >= 1.0, k=1))
        pairs = sorted(zip(ii.tolist(), jj.tolist(), strict=True), key=lambda p: (-score[p[0], p[1]], p))
        for i, j in pairs:
            a, b = owner[i], owner[j]
            if a == b:
                continue
            block = score[np.ix_(members[a], members[b])]
            if float(block.mean()) < (self.thresholds.group_mean if group_mean is None else group_mean):
                continue
            if len(members[a]) < len(members[b]):
                a, b = b, a
            for k in members[b]:
                owner[k] = a
            members[a].extend(members.pop(b))
        return [sorted(m) for m in members.values()]

    def _make_group(
        self,
        member: list[int],
        units: Sequence[Unit],
        vectors: np.ndarray,
        score: np.ndarray,
        centroid: np.ndarray,
        extra: Sequence[int] = (),
        numbers: Sequence[frozenset[str]] = (),
    ) -> StatementGroup:
        """One group: quoted from its own members; `extra` sentences (ones that state this fact
        besides another, see `_second_groups`) add their articles to the citations only."""
        ordered = sorted(member, key=lambda k: units[k].position)
        first = units[ordered[0]]
        quoted = units[_most_complete(ordered, units, self.quote_chars, numbers)]
        articles: list[str] = [quoted.article]
        sources: list[str] = [quoted.source]
        cited = sorted([*ordered, *extra], key=lambda k: units[k].position)
        for k in cited:
            if units[k].article not in articles:
                articles.append(units[k].article)
            if units[k].source not in sources:
                sources.append(units[k].source)
        mean = vectors[member].mean(axis=0)
        mean /= max(float(np.linalg.norm(mean)), 1e-12)
        if len(member) > 1:
            block = score[np.ix_(member, member)]
            confidence = float(block.sum() / (len(member) * (len(member) - 1)))
        else:
            confidence = 1.0
        return StatementGroup(
            text=quoted.text,
            articles=articles,
            sentences=[(units[k].article, units[k].paragraph, units[k].sentence) for k in cited],
            lang=quoted.lang,
            centrality=float(mean @ centroid),
            first_position=first.position,
            sources=sources,
            confidence=confidence,
        )

    # -- selection ------------------------------------------------------------------------------

    def select(
        self,
        articles: Sequence[Article],
        dates: dict[tuple[str, int], str] | None = None,
        units: Sequence[Unit] | None = None,
        embed: Embed | None = None,
        mentions: Mapping[tuple[str, int], Sequence[tuple[int, int, int]]] | None = None,
        days: Mapping[tuple[str, int], Sequence[tuple[int, int, str]]] | None = None,
    ) -> list[StatementGroup]:
        """The brief's groups, in story order (see `build`)."""
        grouping = self._group(articles, units, embed, mentions, days)
        if not grouping.groups:
            return []
        published = {a.id: (a.published or "")[:10] for a in articles}
        for group in grouping.groups:
            known = [dates[(a, p)] for a, p, _ in group.sentences if dates and (a, p) in dates]
            group.date = min(known) if known else None
        n_sources = len({a.source or a.id for a in articles})
        if self.model is None:
            chosen = self._mmr(grouping, n_sources=n_sources)
        else:
            chosen = self._by_coverage(grouping, n_sources)
        chosen.sort(key=lambda g: (g.date or published.get(g.articles[0], "") or "\uffff", g.first_position))
        return chosen

    def build(
        self,
        articles: Sequence[Article],
        dates: dict[tuple[str, int], str] | None = None,
        units: Sequence[Unit] | None = None,
        embed: Embed | None = None,
        mentions: Mapping[tuple[str, int], Sequence[tuple[int, int, int]]] | None = None,
        days: Mapping[tuple[str, int], Sequence[tuple[int, int, str]]] | None = None,
    ) -> list[Statement]:
        """The brief: a few statements, quoted verbatim, each with every article that reports it.

        `dates` maps (article id, paragraph index) to the earliest YYYY-MM-DD that paragraph refers
        to (from the timeline stage); statements are ordered by it, else by when and where they were
        first reported. `embed` replaces the builder's own embedding callable for this story (one
        that reads vectors kept from an earlier run, say).
        """
        chosen = self.select(articles, dates, units, embed, mentions, days)
        return [Statement(g.text, list(g.articles), g.lang) for g in chosen]

    def budget(self, n_sources: int) -> tuple[int, float]:
        """(statements, characters) a brief of a story with `n_sources` outlets may hold."""
        limit = min(
            max(self.max_statements, self.max_statements + self.statements_per_outlet * (n_sources - 4)),
            max(self.max_statements_cap, self.max_statements),
        )
        return limit, self.max_chars * limit / max(self.max_statements, 1)

    def _by_coverage(self, grouping: _Grouping, n_sources: int) -> list[StatementGroup]:
        """What a reader would pick: the facts most outlets report first, then the most central,
        skipping a group too close to one already chosen (novelty), within the length budget.

        The budget grows with the story: `max_statements` plus `statements_per_outlet` for each
        outlet beyond four (at most `max_statements_cap`), and `max_chars` in proportion."""
        groups = grouping.groups
        limit, budget = self.budget(n_sources)
        vecs = np.stack([_unit_mean(grouping.vectors, m) for m in grouping.members])
        cent = np.array([g.centrality for g in groups], dtype=np.float32)
        span = float(cent.max() - cent.min())
        cent_n = (cent - cent.min()) / span if span > 1e-6 else np.ones_like(cent)
        order = sorted(
            range(len(groups)),
            key=lambda g: (-len(groups[g].sources), -float(cent_n[g]), groups[g].first_position),
        )
        # Facts one outlet alone reports come last, taken in turns (each outlet's most central
        # first), so what each outlet alone adds is spread over the outlets.
        multi = [g for g in order if len(groups[g].sources) > 1]
        turn: dict[str, int] = {}
        single: list[tuple[int, int]] = []
        for g in order:
            if len(groups[g].sources) == 1:
                src = groups[g].sources[0]
                single.append((turn.get(src, 0), g))
                turn[src] = turn.get(src, 0) + 1
        order = multi + [g for _, g in sorted(single, key=lambda t: (t[0], order.index(t[1])))]
        chosen: list[int] = []
        for g in order:
            if len(chosen) >= limit:
                break
            if len(groups[g].text) > budget or any(groups[c].text == groups[g].text for c in chosen):
                continue
            if chosen and float(max(vecs[c] @ vecs[g] for c in chosen)) >= self.redundancy_cap:
                continue
            chosen.append(g)
            budget -= len(groups[g].text)
        return [groups[g] for g in chosen]

    def _mmr(self, grouping: _Grouping, n_sources: int) -> list[StatementGroup]:
        groups = grouping.groups
        vecs = np.stack([_unit_mean(grouping.vectors, m) for m in grouping.members])
        cent = np.array([g.centrality for g in groups], dtype=np.float32)
        span = float(cent.max() - cent.min())
        cent_n = (cent - cent.min()) / span if span > 1e-6 else np.ones_like(cent)
        cover = np.array([(len(g.sources) - 1) / max(n_sources - 1, 1) for g in groups], dtype=np.float32)
        relevance = self.coverage_weight * cover + (1.0 - self.coverage_weight) * cent_n
        chosen: list[int] = []
        budget = self.max_chars
        candidates = set(range(len(groups)))
        # Each candidate's highest similarity to a chosen statement, updated once per choice (not
        # recomputed over every chosen statement at every step: 0.6 ms per article on a day).
        closest: list[float | None] = [None] * len(groups)
        while candidates and len(chosen) < self.max_statements:
            best, best_value = -1, -math.inf
            for g in candidates:
                near = closest[g]
                redundancy = 0.0 if near is None else float(near)
                if redundancy >= self.redundancy_cap:
                    continue
                value = self.mmr_lambda * float(relevance[g]) - (1.0 - self.mmr_lambda) * max(redundancy, 0.0)
                if value > best_value:
                    best, best_value = g, value
            if best < 0:
                break
            candidates.discard(best)
            if len(groups[best].text) > budget:
                continue  # too long for what is left: a shorter statement may still fit
            chosen.append(best)
            budget -= len(groups[best].text)
            row = vecs[best]
            for g in candidates:
                sim = vecs[g] @ row
                near = closest[g]
                closest[g] = sim if near is None else max(near, sim)
        return [groups[g] for g in chosen]
