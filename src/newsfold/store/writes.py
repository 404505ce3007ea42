"""What an ingest writes: captures with their articles, verified edges, stories, placements and
merge evidence. The caller holds a transaction (store.Transaction) around each call."""
from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

import numpy as np

from ..published import iso_of_epoch
from . import Transaction, reads

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
    the capture's articles being rows[first:first + n] (position, key, title, caption, credit, text,
    url, date, published, captured, traits: pipeline.ArticleRow), with their fingerprints at the same
    places of `prints` (body_hashes, n_words and sketches), under the ids `given` (new_ids, in the
    same transaction). `now`: the captures' ingest time, an article's capture time when its
    container states none."""
    first_capture, ids, taken = given
    capture_rows = [(cid, name, content_hash, kind, n, now)
                    for cid, (name, content_hash, kind, _, n) in enumerate(items, start=first_capture)]
    counts = np.array([n for *_, n in items], dtype=np.int64)
    owners = np.repeat(np.arange(first_capture, first_capture + len(items), dtype=np.int64), counts).tolist()
    at = taken.tolist()
    hashes, n_words, sketches = prints.body_hashes, prints.n_words.tolist(), prints.sketches
    ingested = iso_of_epoch(now)
    conn.executemany("INSERT INTO captures (id, name, content_hash, kind, n_articles, ingested_at) VALUES (?,?,?,?,?,?)",
                     capture_rows)
    conn.executemany("INSERT INTO articles (id, capture_id, position, key, title, caption, credit, text, url, date,"
                     " published, captured, traits, body_hash, n_words, signature)"
                     " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                     ((aid, cid, *rows[i][:9], rows[i][9] or ingested, rows[i][10], hashes[i], n_words[i],
                       sketches[i].tobytes()) for aid, cid, i in zip(ids.tolist(), owners, at)))
    conn.executemany("INSERT INTO pending (article_id) VALUES (?)", ((aid,) for aid in ids.tolist()))


def insert_capture_texts(conn, rows: Iterable[tuple[int, bytes]]) -> None:
    """(capture id, zlib-compressed text) of page captures."""
    conn.executemany("INSERT INTO capture_texts (capture_id, data) VALUES (?, ?)", rows)


def insert_edges(conn, edges, notes=None) -> None:
    """(a, b, PairScores) edges, with each one's (rule, evidence) in `notes` (None: the same text)."""
    conn.executemany(
        "INSERT OR REPLACE INTO edges (a, b, jaccard, containment, entity_overlap, lead_overlap, rule, evidence)"
        " VALUES (?,?,?,?,?,?,?,?)",
        ((a, b, s.jaccard, s.containment, s.entity_overlap, s.lead_overlap, *(note or (None, None)))
         for (a, b, s), note in zip(edges, notes if notes is not None else [None] * len(edges))))


def insert_apart(conn, rows: Iterable[tuple[int, int, str, str]]) -> None:
    """(a, b, rule, evidence): verified pairs a story rule keeps apart."""
    conn.executemany("INSERT OR REPLACE INTO apart (a, b, rule, evidence) VALUES (?,?,?,?)", rows)


def insert_fact_keys(conn, rows: Iterable[tuple[int, int, float]]) -> None:
    """(key, article id, publication time) of dated articles' candidate keys."""
    conn.executemany("INSERT OR IGNORE INTO fact_keys (key, article_id, at) VALUES (?,?,?)", rows)


def make_singleton_stories(conn, id_chars: int) -> int:
    """Each undecided article with no verified edge becomes a story of its own, all in SQL. A
    story's id is the first `id_chars` characters of its canonical body hash (cluster.story_id),
    taken by SQLite's substr: a Python function called from SQL turned a Ctrl-C that landed in
    it into "user-defined function raised exception", a store error instead of a stop."""
    story_id = f"substr(a.body_hash, 1, {int(id_chars)})"
    conn.execute("CREATE TEMP TABLE IF NOT EXISTS alone (id INTEGER PRIMARY KEY)")
    conn.execute("DELETE FROM alone")
    conn.execute("INSERT INTO alone SELECT p.article_id FROM pending p"
                 " WHERE NOT EXISTS (SELECT 1 FROM edges WHERE edges.a = p.article_id)"
                 " AND NOT EXISTS (SELECT 1 FROM edges WHERE edges.b = p.article_id)")
    full_date = "CASE WHEN a.published LIKE '--%' THEN NULL ELSE a.published END"  # a year is known
    n = conn.execute(
        "INSERT OR REPLACE INTO stories (id, canonical_id, size, title, first_published, last_published,"
        " first_captured, last_captured)"
        f" SELECT {story_id}, a.id, 1, a.title, {full_date}, {full_date}, a.captured, a.captured"
        " FROM alone JOIN articles a ON a.id = alone.id"
        " ORDER BY 1").rowcount  # in key order: appends to the stories b-tree, not random inserts
    conn.execute("INSERT OR REPLACE INTO placements (article_id, story_id)"
                 f" SELECT a.id, {story_id} FROM alone JOIN articles a ON a.id = alone.id")
    return n


def write_story_rows(conn, rows: Iterable[tuple]) -> int:
    """(id, canonical, size, title, first and last published, first and last captured) rows of the
    stories table (cluster.StoryRow); how many."""
    return conn.executemany(
        "INSERT OR REPLACE INTO stories (id, canonical_id, size, title, first_published, last_published,"
        " first_captured, last_captured) VALUES (?,?,?,?,?,?,?,?)", rows).rowcount


