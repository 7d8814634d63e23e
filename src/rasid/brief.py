"""Cross-source synthesis: what the outlets of one story say in common, and what only one says.

A story is a handful of articles that retell the same events: wire copies repeat sentences almost
verbatim, other outlets reword them, some translate them. The brief groups the sentences that state
the same thing across articles, then picks a few groups as statements. Two signals link sentences:
lexical overlap of light stems on the matching form (it catches wire copies with certainty, whatever
the embedder thinks) and sentence-embedding cosine (it catches rewordings and other languages). The
quoted text of a statement is always a sentence of the first article that reports it, verbatim:
nothing here writes text.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from .embed import CachedEmbed, USEEmbedder
from .model import Article, Statement, publication_key
from .pipeline import SentenceSplitter
from .text.normalize import Forms, arabic_ratio, match_form, tokens

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
    stem_of, stem = forms.stem_of, forms.stem
    out = []
    for t in toks:
        if len(t) > 1 and t not in _STOPWORDS:
            s = stem_of.get(t)
            out.append(s if s is not None else stem(t))
    return tuple(out)


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
                and (len(tokens(para.text)) <= heading_tokens or _CREDIT.search(stripped))
            ):
                continue
            cursor = 0
            for s_idx, raw in enumerate(sentences):
                text = raw.strip(_EDGE_JUNK)
                at = para.text.find(text, cursor) if text else -1
                if at >= 0:
                    cursor = at + len(text)
                toks = tokens(text)
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
                    )
                )
    return units


def _features(stems: Sequence[str]) -> set[str]:
    """Content stems and pairs of consecutive content stems: shared pairs are what copies share."""
    feats = set(stems)
    feats.update(f"{a} {b}" for a, b in zip(stems, stems[1:], strict=False))
    return feats


def lexical_overlap(units: Sequence[Unit]) -> np.ndarray:
    """Pairwise weighted containment of stem unigrams and bigrams, IDF-weighted within the story.

    Containment (shared weight over the smaller sentence's weight) rather than Jaccard because wire
    copies are often cut or extended by a clause. IDF is computed over the story's own sentences:
    the names every sentence of a story repeats (كيم، روسيا) weigh little, so two sentences look
    alike for what they say, not for what the story is about. `damping` (in IDF units) keeps a
    three-word sentence inside a long one from looking like a copy.
    """
    n = len(units)
    if n == 0:
        return np.zeros((0, 0), dtype=np.float32)
    vocab: dict[str, int] = {}
    rows: list[int] = []
    cols: list[int] = []
    for i, u in enumerate(units):
        for f in _features(u.stems):
            rows.append(i)
            cols.append(vocab.setdefault(f, len(vocab)))
    from scipy.sparse import csr_matrix  # scipy comes with the `stories` extra (scikit-learn)

    x = csr_matrix((np.ones(len(rows), dtype=np.float32), (rows, cols)), shape=(n, max(len(vocab), 1)))
    df = np.asarray(x.sum(axis=0)).ravel()
    idf = np.log1p(n / np.maximum(df, 1.0)).astype(np.float32)
    xw = x.multiply(idf[None, :]).tocsr()
    inter = (xw @ x.T).toarray()
    weight = np.asarray(xw.sum(axis=1)).ravel()
    smaller = np.minimum(weight[:, None], weight[None, :])
    damping = 2.0 * float(np.log1p(n))
    return (inter / (smaller + damping)).astype(np.float32)


@dataclass(slots=True, frozen=True)
class LinkThresholds:
    """When two sentences of different articles say the same thing.

    Linked if lexical overlap >= `lexical`, or cosine >= `semantic`, or both cosine >= `semantic_mid`
    and overlap >= `lexical_mid`. Within one article only near-verbatim repeats link
    (`same_article`). Defaults chosen on SaudiNewsNet dev events and the seed gold pairs
    (bench/brief_eval.py, docs/benchmarks/brief.md).
    """

    lexical: float = 0.6
    semantic: float = 0.85
    semantic_mid: float = 0.65
    lexical_mid: float = 0.35
    same_article: float = 0.85
    # Average-link guard: two groups merge only if their mean pair score stays at or above this
    # (1.0: the average pair across them is itself linked). 0.85 let topic chains through.
    group_mean: float = 1.0


def link_scores(lex: np.ndarray, cos: np.ndarray, same_article: np.ndarray, t: LinkThresholds) -> np.ndarray:
    """One score per pair, >= 1 where the pair is linked (each rule scaled by its threshold)."""
    mid = np.minimum(cos / t.semantic_mid, lex / t.lexical_mid)
    score = np.maximum(np.maximum(lex / t.lexical, cos / t.semantic), mid)
    score = np.where(same_article, lex / t.same_article, score)
    np.fill_diagonal(score, 0.0)
    return score.astype(np.float32)


# -- grouping by meaning: a pair score learned on hand-made statements ---------------------------

_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")
_NUMBER = re.compile(r"\d+(?:[.,:]\d+)*")

PAIR_FEATURES = (
    "cosine",  # sentence vectors (0 when either sentence was not embedded)
    "embedded",  # both sentences embedded
    "lexical",  # IDF-weighted stem containment (lexical_overlap)
    "context",  # the neighbouring sentences also overlap: the paragraphs are near-duplicates
    "entity_jaccard",  # shared canonical entities (variants resolved) over the union
    "entity_rare",  # the rarest shared entity's IDF within the story, over log(sentences + 1)
    "entity_none",  # either sentence names no entity
    "number_shared",  # the two sentences share a number
    "number_conflict",  # both state numbers and share none
    "date_same",  # their paragraphs refer to the same resolved day
    "date_differ",  # ... to different days
)


@dataclass(slots=True, frozen=True)
class PairModel:
    """Logistic score that two sentences of different articles state the same fact.

    Fitted by `bench/brief_pairs.py` on the hand-made statements of bench/gold/brief (pairs of
    sentences of two articles that report one gold fact are positive); `cut` is the probability
    at which a pair links, chosen there for precision. Weights follow `PAIR_FEATURES`.
    """

    weights: tuple[float, ...] = (0.0,) * len(PAIR_FEATURES)
    intercept: float = 0.0
    cut: float = 0.5
    # Two groups merge (and a sentence joins a second group) when their mean pair score, in units
    # of `cut`, is at least this: chosen on the held-out briefs of bench/brief_pairs.py --brief.
    group_mean: float = 0.85
    join_mean: float = 0.85  # the same for a sentence joining a second group (`_second_groups`)

    def probability(self, x: np.ndarray) -> np.ndarray:
        z = x @ np.asarray(self.weights, dtype=np.float32) + np.float32(self.intercept)
        return (1.0 / (1.0 + np.exp(-np.clip(z, -30.0, 30.0)))).astype(np.float32)


# Fitted by `bench/brief_pairs.py` (cut: training pair precision 0.7) on bench/gold/brief (four
# stories of 2015-07-31 and 08-01); docs/benchmarks/brief.md.
DEFAULT_PAIR_MODEL = PairModel(
    weights=(7.370, -0.061, 6.445, 0.054, -1.522, 1.944, 0.404, 1.794, 0.729, 2.157, 0.099),
    intercept=-3.645,
    cut=0.82,
    group_mean=0.85,
)


def numbers_in(text: str) -> frozenset[str]:
    """The numbers a sentence states (Arabic-Indic digits read as Western), years and times too."""
    return frozenset(m.lstrip("0") or "0" for m in _NUMBER.findall(text.translate(_DIGITS)))


def _shared_counts(sets: Sequence[frozenset]) -> tuple[np.ndarray, np.ndarray]:
    """Pairwise intersection sizes of `sets`, and each set's size."""
    vocab: dict = {}
    rows, cols = [], []
    for i, items in enumerate(sets):
        for it in items:
            rows.append(i)
            cols.append(vocab.setdefault(it, len(vocab)))
    n = len(sets)
    if not vocab:
        return np.zeros((n, n), dtype=np.float32), np.zeros(n, dtype=np.float32)
    from scipy.sparse import csr_matrix

    x = csr_matrix((np.ones(len(rows), dtype=np.float32), (rows, cols)), shape=(n, len(vocab)))
    return (x @ x.T).toarray().astype(np.float32), np.asarray(x.sum(axis=1), dtype=np.float32).ravel()


def unit_entities(
    units: Sequence[Unit], mentions: Mapping[tuple[str, int], Sequence[tuple[int, int, int]]] | None
) -> list[frozenset[int]]:
    """For each unit, the canonical entities named inside it. `mentions` maps (article id,
    paragraph index) to (start, end, entity index) spans in that paragraph's text."""
    out: list[frozenset[int]] = []
    for u in units:
        spans = mentions.get((u.article, u.paragraph), ()) if mentions else ()
        if u.start < 0:
            out.append(frozenset(e for _, _, e in spans) if len(spans) <= 3 else frozenset())
            continue
        end = u.start + len(u.text)
        out.append(frozenset(e for a, b, e in spans if a >= u.start and b <= end))
    return out


def unit_days(
    units: Sequence[Unit], days: Mapping[tuple[str, int], Sequence[tuple[int, int, str]]] | None
) -> list[str | None] | None:
    """For each unit, the earliest resolved day (YYYY-MM-DD) a date expression inside it names, else
    None. `days` maps (article id, paragraph index) to (start, end, day) spans in that paragraph."""
    if days is None:
        return None
    out: list[str | None] = []
    for u in units:
        spans = days.get((u.article, u.paragraph), ())
        end = u.start + len(u.text)
        inside = [d for a, b, d in spans if u.start >= 0 and a >= u.start and b <= end]
        out.append(min(inside) if inside else None)
    return out


def pair_features(
    units: Sequence[Unit],
    vectors: np.ndarray,
    has: np.ndarray,
    lex: np.ndarray,
    entities: Sequence[frozenset[int]] | None = None,
    dates: Sequence[str | None] | None = None,
    numbers: Sequence[frozenset[str]] | None = None,
) -> np.ndarray:
    """(n, n, len(PAIR_FEATURES)) features of every pair of units (see PAIR_FEATURES); `numbers`
    (each unit's `numbers_in`) spares computing them again."""
    n = len(units)
    f = np.zeros((n, n, len(PAIR_FEATURES)), dtype=np.float32)
    if n == 0:
        return f
    both = (has[:, None] & has[None, :]).astype(np.float32)
    if vectors.shape[1]:
        f[..., 0] = np.clip(vectors @ vectors.T, -1.0, 1.0) * both
    f[..., 1] = both
    f[..., 2] = lex
    # Context: the sentence before both (or after both) in their articles overlap as well.
    if n > 1:
        # has_next[k]: unit k + 1 is the next sentence of the same article.
        has_next = np.array([units[k + 1].article == units[k].article for k in range(n - 1)])
        both_next = has_next[:, None] & has_next[None, :]
        ctx = f[..., 3]
        ctx[:-1, :-1] = np.where(both_next, lex[1:, 1:], 0.0)
        ctx[1:, 1:] = np.maximum(ctx[1:, 1:], np.where(both_next, lex[:-1, :-1], 0.0))
    if entities is not None:
        inter, size = _shared_counts(entities)
        union = size[:, None] + size[None, :] - inter
        f[..., 4] = np.where(union > 0, inter / np.maximum(union, 1.0), 0.0)
        f[..., 5] = _rarest_shared(entities)
        f[..., 6] = ((size[:, None] == 0) | (size[None, :] == 0)).astype(np.float32)
    else:
        f[..., 6] = 1.0
    inter, size = _shared_counts(numbers if numbers is not None else [numbers_in(u.text) for u in units])
    f[..., 7] = (inter > 0).astype(np.float32)
    f[..., 8] = ((inter == 0) & (size[:, None] > 0) & (size[None, :] > 0)).astype(np.float32)
    if dates is not None:
        d = np.array([x or "" for x in dates], dtype=object)
        known = d != ""
        kk = known[:, None] & known[None, :]
        eq = d[:, None] == d[None, :]
        f[..., 9] = (kk & eq).astype(np.float32)
        f[..., 10] = (kk & ~eq).astype(np.float32)
    return f


def _rarest_shared(sets: Sequence[frozenset[int]]) -> np.ndarray:
    """For each pair, the highest story-IDF among the entities both sentences name, scaled to
    [0, 1] by log(n + 1): a place only two sentences name says more than the story's protagonist."""
    n = len(sets)
    out = np.zeros((n, n), dtype=np.float32)
    holders: dict[int, list[int]] = {}
    for i, items in enumerate(sets):
        for e in items:
            holders.setdefault(e, []).append(i)
    scale = float(np.log1p(n)) or 1.0
    for rows in holders.values():
        if len(rows) < 2:
            continue
        idf = float(np.log1p(n / len(rows))) / scale
        block = np.ix_(rows, rows)
        out[block] = np.maximum(out[block], idf)
    return out


@dataclass(slots=True)
class StatementGroup:
    """Sentences of several articles that state one thing, quoted from the first article citing it."""

    text: str
    articles: list[str]
    sentences: list[tuple[str, int, int]]  # (article id, paragraph index, sentence index)
    lang: str
    centrality: float
    first_position: tuple[int, int, int]  # (article rank in publication order, paragraph, sentence)
    sources: list[str] = field(default_factory=list)
    confidence: float = 1.0  # mean link score inside the group (1.0 for a single sentence)
    date: str | None = None  # earliest date the statement refers to, when the caller knows it

    @property
    def single_source(self) -> bool:
        return len(self.articles) == 1


@dataclass(slots=True)
class _Grouping:
    """What group() computed, kept for selection: units, embeddings and member lists."""

    units: list[Unit]
    vectors: np.ndarray
    members: list[list[int]]
    groups: list[StatementGroup]


class BriefBuilder:
    """Groups a story's sentences across articles and chooses the brief's statements.

    `embed` maps texts to L2-normalised rows; the default is the multilingual USE. Two sentences of
    different articles link when the learned pair score `model` (vectors, words, context, entities,
    numbers, days; see `PairModel`) says they state the same fact; `model=None` keeps the older
    threshold rule (`LinkThresholds`) and maximal-marginal-relevance selection. With a model,
    selection takes the facts most outlets report first, then the most central, skipping what is
    too close to a chosen statement, within `budget` (`max_statements` and `max_chars` for up to four
    outlets, `statements_per_outlet` more per further outlet, at most `max_statements_cap`); each
    statement quotes the member sentence that states the fact most completely (`quote_chars` at
    most), and `second_groups` lets a sentence that states two facts cite its article in both.
    """

    def __init__(
        self,
        embed: Embed | None = None,
        max_statements: int = 8,
        max_chars: int = 2000,
        thresholds: LinkThresholds | None = None,
        min_tokens: int = 6,
        coverage_weight: float = 0.6,
        mmr_lambda: float = 0.7,
        redundancy_cap: float = 0.85,
        splitter: SentenceSplitter | None = None,
        embed_window: int | None = 3,
        copy_overlap: float = 0.9,
        model: PairModel | None = DEFAULT_PAIR_MODEL,
        quote_chars: int = 400,
        second_groups: bool = True,
        statements_per_outlet: int = 1,
        max_statements_cap: int = 12,
    ) -> None:
        self.model = model
        self.quote_chars = quote_chars
        self.second_groups = second_groups
        self.statements_per_outlet = statements_per_outlet
        self.max_statements_cap = max_statements_cap
        self.embed: Embed = embed if embed is not None else UseEmbedder()
        self.embed_window = embed_window
        self.copy_overlap = copy_overlap
        self.max_statements = max_statements
        self.max_chars = max_chars
        self.thresholds = thresholds or LinkThresholds()
        self.min_tokens = min_tokens
        self.coverage_weight = coverage_weight
        self.mmr_lambda = mmr_lambda
        self.redundancy_cap = redundancy_cap
        self.splitter = splitter

    # -- grouping -------------------------------------------------------------------------------

    def group(self, articles: Sequence[Article], units: Sequence[Unit] | None = None) -> list[StatementGroup]:
        """All statement groups of the story (singletons included), biggest coverage first."""
        return self._group(articles, units).groups

    def _units(self, articles: Sequence[Article], units: Sequence[Unit] | None) -> list[Unit]:
        """The story's candidate sentences; `units` (from `sentence_units` with the default splitter
        and at most `min_tokens`) saves a second pass when the caller already split the story."""
        if units is None or self.splitter is not None:
            return sentence_units(articles, self.min_tokens, splitter=self.splitter)
        return [u for u in units if u.n_tokens >= self.min_tokens]

    def _group(
        self,
        articles: Sequence[Article],
        units: Sequence[Unit] | None = None,
        embed: Embed | None = None,
        mentions: Mapping[tuple[str, int], Sequence[tuple[int, int, int]]] | None = None,
        days: Mapping[tuple[str, int], Sequence[tuple[int, int, str]]] | None = None,
    ) -> _Grouping:
        units = self._units(articles, units)
        if not units:
            return _Grouping([], np.zeros((0, 0), dtype=np.float32), [], [])
        lex = lexical_overlap(units)
        vectors, has = self._vectors(units, lex, embed or self.embed)
        numbers = [numbers_in(u.text) for u in units]
        if self.model is not None:
            score = self.meaning_scores(units, vectors, has, lex, unit_entities(units, mentions), unit_days(units, days),
                                        numbers)
        else:
            score = self.pair_scores(units, vectors, lex)
        members = self._cluster(score, self.model.group_mean if self.model is not None else None)
        extras: list[list[int]] = [[] for _ in members]
        if self.model is not None and self.second_groups:
            extras = _second_groups(members, units, score, self.model.join_mean)
        centroid = _story_centroid(units, vectors, has)
        groups = [self._make_group(m, units, vectors, score, centroid, x, numbers)
                  for m, x in zip(members, extras, strict=True)]
        # A group none of whose sentences was embedded has no measured centrality: it ranks with
        # the least central measured group rather than stretching the scale the others share.
        measured = [g.centrality for g, m in zip(groups, members, strict=True) if has[m].any()]
        floor = min(measured) if measured else 0.0
        for g, m in zip(groups, members, strict=True):
            if not has[m].any():
                g.centrality = floor
        order = sorted(range(len(groups)), key=lambda g: (-len(groups[g].sources), groups[g].first_position))
        return _Grouping(units, vectors, [members[g] for g in order], [groups[g] for g in order])

    def _vectors(self, units: Sequence[Unit], lex: np.ndarray, embed: Embed) -> tuple[np.ndarray, np.ndarray]:
        """Sentence vectors for the units that need one; zero rows (and False in the mask) elsewhere.

        Embedding every sentence of a multi-article story was the largest cost of understanding a
        day of news (USE runs ~4 ms per sentence on one core). A vector is needed where cosine can
        change the outcome: a sentence in the opening `embed_window` sentences of its article (where
        a brief's statements come from), one that another article's sentence overlaps lexically
        (>= `lexical_mid`, so the mid rule can link them) and, in a story that mixes languages,
        every sentence (words cannot link a translation). Sentences that are lexical copies of each
        other (overlap >= `lexical`, linked whatever the cosine says) share one vector, that of the
        first of them that needs one. `embed_window=None` embeds every sentence. The default window
        of 3 (the leads) was 8 until the 2015-08-02 measurement in docs/benchmarks/pipeline.md: it
        embeds 18% fewer characters and keeps the statements carried by several outlets (602 vs 596).
        """
        n = len(units)
        t = self.thresholds
        if self.embed_window is None:
            need = np.ones(n, dtype=bool)
            rep = np.arange(n)
        else:
            arts = np.array([u.article for u in units], dtype=object)
            cross = arts[:, None] != arts[None, :]
            seen: dict[str, int] = {}
            in_window = np.zeros(n, dtype=bool)
            for k, u in enumerate(units):
                seen[u.article] = seen.get(u.article, 0) + 1
                in_window[k] = seen[u.article] <= self.embed_window
            partner = ((lex >= t.lexical_mid) & cross).any(axis=1)
            mixed = len({u.lang for u in units if u.lang != "und"}) > 1
            need = in_window | partner | mixed
            rep = _copy_representatives((lex >= self.copy_overlap) & cross, need)
        has = rep >= 0
        vectors = np.zeros((n, 0), dtype=np.float32)
        todo = sorted(set(rep[has].tolist()))
        if todo:
            got = np.asarray(embed([units[k].text for k in todo]), dtype=np.float32)
            vectors = np.zeros((n, got.shape[1]), dtype=np.float32)
            row = {k: i for i, k in enumerate(todo)}
            for k in np.nonzero(has)[0].tolist():
                vectors[k] = got[row[int(rep[k])]]
        return vectors, has

    def meaning_scores(
        self,
        units: Sequence[Unit],
        vectors: np.ndarray,
        has: np.ndarray,
        lex: np.ndarray,
        entities: Sequence[frozenset[int]] | None = None,
        dates: Sequence[str | None] | None = None,
        numbers: Sequence[frozenset[str]] | None = None,
    ) -> np.ndarray:
        """The learned pair score scaled so that >= 1 links (`PairModel`); within one article only
        near-verbatim repeats link, as in `pair_scores`."""
        assert self.model is not None
        p = self.model.probability(pair_features(units, vectors, has, lex, entities, dates, numbers))
        ids = np.array([u.article for u in units], dtype=object)
        same = ids[:, None] == ids[None, :]
        score = np.where(same, lex / self.thresholds.same_article, p / self.model.cut)
        # The model was calibrated on sentences of one language: a pair in two languages (a
        # translation, say) links by the rule of `pair_scores` (cosine >= `semantic`).
        langs = np.array([u.lang for u in units], dtype=object)
        cross = (langs[:, None] != langs[None, :]) & (langs[:, None] != "und") & (langs[None, :] != "und")
        if cross.any():
            score = np.where(cross, self.pair_scores(units, vectors, lex), score)
        np.fill_diagonal(score, 0.0)
        return score.astype(np.float32)

    def pair_scores(self, units: Sequence[Unit], vectors: np.ndarray, lex: np.ndarray | None = None) -> np.ndarray:
        """The pairwise link-score matrix (>= 1: same statement) for already-embedded units
        (a zero row: not embedded, linked by words only)."""
        if lex is None:
            lex = lexical_overlap(units)
        if vectors.shape[1] == 0:
            vectors = np.zeros((len(units), 1), dtype=np.float32)
        cos = np.clip(vectors @ vectors.T, -1.0, 1.0)
        ids = np.array([u.article for u in units], dtype=object)
        same = ids[:, None] == ids[None, :]
        return link_scores(lex, cos, same, self.thresholds)

    def _cluster(self, score: np.ndarray, group_mean: float | None = None) -> list[list[int]]:
        """Greedy average-link agglomeration over linked pairs, strongest pair first.

        Plain connected components would chain a statement to its neighbour's neighbour; requiring
        the mean score across the two groups to stay high keeps groups about one thing.
        """
        n = score.shape[0]
        owner = list(range(n))
        members: dict[int, list[int]] = {i: [i] for i in range(n)}
        ii, jj = np.nonzero(np.triu(score >= 1.0, k=1))
        pairs = sorted(zip(ii.tolist(), jj.tolist(), strict=True), key=lambda p: (-score[p[0], p[1]], p))
        for i, j in pairs:
            a, b = owner[i], owner[j]
            if a == b:
                continue
            block = score[np.ix_(members[a], members[b])]
            if float(block.mean()) < (self.thresholds.group_mean if group_mean is None else group_mean):
                continue
            if len(members[a]) < len(members[b]):
                a, b = b, a
            for k in members[b]:
                owner[k] = a
            members[a].extend(members.pop(b))
        return [sorted(m) for m in members.values()]

    def _make_group(
        self,
        member: list[int],
        units: Sequence[Unit],
        vectors: np.ndarray,
        score: np.ndarray,
        centroid: np.ndarray,
        extra: Sequence[int] = (),
        numbers: Sequence[frozenset[str]] = (),
    ) -> StatementGroup:
        """One group: quoted from its own members; `extra` sentences (ones that state this fact
        besides another, see `_second_groups`) add their articles to the citations only."""
        ordered = sorted(member, key=lambda k: units[k].position)
        first = units[ordered[0]]
        quoted = units[_most_complete(ordered, units, self.quote_chars, numbers)]
        articles: list[str] = [quoted.article]
        sources: list[str] = [quoted.source]
        cited = sorted([*ordered, *extra], key=lambda k: units[k].position)
        for k in cited:
            if units[k].article not in articles:
                articles.append(units[k].article)
            if units[k].source not in sources:
                sources.append(units[k].source)
        mean = vectors[member].mean(axis=0)
        mean /= max(float(np.linalg.norm(mean)), 1e-12)
        if len(member) > 1:
            block = score[np.ix_(member, member)]
            confidence = float(block.sum() / (len(member) * (len(member) - 1)))
        else:
            confidence = 1.0
        return StatementGroup(
            text=quoted.text,
            articles=articles,
            sentences=[(units[k].article, units[k].paragraph, units[k].sentence) for k in cited],
            lang=quoted.lang,
            centrality=float(mean @ centroid),
            first_position=first.position,
            sources=sources,
            confidence=confidence,
        )

    # -- selection ------------------------------------------------------------------------------

    def select(
        self,
        articles: Sequence[Article],
        dates: dict[tuple[str, int], str] | None = None,
        units: Sequence[Unit] | None = None,
        embed: Embed | None = None,
        mentions: Mapping[tuple[str, int], Sequence[tuple[int, int, int]]] | None = None,
        days: Mapping[tuple[str, int], Sequence[tuple[int, int, str]]] | None = None,
    ) -> list[StatementGroup]:
        """The brief's groups, in story order (see `build`)."""
        grouping = self._group(articles, units, embed, mentions, days)
        if not grouping.groups:
            return []
        published = {a.id: (a.published or "")[:10] for a in articles}
        for group in grouping.groups:
            known = [dates[(a, p)] for a, p, _ in group.sentences if dates and (a, p) in dates]
            group.date = min(known) if known else None
        n_sources = len({a.source or a.id for a in articles})
        if self.model is None:
            chosen = self._mmr(grouping, n_sources=n_sources)
        else:
            chosen = self._by_coverage(grouping, n_sources)
        chosen.sort(key=lambda g: (g.date or published.get(g.articles[0], "") or "\uffff", g.first_position))
        return chosen

    def build(
        self,
        articles: Sequence[Article],
        dates: dict[tuple[str, int], str] | None = None,
        units: Sequence[Unit] | None = None,
        embed: Embed | None = None,
        mentions: Mapping[tuple[str, int], Sequence[tuple[int, int, int]]] | None = None,
        days: Mapping[tuple[str, int], Sequence[tuple[int, int, str]]] | None = None,
    ) -> list[Statement]:
        """The brief: a few statements, quoted verbatim, each with every article that reports it.

        `dates` maps (article id, paragraph index) to the earliest YYYY-MM-DD that paragraph refers
        to (from the timeline stage); statements are ordered by it, else by when and where they were
        first reported. `embed` replaces the builder's own embedding callable for this story (one
        that reads vectors kept from an earlier run, say).
        """
        chosen = self.select(articles, dates, units, embed, mentions, days)
        return [Statement(g.text, list(g.articles), g.lang) for g in chosen]

    def budget(self, n_sources: int) -> tuple[int, float]:
        """(statements, characters) a brief of a story with `n_sources` outlets may hold."""
        limit = min(max(self.max_statements, self.max_statements + self.statements_per_outlet * (n_sources - 4)),
                    max(self.max_statements_cap, self.max_statements))
        return limit, self.max_chars * limit / max(self.max_statements, 1)

    def _by_coverage(self, grouping: _Grouping, n_sources: int) -> list[StatementGroup]:
        """What a reader would pick: the facts most outlets report first, then the most central,
        skipping a group too close to one already chosen (novelty), within the length budget.

        The budget grows with the story: `max_statements` plus `statements_per_outlet` for each
        outlet beyond four (at most `max_statements_cap`), and `max_chars` in proportion."""
        groups = grouping.groups
        limit, budget = self.budget(n_sources)
        vecs = np.stack([_unit_mean(grouping.vectors, m) for m in grouping.members])
        cent = np.array([g.centrality for g in groups], dtype=np.float32)
        span = float(cent.max() - cent.min())
        cent_n = (cent - cent.min()) / span if span > 1e-6 else np.ones_like(cent)
        order = sorted(range(len(groups)), key=lambda g: (-len(groups[g].sources), -float(cent_n[g]),
                                                          groups[g].first_position))
        # Facts one outlet alone reports come last, taken in turns (each outlet's most central
        # first), so what each outlet alone adds is spread over the outlets.
        multi = [g for g in order if len(groups[g].sources) > 1]
        turn: dict[str, int] = {}
        single: list[tuple[int, int]] = []
        for g in order:
            if len(groups[g].sources) == 1:
                src = groups[g].sources[0]
                single.append((turn.get(src, 0), g))
                turn[src] = turn.get(src, 0) + 1
        order = multi + [g for _, g in sorted(single, key=lambda t: (t[0], order.index(t[1])))]
        chosen: list[int] = []
        for g in order:
            if len(chosen) >= limit:
                break
            if len(groups[g].text) > budget or any(groups[c].text == groups[g].text for c in chosen):
                continue
            if chosen and float(max(vecs[c] @ vecs[g] for c in chosen)) >= self.redundancy_cap:
                continue
            chosen.append(g)
            budget -= len(groups[g].text)
        return [groups[g] for g in chosen]

    def _mmr(self, grouping: _Grouping, n_sources: int) -> list[StatementGroup]:
        groups = grouping.groups
        vecs = np.stack([_unit_mean(grouping.vectors, m) for m in grouping.members])
        cent = np.array([g.centrality for g in groups], dtype=np.float32)
        span = float(cent.max() - cent.min())
        cent_n = (cent - cent.min()) / span if span > 1e-6 else np.ones_like(cent)
        cover = np.array([(len(g.sources) - 1) / max(n_sources - 1, 1) for g in groups], dtype=np.float32)
        relevance = self.coverage_weight * cover + (1.0 - self.coverage_weight) * cent_n
        chosen: list[int] = []
        budget = self.max_chars
        candidates = set(range(len(groups)))
        # Each candidate's highest similarity to a chosen statement, updated once per choice (not
        # recomputed over every chosen statement at every step: 0.6 ms per article on a day).
        closest: list[float | None] = [None] * len(groups)
        while candidates and len(chosen) < self.max_statements:
            best, best_value = -1, -math.inf
            for g in candidates:
                near = closest[g]
                redundancy = 0.0 if near is None else float(near)
                if redundancy >= self.redundancy_cap:
                    continue
                value = self.mmr_lambda * float(relevance[g]) - (1.0 - self.mmr_lambda) * max(redundancy, 0.0)
                if value > best_value:
                    best, best_value = g, value
            if best < 0:
                break
            candidates.discard(best)
            if len(groups[best].text) > budget:
                continue  # too long for what is left: a shorter statement may still fit
            chosen.append(best)
            budget -= len(groups[best].text)
            row = vecs[best]
            for g in candidates:
                sim = vecs[g] @ row
                near = closest[g]
                closest[g] = sim if near is None else max(near, sim)
        return [groups[g] for g in chosen]


def _second_groups(
    members: list[list[int]], units: Sequence[Unit], score: np.ndarray, group_mean: float
) -> list[list[int]]:
    """A sentence that states two facts joins a second group: for each multi-article group, the
    sentences of other groups that link to one of its members (pair score >= 1) with a mean score
    over its members >= `group_mean`, one per article not yet in the group."""
    arts = [u.article for u in units]
    extras: list[list[int]] = []
    for member in members:
        extra: list[int] = []
        present = {arts[k] for k in member}
        if len(present) >= 2:
            block = score[:, member]
            linked = (block.max(axis=1) >= 1.0) & (block.mean(axis=1) >= group_mean)
            strength = block.mean(axis=1)
            for k in sorted(np.nonzero(linked)[0].tolist(), key=lambda k: -float(strength[k])):
                if arts[k] not in present:
                    extra.append(k)
                    present.add(arts[k])
        extras.append(extra)
    return extras


def _most_complete(ordered: Sequence[int], units: Sequence[Unit], max_chars: int,
                   numbers: Sequence[frozenset[str]]) -> int:
    """The member that states the group's fact most completely: the most content stems (and
    numbers) that another article's member also states, among members of at most `max_chars`
    characters; the earliest on a tie. A single article's group quotes its first sentence."""
    by_article: dict[str, set[str]] = {}
    for k in ordered:
        by_article.setdefault(units[k].article, set()).update(units[k].stems, numbers[k])
    if len(by_article) < 2:
        return ordered[0]
    best, best_value = ordered[0], -1
    for k in ordered:
        if len(units[k].text) > max_chars and k != ordered[0]:
            continue
        mine = set(units[k].stems) | numbers[k]
        value = sum(len(mine & feats) for art, feats in by_article.items() if art != units[k].article)
        if value > best_value:
            best, best_value = k, value
    return best


def _unit_mean(vectors: np.ndarray, member: list[int]) -> np.ndarray:
    mean = vectors[member].mean(axis=0)
    return mean / max(float(np.linalg.norm(mean)), 1e-12)


def _copy_representatives(copies: np.ndarray, need: np.ndarray) -> np.ndarray:
    """For each unit, the unit whose vector it uses (-1: none).

    Units joined by `copies` (a boolean pair matrix) form groups; a group with a unit in `need`
    takes the first such unit's vector for all its members.
    """
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import connected_components

    _, label = connected_components(csr_matrix(copies), directed=False)
    first: dict[int, int] = {}
    for k in np.nonzero(need)[0].tolist():
        first.setdefault(int(label[k]), k)
    return np.array([first.get(int(lab), -1) for lab in label], dtype=np.int64)


def _story_centroid(units: Sequence[Unit], vectors: np.ndarray, has: np.ndarray | None = None) -> np.ndarray:
    """Mean sentence vector with each article weighted equally, so a long article does not dominate
    (over the embedded units only, when `has` says which those are)."""
    if has is None:
        has = np.ones(len(units), dtype=bool)
    counts: dict[str, int] = {}
    for u, h in zip(units, has, strict=True):
        if h:
            counts[u.article] = counts.get(u.article, 0) + 1
    weights = np.array([1.0 / counts[u.article] if h else 0.0 for u, h in zip(units, has, strict=True)],
                       dtype=np.float32)
    centroid = (vectors * weights[:, None]).sum(axis=0)
    return centroid / max(float(np.linalg.norm(centroid)), 1e-12)


def coverage_matrix(groups: Sequence[StatementGroup | Statement], articles: Sequence[Article]) -> dict:
    """Which outlet reports which statement: by outlet, however many articles an outlet ran.

    Returns {"sources": [outlet, in publication order], "statements": [text], "articles": [[ids]],
    "rows": [[bool per source]] (one row per statement), "carried": {outlet: number of statements
    it reports}, "single_source": {outlet: [statement index]} (what only that outlet says),
    "omitted": {outlet: [statement index]} (statements at least two other outlets carry that this
    outlet leaves out)}.
    """
    by_id = {a.id: a for a in articles}
    sources: list[str] = []
    for i in article_order(articles):
        name = articles[i].source or articles[i].id
        if name not in sources:
            sources.append(name)
    rows: list[list[bool]] = []
    single: dict[str, list[int]] = {s: [] for s in sources}
    omitted: dict[str, list[int]] = {s: [] for s in sources}
    for index, group in enumerate(groups):
        carried = {by_id[a].source or a if a in by_id else a for a in group.articles}
        rows.append([s in carried for s in sources])
        if len(carried) == 1:
            single[next(iter(carried))].append(index)
        for s in sources:
            if s not in carried and len(carried - {s}) >= 2:
                omitted[s].append(index)
    return {
        "sources": sources,
        "statements": [g.text for g in groups],
        "articles": [list(g.articles) for g in groups],
        "rows": rows,
        "carried": {s: sum(row[k] for row in rows) for k, s in enumerate(sources)},
        "single_source": {s: v for s, v in single.items() if v},
        "omitted": {s: v for s, v in omitted.items() if v},
    }
