"""The SQLite store's schema: an ordered tuple of migration steps, versioned with `PRAGMA user_version`.

Opening an older file upgrades it step by step, each step in its own transaction; a file from a
newer rasid is refused rather than half-understood.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from .sqlbase import Migration, refuse_newer

__all__ = ["MIGRATIONS", "SCHEMA_VERSION", "Migration", "migrate"]


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
    Migration(
        6,
        "the registry of story ids retired by a merge as a table (it was a JSON blob rewritten whole on"
        " every merge): each retired id and the live story it now belongs to; the blob's entries moved in",
        (
            """CREATE TABLE story_aliases (
                retired TEXT PRIMARY KEY,
                live TEXT NOT NULL
            ) WITHOUT ROWID""",
            "CREATE INDEX story_aliases_live ON story_aliases (live)",
            """INSERT OR REPLACE INTO story_aliases (retired, live)
                SELECT j.key, j.value FROM blobs b, json_each(CAST(b.data AS TEXT)) j
                WHERE b.name = 'state:story-aliases'""",
            "DELETE FROM blobs WHERE name = 'state:story-aliases'",
        ),
    ),
    Migration(
        7,
        "story membership kept in one place, `articles.story`: the `story_articles` mirror dropped (a"
        " story's member list is read from `articles` in publication order, by an index that covers it);"
        " a listed member in no story joins the story that listed it; the list rows of stories whose"
        " two member lists differed are written again on open",
        (
            """DELETE FROM story_list WHERE id IN (
                SELECT m.story FROM story_articles m LEFT JOIN articles a ON a.id = m.article
                    WHERE a.story IS NOT m.story
                UNION SELECT a.story FROM articles a WHERE a.story IS NOT NULL AND NOT EXISTS (
                    SELECT 1 FROM story_articles m WHERE m.article = a.id AND m.story = a.story))""",
            """UPDATE articles SET story = (SELECT min(m.story) FROM story_articles m WHERE m.article = articles.id)
                WHERE story IS NULL AND id IN (SELECT article FROM story_articles)""",
            "DROP TABLE story_articles",
            "DROP INDEX articles_story",
            # a story's members in publication order, with what each is a copy of, from the index alone
            "CREATE INDEX articles_members ON articles (story, published IS NULL, published, seq, id, duplicate_of)",
        ),
    ),
)

SCHEMA_VERSION = MIGRATIONS[-1].version


def migrate(
    conn: sqlite3.Connection, migrations: Sequence[Migration] = MIGRATIONS, name: str = "database"
) -> int:
    """Bring `conn` (autocommit mode) up to the last of `migrations`; return the version reached.

    Each step runs in its own transaction together with its `user_version` bump, so a failure
    leaves the file at the previous version rather than half-migrated.
    """
    current = conn.execute("PRAGMA user_version").fetchone()[0]
    refuse_newer(current, migrations, name)
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
