"""The web UI in a real browser: Debian's Chromium driven by Playwright, against uvicorn on loopback.

Needs `scripts/setup-browser.sh` (chromium + fonts) and the `playwright` Python package; never
`playwright install`. Without Chromium these tests FAIL with a message saying what to run, unless
RASID_SKIP_BROWSER=1 asks to skip them. Screenshots go to test-artifacts/; with
RASID_UPDATE_SCREENSHOTS=1 the story and article pages are also saved to docs/screenshots/.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_web import SEED_STORY, XSS_STORY, build_seed_store

REPO = Path(__file__).resolve().parent.parent
ARTIFACTS = REPO / "test-artifacts"
DOCS_SHOTS = REPO / "docs" / "screenshots"
CHROMIUM = Path(os.environ.get("RASID_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _unavailable(reason: str) -> None:
    if os.environ.get("RASID_SKIP_BROWSER") == "1":
        pytest.skip(f"browser tests skipped (RASID_SKIP_BROWSER=1): {reason}")
    pytest.fail(
        f"{reason}; run `bash scripts/setup-browser.sh`, or set RASID_SKIP_BROWSER=1 to skip", pytrace=False
    )


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory, gold, seed_texts) -> Iterator[str]:
    """uvicorn serving the seed store on 127.0.0.1, in a thread; yields the base URL."""
    import uvicorn

    from rasid.web.app import create_app

    db = build_seed_store(tmp_path_factory.mktemp("browser") / "ui.db", gold, seed_texts, clean=True)
    port = _free_port()
    srv = uvicorn.Server(
        uvicorn.Config(
            create_app(str(db), write_key="", read_key=""),
            host="127.0.0.1",
            port=port,
            log_level="warning",
            lifespan="on",
        )
    )
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not srv.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("uvicorn did not start within 20 s")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not CHROMIUM.exists():
        _unavailable(f"Chromium not found at {CHROMIUM}")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("the playwright Python package is not installed (pip install -e '.[dev]')")
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture()
def page(browser):
    context = browser.new_context(viewport={"width": 1180, "height": 900}, locale="ar", device_scale_factor=1)
    pg = context.new_page()
    dialogs: list[str] = []
    pg.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    pg.dialogs = dialogs  # type: ignore[attr-defined]
    yield pg
    context.close()


def _shot(pg, name: str, docs: bool = False, full: bool = True) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    pg.screenshot(path=str(path), full_page=full)
    if docs and os.environ.get("RASID_UPDATE_SCREENSHOTS") == "1":
        DOCS_SHOTS.mkdir(parents=True, exist_ok=True)
        pg.screenshot(path=str(DOCS_SHOTS / f"{name}.png"), full_page=False)
    return path


def test_read_a_story_then_an_article_then_search(server, page, gold):
    page.goto(server + "/")
    assert page.locator("html").get_attribute("dir") == "rtl"
    story_link = page.locator(f'a[href="/stories/{SEED_STORY}"]')
    assert story_link.count() == 1
    _shot(page, "list")
    story_link.click()
    page.wait_for_url(f"**/stories/{SEED_STORY}")

    brief = page.locator("#brief li.statement")
    assert brief.count() >= 4
    assert brief.first.is_visible()
    assert page.locator("#brief .badge.single").count() >= 1
    assert page.locator("#brief .badge.disputed").count() == 1
    svg = page.locator("svg.timeline")
    assert svg.is_visible()
    assert svg.locator("circle").count() == len(gold["timeline"])
    box = svg.bounding_box()
    assert box is not None and box["width"] > 500 and box["height"] > 200
    # the Arabic font from fonts-noto-core is the one used
    family = page.evaluate("getComputedStyle(document.body).fontFamily")
    assert "Noto Naskh Arabic" in family
    assert page.locator("table.matrix tbody tr").count() == brief.count()
    _shot(page, "story-full")
    # a readable first screen for the docs
    page.set_viewport_size({"width": 1100, "height": 1500})
    _shot(page, "story", docs=True, full=False)

    page.locator("#articles a").first.click()
    page.wait_for_url("**/articles/**")
    paragraphs = page.locator(".prose p")
    assert paragraphs.count() >= 3 and paragraphs.first.is_visible()
    details = page.locator("details.removed")
    if details.count():
        assert not details.locator("li").first.is_visible()  # collapsed until opened
        details.locator("summary").click()
        assert details.locator("li").first.is_visible()
    _shot(page, "article-first")
    # the docs shot: an article with a headline and cleaning debris, the removed list opened
    page.goto(server + "/articles/001")
    page.locator("details.removed summary").click()
    page.set_viewport_size({"width": 1100, "height": 1400})
    _shot(page, "article", docs=True, full=False)

    page.fill(".search-mini input[name=q]", "فوستوشني")
    page.click(".search-mini button")
    page.wait_for_url("**/search?q=*")
    results = page.locator("ol.results li")
    assert results.count() >= 1
    assert "فوستوشني" in results.first.inner_text()
    _shot(page, "search")
    assert page.dialogs == []


def test_french_paragraph_reads_left_to_right(server, page):
    page.goto(server + "/articles/002")
    fr = page.locator('.prose p[lang="fr"]')
    assert fr.count() >= 1
    assert page.evaluate("el => getComputedStyle(el).direction", fr.first.element_handle()) == "ltr"
    ar = page.locator('.prose p[lang="ar"]').first
    assert page.evaluate("el => getComputedStyle(el).direction", ar.element_handle()) == "rtl"


def test_hostile_story_runs_no_script(server, page):
    for path in ("/", f"/stories/{XSS_STORY}", "/articles/xss-1", "/search?q=onerror"):
        page.goto(server + path)
        assert page.locator("script").count() == 0, path
        assert page.locator("main img").count() == 0, path
    assert page.dialogs == []
    page.goto(server + "/articles/xss-1")
    assert "<script>alert(1)</script>" in page.locator("h1").inner_text()
    assert page.locator('a[href^="javascript"]').count() == 0
    _shot(page, "hostile-article")
