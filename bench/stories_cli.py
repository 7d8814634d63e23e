"""Bench: the dev protocol through the real pipeline and store, as two separate runs.

Day 2015-08-01 is run first, then 2015-08-02 in a second run (so the streaming state is saved in
the store and restored), stories only (no understanding); then `rasid eval stories` and
`rasid eval duplicates` score 08-02 against its labels. The shipped story models are fitted on both
days; `--models DIR` runs with models fitted on 08-01 only, for the held-out figure.

    .venv/bin/python bench/stories_dev.py --out /tmp/models-0801
    .venv/bin/python bench/stories_cli.py [--models /tmp/models-0801]
"""

from __future__ import annotations

import argparse
import io
import json
import tempfile
from pathlib import Path

from rasid.cli import main as cli
from rasid.eval.stories import write_saudinewsnet_jsonl
from rasid.ingest import Ingestor
from rasid.runner import build_runner
from rasid.settings import load_settings
from rasid.stages import default_stages
from rasid.store import open_store


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--shared", default=str(Path(__file__).resolve().parents[2] / "shared"))
    ap.add_argument(
        "--models",
        default="",
        help="story scorers to use (the `story_models` setting): for the held-out figure, the "
        "models fitted on 08-01 only (`bench/stories_dev.py --out DIR`); default the shipped "
        "ones, fitted on both days, so 08-02 is then scored in-sample",
    )
    args = ap.parse_args()
    shared = Path(args.shared)
    with tempfile.TemporaryDirectory() as tmp:
        db = str(Path(tmp) / "dev.db")
        settings = load_settings(env={}, db=db, story_models=args.models or None)
        for day in ("2015-08-01", "2015-08-02"):
            path = Path(tmp) / f"{day}.jsonl"
            write_saudinewsnet_jsonl([shared / "data" / "saudinewsnet" / f"{day}.zip"], path)
            with open_store(db) as store, Ingestor(settings) as reader:
                build_runner(
                    store,
                    settings,
                    reader,
                    stages=default_stages(settings, understand=False),
                    on_error=lambda e: None,
                    workers=1,
                ).run([str(path)])
        gold = str(shared / "data" / "saudinewsnet-events" / "dev-2015-08-02.jsonl")
        for what in ("stories", "duplicates"):
            out = io.StringIO()
            cli(["eval", what, "--db", db, "--gold", gold], out=out)
            print(what, json.dumps(json.loads(out.getvalue())))


if __name__ == "__main__":
    main()
