"""The embedded default store: one SQLite file in WAL mode.

WAL lets the web UI read while a run writes. The schema and its migrations are in
`sqlite_schema.py`; what SQLite shares with PostgreSQL (article reads, stories and the story list,
vectors, annotations, blobs) is written once in `sqlbase.py` and `sqlstories.py`, over this
module's primitives (`_select`, `_select_in`, `_write`).

Full-text search uses FTS5 over the matching form and light stems computed in Python (see
`search.py`); the FTS table is contentless (the display text already lives in `paragraphs`), so the
index costs little beyond its postings.

One connection per store, shared by threads under a lock (the web server opens a read-only store
per thread); a second process or store object opens its own connection and reads concurrently.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any, TypeVar

from ..model import Article
from .errors import SchemaVersionError, StoreError, StoreMissingError
from .locks import file_lock, lock_path
from .records import ARTICLE_INSERT_COLS, ChildRows, article_values, fresh_articles
from .search import SearchKeys, fts5_expression, fts5_query, page_hit, parse_query
from .sqlbase import AtomicBlock, Writer, now
from .sqlite_schema import MIGRATIONS, SCHEMA_VERSION, Migration, migrate
from .sqlstories import SqlStories

__all__ = ["MIGRATIONS", "SCHEMA_VERSION", "Migration", "SQLiteStore", "migrate"]

T = TypeVar("T")

_CHUNK = 500  # rows per IN (...) list: well under SQLite's bound-parameter limit

# bm25 column weights for (title_exact, body_exact, title_stem, body_stem): a title hit outweighs a
# body hit, and a hit on the form itself outweighs a hit on another form's stem.
_BM25_WEIGHTS = (10.0, 4.0, 2.5, 1.0)


def _in_chunks(
    conn: sqlite3.Connection, sql: str, values: Sequence[Any], extra: Sequence[Any]
) -> list[tuple]:
    """Run `sql` (with one `{in_}` placeholder list, last) over `values` in chunks; rows concatenated."""
    rows: list[tuple] = []
    for i in range(0, len(values), _CHUNK):
        chunk = list(values[i : i + _CHUNK])
        rows.extend(conn.execute(sql.format(in_=",".join("?" * len(chunk))), [*extra, *chunk]).fetchall())
    return rows


class _SqliteWriter:
    """`sqlbase.Writer` over a SQLite connection in a transaction."""

    __slots__ = ("conn",)

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        return self.conn.execute(sql, params).rowcount

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        self.conn.executemany(sql, rows)

    def execute_in(self, sql: str, values: Sequence[Any], extra: Sequence[Any] = ()) -> None:
        _in_chunks(self.conn, sql, values, extra)

    def fetch_in(self, sql: str, values: Sequence[Any], extra: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return _in_chunks(self.conn, sql, values, extra)

    def insert_rows(self, target: str, rows: Sequence[Sequence[Any]]) -> None:
        if rows:
            width = len(rows[0])
            self.conn.executemany(f"INSERT INTO {target} VALUES ({', '.join('?' * width)})", rows)


class SQLiteStore(SqlStories):
    """Articles, stories, vectors and blobs in one SQLite file; implements `pipeline.Store`."""

    _CHUNK = _CHUNK
    _STORY_SEQ = "rowid"

    def __init__(
        self,
        path: str | Path,
        *,
        timeout: float = 30.0,
        cache_mib: int = 64,
        create: bool = True,
        read_only: bool = False,
        keys: SearchKeys | None = None,
    ) -> None:
        """Open the store at `path`, creating (or upgrading) it if missing unless `create` is False
        (then a missing file is a StoreMissingError). With `read_only` (the web server opens one
        such connection per thread), or when this process cannot write the file or its folder, it is
        opened read-only: an existing store of this schema version, whose reads work and whose
        writes raise StoreError; `readonly` tells which. `keys`: search-key caches to share (the web
        server's read stores share one, so a paragraph folded for one search is folded once)."""
        self.path = str(path)
        self.readonly = False
        self._immutable = False
        memory = self._memory = self.path == ":memory:" or self.path.startswith("file::memory:")
        if not memory:
            file = Path(self.path).expanduser().resolve()
            parent = file.parent
            if (read_only or not create) and not file.is_file():
                raise StoreMissingError(f"{self.path}: no such database")
            if not parent.is_dir():
                raise StoreError(f"{self.path}: directory {parent} does not exist")
            if read_only or (
                file.is_file() and not (os.access(file, os.W_OK) and os.access(parent, os.W_OK))
            ):
                self.readonly = True
        self._lock = threading.RLock()
        self._atomic: AtomicBlock | None = None
        self._atomic_lock = threading.Lock()
        self._keys = keys if keys is not None else SearchKeys()
        if self.readonly:
            self._conn = self._open_readonly(file, timeout, cache_mib)
            return
        try:
            # isolation_level=None: we issue BEGIN/COMMIT ourselves, one transaction per public call.
            self._conn = sqlite3.connect(
                self.path, timeout=timeout, isolation_level=None, check_same_thread=False
            )
        except sqlite3.Error as exc:
            raise StoreError(f"{self.path}: cannot open database: {exc}") from exc
        try:
            self._conn.execute("PRAGMA foreign_keys = ON")
            self._conn.execute("PRAGMA journal_mode = WAL")
            self._conn.execute("PRAGMA synchronous = NORMAL")  # durable across app crashes in WAL mode
            self._conn.execute(f"PRAGMA cache_size = -{int(cache_mib) * 1024}")
            migrate(self._conn, MIGRATIONS, self.path)
            self._summarize_old_stories()
        except SchemaVersionError:
            self._conn.close()
            raise
        except sqlite3.DatabaseError as exc:
            self._conn.close()
            raise StoreError(f"{self.path}: not a usable rasid database: {exc}") from exc

    def _open_readonly(self, file: Path, timeout: float, cache_mib: int) -> sqlite3.Connection:
        """A read-only connection. Without write access to the folder SQLite cannot make the WAL
        index file, so a store with none is opened immutable: nobody can be writing to it."""
        query = "mode=ro"
        if not os.access(file.parent, os.W_OK) and not Path(f"{file}-shm").exists():
            query += "&immutable=1"
            self._immutable = True
        try:
            conn = sqlite3.connect(
                f"{file.as_uri()}?{query}",
                uri=True,
                timeout=timeout,
                isolation_level=None,
                check_same_thread=False,
            )
            conn.execute(f"PRAGMA cache_size = -{int(cache_mib) * 1024}")
            version = conn.execute("PRAGMA user_version").fetchone()[0]
        except sqlite3.Error as exc:
            raise StoreError(f"{self.path}: cannot open read-only database: {exc}") from exc
        if version != SCHEMA_VERSION:
            conn.close()
            newer = version > SCHEMA_VERSION
            raise (SchemaVersionError if newer else StoreError)(
                f"{self.path}: read-only database at schema version {version}, this rasid "
                + (
                    "is older; upgrade rasid"
                    if newer
                    else f"needs {SCHEMA_VERSION}; open it once with write access to upgrade it"
                )
            )
        return conn

    # -- plumbing -------------------------------------------------------------------------------

    def close(self) -> None:
        with self._lock:
            if self._conn is None:
                return
            if not self.readonly:
                with suppress(sqlite3.Error):
                    self._conn.execute("PRAGMA optimize")
            self._conn.close()
            self._conn = None  # type: ignore[assignment]

    def exclusive(self, name: str, wait: bool = True) -> contextlib.AbstractContextManager[bool]:
        """Hold the lock `name` shared by every process writing this file (a `flock` file beside it;
        nothing for an in-memory store, which no other process can open)."""
        return file_lock(lock_path(self.path, name), wait)

    def reader(self) -> SQLiteStore:
        """A read-only store over a connection of its own (the web server opens one per read
        thread: reads queue neither behind each other nor behind a write), sharing this store's
        search-key caches; this store itself when in memory (another connection would see another
        database)."""
        if self._memory:
            return self
        return SQLiteStore(self.path, read_only=True, keys=self._keys)

    def data_version(self) -> int | None:
        """SQLite's `PRAGMA data_version`: it changes with every commit made by another connection
        (of this process or another). None for a file opened immutable (nobody writes it)."""
        if self._immutable:
            return None
        return int(self._select("PRAGMA data_version")[0][0])

    @property
    def schema_version(self) -> int:
        with self._lock:
            return int(self._db().execute("PRAGMA user_version").fetchone()[0])

    def _db(self) -> sqlite3.Connection:
        if self._conn is None:
            raise StoreError(f"{self.path}: store is closed")
        return self._conn

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        """One write transaction under the store lock; rolled back on any error. Inside `atomic()`
        (on the thread that opened it) the writes join its one transaction instead."""
        block = self._my_block()
        if block is not None:
            yield self._join_atomic(block)
            return
        if self.readonly:
            raise StoreError(f"{self.path}: the database is read-only (no write access to it or its folder)")
        with self._lock:
            conn = self._db()
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    def _join_atomic(self, block: AtomicBlock) -> sqlite3.Connection:
        """The block's transaction, begun (taking the store lock) at its first write."""
        if self.readonly:
            raise StoreError(f"{self.path}: the database is read-only (no write access to it or its folder)")
        if block.handle is None:
            self._lock.acquire()
            try:
                conn = self._db()
                conn.execute("BEGIN IMMEDIATE")
            except BaseException:
                self._lock.release()
                raise
            block.handle = conn
        return block.handle  # type: ignore[no-any-return]

    def _end_atomic(self, block: AtomicBlock, exc: BaseException | None) -> None:
        if block.handle is None:
            return
        conn, block.handle = block.handle, None
        try:
            conn.execute("COMMIT" if exc is None else "ROLLBACK")
        finally:
            self._lock.release()

    def _select(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        with self._lock:
            return self._db().execute(sql, params).fetchall()

    def _select_in(self, sql: str, values: Sequence[Any], extra: Sequence[Any] = ()) -> list[tuple]:
        """Run `sql` (with one `{in_}` placeholder list) over `values` in chunks; rows concatenated."""
        with self._lock:
            return _in_chunks(self._db(), sql, values, extra)

    def _write(self, work: Callable[[Writer], T]) -> T:
        with self._tx() as conn:
            return work(_SqliteWriter(conn))

    def _page_where(self, where: str, total: int) -> str:
        # Many matches: the page is read along the order's index, each row checked against the
        # filters (`+s.id` keeps SQLite from starting at the facets and sorting all they match);
        # few: from the facets, then sorted.
        return where.replace("s.id IN", "+s.id IN") if total > 500 else where

    # -- articles -------------------------------------------------------------------------------

    def add_articles(self, articles: Sequence[Article]) -> list[str]:
        """Store the articles not seen before (by id or content hash); return the ids actually added.

        All in one transaction. Articles already stored are filtered out before any index text is
        computed, so re-running an input costs one lookup per article.
        """
        if not articles:
            return []
        fresh = fresh_articles(articles, *self._known(articles))
        if not fresh:
            return []
        # Index text is computed outside the write lock so readers and writers wait less.
        indexed = [self._keys.index(a.title, [p.text for p in a.paragraphs]) for a in fresh]
        added_at = now()
        added: list[str] = []
        children = ChildRows()
        fts: list[tuple] = []
        with self._tx() as conn:
            for art, idx in zip(fresh, indexed, strict=True):
                cur = conn.execute(
                    f"INSERT INTO articles ({ARTICLE_INSERT_COLS}) VALUES ({', '.join('?' * 13)}) ON CONFLICT DO NOTHING",
                    article_values(art, added_at),
                )
                if cur.rowcount != 1:  # another writer stored it since our lookup
                    continue
                seq = cur.lastrowid
                assert seq is not None
                added.append(art.id)
                children.add(seq, art)
                fts.append((seq, idx.title_exact, idx.body_exact, idx.title_stem, idx.body_stem))
            writer = _SqliteWriter(conn)
            for target, rows in children.tables():
                writer.insert_rows(target, rows)
            conn.executemany(
                "INSERT INTO articles_fts (rowid, title_exact, body_exact, title_stem, body_stem)"
                " VALUES (?, ?, ?, ?, ?)",
                fts,
            )
        return added

    # -- search ---------------------------------------------------------------------------------

    def search(self, query: str, limit: int = 20) -> list[dict[str, object]]:
        """Articles matching every query word, best first: [{"id", "title", "snippet", "score"}].

        Matching ignores diacritics, tatweel and alef/hamza/ya/ta-marbuta spelling (the matching
        form) and accepts light-stem matches, ranked below exact-form ones. A query with no word or
        number in it matches nothing.
        """
        terms = self._keys.query_terms(query)
        if not terms or limit <= 0:
            return []
        match = fts5_query(terms)
        weights = ", ".join(str(w) for w in _BM25_WEIGHTS)
        hits = self._select(
            "SELECT f.rank_seq, f.r, a.id, a.title FROM ("
            f" SELECT rowid AS rank_seq, bm25(articles_fts, {weights}) AS r FROM articles_fts"
            " WHERE articles_fts MATCH ? ORDER BY r, rowid LIMIT ?"
            ") AS f JOIN articles a ON a.seq = f.rank_seq ORDER BY f.r, f.rank_seq",
            (match, int(limit)),
        )
        if not hits:
            return []
        paras = self._paragraph_texts([seq for seq, *_ in hits])
        return [
            {
                "id": a_id,
                "title": title,
                "snippet": self._keys.snippet(paras[seq], terms),
                "score": round(-r, 4),
            }
            for seq, r, a_id, title in hits
        ]

    def search_page(self, query: str, limit: int = 20, offset: int = 0) -> dict[str, Any]:
        """One page of search results with the query syntax of `search.parse_query` (words, "phrases",
        OR, -exclusions); copies (`duplicate_of`) collapsed into the best-ranked article of their
        group; true totals (`total` groups of copies, `stories` distinct stories among them).

        Each hit: id, title, snippet, highlights ([start, end] character spans in the snippet),
        score, copies (other matching articles of its group), story, source, published, url.
        """
        parsed = parse_query(self._keys, query)
        match = fts5_expression(parsed)
        if match is None or limit <= 0:
            return {"total": 0, "stories": 0, "hits": []}
        weights = ", ".join(str(w) for w in _BM25_WEIGHTS)
        # The bm25 scores are computed in a materialized step of their own: FTS5 cannot rank inside
        # an aggregate query.
        ranked = (
            f"WITH f AS MATERIALIZED (SELECT rowid AS rs, bm25(articles_fts, {weights}) AS r FROM articles_fts"
            " WHERE articles_fts MATCH ?), m AS (SELECT a.seq, a.id, a.title, a.story, a.source, a.published, a.url,"
            " coalesce(a.duplicate_of, a.id) AS head, f.r FROM f JOIN articles a ON a.seq = f.rs)"
        )
        try:
            # the totals need no ranking: the same matching rows without bm25 (a third of the cost)
            total, stories = self._select(
                "WITH f AS MATERIALIZED (SELECT rowid AS rs FROM articles_fts WHERE articles_fts MATCH ?)"
                " SELECT count(DISTINCT coalesce(a.duplicate_of, a.id)), count(DISTINCT a.story)"
                " FROM f JOIN articles a ON a.seq = f.rs",
                (match,),
            )[0]
            # SQLite takes the bare columns of an aggregate query from the row holding min(r)
            hits = self._select(
                f"{ranked} SELECT seq, id, title, story, source, published, url, min(r), count(*) FROM m"
                " GROUP BY head ORDER BY min(r), head LIMIT ? OFFSET ?",
                (match, int(limit), int(offset)),
            )
        except sqlite3.OperationalError as exc:  # an expression FTS5 cannot run (should not happen)
            raise ValueError(f"search query not understood: {exc}") from None
        paras = self._paragraph_texts([row[0] for row in hits])
        terms = parsed.terms
        out = [
            page_hit(
                self._keys,
                terms,
                paras[seq],
                id=a_id,
                title=title,
                score=-r,
                copies=n - 1,
                story=story,
                source=source,
                published=published,
                url=url,
            )
            for seq, a_id, title, story, source, published, url, r, n in hits
        ]
        return {"total": int(total), "stories": int(stories), "hits": out}

    def reindex(self) -> int:
        """Rebuild the full-text index from the stored display text; return the articles indexed.

        Needed when the matching form or the stemmer changes (a migration step may call for it).
        """
        seqs = [r[0] for r in self._select("SELECT seq FROM articles ORDER BY seq")]
        with self._tx() as conn:
            conn.execute("INSERT INTO articles_fts (articles_fts) VALUES ('delete-all')")
            for i in range(0, len(seqs), _CHUNK):
                rows = []
                for art_seq, art in zip(
                    seqs[i : i + _CHUNK], self._load_articles(seqs[i : i + _CHUNK]), strict=True
                ):
                    idx = self._keys.index(art.title, [p.text for p in art.paragraphs])
                    rows.append((art_seq, idx.title_exact, idx.body_exact, idx.title_stem, idx.body_stem))
                conn.executemany(
                    "INSERT INTO articles_fts (rowid, title_exact, body_exact, title_stem, body_stem)"
                    " VALUES (?, ?, ?, ?, ?)",
                    rows,
                )
        return len(seqs)
