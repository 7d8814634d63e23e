"""Resolution of mentions against an anchor day, and anchoring a story's articles."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta

from .mention import TimeMention
from .patterns import _valid

# --------------------------------------------------------------------------------------------------
# Resolution against an anchor


def _add_months(d: date, months: int) -> date:
    total = d.year * 12 + (d.month - 1) + months
    return date(total // 12, total % 12 + 1, 1)


def _weekday_date(anchor: date, weekday: int, direction: str | None) -> date:
    """The date of `weekday` seen from `anchor`: most recent on or before (past tense news) by default,
    strictly before for "الماضي"/"last", strictly after for "المقبل"/"next", on or after for "ahead"
    (a clause about what is still to come)."""
    back = (anchor.weekday() - weekday) % 7
    if direction == "next":
        return anchor + timedelta(days=(weekday - anchor.weekday()) % 7 or 7)
    if direction == "ahead":
        return anchor + timedelta(days=(weekday - anchor.weekday()) % 7)
    if direction == "past" and back == 0:
        back = 7
    return anchor - timedelta(days=back)


def _monthday_date(anchor: date, month: int, day: int, direction: str | None) -> date | None:
    """Year for a day and month given without one: the most recent past one after "الماضي", the next one
    after "المقبل", else the one closest to the anchor."""
    options = [
        date(y, month, day) for y in (anchor.year - 1, anchor.year, anchor.year + 1) if _valid(y, month, day)
    ]
    if not options:
        return None
    if direction == "past":
        past = [o for o in options if o <= anchor]
        return max(past) if past else None
    if direction == "next":
        fut = [o for o in options if o >= anchor]
        return min(fut) if fut else None
    return min(options, key=lambda o: (abs((o - anchor).days), o > anchor))


def _month_date(anchor: date, month: int, direction: str | None) -> date:
    """First day of a month named without a year: nearest to the anchor's month, past on ties."""
    here = anchor.year * 12 + anchor.month - 1
    options = [y * 12 + month - 1 for y in (anchor.year - 1, anchor.year, anchor.year + 1)]
    if direction == "past":
        options = [o for o in options if o <= here] or options
    elif direction == "next":
        options = [o for o in options if o >= here] or options
    best = min(options, key=lambda o: (abs(o - here), o > here))
    return date(best // 12, best % 12 + 1, 1)


def resolve_mention(mention: TimeMention, anchor: date | None) -> TimeMention:
    """A copy of `mention` with `date` resolved against `anchor` (absolute dates are kept as they are)."""
    if anchor is None:
        return mention
    kind = mention.kind
    new: date | None = None
    consistent = mention.consistent
    if kind in ("absolute", "hijri", "weekday+absolute", "relative+absolute"):
        if mention.offset_days is not None and mention.date is not None:
            consistent = (consistent is not False) and (
                date.fromisoformat(mention.date) == anchor + timedelta(days=mention.offset_days)
            )
        return replace(mention, consistent=consistent)
    if kind in ("monthday", "weekday+monthday"):
        assert mention.month is not None and mention.day is not None
        new = _monthday_date(anchor, mention.month, mention.day, mention.direction)
        if new is not None and mention.weekday is not None:
            consistent = new.weekday() == mention.weekday
    elif kind == "month":
        assert mention.month is not None
        new = _month_date(anchor, mention.month, mention.direction)
    elif kind == "relative":
        if mention.offset_days is not None:
            new = anchor + timedelta(days=mention.offset_days)
            if mention.granularity == "week":
                new = new - timedelta(days=new.weekday())
        elif mention.offset_months is not None:
            new = _add_months(anchor, mention.offset_months)
            if mention.granularity == "year":
                new = date(new.year, 1, 1)
    elif kind == "weekday":
        assert mention.weekday is not None
        new = _weekday_date(anchor, mention.weekday, mention.direction)
    elif kind == "weekday+relative":
        assert mention.offset_days is not None
        new = anchor + timedelta(days=mention.offset_days)
        consistent = new.weekday() == mention.weekday
    return replace(mention, date=new.isoformat() if new else None, consistent=consistent)


# --------------------------------------------------------------------------------------------------
# Cross-document anchoring


def _parse_day(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None


def _explicit_day(m: TimeMention) -> date | None:
    if m.date is None or m.granularity != "day":
        return None
    if m.kind in ("absolute", "hijri", "weekday+absolute", "relative+absolute"):
        return date.fromisoformat(m.date)
    return None


@dataclass(slots=True)
class _Evidence:
    """What an article's mentions say about its own publication day, as day ordinals.

    Computed once per article so that scoring a candidate day is plain integer arithmetic.
    """

    fixed: list[int]  # "أمس الجمعة، 15 سبتمبر": the publication day itself (explicit day - offset)
    explicit_latest: int | None  # latest explicit day the article mentions
    weekday_offsets: list[tuple[int, int]]  # "أمس السبت": (offset, weekday) fixes the weekday
    weekdays: list[tuple[int, str | None]]  # "الأربعاء", "الثلاثاء الماضي": (weekday, direction)
    offsets: list[int]  # "أمس", "قبل يومين": day offsets (not 0)
    monthdays: list[TimeMention]  # "31 آب/أغسطس الماضي": needs a year from the candidate day

    @classmethod
    def of(cls, mentions: Sequence[TimeMention]) -> _Evidence:
        ev = cls([], None, [], [], [], [])
        for m in mentions:
            explicit = _explicit_day(m)
            if explicit is not None:
                if m.offset_days is not None:
                    ev.fixed.append(explicit.toordinal() - m.offset_days)
                o = explicit.toordinal()
                ev.explicit_latest = o if ev.explicit_latest is None else max(ev.explicit_latest, o)
            elif m.kind == "weekday+relative" and m.offset_days is not None and m.weekday is not None:
                ev.weekday_offsets.append((m.offset_days, m.weekday))
            elif m.kind == "weekday" and m.weekday is not None:
                ev.weekdays.append((m.weekday, m.direction))
            elif m.kind == "relative" and m.granularity == "day" and m.offset_days:
                ev.offsets.append(m.offset_days)
            elif m.kind in ("monthday", "weekday+monthday"):
                ev.monthdays.append(m)
        return ev

    def useful(self) -> bool:
        return bool(
            self.fixed or self.weekday_offsets or self.weekdays or self.offsets or self.monthdays
        ) or (self.explicit_latest is not None)

    def score(self, p: int, story_days: set[int]) -> tuple[float, int, int]:
        """How well publication day `p` (an ordinal) explains the article, with tie-breakers.

        Hard evidence: "اليوم الأحد"/"أمس السبت" fix the weekday of `p`; "أمس الجمعة، 15 سبتمبر"
        fixes `p` itself. Soft evidence: each relative/weekday mention that, resolved from `p`, lands
        on a day the rest of the story reports. Ties go to the `p` closest after the article's own
        latest event (news is published soon after what it reports), then to the `p` closest to the
        story's days.
        """
        score = 0.0
        latest = self.explicit_latest
        for v in self.fixed:
            score += 5.0 if v == p else -5.0
        pw = (p - 1) % 7  # date.fromordinal(p).weekday()
        for off, wd in self.weekday_offsets:
            score += 3.0 if (pw + off) % 7 == wd else -5.0
            if off:
                r = p + off
                score += r in story_days
                latest = r if latest is None or r > latest else latest
        day_p = date.fromordinal(p)
        for wd, direction in self.weekdays:
            r = _weekday_date(day_p, wd, direction).toordinal()
            score += r in story_days
            latest = r if latest is None or r > latest else latest
        for off in self.offsets:
            r = p + off
            score += r in story_days
            latest = r if latest is None or r > latest else latest
        for m in self.monthdays:
            res = resolve_mention(m, date.fromordinal(p))
            if res.date is not None and date.fromisoformat(res.date).toordinal() in story_days:
                score += 1.0
            if m.kind == "weekday+monthday" and res.consistent is False:
                score -= 3.0
        gap_after_latest = p - latest if latest is not None and p >= latest else 30
        nearest = min((abs(p - d) for d in story_days), default=30)
        return score, gap_after_latest, nearest


def anchor_articles(
    docs: Sequence[tuple[str, str | None, list[TimeMention]]], window: tuple[int, int] = (-10, 14)
) -> dict[str, date | None]:
    """Publication dates for the articles of ONE story, inferring the missing ones from their siblings.

    `docs` holds (article id, published ISO date or None, the article's mentions extracted with no
    anchor or its own). Articles with a date keep it. For the others, every day in a window around the
    story's known days (explicit dates anywhere in the story, and the resolved mentions of already
    dated articles) is a candidate publication date, scored by `_Evidence.score`; the most confident
    article is fixed first and its resolved mentions join the story's days, until none is left.
    An article with no date-bearing evidence at all stays None.
    """
    result: dict[str, date | None] = {}
    story_days: Counter[date] = Counter()
    pending: dict[str, list[TimeMention]] = {}
    for doc_id, published, mentions in docs:
        for m in mentions:
            explicit = _explicit_day(m)
            if explicit is not None:
                story_days[explicit] += 1
        anchor = _parse_day(published)
        if anchor is not None:
            result[doc_id] = anchor
        else:
            pending[doc_id] = list(mentions)
    for _doc_id, published, mentions in docs:
        anchor = _parse_day(published)
        if anchor is not None:
            _add_resolved(story_days, mentions, anchor)
    evidence = {doc_id: _Evidence.of(ms) for doc_id, ms in pending.items()}
    while pending and story_days:
        # Candidate publication days: a window around each of the story's most reported days.
        centres = [d.toordinal() for d, _ in story_days.most_common(60)]
        candidates = sorted({c + k for c in centres for k in range(window[0], window[1] + 1)})
        known = {d.toordinal() for d in story_days}
        best: tuple[tuple[float, float], str, int] | None = None
        for doc_id in pending:
            ev = evidence[doc_id]
            if not ev.useful():
                continue
            scored = sorted(
                ((ev.score(p, known), p) for p in candidates),
                key=lambda sp: (-sp[0][0], sp[0][1], sp[0][2], sp[1]),
            )
            top = scored[0][0][0]
            second = scored[1][0][0] if len(scored) > 1 else top - 1.0
            key = (top, top - second)
            if best is None or key > best[0]:
                best = (key, doc_id, scored[0][1])
        if best is None:
            break
        _, doc_id, chosen = best
        day = date.fromordinal(chosen)
        result[doc_id] = day
        _add_resolved(story_days, pending.pop(doc_id), day)
    for doc_id in pending:
        result[doc_id] = None
    return {doc_id: result.get(doc_id) for doc_id, _, _ in docs}


def _add_resolved(days: Counter[date], mentions: Sequence[TimeMention], anchor: date) -> None:
    for m in mentions:
        r = resolve_mention(m, anchor)
        if r.date is not None and r.granularity == "day":
            days[date.fromisoformat(r.date)] += 1


def group_by_day(mentions: Sequence[TimeMention]) -> dict[str, list[TimeMention]]:
    """Resolved day-granularity mentions by ISO date (a small helper for callers and benches)."""
    out: dict[str, list[TimeMention]] = defaultdict(list)
    for m in mentions:
        if m.date is not None and m.granularity == "day":
            out[m.date].append(m)
    return dict(out)
