"""Shared fixtures: paths into ../shared, which CI places beside the clone."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rasid.store import SQLiteStore
from rasid.store.postgres import PostgresStore

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"
SEEDS = SHARED / "seeds"


@pytest.fixture(scope="session")
def shared() -> Path:
    if not SHARED.is_dir():
        pytest.fail(f"{SHARED} is missing: the tests read real text from ../shared")
    return SHARED


@pytest.fixture(scope="session")
def gold() -> dict:
    return json.loads((SEEDS / "gold.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def seed_texts(gold) -> dict[str, str]:
    """Seed id -> file content."""
    return {d["id"]: (SEEDS / d["file"]).read_text(encoding="utf-8") for d in gold["documents"]}


@pytest.fixture()
def seeds_jsonl(tmp_path, gold, seed_texts) -> Path:
    """The five seeds as a feed would give them: one JSON line each, with their dates."""
    from rasid.evaluate import write_seed_feed

    return write_seed_feed(SEEDS, gold, tmp_path / "seeds.jsonl")


# The throwaway PostgreSQL cluster (tests/pg.py): `pg_cluster` per session, `pg_url` a fresh database.
from pg import pg_cluster, pg_url  # noqa: E402, F401


@pytest.fixture(params=["sqlite", "postgres"])
def any_store(request, tmp_path: Path):  # noqa: ANN001, ANN201
    """A fresh store on each backend (PostgreSQL skipped only when its binaries or psycopg are missing)."""
    if request.param == "sqlite":
        store = SQLiteStore(tmp_path / "s.db")
    else:
        store = PostgresStore(request.getfixturevalue("pg_url"))
    try:
        yield store
    finally:
        store.close()
