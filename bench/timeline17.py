"""Date selection on Timeline17 (English) with rasid's temporal-expression extractor.

For every reference timeline (19 in 17 topic folders), as in the news-tls evaluation setup
(Gholipour Ghalandari & Ifrim, ACL 2020): the number of dates to select is the number of dates of
the reference timeline, and candidate dates are restricted to the reference's first..last date.
Dates are ranked by
  - PubCount: articles published that day;
  - MentionCount: sentences whose day-resolved temporal expressions (anchored at the article's
    publication date) name that day, each sentence counting a date once;
  - Mention+Pub: MentionCount, PubCount breaking ties (`rasid.understand.timeline.rank_dates`).
Date-F1 (exact day match) is averaged over the reference timelines.

    .venv/bin/python bench/timeline17.py [--topics N] [--no-span]
"""

from __future__ import annotations

import argparse
import gzip
import json
import time
from collections import Counter
from datetime import date
from pathlib import Path

from rasid.eval.timeline import date_prf
from rasid.understand.dates import DateExtractor
from rasid.understand.timeline import rank_dates

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "timeline17"


def topic_counts(folder: Path, ex: DateExtractor) -> tuple[Counter[str], Counter[str], int, int]:
    """(sentence mention counts per day, publication counts per day, articles, mentions)."""
    mentions: Counter[str] = Counter()
    pubs: Counter[str] = Counter()
    n_articles = n_mentions = 0
    with gzip.open(folder / "articles.tokenized.jsonl.gz", "rt", encoding="utf-8") as fh:
        for line in fh:
            art = json.loads(line)
            anchor = date.fromisoformat(art["time"][:10])
            pubs[anchor.isoformat()] += 1
            n_articles += 1
            text = art["text"]
            starts = [0]
            for i, ch in enumerate(text):
                if ch == "\n":
                    starts.append(i + 1)
            seen: set[tuple[int, str]] = set()
            line_no = 0
            for m in ex.extract(text, anchor, lang="en"):
                n_mentions += 1
                if m.date is None or m.granularity != "day":
                    continue
                while line_no + 1 < len(starts) and starts[line_no + 1] <= m.start:
                    line_no += 1
                if (line_no, m.date) not in seen:
                    seen.add((line_no, m.date))
                    mentions[m.date] += 1
    return mentions, pubs, n_articles, n_mentions


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--topics", type=int, default=0, help="only the first N topic folders")
    ap.add_argument("--no-span", action="store_true", help="do not restrict dates to the reference span")
    args = ap.parse_args(argv)
    folders = sorted(p for p in DATA.iterdir() if p.is_dir())
    if args.topics:
        folders = folders[: args.topics]
    ex = DateExtractor()
    scores: dict[str, list[float]] = {"PubCount": [], "MentionCount": [], "Mention+Pub": []}
    t0, c0 = time.perf_counter(), time.process_time()
    total_articles = total_mentions = 0
    print(f"{'timeline':34s} {'k':>4s} {'PubCount':>9s} {'Mention':>9s} {'Ment+Pub':>9s}")
    for folder in folders:
        mentions, pubs, n_articles, n_mentions = topic_counts(folder, ex)
        total_articles += n_articles
        total_mentions += n_mentions
        with open(folder / "timelines.jsonl", encoding="utf-8") as fh:
            timelines = [json.loads(line) for line in fh if line.strip()]
        for ti, tl in enumerate(timelines):
            gold = sorted({d[:10] for d, _ in tl})
            k = len(gold)
            lo, hi = ("0000", "9999") if args.no_span else (gold[0], gold[-1])
            ment = Counter({d: c for d, c in mentions.items() if lo <= d <= hi})
            pub = Counter({d: c for d, c in pubs.items() if lo <= d <= hi})
            picks = {
                "PubCount": [d for d, _ in sorted(pub.items(), key=lambda x: (-x[1], x[0]))[:k]],
                "MentionCount": [d for d, _ in sorted(ment.items(), key=lambda x: (-x[1], x[0]))[:k]],
                "Mention+Pub": rank_dates(ment, k, pub),
            }
            row = {name: date_prf(p, gold).f1 for name, p in picks.items()}
            for name, f1 in row.items():
                scores[name].append(f1)
            label = f"{folder.name}#{ti}" if len(timelines) > 1 else folder.name
            print(
                f"{label:34s} {k:4d} {row['PubCount']:9.3f} {row['MentionCount']:9.3f} {row['Mention+Pub']:9.3f}"
            )
    elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0
    n = len(scores["PubCount"])
    print(
        f"\nmean Date-F1 over {n} timelines: "
        + "  ".join(f"{name}={sum(v) / len(v):.3f}" for name, v in scores.items())
    )
    print(
        f"articles={total_articles} mentions={total_mentions} wall_s={elapsed:.1f} cpu_s={cpu:.1f} "
        f"articles/s(cpu)={total_articles / cpu:.0f} span_restricted={not args.no_span}"
    )


if __name__ == "__main__":
    main()
