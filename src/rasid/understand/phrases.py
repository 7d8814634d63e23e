"""Multi-word names led by a head noun: the corpus gazetteer and the story's own recurring phrases.

The tagger (ANERcorp-trained) rarely finds an organisation, group, body or agreement named in
several words (مركز الملك سلمان للإغاثة والأعمال الإنسانية، الهيئة العامة للطيران المدني،
ميليشيا التمرد الحوثية). Two sources find them instead:

- the gazetteer `data/name_phrases.json.gz`, mined by bench/phrases_mine.py from SaudiNewsNet:
  phrases led by a head noun (HEADS) that recur across newspapers and usually end where they end,
  each with a corpus confidence;
- the story itself: a head-led phrase that two articles of the story write word for word is a
  name of the story (`recurring`).

`PhraseFinder.spans` returns the spans of both in one paragraph, longest first, never two
overlapping. No name of any particular body is known to this module: only the head nouns.
"""

from __future__ import annotations

import gzip
import json
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..text.normalize import match_form

# Head nouns (written plainly; matching forms below) and the type of the names they lead.
# fmt: off
_HEAD_WORDS = {
    "ORG": (
        "مجلس", "وزارة", "هيئة", "جمعية", "مديرية", "تنظيم", "ميليشيا", "ميليشيات", "مليشيا", "مليشيات",
        "جماعة", "مجموعة", "جامعة", "شركة", "بنك", "نادي", "قوات", "مركز", "منظمة", "لجنة", "مكتب", "اتحاد",
        "صندوق", "معهد", "مؤسسة", "حزب", "حركة", "محكمة", "رابطة", "غرفة", "إدارة", "كلية", "خلية", "تحالف",
        "جبهة", "جهاز", "أمانة", "بلدية", "شرطة", "وكالة", "مصرف", "سلطة", "الأمم", "ديوان",
        "الديوان", "برلمان", "حكومة", "قناة", "صحيفة", "أكاديمية",
        # facilities: مطار عدن الدولي is not عدن
        "مستشفى", "مطار", "ميناء", "مجمع", "ملعب",
    ),
    "LOC": ("مدينة", "محافظة"),
    "MISC": ("اتفاق", "اتفاقية", "برنامج", "مشروع", "مؤتمر", "مبادرة", "معاهدة", "إعلان", "منتدى", "مهرجان"),
}


def _head_forms() -> dict[str, str]:
    out: dict[str, str] = {}
    for typ, words in _HEAD_WORDS.items():
        for w in words:
            f = match_form(w)
            out[f] = typ
            if not f.startswith("ال"):
                out["ال" + f] = typ
    return out


