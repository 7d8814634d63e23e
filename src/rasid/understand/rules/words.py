"""Word facts of the rule layer (clitics, rare words, nisba adjectives) and the junk filters."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable

from ...model import Mention
from ...text.normalize import Forms, match_form
from .lexicon import (
    _CLITIC_PREFIXES,
    _CODE_AFTER,
    _MODEL_CODE,
    _NOT_ENTITIES,
    _THING_NOUNS,
    _WORD_BEFORE,
)


def _drop_designations(
    mentions: list[Mention], texts: dict[tuple[str, int], str], form: Callable[[str], str] = match_form
) -> list[Mention]:
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
        # a number or registration after "رقم" (برقم HZIBN, رقم HZIBN): a code, not a name
        number = _WORD_BEFORE_CODE.search(text[max(0, m.start - 30) : m.start])
        if form(m.text.split(" ", 1)[0]) in _NUMBER_NOUNS or (
            number and form(number.group(1)) in _NUMBER_NOUNS
        ):
            continue
        glued = _ARABIC_THEN_LATIN.match(m.text)
        if glued:
            # a missing space between an Arabic word and a Latin name (باسمBCA Europe): the name
            k = glued.end()
            m = Mention(m.text[k:], m.type, m.article, m.paragraph, m.start + k, m.end, m.alias)
        before = _WORD_BEFORE.search(text[max(0, m.start - 30) : m.start])
        if before:
            w = form(before.group(1))
            for p in ("و", "ب", "ل", "ال", "وال", "بال"):
                if w.startswith(p) and w[len(p) :] in _THING_NOUNS:
                    w = w[len(p) :]
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


_NUMBER_NOUNS = frozenset(
    match_form(w) for w in ("رقم", "برقم", "الرقم", "بالرقم", "رقمها", "رقمه", "تسجيل", "بتسجيل")
)
_WORD_BEFORE_CODE = re.compile(r"([^\W\d_]+)[\s\"'«»“”(:]*$")
_MAQSURA_PARTICLES = frozenset(match_form(w) for w in ("على", "إلى", "لدى", "حتى"))
# Prepositions a name never starts with (not إن، لا، دي: letters and articles of foreign names,
# إن بي إيه، لا ريبابليكا), and prepositional nouns that introduce a person.
_PREPOSITIONS = frozenset(
    match_form(w)
    for w in (
        "في",
        "من",
        "على",
        "إلى",
        "عن",
        "مع",
        "لدى",
        "حول",
        "ضد",
        "نحو",
        "عند",
        "منذ",
        "خلال",
        "بعد",
        "قبل",
        "حتى",
        "بحسب",
        "وفق",
        "ضمن",
        "بين",
    )
)
_LEAD_NOUNS = frozenset(match_form(w) for w in ("بلسان", "برئاسة", "بقيادة", "بحضور", "بمشاركة", "بمرافقة"))
_PRONOUN_SUFFIXES = ("هما", "هم", "هن", "كم", "ها")
_ARABIC_THEN_LATIN = re.compile(r"^[\u0621-\u064a]+(?=[A-Za-z])")


class WordRules:
    """Word facts and the junk filter of `StoryRules` (a base class: the fields live there)."""

    __slots__ = ()
    common: frozenset[str]
    name_part: frozenset[str]
    triggers: dict[str, tuple[str, str]]
    function: frozenset[str]
    forms: Forms

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

    def _clean_name(self, text: str) -> bool:
        """No common word or particle inside: the tagger's span is a name, not a run-on clause."""
        return not any(
            f in self.common or f in self.function for f in (self.forms.form(w) for w in text.split())
        )

    def _definite(self, form: str) -> bool:
        """الX, للX, والX ...: a definite word, which does not start a name after a trigger noun."""
        return form.startswith("لل") or self._bare(form).startswith("ال") or form.startswith("ال")

    def _indefinite_noun(self, form: str) -> bool:
        return (
            form.isalpha() and not form.startswith("ال") and form in self.common and form not in self.function
        )

    @staticmethod
    def _clitic_len(display: str) -> int:
        """Characters of a leading و/ف/ب/ل/ك before a trigger noun (وكالة keeps its و)."""
        form = match_form(display)
        return 1 if len(form) >= 5 and form[0] in "وفبلك" and not form.startswith("وكال") else 0

    def _suffixed_common(self, form: str) -> bool:
        """A common word with a pronoun suffix (تفاؤلهم، مواقفها): a word of a clause, never of a
        name (four letters left at least)."""
        return any(
            form.endswith(s) and len(form) - len(s) >= 4 and form[: -len(s)] in self.common
            for s in _PRONOUN_SUFFIXES
        )

    # ------------------------------------------------------------------ junk
    def _trim_leading(
        self, mentions: list[Mention], protected: set[tuple[str, int, int]] | None = None
    ) -> list[Mention]:
        """A tagger's span that starts on a preposition (عن تفاؤلهم بعودة) or on a prepositional noun
        that introduces a person (بلسان، برئاسة، بحضور) starts after it: no name begins so (the
        name علي is not the particle على, written with its alef maqsura)."""
        out: list[Mention] = []
        for m in mentions:
            words = m.text.split(" ")
            k = 0
            while k < len(words) - 1:
                f = self.forms.form(words[k])
                if (
                    f in _PREPOSITIONS and (f not in _MAQSURA_PARTICLES or words[k].endswith("ى"))
                ) or f in _LEAD_NOUNS:
                    k += 1
                    continue
                break
            if k == 0 or (protected and (m.article, m.paragraph, m.start) in protected):
                out.append(m)
                continue
            cut = sum(len(w) + 1 for w in words[:k])
            out.append(Mention(m.text[cut:], m.type, m.article, m.paragraph, m.start + cut, m.end, m.alias))
        return out

    def _drop_junk(
        self,
        mentions: list[Mention],
        words_seen: Counter[str],
        forms: Forms,
        name_words: set[str],
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
            if (
                not all(x.isascii() for x in words)
                and all(
                    x in self.common
                    or (x[:2] in ("لل", "وا", "با", "فا", "كا") and self._bare(x) in self.common)
                    for x in words
                )
                and not (one and (w in name_words or self._bare(w) in name_words))
            ):
                continue
            if not one and any(self._suffixed_common(x) for x in words):
                continue  # a clause the tagger ran over (عن تفاؤلهم بعودة)
            if one:
                if w in self.name_part and w not in in_longer and self._bare(w) not in in_longer:
                    continue
                if (
                    w.startswith("ال")
                    and len(w) >= 5
                    and w not in name_words
                    and words_seen[w[2:]] > tagged[w[2:]]
                ):
                    continue
                if (
                    m.type == "PER"
                    and w[:1] in "وف"
                    and len(w) >= 4
                    and w not in self.common
                    and w not in self.name_part
                    and w[1:] not in name_words
                    and not tagged[w[1:]]
                    and w not in in_longer
                    and tagged[w] == 1
                    and words_seen[w] == 1
                ):
                    continue
            out.append(m)
        return out
