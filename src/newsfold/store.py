"""Store stage: one SQLite file (WAL) holding captures, articles, MinHash sketches, LSH band keys,
verified edges, stories, merge evidence and an FTS5 index."""
from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import NamedTuple

import numpy as np

SCHEMA = """
CREATE TABLE IF NOT EXISTS captures (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    kind TEXT NOT NULL,
    n_articles INTEGER NOT NULL,
    ingested_at REAL NOT NULL,
    UNIQUE (name, content_hash)
);
CREATE TABLE IF NOT EXISTS articles (
    id INTEGER PRIMARY KEY,
    capture_id INTEGER NOT NULL REFERENCES captures(id),
    position INTEGER NOT NULL,
    -- the fixed-size columns first: a row's text spills into overflow pages, and SQLite reads
    -- a column stored after it by walking them (the sketch of an old partner, at scale)
    body_hash TEXT NOT NULL,
    n_words INTEGER NOT NULL,
    signature BLOB NOT NULL,  -- the MinHash sketch: the low 8 bits of each of the 128 bins (see match.Sketches)
    title TEXT NOT NULL,
    caption TEXT NOT NULL,
    credit TEXT NOT NULL,
    url TEXT NOT NULL,
    date TEXT NOT NULL,
    text TEXT NOT NULL,
    UNIQUE (capture_id, position)
);
-- an article's story lives apart from its (wide) row: placing a million articles then writes
-- narrow rows instead of rewriting every article's text
CREATE TABLE IF NOT EXISTS placements (
    article_id INTEGER PRIMARY KEY,
    story_id TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS pending (article_id INTEGER PRIMARY KEY);  -- stored, story not yet decided
CREATE TABLE IF NOT EXISTS band_runs (  -- the LSH band index: sorted runs of (key, article) ...
    id INTEGER PRIMARY KEY,
    size INTEGER NOT NULL,
    fences BLOB NOT NULL  -- the first key of each chunk
);
CREATE TABLE IF NOT EXISTS band_chunks (  -- ... cut in chunks of CHUNK keys: id = run id << 24 | chunk number
    id INTEGER PRIMARY KEY,
    keys BLOB NOT NULL,
    owners BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS edges (
    a INTEGER NOT NULL,
    b INTEGER NOT NULL,
    jaccard REAL NOT NULL,
    containment REAL NOT NULL,
    entity_overlap REAL NOT NULL,
    lead_overlap REAL NOT NULL,
    PRIMARY KEY (a, b)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS edges_b ON edges(b);
CREATE TABLE IF NOT EXISTS stories (  -- keyed by its id alone: one b-tree to insert into, not a table and an index
    id TEXT PRIMARY KEY,
    canonical_id INTEGER NOT NULL,
    size INTEGER NOT NULL,
    title TEXT NOT NULL,
    first_seen REAL NOT NULL,
    last_seen REAL NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS merges (
    article_id INTEGER PRIMARY KEY,
    story_id TEXT NOT NULL,
    canonical_id INTEGER NOT NULL,
    jaccard REAL NOT NULL,
    containment REAL NOT NULL,
    entity_overlap REAL NOT NULL,
    lead_overlap REAL NOT NULL,
    score REAL NOT NULL
);
CREATE VIRTUAL TABLE IF NOT EXISTS articles_fts USING fts5(
    title, caption, text, content='articles', content_rowid='id'
);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
"""


# Lookup indexes that an ingest into an empty store never reads: such an ingest drops them and
# builds them at its end, in one sort each, instead of a random insert per row into a b-tree that
# outgrows the page cache (at 1M articles, inserting the articles took 43 µs each, 23 at 100k).
# Even the body-hash index, ~10 MB at 100k: random inserts dirtied most of its pages in every
# batch, each written to the WAL and checkpointed again (~150 MB of writes at 100k, 0.4 CPU-s),
# where building it at the end takes 0.15 s, beside the planning of the stories.
BODY_HASH_INDEX = "articles_body_hash"  # the one an ingest reads itself (exact copies against the store)
BULK_INDEXES = {
    BODY_HASH_INDEX: "ON articles(body_hash)",
    "placements_story": "ON placements(story_id)",  # a story's members
    "merges_story": "ON merges(story_id)",  # a story's merge evidence
}