HEADS: dict[str, str] = _head_forms()
_CLITICS = ("وب", "ول", "فب", "فل", "وك", "و", "ف", "ب", "ل", "ك")
# Words that end a name: particles, time words, pronouns and demonstratives (matching forms).
_STOP_WORDS = (
    "في", "من", "على", "إلى", "عن", "مع", "أن", "إن", "أنه", "أنها", "التي", "الذي", "الذين", "و", "أو",
    "ثم", "قد", "لا", "لم", "لن", "ما", "هذا", "هذه", "ذلك", "تلك", "بعد", "قبل", "خلال", "بين", "حيث",
    "كما", "عند", "منذ", "حول", "ضد", "نحو", "لدى", "بحسب", "وفق", "يوم", "أمس", "اليوم", "غدا", "هو",
    "هي", "كان", "كانت", "قال", "وقال", "أكد", "عام", "العام", "الأحد", "الإثنين", "الاثنين", "الثلاثاء",
    "الأربعاء", "الخميس", "الجمعة", "السبت", "أيضا", "إلا", "كل", "بعض", "غير", "سوى", "عبر", "فيها",
    "فيه", "به", "بها", "له", "لها", "عليه", "عليها", "منه", "منها", "إنه", "حتى", "لكن", "بل", "أي",
    # a person's title starts another name (مجلس الوزراء | وزير الدفاع)
    "وزير", "وزيرة", "رئيس", "نائب", "مدير", "سفير", "محافظ", "أمير", "المتحدث", "الناطق", "الدكتور",
    "المهندس", "المشرف", "المستشار", "المدير", "الرئيس", "الوزير", "النائب", "الأمين", "معالي", "سمو",
    # a relative modifier says whose body it is, after the name (اللجنة العليا للإغاثة | التابعة لـ)
    "التابع", "التابعة", "التابعين", "المنبثقة", "المنبثق", "المكلفة", "المكلف", "المشرفة", "الخاص",
    "الخاصة", "الموالية", "الموالي", "المدعوم", "المدعومة", "الممثلة", "الممثل",
    # a purpose after the name (الهيئة العالمية لأطباء عبر القارات | لنقل الأطباء)
    "لنقل", "لتقديم", "لدعم", "لمساعدة", "لتعزيز", "لبحث", "لمناقشة", "لتوفير", "لإعادة", "لإنجاز",
    "لتأمين", "لمواجهة", "لتسيير", "للعمل", "لمتابعة", "لتنفيذ", "لإيصال", "لتوزيع", "لحماية", "لضمان",
    "لاستقبال", "لإجراء", "لتنظيم", "لإطلاق", "لدراسة", "لتطوير", "لمكافحة", "للتعرف", "لإنقاذ",
)
_STOP = frozenset(match_form(w) for w in _STOP_WORDS)
# Words a name does not end with: ordinals and words of time or size (المركز الأول، المشروع الجديد).
_BAD_END = frozenset(match_form(w) for w in (
    "الأول", "الأولى", "الثاني", "الثانية", "الثالث", "الثالثة", "الرابع", "الخامس", "الأخير", "الأخيرة",
    "الجديد", "الجديدة", "الحالي", "الحالية", "السابق", "السابقة", "المقبل", "المقبلة", "الماضي",
    "الماضية", "الكبير", "الكبرى", "الفني", "نفسه", "نفسها", "ذاته", "ذاتها", "المذكور", "المختص",
    "المختصة", "المعنية", "المعني",
))
_STOP_WRITTEN = frozenset(w for w in _STOP_WORDS)
# Joining words a name may hold inside but never end with: أطباء بلا حدود، محمد بن لادن.
_INNER = frozenset(match_form(w) for w in ("بلا", "بن", "آل", "أبو", "عبد", "عبر"))
# fmt: on
PHRASES_PATH = Path(__file__).resolve().parent.parent / "data" / "name_phrases.json.gz"


_HEAD_TAILS = frozenset(h[-3:] for h in HEADS)


def head_of(form: str) -> str | None:
    """The head noun a matching-form word is (clitics و ف ب ل ك, and لل for ال, taken off), or None."""
    if form in HEADS:
        return form
    if form[-3:] not in _HEAD_TAILS:  # clitics are prefixes: most words fail here, cheaply
        return None
    if form.startswith("لل") and "ال" + form[2:] in HEADS:
        return "ال" + form[2:]
    for c in _CLITICS:
        if form.startswith(c) and form[len(c) :] in HEADS:
            return form[len(c) :]
    return None


def inner_ok(form: str) -> bool:
    """Whether a matching-form token can be a word of a name after its head (Arabic letters, not a
    particle or time word, not a number or punctuation). A conjunction or preposition glued on an
    indefinite word (وتحرير، بقيادة، بدعم) starts a clause, not the next word of a name; only و on a
    definite word (والأعمال) and ل (للإغاثة، لكرة) stay inside names."""
    if form in _INNER:
        return True
    if len(form) < 2 or not form.isalpha() or form in _STOP or form.isascii():
        return False
    if form[0] == "و":
        return form.startswith("وال")
    return form[0] not in "بفك"


# Titles after which a given name belongs to the institution's name: مركز الملك سلمان، جامعة الأمير سلطان.
_ROYAL = frozenset(match_form(w) for w in ("الملك", "الأمير", "الأميرة", "الشيخ", "الإمام", "السلطان"))


