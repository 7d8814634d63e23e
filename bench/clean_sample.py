"""What the cleaner removes from SaudiNewsNet, and how fast the text layer runs.

Usage:
    .venv/bin/python bench/clean_sample.py [--n 300] [--seed 13] [--show 8] [--speed 2000]

Draws `--n` random articles (seeded) from ../shared/data/saudinewsnet, cleans them, prints removal
counts by kind and up to `--show` samples of each kind (with the article id) for inspection by eye,
then times cleaning + language per paragraph + sentence splitting on `--speed` articles
(single process, single thread) and prints ms/article and articles/s.
"""

from __future__ import annotations

import argparse
import collections
import json
import random
import time
import zipfile
from pathlib import Path

from rasid.text.clean import NewsCleaner
from rasid.text.language import FastTextLanguage
from rasid.text.sentences import ArabicSentenceSplitter

DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "saudinewsnet"


def load_articles() -> list[dict]:
    articles: list[dict] = []
    for path in sorted(DATA.glob("*.zip")):
        with zipfile.ZipFile(path) as zf:
            for name in zf.namelist():
                articles.extend(json.loads(zf.read(name)))
    return articles


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=300)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--show", type=int, default=8)
    parser.add_argument("--speed", type=int, default=2000)
    args = parser.parse_args()

    articles = load_articles()
    rng = random.Random(args.seed)
    sample = rng.sample(articles, args.n)
    cleaner = NewsCleaner()
    counts: collections.Counter[str] = collections.Counter()
    per_article: collections.Counter[str] = collections.Counter()
    examples: dict[str, list[str]] = collections.defaultdict(list)
    in_lines = out_pars = 0
    for i, art in enumerate(sample):
        paragraphs, removed = cleaner.clean(art["content"], art.get("title") or None)
        in_lines += sum(1 for ln in art["content"].split("\n") if ln.strip())
        out_pars += len(paragraphs)
        kinds = set()
        for r in removed:
            counts[r.kind] += 1
            kinds.add(r.kind)
            if len(examples[r.kind]) < args.show:
                examples[r.kind].append(f"[{i} {art['source']}] {r.text[:140]!r}")
        per_article.update(kinds)
    print(f"articles: {args.n} (seed {args.seed}) of {len(articles)}")
    print(f"non-empty input lines: {in_lines}, output paragraphs: {out_pars}")
    print("removed by kind (records / articles with any):")
    for kind, n in counts.most_common():
        print(f"  {kind:12s} {n:5d} / {per_article[kind]:4d}")
    for kind, lines in examples.items():
        print(f"--- {kind}")
        for line in lines:
            print("  ", line)

    speed = rng.sample(articles, min(args.speed, len(articles)))
    language = FastTextLanguage()
    splitter = ArabicSentenceSplitter()
    language.detect("warm up the model once")
    t0 = time.perf_counter()
    n_par = n_sent = n_model = 0
    for art in speed:
        paragraphs, _ = cleaner.clean(art["content"], art.get("title") or None)
        for p in paragraphs:
            language.detect(p)
            n_sent += len(splitter.split(p))
        n_par += len(paragraphs)
    elapsed = time.perf_counter() - t0
    for art in speed:
        paragraphs, _ = cleaner.clean(art["content"], art.get("title") or None)
        n_model += sum(1 for p in paragraphs if any("a" <= c.lower() <= "z" for c in p))
    print(
        f"speed: {len(speed)} articles, {n_par} paragraphs, {n_sent} sentences in {elapsed:.2f} s: "
        f"{1000 * elapsed / len(speed):.3f} ms/article, {len(speed) / elapsed:.0f} articles/s "
        f"(paragraphs with Latin letters, i.e. model calls at most: {n_model})"
    )
    t0 = time.perf_counter()
    for art in speed:
        cleaner.clean(art["content"], art.get("title") or None)
    t_clean = time.perf_counter() - t0
    print(f"  of which cleaning alone: {1000 * t_clean / len(speed):.3f} ms/article")


if __name__ == "__main__":
    main()
