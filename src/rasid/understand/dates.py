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
below, which can differ from Umm al-Qura by a day or two.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta

from rasid.model import TimeExpr

__all__ = [
    "DateExtractor",
    "TimeMention",
    "anchor_articles",
    "hijri_to_gregorian",
    "resolve_mention",
    "tabular_hijri_to_gregorian",
    "to_time_expr",
]


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


# --------------------------------------------------------------------------------------------------
# Folding: a copy of the text for matching, with a map back to original offsets


# Marks that vanish in the folded copy (diacritics, tatweel, bidi and zero-width characters).
_DROP = re.compile(
    "[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06dc\u06df-\u06e8\u06ea-\u06ed\u0640"
    "\u200b-\u200f\u202a-\u202e\u2066-\u2069\u061c\u00ad\ufeff]"
)
# One-to-one folds: hamza seats, alef maqsura, ta marbuta, digits, odd spaces, dashes, Arabic comma.
_FOLD = str.maketrans(
    {
        "أ": "ا",
        "إ": "ا",
        "آ": "ا",
        "ٱ": "ا",
        "ى": "ي",
        "ئ": "ي",
        "ؤ": "و",
        "ة": "ه",
        "ی": "ي",
        "ک": "ك",
        **{chr(0x0660 + i): str(i) for i in range(10)},
        **{chr(0x06F0 + i): str(i) for i in range(10)},
        "\u00a0": " ",
        "\u202f": " ",
        "\u2009": " ",
        "\u2013": "-",
        "\u2014": "-",
        "\u2212": "-",
        "،": ",",
        "’": "'",
    }
)


def _fold(text: str) -> tuple[str, list[int] | None]:
    """Folded text and, when characters were dropped, where: the folded position of each dropped one.

    A folded index `i` maps back to `i + bisect_right(dropped, i)` in the original text.
    """
    dropped = [m.start() - k for k, m in enumerate(_DROP.finditer(text))]
    if not dropped:
        return text.translate(_FOLD), None
    return _DROP.sub("", text).translate(_FOLD), dropped


def _windows(text: str, trigger: re.Pattern[str], before: int, after: int) -> list[tuple[int, int]]:
    """Merged spans around trigger words: the only places the (slower) atom patterns need to look."""
    spans: list[tuple[int, int]] = []
    n = len(text)
    for m in trigger.finditer(text):
        s, e = max(0, m.start() - before), min(n, m.end() + after)
        if spans and s <= spans[-1][1]:
            spans[-1] = (spans[-1][0], max(spans[-1][1], e))
        else:
            spans.append((s, e))
    return spans


# --------------------------------------------------------------------------------------------------
# Vocabulary (folded forms)

_AL = "\u0621-\u064a\u066e-\u06d3"  # Arabic letters
_NB = f"(?<![{_AL}])"  # no Arabic letter before
_NA = f"(?![{_AL}])"  # no Arabic letter after

