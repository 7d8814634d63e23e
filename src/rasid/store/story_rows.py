"""The story list in SQL: a summary row per story, its filter facets, the ranking and keyset paging.

Every time a story is written (`put_story_headers`, `put_story_analysis`) the store also writes, in
the same transaction:

- a narrow row in `story_list` (the story table's rows carry the story's JSON parts and are
  slow to scan): title, first/last seen, sources, `size` (articles), `outlets` (distinct
  outlets, an article naming none counting as one: `outlets.count_outlets`), `first_day` /
  `last_day` (YYYY-MM-DD), `statements`, `top_entities` (names of the six entities in most articles),
  `langs`, and `rank`;
- facet rows (`story_facets`: kind, value, story) for the filters: each source (case-folded, and its outlet id), each
  language, and the matching form of each entity name and variant from each of its words on (so
  a filter by a name or the start of one is an index range, not a scan).

So a page of the list is an index range scan on the story table, and a filter is an index lookup
on the facets, whatever the number of stories; no story's JSON parts are read to list it.

Ranking ("how widely and how recently covered"):

    rank = log2(1 + outlets) + 0.5 * log2(1 + articles) + day_number(last_day)

One day of age costs as much as halving the number of outlets (or quartering the number of
articles). Only differences between ranks matter, so adding the absolute day number ranks exactly as
subtracting each story's age from a common "today" would, and the rank can be stored once when the
story is written and indexed. The "latest" order is by last day, then rank.
"""

from __future__ import annotations

import base64
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from ..model import Story
from ..outlets import count_outlets, shipped_registry
from ..text.normalize import match_form

ORDERS = ("rank", "latest")
_EPOCH = date(1970, 1, 1).toordinal()


@dataclass(slots=True, frozen=True)
class StoryFilter:
    """Filters of the story list; all that are set must hold."""

    date_from: str | None = None  # the story's [first_day, last_day] overlaps [date_from, date_to]
    date_to: str | None = None
    entity: str | None = None  # starts a word of an entity's name or variant (matching forms)
    source: str | None = None  # one of the story's sources or their outlet ids (case-insensitive)
    lang: str | None = None  # the main language of one of its articles, or of a brief statement

    @property
    def active(self) -> bool:
        return any((self.date_from, self.date_to, self.entity, self.source, self.lang))

    def query(self) -> dict[str, str]:
        return {
            k: v
            for k, v in (
                ("date_from", self.date_from),
                ("date_to", self.date_to),
                ("entity", self.entity),
                ("source", self.source),
                ("lang", self.lang),
            )
            if v
        }


@dataclass(slots=True)
class StoryRow:
    """One line of the story list."""

    id: str
    title: str
    first_seen: str | None
    last_seen: str | None
    articles: int
    outlets: int
    statements: int
    rank: float
    last_day: str  # "" when unknown
    sources: list[str] = field(default_factory=list)
    entities: list[str] = field(default_factory=list)
    langs: list[str] = field(default_factory=list)

    def record(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "first_seen": self.first_seen,
            "last_seen": self.last_seen,
            "sources": self.sources,
            "article_count": self.articles,
            "outlet_count": self.outlets,
            "statement_count": self.statements,
            "entities": self.entities,
            "langs": self.langs,
            "rank": round(self.rank, 4),
        }


@dataclass(slots=True)
class StoryPage:
    rows: list[StoryRow]
    total: int
    next_cursor: str | None


def day_number(day: str | None) -> int:
    try:
        return date.fromisoformat(day).toordinal() - _EPOCH if day else 0
    except ValueError:
        return 0


def story_rank(outlets: int, articles: int, last_day: str | None) -> float:
    return math.log2(1 + outlets) + 0.5 * math.log2(1 + articles) + day_number(last_day)


def _day(value: str | None) -> str | None:
    if not value or len(value) < 10:
        return None
    try:
        return date.fromisoformat(value[:10]).isoformat()
    except ValueError:
        return None


