"""Tagging speed of the packaged NER model on SaudiNewsNet articles (mentions(), whole pipeline:
tokenise, sentence-split, featurise, CRF, stacked BiLSTM or document CRF, clitic cuts), and checks
that a faster version still tags exactly as before.

    .venv/bin/python bench/ner_speed.py [--articles 1000]
    .venv/bin/python bench/ner_speed.py --articles 500 --dump /tmp/ner_mentions.json   # reference
    .venv/bin/python bench/ner_speed.py --articles 500 --check /tmp/ner_mentions.json  # same mentions?
    .venv/bin/python bench/ner_speed.py --articles 500 --reference                     # vs pycrfsuite

`--dump` writes every article's mentions (run it with the code before a change, e.g. a copy of the
old files first on PYTHONPATH); `--check` fails (exit 1) unless every mention (start, end, type)
is the same. `--reference` tags the same articles a second time through pycrfsuite's string
interface (`NerModel.crf = None`) in the same process and compares mentions and CPU time.
Times are CPU (process_time): the machine is shared, wall time says little.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from rasid.understand.ner import NerModel
from rasid.understand.ner_tokenize import tokenize
from rasid_training.ner_clusters import saudinewsnet_texts

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"  # the data folder beside the checkout


def _tag_all(model: NerModel, texts: list[str]) -> tuple[list[list[tuple[int, int, str]]], float, float]:
    t, c = time.perf_counter(), time.process_time()
    out = [model.mentions(x) for x in texts]
    return out, time.perf_counter() - t, time.process_time() - c


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--articles", type=int, default=1000)
    ap.add_argument("--model", default=None, help="a .crfsuite path (default: the packaged model)")
    ap.add_argument("--dump", type=Path, help="write the mentions of every article to this JSON file")
    ap.add_argument(
        "--check", type=Path, help="compare the mentions with a --dump file; exit 1 if any differ"
    )
    ap.add_argument("--reference", action="store_true", help="also tag through pycrfsuite and compare")
    args = ap.parse_args(argv)
    t = time.perf_counter()
    model = NerModel.load(args.model)
    print(f"load {time.perf_counter() - t:.2f}s")
    zips = sorted((DATA / "saudinewsnet").glob("*.zip"))[-3:]
    texts = list(saudinewsnet_texts(zips, limit=args.articles))
    n_tok = sum(len(tokenize(x)) for x in texts)
    found, wall, cpu = _tag_all(model, texts)
    n_ment = sum(map(len, found))
    print(
        f"{len(texts)} articles, {n_tok} tokens, {n_ment} mentions: wall {wall:.1f}s cpu {cpu:.1f}s; "
        f"{len(texts) / wall:.0f} articles/s, {n_tok / wall:.0f} tokens/s (cpu: {len(texts) / cpu:.0f} articles/s, "
        f"{1000 * cpu / len(texts):.2f} ms/article)"
    )
    status = 0
    if args.dump:
        args.dump.write_text(json.dumps(found, ensure_ascii=False), encoding="utf-8")
        print(f"wrote {args.dump}")
    if args.check:
        ref = [[tuple(m) for m in ms] for ms in json.loads(args.check.read_text(encoding="utf-8"))]
        status |= _compare("check", ref, found)
    if getattr(model, "crf", None) is not None and args.reference:
        model.crf = None  # pycrfsuite's Tagger.tag on feature strings
        ref, _wall, ref_cpu = _tag_all(model, texts)
        print(f"pycrfsuite path: cpu {ref_cpu:.1f}s ({1000 * ref_cpu / len(texts):.2f} ms/article)")
        status |= _compare("reference", ref, found)
    return status


def _compare(
    name: str, ref: list[list[tuple[int, int, str]]], found: list[list[tuple[int, int, str]]]
) -> int:
    if len(ref) != len(found):
        print(f"{name}: FAILED, {len(ref)} articles in the reference, {len(found)} tagged")
        return 1
    bad = [i for i, (a, b) in enumerate(zip(ref, found, strict=True)) if a != b]
    total = sum(map(len, ref))
    if bad:
        print(f"{name}: FAILED, {len(bad)} of {len(ref)} articles differ (first: {bad[:5]})")
        return 1
    print(f"{name}: OK, {len(ref)} articles, {total} mentions identical")
    return 0


if __name__ == "__main__":
    sys.exit(main())
