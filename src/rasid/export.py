"""The export records of CONTRACT.md, built from the model records, and their file formats.

`article_record` and `story_record` give one record as a dict; `write_records` writes a stream of
them as JSON lines, one JSON array, or CSV (nested values JSON-encoded in their cell).
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict
from typing import Any, TextIO

from .model import Article, Story
from .outlets import UNKNOWN_AR, OutletRegistry, display_name, story_outlet_count

FORMATS = ("jsonl", "json", "csv")
ARTICLE_FIELDS = (
    "id",
    "url",
    "source",
    "source_name",
    "title",
    "author",
    "published",
    "lang",
    "text",
    "story",
    "duplicate_of",
    "paragraphs",
    "removed",
)
STORY_FIELDS = (
    "id",
    "title",
    "articles",
    "sources",
    "first_seen",
    "last_seen",
    "entities",
    "timeline",
    "quotes",
    "brief",
    "disputed",
    "related",
    "outlet_count",
    "coverage",
)


def article_record(article: Article, outlets: OutletRegistry | None = None) -> dict[str, Any]:
    return {
        "id": article.id,
        "url": article.url,
        "source": article.source,
        "source_name": display_name(article.source, outlets) if article.source else None,
        "title": article.title,
        "author": article.author,
        "published": article.published,
        "lang": article.lang,
        "text": article.text,
        "story": article.story or article.id,
        "duplicate_of": article.duplicate_of,
        "paragraphs": [{"text": p.text, "lang": p.lang} for p in article.paragraphs],
        "removed": [{"kind": r.kind, "text": r.text} for r in article.removed],
    }


def story_record(
    story: Story, articles: Mapping[str, Article] | None = None, outlets: OutletRegistry | None = None
) -> dict[str, Any]:
    """The CONTRACT story record; given the story's `articles` (id -> Article), also `outlet_count`
    (`outlets.story_outlet_count`: the count every view shows) and `coverage`:
    who covers what, by outlet (`rasid.brief.coverage_matrix`, with each outlet's display name
    under `names`, from `outlets` or the shipped registry)."""
    record: dict[str, Any] = {
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
        record["outlet_count"] = story_outlet_count(story.sources, (a.source for a in known), outlets)
        cov = coverage_matrix(story.brief, known)
        unnamed = [src for src in cov["sources"] if src in articles and not articles[src].source]
        cov["names"] = {
            src: (
                display_name(src, outlets)
                if src not in unnamed
                else UNKNOWN_AR
                if len(unnamed) == 1
                else f"{UNKNOWN_AR} {unnamed.index(src) + 1}"
            )
            for src in cov["sources"]
        }
        record["coverage"] = cov
    return record


def story_records(
    stories: Iterable[Story],
    get_articles: Callable[[Sequence[str]], Iterable[Article]],
    outlets: OutletRegistry | None = None,
) -> Iterator[dict[str, Any]]:
    """`story_record` of each story with its `outlet_count` and `coverage` (`get_articles`: the
    store's, to read each story's members), streaming."""
    for story in stories:
        yield story_record(story, {a.id: a for a in get_articles(story.articles)}, outlets)


def write_records(records: Iterable[dict[str, Any]], fmt: str, out: TextIO, fields: tuple[str, ...]) -> int:
    """Write `records` to `out` as `fmt` (jsonl, json or csv), streaming; returns how many.

    csv: a header of `fields`, then one row per record; a list or object value is JSON in its cell.
    json: one array, one record per line inside it, so a large export is never held whole.
    """
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r} (use {', '.join(FORMATS)})")
    n = 0
    if fmt == "csv":
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(fields)
        for rec in records:
            writer.writerow([_cell(rec.get(f)) for f in fields])
            n += 1
        return n
    if fmt == "json":
        out.write("[")
    for rec in records:
        line = json.dumps(rec, ensure_ascii=False)
        if fmt == "json":
            out.write(("\n" if n == 0 else ",\n") + line)
        else:
            out.write(line + "\n")
        n += 1
    if fmt == "json":
        out.write("\n]\n" if n else "]\n")
    return n


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False)
    return str(value)
