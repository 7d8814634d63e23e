"""Tokens with character offsets and sentence chunks, the way the NER tagger wants them.

ANERcorp keeps clitics attached to words ("وبريطانيا") but splits punctuation, quotes, brackets and
hyphens into tokens of their own, so display text is cut the same way: a word is a run of letters,
digits and combining marks; every other visible character is a token by itself. Latin words keep
inner hyphens and apostrophes ("MiG-31I", "l'époque") because splitting them helps nothing.
"""

from __future__ import annotations

import re
from typing import NamedTuple

_TOKEN = re.compile(
    r"[A-Za-z\u00c0-\u024f0-9]+(?:['’\-][A-Za-z\u00c0-\u024f0-9]+)*"  # Latin words, inner ' and -
    r"|\d+(?:[.,٫]\d+)*%?"  # numbers
    r"|[\w\u0610-\u061a\u064b-\u065f\u0670\u0640]+"  # Arabic words with their marks
    r"|[^\w\s]",  # any other visible character
    re.UNICODE,
)
# A token with the whitespace before it (nothing else can lie between tokens: see sentence_spans).
_GAP_TOKEN = re.compile(r"(\s*)(" + _TOKEN.pattern + ")", re.UNICODE)
# Sentence ends: a period, question or exclamation mark not inside a number; also newlines.
_SENT_END = {".", "!", "?", "؟", "…"}
MAX_SENT_TOKENS = 60


class Token(NamedTuple):
    """One token of display text: its characters and where they sit. (A named tuple: the rules
    make hundreds per article, and a tuple is made ~3x faster than a frozen dataclass.)"""

    text: str
    start: int
    end: int


def tokenize(text: str) -> list[Token]:
    """Tokens of `text` with offsets into it (one regex pass giving each token with the white
    space before it, as in `sentence_spans`)."""
    out: list[Token] = []
    append, make = out.append, tuple.__new__
    pos = 0
    for gap, tok in _GAP_TOKEN.findall(text):
        start = pos + len(gap)
        pos = start + len(tok)
        append(make(Token, (tok, start, pos)))
    return out


def sentence_spans(
    text: str, max_tokens: int = MAX_SENT_TOKENS, base: int = 0
) -> list[list[tuple[str, int, int]]]:
    """What `sentences` returns, as plain (text, start, end) tuples shifted by `base`: the NER
    tagger's hot path makes hundreds of tokens an article and needs no more than that. Every
    visible character belongs to some token, so what lies between tokens is whitespace, and
    one regex pass gives each token with the gap before it."""
    out: list[list[tuple[str, int, int]]] = []
    current: list[tuple[str, int, int]] = []
    pos = base
    multiline = "\n" in text
    for gap, tok in _GAP_TOKEN.findall(text):
        if gap:
            if multiline and current and "\n" in gap:
                out.append(current)
                current = []
            pos += len(gap)
        end = pos + len(tok)
        current.append((tok, pos, end))
        pos = end
        if tok in _SENT_END or len(current) >= max_tokens:
            out.append(current)
            current = []
    if current:
        out.append(current)
    return out


def sentences(text: str, max_tokens: int = MAX_SENT_TOKENS) -> list[list[Token]]:
    """Tokens grouped into sentences: cut at sentence-final marks and line breaks, then into chunks
    of at most `max_tokens` (the tagger was trained on sentences; endless paragraphs hurt it)."""
    return [[Token(*t) for t in s] for s in sentence_spans(text, max_tokens)]