_AR_MONTHS: dict[str, int] = {
    # Egyptian / Gulf (from the European names)
    "يناير": 1, "فبراير": 2, "مارس": 3, "ابريل": 4, "ابريـل": 4, "مايو": 5, "يونيو": 6, "يونيه": 6,
    "يوليو": 7, "يوليه": 7, "اغسطس": 8, "سبتمبر": 9, "اكتوبر": 10, "نوفمبر": 11,
    "ديسمبر": 12,
    # Levantine / Iraqi (Syriac names)
    "كانون الثاني": 1, "شباط": 2, "اذار": 3, "نيسان": 4, "ايار": 5, "حزيران": 6, "تموز": 7, "اب": 8,
    "ايلول": 9, "تشرين الاول": 10, "تشرين الثاني": 11, "كانون الاول": 12,
    # Maghrebi
    "جانفي": 1, "فيفري": 2, "افريل": 4, "ماي": 5, "جوان": 6, "جويليه": 7, "اوت": 8,
    "يوليوز": 7, "غشت": 8, "شتنبر": 9, "نونبر": 11, "دجنبر": 12,
}  # fmt: skip
_HIJRI_MONTHS: dict[str, int] = {
    "محرم": 1, "صفر": 2, "ربيع الاول": 3, "ربيع اول": 3, "ربيع الثاني": 4, "ربيع الاخر": 4,
    "ربيع ثاني": 4, "جمادي الاولي": 5, "جمادي الاول": 5, "جمادي الثانيه": 6, "جمادي الاخره": 6,
    "جمادي الاخر": 6, "جمادي الثاني": 6, "رجب": 7, "شعبان": 8, "رمضان": 9, "شوال": 10,
    "ذو القعده": 11, "ذي القعده": 11, "ذو الحجه": 12, "ذي الحجه": 12,
}  # fmt: skip
_AR_WEEKDAYS: dict[str, int] = {
    "اثنين": 0, "ثلاثاء": 1, "ثلاثا": 1, "اربعاء": 2, "اربعا": 2, "خميس": 3, "جمعه": 4, "سبت": 5,
    "احد": 6,
}  # fmt: skip
_AR_NUMBERS: dict[str, int] = {
    "واحد": 1, "اثنين": 2, "ثلاثه": 3, "ثلاث": 3, "اربعه": 4, "اربع": 4, "خمسه": 5, "خمس": 5,
    "سته": 6, "ست": 6, "سبعه": 7, "سبع": 7, "ثمانيه": 8, "ثماني": 8, "تسعه": 9, "تسع": 9,
    "عشره": 10, "عشر": 10,
}  # fmt: skip
_PAST_WORDS = "الماضي|الماضيه|المنصرم|المنصرمه|الفايت|الفايته|الفائت|الفائته|السابق|السابقه"
_NEXT_WORDS = "المقبل|المقبله|القادم|القادمه|الاتي|التالي"
_EN_MONTHS: dict[str, int] = {
    "january": 1, "jan": 1, "february": 2, "feb": 2, "march": 3, "mar": 3, "april": 4, "apr": 4,
    "may": 5, "june": 6, "jun": 6, "july": 7, "jul": 7, "august": 8, "aug": 8, "september": 9,
    "sept": 9, "sep": 9, "october": 10, "oct": 10, "november": 11, "nov": 11, "december": 12, "dec": 12,
}  # fmt: skip
_FR_MONTHS: dict[str, int] = {
    "janvier": 1, "février": 2, "fevrier": 2, "mars": 3, "avril": 4, "mai": 5, "juin": 6,
    "juillet": 7, "août": 8, "aout": 8, "septembre": 9, "octobre": 10, "novembre": 11,
    "décembre": 12, "decembre": 12,
}  # fmt: skip
_EN_WEEKDAYS = {
    "monday": 0,
    "tuesday": 1,
    "wednesday": 2,
    "thursday": 3,
    "friday": 4,
    "saturday": 5,
    "sunday": 6,
}
_FR_WEEKDAYS = {"lundi": 0, "mardi": 1, "mercredi": 2, "jeudi": 3, "vendredi": 4, "samedi": 5, "dimanche": 6}
_EN_NUMBERS = {"one": 1, "a": 1, "an": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
               "eight": 8, "nine": 9, "ten": 10}  # fmt: skip
_FR_NUMBERS = {"un": 1, "une": 1, "deux": 2, "trois": 3, "quatre": 4, "cinq": 5, "six": 6, "sept": 7,
               "huit": 8, "neuf": 9, "dix": 10}  # fmt: skip


def _alt(words: Sequence[str]) -> str:
    """A regex alternation, longest first, spaces matching any run of whitespace."""
    return "|".join(re.escape(w).replace(r"\ ", r"\s+") for w in sorted(set(words), key=len, reverse=True))


_AR_MONTH = f"(?:{_alt(list(_AR_MONTHS))})"
# A month, optionally with its name in another calendar: "سبتمبر/أيلول", "آب (أغسطس)", "أيلول-سبتمبر".
_AR_MONTH_PAIR = rf"{_NB}(?P<mon>{_AR_MONTH}){_NA}(?:\s*[/(\-]\s*(?P<mon2>{_AR_MONTH}){_NA}(?:\s*\))?)?"
_HIJRI_MONTH = f"(?:{_alt(list(_HIJRI_MONTHS))})"
_AR_WEEKDAY = f"(?:{_alt(list(_AR_WEEKDAYS))})"
_TIME_OF_DAY = r"(?:صباح|مساء|ظهر|عصر|فجر|ليل|ليله|ظهيره|منتصف\s+ليل)"
_PRE = f"{_NB}[وفبل]?"  # one proclitic: و ف ب ل
_DAYNUM = r"(?<![\d.,/:-])(?P<d>[0-3]?\d)"
_YEAR_G = r"(?P<y>(?:19|20)\d\d)(?![\d])"

