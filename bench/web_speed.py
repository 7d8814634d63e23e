"""Story page latency: a 100-article story from SaudiNewsNet served by uvicorn on 127.0.0.1.

The story is built from real articles (not by the pipeline: this measures the web layer and the
store reads behind one page): 100 articles of one day's zip that mention the query word, a brief
of 8 statements (lead sentences, each carried by 1-5 articles), a timeline of 15 events, the 30
gazetteer names (ANERGazet persons, locations, organisations) most frequent in those articles,
10 quotes and one dispute. uvicorn runs in a child process so the client does not share its GIL;
the client sends a bounded number of sequential GETs with httpx and reports the percentiles.

    .venv/bin/python bench/web_speed.py                      # 200 requests of /stories/{id}
    .venv/bin/python bench/web_speed.py --requests 100 --day 2015-08-02 --word اليمن
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import httpx

from rasid.model import Article, Dispute, Entity, Paragraph, Quote, Statement, Story, TimelineEvent
from rasid.store import open_store

SHARED = Path(__file__).resolve().parent.parent.parent / "shared" / "data"
_SENT = re.compile(r"(?<=[.!?؟])\s+")
_WORD = re.compile(r"[\u0621-\u064a]+")


def load_articles(day: str, word: str, n: int) -> list[Article]:
    with zipfile.ZipFile(SHARED / "saudinewsnet" / f"{day}.zip") as zf:
        records = json.loads(zf.read(zf.namelist()[0]))
    out: list[Article] = []
    for rec in records:
        content = rec.get("content") or ""
        if word not in content or len(content) < 400:
            continue
        paras = [p.strip() for p in content.split("\n") if p.strip()]
        out.append(
            Article(
                id=f"snn-{len(out):03d}",
                origin=f"{day}.zip",
                raw_text=content,
                content_hash=hashlib.sha256((rec["source"] + rec["url"] + content).encode()).hexdigest(),
                title=rec.get("title") or "",
                url=rec.get("url"),
                source=rec.get("source"),
                published=(rec.get("date_extracted") or "")[:10] or None,
                author=rec.get("author"),
                paragraphs=[Paragraph(p, "ar", _SENT.split(p)) for p in paras],
                story="bench-story",
            )
        )
        if len(out) == n:
            break
    if len(out) < n:
        raise SystemExit(f"only {len(out)} articles of {day} mention {word!r}; pick another --word or --day")
    return out


def gazetteer_entities(articles: list[Article], k: int) -> list[Entity]:
    """The `k` gazetteer names most often found (as whole words) in the articles."""
    words: dict[str, set[str]] = {}
    for art in articles:
        for w in set(_WORD.findall(art.text)):
            words.setdefault(w, set()).add(art.id)
    names: list[tuple[int, str, str]] = []
    for kind, file in (
        ("PER", "AlignedPersGazetteer.txt"),
        ("LOC", "AlignedLocGazetteer.txt"),
        ("ORG", "AlignedOrgGazetteer.txt"),
    ):
        for line in (SHARED / "anercorp" / "ANERGazet" / file).read_text(encoding="utf-8").splitlines():
            name = line.strip()
            if len(name) > 2 and name in words:
                names.append((len(words[name]), name, kind))
    names.sort(reverse=True)
    seen: set[str] = set()
    out: list[Entity] = []
    for _, name, kind in names:
        if name in seen:
            continue
        seen.add(name)
        out.append(
            Entity(
                name,
                kind,
                [name, "ال" + name if not name.startswith("ال") else name[2:]],
                sorted(words[name]),
            )
        )
        if len(out) == k:
            break
    return out


def build_story(articles: list[Article]) -> Story:
    ids = [a.id for a in articles]
    brief = []
    for i in range(8):
        lead = articles[i * 7]
        carried = [lead.id] + ids[i * 7 + 1 : i * 7 + 1 + (i % 5)]
        brief.append(Statement(lead.paragraphs[0].sentences[0], carried, "ar"))
    dates = sorted({a.published for a in articles if a.published})
    timeline = []
    for i in range(15):
        art = articles[(i * 6 + 3) % len(articles)]
        sent = art.paragraphs[-1].sentences[0]
        timeline.append(
            TimelineEvent(
                dates[i % len(dates)] if i < 10 else f"2015-07-{10 + i}", sent, ids[i : i + 1 + i % 4]
            )
        )
    quotes = [
        Quote(f"متحدث {i + 1}", articles[i * 9].paragraphs[0].sentences[-1][:160], ids[i * 9])
        for i in range(10)
    ]
    claim, denial = articles[50].paragraphs[0].sentences[0], articles[51].paragraphs[0].sentences[0]
    return Story(
        id="bench-story",
        title=articles[0].title,
        articles=ids,
        sources=sorted({a.source or a.id for a in articles}),
        entities=gazetteer_entities(articles, 30),
        timeline=timeline,
        quotes=quotes,
        brief=brief + [Statement(claim, [ids[50]], "ar")],
        disputed=[Dispute(claim, [ids[50]], [ids[51]], denial)],
        first_seen=dates[0],
        last_seen=dates[-1],
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--day", default="2015-08-01")
    ap.add_argument("--word", default="السعودية")
    ap.add_argument("--requests", type=int, default=200)
    args = ap.parse_args()
    n_req = max(10, min(args.requests, 2000))

    with tempfile.TemporaryDirectory() as tmp:
        db = str(Path(tmp) / "bench.db")
        articles = load_articles(args.day, args.word, 100)
        story = build_story(articles)
        store = open_store(db)
        store.add_articles(articles)
        store.put_story_headers([story])  # the members: the articles' `story`
        store.put_story_analysis([story])
        store.close()

        port = free_port()
        code = (
            "import uvicorn, sys; from rasid.web.app import create_app; "
            "uvicorn.run(create_app(sys.argv[1], write_key='', read_key=''), host='127.0.0.1', "
            "port=int(sys.argv[2]), log_level='warning', access_log=False)"
        )
        proc = subprocess.Popen([sys.executable, "-c", code, db, str(port)])
        base = f"http://127.0.0.1:{port}"
        try:
            with httpx.Client(base_url=base, timeout=10) as client:
                deadline = time.monotonic() + 30
                while True:
                    try:
                        client.get("/static/style.css")
                        break
                    except httpx.TransportError:
                        if time.monotonic() > deadline or proc.poll() is not None:
                            raise SystemExit("server did not start") from None
                        time.sleep(0.1)
                results = {}
                for label, path in (
                    ("story page", "/stories/bench-story"),
                    ("story JSON", "/api/stories/bench-story"),
                    ("story list", "/"),
                ):
                    for _ in range(10):  # warm-up: template compile, SQLite page cache
                        client.get(path)
                    times = []
                    size = 0
                    for _ in range(n_req):
                        t0 = time.perf_counter()
                        r = client.get(path)
                        times.append((time.perf_counter() - t0) * 1000)
                        r.raise_for_status()
                        size = len(r.content)
                    times.sort()
                    results[label] = (times, size)
        finally:
            proc.terminate()
            proc.wait(timeout=10)

    print(
        f"story: {len(story.articles)} articles, {len(story.brief)} statements, {len(story.timeline)} "
        f"timeline events, {len(story.entities)} entities, {len(story.quotes)} quotes, "
        f"{len(story.sources)} outlets ({args.day}, word {args.word!r})"
    )
    print(f"{n_req} sequential requests each, after 10 warm-up requests; times in ms")
    print("| route | bytes | p50 | p95 | p99 | max |")
    print("|---|---|---|---|---|---|")
    for label, (times, size) in results.items():

        def pct(p: float, t: list[float] = times) -> float:
            return t[min(len(t) - 1, int(round(p * (len(t) - 1))))]

        print(
            f"| {label} | {size} | {statistics.median(times):.1f} | {pct(0.95):.1f} | {pct(0.99):.1f} | "
            f"{times[-1]:.1f} |"
        )


if __name__ == "__main__":
    main()
