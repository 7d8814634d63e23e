"""The folded copy of a text, the vocabulary and the compiled patterns that find date atoms."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

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
# Days of the month written as ordinal words (folded): "السادس والعشرين من شهر مارس".
_AR_ORDINAL_UNITS = ("الحادي", "الثاني", "الثالث", "الرابع", "الخامس", "السادس", "السابع", "الثامن", "التاسع")
_AR_ORDINAL_DAYS: dict[str, int] = {
    "الاول": 1, **{w: k + 2 for k, w in enumerate(_AR_ORDINAL_UNITS[1:])}, "العاشر": 10,
    **{f"{w} عشر": k + 11 for k, w in enumerate(_AR_ORDINAL_UNITS)},
    "العشرين": 20, "العشرون": 20, "الثلاثين": 30, "الثلاثون": 30,
    **{f"{w} والعشرين": k + 21 for k, w in enumerate(_AR_ORDINAL_UNITS)},
    **{f"{w} والعشرون": k + 21 for k, w in enumerate(_AR_ORDINAL_UNITS)},
    "الحادي والثلاثين": 31, "الحادي والثلاثون": 31,
}  # fmt: skip
# The word before an ordinal day: a time of day, "يوم", a preposition, or nothing (not "الأسبوع
# الثاني من مارس", a week, nor "القرن الحادي والعشرين").
_ORDINAL_DAY_AFTER = frozenset(
    (
        "في",
        "وفي",
        "يوم",
        "اليوم",
        "ويوم",
        "ليله",
        "فجر",
        "صباح",
        "مساء",
        "ظهر",
        "عصر",
        "منذ",
        "حتي",
        "الموافق",
        "بتاريخ",
        "تاريخ",
    )
)
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
            rf"(?P<greg>(?:(?P<gday>(?<![\d.,/:-])[0-3]?\d)\s*(?:من\s+)?"
            rf"|{_NB}(?P<gord>{_alt(list(_AR_ORDINAL_DAYS))}){_NA}\s+(?:من\s+)?(?:شهر\s+)?"
            rf"|(?P<shahr>{_NB}[وفبل]?شهر\s+))?"
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
