"""Story-level consistency of NER output: one sense per story, bare surnames, run-on spans.

The tagger reads one sentence (or one article) at a time; a story gives more evidence than that.
These passes run over all mentions of a story's articles before canonicalisation.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence

from ..model import Article, Mention
from ..text.normalize import match_form as _match_form
from .rules import StoryRules

# Clitics a found name may carry when the story writes it again, in the order they are tried (a
# regex alternation's order), the bare name last.
_CLITICS = ("وب", "ول", "وك", "فب", "فل", "و", "ف", "ب", "ل", "ك", "")
_CONJ = ("و", "")  # the coordinating و alone (place names coordinated with another name)
_WORD_RUN = re.compile(r"\w+")
_GAP_RUN = re.compile(r"(\W*)(\w+)")
_MIN_SURNAME = 4
_LAST_WORD = re.compile(r"([^\W\d_]+) $")
# Prepositions as written (not matching forms: على is not علي) that a run-on span may drag in.
_PREPOSITIONS = frozenset(("على", "في", "من", "إلى", "عن", "مع", "لدى", "حتى"))
# Words after which a name is a place, never a person: في بيونغ يانغ, عاصمة X, مدينة X.
_PLACE_BEFORE = ("في", "وفي", "عاصمة", "العاصمة", "مدينة", "بمدينة", "ومدينة", "عاصمتها", "عاصمته")
# Words after which a name is a person: الرئيس X, السيد X.
_PERSON_BEFORE = (
    "الرئيس",
    "الزعيم",
    "السيد",
    "السيدة",
    "الوزير",
    "الأمير",
    "الملك",
    "الشيخ",
    "الدكتور",
    "رئيس",
    "زعيم",
    "وزير",
    "المتحدث",
    "الناطق",
    "الجنرال",
    "اللواء",
)


def propagate_mentions(
    articles: Sequence[Article],
    mentions: list[Mention],
    name_words: set[str] | None = None,
    rules: StoryRules | None = None,
) -> list[Mention]:
    """Story-level consistency for NER output (one sense per story).

    A name the tagger found once is a name wherever else the story writes it: every other
    occurrence of a found surface form (with a leading clitic allowed) becomes a mention, and the
    surname of a multi-word person name found anywhere marks its bare uses ("بيسكوف" after
    "دميتري بيسكوف"). Each surface form then takes the majority type of its mentions, so one
    name is not split into a person and a place by a tagging slip. Found mentions are kept;
    added ones never overlap them. Before that, `rules` (default: `StoryRules.default()`) adds
    the names the tagger missed or cut short and drops the words it tagged as names.
    """
    from collections import Counter, defaultdict

    # (the given-name pass below runs only with rules passed in, as before the default existed)
    phrases = getattr(rules, "phrases", None)
    rules = rules or StoryRules.default()
    match_form = rules.forms.form  # matching forms remembered across stories
    is_first_name = phrases.is_first_name if phrases is not None and phrases.first_names else None
    mentions = _trim_run_on(mentions, name_words or set(), match_form)
    mentions = rules.apply(articles, mentions, name_words or set())
    mentions = _join_adjacent(articles, mentions, match_form)
    votes: dict[str, Counter[str]] = defaultdict(Counter)
    shown: dict[str, str] = {}
    for m in mentions:
        key = match_form(m.text)
        if len(key) < 3:
            continue
        votes[key][m.type] += 1
        shown.setdefault(key, m.text)
        words = m.text.split()
        if m.type == "PER" and len(words) >= 2 and len(words[-1]) >= _MIN_SURNAME:
            sk = match_form(words[-1])
            votes[sk]["PER"] += 0  # known, typed by its own mentions if any, else PER below
            shown.setdefault(sk, words[-1])
    if not shown:
        return mentions
    # Spellings of one name (كينجال / كينغال) share a transliteration skeleton: they vote together,
    # so a tagging slip cannot give one spelling another type and keep them apart.
    # one transliteration skeleton per key, not three; written with or without a space (بلاك بوش /
    # بلاكبوش), one name
    skeleton_key = rules.skeleton_key
    skeleton_of = {k: skeleton_key(k) for k in votes}
    by_skeleton: dict[str, list[str]] = defaultdict(list)
    for k in votes:
        by_skeleton[skeleton_of[k]].append(k)

    def vote(k: str) -> str:
        # spellings of one name differ by a letter at most; two more letters make another word
        # on the same consonants (الحوثيين / الحسين)
        c = votes[k]
        if skeleton_of[k]:
            c = Counter()
            n = len(k.replace(" ", ""))
            for o in by_skeleton[skeleton_of[k]]:
                if abs(len(o.replace(" ", "")) - n) <= 1:
                    c.update(votes[o])
        return c.most_common(1)[0][0] if sum(c.values()) else "PER"

    type_of = {k: vote(k) for k in votes}
    for k in _places_by_context(articles, shown, type_of, match_form):
        type_of[k] = "LOC"
    # the story's own given names of a surname: مازن of مازن عقيل الدعجة, for a bare الدعجة found again
    given_of: dict[str, set[str]] = defaultdict(set)
    for m in mentions:
        words = m.text.split()
        if m.type == "PER" and len(words) >= 3 and len(words[-1]) >= _MIN_SURNAME:
            given_of[match_form(words[-1])].add(match_form(words[0]))
    finder = SurfaceFinder(shown.values(), _CLITICS)
    taken: dict[tuple[str, int], list[tuple[int, int]]] = defaultdict(list)
    for m in mentions:
        taken[(m.article, m.paragraph)].append((m.start, m.end))
    out = [
        Mention(
            m.text, type_of.get(match_form(m.text), m.type), m.article, m.paragraph, m.start, m.end, m.alias
        )
        for m in mentions
    ]
    for art in articles:
        for pi, para in enumerate(art.paragraphs):
            spans = taken[(art.id, pi)]
            for _, start, end in finder.find(para.text):
                if any(s < end and start < e for s, e in spans):
                    continue
                key = match_form(para.text[start:end])
                typ = type_of.get(key, "PER")
                if typ == "PER" and (is_first_name is not None or key in given_of):
                    # a surname found again with a given name before it (مازن + الدعجة): a given
                    # name of the gazetteer, or the one the story writes with this surname
                    before = _LAST_WORD.search(para.text, 0, start)
                    if (
                        before
                        and before.group(1) != "على"
                        and (
                            (
                                is_first_name is not None
                                and is_first_name(match_form(before.group(1)), before.group(1))
                            )
                            or match_form(before.group(1)) in given_of.get(key, ())
                        )
                        and not any(s < start and before.start(1) < e for s, e in spans)
                    ):
                        start = before.start(1)
                out.append(Mention(para.text[start:end], typ, art.id, pi, start, end))
                spans.append((start, end))
    return out


def _trim_run_on(
    mentions: list[Mention], name_words: set[str], match_form: Callable[[str], str] = _match_form
) -> list[Mention]:
    """Cut a mention down to the name inside it when the tagger ran on into a neighbouring word.

    "ستساعد بيونغ يانغ" ('will help Pyongyang') seen once, beside "بيونغ يانغ" seen ten times: the
    contiguous sub-span of words that the story writes at least twice as often as the whole
    mention is the name, provided no word cut off is a known name word (`name_words`: gazetteer
    and training names, matching form), so "فلاديمير بوتين" never loses its first name. A
    preposition as written ("على", with its alef maqsura) is cut even though its matching form
    is a name (علي).
    """
    from collections import Counter

    counts = Counter(match_form(m.text) for m in mentions)
    out: list[Mention] = []
    for m in mentions:
        words = m.text.split(" ")
        whole = counts[match_form(m.text)]
        best: tuple[int, int, int] | None = None  # (count, first word, last word + 1)
        if len(words) >= 2:
            for i in range(len(words)):
                for j in range(i + 1, len(words) + 1):
                    if (i, j) == (0, len(words)):
                        continue
                    cut = [w for w in words[:i] + words[j:] if w not in _PREPOSITIONS]
                    if any(match_form(w) in name_words for w in cut):
                        continue
                    c = counts.get(match_form(" ".join(words[i:j])), 0)
                    if c >= max(2, 2 * whole) and (best is None or (j - i, c) > (best[2] - best[1], best[0])):
                        best = (c, i, j)
        if best is None:
            out.append(m)
            continue
        _, i, j = best
        start = m.start + sum(len(w) + 1 for w in words[:i])
        text = " ".join(words[i:j])
        out.append(Mention(text, m.type, m.article, m.paragraph, start, start + len(text)))
    return out


def _join_adjacent(
    articles: Sequence[Article], mentions: list[Mention], match_form: Callable[[str], str] = _match_form
) -> list[Mention]:
    """Two mentions one space apart whose joined text the story tags elsewhere as one name are
    that name: "المدينة" + "المنورة" where "المدينة المنورة" is a mention of the story. A tagger
    cuts a name once in a while; the story's other mentions say where its boundaries are."""
    forms: dict[str, str] = {}
    for m in mentions:
        if " " in m.text:
            forms.setdefault(match_form(m.text), m.type)
    if not forms:
        return mentions
    by_para: dict[tuple[str, int], list[Mention]] = {}
    for m in mentions:
        by_para.setdefault((m.article, m.paragraph), []).append(m)
    texts = {(a.id, i): p.text for a in articles for i, p in enumerate(a.paragraphs)}
    out: list[Mention] = []
    for key, group in by_para.items():
        group.sort(key=lambda m: m.start)
        text = texts.get(key)
        k = 0
        while k < len(group):
            a = group[k]
            if text is not None and k + 1 < len(group):
                b = group[k + 1]
                if b.start == a.end + 1 and text[a.end] == " ":
                    joined = text[a.start : b.end]
                    typ = forms.get(match_form(joined))
                    if typ is not None:
                        out.append(
                            Mention(joined, typ, a.article, a.paragraph, a.start, b.end, a.alias or b.alias)
                        )
                        k += 2
                        continue
            out.append(a)
            k += 1
    return out


