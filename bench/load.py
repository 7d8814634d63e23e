"""Bench: the web server under concurrent readers, with and without a concurrent `rasid run`.

Starts `rasid serve` on 127.0.0.1 (only), then runs N reader coroutines for T seconds over a mix of
pages (story list with orders, pages and filters; story pages; article pages; search pages; and
their /api equivalents), each on its own keep-alive connection. With --writer INPUT, a `rasid run`
ingests INPUT into the same store while the readers read. Prints requests/s, p50/p95/p99 (all and
per kind), errors, and the number of articles before and after (with the writer: the articles it
added must all be there).

    PYTHONPATH=src .venv/bin/python bench/load.py --db three.db --readers 50 --seconds 60
    PYTHONPATH=src .venv/bin/python bench/load.py --db three.db --readers 50 --seconds 60 --writer day4.jsonl

Bounded: at most --max-requests requests, --seconds of reading, 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import sqlite3
import subprocess
import sys
import time
import urllib.parse
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

HOST = "127.0.0.1"


@dataclass
class Tally:
    times: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    count: int = 0


def _count_articles(db: str) -> int:
    conn = sqlite3.connect(f"file:{Path(db).resolve()}?mode=ro", uri=True)
    try:
        return int(conn.execute("SELECT count(*) FROM articles").fetchone()[0])
    finally:
        conn.close()


def _missing(db: str, feed: str) -> tuple[int, int]:
    """(records of `feed` with text, those whose id is not in the store afterwards)."""
    ids = []
    with open(feed, encoding="utf-8") as fh:
        for line in fh:
            rec = json.loads(line)
            if (rec.get("text") or rec.get("content") or rec.get("html") or "").strip():
                ids.append(rec.get("id") or rec.get("url"))
    conn = sqlite3.connect(f"file:{Path(db).resolve()}?mode=ro", uri=True)
    try:
        found = set()
        for i in range(0, len(ids), 500):
            chunk = ids[i : i + 500]
            found.update(
                r[0]
                for r in conn.execute(
                    f"SELECT id FROM articles WHERE id IN ({','.join('?' * len(chunk))})", chunk
                )
            )
        # a record whose text is already stored under another id is a copy, kept once by design
        return len(ids), len(set(ids) - found)
    finally:
        conn.close()


def _targets(db: str, rng: random.Random) -> list[tuple[str, str]]:
    """(kind, path) pairs drawn from the store: what readers ask for."""
    conn = sqlite3.connect(f"file:{Path(db).resolve()}?mode=ro", uri=True)
    try:
        stories = [r[0] for r in conn.execute("SELECT id FROM story_list ORDER BY rank DESC LIMIT 300")]
        stories += [r[0] for r in conn.execute("SELECT id FROM stories ORDER BY random() LIMIT 1500")]
        articles = [r[0] for r in conn.execute("SELECT id FROM articles ORDER BY random() LIMIT 2500")]
        titles = [
            r[0]
            for r in conn.execute("SELECT title FROM articles WHERE title != '' ORDER BY random() LIMIT 1000")
        ]
        sources = [
            r[0]
            for r in conn.execute("SELECT DISTINCT source FROM articles WHERE source IS NOT NULL LIMIT 20")
        ]
        ents = [
            r[0]
            for r in conn.execute(
                "SELECT value FROM story_facets WHERE kind = 'entity' ORDER BY random() LIMIT 50"
            )
        ]
        days = [r[0] for r in conn.execute("SELECT DISTINCT last_day FROM story_list WHERE last_day != ''")]
    finally:
        conn.close()
    words = [w for t in titles for w in t.split() if len(w) > 3]
    q = urllib.parse.quote
    out: list[tuple[str, str]] = []
    for n in range(1, 6):
        out += [
            ("list", f"/?page={n}"),
            ("list", f"/?order=latest&page={n}"),
            ("api-list", f"/api/stories?page={n}"),
        ]
    for s in sources:
        out.append(("list", f"/?source={q(s)}"))
    for e in ents:
        out.append(("list", f"/?entity={q(e)}"))
    for d in days:
        out += [("list", f"/?date_from={d}&date_to={d}"), ("list", f"/?lang=ar&date_from={d}")]
    for s in stories:
        out += [("story", f"/stories/{q(s, safe='')}"), ("api-story", f"/api/stories/{q(s, safe='')}")]
    for a in articles:
        out += [("article", f"/articles/{q(a, safe='')}"), ("api-article", f"/api/articles/{q(a, safe='')}")]
    for _ in range(1000):
        w = rng.sample(words, 2) if len(words) > 2 else ["خبر", "اليوم"]
        out += [
            ("search", f"/search?q={q(w[0])}"),
            ("search", f"/search?q={q(w[0] + ' ' + w[1])}"),
            ("api-search", f"/api/search?q={q(w[0])}"),
        ]
    return out


async def _get(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, path: str) -> int:
    writer.write(f"GET {path} HTTP/1.1\r\nHost: {HOST}\r\nConnection: keep-alive\r\n\r\n".encode())
    await writer.drain()
    status_line = await reader.readline()
    status = int(status_line.split()[1])
    length = None
    chunked = False
    while True:
        line = await reader.readline()
        if line in (b"\r\n", b""):
            break
        name, _, value = line.decode("latin-1").partition(":")
        if name.lower() == "content-length":
            length = int(value.strip())
        elif name.lower() == "transfer-encoding" and "chunked" in value.lower():
            chunked = True
    if chunked:
        while True:
            size = int((await reader.readline()).strip(), 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    elif length:
        await reader.readexactly(length)
    return status


async def _reader(
    port: int,
    targets: list[tuple[str, str]],
    until: float,
    tally: Tally,
    limit: int,
    rng: random.Random,
    timeout: float,
) -> None:
    conn = None
    while time.monotonic() < until and tally.count < limit:
        kind, path = rng.choice(targets)
        if conn is None:
            conn = await asyncio.open_connection(HOST, port)
        start = time.perf_counter()
        tally.count += 1
        try:
            status = await asyncio.wait_for(_get(*conn, path), timeout)
        except (TimeoutError, OSError, ValueError, IndexError, asyncio.IncompleteReadError):
            tally.errors[kind] += 1
            conn[1].close()
            conn = None
            continue
        tally.times[kind].append(time.perf_counter() - start)
        if status != 200:
            tally.errors[kind] += 1
    if conn is not None:
        conn[1].close()


def _pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))] * 1000


async def _run_readers(
    port: int, targets, readers: int, seconds: float, limit: int, seed: int, timeout: float
) -> tuple[Tally, float]:
    tally = Tally()
    start = time.monotonic()
    until = start + seconds
    await asyncio.gather(
        *(
            _reader(port, targets, until, tally, limit, random.Random(seed + i), timeout)
            for i in range(readers)
        )
    )
    return tally, time.monotonic() - start


def start_server(
    db: str, port: int, env: dict[str, str], processes: int = 1, stderr: int = subprocess.PIPE
) -> subprocess.Popen:
    """`rasid serve` of `db` on 127.0.0.1:`port` in a child process (the benches' server)."""
    cmd = [sys.executable, "-m", "rasid.cli", "serve", "--db", db, "--host", HOST, "--port", str(port)]
    if processes != 1:
        cmd += ["--processes", str(processes)]
    return subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=stderr)


