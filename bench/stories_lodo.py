"""Stories, leave one day out over the three linked dev days, through the real pipeline.

For each held-out day T of 2015-08-01, 08-02 and 08-03 (SaudiNewsNet, `saudinewsnet-events` labels):
1. the story scorers are fitted on the two other days (`rasid_training.stories.fit_story_models`:
   candidate model, merge model, pair scorer of the core check, every threshold tuned on those days);
2. the day before T, then T, are streamed into a fresh store with the fitted scorers (the
   `story_models` setting), one `rasid run` each (JSONL of the zip, the real reader, cleaning,
   dedup, embedding and clusterer; no understanding);
3. `rasid eval stories --gold DAY-BEFORE --gold T --focus T` scores T's articles, with their pairs to
   the day before (08-01's day before, 07-31, is unlabelled: streamed, not scored);
4. the batch baseline in the same run: TF-IDF character 3-5-grams of the title twice and the first
   400 characters, cosine, average linkage over the same articles (T and its labelled day before),
   the cut tuned on the training days (each with its own labelled day before), scored the same way.

Printed per fold: both figures side by side, duplicate pairs, the ten stories with the most wrong
pairs (titles), and how many gold events the stories hold; then the worst fold.

    .venv/bin/python bench/stories_lodo.py [--cache /tmp/rasid-vec] [--folds 2015-08-03] [--full-grids]
    .venv/bin/python bench/stories_lodo.py --cache /tmp/rasid-vec --out-of-fold   # thresholds out of fold

`--out-of-fold` tunes every threshold across the two training days, each streamed with scorers fitted
on the other (the procedure of `rasid train stories` given two label files), each threshold the one
whose worst training day scores best (`--mean-of-days`: the best mean, as before session 13);
`--crossfit-core` tunes the core threshold alone that way. `--extra-labels FILE...` adds labelled days
of our own (bench/gold/events/) to every fold's training: they train the scorers and tune the
baseline's cut, and the thresholds are scored on the shared dev days only (`--extra-scored`: on them too).
`--history N` streams the N archive days before T instead of the day before alone (the test day is
streamed after all three dev days; T is still scored with its pairs to the day before); `--set
NAME=VALUE` changes settings of the streamed runs.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import re
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from stories_dev import dedup, time_ordered  # noqa: E402

from rasid.cli import main as cli  # noqa: E402
from rasid.eval.stories import (  # noqa: E402
    bcubed,
    load_saudinewsnet,
    pairwise,
    read_gold,
    write_saudinewsnet_jsonl,
)
from rasid.ingest import Ingestor  # noqa: E402
from rasid.runner import build_runner  # noqa: E402
from rasid.settings import load_settings  # noqa: E402
from rasid.stages import default_stages  # noqa: E402
from rasid.store import open_store  # noqa: E402
from rasid_training.stories import fit_story_models  # noqa: E402

DEV = ("2015-08-01", "2015-08-02", "2015-08-03")
BEFORE = {"2015-08-01": "2015-07-31", "2015-08-02": "2015-08-01", "2015-08-03": "2015-08-02"}
COARSE = ((0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8), (0.5, 0.7, 0.85, 0.93, 0.97), (0.0, 0.1, 0.2, 0.3, 0.4, 0.5))
CUTS = tuple(round(0.5 + 0.025 * i, 3) for i in range(19))  # baseline distance cuts 0.5 .. 0.95


def labels(data: Path, day: str) -> Path | None:
    p = data / "saudinewsnet-events" / f"dev-{day}.jsonl"
    return p if p.exists() else None


def day_golds(data: Path, test: str) -> list[str]:
    """The label files `test` is scored against: its day before's (where labelled), then its own."""
    return [str(p) for p in (labels(data, BEFORE[test]), labels(data, test)) if p is not None]


def score_stories(db: str, golds: list[str]) -> dict:
    """`rasid eval stories` of the store against `golds`, focused on the last (the held-out day)."""
    return cli_json(
        ["eval", "stories", "--db", db, *sum((["--gold", g] for g in golds), []), "--focus", golds[-1]]
    )


def events(data: Path, days: list[str], extra: dict[str, Path] | None = None) -> dict[str, str]:
    """The event of every labelled article of `days`: the shared labels, or for a day of `extra`
    (day -> label file) that file."""
    out: dict[str, str] = {}
    for d in days:
        if d in (extra or {}):
            out.update(keyed_events(data, d, (extra or {})[d]))
            continue
        p = labels(data, d)
        if p is not None:
            out.update({r["url"]: r["event"] for r in read_gold(p)})
    return out


def url_key(url: str) -> str:
    return hashlib.sha1(url.encode("utf-8")).hexdigest()[:16]


