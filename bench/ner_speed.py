"""Tagging speed of the packaged NER model on SaudiNewsNet articles (mentions(), whole pipeline:
tokenise, sentence-split, featurise, CRF, stacked BiLSTM or document CRF, clitic cuts).

    .venv/bin/python bench/ner_speed.py [--articles 1000]
"""

from __future__ import annotations

import argparse
import sys
import time

from rasid.understand.ner import DEFAULT_DATA, NerModel
from rasid.understand.ner_clusters import saudinewsnet_texts
from rasid.understand.ner_tokenize import tokenize


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--articles", type=int, default=1000)
    ap.add_argument("--model", default=None, help="a .crfsuite path (default: the packaged model)")
    args = ap.parse_args(argv)
    t = time.perf_counter()
    model = NerModel.load(args.model)
    print(f"load {time.perf_counter() - t:.2f}s")
    zips = sorted((DEFAULT_DATA / "saudinewsnet").glob("*.zip"))[-3:]
    texts = list(saudinewsnet_texts(zips, limit=args.articles))
    n_tok = sum(len(tokenize(x)) for x in texts)
    t, c = time.perf_counter(), time.process_time()
    n_ment = sum(len(model.mentions(x)) for x in texts)
    wall, cpu = time.perf_counter() - t, time.process_time() - c
    print(
        f"{len(texts)} articles, {n_tok} tokens, {n_ment} mentions: wall {wall:.1f}s cpu {cpu:.1f}s; "
        f"{len(texts) / wall:.0f} articles/s, {n_tok / wall:.0f} tokens/s (cpu: {len(texts) / cpu:.0f} articles/s)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
