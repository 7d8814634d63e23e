"""Grouping quality of the cross-source brief, and the dispute finder's output for inspection.

    .venv/bin/python bench/brief_eval.py                 # seeds gold pairs + SaudiNewsNet 08-02 wire copies
    .venv/bin/python bench/brief_eval.py --day 2015-08-01
    .venv/bin/python bench/brief_eval.py --sweep         # threshold sweep used to choose the defaults
    .venv/bin/python bench/brief_eval.py --disputes      # print every dispute found, for judging by eye

Measures, on text nobody tuned the code for by hand:
- seeds: the three gold `near_duplicates` pairs of ../shared/seeds/gold.json must share a group;
- SaudiNewsNet dev events (articles joined on url with the day's zip, several events pooled into one
  call so that sentences of different events compete): recall of wire copies (sentence pairs of two
  articles whose token sequences are identical or nearly so, difflib ratio >= 0.9) and precision of
  the cross-article links the grouping makes (share of linked pairs whose two articles carry the same
  event label; pairs of identical boilerplate across events are counted apart).

Sentence embeddings are cached on disk (--cache) because the pure-numpy encoder is slow on a shared
2-core machine; the cache holds vectors keyed by text hash, never the text.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import re
import sys
import time
import zipfile
from collections import defaultdict
from collections.abc import Sequence
from difflib import SequenceMatcher
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "src"))

from rasid.brief import BriefBuilder, LinkThresholds, UseEmbedder, sentence_units  # noqa: E402
from rasid.model import Article, Paragraph  # noqa: E402
from rasid.text.normalize import arabic_ratio, tokens  # noqa: E402

SHARED = REPO.parent / "shared"
_SPLIT = re.compile(r"(?<=[.؟!])\s+")


def make_splitter():
    """The project's sentence splitter if it exists yet, else the simple fallback."""
    try:
        from rasid.text.sentences import ArabicSentenceSplitter

        return ArabicSentenceSplitter().split
    except ImportError:
        return lambda text: [s for s in _SPLIT.split(text) if s.strip()]


def article_from_text(aid: str, text: str, source: str, published: str | None, split) -> Article:
    """An Article whose paragraphs are the non-empty stripped lines of `text` (no cleaning)."""
    paragraphs = []
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        lang = "ar" if arabic_ratio(line) >= 0.5 else "und"
        paragraphs.append(Paragraph(line, lang, split(line)))
    digest = hashlib.sha1(text.encode("utf-8")).hexdigest()
    return Article(aid, aid, text, digest, source=source, published=published, paragraphs=paragraphs)


def seed_articles(split) -> tuple[list[Article], dict]:
    gold = json.loads((SHARED / "seeds" / "gold.json").read_text(encoding="utf-8"))
    arts = []
    for doc in gold["documents"]:
        text = (SHARED / "seeds" / doc["file"]).read_text(encoding="utf-8")
        # No cleaning stage here: drop only the obvious debris lines (shortcodes, the tweet link).
        kept = "\n".join(
            ln for ln in text.splitlines() if not ln.strip().startswith("[") and "pic.twitter.com" not in ln
        )
        arts.append(article_from_text(doc["id"], kept, f"outlet-{doc['id']}", doc["published"], split))
    return arts, gold


class DiskCachedEmbed:
    """Wraps an embedder with an on-disk cache of vectors keyed by the SHA-1 of each text."""

    def __init__(self, inner, path: Path) -> None:
        self.inner = inner
        self.path = path
        self.store: dict[str, np.ndarray] = {}
        if path.is_file():
            data = np.load(path)
            self.store = dict(zip(data["keys"].tolist(), data["vecs"], strict=True))
        self.dirty = False

    def __call__(self, texts: list[str]) -> np.ndarray:
        keys = [hashlib.sha1(t.encode("utf-8")).hexdigest() for t in texts]
        todo = [t for t, k in zip(texts, keys, strict=True) if k not in self.store]
        if todo:
            todo = list(dict.fromkeys(todo))
            vecs = self.inner(todo)
            for t, v in zip(todo, vecs, strict=True):
                self.store[hashlib.sha1(t.encode("utf-8")).hexdigest()] = v
            self.dirty = True
            self.save()
        if not texts:
            return np.zeros((0, 512), dtype=np.float32)
        return np.stack([self.store[k] for k in keys])

    def save(self) -> None:
        if self.dirty:
            keys = np.array(list(self.store))
            np.savez(self.path, keys=keys, vecs=np.stack(list(self.store.values())))
            self.dirty = False


