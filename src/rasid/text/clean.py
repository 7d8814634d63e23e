"""Cleaning of news debris: raw article text in, prose paragraphs and a record of what was removed out.

Readers hand over article text with one paragraph per line, still carrying what the web page put
around the prose: WordPress shortcodes, photo captions (often printed twice, once with each dash),
embedded tweets, bullets, share/related/contact boilerplate, bylines and datelines, and a first line
that repeats the title. The rule is asymmetric on purpose: a line is removed only when it is
*clearly* debris, and every removal is kept as a `Removed(kind, text)` so that nothing is lost
silently and later stages (dates, sources) can still look at it. Prose is never dropped: bullets lose
their marker but keep their sentence; a tweet's own text stays, only its link and signature go.

Kinds: shortcode, caption, embed, bullet, separator, boilerplate, byline, title, duplicate.
Empty and NBSP-only lines are layout, not content: they are dropped without a record (recording
them would flood `removed` with nothing worth reading).

Captions are removed in *all* copies, not kept once: a caption describes a photo rather than
reporting an event, it restates what the prose already says, and a kept copy would be counted as an
extra sentence by near-duplicate detection and the cross-source brief.

Paragraph text is display text: it is kept as written, with only `clean_invisible` (bidi and
zero-width marks dropped, NBSP and odd spaces made plain) and surrounding whitespace stripped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..model import Removed
from .normalize import clean_invisible, match_form

# --- shared pieces -----------------------------------------------------------------------------

_DASH = r"\-\u2010\u2011\u2012\u2013\u2014\u2015\u2212"
_AGENCIES = (
    r"رويترز|أ\s?ف\s?ب|ا\s?ف\s?ب|أ\.\s?ف\.\s?ب\.?|فرانس\s?برس|أسوشيتد\s?برس|أسوشييتد\s?برس|أ\s?ب|ا\s?ب"
    r"|د\s?ب\s?أ|إ\s?ب\s?أ|الأناضول|واس|شينخوا|سبوتنيك|تاس|وكالات|متابعات|الفرنسية|الألمانية"
    r"|AFP|Reuters|AP|EPA|Getty(?:\s?Images)?|Xinhua|Anadolu|Shutterstock"
)
# "- رويترز", "– أ ف ب", "(رويترز)", "(رويترز/ أ ف ب)" at the end of a line.
_CREDIT_END = re.compile(
    rf"(?:\s*[{_DASH}]\s*|\s+[/|]\s*)(?:{_AGENCIES})(?:\s*[/،,و]\s*(?:{_AGENCIES}))*\s*$"
    rf"|\s*\(\s*(?:{_AGENCIES})(?:\s*[/،,و]\s*(?:{_AGENCIES}))*\s*\)\s*$",
    re.IGNORECASE,
)
_AGENCY_ONLY = re.compile(rf"^\(?\s*(?:{_AGENCIES})\s*\)?\s*\.?$", re.IGNORECASE)
_TERMINAL_END = re.compile(r"[.!?؟:…]\s*[\"'”»)\]]*\s*$")
_INNER_SENTENCE = re.compile(r"[.!?؟]\s+\S")
_HAS_WORD = re.compile(r"[^\W_]", re.UNICODE)
_ARABIC_WORD = re.compile(r"[\u0621-\u064a\u0671-\u06d3]{2,}")
_KEY_DROP = re.compile(r"[\W_]+", re.UNICODE)

# --- shortcodes --------------------------------------------------------------------------------

_ATTR = r"[\w-]+\s*=\s*(?:\"[^\"]*\"?|“[^”]*”?|”[^”]*”?|'[^']*'?|[^\s\]]+)"
# A complete WordPress shortcode tag, opening or closing: [caption id="x"] ... [/caption].
_SHORTCODE = re.compile(rf"\[/?[A-Za-z][\w-]*(?:\s+{_ATTR})*\s*/?\]")
# A line that starts a shortcode which the extractor truncated before its closing bracket.
_SHORTCODE_OPEN = re.compile(rf"^\[[A-Za-z][\w-]*(?:\s+{_ATTR})+")

# --- embedded social posts ---------------------------------------------------------------------

_MONTHS = r"January|February|March|April|May|June|July|August|September|October|November|December"
_PIC_LINK = re.compile(r"\s*(?:https?://)?pic\.twitter\.com/[A-Za-z0-9]+")
_SOCIAL_URL = (
    r"https?://(?:www\.|mobile\.|m\.)?"
    r"(?:twitter\.com|x\.com|t\.co|instagram\.com|facebook\.com|fb\.watch|youtube\.com|youtu\.be|tiktok\.com)"
    r"/(?:[A-Za-z0-9_\-.~:/?#@!$&*+;=%]*[A-Za-z0-9_/=#\-])?"  # ASCII only, no trailing punctuation
)
_SOCIAL_INLINE = re.compile(rf"\s*{_SOCIAL_URL}")
_TWEET_SIGNATURE = re.compile(
    rf"[{_DASH}]\s*[^{_DASH}\n]{{1,80}}?\(@\w{{1,30}}\)\s+(?:{_MONTHS})\s+\d{{1,2}},\s+\d{{4}}\s*$"
)

# --- bullets -----------------------------------------------------------------------------------

_BULLET = re.compile(rf"^([•●▪■◾◼◆◇►▶➢➤✓✔·○◦*{_DASH}]+)\s+(?=\S)")

# --- boilerplate -------------------------------------------------------------------------------

_NEXT_PREV = re.compile(r"^(?:Next\s+Previous|Previous\s+Next|Next|Previous)\b\s*")
_BOILER_SHORT = re.compile(
    r"^(?:"
    r"(?:ا|إ)قرأ\s+(?:أيضا|أيضاً|ايضا|ايضاً|المزيد)|اقرأ\s*:|ذات\s+صلة|(?:أخبار|مواضيع|مقالات|قد\s+يهمك)\s*(?:ذات\s+صلة)?\s*:?$"
    r"|(?:أخبار|مواضيع|مقالات)\s+ذات\s+صلة|تابعونا|تابعوا\s+(?:\S+\s+){0,3}(?:على|عبر)\s"
    r"|شارك(?:وا)?\s*(?:هذا|الخبر|المقال|المقالة|على|عبر|:|$)|مشاركة\s*(?:الخبر|المقال|:|$)"
    r"|للمزيد|\.{2,}\s*المزيد|المزيد\s*(?:\.{2,}|…)?$|طباعة\s*(?:الخبر|المقال)?$|أرسل\s+(?:لصديق|الخبر)"
    r"|(?:ا|إ)شترك\s+(?:في|الآن|بالنشرة)|النشرة\s+(?:البريدية|الإخبارية)|الوسوم\s*:|كلمات\s+مفتاحية\s*:"
    r"|إعلان$|للتواصل|لمراسلة\s+الكاتب|(?:\S+\s+){0,3}تبدأ\s+بالرمز|(?:مسافة\s+)?ثم\s+الرسالة$"
    r"|share\b|tweet\b|follow\s+us|read\s+more|related\b|subscribe|sign\s+up|newsletter|advertisement"
    r"|click\s+here|tags\s*:"
    r")",
    re.IGNORECASE,
)
_END_MARK = re.compile(r"^/{1,2}\s*(?:انتهى|يتبع|انتهي)\s*/{1,2}$|^(?:انتهى|-?\s*انتهى\s*-?)$")
_SMS_LINE = re.compile(r"(?:\bsms\b|\bstc\b|mobily|zain|موبايلي|الاتصالات)", re.IGNORECASE)
_CODE_LINE = re.compile(r"^\d{4,6}\s*[-–]\s*[A-Za-z]+$")
_TIME_STAMP = re.compile(r"^\d{1,2}:\d{2}\s*(?:ت\s*م|ت\.م|GMT|[AP]M)?$", re.IGNORECASE)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_URL = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
_TAGS_TAIL = re.compile(r"(?<=[.!؟\"”»])\s+(سمات\s+[^.!؟:\n]{1,200})$")
_CREDIT_LINE = re.compile(r"^(?:خدمة|بالاتفاق\s+مع|خاص\s+(?:بـ|لـ|ب|ل)\s*)\s*«[^»]{1,40}»\s*\.?$")

# --- bylines and datelines ---------------------------------------------------------------------

# "الرأي الثالث - وكالات", "عين اليوم – الرياض", "أحمد البشيري-الباحة".
_DASHED_SHORT = re.compile(
    rf"^[^\d{_DASH}.!؟?:«»\"“”]{{2,40}}?\s*[{_DASH}]\s*[^\d{_DASH}.!؟?:«»\"“”]{{2,40}}$"
)
# SPA datelines: "الرياض 26 شوال 1436 هـ الموافق 11 أغسطس 2015 م واس".
_DATELINE = re.compile(rf"^\S.{{0,120}}\d.{{0,120}}\s(?:{_AGENCIES})\s*$", re.IGNORECASE)

# Sabq flattens paragraphs into one line, marking the lost breaks with " \xa0 " after a sentence end.
_FLAT_BREAK = re.compile(r"(?<=[.!؟?:])[ \t]+\u00a0[ \t\u00a0]*(?=\S)")


def _key(text: str) -> str:
    """Comparison key: matching form without punctuation or dashes, so dash-type variants compare equal."""
    return _KEY_DROP.sub(" ", match_form(text)).strip()


def _words(text: str) -> int:
    return len(text.split())


@dataclass(slots=True)
class _Line:
    """One candidate paragraph while cleaning: its display text and whether it survived."""

    text: str
    keep: bool = True
    removed: list[Removed] = field(default_factory=list)


@dataclass(slots=True)
class NewsCleaner:
    """The default `pipeline.Cleaner`: rule-based removal of news-page debris from article text.

    `max_caption_words` bounds what may be called a caption; `edge_lines` is how many lines at the
    top and bottom of an article are searched for bylines and datelines.
    """

    max_caption_words: int = 40
    edge_lines: int = 3
    # Shorter repeated lines are left alone: poems and refrains repeat short lines on purpose.
    min_repeat_words: int = 6

    def clean(self, text: str, title: str | None = None) -> tuple[list[str], list[Removed]]:
        """Raw article text (one paragraph per line, as readers give it) -> prose paragraphs, removed debris."""
        lines = self._lines(text)
        self._mark_lines(lines)
        self._mark_captions(lines)
        self._mark_title(lines, title)
        self._mark_edges(lines)
        self._strip_tags_tail(lines)
        paragraphs: list[str] = []
        removed: list[Removed] = []
        for line in lines:
            removed.extend(line.removed)
            if line.keep:
                paragraphs.append(line.text)
        return paragraphs, removed

    # -- passes ---------------------------------------------------------------------------------

    @staticmethod
    def _lines(text: str) -> list[_Line]:
        """Split into non-empty display lines; recover paragraph breaks flattened as ' \\xa0 '."""
        text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u2028", "\n").replace("\u2029", "\n")
        if "\u00a0" in text:
            text = _FLAT_BREAK.sub("\n", text)
        return [_Line(shown) for raw in clean_invisible(text).split("\n") if (shown := raw.strip())]

    def _mark_lines(self, lines: list[_Line]) -> None:
        """Line-local rules: navigation, shortcodes, embeds, bullets, separators, boilerplate."""
        in_related = False
        for line in lines:
            text = line.text
            m = _NEXT_PREV.match(text)
            if m and m.end() > 0:
                line.removed.append(Removed("boilerplate", m.group(0).strip()))
                text = text[m.end() :]
            if "[" in text:
                if _SHORTCODE_OPEN.match(text) and "]" not in text:
                    self._drop(line, "shortcode", text)
                    continue
                text = self._cut(line, text, _SHORTCODE, "shortcode")
            if "pic.twitter" in text:
                text = self._cut(line, text, _PIC_LINK, "embed")
            if "(@" in text:
                sig = _TWEET_SIGNATURE.search(text)
                if sig:
                    line.removed.append(Removed("embed", sig.group(0).strip()))
                    text = text[: sig.start()].rstrip()
            if "http" in text:
                if text and _SOCIAL_INLINE.sub("", text).strip() == "":
                    self._drop(line, "embed", text)
                    continue
                text = self._cut(line, text, _SOCIAL_INLINE, "embed")
            m = _BULLET.match(text)
            if m:
                line.removed.append(Removed("bullet", m.group(1)))
                text = text[m.end() :]
            text = text.strip()
            line.text = text
            if not _HAS_WORD.search(text):
                if text:
                    self._drop(line, "separator", text)
                else:
                    line.keep = False
                continue
            if self._is_boilerplate(text):
                self._drop(line, "boilerplate", text)
                in_related = bool(re.search(r"ذات\s+صلة|أيضا|أيضاً|ايضا|related|قد\s+يهمك", text, re.I)) and (
                    _words(text) <= 4
                )
                continue
            if in_related and _words(text) <= 15 and not _TERMINAL_END.search(text[-12:]):
                # Headlines listed under an "اقرأ أيضا" / "ذات صلة" header belong to other articles.
                self._drop(line, "boilerplate", text)
                continue
            in_related = False
            if _AGENCY_ONLY.match(text) or _CREDIT_LINE.match(text):
                self._drop(line, "byline", text)

    def _mark_captions(self, lines: list[_Line]) -> None:
        """Photo captions: a line ending in an agency credit, or a caption-like line printed twice."""
        kept = [ln for ln in lines if ln.keep]
        for ln in kept:
            if self._is_credit_caption(ln.text):
                self._drop(ln, "caption", ln.text)
        kept = [ln for ln in lines if ln.keep or any(r.kind == "caption" for r in ln.removed)]
        i = 0
        while i < len(kept) - 1:
            j = i + 1
            key = ""
            while j < len(kept) and self._may_repeat(kept[j - 1].text, kept[j].text):
                # Keys (matching form without punctuation) only for neighbours of similar length.
                key = key or _key(kept[i].text)
                if not key or _key(kept[j].text) != key:
                    break
                j += 1
            if j - i > 1 and _words(kept[i].text) >= self.min_repeat_words:
                group = kept[i:j]
                if self._caption_like(group[0].text):
                    for ln in group:
                        if ln.keep:
                            self._drop(ln, "caption", ln.text)
                else:
                    # Prose printed twice: keep the first copy, never lose the sentence.
                    for ln in group[1:]:
                        if ln.keep:
                            self._drop(ln, "duplicate", ln.text)
            i = j

    @staticmethod
    def _mark_title(lines: list[_Line], title: str | None) -> None:
        """A first prose line that repeats the title (as text files and some extractors give it)."""
        if not title or not title.strip():
            return
        for ln in lines:
            if not ln.keep:
                continue
            if len(ln.text) > 1.5 * len(title) + 10:
                return  # far longer than the title: prose, not a repeat
            tkey, lkey = _key(title), _key(ln.text)
            shorter, longer = sorted((lkey, tkey), key=len)
            if tkey and (lkey == tkey or shorter in longer and len(shorter) >= 0.8 * len(longer)):
                NewsCleaner._drop(ln, "title", ln.text)
            return

    def _mark_edges(self, lines: list[_Line]) -> None:
        """Bylines and datelines: short dashed 'source - place' lines at the top or bottom."""
        kept = [ln for ln in lines if ln.keep]
        n = len(kept)
        if n <= 1:
            return
        edge = set(range(min(self.edge_lines, n))) | set(range(max(0, n - self.edge_lines), n))
        for i in sorted(edge):
            ln = kept[i]
            text = ln.text
            words = _words(text)
            dashed = words <= 6 and len(text) <= 60 and _DASHED_SHORT.match(text) is not None
            dateline = i < 2 and words <= 16 and _DATELINE.match(text) is not None
            if dashed or (dateline and not _TERMINAL_END.search(text)):
                self._drop(ln, "byline", text)

    @staticmethod
    def _strip_tags_tail(lines: list[_Line]) -> None:
        """Tag lists ('سمات ...') glued after the last sentence of an article."""
        for ln in reversed(lines):
            if not ln.keep:
                continue
            cut = max(0, len(ln.text) - 250)
            m = _TAGS_TAIL.search(ln.text, cut) if "سمات" in ln.text[cut:] else None
            if m:
                ln.removed.append(Removed("boilerplate", m.group(1)))
                ln.text = ln.text[: m.start()].rstrip()
            return

    # -- predicates -----------------------------------------------------------------------------

    @staticmethod
    def _may_repeat(a: str, b: str) -> bool:
        """Cheap test before computing keys: repeated lines have about the same length."""
        return abs(len(a) - len(b)) <= max(4, len(a) // 10)

    @staticmethod
    def _is_boilerplate(text: str) -> bool:
        words = _words(text)
        if words > 25:
            return False
        if words <= 3 and (_END_MARK.match(text) or _TIME_STAMP.match(text) or _CODE_LINE.match(text)):
            return True
        if words <= 12 and _BOILER_SHORT.match(text):
            return True
        if _SMS_LINE.search(text) and re.search(r"\d{4,}", text):
            return True
        if "@" not in text and "http" not in text and "www" not in text:
            return False
        rest = _URL.sub(" ", _EMAIL.sub(" ", text))
        # An address with at most a short label ("لمراسلة الكاتب:", "للمزيد من المعلومات:").
        return rest != text and _words(rest) <= 4

    def _is_credit_caption(self, text: str) -> bool:
        if text.count(" ") > 2 * self.max_caption_words:
            return False
        tail = text[-60:]
        m = _CREDIT_END.search(tail)
        if not m or len(text) - len(tail) + m.start() == 0:
            return False
        body = text[: len(text) - len(tail) + m.start()].rstrip()
        words = _words(body)
        if words < 3 or words > self.max_caption_words:
            return False
        # Prose that ends with a source attribution keeps its sentence punctuation; captions do not.
        return not _TERMINAL_END.search(body[-12:]) and not _INNER_SENTENCE.search(body)

    def _caption_like(self, text: str) -> bool:
        if _CREDIT_END.search(text[-60:]):
            return True
        return _words(text) <= self.max_caption_words and not _TERMINAL_END.search(text[-12:])

    # -- helpers --------------------------------------------------------------------------------

    @staticmethod
    def _drop(line: _Line, kind: str, text: str) -> None:
        line.keep = False
        line.removed.append(Removed(kind, text))

    @staticmethod
    def _cut(line: _Line, text: str, pattern: re.Pattern[str], kind: str) -> str:
        """Remove every match of `pattern` from the line, recording each piece."""
        if not pattern.search(text):
            return text
        for m in pattern.finditer(text):
            line.removed.append(Removed(kind, m.group(0).strip()))
        return pattern.sub("", text).strip()
