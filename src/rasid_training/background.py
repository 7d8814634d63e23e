"""The background the story clusterer's burst signals compare the news of the moment against
(`rasid.stories.bursts`): each term bucket's mean daily rate and the share of days it appears on
in two articles or more, counted over whole days of news.

The shipped `rasid/data/story_background.npz` was built from SaudiNewsNet 2015-07-21 .. 07-27, the
days before any labelled day:

    .venv/bin/python -m rasid_training.background --out src/rasid/data/story_background.npz \\
        ../shared/data/saudinewsnet/2015-07-2{1,2,3,4,5,6,7}.zip
"""

from __future__ import annotations

import argparse
import math
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from rasid.dedup import day_number
from rasid.model import Article
from rasid.stories.bursts import ROUTINE_MIN, Background
from rasid.stories.features import _BUCKETS, article_view, counted_terms


def article_terms(article: Article, term_cache: dict[str, int]) -> np.ndarray:
    """The distinct term buckets the clusterer counts for `article` (as `_prepare` does)."""
    return counted_terms(article_view(article, 0.0, term_cache=term_cache))


def build_background(articles: Iterable[Article]) -> Background:
    """The background of `articles` grouped by publication day (undated ones are left out)."""
    cache: dict[str, int] = {}
    days: dict[int, list[np.ndarray]] = defaultdict(list)
    for a in articles:
        d = day_number(a.published)
        if d is not None:
            days[math.floor(d)].append(article_terms(a, cache))
    if not days:
        raise ValueError("no dated articles to count a background from")
    out = Background.empty()
    rate = np.zeros(_BUCKETS, np.float64)
    present = np.zeros(_BUCKETS, np.float64)
    for keys in days.values():
        df = np.bincount(np.concatenate(keys), minlength=_BUCKETS).astype(np.float64)
        rate += df / len(keys)
        present += df >= 2
    out.rate[:] = rate / len(days)
    out.routine[:] = present / len(days)
    return out


def main() -> None:
    from rasid.eval.stories import load_saudinewsnet

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("zips", nargs="+", type=Path, help="SaudiNewsNet day archives")
    args = ap.parse_args()
    bg = build_background(a for z in args.zips for a in load_saudinewsnet([z]))
    args.out.write_bytes(bg.to_bytes())
    print(
        f"{args.out}: {int((bg.rate > 0).sum())} term buckets, {int((bg.routine >= ROUTINE_MIN).sum())} routine"
    )


if __name__ == "__main__":
    main()
