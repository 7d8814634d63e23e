"""Bench: what large uploads cost the server (`rasid serve` on 127.0.0.1 only).

1. a 400 MB chunked POST with no key: status, how much the client got to send, the server's
   memory growth (peak RSS sampled every 50 ms minus RSS before);
2. a 50 MB chunked POST with the key: status (413 expected), the same figures;
3. a 10 MB text/plain POST with the key: status (422 expected) and the response size.
No response may contain the body's marker.

    PYTHONPATH=src .venv/bin/python bench/upload_check.py --db /tmp/some.db
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))
from load import HOST, start_server  # noqa: E402

MARK = b"UPLOAD-MARK-"
CHUNK = MARK + b"A" * (256 * 1024 - len(MARK))


def _post(
    port: int, headers: dict[str, str], total: int, chunked: bool = True, ctype: str = "application/json"
) -> tuple[int, bytes, int]:
    sock = socket.create_connection((HOST, port), timeout=30)
    head = f"POST /api/articles HTTP/1.1\r\nHost: {HOST}\r\nContent-Type: {ctype}\r\n"
    head += "Transfer-Encoding: chunked\r\n" if chunked else f"Content-Length: {total}\r\n"
    head += "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n"
    sock.sendall(head.encode())
    sent = 0
    try:
        while sent < total:
            piece = CHUNK[: min(len(CHUNK), total - sent)]
            sock.sendall((f"{len(piece):x}\r\n".encode() + piece + b"\r\n") if chunked else piece)
            sent += len(piece)
        if chunked:
            sock.sendall(b"0\r\n\r\n")
    except OSError:
        pass  # the server answered and closed: stop sending
    response = b""
    try:
        while True:
            data = sock.recv(65536)
            if not data:
                break
            response += data
            if b"\r\n\r\n" in response:
                head_part, _, body = response.partition(b"\r\n\r\n")
                length = next(
                    (
                        int(x.split(b":")[1])
                        for x in head_part.split(b"\r\n")
                        if x.lower().startswith(b"content-length:")
                    ),
                    None,
                )
                if length is not None and len(body) >= length:
                    break
    except OSError:
        pass
    sock.close()
    status = int(response.split(b" ", 2)[1]) if response.startswith(b"HTTP/1.1") else 0
    return status, response, sent


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--db", required=True)
    ap.add_argument("--port", type=int, default=8766)
    args = ap.parse_args()
    env = {**os.environ, "RASID_API_KEY": "bench-key", "RASID_READ_KEY": ""}
    server = start_server(args.db, args.port, env, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                socket.create_connection((HOST, args.port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    sys.exit("upload_check: the server did not start")
                time.sleep(0.2)
        proc = psutil.Process(server.pid)
        cases = [
            ("400 MB chunked, no key", {}, 400 << 20, True, "application/json"),
            ("50 MB chunked, with key", {"X-API-Key": "bench-key"}, 50 << 20, True, "application/json"),
            ("10 MB text/plain, with key", {"X-API-Key": "bench-key"}, 10 << 20, False, "text/plain"),
        ]
        for name, headers, total, chunked, ctype in cases:
            before = proc.memory_info().rss
            peak = [before]
            stop = threading.Event()

            def sample(peak: list[int] = peak, stop: threading.Event = stop) -> None:
                while not stop.is_set():
                    peak[0] = max(peak[0], proc.memory_info().rss)
                    time.sleep(0.05)

            t = threading.Thread(target=sample)
            t.start()
            start = time.monotonic()
            status, response, sent = _post(args.port, headers, total, chunked, ctype)
            took = time.monotonic() - start
            stop.set()
            t.join()
            print(
                f"{name}: status {status}, sent {sent / 2**20:.1f} MB of {total / 2**20:.0f} MB in {took:.1f} s, "
                f"server RSS +{(peak[0] - before) / 2**20:.1f} MB (peak), response {len(response)} bytes, "
                f"body echoed: {MARK in response}"
            )
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
