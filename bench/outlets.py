"""Outlet resolution on SaudiNewsNet: does every way the corpus names an outlet reach one id, and
what does resolving cost per document?

For each record: its `source` (the corpus's slug), its URL's domain, and the outlet's Arabic name
as the registry shows it are resolved; they must all give the same id. Prints counts per outlet,
the disagreements, and the time of `source_for` per document (no source given: byline then
domain, the slow path; and with the source given, the usual one).

    .venv/bin/python bench/outlets.py [--days N]
"""

from __future__ import annotations

import argparse
import json
import time
import zipfile
from collections import Counter
from pathlib import Path

from rasid.outlets import shipped_registry

SHARED = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "saudinewsnet"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--days", type=int, default=18)
    args = ap.parse_args()
    records: list[dict] = []
    for path in sorted(SHARED.glob("*.zip"))[: args.days]:
        with zipfile.ZipFile(path) as z:
            records.extend(json.loads(z.read(z.namelist()[0])))
    reg = shipped_registry()
    per: Counter[str] = Counter()
    bad: Counter[tuple[str, str, str]] = Counter()
    for rec in records:
        by_source = reg.resolve(rec["source"])
        by_url = reg.by_url(rec["url"])
        outlet = reg.get(by_source) if by_source else None
        by_name = reg.resolve(outlet.name_ar) if outlet else None
        per[rec["source"]] += 1
        if not (by_source == by_url == by_name == rec["source"]):
            bad[(rec["source"], str(by_url), str(by_name))] += 1
    print(f"{len(records)} records, {len(per)} outlets")
    for source, n in per.most_common():
        outlet = reg.get(source)
        print(f"  {source:13} {n:6}  {outlet.name_ar if outlet else '?'}")
    agree = len(records) - sum(bad.values())
    print(f"source, URL domain and Arabic name give the one id: {agree}/{len(records)}")
    for (source, by_url, by_name), n in bad.most_common(10):
        print(f"  disagree ×{n}: source {source} url -> {by_url} name -> {by_name}")
    # Bylines alone (source and URL withheld): how often one is found, and how often it is right.
    found = Counter(
        "right"
        if (got := reg.from_byline(rec["content"])) == rec["source"]
        else ("none" if got is None else "wrong")
        for rec in records
    )
    wrong = Counter(
        (rec["source"], reg.from_byline(rec["content"]))
        for rec in records
        if reg.from_byline(rec["content"]) not in (None, rec["source"])
    )
    print(
        f"byline alone: {found['right']} right, {found['wrong']} wrong, {found['none']} none "
        f"(of {len(records)})"
    )
    for (source, got), n in wrong.most_common(5):
        print(f"  wrong ×{n}: {source} read as {got}")
    sample = records[:5000]
    t0 = time.perf_counter()
    for rec in sample:
        reg.source_for(None, rec["content"], rec["url"])
    slow = (time.perf_counter() - t0) / len(sample) * 1e6
    t0 = time.perf_counter()
    for rec in sample:
        reg.source_for(rec["source"], rec["content"], rec["url"])
    fast = (time.perf_counter() - t0) / len(sample) * 1e6
    print(
        f"source_for per document: {fast:.1f} µs with a source, {slow:.1f} µs from byline/domain "
        f"({len(sample)} documents)"
    )


if __name__ == "__main__":
    main()
