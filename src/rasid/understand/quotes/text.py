"""Quote marks, sentences and the small text tests of the quote extractor."""

from __future__ import annotations

import re
from collections.abc import Sequence

from rasid.text.normalize import match_form

_WORD_CHARS = r"\w\u0610-\u061a\u064b-\u065f\u0670\u0640"
_WORD = re.compile(f"[{_WORD_CHARS}]+")
# each word with what lies before it (positions by arithmetic: no match object per word)
_GAP_WORD = re.compile(f"([^{_WORD_CHARS}]*)([{_WORD_CHARS}]+)")
# A full stop glued to the next word ends a sentence only after a word of four letters or more
# (روسيا.البندقية), not after an abbreviation (تي.يو160).
_SENT_END = re.compile(r"[.!?؟]+(?=\s|$)|(?<=[\u0600-\u06ff]{4})[.!?؟]+(?=[\u0600-\u06ff])")
_GUILLEMETS = {"«": "»", "‹": "›"}
_AMBIGUOUS_MARKS = '"“”„‟'
# Every quote mark: `_quote_spans` visits these characters only, not every character of the text.
_MARKS = re.compile(
    "[" + re.escape("".join(_GUILLEMETS) + "".join(_GUILLEMETS.values()) + _AMBIGUOUS_MARKS) + "]"
)
_TRIM = " \t\n،,.:;؛-–—"


def _kind(text: str, quote: str) -> str:
    """ "direct" when the quote stands in quote marks in its paragraph, else "indirect"."""
    at = text.find(quote)
    if at < 0:
        return "indirect"
    before = text[:at].rstrip()
    return "direct" if before[-1:] in "\"«“”„'‘" else "indirect"


def _head_key(name: str) -> str:
    """The first word of a name as a bare noun: الهيئة العامة ... -> هيئه; لمكتب -> مكتب."""
    first = match_form(name.split(" ", 1)[0]) if name.strip() else ""
    if first.startswith("لل"):
        return first[2:]
    for p in ("وال", "بال", "ال", "و", "ب", "ل"):
        if first.startswith(p) and len(first) - len(p) >= 3:
            return first[len(p) :]
    return first


def _nearest_body(cands: Sequence[tuple[int, int, int]], pi: int, pos: int) -> int | None:
    """The body named last before (paragraph pi, offset pos), else the first named after it."""
    before = [c for c in cands if (c[0], c[1]) < (pi, pos)]
    if before:
        return before[-1][2]
    return cands[0][2] if cands else None


def _looks_glued(mention_text: str) -> bool:
    """A body or place written with a glued ل (لرويترز) when nothing else in the story shows it."""
    form = match_form(mention_text)
    return len(form) >= 5 and form[0] == "ل" and form[1] not in "اوي" and not form.startswith("لل")


def _glued(mention_text: str, variant_keys: set[str]) -> bool:
    """Whether a mention span is a name with a preposition glued on (لكيم), judged by its entity."""
    form = match_form(mention_text)
    if form in variant_keys or form[:1] not in ("ل", "ب"):
        return False
    return form[1:] in variant_keys or (form.startswith("لل") and "ال" + form[2:] in variant_keys)


def _unwrap(quote: str) -> str:
    """Strip one pair of quote marks enclosing the whole text."""
    if len(quote) >= 2 and (
        (quote[0] in _GUILLEMETS and quote[-1] == _GUILLEMETS[quote[0]])
        or (quote[0] in _AMBIGUOUS_MARKS and quote[-1] in _AMBIGUOUS_MARKS)
    ):
        inner = quote[1:-1]
        if not any(c in inner for c in _AMBIGUOUS_MARKS + "«»"):
            return inner.strip(_TRIM)
    return quote


def _quote_spans(text: str) -> list[tuple[int, int]]:
    """(open index, close index) of quoted spans: guillemets nest, other marks pair in order."""
    spans: list[tuple[int, int]] = []
    stack: list[int] = []
    pending: int | None = None
    for mark in _MARKS.finditer(text):
        i, ch = mark.start(), mark.group()
        if ch in _GUILLEMETS:
            stack.append(i)
        elif ch in _GUILLEMETS.values():
            if stack:
                spans.append((stack.pop(), i))
        elif ch in _AMBIGUOUS_MARKS:
            if pending is None:
                pending = i
            else:
                spans.append((pending, i))
                pending = None
    return sorted(spans)


def _inside(pos: int, spans: list[tuple[int, int]]) -> bool:
    return any(o < pos < c for o, c in spans)


def _sentences(text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Sentence ranges: split at . ! ? ؟ outside quoted spans."""
    out: list[tuple[int, int]] = []
    start = 0
    for m in _SENT_END.finditer(text):
        if _inside(m.start(), spans):
            continue
        out.append((start, m.end()))
        start = m.end()
    if start < len(text) and text[start:].strip():
        out.append((start, len(text)))
    return out
