"""Rule layer over a story's NER mentions: names the tagger misses or cuts short, and junk it tags.

The statistical tagger (ANERcorp-trained) is good at people and countries and weak at
organisations, facilities and foreign place names; it also tags a common word now and then. These
rules read the paragraphs around the mentions, with two corpus facts from the packaged
`data/rules_lexicon.json.gz` (measured on SaudiNewsNet and ANERcorp by bench/entities_lexicon.py,
not listed by hand): which words are common words of news, and which are parts of longer names
but never a name alone.

- Trigger nouns (وكالة, مصنع, منطقة, محطة ...) announce a name: the rare words or the quoted name
  after them ("منطقة خاباروفسك", 'محطة قطارات "أرتيوم-بريمورسكي-1"'), a person's name after a
  facility noun making the facility ("مصنع طائرات يوري غاغارين"), and an agency's descriptive
  name of nisba adjectives ("وكالة الأنباء الفرنسية", "الوكالة الكورية المركزية الرسمية للأنباء"),
  with the quoted or bracketed short name that may follow it ("تاس", "KCNA").
- Place names joined by a foreign preposition (كومسومولسك أون أمور, نا أمور) are one name.
- Two rare words ending in a Slavic or Caucasian surname ending are a person (قسطنطين أسمولوف).
- Junk: a mention made only of common words, a one-word mention that is only ever part of longer
  names and is not part of one in this story, a conjunction glued to an unknown word (وعاين).

No name of any particular person, place or organisation is known to this module.
"""

from __future__ import annotations

import gzip
import json
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ..model import Article, Mention
from ..text.normalize import Forms, match_form
from .aliases import AliasTable
from .aliases import bare as bare_alias
from .ner_tokenize import Token, tokenize
from .phrases import PhraseFinder

# Generic nouns that announce a name after them (matching forms, without the article): they are
# kinds of things, not names. ORG: bodies and facilities; LOC: places.
_ORG_TRIGGERS = (
    "وكالة", "صحيفة", "جريدة", "مجلة", "قناة", "إذاعة", "شركة", "مصنع", "مصانع", "جامعة", "بنك",
    "مصرف", "حزب", "منظمة", "جمعية", "معهد", "مستشفى", "مؤسسة", "مجموعة", "نادي", "فندق", "مجمع",
    "أكاديمية", "كلية", "متحف",
)
_LOC_TRIGGERS = (
    "مدينة", "منطقة", "مقاطعة", "إقليم", "محافظة", "ولاية", "جزيرة", "قرية", "بلدة", "محطة",
    "مطار", "ميناء", "قاعدة", "نهر", "جبل", "بحيرة", "حي", "مرفأ",
)
# Only these ORG triggers take a descriptive name of adjectives (وكالة الأنباء الفرنسية): for a
# company or a bank the same shape is a description ("الشركة الأمريكية"), not a name.
_DESCRIPTIVE = ("وكالة", "صحيفة", "قناة", "إذاعة", "جامعة", "أكاديمية")
# Foreign prepositions inside place names: Komsomolsk-on-Amur, Rostov-na-Donu.
_JOINERS = ("أون", "نا", "اون", "on", "na", "upon", "am", "sur")
# Surname endings of transliterated Slavic and Caucasian names (Ivanov, -ev, -enko, -sky, -vich,
# -shvili, -yan): a word ending so, after a rare word, is a person's name.
_SURNAME_ENDINGS = ("وف", "يف", "ييف", "ينكو", "سكي", "فيتش", "شفيلي", "يان", "وفا", "يفا", "سكايا")
# Particles that end a name run: a name never goes on over them.
_FUNCTION = (
    "في", "من", "على", "إلى", "عن", "مع", "أن", "إن", "أنه", "التي", "الذي", "الذين", "و", "أو",
    "ثم", "قد", "لا", "لم", "لن", "ما", "هذا", "هذه", "ذلك", "تلك", "بعد", "قبل", "خلال", "بين",
    "حيث", "كما", "عند", "منذ", "حول", "ضد", "نحو", "لدى", "بحسب", "وفق", "يوم", "أمس", "اليوم",
)
_QUOTES_OPEN = "\"«“”„'‘"
_QUOTES_CLOSE = "\"»”“'’"
_CLITIC_PREFIXES = ("وال", "بال", "فال", "كال", "لل", "ال", "و", "ف", "ب", "ل", "ك")
# Nouns of made things: a name right after one is a model or a brand (صواريخ "كينغال", طائرة ميغ), not
# a place, person or body.
_THING_NOUNS = frozenset(match_form(w) for w in (
    "صاروخ", "صواريخ", "منظومة", "منظومات", "قاذفة", "قاذفات", "مقاتلة", "مقاتلات", "طائرة", "طائرات",
    "راجمة", "راجمات", "دبابة", "دبابات", "فرقاطة", "فرقاطات", "غواصة", "غواصات", "مروحية", "مروحيات",
    "طراز", "لقاح", "سيارة", "سيارات", "هاتف", "مدرعة", "مدرعات", "بندقية", "بنادق",
))
# Words tagged as names that are not entities of a story: God in formulae (رحمه الله), currencies.
_NOT_ENTITIES = frozenset(match_form(w) for w in (
    "الله", "ريال", "ريالا", "ريالات", "دولار", "دولارا", "دولارات", "يورو", "جنيه", "جنيها", "درهم",
    "درهما", "دينار", "دينارا", "ين", "روبل", "روبلا",
))
_MODEL_CODE = re.compile(r"^[^\W\d_]{1,4}-\d+[^\W\d_]?$")
_ACRONYM_AFTER = re.compile(r"\s?[(\"“«]\s?([A-Z]{2,6})\s?[)\"”»]")
_CODE_AFTER = re.compile(r"^\s?[-–]\s?\d")
_WORD_BEFORE = re.compile(r"([^\W\d_]+)[\s\"'«»“”]*$")


