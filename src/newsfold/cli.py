"""The `newsfold` command: a thin layer over the Python API (`newsfold.api`)."""
from __future__ import annotations

import datetime as dt
import gc
import sqlite3
import sys

import click

from .api import MAX_QUERY_CHARS, Store, article_row, extract
from .store import StoreError
from .store import failure as store_failure
from .export import EXPORT_FIELDS, one_json_line
from .terminal import is_terminal, json_for_terminal, safe

DB = click.option("--db", default="newsfold.db", show_default=True, help="SQLite store file.")


def _fail(message: str) -> None:
    click.echo(f"newsfold: {safe(message)}", err=True)
    sys.exit(2)


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


def _when(ts: float | None) -> str:
    return dt.datetime.fromtimestamp(ts).strftime("%Y-%m-%d %H:%M") if ts else "-"


class _Commands(click.Group):
    """A store that turns out damaged while a command reads it is one line, exit 2, not a traceback."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except sqlite3.DatabaseError as err:
            _fail(store_failure(ctx.meta.get("newsfold.db", "the store"), err))


@click.group(cls=_Commands)
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
def ingest(paths, db, text_field, workers, quiet, no_search_index):
    """Read captures (files, folders, globs) into the store and fold them into stories."""
    with _open(db, create=True) as store:
        try:
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


@main.command("extract")
@click.argument("paths", nargs=-1, required=True)
@click.option("--format", "fmt", type=click.Choice(["jsonl"]), default="jsonl", show_default=True)
@click.option("--text-field", default=None)
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
@click.option("--limit", type=int, default=50, show_default=True)
@click.option("--min-size", type=int, default=1, show_default=True)
@click.option("--sort", type=click.Choice(["size", "recent"]), default="size", show_default=True)
def stories(db, limit, min_size, sort):
    """List stories: id, occurrences, canonical headline, first and last seen."""
    with _open(db) as store:
        for s in store.stories(limit=limit, min_size=min_size, sort=sort):
            click.echo(f"{s['id']}  {s['occurrences']:>4}  {_when(s['first_seen'])}  {_when(s['last_seen'])}  {safe(s['title'], 90)}")


@main.command()
@click.argument("story_id")
@DB
def show(story_id, db):
    """A story: its canonical article, every occurrence, and the evidence for each merge."""
    with _open(db) as store:
        s = store.story(_argument(story_id))
    if s is None:
        click.echo(f"newsfold: no story {safe(story_id, 80)}", err=True)
        sys.exit(1)
    c = s["canonical"]
    click.echo(f"story {s['id']}: {s['size']} occurrences\n")
    click.echo(f"# {safe(c['title'])}")
    if c["caption"]:
        click.echo(f"[caption] {safe(c['caption'])}")
    for para in c["text"].split("\n\n"):
        click.echo("\n" + safe(para))
    click.echo("\noccurrences:")
    for o in s["occurrences"]:
        mark = "canonical" if o["canonical"] else "merged"
        click.echo(f"  {safe(o['capture'])} #{o['position']}  {o['words']} words  [{mark}]  {safe(o['title'], 80)}")
        ev = o["evidence"]
        if ev:
            click.echo(f"      containment {ev['containment']:.2f}  jaccard {ev['jaccard']:.2f}  "
                       f"names/figures {ev['entity_overlap']:.2f}  lead {ev['lead_overlap']:.2f}  score {ev['score']:.2f}")
            for passage in ev["shared"]:
                click.echo(f"      shared: \"{safe(passage, 160)}\"")


@main.command()
@click.argument("query")
@DB
@click.option("--limit", type=int, default=20, show_default=True)
def search(query, db, limit):
    """Full-text search, hits grouped by story (what the full-text index covers)."""
    if len(query) > MAX_QUERY_CHARS:
        _fail(f"query longer than {MAX_QUERY_CHARS:,} characters")
    with _open(db) as store:
        groups = store.search(_argument(query), limit=limit)
        behind = store.unsearchable()
    for g in groups:
        click.echo(f"{g['story']}  {safe(g['title'], 90)}")
        for h in g["hits"]:
            click.echo(f"    {safe(h['capture'])} #{h['position']}: {safe(h['snippet'], 140)}")
    if behind:
        click.echo(f"newsfold: {behind} articles are not searchable yet; run: newsfold index --db {safe(db)}", err=True)
    elif not groups:
        click.echo("no match", err=True)


@main.command()
@DB
@click.option("--format", "fmt", type=click.Choice(["jsonl", "parquet"]), default="jsonl", show_default=True)
@click.option("--out", default="-", show_default=True, help="Output file ('-' for stdout).")
@click.option("--unique", is_flag=True, help="One row per story (its canonical article).")
def export(db, fmt, out, unique):
    """Export one row per article occurrence: capture, position, title, caption, credit, text, story, canonical."""
    if fmt == "parquet" and out == "-" and is_terminal(sys.stdout):
        _fail("not writing Parquet to a terminal: use --out FILE")
    with _open(db) as store:
        n = store.export(out, fmt=fmt, unique=unique)
    if out != "-":
        click.echo(f"{n} rows written to {safe(out)}", err=True)


if __name__ == "__main__":
    main()
