"""Build `rasid/data/rules_lexicon.json.gz`: the words that are common words, not names, in news.

    .venv/bin/python bench/entities_lexicon.py [--ner-articles 1500] [--min-count 30] [--write]

The story-level rules (`rasid.understand.rules`) need to know whether a word NER tagged is a
word of the language (a verb, "للطيران", "البندقية" the rifle) or a name. That is a corpus fact,
so it is measured, not listed by hand:

- how often the word (matching form, clitics as written) occurs in SaudiNewsNet (all 31k articles);
- how often it is part of a name: in ANERcorp's gold tags where the word occurs there at least
  3 times, else in the packaged NER model's output over a sample of SaudiNewsNet articles (at
  least 5 occurrences), else whether ANERgazet lists it.

A word is *common* when it occurs at least `--min-count` times and is part of a name in under
15% of its occurrences; a *name part* when it is part of a name more often than that but a whole
one-word name in under 5% of its occurrences. Without --write the figures are printed only.
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import sys
import time
from collections import Counter
from pathlib import Path

from rasid.text.normalize import match_form
from rasid.understand.ner import NerModel
from rasid.understand.ner_tokenize import tokenize
from rasid.understand.rules import LEXICON_PATH as OUT  # src/rasid/data/rules_lexicon.json.gz
from rasid_training.ner_clusters import saudinewsnet_texts

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"  # the data folder beside the checkout

NAME_RATE = 0.15
ALONE_RATE = 0.05


def _arabic_word(w: str) -> bool:
    return len(w) >= 2 and all("\u0621" <= c <= "\u064a" for c in w)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--ner-articles", type=int, default=1500)
    ap.add_argument("--min-count", type=int, default=30)
    ap.add_argument("--write", action="store_true")
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    zips = sorted((DATA / "saudinewsnet").glob("*.zip"))
    texts = list(saudinewsnet_texts(zips))
    counts: Counter[str] = Counter()
    for text in texts:
        counts.update(w for w in (match_form(t.text) for t in tokenize(text)) if _arabic_word(w))
    print(
        f"SaudiNewsNet: {len(texts)} articles, {len(counts)} distinct words ({time.perf_counter() - t0:.0f}s)"
    )

    ane_n: Counter[str] = Counter()
    ane_name: Counter[str] = Counter()
    ane_alone: Counter[str] = Counter()
    ane_tags: list[tuple[str, str]] = []
    with gzip.open(DATA / "anercorp" / "ANERCorp.txt.gz", "rt", encoding="utf-8") as fh:
        for line in fh:
            parts = line.rsplit(" ", 1)
            if len(parts) != 2:
                continue
            w = match_form(parts[0])
            tag = parts[1].strip()
            ane_n[w] += 1
            ane_name[w] += tag != "O"
            ane_tags.append((w, tag))
    # a word that is a whole one-word name: B- not followed by I-
    for k, (w, tag) in enumerate(ane_tags):
        nxt = ane_tags[k + 1][1] if k + 1 < len(ane_tags) else "O"
        ane_alone[w] += tag.startswith("B-") and not nxt.startswith("I-")

    model = NerModel.load()
    ner_n: Counter[str] = Counter()
    ner_name: Counter[str] = Counter()
    ner_alone: Counter[str] = Counter()
    sample = random.Random(7).sample(texts, min(args.ner_articles, len(texts)))
    t1 = time.perf_counter()
    for text in sample:
        inside = [False] * (len(text) + 1)
        spans = model.mentions(text)
        for s, e, _ in spans:
            for k in range(s, e):
                inside[k] = True
        alone = {(s, e) for s, e, _ in spans}
        for tok in tokenize(text):
            w = match_form(tok.text)
            if _arabic_word(w):
                ner_n[w] += 1
                ner_name[w] += inside[tok.start]
                ner_alone[w] += (tok.start, tok.end) in alone
    print(f"NER over {len(sample)} articles: {time.perf_counter() - t1:.0f}s")

    common: list[str] = []
    part_only: list[str] = []
    by_source: Counter[str] = Counter()
    for w, c in counts.items():
        if c < args.min_count:
            continue
        if ane_n[w] >= 3:
            rate, alone, src = ane_name[w] / ane_n[w], ane_alone[w] / ane_n[w], "anercorp"
        elif ner_n[w] >= 5:
            rate, alone, src = ner_name[w] / ner_n[w], ner_alone[w] / ner_n[w], "ner"
        else:
            rate = alone = 1.0 if w in model.gazetteer_words else 0.0
            src = "gazetteer"
        if rate < NAME_RATE:
            common.append(w)
            by_source[src] += 1
        elif alone < ALONE_RATE:
            part_only.append(w)
    common.sort()
    part_only.sort()
    print(f"part-of-a-name-only words: {len(part_only)}")
    print(f"common words: {len(common)} (decided by {dict(by_source)})")
    for w in (
        "روسيا",
        "للطيران",
        "البندقيه",
        "الاقصي",
        "رايد",
        "وعاين",
        "عاين",
        "بوتين",
        "الرياض",
        "جده",
        "امور",
    ):
        print(
            f"  {w}: count {counts[w]}, anercorp {ane_name[w]}/{ane_n[w]}, ner {ner_name[w]}/{ner_n[w]}, "
            f"alone {ane_alone[w]}/{ner_alone[w]}, common {w in set(common)}, part only {w in set(part_only)}"
        )
    if args.write:
        data = {
            "about": (
                "Words of Arabic news (matching forms), generated by bench/entities_lexicon.py --write; do not "
                f"edit. common: seen at least {args.min_count} times in SaudiNewsNet and part of a name in under "
                f"{NAME_RATE:.0%} of their occurrences (ANERcorp gold tags, else the NER model on a SaudiNewsNet "
                f"sample). name_part: part of a name in at least {NAME_RATE:.0%} of their occurrences but a whole "
                f"one-word name in under {ALONE_RATE:.0%}."
            ),
            "min_count": args.min_count,
            "name_rate": NAME_RATE,
            "alone_rate": ALONE_RATE,
            "common": common,
            "name_part": part_only,
        }
        raw = json.dumps(data, ensure_ascii=False, indent=0).encode("utf-8")
        OUT.write_bytes(gzip.compress(raw, compresslevel=9, mtime=0))  # mtime 0: same words, same bytes
        print(f"wrote {OUT} ({OUT.stat().st_size} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