def _drop_designations(mentions: list[Mention], texts: dict[tuple[str, int], str],
                       form: Callable[[str], str] = match_form) -> list[Mention]:
    """Mentions that name a code, not an entity, are dropped: a model code (BM-21, يو-22), a word
    followed by a number code (كوفيد-19, ميغ-31), a Latin acronym in brackets after lower-case words
    (lance-roquettes multiples (MLRS)), God and currencies (الله, ريالا). A name right after a noun
    of made things (صواريخ «كينجال») is a thing (MISC), not a place or a person."""
    out: list[Mention] = []
    for m in mentions:
        text = texts.get((m.article, m.paragraph), "")
        one = " " not in m.text.strip()
        if one and form(m.text) in _NOT_ENTITIES:
            continue
        if _MODEL_CODE.match(m.text.strip()):
            continue
        if one and _CODE_AFTER.match(text[m.end : m.end + 4]):
            continue
        before = _WORD_BEFORE.search(text[max(0, m.start - 30) : m.start])
        if before:
            w = form(before.group(1))
            for p in ("و", "ب", "ل", "ال", "وال", "بال"):
                if w.startswith(p) and w[len(p):] in _THING_NOUNS:
                    w = w[len(p):]
                    break
            if w in _THING_NOUNS:
                # a model's name (صواريخ «كينجال»): a thing, not a place or a person
                m = Mention(m.text, "MISC", m.article, m.paragraph, m.start, m.end, m.alias)
        if m.text.isascii() and m.text.isupper() and text[m.start - 1 : m.start] == "(":
            prev = _WORD_BEFORE.search(text[max(0, m.start - 30) : m.start - 1])
            if prev and prev.group(1).islower():
                continue
        out.append(m)
    return out


_ROYAL_FORMS = frozenset(match_form(w) for w in ("الملك", "الأمير", "الأميرة", "الشيخ", "الإمام", "السلطان"))
LEXICON_PATH = Path(__file__).resolve().parent.parent / "data" / "rules_lexicon.json.gz"


