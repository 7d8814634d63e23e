"""Atom 1.0 feeds of stories (RFC 4287), for feed readers following the news rasid forms.

- `stories_feed`: the stories most covered recently: those active within `days` of the newest
  story's last article (a window relative to the data, so an archive has a feed too), ranked by
  how many outlets cover them, then how many articles, then recency.
- `story_feed`: what is new in one story: its articles, newest first.

XML is built with ElementTree (text escaped) after dropping characters XML 1.0 cannot carry.
Timestamps are RFC 3339: a bare date is midnight UTC, a time without a zone is taken as UTC.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

from .model import Article, Story
from .outlets import OutletRegistry, shipped_registry
from .render import ar_count

ATOM_NS = "http://www.w3.org/2005/Atom"
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_EPOCH = "1970-01-01T00:00:00Z"
_SUMMARY_CHARS = 600


def rfc3339(value: str | None) -> str | None:
    """An ISO 8601 date or datetime as an RFC 3339 timestamp, or None if unreadable."""
    if not value:
        return None
    try:
        when = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.isoformat().replace("+00:00", "Z")


def _parse(value: str | None) -> datetime | None:
    stamp = rfc3339(value)
    return datetime.fromisoformat(stamp.replace("Z", "+00:00")) if stamp else None


def _text(value: str | None) -> str:
    return _XML_ILLEGAL.sub("", value or "")


def _el(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    el = ET.SubElement(parent, f"{{{ATOM_NS}}}{tag}", {k: _text(v) for k, v in attrs.items()})
    if text is not None:
        el.text = _text(text)
    return el


def _feed(feed_id: str, title: str, self_url: str, alt_url: str, updated: str) -> ET.Element:
    ET.register_namespace("", ATOM_NS)
    root = ET.Element(f"{{{ATOM_NS}}}feed", {"{http://www.w3.org/XML/1998/namespace}lang": "ar"})
    _el(root, "id", feed_id)
    _el(root, "title", title)
    _el(root, "updated", updated)
    author = _el(root, "author")
    _el(author, "name", "rasid")
    _el(root, "link", rel="self", type="application/atom+xml", href=self_url)
    _el(root, "link", rel="alternate", type="text/html", href=alt_url)
    _el(root, "generator", "rasid")
    return root


def _bytes(root: ET.Element) -> bytes:
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def story_url(base: str, story_id: str) -> str:
    return f"{base.rstrip('/')}/stories/{quote(story_id, safe='')}"


def recent_stories(
    stories: Iterable[Story],
    days: float = 3.0,
    limit: int = 50,
    outlet_counts: Mapping[str, int] | None = None,
) -> list[Story]:
    """The stories most covered recently (see the module docstring); `outlet_counts` (story id ->
    its outlet count as the story list has it) when known, else its named sources are counted."""
    counts = outlet_counts or {}
    dated = [(s, _parse(s.last_seen or s.first_seen)) for s in stories]
    newest = max((d for _, d in dated if d is not None), default=None)
    if newest is None:
        chosen = [s for s, _ in dated]
    else:
        since = newest - timedelta(days=days)
        chosen = [s for s, d in dated if d is not None and d >= since]
    chosen.sort(key=lambda s: (-counts.get(s.id, len(s.sources)), -len(s.articles), _sort_stamp(s), s.id))
    return chosen[:limit]


def _sort_stamp(story: Story) -> float:
    when = _parse(story.last_seen or story.first_seen)
    return -when.timestamp() if when else 0.0


def stories_feed(
    stories: Sequence[Story],
    base: str,
    self_url: str,
    outlets: OutletRegistry | None = None,
    outlet_counts: Mapping[str, int] | None = None,
) -> bytes:
    """The Atom feed of `stories` (already chosen and ordered, e.g. by `recent_stories`);
    `outlet_counts` as for `recent_stories`."""
    registry = outlets or shipped_registry()
    counted = outlet_counts or {}
    stamps = [rfc3339(s.last_seen or s.first_seen) for s in stories]
    updated = max((t for t in stamps if t), default=None) or datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    root = _feed(self_url, "rasid: أبرز القصص", self_url, base.rstrip("/") + "/", updated)
    for story, stamp in zip(stories, stamps, strict=True):
        entry = _el(root, "entry")
        _el(entry, "id", story_url(base, story.id))
        _el(entry, "title", story.title or story.id)
        _el(entry, "updated", stamp or _EPOCH)
        if story.first_seen and rfc3339(story.first_seen):
            _el(entry, "published", rfc3339(story.first_seen))
        _el(entry, "link", rel="alternate", type="text/html", href=story_url(base, story.id))
        names = [registry.display_name(s) for s in story.sources]
        n_outlets = counted.get(story.id, len(story.sources))
        counts = f"{ar_count(len(story.articles), 'article')}، {ar_count(n_outlets, 'outlet')}"
        lines = [f"{counts}: {'، '.join(names)}" if names else counts]
        lines += [st.text for st in story.brief[:5]]
        _el(entry, "summary", "\n".join(lines), type="text")
        for name in names:
            _el(entry, "category", term=name)
    return _bytes(root)


def story_feed(
    story: Story,
    articles: Mapping[str, Article],
    base: str,
    self_url: str,
    outlets: OutletRegistry | None = None,
    limit: int = 100,
) -> bytes:
    """What is new in one story: its articles, newest first."""
    registry = outlets or shipped_registry()
    members = [articles[a] for a in story.articles if a in articles]
    members.sort(key=lambda a: (_parse(a.published) or datetime.min.replace(tzinfo=UTC), a.id), reverse=True)
    updated = (
        rfc3339(story.last_seen or story.first_seen)
        or next((rfc3339(a.published) for a in members if rfc3339(a.published)), None)
        or _EPOCH
    )
    root = _feed(self_url, f"rasid: {story.title or story.id}", self_url, story_url(base, story.id), updated)
    for art in members[:limit]:
        entry = _el(root, "entry")
        page = f"{base.rstrip('/')}/articles/{quote(art.id, safe='')}"
        _el(entry, "id", page)
        _el(entry, "title", art.title or art.id)
        stamp = rfc3339(art.published)
        _el(entry, "updated", stamp or updated)
        if stamp:
            _el(entry, "published", stamp)
        author = _el(entry, "author")
        _el(author, "name", registry.display_name(art.source))
        _el(entry, "link", rel="alternate", type="text/html", href=page)
        if art.url and art.url.startswith(("http://", "https://")):
            _el(entry, "link", rel="via", href=art.url)
        text = art.text
        _el(
            entry, "summary", text[:_SUMMARY_CHARS] + ("…" if len(text) > _SUMMARY_CHARS else ""), type="text"
        )
    return _bytes(root)
