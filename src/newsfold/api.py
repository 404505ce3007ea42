"""The Python API: `newsfold.extract(...)` and `newsfold.Store(path)` with the CLI's verbs."""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

import sqlite3

from . import store as db
from .extract import extract as _extract_capture
from .model import Article, Capture, IngestReport, PairScores, Problem
from .read import discover, looks_like_html, read_path, resolve
from .store import reads, writes
from .terminal import print_problem


def extract(paths: str | Path | Iterable[str | Path], text_field: str | None = None,
            on_problem=print_problem) -> Iterator[Article]:
    """Articles of every capture under `paths`, without a store.

    >>> arts = list(extract("examples/004_7ab83e06146d686d.txt"))
    >>> [a.title for a in arts][1]
    "Syria's Leader Sharaa in Berlin on Tuesday, Says German Presidency"
    """
    if isinstance(paths, (str, Path)):
        paths = [paths]
    for item in discover([str(p) for p in paths]):
        if isinstance(item, Problem):
            on_problem(item)
            continue
        for raw in read_path(item, text_field):
            cap = resolve(raw)
            if isinstance(cap, Problem):
                on_problem(cap)
                continue
            try:
                yield from _extract_capture(cap)
            except Exception as err:  # untrusted input: report, go on
                on_problem(Problem(cap.name, f"extraction failed ({type(err).__name__}: {err})"))


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


def article_row(a: Article, story: str | None = None) -> dict:
    row = {"capture": a.capture, "position": a.position, "title": a.title, "caption": a.caption,
           "credit": a.credit, "text": a.text, "url": a.url, "date": a.date}
    if story is not None:
        row["story"] = story
    return row


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

    def ingest(self, paths: Iterable[str | Path], text_field: str | None = None, workers: int | None = None,
               progress: bool | None = None, on_problem=print_problem, engine: str = "local",
               scheduler: str | None = None, partitions: int | None = None) -> IngestReport:
        """Read captures into the store and fold them into stories. `engine="dask"` runs the
        pipeline on a Dask cluster (the one at `scheduler`, else a LocalCluster of `workers`
        processes, its work cut into `partitions`) into a store that holds no article yet."""
        paths = [str(p) for p in paths]
        if engine == "dask":
            from .engines.dask import ingest as dask_ingest

            return dask_ingest(self.conn, paths, text_field, scheduler, workers, partitions, progress, on_problem)
        if engine != "local":
            raise ValueError(f"engine: 'local' or 'dask', not {engine!r}")
        if scheduler is not None or partitions is not None:
            raise ValueError("scheduler and partitions are the Dask engine's (engine='dask')")
        from .engines.local import ingest

        return ingest(self.conn, paths, text_field, workers, progress, on_problem)

    def captures(self) -> int:
        """How many captures the store holds."""
        return reads.count_captures(self.conn)

    def stories(self, limit: int | None = None, min_size: int = 1, sort: str = "size") -> list[dict]:
        return reads.stories(self.conn, limit, min_size, sort)

    def story(self, story_id: str) -> dict | None:
        """The canonical article, every occurrence, and the evidence of each merge."""
        from .match.evidence import shared_passages

        s = reads.story(self.conn, story_id)
        if s is None:
            return None
        merges = s.pop("merges")
        canonical_text = s["canonical"]["text"]
        texts = reads.article_texts(self.conn, merges)
        for o in s["occurrences"]:
            m = merges.get(o["article"])
            o["canonical"] = o["article"] == s["canonical_id"]
            # the shared passages are located now, from the stored texts; the scores are the ones merged on
            o["evidence"] = None if m is None else dict(
                zip(("jaccard", "containment", "entity_overlap", "lead_overlap", "score"), m),
                shared=shared_passages(texts[o["article"]], canonical_text))
        del s["canonical_id"]
        return s

    def search(self, query: str, limit: int = 20) -> list[dict]:
        """Full-text search (FTS5 syntax; a plain phrase works), hits grouped by story, best first."""
        writes.ensure_fts(self.conn)
        try:
            rows = reads.search(self.conn, query, limit * 10)
        except sqlite3.OperationalError:  # FTS syntax error: search the words as a phrase instead
            rows = reads.search(self.conn, '"' + query.replace('"', '""') + '"', limit * 10)
        groups: dict[str, dict] = {}
        for story, aid, cap, pos, title, snip in rows:
            g = groups.setdefault(story, {"story": story, "title": title, "hits": []})
            g["hits"].append({"article": aid, "capture": cap, "position": pos, "title": title, "snippet": snip})
        return list(groups.values())[:limit]

    def export_rows(self, unique: bool = False) -> Iterator[dict]:
        return reads.export_rows(self.conn, unique)

    def export(self, out, fmt: str = "jsonl", unique: bool = False) -> int:
        """Write one row per article occurrence (or per story with `unique`); returns the row count."""
        from .export import write_export

        return write_export(self.export_rows(unique), out, fmt)