@dataclass(slots=True, frozen=True)
class Lexicon:
    """Two corpus facts about words of news (matching forms), measured by bench/entities_lexicon.py.

    `common`: words of the language (verbs, common nouns) that are rarely part of a name.
    `name_part`: words that are often part of a name but almost never a whole one-word name
    (للطيران of an airline, المملكة of المملكة المغربية).
    """

    common: frozenset[str] = frozenset()
    name_part: frozenset[str] = frozenset()

    @classmethod
    def load(cls, path: Path | None = None) -> Lexicon:
        """Read the packaged lexicon (a gzipped JSON file; ~20 ms, so build it once and pass it on)."""
        with gzip.open(path or LEXICON_PATH, "rt", encoding="utf-8") as fh:
            data = json.load(fh)
        return cls(common=frozenset(data["common"]), name_part=frozenset(data["name_part"]))


def _trigger_forms() -> dict[str, tuple[str, str]]:
    """Every way a trigger noun is written in running text: bare, with the article, with a
    conjunction or preposition glued on (ووكالة is rare enough to leave out)."""
    out: dict[str, tuple[str, str]] = {}
    for kind, nouns in (("LOC", _LOC_TRIGGERS), ("ORG", _ORG_TRIGGERS)):
        for noun in nouns:
            base = match_form(noun)
            for article in ("", "ال"):
                for clitic in ("", "و", "ف", "ب", "ل", "ك", "وب", "ول", "فب", "فل"):
                    if clitic.endswith("ل") and article:
                        out[clitic[:-1] + "لل" + base] = (kind, base)
                        continue
                    out[clitic + article + base] = (kind, base)
    return out


@dataclass(slots=True)
class _Span:
    start: int
    end: int
    type: str
    replaces: bool = True  # drop NER mentions it overlaps
    alias: str = ""  # the descriptive name this short name stands beside (Mention.alias)
    display: str = ""  # the name as a reader writes it, when not the span's text (للهيئة → الهيئة)
    protect: bool = False  # a name the corpus or the story vouches for: never dropped as junk


