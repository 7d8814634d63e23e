"""The store's interfaces, one small Protocol per concern, and `Store`, all of them together.

A part of rasid asks for the narrowest one it uses: the understanding stage writes a story's
analysis and never its members; the web and the CLI read articles, stories and search and never
write stages' state. `SQLiteStore` and `PostgresStore` implement every one (mypy checks it in
`rasid.store`, `tests/test_store_protocols.py` at run time).

Who owns what in a story: its members (`articles.story`, by `set_assignments`: membership's one
place; `Story.articles` and `story_article_ids` read it, in publication order) and its header
(title, sources, first and last day: `put_story_headers`) belong to the stories stage; its analysis
(entities, timeline, quotes, brief, disputes: `put_story_analysis`) to the understanding stage.
Each write touches only its own columns, so the two stages can run at once (under different locks)
without one overwriting what the other wrote.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import numpy as np

from ..model import Article, Story

if TYPE_CHECKING:
    from .story_rows import StoryFilter, StoryPage

Assignment = tuple[str, str | None, str | None]  # (article id, story id, duplicate_of)


@runtime_checkable
class ArticleReads(Protocol):
    """Stored articles, read."""

    def has_article(self, article_id: str) -> bool: ...

    def get_article(self, article_id: str) -> Article | None: ...

    def get_articles(self, article_ids: Sequence[str]) -> list[Article]: ...

    def iter_articles(self, order: str = "published") -> Iterator[Article]: ...

    def count_articles(self) -> int: ...


@runtime_checkable
class Articles(ArticleReads, Protocol):
    """Articles written by the text half, and those still in no story (the stories stage's feed)."""

    def add_articles(self, articles: Sequence[Article]) -> list[str]:
        """Store articles not seen before (by id or content hash); return the ids actually added."""
        ...

    def unassigned_article_ids(self) -> list[str]:
        """Stored articles in no story yet, by publication time then insertion."""
        ...


@runtime_checkable
class StoryReads(Protocol):
    """Stories, read: one (an id retired by a merge resolves to the story that absorbed it), their
    members, a page of the list, titles for links."""

    def get_story(self, story_id: str) -> Story | None: ...

    def find_story(self, story_id: str) -> Story | None:
        """`story_id`, or for an id retired by a merge the live story it went to (its id differs)."""
        ...

    def story_alias(self, story_id: str) -> str | None:
        """The live story a retired id now belongs to, or None."""
        ...

    def story_article_ids(self, story_id: str) -> list[str]:
        """The members of `story_id`: the articles assigned to it, by publication time."""
        ...

    def iter_stories(self, order: str = "created") -> Iterator[Story]: ...

    def count_stories(self) -> int: ...

    def story_titles(self, ids: Sequence[str]) -> dict[str, str]: ...

    def list_stories(
        self,
        f: StoryFilter | None = None,
        *,
        order: str = "rank",
        limit: int = 20,
        offset: int = 0,
        cursor: str | None = None,
    ) -> StoryPage: ...


@runtime_checkable
class StoryWrites(Protocol):
    """What the stories stage writes: membership, headers, links, retired ids."""

    def set_assignments(self, rows: Sequence[Assignment]) -> None:
        """(article id, story id, duplicate_of) for each article: membership's one source."""
        ...

    def put_story_headers(self, stories: Sequence[Story]) -> None:
        """Insert or update each story's header (title, sources, first and last day), leaving its
        analysis as it is (empty for a new story). Its members are those of `set_assignments`
        (`Story.articles` is not written)."""
        ...

    def delete_story(self, story_id: str) -> bool: ...

    def put_story_links(self, links: Mapping[str, Sequence[tuple[str, float]]]) -> None:
        """Replace each given story's related stories ({id: [(related id, p), ...]})."""
        ...

    def retire_stories(self, merged: Mapping[str, str]) -> None:
        """Drop the stories a merge retired ({retired id: live id}) and remember where each went."""
        ...


@runtime_checkable
class AnalysisWrites(Protocol):
    """What the understanding stage writes."""

    def put_story_analysis(self, stories: Sequence[Story]) -> None:
        """Each story's entities, timeline, quotes, brief and disputes (and its first and last day
        where its header has none). Stories no longer stored (merged away meanwhile) are skipped;
        members and header are left as they are."""
        ...


@runtime_checkable
class Search(Protocol):
    def search(self, query: str, limit: int = 20) -> list[dict[str, object]]: ...

    def search_page(self, query: str, limit: int = 20, offset: int = 0) -> dict[str, Any]: ...


@runtime_checkable
class DerivedCache(Protocol):
    """Derived data kept to avoid computing it again: article vectors, per-article facts, sentence
    vectors, each under a `kind` naming what produced it."""

    def put_vectors(self, kind: str, ids: Sequence[str], matrix: np.ndarray) -> None: ...

    def get_vectors(self, kind: str, ids: Sequence[str]) -> dict[str, np.ndarray]: ...

    def put_annotations(self, kind: str, items: Mapping[str, str]) -> None: ...

    def get_annotations(self, kind: str, ids: Sequence[str]) -> dict[str, str]: ...

    def put_sentence_vectors(self, kind: str, items: Mapping[str, Mapping[str, np.ndarray]]) -> None: ...

    def get_sentence_vectors(self, kind: str, article_ids: Sequence[str]) -> dict[str, np.ndarray]: ...


@runtime_checkable
class StateBlobs(Protocol):
    """Named opaque state (the stages' checkpoints and journals, pending work, watch state)."""

    def put_blob(self, name: str, data: bytes) -> None: ...

    def get_blob(self, name: str) -> bytes | None: ...

    def blob_names(self, prefix: str) -> list[str]:
        """The names of the stored blobs starting with `prefix`, sorted."""
        ...

    def delete_blob(self, name: str) -> None: ...


@runtime_checkable
class Locks(Protocol):
    """Transactions and locks between the processes writing one store."""

    def atomic(self) -> AbstractContextManager[None]:
        """Every write of the block (on this thread) one transaction."""
        ...

    def exclusive(self, name: str, wait: bool = True) -> AbstractContextManager[bool]:
        """Hold the lock `name` for the block, shared with every process writing this store: the
        block gets True once held; with `wait` False it gets False at once if another holds it."""
        ...


@runtime_checkable
class ChangeStamps(Protocol):
    """What a cache of read pages (the web's, `web/cache.py`) checks so as never to serve a page
    older than the store."""

    def data_version(self) -> int | None:
        """A number that changes with every commit made by another connection or process; None
        where the backend cannot tell (PostgreSQL), so nothing may be cached."""
        ...

    def article_stamp(self, article_id: str) -> str | None:
        """A digest of what an article's page shows besides the article (never rewritten once
        stored): its story and what it is a copy of. None when there is no such article or its
        story is gone (the page then follows a merge)."""
        ...

    def story_stamp(self, story_id: str) -> str | None:
        """A digest of what a story's page shows: its row, its members (with what each is a copy
        of) and its related stories (with their weights and titles). None when no story has this
        id (a retired one is shown through its merge)."""
        ...


@runtime_checkable
class ReadStore(ArticleReads, StoryReads, Search, ChangeStamps, Protocol):
    """What the readers of a store use (the web pages, `rasid story`, `search`, `export`)."""

    def reader(self) -> ReadStore:
        """A store to read from on one more thread: a read-only one over a connection of its own
        (SQLite: reads then queue neither behind each other nor behind a write), or this store
        itself where it reads on a connection per thread already (PostgreSQL) or cannot be opened
        twice (in-memory SQLite). The caller closes it when it is not this store."""
        ...

    def close(self) -> None: ...


@runtime_checkable
class StoriesStore(ArticleReads, StoryReads, StoryWrites, DerivedCache, StateBlobs, Protocol):
    """What the stories stage uses."""


@runtime_checkable
class AnalysisStore(ArticleReads, StoryReads, AnalysisWrites, DerivedCache, Protocol):
    """What the understanding stage uses."""


@runtime_checkable
class Store(
    Articles,
    ReadStore,
    StoryWrites,
    AnalysisWrites,
    DerivedCache,
    StateBlobs,
    Locks,
    Protocol,
):
    """Every concern together: what the runner holds (it hands the store to each stage)."""
