"""The pages for people (the story list, a story, an article, search, the API docs) and the Atom
feeds. Plain HTML from Jinja2 templates with autoescaping, no JavaScript."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import FastAPI, Query, Request
from fastapi.responses import HTMLResponse, Response

from ..render import story_view
from ..store.story_rows import ORDERS
from . import schemas
from .context import WebContext, blank, card, feed_candidates, story_articles
from .keys import Keys
from .params import MAX_PER_PAGE, READING, SEARCH_SYNTAX, Day, Filter, Lang, Order, Page, PerPage

ATOM = "application/atom+xml; charset=utf-8"


def add_docs_page(app: FastAPI, ctx: WebContext, openapi: Callable[[], dict[str, Any]]) -> None:
    @app.get("/docs", response_class=HTMLResponse, include_in_schema=False)
    async def page_docs(request: Request) -> HTMLResponse:
        return ctx.html("docs.html", title="واجهة البرمجة", spec=openapi(), syntax=SEARCH_SYNTAX)


def add_feeds(app: FastAPI, ctx: WebContext, keys: Keys) -> None:
    """Atom 1.0 feeds of recent stories and of one story's articles."""
    reads, outlets = ctx.reads, ctx.outlets

    @app.get(
        "/feeds/stories.atom",
        tags=["feeds"],
        response_class=Response,
        responses={200: {"content": {"application/atom+xml": {}}}, **READING},
    )
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

        keys.check_read(request)
        body = await ctx.offload(request, work)
        return Response(body, media_type=ATOM)

    @app.get(
        "/feeds/stories/{story_id}.atom",
        tags=["feeds"],
        response_class=Response,
        responses={200: {"content": {"application/atom+xml": {}}}, 404: {"model": schemas.Error}, **READING},
    )
    async def feed_story(request: Request, story_id: str) -> Response:
        """What is new in one story (Atom 1.0): its articles, newest first."""
        from ..atom import story_feed

        def work() -> bytes:
            story = ctx.get_story_or_404(story_id)
            articles = {a.id: a for a in reads.get().get_articles(story.articles)}
            return story_feed(story, articles, str(request.base_url), str(request.url))

        keys.check_read(request)
        body = await ctx.offload(request, work)
        return Response(body, media_type=ATOM)


def add_pages(app: FastAPI, ctx: WebContext, keys: Keys) -> None:
    """/, /stories/{id}, /articles/{id}, /search."""

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    async def page_list(
        request: Request,
        page: Page = 1,
        per_page: PerPage = 20,
        order: Order = "rank",
        date_from: Day = None,
        date_to: Day = None,
        entity: Filter = None,
        source: Filter = None,
        lang: Lang = None,
    ) -> HTMLResponse:
        keys.check_read(request)
        f = ctx.story_filter(date_from, date_to, entity, source, lang)
        shown = replace(f, source=blank(source))  # the form and links keep the outlet as typed

        def work() -> HTMLResponse:
            result = ctx.list_page(f, order, page, per_page, None)
            pages = max(1, -(-result.total // per_page))
            base = shown.query()
            if per_page != 20:
                base["per_page"] = str(per_page)
            if order != "rank":
                base["order"] = order

            def page_url(n: int) -> str:
                return "/?" + urlencode({**base, "page": str(n)})

            def order_url(o: str) -> str:
                return "/?" + urlencode(
                    {
                        **{k: v for k, v in base.items() if k != "order"},
                        **({"order": o} if o != "rank" else {}),
                    }
                )

            return ctx.html(
                "list.html",
                title="القصص",
                stories=[card(r) for r in result.rows],
                total=result.total,
                filtered=f.active,
                f=shown,
                page=page,
                pages=pages,
                page_url=page_url,
                order=order,
                orders=ORDERS,
                order_url=order_url,
            )

        return await ctx.offload(request, work)

    @app.get("/stories/{story_id:path}", response_class=HTMLResponse, include_in_schema=False)
    async def page_story(request: Request, story_id: str) -> HTMLResponse:
        keys.check_read(request)

        def work() -> HTMLResponse:
            story = ctx.get_story_or_404(story_id)
            rs = ctx.reads.get()
            view = story_view(story, story_articles(rs, story), rs.story_titles(story.related))
            return ctx.html("story.html", title=story.title or story.id, view=view)

        return await ctx.offload(request, work)

    @app.get("/articles/{article_id:path}", response_class=HTMLResponse, include_in_schema=False)
    async def page_article(request: Request, article_id: str) -> HTMLResponse:
        keys.check_read(request)

        def work() -> HTMLResponse:
            article = ctx.get_article_or_404(article_id)
            return ctx.html("article.html", title=article.title or article.id, a=article)

        return await ctx.offload(request, work)

    @app.get("/search", response_class=HTMLResponse, include_in_schema=False)
    async def page_search(
        request: Request,
        q: Annotated[str, Query(max_length=500)] = "",
        page: Annotated[int, Query(ge=1, le=10_000)] = 1,
    ) -> HTMLResponse:
        keys.check_read(request)
        q = q.strip()

        def work() -> HTMLResponse:
            found = ctx.search_results(q, page, 20) if q else None

            def page_url(n: int) -> str:
                return "/search?" + urlencode({"q": q, "page": str(n)})

            # each group with its results, made once here rather than by a scan per group in the template
            grouped = (
                [(g, [r for r in found["results"] if r["id"] in g["articles"]]) for g in found["groups"]]
                if found
                else []
            )
            return ctx.html(
                "search.html",
                title=f"بحث: {q}" if q else "بحث",
                query=q,
                found=found,
                grouped=grouped,
                page=page,
                pages=found["pages"] if found else 1,
                page_url=page_url,
            )

        return await ctx.offload(request, work)