def summary_values(story: Story, article_langs: dict[str, str], unnamed: int = 0) -> dict[str, Any]:
    """The summary columns of `story` (`article_langs`: member id -> its main language; `unnamed`:
    how many members name no outlet, each counted as one outlet as the story page counts them)."""
    first = _day(story.first_seen or story.last_seen) or ""
    last = _day(story.last_seen or story.first_seen) or ""
    outlets = count_outlets(story.sources, unnamed)
    langs = sorted(
        {lang.casefold() for lang in article_langs.values() if lang}
        | {s.lang.casefold() for s in story.brief if s.lang}
    )
    top = sorted(story.entities, key=lambda e: -len(set(e.articles)))[:6]
    return {
        "size": len(story.articles),
        "outlets": outlets,
        "first_day": first,
        "last_day": last,
        "statements": len(story.brief),
        "top_entities": json.dumps([e.name for e in top], ensure_ascii=False),
        "langs": " ".join(langs),
        "rank": story_rank(outlets, len(story.articles), last),
    }


def facet_rows(story: Story, langs: str) -> list[tuple[str, str, str]]:
    rows: set[tuple[str, str, str]] = set()
    outlets = shipped_registry()
    for s in story.sources:
        if s:
            rows.add(("source", s.casefold(), story.id))
            known = outlets.resolve(
                s
            )  # a source stored by name (older stores) also files under its outlet id
            if known is not None:
                rows.add(("source", known.casefold(), story.id))
    for lang in langs.split():
        rows.add(("lang", lang, story.id))
    for e in story.entities:
        for form in (e.name, *e.variants):
            words = match_form(form or "").split()
            for i in range(len(words)):  # every word start: "بوتين" finds "فلاديمير بوتين"
                rows.add(("entity", " ".join(words[i:]), story.id))
    return sorted(rows)


def encode_cursor(order: str, row: StoryRow) -> str:
    key = [row.rank, row.id] if order == "rank" else [row.last_day, row.rank, row.id]
    return base64.urlsafe_b64encode(json.dumps([order, *key]).encode()).decode().rstrip("=")


def decode_cursor(cursor: str, order: str) -> list[Any] | None:
    """The sort key in `cursor`, or None when it is not a cursor of this order."""
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(data, list) or not data or data[0] != order:
        return None
    key = data[1:]
    if order == "rank" and len(key) == 2 and isinstance(key[0], int | float) and isinstance(key[1], str):
        return key
    if (
        order == "latest"
        and len(key) == 3
        and isinstance(key[0], str)
        and isinstance(key[1], int | float)
        and isinstance(key[2], str)
    ):
        return key
    return None


def list_sql(f: StoryFilter, order: str) -> tuple[str, list[Any]]:
    """The WHERE clause (with its parameters) of the stories that pass `f`."""
    where: list[str] = []
    params: list[Any] = []
    if f.date_from:
        where.append("s.last_day >= ?")
        params.append(f.date_from)
    if f.date_to:
        where.append("s.first_day != '' AND s.first_day <= ?")
        params.append(f.date_to)
    if f.source:
        where.append("s.id IN (SELECT story FROM story_facets WHERE kind = 'source' AND value = ?)")
        params.append(f.source.casefold())
    if f.lang:
        where.append("s.id IN (SELECT story FROM story_facets WHERE kind = 'lang' AND value = ?)")
        params.append(f.lang.casefold())
    if f.entity:
        key = " ".join(match_form(f.entity).split())
        # a prefix of the name from any of its words on: one range of the facet index
        where.append(
            "s.id IN (SELECT story FROM story_facets WHERE kind = 'entity' AND value >= ? AND value < ?)"
        )
        params += [key, key + "\U0010ffff"]
    if order not in ORDERS:
        raise ValueError(f"unknown story order {order!r} (use {' or '.join(ORDERS)})")
    return (" WHERE " + " AND ".join(where)) if where else "", params


def order_sql(order: str) -> str:
    if order == "rank":
        return "ORDER BY s.rank DESC, s.id DESC"
    return "ORDER BY s.last_day DESC, s.rank DESC, s.id DESC"


def after_sql(order: str, key: Sequence[Any]) -> tuple[str, list[Any]]:
    """The condition that keeps the rows after `key` in `order` (keyset paging)."""
    if order == "rank":
        return "(s.rank, s.id) < (?, ?)", list(key)
    return "(s.last_day, s.rank, s.id) < (?, ?, ?)", list(key)
