"""What a run keeps in memory for its stages: the articles the text half made and stored, and what
was computed with them (the Dask workers' article vectors and facts), so the stages take them from
here instead of reading them back from the store (`pipeline.Batch`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..model import Article, Story
from ..pipeline import Batch

if TYPE_CHECKING:
    import numpy as np


@dataclass(slots=True)
class Held:
    """The articles this run stored, at most `limit` of them (the first stored), with their vectors
    and facts. A larger run reads the others back from the store (`Batch.articles`), so memory
    stays bounded: a day of news is about 1,300 articles, and an article about 16 KiB in memory
    (SaudiNewsNet, docs/benchmarks/stage_inputs.md), so at most ~80 MB."""

    limit: int = 5000
    articles: dict[str, Article] = field(default_factory=dict)
    vectors: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)  # kind -> id -> vector
    facts: dict[str, dict[str, str]] = field(default_factory=dict)  # kind -> id -> ArticleFacts JSON

    def keep(self, articles: Sequence[Article], added: Sequence[str]) -> list[str]:
        """Keep those of `articles` the store just `added` (as long as there is room); the ids kept."""
        fresh = set(added)
        room = max(0, self.limit - len(self.articles))
        kept = [a for a in articles if a.id in fresh and a.id not in self.articles][:room]
        self.articles.update((a.id, a) for a in kept)
        return [a.id for a in kept]

    def keep_vectors(self, kind: str, rows: Mapping[str, np.ndarray]) -> None:
        """Vectors computed with held articles (others are left to the store's cache)."""
        mine = self.vectors.setdefault(kind, {})
        mine.update((aid, vec) for aid, vec in rows.items() if aid in self.articles)

    def keep_facts(self, kind: str, rows: Mapping[str, str]) -> None:
        """Facts (JSON) of held articles (others are left to the store's cache)."""
        mine = self.facts.setdefault(kind, {})
        mine.update((aid, text) for aid, text in rows.items() if aid in self.articles)

    def batch(
        self, ids: Sequence[str], stories: Sequence[str] = (), headers: Mapping[str, Story] | None = None
    ) -> Batch:
        """The record a stage is handed for the articles `ids` (and the `stories` to process)."""
        want = set(ids)
        return Batch(
            ids=tuple(ids),
            held={i: a for i, a in self.articles.items() if i in want},
            vectors={k: {i: v for i, v in rows.items() if i in want} for k, rows in self.vectors.items()},
            facts={k: {i: v for i, v in rows.items() if i in want} for k, rows in self.facts.items()},
            stories=tuple(stories),
            headers={s: headers[s] for s in stories if s in headers} if headers else {},
        )
