"""Small display helpers shared by the story view, the templates and the markdown: links, ids in
paths, outlet names and colours, Arabic dates and counted nouns, language attributes."""

from __future__ import annotations

import re
import zlib
from collections.abc import Mapping, Sequence
from datetime import date
from urllib.parse import quote, urlsplit

from ..model import Article
from ..outlets import UNKNOWN_AR, OutletRegistry, shipped_registry

_MONTHS_AR = (
    "يناير",
    "فبراير",
    "مارس",
    "أبريل",
    "مايو",
    "يونيو",
    "يوليو",
    "أغسطس",
    "سبتمبر",
    "أكتوبر",
    "نوفمبر",
    "ديسمبر",
)
ENTITY_TYPES_AR = {"PER": "شخص", "LOC": "مكان", "ORG": "مؤسسة", "MISC": "أخرى"}
REMOVED_KINDS_AR = {
    "shortcode": "رمز قالب",
    "caption": "تعليق صورة",
    "duplicate_caption": "تعليق صورة مكرر",
    "embed": "تضمين",
    "embedded_tweet": "تغريدة مضمّنة",
    "boilerplate": "نص متكرر",
    "bullet": "نقطة فارغة",
    "byline": "سطر الكاتب",
}
_CHIP_COLOURS = 8
_LANG_CODE = re.compile(r"^[a-z]{2,3}$")


def safe_href(url: str | None) -> str | None:
    """`url` if it may be a link (http or https with a host), else None: no javascript:, data:, ..."""
    if not url:
        return None
    url = url.strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    if any(ch in url for ch in "\r\n\t\x00 "):
        return None
    return url


def path_id(value: str) -> str:
    """An id as one URL path segment (ids may be URLs, with slashes and question marks)."""
    return quote(value, safe="")


def source_of(article: Article | None, article_id: str = "", outlets: OutletRegistry | None = None) -> str:
    """The name of the outlet an article counts for; an article without one counts as an unknown
    outlet of its own (as the brief builder counts), shown as such, never by its id or file name."""
    if article is None or not article.source:
        return UNKNOWN_AR
    return (outlets or shipped_registry()).display_name(article.source)


def outlet_names(
    ordered: Sequence[str], articles: Mapping[str, Article], outlets: OutletRegistry | None = None
) -> dict[str, str]:
    """Article id -> the display name of its outlet, for every article of `articles`. Articles of
    unknown outlet count as one outlet each: numbered in `ordered` order when there are several."""
    registry = outlets or shipped_registry()
    names: dict[str, str] = {}
    unknown: list[str] = []
    for a_id in [*ordered, *(a for a in articles if a not in set(ordered))]:
        art = articles.get(a_id)
        if a_id in names or a_id in unknown:
            continue
        if art is not None and art.source:
            names[a_id] = registry.display_name(art.source)
        else:
            unknown.append(a_id)
    for n, a_id in enumerate(unknown, 1):
        names[a_id] = UNKNOWN_AR if len(unknown) == 1 else f"{UNKNOWN_AR} {n}"
    return names


def chip_class(name: str) -> str:
    """A stable colour class for an outlet, so one outlet has one colour on every page."""
    return f"c{zlib.crc32(name.encode('utf-8')) % _CHIP_COLOURS}"


def format_date(value: str | None) -> str:
    """'2023-09-13' -> '13 سبتمبر 2023'; a month or year alone as such; anything else unchanged."""
    if not value:
        return ""
    m = re.match(r"^(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?", value)
    if not m:
        return value
    year, month, day = m.group(1), m.group(2), m.group(3)
    if month and 1 <= int(month) <= 12:
        name = _MONTHS_AR[int(month) - 1]
        return f"{int(day)} {name} {year}" if day else f"{name} {year}"
    return year


def format_when(value: str | None) -> str:
    """A publication time as a reader wants it: '13 سبتمبر 2023، 14:05' when the value has a time of
    day (as stored: the outlet's or the crawler's clock), else the day alone (`format_date`)."""
    day = format_date(value)
    m = re.match(r"^\d{4}-\d{2}-\d{2}[T ](\d{2}):(\d{2})", value or "")
    if not m or (m.group(1), m.group(2)) == ("00", "00"):
        return day
    return f"{day}، {m.group(1)}:{m.group(2)}"


# Arabic counted nouns: (one, two, three to ten, eleven and more).
_COUNTED = {
    "article": ("مقال واحد", "مقالان", "مقالات", "مقالًا"),
    "outlet": ("مصدر واحد", "مصدران", "مصادر", "مصدرًا"),
    "story": ("قصة واحدة", "قصتان", "قصص", "قصة"),
    "statement": ("عبارة واحدة", "عبارتان", "عبارات", "عبارة"),
    "result": ("نتيجة واحدة", "نتيجتان", "نتائج", "نتيجة"),
    "day": ("يوم واحد", "يومان", "أيام", "يومًا"),
    "copy": ("نسخة واحدة", "نسختان", "نسخ", "نسخة"),
}


def ar_count(n: int, noun: str) -> str:
    """'5 مقالات', 'مقالان', '12 مقالًا': Arabic number agreement for the nouns the UI counts."""
    one, two, few, many = _COUNTED[noun]
    if n == 1:
        return one
    if n == 2:
        return two
    if 3 <= n % 100 <= 10:
        return f"{n} {few}"
    return f"{n} {many}" if n else f"0 {few}"


def lang_attr(lang: str | None) -> str | None:
    """A paragraph's language as an HTML lang value, or None when unknown ('und', junk)."""
    if lang and _LANG_CODE.match(lang) and lang != "und":
        return lang
    return None


def article_lang(article: Article) -> str:
    """The language most of an article's text is in (by characters)."""
    weight: dict[str, int] = {}
    for p in article.paragraphs:
        weight[p.lang] = weight.get(p.lang, 0) + len(p.text)
    return max(weight, key=lambda k: weight[k]) if weight else "und"


def parse_day(value: str | None) -> date | None:
    if not value:
        return None
    m = re.match(r"^(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?", value)
    if not m:
        return None
    try:
        return date(int(m.group(1)), int(m.group(2) or 1), int(m.group(3) or 1))
    except ValueError:
        return None
