"""Transliteration-aware name keys: one consonant skeleton for Arabic and Latin script.

Foreign names reach Arabic through several spelling traditions at once: Russian/Korean *g* is
written غ, ج, ق or ك; *ch* is تش or ش; long vowels come and go (جونغ/جونج, فوستوتشني/فوستوشني);
*v* and *p* become ف and ب. A name written in Latin script in the same story (an English tweet,
a French paragraph) goes through the mirror image of the same drift. Comparing letters therefore
over-splits, while a key that keeps only the consonant *classes* those traditions agree on
matches both spellings and both scripts. That key is the skeleton: a lower-case consonantal
romanisation in which vowels (and the letters Arabic uses for them: ا و ي ى ع ء) are dropped,
each consonant is folded to its class, runs of one class collapse and the article ال goes.

The skeleton alone is coarse (روسيا and روسية share one); `name_similarity` and `token_similarity`
add the checks that keep such pairs apart, and callers (the entity canonicaliser) add type and
token-structure agreement on top. Nothing here knows any particular name.
"""

from __future__ import annotations

import re
import unicodedata

from rasid.text.normalize import match_form

# Arabic letter (matching form) -> consonant class. Letters absent from the map are dropped
# (vowel carriers and the glottal/pharyngeal stops that transliteration ignores).
_AR_CLASS = {
    "ب": "b",
    "پ": "b",
    "ت": "t",
    "ط": "t",
    "ث": "s",
    "س": "s",
    "ص": "s",
    "ج": "k",
    "غ": "k",
    "ق": "k",
    "ك": "k",
    "ڭ": "k",
    "ح": "h",
    "خ": "h",
    "ه": "h",
    "د": "d",
    "ض": "d",
    "ذ": "z",
    "ز": "z",
    "ظ": "z",
    "ژ": "k",
    "ر": "r",
    "ش": "c",
    "چ": "c",
    "ف": "f",
    "ڤ": "f",
    "ل": "l",
    "م": "m",
    "ن": "n",
}
_AR_DIGRAPHS = (("تش", "c"),)

# Latin digraphs first (longest first), then single letters. Vowels and y/w are dropped.
_LAT_DIGRAPHS = (
    ("tch", "c"),
    ("sch", "c"),
    ("ch", "c"),
    ("sh", "c"),
    ("zh", "k"),
    ("kh", "h"),
    ("gh", "k"),
    ("th", "t"),
    ("ph", "f"),
    ("ck", "k"),
    ("qu", "k"),
    ("dj", "k"),
)
_LAT_CLASS = {
    "b": "b",
    "p": "b",
    "t": "t",
    "d": "d",
    "s": "s",
    "z": "z",
    "c": "k",
    "g": "k",
    "j": "k",
    "k": "k",
    "q": "k",
    "x": "ks",
    "h": "h",
    "f": "f",
    "v": "f",
    "r": "r",
    "l": "l",
    "m": "m",
    "n": "n",
}
_TOKEN_SPLIT = re.compile(r"[\s\-‐‑–—_/.·]+")
_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_ARABIC = re.compile("[\u0600-\u06ff\u0750-\u077f]")
# Slavic adjectival ending (-sky/-skaya/-skoye) as a skeleton tail: Primorsky ~ Primorye.
_SLAVIC_ADJ = "sk"


def is_arabic(text: str) -> bool:
    return bool(_ARABIC.search(text))


# The first words of Arabic compound names, written with or without a space before the second
# word (عبد الله / عبدالله, أبو ظبي / أبوظبي): as name tokens they are one word with it.
_COMPOUND_FIRST = frozenset(("عبد", "أبو", "ابو", "أبي", "ابي", "أبا", "ابا"))


def name_tokens(text: str) -> list[str]:
    """Tokens of a name: split on spaces, hyphens and dots, punctuation dropped, display form kept;
    a compound name's first word (عبد, أبو) is glued to the word after it."""
    out: list[str] = []
    glue = False
    for part in _TOKEN_SPLIT.split(text):
        word = "".join(_WORD.findall(part))
        if not word:
            continue
        if glue:
            out[-1] += word
        else:
            out.append(word)
        glue = not glue and word in _COMPOUND_FIRST
    return out


def _collapse(key: str) -> str:
    out: list[str] = []
    for ch in key:
        if not out or out[-1] != ch:
            out.append(ch)
    return "".join(out)


