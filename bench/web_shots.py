"""Screenshots of the web UI over a real store, at a phone width (390 px) and a desktop width (1280 px).

Serves the store on 127.0.0.1 (a thread, a free port) and drives Debian's Chromium through
Playwright (as tests/test_browser.py does) to shoot the story list, the top-ranked story, one of its
articles and a search, each at both widths, into docs/screenshots/w390-*.png and w1280-*.png (the
first 1,800 or 1,300 px of the page). It prints each page's document width, which must not exceed the
viewport (no sideways scrolling on a phone).

    PYTHONPATH=src .venv/bin/python bench/web_shots.py --db three-days.db --query "خادم الحرمين"
"""

from __future__ import annotations

import argparse
import socket
import sqlite3
import threading
import time
import urllib.parse
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
]


def main() -> None:
    import uvicorn
    from playwright.sync_api import sync_playwright

    from rasid.web.app import create_app

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--db", required=True)
    ap.add_argument("--query", default="خادم الحرمين")
    ap.add_argument("--out", default=str(REPO / "docs" / "screenshots"))
    args = ap.parse_args()
    conn = sqlite3.connect(f"file:{Path(args.db).resolve()}?mode=ro", uri=True)
    story = conn.execute("SELECT id FROM story_list ORDER BY rank DESC LIMIT 1").fetchone()[0]
    article = conn.execute(
        "SELECT id FROM articles WHERE story = ? ORDER BY published IS NULL, published, seq LIMIT 1", (story,)
    ).fetchone()[0]
    conn.close()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    srv = uvicorn.Server(
        uvicorn.Config(
            create_app(args.db, write_key="", read_key=""), host="127.0.0.1", port=port, log_level="warning"
        )
    )
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    while not srv.started:
        time.sleep(0.05)
    q = urllib.parse.quote
    pages = {
        "list": "/",
        "story": f"/stories/{q(story, safe='')}",
        "article": f"/articles/{q(article, safe='')}",
        "search": f"/search?q={q(args.query)}",
    }
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
            for width in (390, 1280):
                page = browser.new_page(viewport={"width": width, "height": 844 if width == 390 else 900})
                for name, path in pages.items():
                    page.goto(f"http://127.0.0.1:{port}{path}")
                    doc_width = page.evaluate("document.documentElement.scrollWidth")
                    height = page.evaluate("document.documentElement.scrollHeight")
                    shot = out / f"w{width}-{name}.png"
                    page.screenshot(
                        path=str(shot),
                        full_page=True,
                        clip={
                            "x": 0,
                            "y": 0,
                            "width": width,
                            "height": min(height, 1800 if width == 390 else 1300),
                        },
                    )
                    print(
                        f"{width} px {name}: document {doc_width} x {height} px"
                        f"{'  WIDER THAN THE SCREEN' if doc_width > width else ''} -> {shot.name}"
                    )
                page.close()
            browser.close()
    finally:
        srv.should_exit = True
        thread.join(10)


if __name__ == "__main__":
    main()
