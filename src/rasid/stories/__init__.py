"""Streaming story clustering, in small parts.

- `features`: what the clusterer reads from one article (term bags, numbers, language, lead n-grams);
- `scoring`: the story scorers (StoryModel), the names of their signals, their files and fitting helpers;
- `index`: the stories' records, the candidate index and the candidate search;
- `lexical`: IDF-weighted comparisons of term bags and n-grams;
- `policy`: the join threshold, the late-story rule, the core-linkage check, the merge decision;
- `lifecycle`: adding an article, merging two stories, sweeping quiet stories out of the index;
- `state`: the saved state (`to_bytes` / `from_bytes`);
- `clusterer`: StoryClusterer, which ties them together (see its module docstring).

The fitting procedure is not here: it is `rasid_training.stories`, which the product never imports.
"""

from .clusterer import StoryClusterer
from .features import LEX_CHARS, article_language, article_view
from .index import BAG_CAP, MEMBER_WINDOW
from .scoring import (
    FEATURES,
    LANG_FREE,
    MERGE_FEATURES,
    MERGE_LANG_FREE,
    MODEL_FILES,
    PAIR_FEATURES,
    StoryModel,
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