def create_bulk_indexes(conn, names: Iterable[str] | None = None) -> None:
    """Build the lookup indexes that are missing (all of them after a bulk ingest; none usually),
    or of `names` those missing."""
    for name in BULK_INDEXES if names is None else names:
        conn.execute(f"CREATE INDEX IF NOT EXISTS {name} {BULK_INDEXES[name]}")


def drop_bulk_indexes(conn) -> None:
    for name in BULK_INDEXES:
        conn.execute(f"DROP INDEX IF EXISTS {name}")


def connect(path: str | Path, timeout: float = 60) -> sqlite3.Connection:
    conn = sqlite3.connect(str(path), timeout=timeout, isolation_level=None)
    deadline = time.monotonic() + timeout
    while True:  # switching a new file to WAL ignores the busy timeout: retry while another process creates it
        try:
            # a new file only: several article rows a page, where a 4 KiB page held one, a third left empty
            conn.execute("PRAGMA page_size=16384")
            conn.execute("PRAGMA journal_mode=WAL")
            break
        except sqlite3.OperationalError as err:
            if "locked" not in str(err) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)
    conn.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL: a commit survives a killed process
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("PRAGMA cache_size=-32768")  # 32 MiB of page cache: index pages stay in memory in bulk ingests
    conn.execute("PRAGMA temp_store=MEMORY")
    new_store = conn.execute("SELECT 1 FROM sqlite_master WHERE name='articles'").fetchone() is None
    conn.executescript(SCHEMA)
    if new_store:
        # only here: a reader must never build an index an ingest dropped (the next ingest does)
        create_bulk_indexes(conn)
    _upgrade_story_column(conn)
    return conn


def _upgrade_story_column(conn) -> None:
    """A store from before `placements` kept each article's story in `articles.story_id`: copy it, once."""
    if "story_id" not in {row[1] for row in conn.execute("PRAGMA table_info(articles)")}:
        return
    if conn.execute("SELECT 1 FROM meta WHERE key='placements_copied'").fetchone():
        return  # copied already: a reader must not wait for the write lock
    with Transaction(conn):
        if conn.execute("SELECT 1 FROM meta WHERE key='placements_copied'").fetchone():
            return
        conn.execute("INSERT OR IGNORE INTO placements SELECT id, story_id FROM articles WHERE story_id IS NOT NULL")
        conn.execute("INSERT OR IGNORE INTO pending SELECT id FROM articles WHERE story_id IS NULL")
        conn.execute("INSERT INTO meta (key, value) VALUES ('placements_copied', 1)")


def file_path(conn: sqlite3.Connection) -> str:
    """The file of the connection's main database ('' for an in-memory one)."""
    return next((f for _, name, f in conn.execute("PRAGMA database_list") if name == "main"), "")


