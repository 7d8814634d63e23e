"""Statement groups (sentences of several articles stating one fact), the helpers the builder
groups and quotes with, and the coverage matrix (who reports what, by outlet)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from ..model import Article, Statement
from .units import Unit, article_order


@dataclass(slots=True)
class StatementGroup:
    """Sentences of several articles that state one thing, quoted from the first article citing it."""

    text: str
    articles: list[str]
    sentences: list[tuple[str, int, int]]  # (article id, paragraph index, sentence index)
    lang: str
    centrality: float
    first_position: tuple[int, int, int]  # (article rank in publication order, paragraph, sentence)
    sources: list[str] = field(default_factory=list)
    confidence: float = 1.0  # mean link score inside the group (1.0 for a single sentence)
    date: str | None = None  # earliest date the statement refers to, when the caller knows it

    @property
    def single_source(self) -> bool:
        return len(self.articles) == 1


@dataclass(slots=True)
class _Grouping:
    """What group() computed, kept for selection: units, embeddings and member lists."""

    units: list[Unit]
    vectors: np.ndarray
    members: list[list[int]]
    groups: list[StatementGroup]


def _second_groups(
    members: list[list[int]], units: Sequence[Unit], score: np.ndarray, group_mean: float
) -> list[list[int]]:
    """A sentence that states two facts joins a second group: for each multi-article group, the
    sentences of other groups that link to one of its members (pair score >= 1) with a mean score
    over its members >= `group_mean`, one per article not yet in the group."""
    arts = [u.article for u in units]
    extras: list[list[int]] = []
    for member in members:
        extra: list[int] = []
        present = {arts[k] for k in member}
        if len(present) >= 2:
            block = score[:, member]
            linked = (block.max(axis=1) >= 1.0) & (block.mean(axis=1) >= group_mean)
            strength = block.mean(axis=1)
            for k in sorted(np.nonzero(linked)[0].tolist(), key=lambda k: -float(strength[k])):
                if arts[k] not in present:
                    extra.append(k)
                    present.add(arts[k])
        extras.append(extra)
    return extras


def _most_complete(
    ordered: Sequence[int], units: Sequence[Unit], max_chars: int, numbers: Sequence[frozenset[str]]
) -> int:
    """The member that states the group's fact most completely: the most content stems (and
    numbers) that another article's member also states, among members of at most `max_chars`
    characters; the earliest on a tie. A single article's group quotes its first sentence."""
    by_article: dict[str, set[str]] = {}
    for k in ordered:
        by_article.setdefault(units[k].article, set()).update(units[k].stems, numbers[k])
    if len(by_article) < 2:
        return ordered[0]
    best, best_value = ordered[0], -1
    for k in ordered:
        if len(units[k].text) > max_chars and k != ordered[0]:
            continue
        mine = set(units[k].stems) | numbers[k]
        value = sum(len(mine & feats) for art, feats in by_article.items() if art != units[k].article)
        if value > best_value:
            best, best_value = k, value
    return best


def _unit_mean(vectors: np.ndarray, member: list[int]) -> np.ndarray:
    mean = vectors[member].mean(axis=0)
    return mean / max(float(np.linalg.norm(mean)), 1e-12)


def _copy_representatives(copies: np.ndarray, need: np.ndarray) -> np.ndarray:
    """For each unit, the unit whose vector it uses (-1: none).

    Units joined by `copies` (a boolean pair matrix) form groups; a group with a unit in `need`
    takes the first such unit's vector for all its members.
    """
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import connected_components

    _, label = connected_components(csr_matrix(copies), directed=False)
    first: dict[int, int] = {}
    for k in np.nonzero(need)[0].tolist():
        first.setdefault(int(label[k]), k)
    return np.array([first.get(int(lab), -1) for lab in label], dtype=np.int64)


def _story_centroid(units: Sequence[Unit], vectors: np.ndarray, has: np.ndarray | None = None) -> np.ndarray:
    """Mean sentence vector with each article weighted equally, so a long article does not dominate
    (over the embedded units only, when `has` says which those are)."""
    if has is None:
        has = np.ones(len(units), dtype=bool)
    counts: dict[str, int] = {}
    for u, h in zip(units, has, strict=True):
        if h:
            counts[u.article] = counts.get(u.article, 0) + 1
    weights = np.array(
        [1.0 / counts[u.article] if h else 0.0 for u, h in zip(units, has, strict=True)], dtype=np.float32
    )
    centroid = (vectors * weights[:, None]).sum(axis=0)
    return centroid / max(float(np.linalg.norm(centroid)), 1e-12)


def coverage_matrix(groups: Sequence[StatementGroup | Statement], articles: Sequence[Article]) -> dict:
    """Which outlet reports which statement: by outlet, however many articles an outlet ran.

    Returns {"sources": [outlet, in publication order], "statements": [text], "articles": [[ids]],
    "rows": [[bool per source]] (one row per statement), "carried": {outlet: number of statements
    it reports}, "single_source": {outlet: [statement index]} (what only that outlet says),
    "omitted": {outlet: [statement index]} (statements at least two other outlets carry that this
    outlet leaves out)}.
    """
    by_id = {a.id: a for a in articles}
    sources: list[str] = []
    for i in article_order(articles):
        name = articles[i].source or articles[i].id
        if name not in sources:
            sources.append(name)
    rows: list[list[bool]] = []
    single: dict[str, list[int]] = {s: [] for s in sources}
    omitted: dict[str, list[int]] = {s: [] for s in sources}
    for index, group in enumerate(groups):
        carried = {by_id[a].source or a if a in by_id else a for a in group.articles}
        rows.append([s in carried for s in sources])
        if len(carried) == 1:
            single[next(iter(carried))].append(index)
        for s in sources:
            if s not in carried and len(carried - {s}) >= 2:
                omitted[s].append(index)
    return {
        "sources": sources,
        "statements": [g.text for g in groups],
        "articles": [list(g.articles) for g in groups],
        "rows": rows,
        "carried": {s: sum(row[k] for row in rows) for k, s in enumerate(sources)},
        "single_source": {s: v for s, v in single.items() if v},
        "omitted": {s: v for s, v in omitted.items() if v},
    }
