"""Names in Latin-script (English, French) paragraphs, by rule.

The CRF is trained on Arabic and has seen almost no Latin text, while the foreign paragraphs in
Arabic news are short quotes of wires and tweets. Capital letters do most of the work there, so a
rule finds runs of capitalised words, cuts off leading titles ("Russian Defense Minister") and
typing cues, and types the rest from its context: after a title or before a speech verb -> PER;
after a locative preposition or before a place noun -> LOC; with an organisation head word or
as an acronym -> ORG; with a digit (MiG-31I, BM-21) -> MISC. Uncued single words are left out:
a lone capitalised word in English is as often a sentence start or a demonym as a name.
"""

from __future__ import annotations

import re

from rasid.understand.ner_tokenize import Token, tokenize

_URL = re.compile(r"\S+\.(?:com|org|net|ru|fr|co|io)\S*|https?://\S+|@\w+", re.IGNORECASE)
# Origins read as a title before a name ("Russian President"), but do not make the name a person's.
_ORIGINS = frozenset(
    {
        "russian",
        "american",
        "french",
        "british",
        "chinese",
        "korean",
        "north",
        "south",
        "us",
        "u.s",
    }
)
_TITLES = {
    "president",
    "minister",
    "prime",
    "defense",
    "defence",
    "foreign",
    "secretary",
    "leader",
    "chancellor",
    "king",
    "queen",
    "prince",
    "princess",
    "mr",
    "mrs",
    "ms",
    "dr",
    "general",
    "gen",
    "colonel",
    "col",
    "senator",
    "sen",
    "governor",
    "gov",
    "mayor",
    "spokesman",
    "spokeswoman",
    "spokesperson",
    "chairman",
    "ceo",
    "director",
    "pope",
    "sheikh",
    "emir",
    "sultan",
    "ambassador",
    "envoy",
    "deputy",
    "vice",
    "chief",
    "commander",
    "admiral",
    "marshal",
    "lieutenant",
    "captain",
    "sergeant",
    "judge",
    "justice",
    "premier",
    "président",
    "présidente",
    "ministre",
    "m",
    "mme",
    "monsieur",
    "madame",
    "général",
    "porte-parole",
    "dirigeant",
    "cheikh",
    "roi",
    "reine",
    "émir",
    "ayatollah",
    "rev",
    "sir",
    "lord",
    "lady",
} | _ORIGINS
_STOP = {
    "the",
    "a",
    "an",
    "in",
    "on",
    "at",
    "of",
    "and",
    "but",
    "or",
    "this",
    "that",
    "these",
    "those",
    "it",
    "he",
    "she",
    "they",
    "we",
    "i",
    "you",
    "his",
    "her",
    "their",
    "its",
    "our",
    "as",
    "for",
    "with",
    "by",
    "from",
    "to",
    "after",
    "before",
    "while",
    "when",
    "if",
    "there",
    "here",
    "le",
    "la",
    "les",
    "un",
    "une",
    "des",
    "du",
    "de",
    "et",
    "en",
    "dans",
    "pour",
    "par",
    "sur",
    "avec",
    "ce",
    "cette",
    "ces",
    "il",
    "elle",
    "ils",
    "elles",
    "nous",
    "vous",
    "mais",
    "ou",
    "selon",
    "depuis",
    "lors",
    "according",
    "also",
    "however",
    "meanwhile",
    "yesterday",
    "today",
    "tomorrow",
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
    "lundi",
    "mardi",
    "mercredi",
    "jeudi",
    "vendredi",
    "samedi",
    "dimanche",
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
    "breaking",
    "update",
    "photo",
    "video",
    "read",
    "more",
}
_CONNECT = {
    "of",
    "de",
    "du",
    "des",
    "la",
    "le",
    "al",
    "el",
    "bin",
    "ibn",
    "von",
    "van",
    "der",
    "den",
    "da",
    "di",
    "the",
    "-",
    "'",
}
_LOC_BEFORE = {
    "in",
    "at",
    "near",
    "from",
    "to",
    "into",
    "across",
    "outside",
    "inside",
    "towards",
    "toward",
    "en",
    "à",
    "au",
    "aux",
    "vers",
    "près",
    "dans",
    "depuis",
    "visit",
    "visited",
    "visiting",
}
_LOC_AFTER = {
    "airfield",
    "airport",
    "city",
    "region",
    "province",
    "river",
    "island",
    "islands",
    "station",
    "port",
    "base",
    "cosmodrome",
    "krai",
    "oblast",
    "peninsula",
    "sea",
    "ocean",
    "mountains",
    "valley",
    "border",
    "capital",
    "district",
    "village",
    "town",
    "aéroport",
    "ville",
    "région",
}
_PER_AFTER = {
    "said",
    "says",
    "told",
    "has",
    "had",
    "was",
    "is",
    "will",
    "would",
    "arrived",
    "visited",
    "met",
    "added",
    "stated",
    "announced",
    "dit",
    "a",
    "est",
    "déclaré",
    "affirmé",
    "arrive",
    "who",
    "qui",
}
_ORG_HEADS = {
    "forces",
    "agency",
    "ministry",
    "university",
    "company",
    "corp",
    "corporation",
    "inc",
    "ltd",
    "news",
    "council",
    "party",
    "army",
    "navy",
    "bank",
    "committee",
    "organization",
    "organisation",
    "union",
    "association",
    "group",
    "press",
    "times",
    "post",
    "institute",
    "kremlin",
    "house",
    "parliament",
    "assembly",
    "court",
    "commission",
    "office",
    "department",
    "service",
    "tv",
    "radio",
    "network",
    "federation",
    "league",
    "club",
    "fund",
    "nations",
    "agence",
    "ministère",
    "conseil",
    "parti",
    "armée",
    "université",
    "société",
    "journal",
    "daily",
    "tribune",
}
_DEMONYM = re.compile(r".*(?:ian|ean|ese|ish|ic|an|ien|ienne|ais|aise|ois|oise)$", re.IGNORECASE)


