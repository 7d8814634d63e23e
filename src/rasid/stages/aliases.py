"""Where a story merged away now lives: the stores keep the registry of retired story ids (the
`story_aliases` table: `StoryWrites.retire_stories`, `StoryReads.story_alias` and `find_story`);
these are the names the CLI, the web and the tests have always imported.

A merge keeps the older story's id and retires the younger one; a link or bookmark to the retired id
still finds its story through `find_story`.
"""

from __future__ import annotations

from collections.abc import Mapping

from ..model import Story
from ..store.protocols import StoryReads, StoryWrites

__all__ = ["find_story", "record_merges", "story_alias"]


def record_merges(store: StoryWrites, merged: Mapping[str, str]) -> None:
    """Drop the stories retired by a merge and remember where each went (`story_alias`)."""
    store.retire_stories(merged)


def story_alias(store: StoryReads, story_id: str) -> str | None:
    """The live story a retired (merged) id now belongs to, or None."""
    return store.story_alias(story_id)


def find_story(store: StoryReads, story_id: str) -> Story | None:
    """The story `story_id`, or, for an id retired by a merge, the story that absorbed it
    (its `id` then differs from the one asked for)."""
    return store.find_story(story_id)
