"""How closely our own event labels (bench/gold/events/, made by annotation helpers from pooled
candidates) agree with the shared hand labels: the same procedure run blind on a hand-labelled day,
scored like a clustering (B-cubed and pairwise over the day's articles), alone and with its links to
the next day's hand labels (`--next-day`).

    .venv/bin/python bench/events_agreement.py [--labels bench/gold/events/blind-2015-08-01.jsonl]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from stories_lodo import events, extra_days  # noqa: E402

from rasid.eval.stories import bcubed, pairwise  # noqa: E402

HERE = Path(__file__).resolve().parent


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", type=Path, default=HERE.parents[1] / "shared")
    ap.add_argument("--labels", type=Path, default=HERE / "gold" / "events" / "blind-2015-08-01.jsonl")
    ap.add_argument("--next-day", default="2015-08-02", help="the hand-labelled day the labels link to")
    args = ap.parse_args()
    data = args.shared / "data"
    ((day, path),) = extra_days([args.labels]).items()
    ours = events(data, [day], {day: path})
    hand = events(data, [day])
    nxt = events(data, [args.next_day])
    for name, pred, gold in (
        (f"{day} alone", ours, hand),
        (f"{day} with its links to {args.next_day}", {**nxt, **ours}, {**nxt, **hand}),
    ):
        b, p = bcubed(pred, gold, set(hand)), pairwise(pred, gold, set(hand))
        print(
            f"{name}: B3 P {b[0]:.4f} R {b[1]:.4f} F1 {b[2]:.4f} | pairwise P {p[0]:.4f} R {p[1]:.4f} F1 {p[2]:.4f}"
        )


if __name__ == "__main__":
    main()
