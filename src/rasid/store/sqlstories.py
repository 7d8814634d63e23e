"""Stories in the SQL stores: the story rows and their members and links, and the story list
(summary rows, filter facets, ranking and keyset paging: `story_rows.py`), written once for SQLite
and PostgreSQL in the shared SQL form of `sqlbase.py`.

Every story write also writes, in the same transaction, its `story_list` row and `story_facets`
rows, so a page of the list is one index range scan and a filter one index lookup, whatever the
number of stories, in both backends.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping, Sequence

from ..model import Story
from .records import STORY_BASE, STORY_PARTS, dumps, stories_from_rows, story_values
from .sqlbase import SqlStore, Writer, now
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

# A story's members: the articles assigned to it (`articles.story`, membership's one source), in
# publication order (undated last, then insertion), read from the index `articles_members` alone.
_MEMBERS = (
    "SELECT story, id FROM articles WHERE story IN ({in_}) ORDER BY story, published IS NULL, published, seq"
)

_LIST_COLS = (
    "id",
    "title",
    "first_seen",
    "last_seen",
    "sources",
    "size",
    "outlets",
    "first_day",
    "last_day",
    "statements",
    "top_entities",
    "langs",
    "rank",
)


def _digest(*rows: Sequence[object]) -> str:
    """A short digest of rows read (text, numbers, None), stable across processes."""
    h = hashlib.blake2b(digest_size=16)
    for row in rows:
        for value in row:
            h.update(b"\x00" if value is None else str(value).encode("utf-8", "surrogatepass"))
            h.update(b"\x1f")
        h.update(b"\x1e")
    return h.hexdigest()


class SqlStories(SqlStore):
    """Story reads and writes over the `SqlStore` primitives. A backend whose JSON columns are not
    text sets `_JSON_IN` (the placeholder of one, e.g. `?::jsonb`) and `_JSON_OUT` (how one is read
    as text, e.g. `{}::text`)."""

    _JSON_IN = "?"
    _JSON_OUT = "{}"

    def put_story_headers(self, stories: Sequence[Story]) -> None:
        """Insert or update each story's header (title, sources, first and last day) in one
        transaction, leaving its analysis as stored (empty for a new story): the stories stage's
        write, which never overwrites what the understanding stage wrote meanwhile. Its members are
        the articles `set_assignments` put in it (`Story.articles` is not written: it is read back
        from `articles.story`); the list row is written from them."""
        if not stories:
            return
        cols = STORY_BASE
        marks = ", ".join(["?"] * 4 + [self._JSON_IN] + ["?"])
        updates = ", ".join(f"{c} = excluded.{c}" for c in [*cols[1:], "updated_at"])
        sql = (
            f"INSERT INTO stories ({', '.join(cols)}, updated_at) VALUES ({marks})"
            f" ON CONFLICT (id) DO UPDATE SET {updates}"
        )
        stamp = now()
        ordered = self._ordered(stories, key=lambda s: s.id)

        def work(w: Writer) -> None:
            for story in ordered:
                w.execute(sql, (*story_values(story)[: len(cols)], stamp))
            for current in self._current(w, [s.id for s in ordered]):
                self._write_summary(w, current)

        self._write(work)

    def put_story_analysis(self, stories: Sequence[Story]) -> None:
        """Write each story's analysis (entities, timeline, quotes, brief, disputes), and its first
        and last day where its header has none, in one transaction; members and header stay as
        stored. A story no longer stored (merged away meanwhile) is skipped."""
        if not stories:
            return
        names = [name for name, _ in STORY_PARTS]
        sets = ", ".join(f"{n} = {self._JSON_IN}" for n in names)
        sql = (
            f"UPDATE stories SET {sets}, first_seen = CASE WHEN first_seen IS NULL THEN ? ELSE first_seen END,"
            " last_seen = CASE WHEN first_seen IS NULL THEN ? ELSE last_seen END, updated_at = ? WHERE id = ?"
        )
        stamp = now()
        ordered = self._ordered(stories, key=lambda s: s.id)

        def work(w: Writer) -> None:
            for story in ordered:
                parts = story_values(story)[len(STORY_BASE) :]
                w.execute(sql, (*parts, story.first_seen, story.last_seen, stamp, story.id))
            for current in self._current(w, [s.id for s in ordered]):
                self._write_summary(w, current)

        self._write(work)

    def _current(self, w: Writer, ids: Sequence[str]) -> list[Story]:
        """The stories among `ids` as the open transaction `w` sees them (without links)."""
        cols = [
            *STORY_BASE[:4],
            *(self._JSON_OUT.format(c) for c in ["sources", *(n for n, _ in STORY_PARTS)]),
        ]
        rows = w.fetch_in(f"SELECT {', '.join(cols)} FROM stories WHERE id IN ({{in_}})", list(ids))
        found = [r[0] for r in rows]
        members = w.fetch_in(_MEMBERS, found) if found else []
        by_id = {s.id: s for s in stories_from_rows(rows, members, [])}
        return [by_id[s] for s in ids if s in by_id]

    def retire_stories(self, merged: Mapping[str, str]) -> None:
        """Drop the stories retired by a merge ({retired id: live id}) and remember where each went
        (`story_alias`, the `story_aliases` table), so a link to a retired id still finds its story.
        Every alias points to a live story: an id retired earlier into one retired now follows it."""

        def live_end(w: Writer, story_id: str) -> str:
            seen = {story_id}
            while True:
                rows = w.fetch_in("SELECT live FROM story_aliases WHERE retired IN ({in_})", [story_id])
                if not rows or rows[0][0] in seen:
                    return story_id
                story_id = rows[0][0]
                seen.add(story_id)

        def work(w: Writer) -> None:
            for old, new in merged.items():
                live = live_end(w, new)
                if live == old:  # never an alias to itself
                    continue
                w.execute("UPDATE story_aliases SET live = ? WHERE live = ?", (live, old))
                w.execute("DELETE FROM story_aliases WHERE retired = ?", (old,))
                w.execute("INSERT INTO story_aliases (retired, live) VALUES (?, ?)", (old, live))

        self._write(work)
        for gone in merged:
            self.delete_story(gone)

    def story_alias(self, story_id: str) -> str | None:
        """The live story a retired (merged) id now belongs to, or None."""
        rows = self._select("SELECT live FROM story_aliases WHERE retired = ?", (story_id,))
        return str(rows[0][0]) if rows else None

    def find_story(self, story_id: str) -> Story | None:
        """The story `story_id`, or, for an id retired by a merge, the story that absorbed it (its
        `id` then differs from the one asked for)."""
        story = self.get_story(story_id)
        if story is None:
            live = self.story_alias(story_id)
            story = self.get_story(live) if live else None
        return story

    # -- what a page cache checks (protocols.ChangeStamps) ---------------------------------------

    def article_stamp(self, article_id: str) -> str | None:
        """A digest of an article's story and what it is a copy of; None when there is no such
        article or its story is gone (the article's page then follows a merge)."""
        rows = self._select(
            "SELECT a.story, a.duplicate_of, (SELECT 1 FROM stories s WHERE s.id = a.story)"
            " FROM articles a WHERE a.id = ?",
            (article_id,),
        )
        if not rows or (rows[0][0] is not None and rows[0][2] is None):
            return None
        return _digest(rows[0][:2])

    def story_stamp(self, story_id: str) -> str | None:
        """A digest of everything a story's page and record show: its row, its members (with what
        each is a copy of) and its related stories (with their weights and titles); None when no
        story has this id."""
        cols = [
            *STORY_BASE[:4],
            *(self._JSON_OUT.format(c) for c in ["sources", *(n for n, _ in STORY_PARTS)]),
            "updated_at",
        ]
        row = self._select(f"SELECT {', '.join(cols)} FROM stories WHERE id = ?", (story_id,))
        if not row:
            return None
        members = self._select(
            "SELECT id, duplicate_of FROM articles WHERE story = ? ORDER BY published IS NULL, published, seq",
            (story_id,),
        )
        links = self._select(
            "SELECT l.other, l.p, o.title FROM story_links l LEFT JOIN stories o ON o.id = l.other"
            " WHERE l.story = ? ORDER BY l.other",
            (story_id,),
        )
        return _digest(row[0], *members, *links)

    def _write_summary(self, w: Writer, story: Story) -> None:
        """The list row and filter facets of a story just written (story_rows.py)."""
        weight: dict[str, dict[str, int]] = {}
        for a_id, lang, chars in w.fetch_in(
            "SELECT a.id, p.lang, sum(length(p.text)) FROM articles a JOIN paragraphs p ON p.article = a.seq"
            " WHERE a.id IN ({in_}) GROUP BY a.id, p.lang",
            list(story.articles),
        ):
            weight.setdefault(a_id, {})[lang] = int(chars)
        main_lang = {a: max(wt, key=lambda k: (wt[k], k)) for a, wt in weight.items() if wt}
        unnamed = sum(
            int(n)
            for (n,) in w.fetch_in(  # members naming no outlet: one outlet each (outlets.count_outlets)
                "SELECT count(*) FROM articles WHERE id IN ({in_}) AND (source IS NULL OR trim(source) = '')",
                list(story.articles),
            )
        )
        values = summary_values(story, main_lang, unnamed)
        row = {
            "id": story.id,
            "title": story.title or "",
            "first_seen": story.first_seen,
            "last_seen": story.last_seen,
            "sources": dumps(list(story.sources)),
            **values,
        }
        w.execute(
            f"INSERT INTO story_list ({', '.join(_LIST_COLS)}) VALUES ({', '.join('?' * len(_LIST_COLS))})"
            f" ON CONFLICT (id) DO UPDATE SET {', '.join(f'{c} = excluded.{c}' for c in _LIST_COLS[1:])}",
            [row[c] for c in _LIST_COLS],
        )
        w.execute("DELETE FROM story_facets WHERE story = ?", (story.id,))
        w.executemany(
            "INSERT INTO story_facets (kind, value, story) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
            facet_rows(story, values["langs"]),
        )

    def _summarize_old_stories(self) -> None:
        """Write the list rows of stories stored without one (by a rasid before the list tables)."""
        ids = [
            r[0]
            for r in self._select(
                "SELECT s.id FROM stories s LEFT JOIN story_list l ON l.id = s.id WHERE l.id IS NULL"
            )
        ]
        for i in range(0, len(ids), 500):
            stories = self._load_stories(ids[i : i + 500])

            def work(w: Writer, stories: list[Story] = stories) -> None:
                for story in stories:
                    self._write_summary(w, story)

            self._write(work)

    def _page_where(self, where: str, total: int) -> str:
        """The WHERE clause a page is read with (a backend may hint its planner here)."""
        return where

    def list_stories(
        self,
        f: StoryFilter | None = None,
        *,
        order: str = "rank",
        limit: int = 20,
        offset: int = 0,
        cursor: str | None = None,
    ) -> StoryPage:
        """One page of the story list from the summary rows: those passing `f`, in `order` ("rank":
        widely and recently covered first; "latest": by last day), after `cursor` (keyset paging,
        from a previous page's `next_cursor`) or else after `offset` rows; with the total count."""
        f = f or StoryFilter()
        where, params = list_sql(f, order)
        total = int(self._select(f"SELECT count(*) FROM story_list s{where}", params)[0][0])
        key = decode_cursor(cursor, order) if cursor else None
        if cursor and key is None:
            raise ValueError("not a cursor of this list (take next_cursor from the previous page)")
        page_where = self._page_where(where, total)
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
            StoryRow(
                id=r[0],
                title=r[1] or "",
                first_seen=r[2],
                last_seen=r[3],
                articles=r[4] or 0,
                outlets=r[5],
                statements=r[6],
                rank=r[7],
                last_day=r[8],
                sources=json.loads(r[9] or "[]"),
                entities=json.loads(r[10] or "[]"),
                langs=(r[11] or "").split(),
            )
            for r in rows[:limit]
        ]
        more = len(rows) > limit and bool(out)
        return StoryPage(out, total, encode_cursor(order, out[-1]) if more else None)

    def put_story_links(self, links: Mapping[str, Sequence[tuple[str, float]]]) -> None:
        """Replace the related stories of each story in `links` ({id: [(related id, p), ...]},
        best first); an empty list removes them."""
        if not links:
            return

        def work(w: Writer) -> None:
            for sid in self._ordered(list(links), key=str):
                w.execute("DELETE FROM story_links WHERE story = ?", (sid,))
                rows = {other: float(p) for other, p in links[sid]}  # a repeated pair keeps its last p
                w.insert_rows("story_links (story, other, p)", [(sid, o, p) for o, p in rows.items()])

        self._write(work)

    def story_titles(self, ids: Sequence[str]) -> dict[str, str]:
        """id -> title of the given stories that exist (a light read, for links to them)."""
        return (
            dict(self._select_in("SELECT id, title FROM stories WHERE id IN ({in_})", list(ids)))
            if ids
            else {}
        )

    def get_story(self, story_id: str) -> Story | None:
        stories = self._load_stories([story_id])
        return stories[0] if stories else None

    def iter_stories(self, order: str = "created") -> Iterator[Story]:
        """All stories, in creation order, or `order="recent"` (latest `last_seen` first)."""
        seq = self._STORY_SEQ
        if order == "created":
            sql = f"SELECT id FROM stories ORDER BY {seq}"
        elif order == "recent":
            sql = f"SELECT id FROM stories ORDER BY last_seen IS NULL, last_seen DESC, {seq}"
        else:
            raise ValueError(f"unknown story order {order!r} (use 'created' or 'recent')")
        ids = [r[0] for r in self._select(sql)]
        for i in range(0, len(ids), 500):
            yield from self._load_stories(ids[i : i + 500])

    def count_stories(self) -> int:
        return int(self._select("SELECT count(*) FROM stories")[0][0])

    def delete_story(self, story_id: str) -> bool:
        """Remove a story (e.g. merged into another); articles keep their `story` until reassigned."""

        def work(w: Writer) -> bool:
            w.execute("DELETE FROM story_links WHERE story = ? OR other = ?", (story_id, story_id))
            for table, key in (("story_facets", "story"), ("story_list", "id")):
                w.execute(f"DELETE FROM {table} WHERE {key} = ?", (story_id,))
            return w.execute("DELETE FROM stories WHERE id = ?", (story_id,)) > 0

        return self._write(work)

    def _load_stories(self, ids: Sequence[str]) -> list[Story]:
        """The stored stories among `ids`, in the order given."""
        cols = [
            *STORY_BASE[:4],
            *(self._JSON_OUT.format(c) for c in ["sources", *(n for n, _ in STORY_PARTS)]),
        ]
        rows = self._select_in(f"SELECT {', '.join(cols)} FROM stories WHERE id IN ({{in_}})", list(ids))
        if not rows:
            return []
        found = [r[0] for r in rows]
        members = self._select_in(_MEMBERS, found)
        links = self._select_in("SELECT story, other, p FROM story_links WHERE story IN ({in_})", found)
        by_id = {s.id: s for s in stories_from_rows(rows, members, links)}
        return [by_id[s] for s in ids if s in by_id]
