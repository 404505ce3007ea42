"""What the desk (newsfold.desk) asks of a store, and the watchlist edits it makes.

Every query here runs on a read-only connection (store.connect(path, readonly=True)) except
`save_watchlist` and `delete_watchlist`, which the desk runs on a short-lived writable one.
Times are unix seconds (REAL); which time the desk shows is chosen once, in `TIME`.
"""
from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from typing import NamedTuple
from urllib.parse import urlsplit

from .reads import by_ids, rank_floor


class TimeField(NamedTuple):
    """Where the desk reads time from, as SQL giving unix seconds: an occurrence's time (over
    `articles a JOIN captures c`), a story's first and last time (over `stories s`), and the
    store's earliest and latest time (a query of its own, answered from an index)."""

    label: str  # what the time is, as the desk names it ("ingested", "published")
    occurrence: str
    first: str
    last: str
    span: str


INGESTED = TimeField("ingested", "c.ingested_at", "unixepoch(s.first_captured)", "unixepoch(s.last_captured)",
                     # two subqueries: each is one index lookup, where min and max together scan the index
                     "SELECT (SELECT min(ingested_at) FROM captures), (SELECT max(ingested_at) FROM captures)")
# An article's publication time, or its ingest time where it states no date (a month and day
# alone, '--02-26', is none); a story's first and last (its versions' publication times, else
# capture times). The stories' two expressions are those of the stories_first and stories_last
# indexes (store/schema.py), so the orders and the span are read from them.
PUBLISHED = TimeField("published", "coalesce(unixepoch(a.published), c.ingested_at)",
                      "coalesce(unixepoch(s.first_published), unixepoch(s.first_captured))",
                      "coalesce(unixepoch(s.last_published), unixepoch(s.last_captured))",
                      "SELECT (SELECT min(coalesce(unixepoch(first_published), unixepoch(first_captured))) FROM stories),"
                      " (SELECT max(coalesce(unixepoch(last_published), unixepoch(last_captured))) FROM stories)")
# The desk's time: every page follows it, but for what "growing" counts: occurrences that
# arrived lately, by ingest time (an index of its own: ranking by publication time would read
# every article of the store)
TIME = PUBLISHED
ARRIVED = INGESTED

ORDERS = {  # the stories page's orders (growing is ranked by `growing` first): each is the order
    # of an index (stories_last, stories_size: a story's id follows in each), so a page is read
    # from the index as it is, never sorted (a bulk ingest gives thousands of stories one time)
    "newest": f"{TIME.last} DESC, s.id DESC",
    "largest": "s.size DESC, s.id DESC",
}
STORY_COLUMNS = f"s.id, s.size, s.title, {TIME.first}, {TIME.last}, s.canonical_id"


def data_version(conn) -> int:
    """A number that changes whenever another connection commits to the store."""
    return conn.execute("PRAGMA data_version").fetchone()[0]


def time_span(conn) -> tuple[float | None, float | None]:
    """The store's earliest and latest time (None, None when empty)."""
    return tuple(conn.execute(TIME.span).fetchone())


def _story_filters(min_size: int, text: str | None, since: float | None, until: float | None) -> tuple[str, list]:
    where, params = ["s.size >= ?"], [min_size]
    if text:
        # a substring of the headline (ASCII letters in any case); the search page searches bodies
        where.append("s.title LIKE ? ESCAPE '\\'")
        params.append("%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%")
    if since is not None:  # stories seen in [since, until): their span overlaps it
        where.append(f"{TIME.last} >= ?")
        params.append(since)
    if until is not None:
        where.append(f"{TIME.first} < ?")
        params.append(until)
    return " AND ".join(where), params


def stories(conn, order: str, min_size: int = 1, text: str | None = None, since: float | None = None,
            until: float | None = None, limit: int = 50, offset: int = 0) -> list[tuple]:
    """(id, size, title, first, last, canonical article) of stories in `order` (ORDERS), filtered."""
    where, params = _story_filters(min_size, text, since, until)
    return conn.execute(f"SELECT {STORY_COLUMNS} FROM stories s WHERE {where} ORDER BY {ORDERS[order]}"
                        " LIMIT ? OFFSET ?", (*params, limit, offset)).fetchall()


def arrival_span(conn) -> tuple[float | None, float | None]:
    """When the store's first and last captures arrived (ingest times; None, None when empty)."""
    return tuple(conn.execute(ARRIVED.span).fetchone())


