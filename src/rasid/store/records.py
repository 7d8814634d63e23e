"""Records to and from rows, shared by the SQL stores: articles and their child rows, stories
and their JSON parts.

The rich parts of a Story (entities, timeline, quotes, brief, disputed) are read and written whole,
never queried field by field, so every backend keeps them as JSON (TEXT in SQLite, JSONB later in
PostgreSQL). Decoding ignores keys a record does not know, so a database written by a slightly
newer rasid with an extra field still loads.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, TypeVar

from ..model import Article, Dispute, Entity, Paragraph, Quote, Removed, Statement, Story, TimelineEvent

T = TypeVar("T")

# Story attribute -> record type of its list items; a constant mapping, never mutated.
STORY_PARTS: tuple[tuple[str, type], ...] = (
    ("entities", Entity),
    ("timeline", TimelineEvent),
    ("quotes", Quote),
    ("brief", Statement),
    ("disputed", Dispute),
)


def dumps(value: Any) -> str:
    """Compact JSON that keeps Arabic readable in the database file (handy when debugging)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


# Field names of the records a story's parts hold, in order. Their fields are strings and lists
# of strings only, so a record is written as a plain dict of them: what `dataclasses.asdict` gives,
# without its recursive deep copy (a visible share of writing a day's analyses).
_FLAT_FIELDS: Mapping[type, tuple[str, ...]] = MappingProxyType(
    {cls: tuple(f.name for f in dataclasses.fields(cls)) for _, cls in STORY_PARTS}
)


def encode_list(items: list[Any]) -> str:
    names = _FLAT_FIELDS.get(type(items[0])) if items else None
    if names is not None and all(type(item) is type(items[0]) for item in items):
        return dumps([{n: getattr(item, n) for n in names} for item in items])
    return dumps([dataclasses.asdict(item) for item in items])


def decode_list(text: str | None, cls: type[T]) -> list[T]:
    if not text:
        return []
    names = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    return [cls(**{k: v for k, v in item.items() if k in names}) for item in json.loads(text)]


def story_parts(story: Story) -> dict[str, str]:
    """The JSON text of each rich part of `story`, keyed by attribute name."""
    return {name: encode_list(getattr(story, name)) for name, _ in STORY_PARTS}


def story_from_parts(base: dict[str, Any], parts: dict[str, str | None], articles: list[str]) -> Story:
    story = Story(
        id=base["id"],
        title=base.get("title") or "",
        articles=articles,
        sources=json.loads(base.get("sources") or "[]"),
        first_seen=base.get("first_seen"),
        last_seen=base.get("last_seen"),
    )
    for name, cls in STORY_PARTS:
        setattr(story, name, decode_list(parts.get(name), cls))
    return story


# -- articles as rows: one decoding and one encoding for every SQL backend -----------------------

# The columns an Article is read from, in the order `article_from_row` takes them.
ARTICLE_COLS = (
    "seq, id, origin, raw_text, title, url, source, published, author, content_hash, story, duplicate_of"
)
# The columns `article_values` fills, in its order (the backend adds its own index columns).
ARTICLE_INSERT_COLS = (
    "id, origin, raw_text, clean_text, title, url, source, published, author, content_hash, story, duplicate_of,"
    " added_at"
)


def article_from_row(row: Sequence[Any]) -> tuple[int, Article]:
    """(seq, Article without its paragraphs) from a row of ARTICLE_COLS."""
    seq, a_id, origin, raw, title, url, source, published, author, c_hash, story, dup = row
    return seq, Article(
        id=a_id,
        origin=origin,
        raw_text=raw,
        content_hash=c_hash,
        title=title,
        url=url,
        source=source,
        published=published,
        author=author,
        story=story,
        duplicate_of=dup,
    )


def article_values(art: Article, added_at: str) -> tuple[Any, ...]:
    """The values of ARTICLE_INSERT_COLS for `art`."""
    return (
        art.id,
        art.origin,
        art.raw_text,
        art.text,
        art.title or "",
        art.url,
        art.source,
        art.published,
        art.author,
        art.content_hash,
        art.story,
        art.duplicate_of,
        added_at,
    )


