"""The story timeline: dated events built from sentences, merged across the articles of a story.

A timeline event is a sentence that carries a day-resolved date (after each article's mentions are
resolved against its publication date, given or inferred by `anchor_articles`). Sentences of
different articles with the same date and similar content are one event, reported by several
articles; the event's text is the sentence of the first article that reports it (earliest
publication date, then input order), verbatim. A sentence that is nothing but a date (a dateline,
a tweet signature) carries no event and is skipped.

Similarity is the overlap of light stems by default; pass `embed` (any sentence embedder returning
one row per sentence, e.g. the USE embedder of the story stage) to use cosine similarity instead.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date

import numpy as np

from rasid.model import Article, TimelineEvent
from rasid.text.normalize import Forms, light_stem, tokens

from .dates import DateExtractor, TimeMention, anchor_articles, resolve_mention

__all__ = [
    "TimelineBuilder",
    "build_timeline",
    "extract_article_mentions",
    "rank_dates",
    "simple_sentences",
    "story_timeline",
]

Embedder = Callable[[list[str]], np.ndarray]

# Function words that say nothing about which event a sentence reports (matching forms).
_STOP = frozenset(
    """في من علي الي عن مع ان او ثم قد لقد كان كانت التي الذي الذين هذا هذه ذلك تلك بين حيث كما بعد
    قبل عند خلال منذ حتي لم لن ما لا هو هي هم وقال قال وقالت قالت اليوم امس يوم عام the a an of to in
    on at and or for by with from that this was were is are be has have had said le la les de des du et
    en un une est il elle""".split()  # noqa: SIM905 - a word list reads better as text
)
_SPLIT = re.compile(r"(?<=[.!?؟])\s+")


def simple_sentences(text: str) -> list[str]:
    """Fallback splitter: break after . ! ? ؟ followed by whitespace."""
    return [s for s in (p.strip() for p in _SPLIT.split(text)) if s]


def _sentence_spans(text: str, sentences: Sequence[str]) -> list[tuple[int, int]]:
    """Character spans of `sentences` in `text`, found in order; a sentence not found gets (-1, -1)."""
    spans: list[tuple[int, int]] = []
    cursor = 0
    for sent in sentences:
        i = text.find(sent, cursor)
        if i < 0:
            i = text.find(sent)
        if i < 0:
            spans.append((-1, -1))
            continue
        spans.append((i, i + len(sent)))
        cursor = i + len(sent)
    return spans


def _content_stems(
    sentence: str, time_spans: Iterable[tuple[int, int]], stem: Callable[[str], str] = light_stem
) -> frozenset[str]:
    """Light stems of the sentence's words, without its temporal expressions and function words
    (`stem`: `light_stem`, or a caller's memo of it)."""
    chars = list(sentence)
    for s, e in time_spans:
        for k in range(max(0, s), min(len(chars), e)):
            chars[k] = " "
    out = set()
    for tok in tokens("".join(chars)):
        if tok in _STOP or len(tok) < 3 or tok.isdigit():
            continue
        out.add(stem(tok))
    return frozenset(out)


@dataclass(slots=True)
class _Candidate:
    day: str
    article: str
    order: tuple[str, int, int, int]  # (publication date or "~", article rank, paragraph, sentence)
    text: str
    stems: frozenset[str]
    n_dates: int = 1  # distinct days the sentence mentions: fewer makes a clearer representative
    row: int = -1  # index into the embedding matrix, when one is used
    background: bool = False  # dated only by a background date (منذ وصوله الثلاثاء)


@dataclass(slots=True)
class _Cluster:
    day: str
    members: list[_Candidate] = field(default_factory=list)


@dataclass(slots=True)
class TimelineBuilder:
    """Builds timelines; the thresholds are the knobs.

    `min_content` is the number of content words a dated sentence needs to count as an event
    (`min_content_full` when it carries a full calendar date, day, month and year: a short
    bullet such as "ولد ... في 4 يناير 1946م" is a happening, a dateline has fewer words still);
    `overlap` the stem-overlap coefficient (|A∩B| / min(|A|,|B|)) and `cosine` the embedding
    similarity above which two same-day sentences are the same event.
    """

    min_content: int = 4
    min_content_full: int = 3
    overlap: float = 0.25
    cosine: float = 0.55
    # looser bounds for joining a day's clusters into one happening (see `_fold`)
    day_overlap: float = 0.12
    day_cosine: float = 0.3
    # days before the story's latest article after which a one-day disagreement is not two happenings
    past_days: int = 365

    def build(
        self,
        articles: Sequence[Article],
        mentions: dict[str, list[tuple[int, TimeMention]]],
        published: dict[str, date | None],
        embed: Embedder | None = None,
        forms: Forms | None = None,
    ) -> list[TimelineEvent]:
        """`forms`: the caller's memo of word stems (kept across stories)."""
        candidates = self._candidates(articles, mentions, published, (forms or Forms()).stem)
        if not candidates:
            return []
        vectors: np.ndarray | None = None
        if embed is not None:
            # Only sentences compared with another sentence are embedded: a candidate alone on its
            # day (or sharing it only with copies of its own text) never needs a vector.
            texts_of_day: dict[str, set[str]] = {}
            for c in candidates:
                texts_of_day.setdefault(c.day, set()).add(c.text)
            texts = sorted(
                {t for day_texts in texts_of_day.values() if len(day_texts) > 1 for t in day_texts}
            )
            index = {t: i for i, t in enumerate(texts)}
            if texts:
                vectors = np.asarray(embed(texts), dtype=np.float32)
                norms = np.linalg.norm(vectors, axis=1, keepdims=True)
                vectors = vectors / np.where(norms == 0, 1.0, norms)
            else:
                vectors = np.zeros((0, 1), dtype=np.float32)
            for c in candidates:
                c.row = index.get(c.text, -1)
        clusters: list[_Cluster] = []
        by_day: dict[str, list[_Cluster]] = {}
        for cand in sorted(candidates, key=lambda c: (c.day, c.order)):
            target = None
            best = 0.0
            for cl in by_day.get(cand.day, []):
                sim = max(self._similarity(cand, m, vectors) for m in cl.members)
                if sim > best:
                    best, target = sim, cl
            threshold = self.cosine if vectors is not None else self.overlap
            if target is None or best < threshold:
                target = _Cluster(cand.day)
                clusters.append(target)
                by_day.setdefault(cand.day, []).append(target)
            target.members.append(cand)
        clusters = self._fold(clusters, vectors)
        latest = max((d for d in (_as_date(v) for v in published.values()) if d is not None), default=None)
        if latest is not None:
            clusters = self._join_past_neighbours(clusters, latest)
        events: list[tuple[str, int, tuple[str, int, int, int], TimelineEvent]] = []
        for cl in clusters:
            members = sorted(cl.members, key=lambda c: c.order)
            ids: list[str] = []
            for m in members:
                if m.article not in ids:
                    ids.append(m.article)
            # The text: from the first reporting article, its sentence that mentions the fewest dates.
            # (a sentence placed here by a background date is never the representative)
            lead = [m for m in members if not m.background] or members
            first = min((m for m in lead if m.article == lead[0].article), key=lambda c: (c.n_dates, c.order))
            events.append((cl.day, -len(ids), first.order, TimelineEvent(cl.day, first.text, ids)))
        events.sort(key=lambda e: (e[0], e[1], e[2]))
        return [e[3] for e in events]

    def _fold(self, clusters: list[_Cluster], vectors: np.ndarray | None) -> list[_Cluster]:
        """One happening a day per reporting article: a sentence only one article dates to a day
        on which that article also reports a happening other outlets report (a detail, a
        statement about it) joins the most similar such happening; a day's background-only
        clusters go when the day has any other."""
        by_day: dict[str, list[_Cluster]] = {}
        for cl in clusters:
            by_day.setdefault(cl.day, []).append(cl)
        out: list[_Cluster] = []
        for day_clusters in by_day.values():
            main = [cl for cl in day_clusters if not all(m.background for m in cl.members)]
            if main:
                # background mentions of a day that has entries cite their article on the closest
                for cl in day_clusters:
                    if cl not in main:
                        best = max(
                            main,
                            key=lambda w: max(
                                self._similarity(a, b, vectors) for a in cl.members for b in w.members
                            ),
                        )
                        best.members.extend(cl.members)
                day_clusters = main
            wide = [cl for cl in day_clusters if len({m.article for m in cl.members}) >= 2]
            kept: list[_Cluster] = []
            for cl in day_clusters:
                arts = {m.article for m in cl.members}
                homes = [w for w in wide if w is not cl and arts <= {m.article for m in w.members}]
                if len(arts) == 1 and homes:
                    best = max(
                        homes,
                        key=lambda w: max(
                            self._similarity(a, b, vectors) for a in cl.members for b in w.members
                        ),
                    )
                    best.members.extend(cl.members)
                else:
                    kept.append(cl)
            # the day's other clusters join its most reported one when they are at all alike: outlets
            # word one happening differently, and a day rarely holds two happenings of one story
            kept.sort(key=lambda c: -len({m.article for m in c.members}))
            low = self.day_cosine if vectors is not None else self.day_overlap
            merged: list[_Cluster] = []
            for cl in kept:
                near = max(merged, key=lambda w: self._link(cl, w, vectors), default=None)
                if near is not None and self._link(cl, near, vectors) >= low:
                    near.members.extend(cl.members)
                else:
                    merged.append(cl)
            out.extend(merged)
        return out

    def _join_past_neighbours(self, clusters: list[_Cluster], latest: date) -> list[_Cluster]:
        """A happening long before the story (`past_days` before its latest article) that outlets
        date a day apart (a death on 29 or 30 May 1988) is one happening: two entries on
        consecutive days that far back, at all alike (the day-joining bounds), become one, on the
        day more articles give. Recent consecutive days stay apart: a story's days are its steps."""
        # (word overlap: a sentence alone on its day has no vector)
        clusters = sorted(clusters, key=lambda c: c.day)
        out: list[_Cluster] = []
        for cl in clusters:
            prev = out[-1] if out else None
            day = _as_date(cl.day)
            if (
                prev is not None
                and day is not None
                and (latest - day).days > self.past_days
                and (day - (_as_date(prev.day) or day)).days == 1
                and self._link(cl, prev, None) >= self.day_overlap
            ):
                if len({m.article for m in cl.members}) > len({m.article for m in prev.members}):
                    prev.day = cl.day
                prev.members.extend(cl.members)
                continue
            out.append(cl)
        return out

    def _link(self, a: _Cluster, b: _Cluster, vectors: np.ndarray | None) -> float:
        return max(self._similarity(x, y, vectors) for x in a.members for y in b.members)

    @staticmethod
    def _similarity(a: _Candidate, b: _Candidate, vectors: np.ndarray | None) -> float:
        if a.text == b.text:
            return 1.0
        if vectors is not None:
            return float(vectors[a.row] @ vectors[b.row])
        if not a.stems or not b.stems:
            return 0.0
        return len(a.stems & b.stems) / min(len(a.stems), len(b.stems))

    def _candidates(
        self,
        articles: Sequence[Article],
        mentions: dict[str, list[tuple[int, TimeMention]]],
        published: dict[str, date | None],
        stem: Callable[[str], str] = light_stem,
    ) -> list[_Candidate]:
        out: list[_Candidate] = []
        for rank, art in enumerate(articles):
            anchor = _as_date(published.get(art.id)) or _as_date(art.published_date)
            by_sentence: dict[tuple[int, int], list[TimeMention]] = {}
            spans_of: dict[int, list[tuple[int, int]]] = {}
            sents_of: dict[int, list[str]] = {}
            for pi, m in mentions.get(art.id, []):
                if not 0 <= pi < len(art.paragraphs):
                    continue
                para = art.paragraphs[pi]
                if pi not in spans_of:
                    sents_of[pi] = para.sentences or simple_sentences(para.text) or [para.text]
                    spans_of[pi] = _sentence_spans(para.text, sents_of[pi])
                si = next(
                    (k for k, (s, e) in enumerate(spans_of[pi]) if s <= m.start < e),
                    -1,
                )
                by_sentence.setdefault((pi, si), []).append(m)
            seen: set[tuple[str, int, int]] = set()
            for (pi, si), ms in sorted(by_sentence.items()):
                para = art.paragraphs[pi]
                if si >= 0:
                    s0, _ = spans_of[pi][si]
                    text = sents_of[pi][si]
                else:
                    s0, text = 0, para.text
                stems = _content_stems(text, [(m.start - s0, m.end - s0) for m in ms], stem)
                if len(stems) < self.min_content and not (
                    len(stems) >= self.min_content_full and any(_full_date(m) for m in ms)
                ):
                    continue  # a dateline or a bare date: no event
                days: list[tuple[str, bool, bool]] = []  # (day, background, joined by و to the one before)
                prev: TimeMention | None = None
                for m in _without_alternatives(ms, para.text):
                    r = m if m.date is not None or anchor is None else resolve_mention(m, anchor)
                    joined = prev is not None and (
                        _AND.fullmatch(para.text, prev.end, m.start) is not None
                        or (
                            not para.text[prev.end : m.start].strip()
                            and para.text[m.start : m.start + 1] == "و"
                        )
                    )
                    prev = m
                    if r.date is not None and r.granularity == "day" and r.date not in [d[0] for d in days]:
                        days.append((r.date, _background(para.text, m.start), joined))
                if not days:
                    continue
                # one happening per sentence, dated by its main clause: the first date that is not
                # background, with the days joined to it by و (اجتمعت يومي الأحد والاثنين)
                first = next((k for k, d in enumerate(days) if not d[1]), 0)
                chosen = [days[first]]
                for d in days[first + 1 :]:
                    if not d[2]:
                        break
                    chosen.append(d)
                # the other days only cite the article on an entry of their day (background)
                chosen_days = {d[0] for d in chosen}
                for day, background, _ in days:
                    key = (day, pi, si)
                    if key in seen:
                        continue
                    seen.add(key)
                    order = (str(anchor) if anchor else "~", rank, pi, si)
                    bg = background or day not in chosen_days
                    out.append(_Candidate(day, art.id, order, text, stems, len(days), background=bg))
        return out


# Words that put the date after them in the background of the sentence's happening: غادر ... منذ
# وصوله الثلاثاء الماضي (matching forms, a conjunction allowed).
_BACKGROUND = frozenset(
    ("منذ", "قبل", "بعد", "عقب", "اثر", "اعقاب", "اثناء", "اعتبارا", "since", "after", "before", "depuis")
)
_WORD = re.compile(r"\w+")
_AND = re.compile(r"\s*(?:و|and|et)\s*", re.IGNORECASE)


def _full_date(m: TimeMention) -> bool:
    """A calendar date written with its day, month and year (4 يناير 1946م, 15 شوال 1436هـ)."""
    return m.granularity == "day" and m.year is not None and m.day is not None


def _background(text: str, start: int) -> bool:
    """Whether a date expression at `start` is background: a cue word (منذ، قبل، بعد ...) is among
    the two words before it."""
    from rasid.text.normalize import match_form

    words = _WORD.findall(text[max(0, start - 40) : start])[-2:]
    for w in words:
        f = match_form(w)
        if f in _BACKGROUND or (f[:1] in ("و", "ف") and f[1:] in _BACKGROUND):
            return True
    return False


# "يومي الاثنين أو الثلاثاء", "Monday or Tuesday": one happening on one of two days, not two
_OR = re.compile(r"\s*(?:أو|او|or|ou)\s*", re.IGNORECASE)


def _without_alternatives(ms: Sequence[TimeMention], text: str) -> list[TimeMention]:
    """The mentions of one sentence less each that is only an alternative to the one before it
    ("الاثنين أو الثلاثاء"): the sentence is placed on its first day, not shown on both."""
    out: list[TimeMention] = []
    prev: TimeMention | None = None
    for m in sorted(ms, key=lambda m: m.start):
        if prev is None or not _OR.fullmatch(text, prev.end, m.start):
            out.append(m)
        prev = m
    return out


def _as_date(value: date | str | None) -> date | None:
    if value is None or isinstance(value, date):
        return value
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None


def build_timeline(
    articles: Sequence[Article],
    mentions: dict[str, list[tuple[int, TimeMention]]],
    published: dict[str, date | None],
    embed: Embedder | None = None,
    forms: Forms | None = None,
) -> list[TimelineEvent]:
    """Dated events of one story, ordered by date (see the module docstring).

    `mentions` maps an article id to (paragraph index, mention) pairs, offsets within the paragraph
    text; mentions without a date are resolved here against `published[article id]`. `forms`: the
    caller's memo of word stems.
    """
    return TimelineBuilder().build(articles, mentions, published, embed, forms)


def extract_article_mentions(
    article: Article, extractor: DateExtractor, anchor: date | None
) -> list[tuple[int, TimeMention]]:
    """(paragraph index, mention) for every temporal expression in the article's paragraphs."""
    out: list[tuple[int, TimeMention]] = []
    for pi, para in enumerate(article.paragraphs):
        lang = para.lang if para.lang in ("ar", "en", "fr") else "ar"
        out.extend((pi, m) for m in extractor.extract(para.text, anchor, lang))
    return out


def story_timeline(
    articles: Sequence[Article], extractor: DateExtractor | None = None, embed: Embedder | None = None
) -> tuple[list[TimelineEvent], dict[str, date | None]]:
    """Extract, anchor undated articles by their siblings, and build the timeline of one story.

    Returns the events and the publication date used for each article (given or inferred).
    """
    extractor = extractor or DateExtractor()
    raw = {a.id: extract_article_mentions(a, extractor, None) for a in articles}
    published = anchor_articles([(a.id, a.published, [m for _, m in raw[a.id]]) for a in articles])
    mentions = {
        aid: [(pi, resolve_mention(m, published[aid])) for pi, m in pairs] for aid, pairs in raw.items()
    }
    return build_timeline(articles, mentions, published, embed), published


def rank_dates(mention_days: Counter[str], k: int, pub_days: Counter[str] | None = None) -> list[str]:
    """The `k` most salient dates: by count of sentences mentioning them, publication counts breaking ties.

    This is the MentionCount date-selection baseline of timeline summarisation (Tran et al. 2013;
    news-tls), with PubCount as the tie-breaker.
    """
    pub_days = pub_days or Counter()
    ranked = sorted(set(mention_days) | set(pub_days), key=lambda d: (-mention_days[d], -pub_days[d], d))
    return ranked[:k]
