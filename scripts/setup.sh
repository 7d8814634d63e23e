#!/usr/bin/env bash
# Creates .venv/ in the repository root and installs rasid with every extra the README uses.
# Idempotent: a second run only checks that everything is installed.
set -euo pipefail
cd "$(dirname "$0")/.."
# PostgreSQL's server programs (Debian's package), for the PostgreSQL store and its tests, which
# start a throwaway server of their own (tests/pg.py); skipped when already installed.
if ! command -v initdb >/dev/null 2>&1 && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then SUDO=""; elif command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else SUDO="-"; fi
  if [ "$SUDO" = "-" ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "setup: PostgreSQL is not installed and cannot be installed here (apt-get install postgresql);" \
      "its tests will be skipped" >&2
  else
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq postgresql >/dev/null
  fi
fi
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
.venv/bin/python -m pip install -q --disable-pip-version-check --upgrade pip >/dev/null
.venv/bin/python -m pip install -q --disable-pip-version-check -e ".[web,postgres,dask,dev]"
