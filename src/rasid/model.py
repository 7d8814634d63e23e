"""The records rasid passes between stages.

Each is a small slotted dataclass: stages take and return these, the store persists them, and the
exports of CONTRACT.md are built from them. Nothing here does I/O.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(slots=True)
class RawDoc:
    """One document as a reader found it, before cleaning.

    `origin` names where it came from (a path, a path with a line number, a URL) so that every
    later error can point back to the input.
    """

    origin: str
    id: str | None = None
    url: str | None = None
    source: str | None = None
    title: str | None = None
    text: str | None = None
    html: str | None = None
    published: str | None = None
    lang: str | None = None
    author: str | None = None
    # True when `text` came from a single-article plain text file whose first short line is a title.
    title_in_text: bool = False


@dataclass(slots=True, frozen=True)
class IngestError:
    """A problem with one input: the input's name and the reason, for stderr and the run summary."""

    origin: str
    reason: str

    def __str__(self) -> str:
        return f"{self.origin}: {self.reason}"


@dataclass(slots=True)
class Removed:
    """A piece of the raw text that cleaning took out, with what kind of debris it was."""

    kind: str
    text: str


@dataclass(slots=True)
class Paragraph:
    text: str
    lang: str = "und"
    sentences: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Article:
    id: str
    origin: str
    raw_text: str
    content_hash: str
    title: str = ""
    url: str | None = None
    source: str | None = None
    published: str | None = None  # ISO 8601 date or datetime, as normalised by ingest
    author: str | None = None
    paragraphs: list[Paragraph] = field(default_factory=list)
    removed: list[Removed] = field(default_factory=list)
    story: str | None = None
    duplicate_of: str | None = None

    @property
    def text(self) -> str:
        """The cleaned prose, paragraphs separated by blank lines."""
        return "\n\n".join(p.text for p in self.paragraphs)

    @property
    def lang(self) -> str:
        """The document's language: that of most of its prose (by characters), "und" with none."""
        weight: dict[str, int] = {}
        for p in self.paragraphs:
            if p.lang != "und":
                weight[p.lang] = weight.get(p.lang, 0) + len(p.text)
        return max(weight, key=lambda k: weight[k]) if weight else "und"

    @property
    def published_date(self) -> str | None:
        """The YYYY-MM-DD part of `published`, if any."""
        return self.published[:10] if self.published else None


def publication_key(article: Article, position: int) -> tuple[bool, str, int]:
    """Sort key for stream order: publication time, undated articles last, arrival breaking ties."""
    return (article.published is None, article.published or "", position)


def time_order(articles: list[Article] | tuple[Article, ...]) -> list[Article]:
    """`articles` in publication order (see `publication_key`)."""
    return [a for _, a in sorted(enumerate(articles), key=lambda p: publication_key(p[1], p[0]))]


@dataclass(slots=True)
class Mention:
    """A named-entity mention found in one sentence of one article."""

    text: str
    type: str  # PER, LOC, ORG, MISC
    article: str
    paragraph: int
    start: int  # character offsets within the paragraph text
    end: int
    # Text of another mention this one names in apposition (“تاس” right after وكالة الأنباء
    # الروسية الرسمية): the two are one entity although they share no word. Empty: none.
    alias: str = ""


@dataclass(slots=True)
class Entity:
    name: str
    type: str
    variants: list[str] = field(default_factory=list)
    articles: list[str] = field(default_factory=list)


@dataclass(slots=True)
class TimeExpr:
    """A temporal expression resolved to a calendar date (or left unresolved with date None)."""

    text: str
    date: str | None  # YYYY-MM-DD
    granularity: str  # day, month, year
    article: str
    paragraph: int
    start: int
    end: int


@dataclass(slots=True)
class TimelineEvent:
    date: str
    text: str
    articles: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Quote:
    speaker: str
    text: str
    article: str
    kind: str = "indirect"  # "direct": the speaker's words in quote marks; "indirect": reported speech


@dataclass(slots=True)
class Statement:
    text: str
    articles: list[str] = field(default_factory=list)
    lang: str = "ar"


@dataclass(slots=True)
class Dispute:
    claim: str
    articles: list[str]
    disputed_by: list[str]
    text: str


@dataclass(slots=True)
class Story:
    id: str
    title: str = ""
    articles: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    entities: list[Entity] = field(default_factory=list)
    timeline: list[TimelineEvent] = field(default_factory=list)
    quotes: list[Quote] = field(default_factory=list)
    brief: list[Statement] = field(default_factory=list)
    disputed: list[Dispute] = field(default_factory=list)
    # stories the clusterer linked to this one without merging them, most related first (kept by
    # the store apart from the story's own parts: they change when other stories grow)
    related: list[str] = field(default_factory=list)
    first_seen: str | None = None
    last_seen: str | None = None
