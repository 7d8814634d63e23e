"""The canonicaliser: the three passes in order and the entities they make (see the package docstring)."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence

from rasid.model import Entity, Mention
from rasid.text.normalize import Forms, match_form
from rasid.understand.aliases import AliasTable
from rasid.understand.rules import Lexicon
from rasid.understand.translit import TokenComparer, is_arabic, name_tokens

from .matching import NameMatching
from .words import (
    _CLITICS,
    _GROUP_HEADS,
    _IF_UNIQUE,
    _ORG_FUNCTION,
    _ORG_GENERIC,
    _PATRONYMIC,
    _PERSON_TITLES,
    _PLACE_NOUNS,
    _RANK,
    _SURE,
    CanonSettings,
    _Form,
    _org_word,
    _tidy,
    _UnionFind,
)


class EntityCanonicaliser(NameMatching):
    """Groups a story's mentions into canonical entities (see the module docstring for how)."""

    def __init__(
        self,
        settings: CanonSettings | None = None,
        lexicon: Lexicon | None = None,
        forms: Forms | None = None,
    ) -> None:
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
        in the same paragraph, or else the story's mention of that name) is one entity with that
        name, whatever their words."""
        at: dict[tuple[str, int, str], int] = {}
        anywhere: dict[str, int] = {}
        for i, m in enumerate(mentions):
            at.setdefault((m.article, m.paragraph, m.text), form_of[i])
            anywhere.setdefault(m.text, form_of[i])
        for i, m in enumerate(mentions):
            if not m.alias:
                continue
            # (a name the alias stands for elsewhere in the story: a group's other names, rules.groups)
            other = at.get((m.article, m.paragraph, m.alias), anywhere.get(m.alias))
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
