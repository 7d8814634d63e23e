"""The places a headline names, read from a lexicon of place names shipped with the package.

Two stories whose headlines name places, none of them in common, are two happenings however alike
their words: the election committee of one region and that of another, a cable to one head of state
and the same cable to another, a seizure at one border post and one at the next. The merge rule
reads this (`_Policy._places_agree`).

The lexicon (`data/story_places.txt`, one key a line) is mined by `rasid_training.places` from days of
news before any labelled day: the place names the shipped NER tags in headlines and leads, with
ANERcorp's location list, each kept only when it is tagged as a place in a tenth or more of the
texts that hold it (a common word that is sometimes a name stays out). A key is a name of one to
three words in matching form, its first word without its leading clitics (و، ب، ل، ال).
"""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path

from ..text.normalize import strip_clitics, tokens

PLACES_FILE = "story_places.txt"
MAX_WORDS = 3  # the longest place name the lexicon holds, in words
_MEMO_CAP = 50_000  # headlines remembered (a clusterer reads each member's headline many times)
# A dateline opening the text: "(موسكو) – وصل ..." names where the report was filed, not where the
# happening is (a headline taken from a body's first line starts so).
_DATELINE = re.compile(r"^\s*\([^()]{1,40}\)\s*[-–—]")


def place_key(words: list[str]) -> str:
    """The lexicon key of a name given as matching-form words."""
    return " ".join([strip_clitics(words[0]), *words[1:]])


class PlaceLexicon:
    """Place names by key; `of_title` finds those a headline names (longest name first)."""

    def __init__(self, keys: set[str] | frozenset[str]) -> None:
        self.keys = frozenset(keys)
        self._memo: dict[str, frozenset[str]] = {}

    @classmethod
    def load(cls, path: str | Path | None = None) -> PlaceLexicon:
        """The lexicon at `path`, or the shipped one (empty when the package has none)."""
        if path is None:
            f = resources.files("rasid").joinpath(f"data/{PLACES_FILE}")
            text = f.read_text(encoding="utf-8") if f.is_file() else ""
        else:
            text = Path(path).read_text(encoding="utf-8")
        return cls({line.strip() for line in text.splitlines() if line.strip()})

    def of_title(self, title: str) -> frozenset[str]:
        """The keys of the places `title` names (a leading dateline left out)."""
        got = self._memo.get(title)
        if got is not None:
            return got
        words, found, i = tokens(_DATELINE.sub("", title, count=1)), set(), 0
        while i < len(words):
            for n in range(min(MAX_WORDS, len(words) - i), 0, -1):
                key = place_key(words[i : i + n])
                if key in self.keys:
                    found.add(key)
                    i += n
                    break
            else:
                i += 1
        if len(self._memo) >= _MEMO_CAP:
            self._memo.clear()
        got = self._memo[title] = frozenset(found)
        return got
