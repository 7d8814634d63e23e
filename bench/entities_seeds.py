"""The seed story through the whole pipeline: exported entities and quotes, for reading by eye.

    .venv/bin/python bench/entities_seeds.py [--out /tmp/entities_seeds.txt] [--undated]

`rasid eval seeds` prints only the checks; this writes what they check (every exported entity
with its type, variants and article count, and every quote with its speaker) so that junk,
splits, wrong types and wrong speakers can be counted by reading.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

from rasid.evaluate import _run_seeds, seed_checks

SEEDS = Path(__file__).resolve().parent.parent.parent / "shared" / "seeds"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="/tmp/entities_seeds.txt")
    ap.add_argument("--undated", action="store_true")
    args = ap.parse_args(argv)
    gold = json.loads((SEEDS / "gold.json").read_text(encoding="utf-8"))
    with tempfile.TemporaryDirectory() as tmp:
        articles, stories = _run_seeds(SEEDS, gold, not args.undated, Path(tmp))
    story = max(stories, key=lambda s: len(s["articles"]))
    checks = seed_checks(gold, articles, stories)
    with open(args.out, "w", encoding="utf-8") as fh:
        fh.write(f"## entities ({len(story['entities'])})\n")
        for e in story["entities"]:
            fh.write(f"{e['type']}\t{e['name']}\t| {' / '.join(e['variants'][:8])}\t[{len(e['articles'])}]\n")
        fh.write(f"\n## quotes ({len(story['quotes'])})\n")
        for q in story["quotes"]:
            fh.write(f"{q['article']}\t{q['speaker']}\t{q.get('kind', '')}\t{q['text']}\n")
    ent = checks["entities"]
    print(
        f"entities exported: {len(story['entities'])}; gold in one entity {ent['in_one_entity']}/{ent['gold']}, "
        f"mixed {len(ent['mixed'])}; quotes {len(story['quotes'])}, gold found {checks['quotes']['found']}/"
        f"{checks['quotes']['gold']}; timeline {checks['timeline']['found']}/{checks['timeline']['gold_dates']}"
    )
    print(f"lists: {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
