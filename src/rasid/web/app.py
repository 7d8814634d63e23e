"""The HTTP API and the server-rendered web UI over one store.

`create_app(store_path)` builds a FastAPI app: JSON under /api (OpenAPI at /openapi.json, docs at
/docs) and HTML pages for people (/, /stories/{id}, /articles/{id}, /search). Pages are plain HTML
from Jinja2 templates with autoescaping, no JavaScript, under a strict Content-Security-Policy, so
whatever an article holds is shown as text.

Reading is open unless a read key is configured; ingesting (POST /api/articles) always needs the
write key, and is switched off (503) when none is configured. Keys are compared in constant time.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import math
import os
import re
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import Body, FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..export import article_record, story_record
from ..model import Article, IngestError, RawDoc, Story
from ..outlets import shipped_registry
from ..render import STATIC_DIR, Renderer, article_lang, story_view
from ..store import SQLiteStore, open_store
from ..text.normalize import match_form

IngestFn = Callable[[list[dict[str, Any]]], dict[str, Any]]

MAX_PER_PAGE = 100
MAX_BODY_BYTES = 20 * 1024 * 1024
_DATE = r"^\d{4}-\d{2}-\d{2}$"

STRICT_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
# FastAPI's /docs page is Swagger UI from a CDN with an inline bootstrap script; only that page gets it.
DOCS_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; img-src 'self' data: https://fastapi.tiangolo.com; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
)
_DOCS_PATHS = ("/docs", "/docs/oauth2-redirect")


class SecurityHeaders:
    """Adds CSP, nosniff, no-referrer and frame denial to every response (pure ASGI, cheap)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        csp = DOCS_CSP if scope.get("path") in _DOCS_PATHS else STRICT_CSP

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers["Content-Security-Policy"] = csp
                headers["X-Content-Type-Options"] = "nosniff"
                headers["Referrer-Policy"] = "no-referrer"
                headers["X-Frame-Options"] = "DENY"
            await send(message)

        await self.app(scope, receive, send_with_headers)


# -- ingestion ----------------------------------------------------------------------------------


@dataclass(slots=True)
class _RecordsReader:
    """A Reader over records already in memory (the POSTed JSON), parsed like `.json` input files."""

    records: Sequence[dict[str, Any]]
    pages: Any

    def read(self, source: str) -> Iterator[RawDoc | IngestError]:
        from ..ingest import with_outlets
        from ..ingest.records import record_to_doc

        docs = (d for n, rec in enumerate(self.records, 1) for d in record_to_doc(rec, f"{source}#{n}", None, self.pages))
        yield from with_outlets(docs, shipped_registry())


@dataclass(slots=True)
class RecordIngest:
    """The default ingest for POST /api/articles: the text pipeline into the store, no story stages.

    The pipeline (language model included) is built on first use and reused; a lock keeps the
    stages single-threaded, as the web server calls from a thread pool.
    """

    store: SQLiteStore
    stages: Sequence[Any] = ()
    _text: Any = None
    _pages: Any = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self, records: list[dict[str, Any]]) -> dict[str, Any]:
        from ..engine.local import LocalRunner

        with self._lock:
            if self._text is None:
                from ..ingest.htmltext import PageExtractor
                from ..process import default_text_pipeline

                self._text = default_text_pipeline()
                self._pages = PageExtractor()
            runner = LocalRunner(
                store=self.store,
                reader=_RecordsReader(records, self._pages),
                text=self._text,
                stages=self.stages,
            )
            summary = runner.run(["api"])
        return {
            "read": summary.read,
            "added": list(summary.added),
            "already_stored": summary.already_stored,
            "errors": [str(e) for e in summary.errors],
            "stories": list(summary.stories),
            "usable": summary.usable,
        }


# -- story list filters -------------------------------------------------------------------------


@dataclass(slots=True)
class StoryFilter:
    date_from: str | None = None
    date_to: str | None = None
    entity: str | None = None
    source: str | None = None
    lang: str | None = None

    @property
    def active(self) -> bool:
        return any((self.date_from, self.date_to, self.entity, self.source, self.lang))

    def query(self) -> dict[str, str]:
        return {k: v for k, v in (("date_from", self.date_from), ("date_to", self.date_to),
                                  ("entity", self.entity), ("source", self.source), ("lang", self.lang)) if v}