@dataclass(slots=True)
class StoryRules:
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

    @classmethod
    def none(cls) -> StoryRules:
        """The no-op: mentions pass through untouched (for measuring what the rules add)."""
        return cls(enabled=False)

    @classmethod
    def default(cls, lexicon: Lexicon | None = None, phrases: PhraseFinder | None = None,
                forms: Forms | None = None) -> StoryRules:
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

    # ------------------------------------------------------------------ entry point
    def apply(self, articles: Sequence[Article], mentions: list[Mention], name_words: set[str]) -> list[Mention]:
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
                forms = []
                for t in toks:
                    f = form_of.get(t.text)
                    if f is None:
                        f = form(t.text)
                    forms.append(f)
                words.update(forms)
                self._joined_pairs(forms, joined)
                paras.append((art.id, pi, para.text, toks, forms))
        cands = [self.phrases.candidates(p[4]) for p in paras] if self.phrases else []
        story_phrases = self.phrases.recurring([(p[0], p[4]) for p in paras], cands) if self.phrases else set()
        cands_of = {(p[0], p[1]): c for p, c in zip(paras, cands, strict=False)}
        quoted = self._quoted_names(paras) if self.phrases and self.phrases.use_story else set()
        protected: set[tuple[str, int, int]] = set()
        out: list[Mention] = []
        for aid, pi, text, toks, forms in paras:
            found = by_para.get((aid, pi), [])
            named = self._phrase_spans(text, toks, forms, found, story_phrases, cands_of.get((aid, pi)))
            named += [q for q in self._quoted_spans(toks, forms, quoted)
                      if not any(n.start < q.end and q.start < n.end for n in named)
                      and not any(m.start < q.end and q.start < m.end for m in found)]
            spans = self._trigger_spans(text, toks, forms, found)
            # where a phrase and a trigger rule's name overlap, the longer stands
            longer = [t for t in spans if any(n.start < t.end and t.start < n.end and t.end - t.start > n.end - n.start
                                              for n in named)]
            named = [n for n in named if not any(t.start < n.end and n.start < t.end for t in longer)]
            spans = named + [t for t in spans if not any(n.start < t.end and t.start < n.end for n in named)]
            spans += self._surname_spans(toks, forms, found, spans)
            kept = [m for m in found if not any(s.replaces and s.start < m.end and m.start < s.end for s in spans)]
            kept = [self._extend_joined(m, text, joined) for m in kept]
            kept = self._extend_given_all(kept, text, toks)
            for s in spans:
                if s.protect:
                    protected.add((aid, pi, s.start))
                hit = [k for k, m in enumerate(kept) if s.start < m.end and m.start < s.end]
                if not hit:
                    kept.append(Mention(s.display or text[s.start : s.end], s.type, aid, pi, s.start, s.end, s.alias))
                elif s.alias and len(hit) == 1 and kept[hit[0]].type in ("ORG", s.type):
                    # the tagger found the short name itself: it still names the descriptive one
                    m = kept[hit[0]]
                    kept[hit[0]] = Mention(m.text, "ORG", m.article, m.paragraph, m.start, m.end, s.alias)
            kept += self._acronyms(kept, text)
            out.extend(kept)
        out = self._drop_junk(out, words, self.forms, name_words, protected)
        out = _drop_designations(out, {(aid, pi): text for aid, pi, text, _, _ in paras}, self.forms.form)
        if self.aliases:
            extra = self._alias_mentions(paras, out)  # (may trim a mention of `out` in place)
            out = out + extra
        return out

    def _alias_mentions(self, paras: list[tuple[str, int, str, list[Token], list[str]]],
                        mentions: list[Mention]) -> list[Mention]:
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
                    rest = text[end:m.end]
                    lead = len(rest) - len(rest.lstrip())
                    trimmed.append((m, Mention(rest.strip(), m.type, m.article, m.paragraph, end + lead, m.end, m.alias)))
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

    def _quoted_names(self, paras: list[tuple[str, int, str, list[Token], list[str]]]) -> set[tuple[str, ...]]:
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
                                self._bare(w) not in self.common for w in inner):
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

    def _phrase_spans(self, text: str, toks: list[Token], forms: list[str], found: list[Mention],
                      story_phrases: set[str], cands: dict[int, list[str]] | None = None) -> list[_Span]:
        """Head-led names of the gazetteer or of the story's recurrence in one paragraph. A name the
        tagger already found longer (an organisation or group running past the phrase) is kept
        as the tagger found it."""
        if self.phrases is None:
            return []
        out: list[_Span] = []
        for ps in self.phrases.spans(forms, story_phrases, cands):
            start, end = toks[ps.start].start + ps.chars_skip, toks[ps.end - 1].end
            if any(m.start < end and start < m.end and (m.start < start or m.end > end) and m.type in ("ORG", "MISC")
                   for m in found):
                continue
            # a person's name the tagger found inside starts after the body's name (…الإنسانية رأفت
            # الصباغ), unless a royal title puts it in the name (مركز الملك سلمان)
            cut = [k for k in range(ps.start + 2, ps.end) for m in found
                   if m.type == "PER" and m.start == toks[k].start and forms[k - 1] not in _ROYAL_FORMS]
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
            if not k or toks[k - 1].end + 1 != m.start or not self.phrases.is_first_name(self.forms.form(toks[k - 1].text), toks[k - 1].text):
                continue  # the common case: no given name right before
            new = self._extend_given(m, text, toks, [o for o in out if o is not None])
            if new is m:
                continue
            out[n] = new
            for k, o in enumerate(out):
                if o is None or o is new or o.type != "PER" or not (o.start < m.start and o.end > new.start):
                    continue
                keep = text[o.start : new.start].rstrip()
                out[k] = Mention(keep, o.type, o.article, o.paragraph, o.start, o.start + len(keep), o.alias) \
                    if keep.strip() else None
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
                out.append(Mention(hit.group(1), "ORG", m.article, m.paragraph, hit.start(1), hit.end(1), m.text))
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
            if prev.end + 1 != start or prev.text == "على" or not self.phrases.is_first_name(self.forms.form(prev.text), prev.text):
                break
            if any(o is not m and o.start < prev.end and prev.start < o.end
                   and not (o.type == "PER" and o.end == prev.end) for o in kept):
                break
            start, k = prev.start, k - 1
        if start == m.start:
            return m
        return Mention(text[start : m.end], m.type, m.article, m.paragraph, start, m.end, m.alias)

    # ------------------------------------------------------------------ word facts
    def _bare(self, form: str) -> str:
        """A matching-form word without a leading clitic or article, when what is left is a word."""
        for p in _CLITIC_PREFIXES:
            if form.startswith(p) and len(form) - len(p) >= 3:
                return ("ال" + form[2:]) if p == "لل" else form[len(p) :]
        return form

    def _trigger_of(self, form: str) -> tuple[str, str] | None:
        """(type, trigger noun) when the word is a trigger noun (with an article or clitic)."""
        return self.triggers.get(form)

    def _is_rare(self, form: str) -> bool:
        """A word that can be part of a name: letters, not a common word or a particle."""
        return (
            len(form) >= 2
            and form.isalpha()
            and form not in self.common
            and form not in self.function
            and self._trigger_of(form) is None
        )

    @staticmethod
    def _nisba(form: str) -> bool:
        """A definite nisba adjective (الكورية, الروسي, الرسمية): the agreeing tail of a name."""
        return form.startswith("ال") and len(form) >= 5 and form.endswith(("يه", "ي"))

    # ------------------------------------------------------------------ trigger spans
    def _trigger_spans(self, text: str, toks: list[Token], forms: list[str], found: list[Mention]) -> list[_Span]:
        spans: list[_Span] = []
        starts = {m.start: m for m in found}
        for i, tok in enumerate(toks):
            form = forms[i]
            if len(form) < 3 or not form.isalpha():
                continue
            trig = self._trigger_of(form)
            if trig is None or any(m.start <= tok.start < m.end for m in found):
                continue
            kind, base = trig
            j = i + 1
            # up to two indefinite common nouns of the facility: مصنع طائرات, محطة سكة حديد
            fillers = 0
            while (
                j < len(toks) and fillers < 2 and toks[j].start == toks[j - 1].end + 1
                and self._indefinite_noun(forms[j]) and toks[j].start not in starts
            ):
                j += 1
                fillers += 1
            if j >= len(toks):
                continue
            nxt = toks[j]
            if nxt.text in _QUOTES_OPEN:
                span = self._quoted(text, toks, forms, j)
                if span is not None:
                    spans.append(_Span(span[0], span[1], kind))
                continue
            if nxt.start in starts:
                m = starts[nxt.start]
                # a person's name after a facility noun names the facility: مصنع طائرات يوري غاغارين
                # (ORG too: the story may already have typed that name as the facility elsewhere)
                if m.type in ("PER", "ORG") and kind == "ORG" and base not in self.descriptive and self._clean_name(m.text):
                    spans.append(_Span(tok.start + self._clitic_len(tok.text), m.end, "ORG"))
                continue
            if base in self.descriptive:
                desc = self._descriptive(toks, forms, i, j)
                if desc is not None:
                    spans.append(_Span(desc[0], desc[1], "ORG"))
                    spans += self._appositive(text, toks, forms, desc[2], text[desc[0] : desc[1]])
                    continue
            k = j
            while (
                k < len(toks) and k - j < 3 and toks[k].start not in starts
                and (k == j or toks[k].start == toks[k - 1].end + 1)
                and self._is_rare(forms[k]) and not self._definite(forms[k]) and not forms[k].startswith("و")
            ):
                k += 1
            # rare words right after the noun (not after filler nouns, where a clause may go on)
            if k > j and fillers == 0:
                spans.append(_Span(toks[j].start, toks[k - 1].end, kind))
        return spans

    def _clean_name(self, text: str) -> bool:
        """No common word or particle inside: the tagger's span is a name, not a run-on clause."""
        return not any(f in self.common or f in self.function for f in (self.forms.form(w) for w in text.split()))

    def _definite(self, form: str) -> bool:
        """الX, للX, والX ...: a definite word, which does not start a name after a trigger noun."""
        return form.startswith("لل") or self._bare(form).startswith("ال") or form.startswith("ال")

    def _indefinite_noun(self, form: str) -> bool:
        return form.isalpha() and not form.startswith("ال") and form in self.common and form not in self.function

    @staticmethod
    def _clitic_len(display: str) -> int:
        """Characters of a leading و/ف/ب/ل/ك before a trigger noun (وكالة keeps its و)."""
        form = match_form(display)
        return 1 if len(form) >= 5 and form[0] in "وفبلك" and not form.startswith("وكال") else 0

    def _quoted(self, text: str, toks: list[Token], forms: list[str], j: int) -> tuple[int, int] | None:
        """The name between the quote at token j and its closing quote: at most four words."""
        for k in range(j + 1, min(j + 8, len(toks))):
            if toks[k].text in _QUOTES_CLOSE:
                if k == j + 1:
                    return None
                inner = [f for f in forms[j + 1 : k] if f.isalnum()]
                words = text[toks[j + 1].start : toks[k - 1].end].split()
                if 1 <= len(words) <= 4 and any(self._is_rare(w) for w in inner):
                    return toks[j + 1].start, toks[k - 1].end
                return None
            if toks[k].text in "،,.:;؛!?؟()":
                return None
        return None

    def _descriptive(self, toks: list[Token], forms: list[str], i: int, j: int) -> tuple[int, int, int] | None:
        """وكالة الأنباء المركزية الكورية الشمالية: a definite noun then nisba adjectives (and one
        لل-noun: الوكالة الكورية ... للأنباء). At least two words after the trigger, one of them
        a nisba adjective; returns (start, end, index of the next token)."""
        k, nisbas, lil = j, 0, 0
        while k < len(toks) and k - j < 6 and toks[k].start == toks[k - 1].end + 1:
            form = forms[k]
            if self._nisba(form):
                nisbas += 1
            elif form.startswith("لل") and len(form) >= 5 and not lil:
                lil += 1
            elif k == j and form.startswith("ال") and form.isalpha() and form not in self.function:
                pass  # the construct noun: وكالة الأنباء
            else:
                break
            k += 1
        if nisbas == 0 or k - j < 2:
            return None
        trig = toks[i]
        return trig.start + self._clitic_len(trig.text), toks[k - 1].end, k

    def _appositive(self, text: str, toks: list[Token], forms: list[str], k: int, described: str) -> list[_Span]:
        """A short name right after a descriptive name, quoted or bracketed: “تاس”, (KCNA). It
        carries the descriptive name (`described`) as its alias: the two name one body."""
        if k >= len(toks) or toks[k].start - toks[k - 1].end > 1:
            return []
        if toks[k].text in _QUOTES_OPEN:
            span = self._quoted(text, toks, forms, k)
            return [_Span(span[0], span[1], "ORG", replaces=False, alias=described)] if span else []
        if toks[k].text == "(" and k + 2 < len(toks) and toks[k + 2].text == ")":
            form = forms[k + 1]
            if form.isalpha() and form not in self.common:
                return [_Span(toks[k + 1].start, toks[k + 1].end, "ORG", replaces=False, alias=described)]
        return []

    # ------------------------------------------------------------------ people
    def _surname_spans(
        self, toks: list[Token], forms: list[str], found: list[Mention], taken: list[_Span]
    ) -> list[_Span]:
        """Two rare words, the second with a surname ending: قسطنطين أسمولوف."""
        spans: list[_Span] = []
        for i in range(len(toks) - 1):
            a, b = toks[i], toks[i + 1]
            if b.start != a.end + 1:
                continue
            fa, fb = forms[i], forms[i + 1]
            if not (fb.endswith(_SURNAME_ENDINGS) and len(fb) >= 5 and fa.isalpha() and len(fa) >= 3):
                continue
            if fa in self.common or fb in self.common or fa in self.function or fa.startswith("ال"):
                continue
            held: list[Mention | _Span] = [*found, *taken, *spans]
            if any(x.start < b.end and a.start < x.end for x in held):
                continue
            spans.append(_Span(a.start, b.end, "PER", replaces=False))
        return spans

    # ------------------------------------------------------------------ joined place names
    def _joined_pairs(self, forms: list[str], pairs: Counter[tuple[str, str]]) -> None:
        """Count (word before, word after) of every joiner in one paragraph, whatever the joiner."""
        for k in range(1, len(forms) - 1):
            if forms[k] in self.joiners:
                pairs[(forms[k - 1], forms[k + 1])] += 1

    def _extend_joined(self, m: Mention, text: str, joined: Counter[tuple[str, str]]) -> Mention:
        """كومسومولسك أون → كومسومولسك أون أمور: a mention ending in, or followed by, a joiner takes the
        next word when the story writes that pair at least twice or the word is a rare word."""
        words = m.text.split()
        tail = text[m.end :]
        if words and self.forms.form(words[-1]) in self.joiners and len(words) >= 2:
            before, rest = self.forms.form(words[-2]), tail
        else:
            hit = re.match(r" (\S+) ", tail)
            if not hit or self.forms.form(hit.group(1)) not in self.joiners:
                return m
            before, rest = self.forms.form(words[-1]) if words else "", tail[hit.end() - 1 :]
        nxt = re.match(r" ([^\s،,.:;؛!?؟\"'«»“”()]+)", rest)
        if not nxt:
            return m
        after = self.forms.form(nxt.group(1))
        if after in self.function or not after.isalpha():
            return m
        pair = joined[(before, after)]
        total = sum(c for (b, _), c in joined.items() if b == before)
        # the story writes this pair as one name (and the word before the joiner rarely with another
        # continuation), or, for a place, the word after is a rare word the story writes once
        if not (pair >= 2 and 2 * pair > total) and not (m.type == "LOC" and total == 1 and self._is_rare(after)):
            return m
        end = m.end + (len(tail) - len(rest)) + nxt.end()
        return Mention(text[m.start : end], m.type, m.article, m.paragraph, m.start, end, m.alias)

    # ------------------------------------------------------------------ junk
    def _drop_junk(
        self, mentions: list[Mention], words_seen: Counter[str], forms: Forms, name_words: set[str],
        protected: set[tuple[str, int, int]] | None = None,
    ) -> list[Mention]:
        """Mentions that are words of the language, not names (see the module docstring).

        `words_seen`: the story's words (matching forms) and how often it writes them. A definite
        one-word name the story also writes without its article is a noun; a "person" that is a
        conjunction on a word no corpus knows, written once (وعاين), is a verb. A one-word mention
        that is a known name (`name_words`: gazetteer and training names) is never taken for a
        common word (السويد is rarely tagged in news, but it is Sweden)."""
        norm = forms.form
        split = [[norm(w) for w in m.text.split()] for m in mentions]
        tagged = Counter(" ".join(ws) for ws in split)
        in_longer: set[str] = set()
        for words in split:
            if len(words) >= 2:
                in_longer.update(words)
                in_longer.update(self._bare(w) for w in words)
        out: list[Mention] = []
        for m, words in zip(mentions, split, strict=True):
            if protected and (m.article, m.paragraph, m.start) in protected:
                out.append(m)
                continue
            if not words or not any(c.isalpha() for c in m.text):
                continue
            one = len(words) == 1
            w = words[0]
            if not all(x.isascii() for x in words) and all(
                x in self.common or (x[:2] in ("لل", "وا", "با", "فا", "كا") and self._bare(x) in self.common)
                for x in words
            ) and not (one and (w in name_words or self._bare(w) in name_words)):
                continue
            if one:
                if w in self.name_part and w not in in_longer and self._bare(w) not in in_longer:
                    continue
                if w.startswith("ال") and len(w) >= 5 and w not in name_words and words_seen[w[2:]] > tagged[w[2:]]:
                    continue
                if (
                    m.type == "PER" and w[:1] in "وف" and len(w) >= 4 and w not in self.common
                    and w not in self.name_part and w[1:] not in name_words and not tagged[w[1:]]
                    and w not in in_longer and tagged[w] == 1 and words_seen[w] == 1
                ):
                    continue
            out.append(m)
        return out
