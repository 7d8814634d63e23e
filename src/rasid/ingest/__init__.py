"""Ingest: directories, files and URLs into RawDoc records, bad inputs into IngestError records.

`Ingestor.read(source)` is the one Reader (see pipeline.Reader). It never raises for bad input:
every problem becomes an `IngestError(origin, reason)` in the stream, and the rest of the batch
goes on. Cleaning, language and storage come later; what leaves here is text as the input had it
(HTML laid out one paragraph per line), plus metadata, with dates in ISO 8601.
"""

from __future__ import annotations

import io
import re
import stat
from collections.abc import Callable, Iterator, Mapping, Sequence
from functools import partial
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from ..model import IngestError, RawDoc
from ..outlets import OutletRegistry
from ..settings import Settings
from .common import KIND_BY_EXT, Refused, bom_codec, decode_text, html_charset
from .dates import normalize_date
from .feeds import looks_like_feed, read_feed
from .htmltext import PageExtractor
from .plaintext import read_txt, split_title
from .ranges import LineRange
from .records import read_json, read_jsonl, record_to_doc
from .walk import check_path, read_capped, walk

if TYPE_CHECKING:
    import httpx

__all__ = [
    "Ingestor",
    "read_inputs",
    "input_items",
    "with_outlets",
    "split_title",
    "normalize_date",
    "KIND_BY_EXT",
]

_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")
_FEED_TYPES = frozenset(
    {"application/rss+xml", "application/atom+xml", "application/rdf+xml", "application/feed+xml"}
)
_XML_TYPES = frozenset({"application/xml", "text/xml"})
_HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
_JSON_TYPES = frozenset({"application/json", "text/json"})
_JSONL_TYPES = frozenset(
    {
        "application/x-ndjson",
        "application/ndjson",
        "application/jsonl",
        "application/x-jsonlines",
        "application/jsonlines",
    }
)


