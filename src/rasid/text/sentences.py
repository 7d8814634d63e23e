"""Sentence splitting for Arabic news paragraphs (with the odd Latin-script sentence).

Rules, not a model, because Arabic punctuation is the hard part and general splitters get it wrong:
- `. ! ? ؟` end sentences; the Arabic comma `،` and semicolon `؛` do not (in news prose they join
  clauses of one sentence, and `؛` often introduces the explanation of the clause before it).
- Ellipses (`..`, `...`, `…`) do not: Arabic news uses them as a pause or dash inside sentences
  ("على متن قطاره المدرع.. زعيم كوريا").
- A period is not an end after a one-letter abbreviation (د. م. أ. ص.), after a Latin abbreviation
  (Mr. Dr. U.S.), between digits (3.5) or inside a token (تي.يو-160, URLs, e-mails). An era mark
  after a number ("1436 هـ." "2015 م.") is an end.
- A missing space after a period between two ordinary Arabic words ("في روسيا.البندقية") is an end;
  initials keep their one- and two-letter parts (تي.يو160).
- Nothing inside a short quotation («...», “...”, "...") is an end: the quote stays whole with the
  sentence that reports it. A quote that ends with `.` and is followed by a space closes the sentence;
  one that ends with `!` or `؟` is taken as quoted words inside a longer sentence.
Every sentence is an exact, stripped substring of the paragraph, in order.
"""

from __future__ import annotations

import re

_CANDIDATE = re.compile(r"[.!?؟…]+")
_CLOSERS = "\"'”’»)]"
_LATIN_ABBREVIATIONS = frozenset(
    {
        "mr",
        "mrs",
        "ms",
        "dr",
        "prof",
        "st",
        "jr",
        "sr",
        "vs",
        "etc",
        "e.g",
        "i.e",
        "inc",
        "ltd",
        "co",
        "corp",
        "no",
        "gen",
        "sen",
        "rep",
        "gov",
        "lt",
        "col",
        "capt",
        "cmdr",
        "mt",
        "jan",
        "feb",
        "mar",
        "apr",
        "jun",
        "jul",
        "aug",
        "sep",
        "sept",
        "oct",
        "nov",
        "dec",
        "fig",
        "vol",
        "pp",
        "approx",
        "dept",
        "univ",
        "est",
        "ca",
        "cf",
        "al",
    }
)
_ERA_MARKS = frozenset({"م", "هـ", "ه", "ق"})
_ARABIC_LETTER = re.compile(r"[\u0621-\u064a\u0671-\u06d3\u0640]")
_WORD_CHAR = re.compile(r"[^\W_]", re.UNICODE)
_QUOTE_MARK = re.compile('[«»“”"]')
_NEXT_VISIBLE = re.compile(r"\S")
_MAX_QUOTE = 300  # a quotation longer than this may hold several sentences and is split inside


def _quote_spans(text: str) -> list[tuple[int, int]]:
    """(open, close) index pairs of short quotations: guillemets, curly and straight double quotes."""
    spans: list[tuple[int, int]] = []
    guillemets: list[int] = []
    curly: list[int] = []
    straight = -1
    for m in _QUOTE_MARK.finditer(text):
        ch, i = m.group(), m.start()
        if ch == "«":
            guillemets.append(i)
        elif ch == "»":
            if guillemets:
                spans.append((guillemets.pop(), i))
        elif ch == "“":
            curly.append(i)
        elif ch == "”":
            if curly:
                spans.append((curly.pop(), i))
        elif straight < 0:
            straight = i
        else:
            spans.append((straight, i))
            straight = -1
    return [(a, b) for a, b in spans if b - a <= _MAX_QUOTE]


def _token_before(text: str, pos: int) -> str:
    start = max(text.rfind(" ", 0, pos), text.rfind("\n", 0, pos), text.rfind("\t", 0, pos)) + 1
    return text[start:pos]


def _arabic_len(token: str) -> int:
    return len(_ARABIC_LETTER.findall(token))


class ArabicSentenceSplitter:
    """The default `pipeline.SentenceSplitter`: rule-based, exact substrings, no model."""

    __slots__ = ()

    def split(self, text: str) -> list[str]:
        """Sentences of `text`: exact substrings of it (stripped), in order."""
        if not text.strip():
            return []
        quotes = _quote_spans(text) if ('"' in text or "«" in text or "“" in text) else []
        cuts: list[int] = []
        for m in _CANDIDATE.finditer(text):
            end = self._boundary(text, m.start(), m.end(), quotes)
            if end is not None:
                cuts.append(end)
        if "\n" in text:
            cuts.extend(m.start() for m in re.finditer(r"\n", text))
            cuts.sort()
        spans: list[tuple[int, int]] = []
        last = 0
        for cut in [*cuts, len(text)]:
            if cut <= last:
                continue
            segment = text[last:cut]
            if segment.strip():
                if spans and not _WORD_CHAR.search(segment):
                    spans[-1] = (spans[-1][0], cut)  # stray punctuation belongs to the sentence before
                else:
                    spans.append((last, cut))
            last = cut
        return [text[a:b].strip() for a, b in spans]

    @staticmethod
    def _boundary(text: str, start: int, end: int, quotes: list[tuple[int, int]]) -> int | None:
        """End index of a sentence whose final punctuation is text[start:end], or None."""
        run = text[start:end]
        n = len(text)
        if set(run) <= {"."} and len(run) >= 2 or "…" in run:
            return None  # ellipsis: a pause, not an end
        close = end
        while close < n and text[close] in _CLOSERS:
            close += 1
        for qa, qb in quotes:
            if qa < start < qb:
                if close <= qb:
                    return None  # inside a short quotation, before its closing mark
                if "." not in run:
                    return None  # "...!" / «...؟» quoted inside a longer sentence
        if close >= n:
            return n
        nxt = text[close]
        if not nxt.isspace():
            if close > end:
                return None
            # Missing space after a period between two ordinary Arabic words: an end.
            if run == "." and _arabic_len(_token_before(text, start)) >= 3:
                after = re.match(r"[\u0621-\u064a\u0640]+", text[close:])
                if after and _arabic_len(after.group(0)) >= 3:
                    return close
            return None
        if run == ".":
            before = _token_before(text, start)
            bare = before.strip(_CLOSERS + "(\"'«“")
            if len(bare) == 1 and bare.isalpha():
                j = start - len(before)
                while j > 0 and text[j - 1].isspace():
                    j -= 1
                prev = _token_before(text, j)
                if not (bare in _ERA_MARKS and prev[-1:].isdigit()):
                    return None  # one-letter abbreviation or initial
            elif bare == "هـ":
                pass  # hijri era mark
            elif bare.isascii() and (bare.lower() in _LATIN_ABBREVIATIONS or "." in bare):
                return None
            following = _NEXT_VISIBLE.search(text, close)
            first = following.group() if following else ""
            if first.isascii() and first.isalpha() and first.islower():
                return None  # "e.g. something": a Latin sentence goes on in lower case
        return close