def keyed_events(data: Path, day: str, path: Path) -> dict[str, str]:
    """The events of a label file that names each article by `url_key` of its url (our own labels
    in bench/gold/events/: the archive's urls carry the headlines, which stay out of the repository),
    by url; every article of the day's zip must be labelled."""
    by_key = {url_key(a.id): a.id for a in load_saudinewsnet([data / "saudinewsnet" / f"{day}.zip"])}
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    out = {by_key[r["key"]]: r["event"] for r in rows if r["key"] in by_key}
    if len(out) != len(by_key):
        raise SystemExit(f"{path}: labels {len(out)} of the {len(by_key)} articles of {day}")
    return out


def extra_days(files: list[Path]) -> dict[str, Path]:
    """The day of each extra label file, from its name (`...2015-07-31.jsonl`)."""
    out = {}
    for f in files:
        m = re.search(r"(\d{4}-\d{2}-\d{2})\.jsonl$", f.name)
        if m is None:
            raise SystemExit(f"{f}: an extra label file is named by its day (...YYYY-MM-DD.jsonl)")
        out[m.group(1)] = f
    return out


def fit(
    data: Path,
    train: list[str],
    cache: Path | None,
    grids,
    out: Path,
    crossfit: bool = False,
    oof: bool = False,
    worst_day: bool = True,
    extra: dict[str, Path] | None = None,
    extra_scored: bool = False,
) -> str:
    hand = list(train)
    train = sorted({*train, *(extra or {})})
    day_arts = {d: load_saudinewsnet([data / "saudinewsnet" / f"{d}.zip"]) for d in train}
    arts, vecs = time_ordered(day_arts, tuple(train), cache)
    gold = events(data, train, extra)
    parts = None
    train_only: list[int] = []
    # one part per training day: the core threshold (with oof: every threshold) tuned across them;
    # the extra days train the scorers, and are parts too only with `extra_scored`
    if crossfit or oof:
        day_of = {a.id: d for d in train for a in day_arts[d]}
        scored = train if extra_scored else hand
        parts = [[i for i, a in enumerate(arts) if day_of[a.id] == d] for d in scored]
        train_only = [i for i, a in enumerate(arts) if day_of[a.id] not in scored]
    t = time.perf_counter()
    m = fit_story_models(
        arts,
        vecs,
        dedup(arts),
        gold,
        trained_on=f"SaudiNewsNet events {'+'.join(train)}",
        cross=False,
        grids=grids,
        parts=parts,
        out_of_fold=oof,
        worst_day=worst_day,
        train_only=train_only,
    )
    m.write(out)
    pair = m.pair_model
    return (
        f"fitted on {'+'.join(train)} in {time.perf_counter() - t:.0f}s: join {m.model.threshold:.2f}, "
        f"merge {m.merge_model.threshold:.2f}, core {pair.threshold if pair else 'none'}"
    )


def pipeline(
    data: Path, days: list[str], models: Path, tmp: Path, overrides: dict[str, str] | None = None
) -> str:
    db = str(tmp / "lodo.db")
    env = {f"RASID_{k.upper()}": v for k, v in (overrides or {}).items()}
    settings = load_settings(env=env, db=db, story_models=str(models))
    for day in days:
        path = tmp / f"{day}.jsonl"
        write_saudinewsnet_jsonl([data / "saudinewsnet" / f"{day}.zip"], path)
        with open_store(db) as store, Ingestor(settings) as reader:
            build_runner(
                store,
                settings,
                reader,
                on_error=lambda e: None,
                stages=default_stages(settings, understand=False),
            ).run([str(path)])
    return db


def history(data: Path, test: str, n: int) -> list[str]:
    """The `n` days of the archive before `test` (at least the day before, BEFORE[test]), oldest first."""
    days = sorted(p.stem for p in (data / "saudinewsnet").glob("*.zip") if p.stem < test)
    return days[-max(1, n) :]


def cli_json(args: list[str]) -> dict:
    out = io.StringIO()
    cli(args, out=out)
    return json.loads(out.getvalue())


def baseline_linkage(arts: list) -> np.ndarray:
    """The batch baseline's average-linkage tree of `arts`: TF-IDF character 3-5-grams of the title
    twice + the first 400 characters, cosine distance (cut it with `scipy`'s `fcluster`)."""
    from scipy.cluster.hierarchy import linkage
    from scipy.spatial.distance import squareform
    from sklearn.feature_extraction.text import TfidfVectorizer

    text = [(a.title + " ") * 2 + (a.raw_text or "")[:400] for a in arts]
    X = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True).fit_transform(text)
    D = np.clip(1.0 - (X @ X.T).toarray(), 0.0, 2.0)
    np.fill_diagonal(D, 0.0)
    return linkage(squareform(D, checks=False), method="average")


