"""The `newsfold` command: a thin layer over the Python API (`newsfold.api`)."""
from __future__ import annotations

import gc
import os
import signal
import sqlite3
import sys
import threading

import click

from .api import MAX_QUERY_CHARS, AmbiguousId, Store, article_row, extract
from .export import EXPORT_FIELDS, one_json_line
from .store import StoreError
from .store import failure as store_failure
from .terminal import echo_csv, is_terminal, json_for_terminal, safe, shown_day, shown_time, story_time

CONTEXT = {"help_option_names": ["-h", "--help"], "show_default": True}
DB = click.option("--db", default="newsfold.db", help="SQLite store file.")
FORMAT = click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table",
                      help="table for people; json (one JSON object a line) or csv for programs.")


def _fail(message: str, code: int = 2) -> None:
    click.echo(f"newsfold: {safe(message)}", err=True)
    sys.exit(code)


def _open(db: str, create: bool = False, write: bool = False) -> Store:
    """The store at `db`; a store that cannot be used ends the command with one line, exit 2.
    Only `ingest` makes one (`create`); the commands that do not write open it read-only, so
    they never wait for a writer and read a store on a read-only mount."""
    click.get_current_context().meta["newsfold.db"] = db  # for a failure later in the command
    try:
        return Store(db, create=create, readonly=not (create or write))
    except StoreError as err:
        _fail(str(err))


def _argument(text: str) -> str:
    """A command-line argument as text: bytes that are not UTF-8 (kept by Python as lone
    surrogates) become U+FFFD."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace") if not text.isascii() else text


def _json_line(obj) -> None:
    line = one_json_line(obj)
    click.echo(json_for_terminal(line) if is_terminal(sys.stdout) else line)


class _Commands(click.Group):
    """A store that turns out damaged while a command reads it is one line, exit 2, not a traceback."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except sqlite3.DatabaseError as err:
            _fail(store_failure(ctx.meta.get("newsfold.db", "the store"), err))


@click.group(cls=_Commands, context_settings=CONTEXT)
@click.version_option(package_name="newsfold")
def main() -> None:
    """Turn raw news captures into clean, deduplicated stories."""


@main.command()
@click.argument("paths", nargs=-1, required=True)
@DB
@click.option("--text-field", default=None, help="JSONL/Parquet field holding the text (default: text, body, content).")
@click.option("--workers", type=int, default=None, help="Worker processes (default: all cores for large inputs).")
@click.option("--quiet", is_flag=True, help="No progress bar.")
@click.option("--no-search-index", is_flag=True,
              help="Do not bring the full-text index up to date at the end (`newsfold index` does it later).")
@click.option("--engine", type=click.Choice(["local", "dask"]), default="local", show_default=True,
              help="local: this machine; dask: a Dask cluster, into a new store.")
@click.option("--scheduler", default=None, help="Dask scheduler address (tcp://host:port); default: a LocalCluster.")
@click.option("--partitions", type=click.IntRange(min=1), default=None,
              help="Dask: partitions to cut the work into (default: from input size and cluster threads).")
def ingest(paths, db, text_field, workers, quiet, no_search_index, engine, scheduler, partitions):
    """Read captures (files, folders, globs) into the store and fold them into stories."""
    if engine == "local" and (scheduler or partitions):
        raise click.UsageError("--scheduler and --partitions go with --engine dask")
    with _open(db, create=True) as store:
        try:
            if engine == "dask":
                report = _dask_ingest(store, paths, text_field, workers, quiet, scheduler, partitions,
                                      not no_search_index)
            else:
                report = store.ingest(paths, text_field=text_field, workers=workers, progress=False if quiet else None,
                                      search_index=not no_search_index)
        except KeyboardInterrupt:
            n = store.captures()
            click.echo(f"newsfold: interrupted; {n} captures are committed in {safe(db)}; run the same ingest again "
                       "to finish.", err=True)
            sys.exit(130)
    # the process ends next: what is alive now (numba's compiled code and types, hundreds of
    # thousands of objects) is left to the OS, not walked again by the collections at exit
    gc.freeze()
    click.echo(report.summary(), err=True)
    if report.reasons:
        click.echo("rejected: " + "; ".join(f"{safe(k, 120)} ×{v}" for k, v in sorted(report.reasons.items())), err=True)
    if report.captures == 0 and report.skipped == 0:
        sys.exit(2)


@main.command()
@DB
def index(db):
    """Bring the full-text index up to date (after `ingest --no-search-index`)."""
    with _open(db, write=True) as store:
        n = store.index()
    click.echo(f"{n} articles indexed", err=True)


