"""The seed story, all five and every four of its reports, with and without dates, in a fresh
clusterer and after a real day of news (2015-08-01) has set its word frequencies: how many runs
leave the reports in more than one story.

    .venv/bin/python bench/stories_seeds.py [MODELS_DIR]     # default: the shipped scorers
"""

from __future__ import annotations

import argparse
import itertools
import json
import tempfile
from pathlib import Path

from rasid.cluster import StoryClusterer, StoryModel
from rasid.dedup import Deduper
from rasid.embed import USEEmbedder, article_vectors
from rasid.eval.stories import load_saudinewsnet, stream_order
from rasid.evaluate import write_seed_feed
from rasid.ingest import read_inputs
from rasid.model import Article
from rasid.process import default_text_pipeline
from rasid.settings import load_settings


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument(
        "models", nargs="?", default=None, help="a folder of story scorers (default: the shipped ones)"
    )
    ap.add_argument("--shared", type=Path, default=Path(__file__).resolve().parents[2] / "shared")
    args = ap.parse_args()
    seeds = args.shared / "seeds"
    models = StoryModel.load_folder(args.models) if args.models else {}
    gold = json.loads((seeds / "gold.json").read_text(encoding="utf-8"))
    text = default_text_pipeline()

    def read(inputs: list[str]) -> list[Article]:
        docs = (text.process(d) for d in read_inputs(inputs, load_settings()))
        return stream_order([a for a in docs if isinstance(a, Article)])

    with tempfile.TemporaryDirectory() as tmp:
        dated = read([str(write_seed_feed(seeds, gold, Path(tmp) / "seeds.jsonl"))])
    undated = read(sorted(str(p) for p in seeds.glob("*.txt")))
    embedder = USEEmbedder(threads=1)
    day = load_saudinewsnet([args.shared / "data" / "saudinewsnet" / "2015-08-01.zip"])
    split = runs = 0
    for name, arts in (("dated", dated), ("undated", undated)):
        vecs = dict(zip([a.id for a in arts], article_vectors(arts, embedder), strict=True))
        for k in (5, 4):
            for sub in itertools.combinations(arts, k):
                for primed in (False, True):
                    cl = StoryClusterer(**models)
                    if primed:
                        cl.prime(day)
                    dd = Deduper()
                    for a in sub:
                        cl.assign(a, vecs[a.id], dd.add(a))
                    n = len({cl.story_of(a.id) for a in sub})
                    runs += 1
                    if n > 1:
                        split += 1
                        ids = " ".join(a.id.split("_")[0] for a in sub)
                        print(f"{name} [{ids}] {'after 08-01' if primed else 'fresh'}: {n} stories")
    print(f"runs leaving the seeds in more than one story: {split} of {runs}")


if __name__ == "__main__":
    main()
