"""News outlets: one id per outlet, whichever way an input names it.

An input names its outlet in many ways: a record's `source` (`okaz`), a feed's channel title with a
section («سكاي نيوز عربية | الخليج»), a page's site name, a byline line in the text («الرأي الثالث -
وكالات»), or only the domain of its URL (`www.okaz.com.sa`). The registry maps all of these to one
outlet id, which is what the store keeps as the article's source; `display_name` turns the id back
into a name for people (exports, pages, the brief, the coverage matrix).

The shipped registry (`data/outlets.json`) covers the SaudiNewsNet outlets, the seed story's and the
larger Arabic news sites and agencies; a user file in the same format (the `outlets_file` setting)
adds outlets or replaces shipped ones by id. An outlet the registry does not know keeps the name the
input gave (its section stripped), or its domain; never a URL or a file name.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any
from urllib.parse import urlsplit

from .text.normalize import match_form

UNKNOWN_AR = "مصدر غير معروف"
# Keys of articles whose outlet is unknown, as views count them (one outlet per such article):
# never a stored source, so never confused with an outlet id.
UNKNOWN_PREFIX = "\x00unknown:"

# Separators between an outlet's name and a section or a slogan in a channel or page title.
_SECTION_SPLIT = re.compile(r"\s+[|:›»·•/\\\-–—]+\s+|\s*[|›»•]\s*")
# Words that wrap an outlet's name without being part of it: «صحيفة سبق», «موقع الجزيرة».
_WRAPPERS = ("صحيفة", "جريدة", "موقع", "قناة", "بوابة", "وكالة", "أخبار", "اخبار", "شبكة")
_DASH = re.compile(r"\s*[-–—]\s*|\s+ـ\s+")
# City names that are also outlet names: the first part of a dateline («الرياض - واس»), not an outlet.
_BYLINE_CITIES = frozenset(
    match_form(c) for c in ("الرياض", "المدينة", "المدينة المنورة", "مكة", "مكة المكرمة")
)
_BYLINE_LINES = 3
_BYLINE_MAX_WORDS = 8
_URLISH = re.compile(r"^[a-z][a-z0-9+.-]*://", re.IGNORECASE)
_HOSTISH = re.compile(r"^(?:www\.)?[a-z0-9-]+(?:\.[a-z0-9-]+)+(?:/.*)?$", re.IGNORECASE)
_FILEISH = re.compile(r"[/\\]|\.(?:txt|html?|json|jsonl|xml|rss|atom)$", re.IGNORECASE)
_HOST_PREFIXES = ("www.", "m.", "amp.", "mobile.")


@dataclass(frozen=True, slots=True)
class Outlet:
    """One news outlet. `domains` may carry a path prefix (`bbc.com/arabic`) for an outlet that is a
    section of a larger site."""

    id: str
    name_ar: str
    name_en: str
    domains: tuple[str, ...] = ()
    country: str | None = None
    aliases: tuple[str, ...] = ()

    def names(self) -> tuple[str, ...]:
        return (self.id, self.name_ar, self.name_en, *self.aliases)


class OutletRegistry:
    """Outlets by id, with lookup by any of their names, aliases and domains. Immutable once built."""

    def __init__(self, outlets: Iterable[Outlet]) -> None:
        by_id: dict[str, Outlet] = {}
        for outlet in outlets:
            by_id[outlet.id] = outlet  # later wins: a user file replaces a shipped outlet by id
        names: dict[str, str] = {}
        hosts: dict[str, list[tuple[str, str]]] = {}
        for outlet in by_id.values():
            for name in outlet.names():
                names.setdefault(_name_key(name), outlet.id)
            for domain in outlet.domains:
                host, _, path = domain.lower().partition("/")
                hosts.setdefault(_bare_host(host), []).append(("/" + path if path else "", outlet.id))
        # A user outlet's own names win over a shipped outlet's alias that happens to match.
        for outlet in by_id.values():
            for name in (outlet.id, outlet.name_ar, outlet.name_en):
                names[_name_key(name)] = outlet.id
        for entries in hosts.values():
            entries.sort(key=lambda e: -len(e[0]))  # longest path prefix first
        self._by_id: Mapping[str, Outlet] = MappingProxyType(by_id)
        self._names: Mapping[str, str] = MappingProxyType(names)
        self._hosts: Mapping[str, tuple[tuple[str, str], ...]] = MappingProxyType(
            {h: tuple(e) for h, e in hosts.items()}
        )

    def __len__(self) -> int:
        return len(self._by_id)

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self._by_id.values())

    def get(self, outlet_id: str) -> Outlet | None:
        return self._by_id.get(outlet_id)

    # -- lookup ---------------------------------------------------------------------------------

    def by_name(self, name: str) -> str | None:
        """The id of the outlet with this name, alias or id (spelling variants folded)."""
        key = _name_key(name)
        if not key:
            return None
        found = self._names.get(key)
        if found is None:
            for wrapper in _WRAPPERS:
                w = _name_key(wrapper) + " "
                if key.startswith(w):
                    found = self._names.get(key[len(w) :])
                    break
        return found

    def by_url(self, url: str) -> str | None:
        """The id of the outlet whose domain (and path prefix) the URL or host name is on."""
        host, path = _host_path(url)
        if not host:
            return None
        labels = host.split(".")
        for i in range(len(labels) - 1):  # news.sabq.org -> sabq.org, never the bare TLD
            entries = self._hosts.get(".".join(labels[i:]))
            if entries:
                for prefix, outlet_id in entries:
                    if not prefix or path == prefix or path.startswith(prefix.rstrip("/") + "/"):
                        return outlet_id
                return None
        return None

    def resolve(self, value: str | None) -> str | None:
        """The outlet id for a name, an id, a domain or a URL; a title with a section
        («سكاي نيوز عربية | الخليج») is tried whole, then part by part. None when unknown."""
        if not value or not value.strip():
            return None
        value = value.strip()
        if _URLISH.match(value) or _HOSTISH.match(value):
            found = self.by_url(value)
            if found is not None:
                return found
        found = self.by_name(value)
        if found is not None:
            return found
        return self._by_parts(section_parts(value))

    def _by_parts(self, parts: list[str]) -> str | None:
        """The outlet a titled name («سكاي نيوز عربية | الخليج») names. A section can be an
        outlet's name too («الخليج», «اليوم»), so: the longest part of several words that names an
        outlet, else the first part; a later one-word part is taken for a section."""
        multi = [
            (len(p), -i, found)
            for i, p in enumerate(parts)
            if len(p.split()) > 1 and (found := self.by_name(p)) is not None
        ]
        if multi:
            return max(multi)[2]
        return self.by_name(parts[0]) if parts else None

    def candidates(self, value: str) -> set[str]:
        """Every outlet a name or any of its parts could name (to check against a URL's domain)."""
        found = {self.by_name(value), *(self.by_name(p) for p in section_parts(value))}
        found.discard(None)
        return found  # type: ignore[return-value]

    def canonical(self, value: str | None) -> str | None:
        """What to store as an article's source for this name: the outlet id when known, else the
        name with its section stripped, a URL's domain, or None for a URL-less path or file name."""
        if not value or not value.strip():
            return None
        found = self.resolve(value)
        if found is not None:
            return found
        return fallback_name(value)

    def source_for(self, source: str | None, text: str | None, url: str | None) -> str | None:
        """An article's outlet, from (in this order) the source its input gave (record field,
        feed channel title, page site name), a byline line at the top of its text, its URL's
        domain: the first present wins. A source the registry does not know keeps its own name
        (section stripped); a byline counts only when it names a known outlet (a person or a city
        is no outlet); a source that is a file name or path counts as absent."""
        by_url = self.by_url(url) if url else None
        if source:
            # A title's part that names the outlet the URL is on settles «أخبار محلية | عكاظ».
            if by_url is not None and by_url in self.candidates(source):
                return by_url
            found = self.canonical(source)
            if found is not None:
                return found
        found = self.from_byline(text)
        if found is not None:
            return found
        return by_url if by_url is not None else (self.canonical(url) if url else None)

    def from_byline(self, text: str | None) -> str | None:
        """The outlet a byline near the top names: a short line «OUTLET - وكالات» or «OUTLET – جدة»
        whose first part is a known outlet (a person's name or a city is not)."""
        if not text:
            return None
        seen = 0
        for line in text.splitlines():
            line = line.strip()
            if not line:
                continue
            seen += 1
            if seen > _BYLINE_LINES:
                break
            if len(line.split()) > _BYLINE_MAX_WORDS:
                continue
            parts = [p for p in _DASH.split(line) if p.strip()]
            if len(parts) < 2:
                continue
            first = parts[0].strip().strip("()[]«»\"'")
            if match_form(first) in _BYLINE_CITIES:
                continue
            found = self.by_name(first)
            if found is not None:
                return found
        return None

    # -- names ----------------------------------------------------------------------------------

    def display_name(self, source: str | None, lang: str = "ar") -> str:
        """The name to show for a stored source: the outlet's name in `lang` (ar or en), the
        source itself for an outlet the registry does not know, never a URL or a file name."""
        if not source or source.startswith(UNKNOWN_PREFIX):
            return UNKNOWN_AR if lang == "ar" else "unknown outlet"
        outlet = self._by_id.get(source)
        if outlet is None:
            found = self.resolve(source)
            outlet = self._by_id.get(found) if found else None
        if outlet is not None:
            return outlet.name_ar if lang == "ar" else outlet.name_en
        name = fallback_name(source)
        if name is None:
            return UNKNOWN_AR if lang == "ar" else "unknown outlet"
        return name

    def matches(self, query: str, source: str | None) -> bool:
        """Whether a filter value (a name, an id or a domain) names the outlet `source`."""
        if not source or not query.strip():
            return False
        wanted = self.resolve(query)
        if wanted is not None:
            return wanted == source or self.resolve(source) == wanted
        return _name_key(query) in (_name_key(source), _name_key(self.display_name(source)))

    # -- loading --------------------------------------------------------------------------------

    @classmethod
    def load(cls, user_file: str | Path | None = None) -> OutletRegistry:
        """The shipped outlets, plus (replacing by id) those of `user_file` if given.
        Raises ValueError naming the file and the problem."""
        outlets = list(_shipped_outlets())
        if user_file:
            outlets.extend(read_outlets_file(Path(user_file)))
        return cls(outlets)


def read_outlets_file(path: Path) -> list[Outlet]:
    """Outlets of a JSON file: `{"outlets": [...]}` or a bare array of outlet objects."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ValueError(f"{path}: outlets file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(f"{path}: cannot read outlets file: {exc}") from None
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path}: invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}") from None
    items = data.get("outlets") if isinstance(data, dict) else data
    if not isinstance(items, list):
        raise ValueError(f'{path}: expected a list of outlets (or {{"outlets": [...]}})')
    return [_outlet(item, f"{path}: outlet {n}") for n, item in enumerate(items, 1)]


def _outlet(item: Any, where: str) -> Outlet:
    if not isinstance(item, dict):
        raise ValueError(f"{where}: expected an object")
    oid = item.get("id")
    if not isinstance(oid, str) or not oid.strip():
        raise ValueError(f'{where}: needs an "id" string')
    name_ar = item.get("name_ar") or item.get("name_en") or oid
    name_en = item.get("name_en") or name_ar
    strings: dict[str, tuple[str, ...]] = {}
    for key in ("domains", "aliases"):
        value = item.get(key) or []
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ValueError(f'{where} ({oid}): "{key}" must be a list of strings')
        strings[key] = tuple(v.strip() for v in value if v.strip())
    country = item.get("country")
    if (
        not isinstance(name_ar, str)
        or not isinstance(name_en, str)
        or not (country is None or isinstance(country, str))
    ):
        raise ValueError(f"{where} ({oid}): names and country must be strings")
    return Outlet(
        oid.strip(), name_ar.strip(), name_en.strip(), strings["domains"], country, strings["aliases"]
    )


@cache
def _shipped_outlets() -> tuple[Outlet, ...]:
    """The shipped outlets (read once: immutable data from the package)."""
    text = resources.files("rasid").joinpath("data/outlets.json").read_text(encoding="utf-8")
    data = json.loads(text)
    return tuple(_outlet(item, f"outlets.json: outlet {n}") for n, item in enumerate(data["outlets"], 1))


@cache
def shipped_registry() -> OutletRegistry:
    """The registry of the shipped outlets alone (immutable, built once)."""
    return OutletRegistry(_shipped_outlets())


def display_name(source: str | None, registry: OutletRegistry | None = None, lang: str = "ar") -> str:
    """The display name of a stored source (see OutletRegistry.display_name); the shipped
    registry unless one (with the user's outlets) is given."""
    return (registry or shipped_registry()).display_name(source, lang)


def outlet_key(source: str | None, registry: OutletRegistry | None = None) -> str | None:
    """What a stored source counts as among a story's outlets: its outlet id when the registry
    knows it (so «عكاظ», okaz.com.sa and okaz are one), else its case-folded name; None when the
    article names no outlet."""
    if not source or not source.strip() or source.startswith(UNKNOWN_PREFIX):
        return None
    return (registry or shipped_registry()).resolve(source) or source.strip().casefold()


def count_outlets(
    sources: Iterable[str | None], unnamed: int = 0, registry: OutletRegistry | None = None
) -> int:
    """The number of outlets of a story, the one rule every view (list, page, API, export, CLI)
    shows: distinct outlets of the named `sources` (by `outlet_key`), plus one per article that
    names no outlet (`unnamed` such articles, and each None in `sources`), as the brief counts it."""
    keys: set[str] = set()
    for s in sources:
        key = outlet_key(s, registry)
        if key is None:
            unnamed += 1
        else:
            keys.add(key)
    return len(keys) + unnamed


def story_outlet_count(
    sources: Iterable[str | None],
    article_sources: Iterable[str | None],
    registry: OutletRegistry | None = None,
) -> int:
    """`count_outlets` of a story from its stored `sources` and its members' sources."""
    members = list(article_sources)
    unnamed = sum(1 for s in members if outlet_key(s, registry) is None)
    return count_outlets(
        [*sources, *(s for s in members if outlet_key(s, registry) is not None)], unnamed, registry
    )


# -- helpers ------------------------------------------------------------------------------------


def section_parts(title: str) -> list[str]:
    """The parts of a title split at section separators: «سكاي نيوز عربية | الخليج» -> both."""
    return [p.strip() for p in _SECTION_SPLIT.split(title) if p and p.strip()]


def fallback_name(value: str) -> str | None:
    """A name to keep for an outlet the registry does not know: a URL's or host's domain, a
    title's first part (its section stripped); None for a file name or path."""
    value = value.strip()
    if not value:
        return None
    if _URLISH.match(value) or _HOSTISH.match(value):
        host, _ = _host_path(value)
        return host or None
    if _FILEISH.search(value):
        return None
    parts = section_parts(value)
    return parts[0] if parts else None


def _name_key(name: str) -> str:
    form = match_form(name)
    return " ".join(re.sub(r"[^\w\s]", " ", form).split())


def _bare_host(host: str) -> str:
    host = host.strip().lower().rstrip(".")
    for prefix in _HOST_PREFIXES:
        if host.startswith(prefix) and host.count(".") > 1:
            return host[len(prefix) :]
    return host


def _host_path(value: str) -> tuple[str, str]:
    """(host without www., path) of a URL or of a bare host name with an optional path."""
    if not _URLISH.match(value):
        value = "http://" + value
    try:
        parts = urlsplit(value)
        host = parts.hostname or ""
    except ValueError:
        return "", ""
    return _bare_host(host), parts.path.lower()
