"""Time of the brief per story on a development day: the learned grouping against the rule one.

    .venv/bin/python bench/brief_speed.py --day 2015-08-01 --events 60

Takes the day's multi-article dev events (labels joined on url), cleans the articles with the
shipped text pipeline, runs story understanding once with a recording brief builder to capture
exactly what `StoryAnalyzer.analyze` hands the brief (units, dates, entity mentions), then times
`BriefBuilder.build` on those inputs with sentence vectors already cached (the embedding is the
same in both: the set of embedded sentences did not change), best of `--repeat` runs each, in CPU time of this process (the machine is shared).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "src"))
sys.path.insert(0, str(REPO / "bench"))

from brief_pairs import Recorder  # noqa: E402

from rasid.brief import BriefBuilder  # noqa: E402
from rasid.embed import CachedEmbed  # noqa: E402
from rasid.eval.brief import articles_by_url  # noqa: E402
from rasid.understand.story import StoryAnalyzer  # noqa: E402

SHARED = REPO.parent / "shared"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--day", default="2015-08-01")
    ap.add_argument("--events", type=int, default=60)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args(argv)
    labels = SHARED / "data" / "saudinewsnet-events" / f"dev-{args.day}.jsonl"
    by_event: dict[str, list[str]] = defaultdict(list)
    for line in labels.read_text(encoding="utf-8").splitlines():
        rec = json.loads(line)
        by_event[rec["event"]].append(rec["url"])
    events = sorted((e for e, u in by_event.items() if len(u) >= 2), key=lambda e: (-len(by_event[e]), e))
    events = events[: args.events]
    urls = [u for e in events for u in by_event[e]]
    arts, _ = articles_by_url(SHARED / "data" / "saudinewsnet" / f"{args.day}.zip", urls, strict=False)
    by_url = {a.id: a for a in arts}
    by_event = {e: [u for u in by_event[e] if u in by_url] for e in events}
    events = [e for e in events if len(by_event[e]) >= 2]
    rec = Recorder()
    analyzer = StoryAnalyzer(brief=rec)
    embed = CachedEmbed(analyzer._use_embedder().embed, max_items=200_000)
    analyzer._embed = embed
    for e in events:
        analyzer.analyze([by_url[u] for u in by_event[e]])
    builders = {
        "rule (before)": BriefBuilder(embed=embed, model=None, max_chars=1200),
        "learned (after)": BriefBuilder(embed=embed),
    }
    for b in builders.values():  # fill the vector cache for both
        for c in rec.calls:
            b.build(c["articles"], c["dates"], c["units"], embed, c["mentions"], c["days"])
    n_units = sum(len(c["units"]) for c in rec.calls)
    print(f"{args.day}: {len(rec.calls)} multi-article stories, {len(arts)} articles, {n_units} sentences")
    for name, b in builders.items():
        best = float("inf")
        for _ in range(args.repeat):
            t0 = time.process_time()
            for c in rec.calls:
                b.build(c["articles"], c["dates"], c["units"], embed, c["mentions"], c["days"])
            best = min(best, time.process_time() - t0)
        print(
            f"{name}: {1000 * best / len(rec.calls):.2f} ms per story, {1000 * best / len(arts):.2f} ms per article"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