def _wait_up(port: int, proc: subprocess.Popen, deadline: float) -> None:
    import socket

    while time.monotonic() < deadline:
        if proc.poll() is not None:
            sys.exit(f"load: the server exited with {proc.returncode}")
        try:
            with socket.create_connection((HOST, port), timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    sys.exit("load: the server did not start")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--db", required=True)
    ap.add_argument("--readers", type=int, default=50)
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--max-requests", type=int, default=200_000)
    ap.add_argument("--timeout", type=float, default=15.0, help="a request slower than this is an error")
    ap.add_argument("--writer", help="an input for a concurrent `rasid run` into the same store")
    ap.add_argument("--port", type=int, default=8765)
    ap.add_argument("--processes", type=int, default=1, help="server processes (rasid serve --processes)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--json", action="store_true", help="print the result as one JSON line too")
    ap.add_argument(
        "--no-cache", action="store_true", help="serve without the response cache (RASID_WEB_CACHE=0)"
    )
    ap.add_argument(
        "--cache-entries",
        type=int,
        default=None,
        help="the response cache's size in entries (RASID_WEB_CACHE; default: the server's default)",
    )
    args = ap.parse_args()
    if not 1 <= args.readers <= 200 or not 0 < args.seconds <= 600:
        sys.exit("load: readers in 1..200 and seconds in (0, 600]")
    env = {**os.environ, "RASID_API_KEY": "", "RASID_READ_KEY": ""}
    env.pop("RASID_WEB_CACHE", None)
    if args.no_cache or args.cache_entries is not None:
        env["RASID_WEB_CACHE"] = "0" if args.no_cache else str(args.cache_entries)
    py = sys.executable
    before = _count_articles(args.db)
    server = start_server(args.db, args.port, env, processes=args.processes)
    writer = None
    try:
        _wait_up(args.port, server, time.monotonic() + 300)
        targets = _targets(args.db, random.Random(args.seed))
        import psutil

        server_proc = psutil.Process(server.pid)

        def server_cpu_now() -> float:
            procs = [server_proc, *server_proc.children(recursive=True)]
            return sum(sum(p.cpu_times()[:2]) for p in procs)

        cpu0 = server_cpu_now()
        if args.writer:
            writer = subprocess.Popen(
                [py, "-m", "rasid.cli", "run", "--db", args.db, "--no-progress", "-q", args.writer],
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
            )
        tally, took = asyncio.run(
            _run_readers(
                args.port, targets, args.readers, args.seconds, args.max_requests, args.seed, args.timeout
            )
        )
        server_cpu = server_cpu_now() - cpu0
        writer_rc = None
        writer_secs = None
        if writer is not None:
            t0 = time.monotonic()
            writer_rc = writer.wait(timeout=900)
            writer_secs = time.monotonic() - t0
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
        if writer is not None and writer.poll() is None:
            writer.kill()
    after = _count_articles(args.db)
    fed, missing = _missing(args.db, args.writer) if args.writer else (0, 0)
    all_times = [t for ts in tally.times.values() for t in ts]
    errors = sum(tally.errors.values())
    result = {
        "readers": args.readers,
        "seconds": round(took, 1),
        "requests": tally.count,
        "rps": round(tally.count / took, 1),
        "p50_ms": round(_pct(all_times, 50), 1),
        "p95_ms": round(_pct(all_times, 95), 1),
        "p99_ms": round(_pct(all_times, 99), 1),
        "errors": errors,
        "server_cpu_ms_per_request": round(server_cpu / max(tally.count, 1) * 1000, 2),
        "articles_before": before,
        "articles_after": after,
        "writer": args.writer,
        "writer_exit": writer_rc,
        "writer_records": fed,
        "writer_ids_missing": missing,
        "writer_wait_after_readers_s": round(writer_secs, 1) if writer_secs is not None else None,
        "by_kind": {
            k: {
                "n": len(v),
                "p50_ms": round(_pct(v, 50), 1),
                "p95_ms": round(_pct(v, 95), 1),
                "errors": tally.errors.get(k, 0),
            }
            for k, v in sorted(tally.times.items())
        },
    }
    print(
        f"{args.readers} readers, {took:.0f} s{' + writer ' + args.writer if args.writer else ''}"
        f"{' (no cache)' if args.no_cache else ''}, {args.processes} server process(es), "
        f"{len(set(targets))} distinct URLs: "
        f"{tally.count} requests, {result['rps']} req/s, p50 {result['p50_ms']} ms, p95 {result['p95_ms']} ms, "
        f"p99 {result['p99_ms']} ms, {errors} errors; server CPU {result['server_cpu_ms_per_request']} ms/request; "
        f"articles {before} -> {after}"
        + (
            f" (writer exit {writer_rc}; {fed} records with text, {missing} of their ids not in the store)"
            if args.writer
            else ""
        )
    )
    for kind, row in result["by_kind"].items():
        print(
            f"  {kind:12s} n={row['n']:6d}  p50 {row['p50_ms']:7.1f} ms  p95 {row['p95_ms']:7.1f} ms  errors {row['errors']}"
        )
    if args.json:
        print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
