"""Quotes: who said what, in direct and reported speech, with the speaker as a canonical entity.

Arabic news attributes speech with a small set of verbs (قال، أضاف، أكد، أفاد، ذكر، أشار، صرح،
أوضح ...) and source phrases (بحسب، وفقا لـ، نقلا عن). The verb sits in one of a few frames:

    قال [المتحدث باسم الكرملين] دميتري بيسكوف، الخميس، إن ...      speaker after the verb
    شويغو قال لكيم عن إحدى الطائرات: "..."                        speaker before, addressee after
    عبر عنها كيم جونغ أون، في تصريحات صحفية قائلا: «...»          participle, subject earlier
    وأضاف إن ...                                                  continues the last speaker
    ...، بحسب ما أوردت الوكالة ...                                 source after what it reported

So each trigger is read as: a speaker region (between the verb and the complementizer إن/أن, a
colon or an opening quote mark), a speaker found there or earlier in the sentence, and a quote
text that is the quoted span after a colon, or the clause after إن/أن up to the next trigger or
the end of the sentence. A speaker must be a mention resolved to a canonical entity; a trigger
with none is dropped rather than guessed. Quote marks that are not introduced by speech (scare
quotes: "ذروة جديدة") are not quotes.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from rasid.model import Article, Entity, Mention, Quote
from rasid.text.normalize import Forms, match_form

_FINITE = (
    "قال", "قالت", "يقول", "تقول", "أضاف", "أضافت", "يضيف", "تضيف", "أكد", "أكدت", "يؤكد", "تؤكد",
    "أفاد", "أفادت", "ذكر", "ذكرت", "يذكر", "تذكر", "أشار", "أشارت", "يشير", "تشير", "صرح", "صرحت",
    "أوضح", "أوضحت", "تابع", "تابعت", "أعلن", "أعلنت", "شدد", "شددت", "أردف", "استطرد", "لفت", "لفتت",
    "نفى", "نفت", "دعا", "دعت", "كشف", "كشفت", "أبان", "حذر", "حذرت", "اعتبر", "اعتبرت", "نوه", "نوهت",
)
_PARTICIPLES = (
    "قائلا", "قائلة", "مضيفا", "مضيفة", "مؤكدا", "مؤكدة", "مشيرا", "مشيرة", "موضحا", "موضحة", "لافتا",
    "لافتة", "مبينا", "مبينة", "مفيدا", "مفيدة", "مشددا", "مشددة", "معتبرا", "محذرا", "داعيا",
)
# Prepositions that may follow a speech verb whose subject is a pronoun: وأشار إلى أن، وقال في تغريدة.
_PRONOUN_NEXT = ("إلى", "الى", "في", "عن", "على", "ل", "لـ", "خلال", "عبر", "ب", "لوسائل", "لصحيفة")
# Definite head nouns that name a body already in the article: وأكدت الهيئة أن، وقال المكتب في بيانه.
_BODY_HEADS = (
    "الهيئة", "المكتب", "المركز", "الوزارة", "الشركة", "المنظمة", "اللجنة", "المجلس", "الوكالة",
    "البرنامج", "الجمعية", "الجامعة", "الصحيفة", "المديرية", "الإدارة", "الحركة", "الجماعة", "التنظيم",
    "الحزب", "الاتحاد", "المؤسسة", "الجهاز", "السفارة", "القناة", "البنك", "الصندوق", "المحكمة",
)
_CONTINUE = ("أضاف", "أضافت", "تابع", "تابعت", "أردف", "استطرد", "مضيفا", "مضيفة")
_COMPLEMENTIZERS = ("إن", "أن", "إنه", "أنه", "إنها", "أنها", "بأن", "بأنه", "بأنها", "إنهم", "أنهم")
_SOURCES = ("بحسب", "حسب", "وبحسب", "وحسب")
_SOURCES_TWO = (("وفقا", "ل"), ("ووفقا", "ل"), ("طبقا", "ل"), ("نقلا", "عن"), ("ونقلا", "عن"))
# Words between a source marker and the source: بحسب ما أوردت X, وفقاً لما ذكرته X.
_SOURCE_FILLERS = ("ما", "لما", "ذكرت", "ذكرته", "ذكره", "أوردت", "أورده", "أوردته", "نقلت", "نقلته", "أفادت", "قالت", "أعلنت")
# A mention right after these is not the speaker: قال لكيم, تحدث مع بوتين, ناقش في موسكو.
_NOT_SUBJECT_BEFORE = ("مع", "عن", "إلى", "على", "لدى", "من", "في", "ل", "لـ", "ب", "بين", "مثل")
# Nouns that name a new, unnamed speaker (وأضاف المتحدث): such a verb does not continue the last one.
_SPEAKER_NOUNS = (
    "متحدث", "ناطق", "مسؤول", "مسؤولة", "مصدر", "مصادر", "وزير", "وزيرة", "رئيس", "مدير", "سفير",
    "عضو", "نائب", "مستشار", "زعيم", "قائد", "محافظ", "أمين", "خبير", "محلل", "باحث", "شاهد", "مراسل",
)
# Words that may stand between a verb and its subject: أكدت فيه أثينا, قالت أمس واشنطن.
_ADVERBS = (
    "فيه", "فيها", "أمس", "اليوم", "أيضا", "بدوره", "بدورها", "يوم", "الأحد", "الإثنين", "الاثنين",
    "الثلاثاء", "الأربعاء", "الخميس", "الجمعة", "السبت",
)
# Words that make an organisation a news outlet (matching forms are built at init). An outlet
# named as the source of a narrated sentence ("..., وفقا لـ«فرانس برس»") is where the reporter got
# the facts, not a speaker: only its quoted words or its own statements (ذكرت الوكالة أن) are quotes.
_OUTLET_WORDS = (
    "وكالة", "الوكالة", "الأنباء", "للأنباء", "أنباء", "صحيفة", "الصحيفة", "جريدة", "قناة", "القناة",
    "تلفزيون", "التلفزيون", "إذاعة", "الإذاعة", "برس", "نيوز", "agency", "press", "news", "times",
)
# A place after one of these describes a person (زعيم كوريا الشمالية), it is not the speaker.
_DESCRIPTORS = ("زعيم", "رئيس", "ملك", "أمير", "وزير", "سفير", "حاكم", "مستشار", "متحدث", "ناطق", "نائب")

_WORD_CHARS = r"\w\u0610-\u061a\u064b-\u065f\u0670\u0640"
_WORD = re.compile(f"[{_WORD_CHARS}]+")
# each word with what lies before it (positions by arithmetic: no match object per word)
_GAP_WORD = re.compile(f"([^{_WORD_CHARS}]*)([{_WORD_CHARS}]+)")
# A full stop glued to the next word ends a sentence only after a word of four letters or more
# (روسيا.البندقية), not after an abbreviation (تي.يو160).
_SENT_END = re.compile(r"[.!?؟]+(?=\s|$)|(?<=[\u0600-\u06ff]{4})[.!?؟]+(?=[\u0600-\u06ff])")
_GUILLEMETS = {"«": "»", "‹": "›"}
_AMBIGUOUS_MARKS = "\"“”„‟"
# Every quote mark: `_quote_spans` visits these characters only, not every character of the text.
_MARKS = re.compile("[" + re.escape("".join(_GUILLEMETS) + "".join(_GUILLEMETS.values()) + _AMBIGUOUS_MARKS) + "]")
_TRIM = " \t\n،,.:;؛-–—"


@dataclass(slots=True, frozen=True)
class QuoteSettings:
    """Bounds of the speaker search, in characters, and the shortest quote kept, in words."""

    max_region: int = 110
    max_before: int = 160
    max_source_gap: int = 60
    min_words: int = 2


class _Tok(NamedTuple):
    start: int
    end: int
    key: str  # matching form


@dataclass(slots=True)
class _Men:
    start: int
    end: int
    entity: int
    type: str
    text: str
    glued: bool  # a preposition glued before the name: لكيم, ببوتين (an addressee, not a speaker)


@dataclass(slots=True)
class _Trigger:
    kind: str  # "verb", "participle", "source"
    start: int
    end: int  # end of the trigger words
    cont: bool = False


class QuoteExtractor:
    """Extracts attributed quotes from one article, speakers resolved through the entity index."""

    def __init__(self, settings: QuoteSettings | None = None, forms: Forms | None = None) -> None:
        self.forms = forms or Forms()  # matching forms of words, remembered across articles
        self.settings = settings or QuoteSettings()
        form = match_form
        self._finite = frozenset(form(w) for w in _FINITE)
        self._participles = frozenset(form(w) for w in _PARTICIPLES)
        self._continue = frozenset(form(w) for w in _CONTINUE)
        self._complementizers = frozenset(form(w) for w in _COMPLEMENTIZERS)
        self._sources = frozenset(form(w) for w in _SOURCES)
        self._sources_two = {form(a): form(b) for a, b in _SOURCES_TWO}
        self._fillers = frozenset(form(w) for w in _SOURCE_FILLERS)
        self._not_subject = frozenset(form(w) for w in _NOT_SUBJECT_BEFORE)
        self._descriptors = frozenset(form(w) for w in _DESCRIPTORS)
        self._speech_words = self._finite | self._participles
        self._speaker_nouns = frozenset(form(w) for w in _SPEAKER_NOUNS)
        self._fillers_adv = frozenset(form(w) for w in _ADVERBS)
        self._outlet_words = frozenset(form(w) for w in _OUTLET_WORDS)
        self._pronoun_next = frozenset(form(w) for w in _PRONOUN_NEXT)
        self._body_heads = frozenset(form(w)[2:] for w in _BODY_HEADS)

    def extract(
        self,
        article: Article,
        mentions: Sequence[Mention],
        entity_of: Sequence[int],
        entities: Sequence[Entity],
    ) -> list[Quote]:
        """Quotes of `article`: speaker = canonical entity name, text = verbatim substring."""
        by_para: dict[int, list[_Men]] = {}
        keys: dict[int, set[str]] = {}
        for m, e in zip(mentions, entity_of, strict=True):
            if m.article != article.id or not 0 <= e < len(entities):
                continue
            if e not in keys:
                keys[e] = {self.forms.form(v) for v in entities[e].variants}
            ptext = article.paragraphs[m.paragraph].text if m.paragraph < len(article.paragraphs) else ""
            glued = (0 < m.start <= len(ptext) and ptext[m.start - 1].isalpha()) or _glued(m.text, keys[e])
            by_para.setdefault(m.paragraph, []).append(_Men(m.start, m.end, e, m.type, m.text, glued))
        outlets = {e for e in keys if self._is_outlet(entities[e])}
        bodies = self._bodies(by_para, entities)
        quotes: list[Quote] = []
        seen: set[tuple[str, str]] = set()
        last_speaker: int | None = None
        for pi, para in enumerate(article.paragraphs):
            men = sorted(by_para.get(pi, []), key=lambda x: x.start)
            def resolve(pos: int, head: str, pi: int = pi) -> int | None:
                return _nearest_body(bodies.get(head, []), pi, pos)

            for entity, text in self._paragraph(para.text, men, last_speaker, outlets, self.forms, resolve):
                last_speaker = entity
                q = Quote(speaker=entities[entity].name, text=text, article=article.id, kind=_kind(para.text, text))
                if (q.speaker, q.text) not in seen:
                    seen.add((q.speaker, q.text))
                    quotes.append(q)
        return quotes

    def _bodies(self, by_para: dict[int, list[_Men]], entities: Sequence[Entity]) -> dict[str, list[tuple[int, int, int]]]:
        """Head noun (هيئه of الهيئة العامة للطيران المدني) -> (paragraph, offset, entity) of the
        article's mentions of bodies led by it, in text order."""
        out: dict[str, list[tuple[int, int, int]]] = {}
        for pi in sorted(by_para):
            for m in sorted(by_para[pi], key=lambda x: x.start):
                if m.type not in ("ORG", "MISC"):
                    continue
                for name in {m.text, entities[m.entity].name}:
                    head = _head_key(name)
                    if head in self._body_heads:
                        out.setdefault(head, []).append((pi, m.start, m.entity))
                        break
        return out

    # ----------------------------------------------------------------- one paragraph
    def _is_outlet(self, entity: Entity) -> bool:
        """A news outlet: one of the entity's names holds a news word (وكالة, برس, نيوز ...)."""
        return entity.type == "ORG" and any(
            w in self._outlet_words for v in [entity.name, *entity.variants] for w in match_form(v).split()
        )

    def _paragraph(
        self,
        text: str,
        men: list[_Men],
        last_speaker: int | None,
        outlets: set[int] | None = None,
        forms: Forms | None = None,
        resolve: Callable[[int, str], int | None] | None = None,
    ) -> list[tuple[int, str]]:
        from bisect import bisect_left

        spans = _quote_spans(text)
        forms = forms or self.forms
        form_of, form = forms.form_of, forms.form
        toks: list[_Tok] = []
        make, pos = tuple.__new__, 0
        for gap, word in _GAP_WORD.findall(text):
            key = form_of.get(word)
            if key is None:
                key = form(word)
            start = pos + len(gap)
            pos = start + len(word)
            toks.append(make(_Tok, (start, pos, key)))
        starts = [t.start for t in toks]
        out: list[tuple[int, str]] = []
        for s_start, s_end in _sentences(text, spans):
            # tokens are in text order: the sentence's are one slice
            s_toks = toks[bisect_left(starts, s_start) : bisect_left(starts, s_end)]
            triggers = self._triggers(s_toks, spans)
            prev_speaker: int | None = None
            quoted_before = False
            for k, trig in enumerate(triggers):
                clause_end = triggers[k + 1].start if k + 1 < len(triggers) else s_end
                clause_start = triggers[k - 1].end if k > 0 else s_start
                if trig.kind == "source":
                    if k > 0:
                        continue  # the earlier trigger already owns this clause
                    got = self._source(text, s_toks, men, trig, s_start, s_end, spans, outlets or set())
                else:
                    # after a quote in this sentence, what precedes the verb is that quote's content,
                    # not this verb's subject: كما أشارت إلى أن ... continues the same source
                    search_before = not quoted_before
                    got = self._speech(text, s_toks, men, spans, trig, clause_start, clause_end, search_before)
                    if got and got[0] is None and resolve is not None:
                        # the verb's subject is a body the article named before (وأكدت الهيئة أن)
                        head = self._body_subject(s_toks, trig.end, got[2])
                        body = resolve(trig.start, head) if head else None
                        if body is not None:
                            got = (body, got[1], got[2])
                    if got and got[0] is None:
                        # no speaker named: the same one goes on (وأضاف إن ...; a pronoun subject:
                        # وأشار إلى أنه ...), unless the verb names someone new that we cannot
                        # resolve (وأضاف المتحدث: ...)
                        inherit = None
                        if not self._unnamed_speaker(s_toks, men, trig.end, got[2]):
                            pronoun = trig.cont or self._pronoun_subject(s_toks, trig.end, got[2])
                            inherit = prev_speaker if prev_speaker is not None else (
                                last_speaker if pronoun else None
                            )
                        got = (inherit, got[1], got[2]) if inherit is not None else None
                if got is None or got[0] is None:
                    continue
                entity, quote = got[0], got[1]
                if len(_WORD.findall(quote)) >= self.settings.min_words:
                    out.append((entity, quote))
                    prev_speaker = last_speaker = entity
                    quoted_before = True
        return out

    def _triggers(self, toks: list[_Tok], spans: list[tuple[int, int]]) -> list[_Trigger]:
        out: list[_Trigger] = []
        speech, finite, participles = self._speech_words, self._finite, self._participles
        sources, sources_two = self._sources, self._sources_two
        for i, t in enumerate(toks):
            key = t.key
            bare = key[1:] if key[:1] in ("و", "ف") and key[1:] in speech else key
            # the word tests first (most words are no trigger), then whether it is quoted
            if bare in finite:
                trig = _Trigger("verb", t.start, t.end, bare in self._continue)
            elif bare in participles:
                trig = _Trigger("participle", t.start, t.end, bare in self._continue)
            elif key in sources or (
                key in sources_two and i + 1 < len(toks) and toks[i + 1].key.startswith(sources_two[key])
            ):
                trig = _Trigger("source", t.start, t.end)
            else:
                continue
            if not _inside(t.start, spans):
                out.append(trig)
        return out

    # ----------------------------------------------------------------- speech verbs
    def _speech(
        self,
        text: str,
        toks: list[_Tok],
        men: list[_Men],
        spans: list[tuple[int, int]],
        trig: _Trigger,
        clause_start: int,
        clause_end: int,
        search_before: bool = True,
    ) -> tuple[int | None, str, int] | None:
        """(speaker entity or None to inherit, quote text, end of the speaker region) for one verb,
        or None if it is not speech."""
        limit = min(clause_end, trig.end + self.settings.max_region)
        boundary: int | None = None
        body_start = 0
        direct: tuple[int, int] | None = None
        for t in toks:
            if t.start < trig.end or t.start >= limit:
                continue
            if t.key in self._complementizers:
                boundary, body_start = t.start, t.end
                break
        colon = text.find(":", trig.end, limit)
        if colon != -1 and (boundary is None or colon < boundary):
            boundary, body_start = colon, colon + 1
        # an opening quote right after the verb or after a mention next to it: وقال بوتين "..."
        for open_, close in spans:
            if trig.end <= open_ < limit and (boundary is None or open_ < boundary):
                if self._only_mentions(text[open_ + 1 : close], open_ + 1, men):
                    continue  # a quoted name, «سكاي نيوز», not a quotation
                gap = text[trig.end : open_]
                if self._only_mentions(gap, trig.end, men):
                    boundary, body_start = open_, open_
                break
        if boundary is None:
            return None
        for open_, close in spans:
            if body_start <= open_ and text[body_start:open_].strip(_TRIM) == "":
                if not self._only_mentions(text[open_ + 1 : close], open_ + 1, men):
                    direct = (open_ + 1, close)
                break
        if direct is not None:
            quote = text[direct[0] : direct[1]].strip(_TRIM)
        else:
            quote = text[body_start:clause_end].strip(_TRIM)
            quote = _unwrap(quote)
        if not quote:
            return None
        speaker = self._speaker_after(text, toks, men, trig.end, boundary) if trig.kind == "verb" else None
        if speaker is None and search_before:
            start = max(clause_start, trig.start - self.settings.max_before)
            # a participle (مؤكدا أن) takes the sentence's subject, the first person named; a verb
            # whose subject comes first (شويغو قال) takes the nearest
            first = trig.kind == "participle"
            speaker = self._speaker_before(toks, men, start, trig.start, first)
        return speaker, quote, boundary

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

    def _speaker_after(self, text: str, toks: list[_Tok], men: list[_Men], start: int, end: int) -> int | None:
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
            if m.type == "LOC" and any(start <= t.start < m.start and t.key not in self._fillers_adv for t in toks):
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
            if start <= m.start and m.end <= end and not m.glued
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
                if all(w in self._fillers or w in ("ل", "لـ", "عن", "للسيد", "السيد") or len(w) <= 1 for w in words):
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
                (o, c) for o, c in spans
                if lo <= o and c <= hi and len(_WORD.findall(text[o + 1 : c])) >= 3
                and not self._only_mentions(text[o + 1 : c], o + 1, men)
            ]
            if not quoted:
                return None
        quote = text[speaker.end : s_end].strip(_TRIM + _AMBIGUOUS_MARKS + "»") if leads else before
        return speaker.entity, _unwrap(quote), trig.end


