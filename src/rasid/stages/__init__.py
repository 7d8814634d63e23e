"""The stages that run after articles are stored: duplicates and stories, then understanding.

Each stage adapts an algorithm package (`rasid.dedup` and `rasid.stories`; `rasid.understand`) to
the store: it reads what it needs, runs the algorithm and writes what it owns. `default_stages` is
the one place that decides which run by default; `rasid.runner.build_runner` calls it. The stories
stage keeps its streaming state in the store, so a later run continues where the last one stopped:
story ids stay stable and earlier stories are never renumbered.
"""

from __future__ import annotations

import os

from ..pipeline import Stage
from ..settings import Settings
from .aliases import find_story, record_merges, story_alias
from .stories import StoriesStage
from .understand import UnderstandStage

__all__ = ["StoriesStage", "UnderstandStage", "default_stages", "find_story", "record_merges", "story_alias"]


def default_stages(settings: Settings, understand: bool = True) -> list[Stage]:
    """The stories stage, then (unless `understand` is False) the understanding stage."""
    stages: list[Stage] = [StoriesStage(settings)]
    if understand:
        stages.append(UnderstandStage(workers=settings.workers or os.cpu_count() or 1))
    return stages
