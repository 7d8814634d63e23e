"""The PostgreSQL store: the same methods as `SQLiteStore`, for many writers and larger archives.

`open_store("postgresql://user@host:port/dbname")` opens it (psycopg 3). The schema and its
migrations are in `postgres_schema.py`, full-text search in `postgres_search.py`; what it shares
with SQLite (article reads, stories and the SQL story list, vectors, annotations, blobs) is written
once in `sqlbase.py` and `sqlstories.py` over this module's primitives (`_select`, `_select_in`,
`_write`), whose shared SQL (`?`, `IN ({in_})`) is run here as `%s` and `= ANY(%s)`.

Many writers at once: articles are unique by id and by content hash (`ON CONFLICT DO NOTHING`,
each batch in one transaction, retried on a deadlock between two batches), so concurrent runs over
overlapping inputs store each article once. `exclusive(name)` holds a session advisory lock on a
connection of its own: the runner holds it around the story stages (the clusterer's state is loaded,
advanced and saved whole), so two `rasid run` processes take turns there.

Connections: writes, and reads on the thread that opened the store (or inside its `atomic()` block),
use the store's main connection under its lock; every other thread (the web server's workers) reads
on a connection of its own in autocommit mode, opened on its first read, up to `max_readers`
(then it shares the main one), all closed with the store. So reads neither queue behind each other
nor behind a write, and see only committed rows, as SQLite's read-only connections do.
"""

from __future__ import annotations

import hashlib
import random
import re
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from typing import Any, TypeVar

from ..model import Article
from .errors import StoreError
from .postgres_schema import PG_MIGRATIONS, PG_SCHEMA_VERSION, PgMigration, migrate
from .postgres_search import PgSearch, tsquery_text, tsvector_text
from .records import ARTICLE_INSERT_COLS, ChildRows, article_values, fresh_articles
from .search import SearchKeys
from .sqlbase import AtomicBlock, Writer, now

__all__ = [
    "PG_MIGRATIONS",
    "PG_SCHEMA_VERSION",
    "PgMigration",
    "PostgresStore",
    "lock_key",
    "migrate",
    "safe_url",
    "tsquery_text",
    "tsvector_text",
]

T = TypeVar("T")

_CHUNK = 5000  # values per `= ANY(%s)` array
_RETRIES = 10  # attempts of a write transaction that lost a deadlock or a serialization race
_PASSWORD = re.compile(r"(://[^:/@]*:)[^@]*@")


def safe_url(url: str) -> str:
    """`url` with any password masked, for messages."""
    return _PASSWORD.sub(r"\1***@", url)


def lock_key(name: str) -> int:
    """A signed 64-bit advisory lock key for `name`."""
    return int.from_bytes(hashlib.blake2b(name.encode("utf-8"), digest_size=8).digest(), "big", signed=True)


def pg_sql(sql: str) -> str:
    """The shared SQL form (`?`, `IN ({in_})`, sqlbase.py) as psycopg runs it."""
    return sql.replace("%", "%%").replace("IN ({in_})", "= ANY(?)").replace("?", "%s")


def _driver() -> Any:
    """psycopg; without it the ImportError goes up, and the command line names the extra to install
    (`rasid[postgres]`, extras.py)."""
    import psycopg

    return psycopg


def _chunks(values: Sequence[T], size: int = _CHUNK) -> Iterator[list[T]]:
    for i in range(0, len(values), size):
        yield list(values[i : i + size])