def _places_by_context(
    articles: Sequence[Article],
    shown: dict[str, str],
    type_of: dict[str, str],
    match_form: Callable[[str], str] = _match_form,
) -> list[str]:
    """Names voted PER that the story writes the way it writes places: after في, عاصمة or مدينة,
    or coordinated with a place ("بين موسكو وبيونغ يانغ"), at least twice, and more often than
    after a person's title (الرئيس X) or beside a person.

    The tagger reads one sentence at a time and a foreign place name looks like a person's name
    to it; across a story the contexts tell (one sense per story)."""
    people = {k for k in shown if type_of.get(k) == "PER"}
    if not people:
        return []
    place_before = {match_form(w) for w in _PLACE_BEFORE}
    person_before = {match_form(w) for w in _PERSON_BEFORE}
    finder = SurfaceFinder(shown.values(), _CONJ)
    place: dict[str, int] = {}
    person: dict[str, int] = {}
    for art in articles:
        for para in art.paragraphs:
            text = para.text
            hits = [(a, c, text[a:b], match_form(text[b:c])) for a, b, c in finder.find(text)]
            for n, (start, _end, conj, key) in enumerate(hits):
                if key not in people:
                    continue
                before = para.text[max(0, start - 20) : start].split()
                prev = match_form(before[-1]) if before else ""
                # the name coordinated with another name: X وY (the name is Y) or Y وX (it is X)
                partner = None
                if conj and n > 0 and para.text[hits[n - 1][1] : start].strip() == "":
                    partner = hits[n - 1][3]
                elif n + 1 < len(hits) and hits[n + 1][2] and para.text[_end : hits[n + 1][0]].strip() == "":
                    partner = hits[n + 1][3]
                partner_type = type_of.get(partner or "")
                if (prev in place_before and not conj) or partner_type == "LOC":
                    place[key] = place.get(key, 0) + 1
                elif prev in person_before or partner_type == "PER":
                    person[key] = person.get(key, 0) + 1
    found = [k for k, n in place.items() if n >= 2 and n > person.get(k, 0)]
    # a run-on span ending in the place ("على بيونغ يانغ", kept whole because على looks like علي)
    # goes with it, or it would stay a person apart from the place
    tails = tuple(" " + k for k in found)
    return found + [k for k in people if k not in found and k.endswith(tails)]