@dataclass(slots=True)
class StorySummary:
    id: str
    title: str
    date_from: str | None
    date_to: str | None
    outlets: int
    articles: int
    statements: int
    sources: list[str]
    entities: list[str]

    def record(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "first_seen": self.date_from,
            "last_seen": self.date_to,
            "sources": self.sources,
            "article_count": self.articles,
            "statement_count": self.statements,
        }


def summarize(story: Story) -> StorySummary:
    top = sorted(story.entities, key=lambda e: -len(set(e.articles)))[:6]
    return StorySummary(
        id=story.id,
        title=story.title,
        date_from=story.first_seen[:10] if story.first_seen else None,
        date_to=story.last_seen[:10] if story.last_seen else None,
        outlets=len(story.sources),
        articles=len(story.articles),
        statements=len(story.brief),
        sources=list(story.sources),
        entities=[e.name for e in top],
    )


def _blank(value: str | None) -> str | None:
    value = (value or "").strip()
    return value or None


def select_stories(store: SQLiteStore, f: StoryFilter) -> list[Story]:
    """Stories (most recent first) that pass every filter.

    Dates: the story's active range [first_seen, last_seen] overlaps [date_from, date_to].
    Entity: the matching form of the query is in the matching form of a name or variant.
    Language: one of the story's articles is mostly in that language (needs the articles, so
    only loaded when the filter is on).
    """
    want_entity = match_form(f.entity) if f.entity else None
    want_source = f.source
    outlets = shipped_registry()  # the source filter takes an outlet's name, id or domain
    want_lang = f.lang.casefold() if f.lang else None
    out: list[Story] = []
    for story in store.iter_stories(order="recent"):
        first = (story.first_seen or story.last_seen or "")[:10]
        last = (story.last_seen or story.first_seen or "")[:10]
        if f.date_from and (not last or last < f.date_from):
            continue
        if f.date_to and (not first or first > f.date_to):
            continue
        if want_source and not any(outlets.matches(want_source, s) for s in story.sources):
            continue
        if want_entity and not any(
            want_entity in match_form(form) for e in story.entities for form in (e.name, *e.variants)
        ):
            continue
        if want_lang:
            langs = {article_lang(a).casefold() for a in store.get_articles(story.articles)}
            langs.update(s.lang.casefold() for s in story.brief)
            if want_lang not in langs:
                continue
        out.append(story)
    return out


def _page_slice(items: list[Story], page: int, per_page: int) -> tuple[list[Story], int]:
    pages = max(1, math.ceil(len(items) / per_page))
    start = (page - 1) * per_page
    return items[start : start + per_page], pages


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


# -- the app ------------------------------------------------------------------------------------


