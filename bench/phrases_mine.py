"""Build `rasid/data/name_phrases.json.gz`: multi-word names led by a head noun, mined from SaudiNewsNet.

    .venv/bin/python bench/phrases_mine.py [--data ../shared/data] [--min-count 5] [--min-sources 3] [--write]

Unsupervised (no labels are read): every place in the 31k articles of SaudiNewsNet where a head
noun of a body, group, facility or agreement stands (مجلس، وزارة، هيئة، جمعية، مستشفى، مديرية،
تنظيم، ميليشيا، مجموعة، اتفاق، برنامج، مشروع، جامعة، شركة، بنك، نادي، قوات، مركز ...) starts
candidate phrases of two to seven words, cut at punctuation and at function words. A phrase is
kept as a name when

- it recurs: at least --min-count times, in at least --min-sources different newspapers;
- it is closed: at least --min-closed of its uses end where it ends (a phrase that usually goes
  on, مستشفى الملك or الاتحاد السعودي, is only the beginning of longer names);
- it does not run on into a person's name (a given name of the NER resources' person gazetteer,
  except after a royal title: مركز الملك سلمان);
- it ends in a definite word or a word that is not a common word of news (the packaged
  `rules_lexicon`), so a headline's verb or a dangling noun is not the end of a name.

Its confidence is `closed share × min(1, newspapers / 6)`. The product reads the file
(`rasid.understand.phrases`); it never imports this script. Without --write the top phrases are
printed only.
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import sys
import time
import zipfile
from collections import Counter, defaultdict
from pathlib import Path

from rasid.text.normalize import match_form
from rasid.understand.phrases import (
    HEADS,
    PHRASES_PATH,
    definite_follows,
    end_ok,
    head_of,
    inner_ok,
    person_break,
)
from rasid.understand.rules import Lexicon

_WORD = re.compile(r"[\u0621-\u064a\u0660-\u0669\u0670-\u06d3]+|[A-Za-z0-9]+|[^\s\w]")
MAX_WORDS = 7


def articles(data: Path):
    for z in sorted((data / "saudinewsnet").glob("*.zip")):
        with zipfile.ZipFile(z) as zf:
            for name in zf.namelist():
                for art in json.loads(zf.read(name).decode("utf-8")):
                    yield (
                        art.get("source") or "",
                        (art.get("title") or "") + "\n" + (art.get("content") or ""),
                    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default=str(Path(__file__).resolve().parent.parent.parent / "shared" / "data"))
    ap.add_argument("--min-count", type=int, default=5)
    ap.add_argument("--min-sources", type=int, default=3)
    ap.add_argument("--min-closed", type=float, default=0.35)
    ap.add_argument("--write", action="store_true")
    args = ap.parse_args(argv)
    lex = Lexicon.load()
    # given names: the NER resources' person gazetteer, indefinite words that are not common words
    with gzip.open(
        Path(__file__).resolve().parent.parent / "src" / "rasid" / "data" / "ner.resources.json.gz",
        "rt",
        encoding="utf-8",
    ) as fh:
        per = json.load(fh)["gazetteer"]["PER"]
    given = frozenset(
        w for w in per if len(w) >= 3 and not w.startswith("ال") and w not in lex.common and w.isalpha()
    )
    t0 = time.perf_counter()
    count: Counter[str] = Counter()
    sources: dict[str, set[str]] = defaultdict(set)
    ext: dict[str, Counter[str]] = defaultdict(Counter)
    n_art = 0
    form_of: dict[str, str] = {}
    for src, text in articles(Path(args.data)):
        n_art += 1
        for line in text.split("\n"):
            toks = _WORD.findall(line)
            forms = []
            for t in toks:
                f = form_of.get(t)
                if f is None:
                    f = form_of[t] = match_form(t)
                forms.append(f)
            for i, f in enumerate(forms):
                head = head_of(f)
                if head is None:
                    continue
                words = [head]
                for j in range(i + 1, min(i + MAX_WORDS, len(forms))):
                    w = forms[j]
                    if not inner_ok(w) or person_break(w, forms[j - 1], given):
                        break
                    if j == i + 1 and not definite_follows(head, w):
                        break
                    prev = " ".join(words)
                    words.append(w)
                    phrase = " ".join(words)
                    count[phrase] += 1
                    sources[phrase].add(src)
                    ext[prev][w] += 1
    print(
        f"{n_art} articles, {len(count)} candidate phrases, {time.perf_counter() - t0:.0f} s", file=sys.stderr
    )
    kept: dict[str, list] = {}
    for phrase, c in count.items():
        if c < args.min_count or len(sources[phrase]) < args.min_sources:
            continue
        words = phrase.split(" ")
        if not end_ok(words[-1], lex.common, words[-2]):
            continue
        # the share of its uses that end here (not going on into a longer phrase)
        closed = 1.0 - sum(ext[phrase].values()) / c
        if closed < args.min_closed:
            continue
        conf = round(closed * min(1.0, len(sources[phrase]) / 6), 3)
        kept[phrase] = [HEADS[phrase.split(" ", 1)[0]], conf, c, len(sources[phrase])]
    print(f"kept {len(kept)} phrases", file=sys.stderr)
    top = sorted(kept.items(), key=lambda kv: -kv[1][2])
    for p, v in top[:60]:
        print(v, p)
    if args.write:
        with gzip.open(PHRASES_PATH, "wt", encoding="utf-8") as fh:
            json.dump(
                {
                    "about": "multi-word names led by a head noun, mined from SaudiNewsNet by bench/phrases_mine.py",
                    "fields": ["type", "confidence", "count", "newspapers"],
                    "phrases": kept,
                    "given_names": sorted(given),
                    "first_names": sorted(
                        w for w in per if len(w) >= 3 and not w.startswith("ال") and w.isalpha()
                    ),
                },
                fh,
                ensure_ascii=False,
                separators=(",", ":"),
            )
        print(f"wrote {PHRASES_PATH}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
