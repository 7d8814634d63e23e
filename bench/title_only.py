"""Bench: SaudiNewsNet records with a title and no content, through `rasid run` as a user runs it.

Each day is written as JSONL (`write_saudinewsnet_jsonl`) and run into one fresh store, one `rasid
run` per day, in order. Prints, per day, the inputs `run` refused (stderr lines) and the title-only
articles stored; then, for each title-only article, its story's size, its gold event's size (dev
labels), and how many of its gold event's articles share its story.

    .venv/bin/python bench/title_only.py [--days 2015-08-02 2015-08-03]
"""

from __future__ import annotations

import argparse
import io
import json
import tempfile
from pathlib import Path

from rasid.cli import main as cli
from rasid.eval.stories import write_saudinewsnet_jsonl
from rasid.store import open_store


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--shared", default=str(Path(__file__).resolve().parents[2] / "shared"))
    ap.add_argument("--days", nargs="+", default=["2015-08-02", "2015-08-03"])
    args = ap.parse_args()
    shared = Path(args.shared)
    gold: dict[str, str] = {}
    for day in args.days:
        labels = shared / "data" / "saudinewsnet-events" / f"dev-{day}.jsonl"
        if labels.is_file():
            for line in labels.read_text(encoding="utf-8").splitlines():
                rec = json.loads(line)
                gold[rec["url"]] = rec["event"]
    with tempfile.TemporaryDirectory() as tmp:
        db = str(Path(tmp) / "t.db")
        for day in args.days:
            feed = Path(tmp) / f"{day}.jsonl"
            n = write_saudinewsnet_jsonl([shared / "data" / "saudinewsnet" / f"{day}.zip"], feed)
            err = io.StringIO()
            code = cli(["run", "--db", db, "--quiet", "--no-progress", str(feed)], out=io.StringIO(), err=err)
            refused = [line for line in err.getvalue().splitlines() if line.startswith("rasid:")]
            print(f"{day}: {n} records, exit {code}, {len(refused)} refused")
            for line in refused[:20]:
                print("   ", line)
        with open_store(db) as store:
            arts = list(store.iter_articles())
            url_of = {a.id: a.url for a in arts}
            title_only = [a for a in arts if not a.paragraphs]
            print(
                f"{len(title_only)} title-only articles stored of {len(arts)}; "
                f"{sum(a.duplicate_of is not None for a in title_only)} marked duplicates"
            )
            print("story size | gold event size | event articles in its story | title")
            for a in title_only:
                story = store.get_story(a.story) if a.story else None
                members = {url_of.get(m) for m in story.articles} if story else set()
                event = gold.get(a.url or "")
                mates = [u for u, e in gold.items() if e == event] if event else []
                together = sum(u in members for u in mates)
                print(
                    f"{len(members):>10} | {len(mates) or '-':>15} | {together if mates else '-':>27} | {a.title[:70]}"
                )


if __name__ == "__main__":
    main()
