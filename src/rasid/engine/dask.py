"""The Dask runner: the per-document work on a Dask cluster, the story stages on the client.

`rasid run --engine dask [--workers N | --scheduler ADDRESS]`. The inputs are planned on the client
into *units*: a file or URL read whole by the reader, or a line-aligned byte range of a `.jsonl`
file (so one large archive spreads over the workers, and no worker holds more than one range of it
at once). Units are grouped into partitions of a `dask.bag`; each partition runs on a worker:
reading, cleaning, language, sentences (`TextPipeline.process`), then, for the articles it made,
their story vectors (the stories stage's embedder and recipe) and their facts (NER mentions and
date expressions of the understanding stage). The client takes the partitions back in input
order, a bounded window at a time, stores the articles and caches the vectors and facts in the
store under the kinds the stages read them by, and keeps them in memory for the stages (`Held`,
up to its bound), so the stages are handed them rather than reading them back.

Story assignment then runs on the client as in the local runner (`run_stages`): sequential, in
time order, under the store's lock. The cluster is closed before it, so its workers' models do not
hold memory while the stages run. Partitions come back in input order and articles are stored in
that order, so the stories are the local runner's (the article vectors are the same encoder's,
batched differently, which moves a float in its last bits at most).

By default a LocalCluster of `workers` processes (one thread each, dashboard off) bound to
127.0.0.1; `scheduler` connects to an existing cluster instead, whose workers must have rasid
installed.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..model import Article, IngestError, RawDoc
from ..pipeline import Store
from ..settings import Settings
from .held import Held
from .local import ErrorSink, LocalRunner, Progress, RunSummary, StoryStage

if TYPE_CHECKING:
    from ..ingest import Ingestor
    from ..stages import StoriesStage
    from ..understand.story import StoryAnalyzer

PLUGIN = "rasid-docs"  # the name of the worker plugin that holds each worker's pipeline


@dataclass(slots=True, frozen=True)
class Unit:
    """One piece of input: `source` read whole by the reader, or bytes [start, stop) of a `.jsonl`
    file (each range extended to the end of its last line, and starting after the first newline
    at or after `start - 1`)."""

    source: str
    start: int = 0
    stop: int | None = None
    size: int = 0  # bytes, for grouping units into partitions


@dataclass(slots=True)
class PartResult:
    """What one partition gives back: documents read, articles, errors, and the cached extras."""

    read: int = 0
    articles: list[Article] = field(default_factory=list)
    errors: list[IngestError] = field(default_factory=list)
    vectors_kind: str | None = None
    vectors: Any = None  # float32 matrix, one row per article
    facts_kind: str | None = None
    facts: dict[str, str] = field(default_factory=dict)  # article id -> ArticleFacts JSON


# -- planning (on the client) ---------------------------------------------------------------------


def plan_units(inputs: Sequence[str], block_bytes: int) -> Iterator[Unit | IngestError]:
    """The units of `inputs`, in the order the local reader reads them (`input_items`: directories
    are walked here, a listing only), with `.jsonl` files larger than `block_bytes` cut into ranges."""
    from ..ingest import input_items

    for source in inputs:
        for item in input_items(source):
            if isinstance(item, IngestError):
                yield item
            elif isinstance(item, Path):
                yield from from_file(item, block_bytes)
            else:
                yield Unit(item)


def from_file(path: Path, block_bytes: int) -> Iterator[Unit]:
    try:
        size = path.stat().st_size
    except OSError:
        size = 0
    if path.suffix.lower() != ".jsonl" or size <= block_bytes or _has_wide_bom(path):
        yield Unit(str(path), size=size)
        return
    for start in range(0, size, block_bytes):
        yield Unit(str(path), start, min(start + block_bytes, size), min(block_bytes, size - start))


def _has_wide_bom(path: Path) -> bool:
    """UTF-16/32 files are read whole: a byte range of them is not a run of lines."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(4)
    except OSError:
        return False
    return head[:2] in (b"\xff\xfe", b"\xfe\xff") or head in (b"\x00\x00\xfe\xff", b"\xff\xfe\x00\x00")


