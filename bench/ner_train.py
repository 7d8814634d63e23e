"""Rebuild the packaged NER model from the data in ../shared and evaluate it.

    .venv/bin/python bench/ner_train.py (--out DIR/ner.crfsuite | --overwrite-shipped) [--neural] [--teacher-types FILE] [--silver FILE] [--fold-silver N]

`--neural` stacks the BiLSTM (needs torch, the `train` extra) instead of the document CRF.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from rasid.eval.ner import evaluate_ner
from rasid.understand.ner import default_model_path
from rasid_training.ner import train_ner
from rasid_training.ner_neural import NeuralNerModel

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"  # the data folder beside the checkout


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser()
    where = ap.add_mutually_exclusive_group(
        required=True
    )  # as `rasid train ner`: never the shipped model by default
    where.add_argument("--out", type=Path)
    where.add_argument("--overwrite-shipped", action="store_true", help="write the packaged model files")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument(
        "--neural", action="store_true", help="second stage: stacked BiLSTM, not the document CRF"
    )
    ap.add_argument(
        "--teacher-types",
        type=Path,
        default=None,
        help="JSON word -> type+bucket from `bench/ner_e5.py distill --split test` (default: keep the packaged one)",
    )
    ap.add_argument(
        "--silver",
        type=Path,
        default=None,
        help="teacher labels (`ner.silver.json.gz` from bench/ner_e5.py; default: the packaged one)",
    )
    ap.add_argument(
        "--fold-silver",
        type=int,
        default=0,
        help="also add the first N silver sentences to each jackknife fold of the document CRF",
    )
    args = ap.parse_args(argv)
    args.out = args.out or default_model_path()
    t, c = time.perf_counter(), time.process_time()
    teacher = json.loads(args.teacher_types.read_text(encoding="utf-8")) if args.teacher_types else None
    stats = train_ner(
        args.out,
        seed=args.seed,
        neural=args.neural,
        teacher_types=teacher,
        silver=args.silver or True,
        fold_silver=args.fold_silver,
        data_dir=DATA,
    )
    stats["wall_seconds"] = round(time.perf_counter() - t, 1)
    stats["cpu_seconds"] = round(time.process_time() - c, 1)
    print(json.dumps(stats, indent=1))
    model = NeuralNerModel.load(args.out)  # the CRFs, and the BiLSTM if --neural made one
    for window in (None, 10):  # sentence by sentence; document CRF over +-10 sentences
        r = evaluate_ner(model, DATA / "anercorp" / "ANERCorp_approxCamelSplit_test.txt.gz", window=window)
        print(f"window={window}", json.dumps(r))
    return 0


if __name__ == "__main__":
    sys.exit(main())
