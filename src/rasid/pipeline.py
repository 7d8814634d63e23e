"""The interfaces between the parts of the pipeline: readers, the text half, the store, and the
stages that run after articles are stored.

Each is a small Protocol with its default implementation elsewhere (docs/ARCHITECTURE.md);
`rasid.runner.build_runner` is the one place that picks the implementations and wires them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
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


class Stage(Protocol):
    """Runs after new articles are stored: duplicates and stories, then understanding.

    Every hook is declared here and the runner calls each on every stage, in this order:
    `report_progress` once per run; `prepare(added)` after each stored batch of the text half;
    `begin(store, new_ids)` on every stage before the first `update`; `update` stage by stage;
    `end(failed)` once all ran, or one failed (also after `prepare` alone). Subclass `BaseStage`
    to inherit no-op hooks and write only what the stage needs.

    The first stage places articles in stories (`Store.set_assignments`) and runs as one store
    transaction where the store offers `atomic()`: a run killed mid-stage leaves neither assignments
    nor saved state, and the next run feeds the same articles again. The stages after it analyse
    the stories it touched; those are kept in the store until every later stage has run over them,
    so a run killed during understanding leaves them to the next run too. The runner feeds the first
    stage every stored article still in no story (this run's, and any a stopped run left behind).
    """

    def report_progress(self, advance: Callable[[int], None]) -> bool:
        """Offered the runner's progress counter: return True if the stage will call `advance(n)`
        as it finishes items itself (else the runner counts for it)."""
        ...

    def prepare(self, added: int) -> None:
        """The text half has stored `added` articles so far this run (e.g. start worker processes
        that load their models while documents are still being cleaned)."""
        ...

    def begin(self, store: Store, new_ids: Sequence[str]) -> None:
        """The stages are about to run over `new_ids` (e.g. hand the new articles to workers while
        earlier stages run)."""
        ...

    def update(self, store: Store, new_ids: Sequence[str], touched_stories: Sequence[str] = ()) -> list[str]:
        """Process newly stored articles; return the ids of the stories touched. `touched_stories`
        are those the earlier stages of this run touched, so a later stage need not reload the new
        articles to learn them."""
        ...

    def end(self, failed: bool = False) -> None:
        """The run is over (`failed`: a stage raised): stop what `prepare` or `begin` started."""
        ...


class BaseStage:
    """A stage whose hooks do nothing; subclasses override `update` and the hooks they need."""

    __slots__ = ()

    def report_progress(self, advance: Callable[[int], None]) -> bool:
        return False

    def prepare(self, added: int) -> None:
        return None

    def begin(self, store: Store, new_ids: Sequence[str]) -> None:
        return None

    def update(self, store: Store, new_ids: Sequence[str], touched_stories: Sequence[str] = ()) -> list[str]:
        return []

    def end(self, failed: bool = False) -> None:
        return None
