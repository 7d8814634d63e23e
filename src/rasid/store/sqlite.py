"""The embedded default store: one SQLite file in WAL mode.

WAL lets the web UI read while a run writes. The schema is versioned with `PRAGMA user_version`
and an ordered tuple of migration steps: opening an older file upgrades it step by step, each step
in its own transaction; a file from a newer rasid is refused rather than half-understood.

Full-text search uses FTS5 over the matching form and light stems computed in Python (see
`search.py`); the FTS table is contentless (the display text already lives in `paragraphs`), so the
index costs little beyond its postings.

One connection per store, shared by threads under a lock (the web server calls from a thread pool);
a second process or store object opens its own connection and reads concurrently.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from ..model import Article, Paragraph, Removed, Story
from .errors import SchemaVersionError, StoreError, StoreMissingError
from .records import STORY_PARTS, dumps, story_from_parts, story_parts
from .search import SearchKeys, fts5_expression, fts5_query, highlights, parse_query
from .story_rows import (
    StoryFilter,
    StoryPage,
    StoryRow,
    after_sql,
    decode_cursor,
    encode_cursor,
    facet_rows,
    list_sql,
    order_sql,
    summary_values,
)

_CHUNK = 500  # rows per IN (...) list: well under SQLite's bound-parameter limit

# bm25 column weights for (title_exact, body_exact, title_stem, body_stem): a title hit outweighs a
# body hit, and a hit on the form itself outweighs a hit on another form's stem.
_BM25_WEIGHTS = (10.0, 4.0, 2.5, 1.0)


@dataclass(slots=True, frozen=True)
class Migration:
    """One schema step: the statements that take a database from `version - 1` to `version`."""

    version: int
    description: str
    statements: tuple[str, ...]


MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        "articles with paragraphs, sentences and removed debris; stories; vectors; blobs; FTS5 index",
        (
            """CREATE TABLE articles (
                seq INTEGER PRIMARY KEY,
                id TEXT NOT NULL UNIQUE,
                origin TEXT NOT NULL,
                raw_text TEXT NOT NULL,
                clean_text TEXT NOT NULL,
                title TEXT NOT NULL DEFAULT '',
                url TEXT,
                source TEXT,
                published TEXT,
                author TEXT,
                content_hash TEXT NOT NULL UNIQUE,
                story TEXT,
                duplicate_of TEXT,
                added_at TEXT NOT NULL
            )""",
            "CREATE INDEX articles_story ON articles (story)",
            "CREATE INDEX articles_published ON articles (published IS NULL, published, seq)",
            "CREATE INDEX articles_duplicate_of ON articles (duplicate_of) WHERE duplicate_of IS NOT NULL",
            """CREATE TABLE paragraphs (
                article INTEGER NOT NULL REFERENCES articles (seq) ON DELETE CASCADE,
                idx INTEGER NOT NULL,
                text TEXT NOT NULL,
                lang TEXT NOT NULL,
                PRIMARY KEY (article, idx)
            ) WITHOUT ROWID""",
            """CREATE TABLE sentences (
                article INTEGER NOT NULL,
                paragraph INTEGER NOT NULL,
                idx INTEGER NOT NULL,
                text TEXT NOT NULL,
                PRIMARY KEY (article, paragraph, idx),
                FOREIGN KEY (article, paragraph) REFERENCES paragraphs (article, idx) ON DELETE CASCADE
            ) WITHOUT ROWID""",
            """CREATE TABLE removed (
                article INTEGER NOT NULL REFERENCES articles (seq) ON DELETE CASCADE,
                idx INTEGER NOT NULL,
                kind TEXT NOT NULL,
                text TEXT NOT NULL,
                PRIMARY KEY (article, idx)
            ) WITHOUT ROWID""",
            """CREATE TABLE stories (
                id TEXT PRIMARY KEY,
                title TEXT NOT NULL DEFAULT '',
                first_seen TEXT,
                last_seen TEXT,
                sources TEXT NOT NULL DEFAULT '[]',
                entities TEXT NOT NULL DEFAULT '[]',
                timeline TEXT NOT NULL DEFAULT '[]',
                quotes TEXT NOT NULL DEFAULT '[]',
                brief TEXT NOT NULL DEFAULT '[]',
                disputed TEXT NOT NULL DEFAULT '[]',
                updated_at TEXT NOT NULL
            )""",
            "CREATE INDEX stories_last_seen ON stories (last_seen)",
            """CREATE TABLE story_articles (
                story TEXT NOT NULL REFERENCES stories (id) ON DELETE CASCADE,
                idx INTEGER NOT NULL,
                article TEXT NOT NULL,
                PRIMARY KEY (story, idx)
            ) WITHOUT ROWID""",
            "CREATE INDEX story_articles_article ON story_articles (article)",
            """CREATE TABLE vectors (
                kind TEXT NOT NULL,
                id TEXT NOT NULL,
                dim INTEGER NOT NULL,
                data BLOB NOT NULL,
                PRIMARY KEY (kind, id)
            )""",
            """CREATE TABLE blobs (
                name TEXT PRIMARY KEY,
                data BLOB NOT NULL,
                updated_at TEXT NOT NULL
            )""",
            """CREATE VIRTUAL TABLE articles_fts USING fts5 (
                title_exact, body_exact, title_stem, body_stem,
                content = '', tokenize = 'unicode61 remove_diacritics 2'
            )""",
        ),
    ),
    Migration(
        2,
        "per-article annotations (understanding's NER mentions and dates), keyed by the producing models",
        (
            """CREATE TABLE annotations (
                kind TEXT NOT NULL,
                id TEXT NOT NULL,
                data TEXT NOT NULL,
                PRIMARY KEY (kind, id)
            ) WITHOUT ROWID""",
            "CREATE INDEX annotations_id ON annotations (id)",
        ),
    ),
    Migration(
        3,
        "sentence vectors of understanding (brief, timeline, disputes), per article and text digest",
        (
            # A rowid table: rows hold 2 KB vectors, which WITHOUT ROWID tables store poorly.
            """CREATE TABLE sentence_vectors (
                kind TEXT NOT NULL,
                article TEXT NOT NULL,
                digest TEXT NOT NULL,
                data BLOB NOT NULL,
                UNIQUE (kind, article, digest)
            )""",
            "CREATE INDEX sentence_vectors_article ON sentence_vectors (article)",
        ),
    ),
    Migration(
        4,
        "related stories: pairs the story-merge model linked without merging them",
        (
            """CREATE TABLE story_links (
                story TEXT NOT NULL,
                other TEXT NOT NULL,
                p REAL NOT NULL,
                PRIMARY KEY (story, other)
            ) WITHOUT ROWID""",
            "CREATE INDEX story_links_other ON story_links (other)",
        ),
    ),
    Migration(
        5,
        "the story list in SQL: a narrow row per story (size, outlets, days, languages, rank) and its"
        " filter facets (sources, languages, entity words); rows of older stories are filled on open",
        (
            """CREATE TABLE story_list (
                id TEXT PRIMARY KEY,
                title TEXT NOT NULL DEFAULT '',
                first_seen TEXT,
                last_seen TEXT,
                first_day TEXT NOT NULL DEFAULT '',
                last_day TEXT NOT NULL DEFAULT '',
                size INTEGER NOT NULL DEFAULT 0,
                outlets INTEGER NOT NULL DEFAULT 0,
                statements INTEGER NOT NULL DEFAULT 0,
                sources TEXT NOT NULL DEFAULT '[]',
                top_entities TEXT NOT NULL DEFAULT '[]',
                langs TEXT NOT NULL DEFAULT '',
                rank REAL NOT NULL DEFAULT 0
            ) WITHOUT ROWID""",
            "CREATE INDEX story_list_rank ON story_list (rank DESC, id DESC, last_day, first_day)",
            "CREATE INDEX story_list_latest ON story_list (last_day DESC, rank DESC, id DESC, first_day)",
            """CREATE TABLE story_facets (
                kind TEXT NOT NULL,
                value TEXT NOT NULL,
                story TEXT NOT NULL,
                PRIMARY KEY (kind, value, story)
            ) WITHOUT ROWID""",
            "CREATE INDEX story_facets_story ON story_facets (story)",
        ),
    ),
)

SCHEMA_VERSION = MIGRATIONS[-1].version

_ARTICLE_COLS = (
    "seq, id, origin, raw_text, title, url, source, published, author, content_hash, story, duplicate_of"
)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def migrate(
    conn: sqlite3.Connection, migrations: Sequence[Migration] = MIGRATIONS, name: str = "database"
) -> int:
    """Bring `conn` (autocommit mode) up to the last of `migrations`; return the version reached.

    Each step runs in its own transaction together with its `user_version` bump, so a failure
    leaves the file at the previous version rather than half-migrated.
    """
    current = conn.execute("PRAGMA user_version").fetchone()[0]
    latest = migrations[-1].version if migrations else 0
    if current > latest:
        raise SchemaVersionError(
            f"{name}: schema version {current} was written by a newer rasid (this one knows up to "
            f"version {latest}); upgrade rasid to open it"
        )
    for step in migrations:
        if step.version <= current:
            continue
        conn.execute("BEGIN IMMEDIATE")
        try:
            for statement in step.statements:
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {int(step.version)}")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
        current = step.version
    return current



def _drop_other_kinds(conn: sqlite3.Connection, table: str, key: str, kind: str, ids: list[str]) -> None:
    """Delete the rows of `ids` written under another kind (an older model or embedder): per-article
    derived data keeps one kind, so the table does not grow with each model update."""
    for i in range(0, len(ids), _CHUNK):
        chunk = ids[i : i + _CHUNK]
        marks = ",".join("?" * len(chunk))
        conn.execute(f"DELETE FROM {table} WHERE kind != ? AND {key} IN ({marks})", [kind, *chunk])

class _AtomicBlock:
    """The open transaction of `SQLiteStore.atomic`: begun at its first write, holding the store
    lock (so other threads neither read nor write uncommitted rows) until the block ends."""

    __slots__ = ("owner", "conn")

    def __init__(self, owner: int) -> None:
        self.owner = owner
        self.conn: sqlite3.Connection | None = None

    def join(self, store: SQLiteStore) -> sqlite3.Connection:
        if store.readonly:
            raise StoreError(f"{store.path}: the database is read-only (no write access to it or its folder)")
        if self.conn is None:
            store._lock.acquire()
            try:
                conn = store._db()
                conn.execute("BEGIN IMMEDIATE")
            except BaseException:
                store._lock.release()
                raise
            self.conn = conn
        return self.conn

    def end(self, store: SQLiteStore, commit: bool) -> None:
        if self.conn is None:
            return
        conn, self.conn = self.conn, None
        try:
            conn.execute("COMMIT" if commit else "ROLLBACK")
        finally:
            store._lock.release()


class SQLiteStore:
    """Articles, stories, vectors and blobs in one SQLite file; implements `pipeline.Store`."""

    def __init__(self, path: str | Path, *, timeout: float = 30.0, cache_mib: int = 64, create: bool = True,
                 read_only: bool = False) -> None:
        """Open the store at `path`, creating (or upgrading) it if missing unless `create` is False
        (then a missing file is a StoreMissingError). With `read_only` (the web server opens one
        such connection per thread), or when this process cannot write the file or its folder, it is
        opened read-only: an existing store of this schema version, whose reads work and whose
        writes raise StoreError; `readonly` tells which."""
        self.path = str(path)
        self.readonly = False
        memory = self.path == ":memory:" or self.path.startswith("file::memory:")
        if not memory:
            file = Path(self.path).expanduser().resolve()
            parent = file.parent
            if (read_only or not create) and not file.is_file():
                raise StoreMissingError(f"{self.path}: no such database")
            if not parent.is_dir():
                raise StoreError(f"{self.path}: directory {parent} does not exist")
            if read_only or (file.is_file() and not (os.access(file, os.W_OK) and os.access(parent, os.W_OK))):
                self.readonly = True
        self._lock = threading.RLock()
        self._atomic: _AtomicBlock | None = None
        self._atomic_lock = threading.Lock()
        self._keys = SearchKeys()
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
        try:
            conn = sqlite3.connect(f"{file.as_uri()}?{query}", uri=True, timeout=timeout,
                                   isolation_level=None, check_same_thread=False)
            conn.execute(f"PRAGMA cache_size = -{int(cache_mib) * 1024}")
            version = conn.execute("PRAGMA user_version").fetchone()[0]
        except sqlite3.Error as exc:
            raise StoreError(f"{self.path}: cannot open read-only database: {exc}") from exc
        if version != SCHEMA_VERSION:
            conn.close()
            newer = version > SCHEMA_VERSION
            raise (SchemaVersionError if newer else StoreError)(
                f"{self.path}: read-only database at schema version {version}, this rasid "
                + ("is older; upgrade rasid" if newer else f"needs {SCHEMA_VERSION}; open it once with write access to upgrade it")
            )
        return conn

    # -- plumbing -------------------------------------------------------------------------------

    def __enter__(self) -> SQLiteStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"SQLiteStore({self.path!r})"

    def close(self) -> None:
        with self._lock:
            if self._conn is None:
                return
            if not self.readonly:
                with suppress(sqlite3.Error):
                    self._conn.execute("PRAGMA optimize")
            self._conn.close()
            self._conn = None  # type: ignore[assignment]

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
        if self._atomic is not None and self._atomic.owner == threading.get_ident():
            yield self._atomic.join(self)
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

    @contextmanager
    def atomic(self) -> Iterator[None]:
        """Make every write of this block (on this thread) one transaction: all of them are
        committed at its end, or none if it fails or the process dies first.

        Reads before the first write run as usual, so the write lock is held only from the first
        write to the end of the block (a stage reads and computes for long, then writes). Nested
        blocks join the outer one.
        """
        if self._atomic is not None and self._atomic.owner == threading.get_ident():
            yield
            return
        with self._atomic_lock:  # one atomic block per store at a time
            block = self._atomic = _AtomicBlock(threading.get_ident())
            try:
                yield
            except BaseException:
                self._atomic = None
                block.end(self, commit=False)
                raise
            self._atomic = None
            block.end(self, commit=True)

    def _select(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        with self._lock:
            return self._db().execute(sql, params).fetchall()

    def _select_in(self, sql: str, values: Sequence[Any], extra: Sequence[Any] = ()) -> list[tuple]:
        """Run `sql` (with one `{in}` placeholder list) over `values` in chunks; rows concatenated."""
        rows: list[tuple] = []
        for i in range(0, len(values), _CHUNK):
            chunk = list(values[i : i + _CHUNK])
            marks = ",".join("?" * len(chunk))
            rows.extend(self._select(sql.format(in_=marks), [*extra, *chunk]))
        return rows

    # -- articles -------------------------------------------------------------------------------

    def add_articles(self, articles: Sequence[Article]) -> list[str]:
        """Store the articles not seen before (by id or content hash); return the ids actually added.

        All in one transaction. Articles already stored are filtered out before any index text is
        computed, so re-running an input costs one lookup per article.
        """
        if not articles:
            return []
        known_ids = {
            r[0]
            for r in self._select_in("SELECT id FROM articles WHERE id IN ({in_})", [a.id for a in articles])
        }
        known_hashes = {
            r[0]
            for r in self._select_in(
                "SELECT content_hash FROM articles WHERE content_hash IN ({in_})",
                [a.content_hash for a in articles],
            )
        }
        fresh: list[Article] = []
        for art in articles:
            if not art.id or not art.content_hash:
                raise ValueError(f"{art.origin}: an article needs an id and a content_hash to be stored")
            if art.id in known_ids or art.content_hash in known_hashes:
                continue
            known_ids.add(art.id)  # also skips repeats inside this batch
            known_hashes.add(art.content_hash)
            fresh.append(art)
        if not fresh:
            return []
        # Index text is computed outside the write lock so readers and writers wait less.
        indexed = [self._keys.index(a.title, [p.text for p in a.paragraphs]) for a in fresh]
        added_at = _now()
        added: list[str] = []
        paragraphs: list[tuple] = []
        sentences: list[tuple] = []
        removed: list[tuple] = []
        fts: list[tuple] = []
        with self._tx() as conn:
            for art, idx in zip(fresh, indexed, strict=True):
                cur = conn.execute(
                    "INSERT INTO articles (id, origin, raw_text, clean_text, title, url, source, published,"
                    " author, content_hash, story, duplicate_of, added_at)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                    (
                        art.id,
                        art.origin,
                        art.raw_text,
                        art.text,
                        art.title or "",
                        art.url,
                        art.source,
                        art.published,
                        art.author,
                        art.content_hash,
                        art.story,
                        art.duplicate_of,
                        added_at,
                    ),
                )
                if cur.rowcount != 1:  # another writer stored it since our lookup
                    continue
                seq = cur.lastrowid
                added.append(art.id)
                for p_idx, para in enumerate(art.paragraphs):
                    paragraphs.append((seq, p_idx, para.text, para.lang or "und"))
                    sentences.extend((seq, p_idx, s_idx, s) for s_idx, s in enumerate(para.sentences))
                removed.extend((seq, r_idx, r.kind, r.text) for r_idx, r in enumerate(art.removed))
                fts.append((seq, idx.title_exact, idx.body_exact, idx.title_stem, idx.body_stem))
            conn.executemany(
                "INSERT INTO paragraphs (article, idx, text, lang) VALUES (?, ?, ?, ?)", paragraphs
            )
            conn.executemany(
                "INSERT INTO sentences (article, paragraph, idx, text) VALUES (?, ?, ?, ?)", sentences
            )
            conn.executemany("INSERT INTO removed (article, idx, kind, text) VALUES (?, ?, ?, ?)", removed)
            conn.executemany(
                "INSERT INTO articles_fts (rowid, title_exact, body_exact, title_stem, body_stem)"
                " VALUES (?, ?, ?, ?, ?)",
                fts,
            )
        return added

    def has_article(self, article_id: str) -> bool:
        return bool(self._select("SELECT 1 FROM articles WHERE id = ?", (article_id,)))

    def has_hash(self, content_hash: str) -> bool:
        return bool(self._select("SELECT 1 FROM articles WHERE content_hash = ?", (content_hash,)))

    def get_article(self, article_id: str) -> Article | None:
        rows = self._select("SELECT seq FROM articles WHERE id = ?", (article_id,))
        if not rows:
            return None
        return self._load_articles([rows[0][0]])[0]

    def get_articles(self, article_ids: Sequence[str]) -> list[Article]:
        """The stored articles among `article_ids`, in the order asked (unknown ids are left out)."""
        wanted = list(dict.fromkeys(article_ids))
        seq_of = dict(self._select_in("SELECT id, seq FROM articles WHERE id IN ({in_})", wanted))
        by_id = {a.id: a for a in self._load_articles(sorted(seq_of.values()))}
        return [by_id[i] for i in wanted if i in by_id]

    def iter_articles(self, order: str = "published") -> Iterator[Article]:
        """All articles, by publication time (undated last) then insertion; or `order="added"`.

        The order is fixed when iteration starts and articles are loaded in chunks, so the caller
        may write to the store while iterating.
        """
        if order == "published":
            sql = "SELECT seq FROM articles ORDER BY published IS NULL, published, seq"
        elif order == "added":
            sql = "SELECT seq FROM articles ORDER BY seq"
        else:
            raise ValueError(f"unknown article order {order!r} (use 'published' or 'added')")
        seqs = [r[0] for r in self._select(sql)]
        for i in range(0, len(seqs), _CHUNK):
            yield from self._load_articles(seqs[i : i + _CHUNK])

    def count_articles(self) -> int:
        return int(self._select("SELECT count(*) FROM articles")[0][0])

    def story_article_ids(self, story_id: str) -> list[str]:
        """Ids of the articles assigned to `story_id` (by `set_assignments`), by publication time."""
        rows = self._select(
            "SELECT id FROM articles WHERE story = ? ORDER BY published IS NULL, published, seq", (story_id,)
        )
        return [r[0] for r in rows]

    def _load_articles(self, seqs: Sequence[int]) -> list[Article]:
        """Full Article records for `seqs` (existing ones), in the order given."""
        if not seqs:
            return []
        arts: dict[int, Article] = {}
        for row in self._select_in(f"SELECT {_ARTICLE_COLS} FROM articles WHERE seq IN ({{in_}})", seqs):
            seq, a_id, origin, raw, title, url, source, published, author, c_hash, story, dup = row
            arts[seq] = Article(
                id=a_id,
                origin=origin,
                raw_text=raw,
                content_hash=c_hash,
                title=title,
                url=url,
                source=source,
                published=published,
                author=author,
                story=story,
                duplicate_of=dup,
            )
        keys = list(arts)
        for seq, _idx, text, lang in self._select_in(
            "SELECT article, idx, text, lang FROM paragraphs WHERE article IN ({in_}) ORDER BY article, idx",
            keys,
        ):
            arts[seq].paragraphs.append(Paragraph(text=text, lang=lang))
        for seq, p_idx, _idx, text in self._select_in(
            "SELECT article, paragraph, idx, text FROM sentences WHERE article IN ({in_})"
            " ORDER BY article, paragraph, idx",
            keys,
        ):
            arts[seq].paragraphs[p_idx].sentences.append(text)
        for seq, _idx, kind, text in self._select_in(
            "SELECT article, idx, kind, text FROM removed WHERE article IN ({in_}) ORDER BY article, idx",
            keys,
        ):
            arts[seq].removed.append(Removed(kind=kind, text=text))
        return [arts[s] for s in seqs if s in arts]

    def set_assignments(self, rows: Sequence[tuple[str, str | None, str | None]]) -> None:
        """Record (article_id, story_id, duplicate_of) for each row, in one transaction."""
        if not rows:
            return
        with self._tx() as conn:
            conn.executemany(
                "UPDATE articles SET story = ?, duplicate_of = ? WHERE id = ?",
                [(story, dup, a_id) for a_id, story, dup in rows],
            )

    def unassigned_article_ids(self) -> list[str]:
        """Ids of the stored articles in no story yet (a run stopped before its stories stage
        finished), by publication time (undated last) then insertion."""
        rows = self._select(
            "SELECT id FROM articles WHERE story IS NULL ORDER BY published IS NULL, published, seq"
        )
        return [r[0] for r in rows]

    def clear_stories(self, state_prefix: str = "state:") -> None:
        """Forget every story, link and assignment, and the stages' saved state (the blobs named
        `state_prefix`...), in one transaction: the articles stay, ready to be grouped anew."""
        with self._tx() as conn:
            conn.execute("DELETE FROM story_links")
            conn.execute("DELETE FROM story_articles")
            conn.execute("DELETE FROM stories")
            conn.execute("UPDATE articles SET story = NULL, duplicate_of = NULL"
                         " WHERE story IS NOT NULL OR duplicate_of IS NOT NULL")
            conn.execute("DELETE FROM blobs WHERE substr(name, 1, ?) = ?", (len(state_prefix), state_prefix))

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
        paras: dict[int, list[str]] = {seq: [] for seq, *_ in hits}
        for seq, text in self._select_in(
            "SELECT article, text FROM paragraphs WHERE article IN ({in_}) ORDER BY article, idx", list(paras)
        ):
            paras[seq].append(text)
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
            total, stories = self._select(
                f"{ranked} SELECT count(DISTINCT head), count(DISTINCT story) FROM m", (match,))[0]
            # SQLite takes the bare columns of an aggregate query from the row holding min(r)
            hits = self._select(
                f"{ranked} SELECT seq, id, title, story, source, published, url, min(r), count(*) FROM m"
                " GROUP BY head ORDER BY min(r), head LIMIT ? OFFSET ?",
                (match, int(limit), int(offset)),
            )
        except sqlite3.OperationalError as exc:  # an expression FTS5 cannot run (should not happen)
            raise ValueError(f"search query not understood: {exc}") from None
        paras: dict[int, list[str]] = {row[0]: [] for row in hits}
        for seq, text in self._select_in(
            "SELECT article, text FROM paragraphs WHERE article IN ({in_}) ORDER BY article, idx", list(paras)
        ):
            paras[seq].append(text)
        terms = parsed.terms
        out = []
        for seq, a_id, title, story, source, published, url, r, n in hits:
            snippet = self._keys.snippet(paras[seq][:12], terms)  # the lead is where a reader looks
            out.append({
                "id": a_id, "title": title, "snippet": snippet,
                "highlights": [list(span) for span in highlights(self._keys, snippet, terms)],
                "title_highlights": [list(span) for span in highlights(self._keys, title or "", terms)],
                "score": round(-r, 4), "copies": n - 1, "story": story, "source": source,
                "published": published, "url": url,
            })
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

    # -- stories --------------------------------------------------------------------------------

    def put_story(self, story: Story) -> None:
        """Insert or replace one story (its member list is replaced whole)."""
        self.put_stories([story])

    def put_stories(self, stories: Sequence[Story]) -> None:
        """Insert or replace several stories in one transaction."""
        if not stories:
            return
        names = [name for name, _ in STORY_PARTS]
        cols = ", ".join(["id", "title", "first_seen", "last_seen", "sources", *names, "updated_at"])
        marks = ", ".join("?" * (6 + len(names)))
        updates = ", ".join(
            f"{c} = excluded.{c}"
            for c in ["title", "first_seen", "last_seen", "sources", *names, "updated_at"]
        )
        now = _now()
        with self._tx() as conn:
            for story in stories:
                parts = story_parts(story)
                conn.execute(
                    f"INSERT INTO stories ({cols}) VALUES ({marks}) ON CONFLICT (id) DO UPDATE SET {updates}",
                    (
                        story.id,
                        story.title or "",
                        story.first_seen,
                        story.last_seen,
                        dumps(list(story.sources)),
                        *(parts[n] for n in names),
                        now,
                    ),
                )
                conn.execute("DELETE FROM story_articles WHERE story = ?", (story.id,))
                conn.executemany(
                    "INSERT INTO story_articles (story, idx, article) VALUES (?, ?, ?)",
                    [(story.id, i, a) for i, a in enumerate(story.articles)],
                )
                self._write_summary(conn, story)

    def _write_summary(self, conn: sqlite3.Connection, story: Story) -> None:
        """The list columns and filter facets of a story just written (story_rows.py)."""
        weight: dict[str, dict[str, int]] = {}
        unnamed = 0
        for i in range(0, len(story.articles), _CHUNK):
            chunk = story.articles[i : i + _CHUNK]
            unnamed += conn.execute(  # members naming no outlet: one outlet each (outlets.count_outlets)
                f"SELECT count(*) FROM articles WHERE id IN ({','.join('?' * len(chunk))})"
                " AND (source IS NULL OR trim(source) = '')", chunk).fetchone()[0]
            for a_id, lang, chars in conn.execute(
                "SELECT a.id, p.lang, sum(length(p.text)) FROM articles a JOIN paragraphs p ON p.article = a.seq"
                f" WHERE a.id IN ({','.join('?' * len(chunk))}) GROUP BY a.id, p.lang",
                chunk,
            ):
                weight.setdefault(a_id, {})[lang] = chars
        main_lang = {a: max(w, key=lambda k: (w[k], k)) for a, w in weight.items() if w}
        values = summary_values(story, main_lang, unnamed)
        row = {"id": story.id, "title": story.title or "", "first_seen": story.first_seen,
               "last_seen": story.last_seen, "sources": dumps(list(story.sources)), **values}
        conn.execute(
            f"INSERT OR REPLACE INTO story_list ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})",
            list(row.values()),
        )
        conn.execute("DELETE FROM story_facets WHERE story = ?", (story.id,))
        conn.executemany("INSERT OR IGNORE INTO story_facets (kind, value, story) VALUES (?, ?, ?)",
                         facet_rows(story, values["langs"]))

    def _summarize_old_stories(self) -> None:
        """Write the list rows of stories stored without one (by a rasid before schema version 5)."""
        ids = [r[0] for r in self._select("SELECT id FROM stories WHERE id NOT IN (SELECT id FROM story_list)")]
        for i in range(0, len(ids), _CHUNK):
            chunk = ids[i : i + _CHUNK]
            stories = self._load_stories(f"WHERE id IN ({','.join('?' * len(chunk))})", chunk)
            with self._tx() as conn:
                for story in stories:
                    self._write_summary(conn, story)

    def list_stories(self, f: StoryFilter | None = None, *, order: str = "rank", limit: int = 20,
                     offset: int = 0, cursor: str | None = None) -> StoryPage:
        """One page of the story list from the summary rows: those passing `f`, in `order` ("rank":
        widely and recently covered first; "latest": by last day), after `cursor` (keyset paging,
        from a previous page's `next_cursor`) or else after `offset` rows; with the total count."""
        f = f or StoryFilter()
        where, params = list_sql(f, order)
        total = int(self._select(f"SELECT count(*) FROM story_list s{where}", params)[0][0])
        key = decode_cursor(cursor, order) if cursor else None
        if cursor and key is None:
            raise ValueError("not a cursor of this list (take next_cursor from the previous page)")
        # Many matches: the page is read along the order's index, each row checked against the
        # filters (`+s.id` keeps SQLite from starting at the facets and sorting all they match);
        # few: from the facets, then sorted.
        page_where = where.replace("s.id IN", "+s.id IN") if total > 500 else where
        page_params = list(params)
        if key is not None:
            cond, extra = after_sql(order, key)
            page_where = (where + " AND " if where else " WHERE ") + cond
            page_params += extra
            offset = 0
        rows = self._select(
            "SELECT s.id, s.title, s.first_seen, s.last_seen, s.size, s.outlets, s.statements, s.rank,"
            f" s.last_day, s.sources, s.top_entities, s.langs FROM story_list s{page_where} {order_sql(order)}"
            " LIMIT ? OFFSET ?",
            [*page_params, int(limit) + 1, int(offset)],
        )
        out = [
            StoryRow(id=r[0], title=r[1] or "", first_seen=r[2], last_seen=r[3], articles=r[4] or 0,
                     outlets=r[5], statements=r[6], rank=r[7], last_day=r[8], sources=json.loads(r[9] or "[]"),
                     entities=json.loads(r[10] or "[]"), langs=(r[11] or "").split())
            for r in rows[:limit]
        ]
        more = len(rows) > limit and bool(out)
        return StoryPage(out, total, encode_cursor(order, out[-1]) if more else None)

    def put_story_links(self, links: Mapping[str, Sequence[tuple[str, float]]]) -> None:
        """Replace the related stories of each story in `links` ({id: [(related id, p), ...]},
        best first); an empty list removes them."""
        if not links:
            return
        with self._tx() as conn:
            for sid, rel in links.items():
                conn.execute("DELETE FROM story_links WHERE story = ?", (sid,))
                conn.executemany("INSERT INTO story_links (story, other, p) VALUES (?, ?, ?)",
                                 [(sid, other, float(p)) for other, p in rel])

    def story_titles(self, ids: Sequence[str]) -> dict[str, str]:
        """id -> title of the given stories that exist (a light read, for links to them)."""
        return dict(self._select_in("SELECT id, title FROM stories WHERE id IN ({in_})", list(ids))) if ids else {}

    def get_story(self, story_id: str) -> Story | None:
        stories = self._load_stories("WHERE id = ?", (story_id,))
        return stories[0] if stories else None

    def iter_stories(self, order: str = "created") -> Iterator[Story]:
        """All stories, in creation order, or `order="recent"` (latest `last_seen` first)."""
        if order == "created":
            sql = "SELECT id FROM stories ORDER BY rowid"
        elif order == "recent":
            sql = "SELECT id FROM stories ORDER BY last_seen IS NULL, last_seen DESC, rowid"
        else:
            raise ValueError(f"unknown story order {order!r} (use 'created' or 'recent')")
        ids = [r[0] for r in self._select(sql)]
        for i in range(0, len(ids), _CHUNK):
            chunk = ids[i : i + _CHUNK]
            loaded = {
                s.id: s for s in self._load_stories(f"WHERE id IN ({','.join('?' * len(chunk))})", chunk)
            }
            yield from (loaded[s] for s in chunk if s in loaded)

    def count_stories(self) -> int:
        return int(self._select("SELECT count(*) FROM stories")[0][0])

    def delete_story(self, story_id: str) -> bool:
        """Remove a story (e.g. merged into another); articles keep their `story` until reassigned."""
        with self._tx() as conn:
            conn.execute("DELETE FROM story_links WHERE story = ? OR other = ?", (story_id, story_id))
            conn.execute("DELETE FROM story_facets WHERE story = ?", (story_id,))
            conn.execute("DELETE FROM story_list WHERE id = ?", (story_id,))
            return conn.execute("DELETE FROM stories WHERE id = ?", (story_id,)).rowcount > 0

    def _load_stories(self, where: str, params: Sequence[Any]) -> list[Story]:
        names = [name for name, _ in STORY_PARTS]
        rows = self._select(
            f"SELECT id, title, first_seen, last_seen, sources, {', '.join(names)} FROM stories {where}",
            params,
        )
        if not rows:
            return []
        members: dict[str, list[str]] = {r[0]: [] for r in rows}
        for s_id, art in self._select_in(
            "SELECT story, article FROM story_articles WHERE story IN ({in_}) ORDER BY story, idx",
            list(members),
        ):
            members[s_id].append(art)
        related: dict[str, list[tuple[float, str]]] = {r[0]: [] for r in rows}
        for s_id, other, p in self._select_in(
            "SELECT story, other, p FROM story_links WHERE story IN ({in_})", list(related)
        ):
            related[s_id].append((p, other))
        stories = []
        for row in rows:
            base = dict(zip(("id", "title", "first_seen", "last_seen", "sources"), row[:5], strict=True))
            parts = dict(zip(names, row[5:], strict=True))
            story = story_from_parts(base, parts, members[row[0]])
            story.related = [other for _, other in sorted(related[row[0]], key=lambda t: (-t[0], t[1]))]
            stories.append(story)
        return stories

    # -- vectors and blobs ----------------------------------------------------------------------

    def put_vectors(self, kind: str, ids: Sequence[str], matrix: np.ndarray) -> None:
        """Cache one float32 row per id under `kind` (e.g. the embedder's name); replaces old rows."""
        mat = np.asarray(matrix)
        if mat.ndim != 2 or mat.shape[0] != len(ids):
            raise ValueError(
                f"put_vectors: need a matrix with one row per id, got shape {mat.shape} for {len(ids)} ids"
            )
        mat = np.ascontiguousarray(mat, dtype="<f4")
        dim = int(mat.shape[1])
        with self._tx() as conn:
            conn.executemany(
                "INSERT INTO vectors (kind, id, dim, data) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (kind, id) DO UPDATE SET dim = excluded.dim, data = excluded.data",
                [(kind, v_id, dim, mat[i].tobytes()) for i, v_id in enumerate(ids)],
            )

    def get_vectors(self, kind: str, ids: Sequence[str]) -> dict[str, np.ndarray]:
        """id -> float32 vector for the ids cached under `kind` (missing ids are absent)."""
        rows = self._select_in(
            "SELECT id, data FROM vectors WHERE kind = ? AND id IN ({in_})", list(ids), (kind,)
        )
        return {v_id: np.frombuffer(data, dtype="<f4").astype(np.float32) for v_id, data in rows}

    def put_annotations(self, kind: str, items: Mapping[str, str]) -> None:
        """Keep per-article derived data (`id -> text`) under `kind`, which names what produced it
        (models and code version). An article keeps one kind: rows of other kinds for the same ids,
        written by older models, are dropped, so the table does not grow with each model update."""
        if not items:
            return
        ids = list(items)
        with self._tx() as conn:
            _drop_other_kinds(conn, "annotations", "id", kind, ids)
            conn.executemany(
                "INSERT INTO annotations (kind, id, data) VALUES (?, ?, ?)"
                " ON CONFLICT (kind, id) DO UPDATE SET data = excluded.data",
                [(kind, a_id, items[a_id]) for a_id in ids],
            )

    def get_annotations(self, kind: str, ids: Sequence[str]) -> dict[str, str]:
        """id -> text for the ids annotated under `kind` (missing ids are absent)."""
        rows = self._select_in("SELECT id, data FROM annotations WHERE kind = ? AND id IN ({in_})", list(ids), (kind,))
        return dict(rows)

    def put_sentence_vectors(self, kind: str, items: Mapping[str, Mapping[str, np.ndarray]]) -> None:
        """Keep sentence vectors (`article id -> {text digest: vector}`) under `kind` (the
        embedder's identity), as float16: half the bytes of float32, and every story of
        2015-08-02 analysed from float16 vectors gave the picture it gets from float32 ones
        (docs/benchmarks/pipeline.md). Rows of other kinds for the same articles are dropped, as
        for annotations: a new embedder does not leave the old one's vectors behind."""
        if not items:
            return
        ids = list(items)
        rows = [
            (kind, a_id, digest, np.ascontiguousarray(vec, dtype="<f2").tobytes())
            for a_id in ids
            for digest, vec in items[a_id].items()
        ]
        with self._tx() as conn:
            _drop_other_kinds(conn, "sentence_vectors", "article", kind, ids)
            conn.executemany(
                "INSERT INTO sentence_vectors (kind, article, digest, data) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (kind, article, digest) DO UPDATE SET data = excluded.data",
                rows,
            )

    def get_sentence_vectors(self, kind: str, article_ids: Sequence[str]) -> dict[str, np.ndarray]:
        """text digest -> vector (float32, read from float16) of every sentence kept under `kind`
        for these articles."""
        rows = self._select_in(
            "SELECT digest, data FROM sentence_vectors WHERE kind = ? AND article IN ({in_})",
            list(article_ids),
            (kind,),
        )
        return {digest: np.frombuffer(data, dtype="<f2").astype(np.float32) for digest, data in rows}

    def put_blob(self, name: str, data: bytes) -> None:
        """Store opaque bytes under `name` (e.g. the clusterer's state), replacing any old value."""
        with self._tx() as conn:
            conn.execute(
                "INSERT INTO blobs (name, data, updated_at) VALUES (?, ?, ?)"
                " ON CONFLICT (name) DO UPDATE SET data = excluded.data, updated_at = excluded.updated_at",
                (name, bytes(data), _now()),
            )

    def get_blob(self, name: str) -> bytes | None:
        rows = self._select("SELECT data FROM blobs WHERE name = ?", (name,))
        return bytes(rows[0][0]) if rows else None
