"""Document features for the second CRF of a two-stage (stacked) tagger.

A sentence-level CRF misses a surname where no cue is near it, yet news repeats names: the second
CRF sees, for each word, how the first CRF labelled the same word (clitics stripped) elsewhere in
the document, and the first CRF's own labels around it. On training data the first-stage labels
come from cross-validation (jackknife), so the second stage learns how far to trust them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from rasid.understand.ner.features import strip_clitics

# Words this frequent in news are never names by document evidence alone ("تراب", "جيل").
COMMON = 2000


def spans_of(tags: Sequence[str]) -> list[tuple[int, int, str]]:
    """Entity spans (first token, last token + 1, type) from IOB2 tags; a stray I- opens a span."""
    out: list[tuple[int, int, str]] = []
    start, typ = -1, ""
    for i, tag in enumerate([*tags, "O"]):
        if tag == "O" or tag.startswith("B-") or (tag.startswith("I-") and tag[2:] != typ):
            if start >= 0:
                out.append((start, i, typ))
                start, typ = -1, ""
            if tag != "O":
                start, typ = i, tag[2:]
    return out


def doc_core(form: str, counts: Mapping[str, int]) -> str:
    """The word a document vote is about: the form without clitics, or "" for short or very
    common words (no vote)."""
    return strip_clitics(form) if len(form) >= 3 and counts.get(form, 0) < COMMON else ""


def doc_votes(
    first: Sequence[Sequence[str]], cores: Sequence[Sequence[str]], window: int | None = None
) -> list[dict[int, list[str]]]:
    """Per sentence, the tokens the document has votes on (position -> "d=", "d2=", "dmax="
    features): the types the first stage gave the same word (its `doc_core`) within `window`
    sentences (None: the document), this token's own vote left out. Most tokens have none."""
    votes: list[dict[str, dict[str, int]]] = []
    own: list[list[str]] = []
    for i, tags in enumerate(first):
        v: dict[str, dict[str, int]] = {}
        mine = ["O"] * len(tags)
        for a, b, typ in spans_of(tags):
            for k in range(a, b):
                mine[k] = typ
                c = cores[i][k]
                if len(c) >= 3:
                    d = v.setdefault(c, {})
                    d[typ] = d.get(typ, 0) + 1
        votes.append(v)
        own.append(mine)
    # Words no sentence voted for get no document features (their tally would be empty).
    voted: set[str] = set().union(*votes)
    whole: dict[str, dict[str, int]] = {}
    if window is None:
        for v in votes:
            for c, d in v.items():
                w = whole.setdefault(c, {})
                for typ, n in d.items():
                    w[typ] = w.get(typ, 0) + n
    out: list[dict[int, list[str]]] = []
    for i, sent_cores in enumerate(cores):
        found: dict[int, list[str]] = {}
        if voted:
            tallies = [whole] if window is None else votes[max(0, i - window) : i + window + 1]
            for k, c in enumerate(sent_cores):
                if c not in voted:
                    continue
                tally: dict[str, int] = {}
                for v in tallies:
                    for typ, m in v.get(c, {}).items():
                        tally[typ] = tally.get(typ, 0) + m
                if own[i][k] != "O":
                    tally[own[i][k]] -= 1
                f: list[str] = []
                for typ, m in tally.items():
                    if m > 0:
                        f.append("d=" + typ)
                        if m > 1:
                            f.append("d2=" + typ)
                if tally and max(tally.values()) > 0:
                    f.append("dmax=" + max(tally.items(), key=lambda kv: kv[1])[0])
                if f:
                    found[k] = f
        out.append(found)
    return out


def label_features(tags: Sequence[str], found: dict[int, list[str]]) -> list[list[str]]:
    """The document CRF's extra features of one sentence: the first-stage labels of each token
    and its neighbours, then the token's document votes (`doc_votes`)."""
    n = len(tags)
    out: list[list[str]] = []
    for k, tag in enumerate(tags):
        f = [
            "s1=" + tag,
            "s1-1=" + (tags[k - 1] if k else "^"),
            "s1+1=" + (tags[k + 1] if k + 1 < n else "$"),
        ]
        more = found.get(k)
        if more:
            f += more
        out.append(f)
    return out


def doc_features(
    forms: Sequence[Sequence[str]],
    first: Sequence[Sequence[str]],
    counts: Mapping[str, int],
    window: int | None = None,
    cores: Sequence[Sequence[str]] | None = None,
) -> list[list[list[str]]]:
    """Extra features per token: first-stage labels of the token and its neighbours, and the
    types the first stage gave the same word within `window` sentences (None: the document).
    `cores` are the forms' `doc_core`s when the caller has them already."""
    if cores is None:
        core_of: dict[str, str] = {}  # forms repeat within a document: strip each once
        for s in forms:
            for f in s:
                if f not in core_of:
                    core_of[f] = doc_core(f, counts)
        cores = [[core_of[f] for f in s] for s in forms]
    return [label_features(t, v) for t, v in zip(first, doc_votes(first, cores, window), strict=True)]


def disagrees(doc_feats: list[str], tag: str) -> bool:
    """Whether the document features of a token name a type other than its first-stage one."""
    own = "d=" + tag[2:]
    return any(f.startswith("d=") and f != own for f in doc_feats)
