"""The stages that run after articles are stored (duplicates, stories, understanding).

`default_stages` is the one place that decides which run by default.
"""

from __future__ import annotations

from .engine.local import StoryStage
from .settings import Settings


def default_stages(settings: Settings) -> list[StoryStage]:
    return []
