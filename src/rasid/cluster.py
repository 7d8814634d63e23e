"""The story clusterer, kept under its old name: it lives in `rasid.stories` now (see that
package's docstring); every name importable from here before still is."""

from .stories import (
    BAG_CAP,
    FEATURES,
    LANG_FREE,
    LEX_CHARS,
    MEMBER_WINDOW,
    MERGE_FEATURES,
    MERGE_LANG_FREE,
    MODEL_FILES,
    PAIR_FEATURES,
    StoryClusterer,
    StoryModel,
    article_language,
    article_view,
    fit_cross_model,
    fit_story_model,
)

__all__ = [
    "BAG_CAP",
    "FEATURES",
    "LANG_FREE",
    "LEX_CHARS",
    "MEMBER_WINDOW",
    "MERGE_FEATURES",
    "MERGE_LANG_FREE",
    "MODEL_FILES",
    "PAIR_FEATURES",
    "StoryClusterer",
    "StoryModel",
    "article_language",
    "article_view",
    "fit_cross_model",
    "fit_story_model",
]
