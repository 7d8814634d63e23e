"""Document features for the second CRF of a two-stage (stacked) tagger.

A sentence-level CRF misses a surname where no cue is near it, yet news repeats names: the second
CRF sees, for each word, how the first CRF labelled the same word (clitics stripped) elsewhere in
the document, and the first CRF's own labels around it. On training data the first-stage labels
come from cross-validation (jackknife), so the second stage learns how far to trust them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from rasid.understand.ner_features import strip_clitics

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


def doc_features(
    forms: Sequence[Sequence[str]],
    first: Sequence[Sequence[str]],
    counts: Mapping[str, int],
    window: int | None = None,
) -> list[list[list[str]]]:
    """Extra features per token: first-stage labels of the token and its neighbours, and the
    types the first stage gave the same word within `window` sentences (None: the document)."""
    cores = [[strip_clitics(f) if len(f) >= 3 and counts.get(f, 0) < COMMON else "" for f in s] for s in forms]
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
    whole: dict[str, dict[str, int]] = {}
    if window is None:
        for v in votes:
            for c, d in v.items():
                w = whole.setdefault(c, {})
                for typ, n in d.items():
                    w[typ] = w.get(typ, 0) + n
    out: list[list[list[str]]] = []
    for i, tags in enumerate(first):
        sent: list[list[str]] = []
        tallies = [whole] if window is None else votes[max(0, i - window) : i + window + 1]
        n = len(tags)
        for k, tag in enumerate(tags):
            f = ["s1=" + tag, "s1-1=" + (tags[k - 1] if k else "^"), "s1+1=" + (tags[k + 1] if k + 1 < n else "$")]
            c = cores[i][k]
            if len(c) >= 3:
                tally: dict[str, int] = {}
                for v in tallies:
                    for typ, m in v.get(c, {}).items():
                        tally[typ] = tally.get(typ, 0) + m
                if own[i][k] != "O":
                    tally[own[i][k]] -= 1
                for typ, m in tally.items():
                    if m > 0:
                        f.append("d=" + typ)
                        if m > 1:
                            f.append("d2=" + typ)
                if tally and max(tally.values()) > 0:
                    f.append("dmax=" + max(tally.items(), key=lambda kv: kv[1])[0])
            sent.append(f)
        out.append(sent)
    return out
