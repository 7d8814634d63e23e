"""RSS and Atom feeds: every entry one RawDoc, the feed vetted for XML attacks first.

feedparser is lenient, which is what real feeds need, but leniency is no defence against entity
tricks. So the bytes go through defusedxml first: a document that declares entities (billion
laughs, quadratic blow-up) or points at external ones (file:///etc/passwd) is refused before any
parser expands anything. A document too broken for defusedxml to judge is refused if it declares
an entity anywhere, and otherwise left to feedparser's forgiving parser.
"""

from __future__ import annotations

import html
import io
import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from xml.etree.ElementTree import ParseError

import defusedxml.ElementTree as SafeET
import feedparser
from defusedxml import DefusedXmlException, DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden

from ..model import IngestError, RawDoc
from .common import Refused, bom_codec
from .dates import format_datetime, normalize_date
from .htmltext import html_to_text

_ENTITY_DECL = re.compile(rb"<!\s*ENTITY", re.IGNORECASE)
_FEED_ROOT = re.compile(rb"<(?:[A-Za-z0-9_-]+:)?(?:rss|feed|RDF)[\s>]")
_HTML_TYPES = ("text/html", "application/xhtml+xml")
_MARKUP = re.compile(r"</?[A-Za-z][A-Za-z0-9]*[\s/>]")


def vet_xml(data: bytes) -> None:
    """Refuse XML that declares or references entities; raises Refused with the reason."""
    try:
        SafeET.fromstring(data, forbid_dtd=False, forbid_entities=True, forbid_external=True)
    except EntitiesForbidden as exc:
        kind = "external entity" if exc.sysid or exc.pubid else "entity"
        raise Refused(
            f"XML declares an {kind} ({exc.name!r}); refused (entity expansion is not allowed)"
        ) from None
    except ExternalReferenceForbidden as exc:
        raise Refused(f"XML references an external resource ({exc.sysid!r}); refused") from None
    except DTDForbidden:  # only raised if forbid_dtd is turned on; kept for clarity
        raise Refused("XML has a DTD; refused") from None
    except DefusedXmlException as exc:
        raise Refused(f"unsafe XML refused: {exc}") from None
    except (ParseError, ValueError, UnicodeError):
        if _ENTITY_DECL.search(_as_utf8(data)):
            raise Refused("malformed XML that declares an entity; refused") from None


def _as_utf8(data: bytes) -> bytes:
    """The bytes to search for markup: UTF-16/32 documents re-encoded, others as they are."""
    found = bom_codec(data)
    if found and found[0] != "utf-8":
        return data[found[1] :].decode(found[0], errors="replace").encode("utf-8")
    return data


def looks_like_feed(data: bytes) -> bool:
    """A cheap sniff: an <rss>, <feed> or <rdf:RDF> root near the top."""
    return bool(_FEED_ROOT.search(_as_utf8(data[:4096])))


def read_feed(data: bytes, origin: str, content_type: str | None = None) -> Iterator[RawDoc | IngestError]:
    """Entries of an RSS/Atom document; `origin#N` (1-based) names entry N."""
    if not data.strip():
        raise Refused("empty file")
    vet_xml(data)
    headers = {"content-type": content_type} if content_type else {}
    parsed = feedparser.parse(io.BytesIO(data), response_headers=headers, resolve_relative_uris=False)
    if not parsed.get("version") and not parsed.entries:
        problem = parsed.get("bozo_exception")
        raise Refused("not an RSS or Atom feed" + (f" ({problem})" if problem else ""))
    if not parsed.entries:
        raise Refused("feed has no entries")
    feed = parsed.feed
    feed_title = _plain(feed.get("title"))
    feed_lang = feed.get("language") or None
    for n, entry in enumerate(parsed.entries, 1):
        yield from _entry_doc(entry, f"{origin}#{n}", feed_title, feed_lang)


def _entry_doc(
    entry: Any, origin: str, feed_title: str | None, feed_lang: str | None
) -> Iterator[RawDoc | IngestError]:
    text = _entry_text(entry)
    title = entry.get("title_detail") or {}
    headline = _as_text(entry.get("title"), title.get("type")) or None
    if not text and not headline:
        # a title-only item (a headline and a link) is kept: its story is found by its title
        yield IngestError(origin, "feed entry has no title, content or summary")
        return
    link = entry.get("link") or None
    source_title = _plain(entry.get("source", {}).get("title")) if entry.get("source") else None
    published, raw_date = _entry_date(entry)
    if raw_date and published is None:
        yield IngestError(origin, f"unparseable published date {raw_date!r}; article kept without a date")
    yield RawDoc(
        origin=origin,
        id=entry.get("id") or link,
        url=link,
        source=source_title or feed_title,
        title=headline,
        text=text,
        published=published,
        lang=(title.get("language") or feed_lang) or None,
        author=entry.get("author") or None,
    )


def _entry_text(entry: Any) -> str:
    """Full content where the feed has it, else the summary; HTML laid out as lines."""
    contents = entry.get("content") or []
    if contents:
        best = max(contents, key=lambda c: len(c.get("value") or ""))
        text = _as_text(best.get("value"), best.get("type"))
        if text:
            return text
    detail = entry.get("summary_detail") or {}
    return _as_text(entry.get("summary"), detail.get("type"))


def _as_text(value: str | None, mime: str | None) -> str:
    if not value:
        return ""
    if (mime in _HTML_TYPES or mime is None) and _MARKUP.search(value):
        return html_to_text(value)
    # Plain text (or "HTML" without a single tag, as many RSS descriptions are): lines kept.
    if mime in _HTML_TYPES:
        value = html.unescape(value)
    lines = (line.strip() for line in value.splitlines())
    return "\n".join(line for line in lines if line)


def _plain(value: str | None) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


def _entry_date(entry: Any) -> tuple[str | None, str | None]:
    """(normalised date, the raw string): published first, then updated."""
    for key in ("published", "updated", "created"):
        raw = entry.get(key)
        if not raw:
            continue
        found = normalize_date(raw)
        if found is None:
            # feedparser reads many odd formats; its answer is UTC without the original zone.
            parsed = entry.get(f"{key}_parsed")
            if isinstance(parsed, time.struct_time):
                found = format_datetime(datetime(*parsed[:6], tzinfo=UTC))
        return found, raw
    return None, None
