"""One story's picture: entities, dates and timeline, quotes, brief and disputed claims.

`StoryAnalyzer.analyze(articles)` runs the understanding stages over the articles of one story.
Each stage is passed in (defaults load lazily), so tests and benches can swap any of them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np

from ..model import Article, Dispute, Entity, Mention, Quote, Statement, TimelineEvent, time_order

Embed = Callable[[list[str]], np.ndarray]


@dataclass(slots=True)
class StoryAnalysis:
    entities: list[Entity] = field(default_factory=list)
    timeline: list[TimelineEvent] = field(default_factory=list)
    quotes: list[Quote] = field(default_factory=list)
    brief: list[Statement] = field(default_factory=list)
    disputed: list[Dispute] = field(default_factory=list)
    published: dict[str, date | None] = field(default_factory=dict)


class StoryAnalyzer:
    """Runs NER, canonicalisation, quotes, dates/timeline, brief and disputes over one story.

    Picklable before first use (every stage loads lazily), so a pool can ship it to workers.
    """

    def __init__(
        self,
        ner: Any = None,
        canonicaliser: Any = None,
        quotes: Any = None,
        dates: Any = None,
        brief: Any = None,
        disputes: Any = None,
        embed: Embed | None = None,
        threads: int | None = None,
    ) -> None:
        self.threads = threads
        self._ner = ner
        self._canon = canonicaliser
        self._quotes = quotes
        self._dates = dates
        self._brief = brief
        self._disputes = disputes
        self._embed = embed

    # Lazily built defaults: loading the NER model or USE costs time a caller may not need.
    @property
    def ner(self) -> Any:
        if self._ner is None:
            from .ner import NerModel

            self._ner = NerModel.load()
        return self._ner

    @property
    def canonicaliser(self) -> Any:
        if self._canon is None:
            from .entities import EntityCanonicaliser

            self._canon = EntityCanonicaliser()
        return self._canon

    @property
    def quote_extractor(self) -> Any:
        if self._quotes is None:
            from .quotes import QuoteExtractor

            self._quotes = QuoteExtractor()
        return self._quotes

    @property
    def date_extractor(self) -> Any:
        if self._dates is None:
            from .dates import DateExtractor

            self._dates = DateExtractor()
        return self._dates

    @property
    def embed(self) -> Embed:
        if self._embed is None:
            import os

            from ..embed import CachedEmbed, USEEmbedder

            # By default stages run after the text workers have finished, so every core is free
            # for USE; a worker process of a pool is given threads=1.
            self._embed = CachedEmbed(USEEmbedder(threads=self.threads or os.cpu_count() or 1).embed)
        return self._embed

    @property
    def brief_builder(self) -> Any:
        if self._brief is None:
            from ..brief import BriefBuilder

            self._brief = BriefBuilder(embed=self.embed)
        return self._brief

    @property
    def dispute_finder(self) -> Any:
        if self._disputes is None:
            from .disputes import DisputeFinder

            self._disputes = DisputeFinder(embed=self.embed)
        return self._disputes

    def mentions(self, article: Article) -> list[Mention]:
        found: list[Mention] = []
        for i, para in enumerate(article.paragraphs):
            for start, end, typ in self.ner.mentions(para.text, para.lang):
                found.append(Mention(para.text[start:end], typ, article.id, i, start, end))
        return found

    def analyze(self, articles: Sequence[Article]) -> StoryAnalysis:
        from .dates import anchor_articles, resolve_mention
        from .timeline import build_timeline, extract_article_mentions

        ordered = time_order(list(articles))
        mentions: list[Mention] = []
        for art in ordered:
            mentions.extend(self.mentions(art))
        mentions = propagate_mentions(ordered, mentions, getattr(self.ner, "known", None))
        entities, entity_of = self.canonicaliser.canonicalise(mentions)
        by_article: dict[str, list[int]] = {}
        for k, m in enumerate(mentions):
            by_article.setdefault(m.article, []).append(k)
        quotes: list[Quote] = []
        for art in ordered:
            idx = by_article.get(art.id, [])
            quotes.extend(
                self.quote_extractor.extract(art, [mentions[k] for k in idx], [entity_of[k] for k in idx], entities)
            )

        raw = {a.id: extract_article_mentions(a, self.date_extractor, None) for a in ordered}
        published = anchor_articles([(a.id, a.published, [m for _, m in raw[a.id]]) for a in ordered])
        resolved = {aid: [(pi, resolve_mention(m, published[aid])) for pi, m in pairs] for aid, pairs in raw.items()}
        multi = len(ordered) > 1
        timeline = build_timeline(ordered, resolved, published, self.embed if multi else None)

        para_dates: dict[tuple[str, int], str] = {}
        for aid, pairs in resolved.items():
            for pi, m in pairs:
                if m.date and m.granularity == "day":
                    key = (aid, pi)
                    para_dates[key] = min(para_dates.get(key, m.date), m.date)
        if multi:
            brief = self.brief_builder.build(ordered, para_dates)
            disputed = self.dispute_finder.find(ordered, self.embed)
        else:
            # One article: nothing to group across outlets, so no sentence embeddings; its brief
            # is its lead, and a dispute can only be one it reports itself.
            brief = lead_statements(ordered[0])
            disputed = self.dispute_finder.find(ordered, None)
        entities = _with_articles_ordered(entities)
        return StoryAnalysis(entities, timeline, quotes, brief, disputed, published)


def lead_statements(article: Article, n: int = 3) -> list[Statement]:
    """The first `n` statement-like sentences of one article, verbatim, as a single-source brief."""
    from ..brief import sentence_units

    units = sentence_units([article])
    units.sort(key=lambda u: u.position)
    return [Statement(u.text, [article.id], u.lang) for u in units[:n]]


_CLITICS = "(?:وب|ول|وك|فب|فل|و|ف|ب|ل|ك)?"
_MIN_SURNAME = 4


def propagate_mentions(
    articles: Sequence[Article], mentions: list[Mention], name_words: set[str] | None = None
) -> list[Mention]:
    """Story-level consistency for NER output (one sense per story).

    A name the tagger found once is a name wherever else the story writes it: every other
    occurrence of a found surface form (with a leading clitic allowed) becomes a mention, and the
    surname of a multi-word person name found anywhere marks its bare uses ("بيسكوف" after
    "دميتري بيسكوف"). Each surface form then takes the majority type of its mentions, so one
    name is not split into a person and a place by a tagging slip. Found mentions are kept;
    added ones never overlap them.
    """
    import re
    from collections import Counter, defaultdict

    from ..text.normalize import match_form

    mentions = _trim_run_on(mentions, name_words or set())
    votes: dict[str, Counter[str]] = defaultdict(Counter)
    shown: dict[str, str] = {}
    for m in mentions:
        key = match_form(m.text)
        if len(key) < 3:
            continue
        votes[key][m.type] += 1
        shown.setdefault(key, m.text)
        words = m.text.split()
        if m.type == "PER" and len(words) >= 2 and len(words[-1]) >= _MIN_SURNAME:
            sk = match_form(words[-1])
            votes[sk]["PER"] += 0  # known, typed by its own mentions if any, else PER below
            shown.setdefault(sk, words[-1])
    if not shown:
        return mentions
    # Spellings of one name (كينجال / كينغال) share a transliteration skeleton: they vote together,
    # so a tagging slip cannot give one spelling another type and keep them apart.
    from .translit import skeleton

    by_skeleton: dict[str, Counter[str]] = defaultdict(Counter)
    for k, c in votes.items():
        by_skeleton[skeleton(k)].update(c)

    def vote(k: str) -> str:
        c = by_skeleton[skeleton(k)] if skeleton(k) else votes[k]
        return c.most_common(1)[0][0] if sum(c.values()) else "PER"

    type_of = {k: vote(k) for k in votes}
    surfaces = sorted(set(shown.values()), key=len, reverse=True)
    pattern = re.compile(
        # \w covers Arabic letters; punctuation such as the Arabic comma must not block a match.
        r"(?<!\w)" + _CLITICS + "(" + "|".join(re.escape(s) for s in surfaces) + r")(?!\w)"
    )
    taken: dict[tuple[str, int], list[tuple[int, int]]] = defaultdict(list)
    for m in mentions:
        taken[(m.article, m.paragraph)].append((m.start, m.end))
    out = [
        Mention(m.text, type_of.get(match_form(m.text), m.type), m.article, m.paragraph, m.start, m.end)
        for m in mentions
    ]
    for art in articles:
        for pi, para in enumerate(art.paragraphs):
            spans = taken[(art.id, pi)]
            for hit in pattern.finditer(para.text):
                start, end = hit.span(1)
                if any(s < end and start < e for s, e in spans):
                    continue
                key = match_form(hit.group(1))
                out.append(Mention(hit.group(1), type_of.get(key, "PER"), art.id, pi, start, end))
                spans.append((start, end))
    return out


def _trim_run_on(mentions: list[Mention], name_words: set[str]) -> list[Mention]:
    """Cut a mention down to the name inside it when the tagger ran on into a neighbouring word.

    "ستساعد بيونغ يانغ" ('will help Pyongyang') seen once, beside "بيونغ يانغ" seen ten times: the
    contiguous sub-span of words that the story writes at least twice as often as the whole
    mention is the name, provided no word cut off is a known name word (`name_words`: gazetteer
    and training names, matching form), so "فلاديمير بوتين" never loses its first name.
    """
    from collections import Counter

    from ..text.normalize import match_form

    counts = Counter(match_form(m.text) for m in mentions)
    out: list[Mention] = []
    for m in mentions:
        words = m.text.split(" ")
        whole = counts[match_form(m.text)]
        best: tuple[int, int, int] | None = None  # (count, first word, last word + 1)
        if len(words) >= 2:
            for i in range(len(words)):
                for j in range(i + 1, len(words) + 1):
                    if (i, j) == (0, len(words)):
                        continue
                    cut = [match_form(w) for w in words[:i] + words[j:]]
                    if any(w in name_words for w in cut):
                        continue
                    c = counts.get(match_form(" ".join(words[i:j])), 0)
                    if c >= max(2, 2 * whole) and (best is None or (j - i, c) > (best[2] - best[1], best[0])):
                        best = (c, i, j)
        if best is None:
            out.append(m)
            continue
        _, i, j = best
        start = m.start + sum(len(w) + 1 for w in words[:i])
        text = " ".join(words[i:j])
        out.append(Mention(text, m.type, m.article, m.paragraph, start, start + len(text)))
    return out


def _with_articles_ordered(entities: list[Entity]) -> list[Entity]:
    """Most widely reported entities first: a reader scans the top of the list."""
    return sorted(entities, key=lambda e: (-len(e.articles), -len(e.variants), e.name))
