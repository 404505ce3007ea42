"""The `newsfold` command: a thin layer over the Python API (`newsfold.api`)."""
from __future__ import annotations

import datetime as dt
import gc
import json
import sys

import click

from .api import Store, article_row, extract
from .store import StoreError
from .export import EXPORT_FIELDS
from .terminal import safe

DB = click.option("--db", default="newsfold.db", show_default=True, help="SQLite store file.")


def _open(db: str, create: bool = False) -> Store:
    """The store at `db`; a store that cannot be used ends the command with one line, exit 2
    (a reading command never makes one)."""
    try:
        return Store(db, create=create)
    except StoreError as err:
        click.echo(f"newsfold: {safe(err)}", err=True)
        sys.exit(2)


def _when(ts: float | None) -> str:
    return dt.datetime.fromtimestamp(ts).strftime("%Y-%m-%d %H:%M") if ts else "-"


@click.group()
@click.version_option(package_name="newsfold")
def main() -> None:
    """Turn raw news captures into clean, deduplicated stories."""


@main.command()
@click.argument("paths", nargs=-1, required=True)
@DB
@click.option("--text-field", default=None, help="JSONL/Parquet field holding the text (default: text, body, content).")
@click.option("--workers", type=int, default=None, help="Worker processes (default: all cores for large inputs).")
@click.option("--quiet", is_flag=True, help="No progress bar.")
@click.option("--engine", type=click.Choice(["local", "dask"]), default="local", show_default=True,
              help="local: this machine; dask: a Dask cluster, into a new store.")
@click.option("--scheduler", default=None, help="Dask scheduler address (tcp://host:port); default: a LocalCluster.")
@click.option("--partitions", type=click.IntRange(min=1), default=None,
              help="Dask: partitions to cut the work into (default: from input size and cluster threads).")
def ingest(paths, db, text_field, workers, quiet, engine, scheduler, partitions):
    """Read captures (files, folders, globs) into the store and fold them into stories."""
    if engine == "local" and (scheduler or partitions):
        raise click.UsageError("--scheduler and --partitions go with --engine dask")
    with _open(db, create=True) as store:
        try:
            if engine == "dask":
                report = _dask_ingest(store, paths, text_field, workers, quiet, scheduler, partitions)
            else:
                report = store.ingest(paths, text_field=text_field, workers=workers, progress=False if quiet else None)
        except KeyboardInterrupt:
            n = store.captures()
            click.echo(f"newsfold: interrupted; {n} captures are committed in {db}; run the same ingest again to finish.", err=True)
            sys.exit(130)
    # the process ends next: what is alive now (numba's compiled code and types, hundreds of
    # thousands of objects) is left to the OS, not walked again by the collections at exit
    gc.freeze()
    click.echo(report.summary(), err=True)
    if report.problems:
        reasons: dict[str, int] = {}
        for p in report.problems:
            reasons[p.reason.split(" (")[0]] = reasons.get(p.reason.split(" (")[0], 0) + 1
        click.echo("rejected: " + "; ".join(f"{safe(k)} ×{v}" for k, v in sorted(reasons.items())), err=True)
    if report.captures == 0 and report.skipped == 0:
        sys.exit(2)


def _dask_ingest(store: Store, paths, text_field, workers, quiet, scheduler, partitions):
    """An ingest on Dask; what stops it before it starts (Dask missing, a store with articles, a
    scheduler that cannot be reached) is one line, exit 2."""
    try:
        from .engines.dask import StoreNotEmpty
    except ImportError:
        click.echo("newsfold: --engine dask needs Dask: pip install 'newsfold[dask]'", err=True)
        sys.exit(2)
    try:
        return store.ingest(paths, text_field=text_field, workers=workers, progress=False if quiet else None,
                            engine="dask", scheduler=scheduler, partitions=partitions)
    except StoreNotEmpty as err:
        click.echo(f"newsfold: {safe(store.path)}: {err}", err=True)
    except OSError as err:  # distributed: a scheduler that cannot be reached
        click.echo(f"newsfold: cannot reach the Dask scheduler {safe(scheduler or '')} ({safe(err)})", err=True)
    sys.exit(2)


@main.command("extract")
@click.argument("paths", nargs=-1, required=True)
@click.option("--format", "fmt", type=click.Choice(["jsonl"]), default="jsonl", show_default=True)
@click.option("--text-field", default=None)
def extract_cmd(paths, fmt, text_field):
    """Extraction only, no store: one JSON line per article."""
    n = 0
    for art in extract(paths, text_field=text_field):
        row = article_row(art)
        click.echo(json.dumps({k: row[k] for k in EXPORT_FIELDS if k in row}, ensure_ascii=False))
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
        s = store.story(story_id)
    if s is None:
        click.echo(f"newsfold: no story {safe(story_id)}", err=True)
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
    """Full-text search, hits grouped by story."""
    with _open(db) as store:
        groups = store.search(query, limit=limit)
    for g in groups:
        click.echo(f"{g['story']}  {safe(g['title'], 90)}")
        for h in g["hits"]:
            click.echo(f"    {safe(h['capture'])} #{h['position']}: {safe(h['snippet'], 140)}")
    if not groups:
        click.echo("no match", err=True)


@main.command()
@DB
@click.option("--format", "fmt", type=click.Choice(["jsonl", "parquet"]), default="jsonl", show_default=True)
@click.option("--out", default="-", show_default=True, help="Output file ('-' for stdout).")
@click.option("--unique", is_flag=True, help="One row per story (its canonical article).")
def export(db, fmt, out, unique):
    """Export one row per article occurrence: capture, position, title, caption, credit, text, story, canonical."""
    with _open(db) as store:
        n = store.export(out, fmt=fmt, unique=unique)
    if out != "-":
        click.echo(f"{n} rows written to {out}", err=True)


if __name__ == "__main__":
    main()