def write_placements(conn, rows: Iterable[tuple[int, str]]) -> None:
    """(article id, story id): the story each article is in."""
    conn.executemany("INSERT OR REPLACE INTO placements (article_id, story_id) VALUES (?, ?)", rows)


def write_merges(conn, merges) -> None:
    """(member, story id, canonical, PairScores, rule, evidence) rows: why each member is in its story."""
    conn.executemany(
        "INSERT OR REPLACE INTO merges (article_id, story_id, canonical_id, jaccard, containment, entity_overlap,"
        " lead_overlap, score, rule, evidence) VALUES (?,?,?,?,?,?,?,?,?,?)",
        ((m, sid, c, s.jaccard, s.containment, s.entity_overlap, s.lead_overlap, s.score, rule, evidence)
         for m, sid, c, s, rule, evidence in merges))


def drop_stories(conn, story_ids: Iterable[str]) -> None:
    for sid in set(story_ids):
        conn.execute("DELETE FROM stories WHERE id=?", (sid,))
        conn.execute("DELETE FROM merges WHERE story_id=?", (sid,))


def mark_all_placed(conn) -> None:
    """No article is pending any more (every one was placed in this transaction)."""
    conn.execute("DELETE FROM pending")


def record(conn, key: str, value) -> None:
    conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))


def index_for_search(conn, batch: int = 50_000) -> int:
    """Bring the full-text index up to date: the articles above `fts_upto` are indexed, `batch` a
    transaction (a killed run leaves a shorter index, which the next one extends); how many were
    indexed. The ingest calls it at its end; `newsfold index` for a store ingested without it."""
    done = 0
    while True:
        with Transaction(conn):
            upto = reads.fts_upto(conn)
            top = conn.execute("SELECT coalesce(max(id), 0) FROM articles WHERE id <= ?", (upto + batch,)).fetchone()[0]
            if top <= upto:
                return done
            conn.execute("INSERT INTO articles_fts (rowid, title, caption, text)"
                         " SELECT id, title, caption, text FROM articles WHERE id > ? AND id <= ?", (upto, top))
            conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('fts_upto', ?)", (top,))
            done += top - upto  # at most: forget leaves holes below the highest id


def delete_captures(conn, capture_ids: list[int], article_ids: list[int]) -> None:
    """Remove captures (with their kept texts) and their articles, with everything that names
    those articles (their placements, merge evidence, pending marks, edges and full-text entries)."""
    indexed = conn.execute("SELECT value FROM meta WHERE key='fts_upto'").fetchone()
    upto = indexed[0] if indexed else 0
    for i in range(0, len(article_ids), 500):
        chunk = article_ids[i : i + 500]
        marks = ",".join("?" * len(chunk))
        conn.execute("INSERT INTO articles_fts (articles_fts, rowid, title, caption, text)"
                     f" SELECT 'delete', id, title, caption, text FROM articles WHERE id IN ({marks}) AND id <= ?",
                     (*chunk, upto))
        for sql in ("DELETE FROM placements WHERE article_id IN ({m})", "DELETE FROM merges WHERE article_id IN ({m})",
                    "DELETE FROM pending WHERE article_id IN ({m})", "DELETE FROM edges WHERE a IN ({m})",
                    "DELETE FROM edges WHERE b IN ({m})", "DELETE FROM apart WHERE a IN ({m})",
                    "DELETE FROM apart WHERE b IN ({m})", "DELETE FROM articles WHERE id IN ({m})"):
            conn.execute(sql.format(m=marks), chunk)
    if article_ids:  # a dated article's keys: one pass over the (unindexed by article) key table
        conn.execute("CREATE TEMP TABLE IF NOT EXISTS forgotten (id INTEGER PRIMARY KEY)")
        conn.execute("DELETE FROM forgotten")
        conn.executemany("INSERT OR IGNORE INTO forgotten (id) VALUES (?)", ((a,) for a in article_ids))
        conn.execute("DELETE FROM fact_keys WHERE article_id IN (SELECT id FROM forgotten)")
    for i in range(0, len(capture_ids), 500):
        chunk = capture_ids[i : i + 500]
        conn.execute(f"DELETE FROM capture_texts WHERE capture_id IN ({','.join('?' * len(chunk))})", chunk)
        conn.execute(f"DELETE FROM captures WHERE id IN ({','.join('?' * len(chunk))})", chunk)
    # the next batch numbers its articles after the highest id left, which may be at or below
    # `fts_upto` now: the index's mark comes down with it, so those are indexed when they come
    last = conn.execute("SELECT coalesce(max(id), 0) FROM articles").fetchone()[0]
    if last < upto:
        record(conn, "fts_upto", last)


def unplace(conn, story_ids: Iterable[str], article_ids: list[int]) -> None:
    """Take stories apart: their rows and evidence go, and their articles wait to be placed again."""
    drop_stories(conn, story_ids)
    for i in range(0, len(article_ids), 500):
        chunk = article_ids[i : i + 500]
        marks = ",".join("?" * len(chunk))
        conn.execute(f"DELETE FROM placements WHERE article_id IN ({marks})", chunk)
    conn.executemany("INSERT OR IGNORE INTO pending (article_id) VALUES (?)", ((a,) for a in article_ids))