def load_day(day: str, split) -> tuple[dict[str, list[Article]], dict[str, str]]:
    """Articles of one SaudiNewsNet day grouped by dev event label; and url -> event."""
    labels = [
        json.loads(line)
        for line in (SHARED / "data" / "saudinewsnet-events" / f"dev-{day}.jsonl").read_text().splitlines()
    ]
    with zipfile.ZipFile(SHARED / "data" / "saudinewsnet" / f"{day}.zip") as zf:
        docs = json.loads(zf.read(f"{day}.json"))
    by_url = {d["url"]: d for d in docs}
    events: dict[str, list[Article]] = defaultdict(list)
    event_of: dict[str, str] = {}
    for rec in labels:
        doc = by_url.get(rec["url"])
        if doc is None:
            continue
        art = article_from_text(
            rec["url"],
            doc.get("content") or "",
            doc["source"],
            doc["date_extracted"].replace(" ", "T"),
            split,
        )
        events[rec["event"]].append(art)
        event_of[rec["url"]] = rec["event"]
    return dict(events), event_of


def multi_source_events(events: dict[str, list[Article]], n: int, max_articles: int, seed: int) -> list[str]:
    names = sorted(e for e, arts in events.items() if len({a.source for a in arts}) >= 2)
    random.Random(seed).shuffle(names)
    return names[:n]


def pools(names: Sequence[str], size: int) -> list[list[str]]:
    return [list(names[i : i + size]) for i in range(0, len(names), size)]


def _tokseq(text: str) -> list[str]:
    return tokens(text)


def evaluate_pool(builder: BriefBuilder, arts: list[Article], event_of: dict[str, str]) -> dict[str, int]:
    grouping = builder._group(arts)
    units = grouping.units
    group_of = {}
    for g, member in enumerate(grouping.members):
        for k in member:
            group_of[k] = g
    out = defaultdict(int)
    # Wire copies: near-identical token sequences in two different articles of one event.
    seqs = [_tokseq(u.text) for u in units]
    by_event: dict[str, list[int]] = defaultdict(list)
    for k, u in enumerate(units):
        by_event[event_of[u.article]].append(k)
    for ks in by_event.values():
        for x in range(len(ks)):
            for y in range(x + 1, len(ks)):
                i, j = ks[x], ks[y]
                if units[i].article == units[j].article:
                    continue
                a, b = seqs[i], seqs[j]
                if abs(len(a) - len(b)) > 0.2 * max(len(a), len(b)):
                    continue
                if a == b or SequenceMatcher(None, a, b, autojunk=False).ratio() >= 0.9:
                    out["wire_pairs"] += 1
                    out["wire_grouped"] += int(group_of[i] == group_of[j])
    # Links made: every cross-article pair inside one group.
    for i, j in cross_article_links(grouping):
        if event_of[units[i].article] == event_of[units[j].article]:
            out["links_same_event"] += 1
        elif seqs[i] == seqs[j]:
            out["links_cross_event_identical"] += 1
        else:
            out["links_cross_event"] += 1
    out["units"] = len(units)
    out["groups_multi_article"] = sum(1 for g in grouping.groups if len(g.articles) > 1)
    return out


def cross_article_links(grouping):
    """Every (unit, unit) pair the grouping put together from two different articles."""
    units = grouping.units
    for member in grouping.members:
        for x in range(len(member)):
            for y in range(x + 1, len(member)):
                i, j = member[x], member[y]
                if units[i].article != units[j].article:
                    yield i, j


def inspect_links(builder, day, split, n_events, pool_size, seed, n) -> None:
    """Sample cross-article links that are not wire copies (ratio < 0.9), to judge by reading."""
    events, event_of = load_day(day, split)
    names = multi_source_events(events, n_events, 6, seed)
    found = []
    for pool in pools(names, pool_size):
        grouping = builder._group([a for e in pool for a in events[e][:6]])
        units = grouping.units
        for i, j in cross_article_links(grouping):
            a, b = tokens(units[i].text), tokens(units[j].text)
            if SequenceMatcher(None, a, b, autojunk=False).ratio() < 0.9:
                found.append((units[i].text, units[j].text))
    print(f"{len(found)} non-wire cross-article links; sample of {min(n, len(found))}:")
    for k, (a, b) in enumerate(random.Random(seed).sample(found, min(n, len(found)))):
        print(f"#{k} A: {a[:220]}\n   B: {b[:220]}")


def gold_pairs(builder: BriefBuilder, arts: list[Article], gold: dict) -> list[tuple[str, bool]]:
    grouping = builder._group(arts)
    units = grouping.units
    group_of = {k: g for g, m in enumerate(grouping.members) for k in m}
    results = []
    for pair in gold["near_duplicates"]:
        (ida, ta), (idb, tb) = pair["a"], pair["b"]
        ka = [k for k, u in enumerate(units) if u.article == ida and ta in u.text]
        kb = [k for k, u in enumerate(units) if u.article == idb and tb in u.text]
        ok = bool(ka and kb) and any(group_of[i] == group_of[j] for i in ka for j in kb)
        results.append((pair["note"], ok))
    return results


def run_day(builder, day, split, n_events, pool_size, seed, verbose=True) -> dict[str, int]:
    events, event_of = load_day(day, split)
    names = multi_source_events(events, n_events, 6, seed)
    total: dict[str, int] = defaultdict(int)
    for pool in pools(names, pool_size):
        arts = [a for e in pool for a in events[e][:6]]
        res = evaluate_pool(builder, arts, event_of)
        for k, v in res.items():
            total[k] += v
    return dict(total)


