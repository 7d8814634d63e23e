"""Bench: how the story stage's saved state grows with the archive (what one `rasid run` loads and saves).

Streams SaudiNewsNet days one `rasid run` (stories stage only) per day into one SQLite store, as a
daily update would, and after each day prints: articles and stories stored, the deduper's and the
clusterer's state blobs (bytes), and the seconds to load (`from_bytes`) and save (`to_bytes`) each.
Every run loads both states whole before its first article and saves them whole after its last, so
their cost per run grows with the archive, whatever the size of the run's batch. The per-article
growth measured here is what docs/SCALE.md extrapolates to 300k and 3M stored.

    .venv/bin/python bench/scale_state.py [--days 2015-07-21 2015-07-22 2015-07-23]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from rasid.eval.stories import write_saudinewsnet_jsonl
from rasid.ingest import Ingestor
from rasid.runner import build_runner
from rasid.settings import load_settings
from rasid.stages import default_stages
from rasid.store import open_store

REPO = Path(__file__).resolve().parent.parent


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--days", nargs="+", default=["2015-07-21", "2015-07-22", "2015-07-23"])
    args = ap.parse_args()
    from rasid.cluster import StoryClusterer
    from rasid.dedup import Deduper

    shared = REPO.parent / "shared" / "data" / "saudinewsnet"
    settings = load_settings(workers=1)
    with tempfile.TemporaryDirectory(prefix="rasid-scale-") as tmp:
        db = str(Path(tmp) / "s.db")
        print(
            f"{'day':<11} {'articles':>8} {'stories':>7} {'dedup MB':>8} {'cluster MB':>10} "
            f"{'load s':>6} {'save s':>6} {'run s':>6}"
        )
        for day in args.days:
            feed = Path(tmp) / f"{day}.jsonl"
            write_saudinewsnet_jsonl([shared / f"{day}.zip"], feed)
            t0 = time.perf_counter()
            with open_store(db) as store, Ingestor(settings) as reader:
                build_runner(store, settings, reader, stages=default_stages(settings, understand=False)).run(
                    [str(feed)]
                )
            run_s = time.perf_counter() - t0
            with open_store(db) as store:
                dblob, cblob = store.get_blob("state:dedup") or b"", store.get_blob("state:clusterer") or b""
                t1 = time.perf_counter()
                dedup, clusterer = Deduper.from_bytes(dblob), StoryClusterer.from_bytes(cblob)
                t2 = time.perf_counter()
                dedup.to_bytes()
                clusterer.to_bytes()
                t3 = time.perf_counter()
                print(
                    f"{day:<11} {store.count_articles():>8} {store.count_stories():>7} {len(dblob) / 1e6:>8.2f} "
                    f"{len(cblob) / 1e6:>10.2f} {t2 - t1:>6.2f} {t3 - t2:>6.2f} {run_s:>6.1f}",
                    flush=True,
                )


if __name__ == "__main__":
    main()