def _arabic_token_skeleton(token: str) -> str:
    # The definite article is a prefix only when written with a bare alef: ألكسندر keeps its ل.
    raw = unicodedata.normalize("NFKC", token)
    form = match_form(raw)
    if raw.startswith("ال") and len(form) > 4:
        form = form[2:]
    # Final ha/ta marbuta is a vowel ending in transliterated names (بريموريه = Primorye).
    if len(form) > 2 and form.endswith("ه"):
        form = form[:-1]
    for digraph, cls in _AR_DIGRAPHS:
        form = form.replace(digraph, "\0" + cls)
    out: list[str] = []
    i = 0
    while i < len(form):
        ch = form[i]
        if ch == "\0":
            out.append(form[i + 1])
            i += 2
            continue
        if ch.isdigit():
            out.append(ch)
        else:
            out.append(_AR_CLASS.get(ch, ""))
        i += 1
    return _collapse("".join(out))


_AR_VOWELS = frozenset("اويء")


def _has_article(token: str) -> bool:
    raw = unicodedata.normalize("NFKC", token)
    return raw.startswith("ال") and len(match_form(raw)) > 4


def _arabic_fine(token: str) -> tuple[tuple[str, str], ...]:
    """(class, letter) symbols of an Arabic token for same-script comparison.

    Unlike the skeleton this keeps the long vowels (class "V"), ع and a final ta marbuta, because
    between two Arabic spellings they carry the difference between names (سعيد / سعود, المنصورة /
    المنصور, الصين / صنعاء); only the letters transliteration really varies are made cheap.
    """
    raw = unicodedata.normalize("NFKC", token)
    form = match_form(raw)
    if raw.startswith("ال") and len(form) > 4:
        form = form[2:]
    form = form.replace("تش", "\0")
    out: list[tuple[str, str]] = []
    for ch in form:
        if ch == "\0":
            out.append(("c", "ش"))
        elif ch in _AR_VOWELS:
            out.append(("V", ch))
        elif ch == "ع":
            out.append(("ع", ch))
        else:
            out.append((_AR_CLASS.get(ch, ch), ch))
    return tuple(out)


def _fine_similarity(a: tuple[tuple[str, str], ...], b: tuple[tuple[str, str], ...]) -> float:
    """Weighted edit similarity of two Arabic spellings, normalised by their consonants.

    Costs: a long vowel inserted or dropped 0.3 (ميناوي / مناوي), a consonant replaced within its
    transliteration class 0.35 (غ / ج / ق, ت / ط, س / ص; 0.5 with ك), anything else 1. Vowels that
    only moved (أميركا / أمريكا) cost almost nothing; a vowel replaced by another (سعيد / سعود) does.
    """
    cons_a = [c for c in a if c[0] != "V"]
    cons_b = [c for c in b if c[0] != "V"]
    # Long-vowel drift is how transliterations vary (ديميتري / دميتري); in a word with at most
    # one long vowel it is more often another word (محمود / محمد, حسني / حسن, فاتح / فتاح).
    foreign = max(len(a) - len(cons_a), len(b) - len(cons_b)) >= 2
    drift = 0.3 if foreign else 0.7
    if (
        foreign
        and cons_a == cons_b
        and len(cons_a) >= 3
        and sorted(c for c in a if c[0] == "V") == sorted(c for c in b if c[0] == "V")
    ):
        return 0.95  # the same vowels in other places: أميركا / أمريكا

    def indel(sym: tuple[str, str], pos: int) -> float:
        # a word-initial vowel is part of the word's shape (أحمد / حمد), not drift
        return max(drift, 0.6 if pos == 0 else 0.0) if sym[0] == "V" else 1.0

    n, m = len(a), len(b)
    prev = [0.0] * (m + 1)
    for j in range(1, m + 1):
        prev[j] = prev[j - 1] + indel(b[j - 1], j - 1)
    for i in range(1, n + 1):
        ca = a[i - 1]
        cur = [prev[0] + indel(ca, i - 1)]
        for j in range(1, m + 1):
            cb = b[j - 1]
            if ca == cb:
                sub = 0.0
            elif ca[0] == "V" and cb[0] == "V":
                sub = 0.6
            elif ca[0] == cb[0]:
                # غ ج ق are one /g/ in transliteration; ك stands apart more often (كوفي / جوفي)
                sub = 0.5 if "ك" in (ca[1], cb[1]) else 0.35
            else:
                sub = 1.0
            cur.append(min(prev[j] + indel(ca, i - 1), cur[j - 1] + indel(cb, j - 1), prev[j - 1] + sub))
        prev = cur
    scale = max(3, len(cons_a), len(cons_b))
    return max(0.0, 1.0 - prev[m] / scale)


