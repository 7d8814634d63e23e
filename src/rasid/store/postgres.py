"""The PostgreSQL store: the same methods as `SQLiteStore`, for many writers and larger archives.

`open_store("postgresql://user@host:port/dbname")` opens it (psycopg 3). The schema is versioned in
a one-row table `rasid_schema` and an ordered tuple of migration steps; each step runs in its own
transaction under a transaction-level advisory lock, so several processes opening a new database
at once migrate it once. A database from a newer rasid is refused.

Full-text search indexes what SQLite's FTS5 index holds (`search.py`): the matching-form tokens of
the title and body and their other keys (light stems, proclitic-less forms). The tsvector is built
here from those tokens, not by a PostgreSQL parser or dictionary, so the folding (diacritics,
tatweel, hamza/alef/ya/ta-marbuta) is exactly rasid's own and the same query finds the same
articles in both backends. The four fields carry the weights A (title), B (body), C (title stems),
D (body stems); `ts_rank` weighs them as SQLite's bm25 column weights do. PostgreSQL's own `arabic`
configuration (Snowball stemmer over display text) was measured against this and found worse
(docs/benchmarks/postgres.md).

Many writers at once: articles are unique by id and by content hash (`ON CONFLICT DO NOTHING`,
each batch in one transaction, retried on a deadlock between two batches), so concurrent runs over
overlapping inputs store each article once. `exclusive(name)` holds a session advisory lock on a
connection of its own: the runner holds it around the story stages (the clusterer's state is loaded,
advanced and saved whole), so two `rasid run` processes take turns there.

One connection per store, shared by threads under a lock, as in SQLite.
"""

from __future__ import annotations

import hashlib
import json
import math
import random
import re
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

import numpy as np

from ..model import Article, Paragraph, Removed, Story
from ..text.normalize import match_form
from .errors import SchemaVersionError, StoreError
from .records import STORY_PARTS, dumps, story_from_parts, story_parts
from .search import IndexedText, ParsedQuery, QueryItem, QueryTerm, SearchKeys, highlights, parse_query
from .story_rows import (
    ORDERS,
    StoryFilter,
    StoryPage,
    StoryRow,
    decode_cursor,
    encode_cursor,
    facet_rows,
    summary_values,
)

T = TypeVar("T")

_CHUNK = 5000  # values per `= ANY(%s)` array
_RETRIES = 10  # attempts of a write transaction that lost a deadlock or a serialization race
# bm25 as SQLite's FTS5 computes it: its k1 and b, and the column weights of sqlite.py's
# (title_exact, body_exact, title_stem, body_stem), here the tsvector weights A, B, C, D.
_K1, _B = 1.2, 0.75
_BM25_WEIGHTS = {"A": 10.0, "B": 4.0, "C": 2.5, "D": 1.0}
_MAX_LEXEME = 500  # characters; PostgreSQL refuses lexemes over 2 KB, and no word is this long
_MAX_POSITIONS = 64  # positions kept per lexeme and field (ranking only counts them)
_MIGRATION_LOCK = 0x72617369_64000001  # advisory lock key of schema migrations ("rasid" + 1)


@dataclass(slots=True, frozen=True)
class PgMigration:
    """One schema step: the statements that take a database from `version - 1` to `version`."""

    version: int
    description: str
    statements: tuple[str, ...]


PG_MIGRATIONS: tuple[PgMigration, ...] = (
    PgMigration(
        1,
        "articles with paragraphs, sentences, removed debris and a tsvector; stories and their members, "
        "links; vectors, sentence vectors, annotations and blobs",
        (
            """CREATE TABLE articles (
                seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                id text COLLATE "C" NOT NULL UNIQUE,
                origin text NOT NULL,
                raw_text text NOT NULL,
                clean_text text NOT NULL,
                title text NOT NULL DEFAULT '',
                url text,
                source text,
                published text COLLATE "C",
                author text,
                content_hash text COLLATE "C" NOT NULL UNIQUE,
                story text COLLATE "C",
                duplicate_of text COLLATE "C",
                added_at text NOT NULL,
                tsv tsvector NOT NULL,
                ntokens integer NOT NULL DEFAULT 0
            )""",
            "CREATE INDEX articles_story ON articles (story)",
            "CREATE INDEX articles_published ON articles (published, seq)",
            "CREATE INDEX articles_duplicate_of ON articles (duplicate_of) WHERE duplicate_of IS NOT NULL",
            "CREATE INDEX articles_tsv ON articles USING gin (tsv)",
            """CREATE TABLE paragraphs (
                article bigint NOT NULL REFERENCES articles (seq) ON DELETE CASCADE,
                idx integer NOT NULL,
                text text NOT NULL,
                lang text NOT NULL,
                PRIMARY KEY (article, idx)
            )""",
            """CREATE TABLE sentences (
                article bigint NOT NULL,
                paragraph integer NOT NULL,
                idx integer NOT NULL,
                text text NOT NULL,
                PRIMARY KEY (article, paragraph, idx),
                FOREIGN KEY (article, paragraph) REFERENCES paragraphs (article, idx) ON DELETE CASCADE
            )""",
            """CREATE TABLE removed (
                article bigint NOT NULL REFERENCES articles (seq) ON DELETE CASCADE,
                idx integer NOT NULL,
                kind text NOT NULL,
                text text NOT NULL,
                PRIMARY KEY (article, idx)
            )""",
            """CREATE TABLE stories (
                seq bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
                id text COLLATE "C" PRIMARY KEY,
                title text NOT NULL DEFAULT '',
                first_seen text COLLATE "C",
                last_seen text COLLATE "C",
                sources jsonb NOT NULL DEFAULT '[]',
                entities jsonb NOT NULL DEFAULT '[]',
                timeline jsonb NOT NULL DEFAULT '[]',
                quotes jsonb NOT NULL DEFAULT '[]',
                brief jsonb NOT NULL DEFAULT '[]',
                disputed jsonb NOT NULL DEFAULT '[]',
                updated_at text NOT NULL
            )""",
            "CREATE INDEX stories_last_seen ON stories (last_seen)",
            """CREATE TABLE story_articles (
                story text COLLATE "C" NOT NULL REFERENCES stories (id) ON DELETE CASCADE,
                idx integer NOT NULL,
                article text COLLATE "C" NOT NULL,
                PRIMARY KEY (story, idx)
            )""",
            "CREATE INDEX story_articles_article ON story_articles (article)",
            """CREATE TABLE story_links (
                story text COLLATE "C" NOT NULL,
                other text COLLATE "C" NOT NULL,
                p double precision NOT NULL,
                PRIMARY KEY (story, other)
            )""",
            "CREATE INDEX story_links_other ON story_links (other)",
            """CREATE TABLE vectors (
                kind text NOT NULL,
                id text COLLATE "C" NOT NULL,
                dim integer NOT NULL,
                data bytea NOT NULL,
                PRIMARY KEY (kind, id)
            )""",
            """CREATE TABLE annotations (
                kind text NOT NULL,
                id text COLLATE "C" NOT NULL,
                data text NOT NULL,
                PRIMARY KEY (kind, id)
            )""",
            "CREATE INDEX annotations_id ON annotations (id)",
            """CREATE TABLE sentence_vectors (
                kind text NOT NULL,
                article text COLLATE "C" NOT NULL,
                digest text NOT NULL,
                data bytea NOT NULL,
                PRIMARY KEY (kind, article, digest)
            )""",
            "CREATE INDEX sentence_vectors_article ON sentence_vectors (article)",
            """CREATE TABLE blobs (
                name text PRIMARY KEY,
                data bytea NOT NULL,
                updated_at text NOT NULL
            )""",
        ),
    ),
)

