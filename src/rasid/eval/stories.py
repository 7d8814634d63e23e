"""Evaluation of story clustering and near-duplicate detection, and a SaudiNewsNet loader.

The gold files are the SaudiNewsNet event labels (`shared/data/saudinewsnet-events`): one JSON line
per article with `url`, `event` and `dup_of`. Scores are the usual ones for clustering without a
fixed number of clusters: B-cubed (per-article precision/recall of its cluster, averaged) and
pairwise (precision/recall over all same-cluster article pairs).
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

from ..model import Article, Paragraph

# ---------------------------------------------------------------------------------------------
# SaudiNewsNet loader (development data; the spine's readers handle real inputs)


def saudinewsnet_records(path: str | Path) -> list[dict]:
    """The JSON array inside one SaudiNewsNet `YYYY-MM-DD.zip`."""
    with zipfile.ZipFile(path) as zf:
        name = next(n for n in zf.namelist() if n.endswith(".json"))
        return json.loads(zf.read(name).decode("utf-8"))


def write_saudinewsnet_jsonl(zips: Iterable[str | Path], out: Path, limit: int | None = None) -> int:
    """The SaudiNewsNet archives as one input feed (CONTRACT records: id = url, published = the crawl
    time), for benches that go through the real reader; returns the number of records written."""
    n = 0
    with out.open("w", encoding="utf-8") as fh:
        for path in zips:
            for rec in saudinewsnet_records(path):
                fh.write(
                    json.dumps(
                        {
                            "id": rec["url"],
                            "url": rec["url"],
                            "source": rec["source"],
                            "title": rec.get("title") or "",
                            "text": rec.get("content") or "",
                            "published": rec.get("date_extracted"),
                        },
                        ensure_ascii=False,
                    )
                    + "\n"
                )
                n += 1
                if limit and n >= limit:
                    return n
    return n


def article_from_record(rec: dict) -> Article:
    """One SaudiNewsNet record as an Article: paragraphs are the non-empty lines of `content`."""
    content = rec.get("content") or ""
    paragraphs = [Paragraph(text=line.strip(), lang="ar") for line in content.splitlines() if line.strip()]
    date = (rec.get("date_extracted") or "").strip()
    published = date.replace(" ", "T") if date else None
    return Article(
        id=rec["url"],
        origin=rec["url"],
        raw_text=content,
        content_hash=hashlib.sha256(content.encode("utf-8")).hexdigest(),
        title=(rec.get("title") or "").strip(),
        url=rec["url"],
        source=rec.get("source"),
        published=published,
        author=(rec.get("author") or None),
        paragraphs=paragraphs,
    )


def load_saudinewsnet(paths: Iterable[str | Path]) -> list[Article]:
    """Articles of several SaudiNewsNet day files, in stream order (published, then url)."""
    arts = [article_from_record(r) for p in paths for r in saudinewsnet_records(p)]
    arts.sort(key=lambda a: (a.published or "", a.id))
    return arts


def stream_order(articles: Iterable[Article]) -> list[Article]:
    """The time order the clusterer is fed in: published, then id (deterministic ties)."""
    return sorted(articles, key=lambda a: (a.published or "", a.id))


# ---------------------------------------------------------------------------------------------
# Gold files


def read_gold(path: str | Path | Sequence[str | Path]) -> list[dict]:
    """Gold lines (`url`, `event`, `dup_of`, ...) of one or several labelled days."""
    rows: list[dict] = []
    for p in [path] if isinstance(path, (str, Path)) else path:
        with open(p, encoding="utf-8") as fh:
            rows.extend(json.loads(line) for line in fh if line.strip())
    return rows


def iter_gold_events(rows: Iterable[dict]) -> Iterator[tuple[str, str]]:
    for r in rows:
        yield r["url"], r["event"]


# ---------------------------------------------------------------------------------------------
# Scores


def _clusters(assign: dict[str, str]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = defaultdict(set)
    for item, label in assign.items():
        out[label].add(item)
    return out


def _f1(p: float, r: float) -> float:
    return 2 * p * r / (p + r) if p + r else 0.0


def bcubed(
    pred: dict[str, str],
    gold: dict[str, str],
    focus: set[str] | None = None,
) -> tuple[float, float, float]:
    """B-cubed precision, recall, F1 over the items of `gold` (items missing from `pred` are singletons).

    Per item: precision = |pred cluster ∩ gold cluster| / |pred cluster|, recall the same over the
    gold cluster; both averaged over items. Singletons are rewarded, which is why a baseline of
    all singletons already scores high on news days where most articles are alone. `focus`: average
    over these items only (a held-out day), their clusters still counted over all of `gold` (so
    the day's links to the day before count).
    """
    items = list(gold)
    scored = [i for i in items if i in focus] if focus is not None else items
    pred_full = {i: pred.get(i, f"\0{i}") for i in items}
    pc, gc = _clusters(pred_full), _clusters({i: gold[i] for i in items})
    p_sum = r_sum = 0.0
    for i in scored:
        pset, gset = pc[pred_full[i]], gc[gold[i]]
        inter = len(pset & gset)
        p_sum += inter / len(pset)
        r_sum += inter / len(gset)
    n = len(scored) or 1
    p, r = p_sum / n, r_sum / n
    return p, r, _f1(p, r)


def _pair_count(sizes: Iterable[int]) -> int:
    return sum(s * (s - 1) // 2 for s in sizes)


def _focus_pairs(groups: Iterable[set[str]], focus: set[str]) -> int:
    """Unordered pairs within each group that have at least one item in `focus`."""
    n = 0
    for g in groups:
        t = len(g & focus)
        n += t * (t - 1) // 2 + t * (len(g) - t)
    return n


def pairwise(
    pred: dict[str, str],
    gold: dict[str, str],
    focus: set[str] | None = None,
) -> tuple[float, float, float]:
    """Pairwise precision, recall, F1: over unordered article pairs put in one cluster.

    A pair is predicted when both items share a predicted story, gold when they share an event.
    Precision is 1 (and recall 0) when nothing is predicted together, by convention. `focus`:
    only the pairs with at least one item in it (a held-out day and its links to the day before).
    """
    items = list(gold)
    pred_full = {i: pred.get(i, f"\0{i}") for i in items}
    if focus is not None:
        joint_sets: dict[tuple[str, str], set[str]] = defaultdict(set)
        for i in items:
            joint_sets[(pred_full[i], gold[i])].add(i)
        tp = _focus_pairs(joint_sets.values(), focus)
        npred = _focus_pairs(_clusters(pred_full).values(), focus)
        ngold = _focus_pairs(_clusters({i: gold[i] for i in items}).values(), focus)
        p = tp / npred if npred else 1.0
        r = tp / ngold if ngold else 1.0
        return p, r, _f1(p, r)
    joint: dict[tuple[str, str], int] = defaultdict(int)
    for i in items:
        joint[(pred_full[i], gold[i])] += 1
    tp = _pair_count(joint.values())
    npred = _pair_count(len(c) for c in _clusters(pred_full).values())
    ngold = _pair_count(len(c) for c in _clusters({i: gold[i] for i in items}).values())
    p = tp / npred if npred else 1.0
    r = tp / ngold if ngold else 1.0
    return p, r, _f1(p, r)


def duplicate_groups(dup_of: dict[str, str | None]) -> dict[str, str]:
    """Item -> its group's head (the item itself when it points nowhere); follows chains."""
    out: dict[str, str] = {}
    for item in dup_of:
        head, seen = item, set()
        while dup_of.get(head) and head not in seen:
            seen.add(head)
            head = dup_of[head]  # type: ignore[assignment]
        out[item] = head
    return out


def duplicate_pairs(
    pred_dup_of: dict[str, str | None],
    gold_dup_of: dict[str, str | None],
    focus: set[str] | None = None,
) -> tuple[float, float]:
    """Precision and recall of duplicate-group membership pairs.

    Each `dup_of` map defines groups (an item with `dup_of = None` heads its own group; chains are
    followed). The pairs are all unordered pairs of items in one group with two or more members —
    so a group of three wire copies gives three pairs, whoever is named the head. Only pairs of
    items in the gold map count (a predicted head outside it still joins its members). No predicted pairs gives precision 1, no gold pairs recall 1.
    `focus`: only pairs with an item in it (a held-out day's copies, those of the day before's
    articles included).
    """
    items = list(gold_dup_of)
    pred_full = {**{i: None for i in items}, **pred_dup_of}
    pg, gg = duplicate_groups(pred_full), duplicate_groups(gold_dup_of)
    pred_l, gold_l = {i: pg[i] for i in items}, {i: gg[i] for i in items}
    p, r, _ = pairwise(pred_l, gold_l, focus)
    return p, r


def evaluate_stories_file(
    gold_path: str | Path | list[str | Path],
    pred: dict[str, str],
    pred_dup_of: dict[str, str | None] | None = None,
    focus: str | Path | None = None,
) -> dict:
    """Scores of predicted stories (url -> story id) against one or more gold event files.

    Returns `{"articles", "events", "bcubed": {p, r, f1}, "pairwise": {p, r, f1}}`, plus
    `"duplicates": {p, r}` when `pred_dup_of` (url -> url or None) is given. Only gold urls count;
    a gold url absent from `pred` counts as a singleton. `focus`: a labels file whose articles
    alone are scored (B-cubed averaged over them, pairs counted when one of the two is theirs),
    the other files giving the context they link to (the day before a held-out day).
    """
    rows = read_gold(gold_path)
    gold = {r["url"]: r["event"] for r in rows}
    only = {r["url"] for r in read_gold(focus)} & gold.keys() if focus is not None else None
    bp, br, bf = bcubed(pred, gold, only)
    pp, pr, pf = pairwise(pred, gold, only)
    scored = only if only is not None else gold.keys()
    out: dict = {
        "articles": len(scored),
        "events": len({gold[u] for u in scored}),
        "predicted_stories": len({pred.get(u, "\0" + u) for u in scored}),
        "bcubed": {"p": bp, "r": br, "f1": bf},
        "pairwise": {"p": pp, "r": pr, "f1": pf},
    }
    if pred_dup_of is not None:
        dp, dr = duplicate_pairs(pred_dup_of, {r["url"]: r.get("dup_of") for r in rows}, only)
        out["duplicates"] = {"p": dp, "r": dr}
    return out


def evaluate_duplicates_file(
    gold_path: str | Path | list[str | Path], pred_dup_of: dict[str, str | None]
) -> dict:
    """Duplicate-pair precision/recall of predicted `duplicate_of` (url -> url or None) on gold files."""
    rows = read_gold(gold_path)
    gold = {r["url"]: r.get("dup_of") for r in rows}
    p, r = duplicate_pairs(pred_dup_of, gold)
    npairs = _pair_count(len(c) for c in _clusters(duplicate_groups(gold)).values())
    return {"articles": len(gold), "gold_pairs": npairs, "duplicates": {"p": p, "r": r}}
