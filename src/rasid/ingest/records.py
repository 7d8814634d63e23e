"""JSON and JSONL input records (CONTRACT.md, "Input records").

`.json` holds one record or an array of them and is read whole (under the file size cap);
`.jsonl` is streamed line by line, each line under `max_line_bytes`, so a feed dump of any
length reads in constant memory and one broken line costs only that line.
"""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from typing import IO, Any

from ..model import IngestError, RawDoc
from .common import Refused, bom_codec, decode_text, guess_legacy_arabic, looks_binary
from .dates import normalize_date
from .htmltext import PageExtractor

_STRING_FIELDS = ("url", "source", "title", "published", "lang", "author")
_SKIP_CHUNK = 64 * 1024
_CODECS = {"Windows-1256": "cp1256", "ISO-8859-6": "iso8859-6"}
_log = logging.getLogger("rasid.ingest")


def guessed_name(codec: str) -> str:
    return next((name for name, c in _CODECS.items() if c == codec), codec)


# Other tools' names for our fields, tried in order after our own (CONTRACT.md, "Input records").
# trafilatura's JSON (`extract(output_format="json")`): title, text/raw_text, date, author, hostname,
# and `source` holding the page URL with `source-hostname` its site name. news-please's: title,
# maintext, description (the lead, a body only when there is no maintext), date_publish,
# source_domain, url, authors (a list), language.
_ALIASES: dict[str, tuple[str, ...]] = {
    "url": ("url",),
    "source": ("source", "sitename", "source-hostname", "source_domain", "hostname"),
    "title": ("title", "title_page", "title_rss"),
    "published": ("published", "date_publish", "date"),
    "lang": ("lang", "language"),
    "author": ("author", "authors"),
}
_BODY_FIELDS = ("text", "content", "maintext", "raw_text", "description")


def record_fields(rec: dict[str, Any]) -> dict[str, str | None]:
    """Our string fields of a record, read under our names or trafilatura's and news-please's.

    A `source` that is an http(s) URL (trafilatura puts the page's URL there) is the record's url
    when it has none, and never its outlet.
    """
    values: dict[str, str | None] = {}
    for key in _STRING_FIELDS:
        values[key] = None
        for name in _ALIASES[key]:
            value = _field(rec, name) if key != "author" else _names(rec.get(name))
            if key == "source" and value is not None and _is_url(value):
                if values["url"] is None:
                    values["url"] = value
                continue
            if value is not None:
                values[key] = value
                break
    return values


def _is_url(value: str) -> bool:
    return value.lower().startswith(("http://", "https://"))


def _names(value: object) -> str | None:
    """An author field: a string, or a list of names (news-please's `authors`) joined by commas."""
    if isinstance(value, list):
        names = [v.strip() for v in value if isinstance(v, str) and v.strip()]
        return ", ".join(dict.fromkeys(names)) or None
    return value.strip() or None if isinstance(value, str) else None


def record_to_doc(
    rec: dict[str, Any], origin: str, default_id: str | None, pages: PageExtractor
) -> Iterator[RawDoc | IngestError]:
    """One input record to a RawDoc, plus IngestErrors for what was wrong with it.

    `text` (or `content`, news-please's `maintext`, trafilatura's `raw_text`, then news-please's
    `description`), else `html` (through main-text extraction) give the text; fields the record
    leaves out are filled from the HTML's own metadata. A record with a title and no body is kept
    (a title-only item); one with neither is an error and no document. The text is kept as given
    (trafilatura's opens with the headline: the cleaner drops that line). An unreadable
    `published` keeps the document, dated None, and reports it.
    """
    values = record_fields(rec)
    raw_id = rec.get("id")
    doc_id = str(raw_id).strip() if isinstance(raw_id, str | int) and not isinstance(raw_id, bool) else None
    text = next((t for name in _BODY_FIELDS if (t := _field(rec, name, strip=False))), None)
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
            yield IngestError(
                origin, f"unparseable published date {values['published']!r}; article kept without a date"
            )
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


def read_json(
    data: bytes, origin: str, stem: str | None, pages: PageExtractor
) -> Iterator[RawDoc | IngestError]:
    """A `.json` document: one record (a single-article file, id falls back to `stem`) or an array."""
    text = decode_text(data, origin=origin)
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
        type(value), "null" if value is None else "a number"
    )


def read_jsonl(
    stream: IO[bytes], origin: str, max_line_bytes: int, pages: PageExtractor
) -> Iterator[RawDoc | IngestError]:
    """Stream a `.jsonl` file: each line one record, errors reported by line number.

    A line longer than `max_line_bytes` is skipped in chunks, never held whole in memory.
    A UTF-8 BOM is tolerated; UTF-16/32 files (with a BOM) are read through a decoder, where the
    cap counts characters instead of bytes. A file in Windows-1256 or ISO-8859-6 (no BOM) is
    recognised from its first line that is not UTF-8 and read in that code page.
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
        lines = _byte_lines(stream, max_line_bytes, origin)
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


def _byte_lines(stream: IO[bytes], cap: int, origin: str = "") -> Iterator[_Line]:
    """The lines of a byte stream, decoded as UTF-8; a file whose lines are not UTF-8 but Arabic in
    a legacy code page (Windows-1256, ISO-8859-6) is read in that code page from its first such line
    (one guess per file, logged as the other readers log theirs)."""
    lineno = 0
    codec: str | None = None
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
        if codec is None:
            try:
                yield lineno, body.decode("utf-8"), None
                continue
            except UnicodeDecodeError as exc:
                # The first line that is not UTF-8 settles the file's legacy Arabic code page, if any.
                guessed = guess_legacy_arabic(body)
                if guessed is None:
                    yield (
                        lineno,
                        "",
                        (
                            f"invalid UTF-8 at byte offset {exc.start} of the line, and not Arabic"
                            " in ISO-8859-6 or Windows-1256"
                        ),
                    )
                    continue
                codec = _CODECS[guessed[0]]
                _log.info(
                    "%s: not UTF-8 from line %d; read as %s (guessed from its bytes)",
                    origin or "input",
                    lineno,
                    guessed[0],
                )
        try:
            yield lineno, body.decode(codec), None
        except UnicodeDecodeError as exc:
            yield lineno, "", f"invalid {guessed_name(codec)} at byte offset {exc.start} of the line"


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
