"""Aliases every reader knows: a country and "the Kingdom" / "the Sultanate", a capital and «العاصمة X».

The table (`data/aliases.json`, written by hand and short) lists places with their names (السعودية،
المملكة العربية السعودية) and their descriptive aliases (المملكة، العاصمة السعودية). Within one
story:

- `AliasTable.spans` finds the aliases in a paragraph, but only for a place the story names
  itself (المملكة is read as Saudi Arabia only in a story that names Saudi Arabia), and never
  where the alias word begins a longer name (المملكة المتحدة);
- `AliasTable.groups` tells the canonicaliser which of a story's name forms are one place: all
  the names and aliases of one entry. An alias several entries share (المملكة of Saudi Arabia,
  Bahrain, Jordan, Morocco) goes to the one the story names most.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ..text.normalize import match_form

ALIASES_PATH = Path(__file__).resolve().parent.parent / "data" / "aliases.json"
_CLITICS = ("وب", "ول", "فب", "فل", "و", "ف", "ب", "ل", "ك")


def bare(form: str) -> str:
    """A matching-form word without a leading conjunction or preposition (لل → ال)."""
    if form.startswith("لل") and len(form) >= 5:
        return "ال" + form[2:]
    for c in _CLITICS:
        if (
            form.startswith(c)
            and len(form) - len(c) >= 3
            and (form[len(c) :].startswith("ال") or c in ("و", "ف"))
        ):
            return form[len(c) :]
    return form


@dataclass(slots=True)
class AliasTable:
    names: list[str] = field(default_factory=list)  # entry -> its English name
    types: list[str] = field(default_factory=list)  # entry -> LOC or PER
    name_entry: dict[str, int] = field(default_factory=dict)  # matching form of a name -> entry
    alias_entries: dict[str, list[int]] = field(default_factory=dict)  # matching form of an alias -> entries
    max_words: int = 1
    first_tails: frozenset[str] = frozenset()  # last three letters of every alias's first word

    @classmethod
    def load(cls, path: Path | None = None) -> AliasTable:
        data = json.loads((path or ALIASES_PATH).read_text(encoding="utf-8"))
        t = cls()
        for k, place in enumerate(data["places"]):
            t.names.append(place["name"])
            t.types.append(place.get("type", "LOC"))
            for n in place["names"]:
                t.name_entry.setdefault(match_form(n), k)
                if " " in n:  # a long name the tagger may miss is looked for like an alias
                    t.alias_entries.setdefault(match_form(n), []).append(k)
                    t.max_words = max(t.max_words, len(n.split()))
            for a in place["aliases"]:
                t.alias_entries.setdefault(match_form(a), []).append(k)
                t.max_words = max(t.max_words, len(a.split()))
        t.first_tails = frozenset(a.split(" ", 1)[0][-3:] for a in t.alias_entries)
        return t

    def present(self, name_forms: Iterable[str]) -> set[int]:
        """Entries the story names (matching forms of its mentions)."""
        out = set()
        for f in name_forms:
            k = self.name_entry.get(f, self.name_entry.get(bare(f)) if " " not in f else None)
            if k is not None:
                out.add(k)
        return out

    def spans(self, forms: Sequence[str], present: set[int]) -> list[tuple[int, int, str]]:
        """Token spans [i, j) of aliases of entries in `present`, not followed by a defining
        adjective, with the entry's type."""
        out: list[tuple[int, int, str]] = []
        tails, entries = self.first_tails, self.alias_entries
        free = 0  # tokens before this one are inside the last hit
        for i, first in enumerate(forms):
            if i < free or first[-3:] not in tails:  # clitics are prefixes: a cheap test first
                continue
            hit = None
            head = bare(first)
            for n in range(min(self.max_words, len(forms) - i), 0, -1):
                ents = entries.get(" ".join([head, *forms[i + 1 : i + n]]))
                if ents and any(e in present for e in ents):
                    nxt = forms[i + n] if i + n < len(forms) else ""
                    if not (nxt.startswith("ال") and nxt.isalpha()) or n > 1:
                        k = next(e for e in ents if e in present)
                        hit = (i, i + n, self.types[k])
                    break
            if hit:
                out.append(hit)
                free = hit[1]
        return out

    def groups(self, form_keys: Sequence[str], weights: Sequence[int]) -> list[list[int]]:
        """Indices of `form_keys` (cleaned matching forms of a story's names) that are one place:
        one list per entry the story names. `weights`: mentions per form, to settle shared aliases."""
        entry_of: dict[int, int] = {}
        weight: dict[int, int] = {}
        for i, key in enumerate(form_keys):
            k = self.name_entry.get(key)
            if k is not None:
                entry_of[i] = k
                weight[k] = weight.get(k, 0) + weights[i]
        for i, key in enumerate(form_keys):
            ents = [e for e in self.alias_entries.get(key, []) if e in weight]
            if ents and i not in entry_of:
                entry_of[i] = max(ents, key=lambda e: weight[e])
        by_entry: dict[int, list[int]] = {}
        for i, k in entry_of.items():
            by_entry.setdefault(k, []).append(i)
        return [v for v in by_entry.values() if len(v) > 1]
