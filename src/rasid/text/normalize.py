"""The Arabic matching form, tokens and a light stem.

Display text is never changed: every comparison, index and search key is built from the matching
form, which folds what Arabic writers vary freely (diacritics, tatweel, hamza seats on alef,
alef maqsura/ya, ta marbuta/ha, Arabic-Indic digits) and what the web adds (NBSP, bidi marks,
presentation forms).
"""

from __future__ import annotations

import re
import unicodedata

# Harakat, tanween, shadda, sukun, superscript alef, Quranic annotation marks.
_DIACRITICS = re.compile("[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06dc\u06df-\u06e8\u06ea-\u06ed]")
_TATWEEL = "\u0640"
# Bidi controls, zero-width characters, soft hyphen and the BOM vanish; odd spaces become spaces.
_INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2066-\u2069\u061c\u00ad\ufeff]")
_ODD_SPACE = re.compile("[\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]")
_FOLD_MAP: dict[str, str] = {
    "أ": "ا",
    "إ": "ا",
    "آ": "ا",
    "ٱ": "ا",
    "ٲ": "ا",
    "ٳ": "ا",
    "ى": "ي",
    "ئ": "ي",
    "ؤ": "و",
    "ة": "ه",
    "ک": "ك",
    "ی": "ي",
    "ے": "ي",
    "گ": "ك",
    **{chr(0x0660 + i): str(i) for i in range(10)},
    **{chr(0x06F0 + i): str(i) for i in range(10)},
    "٫": ".",
    "٬": ",",
}
# A chain of str.replace is ~50x faster than str.translate with a dict on long Arabic text.
_FOLD_PAIRS = tuple(_FOLD_MAP.items())
_TOKEN = re.compile(r"\d+(?:[.,]\d+)*|[^\W\d_]+(?:['’][^\W\d_]+)?", re.UNICODE)


def clean_invisible(text: str) -> str:
    """Display-safe tidy-up: drop bidi/zero-width marks, turn odd spaces into plain spaces."""
    return _ODD_SPACE.sub(" ", _INVISIBLE.sub("", text))


# Fast paths for the short strings (single words) most callers pass. _PLAIN: Arabic letters
# that fold to themselves, lower-case ASCII letters and digits; such text is its own matching form.
# _LETTERS: Arabic letters and lower-case ASCII letters and digits, of which only the hamza seats,
# alef maqsura and ta marbuta fold (no NFKC, diacritic, invisible or space work is needed).
_PLAIN = re.compile("[\u0621\u0627\u0628\u062a-\u063a\u0641-\u0648\u064aa-z0-9]*")
_LETTERS = re.compile("[\u0621-\u063a\u0641-\u064aa-z0-9]+")
_LETTER_FOLDS = tuple((src, dst) for src, dst in _FOLD_PAIRS if "\u0621" <= src <= "\u064a")


def match_form(text: str) -> str:
    """The form used for matching and indexing; never shown to a reader."""
    if _PLAIN.fullmatch(text):
        return text
    if _LETTERS.fullmatch(text):
        for src, dst in _LETTER_FOLDS:
            if src in text:
                text = text.replace(src, dst)
        return text
    text = unicodedata.normalize("NFKC", text)
    text = clean_invisible(text)
    text = _DIACRITICS.sub("", text).replace(_TATWEEL, "")
    for src, dst in _FOLD_PAIRS:
        if src in text:
            text = text.replace(src, dst)
    return " ".join(text.casefold().split())


def tokens(text: str) -> list[str]:
    """Word and number tokens of the matching form of `text`."""
    return _TOKEN.findall(match_form(text))


def form_tokens(form: str) -> list[str]:
    """`tokens` of text already in matching form (`match_form(text)`), without folding it again."""
    return _TOKEN.findall(form)


# Leading clitics of a matching-form word: a conjunction, then a preposition, then the article.
LEADING_CONJUNCTIONS = ("و", "ف")
LEADING_PREPOSITIONS = ("ب", "ل", "ك")


