"""Response records of the HTTP API, for its OpenAPI description (the handlers return plain dicts
of these shapes; CONTRACT.md describes the story and article records)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class Error(BaseModel):
    detail: str | list[dict[str, Any]] = Field(description="what was wrong; never repeats the request body")


class StoryLine(BaseModel):
    id: str
    title: str
    first_seen: str | None
    last_seen: str | None
    sources: list[str]
    article_count: int
    outlet_count: int = Field(
        description="distinct outlets (by outlet id); each article naming none counts as one"
    )
    statement_count: int
    entities: list[str] = Field(description="names of the entities in most of its articles (up to six)")
    langs: list[str]
    rank: float = Field(description="log2(1 + outlets) + 0.5 log2(1 + articles) + day number of last_seen")


class StoryList(BaseModel):
    page: int | None = Field(description="null when paged by cursor")
    per_page: int
    order: str
    total: int = Field(description="stories that pass the filters")
    pages: int
    next_cursor: str | None = Field(description="pass as `cursor` for the next page; null on the last")
    stories: list[StoryLine]


class Entity(BaseModel):
    name: str
    type: str
    variants: list[str]
    articles: list[str]


class TimelineEvent(BaseModel):
    date: str
    text: str
    articles: list[str]


class Quote(BaseModel):
    speaker: str
    text: str
    article: str


class Statement(BaseModel):
    text: str
    articles: list[str]
    lang: str


class Dispute(BaseModel):
    claim: str
    articles: list[str]
    disputed_by: list[str]
    text: str


class Coverage(BaseModel):
    """Who covers what, by outlet (not by article): one row per brief statement."""

    sources: list[str] = Field(
        description="the story's outlets (stored source, or the article id of an article"
        " naming none), in publication order"
    )
    names: dict[str, str] = Field(description="each of `sources` -> its display name")
    statements: list[str] = Field(description="the brief statements, in brief order")
    articles: list[list[str]] = Field(description="per statement, every article that reports it")
    rows: list[list[bool]] = Field(description="per statement, whether each of `sources` reports it")
    carried: dict[str, int] = Field(description="outlet -> how many statements it reports")
    single_source: dict[str, list[int]] = Field(
        description="outlet -> the statements (0-based) only it reports"
    )
    omitted: dict[str, list[int]] = Field(
        description="outlet -> the statements at least two other outlets report and it leaves out"
    )


class StoryRecord(BaseModel):
    id: str
    title: str
    articles: list[str]
    sources: list[str]
    first_seen: str | None
    last_seen: str | None
    entities: list[Entity]
    timeline: list[TimelineEvent]
    quotes: list[Quote]
    brief: list[Statement]
    disputed: list[Dispute]
    related: list[str]
    outlet_count: int = Field(
        description="as in the story list: distinct outlets, one per article naming none"
    )
    coverage: Coverage


class Paragraph(BaseModel):
    text: str
    lang: str


class Removed(BaseModel):
    kind: str
    text: str


class ArticleRecord(BaseModel):
    id: str
    url: str | None
    source: str | None
    title: str
    published: str | None
    story: str | None = Field(
        description="its story, or null while it is in none yet (never a missing story)"
    )
    duplicate_of: str | None
    paragraphs: list[Paragraph]
    removed: list[Removed]


class SearchHit(BaseModel):
    id: str
    title: str
    snippet: str
    highlights: list[list[int]] = Field(description="[start, end) character spans of query hits in snippet")
    title_highlights: list[list[int]]
    score: float
    copies: int = Field(description="other matching articles that are copies of this one (collapsed)")
    story: str | None
    story_title: str | None
    source: str | None
    published: str | None
    url: str | None


class SearchGroup(BaseModel):
    story: str | None
    title: str | None
    articles: list[str]


class SearchResults(BaseModel):
    query: str
    page: int
    per_page: int
    total: int = Field(description="matching articles, copies collapsed")
    pages: int
    stories: int = Field(description="distinct stories among all matches")
    results: list[SearchHit]
    groups: list[SearchGroup] = Field(description="this page's results by story, in order of first hit")


class PostedArticle(BaseModel):
    id: str
    url: str
    story: str | None
    story_url: str | None


class IngestResult(BaseModel):
    job: str
    status: str = Field(description="queued, stored, done or failed")
    status_url: str
    read: int
    added: list[str]
    already_stored: int
    errors: list[str]
    usable: bool
    articles: list[PostedArticle]
    stories: list[str]
