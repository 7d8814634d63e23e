"""The command line: parse arguments into settings, call the library, print.

`main(argv)` returns the exit status, so tests call it directly.
Exit statuses: 0 success; 1 nothing usable was read (or, with --strict, any input failed);
2 usage error (bad arguments or settings); 3 not found (a story or article id, or the
database of a command that only reads); 4 the database cannot be used (unreadable, not a rasid
database, from a newer rasid, or read-only for a command that writes); 5 a part that is not
installed (the message names the pip extra).
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, TextIO

from .cli_args import build_parser
from .model import Article, IngestError
from .outlets import OutletRegistry, display_name, outlet_key, story_outlet_count
from .settings import Settings, load_settings

if TYPE_CHECKING:
    from .store.protocols import ReadStore, Store

EXIT_OK, EXIT_NOTHING, EXIT_USAGE, EXIT_NOT_FOUND, EXIT_STORE, EXIT_MISSING = 0, 1, 2, 3, 4, 5


class Console:
    """Where the CLI writes: plain text for people, or JSON lines on stderr for machines."""

    def __init__(self, settings: Settings, out: TextIO, err: TextIO) -> None:
        self.settings = settings
        self.out = out
        self.err = err
        self.progress: Any = None  # the progress shown on stderr while a run goes, if any

    def start_progress(self) -> Any:
        """Progress for a run on stderr (a bar per stage, or JSON lines with --log-json); None with
        --no-progress or --quiet."""
        if not self.settings.progress or self.settings.quiet:
            return None
        from .progress import BarProgress, JsonProgress

        self.progress = JsonProgress(self.err) if self.settings.json_log else BarProgress(self.err)
        return self.progress

    def stop_progress(self) -> None:
        if self.progress is not None:
            progress, self.progress = self.progress, None
            progress.close()

    def error(self, error: IngestError | str) -> None:
        if self.settings.json_log:
            if isinstance(error, IngestError):
                rec = {"level": "error", "input": error.origin, "reason": error.reason}
            else:
                rec = {"level": "error", "message": error}
            line = json.dumps(rec, ensure_ascii=False) + "\n"
        else:
            line = f"rasid: {error}\n"
        if self.progress is not None:
            self.progress.write(line)  # above the bar
        else:
            self.err.write(line)

    def note(self, text: str) -> None:
        """A remark on stderr (a guessed encoding): not part of the output, not an error."""
        if self.settings.quiet:
            return
        if self.settings.json_log:
            self.err.write(json.dumps({"level": "info", "message": text}, ensure_ascii=False) + "\n")
        else:
            self.err.write(f"rasid: note: {text}\n")

    def info(self, text: str, **fields: Any) -> None:
        if self.settings.quiet:
            return
        if self.settings.json_log:
            self.err.write(
                json.dumps({"level": "info", "message": text, **fields}, ensure_ascii=False) + "\n"
            )
        else:
            self.out.write(text + "\n")


def _settings(args: argparse.Namespace) -> Settings:
    flags = {k: v for k, v in vars(args).items() if k not in {"command", "config"}}
    return load_settings(getattr(args, "config", None), **flags)


def _article_line(a: Article, outlets: Any = None) -> str:
    langs = Counter(p.lang for p in a.paragraphs)
    kinds = Counter(r.kind for r in a.removed)
    removed = ", ".join(f"{k}×{n}" for k, n in sorted(kinds.items())) or "nothing"
    lang_txt = " ".join(f"{k} {n}" for k, n in sorted(langs.items()))
    meta = " · ".join(
        [
            a.published or "undated",
            display_name(a.source, outlets) if a.source else "unknown source",
            f"{len(a.paragraphs)} paragraphs ({lang_txt})",
            f"{sum(len(p.sentences) for p in a.paragraphs)} sentences",
            f"removed: {removed}",
        ]
    )
    return f"  {a.id}  {a.title}\n      {meta}"


def cmd_run(args: argparse.Namespace, settings: Settings, con: Console) -> int:
    from .ingest import Ingestor
    from .progress import count_documents

    if settings.engine not in ("local", "dask"):
        con.error(f"unknown engine {settings.engine!r} (use local or dask)")
        return EXIT_USAGE
    if settings.scheduler and settings.engine != "dask":
        con.error("--scheduler needs --engine dask")
        return EXIT_USAGE
    with _open(settings, create=True, write=True) as store, Ingestor(settings) as reader:
        progress = con.start_progress()
        total = count_documents(args.inputs) if progress is not None else None
        try:
            summary = _runner(store, settings, con, reader=reader, read_total=total).run(args.inputs)
        finally:
            con.stop_progress()
        if len(summary.added) <= 20:
            for aid in summary.added:
                art = store.get_article(aid)
                if art is not None:
                    con.info(_article_line(art, reader.outlets))
        con.info(
            f"read {summary.read} documents: {len(summary.added)} new articles, "
            f"{summary.already_stored} already stored, {len(summary.errors)} inputs with errors; "
            f"{store.count_articles()} articles in {store.path}",  # a PostgreSQL password masked
            read=summary.read,
            added=len(summary.added),
            already=summary.already_stored,
            errors=len(summary.errors),
        )
        _resumed_line(summary, con)
        _story_summary(store, summary.stories, con, reader.outlets)
    if settings.strict and summary.errors:
        return EXIT_NOTHING
    return EXIT_OK if summary.usable else EXIT_NOTHING


def _open(settings: Settings, create: bool = False, write: bool = False) -> Any:
    """The store of --db. Only `run` creates one: reading commands report a missing store. A
    command that writes (`write`) refuses a read-only store before it starts."""
    from .store import StoreError, open_store

    store = open_store(settings.db, create=create)
    if write and getattr(store, "readonly", False):
        store.close()
        raise StoreError(f"{settings.db}: the database is read-only (no write access to it or its folder)")
    return store


def _runner(
    store: Store, settings: Settings, con: Console, reader: Any = None, read_total: int | None = None
) -> Any:
    from .runner import build_runner

    return build_runner(
        store, settings, reader, on_error=con.error, progress=con.progress, read_total=read_total
    )


def _resumed_line(summary: Any, con: Console) -> None:
    if summary.resumed or summary.resumed_stories:
        con.info(
            f"completed what an earlier run left: {summary.resumed} articles placed in stories, "
            f"{summary.resumed_stories} stories analysed",
            resumed=summary.resumed,
            resumed_stories=summary.resumed_stories,
        )


def cmd_reprocess(args: argparse.Namespace, settings: Settings, con: Console) -> int:
    """Complete (default) or rebuild stories and understanding for the stored articles."""
    from .engine.local import mark_pending

    with _open(settings, write=True) as store:
        if args.stories:
            # every article back to no story: the run below groups them all anew, in time order
            store.clear_stories()
        elif args.understanding:
            ids = [s.id for s in store.iter_stories()]
            mark_pending(store, ids)
        con.start_progress()
        try:
            summary = _runner(store, settings, con).run([])
        finally:
            con.stop_progress()
        con.info(
            f"{summary.resumed} articles placed in stories, {len(summary.stories)} stories updated; "
            f"{store.count_stories()} stories in {store.path}",
            placed=summary.resumed,
            updated=len(summary.stories),
        )
        _story_summary(store, summary.stories, con, OutletRegistry.load(settings.outlets_file or None))
    return EXIT_OK


def _story_summary(store: ReadStore, story_ids: Sequence[str], con: Console, outlets: OutletRegistry) -> None:
    if not story_ids:
        return
    stories = [s for s in (store.get_story(sid) for sid in story_ids) if s is not None]
    stories.sort(key=lambda s: -len(s.articles))
    con.info(f"{len(stories)} stories touched; largest:")
    for s in stories[:10]:
        # Outlets as every view counts them: each article of unknown outlet counts as one.
        members = store.get_articles(s.articles)
        unknown = sum(1 for a in members if outlet_key(a.source, outlets) is None)
        count = story_outlet_count(s.sources, (a.source for a in members), outlets)
        note = f" ({unknown} unnamed)" if unknown else ""
        con.info(f"  {s.id}  {len(s.articles)} articles, {count} sources{note}  {s.title}")


def cmd_watch(args: argparse.Namespace, settings: Settings, con: Console) -> int:
    from .process import default_text_pipeline
    from .stages import default_stages
    from .watch import PollResult, Watcher, parse_duration

    try:
        every = parse_duration(args.every) if args.every else settings.watch_every
    except ValueError as exc:
        con.error(str(exc))
        return EXIT_USAGE
    bad = [u for u in args.inputs if not u.lower().startswith(("http://", "https://"))]
    if bad:
        con.error(f"{bad[0]}: watch takes http(s) URLs of feeds or pages")
        return EXIT_USAGE

    def report(r: PollResult) -> None:
        if r.status == "unchanged":
            con.info(f"{r.url}: not modified", url=r.url, status=r.status)
        elif r.status == "new":
            con.info(
                f"{r.url}: {len(r.added)} new articles ({r.pages} pages fetched), "
                f"{r.already_stored} already stored, {len(r.stories)} stories touched",
                url=r.url,
                status=r.status,
                added=len(r.added),
                pages=r.pages,
                stories=len(r.stories),
            )

    with _open(settings, create=True, write=True) as store:
        watcher = Watcher(
            settings, store, default_text_pipeline(), default_stages(settings), on_error=con.error
        )
        try:
            watcher.run(args.inputs, every, report, max_rounds=args.polls)
        except KeyboardInterrupt:
            con.info("stopped")
        finally:
            watcher.close()
    return EXIT_OK


def cmd_export(args: argparse.Namespace, settings: Settings, con: Console) -> int:
    from .export import ARTICLE_FIELDS, STORY_FIELDS, article_record, story_records, write_records

    outlets = OutletRegistry.load(settings.outlets_file or None)
    wanted = getattr(args, "source", None)
    with _open(settings) as store:
        if args.what == "articles":
            arts = (a for a in store.iter_articles() if not wanted or outlets.matches(wanted, a.source))
            write_records((article_record(a, outlets) for a in arts), args.format, con.out, ARTICLE_FIELDS)
        else:
            stories = (
                st
                for st in store.iter_stories()
                if not wanted or any(outlets.matches(wanted, x) for x in st.sources)
            )
            write_records(
                story_records(stories, store.get_articles, outlets), args.format, con.out, STORY_FIELDS
            )
    return EXIT_OK


def cmd_search(args: argparse.Namespace, settings: Settings, con: Console) -> int:
    with _open(settings) as store:
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

    with _open(settings) as store:
        from .stages import find_story

        story = find_story(store, args.story_id)
        if story is not None and story.id != args.story_id and not settings.quiet:
            # on stderr: stdout carries the story itself
            con.err.write(f"rasid: story {args.story_id} was merged into {story.id}\n")
        if story is None:
            con.error(f"no story {args.story_id!r} in {store.path}")
            return EXIT_NOT_FOUND
        articles = {a.id: a for a in store.get_articles(story.articles)}
        outlets = OutletRegistry.load(settings.outlets_file or None)
        if args.format == "json":
            con.out.write(
                json.dumps(story_record(story, articles, outlets), ensure_ascii=False, indent=1) + "\n"
            )
            return EXIT_OK
        from . import render

        titles = store.story_titles(story.related)
        text = (
            render.story_markdown(story, articles, titles, outlets)
            if args.format == "md"
            else render.story_html(story, articles, titles, outlets)
        )
        con.out.write(text if text.endswith("\n") else text + "\n")
    return EXIT_OK


def cmd_serve(args: argparse.Namespace, settings: Settings, con: Console) -> int:
    from .web.app import serve

    if args.host not in {"127.0.0.1", "localhost", "::1"}:
        con.error(f"warning: serving on {args.host}, reachable beyond this machine")
    if not 1 <= args.processes <= 32:
        con.error(f"--processes {args.processes}: use 1 to 32")
        return EXIT_USAGE
    serve(
        settings.db,
        host=args.host,
        port=args.port,
        settings=settings,
        processes=args.processes,
        config=getattr(args, "config", None),
        access_log=bool(getattr(args, "access_log", False)),
    )
    return EXIT_OK


def cmd_eval(args: argparse.Namespace, settings: Settings, con: Console) -> int:
    from . import evaluate

    try:
        result = evaluate.run(args.what, args, settings)
    except evaluate.DataMissing as exc:
        con.error(f"eval {args.what}: {exc}")
        return EXIT_NOT_FOUND
    except ValueError as exc:  # a gold file that cannot be read, an article the pipeline rejects
        con.error(f"eval {args.what}: {exc}")
        return EXIT_NOTHING
    con.out.write(json.dumps(result, ensure_ascii=False, indent=1) + "\n")
    return EXIT_OK if result.get("ok", True) else EXIT_NOTHING


def cmd_train(args: argparse.Namespace, settings: Settings, con: Console) -> int:
    from . import evaluate

    try:
        result = evaluate.train(args.what, args, settings)
    except evaluate.DataMissing as exc:
        con.error(f"train {args.what}: {exc}")
        return EXIT_NOT_FOUND
    except (ValueError, FileNotFoundError) as exc:  # labels that cannot be read or fitted on
        con.err.write(f"rasid train {args.what}: {exc}\n")
        return EXIT_NOTHING
    con.out.write(json.dumps(result, ensure_ascii=False, indent=1) + "\n")
    return EXIT_OK


COMMANDS = {
    "run": cmd_run,
    "watch": cmd_watch,
    "reprocess": cmd_reprocess,
    "export": cmd_export,
    "search": cmd_search,
    "story": cmd_story,
    "serve": cmd_serve,
    "eval": cmd_eval,
    "train": cmd_train,
}


def main(argv: Sequence[str] | None = None, out: TextIO | None = None, err: TextIO | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits on --help and on usage errors
        return int(exc.code or 0) and EXIT_USAGE
    out = out or sys.stdout
    err = err or sys.stderr
    try:
        settings = _settings(args)
        if settings.outlets_file:
            OutletRegistry.load(settings.outlets_file)  # a bad outlets file: one line, before any work
    except (ValueError, FileNotFoundError) as exc:
        err.write(f"rasid: {exc}\n")
        return EXIT_USAGE
    con = Console(settings, out, err)
    logger = logging.getLogger("rasid")
    handler = _ConsoleLog(con)
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    from .store import StoreError, StoreMissingError

    try:
        return COMMANDS[args.command](args, settings, con)
    except BrokenPipeError:
        return EXIT_OK
    except ImportError as exc:  # an optional part that is not installed
        from .extras import missing_module_message

        con.stop_progress()
        con.error(missing_module_message(exc))
        return EXIT_MISSING
    except StoreError as exc:  # the database is missing, unreadable, read-only or from a newer rasid
        con.stop_progress()
        con.error(str(exc))
        return EXIT_NOT_FOUND if isinstance(exc, StoreMissingError) else EXIT_STORE
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


class _ConsoleLog(logging.Handler):
    """The library's log lines (logger `rasid`, INFO and up) as console notes for this command."""

    def __init__(self, con: Console) -> None:
        super().__init__(logging.INFO)
        self.con = con

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.con.note(record.getMessage())
        except Exception:  # noqa: BLE001 - a log line must never stop the command
            self.handleError(record)


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
