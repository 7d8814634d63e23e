"""Where a story merged away now lives: the registry of retired story ids, kept in the store.

A merge keeps the older story's id and retires the younger one; a link or bookmark to the retired id
still finds its story through `find_story`.
"""

from __future__ import annotations

import json

from ..model import Story
from ..pipeline import Store

ALIAS_BLOB = "state:story-aliases"  # {retired id: live id}


def record_merges(store: Store, merged: dict[str, str]) -> None:
    """Drop the stories retired by a merge and remember where each went (`story_alias`), so a
    link to a retired id still finds its story."""
    blob = store.get_blob(ALIAS_BLOB)
    aliases: dict[str, str] = json.loads(blob) if blob else {}
    aliases.update(merged)
    for old, new in list(aliases.items()):  # keep chains short: every alias points to a live story
        while new in aliases and aliases[new] != new:
            new = aliases[new]
        aliases[old] = new
    store.put_blob(ALIAS_BLOB, json.dumps(aliases, sort_keys=True).encode("utf-8"))
    for gone in merged:
        store.delete_story(gone)


def story_alias(store: Store, story_id: str) -> str | None:
    """The live story a retired (merged) id now belongs to, or None."""
    blob = store.get_blob(ALIAS_BLOB)
    live: str | None = json.loads(blob).get(story_id) if blob else None
    return live


def find_story(store: Store, story_id: str) -> Story | None:
    """The story `story_id`, or, for an id retired by a merge, the story that absorbed it
    (its `id` then differs from the one asked for)."""
    story = store.get_story(story_id)
    if story is None:
        live = story_alias(store, story_id)
        story = store.get_story(live) if live else None
    return story