def _dask_ingest(store: Store, paths, text_field, workers, quiet, scheduler, partitions, search_index):
    """An ingest on Dask; what stops it before it starts (Dask missing, a store with articles, a
    scheduler that cannot be reached) is one line, exit 2."""
    try:
        from .engines.dask import StoreNotEmpty
    except ImportError:
        click.echo("newsfold: --engine dask needs Dask: pip install 'newsfold[dask]'", err=True)
        sys.exit(2)
    try:
        return store.ingest(paths, text_field=text_field, workers=workers, progress=False if quiet else None,
                            engine="dask", scheduler=scheduler, partitions=partitions,
                            search_index=search_index)
    except StoreNotEmpty as err:
        click.echo(f"newsfold: {safe(store.path)}: {err}", err=True)
    except OSError as err:  # distributed: a scheduler that cannot be reached
        click.echo(f"newsfold: cannot reach the Dask scheduler {safe(scheduler or '')} ({safe(err)})", err=True)
    sys.exit(2)


@main.command("extract")
@click.argument("paths", nargs=-1, required=True)
@click.option("--format", "fmt", type=click.Choice(["jsonl"]), default="jsonl")
@click.option("--text-field", default=None, help="JSONL/Parquet field holding the text (default: text, body, content).")
def extract_cmd(paths, fmt, text_field):
    """Extraction only, no store: one JSON line per article."""
    terminal = is_terminal(sys.stdout)
    n = 0
    for art in extract(paths, text_field=text_field):
        row = article_row(art)
        line = one_json_line({k: row[k] for k in EXPORT_FIELDS if k in row})
        click.echo(json_for_terminal(line) if terminal else line)
        n += 1
    if n == 0:
        sys.exit(2)


@main.command()
@DB
@click.option("--limit", type=int, default=50, help="How many stories to list (0: all).")
@click.option("--min-size", type=int, default=1, help="Only stories of at least this many occurrences.")
@click.option("--sort", type=click.Choice(["size", "recent"]), default="size",
              help="Largest first, or most recently published first.")
@click.option("--since", default=None, help="Only stories with a version published on or after this date or time.")
@click.option("--until", default=None, help="Only stories with a version published on or before this date or time.")
@FORMAT
def stories(db, limit, min_size, sort, since, until, fmt):
    """List stories: id, occurrences, first and last published, canonical headline. Times are
    publication times; a story whose versions' publication times are unknown is placed by its
    capture times (marked c: when the capture was made, or ingested if it does not say)."""
    with _open(db) as store:
        try:
            rows = store.stories(limit=limit or None, min_size=min_size, sort=sort, since=since, until=until)
        except ValueError as err:
            _fail(str(err), 2)
        total = len(rows) if since or until else store.count_stories(min_size)
    if fmt == "json":
        for s in rows:
            _json_line(s)
    elif fmt == "csv":
        echo_csv(rows, ["id", "occurrences", "first_published", "last_published", "first_captured", "last_captured",
                    "title"])
    else:
        click.echo(f"{'story':<16}  {'occ':>4}  {'first':<17}  {'last':<17}  headline")
        for s in rows:
            click.echo(f"{s['id']}  {s['occurrences']:>4}  {story_time(s, 'first')}  {story_time(s, 'last')}  "
                       f"{safe(s['title'], 90)}")
        more = "" if len(rows) == total or since or until else " (--limit 0 lists all)"
        click.echo(f"showing {len(rows):,} of {total:,} stories{more}" if not (since or until)
                   else f"{len(rows):,} stories in that span")


def _story(store: Store, story_id: str) -> dict:
    try:
        s = store.story(_argument(story_id))
    except AmbiguousId as err:
        _fail(str(err), 1)
    if s is None:
        _fail(f"no story {story_id}", 1)
    return s


