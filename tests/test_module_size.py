"""The product's modules stay small (issue 20: no module under src/rasid over 500 lines)."""

from __future__ import annotations

from pathlib import Path

import rasid

LIMIT = 500


def test_no_product_module_over_the_limit() -> None:
    root = Path(rasid.__file__).resolve().parent
    sizes = {
        p.relative_to(root).as_posix(): len(p.read_text(encoding="utf-8").splitlines())
        for p in root.rglob("*.py")
    }
    assert len(sizes) > 50  # the whole package was read
    over = {name: n for name, n in sizes.items() if n > LIMIT}
    assert not over, f"modules over {LIMIT} lines: {over}"
