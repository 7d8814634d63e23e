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

**Built state** (`--at N [N ...]`): streaming 3M articles at ~6.5 ms each is 5.4 h of CPU, so this
mode builds the clusterer's state at N stored directly, each N in a fresh process:

- the dormant history (N minus a window's warm-up, days before the stream) is made vectorised and put
  into a `StoryClusterer` by `build_history` (bench only: the records `from_bytes` makes for a
  dormant story, set directly, since a 3M blob and its copy would not fit in memory): story sizes
  Yule-Simon (`--yule 2.3`: mean ~1.77 articles a story, ~70 % single-article, a tail of running
  topics of hundreds, as SaudiNewsNet's 0.56 stories per article), each story's first day uniform
  over the history, its span growing with its size, one or two outlets, a 6-word title, a 512-d
  vector sum; document frequencies (`df`, lead n-gram `gdf`) scaled from a 1,000-article sample;
- then `--warm` articles of the stream (default 3.25 days, so the active window is full) and
  `--timed` more (default 2,000), each timed alone (`assign`: process CPU and wall), with the Python
  garbage collector's passes in the timed block, RSS after each phase, and (N <= `--blob-max`) the
  saved state's size and the seconds of `to_bytes` / `from_bytes`.

    .venv/bin/python bench/stories_scale_sim.py --at 30000 300000 3000000 [--timed 2000] [--out built.jsonl]

`--search-rows R [R ...]` times the candidate search alone (one matrix-vector product over R active
rows of 512 floats and its top-k): what grows when the stream is busier and the window holds more.
"""

from __future__ import annotations

import argparse
import collections
import gc
import json
import os
import resource
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

import numpy as np

from rasid.model import Article, Paragraph
from rasid.stories import StoryClusterer
from rasid.stories.base import _Story

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
            j = (
                len(self.recent)
                - 1
                - min(int(self.rng.exponential(len(self.recent) / 4)), len(self.recent) - 1)
            )
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
        art = Article(
            id=a_id,
            origin="sim",
            raw_text=text,
            content_hash=a_id,
            title=" ".join(title),
            source=f"outlet{int(self.rng.integers(0, 40))}",
            published=published,
            paragraphs=[Paragraph(text=text, lang="ar", sentences=[text])],
        )
        self.n += 1
        return art, vec / np.linalg.norm(vec)


def rss_mib() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def _yule_simon(rng: np.random.Generator, rho: float, total: int, cap: int) -> np.ndarray:
    """Story sizes (Yule-Simon with parameter rho, at most `cap`) summing to exactly `total`."""
    out: list[np.ndarray] = []
    got = 0
    while got < total:
        w = rng.exponential(1.0 / rho, max(1024, int((total - got) / 1.5)))
        k = np.minimum(rng.geometric(np.exp(-w)), cap)
        out.append(k)
        got += int(k.sum())
    sizes = np.concatenate(out)
    ends = np.cumsum(sizes)
    last = int(np.searchsorted(ends, total))
    sizes = sizes[: last + 1].copy()
    sizes[last] -= int(ends[last]) - total
    return sizes[sizes > 0]


def build_history(
    cl: StoryClusterer, stream: Stream, n_hist: int, first_day: float, last_day: float, rho: float, spare: int
) -> None:
    """Put `n_hist` articles' worth of dormant stories (days first_day..last_day) into an empty
    clusterer: the records `from_bytes` makes for a dormant story (id, first and last day, count,
    member ids, title, sources, languages; no term bags, no member rows), the story vector sums, the
    member -> story map. `_sums` gets `spare` free rows beyond them."""
    rng = stream.rng
    sizes = _yule_simon(rng, rho, n_hist, cap=5000)
    ns = len(sizes)
    span = last_day - first_day
    first = first_day + rng.random(ns) * span
    last = np.minimum(last_day, first + rng.exponential(0.4, ns) * np.sqrt(sizes - 1))
    outlets = rng.integers(0, 40, (ns, 2)).tolist()
    words = stream.words
    title_words = rng.integers(0, len(words), (ns, 6)).tolist()
    member_ids = [f"h{i:09d}" for i in range(n_hist)]
    ends = np.cumsum(sizes).tolist()
    stories = cl._stories
    start = 0
    for p, (k, f, t, o, tw, end) in enumerate(
        zip(sizes.tolist(), first.tolist(), last.tolist(), outlets, title_words, ends, strict=True)
    ):
        s = _Story(
            f"{cl.id_prefix}{p + 1:06d}",
            f,
            t,
            k,
            member_ids[start:end],
            " ".join([words[i] for i in tw]),
            False,
        )
        s.sources = collections.Counter(
            {f"outlet{o[0]}": k} if k == 1 else {f"outlet{o[0]}": k - k // 2, f"outlet{o[1]}": k // 2}
        )
        s.langs = collections.Counter({"ar": k})
        stories.append(s)
        start = end
    cl._index = {s.id: p for p, s in enumerate(stories)}
    cl._story_of = dict(zip(member_ids, np.repeat(np.arange(ns), sizes).tolist(), strict=True))
    cl._sums = np.zeros((ns + spare, cl.dim), np.float32)
    for a in range(0, ns, 65536):  # each story: its size times a random unit direction
        block = rng.standard_normal((min(65536, ns - a), cl.dim), dtype=np.float32)
        block *= (sizes[a : a + len(block)] / np.linalg.norm(block, axis=1))[:, None]
        cl._sums[a : a + len(block)] = block


class GcClock:
    """The garbage collector's passes while on: count and process CPU seconds per generation."""

    def __init__(self) -> None:
        self.on = False
        self.seconds = [0.0, 0.0, 0.0]
        self.count = [0, 0, 0]
        self._t = 0.0

    def __call__(self, phase: str, info: dict) -> None:
        if not self.on:
            return
        if phase == "start":
            self._t = time.process_time()
        else:
            g = info["generation"]
            self.seconds[g] += time.process_time() - self._t
            self.count[g] += 1


def _timed(fn: object) -> tuple[float, float]:
    """(wall, process CPU) seconds of calling fn()."""
    w, c = time.perf_counter(), time.process_time()
    fn()  # type: ignore[operator]
    return round(time.perf_counter() - w, 2), round(time.process_time() - c, 2)


def built_one(args: argparse.Namespace, n: int) -> dict:
    """One N of the built-state mode (see the module docstring), in this process."""
    t0, c0 = time.perf_counter(), time.process_time()
    stream = Stream(args.seed, args.rate, args.new)
    warm = args.warm if args.warm is not None else int(3.25 * args.rate)
    n_hist = max(0, n - warm)
    day0 = (stream.start - datetime(1970, 1, 1, tzinfo=UTC)).total_seconds() / 86400
    # document frequencies as after n_hist articles: a 1,000-article sample's, scaled
    sample = Stream(args.seed, args.rate, args.new)
    sample.rng = np.random.default_rng(args.seed + 1000)
    probe = StoryClusterer()
    for _ in range(1000):
        probe.assign(*sample.next())
    cl = StoryClusterer()
    scale = n_hist / probe._ndocs
    cl._df = np.round(probe._df * scale).astype(np.uint32)
    cl._gdf = np.round(probe._gdf * scale).astype(np.uint32)
    cl._ndocs = n_hist
    del probe, sample
    if n_hist:
        build_history(
            cl,
            stream,
            n_hist,
            day0 - n_hist / args.rate,
            day0,
            args.yule,
            spare=int(warm + args.timed) + 1024,
        )
        cl._now = cl._last_sweep = day0
    row: dict = {
        "stored": n,
        "history": n_hist,
        "warm": warm,
        "timed": args.timed,
        "rate": args.rate,
        "build_s": round(time.perf_counter() - t0, 1),
        "build_cpu_s": round(time.process_time() - c0, 1),
        "rss_built_mib": round(rss_mib(), 1),
    }
    row["warm_s"], row["warm_cpu_s"] = _timed(lambda: [cl.assign(*stream.next()) for _ in range(warm)])
    row["rss_warm_mib"] = round(rss_mib(), 1)
    batch = [stream.next() for _ in range(args.timed)]
    clock = GcClock()
    gc.callbacks.append(clock)
    cpu_ms, wall_ms = [], []
    clock.on = True
    for art, vec in batch:
        w, c = time.perf_counter(), time.process_time()
        cl.assign(art, vec)
        cpu_ms.append(1000 * (time.process_time() - c))
        wall_ms.append(1000 * (time.perf_counter() - w))
    clock.on = False
    cpu = np.array(cpu_ms)
    row.update(
        {
            "stories": len(cl),
            "active_stories": len(cl._crow),
            "member_rows": cl._members.n,
            "ms_cpu_mean": round(float(cpu.mean()), 3),
            "ms_cpu_p50": round(float(np.median(cpu)), 3),
            "ms_cpu_p95": round(float(np.percentile(cpu, 95)), 3),
            "ms_cpu_max": round(float(cpu.max()), 1),
            "ms_wall_mean": round(float(np.mean(wall_ms)), 3),
            "gc_passes": clock.count,
            "gc_cpu_ms": [round(1000 * x, 1) for x in clock.seconds],
            "rss_timed_mib": round(rss_mib(), 1),
            "objects": len(gc.get_objects()),
            "load": round(os.getloadavg()[0], 1),
        }
    )
    row["full_gc_s"], row["full_gc_cpu_s"] = _timed(gc.collect)
    if n <= args.blob_max:
        blobs: list[bytes] = []
        row["to_bytes_s"], row["to_bytes_cpu_s"] = _timed(lambda: blobs.append(cl.to_bytes()))
        row["state_mb"] = round(len(blobs[0]) / 1e6, 1)
        del cl
        row["from_bytes_s"], row["from_bytes_cpu_s"] = _timed(lambda: StoryClusterer.from_bytes(blobs[0]))
    row["peak_rss_mib"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    return row


def search_rows(rows: list[int], dim: int = 512, reps: int = 20) -> None:
    """The candidate search's main cost at a busier stream: one matrix-vector product over R active
    rows (the clusterer's `_matvec`, as over its centroid and member rows) and the top-k of its
    result, process CPU ms per call, for each R of `rows`."""
    from rasid.stories.index import _matvec, _top_stable

    rng = np.random.default_rng(0)
    vec = rng.standard_normal(dim).astype(np.float32)
    for r in rows:
        m = np.empty((r, dim), np.float32)
        for a in range(0, r, 65536):
            m[a : a + 65536] = rng.standard_normal((min(65536, r - a), dim), dtype=np.float32)
        _matvec(m, vec)
        c = time.process_time()
        for _ in range(reps):
            _top_stable(-_matvec(m, vec), 32)
        ms = 1000 * (time.process_time() - c) / reps
        print(
            json.dumps(
                {
                    "rows": r,
                    "matrix_mb": round(m.nbytes / 1e6, 1),
                    "ms_cpu_per_search": round(ms, 3),
                    "load": round(os.getloadavg()[0], 1),
                }
            ),
            flush=True,
        )
        del m


def built(args: argparse.Namespace) -> None:
    """Each N of `--at` in a fresh process; a line per N."""
    out = open(args.out, "a") if args.out else None  # noqa: SIM115
    print(
        f"built state: rate {args.rate:.0f}/day, {args.timed} timed articles after a warm-up; "
        f"load {os.getloadavg()[0]:.1f}",
        flush=True,
    )
    for n in args.at:
        cmd = [
            sys.executable,
            __file__,
            "--one-at",
            str(n),
            "--rate",
            str(args.rate),
            "--new",
            str(args.new),
            "--timed",
            str(args.timed),
            "--yule",
            str(args.yule),
            "--seed",
            str(args.seed),
            "--blob-max",
            str(args.blob_max),
        ] + ([] if args.warm is None else ["--warm", str(args.warm)])
        done = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if done.returncode:
            sys.exit(f"N={n} failed: {done.stderr[-1500:]}")
        line = done.stdout.strip().splitlines()[-1]
        print(line, flush=True)
        if out is not None:
            out.write(line + "\n")
            out.flush()
    if out is not None:
        out.close()


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
    ap.add_argument("--at", type=int, nargs="+", help="built-state mode: these numbers of stored articles")
    ap.add_argument("--timed", type=int, default=2000, help="built-state mode: articles timed at each N")
    ap.add_argument("--warm", type=int, help="built-state mode: articles streamed before them (3.25 days)")
    ap.add_argument(
        "--yule", type=float, default=2.3, help="built-state mode: story-size Yule-Simon parameter"
    )
    ap.add_argument(
        "--blob-max", type=int, default=400_000, help="built-state mode: save the state up to this N"
    )
    ap.add_argument(
        "--search-rows",
        type=int,
        nargs="+",
        help="time the candidate search alone over this many active rows (a busier stream's window)",
    )
    ap.add_argument("--one-at", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.search_rows:
        search_rows(args.search_rows)
        return
    if args.one_at:
        print(json.dumps(built_one(args, args.one_at)), flush=True)
        return
    if args.at:
        built(args)
        return
    stream = Stream(args.seed, args.rate, args.new)
    clusterer = StoryClusterer()
    t_end = time.monotonic() + 60 * args.minutes
    print(
        f"rate {args.rate:.0f} articles/day (active window ~{3 * args.rate:.0f}); up to {args.max} articles, "
        f"{args.minutes:.0f} min, {args.max_rss_gb} GB RSS; load {os.getloadavg()[0]:.1f}",
        flush=True,
    )
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
        row = {
            "stored": stream.n,
            "stories": len(clusterer),
            "ms_wall": 1000 * wall / args.every,
            "ms_cpu": 1000 * cpu / args.every,
            "rss_mib": round(rss_mib(), 1),
            "load": os.getloadavg()[0],
            "rate": args.rate,
        }
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
