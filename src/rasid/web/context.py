"""What the routes share: a read-only store per read thread, the offload of blocking reads to
those threads (bounded by a time-out, dropped when the client has gone), and the lookups every
kind of page makes (a story or article or 404, the story list, a search page)."""

from __future__ import annotations

import functools
import math
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

import anyio
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from ..model import Article, Story
from ..outlets import OutletRegistry
from ..render import Renderer
from ..store.protocols import ArticleReads, ReadStore, StoryReads
from ..store.story_rows import StoryFilter, StoryRow
from .cache import SearchCache


class ClientGone(Exception):
    """The client left before its read got a thread: nothing to answer (499)."""


class ReadStores:
    """A store to read from per worker thread (`ReadStore.reader`): with SQLite a read-only one
    over a connection of its own, so reads never queue behind each other or behind a write; a
    store that reads on a connection per thread already (PostgreSQL), or cannot be opened twice
    (in memory), is shared. Those opened here are closed with it."""

    def __init__(self, main: ReadStore) -> None:
        self._main = main
        self._local = threading.local()
        self._opened: list[ReadStore] = []
        self._lock = threading.Lock()

    def get(self) -> ReadStore:
        """This thread's store."""
        store: ReadStore | None = getattr(self._local, "store", None)
        if store is None:
            store = self._main.reader()
            self._local.store = store
            if store is not self._main:
                with self._lock:
                    self._opened.append(store)
        return store

    def close(self) -> None:
        with self._lock:
            opened, self._opened = self._opened, []
        for store in opened:
            store.close()


@dataclass(slots=True)
class StoryCard:
    """A story of the list page, as the template shows it."""

    id: str
    title: str
    date_from: str | None
    date_to: str | None
    outlets: int
    articles: int
    statements: int
    sources: list[str]
    entities: list[str]


def card(row: StoryRow) -> StoryCard:
    return StoryCard(
        row.id,
        row.title,
        (row.first_seen or "")[:10] or None,
        (row.last_seen or "")[:10] or None,
        row.outlets,
        row.articles,
        row.statements,
        row.sources,
        row.entities,
    )


def blank(value: str | None) -> str | None:
    value = (value or "").strip()
    return value or None


def real_date(value: str | None, name: str) -> str | None:
    """`value` if it is a real calendar day in YYYY-MM-DD form (2015-13-45 is not), else a 422."""
    if value is None:
        return None
    try:
        if len(value) == 10:
            return date.fromisoformat(value).isoformat()
    except ValueError:
        pass
    raise StarletteHTTPException(422, f"{name}: not a date in YYYY-MM-DD form")


def story_articles(store: ArticleReads, story: Story) -> dict[str, Article]:
    """Every article the story page names: members, and those cited by statements, quotes, disputes."""
    ids = list(story.articles)
    for st in story.brief:
        ids.extend(st.articles)
    for d in story.disputed:
        ids.extend(d.articles)
        ids.extend(d.disputed_by)
    ids.extend(q.article for q in story.quotes)
    return {a.id: a for a in store.get_articles(list(dict.fromkeys(ids)))}


def feed_candidates(
    store: StoryReads, days: float, outlet_counts: dict[str, int] | None = None
) -> list[Story]:
    """The stories that can be in the recent-stories feed: those whose last day is within `days`
    (and a day's margin) of the newest story's, found by the story list's index rather than by
    loading every story; every story when none has a date (the feed then takes them all).
    `outlet_counts`, if given, receives each candidate's outlet count from its list row."""
    counts = outlet_counts if outlet_counts is not None else {}
    newest = store.list_stories(order="latest", limit=1).rows
    if not newest or not newest[0].last_day:
        return list(store.iter_stories(order="recent"))
    since = date.fromordinal(date.fromisoformat(newest[0].last_day).toordinal() - math.ceil(days) - 1)
    f = StoryFilter(date_from=since.isoformat())
    out: list[Story] = []
    cursor: str | None = None
    while True:
        page = store.list_stories(f, order="latest", limit=500, cursor=cursor)
        out.extend(s for s in (store.get_story(r.id) for r in page.rows) if s is not None)
        counts.update((r.id, r.outlets) for r in page.rows)
        cursor = page.next_cursor
        if cursor is None or not page.rows:
            return out


def live_story(store: StoryReads, story_id: str | None) -> str | None:
    """The story an article's `story` names as it now lives (following merges), or None when no
    such story is stored (yet): a link never leads to a 404."""
    if not story_id:
        return None
    if store.story_titles([story_id]):
        return story_id
    alias = store.story_alias(story_id)
    return alias if alias and store.story_titles([alias]) else None


