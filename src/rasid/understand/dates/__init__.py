"""Temporal expressions in Arabic, English and French, resolved against a publication date.

Arabic news dates events mostly relative to the day of publication ("أمس السبت", "الثلاثاء الماضي",
"صباح الجمعة"), names months in two or three calendars at once ("15 سبتمبر/أيلول 2023",
"آب/أغسطس") and often gives Hijri dates ("19/10/1436هـ الموافق 04/08/2015م"). General date parsers
miss most of this, so extraction here is rule-based: a handful of compiled regular expressions over a
folded copy of the text find *atoms* (a relative day word, a weekday, an explicit date, a relative
period, a year), and adjacent atoms are then combined ("أمس" + "الجمعة" + "15 سبتمبر 2023") into one
`TimeMention`. The folded copy keeps a map back to the original offsets, so `start`/`end` always
point into the text that was given.

Every mention keeps what it *says* (offset in days, weekday, direction, month/day) apart from what it
*resolves to* under an anchor, so an article without a publication date can be dated later by its
story (see `anchor_articles`) and its mentions re-resolved with `resolve_mention`.

Hijri dates are converted with the Umm al-Qura calendar of the `hijridate` package (MIT) when it is
installed (years 1343-1500 AH), else with the tabular (arithmetic) Islamic calendar implemented
in `mention`, which can differ from Umm al-Qura by a day or two.

The package: `mention` (the record and Hijri conversion), `patterns` (folding, vocabulary, compiled
patterns), `extract` (`DateExtractor`), `resolve` (resolution against an anchor, and anchoring).
"""

from __future__ import annotations

from .extract import DateExtractor
from .mention import TimeMention, hijri_to_gregorian, tabular_hijri_to_gregorian, to_time_expr
from .resolve import anchor_articles, group_by_day, resolve_mention

__all__ = [
    "DateExtractor",
    "TimeMention",
    "anchor_articles",
    "group_by_day",
    "hijri_to_gregorian",
    "resolve_mention",
    "tabular_hijri_to_gregorian",
    "to_time_expr",
]
