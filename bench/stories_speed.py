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

`--scale` times `Deduper.add` alone over the whole 31k stream in time order (no vectors, no
clusterer): per-article process_time around 3k, 30k and points between, and at those points what a
paragraph lookup meets (candidates per article, LSH bucket sizes, dead entries), measured outside the
timed calls. `--dedup-module F` runs the same with another copy of dedup.py (e.g. the code before a
change, for a back-to-back pair); `--scale-dump F` / `--scale-check F` store and compare every
decision of the 31k run (article links and paragraph matches, reported separately).

    .venv/bin/python bench/stories_speed.py --scale [--dedup-module /tmp/dedup_old.py] [--scale-check F]
"""

from __future__ import annotations

import argparse
import cProfile
import hashlib
import importlib.util
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
from rasid.eval.stories import load_saudinewsnet, stream_order  # noqa: E402

SCALE_AT = (3000, 6000, 10000, 15000, 20000, 25000, 30000)  # each: mean over articles [n-1000, n)


def load_dev(cache: Path | None):
    day_arts = {d: load_saudinewsnet([SHARED / "saudinewsnet" / f"{d}.zip"]) for d in DAYS}
    arts = [a for d in DAYS for a in day_arts[d]]
    arts.sort(key=lambda a: (a.published or "", a.id))
    vecs = np.vstack([vectors(day_arts[d], cache) for d in DAYS])
    order = {a.id: i for i, a in enumerate(a for d in DAYS for a in day_arts[d])}
    return arts, vecs[[order[a.id] for a in arts]]


def load_5k(cache: Path | None, vec31k: Path | None, n: int | None = 5000):
    """The first `n` articles of the whole stream (None: all of them), in load order; vectors from
    a full-stream array when its rows verifiably match this order (a sample re-embedded), else
    embedded (and cached)."""
    arts = load_saudinewsnet(sorted((SHARED / "saudinewsnet").glob("*.zip")))
    arts = arts[:n] if n else arts
    n = len(arts)
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
    return (
        t_dd,
        t_cl,
        dd,
        {"assign": sids, "merged": merged, "final": {a.id: cl.story_of(a.id) for a in arts}},
    )


def load_dedup_module(path: Path | None):
    """rasid.dedup, or another copy of it (loaded as a sibling module so its relative imports work)."""
    if path is None:
        import rasid.dedup as mod

        return mod
    spec = importlib.util.spec_from_file_location("rasid._dedup_alt", path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod
    spec.loader.exec_module(mod)
    return mod


def _bucket_sizes(idx, flat_q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Entries (stored, live) in the LSH bucket of each tagged band hash, from the index's runs and
    buffer (stored includes expired entries a run still holds)."""
    total = np.zeros(len(flat_q), np.int64)
    for flat, _ in idx._runs:
        total += np.searchsorted(flat, flat_q, "right") - np.searchsorted(flat, flat_q, "left")
    for i, h in enumerate(flat_q.tolist()):
        got = idx._buf.get(h)
        total[i] += 0 if got is None else len(got) if isinstance(got, list) else 1
    if hasattr(idx, "lookup"):
        return total, idx.lookup(flat_q.reshape(-1, idx.bands))[1].ravel()
    return total, _old_live_sizes(idx, flat_q)


def _old_live_sizes(idx, flat_q: np.ndarray) -> np.ndarray:
    """Live bucket sizes for the BandIndex before `lookup` (dead keys in a set)."""
    live = np.zeros(len(flat_q), np.int64)
    dead_set = getattr(idx, "_dead", set())
    dead = np.fromiter(dead_set, np.int64, len(dead_set))
    for flat, keys in idx._runs:
        lo, hi = np.searchsorted(flat, flat_q, "left"), np.searchsorted(flat, flat_q, "right")
        for i in np.nonzero(hi > lo)[0].tolist():
            live[i] += int((~np.isin(keys[lo[i] : hi[i]], dead)).sum())
    for i, h in enumerate(flat_q.tolist()):
        got = idx._buf.get(h)
        if got is not None:
            live[i] += sum(1 for k in (got if isinstance(got, list) else [got]) if k not in dead_set)
    return live


def _lookup_stats(mod, d, a) -> dict[str, float]:
    """What `a`'s paragraph lookup meets in `d` right now (call before `d.add(a)`; not timed)."""
    parsed = mod._parse(a)
    paras = d._paragraph_digests(a, parsed, mod._all_shingles(parsed.norm))
    if not paras:
        return {"paras": 0, "cands": 0, "bucket_max": 0, "bucket_sum": 0, "bucket_live_sum": 0}
    idx = d._paragraphs
    q = idx.band_hashes(np.stack([x[2] for x in paras]))
    # what the deduper's own lookup returns (after its stop rule, when it has one)
    found = idx.lookup(q, d.max_bucket)[0] if hasattr(idx, "lookup") else idx.query_hashes(q)
    total, live = _bucket_sizes(idx, q.ravel())
    return {
        "paras": len(paras),
        "cands": sum(len(f) for f in found),
        "bucket_max": int(total.max()),
        "bucket_sum": int(total.sum()),
        "bucket_live_sum": int(live.sum()),
    }


