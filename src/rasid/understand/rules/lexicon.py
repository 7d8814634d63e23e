"""Word lists and the corpus lexicon of the rule layer (see the package docstring)."""

from __future__ import annotations

import gzip
import json
import re
from dataclasses import dataclass
from pathlib import Path

from ...text.normalize import match_form

# Generic nouns that announce a name after them (matching forms, without the article): they are
# kinds of things, not names. ORG: bodies and facilities; LOC: places.
_ORG_TRIGGERS = (
    "وكالة",
    "صحيفة",
    "جريدة",
    "مجلة",
    "قناة",
    "إذاعة",
    "شركة",
    "مصنع",
    "مصانع",
    "جامعة",
    "بنك",
    "مصرف",
    "حزب",
    "منظمة",
    "جمعية",
    "معهد",
    "مستشفى",
    "مؤسسة",
    "مجموعة",
    "نادي",
    "فندق",
    "مجمع",
    "أكاديمية",
    "كلية",
    "متحف",
)
_LOC_TRIGGERS = (
    "مدينة",
    "منطقة",
    "مقاطعة",
    "إقليم",
    "محافظة",
    "ولاية",
    "جزيرة",
    "قرية",
    "بلدة",
    "محطة",
    "مطار",
    "ميناء",
    "قاعدة",
    "نهر",
    "جبل",
    "بحيرة",
    "حي",
    "مرفأ",
)
# Only these ORG triggers take a descriptive name of adjectives (وكالة الأنباء الفرنسية): for a
# company or a bank the same shape is a description ("الشركة الأمريكية"), not a name.
_DESCRIPTIVE = ("وكالة", "صحيفة", "قناة", "إذاعة", "جامعة", "أكاديمية")
# Foreign prepositions inside place names: Komsomolsk-on-Amur, Rostov-na-Donu.
_JOINERS = ("أون", "نا", "اون", "on", "na", "upon", "am", "sur")
# Surname endings of transliterated Slavic and Caucasian names (Ivanov, -ev, -enko, -sky, -vich,
# -shvili, -yan): a word ending so, after a rare word, is a person's name.
_SURNAME_ENDINGS = ("وف", "يف", "ييف", "ينكو", "سكي", "فيتش", "شفيلي", "يان", "وفا", "يفا", "سكايا")
# Particles that end a name run: a name never goes on over them.
_FUNCTION = (
    "في",
    "من",
    "على",
    "إلى",
    "عن",
    "مع",
    "أن",
    "إن",
    "أنه",
    "التي",
    "الذي",
    "الذين",
    "و",
    "أو",
    "ثم",
    "قد",
    "لا",
    "لم",
    "لن",
    "ما",
    "هذا",
    "هذه",
    "ذلك",
    "تلك",
    "بعد",
    "قبل",
    "خلال",
    "بين",
    "حيث",
    "كما",
    "عند",
    "منذ",
    "حول",
    "ضد",
    "نحو",
    "لدى",
    "بحسب",
    "وفق",
    "يوم",
    "أمس",
    "اليوم",
)
_QUOTES_OPEN = "\"«“”„'‘"
_QUOTES_CLOSE = "\"»”“'’"
_CLITIC_PREFIXES = ("وال", "بال", "فال", "كال", "لل", "ال", "و", "ف", "ب", "ل", "ك")
# Nouns of made things: a name right after one is a model or a brand (صواريخ "كينغال", طائرة ميغ), not
# a place, person or body.
_THING_NOUNS = frozenset(
    match_form(w)
    for w in (
        "صاروخ",
        "صواريخ",
        "منظومة",
        "منظومات",
        "قاذفة",
        "قاذفات",
        "مقاتلة",
        "مقاتلات",
        "طائرة",
        "طائرات",
        "راجمة",
        "راجمات",
        "دبابة",
        "دبابات",
        "فرقاطة",
        "فرقاطات",
        "غواصة",
        "غواصات",
        "مروحية",
        "مروحيات",
        "طراز",
        "لقاح",
        "سيارة",
        "سيارات",
        "هاتف",
        "مدرعة",
        "مدرعات",
        "بندقية",
        "بنادق",
    )
)
# Words tagged as names that are not entities of a story: God in formulae (رحمه الله), currencies.
_NOT_ENTITIES = frozenset(
    match_form(w)
    for w in (
        "الله",
        "ريال",
        "ريالا",
        "ريالات",
        "دولار",
        "دولارا",
        "دولارات",
        "يورو",
        "جنيه",
        "جنيها",
        "درهم",
        "درهما",
        "دينار",
        "دينارا",
        "ين",
        "روبل",
        "روبلا",
    )
)
_MODEL_CODE = re.compile(r"^[^\W\d_]{1,4}-\d+[^\W\d_]?$")
_ACRONYM_AFTER = re.compile(r"\s?[(\"“«]\s?([A-Z]{2,6})\s?[)\"”»]")
_CODE_AFTER = re.compile(r"^\s?[-–]\s?\d")
_WORD_BEFORE = re.compile(r"([^\W\d_]+)[\s\"'«»“”]*$")

_ROYAL_FORMS = frozenset(match_form(w) for w in ("الملك", "الأمير", "الأميرة", "الشيخ", "الإمام", "السلطان"))
LEXICON_PATH = Path(__file__).resolve().parents[2] / "data" / "rules_lexicon.json.gz"


@dataclass(slots=True, frozen=True)
class Lexicon:
    """Two corpus facts about words of news (matching forms), measured by bench/entities_lexicon.py.

    `common`: words of the language (verbs, common nouns) that are rarely part of a name.
    `name_part`: words that are often part of a name but almost never a whole one-word name
    (للطيران of an airline, المملكة of المملكة المغربية).
    """

    common: frozenset[str] = frozenset()
    name_part: frozenset[str] = frozenset()

    @classmethod
    def load(cls, path: Path | None = None) -> Lexicon:
        """Read the packaged lexicon (a gzipped JSON file; ~20 ms, so build it once and pass it on)."""
        with gzip.open(path or LEXICON_PATH, "rt", encoding="utf-8") as fh:
            data = json.load(fh)
        return cls(common=frozenset(data["common"]), name_part=frozenset(data["name_part"]))


def _trigger_forms() -> dict[str, tuple[str, str]]:
    """Every way a trigger noun is written in running text: bare, with the article, with a
    conjunction or preposition glued on (ووكالة is rare enough to leave out)."""
    out: dict[str, tuple[str, str]] = {}
    for kind, nouns in (("LOC", _LOC_TRIGGERS), ("ORG", _ORG_TRIGGERS)):
        for noun in nouns:
            base = match_form(noun)
            for article in ("", "ال"):
                for clitic in ("", "و", "ف", "ب", "ل", "ك", "وب", "ول", "فب", "فل"):
                    if clitic.endswith("ل") and article:
                        out[clitic[:-1] + "لل" + base] = (kind, base)
                        continue
                    out[clitic + article + base] = (kind, base)
    return out


@dataclass(slots=True)
class _Span:
    start: int
    end: int
    type: str
    replaces: bool = True  # drop NER mentions it overlaps
    alias: str = ""  # the descriptive name this short name stands beside (Mention.alias)
    display: str = ""  # the name as a reader writes it, when not the span's text (للهيئة → الهيئة)
    protect: bool = False  # a name the corpus or the story vouches for: never dropped as junk
