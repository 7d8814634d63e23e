#!/usr/bin/env bash
# Sets up what the tests need and runs the whole suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/setup-browser.sh
.venv/bin/ruff check src tests bench scripts
.venv/bin/ruff format --check src tests bench scripts
.venv/bin/mypy src
.venv/bin/python -m pytest -q -p no:cacheprovider "$@"
