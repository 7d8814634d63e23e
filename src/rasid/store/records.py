"""Story parts to and from JSON text.

The rich parts of a Story (entities, timeline, quotes, brief, disputed) are read and written whole,
never queried field by field, so every backend keeps them as JSON (TEXT in SQLite, JSONB later in
PostgreSQL). Decoding ignores keys a record does not know, so a database written by a slightly
newer rasid with an extra field still loads.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any, TypeVar

from ..model import Dispute, Entity, Quote, Statement, Story, TimelineEvent

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


def encode_list(items: list[Any]) -> str:
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
