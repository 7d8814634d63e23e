"""When two names are one (pass 2) and when a short form names a longer one (pass 3's test)."""

from __future__ import annotations

from collections import defaultdict

from rasid.understand.aliases import AliasTable
from rasid.understand.rules import Lexicon
from rasid.understand.translit import TokenComparer, is_arabic

from .words import _IF_UNIQUE, _PATRONYMIC, _SURE, CanonSettings, _ending, _Form, _org_word, _UnionFind


class NameMatching:
    """The name comparisons of `EntityCanonicaliser` (a base class: its state is set there)."""

    settings: CanonSettings
    _lexicon: Lexicon | None
    _aliases: AliasTable | None
    _demonym_set: frozenset[str] | None

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
            if any(
                w in self._demonyms and not self._overlap([w], short.org_words, cmp) for w in long.org_words
            ):
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
