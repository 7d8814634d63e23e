"""Is `rasid.dedup` the same deduper as another copy of it (e.g. the code before a refactor)?

Streams SaudiNewsNet 2015-08-01 + 08-02 (2,599 articles, time order) through both, and checks every
`add_with_matches` result, the final `duplicate_of`, the saved state's bytes at the middle and at the
end, and that the other copy's state saved at the middle loads into `rasid.dedup` and continues
identically. Then times `add` with both, alternating (CPU ms per article; noisy on a shared machine).

    git show b47ea9a:src/rasid/dedup.py > /tmp/dedup_old.py
    .venv/bin/python bench/dedup_same.py /tmp/dedup_old.py [--reps 2]
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import time
from pathlib import Path

import rasid.dedup as new
from rasid.eval.stories import load_saudinewsnet

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "saudinewsnet"


def load_other(path: Path):
    """The other copy, loaded as a sibling of rasid.dedup so its relative imports work."""
    spec = importlib.util.spec_from_file_location("rasid._dedup_other", path)
    mod = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    sys.modules[spec.name] = mod  # type: ignore[union-attr]
    spec.loader.exec_module(mod)  # type: ignore[union-attr]
    return mod


def plain(result) -> tuple:
    dup, matches = result
    return dup, [(m.article, m.paragraph, m.other, m.other_paragraph, m.score, m.kind) for m in matches]


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("other", type=Path, help="another copy of the deduper module (one file)")
    ap.add_argument("--reps", type=int, default=2)
    args = ap.parse_args(argv)
    old = load_other(args.other)
    arts = sorted(
        load_saudinewsnet([DATA / "2015-08-01.zip", DATA / "2015-08-02.zip"]),
        key=lambda a: (a.published or "", a.id),
    )
    half = len(arts) // 2
    a, b = old.Deduper(), new.Deduper()
    ra = [plain(a.add_with_matches(x)) for x in arts[:half]]
    rb = [plain(b.add_with_matches(x)) for x in arts[:half]]
    mid = a.to_bytes()
    same_mid = mid == b.to_bytes()
    c = new.Deduper.from_bytes(mid)
    ra += [plain(a.add_with_matches(x)) for x in arts[half:]]
    rb += [plain(b.add_with_matches(x)) for x in arts[half:]]
    rc = [plain(c.add_with_matches(x)) for x in arts[half:]]
    final = {x.id: b.duplicate_of(x.id) for x in arts}
    print(
        f"{len(arts)} articles, {sum(1 for d in final.values() if d)} with duplicate_of, "
        f"{sum(len(m) for _, m in rb)} paragraph matches"
    )
    print(
        f"every add_with_matches equal: {ra == rb}; duplicate_of equal: "
        f"{final == {x.id: a.duplicate_of(x.id) for x in arts}}; state bytes equal at the middle: {same_mid}, "
        f"at the end: {a.to_bytes() == b.to_bytes()}"
    )
    print(
        f"the other's middle state loaded here continues identically: {rc == rb[half:]} "
        f"(final state equal: {c.to_bytes() == b.to_bytes()})"
    )
    for rep in range(args.reps):
        for name, mod in (("other", old), ("rasid.dedup", new)):
            d, t = mod.Deduper(), time.process_time()
            for x in arts:
                d.add(x)
            print(
                f"rep {rep} {name:12s} {(time.process_time() - t) / len(arts) * 1000:.2f} ms CPU per article",
                flush=True,
            )


if __name__ == "__main__":
    main()
