"""`rasid watch`: a feed served on 127.0.0.1, polled with conditional GET, items' pages fetched,
new items picked up while it runs, killed and restarted without losing or doubling anything."""

from __future__ import annotations

import hashlib
import html
import io
import json
import os
import signal
import subprocess
import sys
import threading
import time
import zipfile
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from rasid.cli import main
from rasid.outlets import display_name
from rasid.settings import load_settings
from rasid.store import open_store
from rasid.watch import Watcher, load_state, parse_duration

REPO = Path(__file__).resolve().parent.parent


class NewsSite:
    """A feed and its article pages; the feed honours ETag (304 when it matches)."""

    def __init__(self, articles: list[dict], channel: str = "سكاي نيوز عربية | الخليج") -> None:
        self.articles = articles
        self.channel = channel
        self.published: list[int] = []  # indexes of articles in the feed
        self.log: list[tuple[str, int]] = []  # (path, status) of every request
        self.robots = "User-agent: *\nDisallow: /private/\n"
        self.lock = threading.Lock()
        self.page_served = threading.Event()
        self.proxied: list[str] = []

    def publish(self, *indexes: int) -> None:
        with self.lock:
            self.published.extend(indexes)

    def feed(self) -> bytes:
        items = []
        for i in self.published:
            a = self.articles[i]
            folder = "private" if a.get("private") else "news"
            summary = f"<description>{html.escape(a['summary'])}</description>" if a.get("summary") else ""
            items.append(
                f"<item><title>{html.escape(a['title'])}</title>{summary}"
                f"<link>{self.base}/{folder}/{i}.html</link><guid>{self.base}/{folder}/{i}.html</guid></item>"
            )
        return (
            f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
            f"<title>{html.escape(self.channel)}</title><link>{self.base}/</link><description>x</description>"
            f"{''.join(items)}</channel></rss>"
        ).encode()

    def page(self, i: int) -> bytes:
        a = self.articles[i]
        body = "".join(f"<p>{html.escape(p)}</p>" for p in a["content"].split("\n") if p.strip())
        return (
            f'<!doctype html><html lang="ar"><head><meta charset="utf-8"><title>{html.escape(a["title"])}</title>'
            f"</head><body><article><h1>{html.escape(a['title'])}</h1>{body}</article></body></html>"
        ).encode()

    def handler(self) -> type[BaseHTTPRequestHandler]:
        site = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                path = self.path.split("?", 1)[0]
                if path.startswith("http://"):  # a request for a proxy: the absolute URI
                    site.proxied.append(path)
                    path = "/" + path.split("/", 3)[3]
                with site.lock:
                    status, body, ctype, headers = site.answer(path, self.headers.get("If-None-Match"))
                    site.log.append((path, status))
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                if status != 304:
                    self.send_header("Content-Type", ctype)
                    self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if status != 304:
                    self.wfile.write(body)
                if path.startswith("/news/"):
                    site.page_served.set()

        return Handler

    def answer(self, path: str, etag_in: str | None) -> tuple[int, bytes, str, dict[str, str]]:
        if path == "/robots.txt":
            return 200, self.robots.encode(), "text/plain", {}
        if path == "/feed.xml":
            body = self.feed()
            etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
            if etag_in == etag:
                return 304, b"", "", {"ETag": etag}
            return 200, body, "application/rss+xml; charset=utf-8", {"ETag": etag}
        for folder in ("/news/", "/private/"):
            if path.startswith(folder) and path.endswith(".html"):
                i = int(path[len(folder) : -5])
                return 200, self.page(i), "text/html; charset=utf-8", {}
        if path == "/busy.xml":
            return 503, b"busy", "text/plain", {"Retry-After": "120"}
        return 404, b"not found", "text/plain", {}

    def feed_statuses(self) -> list[int]:
        with self.lock:
            return [s for p, s in self.log if p == "/feed.xml"]

    def pages_fetched(self, folder: str = "/news/") -> list[str]:
        with self.lock:
            return [p for p, s in self.log if p.startswith(folder)]


@pytest.fixture()
def site(shared: Path) -> Iterator[NewsSite]:
    with zipfile.ZipFile(shared / "data" / "saudinewsnet" / "2015-08-01.zip") as zf:
        articles = json.loads(zf.read(zf.namelist()[0]))
    picked = [a for a in articles if a["title"].strip() and a["content"].count("\n") >= 2][:8]
    s = NewsSite(picked)
    server = ThreadingHTTPServer(("127.0.0.1", 0), s.handler())
    s.base = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield s
    server.shutdown()
    server.server_close()


