"""The composition root: the one place the pipeline is wired. `rasid run`, `rasid reprocess`,
`rasid watch`, the server's ingest worker, the Python API, the evaluations, the tests and the
benches all build their runner here, so they read, clean, store and process alike."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol

from .settings import Settings

if TYPE_CHECKING:
    from .engine.held import Held
    from .engine.local import ErrorSink, Progress, RunSummary
    from .pipeline import Reader, Stage, Store
    from .process import TextPipeline


class Runner(Protocol):
    """Reads `inputs` into the store and runs the stages over what is new; `run([])` only
    completes what stored articles lack."""

    def run(self, inputs: Sequence[str]) -> RunSummary: ...


def build_runner(
    store: Store,
    settings: Settings,
    reader: Reader | None,
    *,
    on_error: ErrorSink | None = None,
    progress: Progress | None = None,
    text: TextPipeline | None = None,
    stages: Sequence[Stage] | None = None,
    read_total: int | None = None,
    workers: int | None = None,
    engine: str | None = None,
    wait_for_analysis: bool = True,
    only: Sequence[str] | None = None,
    held: Held | None = None,
    serial_first: int | None = None,
    stories_chunk: int | None = None,
    vectors: bool = True,
    facts: bool = True,
    block_bytes: int | None = None,
    part_bytes: int | None = None,
) -> Runner:
    """The local runner over `store` with the shipped text pipeline and stages (the Dask runner
    when `settings.engine` is "dask" and there is something to read).

    `text` and `stages` may be passed to reuse ones built before (their models stay loaded, and the
    stories stage's state stays in memory, between runs); by default they are built from
    `settings` (`rasid.stages.default_stages`). With no `reader` the runner reads nothing and only
    completes what stored articles lack (`rasid reprocess`, the server's stage rounds). `workers`
    overrides `settings.workers` (default: one per core); `engine` overrides `settings.engine`
    ("local" for a reader of documents already in memory, which Dask workers cannot read).
    `wait_for_analysis` False: when another writer is analysing, leave this run's stories to it
    (`LocalRunner.run_stages`; the server's ingest worker). `only`: the articles the stories stage
    may place (default: every stored article in no story). `held`: the articles kept in memory for
    the stages, filled as the text half stores them; a caller that stores with one runner and runs
    the stages with another (the server's ingest worker) passes the same one to both (default: the
    runner's own).

    Engine tuning, each None for the engine's own default: `serial_first` (local: documents cleaned
    in this process before worker processes start) and `stories_chunk` (local: articles the stories
    stage places per transaction); for the Dask runner `vectors` / `facts` (compute the article
    vectors / facts on the workers), `block_bytes` (the range a `.jsonl` file is cut into) and
    `part_bytes` (input bytes per partition). Options of the other engine are ignored.
    """
    from .engine.held import Held
    from .engine.local import LocalRunner
    from .process import default_text_pipeline
    from .stages import default_stages

    n = workers or settings.workers or (os.cpu_count() or 1)
    if (engine or settings.engine) == "dask" and reader is not None:
        from .engine.dask import DaskRunner

        # the per-document work on a Dask cluster (each worker builds its own reader and pipeline)
        return DaskRunner(
            store=store,
            settings=settings,
            stages=stages if stages is not None else default_stages(settings),
            workers=n,
            scheduler=settings.scheduler or None,
            on_error=on_error,
            progress=progress,
            vectors=vectors,
            facts=facts,
            **_given(block_bytes=block_bytes, part_bytes=part_bytes),
        )
    return LocalRunner(
        store=store,
        reader=reader,
        text=text if text is not None else default_text_pipeline() if reader is not None else None,
        stages=stages if stages is not None else default_stages(settings),
        workers=n,
        on_error=on_error,
        progress=progress,
        read_total=read_total,
        wait_for_analysis=wait_for_analysis,
        only=only,
        held=held if held is not None else Held(),
        **_given(serial_first=serial_first, stories_chunk=stories_chunk),
    )


def _given(**options: int | None) -> dict[str, Any]:
    """The options a caller set (the others left to the engine's defaults)."""
    return {name: value for name, value in options.items() if value is not None}
