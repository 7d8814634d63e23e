"""The web UI over what the REAL pipeline makes of the seed story, read in Chromium.

tests/test_browser.py checks the UI against a hand-built story; this file runs `rasid run` on the
five seeds (via scripts/screenshots.py, the script that makes the docs screenshots, so the docs and
this test see the same thing), serves the store with uvicorn and checks in the browser what a
reader would: one story of five articles, a brief whose statements name several outlets, a
timeline marking the gold dates, an article whose debris sits in the "removed" box and not in the
prose, and a search that folds hamza. Browser set-up, skip rules (RASID_SKIP_BROWSER=1) and
screenshot saving come from tests/test_browser.py. Screenshots go to test-artifacts/pipeline-*.png.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest
from test_browser import _free_port, _shot, browser, page  # noqa: F401  (fixtures used by name)

from rasid.render import ar_count, format_date
from rasid.text.normalize import match_form

REPO = Path(__file__).resolve().parent.parent
SCRIPT = REPO / "scripts" / "screenshots.py"


def _screenshots_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("rasid_screenshots_script", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def script() -> ModuleType:
    return _screenshots_script()


@pytest.fixture(scope="module")
def site(tmp_path_factory, shared, script) -> Iterator[str]:
    """The seeds through the real `rasid run`, served on 127.0.0.1; yields the base URL."""
    db = script.run_pipeline(shared / "seeds", tmp_path_factory.mktemp("pipeline"))
    with script.served(db, _free_port()) as base:
        yield base


def _chips(statement) -> list[str]:  # type: ignore[no-untyped-def]
    """The outlet names shown under a brief statement (badges are not chips)."""
    return [t.strip() for t in statement.locator(".chips .chip").all_inner_texts()]


def test_seed_story_from_the_real_pipeline(browser, page, site, gold, script):  # noqa: F811
    # browser first: without Chromium the test fails (or skips) before running the pipeline
    n_docs = len(gold["documents"])
    outlets = {script.source_label(d["id"]) for d in gold["documents"]}

    # the list: one story, all five articles
    page.goto(site + "/")
    cards = page.locator("ol.stories li.story-card")
    assert cards.count() == 1
    assert ar_count(n_docs, "article") in cards.first.locator(".meta").inner_text()
    _shot(page, "pipeline-list")
    cards.first.locator("h2 a").click()
    page.wait_for_url("**/stories/**")

    # the brief: at least three statements reported by two or more outlets, each chip a real outlet
    statements = page.locator("#brief li.statement")
    assert statements.count() >= 3
    assert statements.first.is_visible()
    shared_statements = 0
    for i in range(statements.count()):
        chips = _chips(statements.nth(i))
        assert chips and set(chips) <= outlets, chips
        if len(set(chips)) >= 2:
            shared_statements += 1
            assert statements.nth(i).locator(".badge.single").count() == 0
    assert shared_statements >= 3

    # the timeline: a labelled day with a mark for each gold date reported by two or more seeds
    svg = page.locator("svg.timeline")
    assert svg.is_visible()
    labels = {t.strip() for t in svg.locator("text.t-date").all_text_contents()}
    widely_reported = sorted({ev["date"] for ev in gold["timeline"] if len(ev["docs"]) >= 2})
    assert len(widely_reported) >= 3
    for day in widely_reported:
        assert format_date(day) in labels, (day, sorted(labels))
    assert svg.locator("circle.mark").count() >= len(widely_reported)
    _shot(page, "pipeline-story")

    # click through to the article whose debris the cleaner removed
    noise = [n for n in gold["noise"] if n["kind"] in {"shortcode", "duplicate_caption"}]
    doc = noise[0]["doc"]
    page.locator(f'#articles a[href="/articles/{doc}"]').click()
    page.wait_for_url(f"**/articles/{doc}")
    prose = page.locator(".prose")
    assert page.locator(".prose p").count() >= 3
    details = page.locator("details.removed")
    assert details.count() == 1
    assert not details.locator("li").first.is_visible()  # collapsed until opened
    details.locator("summary").click()
    assert details.locator("li").first.is_visible()
    kinds = set(details.locator("li .badge").evaluate_all("els => els.map(e => e.title)"))
    assert {"shortcode", "caption"} <= kinds, kinds
    removed_text, prose_text = details.inner_text(), prose.inner_text()
    for item in (n for n in noise if n["doc"] == doc):
        assert item["text"] in removed_text, item["text"]
        assert match_form(item["text"]) not in match_form(prose_text), item["text"]
    _shot(page, "pipeline-article")

    # search without the hamza finds the article that spells it with one
    page.fill(".search-mini input[name=q]", "الاسبوع")
    page.click(".search-mini button")
    page.wait_for_url("**/search?q=*")
    results = page.locator("ol.results li")
    assert results.count() >= 1
    assert match_form("الاسبوع") in match_form(results.first.locator(".snippet").inner_text())
    _shot(page, "pipeline-search")
    assert page.dialogs == []
