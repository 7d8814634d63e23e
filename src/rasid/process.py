"""The text half of the pipeline: a raw document becomes a cleaned Article.

clean -> language per paragraph -> sentences, then the article's id and content hash. The stages are
passed in (see `pipeline.py`); `default_text_pipeline()` wires the shipped defaults.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from .model import Article, IngestError, Paragraph, RawDoc
from .pipeline import Cleaner, LanguageIdentifier, SentenceSplitter

_TITLE_MAX = 120


def content_hash(title: str, text: str, source: str | None, url: str | None) -> str:
    """Identity of an article's content: the same report from the same place hashes the same.

    Whitespace is folded, nothing else: a re-read of the same input hashes the same. Source and URL
    take part so that one wire story printed by two outlets stays two articles
    (their sameness is the duplicate detector's business, not the store's).
    """
    key = "\x1f".join([" ".join(title.split()), " ".join(text.split()), source or "", url or ""])
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def _fallback_title(paragraphs: list[Paragraph]) -> str:
    """A title for an untitled article: its first sentence, cut at a word boundary."""
    if not paragraphs:
        return ""
    first = paragraphs[0].sentences[0] if paragraphs[0].sentences else paragraphs[0].text
    if len(first) <= _TITLE_MAX:
        return first
    cut = first[:_TITLE_MAX].rsplit(" ", 1)[0]
    return cut + "…"


@dataclass(slots=True)
class TextPipeline:
    cleaner: Cleaner
    language: LanguageIdentifier
    splitter: SentenceSplitter

    def process(self, doc: RawDoc) -> Article | IngestError:
        """Clean one document; an IngestError (never an exception) when nothing usable is left.

        A document with a title and no body (a title-only feed item, a record with empty content,
        or a body that cleaning emptied) is kept as a title-only article: no paragraphs, its story
        found by its title (CONTRACT.md, "Input records").
        """
        raw = doc.text or ""
        title = (doc.title or "").strip()
        if not raw.strip() and not title:
            return IngestError(doc.origin, "no title and no text after reading the input")
        texts, removed = self.cleaner.clean(raw, doc.title) if raw.strip() else ([], [])
        paragraphs = [
            Paragraph(text=t, lang=self.language.detect(t), sentences=self.splitter.split(t)) for t in texts
        ]
        if not paragraphs and not title:
            return IngestError(doc.origin, "no prose left after cleaning, and no title")
        title = title or _fallback_title(paragraphs)
        chash = content_hash(title, "\n".join(texts), doc.source, doc.url)
        return Article(
            id=doc.id or doc.url or f"h{chash[:16]}",
            origin=doc.origin,
            raw_text=raw,
            content_hash=chash,
            title=title,
            url=doc.url,
            source=doc.source,
            published=doc.published,
            author=doc.author,
            paragraphs=paragraphs,
            removed=removed,
        )


def default_text_pipeline() -> TextPipeline:
    from .text.clean import NewsCleaner
    from .text.language import FastTextLanguage
    from .text.sentences import ArabicSentenceSplitter

    return TextPipeline(NewsCleaner(), FastTextLanguage(), ArabicSentenceSplitter())
