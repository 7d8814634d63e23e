"""One composition root: `rasid.runner.build_runner` is the one place a runner is constructed, for
the product, the tests and the benches alike (issue 20). The Dask runner builds the `LocalRunner` of
its own stage half inside `engine/dask.py` (the engine's own composition)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ALLOWED = {"src/rasid/runner.py", "src/rasid/engine/dask.py"}
CONSTRUCTED = re.compile(r"\b(?:Local|Dask)Runner\s*\(")


def test_runners_are_built_only_by_the_composition_root() -> None:
    scanned, found = 0, []
    for folder in ("src", "tests", "bench", "scripts"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            scanned += 1
            name = path.relative_to(ROOT).as_posix()
            for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if CONSTRUCTED.search(line) and name not in ALLOWED:
                    found.append(f"{name}:{n}: {line.strip()}")
    assert scanned > 50, "the sources were not found"
    assert not found, "runners built outside rasid.runner.build_runner:\n" + "\n".join(found)


def test_the_scan_sees_a_construction() -> None:
    assert CONSTRUCTED.search("    r = " + "Local" + "Runner(store=s)")
    assert not CONSTRUCTED.search("LocalRunner.run_stages; DaskRunner")
