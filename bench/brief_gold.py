"""Build a brief gold file (bench/gold/brief/*.json) from a hand-written statement list.

    .venv/bin/python bench/brief_gold.py --day 2015-08-01 --event SLUG SPEC.txt OUT.json
    .venv/bin/python bench/brief_gold.py --day 2015-08-01 --event SLUG --show   # numbered sentences

`--urls FILE` names the articles instead of an event label (a day without labels: the story was
found by grouping the day's titles by similarity and reading them).
`--show` prints the event's articles (SaudiNewsNet dev labels joined on url with the day's zip) as
the shipped text pipeline cleans and splits them, each sentence numbered `article.sentence`; the
annotator reads them and writes SPEC, one statement a line: `id | paraphrase | 0.3 2.1 ...` (every
sentence that states it). The gold file keeps, for each reference, the article's url, the sentence
number and the sentence's character offsets in the article's raw `content`, never the text.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "src"))

from rasid.eval.brief import articles_by_url, event_articles, locate  # noqa: E402

SHARED = REPO.parent / "shared"


def sentences(article) -> list[str]:
    return [s for p in article.paragraphs for s in (p.sentences or [p.text])]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--day", required=True)
    ap.add_argument("--event", required=True, help="the dev event label, or a name for --urls")
    ap.add_argument(
        "--urls",
        help="a file of article urls (one a line) instead of an event label, for days without labels",
    )
    ap.add_argument("--show", action="store_true")
    ap.add_argument("spec", nargs="?")
    ap.add_argument("out", nargs="?")
    args = ap.parse_args(argv)
    labels = SHARED / "data" / "saudinewsnet-events" / f"dev-{args.day}.jsonl"
    day_zip = SHARED / "data" / "saudinewsnet" / f"{args.day}.zip"
    if args.urls:
        urls = [u.strip() for u in Path(args.urls).read_text(encoding="utf-8").splitlines() if u.strip()]
        arts, raws = articles_by_url(day_zip, urls)
    else:
        arts, raws = event_articles(labels, day_zip, args.event)
    if args.show:
        for i, a in enumerate(arts):
            print(f"=== A{i} {a.source} {a.published} {a.url}\nTITLE: {a.title}")
            for k, s in enumerate(sentences(a)):
                print(f"  [{i}.{k}] {s}")
        return 0
    statements = []
    for line in Path(args.spec).read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        sid, text, refs = (x.strip() for x in line.split("|"))
        reports = []
        for ref in refs.split():
            i, k = (int(x) for x in ref.split("."))
            sent = sentences(arts[i])[k]
            span = locate(raws[i], sent, arts[i].url)
            if span is None:
                raise SystemExit(f"{args.spec}: sentence {ref} not found in the raw text of {arts[i].url}")
            reports.append({"article": arts[i].url, "sentence": k, "start": span.start, "end": span.end})
        statements.append({"id": sid, "text": text, "reports": reports})
    gold = {
        "story": args.event,
        "day": args.day,
        "labels": None if args.urls else str(labels.relative_to(SHARED)),
        "data": str(day_zip.relative_to(SHARED)),
        "articles": [{"url": a.url, "source": a.source, "published": a.published} for a in arts],
        "statements": statements,
        "disputes": [],
    }
    Path(args.out).write_text(json.dumps(gold, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"{args.out}: {len(statements)} statements, {len(arts)} articles")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
