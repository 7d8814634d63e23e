"""The command line: parse arguments into settings, call the library, print.

`main(argv)` returns the exit status, so tests call it directly.
Exit statuses: 0 success; 1 nothing usable was read (or, with --strict, any input failed);
2 usage error; 3 not found (a story or article id).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections import Counter
from collections.abc import Sequence
from typing import Any, TextIO

from . import __version__
from .model import Article, IngestError
from .settings import Settings, load_settings

EXIT_OK, EXIT_NOTHING, EXIT_USAGE, EXIT_NOT_FOUND = 0, 1, 2, 3


class Console:
    """Where the CLI writes: plain text for people, or JSON lines on stderr for machines."""

    def __init__(self, settings: Settings, out: TextIO, err: TextIO) -> None:
        self.settings = settings
        self.out = out
        self.err = err

    def error(self, error: IngestError | str) -> None:
        if self.settings.json_log:
            if isinstance(error, IngestError):
                rec = {"level": "error", "input": error.origin, "reason": error.reason}
            else:
                rec = {"level": "error", "message": error}
            self.err.write(json.dumps(rec, ensure_ascii=False) + "\n")
        else:
            self.err.write(f"rasid: {error}\n")

    def info(self, text: str, **fields: Any) -> None:
        if self.settings.quiet:
            return
        if self.settings.json_log:
            self.err.write(json.dumps({"level": "info", "message": text, **fields}, ensure_ascii=False) + "\n")
        else:
            self.out.write(text + "\n")


def _parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--db", help="database: a SQLite path (default ./rasid.db)")
    common.add_argument("--config", help="settings file (TOML); default ./rasid.toml if present")
    common.add_argument("-q", "--quiet", action="store_true", default=None, help="print only errors")
    common.add_argument("--log-json", dest="json_log", action="store_true", default=None,
                        help="errors and progress as JSON lines on stderr")
    common.add_argument("--no-progress", dest="progress", action="store_false", default=None,
                        help="no progress bar")

    p = argparse.ArgumentParser(prog="rasid", description="rasid: an open news story engine for Arabic")
    p.add_argument("--version", action="version", version=f"rasid {__version__}")
    sub = p.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", parents=[common], help="ingest and process inputs")
    run.add_argument("inputs", nargs="+", metavar="INPUT", help="directory, file, or http(s) URL of a page or feed")
    run.add_argument("--strict", action="store_true", default=None, help="fail if any input fails")
    run.add_argument("--allow-private", action="store_true", default=None,
                     help="allow URLs on loopback/private/link-local addresses")
    run.add_argument("--max-bytes", type=int, help="size cap per file or download (default 20 MB)")

    exp = sub.add_parser("export", parents=[common], help="write articles or stories as JSON lines")
    exp.add_argument("--what", choices=["articles", "stories"], required=True)
    exp.add_argument("--format", choices=["jsonl"], default="jsonl")

    st = sub.add_parser("story", parents=[common], help="write one story")
    st.add_argument("story_id", metavar="ID")
    st.add_argument("--format", choices=["json", "md", "html"], default="json")

    srv = sub.add_parser("serve", parents=[common], help="serve the web UI and the HTTP API")
    srv.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1, this machine only)")
    srv.add_argument("--port", type=int, default=8000)
    srv.add_argument("--processes", type=int, default=1,
                     help="server processes sharing the port (reads scale with cores; posts are serialised)")

    ev = sub.add_parser("eval", help="measure quality against labels")
    evsub = ev.add_subparsers(dest="what", required=True)
    for name, helptext in (("stories", "B-cubed and pairwise P/R/F1 of stories"),
                           ("duplicates", "duplicate-pair precision and recall")):
        e = evsub.add_parser(name, parents=[common], help=helptext)
        e.add_argument("--gold", required=True, help="labels file (JSONL: url, event, dup_of)")
    e = evsub.add_parser("ner", parents=[common], help="entity-level P/R/F1 on the ANERcorp test split")
    e.add_argument("--test", help="CoNLL test file (default: ../shared/data/anercorp test split)")
    e.add_argument("--model", help="model file (default: the packaged one)")
    e = evsub.add_parser("seeds", parents=[common], help="the seed-story checks against gold.json")
    e.add_argument("--seeds", default="../shared/seeds", help="the seeds folder with gold.json")

    tr = sub.add_parser("train", help="rebuild a model from data")
    trsub = tr.add_subparsers(dest="what", required=True)
    t = trsub.add_parser("ner", parents=[common], help="train the Arabic NER model on ANERcorp")
    t.add_argument("--out", help="where to write the model (default: the packaged model file)")
    t.add_argument("--train", help="CoNLL training file (default: ../shared/data/anercorp train split)")
    t = trsub.add_parser("stories", parents=[common],
                         help="fit the story scorers on labelled articles already in the store")
    t.add_argument("--gold", required=True, help="labels file (JSONL: url, event), as for `eval stories`")
    t.add_argument("--out", required=True,
                   help="folder for the four model files; use it with the story_models setting")

    srch = sub.add_parser("search", parents=[common], help="find articles")
    srch.add_argument("query")
    srch.add_argument("--format", choices=["text", "jsonl"], default="text")
    srch.add_argument("--limit", type=int, default=20)
    return p


def _settings(args: argparse.Namespace) -> Settings:
    flags = {k: v for k, v in vars(args).items() if k not in {"command", "config"}}
    return load_settings(getattr(args, "config", None), **flags)


def _article_line(a: Article) -> str:
    langs = Counter(p.lang for p in a.paragraphs)
    kinds = Counter(r.kind for r in a.removed)
    removed = ", ".join(f"{k}×{n}" for k, n in sorted(kinds.items())) or "nothing"
    lang_txt = " ".join(f"{k} {n}" for k, n in sorted(langs.items()))
    meta = " · ".join(
        [a.published or "undated", a.source or "unknown source", f"{len(a.paragraphs)} paragraphs ({lang_txt})",
         f"{sum(len(p.sentences) for p in a.paragraphs)} sentences", f"removed: {removed}"]
    )
    return f"  {a.id}  {a.title}\n      {meta}"


def cmd_run(args: argparse.Namespace, settings: Settings, con: Console) -> int:
    from .engine.local import LocalRunner
    from .ingest import Ingestor
    from .process import default_text_pipeline
    from .stages import default_stages
    from .store import open_store

    with open_store(settings.db) as store, Ingestor(settings) as reader:
        bar = None
        if settings.progress and not settings.quiet:
            from tqdm import tqdm

            bar = tqdm(unit=" articles", file=con.err, disable=None, desc="rasid run")
        runner = LocalRunner(
            store=store,
            reader=reader,
            text=default_text_pipeline(),
            stages=default_stages(settings),
            workers=settings.workers or (os.cpu_count() or 1),
            on_error=con.error,
            progress=bar.update if bar is not None else None,
        )
        summary = runner.run(args.inputs)
        if bar is not None:
            bar.close()
        if len(summary.added) <= 20:
            for aid in summary.added:
                art = store.get_article(aid)
                if art is not None:
                    con.info(_article_line(art))
        con.info(
            f"read {summary.read} documents: {len(summary.added)} new articles, "
            f"{summary.already_stored} already stored, {len(summary.errors)} inputs with errors; "
            f"{store.count_articles()} articles in {settings.db}",
            read=summary.read, added=len(summary.added), already=summary.already_stored,
            errors=len(summary.errors),
        )
        _story_summary(store, summary.stories, con)
    if settings.strict and summary.errors:
        return EXIT_NOTHING
    return EXIT_OK if summary.usable else EXIT_NOTHING


def _story_summary(store: Any, story_ids: Sequence[str], con: Console) -> None:
    if not story_ids:
        return
    stories = [s for s in (store.get_story(sid) for sid in story_ids) if s is not None]
    stories.sort(key=lambda s: -len(s.articles))
    con.info(f"{len(stories)} stories touched; largest:")
    for s in stories[:10]:
        con.info(f"  {s.id}  {len(s.articles)} articles, {len(s.sources)} sources  {s.title}")


def cmd_export(args: argparse.Namespace, settings: Settings, con: Console) -> int:
    from .export import article_record, story_record
    from .store import open_store

    with open_store(settings.db) as store:
        if args.what == "articles":
            for art in store.iter_articles():
                con.out.write(json.dumps(article_record(art), ensure_ascii=False) + "\n")
        else:
            for story in store.iter_stories():
                con.out.write(json.dumps(story_record(story), ensure_ascii=False) + "\n")
    return EXIT_OK


def cmd_search(args: argparse.Namespace, settings: Settings, con: Console) -> int:
    from .store import open_store

    with open_store(settings.db) as store:
        hits = store.search(args.query, limit=args.limit)
    for hit in hits:
        if args.format == "jsonl":
            rec = {k: hit[k] for k in ("id", "title", "snippet", "score")}
            con.out.write(json.dumps(rec, ensure_ascii=False) + "\n")
        else:
            con.out.write(f"{hit['id']}  {hit['title']}\n    {hit['snippet']}\n")
    return EXIT_OK


def cmd_story(args: argparse.Namespace, settings: Settings, con: Console) -> int:
    from .export import story_record
    from .store import open_store

    with open_store(settings.db) as store:
        from .stages import find_story

        story = find_story(store, args.story_id)
        if story is not None and story.id != args.story_id and not settings.quiet:
            # on stderr: stdout carries the story itself
            con.err.write(f"rasid: story {args.story_id} was merged into {story.id}\n")
        if story is None:
            con.error(f"no story {args.story_id!r} in {settings.db}")
            return EXIT_NOT_FOUND
        if args.format == "json":
            con.out.write(json.dumps(story_record(story), ensure_ascii=False, indent=1) + "\n")
            return EXIT_OK
        from . import render

        articles = {a.id: a for a in store.get_articles(story.articles)}
        titles = store.story_titles(story.related)
        text = (render.story_markdown(story, articles, titles) if args.format == "md"
                else render.story_html(story, articles, titles))
        con.out.write(text if text.endswith("\n") else text + "\n")
    return EXIT_OK


def cmd_serve(args: argparse.Namespace, settings: Settings, con: Console) -> int:
    from .web.app import serve

    if args.host not in {"127.0.0.1", "localhost", "::1"}:
        con.error(f"warning: serving on {args.host}, reachable beyond this machine")
    if not 1 <= args.processes <= 32:
        con.error(f"--processes {args.processes}: use 1 to 32")
        return EXIT_USAGE
    serve(settings.db, host=args.host, port=args.port, settings=settings, processes=args.processes,
          config=getattr(args, "config", None))
    return EXIT_OK


def cmd_eval(args: argparse.Namespace, settings: Settings, con: Console) -> int:
    from . import evaluate

    result = evaluate.run(args.what, args, settings)
    con.out.write(json.dumps(result, ensure_ascii=False, indent=1) + "\n")
    return EXIT_OK if result.get("ok", True) else EXIT_NOTHING


def cmd_train(args: argparse.Namespace, settings: Settings, con: Console) -> int:
    from . import evaluate

    try:
        result = evaluate.train(args.what, args, settings)
    except (ValueError, FileNotFoundError) as exc:  # labels that cannot be read or fitted on
        con.err.write(f"rasid train {args.what}: {exc}\n")
        return EXIT_NOTHING
    con.out.write(json.dumps(result, ensure_ascii=False, indent=1) + "\n")
    return EXIT_OK


COMMANDS = {"run": cmd_run, "export": cmd_export, "search": cmd_search, "story": cmd_story,
            "serve": cmd_serve, "eval": cmd_eval, "train": cmd_train}


def main(argv: Sequence[str] | None = None, out: TextIO | None = None, err: TextIO | None = None) -> int:
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits on --help and on usage errors
        return int(exc.code or 0) and EXIT_USAGE
    out = out or sys.stdout
    err = err or sys.stderr
    try:
        settings = _settings(args)
    except (ValueError, FileNotFoundError) as exc:
        err.write(f"rasid: {exc}\n")
        return EXIT_USAGE
    con = Console(settings, out, err)
    try:
        return COMMANDS[args.command](args, settings, con)
    except BrokenPipeError:
        return EXIT_OK


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