def growing(conn, window_start: float, newest: int, min_size: int = 1, text: str | None = None,
            since: float | None = None, until: float | None = None, limit: int = 50, offset: int = 0) -> list[tuple]:
    """Stories with the most occurrences that arrived (were ingested) from `window_start` on (of
    the `newest` such occurrences at most: a window holding a whole bulk ingest costs no more
    than that), most first: (id, size, title, first, last, canonical article, occurrences in
    the window)."""
    where, params = _story_filters(min_size, text, since, until)
    return conn.execute(
        f"WITH recent(story_id, n) AS (SELECT story_id, count(*) FROM (SELECT p.story_id FROM captures c"
        f" JOIN articles a ON a.capture_id = c.id JOIN placements p ON p.article_id = a.id"
        f" WHERE {ARRIVED.occurrence} >= ? ORDER BY {ARRIVED.occurrence} DESC LIMIT ?) GROUP BY story_id)"
        f" SELECT {STORY_COLUMNS}, recent.n FROM recent JOIN stories s ON s.id = recent.story_id"
        f" WHERE {where} ORDER BY recent.n DESC, {ORDERS['newest']} LIMIT ? OFFSET ?",
        (window_start, newest, *params, limit, offset)).fetchall()


def _url_host(url: str) -> str:
    host = urlsplit(url).hostname or url
    return host.removeprefix("www.")


def story_counts(conn, story_ids: Iterable[str]) -> list[tuple[str, int, int]]:
    """(story, captures, sources) of those stories: a source is an occurrence's site (its URL's
    host), or its capture when it has no URL."""
    conn.create_function("url_host", 1, _url_host, deterministic=True)
    return list(by_ids(conn, "SELECT p.story_id, count(DISTINCT a.capture_id),"
                             " count(DISTINCT CASE WHEN a.url = '' THEN 'capture ' || a.capture_id ELSE url_host(a.url) END)"
                             " FROM placements p JOIN articles a ON a.id = p.article_id"
                             " WHERE p.story_id IN ({ids}) GROUP BY p.story_id", story_ids))


def story_timelines(conn, story_ids: Iterable[str], start: float, width: float) -> list[tuple[str, int, int]]:
    """(story, bucket, occurrences) of those stories, in buckets of `width` seconds from `start`."""
    return list(by_ids(conn, f"SELECT p.story_id, CAST(({TIME.occurrence} - {float(start)!r}) / {float(width)!r} AS INTEGER),"
                             " count(*) FROM placements p JOIN articles a ON a.id = p.article_id"
                             " JOIN captures c ON c.id = a.capture_id WHERE p.story_id IN ({ids}) GROUP BY 1, 2",
                       story_ids))


def story(conn, story_id: str) -> tuple | None:
    """(id, size, title, first, last, canonical article) of a story, None if there is none."""
    return conn.execute(f"SELECT {STORY_COLUMNS} FROM stories s WHERE s.id = ?", (story_id,)).fetchone()


ARTICLE_COLUMNS = (f"a.id, c.id, c.name, a.position, a.title, a.caption, a.credit, a.text, a.n_words, a.body_hash,"
                   f" a.url, a.date, {TIME.occurrence}")


def article(conn, article_id: int) -> tuple | None:
    """(id, capture id, capture name, position, title, caption, credit, text, words, body hash,
    url, date, time) of one article."""
    return conn.execute(f"SELECT {ARTICLE_COLUMNS} FROM articles a JOIN captures c ON c.id = a.capture_id"
                        " WHERE a.id = ?", (article_id,)).fetchone()


def occurrences(conn, story_id: str, limit: int, offset: int = 0) -> list[tuple]:
    """A story's articles in time order (article columns as `article`, then the merge's jaccard,
    containment, names/figures, lead and score, or NULLs for the canonical article)."""
    return conn.execute(
        f"SELECT {ARTICLE_COLUMNS}, m.jaccard, m.containment, m.entity_overlap, m.lead_overlap, m.score"
        " FROM placements p JOIN articles a ON a.id = p.article_id JOIN captures c ON c.id = a.capture_id"
        " LEFT JOIN merges m ON m.article_id = a.id AND m.story_id = p.story_id"
        f" WHERE p.story_id = ? ORDER BY {TIME.occurrence}, c.name, a.position LIMIT ? OFFSET ?",
        (story_id, limit, offset)).fetchall()


def capture(conn, capture_id: int) -> tuple | None:
    """(id, name, kind, articles, ingest time, compressed text or None) of a capture."""
    return conn.execute("SELECT c.id, c.name, c.kind, c.n_articles, c.ingested_at, t.data FROM captures c"
                        " LEFT JOIN capture_texts t ON t.capture_id = c.id WHERE c.id = ?", (capture_id,)).fetchone()


