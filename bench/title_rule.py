"""How well the plain-text headline rule (rasid.ingest.plaintext.split_title) works.

    .venv/bin/python bench/title_rule.py

Built from SaudiNewsNet (all 18 days): for each article with a title and text, two plain-text
files are simulated: "title\\n\\ncontent" (the rule should return exactly the title) and
"content" alone (the rule should return no title; SaudiNewsNet bodies often open with a short
byline or dateline line, the hard case). Also the five seeds against their hand reading
(000, 001, 003 open with a headline; 002 and 004 do not).
"""

from __future__ import annotations

import json
import zipfile
from collections import Counter
from pathlib import Path

from rasid.ingest.plaintext import split_title

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"


def main() -> None:
    counts: Counter[str] = Counter()
    false_titles: Counter[str] = Counter()
    for archive in sorted((SHARED / "data" / "saudinewsnet").glob("*.zip")):
        with zipfile.ZipFile(archive) as zf:
            articles = json.loads(zf.read(zf.namelist()[0]))
        for art in articles:
            title, content = art["title"].strip(), art["content"]
            if not title or not content.strip():
                continue
            counts["articles"] += 1
            got, _ = split_title(f"{title}\n\n{content}")
            counts["title_found"] += got == title
            got, _ = split_title(content)
            if got is not None:
                counts["false_title"] += 1
                false_titles[" ".join(got.split()[:3])] += 1
    n = counts["articles"]
    print(f"SaudiNewsNet articles: {n}")
    print(f"  headline recall (title line found exactly): {counts['title_found'] / n:.3f}")
    print(f"  false headline on body-only text:           {counts['false_title'] / n:.3f}")
    print(f"  most common false headlines: {false_titles.most_common(5)}")
    expected = {"000": True, "001": True, "002": False, "003": True, "004": False}
    right = 0
    for path in sorted((SHARED / "seeds").glob("*.txt")):
        got, _ = split_title(path.read_text(encoding="utf-8"))
        right += (got is not None) == expected[path.name[:3]]
    print(f"seeds: {right}/5 as hand-read")


if __name__ == "__main__":
    main()
