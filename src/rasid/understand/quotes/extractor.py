"""The quote extractor: one article's attributed quotes (see the package docstring)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from rasid.model import Article, Entity, Mention, Quote
from rasid.text.normalize import Forms, match_form

from .speakers import SpeakerSearch
from .text import (
    _GAP_WORD,
    _TRIM,
    _WORD,
    _glued,
    _head_key,
    _inside,
    _kind,
    _nearest_body,
    _quote_spans,
    _sentences,
    _unwrap,
)
from .words import (
    _ADVERBS,
    _BODY_HEADS,
    _COMPLEMENTIZERS,
    _CONTINUE,
    _DESCRIPTORS,
    _FINITE,
    _NOT_SUBJECT_BEFORE,
    _OUTLET_WORDS,
    _PARTICIPLES,
    _PRONOUN_NEXT,
    _SOURCE_FILLERS,
    _SOURCES,
    _SOURCES_TWO,
    _SPEAKER_NOUNS,
    QuoteSettings,
    _Men,
    _Tok,
    _Trigger,
)


class QuoteExtractor(SpeakerSearch):
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
        # Every matching form `_triggers` can take for a trigger: a speech word (alone or after و or
        # ف) or a source word. Any other word is passed over on one set look-up.
        self._trigger_keys = (
            self._speech_words
            | {c + w for c in ("و", "ف") for w in self._speech_words}
            | self._sources
            | set(self._sources_two)
        )
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
                q = Quote(
                    speaker=entities[entity].name, text=text, article=article.id, kind=_kind(para.text, text)
                )
                if (q.speaker, q.text) not in seen:
                    seen.add((q.speaker, q.text))
                    quotes.append(q)
        return quotes

    def _bodies(
        self, by_para: dict[int, list[_Men]], entities: Sequence[Entity]
    ) -> dict[str, list[tuple[int, int, int]]]:
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
                    got = self._speech(
                        text, s_toks, men, spans, trig, clause_start, clause_end, search_before
                    )
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
                            inherit = (
                                prev_speaker
                                if prev_speaker is not None
                                else (last_speaker if pronoun else None)
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
        sources, sources_two, trigger_keys = self._sources, self._sources_two, self._trigger_keys
        for i, t in enumerate(toks):
            key = t.key
            if key not in trigger_keys:
                continue
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