def _latin_token_skeleton(token: str) -> str:
    word = unicodedata.normalize("NFKD", token.casefold())
    word = "".join(ch for ch in word if not unicodedata.combining(ch))
    out: list[str] = []
    i = 0
    while i < len(word):
        for digraph, cls in _LAT_DIGRAPHS:
            if word.startswith(digraph, i):
                out.append(cls)
                i += len(digraph)
                break
        else:
            ch = word[i]
            out.append(ch if ch.isdigit() else _LAT_CLASS.get(ch, ""))
            i += 1
    return _collapse("".join(out))


def token_skeleton(token: str) -> str:
    """The consonant-class key of one token, whichever script it is written in."""
    return _arabic_token_skeleton(token) if is_arabic(token) else _latin_token_skeleton(token)


def skeleton(text: str) -> str:
    """Space-separated token skeletons of a name: the key that survives spelling and script drift.

    >>> skeleton("Kim Jong Un") == skeleton("كيم جونغ أون") == skeleton("كيم جونج أون")
    True
    """
    return " ".join(s for s in (token_skeleton(t) for t in name_tokens(text)) if s)


def _levenshtein(a: str, b: str) -> int:
    if a == b:
        return 0
    if not a or not b:
        return max(len(a), len(b))
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def _key_similarity(a: str, b: str) -> float:
    if not a or not b:
        return 0.0
    return 1.0 - _levenshtein(a, b) / max(len(a), len(b))


def _arabic_ending(form: str) -> str:
    """Whether a matching form ends in alef or in ta marbuta/ha: the country/adjective split."""
    if form.endswith(("ا", "اء")):
        return "a"
    if form.endswith("ه"):
        return "h"
    return ""


