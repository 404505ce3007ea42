"""The Python API: `newsfold.extract(...)` and `newsfold.Store(path)` with the CLI's verbs."""
from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterable, Iterator
from pathlib import Path

from . import store as db
from .extract import extract as _extract_capture
from .model import Article, Capture, IngestReport, PairScores, Problem
from .read import discover, looks_like_html, read_path, resolve, valid_text
from .store import reads, writes
from .terminal import print_problem


def extract(paths: str | Path | Iterable[str | Path], text_field: str | None = None,
            on_problem=print_problem) -> Iterator[Article]:
    """Articles of every capture under `paths`, without a store.

    >>> arts = list(extract("examples/004_7ab83e06146d686d.txt"))
    >>> [a.title for a in arts][1]
    "Syria's Leader Sharaa in Berlin on Tuesday, Says German Presidency"
    """
    from .bounded import extract_capture, timed

    for item in discover(_paths(paths)):
        if isinstance(item, Problem):
            on_problem(item)
            continue
        for raw in read_path(item, text_field):
            cap = resolve(raw)
            if isinstance(cap, Problem):
                on_problem(cap)
                continue
            with timed():  # a capture past the time bound is stopped: its problem, not the caller's hang
                _, articles = extract_capture(cap)
            if isinstance(articles, Problem):
                on_problem(articles)
            else:
                yield from articles


def _paths(paths: str | Path | Iterable[str | Path]) -> list[str]:
    """One path or several, as strings (a str is one path, never its characters)."""
    return [str(paths)] if isinstance(paths, (str, Path)) else [str(p) for p in paths]


def extract_text(text: str, name: str = "<text>") -> list[Article]:
    """Articles of one capture given as a string (plain text or HTML)."""
    return _extract_capture(Capture(name=name, content=text, kind="html" if looks_like_html(text) else "text"))


def compare(a: str, b: str) -> PairScores:
    """How alike two article bodies are, and whether newsfold calls them one story (the scores a
    merge is shown with).

    >>> body = "The central bank held its key rate at 5.5 percent on Wednesday, citing sticky inflation."
    >>> compare(body, body + " Markets had expected the hold.").same_story
    True
    >>> compare(body, "The city council approved eleven kilometres of new cycle lanes on Tuesday.").same_story
    False
    """
    from .fingerprint import fingerprint_batch
    from .match import compare as compare_prints

    return compare_prints(*fingerprint_batch([a, b]))


MAX_QUERY_CHARS = 2000  # a search query (a pasted paragraph fits)


def article_row(a: Article, story: str | None = None) -> dict:
    row = {"capture": a.capture, "position": a.position, "title": a.title, "caption": a.caption,
           "credit": a.credit, "text": a.text, "url": a.url, "date": a.date}
    if story is not None:
        row["story"] = story
    return row


def _bound(value: object, which: str) -> str | None:
    """A since/until bound as the ISO 8601 string stored times compare with (`until` exclusive:
    the day after a date, the second after a time)."""
    import datetime as dt

    from .published import parse_date

    if value is None or value == "":
        return None
    iso = parse_date(value)
    if iso is None:
        raise ValueError(f"{which}: not a date ({value!r}); try 1987-03-02 or 1987-03-02T15:00")
    if which == "until":
        if "T" in iso:
            return (dt.datetime.fromisoformat(iso.replace("Z", "")) + dt.timedelta(seconds=1)).isoformat() + "Z"
        return (dt.date.fromisoformat(iso) + dt.timedelta(days=1)).isoformat()
    return iso


class AmbiguousId(LookupError):
    """An id prefix that names several stories."""

    def __init__(self, prefix: str, matches: list[str]) -> None:
        super().__init__(f"{prefix} names {len(matches)}{'+' if len(matches) >= 10 else ''} stories: {', '.join(matches)}")
        self.prefix, self.matches = prefix, matches


