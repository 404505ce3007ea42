"""The `newsfold` command: a thin layer over the Python API (`newsfold.api`)."""
from __future__ import annotations

import csv
import datetime as dt
import gc
import json
import sys

import click

from .api import AmbiguousId, Store, article_row, extract
from .export import EXPORT_FIELDS
from .store import StoreError
from .terminal import safe

CONTEXT = {"help_option_names": ["-h", "--help"], "show_default": True}
DB = click.option("--db", default="newsfold.db", help="SQLite store file.")
FORMAT = click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table",
                      help="table for people; json (one JSON object a line) or csv for programs.")


def _open(db: str, create: bool = False) -> Store:
    """The store at `db`; a store that cannot be used ends the command with one line, exit 2
    (a reading command never makes one)."""
    try:
        return Store(db, create=create)
    except StoreError as err:
        _fail(str(err), 2)


def _fail(message: str, code: int = 1):
    click.echo(f"newsfold: {safe(message)}", err=True)
    sys.exit(code)


def _when(ts: float | None) -> str:
    return dt.datetime.fromtimestamp(ts).strftime("%Y-%m-%d %H:%M") if ts else "-"


def _day(iso: str | None) -> str:
    """An ISO 8601 time as a table shows it: '1987-02-26 15:01', '1987-02-26', '--02-26', or '-'."""
    return iso.replace("T", " ")[:16] if iso else "-"


def _span(s: dict, end: str) -> str:
    """A story's first or last time: its publication time, else its capture time (marked 'c')."""
    published = s[f"{end}_published"]
    return f"{_day(published):<16} " if published else f"{_day(s[f'{end}_captured']):<16}c"


def _json_line(obj) -> None:
    # to a terminal, non-ASCII is escaped: scraped text may hold controls and bidi overrides
    click.echo(json.dumps(obj, ensure_ascii=sys.stdout.isatty()))


def _csv(rows: list[dict], fields: list[str]) -> None:
    writer = csv.DictWriter(sys.stdout, fieldnames=fields, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: safe(v) if sys.stdout.isatty() and isinstance(v, str) else v for k, v in row.items()})


@click.group(context_settings=CONTEXT)
@click.version_option(package_name="newsfold")
def main() -> None:
    """Turn raw news captures into clean, deduplicated stories."""


@main.command()
@click.argument("paths", nargs=-1, required=True)
@DB
@click.option("--text-field", default=None, help="JSONL/Parquet field holding the text (default: text, body, content).")
@click.option("--workers", type=int, default=None, help="Worker processes (default: all cores for large inputs).")
@click.option("--quiet", is_flag=True, help="No progress bar.")
def ingest(paths, db, text_field, workers, quiet):
    """Read captures (files, folders, globs) into the store and fold them into stories."""
    with _open(db, create=True) as store:
        try:
            report = store.ingest(paths, text_field=text_field, workers=workers, progress=False if quiet else None)
        except KeyboardInterrupt:
            n = store.captures()
            _fail(f"interrupted; {n} captures are committed in {db}; run the same ingest again to finish.", 130)
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


@main.command("extract")
@click.argument("paths", nargs=-1, required=True)
@click.option("--format", "fmt", type=click.Choice(["jsonl"]), default="jsonl")
@click.option("--text-field", default=None, help="JSONL/Parquet field holding the text (default: text, body, content).")
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
        _csv(rows, ["id", "occurrences", "first_published", "last_published", "first_captured", "last_captured",
                    "title"])
    else:
        click.echo(f"{'story':<16}  {'occ':>4}  {'first':<17}  {'last':<17}  headline")
        for s in rows:
            click.echo(f"{s['id']}  {s['occurrences']:>4}  {_span(s, 'first')}  {_span(s, 'last')}  "
                       f"{safe(s['title'], 90)}")
        more = "" if len(rows) == total or since or until else " (--limit 0 lists all)"
        click.echo(f"showing {len(rows):,} of {total:,} stories{more}" if not (since or until)
                   else f"{len(rows):,} stories in that span")


def _story(store: Store, story_id: str) -> dict:
    try:
        s = store.story(story_id)
    except AmbiguousId as err:
        _fail(str(err))
    if s is None:
        _fail(f"no story {story_id}")
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
        return _csv([{**o, **(o["evidence"] or {}), "shared": " | ".join((o["evidence"] or {}).get("shared", []))}
                     for o in s["occurrences"]],
                    ["capture", "position", "published", "captured", "words", "canonical", "title", "rule", "why",
                     "containment", "jaccard", "entity_overlap", "lead_overlap", "score", "shared"])
    c = s["canonical"]
    click.echo(f"story {s['id']}: {s['size']} occurrences, published {_day(s['first_published'])} to "
               f"{_day(s['last_published'])}, captured {_day(s['first_captured'])} to {_day(s['last_captured'])}\n")
    click.echo(f"# {safe(c['title'])}")
    if c["caption"]:
        click.echo(f"[caption] {safe(c['caption'])}")
    for para in c["text"].split("\n\n"):
        click.echo("\n" + safe(para))
    click.echo("\noccurrences, in the order they were published:")
    for o in s["occurrences"]:
        mark = "canonical" if o["canonical"] else "merged"
        click.echo(f"  {safe(o['capture'])} #{o['position']}  published {_day(o['published'])}  "
                   f"captured {_day(o['captured'])}  {o['words']} words  [{mark}]  {safe(o['title'], 80)}")
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
            click.echo(f"  {safe(x['capture'])} #{x['position']}  published {_day(x['published'])}  "
                       f"{safe(x['title'], 80)}")
            click.echo(f"      {x['rule']}: {safe(x['evidence'], 200)}")


@main.command()
@click.argument("query")
@DB
@click.option("--limit", type=int, default=20, help="How many stories to show.")
@FORMAT
def search(query, db, limit, fmt):
    """Full-text search (FTS5 syntax, or plain words), hits grouped by story; copies of one
    passage are one line with a count."""
    with _open(db) as store:
        groups = store.search(query, limit=limit)
    if fmt == "json":
        for g in groups:
            _json_line(g)
    elif fmt == "csv":
        _csv([{"story": g["story"], "story_title": g["title"], **h} for g in groups for h in g["hits"]],
             ["story", "story_title", "capture", "position", "copies", "snippet"])
    else:
        for g in groups:
            click.echo(f"{g['story']}  {safe(g['title'], 90)}")
            for h in g["hits"]:
                copies = f"  (×{h['copies']})" if h["copies"] > 1 else ""
                click.echo(f"    {safe(h['capture'])} #{h['position']}: {safe(h['snippet'], 140)}{copies}")
    if not groups:
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
        return _csv([flat], list(flat))
    click.echo(f"captures   {s['captures']:,}")
    click.echo(f"articles   {s['articles']:,}")
    click.echo(f"stories    {s['stories']:,}  (by occurrences: "
               + ", ".join(f"{k}: {v:,}" for k, v in s["stories_by_size"].items()) + ")")
    click.echo("kinds      " + ", ".join(f"{safe(k)}: {v:,}" for k, v in s["captures_by_kind"].items()))
    click.echo(f"ingested   {_when(s['first_ingested'])} to {_when(s['last_ingested'])}")
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
    with _open(db) as store:
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
    with _open(db) as store:
        n = store.export(out, fmt=fmt, unique=unique)
    if out != "-":
        click.echo(f"{n} rows written to {out}", err=True)


if __name__ == "__main__":
    main()