def test_parse_duration() -> None:
    assert parse_duration("5s") == 5 and parse_duration("10m") == 600 and parse_duration("2h") == 7200
    assert parse_duration("90") == 90
    for bad in ("", "ten minutes", "-5s", "0s", "5y"):
        with pytest.raises(ValueError, match="invalid duration"):
            parse_duration(bad)


def _watcher(db: Path) -> tuple[Watcher, object]:
    from rasid.process import default_text_pipeline

    settings = load_settings(env={}, db=str(db), allow_private=True)
    store = open_store(str(db))
    return Watcher(settings, store, default_text_pipeline(), ()), store


def test_title_only_items_pages_fetched_outlet_and_304(tmp_path: Path, site: NewsSite) -> None:
    site.publish(0, 1)
    site.articles[2]["private"] = True  # robots.txt disallows its page
    site.publish(2)
    watcher, store = _watcher(tmp_path / "w.db")
    url = site.base + "/feed.xml"
    try:
        first = watcher.poll(url)
        assert first.status == "new" and len(first.added) == 3 and first.pages == 2
        assert site.pages_fetched("/private/") == []  # robots.txt respected
        assert any("robots.txt" in e.reason for e in first.errors)
        arts = {a.id: a for a in store.iter_articles()}
        page0 = arts[f"{site.base}/news/0.html"]
        # The page's text, not just the feed's title, and the title from the feed.
        assert page0.title == site.articles[0]["title"].strip()
        assert site.articles[0]["content"].split("\n")[-1].strip()[:40] in page0.text
        # The outlet is the channel's name without its section, as one outlet id.
        assert {a.source for a in arts.values()} == {"skynewsarabia"}
        assert display_name(page0.source) == "سكاي نيوز عربية"
        # The private item is kept with what the feed gave: its title.
        kept = arts[f"{site.base}/private/2.html"]
        assert kept.text.strip() == site.articles[2]["title"].strip() and kept.title
        assert load_state(store, url).etag
        # Nothing new: the server answers 304 and nothing is fetched again.
        second = watcher.poll(url)
        assert second.status == "unchanged" and site.feed_statuses() == [200, 304], second
        before = len(site.pages_fetched())
        # An item with only a short summary has its page fetched too.
        site.articles[3]["summary"] = site.articles[3]["content"].split("\n")[0][:200]
        site.publish(3)
        third = watcher.poll(url)
        assert third.status == "new" and len(third.added) == 1 and third.pages == 1
        assert len(site.pages_fetched()) == before + 1  # only the new item's page
        art3 = store.get_article(f"{site.base}/news/3.html")
        assert art3 is not None and len(art3.text) > 2 * len(site.articles[3]["summary"])
        assert store.count_articles() == 4
        # A page (not a feed) is watched too: stored once, however often it is polled.
        page = f"{site.base}/news/7.html"
        assert len(watcher.poll(page).added) == 1
        again = watcher.poll(page)
        assert again.status == "new" and again.added == [] and store.count_articles() == 5
    finally:
        watcher.close()
        store.close()


def test_errors_back_off_and_do_not_stop_the_others(tmp_path: Path, site: NewsSite) -> None:
    site.publish(0)
    watcher, store = _watcher(tmp_path / "b.db")
    clock = [0.0]
    slept: list[float] = []
    watcher.clock = lambda: clock[0]

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        clock[0] += seconds

    watcher.sleep = sleep
    results: list[tuple[str, str, float]] = []
    try:
        watcher.run(
            [site.base + "/missing.xml", site.base + "/busy.xml", site.base + "/feed.xml"],
            10.0,
            lambda r: results.append((r.url.rsplit("/", 1)[1], r.status, clock[0])),
            max_rounds=8,
        )
    finally:
        watcher.close()
        store.close()

    def polls(name: str) -> list[float]:
        return [t for n, _, t in results if n == name]

    assert {s for n, s, _ in results if n != "feed.xml"} == {"error"}
    assert [s for n, s, _ in results if n == "feed.xml"][:2] == ["new", "unchanged"]
    assert polls("feed.xml") == [0, 10, 20, 30, 40, 50, 60, 70]  # every 10 s
    assert polls("missing.xml") == [0, 20, 60]  # a failing input waits 20 s, then 40 s
    assert polls("busy.xml") == [0]  # 503 with Retry-After: 120 waits 120 s