def run_scale(arts, mod, stats: bool = True, max_bucket: int | None = None):
    """`Deduper.add` alone over `arts`, each call timed in process_time; lookup stats around SCALE_AT."""
    d = mod.Deduper() if max_bucket is None else mod.Deduper(max_bucket=max_bucket)
    n = len(arts)
    cost = np.zeros(n)
    added, matches, per = [], [], {}
    windows = {i for at in SCALE_AT if at <= n for i in range(at - 1000, at)} if stats else set()
    clock = time.process_time
    for i, a in enumerate(arts):
        if i in windows:
            per[i] = _lookup_stats(mod, d, a)
        t0 = clock()
        dup, m = d.add_with_matches(a)
        cost[i] = clock() - t0
        added.append(dup)
        matches.append([astuple(x) for x in m])
        if i in windows:
            per[i]["matches"] = len(m)
        if i + 1 in SCALE_AT:
            idx = d._paragraphs
            stored = sum(len(f) for f, _ in idx._runs) // idx.bands + len(idx._buf_keys)  # expired included
            per[f"state{i + 1}"] = {
                "articles": len(d),
                "para_live": len(idx),
                "para_stored": stored,
                "dead_set": len(getattr(idx, "_dead", ())),
            }
    final = {a.id: d.duplicate_of(a.id) for a in arts}
    return cost, {"add": added, "matches": matches, "final": final}, per


