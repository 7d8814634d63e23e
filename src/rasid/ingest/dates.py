"""Publication dates to one ISO 8601 form.

Inputs bring dates as ISO 8601 (JSON records, HTML metadata), RFC 822 (RSS), or
`YYYY-MM-DD hh:mm:ss` (SaudiNewsNet). Everything downstream compares strings, so one shape
matters: `YYYY-MM-DD` for a bare date, `YYYY-MM-DDTHH:MM:SS` plus `+HH:MM` when the zone is known.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from email.utils import parsedate_to_datetime

_DATE_ONLY = re.compile(r"\d{4}-\d{2}-\d{2}")
_SLASHED = re.compile(r"(\d{4})/(\d{1,2})/(\d{1,2})")


def format_datetime(dt: datetime) -> str:
    """`YYYY-MM-DDTHH:MM:SS[+HH:MM]`, seconds precision, the offset kept when known."""
    out = dt.replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%S")
    offset = dt.utcoffset()
    if offset is not None:
        minutes = int(offset.total_seconds() // 60)
        sign = "+" if minutes >= 0 else "-"
        minutes = abs(minutes)
        out += f"{sign}{minutes // 60:02d}:{minutes % 60:02d}"
    return out


def normalize_date(value: str) -> str | None:
    """The ISO form of a date string, or None if it is not a date we can read with confidence."""
    s = value.strip()
    if not s:
        return None
    if _DATE_ONLY.fullmatch(s):
        try:
            return date.fromisoformat(s).isoformat()
        except ValueError:
            return None
    m = _SLASHED.fullmatch(s)
    if m:
        try:
            return date(int(m[1]), int(m[2]), int(m[3])).isoformat()
        except ValueError:
            return None
    iso = s[:-1] + "+00:00" if s.endswith(("Z", "z")) else s
    try:
        return format_datetime(datetime.fromisoformat(iso))
    except ValueError:
        pass
    try:
        # RFC 822 / 2822 as feeds write it: "Sun, 17 Sep 2023 10:30:00 +0300".
        return format_datetime(parsedate_to_datetime(s))
    except (TypeError, ValueError, IndexError):
        return None
