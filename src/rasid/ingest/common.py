"""What every reader shares: the refusal signal, byte decoding and file-type names.

Readers work on bytes plus an `origin` (the name errors will carry), so files on disk and URL
responses go through the same code. Inside a reader a bad input raises `Refused`; the reader's
boundary turns it into an `IngestError` record, so no caller ever sees an exception for bad input.
"""

from __future__ import annotations

import codecs
import re

# File extensions the directory walk picks up, and the reader each one goes to.
KIND_BY_EXT: dict[str, str] = {
    ".txt": "txt",
    ".html": "html",
    ".htm": "html",
    ".json": "json",
    ".jsonl": "jsonl",
    ".xml": "feed",
    ".rss": "feed",
    ".atom": "feed",
}

# Longest BOMs first: the UTF-32-LE BOM begins with the UTF-16-LE one.
_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
# C0 controls other than tab, LF, VT, FF, CR and ESC, plus DEL: text almost never holds them.
_CONTROL_BYTES = frozenset([*range(0x00, 0x09), *range(0x0E, 0x1B), *range(0x1C, 0x20), 0x7F])
_SNIFF = 8192
_MAX_CONTROL_RATIO = 0.05


class Refused(Exception):
    """An input we will not or cannot read; `reason` says why, for the IngestError."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def bom_codec(data: bytes) -> tuple[str, int] | None:
    """The codec a byte-order mark announces and the mark's length, or None without one."""
    for bom, codec in _BOMS:
        if data.startswith(bom):
            return codec, len(bom)
    return None


def looks_binary(head: bytes) -> bool:
    """NUL bytes, or many control bytes, in BOM-less data: a binary file, not text.

    Only called when there is no UTF-16/32 BOM, whose text legitimately holds NULs.
    """
    if not head:
        return False
    if b"\x00" in head:
        return True
    controls = sum(1 for b in head if b in _CONTROL_BYTES)
    return controls / len(head) > _MAX_CONTROL_RATIO


def decode_text(data: bytes, declared: str | None = None) -> str:
    """Decode a whole document: BOM first, then strict UTF-8, then a declared charset.

    A declared charset (HTTP header, HTML meta) is tried only when the bytes are not valid UTF-8:
    servers often mislabel UTF-8, while valid UTF-8 by accident is rare. Invalid UTF-8 without a
    usable declaration is refused with the byte offset, so the user can find the bad spot.
    Raises Refused for empty, binary or undecodable data.
    """
    if not data.strip():
        raise Refused("empty file")
    found = bom_codec(data)
    if found:
        codec, skip = found
        try:
            text = data[skip:].decode(codec)
        except UnicodeDecodeError as exc:
            raise Refused(f"invalid {codec.upper()} at byte offset {exc.start + skip}") from None
    else:
        if looks_binary(data[:_SNIFF]):
            raise Refused("binary data, not text")
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            fallback = _decode_declared(data, declared)
            if fallback is None:
                raise Refused(f"invalid UTF-8 at byte offset {exc.start}") from None
            text = fallback
    if not text.strip():
        raise Refused("empty file")
    return text


def _decode_declared(data: bytes, declared: str | None) -> str | None:
    if not declared:
        return None
    try:
        codec = codecs.lookup(declared).name
    except LookupError:
        return None
    if codec == "utf-8":
        return None
    try:
        return data.decode(codec)
    except UnicodeDecodeError:
        return None


_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE)


def html_charset(data: bytes) -> str | None:
    """The charset an HTML page declares in a <meta> near its top, if any."""
    m = _META_CHARSET.search(data[:4096])
    return m.group(1).decode("ascii") if m else None
