"""Persistence behind small interfaces, one per concern (`protocols.py`); SQLite is the embedded
default.

`open_store(target)` picks the backend from the target string: a file path or `sqlite:///path`
gives a `SQLiteStore`; `postgresql://user@host:port/dbname` gives a `PostgresStore` (psycopg 3, the
`postgres` extra).
Every backend raises `StoreError` (and `SchemaVersionError` for a database from a newer rasid).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .errors import SchemaVersionError, StoreError, StoreMissingError
from .sqlite import MIGRATIONS, SCHEMA_VERSION, Migration, SQLiteStore

if TYPE_CHECKING:
    from .postgres import PostgresStore
    from .protocols import Store

    def _implements(sqlite: SQLiteStore, postgres: PostgresStore) -> tuple[Store, Store]:
        """Never called: mypy checks here that both backends implement every store interface
        (`protocols.Store` is all of them)."""
        return sqlite, postgres


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


def open_store(target: str, create: bool = True) -> SQLiteStore | PostgresStore:
    """Open (creating or upgrading if needed) the store named by `target`. With `create` False a
    missing store is a StoreError, not a new empty one (for commands that only read); a PostgreSQL
    database must exist in any case (rasid creates its tables, never the database)."""
    target = str(target).strip()
    if not target:
        raise StoreError("no database given: pass a SQLite file path such as rasid.db")
    lowered = target.lower()
    if lowered.startswith(_POSTGRES_SCHEMES):
        from .postgres import PostgresStore

        # "postgresql+psycopg://" (SQLAlchemy's spelling) names the same server
        url = "postgresql://" + target.split("://", 1)[1] if lowered.startswith("postgresql+") else target
        return PostgresStore(url)
    if "://" in target and not lowered.startswith("sqlite://"):
        scheme = target.split("://", 1)[0]
        raise StoreError(
            f"{target}: unknown database scheme {scheme!r}; use a SQLite path or a postgresql:// URL"
        )
    return SQLiteStore(sqlite_path(target), create=create)
