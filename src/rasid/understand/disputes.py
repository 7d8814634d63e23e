"""Disputed claims: a claim reported in the story and a denial of it, linked.

Outlets report claims ("according to Sky News, North Korean troops could fight alongside Russia")
and, often in another paragraph or another outlet, a denial ("the researcher denied what Sky News
reported and called it nonsense"). A denial names what it denies in one of two ways, tried in order:

1. by attribution: "ما ذكرته «سكاي نيوز»" (what Sky News reported) -> the claim is the sentence of
   the story that attributes something to that source, preferring the nearest one before the denial
   in its own article;
2. by content: "نفت الوزارة أن تكون الرحلات قد ألغيت" -> the claim is the story sentence whose meaning
   (embedding cosine) and words (stem overlap) are closest to what follows the denial cue, and only
   if both are high.

A denial that names nothing found elsewhere in the story (the usual "the ministry denied rumours
that ...", where the rumour exists only inside the denial) yields no dispute: the claim must be a
sentence of its own, quoted verbatim, never reconstructed.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..brief import BriefBuilder, Embed, Unit, UseEmbedder, content_stems, sentence_units
from ..model import Article, Dispute
from ..text.normalize import Forms, match_form, tokens

# Denial cues on the matching form (hamza, ta marbuta and alef maqsura folded).
_CUE_WORD = re.compile(
    r"^[وف]?(?:نفي|نفت|نفوا|ينفي|تنفي|ينفون|نفيا|نفيه|كذب|كذبت|يكذب|تكذب|فند|فندت|يفند|تفند|دحض|دحضت)$"
    r"|^(?:denied|denies|deny|denying|refuted|dismissed|dément|démenti|démentent|dementi|nie|nié)$"
)
_CUE_PHRASE = re.compile(
    r"هراء|لا صحه|لا اساس له|عار[يه]* (?:عن|من) الصحه|غير صحيح|مجرد شايعات|عار تماما عن الصحه|ادعاءات كاذبه|اكاذيب"
)
_NEGATORS = frozenset({"لم", "ولم", "فلم", "لا", "ولا", "لن", "ما"})
# "what X reported": the denial's object is a named source's report.
_ATTRIBUTED = re.compile(
    r"ما (?:ذكرته|ذكره|اوردته|اورده|نشرته|نشره|تناقلته|تداولته|قالته|قاله|اعلنته|زعمته|زعمه|بثته|نقلته|"
    r"روجته|روجت له|ادعته|ادعاه|افادت به|افاد به)\s+([^،,.؛:]+)"
)
# A sentence that reports something on someone's word: the usual shape of a denied claim.
_REPORT_FRAME = re.compile(
    r"(?:^|\s)[وف]?(?:ذكرت|ذكر|افادت|افاد|اوردت|اورد|نقلت|تقارير|التقارير|انباء|الانباء|زعم|زعمت|اشاعات|ادعت|ادعي|"
    r"اتهم|اتهمت|تداولت|نشرت|according|reported|reports|selon)(?:\s|$)"
)
# Negated sentences agree with a denial rather than make the claim it denies.
_NEGATION = frozenset(
    {"لم", "ولم", "فلم", "لن", "ولن", "ليس", "ليست", "عدم", "بعدم", "لا", "ولا", "not", "pas"}
)
_GENERIC = frozenset(
    {
        "صحيفه",
        "جريده",
        "قناه",
        "وكاله",
        "موقع",
        "شبكه",
        "مجله",
        "تقرير",
        "وسايل",
        "بعض",
        "الصحيفه",
        "القناه",
        "الوكاله",
        "الموقع",
        "اعلام",
        "الاعلام",
        "البريطانيه",
        "الامريكيه",
        "الاميركيه",
    }
)


@dataclass(slots=True, frozen=True)
class DisputeThresholds:
    """How close a claim must be to what a denial denies, when no source is named.

    Chosen on SaudiNewsNet dev stories by reading every dispute produced (bench/brief_eval.py
    --disputes); see docs/benchmarks/brief.md.
    """

    semantic: float = 0.7
    lexical: float = 0.35
    # For a sentence shaped like a report ("وسائل إعلام ذكرت أن ..."), the usual form of a claim.
    framed_semantic: float = 0.45
    framed_lexical: float = 0.25
    min_content_tokens: int = 4


# Every cue word holds one of these (on the matching form, punctuation removed): a sentence without
# any of them cannot have a cue word, so the word-by-word pass is skipped for it.
_CUE_ROOTS = re.compile(r"نف|كذب|فند|دحض|den|refut|dismiss|dément|dement|nie|nié")
_NOT_WORD = re.compile(r"[\W_]+")


def denial_cue(text: str, forms: Forms | None = None, whole: str | None = None) -> int | None:
    """Index (in white-space words) just after the denial cue of `text`, or None if it denies nothing.

    A cue preceded by a negator ("لم ينفِ", did not deny) does not count. `forms`: the caller's
    memo of words' matching forms; `whole`: `match_form(text)`, when the caller has it.
    """
    if whole is None:
        whole = match_form(text)
    if _CUE_ROOTS.search(_NOT_WORD.sub("", whole)) is not None:
        form_of = forms.form if forms is not None else match_form
        words = text.split()
        for i, word in enumerate(words):
            form = form_of(word)
            # A cue word holds a cue root (its letters stay adjacent once punctuation is removed):
            # the other words need no tokenising. A word of letters and digits only has nothing to
            # remove (str.isalnum is re's \w without the underscore).
            if _CUE_ROOTS.search(form if form.isalnum() else _NOT_WORD.sub("", form)) is None:
                continue
            bare = "".join(tokens(form)) or form
            if _CUE_WORD.match(bare) and not (
                i > 0 and "".join(tokens(match_form(words[i - 1]))) in _NEGATORS
            ):
                return i + 1
    found = _CUE_PHRASE.search(whole)
    # Map the phrase back to a word index: count the words before it in the matching form.
    return None if found is None else len(whole[: found.start()].split())


def attributed_source(text: str) -> list[str]:
    """Matching-form tokens naming the source whose report is denied ("ما ذكرته سكاي نيوز")."""
    found = _ATTRIBUTED.search(match_form(text))
    if not found:
        return []
    words = [t for t in tokens(found.group(1)) if t not in _GENERIC]
    return words[:2]


class DisputeFinder:
    """Finds claims of a story that another sentence of the story denies.

    `embed` (texts -> L2-normalised rows) is used both for the content route and for widening each
    side to every article that reports it (through the brief's statement links).
    """

    def __init__(
        self,
        embed: Embed | None = None,
        thresholds: DisputeThresholds | None = None,
        min_tokens: int = 4,
        forms: Forms | None = None,
    ) -> None:
        self.embed = embed
        self.thresholds = thresholds or DisputeThresholds()
        self.min_tokens = min_tokens
        self.forms = forms or Forms()  # matching forms of words, remembered across stories

    def find(
        self, articles: Sequence[Article], embed: Embed | None = None, units: Sequence[Unit] | None = None
    ) -> list[Dispute]:
        """The story's disputes. `units` (from `sentence_units` with at most `min_tokens`) saves a
        second pass over the story when the caller already split it."""
        if units is None:
            units = sentence_units(articles, min_tokens=self.min_tokens, forms=self.forms)
        else:
            units = [u for u in units if u.n_tokens >= self.min_tokens]
        cues = [denial_cue(u.text, self.forms, u.form) for u in units]
        denials = [k for k, c in enumerate(cues) if c is not None]
        if not denials:
            return []
        embedder = embed or self.embed
        if embedder is None:
            embedder = self.embed = UseEmbedder()
        # Sentences are embedded when first needed: most denials name nothing found in the story,
        # and then only the few sentences that pass the cheap tests are embedded.
        vectors = _LazyVectors(units, embedder)
        is_denial = np.array([c is not None for c in cues])

        by_claim: dict[int, tuple[int, set[int]]] = {}
        for d in denials:
            claim = self._claim_by_source(units, d, is_denial, vectors)
            if claim is None:
                claim = self._claim_by_content(units, d, cues[d] or 0, is_denial, vectors, embedder)
            if claim is None:
                continue
            by_claim.setdefault(claim, (d, set()))[1].add(d)
        if not by_claim:
            return []
        builder = BriefBuilder(embed=embedder)
        links = builder.pair_scores(units, vectors.all()) >= 1.0
        disputes = []
        for claim, (first_denial, deniers) in sorted(by_claim.items(), key=lambda kv: units[kv[0]].position):
            reporters = [claim] + [k for k in np.nonzero(links[claim])[0].tolist() if not is_denial[k]]
            denying = set(deniers)
            for d in deniers:
                denying.update(k for k in np.nonzero(links[d])[0].tolist() if is_denial[k])
            disputes.append(
                Dispute(
                    claim=units[claim].text,
                    articles=_articles_in_order(units, reporters, first=claim),
                    disputed_by=_articles_in_order(units, sorted(denying), first=first_denial),
                    text=units[first_denial].text,
                )
            )
        return disputes

    def _claim_by_source(
        self, units: Sequence[Unit], d: int, is_denial: np.ndarray, vectors: _LazyVectors
    ) -> int | None:
        """The sentence attributing a report to the source the denial names, nearest first."""
        name = attributed_source(units[d].text)
        if not name:
            return None
        needle = " ".join(name)
        candidates = [
            k
            for k, u in enumerate(units)
            if k != d and not is_denial[k] and needle in " ".join(tokens(u.text))
        ]
        if not candidates:
            return None
        vectors.need([d, *candidates])
        den = units[d]

        def rank(k: int) -> tuple[int, float, float]:
            u = units[k]
            before = u.article == den.article and u.position < den.position
            same = u.article == den.article
            distance = abs(u.paragraph - den.paragraph) + abs(u.sentence - den.sentence) / 100
            return (
                0 if before else 1 if same else 2,
                distance if same else 0.0,
                -float(vectors[k] @ vectors[d]),
            )

        return min(candidates, key=rank)

    def _claim_by_content(
        self,
        units: Sequence[Unit],
        d: int,
        cue_end: int,
        is_denial: np.ndarray,
        vectors: _LazyVectors,
        embedder: Embed,
    ) -> int | None:
        """The sentence that says what the denial denies, if one is close in meaning and in words."""
        t = self.thresholds
        words = units[d].text.split()
        content = " ".join(words[cue_end:]) if cue_end < len(words) else ""
        if len(tokens(content)) < t.min_content_tokens:
            content = units[d].text
        content_stems_set = set(content_stems(content))
        # The word test first: only the sentences that pass it are embedded.
        passing: list[tuple[int, float]] = []
        for k, u in enumerate(units):
            if k == d or is_denial[k] or _NEGATION.intersection(tokens(u.text)):
                continue
            framed = _REPORT_FRAME.search(match_form(u.text)) is not None
            min_lex = t.framed_lexical if framed else t.lexical
            stems = set(u.stems)
            overlap = len(stems & content_stems_set) / (min(len(stems), len(content_stems_set)) + 2)
            if overlap >= min_lex:
                passing.append((k, t.framed_semantic if framed else t.semantic))
        if not passing:
            return None
        content_vec = np.asarray(embedder([content]), dtype=np.float32)[0]
        vectors.need([k for k, _ in passing])
        best, best_cos = None, -1.0
        for k, min_cos in passing:
            cos = float(vectors[k] @ content_vec)
            if cos >= min_cos and cos > best_cos:
                best, best_cos = k, cos
        return best


class _LazyVectors:
    """Unit vectors computed on demand, in batches (`need`), then read by index."""

    def __init__(self, units: Sequence[Unit], embed: Embed) -> None:
        self._units = units
        self._embed = embed
        self._rows: dict[int, np.ndarray] = {}

    def need(self, ks: Sequence[int]) -> None:
        todo = [k for k in dict.fromkeys(ks) if k not in self._rows]
        if todo:
            got = np.asarray(self._embed([self._units[k].text for k in todo]), dtype=np.float32)
            self._rows.update(zip(todo, got, strict=True))

    def __getitem__(self, k: int) -> np.ndarray:
        self.need([k])
        return self._rows[k]

    def all(self) -> np.ndarray:
        self.need(range(len(self._units)))
        return np.stack([self._rows[k] for k in range(len(self._units))])


def _articles_in_order(units: Sequence[Unit], ks: Sequence[int], first: int) -> list[str]:
    """Article ids of `ks`, the quoted sentence's article first, then in publication order."""
    out: list[str] = [units[first].article]
    for k in sorted(ks, key=lambda k: units[k].position):
        if units[k].article not in out:
            out.append(units[k].article)
    return out
