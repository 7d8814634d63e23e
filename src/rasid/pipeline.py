"""The interfaces between the parts of the pipeline: readers, the text half, the store, and the
stages that run after articles are stored.

Each is a small Protocol with its default implementation elsewhere (docs/ARCHITECTURE.md); the
store's, one per concern with `Store` all of them together, are in `rasid.store.protocols`.
`rasid.runner.build_runner` is the one place that picks the implementations and wires them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from .model import Article, IngestError, RawDoc, Removed, Story
from .store.protocols import ArticleReads, Store

if TYPE_CHECKING:
    import numpy as np

__all__ = [
    "BaseStage",
    "Batch",
    "Cleaner",
    "LanguageIdentifier",
    "Reader",
    "SentenceSplitter",
    "Stage",
    "Store",
    "Touched",
]


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


@dataclass(slots=True, frozen=True)
class Batch:
    """What the runner hands a stage: the new articles, what was computed with them, and the
    stories the stages before touched.

    `ids` are the articles the stage runs over (the stories stage: this chunk of its feed; the
    stages after it: the run's feed). `held` are those of them the runner still has in memory from
    the text half; the rest (left in no story by a stopped run, stored by another process, or past
    the runner's memory bound) are read from the store by `articles`. A held article is as the
    text half made it: its `story` and `duplicate_of` are the store's. `vectors` and `facts` are
    what the Dask workers computed with the articles (kind -> article id -> value), also cached
    in the store. `stories` are the stories to process (the stages after the first: every pending
    one); `headers` the headers the stories stage wrote for some of them this run, by id, each
    with its members (`Story.articles`) as written then. `feed_left` is, for the stories stage in
    a run over every article in no story (`rasid run`, a watch round; not the server's rounds over
    their own posts), how many of the run's articles are still to place after this chunk: 0 on the
    run's last chunk, when a stage that journals its state can save it whole for the next process.
    """

    ids: tuple[str, ...] = ()
    held: Mapping[str, Article] = field(default_factory=dict)
    vectors: Mapping[str, Mapping[str, np.ndarray]] = field(default_factory=dict)
    facts: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    stories: tuple[str, ...] = ()
    headers: Mapping[str, Story] = field(default_factory=dict)
    feed_left: int | None = None

    def articles(self, store: ArticleReads, ids: Sequence[str] | None = None) -> list[Article]:
        """The articles of `ids` (default: the batch's), in that order, each once, unknown ids left
        out (as `get_articles`): those held from memory, the rest read from `store` at once."""
        wanted = list(dict.fromkeys(self.ids if ids is None else ids))
        missing = [i for i in wanted if i not in self.held]
        found = {a.id: a for a in store.get_articles(missing)} if missing else {}
        found.update((i, self.held[i]) for i in wanted if i in self.held)
        return [found[i] for i in wanted if i in found]


@dataclass(slots=True)
class Touched:
    """What a stage did: the ids of the stories it touched, in order, and the headers of those it
    wrote them for (the stories stage), by id."""

    ids: list[str] = field(default_factory=list)
    headers: dict[str, Story] = field(default_factory=dict)


class Stage(Protocol):
    """Runs after new articles are stored: duplicates and stories, then understanding.

    Every hook is declared here and the runner calls each on every stage, in this order:
    `report_progress` once per run; `prepare(added)` after each stored batch of the text half;
    `begin(store, batch)` on every stage before the first `update`; `update` stage by stage;
    `end(failed)` once all ran, or one failed (also after `prepare` alone). Subclass `BaseStage`
    to inherit no-op hooks and write only what the stage needs.

    The first stage places articles in stories (`Store.set_assignments`) and runs as one store
    transaction (`Store.atomic()`) under the stories lock: a run killed mid-stage leaves neither
    assignments nor saved state, and the next run feeds the same articles again. The stages after
    it run under the analysis lock over the stories left pending (`engine/local.py`); those are
    kept in the store until every later stage has run over them, so a run killed during
    understanding leaves them to the next run too. The runner feeds the first stage every stored
    article still in no story (this run's, and any a stopped run left behind).
    """

    def report_progress(self, advance: Callable[[int], None]) -> bool:
        """Offered the runner's progress counter: return True if the stage will call `advance(n)`
        as it finishes items itself (else the runner counts for it)."""
        ...

    def prepare(self, added: int) -> None:
        """The text half has stored `added` articles so far this run (e.g. start worker processes
        that load their models while documents are still being cleaned)."""
        ...

    def begin(self, store: Store, batch: Batch) -> None:
        """The stages are about to run over `batch.ids`, the run's whole feed (e.g. hand the new
        articles to workers while earlier stages run)."""
        ...

    def update(self, store: Store, batch: Batch) -> Touched:
        """Process `batch`: the stories stage places `batch.ids`, a stage after it processes
        `batch.stories`. Returns the stories touched (and the headers written)."""
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

    def begin(self, store: Store, batch: Batch) -> None:
        return None

    def update(self, store: Store, batch: Batch) -> Touched:
        return Touched()

    def end(self, failed: bool = False) -> None:
        return None