class SurfaceFinder:
    """Where a text writes any of `surfaces` (a story's name forms as written) as whole words, with
    one of `clitics` before it: what `re.finditer` of (?<!\\w)(?:c1|c2|...)?(s1|s2|...)(?!\\w) finds,
    as (match start, surface start, surface end). At each place the first clitic that lets a
    surface match wins, then the longest surface, as in the regex's backtracking order.

    Compiling that pattern anew for every story was ~5 % of the understanding stage. Here each
    surface is filed under the word run (maximal \\w+) it begins with: a match must start at a run of
    the text (nothing word-like before it), and the surface's first run must be the rest of that
    run once the clitic is taken off (after the surface comes no word character). A surface that
    does not begin with a word character falls back to the regex."""

    __slots__ = ("clitics", "by_run", "written", "regex")

    def __init__(self, surfaces: Iterable[str], clitics: tuple[str, ...]) -> None:
        self.clitics = clitics
        self.by_run: dict[str, list[str]] = {}
        self.regex: re.Pattern[str] | None = None
        ordered = sorted(set(surfaces), key=len, reverse=True)
        for s in ordered:
            run = _WORD_RUN.match(s)
            if run is None:
                options = "|".join(re.escape(c) for c in clitics if c)
                alternatives = "|".join(re.escape(x) for x in ordered)
                self.regex = re.compile(r"(?<!\w)(?:" + options + ")?(" + alternatives + r")(?!\w)")
                return
            self.by_run.setdefault(run.group(), []).append(s)
        # every way a text's word run can begin a match: a clitic, then a surface's first run
        self.written = frozenset(c + k for c in clitics for k in self.by_run)

    def find(self, text: str) -> list[tuple[int, int, int]]:
        if self.regex is not None:
            return [(m.start(), m.start(1), m.end(1)) for m in self.regex.finditer(text)]
        by_run, clitics, written, n = self.by_run, self.clitics, self.written, len(text)
        out: list[tuple[int, int, int]] = []
        pos = end = 0
        for gap, word in _GAP_RUN.findall(text):  # each word run with what lies before it
            p = end + len(gap)
            end = p + len(word)
            if p < pos or word not in written:
                continue
            hit = None
            for c in clitics:
                if not word.startswith(c):
                    continue
                q = p + len(c)
                for s in by_run.get(word[len(c) :], ()):
                    e = q + len(s)
                    if text.startswith(s, q) and (e >= n or not (text[e].isalnum() or text[e] == "_")):
                        hit = (p, q, e)
                        break
                if hit is not None:
                    break
            if hit is not None:
                out.append(hit)
                pos = hit[2]
        return out
