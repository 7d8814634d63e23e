"""The HTTP API and the server-rendered web UI over one store.

`create_app(store_path)` builds a FastAPI app: JSON under /api (OpenAPI at /openapi.json, docs at
/docs) and HTML pages for people (/, /stories/{id}, /articles/{id}, /search). Pages are plain HTML
from Jinja2 templates with autoescaping, no JavaScript, under a strict Content-Security-Policy, so
whatever an article holds is shown as text.

Reading is open unless a read key is configured; ingesting (POST /api/articles) always needs the
write key, and is switched off (503) when none is configured. Keys are compared in constant time.

Under load: every read runs on a worker thread with its own read-only SQLite connection (WAL lets
it read while the ingest worker or a `rasid run` writes), never on the event loop; a request whose
client has already gone is dropped before its work starts, and one that takes longer than
`request_timeout` seconds is answered 503. The story list is one indexed query (store/story_rows.py).
Over PostgreSQL (`--db postgresql://...`) each worker thread reads on a connection of its own that
the store opens (store/postgres.py) and the story list is the same indexed query; no response is
cached (the cache follows SQLite's data_version).
Uploads are checked before they are read: the key, then the size as the body streams, then the
record schema (web/upload.py); accepted records go to the ingest queue (web/worker.py), which runs
the stages of `rasid run`.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import functools
import hmac
import math
import os
import threading
from collections.abc import Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from datetime import date
from typing import TYPE_CHECKING, Annotated, Any
from urllib.parse import urlencode

import anyio
from fastapi import FastAPI, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..export import article_record, story_record
from ..model import Article, Story
from ..outlets import shipped_registry
from ..render import STATIC_DIR, Renderer, story_view
from ..store import SQLiteStore, open_store
from ..store.story_rows import ORDERS, StoryFilter, StoryRow
from . import schemas
from .cache import ResponseCache, StoreVersion
from .upload import MAX_BODY_BYTES, UploadError, parse_records, read_limited, record_schema
from .worker import IngestQueue

if TYPE_CHECKING:
    from ..store.postgres import PostgresStore

IngestFn = Callable[[list[dict[str, Any]]], dict[str, Any]]

MAX_PER_PAGE = 100
MAX_FILTER_CHARS = 200
REQUEST_TIMEOUT = 10.0

Order = Annotated[str, Query(pattern="^(rank|latest)$",
                             description="rank: widely and recently covered first; latest: by last day")]
Filter = Annotated[str | None, Query(max_length=MAX_FILTER_CHARS)]
API_DESCRIPTION = (
    "Stories, articles and search over one rasid store. Reading is open unless the server has a read key; "
    "posting articles needs the write key, sent as `X-API-Key: KEY` or `Authorization: Bearer KEY` "
    "(keys are compared in constant time). Errors are JSON `{\"detail\": ...}` with the status: 401 (no or "
    "wrong key), 404 (no such story or article), 413 (body too large), 422 (invalid parameter or body; "
    "the body is never echoed), 503 (ingestion off, or the request timed out). A POSTed batch is stored, "
    "then run through the story stages of `rasid run`; the answer names each article's story, or a "
    "status URL while that is not done."
)
SEARCH_SYNTAX = (
    'Words must all match (any spelling of hamza/alef/ya/ta marbuta, diacritics ignored, light stems); '
    '"a phrase" matches those words adjacent and in order; a OR b matches either; -word or -"a phrase" '
    "excludes. Everything else is text, never FTS5 syntax."
)
Day = Annotated[str | None, Query(max_length=10, description="YYYY-MM-DD, a real day")]
ApiDay = Annotated[date | None, Query(description="YYYY-MM-DD, a real day (2015-13-45 is refused)")]

STRICT_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


class SecurityHeaders:
    """Adds CSP, nosniff, no-referrer and frame denial to every response (pure ASGI, cheap)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        csp = STRICT_CSP

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers["Content-Security-Policy"] = csp
                headers["X-Content-Type-Options"] = "nosniff"
                headers["Referrer-Policy"] = "no-referrer"
                headers["X-Frame-Options"] = "DENY"
            await send(message)

        await self.app(scope, receive, send_with_headers)


