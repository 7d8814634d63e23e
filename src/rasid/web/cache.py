"""A small cache of whole GET responses, dropped whenever anything is written to the store.

Every commit to an SQLite database, from any connection or process (the ingest worker, a
`rasid run`), changes `PRAGMA data_version` as seen from another connection; the cache keeps one
watching connection and empties itself when the number moves, so a cached page is never older
than the store. Only 200 responses of the read pages are kept, bounded in entries and bytes, and
only when reading needs no key (the cache is in front of the handlers, which check keys).
"""

from __future__ import annotations

import sqlite3
import threading
from collections import OrderedDict
from pathlib import Path

from starlette.types import ASGIApp, Message, Receive, Scope, Send

_CACHED_PREFIXES = ("/stories/", "/articles/", "/api/stories", "/api/articles/", "/api/search")
_CACHED_PATHS = ("/", "/search")


class StoreVersion:
    """The store's data_version, seen from a connection of its own (changes on any other commit)."""

    def __init__(self, path: str) -> None:
        uri = Path(path).expanduser().resolve().as_uri() + "?mode=ro"
        self._conn = sqlite3.connect(uri, uri=True, check_same_thread=False)
        self._lock = threading.Lock()

    def current(self) -> int:
        with self._lock:
            return int(self._conn.execute("PRAGMA data_version").fetchone()[0])

    def close(self) -> None:
        with self._lock:
            self._conn.close()


class ResponseCache:
    """ASGI middleware: GET responses of the read pages, kept until the store changes."""

    def __init__(self, app: ASGIApp, version: StoreVersion, entries: int = 2000,
                 max_bytes: int = 64 * 1024 * 1024) -> None:
        self.app = app
        self.version = version
        self.entries = entries
        self.max_bytes = max_bytes
        self._items: OrderedDict[bytes, tuple[list[tuple[bytes, bytes]], bytes]] = OrderedDict()
        self._bytes = 0
        self._seen = -1
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def _cacheable(self, scope: Scope) -> bool:
        path = scope.get("path", "")
        return scope["type"] == "http" and scope.get("method") == "GET" and (
            path in _CACHED_PATHS or path.startswith(_CACHED_PREFIXES))

    def _lookup(self, key: bytes) -> tuple[list[tuple[bytes, bytes]], bytes] | None:
        version = self.version.current()
        with self._lock:
            if version != self._seen:
                self._items.clear()
                self._bytes = 0
                self._seen = version
            item = self._items.get(key)
            if item is not None:
                self._items.move_to_end(key)
                self.hits += 1
            else:
                self.misses += 1
            return item

    def _keep(self, key: bytes, version_before: int, headers: list[tuple[bytes, bytes]], body: bytes) -> None:
        if len(body) > self.max_bytes // 16:
            return
        with self._lock:
            if version_before != self._seen:
                return  # the store changed while this response was made
            self._items[key] = (headers, body)
            self._bytes += len(body)
            while len(self._items) > self.entries or self._bytes > self.max_bytes:
                _, (_, old) = self._items.popitem(last=False)
                self._bytes -= len(old)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not self._cacheable(scope):
            await self.app(scope, receive, send)
            return
        key = scope["path"].encode() + b"?" + scope.get("query_string", b"")
        item = self._lookup(key)
        if item is not None:
            await send({"type": "http.response.start", "status": 200, "headers": item[0]})
            await send({"type": "http.response.body", "body": item[1]})
            return
        with self._lock:
            version_before = self._seen
        status = 0
        headers: list[tuple[bytes, bytes]] = []
        parts: list[bytes] = []

        async def capture(message: Message) -> None:
            nonlocal status, headers
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", []))
            elif message["type"] == "http.response.body":
                parts.append(message.get("body", b""))
                if not message.get("more_body", False) and status == 200:
                    self._keep(key, version_before, headers, b"".join(parts))
            await send(message)

        await self.app(scope, receive, capture)
