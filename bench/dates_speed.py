"""Speed and self-consistency of temporal-expression extraction on SaudiNewsNet.

Prints articles/s of `DateExtractor.extract` over whole article bodies (one zip, anchored at the
crawl date), mentions per article, and how often "أمس/اليوم + weekday" ("أمس الأحد") agrees with the
crawl date, which SOURCE.md says is most probably the publication date for items after 2015-08-01.

    .venv/bin/python bench/dates_speed.py [--zip 2015-08-10.zip] [--limit N]
"""

from __future__ import annotations

import argparse
import json
import time
import zipfile
from collections import Counter
from datetime import date
from pathlib import Path

from rasid.understand.dates import DateExtractor

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "saudinewsnet"


def load(zip_name: str) -> list[dict]:
    with zipfile.ZipFile(DATA / zip_name) as zf:
        return json.loads(zf.read(zf.namelist()[0]))


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--zip", default="2015-08-10.zip")
    ap.add_argument("--limit", type=int, default=0)
    args = ap.parse_args(argv)
    arts = load(args.zip)
    if args.limit:
        arts = arts[: args.limit]
    ex = DateExtractor()
    anchors = [date.fromisoformat(a["date_extracted"][:10]) for a in arts]
    texts = [a["content"] or "" for a in arts]
    ex.extract(texts[0], anchors[0])  # warm-up (regex compilation is at import, hijridate import here)
    t0, c0 = time.perf_counter(), time.process_time()
    results = [ex.extract(t, d) for t, d in zip(texts, anchors, strict=True)]
    elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0
    chars = sum(len(t) for t in texts)
    n = sum(len(r) for r in results)
    kinds = Counter(m.kind for r in results for m in r)
    print(f"zip={args.zip} articles={len(arts)} chars={chars} wall_s={elapsed:.2f} cpu_s={cpu:.2f}")
    print(f"articles/s (cpu)={len(arts) / cpu:.0f}")
    print(
        f"articles/s={len(arts) / elapsed:.0f} chars/s={chars / elapsed:.0f} mentions={n} per_article={n / len(arts):.2f}"
    )
    print("kinds:", dict(kinds.most_common()))
    agree = total = 0
    for r in results:
        for m in r:
            if m.kind == "weekday+relative":
                total += 1
                agree += bool(m.consistent)
    if total:
        print(f"relative+weekday consistent with crawl date: {agree}/{total} = {agree / total:.3f}")
    pairs = ok = 0
    for t, r in zip(texts, results, strict=True):
        for a, b in zip(r, r[1:], strict=False):
            hijri_then_gregorian = a.calendar == "hijri" and b.calendar == "gregorian"
            both_days = a.granularity == "day" and b.granularity == "day"
            if (
                hijri_then_gregorian
                and both_days
                and "الموافق" in t[a.end : b.start]
                and b.start - a.end < 15
            ):
                pairs += 1
                ok += a.date == b.date
    if pairs:
        print(f"Hijri 'X الموافق Y' pairs converted to the same day: {ok}/{pairs} = {ok / pairs:.3f}")


if __name__ == "__main__":
    main()