class _PgWriter:
    """`sqlbase.Writer` over a psycopg connection in a transaction."""

    __slots__ = ("conn",)

    def __init__(self, conn: Any) -> None:
        self.conn = conn

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        return int(self.conn.execute(pg_sql(sql), params).rowcount)

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        if rows:
            with self.conn.cursor() as cur:
                cur.executemany(pg_sql(sql), rows)

    def execute_in(self, sql: str, values: Sequence[Any], extra: Sequence[Any] = ()) -> None:
        for chunk in _chunks(list(values)):
            self.conn.execute(pg_sql(sql), [*extra, chunk])

    def fetch_in(self, sql: str, values: Sequence[Any], extra: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        rows: list[tuple[Any, ...]] = []
        for chunk in _chunks(list(values)):
            rows.extend(self.conn.execute(pg_sql(sql), [*extra, chunk]).fetchall())
        return rows

    def insert_rows(self, target: str, rows: Sequence[Sequence[Any]]) -> None:
        """Bulk-insert with COPY."""
        if not rows:
            return
        with self.conn.cursor() as cur, cur.copy(f"COPY {target} FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)


class PostgresStore(PgSearch):
    """Articles, stories, vectors and blobs in one PostgreSQL database; implements `pipeline.Store`."""

    readonly = False  # a PostgreSQL role's rights are the server's business: writes fail one by one
    _CHUNK = _CHUNK
    _SORT_WRITES = True
    _JSON_IN = "?::jsonb"
    _JSON_OUT = "{}::text"

    def __init__(self, url: str, *, connect_timeout: int = 10, max_readers: int = 16) -> None:
        self.url = url
        self.path = safe_url(url)  # what messages (and `rasid run`'s summary) name
        self._psycopg = _driver()
        self._lock = threading.RLock()
        self._atomic: AtomicBlock | None = None
        self._atomic_lock = threading.Lock()
        self._keys = SearchKeys()
        self._connect_timeout = connect_timeout
        self._owner = threading.get_ident()
        self._local = threading.local()  # this thread's read connection
        self._readers: list[Any] = []
        self._readers_lock = threading.Lock()
        self._max_readers = max_readers
        self._conn: Any = self._connect()
        try:
            encoding = self._conn.execute("SHOW server_encoding").fetchone()[0]
            if str(encoding).upper() not in {"UTF8", "UTF-8"}:
                raise StoreError(f"{self.path}: the database encoding is {encoding}; rasid needs UTF8")
            migrate(self._conn, PG_MIGRATIONS, self.path)
            self._summarize_old_stories()
        except StoreError:
            self._conn.close()
            raise
        except self._psycopg.Error as exc:
            self._conn.close()
            raise StoreError(f"{self.path}: not a usable rasid database: {_reason(exc)}") from exc

    def _connect(self) -> Any:
        try:
            return self._psycopg.connect(self.url, autocommit=True, connect_timeout=self._connect_timeout)
        except self._psycopg.Error as exc:
            raise StoreError(f"{self.path}: cannot connect: {_reason(exc)}") from exc

    # -- plumbing -------------------------------------------------------------------------------

    def close(self) -> None:
        with self._lock:
            if self._conn is None:
                return
            with self._readers_lock:
                readers, self._readers = self._readers, []
            for conn in (*readers, self._conn):
                with suppress(Exception):
                    conn.close()
            self._conn = None

    def reader(self) -> PostgresStore:
        """This store: it reads on a connection of its own per thread already (`_reader`)."""
        return self

    def data_version(self) -> int | None:
        """None: PostgreSQL has no cheap count of commits, so the web serves this store uncached."""
        return None

    @property
    def schema_version(self) -> int:
        return int(self._select("SELECT version FROM rasid_schema")[0][0])

    @property
    def readers(self) -> int:
        """Read connections open besides the main one (one per reading thread)."""
        with self._readers_lock:
            return len(self._readers)

    def _db(self) -> Any:
        if self._conn is None:
            raise StoreError(f"{self.path}: store is closed")
        return self._conn

    def _write(self, work: Callable[[Writer], T]) -> T:
        """Run `work(conn)` in one transaction under the store lock; retried when PostgreSQL
        aborts it to break a deadlock with another writer (two batches sharing articles). Inside
        `atomic()` (on the thread that opened it) it runs in the block's transaction instead."""
        block = self._my_block()
        if block is not None:
            if block.handle is None:
                self._lock.acquire()
                try:
                    tx = self._db().transaction()
                    tx.__enter__()
                except BaseException:
                    self._lock.release()
                    raise
                block.handle = tx
            with self._db().transaction():  # a savepoint: a failed write leaves the block usable
                return work(_PgWriter(self._db()))
        errors = self._psycopg.errors
        for attempt in range(_RETRIES):
            with self._lock:
                conn = self._db()
                try:
                    with conn.transaction():
                        return work(_PgWriter(conn))
                except (errors.DeadlockDetected, errors.SerializationFailure):
                    if attempt == _RETRIES - 1:
                        raise
                except self._psycopg.OperationalError as exc:
                    raise StoreError(f"{self.path}: {_reason(exc)}") from exc
            time.sleep(random.uniform(0.01, 0.05) * (attempt + 1))  # jittered: the two do not meet again
        raise AssertionError("unreachable")

    def _reader(self) -> Any:
        """This thread's read connection, or None where reads use the main connection: on the
        thread that opened the store, inside this thread's `atomic()` block (it must see its own
        writes), and once `max_readers` threads have one."""
        if threading.get_ident() == self._owner or self._my_block() is not None:
            return None
        conn = getattr(self._local, "conn", None)
        if conn is None or conn.closed:
            with self._readers_lock:  # not the store lock: a write may hold that for long
                self._db()
                if len(self._readers) >= self._max_readers:
                    return None
                conn = self._connect()
                self._readers.append(conn)
            self._local.conn = conn
        return conn

    def _select(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        sql = pg_sql(sql)
        try:
            reader = self._reader()
            if reader is not None:
                return reader.execute(sql, params).fetchall()
            with self._lock:
                return self._db().execute(sql, params).fetchall()
        except self._psycopg.OperationalError as exc:
            raise StoreError(f"{self.path}: {_reason(exc)}") from exc

    def _select_in(self, sql: str, values: Sequence[Any], extra: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Run `sql` (its `IN ({in_})` list last) over `values` in chunks, each one array."""
        rows: list[tuple[Any, ...]] = []
        for chunk in _chunks(list(values)):
            rows.extend(self._select(sql, [*extra, chunk]))
        return rows

    def _end_atomic(self, block: AtomicBlock, exc: BaseException | None) -> None:
        if block.handle is None:
            return
        tx, block.handle = block.handle, None
        try:
            tx.__exit__(type(exc) if exc is not None else None, exc, None)  # commit, or roll back
        finally:
            self._lock.release()

    @contextmanager
    def exclusive(self, name: str, wait: bool = True) -> Iterator[bool]:
        """Hold the advisory lock `name` (on a connection of its own) for the duration: another
        process asking for the same name waits (with `wait` False the block gets False at once
        instead). The lock ends with its connection, so a process that dies holding it frees it."""
        conn = self._connect()
        try:
            if wait:
                conn.execute("SELECT pg_advisory_lock(%s)", (lock_key(name),))
            elif not conn.execute("SELECT pg_try_advisory_lock(%s)", (lock_key(name),)).fetchone()[0]:
                yield False
                return
            yield True
        finally:
            with suppress(Exception):
                conn.execute("SELECT pg_advisory_unlock(%s)", (lock_key(name),))
            conn.close()

    # -- articles -------------------------------------------------------------------------------

    def add_articles(self, articles: Sequence[Article]) -> list[str]:
        """Store the articles not seen before (by id or content hash); return the ids actually added.

        All in one transaction. Another writer storing the same article at the same time makes one
        of the two inserts do nothing (unique id and content hash), so each article is stored once.
        """
        if not articles:
            return []
        for art in articles:
            if not art.id or not art.content_hash:
                raise ValueError(f"{art.origin}: an article needs an id and a content_hash to be stored")
        fresh = fresh_articles(articles, *self._known(articles))
        if not fresh:
            return []
        # Inserted in the order given, as SQLite does (`iter_articles` breaks ties of publication
        # time by insertion). Two batches sharing articles in different orders can deadlock:
        # PostgreSQL aborts one, and `_write` runs it again.
        order = range(len(fresh))
        vectors = {
            i: tsvector_text(self._keys.index(fresh[i].title, [p.text for p in fresh[i].paragraphs]))
            for i in order
        }
        added_at = now()

        def work(w: Writer) -> list[int]:
            stored: list[int] = []
            children = ChildRows()
            conn = w.conn  # type: ignore[attr-defined]
            with conn.cursor() as cur:
                # one pipelined statement per article; a conflict returns no row for it
                cur.executemany(
                    f"INSERT INTO articles ({ARTICLE_INSERT_COLS}, tsv, ntokens)"
                    f" VALUES ({', '.join(['%s'] * 13)}, %s::tsvector, %s) ON CONFLICT DO NOTHING RETURNING seq",
                    [(*article_values(fresh[i], added_at), *vectors[i]) for i in order],
                    returning=True,
                )
                seqs: list[int | None] = []
                while True:
                    row = cur.fetchone()
                    seqs.append(row[0] if row else None)
                    if not cur.nextset():
                        break
                for i, seq in zip(order, seqs, strict=True):
                    if seq is None:  # another writer stored it since our lookup
                        continue
                    stored.append(i)
                    children.add(seq, fresh[i])
            for target, rows in children.tables():
                w.insert_rows(target, rows)
            return stored

        stored = set(self._write(work))
        return [a.id for i, a in enumerate(fresh) if i in stored]  # in the order given


def _reason(exc: BaseException) -> str:
    """The first line of a driver error, without the driver's own decoration."""
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
