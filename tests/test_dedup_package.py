"""The deduper as a package of small modules: the names other modules import stay importable from
`rasid.dedup`, and the word n-gram counts are the same with or without the token hash cache."""

from __future__ import annotations

import numpy as np

import rasid.dedup as dedup
from rasid.dedup.parse import _ngram_counts


def test_public_names_import_from_the_package() -> None:
    for name in (
        "BandIndex",
        "Deduper",
        "ParagraphMatch",
        "TextMemo",
        "_parse",
        "_unzip_state",
        "_zip_state",
        "char_shingles",
        "clauses",
        "day_number",
        "memo_map",
        "reworded_pairs",
    ):
        assert hasattr(dedup, name), name


def test_ngram_counts_same_without_the_token_cache() -> None:
    toks = ["وصل", "خادم", "الحرمين", "الشريفين", "إلى", "طنجة", "وصل", "خادم", "الحرمين"]
    cached = _ngram_counts(toks, 1 << 20, {})
    plain = _ngram_counts(toks, 1 << 20)  # NameError before the split
    assert np.array_equal(cached[0], plain[0]) and np.array_equal(cached[1], plain[1])
    assert cached[1].sum() == 3 * len(toks) - 3  # unigrams + bigrams + trigrams
