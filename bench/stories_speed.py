"""CPU cost of the stories stage's serial part: `Deduper.add` and `StoryClusterer.assign`, per article.

Two streams, both in time order: "dev" (SaudiNewsNet 2015-08-01 + 2015-08-02, as bench/stories_dev.py
streams them) and "5k" (the first 5,000 articles of the 31k SaudiNewsNet stream, where the dedup
window has filled up). Dedup runs over the whole stream first, then the clusterer with the final
duplicate links (as stories_dev.py does); each is timed in process_time (CPU of this process, so a
busy shared machine inflates it less than wall time), best of `--repeat` runs.

`--dump F` writes every decision (add()'s duplicate_of and paragraph matches, the final duplicate
links, assign()'s story id, the final story per article, the merges); `--check F` compares a run
with such a dump and exits 1 on any difference: a speed-up must not change a single decision.

    .venv/bin/python bench/stories_speed.py --stream dev --cache /tmp/rasid-vec [--dump F | --check F]
    .venv/bin/python bench/stories_speed.py --stream 5k --cache /tmp/rasid-vec [--vec31k /tmp/an/vec31k.npy]
    .venv/bin/python bench/stories_speed.py --stream dev --cache /tmp/rasid-vec --profile dedup|cluster
"""

from __future__ import annotations

import argparse
import cProfile
import hashlib
import pickle
import pstats
import sys
import time
from dataclasses import astuple
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from stories_dev import DAYS, SHARED, vectors  # noqa: E402

from rasid.cluster import StoryClusterer, StoryModel  # noqa: E402
from rasid.dedup import Deduper  # noqa: E402
from rasid.embed import USEEmbedder, article_vectors, embedding_texts  # noqa: E402
from rasid.eval.stories import load_saudinewsnet  # noqa: E402


def load_dev(cache: Path | None):
    day_arts = {d: load_saudinewsnet([SHARED / "saudinewsnet" / f"{d}.zip"]) for d in DAYS}
    arts = [a for d in DAYS for a in day_arts[d]]
    arts.sort(key=lambda a: (a.published or "", a.id))
    vecs = np.vstack([vectors(day_arts[d], cache) for d in DAYS])
    order = {a.id: i for i, a in enumerate(a for d in DAYS for a in day_arts[d])}
    return arts, vecs[[order[a.id] for a in arts]]


def load_5k(cache: Path | None, vec31k: Path | None, n: int = 5000):
    """The first `n` articles of the whole stream; vectors from a full-stream array when its rows
    verifiably match this order (a sample re-embedded), else embedded (and cached)."""
    arts = load_saudinewsnet(sorted((SHARED / "saudinewsnet").glob("*.zip")))[:n]
    key = hashlib.sha256("\n".join("\x1f".join(embedding_texts(a)) for a in arts).encode()).hexdigest()[:16]
    if cache is not None and (cache / f"vec-{key}.npy").exists():
        return arts, np.load(cache / f"vec-{key}.npy")
    if vec31k is not None and vec31k.exists():
        full = np.load(vec31k, mmap_mode="r")
        idx = np.random.default_rng(0).choice(n, 24, replace=False)
        idx = np.concatenate([[0, n - 1], idx])
        fresh = article_vectors([arts[i] for i in idx], USEEmbedder(threads=1))
        if full.shape[0] >= n and np.allclose(np.asarray(full[idx]), fresh, atol=1e-4):
            print(f"vectors from {vec31k} (26 sampled rows re-embedded and matched)", file=sys.stderr)
            vecs = np.array(full[:n], np.float32)
            if cache is not None:
                cache.mkdir(parents=True, exist_ok=True)
                np.save(cache / f"vec-{key}.npy", vecs)
            return arts, vecs
        print(f"{vec31k} rows do not match this order: embedding", file=sys.stderr)
    return arts, vectors(arts, cache)


def run_dedup(arts):
    d = Deduper()
    added, matches = [], []
    t = time.process_time()
    for a in arts:
        dup, m = d.add_with_matches(a)
        added.append(dup)
        matches.append(m)
    el = time.process_time() - t
    final = {a.id: d.duplicate_of(a.id) for a in arts}
    return el, {"add": added, "matches": [[astuple(x) for x in ms] for ms in matches], "final": final}


def run_cluster(arts, vecs, dup):
    cl = StoryClusterer(model=StoryModel.load(), merge_model=StoryModel.load_merge())
    sids, merged = [], []
    t = time.process_time()
    for a, v in zip(arts, vecs, strict=True):
        sids.append(cl.assign(a, v, dup.get(a.id)))
        merged.append(cl.take_merged())
    el = time.process_time() - t
    return el, {"assign": sids, "merged": merged, "final": {a.id: cl.story_of(a.id) for a in arts}}


