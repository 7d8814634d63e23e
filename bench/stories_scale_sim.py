"""Bench: the sequential story clusterer on a synthetic stream, as the number of stored articles grows.

No corpus holds 300k or 3M articles, so this makes a stream with the shape of news: each article
starts a new story (probability `--new`, 0.55 as in SaudiNewsNet: ~0.58 stories per article) or
continues one of the stories begun in the last two days; it has a title of 6 words and a lead of 60
(topic words of its story among Zipf-drawn background words of a 200k-word synthetic Arabic-letter
vocabulary: these are its term bags and n-grams) and a 512-d unit vector (its story's direction plus
noise, cosine ~0.8 within a story, ~0 across). Time advances `--rate` articles per day, so the
clusterer's active window (stories seen in the last `dormant_days`) holds `3 x rate` articles
whatever has been stored before: `--rate 1700` is SaudiNewsNet's rate; a higher rate is a busier
stream (50 articles/s is 4.32M a day).

The real `StoryClusterer` (shipped models, default settings) assigns each article; every `--every`
articles a line gives: stored articles, stories, ms per article over the block (wall and process
CPU), resident memory (RSS), and, every `--state-every` lines, the saved state's size and the seconds
to make it (`to_bytes`, what each `rasid run` saves). It stops at `--max` articles, after `--minutes`,
or when RSS passes `--max-rss-gb`, and says which.

    .venv/bin/python bench/stories_scale_sim.py [--rate 1700] [--max 3000000] [--minutes 40] [--out sim.jsonl]

The deduper (the other half of the stories stage) is not in the loop. The machine is shared: the
load average is printed with each line; CPU ms is steadier than wall ms.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import time
from datetime import UTC, datetime, timedelta

import numpy as np

from rasid.model import Article, Paragraph
from rasid.stories import StoryClusterer

_LETTERS = [chr(c) for c in range(0x0628, 0x063B)] + [chr(c) for c in range(0x0641, 0x064B)]


def vocabulary(rng: np.random.Generator, n: int) -> list[str]:
    lengths = rng.integers(3, 8, n)
    letters = rng.integers(0, len(_LETTERS), int(lengths.sum()))
    out, at = [], 0
    for k in lengths.tolist():
        out.append("".join(_LETTERS[i] for i in letters[at : at + k].tolist()))
        at += k
    return out


class Stream:
    """The synthetic articles, one at a time (see the module docstring)."""

    def __init__(self, seed: int, rate: float, new: float, dim: int = 512, vocab: int = 200_000) -> None:
        self.rng = np.random.default_rng(seed)
        self.words = vocabulary(self.rng, vocab)
        ranks = np.arange(1, vocab + 1, dtype=np.float64)
        self.zipf = np.cumsum(1.0 / ranks)
        self.zipf /= self.zipf[-1]
        self.rate, self.new, self.dim = rate, new, dim
        self.start = datetime(2015, 7, 21, tzinfo=UTC)
        self.recent: collections.deque[tuple[float, list[str], np.ndarray]] = collections.deque()
        self.n = 0

    def _background(self, k: int) -> list[str]:
        idx = np.searchsorted(self.zipf, self.rng.random(k))
        return [self.words[i] for i in idx.tolist()]

    def next(self) -> tuple[Article, np.ndarray]:
        day = self.n / self.rate
        while self.recent and self.recent[0][0] < day - 2.0:
            self.recent.popleft()
        if not self.recent or self.rng.random() < self.new:
            topic = [self.words[i] for i in self.rng.integers(1000, len(self.words), 12).tolist()]
            direction = self.rng.standard_normal(self.dim).astype(np.float32)
            direction /= np.linalg.norm(direction)
            self.recent.append((day, topic, direction))
        else:  # a recent story, the newer ones more often
            j = len(self.recent) - 1 - min(int(self.rng.exponential(len(self.recent) / 4)), len(self.recent) - 1)
            _, topic, direction = self.recent[j]
        pick = self.rng.choice(len(topic), 8, replace=False).tolist()
        title = [topic[i] for i in pick[:4]] + self._background(2)
        lead = [topic[i] for i in pick] * 2 + self._background(44)
        self.rng.shuffle(lead)
        noise = self.rng.standard_normal(self.dim).astype(np.float32)
        vec = direction + 0.75 * noise / np.linalg.norm(noise)
        a_id = f"sim{self.n:08d}"
        published = (self.start + timedelta(days=day)).isoformat(timespec="seconds")
        text = " ".join(lead)
        art = Article(id=a_id, origin="sim", raw_text=text, content_hash=a_id, title=" ".join(title),
                      source=f"outlet{int(self.rng.integers(0, 40))}", published=published,
                      paragraphs=[Paragraph(text=text, lang="ar", sentences=[text])])
        self.n += 1
        return art, vec / np.linalg.norm(vec)


def rss_mib() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rate", type=float, default=1700.0, help="articles per day of stream time")
    ap.add_argument("--new", type=float, default=0.55, help="probability that an article starts a story")
    ap.add_argument("--max", type=int, default=3_000_000)
    ap.add_argument("--every", type=int, default=10_000)
    ap.add_argument("--state-every", type=int, default=5, help="lines between two state saves (0: never)")
    ap.add_argument("--minutes", type=float, default=40.0)
    ap.add_argument("--max-rss-gb", type=float, default=10.0)
    ap.add_argument("--seed", type=int, default=17)
    ap.add_argument("--out", help="also append each line as JSON to this file")
    args = ap.parse_args()
    stream = Stream(args.seed, args.rate, args.new)
    clusterer = StoryClusterer()
    t_end = time.monotonic() + 60 * args.minutes
    print(f"rate {args.rate:.0f} articles/day (active window ~{3 * args.rate:.0f}); up to {args.max} articles, "
          f"{args.minutes:.0f} min, {args.max_rss_gb} GB RSS; load {os.getloadavg()[0]:.1f}", flush=True)
    out = open(args.out, "a") if args.out else None  # noqa: SIM115
    reason = f"reached {args.max} articles"
    line = 0
    w0, c0 = time.perf_counter(), time.process_time()
    while stream.n < args.max:
        art, vec = stream.next()
        clusterer.assign(art, vec)
        if stream.n % args.every:
            continue
        wall, cpu = time.perf_counter() - w0, time.process_time() - c0
        line += 1
        row = {"stored": stream.n, "stories": len(clusterer), "ms_wall": 1000 * wall / args.every,
               "ms_cpu": 1000 * cpu / args.every, "rss_mib": round(rss_mib(), 1), "load": os.getloadavg()[0],
               "rate": args.rate}
        if args.state_every and line % args.state_every == 0:
            t = time.perf_counter()
            blob = clusterer.to_bytes()
            row["state_mb"] = round(len(blob) / 1e6, 1)
            row["state_s"] = round(time.perf_counter() - t, 2)
            del blob
        print(json.dumps(row), flush=True)
        if out is not None:
            out.write(json.dumps(row) + "\n")
            out.flush()
        if row["rss_mib"] > 1024 * args.max_rss_gb:
            reason = f"RSS {row['rss_mib']:.0f} MiB passed {args.max_rss_gb} GB"
            break
        if time.monotonic() > t_end:
            reason = f"time budget of {args.minutes:.0f} min spent"
            break
        w0, c0 = time.perf_counter(), time.process_time()
    print(f"stopped at {stream.n} articles: {reason}", flush=True)
    if out is not None:
        out.write(json.dumps({"stopped": stream.n, "reason": reason}) + "\n")
        out.close()


if __name__ == "__main__":
    main()
