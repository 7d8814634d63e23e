"""Bench: PostgreSQL full-text search over rasid's own matching form against PostgreSQL's `arabic` config.

Starts a throwaway PostgreSQL (tests/pg.py), stores SaudiNewsNet days with `PostgresStore` (its
tsvector: rasid's matching-form tokens and light stems as lexemes, the `simple` way: no dictionary),
adds a second tsvector, `to_tsvector('arabic', title || body)` (PostgreSQL's Snowball Arabic
stemmer over the display text), and asks both the same queries. For each query word it prints:

- hits of each configuration;
- `exact`: recall of the articles whose matching-form tokens contain the query's matching form
  (the articles a reader certainly wants: the word itself, whatever its diacritics, tatweel or
  hamza/alef/ya/ta-marbuta spelling);
- `variants`: of the query's spelling variants (hamza dropped, ta-marbuta as ha, final ya as alef
  maqsura, diacritics, tatweel), how many give the same hits as the plain query;
- a few tokens of articles only one configuration finds (what each adds).

    .venv/bin/python bench/pg_search_configs.py [--days 2015-07-21 2015-07-22]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))

from pg import cluster_for_script  # noqa: E402

from rasid.eval.stories import article_from_record, saudinewsnet_records  # noqa: E402
from rasid.store import open_store  # noqa: E402
from rasid.store.search import other_keys  # noqa: E402
from rasid.text.normalize import match_form, tokens  # noqa: E402

QUERIES = [
    "الأسبوع",
    "وزارة",
    "مكة",
    "مستشفى",
    "إيران",
    "الأمير",
    "محمد",
    "السعودية",
    "الرياض",
    "لبنان",
    "اجتماع",
    "المملكة",
    "الإرهاب",
    "روسيا",
    "النفط",
    "الطائرات",
]


def variants(word: str) -> list[str]:
    """Spellings a writer might use for `word`: hamza dropped, ta-marbuta as ha, final ya as alef
    maqsura (and back), with diacritics, with tatweel."""
    out = {word.replace("أ", "ا").replace("إ", "ا").replace("آ", "ا"), word.replace("ة", "ه")}
    if word.endswith("ى"):
        out.add(word[:-1] + "ي")
    if word.endswith("ي"):
        out.add(word[:-1] + "ى")
    out.add("".join(c + ("\u064e" if c not in "اوي" else "") for c in word))  # fatha on most letters
    mid = len(word) // 2
    out.add(word[:mid] + "\u0640\u0640" + word[mid:])
    out.discard(word)
    return sorted(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--days", nargs="+", default=["2015-07-21"])
    args = ap.parse_args()
    shared = REPO.parent / "shared" / "data" / "saudinewsnet"
    arts = [
        article_from_record(r)
        for d in args.days
        for r in saudinewsnet_records(shared / f"{d}.zip")
        if (r.get("content") or "").strip()
    ]
    with cluster_for_script() as cluster:
        url = cluster.create_database()
        with open_store(url) as store:
            t0 = time.perf_counter()
            store.add_articles(arts)
            t1 = time.perf_counter()
            conn = store._db()
            conn.execute("ALTER TABLE articles ADD COLUMN arabic tsvector")
            conn.execute("UPDATE articles SET arabic = to_tsvector('arabic', title || ' ' || clean_text)")
            conn.execute("CREATE INDEX articles_arabic ON articles USING gin (arabic)")
            t2 = time.perf_counter()
            n = store.count_articles()
            print(
                f"{n} articles of {' '.join(args.days)}; stored (rasid tsvector) in {t1 - t0:.1f} s, "
                f"arabic tsvector + index {t2 - t1:.1f} s (shared machine: noisy)"
            )
            size = conn.execute("SELECT pg_column_size(tsv), pg_column_size(arabic) FROM articles").fetchall()
            print(
                f"mean tsvector bytes: rasid {sum(r[0] for r in size) / n:.0f}, "
                f"arabic {sum(r[1] for r in size) / n:.0f}"
            )
            forms = {a.id: set(tokens(a.title + "\n" + a.text)) for a in store.iter_articles()}

            def arabic_hits(q: str) -> set[str]:
                rows = conn.execute(
                    "SELECT id FROM articles WHERE arabic @@ plainto_tsquery('arabic', %s)", (q,)
                ).fetchall()
                return {r[0] for r in rows}

            def rasid_hits(q: str) -> set[str]:
                return {str(h["id"]) for h in store.search(q, limit=100_000)}

            totals = {
                "rasid": [0, 0, 0, 0],
                "arabic": [0, 0, 0, 0],
            }  # exact found, exact all, same variants, variants
            print(
                f"\n{'query':<12} {'hits rasid':>10} {'hits arabic':>11} {'exact':>6} {'recall rasid':>12} "
                f"{'recall arabic':>13} {'variants rasid':>14} {'variants arabic':>15}"
            )
            for q in QUERIES:
                form = match_form(q)
                exact = {aid for aid, toks in forms.items() if form in toks}
                row = {}
                for name, hits_of in (("rasid", rasid_hits), ("arabic", arabic_hits)):
                    hits = hits_of(q)
                    same = sum(hits_of(v) == hits for v in variants(q))
                    t = totals[name]
                    t[0] += len(exact & hits)
                    t[1] += len(exact)
                    t[2] += same
                    t[3] += len(variants(q))
                    row[name] = (hits, len(exact & hits) / max(1, len(exact)), f"{same}/{len(variants(q))}")
                print(
                    f"{q:<12} {len(row['rasid'][0]):>10} {len(row['arabic'][0]):>11} {len(exact):>6} "
                    f"{row['rasid'][1]:>12.3f} {row['arabic'][1]:>13.3f} {row['rasid'][2]:>14} {row['arabic'][2]:>15}"
                )
                keys = {k for term in store._keys.query_terms(q) for k in term.keys}
                only = sorted(row["rasid"][0] - row["arabic"][0])
                if only:  # the tokens that matched: they share a key with the query
                    seen = sorted({t for aid in only for t in forms[aid] if keys & {t, *other_keys(t)}})
                    print(f"    only rasid ({len(only)}): matched {' '.join(seen[:8])}")
                only = sorted(row["arabic"][0] - row["rasid"][0])
                if only:  # the words PostgreSQL highlights
                    seen = set()
                    for aid in only[:40]:
                        text = conn.execute(
                            "SELECT ts_headline('arabic', title || ' ' || clean_text, plainto_tsquery('arabic', %s),"
                            " 'StartSel=<<, StopSel=>>, MaxFragments=3, MaxWords=5, MinWords=1')"
                            " FROM articles WHERE id = %s",
                            (q, aid),
                        ).fetchone()[0]
                        seen.update(w.split(">>")[0] for w in text.split("<<")[1:])
                    print(f"    only arabic ({len(only)}): matched {' '.join(sorted(seen)[:8])}")
            for name, t in totals.items():
                print(
                    f"{name}: exact-form recall {t[0] / max(1, t[1]):.3f} ({t[0]}/{t[1]}), "
                    f"spelling variants with the same hits {t[2]}/{t[3]}"
                )


if __name__ == "__main__":
    main()
