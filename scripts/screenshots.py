"""Screenshots of the web UI over what `rasid run` really makes of the seed story.

The docs must show rasid's own output, not a hand-built fixture, so this script runs the real
pipeline: it writes the five seeds (../shared/seeds) as a JSONL feed with their publication dates
from gold.json, calls `rasid.cli.main(["run", ...])` into a temporary SQLite store, serves that
store with uvicorn on 127.0.0.1 (a free port, in a thread), and drives Debian's Chromium with
Playwright (the same executable and flags as tests/test_browser.py) to save:

  docs/screenshots/stories.png  the story list
  docs/screenshots/story.png    the seed story page (brief, timeline, coverage, ...)
  docs/screenshots/article.png  article 001, which had captions and shortcodes removed (list opened)
  docs/screenshots/search.png   a search for "الاسبوع"

Sources: the seed files carry no outlet names (only 000 has a byline), so each seed gets a neutral,
distinct label made from its id: "outlet-000" ... "outlet-004". Neutral labels avoid attributing
text to a real outlet on guesswork.

Size: Pillow is not a dependency, so pages are shot full width (1100 px viewport) and cropped to
the first MAX_HEIGHT pixels; if a PNG is still over MAX_BYTES it is cropped shorter.

Usage: .venv/bin/python scripts/screenshots.py [--seeds ../shared/seeds] [--out docs/screenshots]
Needs `bash scripts/setup-browser.sh` (chromium + fonts) and the dev extra (playwright).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
SEEDS = REPO.parent / "shared" / "seeds"
OUT = REPO / "docs" / "screenshots"
WIDTH = 1100
MAX_HEIGHT = 2500
MAX_BYTES = 400_000
SEARCH_QUERY = "الاسبوع"
ARTICLE_WITH_DEBRIS = "001"


def source_label(seed_id: str) -> str:
    """The neutral outlet name given to a seed (the seeds carry none)."""
    return f"outlet-{seed_id}"


def write_seed_feed(seeds_dir: Path, path: Path) -> Path:
    """The five seeds as a feed would give them: one JSON line each with id, text, date and source."""
    from rasid.evaluate import write_seed_feed

    gold = json.loads((seeds_dir / "gold.json").read_text(encoding="utf-8"))
    return write_seed_feed(seeds_dir, gold, path, source=source_label)


def run_pipeline(seeds_dir: Path, workdir: Path) -> Path:
    """The real `rasid run` on the seed feed into a fresh store in `workdir`; returns the store path."""
    from rasid.cli import main

    feed = write_seed_feed(seeds_dir, workdir / "seeds.jsonl")
    db = workdir / "seeds.db"
    # shipped defaults, pinned: a ./rasid.toml in the working directory must not change the shots,
    # and one process is enough for five articles on a shared machine
    config = workdir / "rasid.toml"
    config.write_text("workers = 1\n", encoding="utf-8")
    status = main(["run", "--config", str(config), "--db", str(db), "--quiet", "--no-progress", str(feed)])
    if status != 0:
        raise RuntimeError(f"rasid run exited with status {status}")
    return db


def largest_story(db: Path) -> str:
    """The id of the story with the most articles (the seed story, when the pipeline is right)."""
    from rasid.store import open_store

    with open_store(str(db)) as store:
        stories = list(store.iter_stories())
    if not stories:
        raise RuntimeError(f"no story in {db}")
    return max(stories, key=lambda s: len(s.articles)).id


@contextmanager
def served(db: Path, port: int, timeout: float = 20.0) -> Iterator[str]:
    """uvicorn serving `db` on 127.0.0.1:`port` in a daemon thread; yields the base URL."""
    import uvicorn

    from rasid.web.app import create_app

    app = create_app(str(db), write_key="", read_key="")
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + timeout
    while not srv.started:
        if time.monotonic() > deadline or not thread.is_alive():
            srv.should_exit = True
            raise RuntimeError(f"uvicorn did not start within {timeout:.0f} s")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        srv.should_exit = True
        thread.join(timeout=10)


def capped_shot(page: Any, path: Path, max_height: int = MAX_HEIGHT, max_bytes: int = MAX_BYTES) -> Path:
    """A full-width shot of the page's top `max_height` px, cropped shorter until under `max_bytes`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    full = int(page.evaluate("document.documentElement.scrollHeight"))
    width = int(page.viewport_size["width"])
    height = min(full, max_height)
    while True:
        page.screenshot(
            path=str(path), full_page=True, clip={"x": 0, "y": 0, "width": width, "height": height}
        )
        if path.stat().st_size <= max_bytes or height <= 600:
            return path
        height = int(height * 0.85)


def take_screenshots(page: Any, base: str, story_id: str, out: Path) -> list[Path]:
    """The four docs shots: story list, the seed story, article 001 with its removed list opened, a search."""
    shots = []
    page.set_viewport_size({"width": WIDTH, "height": 900})
    page.goto(base + "/")
    shots.append(capped_shot(page, out / "stories.png"))
    page.goto(f"{base}/stories/{story_id}")
    shots.append(capped_shot(page, out / "story.png"))
    page.goto(f"{base}/articles/{ARTICLE_WITH_DEBRIS}")
    page.locator("details.removed summary").click()
    shots.append(capped_shot(page, out / "article.png"))
    page.goto(base + "/search")
    page.fill(".search-big input[name=q]", SEARCH_QUERY)
    page.click(".search-big button")
    page.wait_for_url("**/search?q=*")
    shots.append(capped_shot(page, out / "search.png"))
    return shots


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    p.add_argument("--seeds", type=Path, default=SEEDS, help="the seeds folder with gold.json")
    p.add_argument("--out", type=Path, default=OUT, help="where the PNGs go")
    args = p.parse_args(argv)

    # the browser set-up (executable, flags, port picking) lives with the browser tests; reuse it
    sys.path.insert(0, str(REPO / "tests"))
    from playwright.sync_api import sync_playwright
    from test_browser import CHROMIUM, CHROMIUM_ARGS, _free_port

    if not CHROMIUM.exists():
        print(f"Chromium not found at {CHROMIUM}; run `bash scripts/setup-browser.sh`", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory(prefix="rasid-shots-") as tmp:
        db = run_pipeline(args.seeds, Path(tmp))
        story_id = largest_story(db)
        with served(db, _free_port()) as base, sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
            context = browser.new_context(
                viewport={"width": WIDTH, "height": 900}, locale="ar", device_scale_factor=1
            )
            shots = take_screenshots(context.new_page(), base, story_id, args.out)
            context.close()
            browser.close()
    for shot in shots:
        print(f"{shot}  {shot.stat().st_size // 1000} KB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
