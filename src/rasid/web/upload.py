"""Reading a POSTed batch of input records safely: size first, then JSON, then the record schema.

The key is checked by the caller before anything here runs, so an unauthenticated client never has
its body read. The size limit is enforced while the body streams in, counting the bytes actually
received (a chunked body has no Content-Length to trust). No error message here ever repeats what
the client sent: only positions, field names and reasons.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

MAX_BODY_BYTES = 20 * 1024 * 1024
MAX_RECORDS = 1000


class InputRecord(BaseModel):
    """One input record (CONTRACT.md): at least one of title, text, content or html carries the
    article; every other field is optional. Unknown fields (trafilatura's, news-please's) are kept."""

    model_config = ConfigDict(extra="allow")

    id: str | int | None = Field(default=None, description="article id; default the url, else a content hash")
    url: str | None = Field(default=None, description="where the article was published")
    source: str | None = Field(default=None, description="the outlet")
    title: str | None = None
    text: str | None = Field(default=None, description="the article text (plain)")
    content: str | None = Field(default=None, description="a synonym of text")
    html: str | None = Field(default=None, description="the article page; its main text is extracted")
    published: str | None = Field(default=None, description="ISO 8601 date or datetime")
    lang: str | None = None


_BATCH = TypeAdapter(InputRecord | list[InputRecord])


@dataclass(slots=True, frozen=True)
class UploadError(Exception):
    """A refused upload: the HTTP status and a message that names no client data."""

    status: int
    message: str
    errors: tuple[dict[str, Any], ...] = ()


async def read_limited(chunks: AsyncIterator[bytes], declared: str | None, limit: int) -> bytes:
    """The body, refused with 413 as soon as more than `limit` bytes are declared or received."""
    if declared is not None:
        declared = declared.strip()
        if not declared.isdigit():
            raise UploadError(400, "Content-Length is not a number")
        if int(declared) > limit:
            raise UploadError(413, f"request body over {limit} bytes")
    body = bytearray()
    async for chunk in chunks:
        body += chunk
        if len(body) > limit:
            raise UploadError(413, f"request body over {limit} bytes")
    return bytes(body)


def parse_records(body: bytes, max_records: int = MAX_RECORDS) -> list[dict[str, Any]]:
    """The records of a JSON body (one object or a list of them), checked against `InputRecord`."""
    if not body.strip():
        raise UploadError(422, "empty body: send one input record or a list of them as JSON")
    try:
        data = json.loads(body)
    except UnicodeDecodeError:
        raise UploadError(422, "request body is not UTF-8 JSON") from None
    except json.JSONDecodeError as exc:
        raise UploadError(
            422, f"request body is not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})"
        ) from None
    if isinstance(data, list) and len(data) > max_records:
        raise UploadError(413, f"more than {max_records} records in one request")
    try:
        _BATCH.validate_python(data)
    except ValidationError as exc:
        errors = tuple(
            {"loc": list(e["loc"])[-3:], "msg": e["msg"], "type": e["type"]} for e in exc.errors()[:20]
        )
        raise UploadError(
            422, "not an input record or a list of input records (CONTRACT.md)", errors
        ) from None
    batch = [data] if isinstance(data, dict) else list(data)
    if not batch:
        raise UploadError(422, "no records")
    return batch


def record_schema() -> dict[str, Any]:
    """The JSON schema of the request body, for the OpenAPI description."""
    return _BATCH.json_schema(ref_template="#/components/schemas/{model}")
