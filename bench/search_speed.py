"""Store speed on SaudiNewsNet: bulk insert rate, re-insert (dedup) rate, full scan and search latency.

Articles are built straight from the zips (paragraphs = non-empty lines of `content`, a naive
sentence split, content_hash = sha256 of source + url + content), so this measures the store only.
Wall time is reported beside CPU time of this process: on a shared machine wall time moves with
the load, CPU time much less.

    .venv/bin/python bench/search_speed.py                 # all 31k articles, batches of 500
    .venv/bin/python bench/search_speed.py --max 3000      # a quick run
"""

from __future__ import annotations

import argparse
import glob
import hashlib
import json
import os
import re
import sqlite3
import statistics
import tempfile
import time
import zipfile
from pathlib import Path

from rasid.model import Article, Paragraph
from rasid.store import open_store
from rasid.store.search import other_keys
from rasid.text.normalize import match_form

DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "saudinewsnet"
_SENT = re.compile(r"(?<=[.!?؟])\s+")

# Queries from very common to rare, single and multi-word, with and without diacritics or hamza.
QUERIES = [
    "السعودية",
    "الرياض",
    "في",
    "الاسبوع",
    "روسيا",
    "اليمن",
    "محمد بن سلمان",
    "مُحَمَّد",
    "وزارة الصحة",
    "كورونا",
    "الحوثيين",
    "كأس العالم",
    "أسعار النفط",
    "هيئة الأمر بالمعروف",
    "داعش الإرهابي",
    "٢٠١٥",
]


def load_articles(limit: int | None) -> list[Article]:
    arts: list[Article] = []
    for path in sorted(glob.glob(str(DATA / "*.zip"))):
        with zipfile.ZipFile(path) as zf:
            records = json.loads(zf.read(zf.namelist()[0]))
        for rec in records:
            content = rec.get("content") or ""
            lines = [ln.strip() for ln in content.splitlines() if ln.strip()]
            if not lines:
                continue
            digest = hashlib.sha256(
                f"{rec.get('source') or ''}{rec.get('url') or ''}{content}".encode()
            ).hexdigest()
            arts.append(
                Article(
                    id=rec.get("url") or digest,
                    origin=f"{Path(path).name}",
                    raw_text=content,
                    content_hash=digest,
                    title=rec.get("title") or "",
                    url=rec.get("url"),
                    source=rec.get("source"),
                    published=(rec.get("date_extracted") or "").replace(" ", "T") or None,
                    author=rec.get("author"),
                    paragraphs=[Paragraph(ln, "ar", [s for s in _SENT.split(ln) if s]) for ln in lines],
                )
            )
            if limit and len(arts) >= limit:
                return arts
    return arts


def timed(fn):  # type: ignore[no-untyped-def]
    w0, c0 = time.perf_counter(), time.process_time()
    out = fn()
    return out, time.perf_counter() - w0, time.process_time() - c0


# Words whose other forms in the corpus show what stem keys add (and what noise they let in).
KEY_WORDS = ["روسيا", "لبنان", "مصر", "الحوثيين", "وزارة"]


