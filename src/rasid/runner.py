"""The one place the default pipeline is wired: `rasid run`, the Python API and the seed checks
all build their runner here, so they read, clean, store and process alike."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import TYPE_CHECKING

from .settings import Settings

if TYPE_CHECKING:
    from .engine.local import ErrorSink, LocalRunner, Progress, Reader, StoryStage
    from .pipeline import Store
    from .process import TextPipeline


def build_runner(store: Store, settings: Settings, reader: Reader | None, *, on_error: ErrorSink | None = None,
                 progress: Progress | None = None, text: TextPipeline | None = None,
                 stages: Sequence[StoryStage] | None = None, read_total: int | None = None) -> LocalRunner:
    """The local runner over `store` with the shipped text pipeline and story stages.

    `text` and `stages` may be passed to reuse ones built before (their models stay loaded
    between runs); by default they are built from `settings`. With no `reader` the runner reads
    nothing and only completes what stored articles lack (`rasid reprocess`).
    """
    from .engine.local import LocalRunner
    from .process import default_text_pipeline
    from .stages import default_stages

    return LocalRunner(
        store=store,
        reader=reader,  # type: ignore[arg-type]
        text=text if text is not None else default_text_pipeline() if reader is not None else None,  # type: ignore[arg-type]
        stages=stages if stages is not None else default_stages(settings),
        workers=settings.workers or (os.cpu_count() or 1),
        on_error=on_error,
        progress=progress,
        read_total=read_total,
    )