PG_SCHEMA_VERSION = PG_MIGRATIONS[-1].version

_ARTICLE_COLS = (
    "seq, id, origin, raw_text, title, url, source, published, author, content_hash, story, duplicate_of"
)
_PASSWORD = re.compile(r"(://[^:/@]*:)[^@]*@")


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def safe_url(url: str) -> str:
    """`url` with any password masked, for messages."""
    return _PASSWORD.sub(r"\1***@", url)


def lock_key(name: str) -> int:
    """A signed 64-bit advisory lock key for `name`."""
    return int.from_bytes(hashlib.blake2b(name.encode("utf-8"), digest_size=8).digest(), "big", signed=True)


def _quote_lexeme(token: str) -> str:
    if "'" in token or "\\" in token:
        token = token.replace("\\", "\\\\").replace("'", "''")
    return "'" + token + "'"


def _position_lists() -> dict[str, tuple[str, ...]]:
    """weight -> the position list of 0..64 occurrences, each field in a range of its own."""
    lists = {}
    for base, weight in ((0, "A"), (1000, "B"), (2000, "C"), (3000, "D")):
        lists[weight] = tuple(",".join(f"{base + i}{weight}" for i in range(1, n + 1))
                              for n in range(_MAX_POSITIONS + 1))
    return lists


_POSITIONS = _position_lists()  # constant, never mutated


def tsvector_text(idx: IndexedText) -> tuple[str, int]:
    """The tsvector literal of one article's index fields (title A, body B, title stems C, body
    stems D) and its length in tokens (bm25's document length, as FTS5 counts it).

    Lexemes are rasid's own tokens (already in the matching form), so no parser, dictionary or
    server locale of PostgreSQL touches them. `ts_rank` reads how many positions of each weight a
    lexeme has, not where they are, so each field numbers its occurrences in a range of its own
    (up to 64 per lexeme).
    """
    parts: dict[str, list[str]] = {}
    total = 0
    for text, weight in ((idx.title_exact, "A"), (idx.body_exact, "B"), (idx.title_stem, "C"),
                         (idx.body_stem, "D")):
        lists = _POSITIONS[weight]
        toks = text.split()
        total += len(toks)
        for tok, n in Counter(toks).items():
            if len(tok) <= _MAX_LEXEME:
                parts.setdefault(tok, []).append(lists[min(n, _MAX_POSITIONS)])
    return " ".join(f"{_quote_lexeme(tok)}:{','.join(ps)}" for tok, ps in parts.items()), total


def tsquery_text(terms: Sequence[QueryTerm]) -> str:
    """A tsquery literal: every term must hit, by any of its keys. Keys are quoted lexemes, so
    nothing in the user's query is read as tsquery syntax."""
    return " & ".join(
        "(" + " | ".join(_quote_lexeme(k) for k in term.keys if len(k) <= _MAX_LEXEME) + ")"
        for term in terms
        if any(len(k) <= _MAX_LEXEME for k in term.keys)
    )


def _driver() -> Any:
    """psycopg; without it the ImportError goes up, and the command line names the extra to install
    (`rasid[postgres]`, extras.py)."""
    import psycopg

    return psycopg


def migrate(conn: Any, migrations: Sequence[PgMigration] = PG_MIGRATIONS, name: str = "database") -> int:
    """Bring the database of `conn` (autocommit mode) up to the last of `migrations`.

    Each step runs in its own transaction with its version bump, under an advisory lock: a second
    process opening the same new database waits, then finds the step done.
    """
    latest = migrations[-1].version if migrations else 0

    def version() -> int:
        conn.execute("CREATE TABLE IF NOT EXISTS rasid_schema (version integer NOT NULL)")
        row = conn.execute("SELECT version FROM rasid_schema").fetchone()
        if row is None:
            conn.execute("INSERT INTO rasid_schema (version) VALUES (0)")
            return 0
        return int(row[0])

    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (_MIGRATION_LOCK,))
        current = version()
    if current > latest:
        raise SchemaVersionError(
            f"{name}: schema version {current} was written by a newer rasid (this one knows up to "
            f"version {latest}); upgrade rasid to open it"
        )
    for step in migrations:
        if step.version <= current:
            continue
        with conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (_MIGRATION_LOCK,))
            current = version()
            if step.version <= current:  # another process did it while we waited
                continue
            for statement in step.statements:
                conn.execute(statement)
            conn.execute("UPDATE rasid_schema SET version = %s", (step.version,))
            current = step.version
    return current


