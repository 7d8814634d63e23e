"""Bench: where the understanding stage's time goes, one process, per component, on a real day.

Builds (once, kept at `--db`) a store holding the chosen days with their stories (the stories stage
only), then, in this one process, analyses every story the way the understanding stage does: first
each article's facts (NER mentions and date expressions), then each story with its facts given.
Every component is wrapped with a `time.process_time` timer, and the whole analysis can be run
under cProfile (`--profile N` prints the N costliest functions by their own time).

    .venv/bin/python bench/understand_profile.py [--days 2015-08-02] [--db /tmp/understand.db]
        [--profile 40] [--dump stats.pstats] [--digest]

`--digest` prints a digest of every story's analysis (entities, quotes, timeline, brief, disputes),
so two trees can be checked to give the same results.
"""

from __future__ import annotations

import argparse
import cProfile
import hashlib
import json
import os
import pstats
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

from rasid.eval.stories import write_saudinewsnet_jsonl
from rasid.ingest import Ingestor
from rasid.runner import build_runner
from rasid.settings import load_settings
from rasid.stages import default_stages
from rasid.store import open_store


def build_store(shared: Path, days: list[str], db: Path) -> None:
    jsonl = db.with_suffix(".jsonl")
    write_saudinewsnet_jsonl([shared / "data" / "saudinewsnet" / f"{d}.zip" for d in days], jsonl)
    settings = load_settings(env={}, db=str(db), workers=1)
    with open_store(settings.db) as store, Ingestor(settings) as reader:
        runner = build_runner(
            store,
            settings,
            reader,
            stages=default_stages(settings, understand=False),
            workers=1,
            on_error=lambda e: None,
            engine="local",
        )
        runner.run([str(jsonl)])


class Timers:
    def __init__(self) -> None:
        self.cpu: dict[str, float] = defaultdict(float)

    def wrap(self, name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*a: Any, **k: Any) -> Any:
            c0 = time.process_time()
            try:
                return fn(*a, **k)
            finally:
                self.cpu[name] += time.process_time() - c0

        return timed


def instrument(analyzer: Any, timers: Timers) -> None:
    """Wrap the analyzer's components (module functions and model methods) with timers."""
    import rasid.brief as brief_mod
    import rasid.understand.dates as dates_mod
    import rasid.understand.propagate as prop_mod
    import rasid.understand.story as story_mod
    import rasid.understand.timeline as tl_mod

    analyzer.warm()

    def method(obj: Any, name: str, label: str) -> None:
        cls = type(obj)
        setattr(cls, name, timers.wrap(label, getattr(cls, name)))

    method(analyzer.ner, "mentions", "ner")
    method(analyzer.date_extractor, "extract", "dates.extract")
    method(analyzer.canonicaliser, "canonicalise", "canonicalise")
    method(analyzer.quote_extractor, "extract", "quotes")
    method(analyzer.brief_builder, "build", "brief")
    method(analyzer.dispute_finder, "find", "disputes")
    story_mod.propagate_mentions = timers.wrap("propagate", prop_mod.propagate_mentions)
    tl_mod.build_timeline = timers.wrap("timeline", tl_mod.build_timeline)
    dates_mod.anchor_articles = timers.wrap("anchor", dates_mod.anchor_articles)
    brief_mod.sentence_units = timers.wrap("sentence_units", brief_mod.sentence_units)
    analyzer._embed = timers.wrap("embed(all)", analyzer.embed)
    story_mod.lead_statements = timers.wrap("lead", story_mod.lead_statements)


def digest(result: Any) -> str:
    d = asdict(result)
    d.pop("new_facts", None)
    d.pop("new_vectors", None)
    return hashlib.sha1(json.dumps(d, sort_keys=True, default=str, ensure_ascii=False).encode()).hexdigest()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--shared", default=str(Path(__file__).resolve().parents[2] / "shared"))
    ap.add_argument("--days", nargs="+", default=["2015-08-02"])
    ap.add_argument("--db", default="/tmp/understand_profile.db")
    ap.add_argument("--profile", type=int, default=0, help="print the N costliest functions (cProfile)")
    ap.add_argument("--dump", default="", help="write the cProfile stats here")
    ap.add_argument("--digest", action="store_true", help="print a digest of every story's analysis")
    ap.add_argument("--no-timers", action="store_true")
    ap.add_argument(
        "--keep-vectors",
        action="store_true",
        help="analyse as the stage does when it keeps sentence vectors (an empty store of them)",
    )
    args = ap.parse_args()
    db = Path(args.db)
    if not db.exists():
        build_store(Path(args.shared), args.days, db)

    from rasid.understand.story import StoryAnalyzer

    analyzer = StoryAnalyzer(threads=1)
    timers = Timers()
    if args.no_timers:
        analyzer.warm()
    else:
        instrument(analyzer, timers)
    with open_store(str(db)) as store:
        stories = sorted(store.iter_stories(), key=lambda s: -len(s.articles))
        arts_of = {s.id: store.get_articles(s.articles) for s in stories}
    n_articles = sum(len(a) for a in arts_of.values())
    prof = cProfile.Profile() if (args.profile or args.dump) else None
    t0, c0 = time.perf_counter(), time.process_time()
    if prof:
        prof.enable()
    facts = {}
    for arts in arts_of.values():
        facts.update(analyzer.facts_of(arts))
    c_facts = time.process_time() - c0
    digests = []
    for s in stories:
        result = analyzer.analyze(arts_of[s.id], facts, {} if args.keep_vectors else None)
        if args.digest:
            digests.append(f"{s.id} {digest(result)}")
    if prof:
        prof.disable()
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    per = 1000.0 / n_articles
    print(f"{len(stories)} stories, {n_articles} articles; load {os.getloadavg()[0]:.2f}")
    print(
        f"facts pass {c_facts * per:.1f} ms/article CPU; analysis {(cpu - c_facts) * per:.1f}; "
        f"total {cpu * per:.1f} ms/article CPU ({wall:.1f} s wall)"
    )
    for name, secs in sorted(timers.cpu.items(), key=lambda kv: -kv[1]):
        print(f"  {name:16s} {secs * per:6.2f} ms/article")
    if args.digest:
        h = hashlib.sha1("\n".join(digests).encode()).hexdigest()
        print(f"digest of all analyses: {h}")
        Path(db.with_suffix(".digests")).write_text("\n".join(digests) + "\n")
    if prof:
        if args.dump:
            prof.dump_stats(args.dump)
        if args.profile:
            pstats.Stats(prof).sort_stats("tottime").print_stats(args.profile)


if __name__ == "__main__":
    main()