def partitions(units: Iterator[Unit], part_bytes: int, max_units: int = 256) -> Iterator[list[Unit]]:
    """Consecutive units grouped up to about `part_bytes` (and at most `max_units` files) each."""
    part: list[Unit] = []
    size = 0
    for unit in units:
        part.append(unit)
        size += unit.size
        if size >= part_bytes or len(part) >= max_units:
            yield part
            part, size = [], 0
    if part:
        yield part


# -- the work of one partition (on a worker) ------------------------------------------------------


def read_unit(unit: Unit, reader: Ingestor) -> Iterator[RawDoc | IngestError]:
    """The raw documents of one unit, through `reader` (an `Ingestor`): a whole source as `read`
    gives it, a byte range as `read_range` does (the same guards, outlets and error names)."""
    if unit.stop is None:
        return reader.read(unit.source)
    return reader.read_range(unit.source, unit.start, unit.stop)


class DocWork:
    """One worker's pipeline: the reader, the text half, and (optionally) the story vectors and the
    facts of the articles it makes. Built once per worker process by the plugin."""

    def __init__(self, settings: Settings, vectors: bool = True, facts: bool = True) -> None:
        from ..ingest import Ingestor
        from ..process import default_text_pipeline

        self.settings = settings
        self.reader = Ingestor(settings)
        self.text = default_text_pipeline()
        self.stories: StoriesStage | None = None
        self.analyzer: StoryAnalyzer | None = None
        if vectors:
            from ..embed import make_embedder
            from ..stages import StoriesStage

            self.stories = StoriesStage(settings, embedder=make_embedder(settings.embedder, threads=1))
        if facts:
            from ..understand.story import StoryAnalyzer

            self.analyzer = StoryAnalyzer(threads=1)

    def run(self, units: Sequence[Unit]) -> PartResult:
        out = PartResult()
        for unit in units:
            for item in read_unit(unit, self.reader):
                if isinstance(item, IngestError):
                    out.errors.append(item)
                    continue
                out.read += 1
                art = self.text.process(item)
                if isinstance(art, IngestError):
                    out.errors.append(art)
                else:
                    out.articles.append(art)
        if out.articles and self.stories is not None:
            from ..embed import embedding_texts, group_vectors

            out.vectors_kind = self.stories._kind()
            out.vectors = group_vectors([embedding_texts(a) for a in out.articles], self.stories._embedder())
        if out.articles and self.analyzer is not None and self.analyzer.facts_kind is not None:
            out.facts_kind = self.analyzer.facts_kind
            out.facts = {aid: f.to_json() for aid, f in self.analyzer.facts_of(out.articles).items()}
        return out


def _plugin_class() -> type:
    from distributed.diagnostics.plugin import WorkerPlugin

    class DocWorkPlugin(WorkerPlugin):
        """Builds the worker's `DocWork` as the worker starts (its models load once, there)."""

        name = PLUGIN

        def __init__(self, settings: Settings, vectors: bool, facts: bool) -> None:
            self.settings, self.vectors, self.facts = settings, vectors, facts
            self.work: DocWork | None = None

        def setup(self, worker: Any) -> None:
            try:
                from threadpoolctl import threadpool_limits

                threadpool_limits(limits=1)  # a worker is one core's worth of work
            except ImportError:  # pragma: no cover - scikit-learn brings it
                pass
            self.work = DocWork(self.settings, self.vectors, self.facts)

    return DocWorkPlugin


def run_partition(units: list[list[Unit]]) -> list[PartResult]:
    """The task of one bag partition (a list holding one group of units), on a worker."""
    from distributed import get_worker

    work: DocWork = get_worker().plugins[PLUGIN].work  # type: ignore[attr-defined]  # our DocWorkPlugin
    return [work.run(group) for group in units]


# -- the runner (on the client) -------------------------------------------------------------------


