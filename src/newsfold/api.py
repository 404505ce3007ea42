"""The Python API: `newsfold.extract(...)` and `newsfold.Store(path)` with the CLI's verbs."""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

from . import store as db
from .extract import extract as _extract_capture
from .ingest import IngestReport, ingest, print_problem
from .match import shared_passages
from .model import Article, Capture, Problem
from .read import discover, read_path, resolve


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
    from .read import looks_like_html

    return _extract_capture(Capture(name=name, content=text, kind="html" if looks_like_html(text) else "text"))


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

    def __init__(self, path: str | Path = "newsfold.db") -> None:
        self.path = str(path)
        self.conn = db.connect(self.path)

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def ingest(self, paths: Iterable[str | Path], text_field: str | None = None, workers: int | None = None,
               progress: bool | None = None, on_problem=print_problem) -> IngestReport:
        return ingest(self.conn, [str(p) for p in paths], text_field, workers, progress, on_problem)

    def stories(self, limit: int | None = None, min_size: int = 1, sort: str = "size") -> list[dict]:
        order = "size DESC, last_seen DESC, id" if sort == "size" else "last_seen DESC, size DESC, id"
        q = f"SELECT id, size, title, first_seen, last_seen FROM stories WHERE size >= ? ORDER BY {order}"
        rows = self.conn.execute(q + (" LIMIT ?" if limit else ""), (min_size, limit) if limit else (min_size,))
        return [dict(zip(("id", "occurrences", "title", "first_seen", "last_seen"), r)) for r in rows]

    def story(self, story_id: str) -> dict | None:
        """The canonical article, every occurrence, and the evidence of each merge."""
        row = self.conn.execute("SELECT id, canonical_id, size, title FROM stories WHERE id=?", (story_id,)).fetchone()
        if row is None:
            return None
        occ = self.conn.execute(
            "SELECT a.id, c.name, a.position, a.title, a.n_words FROM placements p JOIN articles a ON a.id = p.article_id"
            " JOIN captures c ON c.id=a.capture_id WHERE p.story_id=? ORDER BY c.name, a.position", (story_id,)).fetchall()
        merges = {r[0]: r for r in self.conn.execute(
            "SELECT article_id, jaccard, containment, entity_overlap, lead_overlap, score FROM merges WHERE story_id=?",
            (story_id,))}
        canonical = self.conn.execute("SELECT title, caption, credit, text FROM articles WHERE id=?", (row[1],)).fetchone()
        texts = db.article_texts(self.conn, merges)
        occurrences = []
        for aid, cap, pos, title, n_words in occ:
            m = merges.get(aid)
            ev = None
            if m:
                # the shared passages are located now, from the stored texts; the scores are the ones merged on
                ev = {"jaccard": m[1], "containment": m[2], "entity_overlap": m[3], "lead_overlap": m[4], "score": m[5],
                      "shared": shared_passages(texts[aid], canonical[3])}
            occurrences.append({"article": aid, "capture": cap, "position": pos, "title": title, "words": n_words,
                                "canonical": aid == row[1], "evidence": ev})
        return {"id": row[0], "size": row[2], "title": row[3],
                "canonical": dict(zip(("title", "caption", "credit", "text"), canonical)), "occurrences": occurrences}

    def search(self, query: str, limit: int = 20) -> list[dict]:
        """Full-text search (FTS5 syntax; a plain phrase works), hits grouped by story, best first."""
        q = ("SELECT p.story_id, a.id, c.name, a.position, a.title, snippet(articles_fts, 2, '[', ']', '…', 12)"
             " FROM articles_fts JOIN articles a ON a.id = articles_fts.rowid JOIN captures c ON c.id = a.capture_id"
             " LEFT JOIN placements p ON p.article_id = a.id"
             " WHERE articles_fts MATCH ? ORDER BY rank LIMIT ?")
        db.ensure_fts(self.conn)
        try:
            rows = self.conn.execute(q, (query, limit * 10)).fetchall()
        except Exception:  # FTS syntax error: search the words as a phrase instead
            rows = self.conn.execute(q, ('"' + query.replace('"', '""') + '"', limit * 10)).fetchall()
        groups: dict[str, dict] = {}
        for story, aid, cap, pos, title, snip in rows:
            g = groups.setdefault(story, {"story": story, "title": title, "hits": []})
            g["hits"].append({"article": aid, "capture": cap, "position": pos, "title": title, "snippet": snip})
        return list(groups.values())[:limit]

    def export_rows(self, unique: bool = False) -> Iterator[dict]:
        return db.export_rows(self.conn, unique)

    def export(self, out, fmt: str = "jsonl", unique: bool = False) -> int:
        """Write one row per article occurrence (or per story with `unique`); returns the row count."""
        from .serve import write_export

        return write_export(self.export_rows(unique), out, fmt)
