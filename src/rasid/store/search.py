"""Search keys: what the full-text index holds and how a query is turned into an index query.

Full-text engines (SQLite FTS5, PostgreSQL tsvector) do not fold Arabic diacritics, tatweel or
hamza/alef/ya/ta-marbuta spellings, so the index never sees display text. Each article has:

- exact fields (title, body): its matching-form tokens (`rasid.text.normalize.match_form`);
- stem fields (title, body): the *other* keys of those tokens, i.e. their light stems and, for a
  one-letter proclitic (li-, bi-, ka-, fa-) that `light_stem` leaves on, the stem without it.
  A token that is its own stem adds nothing here (about half of them), which keeps the index small.

A query token matches a document token when their key sets meet (the token itself plus its other
keys), so "روسيا" finds "وروسيا" and "لروسيا". The ranking weighs exact fields above stem fields,
so exact-form hits come first. Queries go through the same functions; nothing here is tied to one
backend.

Snippets are cut from the display text (what a reader sees), located by matching-form comparison.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from ..text.normalize import form_tokens, light_stem, match_form, tokens

# One-letter (or conjunction + one-letter) proclitics that `light_stem` leaves on: the prepositions
# li-, bi-, ka- and the conjunction fa-, alone or after wa-/fa-. Stripping them only ever adds a
# key, never replaces the light stem.
_PROCLITICS = ("ول", "وب", "وك", "فل", "فب", "ل", "ب", "ك", "ف")
# Tokens whose article prefix `light_stem` already strips: another proclitic pass would only add noise.
_ARTICLE_PREFIXES = ("ال", "لل", "وال", "فال", "بال", "كال")
_MIN_REST = 4  # letters left after a proclitic: shorter rests are too often part of the word itself


def other_keys(token: str) -> tuple[str, ...]:
    """The keys of a matching-form token besides itself: its light stem and proclitic-less stem.

    Every key is a substring of the token (stemming only strips affixes); snippets rely on that.
    """
    keys = [light_stem(token)]
    if token and "\u0600" <= token[0] <= "\u06ff" and not token.startswith(_ARTICLE_PREFIXES):
        for prefix in _PROCLITICS:
            if token.startswith(prefix) and len(token) - len(prefix) >= _MIN_REST:
                rest = token[len(prefix) :]
                keys.append(rest)
                # wa- never follows bi-/li-/ka-: a rest starting with waw keeps it ("بوزارة" ->
                # "وزارة"), where stemming it further would turn "بوروسيا" into "روسيا".
                if not rest.startswith("و"):
                    keys.append(light_stem(rest))
                break
    return tuple(k for k in dict.fromkeys(keys) if k != token)


class _KeyCache(dict[str, str]):
    """token -> its other keys, space-joined ("" for none).

    `__missing__` lets the indexing loop stay in C (`map(cache.__getitem__, tokens)`).
    """

    __slots__ = ("limit",)

    def __init__(self, limit: int) -> None:
        super().__init__()
        self.limit = limit

    def __missing__(self, token: str) -> str:
        if len(self) >= self.limit:  # bounded: a crude reset is enough for a vocabulary cache
            self.clear()
        value = self[token] = " ".join(other_keys(token))
        return value


class _FormCache(dict[str, str]):
    """paragraph -> its matching form, for snippets: the paragraphs of the articles searches keep
    finding are folded once, not once per search (bounded; a crude reset when full)."""

    __slots__ = ("limit",)

    def __init__(self, limit: int) -> None:
        super().__init__()
        self.limit = limit

    def __missing__(self, text: str) -> str:
        if len(self) >= self.limit:
            self.clear()
        value = self[text] = match_form(text)
        return value


@dataclass(slots=True, frozen=True)
class IndexedText:
    """The four index fields of one article, each a space-separated token string."""

    title_exact: str
    body_exact: str
    title_stem: str
    body_stem: str


@dataclass(slots=True, frozen=True)
class QueryTerm:
    """One query token: its matching form, then all its keys (the form itself first)."""

    exact: str
    keys: tuple[str, ...]


class SearchKeys:
    """Builds index fields, queries and snippets; owns the key cache (one per store)."""

    __slots__ = ("_cache", "_forms")

    def __init__(self, cache_size: int = 200_000, form_cache_size: int = 20_000) -> None:
        self._cache = _KeyCache(cache_size)
        self._forms = _FormCache(form_cache_size)

    def _other(self, toks: list[str]) -> str:
        return " ".join(filter(None, map(self._cache.__getitem__, toks)))

    def index(self, title: str, paragraphs: Sequence[str]) -> IndexedText:
        title_toks = tokens(title or "")
        body_toks = tokens("\n".join(paragraphs))
        return IndexedText(
            " ".join(title_toks), " ".join(body_toks), self._other(title_toks), self._other(body_toks)
        )

    def query_terms(self, query: str) -> list[QueryTerm]:
        """The distinct tokens of an untrusted query; [] when it has no word or number at all."""
        terms: list[QueryTerm] = []
        seen: set[str] = set()
        for tok in tokens(query or ""):
            if tok in seen:
                continue
            seen.add(tok)
            terms.append(QueryTerm(tok, (tok, *self._cache[tok].split())))
        return terms

    def snippet(self, paragraphs: Sequence[str], terms: Sequence[QueryTerm], width: int = 30) -> str:
        """About `width` words of display text around the first hit, in the paragraph that best matches.

        The best paragraph has the most query terms (exact or by key), then the most exact ones;
        the first paragraph with every term in exact form ends the scan.
        """
        if not paragraphs:
            return ""
        keys = [k for t in terms for k in t.keys]
        best, best_score, best_form = 0, (0, 0), ""
        for i, para in enumerate(paragraphs):
            form = self._forms[para]
            # every key of a token is a substring of it: a paragraph holding none matches no term
            if not any(k in form for k in keys):
                continue
            score = self._match_score(form_tokens(form), terms)
            if score > best_score:
                best, best_score, best_form = i, score, form
            if score[1] == len(terms):
                break
        words = paragraphs[best].split()
        hit = self._first_hit(paragraphs[best], words, terms, best_form) if best_score[0] else 0
        start = max(0, hit - width // 4)
        end = min(len(words), start + width)
        start = max(0, end - width)
        text = " ".join(words[start:end])
        return ("… " if start else "") + text + (" …" if end < len(words) else "")

    def _key_hit(self, toks: Sequence[str], form: str, keys: Sequence[str]) -> bool:
        """Whether any token shares a key with `keys`.

        Every key of a token is a substring of it, so only tokens containing one of `keys` (and
        only if the joined text `form` contains one at all) are looked up.
        """
        wanted = [k for k in keys if k in form]
        if not wanted:
            return False
        for tok in toks:
            if any(k in tok for k in wanted) and (
                tok in wanted or any(k in wanted for k in self._cache[tok].split())
            ):
                return True
        return False

    def _match_score(self, toks: list[str], terms: Sequence[QueryTerm]) -> tuple[int, int]:
        """(terms matched exactly or by key, terms matched exactly) for one paragraph's tokens."""
        form = " ".join(toks)
        tok_set = set(toks)
        n_any = n_exact = 0
        for term in terms:
            if term.exact in tok_set:
                n_exact += 1
                n_any += 1
            elif self._key_hit(toks, form, term.keys):
                n_any += 1
        return n_any, n_exact

    def _first_hit(self, para: str, words: list[str], terms: Sequence[QueryTerm], form: str = "") -> int:
        """Index of the first display word with an exact hit, else with a key hit, else 0
        (`form`: the paragraph's matching form, when the caller has it)."""
        exact = [t.exact for t in terms]
        form = form or match_form(para)
        keys = [k for t in terms for k in t.keys if k in form]  # a key absent from the paragraph hits no word
        folded = form.split()
        aligned = len(folded) == len(words)  # folding rarely changes the word count; check anyway
        first_key = -1
        for j, word in enumerate(words):
            if aligned and not any(k in folded[j] for k in keys):
                continue  # cheap substring filter before tokenising the word
            toks = tokens(word)
            if any(e in toks for e in exact):
                return j
            if first_key < 0 and self._key_hit(toks, " ".join(toks), keys):
                first_key = j
        return max(first_key, 0)


