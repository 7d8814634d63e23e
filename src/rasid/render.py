"""A story as a reader sees it: views for the web pages, markdown, and a self-contained HTML file.

The web UI and `rasid story ID --format md|html` share this module, so a story looks the same in
the browser and in a file sent by mail. Everything here derives display data from the records
(who carries which statement, where the timeline marks go); nothing is stored.

Every string that comes from an article is untrusted: the HTML goes through Jinja2 with
autoescaping, the markdown through `md_text`, and a URL becomes a link only when it is http(s).
"""

from __future__ import annotations

import re
import textwrap
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from .model import Article, Story, TimelineEvent
from .outlets import UNKNOWN_AR, OutletRegistry, shipped_registry
from .text.normalize import match_form

WEB_DIR = Path(__file__).resolve().parent / "web"
TEMPLATES_DIR = WEB_DIR / "templates"
STATIC_DIR = WEB_DIR / "static"

_MONTHS_AR = (
    "يناير", "فبراير", "مارس", "أبريل", "مايو", "يونيو",
    "يوليو", "أغسطس", "سبتمبر", "أكتوبر", "نوفمبر", "ديسمبر",
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


# -- small helpers shared by the templates and the markdown -------------------------------------


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


def outlet_names(ordered: Sequence[str], articles: Mapping[str, Article],
                 outlets: OutletRegistry | None = None) -> dict[str, str]:
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


# Arabic counted nouns: (one, two, three to ten, eleven and more).
_COUNTED = {
    "article": ("مقال واحد", "مقالان", "مقالات", "مقالًا"),
    "outlet": ("مصدر واحد", "مصدران", "مصادر", "مصدرًا"),
    "story": ("قصة واحدة", "قصتان", "قصص", "قصة"),
    "statement": ("عبارة واحدة", "عبارتان", "عبارات", "عبارة"),
    "result": ("نتيجة واحدة", "نتيجتان", "نتائج", "نتيجة"),
    "day": ("يوم واحد", "يومان", "أيام", "يومًا"),
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


def _parse_day(value: str | None) -> date | None:
    if not value:
        return None
    m = re.match(r"^(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?", value)
    if not m:
        return None
    try:
        return date(int(m.group(1)), int(m.group(2) or 1), int(m.group(3) or 1))
    except ValueError:
        return None


# -- the story view -----------------------------------------------------------------------------


@dataclass(slots=True)
class StatementView:
    number: int
    text: str
    lang: str
    articles: list[str]
    sources: list[str]
    single_source: bool
    disputed: bool


@dataclass(slots=True)
class Coverage:
    """Outlets x statements: which outlet carries which brief statement.

    `exclusive[outlet]` lists the statement numbers only that outlet carries (what it alone adds);
    `omitted[outlet]` the ones at least two other outlets carry and it leaves out; `carried[outlet]`
    how many statements it carries.
    """

    outlets: list[str]
    rows: list[tuple[StatementView, list[bool]]]
    exclusive: dict[str, list[int]]
    omitted: dict[str, list[int]] = field(default_factory=dict)
    carried: dict[str, int] = field(default_factory=dict)


@dataclass(slots=True)
class ChartLine:
    y: int
    text: str


@dataclass(slots=True)
class ChartEvent:
    y: int
    radius: int
    lines: list[ChartLine]
    text: str
    articles: int


@dataclass(slots=True)
class ChartDay:
    y: int
    label: str
    gap_label: str
    gap_y: int
    events: list[ChartEvent]


@dataclass(slots=True)
class TimelineChart:
    """Positions for the server-drawn SVG timeline (vertical: the date axis runs down the right)."""

    width: int
    height: int
    axis_x: int
    date_x: int
    text_x: int
    axis_top: int
    axis_bottom: int
    days: list[ChartDay]


@dataclass(slots=True)
class ArticleRow:
    id: str
    title: str
    source: str
    published: str | None
    url: str | None
    duplicate_of: str | None


@dataclass(slots=True)
class DisputeView:
    claim: str
    text: str
    claim_sources: list[str]
    denial_sources: list[str]


@dataclass(slots=True)
class StoryView:
    story: Story
    statements: list[StatementView]
    coverage: Coverage
    chart: TimelineChart | None
    disputes: list[DisputeView]
    articles: list[ArticleRow]
    date_from: str | None
    date_to: str | None
    outlets: list[str] = field(default_factory=list)
    related: list[tuple[str, str]] = field(default_factory=list)  # (story id, title), most related first
    names: dict[str, str] = field(default_factory=dict)  # article id -> its outlet's display name


def _sources(ids: Sequence[str], names: Mapping[str, str]) -> list[str]:
    out: list[str] = []
    for a_id in ids:
        name = names.get(a_id, UNKNOWN_AR)
        if name not in out:
            out.append(name)
    return out


def _is_disputed(text: str, claims: Sequence[tuple[str, str]]) -> bool:
    """Whether a statement is one a dispute names: its claim or denial contains it, or it them."""
    form = match_form(text)
    if not form:
        return False
    for claim, denial in claims:
        for other in (claim, denial):
            if other and (other in form or form in other):
                return True
    return False


def story_view(story: Story, articles: Mapping[str, Article],
               related_titles: Mapping[str, str] | None = None,
               outlets: OutletRegistry | None = None) -> StoryView:
    """Everything the story page shows, derived from the story, its articles and the titles of its
    related stories (`related_titles`, id -> title; a related story without one shows its id).
    Outlets are shown by display name (`outlets`: the registry, the shipped one by default)."""
    member_order = sorted(story.articles, key=lambda a: (
        (articles[a].published is None, articles[a].published or "", a) if a in articles else (True, "", a)))
    names = outlet_names(member_order, articles, outlets)
    claims = [(match_form(d.claim), match_form(d.text)) for d in story.disputed]
    statements = []
    for n, st in enumerate(story.brief, 1):
        flag = getattr(st, "single_source", None)
        statements.append(
            StatementView(
                number=n,
                text=st.text,
                lang=st.lang,
                articles=list(st.articles),
                sources=_sources(st.articles, names),
                single_source=bool(flag) if flag is not None else len(st.articles) == 1,
                disputed=_is_disputed(st.text, claims),
            )
        )
    rows = [_article_row(a_id, articles.get(a_id), names) for a_id in story.articles]
    rows.sort(key=lambda r: (r.published is None, r.published or "", r.id))
    shown: list[str] = []
    for r in rows:
        if r.source not in shown:
            shown.append(r.source)
    for s in story.sources:
        name = (outlets or shipped_registry()).display_name(s)
        if name not in shown:
            shown.append(name)
    dates = sorted(r.published[:10] for r in rows if r.published)
    return StoryView(
        story=story,
        statements=statements,
        coverage=coverage(statements, shown),
        chart=timeline_chart(story.timeline) if story.timeline else None,
        disputes=[
            DisputeView(
                claim=d.claim,
                text=d.text,
                claim_sources=_sources(d.articles, names),
                denial_sources=_sources(d.disputed_by, names),
            )
            for d in story.disputed
        ],
        articles=rows,
        date_from=story.first_seen or (dates[0] if dates else None),
        date_to=story.last_seen or (dates[-1] if dates else None),
        outlets=shown,
        names=names,
        related=[(r, (related_titles or {}).get(r) or r) for r in story.related],
    )


def _article_row(a_id: str, art: Article | None, names: Mapping[str, str]) -> ArticleRow:
    if art is None:
        return ArticleRow(a_id, a_id, names.get(a_id, UNKNOWN_AR), None, None, None)
    return ArticleRow(art.id, art.title or art.id, names.get(a_id, UNKNOWN_AR), art.published, art.url,
                      art.duplicate_of)


def coverage(statements: Sequence[StatementView], outlets: Sequence[str]) -> Coverage:
    """The source x statement matrix, from each statement's articles' outlets."""
    used = [o for o in outlets if any(o in st.sources for st in statements)]
    rows = [(st, [o in st.sources for o in used]) for st in statements]
    exclusive: dict[str, list[int]] = {}
    omitted: dict[str, list[int]] = {}
    for st in statements:
        if len(st.sources) == 1:
            exclusive.setdefault(st.sources[0], []).append(st.number)
        for o in used:
            if o not in st.sources and len(set(st.sources) - {o}) >= 2:
                omitted.setdefault(o, []).append(st.number)
    carried = {o: sum(cells[k] for _, cells in rows) for k, o in enumerate(used)}
    return Coverage(outlets=used, rows=rows, exclusive=exclusive, omitted=omitted, carried=carried)


# Layout constants of the timeline SVG (user units of its viewBox).
_W = 760
_LINE = 22
_WRAP = 82
_MAX_LINES = 3


def timeline_chart(events: Sequence[TimelineEvent]) -> TimelineChart:
    """Lay out a vertical timeline: one row per date, spaced by the days between dates.

    Marks grow with the number of articles that report the event, so what many outlets confirm
    stands out from what one mentions. Text is wrapped here because SVG text does not wrap.
    """
    axis_x, date_x, text_x = _W - 132, _W - 8, _W - 152
    groups: dict[str, list[TimelineEvent]] = {}
    for ev in sorted(events, key=lambda e: (e.date or "9999", e.text)):
        groups.setdefault(ev.date or "", []).append(ev)
    y = 34
    days: list[ChartDay] = []
    prev: date | None = None
    for key, evs in groups.items():
        this = _parse_day(key)
        gap_label, gap_y = "", 0
        if days:
            gap = (this - prev).days if this and prev else 0
            extra = min(48, 4 * max(0, gap - 1))
            if gap > 1:
                gap_label, gap_y = ar_count(gap, "day"), y + extra // 2 + 4
            y += extra + 14
        day = ChartDay(y=y, label=format_date(key) or "؟", gap_label=gap_label, gap_y=gap_y, events=[])
        for ev in evs:
            wrapped = textwrap.wrap(ev.text, _WRAP) or [""]
            if len(wrapped) > _MAX_LINES:
                wrapped = wrapped[:_MAX_LINES]
                wrapped[-1] = wrapped[-1].rstrip() + " …"
            n = len(set(ev.articles))
            day.events.append(
                ChartEvent(
                    y=y,
                    radius=5 + min(n, 5),
                    lines=[ChartLine(y + i * _LINE, line) for i, line in enumerate(wrapped)],
                    text=ev.text,
                    articles=n,
                )
            )
            y += len(wrapped) * _LINE + 12
        days.append(day)
        prev = this or prev
    return TimelineChart(
        width=_W,
        height=y + 4,
        axis_x=axis_x,
        date_x=date_x,
        text_x=text_x,
        axis_top=18,
        axis_bottom=y - 8,
        days=days,
    )


# -- markdown -----------------------------------------------------------------------------------

_URL_SAFE = ":/?#[]@!$&'*+,;=%~"
# Inline markdown syntax anywhere; block syntax (headings, lists, quotes) only where a line starts.
_MD_SPECIAL = re.compile(r"([\\`*_\[\]|~])")
_MD_BLOCK = re.compile(r"^(\s*)([#>+-]|\d+(?=[.)]))")


def md_text(value: str | None) -> str:
    """Untrusted text as inert markdown: HTML characters as entities, markdown syntax escaped."""
    if not value:
        return ""
    value = " ".join(value.split())
    value = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    value = _MD_SPECIAL.sub(r"\\\1", value)
    return _MD_BLOCK.sub(_escape_block, value)


def _escape_block(m: re.Match[str]) -> str:
    """'# x' -> '\\# x', '1. x' -> '1\\. x': a leading marker stays text."""
    lead, mark = m.group(1), m.group(2)
    return f"{lead}{mark}\\" if mark.isdigit() else f"{lead}\\{mark}"


def _md_link(label: str, url: str | None) -> str:
    href = safe_href(url)
    if href is None:
        return md_text(label) + (f" ({md_text(url)})" if url else "")
    dest = quote(href, safe=_URL_SAFE)
    return f"[{md_text(label)}](<{dest}>)"


def story_markdown(story: Story, articles: Mapping[str, Article],
                   related_titles: Mapping[str, str] | None = None,
                   outlets: OutletRegistry | None = None) -> str:
    """The story as markdown: brief with outlets, timeline, entities, quotes, disputes, coverage,
    articles, related stories."""
    view = story_view(story, articles, related_titles, outlets)
    out: list[str] = [f"# {md_text(story.title) or md_text(story.id)}", ""]
    span = " – ".join(x for x in (format_date(view.date_from), format_date(view.date_to)) if x)
    counts = f"{ar_count(len(view.outlets), 'outlet')} · {ar_count(len(story.articles), 'article')}"
    out.append(counts + (f" · {span}" if span else ""))
    out.append("")
    if view.statements:
        out += ["## الموجز", ""]
        for st in view.statements:
            marks = []
            if st.single_source:
                marks.append("مصدر واحد")
            if st.disputed:
                marks.append("متنازع عليه")
            tail = f" ({'، '.join(marks)})" if marks else ""
            out.append(f"{st.number}. {md_text(st.text)} — {'، '.join(md_text(s) for s in st.sources)}{tail}")
        out.append("")
    if story.timeline:
        out += ["## الخط الزمني", ""]
        for ev in sorted(story.timeline, key=lambda e: e.date or ""):
            out.append(f"- **{md_text(ev.date)}** {md_text(ev.text)} ({len(set(ev.articles))})")
        out.append("")
    if story.entities:
        out += ["## الكيانات", ""]
        for ent in story.entities:
            variants = [v for v in ent.variants if v != ent.name]
            extra = f" — {'، '.join(md_text(v) for v in variants)}" if variants else ""
            kind = ENTITY_TYPES_AR.get(ent.type, ent.type)
            out.append(f"- **{md_text(ent.name)}** ({md_text(kind)}){extra}")
        out.append("")
    if story.quotes:
        out += ["## الاقتباسات", ""]
        for q in story.quotes:
            who = view.names.get(q.article) or source_of(articles.get(q.article), q.article, outlets)
            out.append(f"- **{md_text(q.speaker)}**: «{md_text(q.text)}» ({md_text(who)})")
        out.append("")
    if view.disputes:
        out += ["## ادعاءات متنازع عليها", ""]
        for d in view.disputes:
            out.append(f"- الادعاء: {md_text(d.claim)} ({'، '.join(md_text(s) for s in d.claim_sources)})")
            out.append(f"  - النفي: {md_text(d.text)} ({'، '.join(md_text(s) for s in d.denial_sources)})")
        out.append("")
    if view.coverage.rows:
        cov = view.coverage
        out += ["## تغطية المصادر", ""]
        out.append("| # | " + " | ".join(md_text(o) for o in cov.outlets) + " |")
        out.append("|---|" + "---|" * len(cov.outlets))
        for st, cells in cov.rows:
            out.append(f"| {st.number} | " + " | ".join("✓" if c else "" for c in cells) + " |")
        out.append("| | " + " | ".join(str(cov.carried.get(o, 0)) for o in cov.outlets) + " |")
        out.append("")
        for outlet, nums in cov.exclusive.items():
            out.append(f"- ينفرد {md_text(outlet)} بـ: {'، '.join(str(n) for n in nums)}")
        for outlet, nums in cov.omitted.items():
            out.append(f"- لا يذكر {md_text(outlet)}: {'، '.join(str(n) for n in nums)}")
        out.append("")
    if view.articles:
        out += ["## المقالات", ""]
        for row in view.articles:
            when = f" · {md_text(row.published[:10])}" if row.published else ""
            out.append(f"- {_md_link(row.title, row.url)} — {md_text(row.source)}{when}")
        out.append("")
    if view.related:
        out += ["## قصص ذات صلة", ""]
        out += [f"- {md_text(title)} — {md_text(sid)}" for sid, title in view.related]
        out.append("")
    return "\n".join(out).rstrip() + "\n"


# -- HTML ---------------------------------------------------------------------------------------


class Renderer:
    """The Jinja2 environment (autoescape on) over the web templates, with the shared filters.

    One per app (or per offline render): it caches compiled templates, so it is an object passed
    around rather than module state. Jinja2 is part of the `web` extra, imported here lazily.
    """

    def __init__(self, templates: Path = TEMPLATES_DIR, static: Path = STATIC_DIR,
                 outlets: OutletRegistry | None = None) -> None:
        try:
            import jinja2
        except ImportError as exc:  # pragma: no cover - depends on the installed extras
            raise RuntimeError("HTML rendering needs Jinja2, a dependency of rasid: reinstall rasid") from exc
        self.static = static
        self.env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(str(templates)),
            autoescape=True,
            trim_blocks=True,
            lstrip_blocks=True,
            undefined=jinja2.StrictUndefined,
        )
        self.env.filters.update(
            safe_href=safe_href,
            path_id=path_id,
            chip=chip_class,
            date=format_date,
            lang_attr=lang_attr,
            entity_type=lambda t: ENTITY_TYPES_AR.get(t, t),
            count=ar_count,
            removed_kind=lambda k: REMOVED_KINDS_AR.get(k, k),
            outlet=(outlets or shipped_registry()).display_name,
        )
        self._css: str | None = None

    @property
    def css(self) -> str:
        if self._css is None:
            self._css = (self.static / "style.css").read_text(encoding="utf-8")
        return self._css

    def page(self, name: str, **context: Any) -> str:
        context.setdefault("offline", False)
        context.setdefault("inline_css", "")
        return self.env.get_template(name).render(**context)

    def story_html(self, story: Story, articles: Mapping[str, Article],
                   related_titles: Mapping[str, str] | None = None,
                   outlets: OutletRegistry | None = None) -> str:
        """A self-contained HTML file: CSS inlined, no scripts, no external resources."""
        return self.page(
            "story.html",
            view=story_view(story, articles, related_titles, outlets),
            offline=True,
            inline_css=self.css,
            title=story.title or story.id,
        )


def story_html(story: Story, articles: Mapping[str, Article],
               related_titles: Mapping[str, str] | None = None,
               outlets: OutletRegistry | None = None) -> str:
    """The story page as one self-contained HTML file (same look as the web UI)."""
    return Renderer().story_html(story, articles, related_titles, outlets)
