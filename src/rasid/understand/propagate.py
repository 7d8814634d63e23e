"""Story-level consistency of NER output: one sense per story, bare surnames, run-on spans.

The tagger reads one sentence (or one article) at a time; a story gives more evidence than that.
These passes run over all mentions of a story's articles before canonicalisation.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..model import Article, Mention
from .rules import StoryRules

_CLITICS = "(?:وب|ول|وك|فب|فل|و|ف|ب|ل|ك)?"
_MIN_SURNAME = 4


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
    import re
    from collections import Counter, defaultdict

    from ..text.normalize import match_form

    mentions = _trim_run_on(mentions, name_words or set())
    mentions = (rules or StoryRules.default()).apply(articles, mentions, name_words or set())
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
    from .translit import skeleton

    by_skeleton: dict[str, Counter[str]] = defaultdict(Counter)
    for k, c in votes.items():
        by_skeleton[skeleton(k)].update(c)

    def vote(k: str) -> str:
        c = by_skeleton[skeleton(k)] if skeleton(k) else votes[k]
        return c.most_common(1)[0][0] if sum(c.values()) else "PER"

    type_of = {k: vote(k) for k in votes}
    surfaces = sorted(set(shown.values()), key=len, reverse=True)
    pattern = re.compile(
        # \w covers Arabic letters; punctuation such as the Arabic comma must not block a match.
        r"(?<!\w)" + _CLITICS + "(" + "|".join(re.escape(s) for s in surfaces) + r")(?!\w)"
    )
    taken: dict[tuple[str, int], list[tuple[int, int]]] = defaultdict(list)
    for m in mentions:
        taken[(m.article, m.paragraph)].append((m.start, m.end))
    out = [
        Mention(m.text, type_of.get(match_form(m.text), m.type), m.article, m.paragraph, m.start, m.end)
        for m in mentions
    ]
    for art in articles:
        for pi, para in enumerate(art.paragraphs):
            spans = taken[(art.id, pi)]
            for hit in pattern.finditer(para.text):
                start, end = hit.span(1)
                if any(s < end and start < e for s, e in spans):
                    continue
                key = match_form(hit.group(1))
                out.append(Mention(hit.group(1), type_of.get(key, "PER"), art.id, pi, start, end))
                spans.append((start, end))
    return out


def _trim_run_on(mentions: list[Mention], name_words: set[str]) -> list[Mention]:
    """Cut a mention down to the name inside it when the tagger ran on into a neighbouring word.

    "ستساعد بيونغ يانغ" ('will help Pyongyang') seen once, beside "بيونغ يانغ" seen ten times: the
    contiguous sub-span of words that the story writes at least twice as often as the whole
    mention is the name, provided no word cut off is a known name word (`name_words`: gazetteer
    and training names, matching form), so "فلاديمير بوتين" never loses its first name.
    """
    from collections import Counter

    from ..text.normalize import match_form

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
                    cut = [match_form(w) for w in words[:i] + words[j:]]
                    if any(w in name_words for w in cut):
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
