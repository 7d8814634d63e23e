"""The interfaces between the parts of the pipeline: readers, the text half, the store, and the
stages that run after articles are stored.

Each is a small Protocol with its default implementation elsewhere (docs/ARCHITECTURE.md); the
store's, one per concern with `Store` all of them together, are in `rasid.store.protocols`.
`rasid.runner.build_runner` is the one place that picks the implementations and wires them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Protocol

from .model import IngestError, RawDoc, Removed
from .store.protocols import Store

__all__ = ["BaseStage", "Cleaner", "LanguageIdentifier", "Reader", "SentenceSplitter", "Stage", "Store"]


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


class Stage(Protocol):
    """Runs after new articles are stored: duplicates and stories, then understanding.

    Every hook is declared here and the runner calls each on every stage, in this order:
    `report_progress` once per run; `prepare(added)` after each stored batch of the text half;
    `begin(store, new_ids)` on every stage before the first `update`; `update` stage by stage;
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
