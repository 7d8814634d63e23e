"""Entity canonicalisation: one entity per real-world referent across a story's articles.

NER gives surface mentions; a story spells one person four ways (كيم جونغ أون, كيم جونج أون,
Kim Jong Un, كيم), calls an agency by a long and a short name, and NER spans drag in clitics
(وبوتين, لروسيا) and titles (الرئيس بوتين). The canonicaliser groups mentions in three passes:

1. Surface clean-up: quotes and punctuation at the edges go; a leading clitic (و ف ب ل ك, لل)
   goes only when the rest is seen elsewhere in the batch as a name start (evidence, not a rule:
   بوتين keeps its ب because وتين is never seen); leading titles go for people, leading generic
   place nouns (مدينة, قاعدة ...) for places. Mentions with the same matching form become one
   *form*, whose type is the majority type of its mentions.
2. Equivalence: two forms of the same type are one name when every aligned token matches on
   the transliteration skeleton (`translit`), which covers spelling drift and Latin/Arabic
   script; organisation names also match on their distinctive content words (everything but
   function words and generic institutional nouns such as وكالة, أنباء, رسمية), so long and
   short renderings of one agency meet while وكالة الأنباء الروسية stays apart from the Korean one.
3. Short forms: a surname (بوتين), a Korean surname-first head (كيم), a place head
   (كومسومولسك) or an organisation's subset of distinctive words attaches to the unique longer
   name that contains it; when several longer names could, the one in the same article wins,
   and otherwise nothing is merged. A given name alone (ألكسندر) never attaches. A place followed
   by a defining adjective (كوريا الشمالية, الإمارات العربية المتحدة) is the place alone only when
   the story has no other longer name it could be short for (كوريا beside both Koreas stays
   apart) and the short form is a name by itself in news: the corpus lexicon
   (`rules.Lexicon`) says which words are only ever parts of names (المملكة of المملكة المغربية)
   or common words (المنطقة), and those never attach this way.

Names written with and without a space (أبوظبي / أبو ظبي, عبدالله / عبد الله) are one name, and a
short name in apposition to a descriptive one (وكالة الأنباء الروسية الرسمية “تاس”, marked by
the rule layer in `Mention.alias`) is one entity with it.

No name of any particular person or place is known to this module.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from rasid.model import Entity, Mention
from rasid.text.normalize import Forms, clean_invisible, match_form
from rasid.understand.aliases import AliasTable
from rasid.understand.rules import Lexicon
from rasid.understand.translit import TokenComparer, is_arabic, name_tokens

TYPES = ("PER", "ORG", "LOC", "MISC")

# Leading words that describe a person rather than name them (matching forms are built at init).
_PERSON_TITLES = (
    "الرئيس", "رئيس", "الرئيسة", "الزعيم", "زعيم", "السيد", "السيدة", "الأميرال", "الجنرال",
    "اللواء", "العقيد", "الشيخ", "الأمير", "الأميرة", "الملك", "الملكة", "الدكتور", "الدكتورة",
    "د", "المستشار", "المستشارة", "الوزير", "وزير", "وزيرة", "الرفيق", "المارشال", "السفير",
    "الحاكم", "النائب", "القاضي", "البابا", "المتحدث", "الناطق", "الإمام", "السلطان", "المشير",
    "president", "mr", "mrs", "ms", "dr", "minister", "general", "admiral", "leader", "king",
    "prince", "marshal", "ambassador", "governor", "sir",
)
# Indefinite head nouns of place names: مدينة كومسومولسك is كومسومولسك.
_PLACE_NOUNS = (
    "مدينة", "مقاطعة", "إقليم", "منطقة", "ولاية", "محافظة", "قاعدة", "مطار", "محطة", "جزيرة",
    "نهر", "بحر", "قرية", "بلدة", "عاصمة", "جمهورية", "مرفأ", "ميناء", "city", "region", "province",
)
# Function words ignored in organisation names.
_ORG_FUNCTION = ("في", "من", "على", "عن", "إلى", "و", "مع", "ل", "ب", "of", "the", "and", "for", "de", "la", "le")
# Generic institutional nouns and adjectives: they say what kind of body, not which one.
_ORG_GENERIC = (
    "وكالة", "وكالات", "أنباء", "الأنباء", "رسمية", "مركزية", "وطنية", "عامة", "دولية", "عليا",
    "وزارة", "شركة", "مجلس", "هيئة", "منظمة", "حزب", "جامعة", "بنك", "مصرف", "صندوق", "اتحاد",
    "جمعية", "مركز", "معهد", "مؤسسة", "قناة", "صحيفة", "إذاعة", "تلفزيون", "مكتب", "إدارة",
    "جهاز", "لجنة", "سلطة", "حكومة", "محكمة", "نقابة", "مصنع", "مجموعة", "دار", "رابطة",
    "قوات", "ميليشيا", "ميليشيات", "مليشيا", "مليشيات", "جماعة", "تنظيم", "حركة", "مديرية", "مستشفى",
    "برس", "نيوز", "agency", "news", "press", "ministry", "company", "council",
    "organization", "organisation", "party", "university", "bank", "fund", "union", "institute",
    "center", "centre", "group", "committee", "office", "official", "national",
    "central", "international", "forces",
)
# Heads of armed groups, written interchangeably for one group.
_GROUP_HEADS = ("ميليشيا", "ميليشيات", "مليشيا", "مليشيات", "جماعة", "تنظيم", "حركة", "قوات")
_PATRONYMIC = frozenset(("بن", "ابن", "بنت", "ولد", "ابو", "ابي", "ام", "ال", "عبد"))
_CLITICS = ("وب", "ول", "فب", "فل", "وك", "و", "ف", "ب", "ل", "ك")
_EDGE_JUNK = re.compile(r"^[\s\"'«»“”„‟‘’()\[\]{}<>،,.:;؛!?؟\-–—ـ•·]+|[\s\"'«»“”„‟‘’()\[\]{}<>،,.:;؛!?؟\-–—ـ•·]+$")
_SPACES = re.compile(r"\s+")
# Strengths of a short form's claim on a longer name (see `_subform_strength`).
_SAME_ARTICLE, _SURE, _IF_UNIQUE = 1, 2, 3
_RANK = {0: 0, _SAME_ARTICLE: 1, _IF_UNIQUE: 2, _SURE: 3}  # which claim wins when forms disagree


@dataclass(slots=True, frozen=True)
class CanonSettings:
    """Thresholds of the canonicaliser, measured on the seed story (docs/benchmarks/entities_quotes.md).

    `name_threshold`: mean aligned token similarity for two full names to be one name.
    `token_threshold`: every aligned token must reach this (so one shared first name is not enough).
    `org_threshold`: Jaccard overlap of distinctive content words for two organisation names.
    """

    name_threshold: float = 0.85
    token_threshold: float = 0.85
    org_threshold: float = 0.67


@dataclass(slots=True)
class _Form:
    """One distinct cleaned name (by matching form) and the mentions that use it."""

    key: str
    display: str
    tokens: list[str]
    mentions: list[int] = field(default_factory=list)
    displays: Counter[str] = field(default_factory=Counter)
    types: Counter[str] = field(default_factory=Counter)
    articles: Counter[str] = field(default_factory=Counter)
    type: str = "MISC"
    org_head: str | None = None
    org_words: list[str] = field(default_factory=list)
    joined: str = ""  # the matching form without spaces: أبو ظبي = أبوظبي


class _UnionFind:
    def __init__(self, n: int) -> None:
        self.parent = list(range(n))

    def find(self, x: int) -> int:
        while self.parent[x] != x:
            self.parent[x] = self.parent[self.parent[x]]
            x = self.parent[x]
        return x

    def union(self, a: int, b: int) -> int:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[rb] = ra
        return ra


class EntityCanonicaliser:
    """Groups a story's mentions into canonical entities (see the module docstring for how)."""

    def __init__(self, settings: CanonSettings | None = None, lexicon: Lexicon | None = None,
                 forms: Forms | None = None) -> None:
        self.settings = settings or CanonSettings()
        self.forms = forms or Forms()  # matching forms of names' words, remembered across stories
        self._lexicon = lexicon  # read from the package on first use when not given
        self._aliases: AliasTable | None = None  # the known-aliases table, read on first use
        self._demonym_set: frozenset[str] | None = None
        self._titles = frozenset(match_form(w) for w in _PERSON_TITLES)
        self._place_nouns = frozenset(match_form(w) for w in _PLACE_NOUNS)
        self._org_function = frozenset(match_form(w) for w in _ORG_FUNCTION)
        self._org_generic = frozenset(_org_word(match_form(w)) for w in _ORG_GENERIC)
        self._group_heads = {_org_word(match_form(w)): "group" for w in _GROUP_HEADS}
        self._cmp: TokenComparer | None = None
        self.comparer_limit = 200_000  # cache entries kept across stories before starting afresh

    def _comparer(self) -> TokenComparer:
        """One token comparer for every story: its caches are pure, and the stories of a day share
        most of their names' tokens. Bounded by `comparer_limit` entries."""
        if self._cmp is None or self._cmp.size > self.comparer_limit:
            self._cmp = TokenComparer()
        return self._cmp

    @property
    def _demonyms(self) -> frozenset[str]:
        """Content keys of one-word country names: البريطاني and بريطانيا share بريطان."""
        if self._demonym_set is None:
            t = self.aliases
            self._demonym_set = frozenset(
                _org_word(k) for k, e in t.name_entry.items() if " " not in k and t.types[e] == "LOC"
            )
        return self._demonym_set

    @property
    def aliases(self) -> AliasTable:
        if self._aliases is None:
            self._aliases = AliasTable.load()
        return self._aliases

    @property
    def lexicon(self) -> Lexicon:
        if self._lexicon is None:
            self._lexicon = Lexicon.load()
        return self._lexicon

    # ----------------------------------------------------------------- public API
    def canonicalise(self, mentions: Sequence[Mention]) -> tuple[list[Entity], list[int]]:
        """Entities (name, type, variants, articles) and, for each mention, its entity's index."""
        if not mentions:
            return [], []
        cmp = self._comparer()
        cleaned = self._clean_all(mentions)
        forms, form_of = self._forms(mentions, cleaned)
        uf = _UnionFind(len(forms))
        self._merge_appositives(mentions, forms, form_of, uf)
        for group in self.aliases.groups([f.key for f in forms], [len(f.mentions) for f in forms]):
            for other in group[1:]:
                uf.union(group[0], other)
        self._merge_equivalent(forms, uf, cmp)
        override = self._attach_short_forms(forms, uf, mentions, cmp)
        return self._build(mentions, forms, form_of, uf, override)

    # ----------------------------------------------------------------- pass 1: surfaces
    def _clean_all(self, mentions: Sequence[Mention]) -> list[str]:
        base = [self._strip_descriptors(_tidy(m.text), m.type) for m in mentions]
        starts = Counter(self.forms.form(t.split(" ", 1)[0]) for t in base if t)
        out: list[str] = []
        for text in base:
            out.append(self._strip_clitic(text, starts) if text else text)
        return out

    def _strip_clitic(self, text: str, starts: Counter[str]) -> str:
        """Drop a leading clitic when the remainder starts another mention in the batch."""
        first, _, rest = text.partition(" ")
        mf = self.forms.form(first)
        if mf.startswith("لل") and len(mf) >= 5 and starts["ال" + mf[2:]]:
            new_first = "ال" + first[2:]
            return (new_first + (" " + rest if rest else "")).strip()
        for clitic in _CLITICS:
            if mf.startswith(clitic) and len(mf) - len(clitic) >= 3 and starts[mf[len(clitic) :]]:
                if starts[mf] > starts[mf[len(clitic) :]]:
                    return text  # the clitic-looking form is the usual one: it is part of the name
                new_first = first[len(clitic) :].lstrip("ـ")
                return (new_first + (" " + rest if rest else "")).strip()
        return text

    def _strip_descriptors(self, text: str, type_: str) -> str:
        """Titles before a person's name; an indefinite place noun (and its adjectives) for places."""
        words = text.split(" ")
        if type_ == "PER":
            i = 0
            while i < len(words) - 1 and self._is_title(self.forms.form(words[i]).strip(".")):
                i += 1
                # adjectives of the title: الرئيس الروسي فلاديمير بوتين
                while i < len(words) - 1 and self.forms.form(words[i]).startswith("ال"):
                    i += 1
            words = words[i:]
        elif type_ == "LOC" and len(words) > 1 and self.forms.form(words[0]) in self._place_nouns:
            words = words[1:]
            while len(words) > 1 and self.forms.form(words[-1]).startswith("ال"):
                words = words[:-1]
        return " ".join(words)

    def _is_title(self, form: str) -> bool:
        """A title, also with a preposition or conjunction glued on (للسيد, والرئيس)."""
        if form in self._titles:
            return True
        if form.startswith("لل") and "ال" + form[2:] in self._titles:
            return True
        return form[:1] in "وفبلك" and form[1:] in self._titles

    def _forms(self, mentions: Sequence[Mention], cleaned: list[str]) -> tuple[list[_Form], list[int]]:
        by_key: dict[str, int] = {}
        forms: list[_Form] = []
        form_of: list[int] = []
        for i, (m, text) in enumerate(zip(mentions, cleaned, strict=True)):
            key = self.forms.form(text) or self.forms.form(m.text) or f"\0{i}"
            idx = by_key.get(key)
            if idx is None:
                idx = by_key[key] = len(forms)
                forms.append(_Form(key=key, display=text or m.text, tokens=name_tokens(text or m.text)))
            f = forms[idx]
            f.mentions.append(i)
            f.displays[text or m.text] += 1
            f.types[m.type] += 1
            f.articles[m.article] += 1
            form_of.append(idx)
        for f in forms:
            f.joined = f.key.replace(" ", "")
            top = max(f.types.values())
            first_types = [mentions[i].type for i in f.mentions]
            f.type = next(t for t in first_types if f.types[t] == top)
            if f.type == "ORG":
                f.org_head, f.org_words = self._org_analysis(f.display)
        return forms, form_of

    def _merge_appositives(
        self, mentions: Sequence[Mention], forms: list[_Form], form_of: list[int], uf: _UnionFind
    ) -> None:
        """A short name written in apposition (Mention.alias: the descriptive name it stands beside,
        in the same paragraph) is one entity with that name, whatever their words."""
        at: dict[tuple[str, int, str], int] = {}
        for i, m in enumerate(mentions):
            at.setdefault((m.article, m.paragraph, m.text), form_of[i])
        for i, m in enumerate(mentions):
            if not m.alias:
                continue
            other = at.get((m.article, m.paragraph, m.alias))
            mine = form_of[i]
            if other is not None and "PER" not in (forms[other].type, forms[mine].type):
                uf.union(other, mine)

    # ----------------------------------------------------------------- organisation words
    def _org_analysis(self, display: str) -> tuple[str | None, list[str]]:
        """(generic head noun or None, distinctive content words) of an organisation name."""
        words = [_org_word(self.forms.form(t)) for t in name_tokens(display)]
        words = [w for w in words if w and w not in self._org_function]
        head = words[0] if words and words[0] in self._org_generic else None
        # an armed group is one kind of body whatever it is called: جماعة الحوثي, ميليشيات الحوثي
        head = self._group_heads.get(head, head) if head else None
        return head, [w for w in words if w not in self._org_generic]

    # ----------------------------------------------------------------- pass 2: equivalence
    def _block_keys(self, f: _Form, cmp: TokenComparer) -> set[str]:
        """Blocking keys: a skeleton prefix of each token, and each distinctive organisation word."""
        keys = {f.type + ":" + cmp.skeleton(t)[:2] for t in f.tokens if cmp.skeleton(t)}
        keys.update(f.type + ":o:" + cmp.skeleton(w) for w in f.org_words if len(cmp.skeleton(w)) >= 3)
        keys.update(f.type + ":o:" + w for w in f.org_words)
        return keys

    def _candidate_pairs(self, forms: list[_Form], cmp: TokenComparer) -> set[tuple[int, int]]:
        """Only forms of one type with the same token count sharing a block key (or one joined
        skeleton) are compared: never every form with every form."""
        blocks: dict[str, list[int]] = defaultdict(list)
        for i, f in enumerate(forms):
            for k in self._block_keys(f, cmp):
                blocks[f"{len(f.tokens)}|{k}"].append(i)
            if f.type == "ORG":
                for k in self._block_keys(f, cmp):
                    if ":o:" in k:
                        blocks["org|" + k].append(i)
            joined = "".join(cmp.skeleton(t) for t in f.tokens)
            if len(joined) >= 5:
                blocks[f"j|{f.type}|{joined}"].append(i)
            if len(f.joined) >= 4:
                blocks[f"s|{f.type}|{f.joined}"].append(i)
        pairs: set[tuple[int, int]] = set()
        for members in blocks.values():
            for a_i, a in enumerate(members):
                for b in members[a_i + 1 :]:
                    pairs.add((a, b) if a < b else (b, a))
        return pairs

    def _merge_equivalent(self, forms: list[_Form], uf: _UnionFind, cmp: TokenComparer) -> None:
        for a, b in sorted(self._candidate_pairs(forms, cmp)):
            fa, fb = forms[a], forms[b]
            if fa.type != fb.type:
                continue
            if (
                (len(fa.joined) >= 4 and fa.joined == fb.joined)  # only the spaces differ
                or self._same_name(fa, fb, cmp)
                or (fa.type == "ORG" and self._same_org(fa, fb, cmp))
            ):
                uf.union(a, b)

    def _same_name(self, fa: _Form, fb: _Form, cmp: TokenComparer) -> bool:
        ta, tb = fa.tokens, fb.tokens
        if not ta or not tb:
            return False
        if len(ta) == len(tb):
            sims = [cmp.similarity(x, y) for x, y in zip(ta, tb, strict=True)]
            if min(sims) < self.settings.token_threshold:
                return False
            if sum(sims) / len(sims) < self.settings.name_threshold:
                return False
            if len(ta) > 1:
                return True
            # one bare word: a country and its adjective share the skeleton (روسيا / روسية), and
            # across scripts a two-consonant skeleton says too little (أوبك / BBC)
            if is_arabic(ta[0]) != is_arabic(tb[0]):
                return len(cmp.skeleton(ta[0])) >= 3
            if not is_arabic(ta[0]):
                return True
            ea, eb = _ending(cmp.form(ta[0])), _ending(cmp.form(tb[0]))
            # a final alef is not drift in one bare word (البرازيل / برازيليا), nor is any
            # other final vowel in a short one
            return ea == eb or ("ا" not in (ea, eb) and len(cmp.skeleton(ta[0])) > 3)
        # different word boundaries, one name: بيونغ يانغ / Pyongyang
        return cmp.joined_similarity(ta, tb) >= self.settings.name_threshold

    def _overlap(self, xs: list[str], ys: list[str], cmp: TokenComparer) -> int:
        used: set[int] = set()
        n = 0
        for x in xs:
            for j, y in enumerate(ys):
                if j in used:
                    continue
                sx = cmp.skeleton(x)
                if x == y or (len(sx) >= 3 and sx == cmp.skeleton(y)):
                    used.add(j)
                    n += 1
                    break
        return n

    def _same_org(self, fa: _Form, fb: _Form, cmp: TokenComparer) -> bool:
        if max(len(fa.tokens), len(fb.tokens)) < 2:
            return False  # two one-word names: only their spelling can tell (see _same_name)
        if fa.org_head != fb.org_head:
            # التحرير is منظمة التحرير or حزب التحرير: a short form, decided with ambiguity in mind
            return False
        da, db = fa.org_words, fb.org_words
        if not da or not db:
            return False
        common = self._overlap(da, db, cmp)
        union = len(da) + len(db) - common
        return union > 0 and common / union >= self.settings.org_threshold

    # ----------------------------------------------------------------- pass 3: short forms
    def _subform_strength(self, short: _Form, long: _Form, cmp: TokenComparer) -> int:
        """Whether `short` names part of `long` and refers to the same thing.

        0: no. 2 (_SURE): yes (a surname, a place's head, an organisation's subset of distinctive
        words). 1 (_SAME_ARTICLE): only where both occur in one article (a lone first token of a
        long name: كيم of كيم جونغ أون; a given name alone is never enough when the long name has
        two words). 3 (_IF_UNIQUE): a place's head before a defining adjective (الإمارات of
        الإمارات العربية المتحدة): yes only when no other longer name claims the short form.
        """
        if short.type != long.type or len(short.tokens) >= len(long.tokens) and short.type != "ORG":
            return 0
        if short.type == "ORG":
            # A short form that says what kind of body it is must say the same kind; one without
            # the kind word (إنترفاكس, فرانس برس) is the long name's own name; otherwise its
            # distinctive words must be a strict subset. A one-word name never attaches by a
            # subset of words (الأهلي is not part of أهل السنة).
            if not short.org_words or not long.org_words:
                return 0
            if short.org_head and short.org_head != long.org_head:
                return 0
            common = self._overlap(short.org_words, long.org_words, cmp)
            if common != len(short.org_words):
                return 0
            # the long name is a country's own body (مكتب تحقيقات حوادث الطيران البريطاني): a short
            # name without the country is as likely another country's (مكتب تحقيقات الطيران)
            if any(w in self._demonyms and not self._overlap([w], short.org_words, cmp) for w in long.org_words):
                return 0
            bare_name = short.org_head is None and long.org_head is not None
            if bare_name and common == len(long.org_words):
                return 2
            return 2 if len(short.tokens) >= 2 and common < len(long.org_words) else 0
        _, path = cmp.align(short.tokens, long.tokens)
        if not path or sum(len(cmp.skeleton(t)) for t in short.tokens) < 2:
            return 0
        sims = [cmp.similarity(s, long.tokens[j]) for s, j in zip(short.tokens, path, strict=True)]
        if min(sims) < self.settings.token_threshold:
            return 0
        last = len(long.tokens) - 1
        contiguous = path == list(range(path[0], path[0] + len(path)))
        if short.type == "PER":
            if len(short.tokens) == 1:
                if path == [last]:
                    # the surname, unless it is a father's name: طلال of الوليد بن طلال
                    return 0 if last >= 1 and cmp.form(long.tokens[last - 1]) in _PATRONYMIC else 2
                return 1 if path == [0] and last >= 2 else 0
            if contiguous and (len(short.tokens) <= 2 or path[0] == 0):
                # جونغ أون of كيم جونغ أون; a longer tail without the first name is another
                # person in a patronymic chain (علي عبد الله صالح of أحمد علي عبد الله صالح)
                return 2
            return 2 if path[0] == 0 and path[-1] == last else 0
        # places and the rest: the exact head of the name, not followed by a defining adjective
        if path[0] != 0 or not contiguous or min(sims) < 0.95:
            return 0
        # ... nor by a coordinated name: فرنسا is not فرنسا وإيطاليا
        nxt = cmp.form(long.tokens[len(path)])
        if nxt.isdigit() or nxt.startswith("وال") or (nxt[:1] == "و" and len(nxt) > 3):
            return 0
        if nxt.startswith("ال"):
            # a defining adjective: كوريا of كوريا الشمالية is Korea, المملكة of المملكة المغربية
            # may be another kingdom; only a short form that is a name by itself may stand for it
            return _IF_UNIQUE if self._names_alone(short) else 0
        return _SURE

    def _names_alone(self, short: _Form) -> bool:
        """Whether a short place name can name a place by itself: not a common word of news and
        not a word that is only ever part of longer names (per the corpus lexicon)."""
        if len(short.tokens) > 1:
            return True
        form = short.key
        return form not in self.lexicon.common and form not in self.lexicon.name_part

    def _attach_short_forms(
        self, forms: list[_Form], uf: _UnionFind, mentions: Sequence[Mention], cmp: TokenComparer
    ) -> dict[int, int]:
        """Attach short-form clusters to the longer names containing them; return mention overrides."""
        members: dict[int, list[int]] = defaultdict(list)
        for i in range(len(forms)):
            members[uf.find(i)].append(i)
        index: dict[str, list[int]] = defaultdict(list)
        for i, f in enumerate(forms):
            for k in self._block_keys(f, cmp):
                index[k].append(i)

        def rep(root: int) -> _Form:
            return max((forms[i] for i in members[root]), key=lambda f: (len(f.tokens), len(f.mentions)))

        def articles(root: int) -> Counter[str]:
            c: Counter[str] = Counter()
            for i in members[uf.find(root)]:
                c.update(forms[i].articles)
            return c

        override: dict[int, int] = {}
        roots = sorted(members, key=lambda r: (-len(rep(r).tokens), r))
        for root in roots:
            if root not in members:
                continue  # already attached to a longer name
            short = rep(root)
            me = uf.find(root)
            strength: dict[int, int] = {}
            # one spelling per word count: عبد الله بن عبد العزيز (5 words) is also written
            # عبدالله بن عبدالعزيز (3), which is short for عبدالله بن عبدالعزيز آل سعود
            by_len: dict[int, _Form] = {}
            for fi in members[root]:
                f = forms[fi]
                if len(f.tokens) not in by_len or len(f.mentions) > len(by_len[len(f.tokens)].mentions):
                    by_len[len(f.tokens)] = f
            shorts = [short] + [f for n, f in sorted(by_len.items()) if n != len(short.tokens)]
            for variant in shorts:
                looked: set[int] = set()
                for key in self._block_keys(variant, cmp):
                    for i in index[key]:
                        if i in looked:
                            continue
                        looked.add(i)
                        other = uf.find(i)
                        if other != me and strength.get(other, 0) != _SURE:
                            got = self._subform_strength(variant, forms[i], cmp)
                            if got:
                                strength[other] = max(got, strength.get(other, 0), key=_RANK.__getitem__)
            if not strength:
                continue
            if _IF_UNIQUE in strength.values():
                if len(strength) > 1:
                    # several longer names could be meant (كوريا beside كوريا الشمالية and
                    # كوريا الجنوبية): the defining-adjective claims fall, the others stand
                    strength = {c: v for c, v in strength.items() if v != _IF_UNIQUE}
                else:
                    strength = {c: _SURE for c in strength}
            if not strength:
                continue
            top = max(strength.values())
            cands = {c for c, v in strength.items() if v == top}
            if len(cands) == 1 and top == 2:
                target = cands.pop()
                new = uf.union(target, root)
                merged = members.pop(target, []) + members.pop(root, [])
                members[new] = merged
                continue
            # several longer names contain this one, or only weakly: decide article by article
            cand_articles = {c: articles(c) for c in cands}
            for fi in members[root]:
                for mi in forms[fi].mentions:
                    art = mentions[mi].article
                    present = sorted(((cand_articles[c][art], c) for c in cands), reverse=True) + [(0, -1)]
                    if present[0][0] > 0 and present[0][0] > present[1][0]:
                        override[mi] = present[0][1]
        return override

    # ----------------------------------------------------------------- output
    def _build(
        self,
        mentions: Sequence[Mention],
        forms: list[_Form],
        form_of: list[int],
        uf: _UnionFind,
        override: dict[int, int],
    ) -> tuple[list[Entity], list[int]]:
        group_of = [uf.find(override.get(i, form_of[i])) for i in range(len(mentions))]
        groups: dict[int, list[int]] = defaultdict(list)
        for i, g in enumerate(group_of):
            groups[g].append(i)
        order = sorted(groups, key=lambda g: (-len(groups[g]), groups[g][0]))
        entities: list[Entity] = []
        index_of: dict[int, int] = {}
        for g in order:
            idxs = groups[g]
            counts: Counter[int] = Counter(form_of[i] for i in idxs)
            first: dict[int, int] = {}
            for i in idxs:
                first.setdefault(form_of[i], i)
            fids = sorted(counts, key=lambda f: (-counts[f], first[f]))
            best = max(
                fids,
                key=lambda f: (is_arabic(forms[f].display), len(forms[f].tokens), counts[f], -first[f]),
            )
            best = self._not_overextended(best, fids, forms, counts)
            full = [i for i in idxs if len(forms[form_of[i]].tokens) == len(forms[best].tokens)]
            types = Counter(mentions[i].type for i in full) or Counter(mentions[i].type for i in idxs)
            etype = max(types, key=lambda t: (types[t], t == forms[best].type))
            variants: list[str] = []
            for f in fids:
                for display, _ in forms[f].displays.most_common():
                    if display not in variants:
                        variants.append(display)
            arts: list[str] = []
            for i in idxs:
                if mentions[i].article not in arts:
                    arts.append(mentions[i].article)
            index_of[g] = len(entities)
            entities.append(Entity(name=forms[best].display, type=etype, variants=variants, articles=arts))
        return entities, [index_of[g] for g in group_of]


    def _not_overextended(self, best: int, fids: list[int], forms: list[_Form], counts: Counter[int]) -> int:
        """A longest form that is a more frequent name plus stray words is an NER over-extension
        (كيم جونغ أون زار, الكرملين دميتري بيسكوف): name the entity by the frequent name inside it."""
        toks = [self.forms.form(t) for t in forms[best].tokens]
        inner = []
        for f in fids:
            sub = [self.forms.form(t) for t in forms[f].tokens]
            if (
                2 <= len(sub) < len(toks)
                and counts[f] > counts[best]
                and is_arabic(forms[f].display)
                and sub[-1] not in _PATRONYMIC  # عبدالله بن is a cut name, not the name
                and any(toks[k : k + len(sub)] == sub for k in range(len(toks) - len(sub) + 1))
            ):
                inner.append(f)
        if not inner:
            return best
        return max(inner, key=lambda f: (len(forms[f].tokens), counts[f]))


def _tidy(text: str) -> str:
    text = clean_invisible(text)
    text = _EDGE_JUNK.sub("", text)
    return _SPACES.sub(" ", text).strip()


def _ending(form: str) -> str:
    last = form[-1:] if form else ""
    return last if last in ("ا", "ه", "ي", "و") else ""


def _org_word(form: str) -> str:
    """Content key of one matching-form word: article/clitics and the nisba/feminine ending off."""
    word = form
    for prefix in ("وال", "بال", "فال", "كال", "لل", "ال"):
        if word.startswith(prefix) and len(word) - len(prefix) >= 3:
            word = word[len(prefix) :]
            break
    else:
        # ل on a hamza-initial word (لأطباء for للأطباء): the same word
        if word.startswith("لا") and len(word) >= 5:
            word = word[1:]
    if word.endswith("اء") and len(word) >= 5:
        word = word[:-2]
    for _ in range(2):
        if word.endswith(("ه", "ي", "ا")) and len(word) >= 4:
            word = word[:-1]
    return word
