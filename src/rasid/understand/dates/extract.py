"""`DateExtractor`: atoms found in a folded text, combined into `TimeMention`s."""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable
from datetime import date

from .mention import TimeMention, hijri_to_gregorian
from .patterns import (
    _AGO_ONE,
    _AR_ATOMS,
    _AR_MONTHS,
    _AR_NUMBERS,
    _AR_ORDINAL_DAYS,
    _AR_TRIGGER,
    _AR_WEEKDAYS,
    _ARABIC_LETTERS,
    _DROP,
    _DUAL_BEFORE,
    _EN_MONTHS,
    _EN_NUMBERS,
    _EN_WEEKDAYS,
    _FR_NUMBERS,
    _FR_WEEKDAYS,
    _FUTURE_CUE_AR,
    _FUTURE_CUE_EN,
    _GAP,
    _HIJRI_MONTHS,
    _LATIN_ATOMS,
    _LATIN_LETTERS,
    _LATIN_TRIGGER,
    _ORDINAL_DAY_AFTER,
    _YAWM_NOT_TODAY_BEFORE,
    _YAWM_NOUN,
    _Atom,
    _direction,
    _fold,
    _month_value,
    _valid,
    _windows,
)
from .resolve import resolve_mention

_WORD_BEFORE = re.compile(r"([\u0621-\u064a]+)[^\w]*$")


def _ordinal_day_ok(folded: str, start: int) -> bool:
    """An ordinal word at `start` is a day of the month when the word before it is a time of day,
    "يوم" or a preposition, or no word (a sentence start): not "الأسبوع الثاني من مارس"."""
    before = folded[max(0, start - 20) : start]
    if before.rstrip() and not before.rstrip()[-1].isalpha():
        return True  # after punctuation
    word = _WORD_BEFORE.search(before)
    return word is None or word.group(1) in _ORDINAL_DAY_AFTER


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
                gday, shahr = g["gday"], g["shahr"]
                if g["gord"]:
                    if _ordinal_day_ok(folded, s):
                        gday = str(_AR_ORDINAL_DAYS[re.sub(r"\s+", " ", g["gord"])])
                    else:  # "الأسبوع الثاني من شهر مارس": the month only
                        word = folded.find("شهر", s, mt.start("mon"))
                        shahr = word >= 0
                        s = word if word >= 0 else mt.start("mon")
                if gday:
                    d = int(gday)
                    if not 1 <= d <= 31:
                        continue
                    if gy is not None and _valid(gy, m, d):
                        atoms.append(_Atom(s, e, "date", gy, m, d, "day"))
                    elif gy is None:
                        atoms.append(_Atom(s, e, "monthday", None, m, d, "day", direction=direction))
                elif gy is not None:
                    atoms.append(_Atom(s, e, "date", gy, m, 1, "month"))
                elif shahr:
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
