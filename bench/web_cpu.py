"""Bench: the server's CPU per request, by page kind, over the URLs `bench/load.py` draws.

Starts `rasid serve` on 127.0.0.1 (only), then for each kind (list, story, article, search and
their /api equivalents) asks for up to --per-kind distinct URLs one after another on one keep-alive
connection, and reads the server process's CPU time before and after: CPU ms per request of that
kind, for pages not yet cached (each URL asked once). With --repeat, the same URLs are asked again
(what a cached answer costs). No concurrency, so the figure is the server's own work per request,
much less sensitive to a busy machine than wall-clock latency.

    PYTHONPATH=src .venv/bin/python bench/web_cpu.py --db three.db
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from load import HOST, _get, _targets, _wait_up, start_server  # noqa: E402


async def _ask(port: int, paths: list[str]) -> list[int]:
    conn = await asyncio.open_connection(HOST, port)
    try:
        return [await asyncio.wait_for(_get(*conn, p), 30) for p in paths]
    finally:
        conn[1].close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--db", required=True)
    ap.add_argument("--per-kind", type=int, default=300, help="distinct URLs per kind (at most 2000)")
    ap.add_argument("--port", type=int, default=8766)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--repeat", action="store_true", help="ask each URL a second time (cached answers)")
    ap.add_argument("--no-cache", action="store_true", help="serve without the response cache")
    args = ap.parse_args()
    if not 1 <= args.per_kind <= 2000:
        sys.exit("web_cpu: --per-kind in 1..2000")
    import psutil

    env = {**os.environ, "RASID_API_KEY": "", "RASID_READ_KEY": ""}
    env.pop("RASID_WEB_CACHE", None)
    if args.no_cache:
        env["RASID_WEB_CACHE"] = "0"
    server = start_server(args.db, args.port, env)
    try:
        _wait_up(args.port, server, time.monotonic() + 300)
        rng = random.Random(args.seed)
        by_kind: dict[str, list[str]] = defaultdict(list)
        for kind, path in dict.fromkeys(_targets(args.db, rng)):
            by_kind[kind].append(path)
        proc = psutil.Process(server.pid)
        # warm-up, outside the measured URLs: every template compiled, each read thread's connection
        # opened (a few URLs of each kind, on several connections at once)
        # (a kind with few URLs, the list API's five, is warmed with the URLs it is measured on)
        warm = {kind: paths[-20:] for kind, paths in by_kind.items()}
        for paths in by_kind.values():
            if len(paths) > 40:
                del paths[-20:]

        async def warm_up() -> None:
            await asyncio.gather(
                *(_ask(args.port, [p for ps in warm.values() for p in ps[i::8]]) for i in range(8))
            )

        asyncio.run(warm_up())
        print(f"server CPU per request by kind ({args.db}, cache {'off' if args.no_cache else 'on'}):")
        rounds = ("first", "again") if args.repeat else ("first",)
        for kind in sorted(by_kind):
            paths = rng.sample(by_kind[kind], min(args.per_kind, len(by_kind[kind])))
            cells = []
            for label in rounds:
                cpu0, t0 = sum(proc.cpu_times()[:2]), time.perf_counter()
                statuses = asyncio.run(_ask(args.port, paths))
                cpu, wall = sum(proc.cpu_times()[:2]) - cpu0, time.perf_counter() - t0
                bad = sum(s != 200 for s in statuses)
                cells.append(
                    f"{label} {cpu / len(paths) * 1000:6.2f} ms CPU ({wall / len(paths) * 1000:6.2f} ms wall)"
                    + (f" {bad} not 200" if bad else "")
                )
            print(f"  {kind:12s} n={len(paths):4d}  " + "; ".join(cells))
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()


if __name__ == "__main__":
    main()
