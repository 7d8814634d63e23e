"""The rule passes over one story's mentions (see the package docstring)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from ...model import Article, Mention
from ...text.normalize import Forms, match_form
from ..aliases import AliasTable
from ..aliases import bare as bare_alias
from ..ner_tokenize import Token, tokenize
from ..phrases import PhraseFinder
from ..translit import skeleton
from .groups import group_mentions
from .lexicon import (
    _ACRONYM_AFTER,
    _DESCRIPTIVE,
    _FUNCTION,
    _JOINERS,
    _QUOTES_CLOSE,
    _QUOTES_OPEN,
    _ROYAL_FORMS,
    Lexicon,
    _Span,
    _trigger_forms,
)
from .spans import SpanRules
from .words import _drop_designations


@dataclass(slots=True)
class StoryRules(SpanRules):
    """The rule passes, with the lexicon they read (built once, shared by every story)."""

    common: frozenset[str] = field(default_factory=frozenset)
    name_part: frozenset[str] = field(default_factory=frozenset)
    triggers: dict[str, tuple[str, str]] = field(default_factory=dict)  # any written form -> (type, noun)
    descriptive: frozenset[str] = field(default_factory=frozenset)
    joiners: frozenset[str] = field(default_factory=frozenset)
    function: frozenset[str] = field(default_factory=frozenset)
    enabled: bool = True
    # Head-led multi-word names (corpus gazetteer and story recurrence); None: not looked for.
    phrases: PhraseFinder | None = None
    # Aliases every reader knows (المملكة، العاصمة السعودية); None: not looked for.
    aliases: AliasTable | None = None
    # Matching forms of words, remembered across stories (shared with the analyzer's other passes).
    forms: Forms = field(default_factory=Forms)
    # Joined transliteration skeletons of name keys (`skeleton_key`), remembered across stories.
    skeletons: dict[str, str] = field(default_factory=dict)
    max_skeletons: int = 100_000

    @classmethod
    def none(cls) -> StoryRules:
        """The no-op: mentions pass through untouched (for measuring what the rules add)."""
        return cls(enabled=False)

    @classmethod
    def default(
        cls, lexicon: Lexicon | None = None, phrases: PhraseFinder | None = None, forms: Forms | None = None
    ) -> StoryRules:
        """The rules with the packaged lexicon and phrase gazetteer, read now (or `lexicon` and
        `phrases`, when the caller holds them); `forms`: the caller's memo of matching forms."""
        lex = lexicon or Lexicon.load()
        if phrases is None:
            phrases = PhraseFinder.load()
            phrases.common = lex.common

        def form_set(words: Sequence[str]) -> frozenset[str]:
            return frozenset(match_form(w) for w in words)

        return cls(
            common=lex.common,
            name_part=lex.name_part,
            triggers=_trigger_forms(),
            descriptive=form_set(_DESCRIPTIVE),
            joiners=form_set(_JOINERS),
            function=form_set(_FUNCTION),
            phrases=phrases,
            aliases=AliasTable.load(),
            forms=forms or Forms(),
        )

    def skeleton_key(self, key: str) -> str:
        """`translit.skeleton(key)` without its spaces: stories of a day share most name keys."""
        got = self.skeletons.get(key)
        if got is None:
            if len(self.skeletons) >= self.max_skeletons:
                self.skeletons.clear()
            got = self.skeletons[key] = skeleton(key).replace(" ", "")
        return got

    # ------------------------------------------------------------------ entry point
    def apply(
        self, articles: Sequence[Article], mentions: list[Mention], name_words: set[str]
    ) -> list[Mention]:
        """The story's mentions with rule spans added (replacing the NER spans they cover),
        joined place names extended, and junk dropped."""
        if not self.enabled:
            return mentions
        by_para: dict[tuple[str, int], list[Mention]] = {}
        for m in mentions:
            by_para.setdefault((m.article, m.paragraph), []).append(m)
        words: Counter[str] = Counter()
        joined: Counter[tuple[str, str]] = Counter()
        paras: list[tuple[str, int, str, list[Token], list[str]]] = []
        form_of, form = self.forms.form_of, self.forms.form  # news repeats its words: normalise each once
        for art in articles:
            for pi, para in enumerate(art.paragraphs):
                toks = tokenize(para.text)
                forms = [f if (f := form_of.get(t[0])) is not None else form(t[0]) for t in toks]
                words.update(forms)
                self._joined_pairs(forms, joined)
                paras.append((art.id, pi, para.text, toks, forms))
        cands = [self.phrases.candidates(p[4]) for p in paras] if self.phrases else []
        story_phrases = (
            self.phrases.recurring([(p[0], p[4]) for p in paras], cands) if self.phrases else set()
        )
        cands_of = {(p[0], p[1]): c for p, c in zip(paras, cands, strict=False)}
        quoted = self._quoted_names(paras) if self.phrases and self.phrases.use_story else set()
        protected: set[tuple[str, int, int]] = set()
        out: list[Mention] = []
        for aid, pi, text, toks, forms in paras:
            found = by_para.get((aid, pi), [])
            named = self._phrase_spans(text, toks, forms, found, story_phrases, cands_of.get((aid, pi)))
            named += [
                q
                for q in self._quoted_spans(toks, forms, quoted)
                if not any(n.start < q.end and q.start < n.end for n in named)
                and not any(m.start < q.end and q.start < m.end for m in found)
            ]
            spans = self._trigger_spans(text, toks, forms, found)
            # where a phrase and a trigger rule's name overlap, the longer stands
            longer = [
                t
                for t in spans
                if any(
                    n.start < t.end and t.start < n.end and t.end - t.start > n.end - n.start for n in named
                )
            ]
            named = [n for n in named if not any(t.start < n.end and n.start < t.end for t in longer)]
            spans = named + [t for t in spans if not any(n.start < t.end and t.start < n.end for n in named)]
            spans += self._surname_spans(toks, forms, found, spans)
            kept = [
                m for m in found if not any(s.replaces and s.start < m.end and m.start < s.end for s in spans)
            ]
            kept = [self._extend_joined(m, text, joined) for m in kept]
            kept = self._extend_given_all(kept, text, toks)
            for s in spans:
                if s.protect:
                    protected.add((aid, pi, s.start))
                hit = [k for k, m in enumerate(kept) if s.start < m.end and m.start < s.end]
                if not hit:
                    kept.append(
                        Mention(s.display or text[s.start : s.end], s.type, aid, pi, s.start, s.end, s.alias)
                    )
                elif s.alias and len(hit) == 1 and kept[hit[0]].type in ("ORG", s.type):
                    # the tagger found the short name itself: it still names the descriptive one
                    m = kept[hit[0]]
                    kept[hit[0]] = Mention(m.text, "ORG", m.article, m.paragraph, m.start, m.end, s.alias)
            kept += self._acronyms(kept, text)
            out.extend(kept)
        out = self._trim_leading(out, protected)
        out = self._drop_junk(out, words, self.forms, name_words, protected)
        out = _drop_designations(out, {(aid, pi): text for aid, pi, text, _, _ in paras}, self.forms.form)
        if self.aliases:
            extra = self._alias_mentions(paras, out)  # (may trim a mention of `out` in place)
            out = out + extra
        return out + group_mentions(paras, out, self.forms.form)

    def _alias_mentions(
        self, paras: list[tuple[str, int, str, list[Token], list[str]]], mentions: list[Mention]
    ) -> list[Mention]:
        """Mentions of the aliases (المملكة، العاصمة السعودية) of places the story names."""
        assert self.aliases is not None
        present = self.aliases.present(self.forms.form(m.text) for m in mentions)
        if not present:
            return []
        taken: dict[tuple[str, int], list[Mention]] = {}
        for m in mentions:
            taken.setdefault((m.article, m.paragraph), []).append(m)
        out: list[Mention] = []
        trimmed: list[tuple[Mention, Mention]] = []
        dropped: set[int] = set()
        for aid, pi, text, toks, forms in paras:
            here = taken.get((aid, pi), [])
            for i, j, typ in self.aliases.spans(forms, present):
                first = forms[i]
                skip = len(first) - len(bare_alias(first))
                start, end = toks[i].start + max(skip, 0), toks[j - 1].end
                if first.startswith("لل") and skip == 0:
                    start = toks[i].start + 1
                over = [m for m in here if m.start < end and start < m.end]
                inside = [m for m in over if start <= m.start and m.end <= end]
                if inside and len(inside) == len(over) and j - i > 1:
                    # a name inside the alias (السعودية of العاصمة السعودية) is part of the alias
                    dropped.update(id(m) for m in inside)
                    over = []
                # an apposition the tagger took as one name (العاصمة السعودية الرياض): the alias, then the name
                if len(over) == 1 and toks[i].start <= over[0].start <= start and over[0].end > end + 1:
                    m = over[0]
                    rest = text[end : m.end]
                    lead = len(rest) - len(rest.lstrip())
                    trimmed.append(
                        (m, Mention(rest.strip(), m.type, m.article, m.paragraph, end + lead, m.end, m.alias))
                    )
                elif over:
                    continue
                display = text[start:end]
                if first.startswith("لل"):
                    display = "ال" + text[toks[i].start + 2 : end]
                out.append(Mention(display, typ, aid, pi, start, end))
        if trimmed or dropped:
            swap = {id(a): b for a, b in trimmed}
            mentions[:] = [swap.get(id(m), m) for m in mentions if id(m) not in dropped]
        return out

    def _quoted_names(
        self, paras: list[tuple[str, int, str, list[Token], list[str]]]
    ) -> set[tuple[str, ...]]:
        """Names of the story's own making: a phrase of two to four words the story puts in quote
        marks at least twice («عاصفة الحزم», "السهم الذهبي")."""
        seen: Counter[tuple[str, ...]] = Counter()
        for _, _, _, toks, forms in paras:
            for j, t in enumerate(toks):
                if t.text not in _QUOTES_OPEN:
                    continue
                for k in range(j + 3, min(j + 6, len(toks))):
                    if toks[k].text in _QUOTES_CLOSE:
                        inner = forms[j + 1 : k]
                        if all(w.isalpha() and len(w) >= 2 and w not in self.function for w in inner) and any(
                            self._bare(w) not in self.common for w in inner
                        ):
                            seen[tuple(inner)] += 1
                        break
                    if not forms[k].isalpha():
                        break
        return {name for name, n in seen.items() if n >= 2}

    def _quoted_spans(self, toks: list[Token], forms: list[str], names: set[tuple[str, ...]]) -> list[_Span]:
        """Every use, quoted or not, of the story's quoted names (MISC)."""
        out: list[_Span] = []
        for name in names:
            n = len(name)
            for i in range(len(forms) - n + 1):
                if tuple(forms[i : i + n]) == name:
                    out.append(_Span(toks[i].start, toks[i + n - 1].end, "MISC", protect=True))
        return out

    def _phrase_spans(
        self,
        text: str,
        toks: list[Token],
        forms: list[str],
        found: list[Mention],
        story_phrases: set[str],
        cands: dict[int, list[str]] | None = None,
    ) -> list[_Span]:
        """Head-led names of the gazetteer or of the story's recurrence in one paragraph. A name the
        tagger already found longer (an organisation or group running past the phrase) is kept
        as the tagger found it."""
        if self.phrases is None:
            return []
        out: list[_Span] = []
        for ps in self.phrases.spans(forms, story_phrases, cands):
            start, end = toks[ps.start].start + ps.chars_skip, toks[ps.end - 1].end
            if any(
                m.start < end
                and start < m.end
                and (m.start < start or m.end > end)
                and m.type in ("ORG", "MISC")
                for m in found
            ):
                continue
            # a person's name the tagger found inside starts after the body's name (…الإنسانية رأفت
            # الصباغ), unless a royal title puts it in the name (مركز الملك سلمان)
            cut = [
                k
                for k in range(ps.start + 2, ps.end)
                for m in found
                if m.type == "PER" and m.start == toks[k].start and forms[k - 1] not in _ROYAL_FORMS
            ]
            if cut:
                if cut[0] - ps.start < 2:
                    continue
                end = toks[cut[0] - 1].end
            display = ""
            if ps.chars_skip == 1 and forms[ps.start].startswith("لل"):
                display = "ال" + text[start + 1 : end]
            out.append(_Span(start, end, ps.type, display=display, protect=True))
        return out

    def _extend_given_all(self, kept: list[Mention], text: str, toks: list[Token]) -> list[Mention]:
        """`_extend_given` over a paragraph's mentions; a one-word person mention that is only the
        given name taken in (عبدربه before منصور هادي) goes, and a longer one ending in it is cut
        before it (المعلم محمد + عوض بن لادن)."""
        if self.phrases is None or not self.phrases.first_names or not any(m.type == "PER" for m in kept):
            return kept
        out: list[Mention | None] = list(kept)
        index = {t.start: n for n, t in enumerate(toks)}
        for n in range(len(out)):
            m = out[n]
            if m is None or m.type != "PER":
                continue
            k = index.get(m.start)
            if (
                not k
                or toks[k - 1].end + 1 != m.start
                or not self.phrases.is_first_name(self.forms.form(toks[k - 1].text), toks[k - 1].text)
            ):
                continue  # the common case: no given name right before
            new = self._extend_given(m, text, toks, [o for o in out if o is not None])
            if new is m:
                continue
            out[n] = new
            for k, o in enumerate(out):
                if o is None or o is new or o.type != "PER" or not (o.start < m.start and o.end > new.start):
                    continue
                keep = text[o.start : new.start].rstrip()
                out[k] = (
                    Mention(keep, o.type, o.article, o.paragraph, o.start, o.start + len(keep), o.alias)
                    if keep.strip()
                    else None
                )
        return [m for m in out if m is not None]

    def _acronyms(self, kept: list[Mention], text: str) -> list[Mention]:
        """A Latin acronym in brackets or quotes right after a body's name (مكتب تحقيقات حوادث الطيران
        البريطاني (AAIB)) is that body's short name (an appositive, `Mention.alias`)."""
        out = []
        for m in kept:
            if m.type != "ORG":
                continue
            hit = _ACRONYM_AFTER.match(text, m.end)
            if hit and not any(o.start < hit.end(1) and hit.start(1) < o.end for o in kept):
                out.append(
                    Mention(hit.group(1), "ORG", m.article, m.paragraph, hit.start(1), hit.end(1), m.text)
                )
        return out

    def _extend_given(self, m: Mention, text: str, toks: list[Token], kept: list[Mention]) -> Mention:
        """A person's name the tagger started one or two words late: given names right before it
        belong to it (علي + عبدالله صالح, عبدربه + منصور هادي). The preposition على is not علي."""
        if m.type != "PER" or self.phrases is None or not self.phrases.first_names:
            return m
        k = next((n for n, t in enumerate(toks) if t.start == m.start), None)
        start = m.start
        while k is not None and k > 0 and m.start - start < 40:
            prev = toks[k - 1]
            if (
                prev.end + 1 != start
                or prev.text == "على"
                or not self.phrases.is_first_name(self.forms.form(prev.text), prev.text)
            ):
                break
            if any(
                o is not m
                and o.start < prev.end
                and prev.start < o.end
                and not (o.type == "PER" and o.end == prev.end)
                for o in kept
            ):
                break
            start, k = prev.start, k - 1
        if start == m.start:
            return m
        return Mention(text[start : m.end], m.type, m.article, m.paragraph, start, m.end, m.alias)