class TokenComparer:
    """Token similarity and alignment with per-instance caches.

    Canonicalising a story compares the same tokens many times, and the stories of a day share
    many names; the caches live on this object (kept by its owner, e.g. the canonicaliser, across
    stories), never at module level. Every cached value is a pure function of its tokens.
    """

    __slots__ = ("_forms", "_skeletons", "_fine", "_sims")

    def __init__(self) -> None:
        self._forms: dict[str, str] = {}
        self._skeletons: dict[str, str] = {}
        self._fine: dict[str, tuple[tuple[str, str], ...]] = {}
        self._sims: dict[tuple[str, str], float] = {}

    @property
    def size(self) -> int:
        """Entries held by the caches (an owner that keeps one comparer across runs bounds it)."""
        return len(self._forms) + len(self._skeletons) + len(self._fine) + len(self._sims)

    def fine(self, token: str) -> tuple[tuple[str, str], ...]:
        got = self._fine.get(token)
        if got is None:
            got = self._fine[token] = _arabic_fine(token)
        return got

    def form(self, token: str) -> str:
        got = self._forms.get(token)
        if got is None:
            got = self._forms[token] = match_form(token)
        return got

    def skeleton(self, token: str) -> str:
        got = self._skeletons.get(token)
        if got is None:
            got = self._skeletons[token] = token_skeleton(token)
        return got

    def similarity(self, a: str, b: str) -> float:
        """Similarity in [0, 1] of two name tokens, tolerant of transliteration drift.

        Equal matching forms score 1. Otherwise the skeletons are compared by edit distance,
        except that two Arabic tokens which differ by a final alef against a final ta marbuta
        (روسيا / روسية, كوريا / كورية: a country and its adjective) are kept apart, and digits
        must agree.
        """
        key = (a, b) if a <= b else (b, a)
        got = self._sims.get(key)
        if got is None:
            got = self._sims[key] = self._similarity(a, b)
        return got

    def _similarity(self, a: str, b: str) -> float:
        fa, fb = self.form(a), self.form(b)
        if fa == fb:
            return 1.0
        if fa.isdigit() or fb.isdigit():
            return 0.0
        both_arabic = is_arabic(a) and is_arabic(b)
        if both_arabic:
            ea, eb = _arabic_ending(fa), _arabic_ending(fb)
            if ea and eb and ea != eb:
                return 0.0
        sa, sb = self.skeleton(a), self.skeleton(b)
        if not sa or not sb:
            return 0.0
        # Slavic adjectival tail: بريمورسكي (Primorsky) ~ بريموريه (Primorye), long stems only.
        for x, y in ((sa, sb), (sb, sa)):
            if x.endswith(_SLAVIC_ADJ) and len(x) - len(_SLAVIC_ADJ) >= 4 and x[: -len(_SLAVIC_ADJ)] == y:
                return 0.9
        if both_arabic:
            fine_a, fine_b = self.fine(a), self.fine(b)
            if _has_article(a) != _has_article(b):
                # الكويت is not كوت; الأرسنال is آرسنال, but a bare خليج is not الخليج
                return 0.9 if fine_a == fine_b else 0.0
            if max(len(fa), len(fb)) <= 3 and [c for c in fine_a if c[0] != "V"] == [
                c for c in fine_b if c[0] != "V"
            ]:
                return 0.9  # one-consonant particles differ only in vowels: نا / أون
            sim = _fine_similarity(fine_a, fine_b)
            if (fa[-1:] == "ي") != (fb[-1:] == "ي") and not (fa[-1:] in "اوه" or fb[-1:] in "اوه"):
                sim = min(sim, 0.8)  # a nisba ending makes another word: بشار / بشاري, مصر / مصري
            return sim
        # across scripts (and for one-consonant particles: نا / أون) only the skeleton is comparable
        if sa == sb:
            return 0.95
        if abs(len(sa) - len(sb)) > max(len(sa), len(sb)) / 2:
            return 0.0  # cannot reach any useful score: skip the edit distance
        return _key_similarity(sa, sb) * 0.95

    def joined_similarity(self, a: list[str], b: list[str]) -> float:
        """Similarity of two names written with different word boundaries (بيونغ يانغ / Pyongyang).

        Between Arabic spellings the joined letters are compared with their vowels; across
        scripts the joined skeletons must be equal, long enough, and every word must count.
        """
        if all(is_arabic(t) for t in a + b):
            ja, jb = "".join(self.form(t) for t in a), "".join(self.form(t) for t in b)
            return _fine_similarity(_arabic_fine(ja), _arabic_fine(jb))
        ska, skb = [self.skeleton(t) for t in a], [self.skeleton(t) for t in b]
        if not all(ska) or not all(skb):
            return 0.0
        ja, jb = "".join(ska), "".join(skb)
        return 0.95 if len(ja) >= 5 and ja == jb else 0.0

    def align(self, short: list[str], long: list[str]) -> tuple[float, list[int]]:
        """Best order-preserving alignment of `short`'s tokens onto `long`'s.

        Returns (sum of token similarities, the index in `long` of each `short` token). Used
        both for full-name similarity and for deciding whether a short form is part of a
        longer name.
        """
        n, m = len(short), len(long)
        if n > m or n == 0:
            return 0.0, []
        sims = [[self.similarity(s, t) for t in long] for s in short]
        neg = float("-inf")
        best = [[neg] * (m + 1) for _ in range(n + 1)]
        back = [[False] * (m + 1) for _ in range(n + 1)]
        for j in range(m + 1):
            best[0][j] = 0.0
        for i in range(1, n + 1):
            for j in range(i, m + 1):
                skip = best[i][j - 1]
                take = best[i - 1][j - 1] + sims[i - 1][j - 1]
                if take >= skip:
                    best[i][j], back[i][j] = take, True
                else:
                    best[i][j] = skip
        path: list[int] = []
        i, j = n, m
        while i > 0:
            if back[i][j]:
                path.append(j - 1)
                i -= 1
            j -= 1
        path.reverse()
        return best[n][m], path


def token_similarity(a: str, b: str) -> float:
    """Similarity in [0, 1] of two name tokens (see `TokenComparer.similarity`)."""
    return TokenComparer().similarity(a, b)


def align_tokens(short: list[str], long: list[str]) -> tuple[float, list[int]]:
    """Best order-preserving alignment of `short` onto `long` (see `TokenComparer.align`)."""
    return TokenComparer().align(short, long)


def name_similarity(a: str, b: str, comparer: TokenComparer | None = None) -> float:
    """Full-name similarity in [0, 1] across spelling variants and scripts.

    The larger of (1) the token alignment score divided by the longer name's token count, so a
    surname alone scores about half of the full name, and (2) the similarity of the joined
    skeletons, for names whose word boundaries differ (بيونغ يانغ / Pyongyang).
    """
    ta, tb = name_tokens(a), name_tokens(b)
    if not ta or not tb:
        return 0.0
    if len(ta) > len(tb):
        ta, tb = tb, ta
    total, _ = (comparer or TokenComparer()).align(ta, tb)
    aligned = total / len(tb)
    ja, jb = skeleton(a).replace(" ", ""), skeleton(b).replace(" ", "")
    joined = 0.0
    if len(ja) >= 4 and len(jb) >= 4:
        joined = _key_similarity(ja, jb) * 0.95
    return max(aligned, joined)
