"""Bench: legacy Arabic code pages guessed by `decode_text` (ISO-8859-6, Windows-1256).

Every SaudiNewsNet article of one day (title, then content) is encoded in each code page
(characters the page lacks replaced by '?') and decoded by `rasid.ingest.common.decode_text` with no
declared charset: counted right when the text comes back exactly. Titles alone (short: the hard
case) are measured the same way. Text in other single-byte code pages (Hebrew, Latin, Cyrillic, Greek)
must be refused, not misread as Arabic.

    .venv/bin/python bench/legacy_encodings.py [--day 2015-08-01]
"""

from __future__ import annotations

import argparse
from pathlib import Path

from rasid.eval.stories import saudinewsnet_records
from rasid.ingest.common import Refused, decode_text

OTHERS = {
    "cp1255": "הנשיא ביקר היום בעיר ונפגש עם ראש העירייה ותושבי השכונה",
    "latin-1": "Le président a visité la région touchée par les inondations, très émue.",
    "cp1251": "Президент посетил регион, пострадавший от наводнения, и встретился с жителями.",
    "cp1253": "Ο πρόεδρος επισκέφθηκε την περιοχή που επλήγη από τις πλημμύρες.",
}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--shared", default=str(Path(__file__).resolve().parents[2] / "shared"))
    ap.add_argument("--day", default="2015-08-01")
    args = ap.parse_args()
    recs = saudinewsnet_records(Path(args.shared) / "data" / "saudinewsnet" / f"{args.day}.zip")
    for what, texts in (
        ("articles", [f"{r['title']}\n{r['content']}" for r in recs if r["content"].strip()]),
        ("titles", [r["title"].strip() for r in recs if r["title"].strip()]),
    ):
        for codec in ("cp1256", "iso8859-6"):
            right = refused = wrong = 0
            for text in texts:
                want = text.encode(codec, errors="replace")
                try:
                    got = decode_text(want)
                except Refused:
                    refused += 1
                    continue
                if got == want.decode(codec):
                    right += 1
                else:
                    wrong += 1
            print(
                f"{what:8} {codec:10} {len(texts):5}: right {right} ({right / len(texts):.4f}), "
                f"misread {wrong}, refused {refused}"
            )
    for codec, text in OTHERS.items():
        try:
            decode_text(text.encode(codec))
            print(f"{codec}: misread as Arabic")
        except Refused as exc:
            print(f"{codec}: refused ({exc.reason})")


if __name__ == "__main__":
    main()
