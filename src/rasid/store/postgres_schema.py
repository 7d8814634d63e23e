"""The PostgreSQL store's schema: an ordered tuple of migration steps, versioned in a one-row table
`rasid_schema`.

Each step runs in its own transaction under a transaction-level advisory lock, so several processes
opening a new database at once migrate it once. A database from a newer rasid is refused. Text keys
use the "C" collation, so they sort as SQLite sorts them (by code point) whatever the server's locale.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .sqlbase import Migration, refuse_newer

_MIGRATION_LOCK = 0x72617369_64000001  # advisory lock key of schema migrations ("rasid" + 1)


PgMigration = Migration  # one schema step, as SQLite's

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
    PgMigration(
        2,
        "the story list in SQL, as SQLite's schema version 5: a narrow row per story (size, outlets, days,"
        " languages, rank) and its filter facets (sources, languages, entity words); rows of older"
        " stories are filled on open",
        (
            """CREATE TABLE story_list (
                id text COLLATE "C" PRIMARY KEY,
                title text NOT NULL DEFAULT '',
                first_seen text COLLATE "C",
                last_seen text COLLATE "C",
                first_day text COLLATE "C" NOT NULL DEFAULT '',
                last_day text COLLATE "C" NOT NULL DEFAULT '',
                size integer NOT NULL DEFAULT 0,
                outlets integer NOT NULL DEFAULT 0,
                statements integer NOT NULL DEFAULT 0,
                sources text NOT NULL DEFAULT '[]',
                top_entities text NOT NULL DEFAULT '[]',
                langs text NOT NULL DEFAULT '',
                rank double precision NOT NULL DEFAULT 0
            )""",
            "CREATE INDEX story_list_rank ON story_list (rank DESC, id DESC)",
            "CREATE INDEX story_list_latest ON story_list (last_day DESC, rank DESC, id DESC)",
            """CREATE TABLE story_facets (
                kind text COLLATE "C" NOT NULL,
                value text COLLATE "C" NOT NULL,
                story text COLLATE "C" NOT NULL,
                PRIMARY KEY (kind, value, story)
            )""",
            "CREATE INDEX story_facets_story ON story_facets (story)",
        ),
    ),
    PgMigration(
        3,
        "the registry of story ids retired by a merge as a table, as SQLite's schema version 6; the"
        " blob's entries moved in",
        (
            """CREATE TABLE story_aliases (
                retired text COLLATE "C" PRIMARY KEY,
                live text COLLATE "C" NOT NULL
            )""",
            "CREATE INDEX story_aliases_live ON story_aliases (live)",
            """INSERT INTO story_aliases (retired, live)
                SELECT j.key, j.value FROM blobs b, jsonb_each_text(convert_from(b.data, 'UTF8')::jsonb) j
                WHERE b.name = 'state:story-aliases'
                ON CONFLICT (retired) DO UPDATE SET live = EXCLUDED.live""",
            "DELETE FROM blobs WHERE name = 'state:story-aliases'",
        ),
    ),
    PgMigration(
        4,
        "story membership kept in one place, `articles.story`, as SQLite's schema version 7: the"
        " `story_articles` mirror dropped; a listed member in no story joins the story that listed it;"
        " the list rows of stories whose two member lists differed are written again on open",
        (
            """DELETE FROM story_list WHERE id IN (
                SELECT m.story FROM story_articles m LEFT JOIN articles a ON a.id = m.article
                    WHERE a.story IS DISTINCT FROM m.story
                UNION SELECT a.story FROM articles a WHERE a.story IS NOT NULL AND NOT EXISTS (
                    SELECT 1 FROM story_articles m WHERE m.article = a.id AND m.story = a.story))""",
            """UPDATE articles a SET story = m.story
                FROM (SELECT article, min(story) AS story FROM story_articles GROUP BY article) m
                WHERE a.id = m.article AND a.story IS NULL""",
            "DROP TABLE story_articles",
            "DROP INDEX articles_story",
            # a story's members in publication order, with what each is a copy of, from the index alone
            "CREATE INDEX articles_members ON articles (story, (published IS NULL), published, seq)"
            " INCLUDE (id, duplicate_of)",
        ),
    ),
)

PG_SCHEMA_VERSION = PG_MIGRATIONS[-1].version


def migrate(conn: Any, migrations: Sequence[PgMigration] = PG_MIGRATIONS, name: str = "database") -> int:
    """Bring the database of `conn` (autocommit mode) up to the last of `migrations`.

    Each step runs in its own transaction with its version bump, under an advisory lock: a second
    process opening the same new database waits, then finds the step done.
    """

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
    refuse_newer(current, migrations, name)
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
