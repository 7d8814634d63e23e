"""Duplicate groups and the pair signals the deduper logs, on real SaudiNewsNet text.

A new copy that matches only a later member of a group (not its head) must join the group under
its earliest article: `duplicate_of` always names a head, never a member (the first 600 articles
of 2015-08-01 have such chains). The candidate-pair log that `bench/dedup_dev.py` fits and replays
pair rules on must record what the deduper decided: its groups are the connected components of
the logged pairs that pass the shipped rule, and logging changes no decision.
"""

from __future__ import annotations

from collections import defaultdict

import pytest

from rasid.dedup import Deduper
from rasid.eval.stories import load_saudinewsnet
from rasid.model import Article


@pytest.fixture(scope="module")
def arts(shared) -> list[Article]:
    return load_saudinewsnet([shared / "data" / "saudinewsnet" / "2015-08-01.zip"])[:600]


@pytest.fixture(scope="module")
def logged(arts) -> tuple[Deduper, dict[str, str | None]]:
    dd = Deduper()
    dd.pair_log = []
    for a in arts:
        dd.add(a)
    return dd, {a.id: dd.duplicate_of(a.id) for a in arts}


def test_duplicate_of_names_the_earliest_article_of_the_group(arts, logged):
    _, dup = logged
    order = {a.id: i for i, a in enumerate(arts)}
    groups: dict[str, list[str]] = defaultdict(list)
    for u, head in dup.items():
        if head is not None:
            assert dup[head] is None, f"{u} points at {head}, which is itself a copy"
            groups[head].append(u)
    assert (
        sum(len(m) for m in groups.values()) >= 12 and max(len(m) for m in groups.values()) >= 2
    )  # groups of three
    for head, members in groups.items():
        assert all(order[head] < order[m] for m in members)


def test_groups_are_the_components_of_the_logged_decisions(arts, logged):
    dd, dup = logged
    log = dd.pair_log
    assert log and all(0.15 <= r["jac"] <= 1.0 and -1e-6 <= r["cos"] <= 1.0 + 1e-6 for r in log)
    assert all(r["shared"] <= r["paras_new"] and r["gap"] >= -1e-9 for r in log)
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        while x in parent:
            x = parent[x]
        return x

    order = {a.id: i for i, a in enumerate(arts)}
    links = [r for r in log if r["jac"] >= 0.3 and r["cos"] >= dd.threshold]
    assert len(links) >= 12
    for r in links:
        a, b = find(r["new"]), find(r["old"])
        if a != b:
            lo, hi = sorted((a, b), key=order.__getitem__)
            parent[hi] = lo
    assert {u: (find(u) if find(u) != u else None) for u in dup} == dup
    # below the shipped rule, logged pairs were not linked unless through others
    assert any(r["jac"] < 0.3 or r["cos"] < dd.threshold for r in log)


def test_logging_changes_no_decision(arts, logged):
    _, dup = logged
    plain = Deduper()
    for a in arts:
        plain.add(a)
    got = {a.id: plain.duplicate_of(a.id) for a in arts}
    assert got == dup