def fts5_query(terms: Sequence[QueryTerm]) -> str:
    """An FTS5 MATCH expression: every term must hit, by any of its keys, in any field.

    Each key is a double-quoted FTS5 string, so nothing in the user's query is read as syntax.
    Which field a key hits (exact or stem, title or body) is left to the bm25 column weights.
    """
    return " AND ".join("(" + " OR ".join(_quote(k) for k in term.keys) + ")" for term in terms)


def _quote(token: str) -> str:
    return '"' + token.replace('"', '""') + '"'


# -- query syntax ----------------------------------------------------------------------------------
#
#   word word      both words (in any spelling of the matching form, or by light stem)
#   "two words"    the words next to each other, in that order (exact matching forms)
#   a OR b         either (OR in capitals, between two words or phrases)
#   -word -"a b"   without that word or phrase
#
# Everything else in the query is text: it is tokenised, never passed to FTS5 as syntax.

_QUERY_ITEM = re.compile(r'(-?)"([^"]*)"?|(\S+)')


@dataclass(slots=True, frozen=True)
class QueryItem:
    """A word (one term) or a phrase (several, adjacent and in order)."""

    terms: tuple[QueryTerm, ...]

    @property
    def phrase(self) -> bool:
        return len(self.terms) > 1


@dataclass(slots=True, frozen=True)
class ParsedQuery:
    groups: tuple[tuple[QueryItem, ...], ...]  # all groups must match; any item of a group
    excluded: tuple[QueryItem, ...]

    @property
    def terms(self) -> list[QueryTerm]:
        """The positive terms (for snippets and highlighting)."""
        seen: dict[str, QueryTerm] = {}
        for group in self.groups:
            for item in group:
                for t in item.terms:
                    seen.setdefault(t.exact, t)
        return list(seen.values())


