"""Feature and regularisation ablations for the NER CRF on the ANERcorp approx-CAMeL test split.

Builds (or reads a cached copy of) the word clusters once, then trains one CRF per configuration
and prints entity-level micro F1 and per-type F1.

    .venv/bin/python bench/ner_ablate.py [--cache /tmp/ner_res.json.gz] [--configs full,no-clus,...]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from rasid.eval.ner import evaluate_ner
from rasid.understand.ner import NerModel, read_conll
from rasid.understand.ner.features import Resources
from rasid_training.ner import TRAIN_FILE, build_resources, train_ner

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"  # the data folder beside the checkout

ALL = ("affix", "gaz", "trig", "clus", "ctx")
CONFIGS: dict[str, tuple[tuple[str, ...], dict]] = {
    "full": (ALL, {}),
    "+core": (ALL + ("core",), {}),
    "+core+wide": (ALL + ("core", "wide"), {}),
    "no-clus": (tuple(f for f in ALL if f != "clus"), {}),
    "no-gaz": (tuple(f for f in ALL if f != "gaz"), {}),
    "no-trig": (tuple(f for f in ALL if f != "trig"), {}),
    "no-affix": (tuple(f for f in ALL if f != "affix"), {}),
    "no-ctx": (tuple(f for f in ALL if f != "ctx"), {}),
    "c1=0.01": (ALL, {"c1": 0.01}),
    "c1=0.1": (ALL, {"c1": 0.1}),
    "c1=0.2": (ALL, {"c1": 0.2}),
    "c2=0.01": (ALL, {"c2": 0.01}),
    "c2=0.2": (ALL, {"c2": 0.2}),
    "iter=200": (ALL, {"max_iterations": 200}),
    "minfreq=1": (ALL, {"feature.minfreq": 1}),
    "c1=0.1+c2=0.1": (ALL, {"c1": 0.1, "c2": 0.1}),
    "c1=0.02+c2=0.3": (ALL, {"c1": 0.02, "c2": 0.3}),
    "c1=0.1+c2=0.01": (ALL, {"c1": 0.1, "c2": 0.01}),
}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "ner_res.json.gz")
    ap.add_argument("--configs", default="full")
    args = ap.parse_args(argv)
    if args.cache.exists():
        res = Resources.load(args.cache)
    else:
        t = time.perf_counter()
        res = build_resources(
            sorted((DATA / "saudinewsnet").glob("*.zip")),
            DATA / "anercorp" / "ANERGazet",
            read_conll(DATA / "anercorp" / TRAIN_FILE),
        )
        res.save(args.cache)
        print(f"resources built in {time.perf_counter() - t:.0f}s", flush=True)
    for name in args.configs.split(","):
        use, params = CONFIGS[name]
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "ner.crfsuite"
            stats = train_ner(out, resources=res, params=params, features=use, stacked=False, data_dir=DATA)
            model = NerModel.load(out)
            model.feats = type(model.feats)(res, use=use)
            r = evaluate_ner(model, DATA / "anercorp" / "ANERCorp_approxCamelSplit_test.txt.gz")
        per = " ".join(f"{t}={r[t]['f1']:.3f}" for t in ("PER", "LOC", "ORG", "MISC"))
        print(
            f"{name:10s} micro P={r['micro']['precision']:.3f} R={r['micro']['recall']:.3f} "
            f"F1={r['micro']['f1']:.4f} {per} | crf {stats['crf_seconds']}s "
            f"{stats['crf_bytes'] / 1e6:.1f}MB {stats['state_features']} feats",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
