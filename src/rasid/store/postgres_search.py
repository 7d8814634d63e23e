"""Full-text search in the PostgreSQL store, matching and ranking as SQLite's FTS5 does.

The index holds what SQLite's FTS5 index holds (`search.py`): the matching-form tokens of the title
and body and their other keys (light stems, proclitic-less forms). The tsvector is built here from
those tokens, not by a PostgreSQL parser or dictionary, so the folding (diacritics, tatweel,
hamza/alef/ya/ta-marbuta) is exactly rasid's own and the same query finds the same articles in both
backends. The four fields carry the weights A (title), B (body), C (title stems), D (body stems),
weighed as SQLite's bm25 column weights. PostgreSQL's own `arabic` configuration (Snowball stemmer
over display text) was measured against this and found worse (docs/benchmarks/postgres.md).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from typing import Any

from .search import IndexedText, ParsedQuery, QueryItem, QueryTerm, SearchKeys, page_hit, parse_query
from .sqlstories import SqlStories

# bm25 as SQLite's FTS5 computes it: its k1 and b, and the column weights of sqlite.py's
# (title_exact, body_exact, title_stem, body_stem), here the tsvector weights A, B, C, D.
_K1, _B = 1.2, 0.75
_BM25_WEIGHTS = {"A": 10.0, "B": 4.0, "C": 2.5, "D": 1.0}
_MAX_LEXEME = 500  # characters; PostgreSQL refuses lexemes over 2 KB, and no word is this long
_MAX_POSITIONS = 64  # positions kept per lexeme and field (ranking only counts them)


def _quote_lexeme(token: str) -> str:
    if "'" in token or "\\" in token:
        token = token.replace("\\", "\\\\").replace("'", "''")
    return "'" + token + "'"


def _position_lists() -> dict[str, tuple[str, ...]]:
    """weight -> the position list of 0..64 occurrences, each field in a range of its own."""
    lists = {}
    for base, weight in ((0, "A"), (1000, "B"), (2000, "C"), (3000, "D")):
        lists[weight] = tuple(
            ",".join(f"{base + i}{weight}" for i in range(1, n + 1)) for n in range(_MAX_POSITIONS + 1)
        )
    return lists


_POSITIONS = _position_lists()  # constant, never mutated


def tsvector_text(idx: IndexedText) -> tuple[str, int]:
    """The tsvector literal of one article's index fields (title A, body B, title stems C, body
    stems D) and its length in tokens (bm25's document length, as FTS5 counts it).

    Lexemes are rasid's own tokens (already in the matching form), so no parser, dictionary or
    server locale of PostgreSQL touches them. `ts_rank` reads how many positions of each weight a
    lexeme has, not where they are, so each field numbers its occurrences in a range of its own
    (up to 64 per lexeme).
    """
    parts: dict[str, list[str]] = {}
    total = 0
    for text, weight in (
        (idx.title_exact, "A"),
        (idx.body_exact, "B"),
        (idx.title_stem, "C"),
        (idx.body_stem, "D"),
    ):
        lists = _POSITIONS[weight]
        toks = text.split()
        total += len(toks)
        for tok, n in Counter(toks).items():
            if len(tok) <= _MAX_LEXEME:
                parts.setdefault(tok, []).append(lists[min(n, _MAX_POSITIONS)])
    return " ".join(f"{_quote_lexeme(tok)}:{','.join(ps)}" for tok, ps in parts.items()), total


def tsquery_text(terms: Sequence[QueryTerm]) -> str:
    """A tsquery literal: every term must hit, by any of its keys. Keys are quoted lexemes, so
    nothing in the user's query is read as tsquery syntax."""
    return " & ".join(
        "(" + " | ".join(_quote_lexeme(k) for k in term.keys if len(k) <= _MAX_LEXEME) + ")"
        for term in terms
        if any(len(k) <= _MAX_LEXEME for k in term.keys)
    )


class PgSearch(SqlStories):
    """`search`, `search_page` and `reindex` of the PostgreSQL store, over the `SqlStore` primitives."""

    _keys: SearchKeys

    def search(self, query: str, limit: int = 20) -> list[dict[str, object]]:
        """Articles matching every query word, best first: [{"id", "title", "snippet", "score"}].

        The same matching as SQLite's: matching form (diacritics, tatweel, alef/hamza/ya/
        ta-marbuta folded) and light-stem keys, exact-form and title hits ranked higher.
        """
        terms = self._keys.query_terms(query)
        tsq = tsquery_text(terms)
        if not terms or not tsq or limit <= 0:
            return []
        hits = self._bm25(terms, tsq, int(limit))
        if not hits:
            return []
        paras = self._paragraph_texts([seq for seq, *_ in hits])
        return [
            {
                "id": a_id,
                "title": title,
                "snippet": self._keys.snippet(paras[seq], terms),
                "score": round(r, 4),
            }
            for seq, a_id, title, r in hits
        ]

    def _bm25(self, terms: Sequence[QueryTerm], tsq: str, limit: int) -> list[tuple[int, str, str, float]]:
        """(seq, id, title, score) of the best `limit` matches, scored as SQLite's FTS5 `bm25` scores
        them: every key of every term a phrase, with its IDF over the whole table; per article the
        column-weighted frequency of the key (title, body, title stems, body stems as weights A-D)
        and the article's length in tokens against the mean."""
        keys = [k for term in terms for k in term.keys if len(k) <= _MAX_LEXEME]
        distinct = list(dict.fromkeys(keys))
        n_docs, mean_len = self._select("SELECT count(*), coalesce(avg(ntokens), 0) FROM articles")[0]
        n_docs, mean_len = int(n_docs), float(mean_len) or 1.0
        with_key = {
            k: int(
                self._select(
                    "SELECT count(*) FROM articles WHERE tsv @@ CAST(? AS tsquery)", (_quote_lexeme(k),)
                )[0][0]
            )
            for k in distinct
        }
        idf = {k: max(math.log((n_docs - n + 0.5) / (n + 0.5)), 1e-6) for k, n in with_key.items()}
        rows = self._select(
            "SELECT a.seq, a.id, a.title, a.ntokens, u.lexeme, u.weights::text[]"
            " FROM articles a, CAST(? AS tsquery) AS q, unnest(a.tsv) AS u"
            " WHERE a.tsv @@ q AND u.lexeme = ANY(?)",
            (tsq, distinct),
        )
        docs: dict[int, tuple[str, str, int, dict[str, float]]] = {}
        for seq, a_id, title, ntok, lexeme, weights in rows:
            doc = docs.setdefault(seq, (a_id, title, ntok, {}))
            doc[3][lexeme] = sum(_BM25_WEIGHTS[w] for w in weights)
        scored = []
        for seq, (a_id, title, ntok, freq) in docs.items():
            norm = _K1 * (1 - _B + _B * ntok / mean_len)
            score = sum(idf[k] * freq[k] * (_K1 + 1) / (freq[k] + norm) for k in keys if k in freq)
            scored.append((-score, seq, a_id, title))
        scored.sort()
        return [(seq, a_id, title, -neg) for neg, seq, a_id, title in scored[:limit]]

    def search_page(self, query: str, limit: int = 20, offset: int = 0) -> dict[str, Any]:
        """One page of search results, as `SQLiteStore.search_page` gives it (the same query syntax:
        words, "phrases", OR, -exclusions; copies collapsed into the best-ranked article of their
        group; true totals). Not yet SQL-paged for PostgreSQL: every match is scored (as `search`
        scores them) and the page cut here; phrases are checked on the matching articles' text."""
        parsed = parse_query(self._keys, query)
        tsq = _parsed_tsquery(parsed)
        if not tsq or limit <= 0:
            return {"total": 0, "stories": 0, "hits": []}
        terms = parsed.terms
        scored = self._bm25(terms, tsq, self.count_articles())
        phrases = any(item.phrase for group in parsed.groups for item in group) or any(
            item.phrase for item in parsed.excluded
        )
        titles = {seq: title or "" for seq, _, title, _ in scored}
        texts: dict[int, tuple[str, list[str]]] = {}

        def load(seqs: list[int]) -> None:
            wanted = [s for s in seqs if s not in texts]
            texts.update({s: (titles[s], []) for s in wanted})
            for seq, paras in self._paragraph_texts(wanted).items():
                texts[seq][1].extend(paras)

        if phrases:
            load(
                [seq for seq, *_ in scored]
            )  # the tsquery asked for a phrase's words anywhere; keep those where they are adjacent
            scored = [h for h in scored if _matches(self._keys, parsed, *texts[h[0]])]
        meta = {
            row[0]: row[1:]
            for row in self._select_in(
                "SELECT seq, story, source, published, url, coalesce(duplicate_of, id) FROM articles"
                " WHERE seq IN ({in_})",
                [seq for seq, *_ in scored],
            )
        }
        groups: dict[str, list[tuple[int, str, str, float]]] = {}
        for hit in scored:  # best first, so each group's first hit is its best
            groups.setdefault(meta[hit[0]][4], []).append(hit)
        ranked = sorted(groups.items(), key=lambda g: (-g[1][0][3], g[0]))
        stories = {meta[h[0]][0] for _, hits in ranked for h in hits if meta[h[0]][0] is not None}
        page = ranked[int(offset) : int(offset) + int(limit)]
        load([hits[0][0] for _, hits in page])
        out = []
        for _, hits in page:
            seq, a_id, title, score = hits[0]
            story, source, published, url, _head = meta[seq]
            out.append(
                page_hit(
                    self._keys,
                    terms,
                    texts[seq][1],
                    id=a_id,
                    title=title,
                    score=score,
                    copies=len(hits) - 1,
                    story=story,
                    source=source,
                    published=published,
                    url=url,
                )
            )
        return {"total": len(ranked), "stories": len(stories), "hits": out}

    def reindex(self) -> int:
        """Rebuild every article's tsvector from its stored display text; return the articles indexed."""
        seqs = [r[0] for r in self._select("SELECT seq FROM articles ORDER BY seq")]
        for i in range(0, len(seqs), 500):
            chunk = seqs[i : i + 500]
            rows = [
                (*tsvector_text(self._keys.index(a.title, [p.text for p in a.paragraphs])), seq)
                for seq, a in zip(chunk, self._load_articles(chunk), strict=True)
            ]
            self._write(
                lambda w, rows=rows: w.executemany(  # type: ignore[misc]
                    "UPDATE articles SET tsv = ?::tsvector, ntokens = ? WHERE seq = ?", rows
                )
            )
        return len(seqs)


def _item_tsquery(item: QueryItem) -> str:
    """A word: any of its keys, anywhere. A phrase: all its words in the title or body (the
    positions here are not word positions, so adjacency is checked on the text afterwards)."""
    if item.phrase:
        return (
            "("
            + " & ".join(_quote_lexeme(t.exact) + ":AB" for t in item.terms if len(t.exact) <= _MAX_LEXEME)
            + ")"
        )
    return "(" + " | ".join(_quote_lexeme(k) for k in item.terms[0].keys if len(k) <= _MAX_LEXEME) + ")"


def _parsed_tsquery(parsed: ParsedQuery) -> str:
    """The tsquery of a parsed query: every group, by any of its items; none of the excluded words
    (excluded phrases are left to the text check). "" when it looks for nothing."""
    if not parsed.groups:
        return ""
    parts = ["(" + " | ".join(_item_tsquery(i) for i in group) + ")" for group in parsed.groups]
    parts += ["!" + _item_tsquery(i) for i in parsed.excluded if not i.phrase]
    return " & ".join(parts)


def _matches(keys: SearchKeys, parsed: ParsedQuery, title: str, paragraphs: Sequence[str]) -> bool:
    """Whether an article matches the parsed query exactly as FTS5 decides it (phrases adjacent,
    within the title or within the body)."""
    idx = keys.index(title, paragraphs)
    all_keys = set(" ".join((idx.title_exact, idx.body_exact, idx.title_stem, idx.body_stem)).split())
    fields = (idx.title_exact.split(), idx.body_exact.split())

    def hit(item: QueryItem) -> bool:
        if not item.phrase:
            return any(k in all_keys for k in item.terms[0].keys)
        words = [t.exact for t in item.terms]
        n = len(words)
        return any(toks[i : i + n] == words for toks in fields for i in range(len(toks) - n + 1))

    return all(any(hit(i) for i in group) for group in parsed.groups) and not any(
        hit(i) for i in parsed.excluded
    )