def parse_query(keys: SearchKeys, query: str) -> ParsedQuery:
    """The query syntax above, as groups of alternatives and exclusions; empty groups when the
    query has no word or number to look for."""
    groups: list[list[QueryItem]] = []
    excluded: list[QueryItem] = []
    pending_or = False
    for m in _QUERY_ITEM.finditer(query or ""):
        neg, quoted, bare = m.group(1), m.group(2), m.group(3)
        if bare == "OR":
            pending_or = bool(groups)
            continue
        if bare is not None and bare.startswith("-") and len(bare) > 1:
            neg, bare = "-", bare[1:]
        items = _items(keys, quoted if quoted is not None else bare, phrase=quoted is not None)
        if not items:
            continue
        if neg:
            excluded.extend(items)
            pending_or = False
            continue
        if pending_or:
            groups[-1].append(items[0])
            groups.extend([it] for it in items[1:])
        else:
            groups.extend([it] for it in items)
        pending_or = False
    return ParsedQuery(tuple(tuple(g) for g in groups), tuple(excluded))


def _items(keys: SearchKeys, text: str, phrase: bool) -> list[QueryItem]:
    terms = keys.query_terms(text) if not phrase else [QueryTerm(t, (t,)) for t in tokens(text)]
    if phrase:
        return [QueryItem(tuple(terms))] if terms else []
    return [QueryItem((t,)) for t in terms]


def _item_fts(item: QueryItem) -> str:
    if item.phrase:
        return "{title_exact body_exact} : " + _quote(" ".join(t.exact for t in item.terms))
    return "(" + " OR ".join(_quote(k) for k in item.terms[0].keys) + ")"


def fts5_expression(parsed: ParsedQuery) -> str | None:
    """The FTS5 MATCH expression of a parsed query (None when it looks for nothing)."""
    if not parsed.groups:
        return None
    positive = " AND ".join("(" + " OR ".join(_item_fts(i) for i in group) + ")" for group in parsed.groups)
    expr = f"({positive})"
    for item in parsed.excluded:
        expr += f" NOT {_item_fts(item)}"
    return expr


def highlights(keys: SearchKeys, text: str, terms: Sequence[QueryTerm]) -> list[tuple[int, int]]:
    """Character spans of the words of `text` that a query term hits (exactly or by a key)."""
    if not terms:
        return []
    exact = {t.exact for t in terms}
    form = match_form(text)
    wanted = [k for t in terms for k in t.keys if k in form]  # a key absent from the text hits no word
    if not wanted:
        return []
    words = list(re.finditer(r"\S+", text))
    folded = form.split()
    aligned = len(folded) == len(words)  # folding rarely changes the word count; check anyway
    spans = []
    for j, m in enumerate(words):
        if aligned and not any(k in folded[j] for k in wanted):
            continue  # every key of a token is a substring of it: no key inside, no hit
        toks = tokens(m.group())
        if toks and (any(t in exact for t in toks) or keys._key_hit(toks, " ".join(toks), wanted)):
            spans.append((m.start(), m.end()))
    return spans


def page_hit(
    keys: SearchKeys,
    terms: Sequence[QueryTerm],
    paragraphs: Sequence[str],
    *,
    id: str,
    title: str,
    score: float,
    copies: int,
    story: str | None,
    source: str | None,
    published: str | None,
    url: str | None,
) -> dict[str, object]:
    """One hit of a search page, as every store gives it: a snippet of the lead (where a reader
    looks) with its highlights, the title's highlights, the score and the copies collapsed into it."""
    snippet = keys.snippet(paragraphs[:12], terms)
    return {
        "id": id,
        "title": title,
        "snippet": snippet,
        "highlights": [list(span) for span in highlights(keys, snippet, terms)],
        "title_highlights": [list(span) for span in highlights(keys, title or "", terms)],
        "score": round(score, 4),
        "copies": copies,
        "story": story,
        "source": source,
        "published": published,
        "url": url,
    }
