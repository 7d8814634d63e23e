"""HTML to text: whole pages through trafilatura, fragments (feed content) through lxml.

A page needs main-text extraction (navigation, footers and ads are not the article); trafilatura
does that and reads the metadata (title, author, date, canonical URL, site name). A feed entry's
content is already the article, so it only needs tags turned into paragraph breaks, which lxml
does without trafilatura's length thresholds dropping short items. Neither touches the network.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import lxml.etree
import lxml.html
import trafilatura
from trafilatura.settings import Document

from .common import Refused
from .dates import normalize_date

# Elements that end a paragraph (or a line) when text is laid out.
_BLOCK_TAGS = frozenset(
    [
        "address",
        "article",
        "aside",
        "blockquote",
        "br",
        "dd",
        "div",
        "dl",
        "dt",
        "figcaption",
        "figure",
        "footer",
        "form",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "hr",
        "li",
        "main",
        "nav",
        "ol",
        "p",
        "pre",
        "section",
        "table",
        "tbody",
        "thead",
        "tfoot",
        "tr",
        "td",
        "th",
        "ul",
    ]
)
_SKIP_TAGS = frozenset(
    ["script", "style", "noscript", "template", "head", "title", "iframe", "object", "svg"]
)
_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>")
_ASCII_SPACE = re.compile(r"[ \t\n\r\f\v]+")
_HTML_LANG = re.compile(r"""<html[^>]*?\blang\s*=\s*["']?([A-Za-z]{2,3}(?:-[A-Za-z0-9]+)*)""", re.IGNORECASE)


def html_to_text(markup: str) -> str:
    """Visible text of an HTML fragment or page, one paragraph per line.

    HTML whitespace inside a block collapses to one space (newlines in the source are not
    breaks); block elements and <br> end lines; empty lines are dropped.
    """
    markup = _XML_DECL.sub("", markup, count=1)  # lxml refuses str input that declares an encoding
    if not markup.strip():
        return ""
    parser = lxml.html.HTMLParser(remove_comments=True, remove_pis=True, no_network=True)
    try:
        root = lxml.html.document_fromstring(markup, parser=parser)
    except (lxml.etree.ParserError, ValueError):
        return ""
    parts: list[str] = []
    _layout(root, parts)
    lines = (_ASCII_SPACE.sub(" ", line).strip() for line in "".join(parts).split("\n"))
    return "\n".join(line for line in lines if line)


def _layout(el: lxml.html.HtmlElement, parts: list[str]) -> None:
    tag = el.tag if isinstance(el.tag, str) else ""
    if tag in _SKIP_TAGS:
        return
    block = tag in _BLOCK_TAGS
    if block:
        parts.append("\n")
    if el.text:
        parts.append(el.text.replace("\n", " "))
    for child in el:
        _layout(child, parts)
        if child.tail:
            parts.append(child.tail.replace("\n", " "))
    if block:
        parts.append("\n")


@dataclass(slots=True)
class PageFields:
    """What a web page gives us: its main text, one paragraph per line, and its metadata."""

    text: str
    title: str | None = None
    author: str | None = None
    url: str | None = None
    source: str | None = None
    published: str | None = None  # ISO 8601, or the raw string if it could not be read (caller reports it)
    lang: str | None = None


class PageExtractor:
    """Main text and metadata of a whole HTML page, via trafilatura's bare_extraction.

    Settings chosen for a news engine: no comments (reader comments are not the article),
    tables kept (results, figures), no text-wide date guessing (`extensive_search` picks dates
    mentioned in the prose; a missing date is better than a wrong one). When trafilatura finds
    nothing (tiny or broken pages) the lxml layout of the whole page is the fallback.
    """

    def __init__(self, favor_precision: bool = False) -> None:
        self.favor_precision = favor_precision

    def extract(self, markup: str, url: str | None = None) -> PageFields:
        """Raises Refused when the page holds no text at all."""
        doc: Document | None = None
        try:
            result = trafilatura.bare_extraction(
                markup,
                url=url,
                with_metadata=True,
                include_comments=False,
                include_tables=True,
                favor_precision=self.favor_precision,
                deduplicate=False,
                date_extraction_params={
                    "extensive_search": False,
                    "original_date": True,
                    "outputformat": "%Y-%m-%dT%H:%M:%S%z",
                },
            )
            doc = result if isinstance(result, Document) else None
        except Exception:  # noqa: BLE001 - a parser crash on hostile markup falls back to lxml below
            doc = None
        text = _tidy_lines(doc.text) if doc is not None and doc.text else ""
        if not text:
            text = html_to_text(markup)
        if not text:
            raise Refused("no text found in the HTML")
        fields = PageFields(text=text)
        if doc is not None:
            fields.title = _clean(doc.title)
            fields.author = _clean(doc.author)
            fields.url = _clean(doc.url)
            sitename = _clean(doc.sitename)
            fields.source = sitename if sitename and sitename != fields.title else _clean(doc.hostname)
            fields.published = _page_date(_clean(doc.date))
            fields.lang = _clean(doc.language)
        if fields.lang is None:
            m = _HTML_LANG.search(markup[:4096])
            fields.lang = m.group(1).lower() if m else None
        fields.text = drop_title_line(fields.text, fields.title)
        return fields


def _page_date(raw: str | None) -> str | None:
    """htmldate's answer in our ISO form; a bare date it padded with midnight becomes a date again."""
    if raw is None:
        return None
    iso = normalize_date(raw)
    if iso is None:
        return raw
    return iso[:10] if iso.endswith("T00:00:00") else iso


def _clean(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    value = value.strip()
    return value or None


def _tidy_lines(text: str) -> str:
    lines = (line.strip() for line in text.split("\n"))
    return "\n".join(line for line in lines if line)


def drop_title_line(text: str, title: str | None) -> str:
    """Remove a leading line that repeats the title (pages print their headline as <h1>)."""
    if not title:
        return text
    first, sep, rest = text.partition("\n")
    if sep and _ASCII_SPACE.sub(" ", first).strip() == _ASCII_SPACE.sub(" ", title).strip():
        return rest
    return text
