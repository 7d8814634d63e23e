"""One story's picture: entities, dates and timeline, quotes, brief and disputed claims.

`StoryAnalyzer.analyze(articles)` runs the understanding stages over the articles of one story.
Each stage is passed in (defaults load lazily), so tests and benches can swap any of them.
"""

from __future__ import annotations

import json
from bisect import bisect_right
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np

from ..model import Article, Dispute, Entity, Mention, Quote, Statement, TimelineEvent, time_order
from ..text.normalize import Forms
from .dates import TimeMention
from .propagate import propagate_mentions


def _time_fields() -> tuple[str, ...]:
    """TimeMention's fields, in order: the stored form of a date expression is this row."""
    from dataclasses import fields

    return tuple(f.name for f in fields(TimeMention))


Embed = Callable[[list[str]], np.ndarray]


# Bump when a code change alters what `StoryAnalyzer.facts` returns for the same models: stored
# facts of another version are then recomputed instead of reused.
FACTS_VERSION = 2  # 2: ordinal-word days of the month (السادس والعشرين من مارس)
# Bump when the embedder's input for a sentence changes (kept sentence vectors are then not reused).
VECTORS_VERSION = 1


@dataclass(slots=True)
class ArticleFacts:
    """What understanding reads from one article alone: its NER mentions and its temporal
    expressions (unresolved: resolving them needs the story's anchoring). They do not depend on
    the story, so they are computed once per article (on the workers, while the stories stage
    runs) and kept in the store for the next time the article's story changes."""

    mentions: list[Mention] = field(default_factory=list)
    dates: list[tuple[int, TimeMention]] = field(default_factory=list)

    def to_json(self) -> str:
        names = _time_fields()
        ms = [[m.text, m.type, m.paragraph, m.start, m.end, m.alias] for m in self.mentions]
        ds = [[pi, *(getattr(t, f) for f in names)] for pi, t in self.dates]
        return json.dumps({"m": ms, "d": ds}, ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def from_json(cls, article_id: str, text: str) -> ArticleFacts:
        d = json.loads(text)
        names = _time_fields()
        mentions = [Mention(t, typ, article_id, pi, a, b, alias) for t, typ, pi, a, b, alias in d["m"]]
        dates = [(row[0], TimeMention(**dict(zip(names, row[1:], strict=True)))) for row in d["d"]]
        return cls(mentions, dates)


@dataclass(slots=True)
class StoryAnalysis:
    entities: list[Entity] = field(default_factory=list)
    timeline: list[TimelineEvent] = field(default_factory=list)
    quotes: list[Quote] = field(default_factory=list)
    brief: list[Statement] = field(default_factory=list)
    disputed: list[Dispute] = field(default_factory=list)
    published: dict[str, date | None] = field(default_factory=dict)
    # Facts of this story's articles that `analyze` had to compute (none were passed in), for the
    # caller to keep.
    new_facts: dict[str, ArticleFacts] = field(default_factory=dict)
    # Sentence vectors `analyze` computed when the caller keeps them (`vectors` was passed):
    # article id -> {text digest: vector}.
    new_vectors: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)


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
        self._ner_given = ner is not None
        self._dates_given = dates is not None
        self._facts_kind: str | None = None
        self._embed_given = embed is not None
        self._use: Any = None
        self._ner = ner
        self._canon = canonicaliser
        self._quotes = quotes
        self._dates = dates
        self._brief = brief
        self._disputes = disputes
        self._embed = embed
        self._rules: Any = None
        # Matching forms and stems of words, remembered across the stories this analyzer reads
        # (news repeats its words); shared by the passes built here.
        self.forms = Forms()

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

            self._canon = EntityCanonicaliser(forms=self.forms)
        return self._canon

    @property
    def quote_extractor(self) -> Any:
        if self._quotes is None:
            from .quotes import QuoteExtractor

            self._quotes = QuoteExtractor(forms=self.forms)
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
            from ..embed import CachedEmbed

            self._embed = CachedEmbed(self._use_embedder().embed)
        return self._embed

    def _use_embedder(self) -> Any:
        if self._use is None:
            from ..embed import USEEmbedder

            # One BLAS thread unless told otherwise: USE's matrices are small, and on a shared
            # 2-core machine a second thread cost 4x the CPU for no gain in wall time
            # (docs/benchmarks/pipeline.md); a pool uses the cores with processes instead.
            self._use = USEEmbedder(threads=self.threads or 1)
        return self._use

    @property
    def vectors_kind(self) -> str | None:
        """The name kept sentence vectors are stored under: the embedder's identity and
        VECTORS_VERSION. None when a caller passed its own `embed`, whose vectors the store must
        not mix with the default encoder's."""
        if self._embed_given:
            return None
        return f"sentvec:{VECTORS_VERSION}:{self._use_embedder().identity}"

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

            self._disputes = DisputeFinder(embed=self.embed, forms=self.forms)
        return self._disputes

    @property
    def rules(self) -> Any:
        """The story rules of `propagate_mentions`, built once: building them costs ~9 ms, which
        per story was a fifth of the understanding stage on a day of news."""
        if self._rules is None:
            from .rules import StoryRules

            self._rules = StoryRules.default(forms=self.forms)
        return self._rules

    def warm(self) -> None:
        """Load every model now (a pool worker does this while the stories stage still runs)."""
        _ = (self.ner, self.canonicaliser, self.quote_extractor, self.date_extractor, self.rules)
        _ = (self.brief_builder, self.dispute_finder)
        self.embed(["."])

    @property
    def facts_kind(self) -> str | None:
        """The name stored facts are kept under: the packaged NER model files' digest and
        FACTS_VERSION. None when a caller passed its own NER or date extractor, whose output the
        store must not mix with the default models'."""
        if self._ner_given or self._dates_given:
            return None
        if self._facts_kind is None:
            import hashlib
            from importlib import resources

            h = hashlib.sha1()
            data = resources.files("rasid").joinpath("data")
            for name in ("ner.crfsuite", "ner.doc.crfsuite", "ner.resources.json.gz"):
                f = data.joinpath(name)
                if f.is_file():
                    h.update(f.read_bytes())
            h.update(" ".join(_time_fields()).encode())
            self._facts_kind = f"facts:{FACTS_VERSION}:{h.hexdigest()[:16]}"
        return self._facts_kind

    def facts(self, article: Article) -> ArticleFacts:
        """NER mentions and temporal expressions of one article (story-independent)."""
        return self.facts_of([article])[article.id]

    def facts_of(self, articles: Sequence[Article]) -> dict[str, ArticleFacts]:
        """id -> `facts` of each article: one pool task carries a chunk of articles, whose
        Arabic text the tagger reads in one batch."""
        from .timeline import extract_article_mentions

        found = self.mentions_of(articles)
        return {
            a.id: ArticleFacts(m, extract_article_mentions(a, self.date_extractor, None))
            for a, m in zip(articles, found, strict=True)
        }

    def mentions(self, article: Article) -> list[Mention]:
        """NER mentions of one article. Its Arabic paragraphs go to the tagger as one text, one
        paragraph per line, so the tagger's document pass sees the whole article (a name tagged
        with confidence in one paragraph helps its uncertain uses in the others)."""
        return self.mentions_of([article])[0]

    def mentions_of(self, articles: Sequence[Article]) -> list[list[Mention]]:
        """`mentions` of each article; the articles' Arabic texts are tagged in one batch (each
        still one document) when the tagger can (`mentions_many`)."""
        arabic_of = [[(i, p) for i, p in enumerate(a.paragraphs) if p.lang == "ar"] for a in articles]
        texts = ["\n".join(p.text.replace("\n", " ") for _, p in arabic) for arabic in arabic_of]
        todo = [k for k, arabic in enumerate(arabic_of) if arabic]
        many = getattr(self.ner, "mentions_many", None)
        if many is not None:
            tagged = dict(zip(todo, many([texts[k] for k in todo], "ar"), strict=True))
        else:
            tagged = {k: self.ner.mentions(texts[k], "ar") for k in todo}
        out: list[list[Mention]] = []
        for k, (article, arabic) in enumerate(zip(articles, arabic_of, strict=True)):
            found: list[Mention] = []
            if arabic:
                starts, pos = [], 0
                for _, p in arabic:
                    starts.append(pos)
                    pos += len(p.text) + 1
                for start, end, typ in tagged[k]:
                    j = bisect_right(starts, start) - 1
                    i, para = arabic[j]
                    a, b = start - starts[j], end - starts[j]
                    if b <= len(para.text):  # spans never cross a paragraph break (a line end)
                        found.append(Mention(para.text[a:b], typ, article.id, i, a, b))
            for i, para in enumerate(article.paragraphs):
                if para.lang != "ar":
                    for start, end, typ in self.ner.mentions(para.text, para.lang):
                        found.append(Mention(para.text[start:end], typ, article.id, i, start, end))
            found.sort(key=lambda m: (m.paragraph, m.start))
            out.append(found)
        return out

    def analyze_with(self, task: tuple[Any, ...]) -> StoryAnalysis:
        """`analyze(articles, facts[, vectors])` with its arguments as one pool task."""
        return self.analyze(*task)

    def analyze(
        self,
        articles: Sequence[Article],
        facts: Mapping[str, ArticleFacts] | None = None,
        vectors: dict[str, np.ndarray] | None = None,
    ) -> StoryAnalysis:
        """The story's picture. `facts` holds articles' `facts` already computed (by id); the
        others are computed here and returned in `new_facts`. `vectors` (text digest -> vector,
        kept by the store under `vectors_kind`), when given, is read before the encoder runs, and
        the sentence vectors computed here come back in `new_vectors` for the caller to keep;
        None keeps nothing."""
        from .dates import anchor_articles, resolve_mention
        from .timeline import build_timeline

        ordered = time_order(list(articles))
        known = dict(facts or {})
        new_facts = self.facts_of([a for a in ordered if a.id not in known])
        known.update(new_facts)
        mentions: list[Mention] = []
        for art in ordered:
            mentions.extend(known[art.id].mentions)
        mentions = propagate_mentions(ordered, mentions, getattr(self.ner, "known", None), rules=self.rules)
        entities, entity_of = self.canonicaliser.canonicalise(mentions)
        by_article: dict[str, list[int]] = {}
        for k, m in enumerate(mentions):
            by_article.setdefault(m.article, []).append(k)
        quotes: list[Quote] = []
        for art in ordered:
            idx = by_article.get(art.id, [])
            quotes.extend(
                self.quote_extractor.extract(
                    art, [mentions[k] for k in idx], [entity_of[k] for k in idx], entities
                )
            )

        raw = {a.id: known[a.id].dates for a in ordered}
        published = anchor_articles([(a.id, a.published, [m for _, m in raw[a.id]]) for a in ordered])
        resolved = {
            aid: [(pi, resolve_mention(m, published[aid])) for pi, m in pairs] for aid, pairs in raw.items()
        }
        multi = len(ordered) > 1
        embed: Any = self.embed
        if vectors is not None:
            from ..embed import KeptEmbed

            embed = KeptEmbed(self.embed, vectors)
        timeline = build_timeline(ordered, resolved, published, embed if multi else None, self.forms)

        para_dates: dict[tuple[str, int], str] = {}
        day_spans: dict[tuple[str, int], list[tuple[int, int, str]]] = {}
        for aid, pairs in resolved.items():
            for pi, tm in pairs:
                if tm.date and tm.granularity == "day":
                    key = (aid, pi)
                    para_dates[key] = min(para_dates.get(key, tm.date), tm.date)
                    day_spans.setdefault(key, []).append((tm.start, tm.end, tm.date))
        # One pass over the story's sentences serves the brief (or lead) and the disputes.
        from ..brief import sentence_units

        units = sentence_units(
            ordered, min_tokens=min(self.dispute_finder.min_tokens, _LEAD_MIN_TOKENS), forms=self.forms
        )
        if multi:
            spans: dict[tuple[str, int], list[tuple[int, int, int]]] = {}
            for k, m in enumerate(mentions):
                if entity_of[k] >= 0:
                    spans.setdefault((m.article, m.paragraph), []).append((m.start, m.end, entity_of[k]))
            brief = self.brief_builder.build(
                ordered, para_dates, units=units, embed=embed, mentions=spans, days=day_spans
            )
            disputed = self.dispute_finder.find(ordered, embed, units=units)
        else:
            # One article: nothing to group across outlets, so no brief or timeline embeddings;
            # its brief is its lead, and a dispute can only be one it reports itself (the finder
            # embeds with its own callable, or with the one reading kept vectors).
            brief = lead_statements(ordered[0], units=units)
            disputed = self.dispute_finder.find(ordered, embed if vectors is not None else None, units=units)
        entities = _with_articles_ordered(entities)
        kept = embed.fresh_by_article(ordered) if embed is not self.embed else {}
        return StoryAnalysis(entities, timeline, quotes, brief, disputed, published, new_facts, kept)


_LEAD_MIN_TOKENS = 6  # a lead sentence has at least this many words (the brief's default)


def lead_statements(article: Article, n: int = 3, units: Sequence[Any] | None = None) -> list[Statement]:
    """The first `n` statement-like sentences of one article, verbatim, as a single-source brief.

    `units` (the article's `sentence_units`, cut at no more than 6 words) saves a second split."""
    from ..brief import sentence_units

    if units is None:
        units = sentence_units([article], _LEAD_MIN_TOKENS)
    else:
        units = [u for u in units if u.n_tokens >= _LEAD_MIN_TOKENS]
    units.sort(key=lambda u: u.position)
    return [Statement(u.text, [article.id], u.lang) for u in units[:n]]


def _with_articles_ordered(entities: list[Entity]) -> list[Entity]:
    """Most widely reported entities first: a reader scans the top of the list."""
    return sorted(entities, key=lambda e: (-len(e.articles), -len(e.variants), e.name))
