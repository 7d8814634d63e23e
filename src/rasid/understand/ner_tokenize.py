"""Tokens with character offsets and sentence chunks, the way the NER tagger wants them.

ANERcorp keeps clitics attached to words ("وبريطانيا") but splits punctuation, quotes, brackets and
hyphens into tokens of their own, so display text is cut the same way: a word is a run of letters,
digits and combining marks; every other visible character is a token by itself. Latin words keep
inner hyphens and apostrophes ("MiG-31I", "l'époque") because splitting them helps nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_TOKEN = re.compile(
    r"[A-Za-z\u00c0-\u024f0-9]+(?:['’\-][A-Za-z\u00c0-\u024f0-9]+)*"  # Latin words, inner ' and -
    r"|\d+(?:[.,٫]\d+)*%?"  # numbers
    r"|[\w\u0610-\u061a\u064b-\u065f\u0670\u0640]+"  # Arabic words with their marks
    r"|[^\w\s]",  # any other visible character
    re.UNICODE,
)
# Sentence ends: a period, question or exclamation mark not inside a number; also newlines.
_SENT_END = {".", "!", "?", "؟", "…"}
MAX_SENT_TOKENS = 60


@dataclass(slots=True, frozen=True)
class Token:
    """One token of display text: its characters and where they sit."""

    text: str
    start: int
    end: int


def tokenize(text: str) -> list[Token]:
    """Tokens of `text` with offsets into it."""
    return [Token(m.group(), m.start(), m.end()) for m in _TOKEN.finditer(text)]


def sentences(text: str, max_tokens: int = MAX_SENT_TOKENS) -> list[list[Token]]:
    """Tokens grouped into sentences: cut at sentence-final marks and line breaks, then into chunks
    of at most `max_tokens` (the tagger was trained on sentences; endless paragraphs hurt it)."""
    out: list[list[Token]] = []
    current: list[Token] = []
    last_end = 0
    for tok in tokenize(text):
        if current and "\n" in text[last_end : tok.start]:
            out.append(current)
            current = []
        current.append(tok)
        last_end = tok.end
        if tok.text in _SENT_END or len(current) >= max_tokens:
            out.append(current)
            current = []
    if current:
        out.append(current)
    return out