class ReadStores:
    """One read-only store (own SQLite connection) per worker thread, so reads never queue behind
    each other or behind a write. An in-memory store cannot be shared that way: it is used as is.
    Neither is a PostgreSQL store: it is shared, and gives each reading thread a connection of its
    own (up to its `max_readers`), closed with it."""

    def __init__(self, path: str, main: SQLiteStore | PostgresStore) -> None:
        self._path = path
        self._main = main
        self._local = threading.local()
        self._opened: list[SQLiteStore] = []
        self._lock = threading.Lock()
        self.shared = (not isinstance(main, SQLiteStore) or path == ":memory:"
                       or path.startswith("file::memory:"))

    def get(self) -> Any:
        """This thread's store (a `SQLiteStore`, or the shared `PostgresStore`: the same read methods)."""
        if self.shared:
            return self._main
        store = getattr(self._local, "store", None)
        if store is None:
            store = SQLiteStore(self._path, read_only=True)
            self._local.store = store
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


def _card(row: StoryRow) -> StoryCard:
    return StoryCard(row.id, row.title, (row.first_seen or "")[:10] or None, (row.last_seen or "")[:10] or None,
                     row.outlets, row.articles, row.statements, row.sources, row.entities)


def _blank(value: str | None) -> str | None:
    value = (value or "").strip()
    return value or None


def _real_date(value: str | None, name: str) -> str | None:
    """`value` if it is a real calendar day in YYYY-MM-DD form (2015-13-45 is not), else a 422."""
    if value is None:
        return None
    try:
        if len(value) == 10:
            return date.fromisoformat(value).isoformat()
    except ValueError:
        pass
    raise StarletteHTTPException(422, f"{name}: not a date in YYYY-MM-DD form")


def _story_articles(store: SQLiteStore, story: Story) -> dict[str, Article]:
    """Every article the story page names: members, and those cited by statements, quotes, disputes."""
    ids = list(story.articles)
    for st in story.brief:
        ids.extend(st.articles)
    for d in story.disputed:
        ids.extend(d.articles)
        ids.extend(d.disputed_by)
    ids.extend(q.article for q in story.quotes)
    return {a.id: a for a in store.get_articles(list(dict.fromkeys(ids)))}


def feed_candidates(store: SQLiteStore, days: float, outlet_counts: dict[str, int] | None = None) -> list[Story]:
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


def live_story(store: SQLiteStore, story_id: str | None) -> str | None:
    """The story an article's `story` names as it now lives (following merges), or None when no
    such story is stored (yet): a link never leads to a 404."""
    if not story_id:
        return None
    if store.story_titles([story_id]):
        return story_id
    from ..stages import story_alias

    alias = story_alias(store, story_id)
    return alias if alias and store.story_titles([alias]) else None


# -- keys ---------------------------------------------------------------------------------------


