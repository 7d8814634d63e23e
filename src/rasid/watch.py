"""Following news: poll feeds and pages, process what is new as it arrives (`rasid watch`).

Each poll of an input is one conditional GET (If-None-Match / If-Modified-Since from the last
answer); a 304 costs nothing more. A feed's entries not yet in the store become documents: an
entry that carries its full text is used as it is, one with only a summary or only a title and a
link has its page fetched (main text through trafilatura). robots.txt is asked before every
page and feed (RFC 9309: a missing robots.txt allows everything, an unreachable one nothing), and
its Crawl-delay is kept between the pages fetched from one site.
The new documents go through the same runner as `rasid run`.

Safe to kill at any moment: the validators (ETag, Last-Modified) are saved only after the poll's
articles are stored, and an entry whose id is in the store is never fetched again, so a poll cut
short is simply repeated; the store adds nothing twice. State lives in the store (a blob per
input), so a restarted watch goes on where the last one stopped. Errors back off per input:
the interval doubles with each failed poll, up to `watch_max_backoff`.
"""

from __future__ import annotations

import io
import json
import re
import time
import urllib.robotparser
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit

from .ingest import Ingestor, _url_kind, with_outlets
from .ingest.common import Refused, decode_text, html_charset
from .ingest.dates import normalize_date
from .ingest.feeds import _as_text, _entry_date, _plain, vet_xml
from .ingest.web import Fetched, Fetcher, HTTPRefused
from .model import IngestError, RawDoc
from .pipeline import Store
from .process import TextPipeline
from .runner import build_runner
from .settings import Settings
from .store.protocols import StateBlobs

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|sec|m|min|h|d)?\s*$", re.IGNORECASE)
_UNIT_SECONDS = {"s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600, "d": 86400}
_STATE_PREFIX = "watch:"
_ROBOTS_TTL = 24 * 3600.0
_MAX_CRAWL_DELAY = 60.0


def parse_duration(text: str) -> float:
    """'5s', '10m', '2h', '1d' (or bare seconds) -> seconds; ValueError naming the text."""
    m = _DURATION.match(text or "")
    if not m or float(m.group(1)) <= 0:
        raise ValueError(f"invalid duration {text!r} (use a positive number with s, m, h or d: 5s, 10m, 2h)")
    return float(m.group(1)) * _UNIT_SECONDS[(m.group(2) or "s").lower()]


@dataclass(slots=True)
class InputState:
    """What is kept between polls of one input: the validators of its last full answer."""

    etag: str | None = None
    last_modified: str | None = None

    def headers(self) -> dict[str, str]:
        out = {}
        if self.etag:
            out["If-None-Match"] = self.etag
        if self.last_modified:
            out["If-Modified-Since"] = self.last_modified
        return out


def load_state(store: StateBlobs, url: str) -> InputState:
    raw = store.get_blob(_STATE_PREFIX + url)
    if not raw:
        return InputState()
    try:
        data = json.loads(raw)
    except ValueError:
        return InputState()
    return InputState(etag=data.get("etag"), last_modified=data.get("last_modified"))


def save_state(store: StateBlobs, url: str, state: InputState) -> None:
    data = {"etag": state.etag, "last_modified": state.last_modified}
    store.put_blob(_STATE_PREFIX + url, json.dumps(data).encode("utf-8"))


@dataclass(slots=True)
class PollResult:
    """One poll of one input."""

    url: str
    status: str  # "new" (a full answer, read), "unchanged" (304), "error"
    added: list[str] = field(default_factory=list)
    already_stored: int = 0
    pages: int = 0  # item pages fetched for their text
    stories: list[str] = field(default_factory=list)
    errors: list[IngestError] = field(default_factory=list)
    retry_after: float | None = None  # what the server asked (Retry-After on a 429 or 503)


@dataclass(slots=True)
class _FeedItem:
    key: str  # the article id: the entry's id, else its link
    link: str | None
    title: str | None
    text: str  # full content, or the summary ("" for a title-only item)
    full: bool  # whether `text` is the article (content, or a summary long enough to be one)
    published: str | None
    raw_date: str | None
    author: str | None
    lang: str | None
    source: str | None


class Robots:
    """robots.txt per origin, fetched through the same guarded Fetcher, kept for a day."""

    def __init__(self, fetcher: Fetcher, agent: str, clock: Callable[[], float] = time.monotonic) -> None:
        self.fetcher = fetcher
        self.agent = agent
        self.clock = clock
        self._rules: dict[str, tuple[float, urllib.robotparser.RobotFileParser | bool]] = {}

    def allowed(self, url: str) -> bool:
        rules = self._for(url)
        if isinstance(rules, bool):
            return rules
        return rules.can_fetch(self.agent, url)

    def delay(self, url: str) -> float:
        """The Crawl-delay the site asks of us between requests (0 without one), at most a minute."""
        rules = self._for(url)
        if isinstance(rules, bool):
            return 0.0
        value = rules.crawl_delay(self.agent)
        return min(float(value), _MAX_CRAWL_DELAY) if value else 0.0

    def _for(self, url: str) -> urllib.robotparser.RobotFileParser | bool:
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        cached = self._rules.get(origin)
        if cached is None or self.clock() - cached[0] > _ROBOTS_TTL:
            cached = (self.clock(), self._fetch(origin))
            self._rules[origin] = cached
        return cached[1]

    def _fetch(self, origin: str) -> urllib.robotparser.RobotFileParser | bool:
        try:
            got = self.fetcher.fetch(origin + "/robots.txt")
        except HTTPRefused as exc:
            return exc.status < 500  # 4xx: no rules, all allowed; 5xx: unreachable, nothing allowed
        except Refused:
            return False
        parser = urllib.robotparser.RobotFileParser()
        parser.parse(got.body.decode("utf-8", errors="replace").splitlines())
        return parser


class _Docs:
    """A Reader over documents already read (one poll's new items)."""

    def __init__(self, items: Sequence[RawDoc | IngestError]) -> None:
        self.items = items

    def read(self, source: str) -> Iterator[RawDoc | IngestError]:
        yield from self.items


class Watcher:
    """Polls inputs into one store (see the module docstring). One per `rasid watch`."""

    def __init__(
        self,
        settings: Settings,
        store: Store,
        text: TextPipeline,
        stages: Sequence[Any] = (),
        ingestor: Ingestor | None = None,
        on_error: Callable[[IngestError], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        from .ingest.web import make_client

        self.settings = settings
        self.store = store
        self.text = text
        self.stages = stages
        self._client = make_client(settings)
        self.ingestor = ingestor or Ingestor(settings, client=self._client)
        self.fetcher = Fetcher(settings, self._client)
        self.robots = Robots(self.fetcher, _agent_token(settings.user_agent), clock)
        self.on_error = on_error
        self.clock = clock
        self.sleep = sleep
        self._last_request: dict[str, float] = {}  # origin -> when an item page was last fetched

    def close(self) -> None:
        self._client.close()

    # -- the loop -------------------------------------------------------------------------------

    def run(
        self,
        inputs: Sequence[str],
        every: float,
        report: Callable[[PollResult], None] | None = None,
        max_rounds: int | None = None,
    ) -> None:
        """Poll every input each `every` seconds until stopped (or `max_rounds` rounds, for tests).
        An input whose poll failed waits twice as long each time, up to `watch_max_backoff`."""
        due = dict.fromkeys(inputs, self.clock())
        failures = dict.fromkeys(inputs, 0)
        rounds = 0
        while True:
            for url in inputs:
                if due[url] > self.clock():
                    continue
                result = self.poll(url)
                if report is not None:
                    report(result)
                failures[url] = failures[url] + 1 if result.status == "error" else 0
                wait = every * (2 ** failures[url]) if failures[url] else every
                wait = min(wait, max(every, self.settings.watch_max_backoff))
                if result.retry_after is not None:  # the server's word wins, within the back-off cap
                    wait = max(wait, min(result.retry_after, self.settings.watch_max_backoff))
                due[url] = self.clock() + wait
            rounds += 1
            if max_rounds is not None and rounds >= max_rounds:
                return
            self.sleep(max(0.0, min(due.values()) - self.clock()))

    # -- one poll -------------------------------------------------------------------------------

    def poll(self, url: str) -> PollResult:
        """One conditional GET of `url`; what is new goes through the runner. Never raises for
        a bad input or a failure while processing it: the reason is in the result's errors (and
        the poll is repeated in full next time, its validators unsaved)."""
        try:
            return self._poll(url)
        except Exception as exc:  # noqa: BLE001 - one input's failure must not stop the watch
            return self._failed(url, f"unexpected error: {type(exc).__name__}: {exc}")

    def _poll(self, url: str) -> PollResult:
        state = load_state(self.store, url)
        try:
            if not self.robots.allowed(url):
                raise Refused("disallowed by robots.txt")
            fetched = self.fetcher.fetch(url, state.headers())
        except HTTPRefused as exc:
            failed = self._failed(url, exc.reason)
            failed.retry_after = exc.retry_after
            return failed
        except Refused as exc:
            return self._failed(url, exc.reason)
        if fetched.status == 304:
            return PollResult(url, "unchanged")
        if not fetched.body.strip():
            return self._failed(url, "empty response")
        kind = _url_kind(fetched.content_type, fetched.body, fetched.url)
        result = PollResult(url, "new")
        try:
            docs = list(
                self._feed_docs(url, fetched, result) if kind == "feed" else self._page_docs(url, fetched)
            )
        except Refused as exc:
            return self._failed(url, exc.reason)
        if docs:
            runner = build_runner(
                self.store,
                self.settings,
                _Docs(docs),
                text=self.text,
                stages=self.stages,
                workers=self.settings.workers or 1,
                on_error=self.on_error,
                engine="local",
            )
            summary = runner.run([url])
            result.added, result.already_stored = list(summary.added), summary.already_stored
            result.stories = list(summary.stories)
            result.errors.extend(e for e in summary.errors if e not in result.errors)
        # Only now: a watch killed before this line polls again in full, and stores nothing twice.
        save_state(self.store, url, InputState(fetched.etag, fetched.last_modified))
        return result

    def _failed(self, url: str, reason: str) -> PollResult:
        error = IngestError(url, reason)
        if self.on_error is not None:
            self.on_error(error)
        return PollResult(url, "error", errors=[error])

    def _page_docs(self, url: str, fetched: Fetched) -> Iterator[RawDoc | IngestError]:
        if self.store.has_article(url) or self.store.has_article(fetched.url):
            return
        docs = self.ingestor._parse(
            _url_kind(fetched.content_type, fetched.body, fetched.url),
            fetched.body,
            url,
            url=fetched.url,
            charset=fetched.charset,
            content_type=fetched.content_type,
        )
        yield from with_outlets(docs, self.ingestor.outlets)

    def _feed_docs(self, url: str, fetched: Fetched, result: PollResult) -> Iterator[RawDoc | IngestError]:
        import feedparser

        vet_xml(fetched.body)
        headers = {"content-type": fetched.content_type} if fetched.content_type else {}
        parsed = feedparser.parse(
            io.BytesIO(fetched.body), response_headers=headers, resolve_relative_uris=False
        )
        if not parsed.get("version") and not parsed.entries:
            raise Refused("not an RSS or Atom feed")
        feed_title = _plain(parsed.feed.get("title"))
        feed_lang = parsed.feed.get("language") or None
        for n, entry in enumerate(parsed.entries, 1):
            item = self._item(entry, feed_title, feed_lang, fetched.url)
            origin = f"{url}#{n}"
            if item is None:
                yield IngestError(origin, "feed entry has no id, link, title or text")
                continue
            if self.store.has_article(item.key):
                continue
            if item.raw_date and item.published is None:
                yield IngestError(
                    origin, f"unparseable published date {item.raw_date!r}; article kept without a date"
                )
            doc = self._item_doc(item, origin, result)
            if isinstance(doc, IngestError):
                yield doc
                continue
            yield from with_outlets(iter([doc]), self.ingestor.outlets)

    def _item(self, entry: Any, feed_title: str | None, feed_lang: str | None, base: str) -> _FeedItem | None:
        contents = entry.get("content") or []
        content = ""
        if contents:
            best = max(contents, key=lambda c: len(c.get("value") or ""))
            content = _as_text(best.get("value"), best.get("type"))
        detail = entry.get("summary_detail") or {}
        summary = _as_text(entry.get("summary"), detail.get("type"))
        title_detail = entry.get("title_detail") or {}
        title = _as_text(entry.get("title"), title_detail.get("type")) or None
        link = urljoin(base, entry["link"]) if entry.get("link") else None  # a relative link: the feed's
        key = entry.get("id") or link
        if not key or not (title or content or summary):
            return None
        published, raw = _entry_date(entry)
        source = _plain(entry.get("source", {}).get("title")) if entry.get("source") else None
        text = content or summary
        full = bool(content) or len(summary) >= self.settings.watch_summary_chars
        return _FeedItem(
            key=key,
            link=link,
            title=title,
            text=text,
            full=full,
            published=published,
            raw_date=raw,
            author=entry.get("author") or None,
            lang=(title_detail.get("language") or feed_lang) or None,
            source=source or feed_title,
        )

    def _item_doc(self, item: _FeedItem, origin: str, result: PollResult) -> RawDoc | IngestError:
        doc = RawDoc(
            origin=origin,
            id=item.key,
            url=item.link,
            source=item.source,
            title=item.title,
            text=item.text or None,
            published=item.published,
            lang=item.lang,
            author=item.author,
        )
        if item.full or not item.link or not item.link.startswith(("http://", "https://")):
            return self._with_text(doc, item)
        try:
            if not self.robots.allowed(item.link):
                raise Refused("disallowed by robots.txt")
            self._pace(item.link)
            page = self.fetcher.fetch(item.link)
            markup = decode_text(page.body, page.charset or html_charset(page.body))
            fields = self.ingestor.pages.extract(markup, page.url)
        except Refused as exc:
            # The page is out of reach: the item is kept with what the feed gave (summary or title).
            error = IngestError(item.link, f"item page not read ({exc.reason}); kept with the feed's text")
            result.errors.append(error)
            if self.on_error is not None:
                self.on_error(error)
            return self._with_text(doc, item)
        result.pages += 1
        doc.text = fields.text
        doc.title = doc.title or fields.title
        doc.source = doc.source or fields.source
        doc.author = doc.author or fields.author
        doc.lang = doc.lang or fields.lang
        if doc.published is None and fields.published:
            doc.published = normalize_date(fields.published)
        return doc

    def _pace(self, url: str) -> None:
        """Wait out the site's Crawl-delay since the last page fetched from it."""
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        delay = self.robots.delay(url)
        last = self._last_request.get(origin)
        if delay and last is not None:
            self.sleep(max(0.0, last + delay - self.clock()))
        self._last_request[origin] = self.clock()

    @staticmethod
    def _with_text(doc: RawDoc, item: _FeedItem) -> RawDoc | IngestError:
        if not doc.text:
            if not item.title:
                return IngestError(doc.origin, "feed entry has no text and its page could not be read")
            # A title-only item is kept, clustered by its title: the title is its text (and its
            # title again, from the text, so cleaning does not drop it as a repeated headline).
            doc.text, doc.title = item.title, None
        return doc


def _agent_token(user_agent: str) -> str:
    """The product token robots.txt groups are matched against: 'rasid/0.1 (...)' -> 'rasid'."""
    return user_agent.split("/", 1)[0].split()[0] if user_agent.strip() else "*"