def key_report(db: str) -> None:
    """For a few words: articles found by the form itself vs by any key, and the forms keys add."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    conn.execute("CREATE VIRTUAL TABLE temp.vocab USING fts5vocab(main, articles_fts, col)")
    vocab = conn.execute(
        "SELECT term, doc FROM temp.vocab WHERE col IN ('title_exact', 'body_exact')"
    ).fetchall()
    docs: dict[str, int] = {}
    for term, n in vocab:
        docs[term] = max(docs.get(term, 0), n)
    print(f"\nstem keys over {len(docs)} distinct matching-form tokens")
    print(f"{'word':<10} {'exact':>6} {'any key':>8}  forms found only through keys (articles)")
    for word in KEY_WORDS:
        form = match_form(word)
        keys = {form, *other_keys(form)}
        exact = conn.execute(
            "SELECT count(*) FROM articles_fts WHERE articles_fts MATCH ?",
            ("{title_exact body_exact} : " + f'"{form}"',),
        ).fetchone()[0]
        query = " OR ".join(f'"{k}"' for k in keys)
        anyk = conn.execute(
            "SELECT count(*) FROM articles_fts WHERE articles_fts MATCH ?", (query,)
        ).fetchone()[0]
        forms = [(t, n) for t, n in docs.items() if t != form and keys & {t, *other_keys(t)}]
        forms.sort(key=lambda x: -x[1])
        shown = ", ".join(f"{t} ({n})" for t, n in forms[:8])
        print(f"{word:<10} {exact:>6} {anyk:>8}  {len(forms)} forms: {shown}")
    conn.close()


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--max", type=int, default=None, help="articles to load (default: all)")
    ap.add_argument("--batch", type=int, default=500)
    ap.add_argument("--db", default=None, help="database file (default: a temporary one, removed after)")
    ap.add_argument("--repeat", type=int, default=5, help="runs per query")
    ap.add_argument("--keys-only", action="store_true", help="only the stem-key report on an existing --db")
    args = ap.parse_args(argv)
    if args.keys_only:
        key_report(args.db)
        return

    arts, wall, _ = timed(lambda: load_articles(args.max))
    n_chars = sum(len(a.raw_text) for a in arts)
    print(f"loaded {len(arts)} articles ({n_chars / len(arts):.0f} chars mean) in {wall:.1f}s")

    tmp = None
    if args.db is None:
        tmp = tempfile.TemporaryDirectory()
        db = os.path.join(tmp.name, "bench.db")
    else:
        db = args.db
    store = open_store(db)
    added = 0
    total_wall = total_cpu = 0.0
    for i in range(0, len(arts), args.batch):
        ids, wall, cpu = timed(lambda i=i: store.add_articles(arts[i : i + args.batch]))
        added += len(ids)
        total_wall += wall
        total_cpu += cpu
    size = sum(os.path.getsize(p) for p in glob.glob(db + "*"))
    print(
        f"insert: {added} added in {total_wall:.1f}s wall / {total_cpu:.1f}s CPU = "
        f"{added / total_wall:.0f} articles/s wall, {added / total_cpu:.0f} articles/s CPU "
        f"(batches of {args.batch}); db + wal {size / 2**20:.0f} MiB"
    )
    again = 0
    re_wall = re_cpu = 0.0
    for i in range(0, len(arts), args.batch):
        ids, wall, cpu = timed(lambda i=i: store.add_articles(arts[i : i + args.batch]))
        again += len(ids)
        re_wall += wall
        re_cpu += cpu
    print(
        f"re-insert: {again} added, {len(arts) / re_wall:.0f} articles/s wall ({len(arts) / re_cpu:.0f} CPU)"
    )
    n_iter, wall, cpu = timed(lambda: sum(1 for _ in store.iter_articles()))
    print(f"iter_articles: {n_iter} full articles in {wall:.1f}s wall / {cpu:.1f}s CPU")

    store.close()
    store = open_store(db)  # a fresh process-like start: cold stem cache, as `rasid search` has
    print(f"\nsearch on {store.count_articles()} articles, limit 20, {args.repeat} runs each (ms wall / CPU)")
    print(f"{'query':<22} {'hits':>5} {'first':>7} {'median':>7} {'CPU':>6}")
    medians = []
    for query in QUERIES:
        walls, cpus = [], []
        hits: list = []
        for _ in range(args.repeat):
            hits, wall, cpu = timed(lambda q=query: store.search(q, limit=20))
            walls.append(wall * 1000)
            cpus.append(cpu * 1000)
        n_all = len(store.search(query, limit=100_000))
        med = statistics.median(walls)
        medians.append(med)
        print(f"{query:<22} {n_all:>5} {walls[0]:>7.1f} {med:>7.1f} {statistics.median(cpus):>6.1f}")
    print(f"median of medians {statistics.median(medians):.1f} ms, worst median {max(medians):.1f} ms")
    store.close()
    key_report(db)
    if tmp is not None:
        tmp.cleanup()


if __name__ == "__main__":
    main()
