"""The lexicon of place names the story clusterer reads in headlines (`rasid.stories.places`).

Mined from unlabelled days of news: the names (one to three words) the shipped NER tags as a
location in the headlines and first 300 characters of the articles, twice or more, together with
ANERcorp's location list (in the NER resources); a name is kept when the texts that hold it are few
(under 5) or when it is tagged as a location three times or more and in a tenth or more of them
(a common word that is sometimes a name, such as a word for "city", stays out).

The shipped `rasid/data/story_places.txt` was mined from SaudiNewsNet 2015-07-21 .. 07-27, the days
before any labelled day:

    .venv/bin/python -m rasid_training.places --out src/rasid/data/story_places.txt \\
        ../shared/data/saudinewsnet/2015-07-2{1,2,3,4,5,6,7}.zip
"""

from __future__ import annotations

import argparse
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from rasid.model import Article
from rasid.stories.places import MAX_WORDS, place_key
from rasid.text.normalize import match_form, tokens

LEAD_CHARS = 300  # characters of the body read after the headline
MIN_TAGGED = 2  # a name the tagger found fewer times is not a candidate
KEEP_TAGGED = 3  # a candidate held by 5 texts or more is kept when tagged this often...
KEEP_SHARE = 0.1  # ... and in this share of the texts that hold it
FEW_HOLDERS = 5


def mine_places(articles: Sequence[Article], batch: int = 256) -> set[str]:
    """The lexicon keys mined from `articles` (see the module text)."""
    from rasid.understand.ner import NerModel, default_model_path, resources_path
    from rasid.understand.ner.features import Resources

    texts = [a.title + "\n" + (a.raw_text or "")[:LEAD_CHARS] for a in articles]
    ner = NerModel.load()
    tagged: Counter[str] = Counter()
    for i in range(0, len(texts), batch):
        chunk = texts[i : i + batch]
        for t, found in zip(chunk, ner.mentions_many(chunk), strict=True):
            tagged.update(
                {
                    place_key(w)
                    for s, e, typ in found
                    if typ == "LOC" and 0 < len(w := match_form(t[s:e]).split()) <= MAX_WORDS
                }
            )
    listed = Resources.load(resources_path(default_model_path())).gazetteer["LOC"]
    candidates = {k for k, v in tagged.items() if v >= MIN_TAGGED} | {
        place_key(e.split()) for e in listed if len(e) >= 3 and not e.startswith("*")
    }
    held: Counter[str] = Counter()
    for t in texts:
        words = tokens(t)
        held.update(
            {
                k
                for n in range(1, MAX_WORDS + 1)
                for i in range(len(words) - n + 1)
                if (k := place_key(words[i : i + n])) in candidates
            }
        )
    return {
        k
        for k in candidates
        if len(k.replace(" ", "")) >= 3
        and (held[k] < FEW_HOLDERS or (tagged[k] >= KEEP_TAGGED and tagged[k] >= KEEP_SHARE * held[k]))
    }


def main() -> None:
    from rasid.eval.stories import load_saudinewsnet

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("zips", nargs="+", type=Path, help="SaudiNewsNet day archives")
    args = ap.parse_args()
    keys = mine_places(load_saudinewsnet(args.zips))
    args.out.write_text("".join(k + "\n" for k in sorted(keys)), encoding="utf-8")
    print(f"{args.out}: {len(keys)} place names")


if __name__ == "__main__":
    main()
