"""Word lists, settings and small records of the entity canonicaliser (see the package docstring)."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from rasid.text.normalize import clean_invisible

TYPES = ("PER", "ORG", "LOC", "MISC")

# Leading words that describe a person rather than name them (matching forms are built at init).
_PERSON_TITLES = (
    "الرئيس",
    "رئيس",
    "الرئيسة",
    "الزعيم",
    "زعيم",
    "السيد",
    "السيدة",
    "الأميرال",
    "الجنرال",
    "اللواء",
    "العقيد",
    "الشيخ",
    "الأمير",
    "الأميرة",
    "الملك",
    "الملكة",
    "الدكتور",
    "الدكتورة",
    "د",
    "المستشار",
    "المستشارة",
    "الوزير",
    "وزير",
    "وزيرة",
    "الرفيق",
    "المارشال",
    "السفير",
    "الحاكم",
    "النائب",
    "القاضي",
    "البابا",
    "المتحدث",
    "الناطق",
    "الإمام",
    "السلطان",
    "المشير",
    "president",
    "mr",
    "mrs",
    "ms",
    "dr",
    "minister",
    "general",
    "admiral",
    "leader",
    "king",
    "prince",
    "marshal",
    "ambassador",
    "governor",
    "sir",
)
# Indefinite head nouns of place names: مدينة كومسومولسك is كومسومولسك.
_PLACE_NOUNS = (
    "مدينة",
    "مقاطعة",
    "إقليم",
    "منطقة",
    "ولاية",
    "محافظة",
    "قاعدة",
    "مطار",
    "محطة",
    "جزيرة",
    "نهر",
    "بحر",
    "قرية",
    "بلدة",
    "عاصمة",
    "جمهورية",
    "مرفأ",
    "ميناء",
    "city",
    "region",
    "province",
)
# Function words ignored in organisation names.
_ORG_FUNCTION = (
    "في",
    "من",
    "على",
    "عن",
    "إلى",
    "و",
    "مع",
    "ل",
    "ب",
    "of",
    "the",
    "and",
    "for",
    "de",
    "la",
    "le",
)
# Generic institutional nouns and adjectives: they say what kind of body, not which one.
_ORG_GENERIC = (
    "وكالة",
    "وكالات",
    "أنباء",
    "الأنباء",
    "رسمية",
    "مركزية",
    "وطنية",
    "عامة",
    "دولية",
    "عليا",
    "وزارة",
    "شركة",
    "مجلس",
    "هيئة",
    "منظمة",
    "حزب",
    "جامعة",
    "بنك",
    "مصرف",
    "صندوق",
    "اتحاد",
    "جمعية",
    "مركز",
    "معهد",
    "مؤسسة",
    "قناة",
    "صحيفة",
    "إذاعة",
    "تلفزيون",
    "مكتب",
    "إدارة",
    "جهاز",
    "لجنة",
    "سلطة",
    "حكومة",
    "محكمة",
    "نقابة",
    "مصنع",
    "مجموعة",
    "دار",
    "رابطة",
    "قوات",
    "ميليشيا",
    "ميليشيات",
    "مليشيا",
    "مليشيات",
    "جماعة",
    "تنظيم",
    "حركة",
    "مديرية",
    "مستشفى",
    "برس",
    "نيوز",
    "agency",
    "news",
    "press",
    "ministry",
    "company",
    "council",
    "organization",
    "organisation",
    "party",
    "university",
    "bank",
    "fund",
    "union",
    "institute",
    "center",
    "centre",
    "group",
    "committee",
    "office",
    "official",
    "national",
    "central",
    "international",
    "forces",
)
# Heads of armed groups, written interchangeably for one group.
_GROUP_HEADS = ("ميليشيا", "ميليشيات", "مليشيا", "مليشيات", "جماعة", "تنظيم", "حركة", "قوات")
_PATRONYMIC = frozenset(("بن", "ابن", "بنت", "ولد", "ابو", "ابي", "ام", "ال", "عبد"))
_CLITICS = ("وب", "ول", "فب", "فل", "وك", "و", "ف", "ب", "ل", "ك")
_EDGE_JUNK = re.compile(
    r"^[\s\"'«»“”„‟‘’()\[\]{}<>،,.:;؛!?؟\-–—ـ•·]+|[\s\"'«»“”„‟‘’()\[\]{}<>،,.:;؛!?؟\-–—ـ•·]+$"
)
_SPACES = re.compile(r"\s+")
# Strengths of a short form's claim on a longer name (see `_subform_strength`).
_SAME_ARTICLE, _SURE, _IF_UNIQUE = 1, 2, 3
_RANK = {0: 0, _SAME_ARTICLE: 1, _IF_UNIQUE: 2, _SURE: 3}  # which claim wins when forms disagree


@dataclass(slots=True, frozen=True)
class CanonSettings:
    """Thresholds of the canonicaliser, measured on the seed story (docs/benchmarks/entities_quotes.md).

    `name_threshold`: mean aligned token similarity for two full names to be one name.
    `token_threshold`: every aligned token must reach this (so one shared first name is not enough).
    `org_threshold`: Jaccard overlap of distinctive content words for two organisation names.
    """

    name_threshold: float = 0.85
    token_threshold: float = 0.85
    org_threshold: float = 0.67


@dataclass(slots=True)
class _Form:
    """One distinct cleaned name (by matching form) and the mentions that use it."""

    key: str
    display: str
    tokens: list[str]
    mentions: list[int] = field(default_factory=list)
    displays: Counter[str] = field(default_factory=Counter)
    types: Counter[str] = field(default_factory=Counter)
    articles: Counter[str] = field(default_factory=Counter)
    type: str = "MISC"
    org_head: str | None = None
    org_words: list[str] = field(default_factory=list)
    joined: str = ""  # the matching form without spaces: أبو ظبي = أبوظبي


class _UnionFind:
    def __init__(self, n: int) -> None:
        self.parent = list(range(n))

    def find(self, x: int) -> int:
        while self.parent[x] != x:
            self.parent[x] = self.parent[self.parent[x]]
            x = self.parent[x]
        return x

    def union(self, a: int, b: int) -> int:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[rb] = ra
        return ra


def _tidy(text: str) -> str:
    text = clean_invisible(text)
    text = _EDGE_JUNK.sub("", text)
    return _SPACES.sub(" ", text).strip()


def _ending(form: str) -> str:
    last = form[-1:] if form else ""
    return last if last in ("ا", "ه", "ي", "و") else ""


def _org_word(form: str) -> str:
    """Content key of one matching-form word: article/clitics and the nisba/feminine ending off."""
    word = form
    for prefix in ("وال", "بال", "فال", "كال", "لل", "ال"):
        if word.startswith(prefix) and len(word) - len(prefix) >= 3:
            word = word[len(prefix) :]
            break
    else:
        # ل on a hamza-initial word (لأطباء for للأطباء): the same word
        if word.startswith("لا") and len(word) >= 5:
            word = word[1:]
    if word.endswith(("يين", "يون")) and len(word) >= 6:
        word = word[:-2]  # a plural nisba (الحوثيين) has the key of its singular (الحوثي)
    if word.endswith("اء") and len(word) >= 5:
        word = word[:-2]
    for _ in range(2):
        if word.endswith(("ه", "ي", "ا")) and len(word) >= 4:
            word = word[:-1]
    return word