@main.command()
@click.argument("story_id")
@DB
@FORMAT
def show(story_id, db, fmt):
    """A story (its id, or the first characters of it): its canonical article, every occurrence,
    and the evidence for each merge."""
    with _open(db) as store:
        s = _story(store, story_id)
    if fmt == "json":
        return _json_line(s)
    if fmt == "csv":
        return echo_csv([{**o, **(o["evidence"] or {}), "shared": " | ".join((o["evidence"] or {}).get("shared", []))}
                     for o in s["occurrences"]],
                    ["capture", "position", "published", "captured", "words", "canonical", "title", "rule", "why",
                     "containment", "jaccard", "entity_overlap", "lead_overlap", "score", "shared"])
    c = s["canonical"]
    click.echo(f"story {s['id']}: {s['size']} occurrences, published {shown_day(s['first_published'])} to "
               f"{shown_day(s['last_published'])}, captured {shown_day(s['first_captured'])} to {shown_day(s['last_captured'])}\n")
    click.echo(f"# {safe(c['title'])}")
    if c["caption"]:
        click.echo(f"[caption] {safe(c['caption'])}")
    for para in c["text"].split("\n\n"):
        click.echo("\n" + safe(para))
    click.echo("\noccurrences, in the order they were published:")
    for o in s["occurrences"]:
        mark = "canonical" if o["canonical"] else "merged"
        click.echo(f"  {safe(o['capture'])} #{o['position']}  published {shown_day(o['published'])}  "
                   f"captured {shown_day(o['captured'])}  {o['words']} words  [{mark}]  {safe(o['title'], 80)}")
        ev = o["evidence"]
        if ev:
            click.echo(f"      containment {ev['containment']:.2f}  jaccard {ev['jaccard']:.2f}  "
                       f"names/figures {ev['entity_overlap']:.2f}  lead {ev['lead_overlap']:.2f}  score {ev['score']:.2f}")
            if ev["why"]:
                click.echo(f"      {ev['rule']}: {safe(ev['why'], 200)}")
            for passage in ev["shared"]:
                click.echo(f"      shared: \"{safe(passage, 160)}\"")
    if s["apart"]:
        click.echo("\nkept apart from its versions:")
        for x in s["apart"]:
            click.echo(f"  {safe(x['capture'])} #{x['position']}  published {shown_day(x['published'])}  "
                       f"{safe(x['title'], 80)}")
            click.echo(f"      {x['rule']}: {safe(x['evidence'], 200)}")


@main.command()
@click.argument("query")
@DB
@click.option("--limit", type=int, default=20, help="How many stories to show.")
@FORMAT
def search(query, db, limit, fmt):
    """Full-text search (FTS5 syntax, or plain words), hits grouped by story; copies of one
    passage are one line with a count. Searches what the full-text index covers."""
    if len(query) > MAX_QUERY_CHARS:
        _fail(f"query longer than {MAX_QUERY_CHARS:,} characters")
    with _open(db) as store:
        groups = store.search(_argument(query), limit=limit)
        behind = store.unsearchable()
    if fmt == "json":
        for g in groups:
            _json_line(g)
    elif fmt == "csv":
        echo_csv([{"story": g["story"], "story_title": g["title"], **h} for g in groups for h in g["hits"]],
             ["story", "story_title", "capture", "position", "copies", "snippet"])
    else:
        for g in groups:
            click.echo(f"{g['story']}  {safe(g['title'], 90)}")
            for h in g["hits"]:
                copies = f"  (×{h['copies']})" if h["copies"] > 1 else ""
                click.echo(f"    {safe(h['capture'])} #{h['position']}: {safe(h['snippet'], 140)}{copies}")
    if behind:
        click.echo(f"newsfold: {behind} articles are not searchable yet; run: newsfold index --db {safe(db)}", err=True)
    elif not groups:
        click.echo("no match", err=True)


@main.command()
@DB
@FORMAT
def stats(db, fmt):
    """What the store holds: captures, articles, stories by size, captures by kind, when, the pairs
    the story rules kept apart and folded, and its size."""
    with _open(db) as store:
        s = store.stats()
    if fmt == "json":
        return _json_line(s)
    if fmt == "csv":
        flat = {**{k: v for k, v in s.items() if not isinstance(v, dict)},
                **{f"stories_of_{k}": v for k, v in s["stories_by_size"].items()},
                **{f"captures_{k}": v for k, v in s["captures_by_kind"].items()},
                **{f"{side}_{k}": v for side, rules in s["rules"].items() for k, v in rules.items()}}
        return echo_csv([flat], list(flat))
    click.echo(f"captures   {s['captures']:,}")
    click.echo(f"articles   {s['articles']:,}")
    click.echo(f"stories    {s['stories']:,}  (by occurrences: "
               + ", ".join(f"{k}: {v:,}" for k, v in s["stories_by_size"].items()) + ")")
    click.echo("kinds      " + ", ".join(f"{safe(k)}: {v:,}" for k, v in s["captures_by_kind"].items()))
    click.echo(f"ingested   {shown_time(s['first_ingested'])} to {shown_time(s['last_ingested'])}")
    for label, key in (("kept apart", "kept_apart"), ("folded by", "folded_by")):
        if s["rules"][key]:
            click.echo(f"{label:<10} " + ", ".join(f"{k}: {v:,}" for k, v in s["rules"][key].items()))
    click.echo(f"store      {s['store_bytes'] / 1e6:,.1f} MB")