def baseline_scores(
    data: Path, test: str, train: list[str], extra: dict[str, Path] | None = None
) -> tuple[float, dict]:
    """The baseline on `test` (with its labelled day before), its cut the best mean of B-cubed and
    pairwise F1 over the training days (each with its labelled day before; an `extra` day alone)."""
    from scipy.cluster.hierarchy import fcluster

    def universe(day: str):
        if day in (extra or {}):
            days = [day]
        else:
            days = [d for d in (BEFORE[day], day) if labels(data, d) is not None]
        arts = [a for d in days for a in load_saudinewsnet([data / "saudinewsnet" / f"{d}.zip"])]
        Z = baseline_linkage(arts)
        gold = events(data, days, extra)
        # an extra day stands alone: its labels are the universe's (read once)
        focus = set(gold) if day in (extra or {}) else set(events(data, [day]))
        return arts, Z, gold, focus

    def score(u, cut: float):
        arts, Z, gold, focus = u
        lab = fcluster(Z, t=cut, criterion="distance")
        pred = {a.id: str(x) for a, x in zip(arts, lab, strict=True)}
        return bcubed(pred, gold, focus), pairwise(pred, gold, focus)

    tr = [universe(d) for d in [*train, *(extra or {})]]
    cut = max(CUTS, key=lambda c: sum(b[2] + p[2] for b, p in (score(u, c) for u in tr)))
    b, p = score(universe(test), cut)
    return cut, {"bcubed": {"p": b[0], "r": b[1], "f1": b[2]}, "pairwise": {"p": p[0], "r": p[1], "f1": p[2]}}


