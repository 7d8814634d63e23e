"""Entity-level evaluation of the NER tagger on CoNLL data (ANERcorp test split by default).

Exact match of span and type, as in conlleval: a predicted entity counts only if both its token
boundaries and its type equal a gold entity's.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING

from rasid.understand.ner import TYPES, read_conll, spans_of

if TYPE_CHECKING:
    from rasid.understand.ner import NerModel


def _prf(tp: int, n_pred: int, n_gold: int) -> dict[str, float]:
    p = tp / n_pred if n_pred else 0.0
    r = tp / n_gold if n_gold else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {"precision": round(p, 4), "recall": round(r, 4), "f1": round(f, 4), "support": n_gold}


def score_spans(gold: list[list[tuple[int, int, str]]], pred: list[list[tuple[int, int, str]]]) -> dict:
    """P/R/F1 per type and micro-averaged from per-sentence span lists."""
    out: dict = {}
    tot_tp = tot_p = tot_g = 0
    for typ in TYPES:
        tp = n_p = n_g = 0
        for g, p in zip(gold, pred, strict=True):
            gs = {s for s in g if s[2] == typ}
            ps = {s for s in p if s[2] == typ}
            tp += len(gs & ps)
            n_p += len(ps)
            n_g += len(gs)
        out[typ] = _prf(tp, n_p, n_g)
        tot_tp, tot_p, tot_g = tot_tp + tp, tot_p + n_p, tot_g + n_g
    out["micro"] = _prf(tot_tp, tot_p, tot_g)
    return out


def evaluate_ner(model: NerModel, test: Path, *, window: int | None = None) -> dict:
    """Entity-level P/R/F1 per type and micro on `test` (ANERcorp approx-CAMeL test split).

    `window=None` tags sentence by sentence (the standard setting). With `window=k` the test file
    is read as one running text and `NerModel.tag_document` adds its consistency pass over the k
    sentences either side (ANERcorp has no article boundaries; k=10 is about one article)."""
    sents = read_conll(test)
    t0 = time.perf_counter()
    if window is None:
        pred = [spans_of(model.tag(toks)) for toks, _ in sents]
    else:
        pred = [spans_of(t) for t in model.tag_document([toks for toks, _ in sents], window=window)]
    secs = time.perf_counter() - t0
    gold = [spans_of(tags) for _, tags in sents]
    out = score_spans(gold, pred)
    n_tok = sum(len(t) for t, _ in sents)
    out["tokens"] = n_tok
    out["tokens_per_second"] = round(n_tok / secs) if secs else 0
    return out
