"""What every reader shares: the refusal signal, byte decoding and file-type names.

Readers work on bytes plus an `origin` (the name errors will carry), so files on disk and URL
responses go through the same code. Inside a reader a bad input raises `Refused`; the reader's
boundary turns it into an `IngestError` record, so no caller ever sees an exception for bad input.
"""

from __future__ import annotations

import codecs
import logging
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
# Legacy Arabic code pages, tried on bytes that are not UTF-8 and declare no usable charset.
# ISO-8859-6 leaves 0xDB-0xDF undefined, where Windows-1256 puts غ ـ ف ق ك, so most cp1256
# Arabic does not decode as ISO-8859-6, while ISO-8859-6 text always decodes as cp1256 (into
# Latin letters: è é ê for و ى ي), which the choice below then rejects. The far commoner cp1256
# comes first and wins ties.
LEGACY_ARABIC = ("cp1256", "iso8859-6")
# Of the non-ASCII characters a right guess gives, at least this share is Arabic script or
# the punctuation Arabic text uses («» – — … quotes, no-break space).
_MIN_ARABIC_SHARE = 0.8
_ARABIC_PUNCT = frozenset(
    "\u00a0\u00ab\u00bb\u2013\u2014\u2018\u2019\u201c\u201d\u2026\u200c\u200d\u200e\u200f"
    "\u202a\u202b\u202c\u202d\u202e"
)
# ... and Arabic letters are at least this share of all its letters (Latin text with accents is not)
_MIN_ARABIC_LETTERS = 0.2

_log = logging.getLogger("rasid.ingest")


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


def decode_text(data: bytes, declared: str | None = None, origin: str = "") -> str:
    """Decode a whole document: BOM first, then strict UTF-8, then a declared charset, then a
    legacy Arabic code page (ISO-8859-6 or Windows-1256) if the bytes read as Arabic in one.

    A declared charset (HTTP header, HTML meta) is tried only when the bytes are not valid UTF-8:
    servers often mislabel UTF-8, while valid UTF-8 by accident is rare. A guessed code page is
    logged (logger `rasid.ingest`, INFO) naming `origin`. Invalid UTF-8 that is neither declared
    nor Arabic in a legacy code page is refused with the byte offset, so the user can find the
    bad spot. Raises Refused for empty, binary or undecodable data.
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
            # A Western code page declared by default (old servers say ISO-8859-1 for every page)
            # decodes any bytes: Arabic in a legacy code page is still recognised.
            western = _is_western(declared)
            if fallback is None or western:
                guessed = guess_legacy_arabic(data)
                if guessed is not None:
                    codec, fallback = guessed
                    said = f" (declared {declared})" if western else (f" nor {declared}" if declared else "")
                    _log.info(
                        "%s: not UTF-8%s; read as %s (guessed from its bytes)", origin or "input", said, codec
                    )
                elif fallback is None:
                    raise Refused(
                        f"invalid UTF-8 at byte offset {exc.start}, and not Arabic in "
                        "ISO-8859-6 or Windows-1256"
                    ) from None
            text = fallback
    if not text.strip():
        raise Refused("empty file")
    return text


_WESTERN = frozenset({"iso8859-1", "cp1252", "iso8859-15", "ascii"})


def _is_western(declared: str | None) -> bool:
    try:
        return bool(declared) and codecs.lookup(declared or "").name in _WESTERN
    except LookupError:
        return False


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


def guess_legacy_arabic(data: bytes) -> tuple[str, str] | None:
    """(codec name, text) of the legacy Arabic code page the bytes read plausibly in, or None.

    When both read as Arabic, the reading with more Arabic wins (ISO-8859-6 read as cp1256 turns
    و ى ي into è é ê); at equal shares (a cp1256 text without غ ف ق ك ـ also decodes as ISO-8859-6,
    all Arabic) the one with fewer harakat (news rarely writes them, and that wrong reading turns
    ي ى into them), then the one with more "ال" (that reading turns ل into ف), then cp1256.
    """
    found: list[tuple[float, int, int, str, str]] = []
    for codec in LEGACY_ARABIC:
        try:
            text = data.decode(codec)
        except UnicodeDecodeError:
            continue
        share = arabic_share(text)
        if share >= _MIN_ARABIC_SHARE:
            harakat = sum(1 for c in text if "\u064b" <= c <= "\u0652")
            found.append(
                (
                    -share,
                    harakat,
                    -text.count("\u0627\u0644"),
                    "Windows-1256" if codec == "cp1256" else "ISO-8859-6",
                    text,
                )
            )
    if not found:
        return None
    *_, name, text = min(found, key=lambda f: f[:3])  # min is stable: cp1256 wins a full tie
    return name, text


def arabic_share(text: str) -> float:
    """Of the non-ASCII characters of `text`, the share that are Arabic script or its punctuation;
    0 when Arabic letters are under a fifth of its letters (Latin text with a few accents)."""
    foreign = [c for c in text if ord(c) > 0x7F]
    arabic = sum(1 for c in foreign if "\u0600" <= c <= "\u06ff")
    if not foreign or arabic < _MIN_ARABIC_LETTERS * sum(1 for c in text if c.isalpha()):
        return 0.0
    return (arabic + sum(1 for c in foreign if c in _ARABIC_PUNCT)) / len(foreign)


_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE)


def html_charset(data: bytes) -> str | None:
    """The charset an HTML page declares in a <meta> near its top, if any."""
    m = _META_CHARSET.search(data[:4096])
    return m.group(1).decode("ascii") if m else None