def worst_stories(db: str, data: Path, test: str, k: int = 10) -> tuple[list[str], Counter]:
    """The k stories with the most wrong pairs touching the held-out day, and how many gold events
    each story of the labelled days holds."""
    gold = events(data, [BEFORE[test], test])
    focus = {r["url"] for r in read_gold(labels(data, test))}
    with open_store(db, create=False) as store:
        arts = [a for a in store.iter_articles() if (a.url or a.id) in gold]
        members: dict[str, list[str]] = defaultdict(list)
        for a in arts:
            members[a.story or a.id].append(a.url or a.id)
        titles = store.story_titles(list(members))
    rows = []
    per_story_events: Counter = Counter()
    for sid, urls in members.items():
        ev = Counter(gold[u] for u in urls)
        per_story_events[len(ev)] += 1
        wrong = 0
        for i, u in enumerate(urls):
            for v in urls[i + 1 :]:
                if (u in focus or v in focus) and gold[u] != gold[v]:
                    wrong += 1
        if wrong:
            rows.append((wrong, sid, len(urls), len(ev), titles.get(sid, "")))
    rows.sort(reverse=True)
    lines = [
        f"  {w:5d} wrong pairs  {sid}  {n:3d} articles, {e:2d} events  {t[:90]}"
        for w, sid, n, e, t in rows[:k]
    ]
    return lines, per_story_events


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--shared", type=Path, default=Path(__file__).resolve().parents[2] / "shared")
    ap.add_argument("--cache", type=Path, default=None, help="directory caching article vectors for fitting")
    ap.add_argument("--folds", nargs="*", default=list(DEV))
    ap.add_argument("--full-grids", action="store_true", help="search the package's threshold grids (slower)")
    ap.add_argument(
        "--crossfit-core",
        action="store_true",
        help="tune the core check's threshold across the training days (each day streamed with a pair "
        "scorer fitted on the other) instead of on the rows the scorer was fitted on",
    )
    ap.add_argument(
        "--out-of-fold",
        action="store_true",
        help="tune every threshold (join, merge, core) across the training days: each day streamed with "
        "scorers fitted on the other",
    )
    ap.add_argument(
        "--models",
        type=Path,
        default=None,
        help="stream and score every fold with these scorers instead of fitting per fold (the shipped "
        "ones: src/rasid/data); not a held-out figure for days the scorers were fitted on",
    )
    ap.add_argument(
        "--keep-models",
        type=Path,
        default=None,
        help="write each fold's fitted scorers to DIR/<held-out day> (to stream them again with --models)",
    )
    ap.add_argument(
        "--ship",
        type=Path,
        default=None,
        help="instead: fit on all three dev days and write the scorers to this folder (the shipped "
        "ones in src/rasid/data come from this, with the coarse grids unless --full-grids)",
    )
    ap.add_argument(
        "--mean-of-days",
        action="store_true",
        help="with --out-of-fold: each threshold the one with the best mean over the training days "
        "(the search before session 13), not the one whose worst training day scores best",
    )
    ap.add_argument(
        "--extra-labels",
        nargs="*",
        type=Path,
        default=[],
        help="label files of further days (named ...YYYY-MM-DD.jsonl, the shared format) added to every "
        "fold's training days (and to --ship's): they train the scorers and the baseline's cut; the "
        "thresholds are scored on the shared dev days only (unless --extra-scored)",
    )
    ap.add_argument(
        "--extra-scored",
        action="store_true",
        help="with --out-of-fold: the extra days are parts of the threshold search too",
    )
    ap.add_argument(
        "--history",
        type=int,
        default=1,
        help="stream the N archive days before the held-out day (default 1: the day before; the test "
        "day is streamed after all three dev days, so 3 or more shows how stories that ran for days "
        "take in the held-out day's reports); the earlier days are streamed, not scored",
    )
    ap.add_argument(
        "--set",
        nargs="*",
        default=[],
        metavar="NAME=VALUE",
        help="settings for the streamed runs (e.g. story_late_threshold=0.95), as RASID_* variables",
    )
    args = ap.parse_args(argv)
    if any("=" not in kv for kv in args.set):
        raise SystemExit(f"--set: give each setting as NAME=VALUE, not {args.set}")
    overrides = dict(kv.split("=", 1) for kv in args.set)
    data = args.shared / "data"
    extra = extra_days(args.extra_labels)
    grids = None if args.full_grids else COARSE
    if args.ship is not None:
        print(
            fit(
                data,
                list(DEV),
                args.cache,
                grids,
                args.ship,
                oof=args.out_of_fold,
                worst_day=not args.mean_of_days,
                extra=extra,
                extra_scored=args.extra_scored,
            ),
            flush=True,
        )
        return
    results = {}
    for test in args.folds:
        train = [d for d in DEV if d != test]
        with tempfile.TemporaryDirectory() as t:
            tmp = Path(t)
            before = history(data, test, args.history)
            if args.models is not None:
                models = args.models
                print(
                    f"== {test} (streamed after {', '.join(before)}) with the "
                    f"scorers in {models}" + (f", settings {overrides}" if overrides else ""),
                    flush=True,
                )
            else:
                models = args.keep_models / test if args.keep_models is not None else tmp / "models"
                print(
                    f"== held out {test} (streamed after {', '.join(before)}); "
                    + fit(
                        data,
                        train,
                        args.cache,
                        grids,
                        models,
                        args.crossfit_core,
                        args.out_of_fold,
                        not args.mean_of_days,
                        extra,
                        args.extra_scored,
                    ),
                    flush=True,
                )
            t0 = time.perf_counter()
            db = pipeline(data, [*before, test], models, tmp, overrides)
            el = time.perf_counter() - t0
            golds = day_golds(data, test)
            ours = score_stories(db, golds)
            # duplicates: the day's own pairs (08-02's labels mark no copy of an 08-01 article), and with
            # the copies of the day before's articles where the labels mark them (08-03's do)
            own = cli_json(["eval", "duplicates", "--db", db, "--gold", golds[-1]])["duplicates"]
            cut, base = baseline_scores(data, test, train, extra)
            results[test] = (ours, base)
            b, p, d = ours["bcubed"], ours["pairwise"], ours["duplicates"]
            print(
                f"rasid    B3 P {b['p']:.4f} R {b['r']:.4f} F1 {b['f1']:.4f} | pairwise P {p['p']:.4f} "
                f"R {p['r']:.4f} F1 {p['f1']:.4f} | dup within the day P {own['p']:.4f} R {own['r']:.4f}, "
                f"with the day before P {d['p']:.4f} R {d['r']:.4f} | two runs {el:.0f}s"
            )
            b, p = base["bcubed"], base["pairwise"]
            print(
                f"baseline B3 P {b['p']:.4f} R {b['r']:.4f} F1 {b['f1']:.4f} | pairwise P {p['p']:.4f} "
                f"R {p['r']:.4f} F1 {p['f1']:.4f} | cut {cut} tuned on {'+'.join([*train, *extra])}"
            )
            lines, per = worst_stories(db, data, test)
            print(
                "stories by gold events held: "
                + ", ".join(f"{e} events: {n}" for e, n in sorted(per.items()))
            )
            print("the ten stories with the most wrong pairs:\n" + "\n".join(lines), flush=True)
    if results:
        worst_b = min(results, key=lambda d: results[d][0]["bcubed"]["f1"])
        worst_p = min(results, key=lambda d: results[d][0]["pairwise"]["f1"])
        print(
            f"worst fold by B3: {worst_b} {results[worst_b][0]['bcubed']['f1']:.4f} "
            f"(baseline {results[worst_b][1]['bcubed']['f1']:.4f}); by pairwise: {worst_p} "
            f"{results[worst_p][0]['pairwise']['f1']:.4f} (baseline {results[worst_p][1]['pairwise']['f1']:.4f})"
        )


if __name__ == "__main__":
    main()
