"""Bench: the web story list (`list_stories`) on PostgreSQL against SQLite, on the same stored stories.

Copies the articles and stories of a SQLite store (e.g. three days made by `rasid run`) into a
throwaway PostgreSQL (tests/pg.py, 127.0.0.1), then times `list_stories` on both stores for each
filter (none, a date range, the most common source, a language, an entity word prefix) and order
(rank, latest): the first page of 20, and the fifth page reached by keyset cursors. Prints the
median and 95th percentile in ms per query kind and store, checks that both stores give the same
pages, and times 4 threads listing at once on PostgreSQL (each on its own read connection).

    .venv/bin/python bench/pg_list_speed.py --db three.db [--repeat 30] [--only none source]

Only public store methods are used, so the same script times an older rasid (PYTHONPATH of another
checkout) where the PostgreSQL list was computed in Python. The machine is shared: the load average
is printed.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))

from pg import cluster_for_script  # noqa: E402

from rasid.store import open_store  # noqa: E402
from rasid.store.story_rows import StoryFilter  # noqa: E402


def _put(pg: object, stories: list) -> None:
    """Each story's header, then its analysis (the members came with the articles' `story`)."""
    pg.put_story_headers(stories)  # type: ignore[attr-defined]
    pg.put_story_analysis(stories)  # type: ignore[attr-defined]


def copy_store(lite: object, pg: object) -> tuple[int, int]:
    ids = [a.id for a in lite.iter_articles(order="added")]  # type: ignore[attr-defined]
    for i in range(0, len(ids), 500):
        pg.add_articles(lite.get_articles(ids[i : i + 500]))  # type: ignore[attr-defined]
    batch, n = [], 0
    for story in lite.iter_stories():  # type: ignore[attr-defined]
        batch.append(story)
        if len(batch) == 200:
            _put(pg, batch)
            n, batch = n + len(batch), []
    _put(pg, batch)
    return len(ids), n + len(batch)


def filters(lite: object) -> dict[str, StoryFilter]:
    """One filter of each kind, with values common in this store."""
    rows = lite.list_stories(limit=2000).rows  # type: ignore[attr-defined]
    sources: dict[str, int] = {}
    entities: dict[str, int] = {}
    days = sorted({r.last_day for r in rows if r.last_day})
    for r in rows:
        for s in r.sources:
            sources[s] = sources.get(s, 0) + 1
        for e in r.entities:
            word = e.split()[0] if e.split() else ""
            if len(word) >= 4:
                entities[word] = entities.get(word, 0) + 1
    source = max(sources, key=lambda k: sources[k])
    entity = max(entities, key=lambda k: entities[k])[:4]
    return {
        "none": StoryFilter(),
        "date": StoryFilter(date_from=days[len(days) // 2], date_to=days[-1]),
        "source": StoryFilter(source=source),
        "lang": StoryFilter(lang="ar"),
        "entity": StoryFilter(entity=entity),
    }


def timed(fn: object, repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()  # type: ignore[operator]
        out.append((time.perf_counter() - t0) * 1000)
    return out


def fifth_page(store: object, f: StoryFilter, order: str) -> object:
    cursor = None
    page = None
    for _ in range(5):
        page = store.list_stories(f, order=order, limit=20, cursor=cursor)  # type: ignore[attr-defined]
        cursor = page.next_cursor
        if cursor is None:
            break
    return page


def p95(xs: list[float]) -> float:
    return sorted(xs)[max(0, int(round(0.95 * len(xs))) - 1)]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", required=True, help="a SQLite store with stories")
    ap.add_argument("--repeat", type=int, default=30)
    ap.add_argument(
        "--only",
        nargs="+",
        choices=["none", "date", "source", "lang", "entity"],
        help="these filters only (an older, slower rasid)",
    )
    args = ap.parse_args()
    lite = open_store(args.db, create=False)
    fs = {k: v for k, v in filters(lite).items() if not args.only or k in args.only}
    with cluster_for_script() as cluster:
        pg = open_store(cluster.create_database())
        t0 = time.perf_counter()
        n_art, n_sto = copy_store(lite, pg)
        print(
            f"{n_art} articles, {n_sto} stories copied to PostgreSQL in {time.perf_counter() - t0:.0f} s; "
            f"load {os.getloadavg()[0]:.1f}"
        )
        print(f"{'query':<22} {'SQLite med / p95 ms':>20} {'PostgreSQL med / p95 ms':>24} {'rows':>6} same")
        for name, f in fs.items():
            for order in ("rank", "latest"):
                for kind, call in (
                    ("page 1", lambda s, f=f, o=order: s.list_stories(f, order=o, limit=20)),
                    ("page 5", lambda s, f=f, o=order: fifth_page(s, f, o)),
                ):
                    want, got = call(lite), call(pg)
                    same = want == got
                    a = timed(lambda c=call: c(lite), args.repeat)
                    b = timed(lambda c=call: c(pg), args.repeat)
                    print(
                        f"{name + ' ' + order + ' ' + kind:<22} {statistics.median(a):>9.1f} / {p95(a):<8.1f} "
                        f"{statistics.median(b):>12.1f} / {p95(b):<9.1f} {want.total:>6} {same}",
                        flush=True,
                    )
        # four threads at once on PostgreSQL: each reads on its own connection
        per = max(1, args.repeat)
        times: list[float] = []
        lock = threading.Lock()

        def worker() -> None:
            mine = timed(lambda: pg.list_stories(next(iter(fs.values())), order="rank", limit=20), per)
            with lock:
                times.extend(mine)

        t0 = time.perf_counter()
        threads = [threading.Thread(target=worker) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wall = time.perf_counter() - t0
        readers = getattr(pg, "readers", "n/a")
        print(
            f"4 threads x {per} first pages ({next(iter(fs))} filter) on PostgreSQL: {len(times) / wall:.0f} pages/s, "
            f"median {statistics.median(times):.1f} ms, p95 {p95(times):.1f} ms; read connections {readers}; "
            f"load {os.getloadavg()[0]:.1f}"
        )
        pg.close()
    lite.close()


if __name__ == "__main__":
    main()