class Checkpointer:
    """Copies the WAL into the database file from a connection and thread of its own, while the
    writer goes on.

    In WAL mode a commit only appends to the WAL; every ~1,000 pages the committing connection
    then copies the WAL into the database and waits for the disk (fsync) before it goes on. At 1M
    articles the single writer is the bottleneck and spent much of its time in those waits. While a
    Checkpointer is open the writer's own checkpoints are off, and after each `nudge()` (a batch
    committed) its thread runs a PASSIVE checkpoint instead: it never blocks the writer, and the GIL
    is released while SQLite works. The same bytes reach the same file with the same guarantees.

    The WAL starts again from its beginning only when a write transaction begins with all of it
    copied, which a writer that never pauses rarely allows: the WAL grew to gigabytes at 1M. So
    once it holds MAX_WAL_PAGES, `nudge` waits for the thread's copy of what was just committed
    (one wait per ~250 MB instead of one fsync per 16 MB). The bound is soft: the WAL can pass it
    by what the writer commits during one checkpoint round.
    The thread starts at the first nudge, so worker processes forked before then never inherit it."""

    MAX_WAL_PAGES = 16384  # 256 MiB of 16 KiB pages

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.writer = conn
        self.path = file_path(conn)
        self.changed = threading.Condition()
        self.requested = self.finished = 0  # checkpoint rounds asked for, and done
        self.wal_pages = 0  # frames in the WAL at the last checkpoint
        self.done = False
        self.thread: threading.Thread | None = None

    def nudge(self) -> None:
        """A batch was committed: time for a checkpoint (and, with a long WAL, to wait for it)."""
        if not self.path:  # an in-memory store has no WAL
            return
        if self.thread is None:
            self.autocheckpoint = self.writer.execute("PRAGMA wal_autocheckpoint").fetchone()[0]
            self.writer.execute("PRAGMA wal_autocheckpoint=0")
            self.thread = threading.Thread(target=self._run, name="newsfold-checkpoint", daemon=True)
            self.thread.start()
        with self.changed:
            self.requested += 1
            self.changed.notify_all()
            if self.wal_pages >= self.MAX_WAL_PAGES:
                # let the thread copy all that was just committed: the next write transaction then
                # starts the WAL over (unless a reader still reads from it: then the WAL grows, as
                # SQLite's own checkpoints let it, and the writer never waits on a reader)
                target = self.requested
                while self.finished < target and self.thread.is_alive():
                    self.changed.wait(1.0)
                self.wal_pages = 0  # the thread's next round reports what is there now

    def _run(self) -> None:
        conn = sqlite3.connect(self.path, timeout=60, isolation_level=None, check_same_thread=False)
        try:
            while True:
                with self.changed:
                    while not self.done and self.finished >= self.requested:
                        self.changed.wait()
                    if self.done:
                        return
                    target = self.requested
                pages = self._checkpoint(conn)
                with self.changed:
                    self.wal_pages, self.finished = pages, target
                    self.changed.notify_all()
        finally:
            conn.close()

    def _checkpoint(self, conn: sqlite3.Connection) -> int:
        """One PASSIVE checkpoint; the number of frames in the WAL."""
        try:
            busy, pages, _ = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        except sqlite3.Error:  # locked: the next round tries again
            return self.wal_pages
        return self.wal_pages if busy else pages  # busy: another checkpoint was running (its -1s say nothing)

    def close(self) -> None:
        """Stop the thread (after its checkpoint in progress) and give the writer its own checkpoints back."""
        if self.thread is None:
            return
        with self.changed:
            self.done = True
            self.changed.notify_all()
        self.thread.join()
        self.thread = None
        self.writer.execute(f"PRAGMA wal_autocheckpoint={self.autocheckpoint}")


