"""The rule layer on real multi-article stories: entity lists before and after, for judging by eye.

    .venv/bin/python bench/entities_stories.py [--stories 8] [--min-articles 3] [--seed 7] [--out FILE]

Takes hand-labelled events of SaudiNewsNet's development days (shared/data/saudinewsnet-events)
with at least --min-articles articles, runs the packaged NER, then propagation and
canonicalisation with the rules off (`StoryRules.none()`) and on (`StoryRules.default()`), and
writes both entity lists per story to --out; prints mentions, entities and the rule layer's time
per story. Junk / split / wrongly merged entities are counted by reading the file.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
import zipfile
from collections import defaultdict
from pathlib import Path

from rasid.model import Article, Paragraph
from rasid.understand.entities import EntityCanonicaliser
from rasid.understand.propagate import propagate_mentions
from rasid.understand.rules import StoryRules
from rasid.understand.story import StoryAnalyzer

DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data"


def load_events(min_articles: int) -> dict[str, list[dict]]:
    by_url: dict[str, dict] = {}
    for day in ("2015-08-01", "2015-08-02"):
        with zipfile.ZipFile(DATA / "saudinewsnet" / f"{day}.zip") as zf:
            for name in zf.namelist():
                for art in json.loads(zf.read(name).decode("utf-8")):
                    by_url[art["url"]] = art
    events: dict[str, list[dict]] = defaultdict(list)
    for day in ("2015-08-01", "2015-08-02"):
        for line in (
            (DATA / "saudinewsnet-events" / f"dev-{day}.jsonl").read_text(encoding="utf-8").splitlines()
        ):
            rec = json.loads(line)
            if rec["url"] in by_url and not rec["dup_of"] and not rec["event"].startswith("single-"):
                events[rec["event"]].append(by_url[rec["url"]])
    return {e: arts for e, arts in events.items() if len(arts) >= min_articles}


def to_article(i: int, art: dict) -> Article:
    paras = [Paragraph(p.strip(), "ar") for p in (art.get("content") or "").split("\n") if p.strip()]
    return Article(
        id=str(i),
        origin=art["url"],
        raw_text=art.get("content") or "",
        content_hash=str(i),
        title=art.get("title") or "",
        paragraphs=paras,
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--stories", type=int, default=8)
    ap.add_argument("--min-articles", type=int, default=3)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--out", default="/tmp/entities_stories.txt")
    args = ap.parse_args(argv)
    events = load_events(args.min_articles)
    picked = random.Random(args.seed).sample(sorted(events), min(args.stories, len(events)))
    analyzer = StoryAnalyzer()
    canon = EntityCanonicaliser()
    on, off = StoryRules.default(), StoryRules.none()
    totals = {"off": [0, 0], "on": [0, 0]}
    rule_ms: list[float] = []
    with open(args.out, "w", encoding="utf-8") as fh:
        for ev in picked:
            arts = [to_article(i, a) for i, a in enumerate(events[ev])]
            mentions = [m for a in arts for m in analyzer.mentions(a)]
            fh.write(f"\n#### {ev} ({len(arts)} articles)\n")
            for tag, rules in (("off", off), ("on", on)):
                t = time.perf_counter()
                ms = propagate_mentions(arts, list(mentions), analyzer.ner.known, rules)
                if tag == "on":
                    rule_ms.append((time.perf_counter() - t) * 1000)
                ents, _ = canon.canonicalise(ms)
                totals[tag][0] += len(ms)
                totals[tag][1] += len(ents)
                fh.write(f"-- rules {tag}: {len(ms)} mentions, {len(ents)} entities\n")
                for e in sorted(ents, key=lambda e: (-len(e.articles), e.name)):
                    fh.write(f"{e.type}\t{e.name}\t| {' / '.join(e.variants[:5])}\t[{len(e.articles)}]\n")
    for tag, (nm, ne) in totals.items():
        print(f"rules {tag}: {nm} mentions, {ne} entities over {len(picked)} stories")
    print(
        f"propagation with rules: {sum(rule_ms) / len(rule_ms):.1f} ms per story (mean), max {max(rule_ms):.1f}"
    )
    print(f"entity lists: {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
