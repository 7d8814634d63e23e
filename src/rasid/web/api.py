"""The JSON API under /api: the story list, a story, an article, search, and POSTed articles
(key first, then the size as the body streams, then the schema; web/upload.py) with their job status.

The read routes answer with a JSONResponse made on the read thread: the records are plain JSON
values already, so FastAPI's response validation and `jsonable_encoder` (2.7 ms for a large story
record, on the event loop) are skipped; the models named in `responses` document the same shapes.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import FastAPI, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from ..export import article_record, story_record
from . import schemas
from .context import WebContext
from .keys import Keys
from .params import MAX_PER_PAGE, READING, SEARCH_SYNTAX, ApiDay, Filter, Lang, Order, Page, PerPage
from .upload import UploadError, parse_records, read_limited, record_schema
from .worker import IngestQueue

IngestFn = Callable[[list[dict[str, Any]]], dict[str, Any]]


@dataclass(frozen=True, slots=True)
class Ingesting:
    """Where POSTed records go: `ingest` if given (a function returning a JSON-able summary), else
    the ingest queue; refused (503) when the store is read-only."""

    jobs: IngestQueue
    ingest: IngestFn | None
    readonly: bool  # the app's store cannot be written (this process lacks the rights)
    max_body_bytes: int


def add_read_routes(app: FastAPI, ctx: WebContext, keys: Keys) -> None:
    """GET /api/stories, /api/stories/{id}, /api/articles/{id}, /api/search."""
    reads, outlets = ctx.reads, ctx.outlets

    @app.get("/api/stories", tags=["stories"], responses={200: {"model": schemas.StoryList}, **READING})
    async def api_stories(
        request: Request,
        page: Page = 1,
        per_page: PerPage = 20,
        order: Order = "rank",
        cursor: Annotated[
            str | None, Query(max_length=400, description="next_cursor of the previous page")
        ] = None,
        date_from: ApiDay = None,
        date_to: ApiDay = None,
        entity: Filter = None,
        source: Filter = None,
        lang: Lang = None,
    ) -> Response:
        """Stories, ranked (or latest first), paged by `page` or by `cursor`; filters combine."""
        keys.check_read(request)
        f = ctx.story_filter(
            date_from.isoformat() if date_from else None,
            date_to.isoformat() if date_to else None,
            entity,
            source,
            lang,
        )

        def work() -> Response:
            result = ctx.list_page(f, order, page, per_page, cursor)
            return JSONResponse(
                {
                    "page": page if cursor is None else None,
                    "per_page": per_page,
                    "order": order,
                    "total": result.total,
                    "pages": max(1, -(-result.total // per_page)),
                    "next_cursor": result.next_cursor,
                    "stories": [r.record() for r in result.rows],
                }
            )

        return await ctx.offload(request, work)

    @app.get(
        "/api/stories/{story_id:path}",
        tags=["stories"],
        responses={200: {"model": schemas.StoryRecord}, 404: {"model": schemas.Error}, **READING},
    )
    async def api_story(request: Request, story_id: str) -> Response:
        """One story as the export record of CONTRACT.md."""

        def work() -> Response:
            story = ctx.get_story_or_404(story_id)
            return JSONResponse(
                story_record(story, {a.id: a for a in reads.get().get_articles(story.articles)}, outlets)
            )

        keys.check_read(request)
        return await ctx.offload(request, work)

    @app.get(
        "/api/articles/{article_id:path}",
        tags=["articles"],
        responses={200: {"model": schemas.ArticleRecord}, 404: {"model": schemas.Error}, **READING},
    )
    async def api_article(request: Request, article_id: str) -> Response:
        """One article as the export record of CONTRACT.md; `story` is null until the article is in one."""

        def work() -> Response:
            art = ctx.get_article_or_404(article_id)
            rec = article_record(art)
            rec["story"] = art.story
            return JSONResponse(rec)

        keys.check_read(request)
        return await ctx.offload(request, work)

    @app.get("/api/search", tags=["articles"], responses={200: {"model": schemas.SearchResults}, **READING})
    async def api_search(
        request: Request,
        q: Annotated[str, Query(min_length=1, max_length=500, description=SEARCH_SYNTAX)],
        page: Annotated[int, Query(ge=1, le=10_000)] = 1,
        limit: Annotated[int, Query(ge=1, le=MAX_PER_PAGE, description="results per page")] = 20,
    ) -> Response:
        """Articles matching `q`, best first, copies collapsed, with the page's results grouped by story."""
        keys.check_read(request)
        return await ctx.offload(request, lambda: JSONResponse(ctx.search_results(q, page, limit)))


def add_ingest_routes(app: FastAPI, keys: Keys, into: Ingesting) -> None:
    """POST /api/articles and GET /api/ingest/{job_id} (both need the write key)."""
    jobs = into.jobs

    @app.post(
        "/api/articles",
        tags=["articles"],
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": dict(record_schema())}},
            },
            "security": [{"ApiKey": []}, {"Bearer": []}],
        },
        responses={
            200: {"model": schemas.IngestResult, "description": "stored and in their stories"},
            202: {"model": schemas.IngestResult, "description": "accepted; not done within `wait` seconds"},
            401: {"model": schemas.Error, "description": "no valid write key (the body is not read)"},
            413: {"model": schemas.Error, "description": "body over the size limit, or over 1000 records"},
            422: {
                "description": "not JSON, not input records, or nothing usable in them; never echoes the body"
            },
            500: {"model": schemas.IngestResult, "description": "the stages failed; `errors` says why"},
            503: {
                "model": schemas.Error,
                "description": "ingestion is off: no write key is configured, or the database is read-only",
            },
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
        keys.check_write(request)
        if into.readonly:
            raise StarletteHTTPException(503, "ingestion is disabled: the database is read-only")
        try:
            body = await read_limited(
                request.stream(), request.headers.get("content-length"), into.max_body_bytes
            )
            batch = parse_records(body)
        except UploadError as exc:
            content: dict[str, Any] = {"detail": exc.message}
            if exc.errors:
                content["errors"] = list(exc.errors)
            return JSONResponse(content, status_code=exc.status)
        del body
        if into.ingest is not None:
            summary = await run_in_threadpool(into.ingest, batch)
            usable = summary.get("usable", bool(summary.get("added") or summary.get("already_stored")))
            return JSONResponse(summary, status_code=200 if usable else 422)
        job = jobs.submit(batch)
        try:
            await asyncio.wait_for(asyncio.shield(asyncio.wrap_future(job.done)), timeout=wait)
        except TimeoutError:
            return JSONResponse(job.record(), status_code=202)
        code = 200 if job.state == "done" and job.usable else (500 if job.state == "failed" else 422)
        return JSONResponse(job.record(), status_code=code)

    @app.get(
        "/api/ingest/{job_id}",
        tags=["articles"],
        openapi_extra={"security": [{"ApiKey": []}, {"Bearer": []}]},
        responses={
            200: {"model": schemas.IngestResult},
            401: {"model": schemas.Error},
            404: {"model": schemas.Error},
        },
    )
    async def api_job(request: Request, job_id: str) -> dict[str, Any]:
        """The state of one POST (needs the write key): queued, stored, done or failed."""
        keys.check_write(request)
        job = jobs.get(job_id)
        if job is None:
            raise StarletteHTTPException(404, "no such ingest job (only the latest 1000 are kept)")
        return job.record()
