"""The query parameters and documented responses the routes share (limits, formats, the search syntax)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import Query

from . import schemas

MAX_PER_PAGE = 100
MAX_FILTER_CHARS = 200

Order = Annotated[
    str,
    Query(
        pattern="^(rank|latest)$", description="rank: widely and recently covered first; latest: by last day"
    ),
]
Filter = Annotated[str | None, Query(max_length=MAX_FILTER_CHARS)]
Lang = Annotated[str | None, Query(max_length=10)]
Page = Annotated[int, Query(ge=1, le=1_000_000)]
PerPage = Annotated[int, Query(ge=1, le=MAX_PER_PAGE)]
Day = Annotated[str | None, Query(max_length=10, description="YYYY-MM-DD, a real day")]
ApiDay = Annotated[date | None, Query(description="YYYY-MM-DD, a real day (2015-13-45 is refused)")]

API_DESCRIPTION = (
    "Stories, articles and search over one rasid store. Reading is open unless the server has a read key; "
    "posting articles needs the write key, sent as `X-API-Key: KEY` or `Authorization: Bearer KEY` "
    '(keys are compared in constant time). Errors are JSON `{"detail": ...}` with the status: 401 (no or '
    "wrong key), 404 (no such story or article), 413 (body too large), 422 (invalid parameter or body; "
    "the body is never echoed), 503 (ingestion off, or the request timed out). A POSTed batch is stored, "
    "then run through the story stages of `rasid run`; the answer names each article's story, or a "
    "status URL while that is not done."
)
SEARCH_SYNTAX = (
    "Words must all match (any spelling of hamza/alef/ya/ta marbuta, diacritics ignored, light stems); "
    '"a phrase" matches those words adjacent and in order; a OR b matches either; -word or -"a phrase" '
    "excludes. Everything else is text, never FTS5 syntax."
)

# The responses every read route may give besides its 200.
READING: dict[int | str, dict[str, Any]] = {
    401: {"model": schemas.Error, "description": "a read key is configured and was not sent"},
    422: {"model": schemas.Error, "description": "a parameter out of range or malformed"},
    503: {"model": schemas.Error, "description": "the request took longer than the time-out"},
}
