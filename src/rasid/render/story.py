"""The story page's view: statements with their outlets, the outlet x statement coverage, the
laid-out timeline chart, disputes, the article rows and related stories, all derived from the
records (nothing stored)."""

from __future__ import annotations

import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from ..model import Article, Story, TimelineEvent
from ..outlets import UNKNOWN_AR, OutletRegistry, shipped_registry
from ..text.normalize import match_form
from .text import ar_count, format_date, outlet_names, parse_day


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
    # member article id -> the outlet of each of its rows in `articles` (a quote's chip, found by id)
    row_sources: dict[str, list[str]] = field(default_factory=dict)


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


def story_view(
    story: Story,
    articles: Mapping[str, Article],
    related_titles: Mapping[str, str] | None = None,
    outlets: OutletRegistry | None = None,
) -> StoryView:
    """Everything the story page shows, derived from the story, its articles and the titles of its
    related stories (`related_titles`, id -> title; a related story without one shows its id).
    Outlets are shown by display name (`outlets`: the registry, the shipped one by default)."""
    member_order = sorted(
        story.articles,
        key=lambda a: (
            (articles[a].published is None, articles[a].published or "", a)
            if a in articles
            else (True, "", a)
        ),
    )
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
    row_sources: dict[str, list[str]] = {}
    for r in rows:
        row_sources.setdefault(r.id, []).append(r.source)
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
        row_sources=row_sources,
        related=[(r, (related_titles or {}).get(r) or r) for r in story.related],
    )


def _article_row(a_id: str, art: Article | None, names: Mapping[str, str]) -> ArticleRow:
    if art is None:
        return ArticleRow(a_id, a_id, names.get(a_id, UNKNOWN_AR), None, None, None)
    return ArticleRow(
        art.id, art.title or art.id, names.get(a_id, UNKNOWN_AR), art.published, art.url, art.duplicate_of
    )


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
        this = parse_day(key)
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