def report(total: dict[str, int]) -> str:
    wire = total.get("wire_grouped", 0) / max(total.get("wire_pairs", 0), 1)
    links = total.get("links_same_event", 0) + total.get("links_cross_event", 0)
    prec = total.get("links_same_event", 0) / max(links, 1)
    return (
        f"units={total.get('units', 0)} wire_pairs={total.get('wire_pairs', 0)} wire_recall={wire:.3f} "
        f"links_same_event={total.get('links_same_event', 0)} links_cross_event={total.get('links_cross_event', 0)} "
        f"(+{total.get('links_cross_event_identical', 0)} identical boilerplate) event_precision={prec:.3f} "
        f"multi_article_groups={total.get('groups_multi_article', 0)}"
    )


def run_disputes(embed, split) -> int:
    """Every dev event (singletons too) with a denial cue: what the finder links, for reading."""
    from rasid.understand.disputes import DisputeFinder, denial_cue

    finder = DisputeFinder(embed=embed)
    arts, _ = seed_articles(split)
    found = finder.find(arts)
    print(f"seeds: {len(found)} dispute(s)")
    for d in found:
        print(
            f"  CLAIM [{','.join(d.articles)}] {d.claim[:160]}\n  DENIAL [{','.join(d.disputed_by)}] {d.text[:160]}"
        )
    n_events = n_cues = n_found = 0
    for day in ("2015-08-01", "2015-08-02"):
        events, _ = load_day(day, split)
        for name in sorted(events):
            story = events[name]
            cues = [u for u in sentence_units(story, min_tokens=4) if denial_cue(u.text) is not None]
            if not cues:
                continue
            n_events += 1
            n_cues += len(cues)
            for d in finder.find(story):
                n_found += 1
                print(f"[{day} {name}] ({len(story)} articles)")
                print(f"  CLAIM [{len(d.articles)} art] {d.claim[:200]}")
                print(f"  DENIAL [{len(d.disputed_by)} art] {d.text[:200]}")
    print(f"events with a denial cue: {n_events}; cue sentences: {n_cues}; disputes produced: {n_found}")
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--day", default="2015-08-02")
    ap.add_argument("--events", type=int, default=40, help="multi-source events sampled")
    ap.add_argument("--pool", type=int, default=8, help="events pooled into one grouping call")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--cache", default="/tmp/rasid-brief-embeddings.npz")
    ap.add_argument("--sweep", action="store_true")
    ap.add_argument("--embed-only", action="store_true", help="fill the embedding cache and stop")
    ap.add_argument("--inspect", type=int, default=0, help="print N sampled non-wire links to judge")
    ap.add_argument("--disputes", action="store_true", help="print every dispute found on both dev days")
    args = ap.parse_args(argv)
    split = make_splitter()
    embed = DiskCachedEmbed(UseEmbedder(), Path(args.cache))
    if args.embed_only:
        arts, _ = seed_articles(split)
        texts = [u.text for u in sentence_units(arts, min_tokens=3)]
        for day in ("2015-08-02", "2015-08-01"):
            events, _ = load_day(day, split)
            for e in multi_source_events(events, args.events, 6, args.seed):
                texts += [u.text for u in sentence_units(events[e][:6], min_tokens=3)]
        print(f"{len(texts)} sentences to embed", flush=True)
        t0 = time.time()
        for i in range(0, len(texts), 200):
            embed(texts[i : i + 200])
            print(f"{i + 200} done, {time.time() - t0:.0f}s", flush=True)
        return 0
    if args.disputes:
        return run_disputes(embed, split)
    builder = BriefBuilder(embed=embed)
    arts, gold = seed_articles(split)
    for note, ok in gold_pairs(builder, arts, gold):
        print(f"seeds gold pair [{note}]: {'grouped' if ok else 'MISSED'}")
    t0 = time.time()
    total = run_day(builder, args.day, split, args.events, args.pool, args.seed)
    print(f"{args.day}: {report(total)} ({time.time() - t0:.0f}s)")
    if args.inspect:
        inspect_links(builder, args.day, split, args.events, args.pool, args.seed, args.inspect)
        for g in builder.group(arts):
            if len(g.articles) > 1:
                print(f"seeds group {g.articles} conf={g.confidence:.2f}: {g.text[:90]}")
    if args.sweep:
        for lex in (0.45, 0.5, 0.6, 0.7):
            for sem in (0.7, 0.75, 0.8, 0.85):
                b = BriefBuilder(embed=embed, thresholds=LinkThresholds(lexical=lex, semantic=sem))
                ok = sum(o for _, o in gold_pairs(b, arts, gold))
                print(
                    f"lexical={lex} semantic={sem} gold={ok}/3 {report(run_day(b, args.day, split, args.events, args.pool, args.seed))}"
                )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
