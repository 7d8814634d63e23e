"""Speech verbs, source phrases and other word lists, settings and records of the quote extractor."""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

_FINITE = (
    "قال",
    "قالت",
    "يقول",
    "تقول",
    "أضاف",
    "أضافت",
    "يضيف",
    "تضيف",
    "أكد",
    "أكدت",
    "يؤكد",
    "تؤكد",
    "أفاد",
    "أفادت",
    "ذكر",
    "ذكرت",
    "يذكر",
    "تذكر",
    "أشار",
    "أشارت",
    "يشير",
    "تشير",
    "صرح",
    "صرحت",
    "أوضح",
    "أوضحت",
    "تابع",
    "تابعت",
    "أعلن",
    "أعلنت",
    "شدد",
    "شددت",
    "أردف",
    "استطرد",
    "لفت",
    "لفتت",
    "نفى",
    "نفت",
    "دعا",
    "دعت",
    "كشف",
    "كشفت",
    "أبان",
    "حذر",
    "حذرت",
    "اعتبر",
    "اعتبرت",
    "نوه",
    "نوهت",
)
_PARTICIPLES = (
    "قائلا",
    "قائلة",
    "مضيفا",
    "مضيفة",
    "مؤكدا",
    "مؤكدة",
    "مشيرا",
    "مشيرة",
    "موضحا",
    "موضحة",
    "لافتا",
    "لافتة",
    "مبينا",
    "مبينة",
    "مفيدا",
    "مفيدة",
    "مشددا",
    "مشددة",
    "معتبرا",
    "محذرا",
    "داعيا",
)
# Prepositions that may follow a speech verb whose subject is a pronoun: وأشار إلى أن، وقال في تغريدة.
_PRONOUN_NEXT = ("إلى", "الى", "في", "عن", "على", "ل", "لـ", "خلال", "عبر", "ب", "لوسائل", "لصحيفة")
# Definite head nouns that name a body already in the article: وأكدت الهيئة أن، وقال المكتب في بيانه.
_BODY_HEADS = (
    "الهيئة",
    "المكتب",
    "المركز",
    "الوزارة",
    "الشركة",
    "المنظمة",
    "اللجنة",
    "المجلس",
    "الوكالة",
    "البرنامج",
    "الجمعية",
    "الجامعة",
    "الصحيفة",
    "المديرية",
    "الإدارة",
    "الحركة",
    "الجماعة",
    "التنظيم",
    "الحزب",
    "الاتحاد",
    "المؤسسة",
    "الجهاز",
    "السفارة",
    "القناة",
    "البنك",
    "الصندوق",
    "المحكمة",
)
_CONTINUE = ("أضاف", "أضافت", "تابع", "تابعت", "أردف", "استطرد", "مضيفا", "مضيفة")
_COMPLEMENTIZERS = ("إن", "أن", "إنه", "أنه", "إنها", "أنها", "بأن", "بأنه", "بأنها", "إنهم", "أنهم")
_SOURCES = ("بحسب", "حسب", "وبحسب", "وحسب")
_SOURCES_TWO = (("وفقا", "ل"), ("ووفقا", "ل"), ("طبقا", "ل"), ("نقلا", "عن"), ("ونقلا", "عن"))
# Words between a source marker and the source: بحسب ما أوردت X, وفقاً لما ذكرته X.
_SOURCE_FILLERS = (
    "ما",
    "لما",
    "ذكرت",
    "ذكرته",
    "ذكره",
    "أوردت",
    "أورده",
    "أوردته",
    "نقلت",
    "نقلته",
    "أفادت",
    "قالت",
    "أعلنت",
)
# A mention right after these is not the speaker: قال لكيم, تحدث مع بوتين, ناقش في موسكو.
_NOT_SUBJECT_BEFORE = ("مع", "عن", "إلى", "على", "لدى", "من", "في", "ل", "لـ", "ب", "بين", "مثل")
# Nouns that name a new, unnamed speaker (وأضاف المتحدث): such a verb does not continue the last one.
_SPEAKER_NOUNS = (
    "متحدث",
    "ناطق",
    "مسؤول",
    "مسؤولة",
    "مصدر",
    "مصادر",
    "وزير",
    "وزيرة",
    "رئيس",
    "مدير",
    "سفير",
    "عضو",
    "نائب",
    "مستشار",
    "زعيم",
    "قائد",
    "محافظ",
    "أمين",
    "خبير",
    "محلل",
    "باحث",
    "شاهد",
    "مراسل",
)
# Words that may stand between a verb and its subject: أكدت فيه أثينا, قالت أمس واشنطن.
_ADVERBS = (
    "فيه",
    "فيها",
    "أمس",
    "اليوم",
    "أيضا",
    "بدوره",
    "بدورها",
    "يوم",
    "الأحد",
    "الإثنين",
    "الاثنين",
    "الثلاثاء",
    "الأربعاء",
    "الخميس",
    "الجمعة",
    "السبت",
)
# Words that make an organisation a news outlet (matching forms are built at init). An outlet
# named as the source of a narrated sentence ("..., وفقا لـ«فرانس برس»") is where the reporter got
# the facts, not a speaker: only its quoted words or its own statements (ذكرت الوكالة أن) are quotes.
_OUTLET_WORDS = (
    "وكالة",
    "الوكالة",
    "الأنباء",
    "للأنباء",
    "أنباء",
    "صحيفة",
    "الصحيفة",
    "جريدة",
    "قناة",
    "القناة",
    "تلفزيون",
    "التلفزيون",
    "إذاعة",
    "الإذاعة",
    "برس",
    "نيوز",
    "agency",
    "press",
    "news",
    "times",
)
# A place after one of these describes a person (زعيم كوريا الشمالية), it is not the speaker.
_DESCRIPTORS = ("زعيم", "رئيس", "ملك", "أمير", "وزير", "سفير", "حاكم", "مستشار", "متحدث", "ناطق", "نائب")


@dataclass(slots=True, frozen=True)
class QuoteSettings:
    """Bounds of the speaker search, in characters, and the shortest quote kept, in words."""

    max_region: int = 110
    max_before: int = 160
    max_source_gap: int = 60
    min_words: int = 2


class _Tok(NamedTuple):
    start: int
    end: int
    key: str  # matching form


@dataclass(slots=True)
class _Men:
    start: int
    end: int
    entity: int
    type: str
    text: str
    glued: bool  # a preposition glued before the name: لكيم, ببوتين (an addressee, not a speaker)


@dataclass(slots=True)
class _Trigger:
    kind: str  # "verb", "participle", "source"
    start: int
    end: int  # end of the trigger words
    cont: bool = False