def person_break(form: str, prev: str, given: frozenset[str]) -> bool:
    """A given name (خالد of رئيس مجلس الوزراء خالد بحاح) starts a person's name after a body's
    name, unless a royal title stands before it (مركز الملك سلمان)."""
    return form in given and prev not in _ROYAL


def definite_follows(head: str, nxt: str) -> bool:
    """After a definite head (المركز) a name goes on with an agreeing definite word (المركز الوطني);
    an indefinite word there starts a clause (المركز يسعى، المركز رأفت الصباغ), and so does a
    purpose (المكتب للعمل مع ...)."""
    return not head.startswith("ال") or nxt.startswith("ال")


def end_ok(form: str, common: frozenset[str], prev: str = "") -> bool:
    """Whether a name can end with this word: a definite word (ال، لل، وال), or a word that is not a
    common word of news, or any word after a joining word (أطباء بلا حدود); never a joining word
    or a conjunction on an indefinite word (وفريق)."""
    if form in _INNER or form in _BAD_END:
        return False
    if prev in _INNER:
        return True
    if form.startswith(("ال", "لل", "وال")):
        return True
    return not form.startswith("و") and form not in common and len(form) >= 3


def _lam_alef(phrase: str) -> str:
    """The other common spelling of ل on a hamza-initial word: للأطباء ↔ لأطباء."""
    return " ".join(
        "ل" + w[2:] if w.startswith("للا") else ("ل" + w if w.startswith("لا") else w)
        for w in phrase.split(" ")
    )


def _clitic_len(form: str, head: str) -> int:
    """Characters before the head in the written word (ول of ولمركز; لل of للهيئة is ل then ال)."""
    if form == head:
        return 0
    if form.startswith("لل") and head == "ال" + form[2:]:
        return 1
    return len(form) - len(head)


@dataclass(slots=True, frozen=True)
class PhraseSpan:
    start: int  # token indices [start, end)
    end: int
    type: str
    source: str  # "gazetteer" or "story"
    chars_skip: int  # characters of a clitic before the head in the first token


