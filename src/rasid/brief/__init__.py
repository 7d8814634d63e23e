"""Cross-source synthesis: what the outlets of one story say in common, and what only one says.

A story is a handful of articles that retell the same events: wire copies repeat sentences almost
verbatim, other outlets reword them, some translate them. The brief groups the sentences that state
the same thing across articles, then picks a few groups as statements. Two signals link sentences:
lexical overlap of light stems on the matching form (it catches wire copies with certainty, whatever
the embedder thinks) and sentence-embedding cosine (it catches rewordings and other languages). The
quoted text of a statement is always a sentence of the first article that reports it, verbatim:
nothing here writes text.

The package: `units` (sentences as candidate statements), `pairs` (when two sentences state the
same fact), `groups` (statement groups, the coverage matrix) and `builder` (`BriefBuilder`).
"""

from __future__ import annotations

from .builder import BriefBuilder
from .groups import StatementGroup, _second_groups, coverage_matrix
from .pairs import (
    DEFAULT_PAIR_MODEL,
    PAIR_FEATURES,
    LinkThresholds,
    PairModel,
    lexical_overlap,
    link_scores,
    numbers_in,
    pair_features,
    unit_days,
    unit_entities,
)
from .units import (
    Embed,
    RegexSentenceSplitter,
    Unit,
    UseEmbedder,
    article_order,
    content_stems,
    sentence_units,
)

__all__ = [
    "DEFAULT_PAIR_MODEL",
    "PAIR_FEATURES",
    "BriefBuilder",
    "Embed",
    "LinkThresholds",
    "PairModel",
    "RegexSentenceSplitter",
    "StatementGroup",
    "Unit",
    "UseEmbedder",
    "_second_groups",
    "article_order",
    "content_stems",
    "coverage_matrix",
    "lexical_overlap",
    "link_scores",
    "numbers_in",
    "pair_features",
    "sentence_units",
    "unit_days",
    "unit_entities",
]
