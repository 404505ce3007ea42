"""The store's tables, what marks a file as a newsfold store, and its version.

A store is marked by SQLite's application id and carries its schema version (user_version) and
the fingerprint settings its signatures and band keys were made with: a file that is not a
newsfold store is never written to, and a store of another version or other settings is
refused with one clear line instead of being read wrongly.
"""
from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable

from ..config import SETTINGS
from ..model import shown_name

APPLICATION_ID = 0x4E464C44  # "NFLD"
# 2: capture_texts, watchlists, the desk's time and size indexes; 3: publication and capture
# times, the story rules' traits, evidence and vetoes, fact keys
SCHEMA_VERSION = 3

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
    id INTEGER PRIMARY KEY,  -- this store's row number: dense, for the index's 32-bit owners
    capture_id INTEGER NOT NULL REFERENCES captures(id),
    position INTEGER NOT NULL,
    -- the fixed-size columns first: a row's text spills into overflow pages, and SQLite reads
    -- a column stored after it by walking them (the sketch of an old partner, at scale)
    key INTEGER NOT NULL,  -- the article's engine-neutral name (cluster.article_key)
    body_hash TEXT NOT NULL,
    n_words INTEGER NOT NULL,
    signature BLOB NOT NULL,  -- the MinHash sketch: the low 8 bits of each bin (match/prefilter.py)
    -- when it was published and captured, ISO 8601 UTC ('1987-02-26T15:01:01Z', '1987-02-26'; a
    -- date without a year, '--02-26', when the capture states no year); NULL when unknown
    published TEXT,
    captured TEXT,
    traits TEXT NOT NULL,  -- what the story rules' prechecks read (match.facts.Traits.encode)
    title TEXT NOT NULL,
    caption TEXT NOT NULL,
    credit TEXT NOT NULL,
    url TEXT NOT NULL,
    date TEXT NOT NULL,  -- the date its container gave, as written (published: as read)
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
CREATE TABLE IF NOT EXISTS band_chunks (  -- ... cut in chunks: id = run id << 24 | chunk number
    id INTEGER PRIMARY KEY,
    keys BLOB NOT NULL,
    owners BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS edges (  -- pairs that are one story: verified (rule NULL: the same text) or rescued
    a INTEGER NOT NULL,
    b INTEGER NOT NULL,
    jaccard REAL NOT NULL,
    containment REAL NOT NULL,
    entity_overlap REAL NOT NULL,
    lead_overlap REAL NOT NULL,
    rule TEXT,  -- the story rule that decided it (match/judge.py), and what it read
    evidence TEXT,
    PRIMARY KEY (a, b)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS edges_b ON edges(b);
CREATE TABLE IF NOT EXISTS apart (  -- verified pairs a story rule keeps apart, and why
    a INTEGER NOT NULL,
    b INTEGER NOT NULL,
    rule TEXT NOT NULL,
    evidence TEXT NOT NULL,
    PRIMARY KEY (a, b)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS apart_b ON apart(b);
CREATE TABLE IF NOT EXISTS fact_keys (  -- dated articles' candidate keys (match.facts: title, table figures)
    key INTEGER NOT NULL,
    at REAL NOT NULL,  -- publication time, seconds since 1970
    article_id INTEGER NOT NULL,
    PRIMARY KEY (key, at, article_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS stories (  -- keyed by its id alone: one b-tree to insert into, not a table and an index
    id TEXT PRIMARY KEY,
    canonical_id INTEGER NOT NULL,
    size INTEGER NOT NULL,
    title TEXT NOT NULL,
    -- its versions' first and last publication and capture times (ISO 8601 UTC; NULL: none known)
    first_published TEXT,
    last_published TEXT,
    first_captured TEXT,
    last_captured TEXT
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS merges (
    article_id INTEGER PRIMARY KEY,
    story_id TEXT NOT NULL,
    canonical_id INTEGER NOT NULL,
    jaccard REAL NOT NULL,
    containment REAL NOT NULL,
    entity_overlap REAL NOT NULL,
    lead_overlap REAL NOT NULL,
    score REAL NOT NULL,
    rule TEXT,  -- the edge's rule and evidence (NULL: the same text)
    evidence TEXT
);
CREATE VIRTUAL TABLE IF NOT EXISTS articles_fts USING fts5(
    title, caption, text, content='articles', content_rowid='id'
);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value NOT NULL);
-- the text of a page capture (a text or HTML file, a WARC record), zlib-compressed: the desk shows
-- how it was cut. A dataset's rows (JSONL, Parquet) stay in the dataset.
CREATE TABLE IF NOT EXISTS capture_texts (
    capture_id INTEGER PRIMARY KEY,
    data BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS watchlists (  -- the desk's saved searches
    name TEXT PRIMARY KEY,
    query TEXT NOT NULL,
    created_at REAL NOT NULL
);
"""

# Lookup indexes that an ingest into an empty store never reads: such an ingest drops them and
# builds them at its end, in one sort each, instead of a random insert per row into a b-tree that
# outgrows the page cache (each random insert also dirties a page the WAL then carries).
BODY_HASH_INDEX = "articles_body_hash"  # the one an ingest reads itself (exact copies against the store)
BULK_INDEXES = {
    BODY_HASH_INDEX: "ON articles(body_hash)",
    "placements_story": "ON placements(story_id)",  # a story's members
    "merges_story": "ON merges(story_id)",  # a story's merge evidence
    # the desk's orders and time windows (store/desk.py)
    # a story's last time as the desk reads it (store/desk.py: PUBLISHED.last)
    "stories_last": "ON stories(coalesce(unixepoch(last_published), unixepoch(last_captured)))",
    "stories_first": "ON stories(coalesce(unixepoch(first_published), unixepoch(first_captured)))",
    "stories_size": "ON stories(size)",
    "captures_time": "ON captures(ingested_at)",
}


class StoreError(Exception):
    """A store that cannot be used: the message is the one-line reason."""


def _statements(script: str) -> list[str]:
    out, part = [], ""
    for line in script.splitlines(keepends=True):
        part += line
        if sqlite3.complete_statement(part):
            out.append(part.strip())
            part = ""
    return out


def create(conn) -> None:
    """Make a new store's tables, mark and version in an empty database (inside the caller's
    transaction: a second process opening the file meanwhile waits, then finds it whole)."""
    for statement in _statements(SCHEMA):
        conn.execute(statement)
    create_bulk_indexes(conn)
    conn.execute(f"PRAGMA application_id={APPLICATION_ID}")
    conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
    conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('settings', ?)",
                 (json.dumps(SETTINGS.fingerprint_fields(), sort_keys=True),))


def check(conn, path: str) -> None:
    """Raise StoreError unless the database is a newsfold store this version can read and extend."""
    app, version = (conn.execute(f"PRAGMA {p}").fetchone()[0] for p in ("application_id", "user_version"))
    path = shown_name(path)
    if app != APPLICATION_ID:
        raise StoreError(f"{path}: not a newsfold store (a SQLite database of another program, or of a "
                         "development build of newsfold: ingest into a new file)")
    if version != SCHEMA_VERSION:
        raise StoreError(f"{path}: a newsfold store of schema version {version}; this newsfold reads version "
                         f"{SCHEMA_VERSION}")
    row = conn.execute("SELECT value FROM meta WHERE key='settings'").fetchone()
    if row is None or json.loads(row[0]) != SETTINGS.fingerprint_fields():
        raise StoreError(f"{path}: made with other fingerprint settings ({row[0] if row else 'none recorded'})")


def is_empty(conn) -> bool:
    return conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0] == 0


def create_bulk_indexes(conn, names: Iterable[str] | None = None) -> None:
    """Build the lookup indexes that are missing (all of them after a bulk ingest; none usually),
    or of `names` those missing."""
    for name in BULK_INDEXES if names is None else names:
        conn.execute(f"CREATE INDEX IF NOT EXISTS {name} {BULK_INDEXES[name]}")


def drop_bulk_indexes(conn) -> None:
    for name in BULK_INDEXES:
        conn.execute(f"DROP INDEX IF EXISTS {name}")
