"""When two sentences of different articles state the same fact: lexical overlap, the older
threshold rule (`LinkThresholds`) and the learned pair score (`PairModel` over `pair_features`)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from .units import Unit


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
    """For each unit, the resolved day (YYYY-MM-DD) of the first date expression inside it, else
    None. `days` maps (article id, paragraph index) to (start, end, day) spans in that paragraph.

    The first expression, not the earliest day: «تفقد كيم أمس الجمعة ... وكان التقى بوتين الأربعاء»
    reports Friday's visit; taking the earliest day made it "same day" as Wednesday's meeting
    (held-out briefs of bench/brief_pairs.py --brief: coverage 46/55 -> 47/55, recall 0.853 -> 0.855,
    precision 0.960 unchanged; in sample unchanged)."""
    if days is None:
        return None
    out: list[str | None] = []
    for u in units:
        spans = days.get((u.article, u.paragraph), ())
        end = u.start + len(u.text)
        inside = [(a, d) for a, b, d in spans if u.start >= 0 and a >= u.start and b <= end]
        out.append(min(inside)[1] if inside else None)
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
