#!/usr/bin/env bash
# Sets everything up and runs the main job on the seed story with the embedded default store.
# Safe to run twice: the second run adds nothing and prints the same story.
set -euo pipefail
cd "$(dirname "$0")/.."
SHARED=${RASID_SHARED:-../shared}
bash scripts/setup.sh
mkdir -p build
DB=build/seeds.db
.venv/bin/rasid run --db "$DB" "$SHARED"/seeds/*.txt
.venv/bin/rasid export --db "$DB" --what stories > build/seeds-stories.jsonl
# The largest story, as a reader would see it (markdown on the terminal, HTML beside it).
STORY=$(.venv/bin/python -c 'import json,sys; s=[json.loads(l) for l in open(sys.argv[1])]; print(max(s, key=lambda x: len(x["articles"]))["id"])' build/seeds-stories.jsonl)
.venv/bin/rasid story --db "$DB" "$STORY" --format md
.venv/bin/rasid story --db "$DB" "$STORY" --format html > build/seeds-story.html
echo
echo "stories: build/seeds-stories.jsonl; the story as a web page: build/seeds-story.html"
echo "articles: .venv/bin/rasid export --db $DB --what articles; web UI: .venv/bin/rasid serve --db $DB"
