"""Bench: the stories stage gives the same store placing a feed in one piece or in chunks.

Runs `rasid run` (stories stage only) twice over INPUT into two new stores: once with the whole feed
in one transaction, once `--chunk` articles at a time (`LocalRunner.stories_chunk`, the default
since the stages lock was split), and compares every article's story and duplicate head, every
story's member list and header.

    PYTHONPATH=src .venv/bin/python bench/stages_chunks_same.py 2015-08-01-first-400.jsonl --chunk 100
"""

from __future__ import annotations

import argparse
import sqlite3
import tempfile
from pathlib import Path

from rasid.ingest import Ingestor
from rasid.runner import build_runner
from rasid.settings import Settings
from rasid.stages import StoriesStage
from rasid.store import open_store


def _run(db: str, source: str, chunk: int) -> tuple[list, list, list]:
    settings = Settings(db=db)
    with open_store(db) as store:
        runner = build_runner(store, settings, Ingestor(settings), stages=[StoriesStage(settings)], workers=1)
        runner.stories_chunk = chunk  # type: ignore[attr-defined]
        runner.run([source])
    conn = sqlite3.connect(db)
    try:
        return (
            conn.execute("SELECT id, story, duplicate_of FROM articles ORDER BY id").fetchall(),
            conn.execute(
                "SELECT story, id FROM articles WHERE story IS NOT NULL"
                " ORDER BY story, published IS NULL, published, seq"
            ).fetchall(),
            conn.execute(
                "SELECT id, title, first_seen, last_seen, sources FROM stories ORDER BY id"
            ).fetchall(),
        )
    finally:
        conn.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("input", help="JSONL records")
    ap.add_argument("--chunk", type=int, default=100)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="rasid-chunks-") as tmp:
        whole = _run(str(Path(tmp) / "whole.db"), args.input, 10**9)
        parts = _run(str(Path(tmp) / "parts.db"), args.input, args.chunk)
    print(
        f"{len(whole[0])} articles, {len(whole[2])} stories; same assignments: {whole[0] == parts[0]}, "
        f"same member lists: {whole[1] == parts[1]}, same headers: {whole[2] == parts[2]}"
    )


if __name__ == "__main__":
    main()
