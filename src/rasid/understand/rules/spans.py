"""Names announced by a trigger noun, transliterated surnames, and place names joined by a
foreign preposition (see the package docstring)."""

from __future__ import annotations

import re
from collections import Counter

from ...model import Mention
from ..ner_tokenize import Token
from .lexicon import _QUOTES_CLOSE, _QUOTES_OPEN, _SURNAME_ENDINGS, _Span
from .words import WordRules


class SpanRules(WordRules):
    """The span passes of `StoryRules` (a base class: the fields live there)."""

    __slots__ = ()
    descriptive: frozenset[str]
    joiners: frozenset[str]

    # ------------------------------------------------------------------ trigger spans
    def _trigger_spans(
        self, text: str, toks: list[Token], forms: list[str], found: list[Mention]
    ) -> list[_Span]:
        spans: list[_Span] = []
        starts = {m.start: m for m in found}
        triggers = self.triggers  # `_trigger_of`, read inline: most words are no trigger
        for i, form in enumerate(forms):
            trig = triggers.get(form)
            if trig is None or len(form) < 3 or not form.isalpha():
                continue
            tok = toks[i]
            if any(m.start <= tok.start < m.end for m in found):
                continue
            kind, base = trig
            j = i + 1
            # up to two indefinite common nouns of the facility: مصنع طائرات, محطة سكة حديد
            fillers = 0
            while (
                j < len(toks)
                and fillers < 2
                and toks[j].start == toks[j - 1].end + 1
                and self._indefinite_noun(forms[j])
                and toks[j].start not in starts
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
                if (
                    m.type in ("PER", "ORG")
                    and kind == "ORG"
                    and base not in self.descriptive
                    and self._clean_name(m.text)
                ):
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
                k < len(toks)
                and k - j < 3
                and toks[k].start not in starts
                and (k == j or toks[k].start == toks[k - 1].end + 1)
                and self._is_rare(forms[k])
                and not self._definite(forms[k])
                and not forms[k].startswith("و")
            ):
                k += 1
            # rare words right after the noun (not after filler nouns, where a clause may go on)
            if k > j and fillers == 0:
                spans.append(_Span(toks[j].start, toks[k - 1].end, kind))
        return spans

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

    def _descriptive(
        self, toks: list[Token], forms: list[str], i: int, j: int
    ) -> tuple[int, int, int] | None:
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

    def _appositive(
        self, text: str, toks: list[Token], forms: list[str], k: int, described: str
    ) -> list[_Span]:
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
        if not (pair >= 2 and 2 * pair > total) and not (
            m.type == "LOC" and total == 1 and self._is_rare(after)
        ):
            return m
        end = m.end + (len(tail) - len(rest)) + nxt.end()
        return Mention(text[m.start : end], m.type, m.article, m.paragraph, m.start, end, m.alias)