@main.command()
@click.argument("captures", nargs=-1, required=True)
@DB
def forget(captures, db):
    """Remove captures (by name, name prefix, or the file or folder they were read from) and their
    articles, and place again the stories they were in."""
    with _open(db, write=True) as store:
        done, unmatched = store.forget(captures)
    for name in unmatched:
        click.echo(f"newsfold: {safe(name)}: no capture by that name, prefix or path", err=True)
    click.echo(f"forgot {done.captures:,} captures ({done.articles:,} articles); {done.stories_replaced:,} stories "
               f"placed again; {done.stories:,} stories in the store", err=True)
    if not done.captures:
        sys.exit(1)


@main.command()
@DB
@click.option("--format", "fmt", type=click.Choice(["jsonl", "parquet"]), default="jsonl")
@click.option("--out", default="-", help="Output file ('-' for stdout).")
@click.option("--unique", is_flag=True, help="One row per story (its canonical article), with its occurrence count.")
def export(db, fmt, out, unique):
    """Export one row per article occurrence: capture, position, title, caption, credit, text, story,
    canonical, url, published and captured (ISO 8601 UTC, null when unknown)."""
    if fmt == "parquet" and out == "-" and is_terminal(sys.stdout):
        _fail("not writing Parquet to a terminal: use --out FILE")
    with _open(db) as store:
        n = store.export(out, fmt=fmt, unique=unique)
    if out != "-":
        click.echo(f"{n} rows written to {safe(out)}", err=True)


@main.command()
@DB
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on (another than the loopback exposes the desk: use --token).")
@click.option("--port", type=int, default=8000, show_default=True, help="Port (0: any free one).")
@click.option("--token", envvar="NEWSFOLD_TOKEN", default=None,
              help="Every page then needs this token (also read from NEWSFOLD_TOKEN); without it, reading is open and watchlist edits need the link printed at start.")
def serve(db, host, port, token):
    """The desk: stories, versions, captures, search and watchlists in a browser (read-only)."""
    from .desk import serve as serve_desk

    try:
        serve_desk(db, host, port, token)
    except StoreError as err:
        click.echo(f"newsfold: {safe(err)}", err=True)
        sys.exit(2)
    except OSError as err:  # the port is taken, the address is not this machine's
        click.echo(f"newsfold: cannot listen on {safe(host)}:{port} ({safe(err.strerror or err)})", err=True)
        sys.exit(2)


@main.command()
@click.argument("folders", nargs=-1, required=True)
@DB
@click.option("--text-field", default=None, help="JSONL/Parquet field holding the text (default: text, body, content).")
@click.option("--settle", type=float, default=1.0, show_default=True,
              help="Seconds a file's size and time must stay unchanged before it is read.")
def watch(folders, db, text_field, settle):
    """Ingest captures as they land in FOLDERS (what is there already first), until interrupted."""
    from .watch import watch_folders

    for folder in folders:
        if not os.path.isdir(folder):
            click.echo(f"newsfold: {safe(folder)}: not a folder", err=True)
            sys.exit(2)
    # Ctrl-C (or a service manager's SIGTERM) stops the watch once the files in hand are read: a
    # KeyboardInterrupt could land anywhere in an ingest, in a finalizer that swallows it too. A
    # second one stops at once (the batch being written rolls back; a restart reads the rest).
    stop = threading.Event()

    def stop_watching(signum, frame):
        if stop.is_set():
            raise KeyboardInterrupt
        stop.set()

    signal.signal(signal.SIGINT, stop_watching)
    signal.signal(signal.SIGTERM, stop_watching)
    with _open(db, create=True) as store:
        try:
            watch_folders(store, folders, text_field=text_field, settle=settle, stop=stop,
                          on_report=lambda r: click.echo(f"newsfold: {r.summary()}", err=True),
                          on_watching=lambda: click.echo(f"newsfold: watching {', '.join(map(safe, folders))}"
                                                         " (Ctrl-C stops)", err=True))
        except KeyboardInterrupt:
            pass
        click.echo(f"newsfold: stopped; {store.captures()} captures are committed in {db}.", err=True)
        sys.exit(130)


if __name__ == "__main__":
    main()
