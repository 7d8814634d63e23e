"""Where the speaker of a speech trigger is: after the verb, before it, or the source of a report."""

from __future__ import annotations

from collections.abc import Sequence

from rasid.text.normalize import Forms, match_form

from .text import _AMBIGUOUS_MARKS, _TRIM, _WORD, _looks_glued, _unwrap
from .words import QuoteSettings, _Men, _Tok, _Trigger


class SpeakerSearch:
    """The speaker searches of `QuoteExtractor` (a base class: its state is set there)."""

    forms: Forms
    settings: QuoteSettings
    _fillers: frozenset[str]
    _not_subject: frozenset[str]
    _descriptors: frozenset[str]
    _speaker_nouns: frozenset[str]
    _fillers_adv: frozenset[str]
    _pronoun_next: frozenset[str]
    _body_heads: frozenset[str]
    _sources_two: dict[str, str]

    def _first_after(self, toks: list[_Tok], start: int, end: int) -> _Tok | None:
        """The first word of the speaker region that is not an adverb (أمس، اليوم، فيه)."""
        for t in toks:
            if start <= t.start < end and t.key not in self._fillers_adv:
                return t
        return None

    def _pronoun_subject(self, toks: list[_Tok], start: int, end: int) -> bool:
        """The verb has no noun subject: the speaker region is empty or opens with a preposition
        (وأشار إلى أن، وقال في تغريدة عبر حسابه:)."""
        t = self._first_after(toks, start, end)
        return t is None or t.key in self._pronoun_next

    def _body_subject(self, toks: list[_Tok], start: int, end: int) -> str | None:
        """The head noun (without its article) when the verb's subject is a definite body noun."""
        t = self._first_after(toks, start, end)
        if t is None:
            return None
        key = t.key[1:] if t.key[:1] in ("و", "ف") and t.key[1:3] == "ال" else t.key
        return key[2:] if key.startswith("ال") and key[2:] in self._body_heads else None

    def _unnamed_speaker(self, toks: list[_Tok], men: list[_Men], start: int, end: int) -> bool:
        """Whether the speaker region holds a noun for a person we have no mention for.

        A noun directly followed by a place (زعيم كوريا الشمالية) describes someone already in
        the story, so it does not count.
        """
        region = [t for t in toks if start <= t.start < end]
        for i, t in enumerate(region):
            key = t.key[1:] if t.key[:1] == "و" and t.key[1:] in self._speaker_nouns else t.key
            key = key[2:] if key.startswith("ال") and key[2:] in self._speaker_nouns else key
            if key not in self._speaker_nouns:
                continue
            nxt = region[i + 1].start if i + 1 < len(region) else -1
            if not any(m.start == nxt and m.type == "LOC" for m in men):
                return True
        return False

    def _only_mentions(self, gap: str, offset: int, men: list[_Men]) -> bool:
        rest = list(gap)
        for m in men:
            if offset <= m.start and m.end <= offset + len(gap):
                for k in range(m.start - offset, m.end - offset):
                    rest[k] = " "
        return "".join(rest).strip(_TRIM) == ""

    def _prev_key(self, toks: list[_Tok], pos: int) -> str:
        before = [t for t in toks if t.end <= pos]
        return before[-1].key if before else ""

    def _speaker_after(
        self, text: str, toks: list[_Tok], men: list[_Men], start: int, end: int
    ) -> int | None:
        cands: list[_Men] = []
        for m in men:
            if not (start <= m.start and m.end <= end):
                continue
            if m.glued or (m.type != "PER" and _looks_glued(m.text)):
                continue  # لكيم, لرويترز: the addressee
            prev = self._prev_key(toks, m.start)
            if prev in self._not_subject:
                continue
            if m.type != "PER" and prev in self._descriptors:
                continue  # زعيم كوريا الشمالية: a description of a person, not a speaker
            if m.type == "LOC" and any(
                start <= t.start < m.start and t.key not in self._fillers_adv for t in toks
            ):
                continue  # a place speaks only as the verb's first word: not مجلس القضاء في إقليم كردستان
            cands.append(m)
        for wanted in ("PER", "ORG", "LOC"):
            for m in cands:
                if m.type == wanted:
                    return m.entity
        return None

    def _speaker_before(
        self, toks: list[_Tok], men: list[_Men], start: int, end: int, first: bool = False
    ) -> int | None:
        before = [
            m
            for m in men
            if start <= m.start
            and m.end <= end
            and not m.glued
            and self._prev_key(toks, m.start) not in self._not_subject
        ]
        # only people and bodies: a place before the verb is rarely its subject (تدشين قناة السويس
        # ... مؤكدا أن: the subject is a person NER missed, not the canal)
        for m in before if first else reversed(before):
            if m.type in ("PER", "ORG"):
                return m.entity
        return None

    # ----------------------------------------------------------------- sources
    def _source(
        self,
        text: str,
        toks: list[_Tok],
        men: list[_Men],
        trig: _Trigger,
        s_start: int,
        s_end: int,
        spans: Sequence[tuple[int, int]] = (),
        outlets: set[int] | None = None,
    ) -> tuple[int | None, str, int] | None:
        """بحسب X / وفقا لـ X: X is the source of the clause before it (or after, when it leads).

        When X is a news outlet and the clause quotes nothing (no quoted span of three words or
        more), the sentence is the reporter's
        narration sourced to a wire ("كان شويغو قد استقبل ..., وفقاً لما ذكرته وكالة الأنباء
        الفرنسية"), not something X said: no quote."""
        reach = trig.end + self.settings.max_source_gap
        speaker: _Men | None = None
        for m in men:
            if trig.end <= m.start < min(reach, s_end):
                gap = text[trig.end : m.start]
                words = [match_form(w) for w in _WORD.findall(gap)]
                if all(
                    w in self._fillers or w in ("ل", "لـ", "عن", "للسيد", "السيد") or len(w) <= 1
                    for w in words
                ):
                    speaker = m
                break
        if speaker is None or speaker.type not in ("PER", "ORG"):
            return None
        before = text[s_start : trig.start].strip(_TRIM)
        # the source leads the sentence (ووفقا للسيد بوتين، ...): what it says comes after it
        leads = len(_WORD.findall(before)) < 3
        if outlets and speaker.entity in outlets:
            lo, hi = (speaker.end, s_end) if leads else (s_start, trig.start)
            # a quotation, not a scare-quoted word («بندقية») or a quoted name
            quoted = [
                (o, c)
                for o, c in spans
                if lo <= o
                and c <= hi
                and len(_WORD.findall(text[o + 1 : c])) >= 3
                and not self._only_mentions(text[o + 1 : c], o + 1, men)
            ]
            if not quoted:
                return None
        quote = text[speaker.end : s_end].strip(_TRIM + _AMBIGUOUS_MARKS + "»") if leads else before
        return speaker.entity, _unwrap(quote), trig.end
