"""The export records of CONTRACT.md, built from the model records."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict
from typing import Any

from .model import Article, Story


def article_record(article: Article) -> dict[str, Any]:
    return {
        "id": article.id,
        "url": article.url,
        "source": article.source,
        "title": article.title,
        "published": article.published,
        "story": article.story or article.id,
        "duplicate_of": article.duplicate_of,
        "paragraphs": [{"text": p.text, "lang": p.lang} for p in article.paragraphs],
        "removed": [{"kind": r.kind, "text": r.text} for r in article.removed],
    }


def story_record(story: Story, articles: Mapping[str, Article] | None = None) -> dict[str, Any]:
    """The CONTRACT story record; given the story's `articles` (id -> Article), also `coverage`:
    who covers what, by outlet (`rasid.brief.coverage_matrix`)."""
    record = {
        "id": story.id,
        "title": story.title,
        "articles": list(story.articles),
        "sources": list(story.sources),
        "first_seen": story.first_seen,
        "last_seen": story.last_seen,
        "entities": [asdict(e) for e in story.entities],
        "timeline": [asdict(t) for t in story.timeline],
        "quotes": [asdict(q) for q in story.quotes],
        "brief": [asdict(s) for s in story.brief],
        "disputed": [asdict(d) for d in story.disputed],
        "related": list(story.related),
    }
    if articles is not None:
        from .brief import coverage_matrix

        known = [articles[a] for a in story.articles if a in articles]
        record["coverage"] = coverage_matrix(story.brief, known)
    return record