class Ingestor:
    """Reads directories, files and http(s) URLs (see the module docstring).

    Holds the HTTP client (the one passed in, or its own, made on first use and closed by
    `close()`) and the page extractor; use one Ingestor per run, as a context manager.
    """

    def __init__(
        self, settings: Settings, client: httpx.Client | None = None, outlets: OutletRegistry | None = None
    ) -> None:
        self.settings = settings
        self.pages = PageExtractor()
        # Raises ValueError for a bad outlets_file (the CLI checks it before any input is read).
        self.outlets = outlets if outlets is not None else OutletRegistry.load(settings.outlets_file or None)
        self._client = client
        self._own_client = False

    def __enter__(self) -> Ingestor:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the HTTP client if this Ingestor made it (a client passed in is the caller's)."""
        if self._own_client and self._client is not None:
            self._client.close()
            self._client = None
            self._own_client = False

    def read(self, source: str) -> Iterator[RawDoc | IngestError]:
        """source: a directory, a file path, or an http(s) URL. Each document's source is its
        outlet id (see outlets.OutletRegistry.source_for)."""
        return with_outlets(self._read(source), self.outlets)

    def read_range(self, source: str, start: int, stop: int) -> Iterator[RawDoc | IngestError]:
        """Bytes [start, stop) of the `.jsonl` file `source`, extended to whole lines (see
        `LineRange`), read as `read` reads the whole file (the same guards, the same outlets).
        Errors name the range, `FILE(from byte N)`, when it does not start the file; a range that
        holds no line start (it lies inside one long line) gives nothing."""
        origin = source if start == 0 else f"{source}(from byte {start})"
        path = Path(source)
        return with_outlets(
            self._guarded(origin, lambda: self._read_jsonl_file(path, origin, start, stop)), self.outlets
        )

    def _read(self, source: str) -> Iterator[RawDoc | IngestError]:
        for item in input_items(source):
            if isinstance(item, IngestError):
                yield item
            elif isinstance(item, Path):
                yield from self._read_file(item)
            else:
                m = _SCHEME.match(item)
                scheme = m.group(1) if m else ""
                if scheme.lower() in ("http", "https"):
                    yield from self._guarded(item, partial(self._read_url, item))
                else:
                    yield IngestError(item, f"unsupported URL scheme {scheme!r} (only http and https)")

    def read_records(
        self, records: Sequence[Mapping[str, Any]], origin: str
    ) -> Iterator[RawDoc | IngestError]:
        """Records already in memory (CONTRACT.md input records), read like a `.json` array:
        `origin#N` names record N in errors."""
        for n, rec in enumerate(records, 1):
            where = f"{origin}#{n}"
            if isinstance(rec, Mapping):
                yield from self._guarded(where, partial(record_to_doc, dict(rec), where, None, self.pages))
            else:
                yield IngestError(where, f"expected a record (a mapping), got {type(rec).__name__}")

    # -- files ---------------------------------------------------------------------------------

    def _read_file(self, path: Path) -> Iterator[RawDoc | IngestError]:
        origin = str(path)
        kind = KIND_BY_EXT.get(path.suffix.lower())
        if kind is None:
            known = " ".join(sorted(KIND_BY_EXT))
            yield IngestError(origin, f"unsupported file type {path.suffix or '(none)'!r} (reads {known})")
            return
        if kind == "jsonl":
            yield from self._guarded(origin, lambda: self._read_jsonl_file(path))
        else:
            yield from self._guarded(
                origin,
                lambda: self._parse(kind, read_capped(path, self.settings.max_bytes), origin, stem=path.stem),
            )

    def _read_jsonl_file(
        self, path: Path, origin: str | None = None, start: int = 0, stop: int | None = None
    ) -> Iterator[RawDoc | IngestError]:
        """The whole file, or the line-aligned range [start, stop) of it (`read_range`)."""
        if not stat.S_ISREG(check_path(path).st_mode):
            raise Refused("not a regular file")
        if stop is None:
            with open(path, "rb") as fh:
                yield from read_jsonl(fh, origin or str(path), self.settings.max_line_bytes, self.pages)
            return
        with io.BufferedReader(LineRange(str(path), start, stop), 1 << 16) as part:
            try:
                yield from read_jsonl(part, origin or str(path), self.settings.max_line_bytes, self.pages)
            except Refused as exc:
                if start == 0 or exc.reason != "empty file":  # a range inside one long line is empty
                    raise

    def _guarded(
        self, origin: str, produce: Callable[[], Iterator[RawDoc | IngestError]]
    ) -> Iterator[RawDoc | IngestError]:
        """Run one input's reader; any refusal or failure becomes an IngestError for that input."""
        try:
            yield from produce()
        except Refused as exc:
            yield IngestError(origin, exc.reason)
        except OSError as exc:
            yield IngestError(origin, f"cannot read: {exc.strerror or exc}")
        except RecursionError:
            yield IngestError(origin, "input nested too deeply to read")
        except MemoryError:
            yield IngestError(origin, "out of memory reading this input")
        except Exception as exc:  # noqa: BLE001 - a reader bug must not lose the rest of the batch
            yield IngestError(origin, f"unexpected error: {type(exc).__name__}: {exc}")

    # -- parsing by kind -------------------------------------------------------------------------

    def _parse(
        self,
        kind: str,
        data: bytes,
        origin: str,
        *,
        stem: str | None = None,
        url: str | None = None,
        charset: str | None = None,
        content_type: str | None = None,
    ) -> Iterator[RawDoc | IngestError]:
        """Bytes of one document to records. `stem` (files) or `url` (fetched) is the fallback id."""
        if kind == "txt":
            yield from read_txt(data, origin, url or stem, url=url, charset=charset)
        elif kind == "html":
            yield from self._read_html(data, origin, stem=stem, url=url, charset=charset)
        elif kind == "json":
            yield from read_json(data, origin, url or stem, self.pages)
        elif kind == "jsonl":
            yield from read_jsonl(
                io.BufferedReader(io.BytesIO(data)), origin, self.settings.max_line_bytes, self.pages
            )
        elif kind == "feed":
            yield from read_feed(data, origin, content_type)
        else:  # pragma: no cover - kinds come from KIND_BY_EXT and _url_kind
            raise Refused(f"no reader for {kind!r}")

    def _read_html(
        self, data: bytes, origin: str, *, stem: str | None, url: str | None, charset: str | None
    ) -> Iterator[RawDoc | IngestError]:
        markup = decode_text(data, charset or html_charset(data), origin)
        page = self.pages.extract(markup, url)
        page_url = page.url if page.url and page.url.startswith(("http://", "https://")) else url
        published = None
        if page.published:
            published = normalize_date(page.published)
            if published is None:
                yield IngestError(
                    origin, f"unparseable published date {page.published!r}; article kept without a date"
                )
        yield RawDoc(
            origin=origin,
            id=page_url or stem,
            url=page_url,
            source=page.source,
            title=page.title,
            text=page.text,
            published=published,
            lang=page.lang,
            author=page.author,
        )

    # -- URLs ----------------------------------------------------------------------------------

    def _read_url(self, url: str) -> Iterator[RawDoc | IngestError]:
        from .web import Fetcher, make_client  # httpx only when a URL is read

        if self._client is None:
            self._client = make_client(self.settings)
            self._own_client = True
        fetched = Fetcher(self.settings, self._client).fetch(url)
        if not fetched.body.strip():
            raise Refused("empty response")
        kind = _url_kind(fetched.content_type, fetched.body, fetched.url)
        yield from self._parse(
            kind,
            fetched.body,
            url,
            url=fetched.url,
            charset=fetched.charset,
            content_type=fetched.content_type,
        )


def with_outlets(
    items: Iterator[RawDoc | IngestError], outlets: OutletRegistry
) -> Iterator[RawDoc | IngestError]:
    """The documents with their source resolved to an outlet id: the reader's source (record
    field, feed channel, page site name), else a byline, else the URL's domain."""
    for item in items:
        if isinstance(item, RawDoc):
            item.source = outlets.source_for(item.source, item.text, item.url)
        yield item


def input_items(source: str) -> Iterator[str | Path | IngestError]:
    """What `Ingestor.read(source)` reads, in its order, found before reading any of it: a URL (any
    scheme, as given), the file, or a directory's input files (see `walk`); an error for a path that
    cannot be read or walked. The Dask engine plans its work from it."""
    if _SCHEME.match(source):
        yield source
        return
    path = Path(source)
    try:
        st = check_path(path)
    except Refused as exc:
        yield IngestError(source, exc.reason)
        return
    if stat.S_ISDIR(st.st_mode):
        yield from walk(path)
    else:
        yield path


def _url_kind(content_type: str | None, body: bytes, url: str) -> str:
    """Which reader a response goes to: by media type, then by sniffing, then by URL extension."""
    ctype = content_type or ""
    if ctype in _FEED_TYPES:
        return "feed"
    if ctype in _HTML_TYPES:
        return "feed" if looks_like_feed(body) and not _looks_like_html(body) else "html"
    if ctype in _JSON_TYPES or ctype.endswith("+json"):
        return "json"
    if ctype in _JSONL_TYPES:
        return "jsonl"
    if ctype in _XML_TYPES:
        return "html" if _looks_like_html(body) and not looks_like_feed(body) else "feed"
    if ctype == "text/plain":
        return "feed" if looks_like_feed(body) else "txt"
    # No useful media type: sniff the bytes, then trust a file extension in the URL.
    head = _head(body)
    if head.startswith(b"<"):
        return "feed" if looks_like_feed(body) else "html"
    if head.startswith((b"{", b"[")):
        return "jsonl" if url.lower().split("?", 1)[0].endswith(".jsonl") else "json"
    return KIND_BY_EXT.get(Path(url.split("?", 1)[0]).suffix.lower(), "txt")


def _head(body: bytes) -> bytes:
    found = bom_codec(body)
    if found and found[0] != "utf-8":
        return body[found[1] : found[1] + 2048].decode(found[0], errors="ignore").encode().lstrip()
    return body[found[1] if found else 0 : 2048].lstrip()


def _looks_like_html(body: bytes) -> bool:
    head = _head(body)[:1024].lower()
    return head.startswith((b"<!doctype html", b"<html")) or b"<html" in head


def read_inputs(sources: Sequence[str], settings: Settings) -> Iterator[RawDoc | IngestError]:
    """Every document of every source, in order, with errors in the stream (never raised)."""
    with Ingestor(settings) as ingestor:
        for source in sources:
            yield from ingestor.read(source)
