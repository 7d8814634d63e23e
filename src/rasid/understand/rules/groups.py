"""A group named after a person or family, and the other ways a story names it.

A story that writes «جماعة الحوثي» (a feminine head noun with a masculine nisba: the genitive of
a name, "the group of al-Houthi", not an agreeing adjective as in «الجماعة الإسلامية») names a
group after X. The same story then calls it by the plural nisba of X («الحوثيين»،
«والحوثيون»: the followers of X) and by a longer description ending in the feminine nisba
(«ميليشيا التمرد الحوثية»). These are mentions of the group (ORG); canonicalisation joins them
to it (`Mention.alias`: the group's name as the story writes it).

Only groups the story itself names this way are looked for: no group, person or place is known
to this module.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence

from ...model import Mention
from ..ner_tokenize import Token

# Feminine heads of armed or political groups (matching forms).
_HEADS = frozenset(("جماعه", "ميليشيا", "ميليشيات", "مليشيا", "مليشيات", "حركه"))
_CLITIC = re.compile(r"^(?:[وفبلك]|وب|ول|فب|فل)?(?:ال)?")
# "الX" + masculine nisba, and the plural nisba with a clitic and the article (or لل).
_NAMED = re.compile(r"^ال(\w{3,})ي$")
_PLURAL = re.compile(r"^(?:[وفبك]?ال|لل|[وف]لل)(\w{3,})ي(?:ين|ون)$")
_FEMININE = re.compile(r"^ال(\w{3,})يه$")
_DEFINITE = re.compile(r"^ال\w{2,}$")

Para = tuple[str, int, str, list[Token], list[str]]


def _head(form: str) -> bool:
    return _CLITIC.sub("", form, count=1) in _HEADS or form in _HEADS


def group_names(mentions: Sequence[Mention], form: Callable[[str], str]) -> dict[str, str]:
    """X of every two-word ORG mention «head الXي» (جماعة الحوثي → حوث), with the group's name
    as the story writes it most often."""
    seen: dict[str, Counter[str]] = {}
    for m in mentions:
        if m.type != "ORG":
            continue
        words = [form(w) for w in m.text.split()]
        if len(words) == 2 and _head(words[0]):
            named = _NAMED.match(words[1])
            if named:
                seen.setdefault(named.group(1), Counter())[m.text] += 1
    return {x: c.most_common(1)[0][0] for x, c in seen.items()}


def group_mentions(
    paras: Sequence[Para], mentions: Sequence[Mention], form: Callable[[str], str]
) -> list[Mention]:
    """Mentions of the story's named groups by their plural nisba and by a description ending in
    the feminine nisba, where no mention is already; each names the group (`Mention.alias`)."""
    names = group_names(mentions, form)
    if not names:
        return []
    taken: dict[tuple[str, int], list[Mention]] = {}
    for m in mentions:
        taken.setdefault((m.article, m.paragraph), []).append(m)
    out: list[Mention] = []
    for aid, pi, text, toks, forms in paras:
        here = taken.get((aid, pi), [])
        for j, f in enumerate(forms):
            plural = _PLURAL.match(f)
            fem = _FEMININE.match(f)
            if plural and plural.group(1) in names:
                key, tok = plural.group(1), toks[j]
                lead = len(f) - len(f.lstrip("وفبك")) if not f.startswith(("ال", "لل")) else 0
                start, end = tok.start + lead, tok.end
                shown = text[start:end]
                if f[lead:].startswith("لل"):
                    start, shown = start + 1, "ال" + text[start + 2 : end]
            elif fem and fem.group(1) in names:
                key = fem.group(1)
                # back over up to two definite words to a group head: ميليشيا التمرد الحوثية
                k = j - 1
                while k >= 0 and j - k <= 2 and not _head(forms[k]) and _DEFINITE.match(forms[k]):
                    k -= 1
                if (
                    k < 0
                    or not _head(forms[k])
                    or any(toks[n + 1].start - toks[n].end > 1 for n in range(k, j))
                ):
                    continue
                head = forms[k]
                # a conjunction or preposition glued on the head is not part of the name
                lead = 1 if head not in _HEADS and not head.startswith("ال") else 0
                start, end = toks[k].start + lead, toks[j].end
                shown = text[start:end]
            else:
                continue
            if any(m.start < end and start < m.end for m in here):
                continue
            out.append(Mention(shown, "ORG", aid, pi, start, end, names[key]))
    return out
