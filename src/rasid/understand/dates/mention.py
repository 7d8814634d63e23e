"""What a temporal expression is (`TimeMention`, its stored record) and Hijri conversion."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from rasid.model import TimeExpr


@dataclass(slots=True)
class TimeMention:
    """One temporal expression: where it is, what it says and, given an anchor, which date it means.

    `date` is ISO `YYYY-MM-DD` (the first day of the month/year/week for coarser granularities), or
    None when it cannot be resolved without an anchor. `kind` says how it was written:
    absolute, hijri, monthday (day + month, no year), month, relative, weekday, weekday+relative
    ("أمس السبت"), weekday+absolute ("السبت 16 سبتمبر 2023"), relative+absolute ("أمس، 15 سبتمبر").
    `offset_days` is the day offset from the publication date for relative expressions (أمس -> -1),
    `offset_months` the month offset for "الشهر الماضي"/"العام الماضي". `direction` is "past" or
    "next" when the text says so (الماضي / المقبل), "ahead" for a bare weekday in a clause marked as
    future ("سيتم ... يوم الاثنين": that day or the next one of its name), else None. `consistent` is
    False when a weekday contradicts an explicit date or the anchor (a signal of a wrong anchor or a
    typo).
    """

    text: str
    start: int
    end: int
    date: str | None
    granularity: str  # day, week, month, year
    kind: str
    weekday: int | None = None  # Monday 0 .. Sunday 6, as datetime.date.weekday()
    offset_days: int | None = None
    offset_months: int | None = None
    direction: str | None = None
    year: int | None = None
    month: int | None = None
    day: int | None = None
    calendar: str = "gregorian"
    consistent: bool | None = None


def to_time_expr(mention: TimeMention, article: str, paragraph: int) -> TimeExpr:
    """The stored record (`rasid.model.TimeExpr`) of a mention found in one paragraph of one article."""
    return TimeExpr(
        mention.text, mention.date, mention.granularity, article, paragraph, mention.start, mention.end
    )


# --------------------------------------------------------------------------------------------------
# Hijri conversion


def tabular_hijri_to_gregorian(year: int, month: int, day: int) -> date:
    """The arithmetic (tabular, civil epoch, leap years 2,5,7,10,13,16,18,21,24,26,29) Islamic calendar.

    Months alternate 30/29 days, Dhu al-Hijja has 30 in leap years. Within a day or two of Umm al-Qura
    for modern dates; used when `hijridate` is not installed or the date is outside its table.
    """
    if not (1 <= month <= 12 and 1 <= day <= 30 and year >= 1):
        raise ValueError(f"not a Hijri date: {year}-{month}-{day}")
    days_before_month = (59 * (month - 1) + 1) // 2  # ceil(29.5 * (month - 1))
    jdn = day + days_before_month + (year - 1) * 354 + (3 + 11 * year) // 30 + 1948439
    return date.fromordinal(jdn - 1721425)


def hijri_to_gregorian(year: int, month: int, day: int) -> date:
    """Umm al-Qura conversion via `hijridate` when available, else the tabular calendar."""
    try:
        from hijridate import Hijri  # MIT; optional, in the `understand` extra
    except ImportError:  # pragma: no cover - depends on the environment
        return tabular_hijri_to_gregorian(year, month, day)
    try:
        return Hijri(year, month, day).to_gregorian()
    except (ValueError, OverflowError):
        if day == 30:  # 30th of a 29-day Umm al-Qura month: writers mean the last day
            try:
                return Hijri(year, month, 29).to_gregorian() + timedelta(days=1)
            except (ValueError, OverflowError):
                pass
        return tabular_hijri_to_gregorian(year, month, day)
