"""What the SQL stores share: article reads, assignments, vectors, annotations and blobs, written
once over a few primitives that each backend provides.

SQL here is written with `?` placeholders and, for a list of values, `IN ({in_})` as the last
parameter; SQLite runs it as is (the list cut into chunks of bound parameters), PostgreSQL turns
`?` into `%s` and `IN ({in_})` into `= ANY(%s)` with the list as one array (`postgres.py`). Both
backends have the same tables and columns for what is here (their schemas: `sqlite_schema.py`,
`postgres_schema.py`).

A backend implements `_select`, `_select_in` and `_write` (one transaction, given a `Writer`), and
sets `_CHUNK` (values per list), `_STORY_SEQ` (the story table's creation-order column) and
`_SORT_WRITES` (PostgreSQL writes rows in key order, so two writers lock them in the same order).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol, Self, TypeVar

import numpy as np

from ..model import Article
from .errors import SchemaVersionError
from .records import ARTICLE_COLS, article_from_row, attach_children

T = TypeVar("T")

ARTICLE_ORDER = "ORDER BY published IS NULL, published, seq"  # publication time, undated last, then insertion


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass(slots=True, frozen=True)
class Migration:
    """One schema step: the statements that take a database from `version - 1` to `version`."""

    version: int
    description: str
    statements: tuple[str, ...]


def refuse_newer(current: int, migrations: Sequence[Migration], name: str) -> None:
    """SchemaVersionError when a database at schema `current` was written by a newer rasid."""
    latest = migrations[-1].version if migrations else 0
    if current > latest:
        raise SchemaVersionError(
            f"{name}: schema version {current} was written by a newer rasid (this one knows up to "
            f"version {latest}); upgrade rasid to open it"
        )


class AtomicBlock:
    """The open transaction of a store's `atomic()` block: begun at its first write (`handle`, the
    backend's transaction), holding the store lock (so other threads neither read nor write
    uncommitted rows) until the block ends."""

    __slots__ = ("owner", "handle")

    def __init__(self, owner: int) -> None:
        self.owner = owner
        self.handle: Any = None


class Writer(Protocol):
    """One open write transaction, in the shared SQL form (`?`, `IN ({in_})`)."""

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run one statement; the rows it changed."""
        ...

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None: ...

    def execute_in(self, sql: str, values: Sequence[Any], extra: Sequence[Any] = ()) -> None:
        """Run `sql` over `values` in chunks (its `IN ({in_})` list last, after `extra`)."""
        ...

    def fetch_in(self, sql: str, values: Sequence[Any], extra: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """A query over `values` in chunks, inside this transaction; rows concatenated."""
        ...

    def insert_rows(self, target: str, rows: Sequence[Sequence[Any]]) -> None:
        """Bulk-insert `rows` into `target` ("table (col, ...)")."""
        ...


class SqlStore:
    """The backend-independent part of a SQL store (see the module docstring)."""

    _CHUNK = 500
    _STORY_SEQ = "seq"
    _SORT_WRITES = False
    path: str

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.path!r})"

    def close(self) -> None:
        raise NotImplementedError

    # -- one transaction over many writes ---------------------------------------------------------

    _atomic: AtomicBlock | None
    _atomic_lock: threading.Lock

    def _my_block(self) -> AtomicBlock | None:
        """The atomic block this thread has open, if any."""
        block = self._atomic
        return block if block is not None and block.owner == threading.get_ident() else None

    @contextmanager
    def atomic(self) -> Iterator[None]:
        """Make every write of this block (on this thread) one transaction: all of them are
        committed at its end, or none if it fails or the process dies first.

        Reads before the first write run as usual, so the write lock is held only from the first
        write to the end of the block (a stage reads and computes for long, then writes). Nested
        blocks join the outer one.
        """
        if self._my_block() is not None:
            yield
            return
        with self._atomic_lock:  # one atomic block per store at a time
            block = self._atomic = AtomicBlock(threading.get_ident())
            try:
                yield
            except BaseException as exc:
                self._atomic = None
                self._end_atomic(block, exc)
                raise
            self._atomic = None
            self._end_atomic(block, None)

    def _end_atomic(self, block: AtomicBlock, exc: BaseException | None) -> None:
        """Commit the block's transaction (roll it back when `exc`) and release the store lock."""
        raise NotImplementedError

    # -- primitives, given by each backend ------------------------------------------------------

    def _select(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        raise NotImplementedError

    def _select_in(self, sql: str, values: Sequence[Any], extra: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        raise NotImplementedError

    def _write(self, work: Callable[[Writer], T]) -> T:
        raise NotImplementedError

    def _ordered(self, rows: Sequence[T], key: Callable[[T], Any]) -> list[T]:
        """`rows` in the order a write takes them (by key where the backend asks for it)."""
        return sorted(rows, key=key) if self._SORT_WRITES else list(rows)

    # -- articles -------------------------------------------------------------------------------

    def _known(self, articles: Sequence[Article]) -> tuple[set[str], set[str]]:
        """The ids and content hashes of `articles` already stored."""
        ids = {
            r[0]
            for r in self._select_in("SELECT id FROM articles WHERE id IN ({in_})", [a.id for a in articles])
        }
        hashes = {
            r[0]
            for r in self._select_in(
                "SELECT content_hash FROM articles WHERE content_hash IN ({in_})",
                [a.content_hash for a in articles],
            )
        }
        return ids, hashes

    def has_article(self, article_id: str) -> bool:
        return bool(self._select("SELECT 1 FROM articles WHERE id = ?", (article_id,)))

    def has_hash(self, content_hash: str) -> bool:
        return bool(self._select("SELECT 1 FROM articles WHERE content_hash = ?", (content_hash,)))

    def get_article(self, article_id: str) -> Article | None:
        rows = self._select("SELECT seq FROM articles WHERE id = ?", (article_id,))
        return self._load_articles([rows[0][0]])[0] if rows else None

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
            sql = f"SELECT seq FROM articles {ARTICLE_ORDER}"
        elif order == "added":
            sql = "SELECT seq FROM articles ORDER BY seq"
        else:
            raise ValueError(f"unknown article order {order!r} (use 'published' or 'added')")
        seqs = [r[0] for r in self._select(sql)]
        for i in range(0, len(seqs), 500):
            yield from self._load_articles(seqs[i : i + 500])

    def count_articles(self) -> int:
        return int(self._select("SELECT count(*) FROM articles")[0][0])

    def story_article_ids(self, story_id: str) -> list[str]:
        """Ids of the articles assigned to `story_id` (by `set_assignments`: membership's one
        source), by publication time (undated last) then insertion."""
        return [
            r[0]
            for r in self._select(f"SELECT id FROM articles WHERE story = ? {ARTICLE_ORDER}", (story_id,))
        ]

    def _load_articles(self, seqs: Sequence[int]) -> list[Article]:
        """Full Article records for `seqs` (existing ones), in the order given."""
        if not seqs:
            return []
        arts = dict(
            article_from_row(row)
            for row in self._select_in(
                f"SELECT {ARTICLE_COLS} FROM articles WHERE seq IN ({{in_}})", list(seqs)
            )
        )
        keys = list(arts)
        attach_children(
            arts,
            self._select_in(
                "SELECT article, idx, text, lang FROM paragraphs WHERE article IN ({in_})"
                " ORDER BY article, idx",
                keys,
            ),
            self._select_in(
                "SELECT article, paragraph, idx, text FROM sentences WHERE article IN ({in_})"
                " ORDER BY article, paragraph, idx",
                keys,
            ),
            self._select_in(
                "SELECT article, idx, kind, text FROM removed WHERE article IN ({in_}) ORDER BY article, idx",
                keys,
            ),
        )
        return [arts[s] for s in seqs if s in arts]

    def _paragraph_texts(self, seqs: Sequence[int]) -> dict[int, list[str]]:
        """seq -> its paragraphs' display text, in order (for snippets)."""
        paras: dict[int, list[str]] = {seq: [] for seq in seqs}
        for seq, text in self._select_in(
            "SELECT article, text FROM paragraphs WHERE article IN ({in_}) ORDER BY article, idx", list(paras)
        ):
            paras[seq].append(text)
        return paras

    def set_assignments(self, rows: Sequence[tuple[str, str | None, str | None]]) -> None:
        """Record (article_id, story_id, duplicate_of) for each row, in one transaction: the one
        place story membership is kept (a story's member list is read from it)."""
        if not rows:
            return
        ordered = self._ordered(rows, key=lambda r: r[0])
        self._write(
            lambda w: w.executemany(
                "UPDATE articles SET story = ?, duplicate_of = ? WHERE id = ?",
                [(story, dup, a_id) for a_id, story, dup in ordered],
            )
        )

    def unassigned_article_ids(self) -> list[str]:
        """Ids of the stored articles in no story yet (a run stopped before its stories stage
        finished, or another process's run not yet at its stages), by publication time then insertion."""
        return [r[0] for r in self._select(f"SELECT id FROM articles WHERE story IS NULL {ARTICLE_ORDER}")]

    def clear_stories(self, state_prefix: str = "state:") -> None:
        """Forget every story, link and assignment, and the stages' saved state (the blobs named
        `state_prefix`...), in one transaction: the articles stay, ready to be grouped anew."""

        def work(w: Writer) -> None:
            for table in (
                "story_links",
                "story_facets",
                "story_list",
                "story_aliases",
                "stories",
            ):
                w.execute(f"DELETE FROM {table}")
            w.execute(
                "UPDATE articles SET story = NULL, duplicate_of = NULL"
                " WHERE story IS NOT NULL OR duplicate_of IS NOT NULL"
            )
            w.execute("DELETE FROM blobs WHERE substr(name, 1, length(?)) = ?", (state_prefix, state_prefix))

        self._write(work)

    # -- vectors, annotations and blobs ---------------------------------------------------------

    def put_vectors(self, kind: str, ids: Sequence[str], matrix: np.ndarray) -> None:
        """Cache one float32 row per id under `kind` (e.g. the embedder's name); replaces old rows."""
        mat = np.asarray(matrix)
        if mat.ndim != 2 or mat.shape[0] != len(ids):
            raise ValueError(
                f"put_vectors: need a matrix with one row per id, got shape {mat.shape} for {len(ids)} ids"
            )
        mat = np.ascontiguousarray(mat, dtype="<f4")
        dim = int(mat.shape[1])
        rows = {
            v_id: (kind, v_id, dim, mat[i].tobytes()) for i, v_id in enumerate(ids)
        }  # a repeat keeps its last
        ordered = self._ordered(list(rows.values()), key=lambda r: r[1])
        self._write(
            lambda w: w.executemany(
                "INSERT INTO vectors (kind, id, dim, data) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (kind, id) DO UPDATE SET dim = excluded.dim, data = excluded.data",
                ordered,
            )
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
        ids = self._ordered(list(items), key=str)

        def work(w: Writer) -> None:
            w.execute_in("DELETE FROM annotations WHERE kind <> ? AND id IN ({in_})", ids, (kind,))
            w.executemany(
                "INSERT INTO annotations (kind, id, data) VALUES (?, ?, ?)"
                " ON CONFLICT (kind, id) DO UPDATE SET data = excluded.data",
                [(kind, a_id, items[a_id]) for a_id in ids],
            )

        self._write(work)

    def get_annotations(self, kind: str, ids: Sequence[str]) -> dict[str, str]:
        """id -> text for the ids annotated under `kind` (missing ids are absent)."""
        return dict(
            self._select_in(
                "SELECT id, data FROM annotations WHERE kind = ? AND id IN ({in_})", list(ids), (kind,)
            )
        )

    def put_sentence_vectors(self, kind: str, items: Mapping[str, Mapping[str, np.ndarray]]) -> None:
        """Keep sentence vectors (`article id -> {text digest: vector}`) under `kind` (the
        embedder's identity), as float16: half the bytes of float32, and every story of
        2015-08-02 analysed from float16 vectors gave the picture it gets from float32 ones
        (docs/benchmarks/pipeline.md). Rows of other kinds for the same articles are dropped, as
        for annotations: a new embedder does not leave the old one's vectors behind."""
        if not items:
            return
        ids = self._ordered(list(items), key=str)
        rows = [
            (kind, a_id, digest, np.ascontiguousarray(vec, dtype="<f2").tobytes())
            for a_id in ids
            for digest, vec in self._ordered(list(items[a_id].items()), key=lambda t: t[0])
        ]

        def work(w: Writer) -> None:
            w.execute_in("DELETE FROM sentence_vectors WHERE kind <> ? AND article IN ({in_})", ids, (kind,))
            w.executemany(
                "INSERT INTO sentence_vectors (kind, article, digest, data) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (kind, article, digest) DO UPDATE SET data = excluded.data",
                rows,
            )

        self._write(work)

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
        self._write(
            lambda w: w.execute(
                "INSERT INTO blobs (name, data, updated_at) VALUES (?, ?, ?)"
                " ON CONFLICT (name) DO UPDATE SET data = excluded.data, updated_at = excluded.updated_at",
                (name, bytes(data), now()),
            )
        )

    def get_blob(self, name: str) -> bytes | None:
        rows = self._select("SELECT data FROM blobs WHERE name = ?", (name,))
        return bytes(rows[0][0]) if rows else None

    def blob_names(self, prefix: str) -> list[str]:
        """The names of the stored blobs starting with `prefix`, sorted."""
        return sorted(
            r[0]
            for r in self._select(
                "SELECT name FROM blobs WHERE substr(name, 1, ?) = ?", (len(prefix), prefix)
            )
        )

    def delete_blob(self, name: str) -> None:
        self._write(lambda w: w.execute("DELETE FROM blobs WHERE name = ?", (name,)))
