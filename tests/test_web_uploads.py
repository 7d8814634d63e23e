"""Uploads against a real server (uvicorn on 127.0.0.1, in a thread): the key is checked before the
body is read, the size limit holds while a chunked body streams, and no refusal echoes the body.

The app is wrapped in a counter of the body bytes it actually received, so "not read" is measured,
not assumed.
"""

from __future__ import annotations

import select
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from test_web import build_seed_store

from rasid.web.app import create_app

LIMIT = 1024 * 1024
CHUNK = b"A" * 65536
MARK = b"ECHO-MARK-"


@dataclass
class Counter:
    body_bytes: int = 0


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory, gold, seed_texts) -> Iterator[tuple[int, Counter]]:
    import uvicorn

    db = build_seed_store(tmp_path_factory.mktemp("uploads") / "u.db", gold, seed_texts, hostile=False)
    app = create_app(str(db), write_key="k3y", read_key="", stages=(), max_body_bytes=LIMIT)
    counter = Counter()

    async def counting(scope, receive, send):  # type: ignore[no-untyped-def]
        async def counted():  # type: ignore[no-untyped-def]
            msg = await receive()
            if msg["type"] == "http.request":
                counter.body_bytes += len(msg.get("body", b""))
            return msg

        await app(scope, counted, send)

    port = _free_port()
    srv = uvicorn.Server(
        uvicorn.Config(counting, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not srv.started:
        assert time.monotonic() < deadline, "server did not start"
        time.sleep(0.05)
    yield port, counter
    srv.should_exit = True
    thread.join(10)


def _chunked_post(port: int, headers: dict[str, str], total: int) -> tuple[int, bytes, int]:
    """POST a chunked body of up to `total` bytes, stopping once the server answers.

    Returns (status, response bytes, bytes of body sent)."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=20)
    head = (
        "POST /api/articles HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        "Transfer-Encoding: chunked\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n"
    )
    sock.sendall(head.encode())
    sent = 0
    response = b""
    sock.setblocking(False)
    deadline = time.monotonic() + 30
    while sent < total and time.monotonic() < deadline:
        readable, writable, _ = select.select([sock], [sock], [], 0.5)
        if readable:
            break
        if writable:
            piece = (MARK + CHUNK)[: min(len(CHUNK), total - sent)]
            frame = f"{len(piece):x}\r\n".encode() + piece + b"\r\n"
            try:
                sock.sendall(frame)
            except (BlockingIOError, BrokenPipeError, ConnectionResetError):
                break
            sent += len(piece)
    sock.setblocking(True)
    sock.settimeout(20)
    try:
        while b"\r\n\r\n" not in response or len(response) < 64:
            data = sock.recv(65536)
            if not data:
                break
            response += data
            if b"\r\n\r\n" in response:
                head_part, _, body = response.partition(b"\r\n\r\n")
                length = next(
                    (
                        int(line.split(b":")[1])
                        for line in head_part.split(b"\r\n")
                        if line.lower().startswith(b"content-length:")
                    ),
                    None,
                )
                if length is not None and len(body) >= length:
                    break
    finally:
        sock.close()
    status = int(response.split(b" ", 2)[1]) if response.startswith(b"HTTP/1.1") else 0
    return status, response, sent


def test_unauthenticated_chunked_post_is_refused_unread(server):
    port, counter = server
    before = counter.body_bytes
    status, response, sent = _chunked_post(port, {}, 200 * 1024 * 1024)
    assert status == 401, response[:300]
    assert counter.body_bytes - before == 0  # the app never read a byte of the body
    assert sent < 200 * 1024 * 1024  # refused before the client finished sending
    assert MARK not in response and len(response) < 2000


def test_wrong_key_is_refused_unread(server):
    port, counter = server
    before = counter.body_bytes
    status, response, _ = _chunked_post(port, {"X-API-Key": "wrong"}, 20 * 1024 * 1024)
    assert status == 401 and counter.body_bytes - before == 0


def test_oversize_chunked_post_with_key_is_413_without_echo(server):
    port, counter = server
    before = counter.body_bytes
    status, response, sent = _chunked_post(port, {"X-API-Key": "k3y"}, 50 * 1024 * 1024)
    assert status == 413, response[:300]
    read = counter.body_bytes - before
    assert LIMIT < read <= 2 * LIMIT  # read up to the limit (plus what the server had buffered), then refused
    assert MARK not in response and len(response) < 2000


def test_declared_oversize_is_413_before_reading(server):
    import http.client

    port, counter = server
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
    conn.putrequest("POST", "/api/articles")
    conn.putheader("X-API-Key", "k3y")
    conn.putheader("Content-Length", str(LIMIT + 1))
    conn.endheaders()
    before = counter.body_bytes
    resp = conn.getresponse()
    assert resp.status == 413 and counter.body_bytes == before
    conn.close()


@pytest.mark.parametrize(
    ("body", "ctype"),
    [
        (MARK + b"x" * 500_000, "text/plain"),
        (b'{"text": "' + MARK + b'", "id": ' + b"[1]" * 1000 + b"}", "application/json"),
        (b'["' + MARK + b'"]', "application/json"),
        (b'{"title": ["' + MARK + b'"]}', "application/json"),
    ],
)
def test_refused_records_are_not_echoed(tmp_path, gold, seed_texts, body, ctype):
    from fastapi.testclient import TestClient

    db = build_seed_store(tmp_path / "e.db", gold, seed_texts, hostile=False)
    with TestClient(create_app(str(db), write_key="k3y", read_key="", stages=(), max_body_bytes=LIMIT)) as c:
        r = c.post("/api/articles", content=body, headers={"X-API-Key": "k3y", "Content-Type": ctype})
    assert r.status_code == 422
    assert MARK not in r.content and len(r.content) < 5000
    assert r.json()["detail"]
