"""Bench: the streamed stories' ceiling on a held-out day, every threshold setting tried on that day.

A fold's scorers (a `--keep-models` folder of `bench/stories_lodo.py`) stream the day before and the
day into a fresh store, once per setting of their join, core (and merge) thresholds, through the real
pipeline as `bench/stories_lodo.py` runs it. The day is scored the same way (its pairs with the day
before included). The best setting is a ceiling, not a held-out figure: it is chosen on the day scored.

    .venv/bin/python bench/stories_threshold_grid.py --models DIR/2015-08-02 --day 2015-08-02
        [--join 0.2 0.3 0.4] [--core 0.0 0.1 0.2] [--merge 0.5 0.85]
"""

from __future__ import annotations

import argparse
import itertools
import json
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from stories_lodo import BEFORE, day_golds, pipeline, score_stories  # noqa: E402


def with_thresholds(models: Path, out: Path, join: float, core: float, merge: float | None) -> Path:
    """A copy of the scorers in `models` with these thresholds (merge None: the folder's own)."""
    shutil.copytree(models, out)
    for name, value in (("story_model.json", join), ("story_pair.json", core), ("story_merge.json", merge)):
        if value is not None:
            d = json.loads((out / name).read_text(encoding="utf-8"))
            d["threshold"] = value
            (out / name).write_text(json.dumps(d), encoding="utf-8")
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", type=Path, default=Path(__file__).resolve().parents[2] / "shared")
    ap.add_argument("--models", type=Path, required=True, help="a fold's scorers")
    ap.add_argument("--day", required=True, choices=sorted(BEFORE))
    ap.add_argument("--join", type=float, nargs="+", default=[0.2, 0.3, 0.4])
    ap.add_argument("--core", type=float, nargs="+", default=[0.0, 0.1, 0.2, 0.3])
    ap.add_argument("--merge", type=float, nargs="*", default=[], help="default: the folder's own")
    args = ap.parse_args()
    data = args.shared / "data"
    golds = day_golds(data, args.day)
    rows = []
    for join, core, merge in itertools.product(args.join, args.core, args.merge or [None]):
        with tempfile.TemporaryDirectory() as t:
            tmp = Path(t)
            models = with_thresholds(args.models, tmp / "models", join, core, merge)
            db = pipeline(data, [BEFORE[args.day], args.day], models, tmp)
            r = score_stories(db, golds)
        b, p = r["bcubed"], r["pairwise"]
        rows.append((join, core, merge, b["f1"], p["f1"]))
        print(
            f"join {join:.2f} core {core:.2f} merge {merge if merge is not None else 'own'}: "
            f"B3 {b['f1']:.4f} pairwise P {p['p']:.3f} R {p['r']:.3f} F1 {p['f1']:.4f}",
            flush=True,
        )
    best_p = max(rows, key=lambda r: r[4])
    print(
        f"best pairwise {best_p[4]:.4f} (B3 {best_p[3]:.4f}) at join {best_p[0]} core {best_p[1]} merge {best_p[2]}"
    )
    print(f"best B3 {max(r[3] for r in rows):.4f} over {len(rows)} settings")


if __name__ == "__main__":
    main()