@dataclass(slots=True)
class WebContext:
    """The app's shared parts, handed to the route modules (`api`, `pages`)."""

    app: FastAPI
    reads: ReadStores
    renderer: Renderer
    outlets: OutletRegistry
    request_timeout: float
    searches: SearchCache | None = None  # search pages as data, while the store does not change

    def html(self, name: str, code: int = 200, **context: Any) -> HTMLResponse:
        return HTMLResponse(self.renderer.page(name, **context), status_code=code)

    async def offload(self, request: Request, fn: Callable[..., Any], *args: Any) -> Any:
        """Run a blocking read on a worker thread, bounded by `request_timeout`; skip it when the
        client has already gone (it waited for a thread and gave up)."""
        gate = getattr(self.app.state, "limiter", None)
        try:
            with anyio.fail_after(self.request_timeout):
                if gate is None:  # no lifespan (a bare test client): anyio's default pool
                    return await anyio.to_thread.run_sync(
                        functools.partial(fn, *args), abandon_on_cancel=True
                    )
                async with gate:  # a turn among the read threads, then only if the client is still there
                    if await request.is_disconnected():
                        raise ClientGone
                    return await anyio.to_thread.run_sync(
                        functools.partial(fn, *args), abandon_on_cancel=True, limiter=self.app.state.threads
                    )
        except TimeoutError:
            raise StarletteHTTPException(
                503, f"request took longer than {self.request_timeout:g} s"
            ) from None

    def get_story_or_404(self, story_id: str) -> Story:
        # a story merged into an older one lives on under that id
        story = self.reads.get().find_story(story_id)
        if story is None:
            raise StarletteHTTPException(404, f"no story {story_id!r}")
        return story

    def get_article_or_404(self, article_id: str) -> Article:
        rs = self.reads.get()
        article = rs.get_article(article_id)
        if article is None:
            raise StarletteHTTPException(404, f"no article {article_id!r}")
        article.story = live_story(rs, article.story)
        return article

    def story_filter(
        self,
        date_from: str | None,
        date_to: str | None,
        entity: str | None,
        source: str | None,
        lang: str | None,
    ) -> StoryFilter:
        # the source filter takes an outlet's name, id or domain: the outlet's id when the registry
        # knows it (stories' facets hold their sources' outlet ids), else the value as given
        wanted = blank(source)
        wanted = (self.outlets.resolve(wanted) or wanted) if wanted else None
        return StoryFilter(
            real_date(blank(date_from), "date_from"),
            real_date(blank(date_to), "date_to"),
            blank(entity),
            wanted,
            blank(lang),
        )

    def list_page(self, f: StoryFilter, order: str, page: int, per_page: int, cursor: str | None) -> Any:
        try:
            return self.reads.get().list_stories(
                f, order=order, limit=per_page, offset=(page - 1) * per_page, cursor=cursor
            )
        except ValueError as exc:
            raise StarletteHTTPException(422, f"cursor: {exc}") from None

    def search_results(self, q: str, page: int, per_page: int) -> dict[str, Any]:
        """One search page: hits with their live story and its title, grouped by story; shared
        by the HTML page and the API (through `searches`), so not to be changed by the caller."""
        if self.searches is None:
            return self._search(q, page, per_page)
        return self.searches.get_or_make(q, page, per_page, lambda: self._search(q, page, per_page))

    def _search(self, q: str, page: int, per_page: int) -> dict[str, Any]:
        rs = self.reads.get()
        try:
            found = rs.search_page(q, per_page, (page - 1) * per_page)
        except ValueError as exc:
            raise StarletteHTTPException(422, str(exc)) from None
        hits = found["hits"]
        titles = rs.story_titles([h["story"] for h in hits if h["story"]])
        groups: dict[str | None, dict[str, Any]] = {}
        for h in hits:
            sid = h["story"] if h["story"] in titles else None
            h["story"] = sid
            h["story_title"] = titles.get(sid) if sid else None
            group = groups.setdefault(sid, {"story": sid, "title": h["story_title"], "articles": []})
            group["articles"].append(h["id"])
        return {
            "query": q,
            "page": page,
            "per_page": per_page,
            "total": found["total"],
            "pages": max(1, -(-found["total"] // per_page)),
            "stories": found["stories"],
            "results": hits,
            "groups": list(groups.values()),
        }
