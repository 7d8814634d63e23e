"""A small cache of whole GET responses, never older than the store.

The store tells when anything changed (`ChangeStamps.data_version`: SQLite's `PRAGMA data_version`,
which every commit from any other connection or process, the ingest worker or a `rasid run`,
moves); the cache asks a store object of its own (`ReadStore.reader`), which no page reads from.
When the number moves, the pages that can depend on any story (lists, search) are dropped. An
article's page and API record depend only on the article, which is never rewritten once stored,
and on the story it belongs to; a story's page and record on its row, its members and its related
stories. Those entries are kept through writes and revalidated, on their next use after a write,
by the store's stamps of exactly these (`article_stamp`, `story_stamp`: indexed lookups), so
articles and untouched stories stay cached while a `rasid run` writes. A store that cannot tell
(PostgreSQL: `data_version` None) is served uncached.
Only 200 responses of the read pages are kept, bounded in entries and bytes, and only when
reading needs no key (the cache is in front of the handlers, which check keys).
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..store.protocols import ReadStore

_CACHED_PREFIXES = ("/stories/", "/articles/", "/api/stories", "/api/articles/", "/api/search")
_CACHED_PATHS = ("/", "/search")
_ARTICLE_PREFIXES = ("/articles/", "/api/articles/")
_STORY_PREFIXES = ("/stories/", "/api/stories/")
Stamp = str
Target = tuple[str, str]  # ("article" | "story", id)


def target_of(path: str) -> Target | None:
    """The article or story a cached page shows (revalidated by its stamp), or None."""
    for kind, prefixes in (("article", _ARTICLE_PREFIXES), ("story", _STORY_PREFIXES)):
        for prefix in prefixes:
            if path.startswith(prefix) and len(path) > len(prefix):
                return kind, path[len(prefix) :]
    return None


class StoreVersion:
    """The store's data version and page stamps, read on a store object of its own (`watch`, which
    it closes)."""

    def __init__(self, watch: ReadStore) -> None:
        self._watch = watch

    @classmethod
    def of(cls, store: ReadStore) -> StoreVersion | None:
        """A watch over `store` on a store object of its own, or None when the store cannot tell
        when it changed (PostgreSQL, a SQLite file opened immutable) or has no second connection
        (in memory: its own commits would not move its data version)."""
        watch = store.reader()
        if watch is store:
            return None
        if watch.data_version() is None:
            watch.close()
            return None
        return cls(watch)

    def current(self) -> int:
        return self._watch.data_version() or 0

    def stamp(self, target: Target) -> Stamp | None:
        kind, ident = target
        return self._watch.article_stamp(ident) if kind == "article" else self._watch.story_stamp(ident)

    def close(self) -> None:
        self._watch.close()


class ResponseCache:
    """ASGI middleware: GET responses of the read pages, kept until the store changes."""

    def __init__(
        self, app: ASGIApp, version: StoreVersion, entries: int = 20_000, max_bytes: int = 128 * 1024 * 1024
    ) -> None:
        self.app = app
        self.version = version
        self.entries = entries
        self.max_bytes = max_bytes
        # key -> (headers, body, the data_version it was checked at, its article stamp or None)
        self._items: OrderedDict[bytes, tuple[list[tuple[bytes, bytes]], bytes, int, Stamp | None]] = (
            OrderedDict()
        )
        self._bytes = 0
        self._seen = -1
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def _cacheable(self, scope: Scope) -> bool:
        path = scope.get("path", "")
        return (
            scope["type"] == "http"
            and scope.get("method") == "GET"
            and (path in _CACHED_PATHS or path.startswith(_CACHED_PREFIXES))
        )

    def _lookup(self, key: bytes, target: Target | None) -> tuple[list[tuple[bytes, bytes]], bytes] | None:
        version = self.version.current()
        with self._lock:
            if version != self._seen:
                # a write: drop what may depend on any story; article entries are revalidated below
                for k in [k for k, item in self._items.items() if item[3] is None]:
                    self._bytes -= len(self._items.pop(k)[1])
                self._seen = version
            item = self._items.get(key)
        if item is not None and item[2] != version:
            stamp = self.version.stamp(target) if target is not None else None
            with self._lock:
                if stamp is None or stamp != item[3] or self._items.get(key) is not item:
                    if self._items.get(key) is item:
                        self._bytes -= len(self._items.pop(key)[1])
                    item = None
                else:
                    item = self._items[key] = (item[0], item[1], version, stamp)
        with self._lock:
            if item is not None:
                if key in self._items:
                    self._items.move_to_end(key)
                self.hits += 1
                return item[0], item[1]
            self.misses += 1
            return None

    def _keep(
        self,
        key: bytes,
        version_before: int,
        stamp: Stamp | None,
        headers: list[tuple[bytes, bytes]],
        body: bytes,
    ) -> None:
        if len(body) > self.max_bytes // 16:
            return
        with self._lock:
            if version_before != self._seen and stamp is None:
                return  # the store changed while this response was made
            old = self._items.pop(key, None)
            if old is not None:
                self._bytes -= len(old[1])
            # an article's entry made while the store changed is checked against its stamp on next use
            self._items[key] = (headers, body, version_before, stamp)
            self._bytes += len(body)
            while len(self._items) > self.entries or self._bytes > self.max_bytes:
                _, dropped = self._items.popitem(last=False)
                self._bytes -= len(dropped[1])

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not self._cacheable(scope):
            await self.app(scope, receive, send)
            return
        path = scope["path"]
        key = path.encode() + b"?" + scope.get("query_string", b"")
        target = target_of(path)
        item = self._lookup(key, target)
        wanted = _if_none_match(scope)
        if item is not None:
            kept_headers, kept_body = item
            if _matches(wanted, _etag_of(kept_headers)):
                await _not_modified(send, kept_headers)
                return
            await send({"type": "http.response.start", "status": 200, "headers": kept_headers})
            await send({"type": "http.response.body", "body": kept_body})
            return
        with self._lock:
            version_before = self._seen
        # taken before the page is made: a page is never older than the stamp it is kept with
        stamp = self.version.stamp(target) if target is not None else None
        start: Message | None = None
        parts: list[bytes] = []

        async def capture(message: Message) -> None:
            # a 200 page's start is held back until its body is complete, to carry the body's ETag
            nonlocal start
            if message["type"] == "http.response.start" and message["status"] == 200:
                start = message
                return
            if message["type"] != "http.response.body" or start is None:
                await send(message)
                return
            parts.append(message.get("body", b""))
            if message.get("more_body", False):
                if len(parts) == 1:  # streamed: sent as it comes, not kept
                    await send(start)
                await send(message)
                return
            if len(parts) > 1:
                await send(message)
                return
            body = parts[0]
            headers = [*start.get("headers", []), (b"etag", etag(body)), (b"cache-control", b"no-cache")]
            self._keep(key, version_before, stamp, headers, body)
            if _matches(wanted, etag(body)):
                await _not_modified(send, headers)
                return
            await send({**start, "headers": headers})
            await send(message)

        await self.app(scope, receive, capture)


def etag(body: bytes) -> bytes:
    """A strong validator of a page: a digest of its bytes."""
    return b'"' + hashlib.blake2b(body, digest_size=12).hexdigest().encode() + b'"'


def _etag_of(headers: list[tuple[bytes, bytes]]) -> bytes | None:
    return next((v for k, v in headers if k == b"etag"), None)


def _if_none_match(scope: Scope) -> set[bytes]:
    """The validators a client holds (If-None-Match; weak ones compared as strong, `*` as any)."""
    for name, value in scope.get("headers", []):
        if name == b"if-none-match":
            return {v.strip().removeprefix(b"W/") for v in value.split(b",") if v.strip()}
    return set()


def _matches(wanted: set[bytes], tag: bytes | None) -> bool:
    return tag is not None and (tag in wanted or b"*" in wanted)


async def _not_modified(send: Send, headers: list[tuple[bytes, bytes]]) -> None:
    """304: the client's copy is the current page (only the validator and caching headers)."""
    kept = [(k, v) for k, v in headers if k in (b"etag", b"cache-control")]
    await send({"type": "http.response.start", "status": 304, "headers": kept})
    await send({"type": "http.response.body", "body": b""})


class SearchCache:
    """Search pages as data (before rendering), keyed on the query, the page and the store's
    data_version read before the search ran: the HTML page and the API answer of one query share
    one search, and a commit anywhere makes every older entry unreachable (they are dropped on the
    next lookup), so nothing is served from before a write. Bounded in entries."""

    def __init__(self, version: StoreVersion, entries: int = 1024) -> None:
        self.version = version
        self.entries = entries
        self._items: OrderedDict[tuple[str, int, int], dict[str, Any]] = OrderedDict()
        self._seen = -1
        self._lock = threading.Lock()

    def get_or_make(
        self, q: str, page: int, per_page: int, make: Callable[[], dict[str, Any]]
    ) -> dict[str, Any]:
        """The cached page, or `make()`'s (kept when the store did not change meanwhile). The
        answer is shared: callers must not change it."""
        key = (q, page, per_page)
        version = self.version.current()
        with self._lock:
            if version != self._seen:
                self._items.clear()
                self._seen = version
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
                return found
        made = make()
        with self._lock:
            if self._seen == version:
                self._items[key] = made
                while len(self._items) > self.entries:
                    self._items.popitem(last=False)
        return made