def presented_key(request: Request) -> str | None:
    """The key a client sent: X-API-Key, `Authorization: Bearer KEY`, or Basic auth's password."""
    key = request.headers.get("x-api-key")
    if key:
        return key.strip()
    scheme, _, cred = request.headers.get("authorization", "").partition(" ")
    scheme = scheme.lower()
    if scheme == "bearer":
        return cred.strip() or None
    if scheme == "basic":
        try:
            decoded = base64.b64decode(cred.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return None
        return decoded.partition(":")[2] or None
    return None


def _same(a: str | None, b: str | None) -> bool:
    return a is not None and b is not None and hmac.compare_digest(a.encode(), b.encode())


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/") or request.url.path == "/api"


def _clean_errors(errors: Sequence[Any]) -> list[dict[str, Any]]:
    """Validation errors without the values sent (no echo of what a client posted or asked)."""
    return [{"loc": [str(x) for x in e.get("loc", ())], "msg": str(e.get("msg", "")), "type": str(e.get("type", ""))}
            for e in errors]


class _ClientGone(Exception):
    pass


# -- the app ------------------------------------------------------------------------------------


def create_app(
    store_path: str,
    *,
    write_key: str | None = None,
    read_key: str | None = None,
    ingest: IngestFn | None = None,
    stages: Sequence[Any] | None = None,
    settings: Any = None,
    max_body_bytes: int = MAX_BODY_BYTES,
    request_timeout: float = REQUEST_TIMEOUT,
    read_threads: int = 8,
    cache_entries: int | None = None,
) -> FastAPI:
    """The API and web UI over the store at `store_path`.

    Keys default to the environment (RASID_API_KEY for writing, RASID_READ_KEY for reading);
    pass "" to mean "no key" whatever the environment says.
    POSTed records go to the ingest queue, which runs the text pipeline and then `stages` (by
    default `default_stages(settings)`, the stages of `rasid run`; pass () for none). `ingest`
    replaces the queue: it receives the records and returns a JSON-able summary.
    Read pages are cached until the store changes (`cache_entries`, default RASID_WEB_CACHE or
    2000, 0 for none; never when reading needs a key).
    """
    write_key = write_key if write_key is not None else (os.environ.get("RASID_API_KEY") or None)
    read_key = read_key if read_key is not None else (os.environ.get("RASID_READ_KEY") or None)
    write_key, read_key = write_key or None, read_key or None  # "" means "no key", not "empty key"
    store = open_store(store_path)
    reads = ReadStores(store.path, store)
    renderer = Renderer()
    outlets = shipped_registry()

    def make_settings() -> Any:
        from ..settings import load_settings

        return settings or load_settings(None, db=store_path)

    def make_stages() -> Sequence[Any]:
        if stages is not None:
            return stages
        from ..stages import default_stages

        return default_stages(make_settings())

    jobs = IngestQueue(store, make_stages, settings=make_settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI):  # type: ignore[no-untyped-def]
        # Few threads: reads hold the GIL for most of their time, so more threads only add switching.
        app.state.limiter = anyio.CapacityLimiter(read_threads)
        # threads for reads that hold a turn, plus those abandoned by a time-out and still finishing
        app.state.threads = anyio.CapacityLimiter(read_threads * 4)
        yield
        await run_in_threadpool(jobs.close)
        if version is not None:
            version.close()
        reads.close()
        store.close()

    app = FastAPI(
        title="rasid",
        summary="An open news-story engine for Arabic: stories, briefs, timelines, articles.",
        version="0.1.0",
        redoc_url=None,
        docs_url=None,
        lifespan=lifespan,
    )
    app.state.store = store
    app.state.renderer = renderer
    app.state.jobs = jobs
    if cache_entries is None:
        env_cache = os.environ.get("RASID_WEB_CACHE", "").strip()
        cache_entries = int(env_cache) if env_cache.isdigit() else 2000
    # (a read-only store may be one SQLite opens immutable, in a folder it cannot add files to;
    # the cache follows SQLite's data_version, so a PostgreSQL store is served uncached)
    version = (StoreVersion(store.path) if cache_entries > 0 and read_key is None and not reads.shared
               and isinstance(store, SQLiteStore) and not store.readonly else None)
    if version is not None:
        app.add_middleware(ResponseCache, version=version, entries=cache_entries)
    app.add_middleware(SecurityHeaders)
    app.mount("/static", StaticFiles(directory=str(STATIC_DIR)), name="static")

    def html(name: str, code: int = 200, **context: Any) -> HTMLResponse:
        return HTMLResponse(renderer.page(name, **context), status_code=code)

    async def offload(request: Request, fn: Callable[..., Any], *args: Any) -> Any:
        """Run a blocking read on a worker thread, bounded by `request_timeout`; skip it when the
        client has already gone (it waited for a thread and gave up)."""
        gate = getattr(app.state, "limiter", None)
        try:
            with anyio.fail_after(request_timeout):
                if gate is None:  # no lifespan (a bare test client): anyio's default pool
                    return await anyio.to_thread.run_sync(functools.partial(fn, *args), abandon_on_cancel=True)
                async with gate:  # a turn among the read threads, then only if the client is still there
                    if await request.is_disconnected():
                        raise _ClientGone
                    return await anyio.to_thread.run_sync(functools.partial(fn, *args), abandon_on_cancel=True,
                                                          limiter=app.state.threads)
        except TimeoutError:
            raise StarletteHTTPException(503, f"request took longer than {request_timeout:g} s") from None

    @app.exception_handler(_ClientGone)
    async def gone(request: Request, exc: _ClientGone) -> Response:
        return Response(status_code=499)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        headers = dict(exc.headers or {})
        if _wants_json(request):
            return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=headers)
        return HTMLResponse(
            renderer.page("error.html", title=str(exc.status_code), status=exc.status_code,
                          message=_error_text(exc.status_code, exc.detail)),
            status_code=exc.status_code,
            headers=headers,
        )

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        if _wants_json(request):
            return JSONResponse({"detail": _clean_errors(exc.errors())}, status_code=422)
        fields = sorted({str(e.get("loc", ("", ""))[-1]) for e in exc.errors()})
        return html("error.html", 422, title="422", status=422,
                    message="قيمة غير صالحة في: " + "، ".join(fields))

    def check_read(request: Request) -> None:
        if read_key is None:
            return
        key = presented_key(request)
        if _same(key, read_key) or _same(key, write_key):
            return
        challenge = "Bearer" if _wants_json(request) else 'Basic realm="rasid"'
        raise StarletteHTTPException(401, "a read key is required", headers={"WWW-Authenticate": challenge})

    def check_write(request: Request) -> None:
        if write_key is None:
            raise StarletteHTTPException(503, "ingestion is disabled: no API key is configured (RASID_API_KEY)")
        if not _same(presented_key(request), write_key):
            raise StarletteHTTPException(
                401, "a valid API key is required (X-API-Key or Authorization: Bearer)",
                headers={"WWW-Authenticate": "Bearer"},
            )

    def get_story_or_404(story_id: str) -> Story:
        from ..stages import find_story

        story = find_story(reads.get(), story_id)  # a story merged into an older one lives on under that id
        if story is None:
            raise StarletteHTTPException(404, f"no story {story_id!r}")
        return story

    def get_article_or_404(article_id: str) -> Article:
        rs = reads.get()
        article = rs.get_article(article_id)
        if article is None:
            raise StarletteHTTPException(404, f"no article {article_id!r}")
        article.story = live_story(rs, article.story)
        return article

    def story_filter(date_from: str | None, date_to: str | None, entity: str | None, source: str | None,
                     lang: str | None) -> StoryFilter:
        # the source filter takes an outlet's name, id or domain: the outlet's id when the registry
        # knows it (stories' facets hold their sources' outlet ids), else the value as given
        wanted = _blank(source)
        wanted = (outlets.resolve(wanted) or wanted) if wanted else None
        return StoryFilter(_real_date(_blank(date_from), "date_from"), _real_date(_blank(date_to), "date_to"),
                           _blank(entity), wanted, _blank(lang))

    def list_page(f: StoryFilter, order: str, page: int, per_page: int, cursor: str | None) -> Any:
        try:
            return reads.get().list_stories(f, order=order, limit=per_page, offset=(page - 1) * per_page,
                                            cursor=cursor)
        except ValueError as exc:
            raise StarletteHTTPException(422, f"cursor: {exc}") from None

    def search_results(q: str, page: int, per_page: int) -> dict[str, Any]:
        rs = reads.get()
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
        return {"query": q, "page": page, "per_page": per_page, "total": found["total"],
                "pages": max(1, -(-found["total"] // per_page)), "stories": found["stories"],
                "results": hits, "groups": list(groups.values())}

    # -- API ------------------------------------------------------------------------------------

    # The read API answers with JSONResponse made on the read thread: the records are plain JSON
    # values already, so FastAPI's response validation and `jsonable_encoder` (2.7 ms for a large
    # story record, on the event loop) are skipped; the models below document the same shapes.
    reading: dict[int | str, dict[str, Any]] = {
        401: {"model": schemas.Error, "description": "a read key is configured and was not sent"},
        422: {"model": schemas.Error, "description": "a parameter out of range or malformed"},
        503: {"model": schemas.Error, "description": "the request took longer than the time-out"},
    }

    @app.get("/api/stories", tags=["stories"], responses={200: {"model": schemas.StoryList}, **reading})
    async def api_stories(
        request: Request,
        page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
        per_page: Annotated[int, Query(ge=1, le=MAX_PER_PAGE)] = 20,
        order: Order = "rank",
        cursor: Annotated[str | None, Query(max_length=400, description="next_cursor of the previous page")] = None,
        date_from: ApiDay = None,
        date_to: ApiDay = None,
        entity: Filter = None,
        source: Filter = None,
        lang: Annotated[str | None, Query(max_length=10)] = None,
    ) -> Response:
        """Stories, ranked (or latest first), paged by `page` or by `cursor`; filters combine."""
        check_read(request)
        f = story_filter(date_from.isoformat() if date_from else None, date_to.isoformat() if date_to else None,
                         entity, source, lang)

        def work() -> Response:
            result = list_page(f, order, page, per_page, cursor)
            return JSONResponse({
                "page": page if cursor is None else None,
                "per_page": per_page,
                "order": order,
                "total": result.total,
                "pages": max(1, -(-result.total // per_page)),
                "next_cursor": result.next_cursor,
                "stories": [r.record() for r in result.rows],
            })

        return await offload(request, work)

    @app.get("/api/stories/{story_id:path}", tags=["stories"],
             responses={200: {"model": schemas.StoryRecord}, 404: {"model": schemas.Error}, **reading})
    async def api_story(request: Request, story_id: str) -> Response:
        """One story as the export record of CONTRACT.md."""
        def work() -> Response:
            story = get_story_or_404(story_id)
            return JSONResponse(story_record(story, {a.id: a for a in reads.get().get_articles(story.articles)},
                                             outlets))

        check_read(request)
        return await offload(request, work)

    @app.get("/api/articles/{article_id:path}", tags=["articles"],
             responses={200: {"model": schemas.ArticleRecord}, 404: {"model": schemas.Error}, **reading})
    async def api_article(request: Request, article_id: str) -> Response:
        """One article as the export record of CONTRACT.md; `story` is null until the article is in one."""

        def work() -> Response:
            art = get_article_or_404(article_id)
            rec = article_record(art)
            rec["story"] = art.story
            return JSONResponse(rec)

        check_read(request)
        return await offload(request, work)

    @app.get("/api/search", tags=["articles"], responses={200: {"model": schemas.SearchResults}, **reading})
    async def api_search(
        request: Request,
        q: Annotated[str, Query(min_length=1, max_length=500, description=SEARCH_SYNTAX)],
        page: Annotated[int, Query(ge=1, le=10_000)] = 1,
        limit: Annotated[int, Query(ge=1, le=MAX_PER_PAGE, description="results per page")] = 20,
    ) -> Response:
        """Articles matching `q`, best first, copies collapsed, with the page's results grouped by story."""
        check_read(request)
        return await offload(request, lambda: JSONResponse(search_results(q, page, limit)))

    @app.post(
        "/api/articles",
        tags=["articles"],
        openapi_extra={"requestBody": {"required": True,
                                       "content": {"application/json": {"schema": dict(record_schema())}}},
                       "security": [{"ApiKey": []}, {"Bearer": []}]},
        responses={
            200: {"model": schemas.IngestResult, "description": "stored and in their stories"},
            202: {"model": schemas.IngestResult, "description": "accepted; not done within `wait` seconds"},
            401: {"model": schemas.Error, "description": "no valid write key (the body is not read)"},
            413: {"model": schemas.Error, "description": "body over the size limit, or over 1000 records"},
            422: {"description": "not JSON, not input records, or nothing usable in them; never echoes the body"},
            500: {"model": schemas.IngestResult, "description": "the stages failed; `errors` says why"},
            503: {"model": schemas.Error, "description": "ingestion is off: no write key is configured, or the"
                                                        " database is read-only"},
        },
    )
    async def api_ingest(
        request: Request,
        wait: Annotated[float, Query(ge=0, le=60, description="seconds to wait for the stories")] = 10.0,
    ) -> JSONResponse:
        """Ingest records (needs the write key): stored, then run through the story stages.

        200 when done within `wait` seconds, with each article's story; 202 with a status URL
        otherwise; 422 when nothing was usable; 401 without the key (the body is not read);
        413 over the size limit (counted as the body streams).
        """
        check_write(request)
        if store.readonly:
            raise StarletteHTTPException(503, "ingestion is disabled: the database is read-only")
        try:
            body = await read_limited(request.stream(), request.headers.get("content-length"), max_body_bytes)
            batch = parse_records(body)
        except UploadError as exc:
            content: dict[str, Any] = {"detail": exc.message}
            if exc.errors:
                content["errors"] = list(exc.errors)
            return JSONResponse(content, status_code=exc.status)
        del body
        if ingest is not None:
            summary = await run_in_threadpool(ingest, batch)
            usable = summary.get("usable", bool(summary.get("added") or summary.get("already_stored")))
            return JSONResponse(summary, status_code=200 if usable else 422)
        job = jobs.submit(batch)
        try:
            await asyncio.wait_for(asyncio.shield(asyncio.wrap_future(job.done)), timeout=wait)
        except TimeoutError:
            return JSONResponse(job.record(), status_code=202)
        code = 200 if job.state == "done" and job.usable else (500 if job.state == "failed" else 422)
        return JSONResponse(job.record(), status_code=code)

    @app.get("/api/ingest/{job_id}", tags=["articles"], openapi_extra={"security": [{"ApiKey": []}, {"Bearer": []}]},
             responses={200: {"model": schemas.IngestResult}, 401: {"model": schemas.Error},
                        404: {"model": schemas.Error}})
    async def api_job(request: Request, job_id: str) -> dict[str, Any]:
        """The state of one POST (needs the write key): queued, stored, done or failed."""
        check_write(request)
        job = jobs.get(job_id)
        if job is None:
            raise StarletteHTTPException(404, "no such ingest job (only the latest 1000 are kept)")
        return job.record()

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            from fastapi.openapi.utils import get_openapi

            spec = get_openapi(title=app.title, version=app.version, summary=app.summary,
                               description=API_DESCRIPTION, routes=app.routes)
            body = spec["paths"]["/api/articles"]["post"]["requestBody"]["content"]["application/json"]["schema"]
            spec.setdefault("components", {}).setdefault("schemas", {}).update(body.pop("$defs", {}))
            spec["components"]["securitySchemes"] = {
                "ApiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key",
                           "description": "the write key (RASID_API_KEY) to POST; the read key (RASID_READ_KEY), "
                                          "when one is configured, to read"},
                "Bearer": {"type": "http", "scheme": "bearer", "description": "the same keys as a bearer token"},
            }
            if read_key is not None:
                spec["security"] = [{"ApiKey": []}, {"Bearer": []}]
            app.openapi_schema = spec
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]

    @app.get("/docs", response_class=HTMLResponse, include_in_schema=False)
    async def page_docs(request: Request) -> HTMLResponse:
        return html("docs.html", title="واجهة البرمجة", spec=openapi(), syntax=SEARCH_SYNTAX)

    # -- story feeds (Atom) ---------------------------------------------------------------------

    @app.get("/feeds/stories.atom", tags=["feeds"], response_class=Response,
             responses={200: {"content": {"application/atom+xml": {}}}, **reading})
    async def feed_stories(
        request: Request,
        days: Annotated[float, Query(gt=0, le=365)] = 3.0,
        limit: Annotated[int, Query(ge=1, le=MAX_PER_PAGE)] = 50,
    ) -> Response:
        """The stories most covered recently (Atom 1.0): active within `days` of the newest
        story, most outlets first."""
        from ..atom import recent_stories, stories_feed

        def work() -> bytes:
            counts: dict[str, int] = {}
            chosen = recent_stories(feed_candidates(reads.get(), days, counts), days, limit, counts)
            return stories_feed(chosen, str(request.base_url), str(request.url), outlets, counts)

        check_read(request)
        body = await offload(request, work)
        return Response(body, media_type="application/atom+xml; charset=utf-8")

    @app.get("/feeds/stories/{story_id}.atom", tags=["feeds"], response_class=Response,
             responses={200: {"content": {"application/atom+xml": {}}}, 404: {"model": schemas.Error}, **reading})
    async def feed_story(request: Request, story_id: str) -> Response:
        """What is new in one story (Atom 1.0): its articles, newest first."""
        from ..atom import story_feed

        def work() -> bytes:
            story = get_story_or_404(story_id)
            articles = {a.id: a for a in reads.get().get_articles(story.articles)}
            return story_feed(story, articles, str(request.base_url), str(request.url))

        check_read(request)
        body = await offload(request, work)
        return Response(body, media_type="application/atom+xml; charset=utf-8")

    # -- pages ----------------------------------------------------------------------------------

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    async def page_list(
        request: Request,
        page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
        per_page: Annotated[int, Query(ge=1, le=MAX_PER_PAGE)] = 20,
        order: Order = "rank",
        date_from: Day = None,
        date_to: Day = None,
        entity: Filter = None,
        source: Filter = None,
        lang: Annotated[str | None, Query(max_length=10)] = None,
    ) -> HTMLResponse:
        check_read(request)
        f = story_filter(date_from, date_to, entity, source, lang)
        shown = replace(f, source=_blank(source))  # the form and links keep the outlet as typed

        def work() -> HTMLResponse:
            result = list_page(f, order, page, per_page, None)
            pages = max(1, -(-result.total // per_page))
            base = shown.query()
            if per_page != 20:
                base["per_page"] = str(per_page)
            if order != "rank":
                base["order"] = order

            def page_url(n: int) -> str:
                return "/?" + urlencode({**base, "page": str(n)})

            def order_url(o: str) -> str:
                return "/?" + urlencode({**{k: v for k, v in base.items() if k != "order"},
                                         **({"order": o} if o != "rank" else {})})

            return html("list.html", title="القصص", stories=[_card(r) for r in result.rows], total=result.total,
                        filtered=f.active, f=shown, page=page, pages=pages, page_url=page_url, order=order,
                        orders=ORDERS, order_url=order_url)

        return await offload(request, work)

    @app.get("/stories/{story_id:path}", response_class=HTMLResponse, include_in_schema=False)
    async def page_story(request: Request, story_id: str) -> HTMLResponse:
        check_read(request)

        def work() -> HTMLResponse:
            story = get_story_or_404(story_id)
            rs = reads.get()
            view = story_view(story, _story_articles(rs, story), rs.story_titles(story.related))
            return html("story.html", title=story.title or story.id, view=view)

        return await offload(request, work)

    @app.get("/articles/{article_id:path}", response_class=HTMLResponse, include_in_schema=False)
    async def page_article(request: Request, article_id: str) -> HTMLResponse:
        check_read(request)

        def work() -> HTMLResponse:
            article = get_article_or_404(article_id)
            return html("article.html", title=article.title or article.id, a=article)

        return await offload(request, work)

    @app.get("/search", response_class=HTMLResponse, include_in_schema=False)
    async def page_search(
        request: Request,
        q: Annotated[str, Query(max_length=500)] = "",
        page: Annotated[int, Query(ge=1, le=10_000)] = 1,
    ) -> HTMLResponse:
        check_read(request)
        q = q.strip()

        def work() -> HTMLResponse:
            found = search_results(q, page, 20) if q else None

            def page_url(n: int) -> str:
                return "/search?" + urlencode({"q": q, "page": str(n)})

            return html("search.html", title=f"بحث: {q}" if q else "بحث", query=q, found=found,
                        page=page, pages=found["pages"] if found else 1, page_url=page_url)

        return await offload(request, work)

    return app


def _error_text(status: int, detail: Any) -> str:
    known = {404: "لم نجد هذه الصفحة.", 401: "هذه الصفحة تحتاج إلى مفتاح قراءة.", 422: "قيمة غير صالحة."}
    return known.get(status, str(detail))


def serve(store_path: str, host: str = "127.0.0.1", port: int = 8000, *,
          write_key: str | None = None, read_key: str | None = None, ingest: IngestFn | None = None,
          stages: Sequence[Any] | None = None, settings: Any = None, log_level: str = "info",
          processes: int = 1, config: str | None = None, access_log: bool = False) -> None:
    """Run the app with uvicorn (bound to loopback unless told otherwise).

    No access log unless `access_log`: a line written per request costs the event loop a system
    call and, with the read threads holding the GIL, a wait to get it back (measured ~1 ms a request).

    With `processes` > 1, uvicorn starts that many server processes on the port, each building the
    app from the settings file and environment (`app_from_env`); their ingest workers take turns
    through a lock file beside the store, so posted articles are still processed one batch at a time.
    """
    import uvicorn

    if processes > 1:
        os.environ["RASID_SERVE_DB"] = store_path
        if config:
            os.environ["RASID_SERVE_CONFIG"] = str(config)
        uvicorn.run("rasid.web.app:app_from_env", factory=True, host=host, port=port, log_level=log_level,
                    timeout_keep_alive=5, workers=processes, access_log=access_log)
        return
    app = create_app(store_path, write_key=write_key, read_key=read_key, ingest=ingest, stages=stages,
                     settings=settings)
    uvicorn.run(app, host=host, port=port, log_level=log_level, timeout_keep_alive=5, access_log=access_log)


def app_from_env() -> FastAPI:
    """The app of one of several server processes (`serve(processes=N)`): store from RASID_SERVE_DB."""
    from ..settings import load_settings

    db = os.environ["RASID_SERVE_DB"]
    return create_app(db, settings=load_settings(os.environ.get("RASID_SERVE_CONFIG") or None, db=db))
