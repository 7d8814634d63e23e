"""The Python API: open a store, add records or files, run, read stories and articles.

    import rasid

    with rasid.open("news.db") as news:
        news.add("feeds/today.jsonl", {"url": "https://example.org/a", "title": "...", "text": "..."})
        summary = news.run()              # what `rasid run` does, on everything added
        for story in news.stories():      # rasid.Story records
            print(story.id, story.title, len(story.articles))

Records are the input records of CONTRACT.md (dicts); paths are what `rasid run` takes (a
directory, a file, an http(s) URL). Results are the typed records of `rasid.model`: `Story`,
`Article`, and the run's `RunSummary`. A bad input never raises: it is in `summary.errors`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator, Mapping, Sequence
from os import PathLike
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from .model import Article, IngestError, RawDoc, Story
from .settings import Settings, load_settings

if TYPE_CHECKING:
    from .engine.local import RunSummary
    from .ingest import Ingestor
    from .pipeline import Stage
    from .process import TextPipeline
    from .store import SQLiteStore
    from .store.postgres import PostgresStore

Input = str | PathLike[str] | Mapping[str, Any] | Iterable[Mapping[str, Any]]


def open(
    db: str | PathLike[str] = "rasid.db",
    *,
    config: str | PathLike[str] | None = None,  # noqa: A001
    **settings: Any,
) -> Rasid:
    """Open (creating if needed) the store `db`, a SQLite path, with settings as `rasid run` reads
    them (defaults, `config` or ./rasid.toml, RASID_* environment) and `settings` given here
    (names of `rasid.settings.Settings`, e.g. `workers=1`, `allow_private=True`).

    Raises ValueError for an unknown setting, and the store's StoreError for a store it cannot open.
    """
    known = {f.name for f in dataclasses.fields(Settings)}
    unknown = sorted(set(settings) - known)
    if unknown:
        raise ValueError(f"unknown settings {unknown}; known: {sorted(known)}")
    settings.setdefault("progress", False)
    return Rasid(load_settings(Path(config) if config is not None else None, **{**settings, "db": str(db)}))


class Rasid:
    """One open store and the pipeline that feeds it. Use as a context manager, or `close()`."""

    def __init__(self, settings: Settings) -> None:
        from .store import open_store

        self.settings = settings
        self._store: SQLiteStore | PostgresStore = open_store(settings.db)
        self._pending: list[str | list[Mapping[str, Any]]] = []
        self._reader: Ingestor | None = None
        self._text: TextPipeline | None = None
        self._stages: list[Stage] | None = None

    def __enter__(self) -> Rasid:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        if self._reader is not None:
            self._reader.close()
            self._reader = None
        self._store.close()

    # -- feeding ----------------------------------------------------------------------------------

    def add(self, *inputs: Input) -> Rasid:
        """Queue inputs for the next `run()`: paths or URLs (as `rasid run` takes), a record (a
        dict), or an iterable of records. Returns self, so `news.add(...).run()` reads well."""
        for item in inputs:
            if isinstance(item, str | PathLike):
                self._pending.append(
                    str(Path(item)) if not str(item).startswith(("http://", "https://")) else str(item)
                )
            elif isinstance(item, Mapping):
                self._pending.append([item])
            elif isinstance(item, Iterable):
                self._pending.append(list(item))
            else:
                raise TypeError(
                    f"cannot add a {type(item).__name__}: give a path, a URL, a record or records"
                )
        return self

    def run(self, *inputs: Input) -> RunSummary:
        """Read, clean, store and process everything added (and `inputs`), as `rasid run` does:
        duplicates, stories and understanding for the new articles. Returns the run's summary
        (`read`, `added` ids, `already_stored`, `errors`, `stories` touched)."""
        from .ingest import Ingestor
        from .process import default_text_pipeline
        from .runner import build_runner
        from .stages import default_stages

        self.add(*inputs)
        pending, self._pending = self._pending, []
        if self._reader is None:
            self._reader = Ingestor(self.settings)
        reader = _Inputs(self._reader, pending)
        if self._text is None or self._stages is None:  # built once: models stay loaded for the next run
            self._text, self._stages = default_text_pipeline(), default_stages(self.settings)
        # local: records added in memory cannot travel to Dask workers
        runner = build_runner(
            self._store, self.settings, reader, text=self._text, stages=self._stages, engine="local"
        )
        return runner.run(reader.names)

    # -- reading ----------------------------------------------------------------------------------

    def stories(self) -> Iterator[Story]:
        """Every story, oldest first."""
        return self._store.iter_stories()

    def story(self, story_id: str) -> Story | None:
        """One story; for an id retired by a merge, the story that absorbed it (whose id differs)."""
        from .stages import find_story

        return find_story(self._store, story_id)

    def articles(self, story: str | None = None) -> Iterator[Article]:
        """Every article in publication order, or those of one story."""
        if story is None:
            return self._store.iter_articles()
        found = self.story(story)
        return iter(self._store.get_articles(found.articles) if found is not None else [])

    def article(self, article_id: str) -> Article | None:
        return self._store.get_article(article_id)

    def search(self, query: str, limit: int = 20) -> list[dict[str, object]]:
        """Articles matching `query`, best first: {"id", "title", "snippet", "score"} each."""
        return self._store.search(query, limit=limit)

    def export(self, what: str = "articles") -> Iterator[dict[str, Any]]:
        """The export records of CONTRACT.md (`what`: articles or stories), as dicts."""
        from .export import article_record, story_records

        if what == "articles":
            return map(article_record, self._store.iter_articles())
        if what == "stories":
            return story_records(self._store.iter_stories(), self._store.get_articles)
        raise ValueError(f"export what {what!r}? (articles or stories)")


class _Inputs:
    """The reader of one run: paths and URLs through the Ingestor, record batches from memory."""

    def __init__(self, ingestor: Ingestor, pending: Sequence[str | list[Mapping[str, Any]]]) -> None:
        self.ingestor = ingestor
        self.names: list[str] = []
        self.batches: dict[str, list[Mapping[str, Any]]] = {}
        for item in pending:
            if isinstance(item, str):
                self.names.append(item)
            else:
                name = f"<records {len(self.batches) + 1}>"
                self.batches[name] = item
                self.names.append(name)

    def read(self, source: str) -> Iterator[RawDoc | IngestError]:
        batch = self.batches.get(source)
        if batch is not None:
            return self.ingestor.read_records(batch, source)
        return self.ingestor.read(source)