class Transaction:
    """`with Transaction(conn):` — BEGIN IMMEDIATE … COMMIT, or ROLLBACK on any error."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def __enter__(self) -> sqlite3.Connection:
        self.conn.execute("BEGIN IMMEDIATE")
        return self.conn

    def __exit__(self, exc_type, exc, tb) -> None:
        self.conn.execute("COMMIT" if exc_type is None else "ROLLBACK")


def by_ids(conn, sql: str, ids: Iterable) -> Iterator[tuple]:
    """Rows of `sql` for the given ids (or other keys, such as capture names): its `{ids}` becomes
    a list of placeholders, 500 a query (under SQLite's limit on parameters)."""
    ids = sorted(ids)
    for i in range(0, len(ids), 500):
        chunk = ids[i : i + 500]
        yield from conn.execute(sql.format(ids=",".join("?" * len(chunk))), chunk)


def stored_captures(conn, keys: list[tuple[str, str]]) -> set[tuple[str, str]]:
    """Which (name, content hash) pairs are already in the store (looked up by name: the indexed column)."""
    names = {n for n, _ in keys}
    return set(by_ids(conn, "SELECT name, content_hash FROM captures WHERE name IN ({ids})", names)) & set(keys)


class NewIds(NamedTuple):
    """The ids captures are given: their first capture id, their articles' ids (ascending), and
    the index of each of those articles in the caller's rows."""

    first_capture: int
    ids: np.ndarray
    taken: np.ndarray


def new_ids(conn, items) -> NewIds:
    """The ids `insert_captures` gives `items` ((name, content_hash, kind, first, n): the capture's
    articles are rows[first:first + n]): max + 1 ..., so the caller holds the write lock."""
    next_capture = conn.execute("SELECT coalesce(max(id), 0) + 1 FROM captures").fetchone()[0]
    next_article = conn.execute("SELECT coalesce(max(id), 0) + 1 FROM articles").fetchone()[0]
    firsts = np.array([first for *_, first, _ in items], dtype=np.int64)
    counts = np.array([n for *_, n in items], dtype=np.int64)
    # each capture's articles: rows[first:first + n], one after another
    taken = np.arange(counts.sum(), dtype=np.int64) + np.repeat(firsts - (np.cumsum(counts) - counts), counts)
    return NewIds(next_capture, np.arange(next_article, next_article + taken.size, dtype=np.int64), taken)


def insert_captures(conn, items, rows: list[tuple], prints, given: NewIds, now: float) -> None:
    """Insert captures with their articles in bulk: `items` are (name, content_hash, kind, first, n),
    the capture's articles being rows[first:first + n] (position, title, caption, credit, text, url,
    date), with their fingerprints at the same places of `prints` (body_hashes, n_words and
    sketches), under the ids `given` (new_ids, in the same transaction). `now`: the captures'
    ingest time."""
    first_capture, ids, taken = given
    capture_rows = [(cid, name, content_hash, kind, n, now)
                    for cid, (name, content_hash, kind, _, n) in enumerate(items, start=first_capture)]
    counts = np.array([n for *_, n in items], dtype=np.int64)
    owners = np.repeat(np.arange(first_capture, first_capture + len(items), dtype=np.int64), counts).tolist()
    at = taken.tolist()
    hashes, n_words, sketches = prints.body_hashes, prints.n_words.tolist(), prints.sketches
    conn.executemany("INSERT INTO captures (id, name, content_hash, kind, n_articles, ingested_at) VALUES (?,?,?,?,?,?)",
                     capture_rows)
    conn.executemany("INSERT INTO articles (id, capture_id, position, title, caption, credit, text, url, date,"
                     " body_hash, n_words, signature) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                     ((aid, cid, *rows[i], hashes[i], n_words[i], sketches[i].tobytes())
                      for aid, cid, i in zip(ids.tolist(), owners, at)))
    conn.executemany("INSERT INTO pending (article_id) VALUES (?)", ((aid,) for aid in ids.tolist()))


def insert_edges(conn, edges) -> None:
    conn.executemany(
        "INSERT OR REPLACE INTO edges (a, b, jaccard, containment, entity_overlap, lead_overlap) VALUES (?,?,?,?,?,?)",
        ((a, b, s.jaccard, s.containment, s.entity_overlap, s.lead_overlap) for a, b, s in edges))


def ensure_fts(conn) -> None:
    """Bring the full-text index up to date: articles are indexed at first search, not during
    ingest, so bulk ingests don't pay for an index nobody may query."""
    with Transaction(conn):
        row = conn.execute("SELECT value FROM meta WHERE key='fts_upto'").fetchone()
        upto = row[0] if row else 0
        top = conn.execute("SELECT coalesce(max(id), 0) FROM articles").fetchone()[0]
        if top > upto:
            conn.execute("INSERT INTO articles_fts (rowid, title, caption, text)"
                         " SELECT id, title, caption, text FROM articles WHERE id > ?", (upto,))
            conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('fts_upto', ?)", (top,))