def _is_cap(tok: Token) -> bool:
    first = tok.text[:1]
    return first.isalpha() and first.isupper()


def latin_mentions(text: str, base: int = 0) -> list[tuple[int, int, str]]:
    """(start, end, type) of capitalised-name spans in a Latin-script stretch of text."""
    masked = _URL.sub(lambda m: " " * len(m.group()), text)
    toks = [t for t in tokenize(masked) if t.text.strip()]
    if sum(1 for t in toks if t.text[:1].isalpha()) < 4:
        return []  # debris ("EG", "Y-m-d H:i"), not prose
    out: list[tuple[int, int, str]] = []
    i, n = 0, len(toks)
    while i < n:
        if not _is_cap(toks[i]) or min(len(p) for p in toks[i].text.split("-")) < 2:
            i += 1
            continue
        j = i + 1
        while j < n:
            if _is_cap(toks[j]) and masked[toks[j - 1].end : toks[j].start] in (" ", "", "-"):
                j += 1
            elif (
                toks[j].text.lower() in _CONNECT
                and j + 1 < n
                and _is_cap(toks[j + 1])
                and toks[j].text != toks[j].text.upper()
            ):
                j += 2
            else:
                break
        run = toks[i:j]
        prev = toks[i - 1].text.lower() if i > 0 else ""
        sent_start = i == 0 or toks[i - 1].text in {".", "!", "?", ":", "—", "–", "«", '"', "("}
        i = j
        # Leading stop words and titles are cues, not name.
        titled = False
        while run and (run[0].text.lower() in _STOP or run[0].text.lower().rstrip(".") in _TITLES):
            low = run[0].text.lower().rstrip(".")
            if low in _TITLES and low not in _ORIGINS:
                titled = True
            if low in _STOP:
                prev = low
                sent_start = False
            run = run[1:]
        if not run:
            continue
        words = [t.text for t in run]
        lows = [w.lower() for w in words]
        nxt = toks[j].text.lower() if j < n else ""
        if any(any(c.isdigit() for c in w) for w in words):
            typ = "MISC"
        elif any(w in _ORG_HEADS for w in lows):
            typ = "ORG"
        elif titled or nxt in _PER_AFTER and len(run) >= 2:
            typ = "PER"
        elif nxt in _LOC_AFTER or prev in _LOC_BEFORE:
            typ = "LOC"
        elif len(run) == 1 and words[0].isupper() and 2 <= len(words[0]) <= 6:
            typ = "ORG"
        elif (
            len(run) >= 2
            and not all(_DEMONYM.match(w) for w in words)
            or len(run) == 1
            and nxt in _PER_AFTER
            and not sent_start
        ):
            typ = "PER"
        else:
            continue
        out.append((base + run[0].start, base + run[-1].end, typ))
    return out
