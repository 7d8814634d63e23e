"""JSON and JSONL input records (CONTRACT.md, "Input records").

`.json` holds one record or an array of them and is read whole (under the file size cap);
`.jsonl` is streamed line by line, each line under `max_line_bytes`, so a feed dump of any
length reads in constant memory and one broken line costs only that line.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from typing import IO, Any

from ..model import IngestError, RawDoc
from .common import Refused, bom_codec, decode_text, looks_binary
from .dates import normalize_date
from .htmltext import PageExtractor

_STRING_FIELDS = ("url", "source", "title", "published", "lang", "author")
_SKIP_CHUNK = 64 * 1024


def record_to_doc(rec: dict[str, Any], origin: str, default_id: str | None,
                  pages: PageExtractor) -> Iterator[RawDoc | IngestError]:
    """One input record to a RawDoc, plus IngestErrors for what was wrong with it.

    `text`, then `content`, then `html` (through main-text extraction) give the text; fields the
    record leaves out are filled from the HTML's own metadata. A record with no text is an error
    and no document. An unreadable `published` keeps the document, dated None, and reports it.
    """
    values: dict[str, str | None] = {}
    for key in _STRING_FIELDS:
        values[key] = _field(rec, key)
    raw_id = rec.get("id")
    doc_id = str(raw_id).strip() if isinstance(raw_id, str | int) and not isinstance(raw_id, bool) else None
    text = _field(rec, "text", strip=False) or _field(rec, "content", strip=False)
    html = _field(rec, "html", strip=False)
    if not text and not html and not values["title"]:
        yield IngestError(origin, "record has no title, text, content or html")
        return
    if not text and html:
        try:
            page = pages.extract(html, values["url"])
        except Refused as exc:
            yield IngestError(origin, f"record html: {exc.reason}")
            return
        text = page.text
        for key in _STRING_FIELDS:
            if values[key] is None:
                values[key] = getattr(page, key)
    published = None
    if values["published"] is not None:
        published = normalize_date(values["published"])
        if published is None:
            yield IngestError(origin, f"unparseable published date {values['published']!r}; article kept without a date")
    yield RawDoc(
        origin=origin,
        id=doc_id or values["url"] or default_id,
        url=values["url"],
        source=values["source"],
        title=values["title"],
        text=text,
        published=published,
        lang=values["lang"],
        author=values["author"],
    )


def _field(rec: dict[str, Any], key: str, strip: bool = True) -> str | None:
    """A string field, or None if absent, empty or not a string. Text fields keep their spacing."""
    value = rec.get(key)
    if isinstance(value, str) and value.strip():
        return value.strip() if strip else value
    return None


def read_json(data: bytes, origin: str, stem: str | None, pages: PageExtractor) -> Iterator[RawDoc | IngestError]:
    """A `.json` document: one record (a single-article file, id falls back to `stem`) or an array."""
    text = decode_text(data)
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise Refused(f"invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}") from None
    except RecursionError:
        raise Refused("JSON nested too deeply") from None
    if isinstance(value, dict):
        yield from record_to_doc(value, origin, stem, pages)
    elif isinstance(value, list):
        if not value:
            raise Refused("empty JSON array")
        for n, item in enumerate(value, 1):
            where = f"{origin}#{n}"
            if isinstance(item, dict):
                yield from record_to_doc(item, where, None, pages)
            else:
                yield IngestError(where, f"expected a JSON object, got {_kind(item)}")
    else:
        raise Refused(f"expected a JSON object or an array of objects, got {_kind(value)}")


def _kind(value: Any) -> str:
    return {dict: "an object", list: "an array", str: "a string", bool: "a boolean"}.get(
        type(value), "null" if value is None else "a number")


def read_jsonl(stream: IO[bytes], origin: str, max_line_bytes: int,
               pages: PageExtractor) -> Iterator[RawDoc | IngestError]:
    """Stream a `.jsonl` file: each line one record, errors reported by line number.

    A line longer than `max_line_bytes` is skipped in chunks, never held whole in memory.
    A UTF-8 BOM is tolerated; UTF-16/32 files (with a BOM) are read through a decoder, where the
    cap counts characters instead of bytes.
    """
    head = stream.peek(_SKIP_CHUNK)[:_SKIP_CHUNK] if hasattr(stream, "peek") else b""
    found = bom_codec(head)
    if found is None and looks_binary(head[:8192]):
        raise Refused("binary data, not text")
    if found is not None and found[0] != "utf-8":
        wrapped = io.TextIOWrapper(stream, encoding=found[0], newline="\n")
        wrapped.read(1)  # the BOM
        lines: Iterator[_Line] = _text_lines(wrapped, max_line_bytes)
    else:
        lines = _byte_lines(stream, max_line_bytes)
    seen = False
    for lineno, line, problem in lines:
        where = f"{origin}:line {lineno}"
        if problem is not None:
            seen = True
            yield IngestError(where, problem)
            continue
        if not line.strip():
            continue
        seen = True
        try:
            value = json.loads(line)
        except json.JSONDecodeError as exc:
            yield IngestError(where, f"invalid JSON at column {exc.colno}: {exc.msg}")
            continue
        except RecursionError:
            yield IngestError(where, "JSON nested too deeply")
            continue
        if not isinstance(value, dict):
            yield IngestError(where, f"expected a JSON object, got {_kind(value)}")
            continue
        yield from record_to_doc(value, where, None, pages)
    if not seen:
        raise Refused("empty file")


# (line number, the line's text, or "" with the reason the line is unusable)
_Line = tuple[int, str, str | None]


def _too_long(cap: int) -> str:
    return f"line longer than the {cap}-byte cap (max_line_bytes); skipped"


def _byte_lines(stream: IO[bytes], cap: int) -> Iterator[_Line]:
    lineno = 0
    while True:
        raw = stream.readline(cap + 1)
        if not raw:
            return
        lineno += 1
        if lineno == 1 and raw.startswith(b"\xef\xbb\xbf"):
            raw = raw[3:]
        body = raw.rstrip(b"\r\n")
        if len(body) > cap:
            while raw and not raw.endswith(b"\n"):
                raw = stream.readline(_SKIP_CHUNK)
            yield lineno, "", _too_long(cap)
            continue
        try:
            yield lineno, body.decode("utf-8"), None
        except UnicodeDecodeError as exc:
            yield lineno, "", f"invalid UTF-8 at byte offset {exc.start} of the line"


def _text_lines(stream: io.TextIOWrapper, cap: int) -> Iterator[_Line]:
    lineno = 0
    while True:
        raw = stream.readline(cap + 1)
        if not raw:
            return
        lineno += 1
        body = raw.rstrip("\r\n")
        if len(body) > cap:
            while raw and not raw.endswith("\n"):
                raw = stream.readline(_SKIP_CHUNK)
            yield lineno, "", _too_long(cap)
            continue
        yield lineno, body, None