# Every atom starts at a word start: the leading look-behind rejects most positions at once.
_AR_ATOMS = re.compile(
    rf"(?:(?=\d)|(?<![{_AL}]))(?:"
    + "|".join(
        [
            # Hijri: "15 شوال 1436هـ", "شوال 1436", "28 شوال"
            rf"(?P<hijri>(?:{_DAYNUM}\s*(?:من\s+)?)?{_NB}(?P<hmon>{_HIJRI_MONTH}){_NA}(?:\s*(?:من\s+)?(?:عام\s+|سنه\s+)?"
            rf"(?P<hy>1[34]\d\d)(?!\d)(?:\s?(?:ه{_NA}|هجريه|للهجره))?)?)",
            # numeric day/month/year, d/m/Y or Y/m/d, Hijri when marked هـ or year 13xx/14xx
            rf"(?P<num>(?<![\d/.:-])(?:(?P<n1>\d{{1,2}})\s*(?P<sep>[/.-])\s*(?P<n2>\d{{1,2}})\s*(?P=sep)\s*"
            rf"(?P<n3>\d{{4}})|(?P<m3>\d{{4}})\s*(?P<sep2>[/-])\s*(?P<m2>\d{{1,2}})\s*(?P=sep2)\s*(?P<m1>\d{{1,2}}))"
            rf"(?![\d/])(?:\s?(?P<hmark>ه{_NA}|هجريه)|\s?(?P<gmark>م{_NA}|ميلاديه))?)",
            # Gregorian with month name: "15 سبتمبر/أيلول 2023", "31 آب/أغسطس", "سبتمبر 2023", "شهر مارس"
            rf"(?P<greg>(?:(?P<gday>(?<![\d.,/:-])[0-3]?\d)\s*(?:من\s+)?|(?P<shahr>{_NB}[وفبل]?شهر\s+))?"
            rf"{_AR_MONTH_PAIR}(?:\s*,?\s*(?:من\s+)?(?:عام\s+|العام\s+|سنه\s+)?(?P<gy>(?:19|20)\d\d)(?!\d)(?:\s?م{_NA})?)?"
            rf"(?:\s+(?P<gdir>{_PAST_WORDS}|{_NEXT_WORDS}){_NA})?)",
            # relative day words: أمس, أول أمس, أمس الأول, اليوم, غدا, بعد غد
            rf"(?P<rel>{_PRE}(?:{_TIME_OF_DAY}\s+)?(?:(?P<r2>اول\s+امس|اول\s+من\s+امس|امس\s+الاول)"
            rf"|(?P<r1>(?:ال)?امس|الليله\s+الماضيه)|(?P<r0>اليوم|الليله)|(?P<rp2>بعد\s+غد)"
            # "غد" without its alif only where it cannot be the noun "tomorrow" ("غد أفضل"): after a
            # time of day ("مساء غد") or before a weekday ("غد الاثنين")
            rf"|(?P<rp1>غدا|الغد|يوم\s+غد|(?<=صباح\s)غد|(?<=مساء\s)غد|غد(?=\s+ال{_AR_WEEKDAY}{_NA}))){_NA})",
            # weekday: "يوم الأربعاء الماضي", "الثلاثاء", "صباح الجمعة", "الأحد المقبل"
            rf"(?P<wd>{_PRE}(?:{_TIME_OF_DAY}\s+)?(?:يوم\s+)?ال(?P<wname>{_AR_WEEKDAY}){_NA}(?!\s+عشر)"
            rf"(?:\s+(?P<wdir>{_PAST_WORDS}|{_NEXT_WORDS}){_NA})?)",
            # ago: "قبل يومين", "منذ ثلاثة أيام", "قبل أسبوع", "قبل 3 أشهر"
            rf"(?P<ago>{_NB}(?:قبل|منذ)\s+(?:(?P<ago2>يومين)|(?P<agon>\d{{1,2}}|{_alt(list(_AR_NUMBERS))})\s+"
            rf"(?P<agou>ايام|اسابيع|اشهر|شهور|اعوام|سنوات|سنين)|(?P<ago1>يوم|اسبوع|اسبوعين|شهر|شهرين|عام|عامين|سنه|سنتين)){_NA}(?!\s*\d))",
            # periods: "الأسبوع الماضي", "الشهر المقبل", "العام الماضي", "هذا العام"
            rf"(?P<per>{_PRE}(?:(?P<punit>الاسبوع|الشهر|العام|السنه)\s+(?P<pdir>{_PAST_WORDS}|{_NEXT_WORDS}|الجاري|الحالي|الحاليه){_NA}"
            rf"|(?:هذا|هذه)\s+(?P<pthis>الاسبوع|الشهر|العام|السنه){_NA}))",
            # years: "عام 2015", "العام 2019م", "2015م"
            rf"(?P<yr>(?:{_NB}[وفبل]?(?:ال)?(?:عام|سنه)\s+(?P<yy>(?:19|20)\d\d)(?!\d)(?:\s?م{_NA})?)"
            rf"|(?<![\d/.-])(?P<ym>(?:19|20)\d\d)\s?م{_NA}|(?<![\d/.-])(?P<hyy>1[34]\d\d)\s?ه{_NA})",
        ]
    )
    + ")"
)

