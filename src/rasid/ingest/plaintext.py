"""Plain text files: one article each, a short first line taken as its headline.

Real files (the seeds) either open with a headline line ("زيارة الأيام الستة.. كيم يترك لبوتين
...") or go straight into the lead paragraph. A headline is short and does not end like a
sentence; a lead paragraph is long and ends with a full stop. The rule below tells them apart;
everything after the headline is kept exactly as written (cleaning comes later).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from ..model import IngestError, RawDoc
from .common import decode_text

TITLE_MAX_CHARS = 150
TITLE_MAX_WORDS = 25
TITLE_MIN_WORDS = 2
# A line ending in one of these reads as a sentence (or a lead-in), not a headline. Question and
# exclamation marks are allowed: headlines use them.
_SENTENCE_END = (".", "…", ":", "،", ",", "؛", ";")
_CLOSERS = "\"'»”’)]}>"
# Bylines and datelines open many bodies and are short too: "عين اليوم – جدة", "حامد القرشي- مكة
# المكرمة" (a few words around a dash), "جدة 25 شوال 1436 هـ الموافق 10 أغسطس 2015 م واس" (a Hijri date).
BYLINE_MAX_WORDS = 6
# Tatweel counts as a dash only after a space: "بـ «الأحمر»" and "لـ" are letters, not separators.
_BYLINE_DASH = re.compile(r"(?:^|\s)[-–—ـ]|[-–—](?:\s|$)")
# Escaped quotes left in scraped titles ("&quot;") must not read as a closing semicolon.
_TRAILING_ENTITY = re.compile(r"(?:&[A-Za-z]+;|&#\d+;)+$")
_HIJRI_DATELINE = re.compile(r"\b1[34]\d\d\s*هـ|الموافق")
_BLANK_LINE = re.compile(r"[^\S\r\n]*(?:\r\n|\r|\n)")


def is_headline(line: str) -> bool:
    """True for a short line that does not end like a sentence and is not a byline or dateline."""
    line = line.strip()
    words = line.split()
    if not TITLE_MIN_WORDS <= len(words) <= TITLE_MAX_WORDS or len(line) > TITLE_MAX_CHARS:
        return False
    if len(words) <= BYLINE_MAX_WORDS and _BYLINE_DASH.search(line) or _HIJRI_DATELINE.search(line):
        return False
    return not _TRAILING_ENTITY.sub("", line).rstrip(_CLOSERS).endswith(_SENTENCE_END)


def split_title(text: str) -> tuple[str | None, str]:
    """(title, body): the first non-blank line if it is a headline and a body follows it.

    The body starts at the next non-blank line; its bytes are otherwise untouched.
    """
    pos = 0
    while (m := _BLANK_LINE.match(text, pos)) is not None:
        pos = m.end()
    line_end = _line_end(text, pos)
    first = text[pos:line_end]
    # The title's own line break, then any blank lines, all match _BLANK_LINE.
    body_start = line_end
    while (m := _BLANK_LINE.match(text, body_start)) is not None:
        body_start = m.end()
    body = text[body_start:]
    if not body.strip() or not is_headline(first):
        return None, text
    return first.strip(), body


def _line_end(text: str, pos: int) -> int:
    ends = [i for i in (text.find("\n", pos), text.find("\r", pos)) if i != -1]
    return min(ends) if ends else len(text)


def read_txt(
    data: bytes, origin: str, doc_id: str | None, url: str | None = None, charset: str | None = None
) -> Iterator[RawDoc | IngestError]:
    """One RawDoc for a plain-text article (Refused propagates to the caller's boundary)."""
    text = decode_text(data, charset, origin)
    title, body = split_title(text)
    yield RawDoc(origin=origin, id=doc_id, url=url, title=title, text=body)
