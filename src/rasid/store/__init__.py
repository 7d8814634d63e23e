"""Persistence behind one interface; SQLite is the embedded default.

`open_store(target)` picks the backend from the target string: a file path or `sqlite:///path`
gives a `SQLiteStore`; `postgresql://...` is reserved for the PostgreSQL backend (not built yet).
Every backend raises `StoreError` (and `SchemaVersionError` for a database from a newer rasid).
"""

from __future__ import annotations

from .errors import SchemaVersionError, StoreError, StoreMissingError
from .sqlite import MIGRATIONS, SCHEMA_VERSION, Migration, SQLiteStore

__all__ = [
    "MIGRATIONS",
    "SCHEMA_VERSION",
    "Migration",
    "SQLiteStore",
    "SchemaVersionError",
    "StoreError",
    "StoreMissingError",
    "open_store",
    "sqlite_path",
]

_POSTGRES_SCHEMES = ("postgresql://", "postgres://", "postgresql+")


def sqlite_path(target: str) -> str:
    """The SQLite file path named by `target` ("path.db", "sqlite:///rel.db", "sqlite:////abs.db").

    `sqlite://` with no path, or `:memory:`, is an in-memory database (handy in tests).
    """
    if target.startswith("sqlite://"):
        rest = target[len("sqlite://") :]
        if rest in ("", "/", "/:memory:"):
            return ":memory:"
        if not rest.startswith("/"):
            raise StoreError(
                f"{target}: a SQLite URL is sqlite:///relative/path.db or sqlite:////absolute/path.db"
            )
        return rest[1:]
    return target


def open_store(target: str, create: bool = True) -> SQLiteStore:
    """Open (creating or upgrading if needed) the store named by `target`. With `create` False a
    missing store is a StoreError, not a new empty one (for commands that only read)."""
    target = str(target).strip()
    if not target:
        raise StoreError("no database given: pass a SQLite file path such as rasid.db")
    lowered = target.lower()
    if lowered.startswith(_POSTGRES_SCHEMES):
        raise StoreError("PostgreSQL backend not available yet; use a SQLite path")
    if "://" in target and not lowered.startswith("sqlite://"):
        scheme = target.split("://", 1)[0]
        raise StoreError(f"{target}: unknown database scheme {scheme!r}; use a SQLite path")
    return SQLiteStore(sqlite_path(target), create=create)