def pending_components(conn) -> tuple[list[int], list[int]]:
    """Articles whose story is undecided and linked by an edge, with every article connected to
    them (a recursive query over the edge indexes, in SQLite): (all of them, the undecided ones).
    They are left in the temp table `reach` for `component_edges`."""
    conn.execute("CREATE TEMP TABLE IF NOT EXISTS reach (id INTEGER PRIMARY KEY)")
    conn.execute("DELETE FROM reach")
    conn.execute("""
        INSERT INTO reach
        WITH RECURSIVE linked(id) AS (
            SELECT p.article_id FROM pending p
             WHERE EXISTS (SELECT 1 FROM edges e WHERE e.a = p.article_id)
                OR EXISTS (SELECT 1 FROM edges e WHERE e.b = p.article_id)
            UNION SELECT e.b FROM linked JOIN edges e ON e.a = linked.id
            UNION SELECT e.a FROM linked JOIN edges e ON e.b = linked.id)
        SELECT id FROM linked""")
    reach = [r[0] for r in conn.execute("SELECT id FROM reach")]
    pending = [r[0] for r in conn.execute(
        "SELECT r.id FROM reach r JOIN pending p ON p.article_id = r.id")]
    return reach, pending


def component_edges(conn) -> list[tuple[int, int, float, float, float, float]]:
    """The edges among the articles `pending_components` found."""
    # CROSS JOIN keeps SQLite from scanning all edges: `reach` is the small side
    return conn.execute("SELECT e.a, e.b, e.jaccard, e.containment, e.entity_overlap, e.lead_overlap"
                        " FROM reach r CROSS JOIN edges e ON e.a = r.id").fetchall()


def with_body_hashes(conn, hashes: Iterable[str]) -> list[tuple[int, str]]:
    """(id, body hash) of the stored articles with one of those body hashes (exact copies)."""
    return list(by_ids(conn, "SELECT id, body_hash FROM articles WHERE body_hash IN ({ids})", hashes))


def last_article(conn) -> int:
    """The highest article id (0 in an empty store)."""
    return conn.execute("SELECT coalesce(max(id), 0) FROM articles").fetchone()[0]


def texts_after(conn, after: int, batch: int) -> Iterator[tuple[list[int], list[str]]]:
    """(ids, texts) of the articles whose id is above `after`, in id order, `batch` at a time."""
    while True:
        rows = conn.execute("SELECT id, text FROM articles WHERE id > ? ORDER BY id LIMIT ?", (after, batch)).fetchall()
        if not rows:
            return
        ids, texts = map(list, zip(*rows))
        yield ids, texts
        after = ids[-1]


def article_texts(conn, ids: Iterable[int]) -> dict[int, str]:
    return dict(by_ids(conn, "SELECT id, text FROM articles WHERE id IN ({ids})", ids))


SKETCH_BYTES = 128  # a sketch: a byte for each of the 128 bins


def sketches(conn, ids) -> list[tuple[int, np.ndarray, int]]:
    """(id, MinHash sketch (uint8 per bin), word count) of stored articles. A store written before
    sketches kept the whole 32-bit signature: its low 8 bits are the sketch."""
    return [(aid, np.frombuffer(sig, np.uint8) if len(sig) == SKETCH_BYTES else np.frombuffer(sig, np.uint32).astype(np.uint8), n)
            for aid, sig, n in by_ids(conn, "SELECT id, signature, n_words FROM articles WHERE id IN ({ids})", ids)]


def drop_verify_sets(conn) -> None:
    """A store from before sets were re-derived kept every article's verification sets (37% of
    the file): no longer read, dropped at its next ingest (the space is reused)."""
    conn.execute("DROP TABLE IF EXISTS verify_sets")


def component_stories(conn) -> set[str]:
    """The stories the articles `pending_components` found are placed in now."""
    return {sid for (sid,) in conn.execute(
        "SELECT DISTINCT p.story_id FROM reach r JOIN placements p ON p.article_id = r.id")}


