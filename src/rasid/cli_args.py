"""The `rasid` command line's arguments: one parser with a subcommand per command (`rasid.cli`
parses with it, then calls the library)."""

from __future__ import annotations

import argparse

from . import __version__


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--db", help="database: a SQLite path (default ./rasid.db) or postgresql://user@host:port/name"
    )
    common.add_argument("--config", help="settings file (TOML); default ./rasid.toml if present")
    common.add_argument("-q", "--quiet", action="store_true", default=None, help="print only errors")
    common.add_argument(
        "--log-json",
        dest="json_log",
        action="store_true",
        default=None,
        help="errors and progress as JSON lines on stderr",
    )
    common.add_argument(
        "--no-progress", dest="progress", action="store_false", default=None, help="no progress bar"
    )

    p = argparse.ArgumentParser(prog="rasid", description="rasid: an open news story engine for Arabic")
    p.add_argument("--version", action="version", version=f"rasid {__version__}")
    sub = p.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", parents=[common], help="ingest and process inputs")
    run.add_argument(
        "inputs", nargs="+", metavar="INPUT", help="directory, file, or http(s) URL of a page or feed"
    )
    run.add_argument("--strict", action="store_true", default=None, help="fail if any input fails")
    run.add_argument(
        "--allow-private",
        action="store_true",
        default=None,
        help="allow URLs on loopback/private/link-local addresses",
    )
    run.add_argument("--max-bytes", type=int, help="size cap per file or download (default 20 MB)")
    run.add_argument(
        "--engine", choices=["local", "dask"], help="where the per-document work runs (default local)"
    )
    place = run.add_mutually_exclusive_group()
    place.add_argument("--workers", type=int, help="worker processes (default one per core)")
    place.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="with --engine dask: a running Dask scheduler (default: a local cluster on 127.0.0.1)",
    )

    w = sub.add_parser(
        "watch", parents=[common], help="poll feeds and pages, process new items as they arrive"
    )
    w.add_argument("inputs", nargs="+", metavar="FEED_OR_PAGE", help="http(s) URL of a feed or a page")
    w.add_argument(
        "--every", default=None, help="time between polls of each input: 5s, 10m, 2h (default 10m)"
    )
    w.add_argument(
        "--allow-private",
        action="store_true",
        default=None,
        help="allow URLs on loopback/private/link-local addresses",
    )
    w.add_argument("--max-bytes", type=int, help="size cap per download (default 20 MB)")
    w.add_argument("--polls", type=int, default=None, help=argparse.SUPPRESS)  # stop after N rounds (tests)

    rp = sub.add_parser(
        "reprocess",
        parents=[common],
        help="complete stories and understanding for stored articles that lack them, or rebuild them",
    )
    rp.add_argument(
        "--stories",
        action="store_true",
        help="rebuild every story from scratch, in time order (story ids change), then analyse them",
    )
    rp.add_argument("--understanding", action="store_true", help="analyse every story again")

    exp = sub.add_parser(
        "export", parents=[common], help="write articles or stories (JSON lines, JSON or CSV)"
    )
    exp.add_argument("--what", choices=["articles", "stories"], required=True)
    exp.add_argument(
        "--format",
        choices=["jsonl", "json", "csv"],
        default="jsonl",
        help="jsonl: one record per line (default); json: one array; csv: a header and a row each",
    )
    exp.add_argument("--source", help="only this outlet (its name, id or domain)")

    st = sub.add_parser("story", parents=[common], help="write one story")
    st.add_argument("story_id", metavar="ID")
    st.add_argument("--format", choices=["json", "md", "html"], default="json")

    srv = sub.add_parser("serve", parents=[common], help="serve the web UI and the HTTP API")
    srv.add_argument(
        "--host", default="127.0.0.1", help="address to bind (default 127.0.0.1, this machine only)"
    )
    srv.add_argument("--port", type=int, default=8000)
    srv.add_argument(
        "--processes",
        type=int,
        default=1,
        help="server processes sharing the port (reads scale with cores; posts are serialised)",
    )
    srv.add_argument(
        "--access-log",
        action="store_true",
        help="log every request on stdout (off by default: it costs CPU under load)",
    )

    data = argparse.ArgumentParser(add_help=False)
    data.add_argument(
        "--data",
        default="../shared",
        metavar="DIR",
        help="the data folder, holding data/ (anercorp, saudinewsnet) and seeds/ (default ../shared)",
    )

    ev = sub.add_parser("eval", help="measure quality against labels")
    evsub = ev.add_subparsers(dest="what", required=True)
    for name, helptext in (
        ("stories", "B-cubed and pairwise P/R/F1 of stories"),
        ("duplicates", "duplicate-pair precision and recall"),
    ):
        e = evsub.add_parser(name, parents=[common, data], help=helptext)
        e.add_argument(
            "--gold",
            required=True,
            action="append",
            help="labels file (JSONL: url, event, dup_of); repeat for linked days",
        )
        if name == "stories":
            e.add_argument(
                "--focus",
                help="score only the articles of this labels file (a held-out day), "
                "with their pairs to the other --gold files' articles",
            )
    e = evsub.add_parser("ner", parents=[common, data], help="entity-level P/R/F1 on the ANERcorp test split")
    e.add_argument("--test", help="CoNLL test file (default: the anercorp test split under --data)")
    e.add_argument("--model", help="model file (default: the packaged one)")
    e = evsub.add_parser("seeds", parents=[common, data], help="the seed-story checks against gold.json")
    e.add_argument("--seeds", help="the seeds folder with gold.json (default: seeds/ under --data)")
    e = evsub.add_parser(
        "brief", parents=[common, data], help="the brief against hand-made statements of stories"
    )
    e.add_argument("--gold", required=True, nargs="+", help="gold file(s) or folder(s) (bench/gold/brief)")
    e = evsub.add_parser(
        "understanding",
        parents=[common, data],
        help="entities, quotes and timeline of annotated stories (gold.json format)",
    )
    e.add_argument(
        "--gold",
        action="append",
        required=True,
        help="a story annotation, or a folder of them (repeatable; the seeds' gold.json works); "
        "their `archive` paths are read under data/ of --data",
    )

    tr = sub.add_parser("train", help="rebuild a model from data")
    trsub = tr.add_subparsers(dest="what", required=True)
    t = trsub.add_parser("ner", parents=[common, data], help="train the Arabic NER model on ANERcorp")
    where = t.add_mutually_exclusive_group(required=True)
    where.add_argument("--out", help="where to write the model (ner.crfsuite and the files beside it)")
    where.add_argument(
        "--overwrite-shipped", action="store_true", help="replace the model shipped in the installed package"
    )
    t.add_argument("--train", help="CoNLL training file (default: the anercorp train split under --data)")
    t = trsub.add_parser(
        "stories",
        parents=[common, data],
        help="fit the story scorers on labelled articles already in the store",
    )
    t.add_argument(
        "--gold",
        required=True,
        action="append",
        help="labels file (JSONL: url, event), as for `eval stories`; repeat for several labelled days: "
        "the thresholds are then tuned out of fold (each file's articles streamed with scorers fitted "
        "on the other files'; each threshold the one whose worst file scores best)",
    )
    t.add_argument(
        "--train-only",
        action="append",
        metavar="GOLD",
        help="labels file whose articles train the scorers but on which no threshold is tuned, with two "
        "or more --gold files (labels that miss links, e.g. made quickly); repeatable",
    )
    t.add_argument(
        "--out", required=True, help="folder for the four model files; use it with the story_models setting"
    )

    srch = sub.add_parser("search", parents=[common], help="find articles")
    srch.add_argument("query")
    srch.add_argument("--format", choices=["text", "jsonl"], default="text")
    srch.add_argument("--limit", type=int, default=20)
    return p