def strip_clitics(word: str) -> str:
    """A matching-form word without its leading conjunction, preposition and article (never below
    two letters): "وبالعاصمه" -> "عاصمه", "للرييس" -> "رييس"."""
    w = word
    if len(w) > 3 and w[0] in LEADING_CONJUNCTIONS:
        w = w[1:]
    if len(w) > 3 and w[0] in LEADING_PREPOSITIONS:
        if w[0] == "ل" and w.startswith("لل") and len(w) > 4:
            return w[2:]
        w = w[1:]
    if len(w) > 3 and w.startswith("ال"):
        w = w[2:]
    return w


def strip_proclitic(word: str) -> str:
    """Only the leading و/ف and ب/ل/ك, keeping the article: "والصين" -> "الصين"."""
    w = word
    if len(w) > 3 and w[0] in LEADING_CONJUNCTIONS:
        w = w[1:]
    if len(w) > 3 and w[0] in LEADING_PREPOSITIONS and not w.startswith("لل"):
        w = w[1:]
    return w


# Light stemming in the manner of Larkey's light10: strip one conjunction/preposition + article
# prefix and one common suffix, never below three letters. Works on matching-form tokens.
_PREFIXES = ("وال", "فال", "بال", "كال", "لل", "ال", "و")
_SUFFIXES = ("هما", "كما", "ها", "ان", "ات", "ون", "ين", "يه", "يه", "هم", "هن", "كم", "كن", "نا", "ه", "ي")


def light_stem(token: str) -> str:
    """A light stem of one matching-form token (prefix and suffix stripping, no root extraction)."""
    if not token or not ("\u0600" <= token[0] <= "\u06ff"):
        return token
    word = token
    for prefix in _PREFIXES:
        if word.startswith(prefix) and len(word) - len(prefix) >= 3:
            word = word[len(prefix) :]
            break
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)]
            break
    return word


def stems(text: str) -> list[str]:
    return [light_stem(t) for t in tokens(text)]


class Forms:
    """`match_form` and `light_stem` of words, remembered: news repeats its words, and the
    understanding passes normalise the same words story after story (a dictionary look-up is ~50x
    cheaper than the regex fast path of `match_form`). One object is shared by the passes of one
    analyzer; it is bounded (cleared when it reaches `max_items` entries).

    Hot loops may read `form_of` / `stem_of` directly and call `form` / `stem` on a miss."""

    __slots__ = ("form_of", "stem_of", "max_items")

    def __init__(self, max_items: int = 200_000) -> None:
        self.form_of: dict[str, str] = {}
        self.stem_of: dict[str, str] = {}
        self.max_items = max_items

    def form(self, text: str) -> str:
        """`match_form(text)`."""
        f = self.form_of.get(text)
        if f is None:
            if len(self.form_of) >= self.max_items:
                self.form_of.clear()
            f = self.form_of[text] = match_form(text)
        return f

    def stem(self, token: str) -> str:
        """`light_stem(token)` of a matching-form token."""
        s = self.stem_of.get(token)
        if s is None:
            if len(self.stem_of) >= self.max_items:
                self.stem_of.clear()
            s = self.stem_of[token] = light_stem(token)
        return s


_ARABIC_RUN = re.compile("[\u0600-\u06ff\u0750-\u077f\ufb50-\ufefc]+")


def arabic_ratio(text: str) -> float:
    """Share of letters that are Arabic script: cheap language evidence for short strings.
    (Letters counted with `str.isalpha` over the whole text and over its Arabic-block runs, in
    C loops: the per-character Python loop was a visible cost of building a story's brief.)"""
    letters = sum(map(str.isalpha, text))
    if not letters:
        return 0.0
    return sum(map(str.isalpha, "".join(_ARABIC_RUN.findall(text)))) / letters