def create_app(
    store_path: str,
    *,
    write_key: str | None = None,
    read_key: str | None = None,
    ingest: IngestFn | None = None,
    stages: Sequence[Any] = (),
) -> FastAPI:
    """The API and web UI over the store at `store_path`.

    Keys default to the environment (RASID_API_KEY for writing, RASID_READ_KEY for reading);
    pass "" to mean "no key" whatever the environment says.
    `ingest` receives the posted records and returns a JSON-able summary; by default the text
    pipeline stores them, then runs `stages` (the runner's StoryStage objects, none by default).
    """
    write_key = write_key if write_key is not None else (os.environ.get("RASID_API_KEY") or None)
    read_key = read_key if read_key is not None else (os.environ.get("RASID_READ_KEY") or None)
    write_key, read_key = write_key or None, read_key or None  # "" means "no key", not "empty key"
    store = open_store(store_path)
    renderer = Renderer()
    ingest_fn: IngestFn = ingest if ingest is not None else RecordIngest(store, stages)

    @asynccontextmanager
    async def lifespan(_: FastAPI):  # type: ignore[no-untyped-def]
        yield
        store.close()

    app = FastAPI(
        title="rasid",
        summary="An open news-story engine for Arabic: stories, briefs, timelines, articles.",
        version="0.1.0",
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.store = store
    app.state.renderer = renderer
    app.add_middleware(SecurityHeaders)
    app.mount("/static", StaticFiles(directory=str(STATIC_DIR)), name="static")

    def html(name: str, code: int = 200, **context: Any) -> HTMLResponse:
        return HTMLResponse(renderer.page(name, **context), status_code=code)

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
            detail = json.loads(json.dumps(exc.errors(), default=str))
            return JSONResponse({"detail": detail}, status_code=422)
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

        story = find_story(store, story_id)  # a story merged into an older one lives on under that id
        if story is None:
            raise StarletteHTTPException(404, f"no story {story_id!r}")
        return story

    def get_article_or_404(article_id: str) -> Article:
        article = store.get_article(article_id)
        if article is None:
            raise StarletteHTTPException(404, f"no article {article_id!r}")
        return article

    # -- API ------------------------------------------------------------------------------------

    @app.get("/api/stories", tags=["stories"])
    def api_stories(
        request: Request,
        page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
        per_page: Annotated[int, Query(ge=1, le=MAX_PER_PAGE)] = 20,
        date_from: Annotated[str | None, Query(pattern=_DATE, description="YYYY-MM-DD")] = None,
        date_to: Annotated[str | None, Query(pattern=_DATE, description="YYYY-MM-DD")] = None,
        entity: Annotated[str | None, Query(max_length=200)] = None,
        source: Annotated[str | None, Query(max_length=200)] = None,
        lang: Annotated[str | None, Query(max_length=10)] = None,
    ) -> dict[str, Any]:
        """Stories, most recent first, paged; filters combine (all must hold)."""
        check_read(request)
        f = StoryFilter(date_from, date_to, _blank(entity), _blank(source), _blank(lang))
        chosen = select_stories(store, f)
        items, pages = _page_slice(chosen, page, per_page)
        return {
            "page": page,
            "per_page": per_page,
            "total": len(chosen),
            "pages": pages,
            "stories": [summarize(s).record() for s in items],
        }

    @app.get("/api/stories/{story_id:path}", tags=["stories"])
    def api_story(request: Request, story_id: str) -> dict[str, Any]:
        """One story as the export record of CONTRACT.md."""
        check_read(request)
        return story_record(get_story_or_404(story_id))

    @app.get("/api/articles/{article_id:path}", tags=["articles"])
    def api_article(request: Request, article_id: str) -> dict[str, Any]:
        """One article as the export record of CONTRACT.md (cleaned paragraphs, removed debris)."""
        check_read(request)
        return article_record(get_article_or_404(article_id))

    @app.get("/api/search", tags=["articles"])
    def api_search(
        request: Request,
        q: Annotated[str, Query(min_length=1, max_length=500)],
        limit: Annotated[int, Query(ge=1, le=MAX_PER_PAGE)] = 20,
    ) -> dict[str, Any]:
        """Articles matching every word of `q`, best first (spelling variants folded)."""
        check_read(request)
        return {"query": q, "results": store.search(q, limit)}

    @app.post("/api/articles", tags=["articles"])
    def api_ingest(
        request: Request,
        records: Annotated[
            dict[str, Any] | list[dict[str, Any]],
            Body(description="One input record or a list of them (CONTRACT.md, input records)"),
        ],
    ) -> JSONResponse:
        """Ingest records (needs the write key). 200 with a summary; 422 when nothing was usable."""
        check_write(request)
        size = request.headers.get("content-length")
        if size and size.isdigit() and int(size) > MAX_BODY_BYTES:
            raise StarletteHTTPException(413, f"request body over {MAX_BODY_BYTES} bytes")
        batch = [records] if isinstance(records, dict) else list(records)
        if not batch:
            raise StarletteHTTPException(422, "no records")
        summary = ingest_fn(batch)
        usable = summary.get("usable", bool(summary.get("added") or summary.get("already_stored")))
        return JSONResponse(summary, status_code=200 if usable else 422)

    # -- story feeds (Atom) ---------------------------------------------------------------------

    @app.get("/feeds/stories.atom", tags=["feeds"])
    def feed_stories(
        request: Request,
        days: Annotated[float, Query(gt=0, le=365)] = 3.0,
        limit: Annotated[int, Query(ge=1, le=MAX_PER_PAGE)] = 50,
    ) -> Response:
        """The stories most covered recently (Atom 1.0): active within `days` of the newest
        story, most outlets first."""
        from ..atom import recent_stories, stories_feed

        check_read(request)
        chosen = recent_stories(store.iter_stories(order="recent"), days, limit)
        body = stories_feed(chosen, str(request.base_url), str(request.url))
        return Response(body, media_type="application/atom+xml; charset=utf-8")

    @app.get("/feeds/stories/{story_id}.atom", tags=["feeds"])
    def feed_story(request: Request, story_id: str) -> Response:
        """What is new in one story (Atom 1.0): its articles, newest first."""
        from ..atom import story_feed

        check_read(request)
        story = get_story_or_404(story_id)
        articles = {a.id: a for a in store.get_articles(story.articles)}
        body = story_feed(story, articles, str(request.base_url), str(request.url))
        return Response(body, media_type="application/atom+xml; charset=utf-8")

    # -- pages ----------------------------------------------------------------------------------

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def page_list(
        request: Request,
        page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
        per_page: Annotated[int, Query(ge=1, le=MAX_PER_PAGE)] = 20,
        date_from: str | None = None,
        date_to: str | None = None,
        entity: str | None = None,
        source: str | None = None,
        lang: str | None = None,
    ) -> HTMLResponse:
        check_read(request)
        f = StoryFilter(*(_blank(v) for v in (date_from, date_to, entity, source, lang)))
        for value in (f.date_from, f.date_to):
            if value is not None and not _is_date(value):
                raise StarletteHTTPException(422, "dates are YYYY-MM-DD")
        chosen = select_stories(store, f)
        items, pages = _page_slice(chosen, page, per_page)
        base = f.query()
        if per_page != 20:
            base["per_page"] = str(per_page)

        def page_url(n: int) -> str:
            return "/?" + urlencode({**base, "page": str(n)})

        return html(
            "list.html",
            title="القصص",
            stories=[summarize(s) for s in items],
            total=len(chosen),
            filtered=f.active,
            f=f,
            page=page,
            pages=pages,
            page_url=page_url,
        )

    @app.get("/stories/{story_id:path}", response_class=HTMLResponse, include_in_schema=False)
    def page_story(request: Request, story_id: str) -> HTMLResponse:
        check_read(request)
        story = get_story_or_404(story_id)
        view = story_view(story, _story_articles(store, story), store.story_titles(story.related))
        return html("story.html", title=story.title or story.id, view=view)

    @app.get("/articles/{article_id:path}", response_class=HTMLResponse, include_in_schema=False)
    def page_article(request: Request, article_id: str) -> HTMLResponse:
        check_read(request)
        article = get_article_or_404(article_id)
        return html("article.html", title=article.title or article.id, a=article)

    @app.get("/search", response_class=HTMLResponse, include_in_schema=False)
    def page_search(
        request: Request, q: Annotated[str, Query(max_length=500)] = ""
    ) -> HTMLResponse:
        check_read(request)
        q = q.strip()
        results: list[dict[str, Any]] = []
        if q:
            hits = store.search(q, 30)
            found = {a.id: a for a in store.get_articles([str(h["id"]) for h in hits])}
            for h in hits:
                art = found.get(str(h["id"]))
                results.append({**h, "source": art.source if art else None,
                                "published": art.published if art else None})
        return html("search.html", title=f"بحث: {q}" if q else "بحث", query=q, results=results)

    return app


def _is_date(value: str) -> bool:
    return re.match(_DATE, value) is not None


def _error_text(status: int, detail: Any) -> str:
    known = {404: "لم نجد هذه الصفحة.", 401: "هذه الصفحة تحتاج إلى مفتاح قراءة.", 422: "قيمة غير صالحة."}
    return known.get(status, str(detail))


def serve(store_path: str, host: str = "127.0.0.1", port: int = 8000, *,
          write_key: str | None = None, read_key: str | None = None,
          ingest: IngestFn | None = None, stages: Sequence[Any] = (), log_level: str = "info") -> None:
    """Run the app with uvicorn (bound to loopback unless told otherwise)."""
    import uvicorn

    app = create_app(store_path, write_key=write_key, read_key=read_key, ingest=ingest, stages=stages)
    uvicorn.run(app, host=host, port=port, log_level=log_level)
