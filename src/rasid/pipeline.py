"""Stage interfaces and their composition.

Each stage is a small Protocol with one default implementation elsewhere; the Pipeline holds one of
each and is the only place that knows their order. Swapping a stage is one constructor argument.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from .model import Article, IngestError, RawDoc, Removed, Story


class Reader(Protocol):
    """Turns one input (path or URL) into raw documents, or errors naming that input."""

    def read(self, source: str) -> Iterator[RawDoc | IngestError]: ...


class Cleaner(Protocol):
    """Splits raw article text into prose paragraphs and the debris it removed."""

    def clean(self, text: str, title: str | None = None) -> tuple[list[str], list[Removed]]: ...


class LanguageIdentifier(Protocol):
    def detect(self, text: str) -> str: ...


class SentenceSplitter(Protocol):
    def split(self, text: str) -> list[str]: ...


class Store(Protocol):
    """Persistence. SQLite is the default; PostgreSQL implements the same methods."""

    def add_articles(self, articles: Sequence[Article]) -> list[str]:
        """Store articles not seen before (by id or content hash); return the ids actually added."""
        ...

    def has_article(self, article_id: str) -> bool: ...

    def get_article(self, article_id: str) -> Article | None: ...

    def get_articles(self, article_ids: Sequence[str]) -> list[Article]: ...

    def iter_articles(self, order: str = "published") -> Iterator[Article]: ...

    def count_articles(self) -> int: ...

    def search(self, query: str, limit: int = 20) -> list[dict[str, object]]: ...

    def set_assignments(self, rows: Sequence[tuple[str, str | None, str | None]]) -> None:
        """(article id, story id, duplicate_of) for each article."""
        ...

    def story_article_ids(self, story_id: str) -> list[str]: ...

    def put_stories(self, stories: Sequence[Story]) -> None: ...

    def get_story(self, story_id: str) -> Story | None: ...

    def delete_story(self, story_id: str) -> bool: ...

    def story_titles(self, ids: Sequence[str]) -> dict[str, str]: ...

    def put_story_links(self, links: Mapping[str, Sequence[tuple[str, float]]]) -> None:
        """Replace each given story's related stories ({id: [(related id, p), ...]}); get_story
        and iter_stories return them as `Story.related`."""
        ...

    def iter_stories(self, order: str = "created") -> Iterator[Story]: ...

    def count_stories(self) -> int: ...

    def put_vectors(self, kind: str, ids: Sequence[str], matrix: np.ndarray) -> None: ...

    def get_vectors(self, kind: str, ids: Sequence[str]) -> dict[str, np.ndarray]: ...

    def put_annotations(self, kind: str, items: Mapping[str, str]) -> None:
        """Per-article derived data (e.g. NER mentions) under `kind`, the name of what produced it."""
        ...

    def get_annotations(self, kind: str, ids: Sequence[str]) -> dict[str, str]: ...

    def put_sentence_vectors(self, kind: str, items: Mapping[str, Mapping[str, np.ndarray]]) -> None:
        """Sentence vectors (`article id -> {sentence text digest: vector}`) under `kind`, the
        embedder's identity: an incremental run re-analysing a story does not embed them again."""
        ...

    def get_sentence_vectors(self, kind: str, article_ids: Sequence[str]) -> dict[str, np.ndarray]: ...

    def put_blob(self, name: str, data: bytes) -> None: ...

    def get_blob(self, name: str) -> bytes | None: ...

    def close(self) -> None: ...


@dataclass(slots=True)
class RunReport:
    read: int = 0
    added: int = 0
    skipped: int = 0
    errors: list[IngestError] | None = None


class Processor(Protocol):
    """Turns raw documents into cleaned Articles (the text half of the pipeline)."""

    def process(self, docs: Iterable[RawDoc]) -> Iterator[Article | IngestError]: ...