def capture_articles(conn, capture_id: int) -> list[tuple]:
    """A capture's articles in order: (id, position, title, caption, credit, text, story)."""
    return conn.execute("SELECT a.id, a.position, a.title, a.caption, a.credit, a.text, p.story_id FROM articles a"
                        " LEFT JOIN placements p ON p.article_id = a.id WHERE a.capture_id = ? ORDER BY a.position",
                        (capture_id,)).fetchall()


# snippet markers: control characters, which a stored text almost never holds (and if it does,
# the desk still only ever shows text: see desk/text.py)
HIT_START, HIT_END = "\x02", "\x03"


def search(conn, query: str, limit: int, after: int = 0, newest: bool = False) -> list[tuple]:
    """Full-text hits of `query` (FTS5 syntax; sqlite3.OperationalError if malformed), best
    first, or newest first: (story, article, capture id, capture name, position, title, snippet,
    time). `after`: only articles stored after that article id. What the index holds is searched:
    articles not yet indexed are not found. Best first ranks the newest matches (reads.rank_floor)."""
    order = "f.rowid DESC" if newest else "rank"
    if not newest:
        after = max(after, rank_floor(conn, query) - 1)
    return conn.execute(
        f"SELECT p.story_id, a.id, c.id, c.name, a.position, a.title,"
        f" snippet(articles_fts, 2, '{HIT_START}', '{HIT_END}', '…', 16), {TIME.occurrence}"
        " FROM articles_fts f JOIN articles a ON a.id = f.rowid JOIN captures c ON c.id = a.capture_id"
        " LEFT JOIN placements p ON p.article_id = a.id"
        f" WHERE articles_fts MATCH ? AND f.rowid > ? ORDER BY {order} LIMIT ?", (query, after, limit)).fetchall()


def count_matches(conn, query: str, after: int = 0, cap: int = 1000) -> int:
    """How many indexed articles after article id `after` match `query`, counted up to `cap`."""
    return conn.execute("SELECT count(*) FROM (SELECT 1 FROM articles_fts WHERE articles_fts MATCH ? AND rowid > ?"
                        " LIMIT ?)", (query, after, cap)).fetchone()[0]


def index_coverage(conn) -> tuple[int, int]:
    """(the last article id the full-text index covers, the last article id)."""
    row = conn.execute("SELECT value FROM meta WHERE key = 'fts_upto'").fetchone()
    return (int(row[0]) if row else 0), conn.execute("SELECT coalesce(max(id), 0) FROM articles").fetchone()[0]


def counts(conn) -> dict[str, int]:
    """Captures, articles, stories, and stories with more than one occurrence."""
    one = lambda q: conn.execute(q).fetchone()[0]  # noqa: E731
    return {"captures": one("SELECT count(*) FROM captures"), "articles": one("SELECT count(*) FROM articles"),
            "stories": one("SELECT count(*) FROM stories"),
            "stories_folded": one("SELECT count(*) FROM stories WHERE size > 1")}


def size_distribution(conn) -> list[tuple[int, int]]:
    """(size, how many stories have it), by size."""
    return conn.execute("SELECT size, count(*) FROM stories GROUP BY size ORDER BY size").fetchall()


def arrivals(conn, start: float, width: float) -> list[tuple[int, int, int]]:
    """(bucket, captures, articles) ingested per bucket of `width` seconds from `start` (when
    captures arrived: the ingest time, whichever time the desk shows stories by)."""
    return conn.execute("SELECT CAST((ingested_at - ?) / ? AS INTEGER) AS b, count(*), sum(n_articles) FROM captures"
                        " GROUP BY b ORDER BY b", (start, width)).fetchall()


def watchlists(conn) -> list[tuple[str, str, float]]:
    """(name, query, created) of every saved search, by name."""
    return conn.execute("SELECT name, query, created_at FROM watchlists ORDER BY name").fetchall()


def watchlist(conn, name: str) -> tuple[str, str, float] | None:
    return conn.execute("SELECT name, query, created_at FROM watchlists WHERE name = ?", (name,)).fetchone()


def save_watchlist(conn: sqlite3.Connection, name: str, query: str, now: float) -> None:
    """Create or change a saved search (the caller holds a transaction on a writable connection)."""
    conn.execute("INSERT INTO watchlists (name, query, created_at) VALUES (?, ?, ?)"
                 " ON CONFLICT (name) DO UPDATE SET query = excluded.query", (name, query, now))


def delete_watchlist(conn: sqlite3.Connection, name: str) -> bool:
    """Delete a saved search; whether there was one."""
    return conn.execute("DELETE FROM watchlists WHERE name = ?", (name,)).rowcount > 0
