"""Article similarity vs human judgement on the SemEval-2022 Task 8 sample (HFL's training half).

Similarity = cosine of the article vectors rasid uses for story clustering (USE multilingual:
title-less texts here, so the opening LEAD_CHARS characters; and, for comparison, the mean of
sentence-chunk vectors over the whole given text). `Overall` is 1 = very similar .. 4 = not
similar, so a good similarity correlates negatively. Pearson r per group of language pairs.

    .venv/bin/python bench/semeval.py
"""

from __future__ import annotations

import csv
import gzip
import io
import sys
import time
from pathlib import Path

import numpy as np

from rasid.embed import LEAD_CHARS, USEEmbedder

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "semeval2022-task8-sample"
CROSS = {"de-en", "zh-en", "es-en", "pl-en", "es-it", "de-fr"}


def chunks(text: str, size: int = 400) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), size)] or [""]


def main() -> None:
    csv.field_size_limit(sys.maxsize)
    with gzip.open(DATA / "hfl_training_set.csv.gz", "rb") as fh:
        rows = list(csv.DictReader(io.TextIOWrapper(fh, encoding="utf-8")))
    emb = USEEmbedder(threads=1)
    t = time.perf_counter()
    texts1 = [r["text1"] or "" for r in rows]
    texts2 = [r["text2"] or "" for r in rows]
    lead = emb.embed([x[:LEAD_CHARS] for x in texts1 + texts2])
    sim_lead = np.einsum("ij,ij->i", lead[: len(rows)], lead[len(rows) :])
    allc, owner = [], []
    for i, x in enumerate(texts1 + texts2):
        for c in chunks(x):
            allc.append(c)
            owner.append(i)
    cv = emb.embed(allc)
    doc = np.zeros((2 * len(rows), emb.dim), np.float32)
    np.add.at(doc, np.array(owner), cv)
    doc /= np.maximum(np.linalg.norm(doc, axis=1, keepdims=True), 1e-12)
    sim_mean = np.einsum("ij,ij->i", doc[: len(rows)], doc[len(rows) :])
    el = time.perf_counter() - t
    overall = np.array([float(r["Overall"]) for r in rows])
    pairs = np.array([f"{r['lang1']}-{r['lang2']}" for r in rows])
    groups = {
        "all": np.ones(len(rows), bool),
        "cross-language (de-en zh-en es-en pl-en es-it de-fr)": np.isin(pairs, list(CROSS)),
        "same-language": np.array([p.split("-")[0] == p.split("-")[1] for p in pairs]),
        "ar-ar": pairs == "ar-ar",
    }
    print(f"date 2026-11-21; data SemEval-2022 Task 8 sample, {len(rows)} pairs; embedding {el:.0f}s")
    print("group | pairs | Pearson r (lead vector) | Pearson r (mean of 400-char chunk vectors)")
    for name, m in groups.items():
        r1 = np.corrcoef(sim_lead[m], overall[m])[0, 1]
        r2 = np.corrcoef(sim_mean[m], overall[m])[0, 1]
        print(f"{name} | {int(m.sum())} | {r1:+.3f} | {r2:+.3f}")
    for p in sorted(set(pairs)):
        m = pairs == p
        print(
            f"  {p}: n={int(m.sum())} r(lead)={np.corrcoef(sim_lead[m], overall[m])[0, 1]:+.3f} "
            f"r(chunks)={np.corrcoef(sim_mean[m], overall[m])[0, 1]:+.3f}"
        )
    join_rates(rows, lead)


def join_rates(rows: list[dict], lead: np.ndarray) -> None:
    """Would rasid's clusterer put the two articles of a pair in one story? Each pair is streamed
    alone into a fresh clusterer (shipped models; the second article one hour after the first,
    each article's paragraph tagged with its language from the CSV), the vectors being the lead
    vectors above. An article and a story in different languages are scored by the cross-language
    model (`StoryModel.load_cross`). Join rate per `Overall` band (1 = very similar .. 4 = not)."""
    from rasid.cluster import StoryClusterer
    from rasid.model import Article, Paragraph

    n = len(rows)
    joined = np.zeros(n, bool)
    for i, r in enumerate(rows):
        cl = StoryClusterer()
        sids = []
        for k, (text, lang, when) in enumerate(
            (
                (r["text1"] or "", r["lang1"], "2020-01-01T10:00:00"),
                (r["text2"] or "", r["lang2"], "2020-01-01T11:00:00"),
            )
        ):
            a = Article(
                id=f"{i}-{k}",
                origin="semeval",
                raw_text=text,
                content_hash=f"{i}-{k}",
                published=when,
                source=f"outlet{k}",
                paragraphs=[Paragraph(text, lang=lang)],
            )
            sids.append(cl.assign(a, lead[i + k * n]))
        joined[i] = sids[0] == sids[1]
    overall = np.array([float(r["Overall"]) for r in rows])
    cross = np.array([r["lang1"] != r["lang2"] for r in rows])
    print("join rate of the clusterer (pair streamed alone) by Overall band:")
    for name, m in (("cross-language", cross), ("same-language", ~cross)):
        bands = [
            (overall <= 1.5, "<= 1.5"),
            ((overall > 1.5) & (overall <= 2.5), "1.5-2.5"),
            (overall > 2.5, "> 2.5"),
        ]
        cells = [f"Overall {lab}: {joined[m & b].mean():.2f} of {int((m & b).sum())}" for b, lab in bands]
        print(f"  {name}: " + "; ".join(cells))


if __name__ == "__main__":
    main()