@dataclass(slots=True)
class DaskRunner:
    """Inputs -> units -> Dask partitions (text half, vectors, facts) -> store -> story stages.

    Built by `rasid.runner.build_runner` (the composition root); the stage half runs through a
    `LocalRunner` of its own, with no reader, built in `run` (the engine's own composition, the one
    other place a runner is constructed)."""

    store: Store
    settings: Settings
    stages: Sequence[StoryStage] = ()
    workers: int = 2
    scheduler: str | None = None
    vectors: bool = True  # the stories stage's article vectors on the workers
    facts: bool = True  # the understanding stage's per-article facts on the workers
    block_bytes: int = 4 << 20  # a .jsonl file is cut into ranges of this size
    part_bytes: int = 4 << 20  # input bytes per partition
    window: int = 0  # partitions in flight; 0 = twice the workers
    on_error: ErrorSink | None = None
    progress: Progress | None = None

    def _error(self, error: IngestError, summary: RunSummary) -> None:
        summary.errors.append(error)
        if self.on_error is not None:
            self.on_error(error)

    def _client(self) -> tuple[Any, Any]:
        from distributed import Client, LocalCluster

        if self.scheduler:
            return None, Client(self.scheduler, timeout="30s")
        cluster = LocalCluster(
            n_workers=max(1, self.workers),
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
            silence_logs=logging.ERROR,
        )
        return cluster, Client(cluster)

    def run(self, inputs: Sequence[str]) -> RunSummary:
        """Read, clean and store `inputs` on the cluster, then run the stages here as the local
        runner does (under the store's lock, over every stored article still in no story)."""
        summary = RunSummary()
        held = Held()
        local = LocalRunner(
            store=self.store,
            reader=None,
            text=None,
            stages=self.stages,
            on_error=self.on_error,
            progress=self.progress,
            held=held,
        )
        failed = True
        try:
            if inputs:
                self._text_half(inputs, summary, held)
            summary.stories = local.run_stages(summary)
            failed = False
        finally:
            local.end_stages(failed)
        return summary

    def _text_half(self, inputs: Sequence[str], summary: RunSummary, held: Held) -> None:
        import dask.bag as db

        units: list[Unit] = []
        for item in plan_units(inputs, self.block_bytes):
            if isinstance(item, IngestError):
                self._error(item, summary)
            else:
                units.append(item)
        groups = list(partitions(iter(units), self.part_bytes))
        if not groups:
            return
        if self.progress is not None:
            self.progress.stage("read", None)
        cluster, client = self._client()
        try:
            client.register_plugin(_plugin_class()(self.settings, self.vectors, self.facts))
            parts = (
                db.from_sequence(groups, npartitions=len(groups)).map_partitions(run_partition).to_delayed()
            )
            window = self.window or 2 * max(1, self.workers)
            it = iter(parts)
            pending = [client.compute(d) for d in itertools.islice(it, window)]
            while pending:
                future = pending.pop(0)
                results = future.result()
                nxt = next(it, None)
                if nxt is not None:
                    pending.append(client.compute(nxt))
                for result in results:
                    self._keep(result, summary, held)
        finally:
            client.close()
            if cluster is not None:
                cluster.close()

    def _keep(self, result: PartResult, summary: RunSummary, held: Held) -> None:
        for err in result.errors:
            self._error(err, summary)
        summary.read += result.read
        if self.progress is not None:
            self.progress.advance(result.read)
        if not result.articles:
            return
        added = self.store.add_articles(result.articles)
        held.keep(result.articles, added)
        summary.added.extend(added)
        summary.already_stored += len(result.articles) - len(added)
        fresh = set(added)
        rows = [i for i, a in enumerate(result.articles) if a.id in fresh]
        if rows and result.vectors_kind is not None and result.vectors is not None:
            ids = [result.articles[i].id for i in rows]
            self.store.put_vectors(result.vectors_kind, ids, result.vectors[rows])
            held.keep_vectors(result.vectors_kind, dict(zip(ids, result.vectors[rows], strict=True)))
        if fresh and result.facts_kind is not None:
            facts = {k: v for k, v in result.facts.items() if k in fresh}
            self.store.put_annotations(result.facts_kind, facts)
            held.keep_facts(result.facts_kind, facts)