class Store:
    """A newsfold store: one SQLite file.

    >>> import tempfile, os
    >>> s = Store(os.path.join(tempfile.mkdtemp(), "nf.db"))
    >>> report = s.ingest(["examples"], progress=False)
    >>> report.articles, report.stories
    (8, 6)
    """

    def __init__(self, path: str | Path = "newsfold.db", create: bool = True, readonly: bool = False) -> None:
        """Open the store at `path` (made there if missing, unless `create` is false; `readonly`:
        never written, and never waiting for a writer); store.StoreError with a one-line reason
        if it cannot be used."""
        self.path = str(path)
        self.conn = db.connect(self.path, create_missing=create and not readonly, readonly=readonly)

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def ingest(self, paths: str | Path | Iterable[str | Path], text_field: str | None = None, workers: int | None = None,
               progress: bool | None = None, on_problem=print_problem, search_index: bool = True, engine: str = "local",
               scheduler: str | None = None, partitions: int | None = None) -> IngestReport:
        """Read captures (files, folders, globs: one path or several) into the store and fold
        their articles into stories. `search_index`: bring the full-text index up to date at the
        end (without it, `index()` does that later, and `search` finds only what is indexed).
        `engine="dask"` runs the pipeline on a Dask cluster (the one at `scheduler`, else a
        LocalCluster of `workers` processes, its work cut into `partitions`) into a store that
        holds no article yet."""
        paths = _paths(paths)
        if engine == "dask":
            from .engines.dask import ingest as dask_ingest

            return dask_ingest(self.conn, paths, text_field, scheduler, workers, partitions, progress, on_problem,
                               search_index=search_index)
        if engine != "local":
            raise ValueError(f"engine: 'local' or 'dask', not {engine!r}")
        if scheduler is not None or partitions is not None:
            raise ValueError("scheduler and partitions are the Dask engine's (engine='dask')")
        from .engines.local import ingest

        return ingest(self.conn, paths, text_field, workers, progress, on_problem, search_index)

    def index(self) -> int:
        """Bring the full-text index up to date; how many articles were added to it."""
        from .engines.local import ingest_lock

        with ingest_lock(self.conn):
            return writes.index_for_search(self.conn)

    def unsearchable(self) -> int:
        """How many articles the full-text index does not cover yet (`index()` adds them)."""
        return reads.unindexed(self.conn)

    def captures(self) -> int:
        """How many captures the store holds."""
        return reads.count_captures(self.conn)

    def stories(self, limit: int | None = None, min_size: int = 1, sort: str = "size", since: object = None,
                until: object = None) -> list[dict]:
        """Stories of at least `min_size` occurrences, largest (`sort="size"`) or most recent first,
        each with its first and last publication and capture times (ISO 8601 UTC). `since` and
        `until` (a date or time in any common form, `until` inclusive of a whole day given as a
        date) keep the stories whose versions were published in that span; a story whose
        publication times are unknown counts by its capture times (the ingest time when the
        capture states none). ValueError for a bound that is not a date."""
        return reads.stories(self.conn, limit, min_size, sort, _bound(since, "since"), _bound(until, "until"))

    def count_stories(self, min_size: int = 1) -> int:
        """How many stories have at least `min_size` occurrences."""
        return reads.count_stories_at_least(self.conn, min_size)

    def story_ids(self, prefix: str, limit: int = 10) -> list[str]:
        """Story ids that start with `prefix` (git-style: a few leading characters name a story)."""
        return reads.story_ids_with_prefix(self.conn, prefix.strip().lower(), limit)

    def story(self, story_id: str) -> dict | None:
        """The canonical article, every occurrence, and the evidence of each merge. `story_id` may
        be a prefix of one story's id (None: no story; AmbiguousId: several)."""
        from .match.evidence import shared_passages

        story_id = valid_text(story_id)
        matches = self.story_ids(story_id, 10)
        if len(matches) > 1 and story_id not in matches:
            raise AmbiguousId(story_id, matches)
        s = reads.story(self.conn, story_id if story_id in matches else matches[0]) if matches else None
        if s is None:
            return None
        from .match.judge import SAME_TEXT

        merges = s.pop("merges")
        canonical_text = s["canonical"]["text"]
        texts = reads.article_texts(self.conn, merges)
        for o in s["occurrences"]:
            m = merges.get(o["article"])
            o["canonical"] = o["article"] == s["canonical_id"]
            # the shared passages are located now, from the stored texts; the scores, rule and
            # evidence are the ones merged on (rule None: the same text)
            o["evidence"] = None if m is None else dict(
                zip(("jaccard", "containment", "entity_overlap", "lead_overlap", "score"), m[:5]),
                rule=m[5] or SAME_TEXT, why=m[6] or "", shared=shared_passages(texts[o["article"]], canonical_text))
        del s["canonical_id"]
        return s

    def stats(self) -> dict:
        """Counts of captures, articles and stories (by size), captures by kind, when they were
        ingested, and the store's size on disk."""
        out = reads.stats(self.conn)
        out["store_bytes"] = sum(os.path.getsize(p) for p in (self.path, self.path + "-wal") if os.path.exists(p))
        return out

    def captures_matching(self, wanted: str) -> list[tuple[int, str]]:
        """(id, name) of the captures `wanted` names: a capture's name, or a path (a file, or a
        folder: every capture read from under it), or else a prefix of names."""
        names = reads.capture_names(self.conn)
        exact = [(i, n) for i, n in names if n == wanted]
        if exact:
            return exact
        if os.path.exists(wanted):
            real = os.path.realpath(wanted)
            under = [(i, n) for i, n in names
                     if os.path.realpath(n.split("#")[0]) == real or os.path.realpath(n).startswith(real + os.sep)]
            if under:
                return under
        return [(i, n) for i, n in names if n.startswith(wanted)]

    def forget(self, wanted: str | Iterable[str]):
        """Remove the captures named (by name, prefix or source path) and their articles, and
        place again the stories they were in: the store is then what a clean ingest of the rest
        would have made. Returns (forgotten: engines.forget.Forgotten, names that matched nothing)."""
        from .engines.forget import forget

        ids, unmatched = set(), []
        for w in ([wanted] if isinstance(wanted, str) else list(wanted)):
            found = self.captures_matching(str(w))
            ids.update(i for i, _ in found)
            if not found:
                unmatched.append(str(w))
        return forget(self.conn, sorted(ids)), unmatched

    def search(self, query: str, limit: int = 20) -> list[dict]:
        """Full-text search (FTS5 syntax; a plain phrase works), hits grouped by story, best first.
        Reads only: what the full-text index covers (see `unsearchable`). ValueError for a query
        over MAX_QUERY_CHARS (its snippets' cost grows with its terms)."""
        if len(query) > MAX_QUERY_CHARS:
            raise ValueError(f"query longer than {MAX_QUERY_CHARS:,} characters")
        query = valid_text(query)
        try:
            rows = reads.search(self.conn, query, limit * 10)
        except sqlite3.OperationalError:  # FTS syntax error: search the words as a phrase instead
            rows = reads.search(self.conn, '"' + query.replace('"', '""') + '"', limit * 10)
        groups: dict[str, dict] = {}
        for story, aid, cap, pos, title, snip in rows:
            g = groups.setdefault(story, {"story": story, "title": title, "hits": []})
            same = next((h for h in g["hits"] if h["snippet"] == snip), None)
            if same is not None:  # another copy of the same passage: one line, counted
                same["copies"] += 1
                continue
            g["hits"].append({"article": aid, "capture": cap, "position": pos, "title": title, "snippet": snip,
                              "copies": 1})
        return list(groups.values())[:limit]

    def export_rows(self, unique: bool = False) -> Iterator[dict]:
        return reads.export_rows(self.conn, unique)

    def export(self, out, fmt: str = "jsonl", unique: bool = False) -> int:
        """Write one row per article occurrence (or per story with `unique`, with its number of
        occurrences); returns the row count."""
        from .export import EXPORT_FIELDS, UNIQUE_FIELDS, write_export

        return write_export(self.export_rows(unique), out, fmt, UNIQUE_FIELDS if unique else EXPORT_FIELDS)
