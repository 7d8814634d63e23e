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
cached (the cache follows the store's data version, which PostgreSQL does not give).
Uploads are checked before they are read: the key, then the size as the body streams, then the
record schema (web/upload.py); accepted records go to the ingest queue (web/worker.py), which runs
the stages of `rasid run`.

The app is put together here; the routes live in `api` (JSON), `pages` (HTML and feeds), the
shared read machinery in `context`, keys and headers in `keys`, parameters in `params`.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from contextlib import asynccontextmanager
from typing import Any

import anyio
from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from ..outlets import shipped_registry
from ..render import STATIC_DIR, Renderer
from ..store import open_store
from .api import IngestFn, Ingesting, add_ingest_routes, add_read_routes
from .cache import ResponseCache, SearchCache, StoreVersion
from .context import ClientGone, ReadStores, WebContext
from .keys import Keys, SecurityHeaders, clean_errors, error_text, wants_json
from .pages import add_docs_page, add_feeds, add_pages
from .params import API_DESCRIPTION
from .upload import MAX_BODY_BYTES
from .worker import IngestQueue

__all__ = ["IngestFn", "app_from_env", "create_app", "serve"]

REQUEST_TIMEOUT = 10.0


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
    20,000, 0 for none; at most 128 MB; never when reading needs a key). A cached page carries an
    ETag, and a request that holds the current one is answered 304.
    """
    write_key = write_key if write_key is not None else (os.environ.get("RASID_API_KEY") or None)
    read_key = read_key if read_key is not None else (os.environ.get("RASID_READ_KEY") or None)
    write_key, read_key = write_key or None, read_key or None  # "" means "no key", not "empty key"
    store = open_store(store_path)
    reads = ReadStores(store)
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
        cache_entries = int(env_cache) if env_cache.isdigit() else 20_000
    # (a read-only store may be one SQLite opens immutable, in a folder it cannot add files to;
    # the cache follows the store's data version, so a PostgreSQL store is served uncached)
    version = (
        StoreVersion.of(store) if cache_entries > 0 and read_key is None and not store.readonly else None
    )
    if version is not None:
        app.add_middleware(ResponseCache, version=version, entries=cache_entries)
    app.add_middleware(SecurityHeaders)
    app.mount("/static", StaticFiles(directory=str(STATIC_DIR)), name="static")
    ctx = WebContext(
        app, reads, renderer, outlets, request_timeout, SearchCache(version) if version is not None else None
    )
    keys = Keys(write_key, read_key)

    @app.exception_handler(ClientGone)
    async def gone(request: Request, exc: ClientGone) -> Response:
        return Response(status_code=499)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        headers = dict(exc.headers or {})
        if wants_json(request):
            return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=headers)
        return HTMLResponse(
            renderer.page(
                "error.html",
                title=str(exc.status_code),
                status=exc.status_code,
                message=error_text(exc.status_code, exc.detail),
            ),
            status_code=exc.status_code,
            headers=headers,
        )

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        if wants_json(request):
            return JSONResponse({"detail": clean_errors(exc.errors())}, status_code=422)
        fields = sorted({str(e.get("loc", ("", ""))[-1]) for e in exc.errors()})
        return ctx.html(
            "error.html", 422, title="422", status=422, message="قيمة غير صالحة في: " + "، ".join(fields)
        )

    add_read_routes(app, ctx, keys)
    add_ingest_routes(app, keys, Ingesting(jobs, ingest, store.readonly, max_body_bytes))

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            from fastapi.openapi.utils import get_openapi

            spec = get_openapi(
                title=app.title,
                version=app.version,
                summary=app.summary,
                description=API_DESCRIPTION,
                routes=app.routes,
            )
            body = spec["paths"]["/api/articles"]["post"]["requestBody"]["content"]["application/json"][
                "schema"
            ]
            spec.setdefault("components", {}).setdefault("schemas", {}).update(body.pop("$defs", {}))
            spec["components"]["securitySchemes"] = {
                "ApiKey": {
                    "type": "apiKey",
                    "in": "header",
                    "name": "X-API-Key",
                    "description": "the write key (RASID_API_KEY) to POST; the read key (RASID_READ_KEY), "
                    "when one is configured, to read",
                },
                "Bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "the same keys as a bearer token",
                },
            }
            if read_key is not None:
                spec["security"] = [{"ApiKey": []}, {"Bearer": []}]
            app.openapi_schema = spec
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    add_docs_page(app, ctx, openapi)
    add_feeds(app, ctx, keys)
    add_pages(app, ctx, keys)
    return app


def serve(
    store_path: str,
    host: str = "127.0.0.1",
    port: int = 8000,
    *,
    write_key: str | None = None,
    read_key: str | None = None,
    ingest: IngestFn | None = None,
    stages: Sequence[Any] | None = None,
    settings: Any = None,
    log_level: str = "info",
    processes: int = 1,
    config: str | None = None,
    access_log: bool = False,
) -> None:
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
        uvicorn.run(
            "rasid.web.app:app_from_env",
            factory=True,
            host=host,
            port=port,
            log_level=log_level,
            timeout_keep_alive=5,
            workers=processes,
            access_log=access_log,
        )
        return
    app = create_app(
        store_path, write_key=write_key, read_key=read_key, ingest=ingest, stages=stages, settings=settings
    )
    uvicorn.run(app, host=host, port=port, log_level=log_level, timeout_keep_alive=5, access_log=access_log)


def app_from_env() -> FastAPI:
    """The app of one of several server processes (`serve(processes=N)`): store from RASID_SERVE_DB."""
    from ..settings import load_settings

    db = os.environ["RASID_SERVE_DB"]
    return create_app(db, settings=load_settings(os.environ.get("RASID_SERVE_CONFIG") or None, db=db))
