"""The export records of CONTRACT.md, built from the model records."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from .model import Article, Story
from .outlets import OutletRegistry, display_name


def article_record(article: Article, outlets: OutletRegistry | None = None) -> dict[str, Any]:
    return {
        "id": article.id,
        "url": article.url,
        "source": article.source,
        "source_name": display_name(article.source, outlets) if article.source else None,
        "title": article.title,
        "published": article.published,
        "story": article.story or article.id,
        "duplicate_of": article.duplicate_of,
        "paragraphs": [{"text": p.text, "lang": p.lang} for p in article.paragraphs],
        "removed": [{"kind": r.kind, "text": r.text} for r in article.removed],
    }


def story_record(story: Story) -> dict[str, Any]:
    return {
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
