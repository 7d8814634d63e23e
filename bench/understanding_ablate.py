"""Each part's contribution to story understanding, on hand-annotated stories.

    .venv/bin/python bench/understanding_ablate.py [--gold tests/data/understanding_gold] [--gold ../shared/seeds/gold.json]
                                                  [--data ../shared/data]

Runs the pipeline once per annotated story (ingest, cleaning), then analyses the stored articles
as one story with the name finders switched on one by one: the tagger and rule layer alone (no
head-led phrases, no known aliases), + the corpus gazetteer of phrases, + the story's own recurring
phrases, + the known-aliases table, and all of them; prints the `rasid eval understanding` figures
of each (entities with several spellings in one entity, wrong merges, quotes with the right
speaker, timeline entries per gold happening).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

from rasid.eval.understanding import analysis_record, feed_records, gold_files, run_pipeline, score_story
from rasid.export import article_record
from rasid.understand.phrases import PhraseFinder
from rasid.understand.rules import StoryRules
from rasid.understand.story import StoryAnalyzer

ROOT = Path(__file__).resolve().parent.parent

CONFIGS = {
    "tagger+rules": dict(gazetteer=False, story=False, aliases=False),
    "+gazetteer": dict(gazetteer=True, story=False, aliases=False),
    "+story phrases": dict(gazetteer=False, story=True, aliases=False),
    "+aliases": dict(gazetteer=False, story=False, aliases=True),
    "all": dict(gazetteer=True, story=True, aliases=True),
}


def analyzer(gazetteer: bool, story: bool, aliases: bool, base: StoryAnalyzer) -> StoryAnalyzer:
    rules = StoryRules.default(phrases=PhraseFinder.load(use_gazetteer=gazetteer, use_story=story))
    if not aliases:
        rules.aliases = None
    an = StoryAnalyzer(ner=base.ner, embed=base.embed)
    an._rules = rules
    if not aliases:
        from rasid.understand.entities import EntityCanonicaliser

        canon = EntityCanonicaliser()
        canon._aliases = type(canon.aliases)()  # an empty table
        an._canon = canon
    return an


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--gold", action="append")
    ap.add_argument("--data", default=str(ROOT.parent / "shared" / "data"))
    args = ap.parse_args(argv)
    golds = gold_files(
        args.gold
        or [str(ROOT / "tests/data/understanding_gold"), str(ROOT.parent / "shared/seeds/gold.json")]
    )
    base = StoryAnalyzer()
    totals: dict[str, list[int]] = {name: [0, 0, 0, 0, 0, 0, 0] for name in CONFIGS}
    for path in golds:
        gold = json.loads(path.read_text(encoding="utf-8"))
        with tempfile.TemporaryDirectory() as tmp:
            arts, _ = run_pipeline(feed_records(gold, path, Path(args.data)), Path(tmp))
        records = [article_record(a) for a in arts]
        name = gold["story"] if isinstance(gold.get("story"), str) else path.parent.name
        for cfg, kw in CONFIGS.items():
            res = score_story(gold, records, analysis_record(arts, analyzer(**kw, base=base)))
            e, q, t = res["entities"], res["quotes"], res["timeline"]
            row = [
                e["several_spellings_grouped"],
                e["several_spellings"],
                len(e["wrong_merges"]),
                q["right_speaker"],
                q["gold"],
                t["entries"],
                t["gold_happenings"],
            ]
            totals[cfg] = [a + b for a, b in zip(totals[cfg], row, strict=True)]
            print(
                f"{name:48s} {cfg:16s} grouped {row[0]}/{row[1]}  merges {row[2]}  quotes {row[3]}/{row[4]}"
                f"  entries {row[5]}/{row[6]}",
                flush=True,
            )
    print()
    for cfg, r in totals.items():
        print(
            f"{'ALL STORIES':48s} {cfg:16s} grouped {r[0]}/{r[1]} ({r[0] / max(r[1], 1):.0%})  merges {r[2]}"
            f"  quotes {r[3]}/{r[4]} ({r[3] / max(r[4], 1):.0%})  entries {r[5]}/{r[6]}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
