"""The brief's candidate statements: the sentences of a story's articles, as `Unit`s, in
publication order, with their content stems; the default sentence embedder."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from ..embed import CachedEmbed, USEEmbedder
from ..model import Article, publication_key
from ..pipeline import SentenceSplitter
from ..text.normalize import Forms, arabic_ratio, form_tokens, match_form, tokens

Embed = Callable[[list[str]], np.ndarray]
"""Texts -> (N, D) float array with L2-normalised rows."""

# Function words that carry no statement content; stripped before lexical overlap so two sentences
# do not look alike because both say "في" and "أن". Matching forms, stemmed at comparison time.
_STOPWORDS = frozenset(
    [
        "في",
        "من",
        "على",
        "الي",
        "عن",
        "مع",
        "ان",
        "او",
        "ثم",
        "قد",
        "لا",
        "لم",
        "لن",
        "ما",
        "ماذا",
        "هذا",
        "هذه",
        "ذلك",
        "تلك",
        "هو",
        "هي",
        "هم",
        "التي",
        "الذي",
        "الذين",
        "كان",
        "كانت",
        "يكون",
        "بين",
        "بعد",
        "قبل",
        "عند",
        "حيث",
        "كما",
        "ايضا",
        "اي",
        "كل",
        "منذ",
        "خلال",
        "حول",
        "الا",
        "غير",
        "لدي",
        "لقد",
        "وقد",
        "فقد",
        "وفي",
        "ومن",
        "وعلي",
        "والي",
        "وان",
        "او",
        "اما",
        "كذلك",
        "حتي",
        "اذا",
        "انه",
        "انها",
        "بان",
        "وكان",
        "وكانت",
        "عليه",
        "عليها",
        "له",
        "لها",
        "به",
        "بها",
        "فيه",
        "فيها",
        "منه",
        "منها",
        "الذي",
        "وهو",
        "وهي",
    ]
)
_FALLBACK_SPLIT = re.compile(r"(?<=[.!?؟])\s+")
# A paragraph that does not end like a sentence and is short is a heading, a caption or a byline.
_TERMINAL = (".", "!", "?", "؟", "…", ":", '"', "»", "”", ")", "'")
_EDGE_JUNK = " \t\u00a0•·▪●◦*-–—"
# A photo credit closing a line that does not end like a sentence: "... - رويترز", "– AFP".
_CREDIT = re.compile(r"\s[-–—]\s*\S+(?:\s\S+){0,2}$")


class RegexSentenceSplitter:
    """The fallback splitter: a sentence ends at . ! ? or ؟ followed by white space.

    Used only for paragraphs that arrive without sentences; the pipeline's own splitter is better.
    """

    def split(self, text: str) -> list[str]:
        return [s for s in (p.strip() for p in _FALLBACK_SPLIT.split(text)) if s]


class UseEmbedder(CachedEmbed):
    """The multilingual USE (`rasid.embed.USEEmbedder`, loaded on first use) with a text -> vector
    cache, so one instance shared by the brief and the dispute finder embeds each sentence once.
    One thread by default: the pure-numpy forward pass gains little from more on a shared machine.
    """

    def __init__(self, threads: int = 1, cache_size: int = 20_000) -> None:
        super().__init__(USEEmbedder(threads=threads).embed, max_items=cache_size)


@dataclass(slots=True, frozen=True)
class Unit:
    """One candidate statement: a sentence of an article, with where it sits."""

    article: str
    source: str
    rank: int  # the article's place in publication order (earliest first, then input order)
    paragraph: int
    sentence: int
    text: str  # verbatim, only stripped of edge whitespace and bullets
    lang: str
    stems: tuple[str, ...]  # content stems in order
    n_tokens: int = 0  # words, so callers can share one unit list cut at different lengths
    start: int = -1  # where the sentence starts in its paragraph's text (-1: not found verbatim)
    form: str | None = None  # `match_form(text)`, kept for the passes that read it again (disputes)

    @property
    def position(self) -> tuple[int, int, int]:
        return (self.rank, self.paragraph, self.sentence)


def article_order(articles: Sequence[Article]) -> list[int]:
    """Indices of `articles` sorted by publication time, input order breaking ties (undated last)."""
    return sorted(range(len(articles)), key=lambda i: publication_key(articles[i], i))


def content_stems(text: str) -> tuple[str, ...]:
    """Light stems of the content words of `text`, in order (function words, 1-letter tokens dropped)."""
    return _stems_of(tokens(text), Forms())


def _stems_of(toks: list[str], forms: Forms) -> tuple[str, ...]:
    """`content_stems` of already tokenised text; `forms` (kept by the caller) remembers the stems
    of the words news repeats (most of them)."""
    get, stem = forms.stem_of.get, forms.stem
    return tuple(
        [s if (s := get(t)) is not None else stem(t) for t in toks if len(t) > 1 and t not in _STOPWORDS]
    )


def _guess_lang(text: str, paragraph_lang: str) -> str:
    if paragraph_lang and paragraph_lang != "und":
        # A paragraph tagged Arabic can still hold one foreign sentence; trust the letters then.
        if paragraph_lang == "ar" and arabic_ratio(text) < 0.3:
            return "und"
        return paragraph_lang
    return "ar" if arabic_ratio(text) >= 0.5 else "und"


def sentence_units(
    articles: Sequence[Article],
    min_tokens: int = 6,
    heading_tokens: int = 15,
    splitter: SentenceSplitter | None = None,
    forms: Forms | None = None,
) -> list[Unit]:
    """Every sentence of the story that could be a statement, in publication order.

    Skipped: sentences under `min_tokens` words; headings, i.e. one-sentence paragraphs of at most
    `heading_tokens` words that do not end like a sentence (titles, bylines); photo captions (such a
    paragraph closing on "- <credit>"); and a paragraph repeated within one article. `forms`
    (kept by the caller across stories) remembers the stems of words.
    """
    split = (splitter or RegexSentenceSplitter()).split
    units: list[Unit] = []
    forms = forms or Forms()
    for rank, index in enumerate(article_order(articles)):
        art = articles[index]
        source = art.source or art.id
        seen: set[str] = set()
        for p_idx, para in enumerate(art.paragraphs):
            key = match_form(para.text)
            if key in seen:  # a caption or pull quote printed twice
                continue
            seen.add(key)
            sentences = para.sentences or split(para.text)
            stripped = para.text.rstrip()
            if (
                len(sentences) == 1
                and not stripped.endswith(_TERMINAL)
                and (len(form_tokens(key)) <= heading_tokens or _CREDIT.search(stripped))
            ):
                continue
            cursor = 0
            for s_idx, raw in enumerate(sentences):
                text = raw.strip(_EDGE_JUNK)
                at = para.text.find(text, cursor) if text else -1
                if at >= 0:
                    cursor = at + len(text)
                form = match_form(text)
                toks = form_tokens(form)  # `tokens(text)`, the form kept
                n_tokens = len(toks)
                if n_tokens < min_tokens:
                    continue
                units.append(
                    Unit(
                        art.id,
                        source,
                        rank,
                        p_idx,
                        s_idx,
                        text,
                        _guess_lang(text, para.lang),
                        _stems_of(toks, forms),
                        n_tokens,
                        at,
                        form,
                    )
                )
    return units