def test_proxy_from_environment(tmp_path: Path, site: NewsSite, monkeypatch: pytest.MonkeyPatch) -> None:
    """With http_proxy set, requests go to the proxy by name (here the site itself, which answers
    an absolute-URI request like a proxy would); a name this machine cannot resolve still works."""
    site.publish(0)
    monkeypatch.setenv("http_proxy", site.base)
    monkeypatch.delenv("no_proxy", raising=False)
    monkeypatch.delenv("NO_PROXY", raising=False)
    watcher, store = _watcher(tmp_path / "p.db")
    try:
        result = watcher.poll("http://feeds.rasid-test.invalid/feed.xml")
    finally:
        watcher.close()
        store.close()
    assert result.status == "new" and len(result.added) == 1, result.errors
    assert site.feed_statuses() == [200]
    assert "http://feeds.rasid-test.invalid/feed.xml" in site.proxied


def _spawn(db: Path, url: str, *extra: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO / "src"), "RASID_WORKERS": "1"}
    env.pop("http_proxy", None)
    env.pop("HTTP_PROXY", None)
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "rasid.cli",
            "watch",
            "--db",
            str(db),
            "--allow-private",
            "--every",
            "1s",
            url,
            *extra,
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait(cond, timeout: float = 120.0) -> None:  # type: ignore[no-untyped-def]
    end = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > end:
            raise AssertionError("timed out waiting")
        time.sleep(0.1)


def _ids(db: Path) -> list[str]:
    out = io.StringIO()
    assert main(["export", "--db", str(db), "--what", "articles"], out=out) == 0
    return [json.loads(x)["id"] for x in out.getvalue().splitlines()]


def test_watch_picks_up_new_items_and_survives_kill(tmp_path: Path, site: NewsSite) -> None:
    db = tmp_path / "k.db"
    url = site.base + "/feed.xml"
    site.publish(0, 1)
    proc = _spawn(db, url)
    try:
        # Its polls after the first are answered 304 ...
        _wait(lambda: site.feed_statuses()[:3] == [200, 304, 304] or proc.poll() is not None)
        assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
        assert sorted(_ids(db)) == sorted(f"{site.base}/news/{i}.html" for i in (0, 1))
        # ... an item added while it runs is picked up ...
        site.page_served.clear()
        site.publish(2)
        _wait(lambda: f"{site.base}/news/2.html" in _ids(db))
        # ... and killed in the middle of a poll (its page just served, not yet stored) ...
        site.page_served.clear()
        site.publish(3, 4, 5)
        _wait(site.page_served.is_set)
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(30)
    # ... started again, it loses and doubles nothing.
    proc = _spawn(db, url, "--polls", "2")
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err
    ids = _ids(db)
    assert len(ids) == len(set(ids)) == 6
    assert sorted(ids) == sorted(f"{site.base}/news/{i}.html" for i in range(6))
    assert "not modified" in out  # its second poll: 304


def test_watch_usage_errors(tmp_path: Path) -> None:
    for argv, needle in (
        (["watch", "feed.xml"], "http(s) URLs"),
        (["watch", "http://127.0.0.1:9/feed.xml", "--every", "soon"], "invalid duration 'soon'"),
    ):
        err = io.StringIO()
        assert main([*argv, "--db", str(tmp_path / "u.db")], out=io.StringIO(), err=err) == 2
        assert needle in err.getvalue() and err.getvalue().count("\n") == 1
    assert not (tmp_path / "u.db").exists()


def test_crawl_delay_between_pages_of_one_site(tmp_path: Path, site: NewsSite) -> None:
    site.robots = "User-agent: *\nCrawl-delay: 5\n"
    site.publish(0, 1, 2)
    watcher, store = _watcher(tmp_path / "c.db")
    clock = [0.0]
    slept: list[float] = []
    watcher.clock = watcher.robots.clock = lambda: clock[0]

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        clock[0] += seconds

    watcher.sleep = sleep
    try:
        result = watcher.poll(site.base + "/feed.xml")
    finally:
        watcher.close()
        store.close()
    assert result.pages == 3 and slept == [5.0, 5.0]  # no wait before the first page


def test_a_failing_runner_is_an_error_and_the_poll_is_repeated(tmp_path: Path, site: NewsSite) -> None:
    site.publish(0)
    watcher, store = _watcher(tmp_path / "f.db")

    from rasid.pipeline import BaseStage

    class Broken(BaseStage):
        def update(self, *args: object) -> list[str]:
            raise RuntimeError("stage broke")

    watcher.stages = [Broken()]
    url = site.base + "/feed.xml"
    try:
        failed = watcher.poll(url)
        assert failed.status == "error" and "stage broke" in failed.errors[0].reason
        assert load_state(store, url).etag is None  # validators not saved: the next poll is full
        watcher.stages = []
        again = watcher.poll(url)
        assert again.status == "new" and site.feed_statuses() == [200, 200]
        assert store.count_articles() == 1  # stored once (by the first poll), not twice
    finally:
        watcher.close()
        store.close()
