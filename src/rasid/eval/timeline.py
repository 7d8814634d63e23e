"""Timeline evaluation: date selection F1 and coverage of a hand-made gold timeline.

Date-F1 is the date-selection measure of timeline summarisation (Martschat & Markert 2018; used by
news-tls, Gholipour Ghalandari & Ifrim 2020): precision and recall of the set of timeline dates
against the gold timeline's dates, exact day match.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from rasid.model import TimelineEvent


@dataclass(slots=True, frozen=True)
class PRF:
    precision: float
    recall: float
    f1: float


def date_prf(predicted: Iterable[str], gold: Iterable[str]) -> PRF:
    """Precision, recall and F1 of predicted dates (ISO days) against gold dates."""
    pred, ref = set(predicted), set(gold)
    hit = len(pred & ref)
    p = hit / len(pred) if pred else 0.0
    r = hit / len(ref) if ref else 0.0
    return PRF(p, r, 2 * p * r / (p + r) if p + r else 0.0)


def gold_coverage(events: Sequence[TimelineEvent], gold_timeline: Sequence[dict]) -> dict[str, bool]:
    """For each gold entry ({"date", "docs"}): does an event carry its date and one of its articles?"""
    out: dict[str, bool] = {}
    for entry in gold_timeline:
        docs = set(entry["docs"])
        out[entry["date"]] = any(ev.date == entry["date"] and docs & set(ev.articles) for ev in events)
    return out