def scale_report(cost: np.ndarray, per: dict, name: str) -> None:
    n = len(cost)
    print(
        f"date 2026-11-22; Deduper.add alone ({name}), SaudiNewsNet {n} articles in time order; "
        f"process_time per call; total {cost.sum():.1f} s"
    )
    print(
        "| articles | dedup ms/article (mean) | median | paragraphs | para candidates/article | "
        "bucket entries/article (live) | largest bucket | matches/article | index live / stored / dead-set |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for at in SCALE_AT:
        if at > n:
            break
        w = cost[at - 1000 : at]
        rows = [per[i] for i in range(at - 1000, at) if i in per]
        st = per.get(f"state{at}", {})

        def mean(k: str, rows: list = rows) -> float:
            return float(np.mean([r[k] for r in rows])) if rows else float("nan")

        print(
            f"| {at - 1000}-{at} | {1000 * w.mean():.2f} | {1000 * np.median(w):.2f} | {mean('paras'):.1f} | "
            f"{mean('cands'):.1f} | {mean('bucket_sum'):.0f} ({mean('bucket_live_sum'):.0f}) | "
            f"{max((r['bucket_max'] for r in rows), default=0)} | {mean('matches'):.2f} | "
            f"{st.get('para_live', '?')} / {st.get('para_stored', '?')} / {st.get('dead_set', '?')} |"
        )
    if n >= 30000:
        a3, a30 = cost[2000:3000].mean(), cost[29000:30000].mean()
        print(
            f"dedup per article at 3k {1000 * a3:.2f} ms, at 30k {1000 * a30:.2f} ms (ratio {a30 / a3:.2f})"
        )


def scale_compare(ref: dict, got: dict, arts, show: int = 0) -> tuple[int, int]:
    """(article-level differences, articles whose paragraph matches differ): reported apart, since a
    paragraph match may change by design (boilerplate no longer reported) while a link must not.
    `show` > 0 prints the paragraphs that most often lost their matches (text start, matches lost,
    outlets involved)."""
    ids = [a.id for a in arts]
    texts: dict[str, int] = {}
    outlets: dict[str, set[str]] = {}
    bad = sum(1 for i in range(len(ids)) if ref["add"][i] != got["add"][i])
    bad += sum(1 for k in ref["final"] if ref["final"][k] != got["final"].get(k))
    lost = gained = 0
    pdiff = []
    for i in range(len(ids)):
        r, g = set(ref["matches"][i]), set(got["matches"][i])
        if r != g:
            pdiff.append(i)
            lost += len(r - g)
            gained += len(g - r)
            for m in r - g:
                t = " ".join(arts[i].paragraphs[m[1]].text.split())[:70]
                texts[t] = texts.get(t, 0) + 1
                outlets.setdefault(t, set()).update({ids[i].split("/")[2], m[2].split("/")[2]})
    n_ref = sum(len(m) for m in ref["matches"])
    print(
        f"article links: {bad} differences; paragraph matches: {len(pdiff)} articles differ, "
        f"{lost} of {n_ref} matches dropped, {gained} added"
    )
    for t, c in sorted(texts.items(), key=lambda x: -x[1])[:show]:
        print(f"  lost {c:5d} ({len(outlets[t])} outlets): {t}")
    if show:
        print(f"  ({len(texts)} distinct paragraph starts lost matches)")
    return bad, len(pdiff)


def dump_or_check(got: dict, dump: Path | None, check: Path | None, differences, ok: str, what: str) -> None:
    """Write this run's decisions to `dump`, and/or compare them with the reference in `check`
    (`differences(ref)` counts what differs); exit 1 on any difference."""
    if dump:
        dump.write_bytes(pickle.dumps(got))
        print(f"wrote {dump}")
    if check:
        ref = pickle.loads(check.read_bytes())
        if ref["ids"] != got["ids"]:
            print("CHECK FAILED: the reference was taken on another stream")
            sys.exit(1)
        bad = differences(ref)
        print(f"CHECK OK: {ok}" if not bad else f"CHECK FAILED: {bad} {what}")
        if bad:
            sys.exit(1)


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
            if (part, key) == ("dedup", "matches"):
                # paragraph matches may change by design (stop bands: boilerplate is not reported
                # as shared); counted apart from the decisions that must not change
                lost = sum(len(set(r[i]) - set(g[i])) for i in range(len(r)))
                added = sum(len(set(g[i]) - set(r[i])) for i in range(len(r)))
                print(
                    f"PARAGRAPH MATCHES differ in {len(diff)} articles: {lost} dropped, {added} added "
                    f"(of {sum(map(len, r))}), e.g. {diff[:3]}"
                )
                continue
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
    ap.add_argument("--scale", action="store_true", help="Deduper.add alone over the 31k stream")
    ap.add_argument("--dedup-module", type=Path, help="--scale with this copy of dedup.py")
    ap.add_argument("--limit", type=int, default=0, help="--scale over the first N articles only")
    ap.add_argument("--no-stats", action="store_true", help="--scale without the lookup stats")
    ap.add_argument("--scale-dump", type=Path, help="--scale: write every decision here")
    ap.add_argument("--scale-check", type=Path, help="--scale: compare every decision with this dump")
    ap.add_argument(
        "--show", type=int, default=0, help="--scale-check: list the N paragraphs most often dropped"
    )
    ap.add_argument("--max-bucket", type=int, default=None, help="--scale: Deduper(max_bucket=N)")
    args = ap.parse_args(argv)
    if args.scale:
        arts = stream_order(load_saudinewsnet(sorted((SHARED / "saudinewsnet").glob("*.zip"))))
        if args.limit:
            arts = arts[: args.limit]
        mod = load_dedup_module(args.dedup_module)
        cost, dd, per = run_scale(arts, mod, stats=not args.no_stats, max_bucket=args.max_bucket)
        scale_report(cost, per, str(args.dedup_module or "rasid.dedup"))
        got = {"ids": [a.id for a in arts], **dd}
        dump_or_check(
            got,
            args.scale_dump,
            args.scale_check,
            lambda ref: scale_compare(ref, got, arts, args.show)[0],
            "every article link identical",
            "link differences",
        )
        return
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
    print(
        f"date 2026-11-22; stream {args.stream}: {n} articles (SaudiNewsNet, time order); "
        f"process_time, best of {len(t_dd)}"
    )
    print(
        f"separately:  Deduper.add {ms(t_dd):.3f} ms/article, StoryClusterer.assign {ms(t_cl):.3f} ms/article, "
        f"together {ms(t_dd) + ms(t_cl):.3f}"
    )
    print(
        f"as in stage: Deduper.add {ms(t_sdd):.3f} ms/article, StoryClusterer.assign {ms(t_scl):.3f} ms/article, "
        f"together {ms(t_sdd) + ms(t_scl):.3f} (clusterer reads the deduper's text_memo)"
    )
    print(f"{sum(1 for v in dd['final'].values() if v)} duplicates, {len(set(cl['final'].values()))} stories")
    if (sdd, scl) != (dd, cl):
        print("STAGE RUN DIFFERS from the separate runs")
        sys.exit(1)
    got = {"ids": [a.id for a in arts], "dedup": dd, "cluster": cl}
    dump_or_check(
        got,
        args.dump,
        args.check,
        lambda ref: compare(ref, got, arts),
        "every decision identical (paragraph matches reported above if any differ)",
        "differences",
    )


if __name__ == "__main__":
    main()
