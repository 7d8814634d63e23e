"""Entity canonicalisation and quote extraction: figures for docs/benchmarks/entities_quotes.md.

    .venv/bin/python bench/entities_quotes.py [--aner-sample N] [--sweep]

1. Seeds, mentions located from gold variants plus NER-like noise (the test fixture): purity and
   completeness over gold entities, B-cubed over labelled mentions, gold quotes found.
2. Seeds with the real NER model (rasid.understand.ner), when it loads: the same figures.
3. ANERcorp's gold mentions pooled as one huge "story" (11k mentions, 4.5k distinct strings from
   ~316 unrelated articles): a stress test for over-merging. Prints the time and a random sample
   of merged entities (several distinct variants) for a person to judge.
With --sweep, the seed figures for a grid of thresholds.
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import sys
import time
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"
sys.path.insert(0, str(REPO / "tests"))

from test_entities import locate_mentions, seed_article, surface_list  # noqa: E402

from rasid.model import Mention  # noqa: E402
from rasid.understand.entities import CanonSettings, EntityCanonicaliser  # noqa: E402
from rasid.understand.quotes import QuoteExtractor  # noqa: E402


def bcubed(entity_of: list[int], labels: list[str]) -> tuple[float, float]:
    by_e: dict[int, list[int]] = defaultdict(list)
    by_l: dict[str, list[int]] = defaultdict(list)
    for i, (e, lab) in enumerate(zip(entity_of, labels, strict=True)):
        by_e[e].append(i)
        by_l[lab].append(i)
    p = r = 0.0
    for e, lab in zip(entity_of, labels, strict=True):
        same_e, same_l = by_e[e], by_l[lab]
        both = sum(1 for j in same_e if labels[j] == lab)
        p += both / len(same_e)
        r += both / len(same_l)
    n = len(labels)
    return p / n, r / n


def gold_figures(gold: dict, entities, entity_of: list[int], mentions: list[Mention]) -> dict[str, object]:
    """Per gold entity: are the mentions of its variants in one entity; does any entity mix two."""
    owner = {v: g["canonical"] for g in gold["entities"] for v in g["variants"]}
    holders: dict[str, set[int]] = defaultdict(set)
    for m, e in zip(mentions, entity_of, strict=True):
        if m.text in owner:
            holders[owner[m.text]].add(e)
    present = [g for g in holders]
    complete = sum(1 for g in present if len(holders[g]) == 1)
    golds_in: dict[int, set[str]] = defaultdict(set)
    for g, es in holders.items():
        for e in es:
            golds_in[e].add(g)
    mixed = [sorted(gs) for gs in golds_in.values() if len(gs) > 1]
    split = sorted(g for g in present if len(holders[g]) > 1)
    return {"gold_present": len(present), "complete": complete, "split": split, "mixed": mixed}


def quote_figures(gold: dict, articles, mentions, entities, entity_of) -> dict[str, object]:
    qx = QuoteExtractor()
    quotes = {a.id: qx.extract(a, mentions, entity_of, entities) for a in articles}
    found = []
    for g in gold["quotes"]:
        variants = next(e["variants"] for e in gold["entities"] if e["canonical"] == g["speaker"])
        names = {ent.name for ent in entities for v in variants if v in ent.variants}
        ok = any(
            q.speaker in names and (g["text"] in q.text or q.text in g["text"]) for q in quotes[g["doc"]]
        )
        found.append(ok)
    total = sum(len(q) for q in quotes.values())
    return {"gold_found": f"{sum(found)}/{len(found)}", "extracted": total, "quotes": quotes}


def seeds(settings: CanonSettings | None = None, verbose: bool = True) -> None:
    gold = json.loads((SHARED / "seeds" / "gold.json").read_text(encoding="utf-8"))
    texts = {d["id"]: (SHARED / "seeds" / d["file"]).read_text(encoding="utf-8") for d in gold["documents"]}
    articles = [seed_article(i, t) for i, t in sorted(texts.items())]
    mentions, labels = locate_mentions(articles, surface_list(gold))
    entities, entity_of = EntityCanonicaliser(settings).canonicalise(mentions)
    g = gold_figures(gold, entities, entity_of, mentions)
    p, r = bcubed(entity_of, labels)
    q = quote_figures(gold, articles, mentions, entities, entity_of)
    print(
        f"seeds/fixture {settings or CanonSettings()}: mentions={len(mentions)} entities={len(entities)} "
        f"gold complete={g['complete']}/{g['gold_present']} split={g['split']} mixed={g['mixed']} "
        f"B3 P={p:.3f} R={r:.3f} quotes gold={q['gold_found']} extracted={q['extracted']}"
    )
    if verbose:
        for qs in q["quotes"].values():
            for x in qs:
                print(f"  [{x.article}] {x.speaker} :: {x.text[:110]}")


def load_ner(path: str | None):
    from rasid.understand.ner import NerModel

    return NerModel.load(path)


def ner_mentions(model, articles) -> list[Mention]:
    mentions: list[Mention] = []
    for art in articles:
        for pi, para in enumerate(art.paragraphs):
            for s, e, t in model.mentions(para.text, para.lang):
                mentions.append(Mention(para.text[s:e], t, art.id, pi, s, e))
    return mentions


def seeds_real_ner(path: str | None) -> None:
    try:
        model = load_ner(path)
    except Exception as exc:  # not trained yet in this checkout
        print(f"seeds/real NER: skipped ({type(exc).__name__}: {exc})")
        return
    gold = json.loads((SHARED / "seeds" / "gold.json").read_text(encoding="utf-8"))
    texts = {d["id"]: (SHARED / "seeds" / d["file"]).read_text(encoding="utf-8") for d in gold["documents"]}
    articles = [seed_article(i, t) for i, t in sorted(texts.items())]
    mentions = ner_mentions(model, articles)
    entities, entity_of = EntityCanonicaliser().canonicalise(mentions)
    g = gold_figures(gold, entities, entity_of, mentions)
    q = quote_figures(gold, articles, mentions, entities, entity_of)
    print(
        f"seeds/real NER: mentions={len(mentions)} entities={len(entities)} "
        f"gold complete={g['complete']}/{g['gold_present']} split={g['split']} mixed={g['mixed']} "
        f"quotes gold={q['gold_found']} extracted={q['extracted']}"
    )
    for qs in q["quotes"].values():
        for x in qs:
            print(f"  [{x.article}] {x.speaker} :: {x.text[:110]}")
    for ent in entities[:40]:
        print(f"  {ent.type} {ent.name} <- {ent.variants}")


def aner_mentions(chunk: int = 400) -> list[Mention]:
    """ANERcorp gold mentions; 'articles' are consecutive chunks of `chunk` tokens (no doc ids)."""
    path = SHARED / "data" / "anercorp" / "ANERCorp.txt.gz"
    toks: list[tuple[str, str]] = []
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        for line in fh:
            line = line.replace("\u200f", "").strip()
            word, _, tag = line.rpartition(" ")
            if word:
                toks.append((word, tag))
    out: list[Mention] = []
    cur: list[str] = []
    cur_type = cur_art = ""
    for i, (word, tag) in enumerate(toks):
        art = f"a{i // chunk}"
        typ = tag[2:].replace("PERS", "PER")
        if tag.startswith("I-") and cur and typ == cur_type and art == cur_art:
            cur.append(word)
            continue
        if cur:
            out.append(Mention(" ".join(cur), cur_type, cur_art, 0, 0, 0))
            cur = []
        if tag[:2] in ("B-", "I-"):
            cur, cur_type, cur_art = [word], typ, art
    if cur:
        out.append(Mention(" ".join(cur), cur_type, cur_art, 0, 0, 0))
    return out


def aner(sample: int, seed: int) -> None:
    mentions = aner_mentions()
    t0 = time.perf_counter()
    entities, _ = EntityCanonicaliser().canonicalise(mentions)
    dt = time.perf_counter() - t0
    merged = [e for e in entities if len(e.variants) > 1]
    print(
        f"ANERcorp pooled: mentions={len(mentions)} distinct={len({m.text for m in mentions})} "
        f"entities={len(entities)} multi-variant={len(merged)} time={dt:.1f}s"
    )
    rng = random.Random(seed)
    for e in rng.sample(merged, min(sample, len(merged))):
        print(f"  {e.type}\t{e.name}\t{' | '.join(e.variants)[:150]}")


def saudinewsnet_quotes(path: str | None, n_articles: int, seed: int) -> None:
    """Quotes from random SaudiNewsNet articles (NER + canonicaliser per article), for judging."""
    import zipfile

    try:
        model = load_ner(path)
    except Exception as exc:
        print(f"SaudiNewsNet quotes: skipped ({type(exc).__name__}: {exc})")
        return
    rng = random.Random(seed)
    zips = sorted((SHARED / "data" / "saudinewsnet").glob("*.zip"))
    loaded: dict[Path, list[dict]] = {}
    picked = []
    for _ in range(n_articles):
        zp = rng.choice(zips)
        if zp not in loaded:
            with zipfile.ZipFile(zp) as z:
                loaded[zp] = json.loads(z.read(z.namelist()[0]))
        k = rng.randrange(len(loaded[zp]))
        picked.append((f"{zp.stem}/{k}", loaded[zp][k].get("content") or ""))
    qx = QuoteExtractor()
    total = 0
    for doc_id, text in picked:
        art = seed_article(doc_id, text)
        mentions = ner_mentions(model, [art])
        entities, entity_of = EntityCanonicaliser().canonicalise(mentions)
        for q in qx.extract(art, mentions, entity_of, entities):
            total += 1
            print(f"  [{doc_id}] {q.speaker} :: {q.text[:120]}")
    print(f"SaudiNewsNet quotes: articles={len(picked)} quotes={total}")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--aner-sample", type=int, default=100)
    ap.add_argument("--aner-seed", type=int, default=7, help="which random sample of merges to print")
    ap.add_argument("--sweep", action="store_true")
    ap.add_argument("--ner-model", help="a .crfsuite file (default: the packaged model)")
    ap.add_argument("--snn-articles", type=int, default=0, help="judge quotes on N SaudiNewsNet articles")
    args = ap.parse_args(argv)
    seeds()
    seeds_real_ner(args.ner_model)
    if args.sweep:
        for tok in (0.75, 0.8, 0.85, 0.9, 0.95):
            seeds(CanonSettings(name_threshold=tok, token_threshold=tok), verbose=False)
        for org in (0.34, 0.5, 0.67, 1.0):
            seeds(CanonSettings(org_threshold=org), verbose=False)
    aner(args.aner_sample, args.aner_seed)
    if args.snn_articles:
        saudinewsnet_quotes(args.ner_model, args.snn_articles, args.aner_seed)


if __name__ == "__main__":
    main()