@dataclass(slots=True)
class PhraseFinder:
    """Head-led names in a story's paragraphs, from the gazetteer and from the story's recurrence."""

    phrases: dict[str, tuple[str, float]] = field(default_factory=dict)  # phrase -> (type, confidence)
    common: frozenset[str] = frozenset()
    given: frozenset[str] = frozenset()  # given names (matching forms): a person's name starts there
    # every given name of the person gazetteer, common words too (عبدربه، علي): only ever read
    # right before a person's name
    first_names: frozenset[str] = frozenset()
    min_confidence: float = 0.3
    use_gazetteer: bool = True
    use_story: bool = True

    @classmethod
    def load(cls, path: Path | None = None, **kw: Any) -> PhraseFinder:
        p = path or PHRASES_PATH
        phrases: dict[str, tuple[str, float]] = {}
        given: frozenset[str] = frozenset()
        first: frozenset[str] = frozenset()
        if p.is_file():
            with gzip.open(p, "rt", encoding="utf-8") as fh:
                data = json.load(fh)
            phrases = {k: (v[0], float(v[1])) for k, v in data["phrases"].items()}
            given = frozenset(data.get("given_names", ()))
            first = frozenset(data.get("first_names", ()))
        from .rules import Lexicon

        return cls(
            phrases=phrases,
            common=Lexicon.load().common,
            given=given,  # type: ignore[arg-type]
            first_names=first | given,
            **kw,
        )

    def _candidates(self, forms: Sequence[str], i: int) -> list[str]:
        """Phrases of 2..7 words led by the head at token i (matching forms, head clitic-free)."""
        head = head_of(forms[i])
        if head is None:
            return []
        words, out = [head], []
        for j in range(i + 1, min(i + 7, len(forms))):
            if not inner_ok(forms[j]) or person_break(forms[j], forms[j - 1], self.given):
                break
            if j == i + 1 and not definite_follows(head, forms[j]):
                break
            words.append(forms[j])
            if end_ok(forms[j], self.common, forms[j - 1]):
                out.append(" ".join(words))
        return out

    def is_first_name(self, form: str, written: str = "") -> bool:
        """A given name of the person gazetteer that is not a particle or verb of news (كان). A
        particle's matching form met in another spelling is the name (علي, not the particle على)."""
        if form not in self.first_names:
            return False
        return form not in _STOP or (bool(written) and written not in _STOP_WRITTEN)

    def candidates(self, forms: Sequence[str]) -> dict[int, list[str]]:
        """Token index of each head noun of a paragraph -> its candidate phrases (computed once,
        read by `recurring` and `spans`)."""
        out = {}
        tails = _HEAD_TAILS
        for i, f in enumerate(forms):
            if f in HEADS or f[-3:] in tails:  # else `head_of` is None: most words, tested inline
                c = self._candidates(forms, i)
                if c:
                    out[i] = c
        return out

    def recurring(
        self,
        paragraphs: Sequence[tuple[str, Sequence[str]]],
        cands: Sequence[dict[int, list[str]]] | None = None,
    ) -> set[str]:
        """Head-led phrases of 2+ words that at least two articles of the story write: (article id,
        token forms of one paragraph) pairs in. A phrase whose every use goes on into one same
        longer recurring phrase is only the beginning of that one and is left out."""
        seen: dict[str, set[str]] = defaultdict(set)
        uses: Counter[str] = Counter()
        nxt: dict[str, Counter[str]] = defaultdict(Counter)
        contexts: dict[str, set[tuple[str, str]]] = defaultdict(set)
        for n, (aid, forms) in enumerate(paragraphs):
            at = cands[n] if cands is not None else self.candidates(forms)
            for i, found in at.items():
                for cand in found:
                    seen[cand].add(aid)
                    uses[cand] += 1
                    k = i + cand.count(" ") + 1
                    contexts[cand].add((forms[i - 1] if i else "", forms[k] if k < len(forms) else ""))
                    if k < len(forms) and inner_ok(forms[k]):
                        nxt[cand][forms[k]] += 1
        # closed: most uses end here (a phrase every use of which goes on is only a beginning);
        # written between two different pairs of words at least (wire copies repeat a whole
        # clause; a name recurs in different sentences)
        return {
            p
            for p, arts in seen.items()
            if len(arts) >= 2 and len(contexts[p]) >= 2 and max(nxt[p].values(), default=0) * 2 <= uses[p]
        }

    def spans(
        self, forms: Sequence[str], story_phrases: set[str], cands: dict[int, list[str]] | None = None
    ) -> list[PhraseSpan]:
        """Non-overlapping phrase spans of one paragraph's tokens, the longest match at each head."""
        out: list[PhraseSpan] = []
        if cands is not None:  # only the heads can start a span: visit them alone, in order
            free = 0
            for i in sorted(cands):
                if i >= free and (best := self._best_at(forms, i, cands[i], story_phrases)) is not None:
                    out.append(best)
                    free = best.end
            return out
        i = 0
        while i < len(forms):
            best = self._best_at(forms, i, self._candidates(forms, i), story_phrases)
            if best is not None:
                out.append(best)
                i = best.end
            else:
                i += 1
        return out

    def _best_at(
        self, forms: Sequence[str], i: int, here: list[str], story_phrases: set[str]
    ) -> PhraseSpan | None:
        """The longest of `here` (the candidates led by token i) that is a known or story phrase."""
        for cand in reversed(here):
            hit = (
                (self.phrases.get(cand) or self.phrases.get(_lam_alef(cand))) if self.use_gazetteer else None
            )
            src = "gazetteer"
            if hit is not None and hit[1] < self.min_confidence:
                hit = None
            if hit is None and self.use_story and cand in story_phrases:
                hit, src = (HEADS[cand.split(" ", 1)[0]], 1.0), "story"
            if hit is None:
                continue
            head = cand.split(" ", 1)[0]
            return PhraseSpan(i, i + cand.count(" ") + 1, HEADS[head], src, _clitic_len(forms[i], head))
        return None
