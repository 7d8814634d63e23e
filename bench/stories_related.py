"""Related stories: how much of the clusterer's fragmentation a reader can reach through them.

The clusterer links two stories as related when its merge model gave them at least `related_min`
probability of being one happening without merging them (`StoryClusterer.related`). Measured on
the dev protocol (2015-08-01 and 2015-08-02 streamed in time order with the shipped models, or
08-01 alone): of the gold same-event article pairs the clustering split across two stories, the
share whose two stories are linked (fragments a reader can reach in one click); the links per
story; the share of links joining two stories that hold one gold event (the rest are neighbouring
happenings, which `--show` prints for reading by eye). The clustering itself is unchanged by links.

`--errors N` first lists the N gold events split into most pairs and the N stories holding most
pairs of different events (what the links are for).

    .venv/bin/python bench/stories_related.py [--day 2015-08-02|2015-08-01] [--show 20] [--errors 6] [--cache DIR]
"""

from __future__ import annotations

import argparse
import random
import sys
from collections import Counter, defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from stories_dev import DAYS, SHARED, dedup, time_ordered  # noqa: E402

from rasid.cluster import StoryClusterer  # noqa: E402
from rasid.eval.stories import bcubed, load_saudinewsnet, pairwise, read_gold  # noqa: E402

GRID = (0.05, 0.1, 0.2, 0.3, 0.5, 0.7)


def errors(story: dict[str, str], gold: dict[str, str], members: dict[str, list[str]], n: int) -> None:
    def pairs(k: int) -> int:
        return k * (k - 1) // 2

    events: dict[str, list[str]] = defaultdict(list)
    for u, e in gold.items():
        events[e].append(u)
    split = sorted(
        (
            (
                pairs(len(us)) - sum(pairs(c) for c in Counter(story[u] for u in us).values()),
                e,
                sorted(Counter(story[u] for u in us).values(), reverse=True),
            )
            for e, us in events.items()
        ),
        reverse=True,
    )
    mixed = sorted(
        (
            (
                pairs(len(us)) - sum(pairs(c) for c in Counter(gold[u] for u in us).values()),
                s,
                Counter(gold[u] for u in us).most_common(3),
            )
            for s, us in members.items()
        ),
        reverse=True,
    )
    print(f"events split into most pairs (of {sum(x[0] for x in split)} split pairs):")
    for k, e, parts in split[:n]:
        print(f"  {k:4d}  {e}  {'+'.join(map(str, parts))}")
    print(f"stories holding most pairs of different events (of {sum(x[0] for x in mixed)} such pairs):")
    for k, s, top in mixed[:n]:
        print(f"  {k:4d}  {s}  {', '.join(f'{e} x{c}' for e, c in top)}")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--day", default=DAYS[1], choices=DAYS)
    ap.add_argument("--show", type=int, default=0, help="print this many random links at the default cut")
    ap.add_argument(
        "--errors", type=int, default=0, help="list the events split most and the stories mixed most"
    )
    ap.add_argument("--cache", type=Path, default=None, help="directory caching article vectors")
    args = ap.parse_args(argv)
    days = DAYS if args.day == DAYS[1] else (DAYS[0],)
    day_arts = {d: load_saudinewsnet([SHARED / "saudinewsnet" / f"{d}.zip"]) for d in days}
    gold = {
        r["url"]: r["event"]
        for d in days
        for r in read_gold(SHARED / "saudinewsnet-events" / f"dev-{d}.jsonl")
    }
    arts, vecs = time_ordered(day_arts, days, args.cache)
    dup = dedup(arts)
    cl = StoryClusterer(related_min=min(GRID))
    for a, v in zip(arts, vecs, strict=True):
        cl.assign(a, v, dup.get(a.id))
    test = [a.id for a in day_arts[args.day]]
    story = {u: cl.story_of(u) for u in test}
    day_gold = {u: gold[u] for u in test}
    b, p = bcubed(story, day_gold), pairwise(story, day_gold)
    print(
        f"{args.day} ({'+'.join(days)} streamed): B3 {b[2]:.4f} pairwise {p[2]:.4f} (links change no decision)"
    )
    members: dict[str, list[str]] = defaultdict(list)
    for u in test:
        members[story[u]].append(u)
    missed = [
        (story[u], story[v])
        for i, u in enumerate(test)
        for v in test[i + 1 :]
        if gold[u] == gold[v] and story[u] != story[v]
    ]
    if args.errors:
        errors(story, day_gold, members, args.errors)
    near = {s: dict(cl.related(s, k=len(members) + 1_000)) for s in members}
    print(f"split same-event pairs: {len(missed)}; stories: {len(members)}")
    print(
        "related_min | links | stories with a link | links per linked story (max) | "
        "split pairs reachable | links within one gold event"
    )
    for th in GRID:
        links = {
            (min(s, o), max(s, o)) for s in members for o, pr in near[s].items() if pr >= th and o in members
        }
        top5 = {
            (min(s, o), max(s, o))
            for s in members
            for o, pr in sorted(near[s].items(), key=lambda t: -t[1])[:5]
            if pr >= th and o in members
        }
        per: dict[str, int] = defaultdict(int)
        for x, y in top5:
            per[x] += 1
            per[y] += 1
        reach = sum((min(x, y), max(x, y)) in top5 for x, y in missed)
        same = sum(any(gold[u] == gold[v] for u in members[x] for v in members[y]) for x, y in top5)
        print(
            f"{th:.2f} | {len(top5)} (uncapped {len(links)}) | {len(per)} | "
            f"{len(top5) * 2 / max(1, len(per)):.2f} ({max(per.values(), default=0)}) | "
            f"{reach}/{len(missed)} = {reach / max(1, len(missed)):.3f} | {same}/{len(top5)} = "
            f"{same / max(1, len(top5)):.3f}"
        )
    if args.show:
        title = {a.id: a.title for a in arts}
        cut = StoryClusterer().related_min
        links = sorted(
            {(min(s, o), max(s, o)) for s in members for o, pr in cl.related(s) if pr >= cut and o in members}
        )
        random.seed(7)
        print(
            f"\n{min(args.show, len(links))} random links at related_min {cut} (p, first title of each story):"
        )
        for x, y in random.sample(links, min(args.show, len(links))):
            print(f"{near[x][y]:.2f} | {title[members[x][0]][:70]} || {title[members[y][0]][:70]}")


if __name__ == "__main__":
    main()