_EN_MONTH = r"(?:January|February|March|April|May|June|July|August|September|October|November|December|Jan\.?|Feb\.?|Mar\.?|Apr\.?|Jun\.?|Jul\.?|Aug\.?|Sept?\.?|Oct\.?|Nov\.?|Dec\.?)"
_FR_MONTH = (
    r"(?:janvier|f[ée]vrier|mars|avril|mai|juin|juillet|ao[uû]t|septembre|octobre|novembre|d[ée]cembre)"
)
_EN_WD = r"(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)"
_FR_WD = r"(?:lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche)"
_ORD = r"(?:st|nd|rd|th|er)?"

_LATIN_ATOMS = re.compile(
    "|".join(
        [
            r"(?P<iso>\b(?P<iy>(?:19|20)\d\d)-(?P<im>[01]\d)-(?P<id>[0-3]\d)\b)",
            # "September 15, 2023", "Sept. 15 , 2011", "September 15th"
            rf"(?P<mdy>\b(?P<emon>{_EN_MONTH})\s+(?P<eday>[0-3]?\d){_ORD}\b(?:\s*,?\s*(?P<ey>(?:19|20)\d\d)\b)?)",
            # "15 September 2023", "15th of Sept", "le 15 septembre 2023", "1er mai"
            rf"(?P<dmy>\b(?P<fday>[0-3]?\d){_ORD}\s+(?:of\s+)?(?P<fmon>{_EN_MONTH}|{_FR_MONTH})(?![A-Za-zéû])(?:\s*,?\s*(?P<fy>(?:19|20)\d\d)\b)?)",
            # "September 2023", "in September", "en septembre 2023"
            rf"(?P<my>\b(?:(?P<mtrig>in|since|until|by|early|late|mid-?|last|next|this|en|début|fin|mi-)\s+)?"
            rf"(?P<mmon>{_EN_MONTH}|{_FR_MONTH})(?![A-Za-zéû])(?:\s*,?\s*(?P<my_y>(?:19|20)\d\d)\b)?)",
            # relative days
            r"(?P<erel>\b(?:(?P<e2>the\s+day\s+before\s+yesterday|avant-hier)|(?P<e1>yesterday|hier)"
            r"|(?P<e0>today|tonight|this\s+morning|this\s+afternoon|this\s+evening|aujourd'hui|ce\s+matin|ce\s+soir)"
            r"|(?P<ep1>tomorrow|demain)|(?P<ep2>the\s+day\s+after\s+tomorrow|après-demain))\b)",
            # weekdays: "on Tuesday", "last Tuesday", "mardi dernier", "Tuesday night"
            rf"(?P<ewd>\b(?:(?P<ewpre>last|next|this|on|dernier|prochain)\s+)?(?P<ewname>{_EN_WD}|{_FR_WD})\b"
            r"(?:\s+(?P<ewpost>dernier|prochain|next|last))?)",
            # ago: "two days ago", "il y a trois jours"
            r"(?P<eago>\b(?:(?P<en>\d{1,2}|one|a|an|two|three|four|five|six|seven|eight|nine|ten)\s+(?P<eu>days?|weeks?|months?|years?)\s+ago"
            r"|il\s+y\s+a\s+(?P<fn>\d{1,2}|un|une|deux|trois|quatre|cinq|six|sept|huit|neuf|dix)\s+(?P<fu>jours?|semaines?|mois|ans|années?))\b)",
            # periods
            r"(?P<eper>\b(?:(?P<epdir>last|next|this|past)\s+(?P<epunit>week|month|year)"
            r"|(?:la|le|l')\s*(?P<fpunit>semaine|mois|an|année)\s+(?P<fpdir>dernière|dernier|prochaine|prochain|passée|passé))\b)",
            # years: "in 2015", "en 2015"
            r"(?P<eyr>\b(?:in|since|of|until|by|en|depuis|year|l'an)\s+(?P<eyy>(?:19|20)\d\d)\b)",
        ]
    ),
    re.IGNORECASE,
)
_LATIN_LETTERS = re.compile(r"[A-Za-z]{3}")
# Literal-first alternations, so the regex engine can skip positions by their first character.
_AR_TRIGGER = re.compile(
    "|".join(
        [*"0123456789", "امس", "اليوم", "الليله", "غد", "قبل", "منذ", "الاسبوع", "الشهر", "عام", "سنه",
         "الاحد", "الاثنين", "الثلاثا", "الاربعا", "الخميس", "الجمعه", "السبت",
         *sorted({w.split()[0] for w in list(_AR_MONTHS) + list(_HIJRI_MONTHS)}, key=len, reverse=True)]
    )
)  # fmt: skip
_LATIN_TRIGGER = re.compile(
    "|".join(
        [*"0123456789", "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
         "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun", "yesterday", "Yesterday", "today", "Today",
         "tonight", "Tonight", "tomorrow", "Tomorrow", "morning", "afternoon", "evening", " ago", "week",
         "month", "year", "hier", "Hier", "aujourd", "Aujourd", "demain", "Demain", "lundi", "mardi",
         "mercredi", "jeudi", "vendredi", "samedi", "dimanche", "janvier", "février", "fevrier", "mars",
         "avril", "mai", "juin", "juillet", "août", "aout", "septembre", "octobre", "novembre", "décembre",
         "decembre", "semaine", "mois", "an ", "année", "soir", "matin"]
    )
)  # fmt: skip
_ARABIC_LETTERS = re.compile(f"[{_AL}]")
# A bare weekday in a clause that says the thing is still to come ("سيتم نقلهم يوم الاثنين", "من المقرر
# أن يصل الثلاثاء") is the coming one, not the last one; only explicit future markers count (news uses
# the present tense for both).
_FUTURE_CUE_AR = re.compile(
    # not an expectation in the past: "كان من المتوقع", "لم يكن من المقرر" ("المقرر" is matched alone,
    # so that "ومن المقرر" still counts when the 80-character window starts after "من")
    f"(?<![{_AL}])(?<!كان\\s)(?<!كانت\\s)(?<!يكن\\s)(?<!تكن\\s)[وف]?(?:سوف|سيتم|ستتم|من\\s+المنتظر|من\\s+المتوقع|"
    f"(?<!كان\\sمن\\s)(?<!كانت\\sمن\\s)(?<!يكن\\sمن\\s)(?<!تكن\\sمن\\s)المقرر|المزمع|يعتزم|تعتزم)"
    f"(?![{_AL}])[^.!?؟\\n]*$"
)
_FUTURE_CUE_EN = re.compile(
    r"\b(?:will|would|shall|is\s+to|are\s+to|scheduled|due|expected|plans?\s+to|va|vont|doit|devrait)\b", re.I
)
# What may stand between atoms that form one expression: spaces, commas, brackets, dashes, "الموافق".
_GAP = re.compile(r"^[\s,(\-]*(?:الموافق\s*(?:ل\s*)?)?[\s,(\-]*$")
# After "اليوم": words that make it a noun ("اليوم الوطني", "اليوم التالي"), not "today".
_YAWM_NOUN = re.compile(r"\s+ال(?!" + _AR_WEEKDAY + f"{_NA})[{_AL}]")
_YAWM_NOT_TODAY_BEFORE = re.compile(f"(?<![{_AL}])(?:عين|صحيفه|جريده|في)\\s*$")
# "البلدين الاثنين": "الاثنين" after a dual noun means "the two", not Monday.
_DUAL_BEFORE = re.compile(f"(?<![{_AL}])ال[{_AL}]+(?:ين|ان)\\s+$")
_AGO_ONE = {"يوم": (1, "يوم"), "اسبوع": (1, "اسبوع"), "اسبوعين": (2, "اسبوع"), "شهر": (1, "شهر"), "شهرين": (2, "شهر"),
            "عام": (1, "عام"), "عامين": (2, "عام"), "سنه": (1, "سنه"), "سنتين": (2, "سنه")}  # fmt: skip


