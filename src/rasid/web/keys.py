"""Keys and headers: the security headers every response carries, the keys a client presents
(compared in constant time), and the read/write checks of the routes."""

from __future__ import annotations

import base64
import binascii
import hmac
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from fastapi import Request
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

STRICT_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


class SecurityHeaders:
    """Adds CSP, nosniff, no-referrer and frame denial to every response (pure ASGI, cheap)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        csp = STRICT_CSP

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers["Content-Security-Policy"] = csp
                headers["X-Content-Type-Options"] = "nosniff"
                headers["Referrer-Policy"] = "no-referrer"
                headers["X-Frame-Options"] = "DENY"
            await send(message)

        await self.app(scope, receive, send_with_headers)


def presented_key(request: Request) -> str | None:
    """The key a client sent: X-API-Key, `Authorization: Bearer KEY`, or Basic auth's password."""
    key = request.headers.get("x-api-key")
    if key:
        return key.strip()
    scheme, _, cred = request.headers.get("authorization", "").partition(" ")
    scheme = scheme.lower()
    if scheme == "bearer":
        return cred.strip() or None
    if scheme == "basic":
        try:
            decoded = base64.b64decode(cred.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return None
        return decoded.partition(":")[2] or None
    return None


def same_key(a: str | None, b: str | None) -> bool:
    return a is not None and b is not None and hmac.compare_digest(a.encode(), b.encode())


def wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/") or request.url.path == "/api"


def clean_errors(errors: Sequence[Any]) -> list[dict[str, Any]]:
    """Validation errors without the values sent (no echo of what a client posted or asked)."""
    return [
        {
            "loc": [str(x) for x in e.get("loc", ())],
            "msg": str(e.get("msg", "")),
            "type": str(e.get("type", "")),
        }
        for e in errors
    ]


def error_text(status: int, detail: Any) -> str:
    known = {404: "لم نجد هذه الصفحة.", 401: "هذه الصفحة تحتاج إلى مفتاح قراءة.", 422: "قيمة غير صالحة."}
    return known.get(status, str(detail))


@dataclass(frozen=True, slots=True)
class Keys:
    """The server's keys ("no key" is None): reading is open without a read key; writing needs the
    write key and is off (503) without one."""

    write: str | None
    read: str | None

    def check_read(self, request: Request) -> None:
        if self.read is None:
            return
        key = presented_key(request)
        if same_key(key, self.read) or same_key(key, self.write):
            return
        challenge = "Bearer" if wants_json(request) else 'Basic realm="rasid"'
        raise StarletteHTTPException(401, "a read key is required", headers={"WWW-Authenticate": challenge})

    def check_write(self, request: Request) -> None:
        if self.write is None:
            raise StarletteHTTPException(
                503, "ingestion is disabled: no API key is configured (RASID_API_KEY)"
            )
        if not same_key(presented_key(request), self.write):
            raise StarletteHTTPException(
                401,
                "a valid API key is required (X-API-Key or Authorization: Bearer)",
                headers={"WWW-Authenticate": "Bearer"},
            )
