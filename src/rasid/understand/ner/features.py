"""Token features for the Arabic NER tagger.

What tells a name in Arabic newswire, with no capital letters to help: the word itself in the
matching form and a light stem, its clitics (و ف ب ل ك ال in front, pronouns behind), the
words around it, trigger words ("الرئيس", "وكالة", "مدينة"), membership in the ANERgazet lists
(one token or several, with or without clitics), and word clusters learned from 31k unlabelled
SaudiNewsNet articles, which carry what the 125k-token training set has never seen: a
transliterated Russian surname falls in the cluster of other surnames.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rasid.text.normalize import LEADING_CONJUNCTIONS, light_stem, match_form, strip_clitics, strip_proclitic

GAZ_TYPES = ("PER", "LOC", "ORG")
_EMPTY: frozenset[str] = frozenset()
OFFSETS = (-2, -1, 1, 2)
# Shared features are stored already prefixed for each neighbour offset (-2, -1, +1, +2).
OFFSET_PREFIXES = tuple(f"{d}:" for d in OFFSETS)
_LENGTHS = tuple(f"len={k}" for k in range(10))
_SHAPE_FEATURES = {s: "sh=" + s for s in ("E", "D", "A", "Lu", "Ll", "Dx", "P")}
_PRON_SUFFIXES = ("هما", "كما", "هم", "هن", "كم", "كن", "ها", "نا", "ه", "ك", "ي")

# Words that announce a name of a type: the one before it (or two before), in matching form,
# with clitics stripped. Chosen from what Arabic news writes before names, not from the test data.
TRIGGERS: dict[str, tuple[str, ...]] = {
    "PER": (
        "رييس",
        "الرييس",
        "الملك",
        "الامير",
        "الاميره",
        "السيد",
        "السيده",
        "الشيخ",
        "الشيخه",
        "وزير",
        "الوزير",
        "وزيره",
        "الدكتور",
        "الدكتوره",
        "د",
        "المتحدث",
        "الناطق",
        "المستشار",
        "الجنرال",
        "العقيد",
        "اللواء",
        "العميد",
        "الفريق",
        "المشير",
        "الفنان",
        "الفنانه",
        "الكاتب",
        "الشاعر",
        "المخرج",
        "اللاعب",
        "المدرب",
        "النايب",
        "السفير",
        "المبعوث",
        "الاستاذ",
        "البروفيسور",
        "الامام",
        "القاضي",
        "المحامي",
        "الزعيم",
        "قال",
        "اكد",
        "اضاف",
        "اوضح",
        "صرح",
        "اعلن",
        "الممثل",
        "الممثله",
        "المغني",
        "المطرب",
        "الروايي",
        "المفكر",
        "الباحث",
        "الصحافي",
        "الصحفي",
        "مساعد",
        "نايب",
        "زميله",
        "ابن",
        "بن",
        "ابو",
        "ام",
        "الراحل",
        "سمو",
        "معالي",
        "فخامه",
        "جلاله",
        "الحاكم",
        "المرشح",
        "البابا",
        "الكاردينال",
        "المطران",
        "حرم",
        "زوجته",
    ),
    "LOC": (
        "مدينه",
        "العاصمه",
        "بلده",
        "قريه",
        "محافظه",
        "ولايه",
        "اقليم",
        "منطقه",
        "جزيره",
        "نهر",
        "جبل",
        "مطار",
        "شمال",
        "جنوب",
        "شرق",
        "غرب",
        "شمالي",
        "جنوبي",
        "شرقي",
        "غربي",
        "عاصمه",
        "دوله",
        "بلاد",
        "مقاطعه",
        "حي",
        "شارع",
        "ميناء",
        "بحيره",
        "بحر",
        "خليج",
        "صحراء",
        "وادي",
        "مخيم",
        "ضاحيه",
        "مركز",
        "قرب",
        "الي",
        "في",
        "من",
        "الى",
    ),
    "ORG": (
        "وكاله",
        "شركه",
        "جامعه",
        "نادي",
        "منظمه",
        "حزب",
        "حركه",
        "مجلس",
        "وزاره",
        "هييه",
        "صحيفه",
        "قناه",
        "بنك",
        "مصرف",
        "اتحاد",
        "جمعيه",
        "موسسه",
        "جبهه",
        "مجموعه",
        "مصنع",
        "معهد",
        "مستشفى",
        "مستشفي",
        "محكمه",
        "لجنه",
        "مكتب",
        "اداره",
        "جيش",
        "قوات",
        "فرقه",
        "مجله",
        "اذاعه",
        "تلفزيون",
        "مركز",
        "برنامج",
        "منتدى",
        "منتدي",
        "صندوق",
        "موتمر",
        "الناطق",
        "باسم",
        "المتحدث",
    ),
}


@dataclass(slots=True)
class Resources:
    """What the features look up: gazetteers, word clusters, word counts. Saved beside the CRF."""

    gazetteer: dict[str, set[str]] = field(default_factory=dict)  # type -> matching-form entries
    clusters: dict[str, tuple[int, ...]] = field(default_factory=dict)  # word -> ids, coarse to fine
    counts: dict[str, int] = field(default_factory=dict)  # unlabelled-corpus word counts (top words)
    names: set[str] = field(default_factory=set)  # training-set name tokens: clitic cuts only, never features
    # Teacher dictionary: word -> "PER3" (type + share bucket 1-3), from SaudiNewsNet articles tagged
    # offline by a tagger over multilingual-e5-small states (`ner_e5`, bench/ner_e5.py).
    # Test-only bench runs may also fill `e5clusters` (context-free e5 vector clusters; no gain).
    e5clusters: dict[str, tuple[int, ...]] = field(default_factory=dict)
    e5types: dict[str, str] = field(default_factory=dict)
    multi: dict[str, list[tuple[tuple[str, ...], str]]] = field(default_factory=dict, repr=False)
    single: dict[str, set[str]] = field(default_factory=dict, repr=False)  # word -> types
    triggers: dict[str, set[str]] = field(default_factory=dict, repr=False)  # word -> types
    # (words, unit vectors) from the cluster build, for training the BiLSTM; never saved here.
    vectors: tuple[list[str], Any] | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        self.index()

    def index(self) -> None:
        """Build the lookup tables from the gazetteer lists."""
        self.multi, self.single, self.triggers = {}, {}, {}
        for typ, entries in self.gazetteer.items():
            for entry in entries:
                parts = tuple(entry.split())
                if not parts:
                    continue
                if len(parts) == 1:
                    self.single.setdefault(parts[0], set()).add(typ)
                else:
                    self.multi.setdefault(parts[0], []).append((parts, typ))
        for entries_list in self.multi.values():
            entries_list.sort(key=lambda e: -len(e[0]))
        for typ, words in TRIGGERS.items():
            for w in words:
                self.triggers.setdefault(w, set()).add(typ)

    def save(self, path: Path) -> None:
        data = {
            "version": 1,
            "gazetteer": {t: sorted(v) for t, v in self.gazetteer.items()},
            "clusters": {w: list(c) for w, c in self.clusters.items()},
            "counts": self.counts,
            "names": sorted(self.names),
            "e5types": self.e5types,
        }
        with gzip.open(path, "wt", encoding="utf-8") as fh:
            json.dump(data, fh, ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def load(cls, path: Path) -> Resources:
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            data = json.load(fh)
        return cls(
            gazetteer={t: set(v) for t, v in data["gazetteer"].items()},
            clusters={w: tuple(c) for w, c in data["clusters"].items()},
            counts=data.get("counts", {}),
            names=set(data.get("names", ())),
            e5types=data.get("e5types", {}),
        )


def _shape(tok: str) -> str:
    if not tok:
        return "E"
    if tok.isdigit():
        return "D"
    ch = tok[0]
    if "\u0600" <= ch <= "\u06ff":
        return "A"
    if ch.isalpha():
        return "Lu" if ch.isupper() else "Ll"
    if ch.isdigit():
        return "Dx"
    return "P"


class Featurizer:
    """Turns a sentence (display tokens) into CRFsuite feature strings. Word-level features are
    cached on the object: news repeats its words, and this is the tagger's hot loop."""

    __slots__ = ("res", "_cache", "_firsts", "_clusters", "use")

    def __init__(self, res: Resources, use: Iterable[str] | None = None) -> None:
        self.res = res
        self._cache: dict[str, tuple[str, tuple[str, ...], tuple[tuple[str, ...], ...]]] = {}
        # Matching form -> the multi-token gazetteer entries that may start at it (usually none).
        self._firsts: dict[str, tuple[tuple[tuple[str, ...], str], ...]] = {}
        self._clusters: dict[tuple[int, ...], tuple[str, ...]] = {}
        # Feature groups, switchable for ablations.
        self.use = frozenset(use or ("affix", "gaz", "trig", "clus", "ctx", "e5"))

    def word(self, tok: str) -> tuple[str, tuple[str, ...], tuple[tuple[str, ...], ...]]:
        """(matching form, own features, features seen by each neighbour at offsets -2, -1, +1,
        +2): the context-free part of a token's features, cached per word type."""
        hit = self._cache.get(tok)
        if hit is None:
            hit = self.compute_word(tok)
            if len(self._cache) < 200_000:
                self._cache[tok] = hit
        return hit

    def compute_word(self, tok: str) -> tuple[str, tuple[str, ...], tuple[tuple[str, ...], ...]]:
        """`word` without the cache."""
        m, own, shared = self.word_parts(tok)
        return (m, own, tuple([tuple([p + x for x in shared]) for p in OFFSET_PREFIXES]))

    def word_parts(self, tok: str) -> tuple[str, tuple[str, ...], tuple[str, ...]]:
        """(matching form, own features, what neighbours see before their offset prefix), not
        cached: for callers that keep what they need themselves (the CRF decoder keeps attribute
        ids), as a second copy of every word's strings would only cost memory and GC time."""
        res, use = self.res, self.use
        m = match_form(tok) or tok
        core = strip_clitics(m)
        proclitic = strip_proclitic(m)
        word = "w=" + m
        stem, core_feature = "s=" + light_stem(m), "c=" + core
        own = ["b", word, stem, _SHAPE_FEATURES[_shape(tok)], core_feature]
        if "affix" in use:
            own += [
                "p1=" + m[:1],
                "p2=" + m[:2],
                "p3=" + m[:3],
                "x1=" + m[-1:],
                "x2=" + m[-2:],
                "x3=" + m[-3:],
            ]
            own.append(_LENGTHS[min(len(m), 9)])
            if m.startswith(("وال", "فال", "بال", "كال", "لل", "ال")):
                own.append("al")
            if m[:1] in LEADING_CONJUNCTIONS:
                own.append("conj")
            if m.endswith(_PRON_SUFFIXES):
                for suf in _PRON_SUFFIXES:
                    if m.endswith(suf) and len(m) - len(suf) >= 3:
                        own.append("pron=" + suf)
                        break
            if tok[:1].isalpha() and tok[:1].isupper():
                own.append("cap")
        if "core" in use and core != m:
            own += ["cp2=" + core[:2], "cp3=" + core[:3], "cx2=" + core[-2:], "cx3=" + core[-3:]]
        shared = [word]
        if "wide" in use:
            shared += [core_feature, stem]
        if "gaz" in use:
            single = res.single
            for form, tag in ((m, "g="), (core, "gc="), (proclitic, "gp=")):
                types = single.get(form)
                if types:
                    for typ in sorted(types):
                        own.append(tag + typ)
                        shared.append(tag + typ)
        if "trig" in use:
            triggers = res.triggers
            if m in triggers or core in triggers:
                for typ in sorted(triggers.get(m, _EMPTY) | triggers.get(core, _EMPTY)):
                    own.append("t=" + typ)
                    shared.append("t=" + typ)
        if "clus" in use:
            cl = res.clusters.get(m) or res.clusters.get(proclitic)
            if cl is not None:
                names = self._cluster_names(cl)
                own += names
                shared += names if "wide" in use else names[:2]
            else:
                own.append("k=none")
            clc = res.clusters.get(core)
            if clc is not None and core != m:
                own.append(f"kc={clc[-1]}")
        if "e5" in use and (res.e5clusters or res.e5types):
            key = m if (m in res.e5clusters or m in res.e5types) else proclitic
            ec = res.e5clusters.get(key)
            if ec is not None:
                own += [f"e{k}={cid}" for k, cid in enumerate(ec)]
                shared.append(f"e0={ec[0]}")
            et = res.e5types.get(key)
            if et is not None:
                own += ["et=" + et[:-1], "et=" + et]
                shared.append("et=" + et)
        return (m, tuple(own), tuple(shared))

    def _cluster_names(self, ids: tuple[int, ...]) -> list[str]:
        """ "k0=12", "k1=140", ... for cluster ids, coarse to fine (few distinct: cached)."""
        hit = self._clusters.get(ids)
        if hit is None:
            hit = self._clusters[ids] = tuple(f"k{k}={cid}" for k, cid in enumerate(ids))
        return list(hit)

    def form(self, tok: str) -> str:
        """The matching form of a token, from the cache."""
        return self.word(tok)[0]

    def multi_starts(self, form: str) -> tuple[tuple[tuple[str, ...], str], ...]:
        """The multi-token gazetteer entries (longest first) that may begin at a token of this
        matching form, as it is, without و/ف+ب/ل/ك or without all clitics; cached per form."""
        hit = self._firsts.get(form)
        if hit is None:
            multi = self.res.multi
            # The set's iteration order decides ties between equally long entries: keep it.
            hit = tuple(
                e
                for first in {form, strip_proclitic(form), strip_clitics(form)}
                for e in multi.get(first, ())
            )
            if len(self._firsts) < 200_000:
                self._firsts[form] = hit
        return hit

    def gazetteer_marks(self, forms: Sequence[str]) -> list[list[str]]:
        """B-/I- marks from the longest multi-token gazetteer match at each position (the first
        token may carry clitics)."""
        marks: list[list[str]] = [[] for _ in forms]
        i, n = 0, len(forms)
        while i < n:
            best = 0
            best_typ = ""
            for parts, typ in self.multi_starts(forms[i]):
                k = len(parts)
                if k > best and i + k <= n and tuple(forms[i + 1 : i + k]) == parts[1:]:
                    best, best_typ = k, typ
            if best:
                marks[i].append("mg=B-" + best_typ)
                for j in range(i + 1, i + best):
                    marks[j].append("mg=I-" + best_typ)
                i += best
            else:
                i += 1
        return marks

    def sentence(self, toks: Sequence[str]) -> list[list[str]]:
        """Feature names per token, as CRFsuite takes them."""
        words = [self.word(t) for t in toks]
        forms = [w[0] for w in words]
        n = len(words)
        gmarks = self.gazetteer_marks(forms) if "gaz" in self.use else [[] for _ in words]
        out: list[list[str]] = []
        ctx = "ctx" in self.use
        for i, (m, own, _shared) in enumerate(words):
            f = list(own)
            f += gmarks[i]
            for slot, d in enumerate(OFFSETS):
                j = i + d
                if 0 <= j < n:
                    f += words[j][2][slot]
                    if gmarks[j] and abs(d) == 1:
                        f += [f"{d}:{g}" for g in gmarks[j]]
                else:
                    f.append(f"{d}:pad")
            if ctx:
                if i > 0:
                    f.append("bg-=" + forms[i - 1] + "|" + m)
                if i + 1 < n:
                    f.append("bg+=" + m + "|" + forms[i + 1])
            out.append(f)
        return out