def _chunks(values: Sequence[T], size: int = _CHUNK) -> Iterator[list[T]]:
    for i in range(0, len(values), size):
        yield list(values[i : i + size])


class _AtomicBlock:
    """The open transaction of `PostgresStore.atomic`: begun at its first write, holding the store
    lock (so other threads neither read nor write uncommitted rows) until the block ends."""

    __slots__ = ("owner", "tx")

    def __init__(self, owner: int) -> None:
        self.owner = owner
        self.tx: Any = None


class PostgresStore:
    """Articles, stories, vectors and blobs in one PostgreSQL database; implements `pipeline.Store`."""

    readonly = False  # a PostgreSQL role's rights are the server's business: writes fail one by one

    def __init__(self, url: str, *, connect_timeout: int = 10) -> None:
        self.url = url
        self.path = safe_url(url)  # what messages (and `rasid run`'s summary) name
        self._psycopg = _driver()
        self._lock = threading.RLock()
        self._atomic: _AtomicBlock | None = None
        self._atomic_lock = threading.Lock()
        self._keys = SearchKeys()
        self._connect_timeout = connect_timeout
        self._conn: Any = self._connect()
        try:
            encoding = self._conn.execute("SHOW server_encoding").fetchone()[0]
            if str(encoding).upper() not in {"UTF8", "UTF-8"}:
                raise StoreError(f"{self.path}: the database encoding is {encoding}; rasid needs UTF8")
            migrate(self._conn, PG_MIGRATIONS, self.path)
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

    def __enter__(self) -> PostgresStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"PostgresStore({self.path!r})"

    def close(self) -> None:
        with self._lock:
            if self._conn is None:
                return
            with suppress(Exception):
                self._conn.close()
            self._conn = None

    @property
    def schema_version(self) -> int:
        return int(self._select("SELECT version FROM rasid_schema")[0][0])

    def _db(self) -> Any:
        if self._conn is None:
            raise StoreError(f"{self.path}: store is closed")
        return self._conn

    def _write(self, work: Callable[[Any], T]) -> T:
        """Run `work(conn)` in one transaction under the store lock; retried when PostgreSQL
        aborts it to break a deadlock with another writer (two batches sharing articles). Inside
        `atomic()` (on the thread that opened it) it runs in the block's transaction instead."""
        block = self._atomic
        if block is not None and block.owner == threading.get_ident():
            if block.tx is None:
                self._lock.acquire()
                try:
                    tx = self._db().transaction()
                    tx.__enter__()
                except BaseException:
                    self._lock.release()
                    raise
                block.tx = tx
            with self._db().transaction():  # a savepoint: a failed write leaves the block usable
                return work(self._db())
        errors = self._psycopg.errors
        for attempt in range(_RETRIES):
            with self._lock:
                conn = self._db()
                try:
                    with conn.transaction():
                        return work(conn)
                except (errors.DeadlockDetected, errors.SerializationFailure):
                    if attempt == _RETRIES - 1:
                        raise
                except self._psycopg.OperationalError as exc:
                    raise StoreError(f"{self.path}: {_reason(exc)}") from exc
            time.sleep(random.uniform(0.01, 0.05) * (attempt + 1))  # jittered: the two do not meet again
        raise AssertionError("unreachable")

    def _select(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        with self._lock:
            try:
                return self._db().execute(sql, params).fetchall()
            except self._psycopg.OperationalError as exc:
                raise StoreError(f"{self.path}: {_reason(exc)}") from exc

    def _select_any(self, sql: str, values: Sequence[Any], extra: Sequence[Any] = ()) -> list[tuple]:
        """Run `sql` (its last parameter an array for `= ANY(%s)`) over `values` in chunks."""
        rows: list[tuple] = []
        for chunk in _chunks(list(values)):
            rows.extend(self._select(sql, [*extra, chunk]))
        return rows

    @contextmanager
    def atomic(self) -> Iterator[None]:
        """Make every write of this block (on this thread) one transaction: all committed at its
        end, or none if it fails or the process dies first. Reads before the first write run as
        usual; nested blocks join the outer one (as SQLiteStore.atomic)."""
        if self._atomic is not None and self._atomic.owner == threading.get_ident():
            yield
            return
        with self._atomic_lock:
            block = self._atomic = _AtomicBlock(threading.get_ident())
            try:
                yield
            except BaseException as exc:
                self._atomic = None
                self._end_atomic(block, exc)
                raise
            self._atomic = None
            self._end_atomic(block, None)

    def _end_atomic(self, block: _AtomicBlock, exc: BaseException | None) -> None:
        if block.tx is None:
            return
        tx, block.tx = block.tx, None
        try:
            tx.__exit__(type(exc) if exc is not None else None, exc, None)  # commit, or roll back
        finally:
            self._lock.release()

    @contextmanager
    def exclusive(self, name: str) -> Iterator[None]:
        """Hold the advisory lock `name` (on a connection of its own) for the duration: another
        process asking for the same name waits. The lock ends with its connection, so a process
        that dies holding it frees it."""
        conn = self._connect()
        try:
            conn.execute("SELECT pg_advisory_lock(%s)", (lock_key(name),))
            yield
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
        known_ids = {r[0] for r in self._select_any("SELECT id FROM articles WHERE id = ANY(%s)",
                                                     [a.id for a in articles])}
        known_hashes = {r[0] for r in self._select_any(
            "SELECT content_hash FROM articles WHERE content_hash = ANY(%s)", [a.content_hash for a in articles])}
        fresh: list[Article] = []
        for art in articles:
            if art.id in known_ids or art.content_hash in known_hashes:
                continue
            known_ids.add(art.id)
            known_hashes.add(art.content_hash)
            fresh.append(art)
        if not fresh:
            return []
        # Inserted in the order given, as SQLite does (`iter_articles` breaks ties of publication
        # time by insertion). Two batches sharing articles in different orders can deadlock:
        # PostgreSQL aborts one, and `_write` runs it again.
        order = range(len(fresh))
        vectors = {i: tsvector_text(self._keys.index(fresh[i].title, [p.text for p in fresh[i].paragraphs]))
                   for i in order}
        added_at = _now()

        def work(conn: Any) -> list[int]:
            stored: list[int] = []
            paragraphs: list[tuple] = []
            sentences: list[tuple] = []
            removed: list[tuple] = []
            with conn.cursor() as cur:
                # one pipelined statement per article; a conflict returns no row for it
                cur.executemany(
                    "INSERT INTO articles (id, origin, raw_text, clean_text, title, url, source, published,"
                    " author, content_hash, story, duplicate_of, added_at, tsv, ntokens)"
                    " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s::tsvector, %s)"
                    " ON CONFLICT DO NOTHING RETURNING seq",
                    [(a.id, a.origin, a.raw_text, a.text, a.title or "", a.url, a.source, a.published, a.author,
                      a.content_hash, a.story, a.duplicate_of, added_at, *vectors[i])
                     for i, a in ((i, fresh[i]) for i in order)],
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
                    art = fresh[i]
                    stored.append(i)
                    for p_idx, para in enumerate(art.paragraphs):
                        paragraphs.append((seq, p_idx, para.text, para.lang or "und"))
                        sentences.extend((seq, p_idx, s_idx, s) for s_idx, s in enumerate(para.sentences))
                    removed.extend((seq, r_idx, r.kind, r.text) for r_idx, r in enumerate(art.removed))
                _copy(cur, "paragraphs (article, idx, text, lang)", paragraphs)
                _copy(cur, "sentences (article, paragraph, idx, text)", sentences)
                _copy(cur, "removed (article, idx, kind, text)", removed)
            return stored

        stored = set(self._write(work))
        return [a.id for i, a in enumerate(fresh) if i in stored]  # in the order given

    def has_article(self, article_id: str) -> bool:
        return bool(self._select("SELECT 1 FROM articles WHERE id = %s", (article_id,)))

    def has_hash(self, content_hash: str) -> bool:
        return bool(self._select("SELECT 1 FROM articles WHERE content_hash = %s", (content_hash,)))

    def get_article(self, article_id: str) -> Article | None:
        rows = self._select("SELECT seq FROM articles WHERE id = %s", (article_id,))
        return self._load_articles([rows[0][0]])[0] if rows else None

    def get_articles(self, article_ids: Sequence[str]) -> list[Article]:
        """The stored articles among `article_ids`, in the order asked (unknown ids are left out)."""
        wanted = list(dict.fromkeys(article_ids))
        seq_of = dict(self._select_any("SELECT id, seq FROM articles WHERE id = ANY(%s)", wanted))
        by_id = {a.id: a for a in self._load_articles(sorted(seq_of.values()))}
        return [by_id[i] for i in wanted if i in by_id]

    def iter_articles(self, order: str = "published") -> Iterator[Article]:
        """All articles, by publication time (undated last) then insertion; or `order="added"`.
        The order is fixed when iteration starts; articles are loaded in chunks."""
        if order == "published":
            sql = "SELECT seq FROM articles ORDER BY published ASC NULLS LAST, seq"
        elif order == "added":
            sql = "SELECT seq FROM articles ORDER BY seq"
        else:
            raise ValueError(f"unknown article order {order!r} (use 'published' or 'added')")
        seqs = [r[0] for r in self._select(sql)]
        for chunk in _chunks(seqs, 500):
            yield from self._load_articles(chunk)

    def count_articles(self) -> int:
        return int(self._select("SELECT count(*) FROM articles")[0][0])

    def story_article_ids(self, story_id: str) -> list[str]:
        """Ids of the articles assigned to `story_id` (by `set_assignments`), by publication time."""
        rows = self._select(
            "SELECT id FROM articles WHERE story = %s ORDER BY published ASC NULLS LAST, seq", (story_id,))
        return [r[0] for r in rows]

    def _load_articles(self, seqs: Sequence[int]) -> list[Article]:
        """Full Article records for `seqs` (existing ones), in the order given."""
        if not seqs:
            return []
        arts: dict[int, Article] = {}
        for row in self._select_any(f"SELECT {_ARTICLE_COLS} FROM articles WHERE seq = ANY(%s)", seqs):
            seq, a_id, origin, raw, title, url, source, published, author, c_hash, story, dup = row
            arts[seq] = Article(id=a_id, origin=origin, raw_text=raw, content_hash=c_hash, title=title, url=url,
                                source=source, published=published, author=author, story=story, duplicate_of=dup)
        keys = list(arts)
        for seq, _idx, text, lang in self._select_any(
            "SELECT article, idx, text, lang FROM paragraphs WHERE article = ANY(%s) ORDER BY article, idx", keys
        ):
            arts[seq].paragraphs.append(Paragraph(text=text, lang=lang))
        for seq, p_idx, _idx, text in self._select_any(
            "SELECT article, paragraph, idx, text FROM sentences WHERE article = ANY(%s)"
            " ORDER BY article, paragraph, idx", keys
        ):
            arts[seq].paragraphs[p_idx].sentences.append(text)
        for seq, _idx, kind, text in self._select_any(
            "SELECT article, idx, kind, text FROM removed WHERE article = ANY(%s) ORDER BY article, idx", keys
        ):
            arts[seq].removed.append(Removed(kind=kind, text=text))
        return [arts[s] for s in seqs if s in arts]

    def set_assignments(self, rows: Sequence[tuple[str, str | None, str | None]]) -> None:
        """Record (article_id, story_id, duplicate_of) for each row, in one transaction."""
        if not rows:
            return
        ordered = sorted(rows, key=lambda r: r[0])  # one lock order for every writer

        def work(conn: Any) -> None:
            with conn.cursor() as cur:
                cur.executemany("UPDATE articles SET story = %s, duplicate_of = %s WHERE id = %s",
                                [(story, dup, a_id) for a_id, story, dup in ordered])

        self._write(work)

    def unassigned_article_ids(self) -> list[str]:
        """Ids of the stored articles in no story yet (a run stopped before its stories stage
        finished, or another process's run not yet at its stages), by publication time then insertion."""
        rows = self._select("SELECT id FROM articles WHERE story IS NULL ORDER BY published ASC NULLS LAST, seq")
        return [r[0] for r in rows]

    def clear_stories(self, state_prefix: str = "state:") -> None:
        """Forget every story, link and assignment, and the stages' saved state (the blobs named
        `state_prefix`...), in one transaction: the articles stay, ready to be grouped anew."""

        def work(conn: Any) -> None:
            conn.execute("DELETE FROM story_links")
            conn.execute("DELETE FROM story_articles")
            conn.execute("DELETE FROM stories")
            conn.execute("UPDATE articles SET story = NULL, duplicate_of = NULL"
                         " WHERE story IS NOT NULL OR duplicate_of IS NOT NULL")
            conn.execute("DELETE FROM blobs WHERE starts_with(name, %s)", (state_prefix,))

        self._write(work)

    # -- search ---------------------------------------------------------------------------------

    def search(self, query: str, limit: int = 20) -> list[dict[str, object]]:
        """Articles matching every query word, best first: [{"id", "title", "snippet", "score"}].

        The same matching as SQLite's: matching form (diacritics, tatweel, alef/hamza/ya/
        ta-marbuta folded) and light-stem keys, exact-form and title hits ranked higher.
        """
        terms = self._keys.query_terms(query)
        tsq = tsquery_text(terms)
        if not terms or not tsq or limit <= 0:
            return []
        hits = self._bm25(terms, tsq, int(limit))
        if not hits:
            return []
        paras: dict[int, list[str]] = {seq: [] for seq, *_ in hits}
        for seq, text in self._select_any(
            "SELECT article, text FROM paragraphs WHERE article = ANY(%s) ORDER BY article, idx", list(paras)
        ):
            paras[seq].append(text)
        return [
            {"id": a_id, "title": title, "snippet": self._keys.snippet(paras[seq], terms), "score": round(r, 4)}
            for seq, a_id, title, r in hits
        ]

    def _bm25(self, terms: Sequence[QueryTerm], tsq: str, limit: int) -> list[tuple[int, str, str, float]]:
        """(seq, id, title, score) of the best `limit` matches, scored as SQLite's FTS5 `bm25` scores
        them: every key of every term a phrase, with its IDF over the whole table; per article the
        column-weighted frequency of the key (title, body, title stems, body stems as weights A-D)
        and the article's length in tokens against the mean."""
        keys = [k for term in terms for k in term.keys if len(k) <= _MAX_LEXEME]
        distinct = list(dict.fromkeys(keys))
        n_docs, mean_len = self._select("SELECT count(*), coalesce(avg(ntokens), 0) FROM articles")[0]
        n_docs, mean_len = int(n_docs), float(mean_len) or 1.0
        with_key = {k: int(self._select("SELECT count(*) FROM articles WHERE tsv @@ CAST(%s AS tsquery)",
                                        (_quote_lexeme(k),))[0][0]) for k in distinct}
        idf = {k: max(math.log((n_docs - n + 0.5) / (n + 0.5)), 1e-6) for k, n in with_key.items()}
        rows = self._select(
            "SELECT a.seq, a.id, a.title, a.ntokens, u.lexeme, u.weights::text[]"
            " FROM articles a, CAST(%s AS tsquery) AS q, unnest(a.tsv) AS u"
            " WHERE a.tsv @@ q AND u.lexeme = ANY(%s)",
            (tsq, distinct),
        )
        docs: dict[int, tuple[str, str, int, dict[str, float]]] = {}
        for seq, a_id, title, ntok, lexeme, weights in rows:
            doc = docs.setdefault(seq, (a_id, title, ntok, {}))
            doc[3][lexeme] = sum(_BM25_WEIGHTS[w] for w in weights)
        scored = []
        for seq, (a_id, title, ntok, freq) in docs.items():
            norm = _K1 * (1 - _B + _B * ntok / mean_len)
            score = sum(idf[k] * freq[k] * (_K1 + 1) / (freq[k] + norm) for k in keys if k in freq)
            scored.append((-score, seq, a_id, title))
        scored.sort()
        return [(seq, a_id, title, -neg) for neg, seq, a_id, title in scored[:limit]]

    def search_page(self, query: str, limit: int = 20, offset: int = 0) -> dict[str, Any]:
        """One page of search results, as `SQLiteStore.search_page` gives it (the same query syntax:
        words, "phrases", OR, -exclusions; copies collapsed into the best-ranked article of their
        group; true totals). Not yet SQL-paged for PostgreSQL: every match is scored (as `search`
        scores them) and the page cut here; phrases are checked on the matching articles' text."""
        parsed = parse_query(self._keys, query)
        tsq = _parsed_tsquery(parsed)
        if not tsq or limit <= 0:
            return {"total": 0, "stories": 0, "hits": []}
        terms = parsed.terms
        scored = self._bm25(terms, tsq, self.count_articles())
        phrases = any(item.phrase for group in parsed.groups for item in group) or any(
            item.phrase for item in parsed.excluded)
        titles = {seq: title or "" for seq, _, title, _ in scored}
        texts: dict[int, tuple[str, list[str]]] = {}

        def load(seqs: list[int]) -> None:
            wanted = [s for s in seqs if s not in texts]
            texts.update({s: (titles[s], []) for s in wanted})
            for seq, text in self._select_any(
                "SELECT article, text FROM paragraphs WHERE article = ANY(%s) ORDER BY article, idx", wanted
            ):
                texts[seq][1].append(text)

        if phrases:
            load([seq for seq, *_ in scored])  # the tsquery asked for a phrase's words anywhere; keep those where they are adjacent
            scored = [h for h in scored if _matches(self._keys, parsed, *texts[h[0]])]
        meta = {row[0]: row[1:] for row in self._select_any(
            "SELECT seq, story, source, published, url, coalesce(duplicate_of, id) FROM articles"
            " WHERE seq = ANY(%s)", [seq for seq, *_ in scored])}
        groups: dict[str, list[tuple[int, str, str, float]]] = {}
        for hit in scored:  # best first, so each group's first hit is its best
            groups.setdefault(meta[hit[0]][4], []).append(hit)
        ranked = sorted(groups.items(), key=lambda g: (-g[1][0][3], g[0]))
        stories = {meta[h[0]][0] for _, hits in ranked for h in hits if meta[h[0]][0] is not None}
        page = ranked[int(offset): int(offset) + int(limit)]
        load([hits[0][0] for _, hits in page])
        out = []
        for _, hits in page:
            seq, a_id, title, score = hits[0]
            story, source, published, url, _head = meta[seq]
            snippet = self._keys.snippet(texts[seq][1][:12], terms)  # the lead is where a reader looks
            out.append({
                "id": a_id, "title": title, "snippet": snippet,
                "highlights": [list(span) for span in highlights(self._keys, snippet, terms)],
                "title_highlights": [list(span) for span in highlights(self._keys, title or "", terms)],
                "score": round(score, 4), "copies": len(hits) - 1, "story": story, "source": source,
                "published": published, "url": url,
            })
        return {"total": len(ranked), "stories": len(stories), "hits": out}

    def reindex(self) -> int:
        """Rebuild every article's tsvector from its stored display text; return the articles indexed."""
        seqs = [r[0] for r in self._select("SELECT seq FROM articles ORDER BY seq")]
        for chunk in _chunks(seqs, 500):
            rows = [(*tsvector_text(self._keys.index(a.title, [p.text for p in a.paragraphs])), seq)
                    for seq, a in zip(chunk, self._load_articles(chunk), strict=True)]

            def work(conn: Any, rows: list[tuple[str, int, int]] = rows) -> None:
                with conn.cursor() as cur:
                    cur.executemany("UPDATE articles SET tsv = %s::tsvector, ntokens = %s WHERE seq = %s", rows)

            self._write(work)
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
        marks = ", ".join(["%s"] * 4 + ["%s::jsonb"] * (1 + len(names)) + ["%s"])
        updates = ", ".join(f"{c} = excluded.{c}"
                            for c in ["title", "first_seen", "last_seen", "sources", *names, "updated_at"])
        now = _now()
        ordered = sorted(stories, key=lambda s: s.id)

        def work(conn: Any) -> None:
            with conn.cursor() as cur:
                for story in ordered:
                    parts = story_parts(story)
                    cur.execute(
                        f"INSERT INTO stories ({cols}) VALUES ({marks}) ON CONFLICT (id) DO UPDATE SET {updates}",
                        (story.id, story.title or "", story.first_seen, story.last_seen,
                         dumps(list(story.sources)), *(parts[n] for n in names), now),
                    )
                    cur.execute("DELETE FROM story_articles WHERE story = %s", (story.id,))
                    _copy(cur, "story_articles (story, idx, article)",
                          [(story.id, i, a) for i, a in enumerate(story.articles)])

        self._write(work)

    def list_stories(self, f: StoryFilter | None = None, *, order: str = "rank", limit: int = 20,
                     offset: int = 0, cursor: str | None = None) -> StoryPage:
        """One page of the story list, as `SQLiteStore.list_stories` gives it (the same filters,
        orders, ranking, cursors and total). Not yet SQL-indexed for PostgreSQL: the summary rows
        and facets (story_rows.py) are computed here from every stored story on each call."""
        f = f or StoryFilter()
        if order not in ORDERS:
            raise ValueError(f"unknown story order {order!r} (use {' or '.join(ORDERS)})")
        key = decode_cursor(cursor, order) if cursor else None
        if cursor and key is None:
            raise ValueError("not a cursor of this list (take next_cursor from the previous page)")
        rows = [row for row, first, facets in self._story_summaries() if _passes(f, row, first, facets)]

        def sort_key(r: StoryRow) -> tuple[Any, ...]:
            return (r.rank, r.id) if order == "rank" else (r.last_day, r.rank, r.id)

        rows.sort(key=sort_key, reverse=True)
        total = len(rows)
        if key is not None:
            rows = [r for r in rows if sort_key(r) < tuple(key)]
            offset = 0
        page = rows[int(offset): int(offset) + int(limit) + 1]
        out = page[:limit]
        more = len(page) > limit and bool(out)
        return StoryPage(out, total, encode_cursor(order, out[-1]) if more else None)

    def _story_summaries(self) -> list[tuple[StoryRow, str, set[tuple[str, str]]]]:
        """Each story's list row, first day and (kind, value) filter facets, as SQLite stores them."""
        out = []
        for chunk in _chunks([r[0] for r in self._select("SELECT id FROM stories ORDER BY seq")], 500):
            stories = self._load_stories(chunk)
            weight: dict[str, dict[str, int]] = {}
            for a_id, lang, chars in self._select_any(
                "SELECT a.id, p.lang, sum(length(p.text)) FROM articles a JOIN paragraphs p ON p.article = a.seq"
                " WHERE a.id = ANY(%s) GROUP BY a.id, p.lang", [a for s in stories for a in s.articles]
            ):
                weight.setdefault(a_id, {})[lang] = int(chars)
            unnamed = {r[0] for r in self._select_any(  # members naming no outlet count one each
                "SELECT id FROM articles WHERE id = ANY(%s) AND (source IS NULL OR trim(source) = '')",
                [a for s in stories for a in s.articles])}
            for story in stories:
                langs = {a: max(w, key=lambda k: (w[k], k)) for a in story.articles if (w := weight.get(a))}
                v = summary_values(story, langs, sum(1 for a in story.articles if a in unnamed))
                row = StoryRow(id=story.id, title=story.title or "", first_seen=story.first_seen,
                               last_seen=story.last_seen, articles=v["size"], outlets=v["outlets"],
                               statements=v["statements"], rank=v["rank"], last_day=v["last_day"],
                               sources=list(story.sources), entities=json.loads(v["top_entities"]),
                               langs=v["langs"].split())
                facets = {(kind, value) for kind, value, _ in facet_rows(story, v["langs"])}
                out.append((row, v["first_day"], facets))
        return out

    def put_story_links(self, links: Mapping[str, Sequence[tuple[str, float]]]) -> None:
        """Replace the related stories of each story in `links` ({id: [(related id, p), ...]},
        best first); an empty list removes them."""
        if not links:
            return

        def work(conn: Any) -> None:
            with conn.cursor() as cur:
                for sid in sorted(links):
                    cur.execute("DELETE FROM story_links WHERE story = %s", (sid,))
                    rows = {other: float(p) for other, p in links[sid]}  # a repeated pair keeps its last p
                    _copy(cur, "story_links (story, other, p)", [(sid, o, p) for o, p in rows.items()])

        self._write(work)

    def story_titles(self, ids: Sequence[str]) -> dict[str, str]:
        """id -> title of the given stories that exist (a light read, for links to them)."""
        return dict(self._select_any("SELECT id, title FROM stories WHERE id = ANY(%s)", list(ids))) if ids else {}

    def get_story(self, story_id: str) -> Story | None:
        stories = self._load_stories([story_id])
        return stories[0] if stories else None

    def iter_stories(self, order: str = "created") -> Iterator[Story]:
        """All stories, in creation order, or `order="recent"` (latest `last_seen` first)."""
        if order == "created":
            sql = "SELECT id FROM stories ORDER BY seq"
        elif order == "recent":
            sql = "SELECT id FROM stories ORDER BY last_seen DESC NULLS LAST, seq"
        else:
            raise ValueError(f"unknown story order {order!r} (use 'created' or 'recent')")
        ids = [r[0] for r in self._select(sql)]
        for chunk in _chunks(ids, 500):
            loaded = {s.id: s for s in self._load_stories(chunk)}
            yield from (loaded[s] for s in chunk if s in loaded)

    def count_stories(self) -> int:
        return int(self._select("SELECT count(*) FROM stories")[0][0])

    def delete_story(self, story_id: str) -> bool:
        """Remove a story (e.g. merged into another); articles keep their `story` until reassigned."""

        def work(conn: Any) -> bool:
            conn.execute("DELETE FROM story_links WHERE story = %s OR other = %s", (story_id, story_id))
            return conn.execute("DELETE FROM stories WHERE id = %s", (story_id,)).rowcount > 0

        return self._write(work)

    def _load_stories(self, ids: Sequence[str]) -> list[Story]:
        names = [name for name, _ in STORY_PARTS]
        rows = self._select_any(
            f"SELECT id, title, first_seen, last_seen, sources::text, {', '.join(n + '::text' for n in names)}"
            " FROM stories WHERE id = ANY(%s)", list(ids))
        if not rows:
            return []
        members: dict[str, list[str]] = {r[0]: [] for r in rows}
        for s_id, art in self._select_any(
            "SELECT story, article FROM story_articles WHERE story = ANY(%s) ORDER BY story, idx", list(members)
        ):
            members[s_id].append(art)
        related: dict[str, list[tuple[float, str]]] = {r[0]: [] for r in rows}
        for s_id, other, p in self._select_any(
            "SELECT story, other, p FROM story_links WHERE story = ANY(%s)", list(related)
        ):
            related[s_id].append((p, other))
        stories = []
        for row in rows:
            base = dict(zip(("id", "title", "first_seen", "last_seen", "sources"), row[:5], strict=True))
            parts = dict(zip(names, row[5:], strict=True))
            story = story_from_parts(base, parts, members[row[0]])
            story.related = [other for _, other in sorted(related[row[0]], key=lambda t: (-t[0], t[1]))]
            stories.append(story)
        order = {sid: i for i, sid in enumerate(ids)}
        stories.sort(key=lambda s: order.get(s.id, len(order)))
        return stories

    # -- vectors, annotations and blobs ---------------------------------------------------------

    def put_vectors(self, kind: str, ids: Sequence[str], matrix: np.ndarray) -> None:
        """Cache one float32 row per id under `kind` (e.g. the embedder's name); replaces old rows."""
        mat = np.asarray(matrix)
        if mat.ndim != 2 or mat.shape[0] != len(ids):
            raise ValueError(
                f"put_vectors: need a matrix with one row per id, got shape {mat.shape} for {len(ids)} ids")
        mat = np.ascontiguousarray(mat, dtype="<f4")
        dim = int(mat.shape[1])
        rows = sorted({v_id: (kind, v_id, dim, mat[i].tobytes()) for i, v_id in enumerate(ids)}.items())

        def work(conn: Any) -> None:
            with conn.cursor() as cur:
                cur.executemany(
                    "INSERT INTO vectors (kind, id, dim, data) VALUES (%s, %s, %s, %s)"
                    " ON CONFLICT (kind, id) DO UPDATE SET dim = excluded.dim, data = excluded.data",
                    [r for _, r in rows])

        self._write(work)

    def get_vectors(self, kind: str, ids: Sequence[str]) -> dict[str, np.ndarray]:
        """id -> float32 vector for the ids cached under `kind` (missing ids are absent)."""
        rows = self._select_any("SELECT id, data FROM vectors WHERE kind = %s AND id = ANY(%s)", list(ids), (kind,))
        return {v_id: np.frombuffer(data, dtype="<f4").astype(np.float32) for v_id, data in rows}

    def put_annotations(self, kind: str, items: Mapping[str, str]) -> None:
        """Keep per-article derived data (`id -> text`) under `kind`; rows of other kinds for the
        same ids (older models) are dropped, as in SQLite."""
        if not items:
            return
        ids = sorted(items)

        def work(conn: Any) -> None:
            with conn.cursor() as cur:
                for chunk in _chunks(ids):
                    cur.execute("DELETE FROM annotations WHERE kind <> %s AND id = ANY(%s)", (kind, chunk))
                cur.executemany(
                    "INSERT INTO annotations (kind, id, data) VALUES (%s, %s, %s)"
                    " ON CONFLICT (kind, id) DO UPDATE SET data = excluded.data",
                    [(kind, a_id, items[a_id]) for a_id in ids])

        self._write(work)

    def get_annotations(self, kind: str, ids: Sequence[str]) -> dict[str, str]:
        """id -> text for the ids annotated under `kind` (missing ids are absent)."""
        return dict(self._select_any("SELECT id, data FROM annotations WHERE kind = %s AND id = ANY(%s)",
                                     list(ids), (kind,)))

    def put_sentence_vectors(self, kind: str, items: Mapping[str, Mapping[str, np.ndarray]]) -> None:
        """Keep sentence vectors (`article id -> {text digest: vector}`) under `kind`, as float16
        (as SQLite does); rows of other kinds for the same articles are dropped."""
        if not items:
            return
        ids = sorted(items)
        rows = [(kind, a_id, digest, np.ascontiguousarray(vec, dtype="<f2").tobytes())
                for a_id in ids for digest, vec in sorted(items[a_id].items())]

        def work(conn: Any) -> None:
            with conn.cursor() as cur:
                for chunk in _chunks(ids):
                    cur.execute("DELETE FROM sentence_vectors WHERE kind <> %s AND article = ANY(%s)", (kind, chunk))
                cur.executemany(
                    "INSERT INTO sentence_vectors (kind, article, digest, data) VALUES (%s, %s, %s, %s)"
                    " ON CONFLICT (kind, article, digest) DO UPDATE SET data = excluded.data", rows)

        self._write(work)

    def get_sentence_vectors(self, kind: str, article_ids: Sequence[str]) -> dict[str, np.ndarray]:
        """text digest -> vector (float32, read from float16) of every sentence kept under `kind`
        for these articles."""
        rows = self._select_any("SELECT digest, data FROM sentence_vectors WHERE kind = %s AND article = ANY(%s)",
                                list(article_ids), (kind,))
        return {digest: np.frombuffer(data, dtype="<f2").astype(np.float32) for digest, data in rows}

    def put_blob(self, name: str, data: bytes) -> None:
        """Store opaque bytes under `name` (e.g. the clusterer's state), replacing any old value."""
        self._write(lambda conn: conn.execute(
            "INSERT INTO blobs (name, data, updated_at) VALUES (%s, %s, %s)"
            " ON CONFLICT (name) DO UPDATE SET data = excluded.data, updated_at = excluded.updated_at",
            (name, bytes(data), _now())))

    def get_blob(self, name: str) -> bytes | None:
        rows = self._select("SELECT data FROM blobs WHERE name = %s", (name,))
        return bytes(rows[0][0]) if rows else None


def _passes(f: StoryFilter, row: StoryRow, first_day: str, facets: set[tuple[str, str]]) -> bool:
    """Whether a story passes the list filters, as `story_rows.list_sql` decides it."""
    if f.date_from and not row.last_day >= f.date_from:
        return False
    if f.date_to and not (first_day != "" and first_day <= f.date_to):
        return False
    if f.source and ("source", f.source.casefold()) not in facets:
        return False
    if f.lang and ("lang", f.lang.casefold()) not in facets:
        return False
    if f.entity:
        key = " ".join(match_form(f.entity).split())
        return any(k == "entity" and v.startswith(key) for k, v in facets)
    return True


def _item_tsquery(item: QueryItem) -> str:
    """A word: any of its keys, anywhere. A phrase: all its words in the title or body (the
    positions here are not word positions, so adjacency is checked on the text afterwards)."""
    if item.phrase:
        return "(" + " & ".join(_quote_lexeme(t.exact) + ":AB" for t in item.terms if len(t.exact) <= _MAX_LEXEME) + ")"
    return "(" + " | ".join(_quote_lexeme(k) for k in item.terms[0].keys if len(k) <= _MAX_LEXEME) + ")"


def _parsed_tsquery(parsed: ParsedQuery) -> str:
    """The tsquery of a parsed query: every group, by any of its items; none of the excluded words
    (excluded phrases are left to the text check). "" when it looks for nothing."""
    if not parsed.groups:
        return ""
    parts = ["(" + " | ".join(_item_tsquery(i) for i in group) + ")" for group in parsed.groups]
    parts += ["!" + _item_tsquery(i) for i in parsed.excluded if not i.phrase]
    return " & ".join(parts)


def _matches(keys: SearchKeys, parsed: ParsedQuery, title: str, paragraphs: Sequence[str]) -> bool:
    """Whether an article matches the parsed query exactly as FTS5 decides it (phrases adjacent,
    within the title or within the body)."""
    idx = keys.index(title, paragraphs)
    all_keys = set(" ".join((idx.title_exact, idx.body_exact, idx.title_stem, idx.body_stem)).split())
    fields = (idx.title_exact.split(), idx.body_exact.split())

    def hit(item: QueryItem) -> bool:
        if not item.phrase:
            return any(k in all_keys for k in item.terms[0].keys)
        words = [t.exact for t in item.terms]
        n = len(words)
        return any(toks[i:i + n] == words for toks in fields for i in range(len(toks) - n + 1))

    return all(any(hit(i) for i in group) for group in parsed.groups) and not any(hit(i) for i in parsed.excluded)


def _copy(cur: Any, target: str, rows: Sequence[tuple]) -> None:
    """Bulk-insert `rows` into `target` ("table (col, ...)") with COPY."""
    if not rows:
        return
    with cur.copy(f"COPY {target} FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def _reason(exc: BaseException) -> str:
    """The first line of a driver error, without the driver's own decoration."""
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