def _kind(text: str, quote: str) -> str:
    """"direct" when the quote stands in quote marks in its paragraph, else "indirect"."""
    at = text.find(quote)
    if at < 0:
        return "indirect"
    before = text[:at].rstrip()
    return "direct" if before[-1:] in "\"«“”„'‘" else "indirect"


def _head_key(name: str) -> str:
    """The first word of a name as a bare noun: الهيئة العامة ... -> هيئه; لمكتب -> مكتب."""
    first = match_form(name.split(" ", 1)[0]) if name.strip() else ""
    if first.startswith("لل"):
        return first[2:]
    for p in ("وال", "بال", "ال", "و", "ب", "ل"):
        if first.startswith(p) and len(first) - len(p) >= 3:
            return first[len(p):]
    return first


def _nearest_body(cands: Sequence[tuple[int, int, int]], pi: int, pos: int) -> int | None:
    """The body named last before (paragraph pi, offset pos), else the first named after it."""
    before = [c for c in cands if (c[0], c[1]) < (pi, pos)]
    if before:
        return before[-1][2]
    return cands[0][2] if cands else None


def _looks_glued(mention_text: str) -> bool:
    """A body or place written with a glued ل (لرويترز) when nothing else in the story shows it."""
    form = match_form(mention_text)
    return len(form) >= 5 and form[0] == "ل" and form[1] not in "اوي" and not form.startswith("لل")


