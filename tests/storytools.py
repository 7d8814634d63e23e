"""Whole stories written in tests the way the product writes them: the members by
`set_assignments` (membership's one place, `articles.story`), then the header as the stories stage
writes it (`put_story_headers`), then the analysis as the understanding stage does
(`put_story_analysis`). The store has no method writing all three at once."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rasid.model import Story


def put_stories(store: Any, stories: Sequence[Story]) -> None:
    """Store each story whole, in one transaction: its stored articles among `Story.articles`
    become its members (each keeping what it is a copy of), any other member leaves it (in no
    story), then its header and its analysis are written. Ids of articles not stored are ignored."""
    if not stories:
        return
    with store.atomic():
        rows: dict[str, tuple[str, str | None, str | None]] = {}
        for story in stories:
            listed = {a.id: a for a in store.get_articles(story.articles)}
            for gone in store.get_articles(store.story_article_ids(story.id)):
                if gone.id not in listed:
                    rows[gone.id] = (gone.id, None, gone.duplicate_of)
            rows.update((a.id, (a.id, story.id, a.duplicate_of)) for a in listed.values())
        store.set_assignments(list(rows.values()))
        store.put_story_headers(stories)
        store.put_story_analysis(stories)


def put_story(store: Any, story: Story) -> None:
    put_stories(store, [story])