def make_singleton_stories(conn) -> int:
    """Each undecided article with no verified edge becomes a story of its own, all in SQL."""
    conn.execute("CREATE TEMP TABLE IF NOT EXISTS alone (id INTEGER PRIMARY KEY)")
    conn.execute("DELETE FROM alone")
    conn.execute("INSERT INTO alone SELECT p.article_id FROM pending p"
                 " WHERE NOT EXISTS (SELECT 1 FROM edges WHERE edges.a = p.article_id)"
                 " AND NOT EXISTS (SELECT 1 FROM edges WHERE edges.b = p.article_id)")
    n = conn.execute(
        "INSERT OR REPLACE INTO stories (id, canonical_id, size, title, first_seen, last_seen)"
        " SELECT substr(a.body_hash, 1, 16), a.id, 1, a.title, c.ingested_at, c.ingested_at"
        " FROM alone JOIN articles a ON a.id = alone.id JOIN captures c ON c.id = a.capture_id"
        " ORDER BY 1").rowcount  # in key order: appends to the stories b-tree, not random inserts
    conn.execute("INSERT OR REPLACE INTO placements (article_id, story_id)"
                 " SELECT a.id, substr(a.body_hash, 1, 16) FROM alone JOIN articles a ON a.id = alone.id")
    return n


def component_nodes(conn) -> list[tuple[int, int, str, str, float]]:
    """(id, word count, body hash, title, capture ingest time) of the articles `pending_components`
    found: one join with its `reach` table (a query per 500 ids took twice as long)."""
    return conn.execute("SELECT a.id, a.n_words, a.body_hash, a.title, c.ingested_at FROM reach r"
                        " CROSS JOIN articles a ON a.id = r.id JOIN captures c ON c.id = a.capture_id").fetchall()


def write_stories(conn, stories: list[tuple[str, int, list[int]]], details: dict[int, tuple[str, float]]) -> None:
    """(story id, canonical, members) → stories rows and each member's placement."""
    write_story_rows(conn, ((sid, canonical, len(members), details[canonical][0], min(details[m][1] for m in members),
                             max(details[m][1] for m in members)) for sid, canonical, members in stories))
    write_placements(conn, ((m, sid) for sid, _, members in stories for m in members))


def write_story_rows(conn, rows: Iterable[tuple[str, int, int, str, float, float]]) -> int:
    """(id, canonical, size, title, first seen, last seen) rows of the stories table; how many."""
    return conn.executemany(
        "INSERT OR REPLACE INTO stories (id, canonical_id, size, title, first_seen, last_seen) VALUES (?,?,?,?,?,?)",
        rows).rowcount


def write_placements(conn, rows: Iterable[tuple[int, str]]) -> None:
    """(article id, story id): the story each article is in."""
    conn.executemany("INSERT OR REPLACE INTO placements (article_id, story_id) VALUES (?, ?)", rows)


def write_merges(conn, merges) -> None:
    """(member, story id, canonical, PairScores) rows: why each member is in its story."""
    conn.executemany(
        "INSERT OR REPLACE INTO merges (article_id, story_id, canonical_id, jaccard, containment, entity_overlap,"
        " lead_overlap, score) VALUES (?,?,?,?,?,?,?,?)",
        ((m, sid, c, s.jaccard, s.containment, s.entity_overlap, s.lead_overlap, s.score) for m, sid, c, s in merges))


def drop_stories(conn, story_ids: Iterable[str]) -> None:
    for sid in set(story_ids):
        conn.execute("DELETE FROM stories WHERE id=?", (sid,))
        conn.execute("DELETE FROM merges WHERE story_id=?", (sid,))


def export_rows(conn, unique: bool = False) -> Iterator[dict]:
    where = "WHERE s.canonical_id = a.id" if unique else ""
    q = f"""SELECT c.name, a.position, a.title, a.caption, a.credit, a.text, p.story_id, s.canonical_id = a.id,
                   a.url, a.date
            FROM articles a JOIN captures c ON c.id = a.capture_id LEFT JOIN placements p ON p.article_id = a.id
            LEFT JOIN stories s ON s.id = p.story_id
            {where} ORDER BY c.name, c.content_hash, a.position"""
    for name, pos, title, caption, credit, text, story, canonical, url, date in conn.execute(q):
        yield {"capture": name, "position": pos, "title": title, "caption": caption, "credit": credit,
               "text": text, "story": story, "canonical": bool(canonical), "url": url, "date": date}