@dataclass(slots=True)
class _Atom:
    start: int
    end: int
    kind: str  # date, monthday, month, year, hijri_year, rel, wd, ago, period
    y: int | None = None
    m: int | None = None
    d: int | None = None
    granularity: str = "day"
    calendar: str = "gregorian"
    offset_days: int | None = None
    offset_months: int | None = None
    weekday: int | None = None
    direction: str | None = None


def _direction(word: str | None) -> str | None:
    if not word:
        return None
    w = word.lower()
    if re.fullmatch(_PAST_WORDS, w) or w in {"last", "dernier", "dernière", "passée", "passé", "past"}:
        return "past"
    if re.fullmatch(_NEXT_WORDS, w) or w in {"next", "prochain", "prochaine"}:
        return "next"
    return None


def _month_value(name: str) -> int | None:
    key = re.sub(r"\s+", " ", name.strip().rstrip(".").lower())
    return _AR_MONTHS.get(key) or _EN_MONTHS.get(key) or _FR_MONTHS.get(key)


def _valid(y: int, m: int, d: int) -> bool:
    try:
        date(y, m, d)
    except ValueError:
        return False
    return True


class DateExtractor:
    """Finds temporal expressions and resolves them against an anchor (the publication date).

    `hijri` converts a Hijri (year, month, day) to a Gregorian date; the default is Umm al-Qura via
    `hijridate` with the tabular calendar as fallback.
    """

    def __init__(self, hijri: Callable[[int, int, int], date] | None = None) -> None:
        self._hijri = hijri or hijri_to_gregorian

    # ---- atoms -------------------------------------------------------------------------------------

    def _arabic_atoms(self, folded: str, pos: int, endpos: int) -> list[_Atom]:
        atoms: list[_Atom] = []
        for mt in _AR_ATOMS.finditer(folded, pos, endpos):
            g = mt.groupdict()
            s, e = mt.span()
            if g["hijri"] is not None:
                hm = _HIJRI_MONTHS[re.sub(r"\s+", " ", g["hmon"])]
                if g["hy"] and g["d"]:
                    atoms.append(_Atom(s, e, "date", int(g["hy"]), hm, int(g["d"]), "day", "hijri"))
                elif g["hy"]:
                    atoms.append(_Atom(s, e, "date", int(g["hy"]), hm, 1, "month", "hijri"))
                # a Hijri month without a year (or without a day) is too vague to date
            elif g["num"] is not None:
                if g["n1"]:
                    a, b, y = int(g["n1"]), int(g["n2"]), int(g["n3"])
                else:
                    a, b, y = int(g["m1"]), int(g["m2"]), int(g["m3"])
                hijri = bool(g["hmark"]) or (1300 <= y <= 1500 and not g["gmark"])
                if not hijri and not 1900 <= y <= 2100:
                    continue
                d, m = (a, b)
                if m > 12 and d <= 12:
                    d, m = m, d
                if not (1 <= m <= 12 and 1 <= d <= (30 if hijri else 31)):
                    continue
                if not hijri and not _valid(y, m, d):
                    continue
                atoms.append(_Atom(s, e, "date", y, m, d, "day", "hijri" if hijri else "gregorian"))
            elif g["greg"] is not None:
                m = _AR_MONTHS[re.sub(r"\s+", " ", g["mon"])]
                gy = int(g["gy"]) if g["gy"] else None
                direction = _direction(g["gdir"])
                if g["gday"]:
                    d = int(g["gday"])
                    if not 1 <= d <= 31:
                        continue
                    if gy is not None and _valid(gy, m, d):
                        atoms.append(_Atom(s, e, "date", gy, m, d, "day"))
                    elif gy is None:
                        atoms.append(_Atom(s, e, "monthday", None, m, d, "day", direction=direction))
                elif gy is not None:
                    atoms.append(_Atom(s, e, "date", gy, m, 1, "month"))
                elif g["shahr"]:
                    atoms.append(_Atom(s, e, "month", None, m, 1, "month", direction=direction))
                # a bare month name is too ambiguous in Arabic ("مارس" is also a verb, "آب" a noun)
            elif g["rel"] is not None:
                if g["r0"] == "اليوم" and (
                    _YAWM_NOUN.match(folded, e) or _YAWM_NOT_TODAY_BEFORE.search(folded, max(0, s - 8), s)
                ):
                    continue
                off = -2 if g["r2"] else -1 if g["r1"] else 0 if g["r0"] else 2 if g["rp2"] else 1
                atoms.append(_Atom(s, e, "rel", offset_days=off))
            elif g["wd"] is not None:
                if g["wname"] == "اثنين" and _DUAL_BEFORE.search(folded, max(0, s - 20), s):
                    continue
                direction = _direction(g["wdir"])
                if direction is None and _FUTURE_CUE_AR.search(folded, max(0, s - 80), s):
                    direction = "ahead"
                atoms.append(_Atom(s, e, "wd", weekday=_AR_WEEKDAYS[g["wname"]], direction=direction))
            elif g["ago"] is not None:
                if g["ago2"]:
                    n, unit = 2, "يوم"
                elif g["agon"]:
                    n = int(g["agon"]) if g["agon"].isdigit() else _AR_NUMBERS[g["agon"]]
                    unit = g["agou"]
                else:
                    n, unit = _AGO_ONE[g["ago1"]]
                atoms.append(self._ago_atom(s, e, n, unit))
            elif g["per"] is not None:
                unit = g["punit"] or g["pthis"]
                direction = _direction(g["pdir"]) if g["pdir"] else None
                step = -1 if direction == "past" else 1 if direction == "next" else 0
                atoms.append(self._period_atom(s, e, unit, step))
            elif g["yr"] is not None:
                if g["hyy"]:
                    atoms.append(
                        _Atom(s, e, "hijri_year", int(g["hyy"]), granularity="year", calendar="hijri")
                    )
                else:
                    atoms.append(_Atom(s, e, "year", int(g["yy"] or g["ym"]), granularity="year"))
        return atoms

    @staticmethod
    def _ago_atom(s: int, e: int, n: int, unit: str) -> _Atom:
        if unit.startswith(("يوم", "ايام", "day", "jour")):
            return _Atom(s, e, "ago", offset_days=-n)
        if unit.startswith(("اسبوع", "اسابيع", "week", "semaine")):
            return _Atom(s, e, "ago", offset_days=-7 * n, granularity="week")
        if unit.startswith(("شهر", "اشهر", "شهور", "month", "mois")):
            return _Atom(s, e, "ago", offset_months=-n, granularity="month")
        return _Atom(s, e, "ago", offset_months=-12 * n, granularity="year")

    @staticmethod
    def _period_atom(s: int, e: int, unit: str, step: int) -> _Atom:
        if unit in ("الاسبوع", "week", "semaine"):
            return _Atom(s, e, "period", offset_days=7 * step, granularity="week")
        if unit in ("الشهر", "month", "mois"):
            return _Atom(s, e, "period", offset_months=step, granularity="month")
        return _Atom(s, e, "period", offset_months=12 * step, granularity="year")

    def _latin_atoms(self, text: str, pos: int, endpos: int) -> list[_Atom]:
        atoms: list[_Atom] = []
        for mt in _LATIN_ATOMS.finditer(text, pos, endpos):
            g = mt.groupdict()
            s, e = mt.span()
            if g["iso"] is not None:
                y, m, d = int(g["iy"]), int(g["im"]), int(g["id"])
                if _valid(y, m, d):
                    atoms.append(_Atom(s, e, "date", y, m, d))
            elif g["mdy"] is not None or g["dmy"] is not None:
                mon = g["emon"] or g["fmon"]
                if mon[0].islower() and _EN_MONTHS.get(mon.rstrip(".").lower()):
                    continue  # English month names are capitalised; "may 5" is not a date
                mv = _month_value(mon)
                d = int(g["eday"] or g["fday"])
                ys = g["ey"] or g["fy"]
                if mv is None or not 1 <= d <= 31:
                    continue
                if ys and _valid(int(ys), mv, d):
                    atoms.append(_Atom(s, e, "date", int(ys), mv, d))
                elif not ys:
                    atoms.append(_Atom(s, e, "monthday", None, mv, d))
            elif g["my"] is not None:
                mon = g["mmon"]
                if mon[0].islower() and _EN_MONTHS.get(mon.rstrip(".").lower()):
                    continue
                mv = _month_value(mon)
                if mv is None:
                    continue
                if g["my_y"]:
                    atoms.append(_Atom(s, e, "date", int(g["my_y"]), mv, 1, "month"))
                elif g["mtrig"] and len(mon.rstrip(".")) > 2:
                    trig = g["mtrig"].lower()
                    direction = "past" if trig in ("last", "since") else "next" if trig == "next" else None
                    atoms.append(_Atom(s, e, "month", None, mv, 1, "month", direction=direction))
            elif g["erel"] is not None:
                off = -2 if g["e2"] else -1 if g["e1"] else 0 if g["e0"] else 1 if g["ep1"] else 2
                atoms.append(_Atom(s, e, "rel", offset_days=off))
            elif g["ewd"] is not None:
                name = g["ewname"]
                if name[0].islower() and name.lower() in _EN_WEEKDAYS:
                    continue
                wd = _EN_WEEKDAYS.get(name.lower(), _FR_WEEKDAYS.get(name.lower()))
                direction = _direction(g["ewpost"]) or (
                    _direction(g["ewpre"]) if g["ewpre"] and g["ewpre"].lower() != "this" else None
                )
                if direction is None and _FUTURE_CUE_EN.search(text, max(0, s - 60), s):
                    direction = "next"
                atoms.append(_Atom(s, e, "wd", weekday=wd, direction=direction))
            elif g["eago"] is not None:
                num = g["en"] or g["fn"]
                n = (
                    int(num)
                    if num.isdigit()
                    else _EN_NUMBERS.get(num.lower(), _FR_NUMBERS.get(num.lower(), 1))
                )
                atoms.append(self._ago_atom(s, e, n, (g["eu"] or g["fu"]).lower()))
            elif g["eper"] is not None:
                unit = (g["epunit"] or g["fpunit"]).lower()
                unit = {"an": "year", "année": "year", "semaine": "week", "mois": "month"}.get(unit, unit)
                dword = (g["epdir"] or g["fpdir"]).lower()
                step = (
                    0
                    if dword == "this"
                    else -1
                    if dword in ("last", "past") or dword.startswith(("dern", "pass"))
                    else 1
                )
                atoms.append(self._period_atom(s, e, unit, step))
            elif g["eyr"] is not None:
                atoms.append(_Atom(s, e, "year", int(g["eyy"]), granularity="year"))
        return atoms

    # ---- combination and resolution -------------------------------------------------------------------

    def extract(self, text: str, anchor: date | None, lang: str = "ar") -> list[TimeMention]:
        """All temporal expressions in `text`, resolved against `anchor` when one is given.

        With `anchor` None, absolute dates still resolve; relative and weekday expressions come back
        with `date` None and keep `kind`, `weekday`, `offset_days` so `anchor_articles` can solve them.
        """
        folded, dropped = _fold(text)
        atoms: list[_Atom] = []
        if _ARABIC_LETTERS.search(folded):
            for s, e in _windows(folded, _AR_TRIGGER, 24, 48):
                atoms.extend(self._arabic_atoms(folded, s, e))
        if lang != "ar" or _LATIN_LETTERS.search(folded):
            for s, e in _windows(folded, _LATIN_TRIGGER, 28, 40):
                atoms.extend(self._latin_atoms(folded, s, e))
        if not atoms:
            return []
        atoms.sort(key=lambda a: (a.start, -a.end))
        # Drop atoms inside a longer one (e.g. "1436هـ" inside "15 شوال 1436هـ").
        kept: list[_Atom] = []
        for a in atoms:
            if kept and a.start < kept[-1].end:
                continue
            kept.append(a)
        mentions: list[TimeMention] = []
        i = 0
        while i < len(kept):
            group = [kept[i]]
            j = i + 1
            while j < len(kept) and self._joins(group, kept[j], folded):
                group.append(kept[j])
                j += 1
            mention = self._combine(group, text, dropped)
            if mention is not None:
                mentions.append(resolve_mention(mention, anchor) if anchor else mention)
            i = j
        return mentions

    @staticmethod
    def _joins(group: list[_Atom], nxt: _Atom, folded: str) -> bool:
        """Whether `nxt` continues the expression in `group`: relative word, weekday, then a date."""
        if _GAP.match(folded[group[-1].end : nxt.start]) is None:
            return False
        kinds = [a.kind for a in group]
        order = {"rel": 0, "wd": 1, "date": 2, "monthday": 2}
        if nxt.kind not in order or any(k not in order for k in kinds):
            return False
        return order[nxt.kind] > order[kinds[-1]]

    def _combine(self, group: list[_Atom], text: str, dropped: list[int] | None) -> TimeMention | None:
        s, e = group[0].start, group[-1].end
        if dropped is not None:
            s, e = s + bisect_right(dropped, s), e - 1 + bisect_right(dropped, e - 1) + 1
            while e < len(text) and _DROP.match(text, e):  # a trailing tatweel or tanween: "هـ", "غداً"
                e += 1
        surface = text[s:e]
        rel = next((a for a in group if a.kind == "rel"), None)
        wd = next((a for a in group if a.kind == "wd"), None)
        dt = next((a for a in group if a.kind in ("date", "monthday")), None)
        if dt is None and len(group) == 1:
            a = group[0]
            if a.kind == "hijri_year":
                return TimeMention(surface, s, e, None, "year", "hijri", year=a.y, calendar="hijri")
            if a.kind == "year":
                return TimeMention(surface, s, e, f"{a.y:04d}-01-01", "year", "absolute", year=a.y)
            if a.kind == "month":
                return TimeMention(surface, s, e, None, "month", "month", month=a.m, direction=a.direction)
            if a.kind in ("rel", "ago", "period"):
                return TimeMention(
                    surface, s, e, None, a.granularity, "relative",
                    offset_days=a.offset_days, offset_months=a.offset_months,
                )  # fmt: skip
            if a.kind == "wd":
                return TimeMention(
                    surface, s, e, None, "day", "weekday", weekday=a.weekday, direction=a.direction
                )
            return None
        if dt is None:  # relative day word + weekday: "أمس السبت", "اليوم الأحد"
            assert rel is not None and wd is not None
            return TimeMention(
                surface,
                s,
                e,
                None,
                "day",
                "weekday+relative",
                weekday=wd.weekday,
                offset_days=rel.offset_days,
            )
        if dt.kind == "monthday":
            kind = "monthday" if wd is None else "weekday+monthday"
            return TimeMention(
                surface, s, e, None, "day", kind, weekday=wd.weekday if wd else None,
                offset_days=rel.offset_days if rel else None, direction=dt.direction, month=dt.m, day=dt.d,
            )  # fmt: skip
        assert dt.y is not None and dt.m is not None and dt.d is not None
        try:
            resolved = self._hijri(dt.y, dt.m, dt.d) if dt.calendar == "hijri" else date(dt.y, dt.m, dt.d)
        except (ValueError, OverflowError):
            return None
        resolved_iso = resolved.isoformat()
        base = "hijri" if dt.calendar == "hijri" else "absolute"
        kind = base
        if wd is not None:
            kind = "weekday+absolute"
        elif rel is not None:
            kind = "relative+absolute"
        consistent = None
        if wd is not None and dt.granularity == "day":
            consistent = resolved.weekday() == wd.weekday
        return TimeMention(
            surface, s, e, resolved_iso, dt.granularity, kind,
            weekday=wd.weekday if wd else None, offset_days=rel.offset_days if rel else None,
            year=dt.y, month=dt.m, day=dt.d if dt.granularity == "day" else None, calendar=dt.calendar,
            consistent=consistent,
        )  # fmt: skip


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
