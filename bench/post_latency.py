"""Bench: how long a POSTed article takes to reach its story (`rasid serve` on 127.0.0.1 only).

Copies the store (so the bench never changes it), starts `rasid serve` over the copy, POSTs the
first record of FEED once to load the models (reported apart), then POSTs the next --posts records
one at a time. For each it prints the seconds until `/api/articles/{id}` names a story (polled every
20 ms: the stories stage has committed) and until the POST answers `done` (the understanding stage
has analysed the story too). With --writer INPUT, a `rasid run` ingests INPUT into the same store
while the posts go on; afterwards every article of the store must be in exactly one story.

    PYTHONPATH=src .venv/bin/python bench/post_latency.py --db three.db --feed 2015-08-04.jsonl --posts 10
    PYTHONPATH=src .venv/bin/python bench/post_latency.py --db three.db --feed 2015-08-04.jsonl --writer more.jsonl

Bounded: --posts posts, each waited for at most 60 s; 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

HOST = "127.0.0.1"
KEY = "bench-key"


def _get(port: int, path: str) -> dict:
    with urllib.request.urlopen(f"http://{HOST}:{port}{path}", timeout=30) as r:
        return json.loads(r.read())


def _post(port: int, record: dict) -> tuple[int, dict]:
    req = urllib.request.Request(
        f"http://{HOST}:{port}/api/articles?wait=60",
        method="POST",
        data=json.dumps(record, ensure_ascii=False).encode("utf-8"),
        headers={"Content-Type": "application/json", "X-API-Key": KEY},
    )
    try:
        with urllib.request.urlopen(req, timeout=90) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as exc:
        text = exc.read().decode("utf-8", "replace")
        try:
            body = json.loads(text)
            return exc.code, {"status": f"{body.get('status')}: {'; '.join(body.get('errors') or [])[:300]}"}
        except ValueError:
            return exc.code, {"status": text[:300]}


def _one(port: int, record: dict) -> tuple[float | None, float, str]:
    """(seconds until the article names a story, seconds until the POST answered, its status)."""
    path = "/api/articles/" + urllib.parse.quote(record["id"], safe=":/")
    seen: list[float] = []
    done = threading.Event()
    start = time.perf_counter()

    def poll() -> None:
        while not done.is_set():
            try:
                if _get(port, path).get("story"):
                    seen.append(time.perf_counter() - start)
                    return
            except OSError:
                pass  # 404 until the text half stored it
            time.sleep(0.02)

    t = threading.Thread(target=poll, daemon=True)
    t.start()
    status, body = _post(port, record)
    answered = time.perf_counter() - start
    t.join(timeout=5)
    done.set()
    return (
        (seen[0] if seen else None),
        answered,
        (
            f"{status} {body.get('status')}, added {len(body.get('added', []))}"
            f", already stored {body.get('already_stored')}"
        ),
    )


def _follow(writer: subprocess.Popen, phase: list) -> None:
    """Keep phase[0] at the stage the writer (`--log-json`) is in; append each stage as it starts."""
    start = time.monotonic()
    assert writer.stderr is not None
    for line in writer.stderr:
        try:
            rec = json.loads(line)
        except ValueError:
            continue
        if rec.get("level") == "progress" and not rec.get("finished"):
            phase[0] = f"{rec['stage']} (since {time.monotonic() - start:.0f} s)"
            phase.append(f"{rec['stage']} at {time.monotonic() - start:.0f} s")
        elif rec.get("level") == "progress":
            phase[0] = f"after {rec['stage']}"
    phase[0] = "ended"


def _wait_port(port: int, server: subprocess.Popen) -> None:
    deadline = time.monotonic() + 120
    while True:
        try:
            socket.create_connection((HOST, port), timeout=1).close()
            return
        except OSError:
            if time.monotonic() > deadline or server.poll() is not None:
                sys.exit("post_latency: the server did not start")
            time.sleep(0.2)


def _check(db: str) -> str:
    """Articles in the store, those in no story, and those in a story that has no row (membership is
    kept once, in `articles.story`, so an article cannot be listed in two stories)."""
    conn = sqlite3.connect(f"file:{Path(db).resolve()}?mode=ro", uri=True)
    try:
        n, placed = conn.execute("SELECT count(*), count(story) FROM articles").fetchone()
        orphans = conn.execute(
            "SELECT count(*) FROM articles a WHERE a.story IS NOT NULL AND NOT EXISTS"
            " (SELECT 1 FROM stories s WHERE s.id = a.story)"
        ).fetchone()[0]
        return f"{n} articles, {n - placed} in no story, {orphans} in a story with no row"
    finally:
        conn.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--db", required=True, help="the store to copy (left unchanged)")
    ap.add_argument("--feed", required=True, help="JSONL records to POST (the first one warms the models)")
    ap.add_argument("--posts", type=int, default=8)
    ap.add_argument("--port", type=int, default=8767)
    ap.add_argument("--writer", help="JSONL input a concurrent `rasid run` ingests meanwhile")
    ap.add_argument(
        "--every",
        type=float,
        default=0.0,
        help="seconds from one post's start to the next (spreads the posts over the writer's stages)",
    )
    args = ap.parse_args()
    records = [
        json.loads(line) for line in Path(args.feed).read_text(encoding="utf-8").splitlines() if line.strip()
    ]
    records = [r for r in records if len(r.get("text") or "") > 200][: args.posts + 1]
    with tempfile.TemporaryDirectory(prefix="rasid-post-") as tmp:
        db = str(Path(tmp) / "store.db")
        shutil.copyfile(args.db, db)
        env = {**os.environ, "RASID_API_KEY": KEY, "RASID_READ_KEY": ""}
        log = open(Path(tmp) / "server.log", "wb")  # noqa: SIM115 - closed with the server
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "rasid.cli",
                "serve",
                "--db",
                db,
                "--host",
                HOST,
                "--port",
                str(args.port),
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=log,
        )
        writer = None
        phase = [
            "not started"
        ]  # the writer's stage now, then each stage with its start (s after the writer's)
        try:
            _wait_port(args.port, server)
            story_s, done_s, status = _one(args.port, records[0])
            print(
                f"warm-up post (loads the models and the state): story {story_s or float('nan'):.2f} s, "
                f"done {done_s:.2f} s ({status}); load {os.getloadavg()[0]:.1f}"
            )
            if args.writer:
                writer = subprocess.Popen(
                    [sys.executable, "-m", "rasid.cli", "run", "--db", db, "--log-json", args.writer],
                    env=env,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.PIPE,
                )
                threading.Thread(target=_follow, args=(writer, phase), daemon=True).start()
            to_story, to_done = [], []
            for i, rec in enumerate(records[1:], 1):
                began, at = time.monotonic(), phase[0]
                story_s, done_s, status = _one(args.port, rec)
                print(
                    f"post {i}: story {story_s if story_s is not None else float('nan'):.2f} s, "
                    f"done {done_s:.2f} s ({status})" + (f"; writer: {at}" if writer is not None else "")
                )
                time.sleep(max(0.0, args.every - (time.monotonic() - began)))
                if story_s is not None:
                    to_story.append(story_s)
                to_done.append(done_s)
            if to_story:
                print(
                    f"in its story: median {statistics.median(to_story):.2f} s, max {max(to_story):.2f} s "
                    f"({len(to_story)} of {len(records) - 1}); done: median {statistics.median(to_done):.2f} s, "
                    f"max {max(to_done):.2f} s; load {os.getloadavg()[0]:.1f}"
                )
            if writer is not None:
                writer.wait(timeout=1800)
                print(f"writer exit {writer.returncode}; its stages: {phase[1:]}")
        finally:
            if writer is not None and writer.poll() is None:
                writer.kill()
            server.terminate()
            server.wait(timeout=60)
            log.close()
            errors = [
                line
                for line in (Path(tmp) / "server.log").read_text(errors="replace").splitlines()
                if "Error" in line or "error" in line
            ]
            print(f"server log: {len(errors)} error lines" + "".join(f"\n  {e[:300]}" for e in errors[-8:]))
        print("store afterwards:", _check(db))


if __name__ == "__main__":
    main()