def run_stage(arts, vecs, dup, share: bool = True):
    """Deduper.add then StoryClusterer.assign per article, as the stories stage calls them (the
    clusterer reading the deduper's `text_memo` when `share`), each timed on its own. The clusterer
    is given the final duplicate links (`dup`), as in `run_cluster`, so decisions compare with it."""
    d = Deduper()
    cl = StoryClusterer(model=StoryModel.load(), merge_model=StoryModel.load_merge())
    if share and hasattr(d, "text_memo"):
        cl.text_memo = d.text_memo
    added, matches, sids, merged = [], [], [], []
    t_dd = t_cl = 0.0
    clock = time.process_time
    for a, v in zip(arts, vecs, strict=True):
        t0 = clock()
        got, m = d.add_with_matches(a)
        t1 = clock()
        sid = cl.assign(a, v, dup.get(a.id))
        t2 = clock()
        t_dd += t1 - t0
        t_cl += t2 - t1
        added.append(got)
        matches.append([astuple(x) for x in m])
        sids.append(sid)
        merged.append(cl.take_merged())
    dd = {"add": added, "matches": matches, "final": {a.id: d.duplicate_of(a.id) for a in arts}}
    return t_dd, t_cl, dd, {"assign": sids, "merged": merged, "final": {a.id: cl.story_of(a.id) for a in arts}}


def compare(ref: dict, got: dict, arts) -> int:
    bad = 0
    for part in ("dedup", "cluster"):
        for key in ref[part]:
            r, g = ref[part][key], got[part][key]
            if r == g:
                continue
            if isinstance(r, dict):
                diff = [k for k in r if r[k] != g.get(k)]
            else:
                diff = [arts[i].id for i in range(len(r)) if r[i] != g[i]]
            bad += len(diff)
            print(f"DIFF {part}.{key}: {len(diff)} articles, e.g. {diff[:3]}")
    return bad


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--stream", choices=("dev", "5k"), default="dev")
    ap.add_argument("--cache", type=Path, default=None, help="directory caching article vectors")
    ap.add_argument("--vec31k", type=Path, default=None, help="vectors of the whole 31k stream (verified)")
    ap.add_argument("--repeat", type=int, default=1, help="runs to time (the best is reported)")
    ap.add_argument("--dump", type=Path, help="write every decision here (a pickle; the reference)")
    ap.add_argument("--check", type=Path, help="compare every decision with this dump")
    ap.add_argument("--profile", choices=("dedup", "cluster"), help="cProfile one part, print the top")
    ap.add_argument("--sort", default="tottime", help="cProfile sort key (tottime, cumulative)")
    ap.add_argument("--top", type=int, default=30)
    args = ap.parse_args(argv)
    if args.stream == "dev":
        arts, vecs = load_dev(args.cache)
    else:
        arts, vecs = load_5k(args.cache, args.vec31k)
    n = len(arts)
    if args.profile:
        pr = cProfile.Profile()
        if args.profile == "dedup":
            pr.runcall(run_dedup, arts)
        else:
            dup = run_dedup(arts)[1]["final"]
            pr.runcall(run_cluster, arts, vecs, dup)
        pstats.Stats(pr).sort_stats(args.sort).print_stats(args.top)
        return
    t_dd, t_cl, t_sdd, t_scl = [], [], [], []
    for _ in range(max(1, args.repeat)):
        el, dd = run_dedup(arts)
        t_dd.append(el)
        el, cl = run_cluster(arts, vecs, dd["final"])
        t_cl.append(el)
        a, b, sdd, scl = run_stage(arts, vecs, dd["final"])
        t_sdd.append(a)
        t_scl.append(b)
    ms = lambda t: 1000 * min(t) / n  # noqa: E731
    print(f"date 2026-11-22; stream {args.stream}: {n} articles (SaudiNewsNet, time order); "
          f"process_time, best of {len(t_dd)}")
    print(f"separately:  Deduper.add {ms(t_dd):.3f} ms/article, StoryClusterer.assign {ms(t_cl):.3f} ms/article, "
          f"together {ms(t_dd) + ms(t_cl):.3f}")
    print(f"as in stage: Deduper.add {ms(t_sdd):.3f} ms/article, StoryClusterer.assign {ms(t_scl):.3f} ms/article, "
          f"together {ms(t_sdd) + ms(t_scl):.3f} (clusterer reads the deduper's text_memo)")
    print(f"{sum(1 for v in dd['final'].values() if v)} duplicates, {len(set(cl['final'].values()))} stories")
    if (sdd, scl) != (dd, cl):
        print("STAGE RUN DIFFERS from the separate runs")
        sys.exit(1)
    got = {"ids": [a.id for a in arts], "dedup": dd, "cluster": cl}
    if args.dump:
        args.dump.write_bytes(pickle.dumps(got))
        print(f"wrote {args.dump}")
    if args.check:
        ref = pickle.loads(args.check.read_bytes())
        if ref["ids"] != got["ids"]:
            print("CHECK FAILED: the reference was taken on another stream")
            sys.exit(1)
        bad = compare(ref, got, arts)
        print("CHECK OK: every decision identical" if not bad else f"CHECK FAILED: {bad} differences")
        if bad:
            sys.exit(1)


if __name__ == "__main__":
    main()