@dataclass(slots=True)
class ChildRows:
    """The paragraph, sentence and removed-debris rows of stored articles, for one bulk insert each."""

    paragraphs: list[tuple[Any, ...]] = field(default_factory=list)
    sentences: list[tuple[Any, ...]] = field(default_factory=list)
    removed: list[tuple[Any, ...]] = field(default_factory=list)

    def add(self, seq: int, art: Article) -> None:
        for p_idx, para in enumerate(art.paragraphs):
            self.paragraphs.append((seq, p_idx, para.text, para.lang or "und"))
            self.sentences.extend((seq, p_idx, s_idx, s) for s_idx, s in enumerate(para.sentences))
        self.removed.extend((seq, r_idx, r.kind, r.text) for r_idx, r in enumerate(art.removed))

    def tables(self) -> tuple[tuple[str, list[tuple[Any, ...]]], ...]:
        """(target "table (columns)", rows) of each child table."""
        return (
            ("paragraphs (article, idx, text, lang)", self.paragraphs),
            ("sentences (article, paragraph, idx, text)", self.sentences),
            ("removed (article, idx, kind, text)", self.removed),
        )


def fresh_articles(articles: Sequence[Article], known_ids: set[str], known_hashes: set[str]) -> list[Article]:
    """The articles of `articles` not stored yet (by id or content hash) and not repeated in the
    batch, in the order given; an article without an id or hash is a ValueError."""
    fresh: list[Article] = []
    for art in articles:
        if not art.id or not art.content_hash:
            raise ValueError(f"{art.origin}: an article needs an id and a content_hash to be stored")
        if art.id in known_ids or art.content_hash in known_hashes:
            continue
        known_ids.add(art.id)  # also skips repeats inside this batch
        known_hashes.add(art.content_hash)
        fresh.append(art)
    return fresh


def attach_children(
    arts: dict[int, Article],
    paragraphs: Iterable[Sequence[Any]],
    sentences: Iterable[Sequence[Any]],
    removed: Iterable[Sequence[Any]],
) -> None:
    """Fill the articles (by seq) from their child rows, each in (article, idx...) order."""
    for seq, _idx, text, lang in paragraphs:
        arts[seq].paragraphs.append(Paragraph(text=text, lang=lang))
    for seq, p_idx, _idx, text in sentences:
        arts[seq].paragraphs[p_idx].sentences.append(text)
    for seq, _idx, kind, text in removed:
        arts[seq].removed.append(Removed(kind=kind, text=text))


# -- stories as rows ----------------------------------------------------------------------------

STORY_BASE = ("id", "title", "first_seen", "last_seen", "sources")


def story_values(story: Story) -> tuple[Any, ...]:
    """The values of STORY_BASE then of each STORY_PARTS name, for an insert."""
    parts = story_parts(story)
    return (
        story.id,
        story.title or "",
        story.first_seen,
        story.last_seen,
        dumps(list(story.sources)),
        *(parts[name] for name, _ in STORY_PARTS),
    )


def stories_from_rows(
    rows: Sequence[Sequence[Any]], members: Iterable[Sequence[Any]], links: Iterable[Sequence[Any]]
) -> list[Story]:
    """Stories from rows of STORY_BASE + STORY_PARTS columns, their (story, article) member rows
    in member order, and their (story, other, p) link rows (related stories, most likely first)."""
    names = [name for name, _ in STORY_PARTS]
    by_id: dict[str, list[str]] = {r[0]: [] for r in rows}
    for s_id, art in members:
        by_id[s_id].append(art)
    related: dict[str, list[tuple[float, str]]] = {r[0]: [] for r in rows}
    for s_id, other, p in links:
        related[s_id].append((p, other))
    stories = []
    for row in rows:
        base = dict(zip(STORY_BASE, row[:5], strict=True))
        story = story_from_parts(base, dict(zip(names, row[5:], strict=True)), by_id[row[0]])
        story.related = [other for _, other in sorted(related[row[0]], key=lambda t: (-t[0], t[1]))]
        stories.append(story)
    return stories