def _glued(mention_text: str, variant_keys: set[str]) -> bool:
    """Whether a mention span is a name with a preposition glued on (لكيم), judged by its entity."""
    form = match_form(mention_text)
    if form in variant_keys or form[:1] not in ("ل", "ب"):
        return False
    return form[1:] in variant_keys or (form.startswith("لل") and "ال" + form[2:] in variant_keys)


def _unwrap(quote: str) -> str:
    """Strip one pair of quote marks enclosing the whole text."""
    if len(quote) >= 2 and (
        (quote[0] in _GUILLEMETS and quote[-1] == _GUILLEMETS[quote[0]])
        or (quote[0] in _AMBIGUOUS_MARKS and quote[-1] in _AMBIGUOUS_MARKS)
    ):
        inner = quote[1:-1]
        if not any(c in inner for c in _AMBIGUOUS_MARKS + "«»"):
            return inner.strip(_TRIM)
    return quote


def _quote_spans(text: str) -> list[tuple[int, int]]:
    """(open index, close index) of quoted spans: guillemets nest, other marks pair in order."""
    spans: list[tuple[int, int]] = []
    stack: list[int] = []
    pending: int | None = None
    for mark in _MARKS.finditer(text):
        i, ch = mark.start(), mark.group()
        if ch in _GUILLEMETS:
            stack.append(i)
        elif ch in _GUILLEMETS.values():
            if stack:
                spans.append((stack.pop(), i))
        elif ch in _AMBIGUOUS_MARKS:
            if pending is None:
                pending = i
            else:
                spans.append((pending, i))
                pending = None
    return sorted(spans)


def _inside(pos: int, spans: list[tuple[int, int]]) -> bool:
    return any(o < pos < c for o, c in spans)


def _sentences(text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Sentence ranges: split at . ! ? ؟ outside quoted spans."""
    out: list[tuple[int, int]] = []
    start = 0
    for m in _SENT_END.finditer(text):
        if _inside(m.start(), spans):
            continue
        out.append((start, m.end()))
        start = m.end()
    if start < len(text) and text[start:].strip():
        out.append((start, len(text)))
    return out
