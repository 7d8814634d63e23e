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
echo "stories exported to build/seeds-stories.jsonl; articles: .venv/bin/rasid export --db $DB --what articles"
