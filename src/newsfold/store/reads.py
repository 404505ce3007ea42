"""What an ingest and the readers ask of a store."""
from __future__ import annotations

from collections.abc import Iterable, Iterator

import numpy as np

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


def component_edges(conn) -> list[tuple[int, int, float, float, float, float, str | None, str | None]]:
    """The edges among the articles `pending_components` found: (a, b, scores…, rule, evidence)."""
    # CROSS JOIN keeps SQLite from scanning all edges: `reach` is the small side
    return conn.execute("SELECT e.a, e.b, e.jaccard, e.containment, e.entity_overlap, e.lead_overlap, e.rule,"
                        " e.evidence FROM reach r CROSS JOIN edges e ON e.a = r.id").fetchall()


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


def titled_texts(conn, ids: Iterable[int]) -> dict[int, tuple[str, str]]:
    """id → (title, text) of stored articles."""
    return {aid: (title, text) for aid, title, text in
            by_ids(conn, "SELECT id, title, text FROM articles WHERE id IN ({ids})", ids)}


def known(conn, ids: Iterable[int]) -> dict[int, tuple[str | None, str, str]]:
    """id → (publication time, traits, title) of stored articles: what the story rules' prechecks read."""
    return {aid: (published, traits, title) for aid, published, traits, title in
            by_ids(conn, "SELECT id, published, traits, title FROM articles WHERE id IN ({ids})", ids)}


def keyed(conn, keys: list[int], lo: float, hi: float) -> list[tuple[int, int, float]]:
    """(key, article, publication time) of the stored articles that hold one of `keys`, published
    between `lo` and `hi` (seconds since 1970)."""
    out = []
    for i in range(0, len(keys), 500):
        chunk = keys[i : i + 500]
        out += conn.execute(f"SELECT key, article_id, at FROM fact_keys WHERE key IN ({','.join('?' * len(chunk))})"
                            " AND at BETWEEN ? AND ?", (*chunk, lo, hi)).fetchall()
    return out


def sketches(conn, ids) -> list[tuple[int, np.ndarray, int]]:
    """(id, MinHash sketch (uint8 per bin), word count) of stored articles."""
    return [(aid, np.frombuffer(sig, np.uint8), n)
            for aid, sig, n in by_ids(conn, "SELECT id, signature, n_words FROM articles WHERE id IN ({ids})", ids)]


def component_stories(conn) -> set[str]:
    """The stories the articles `pending_components` found are placed in now."""
    return {sid for (sid,) in conn.execute(
        "SELECT DISTINCT p.story_id FROM reach r JOIN placements p ON p.article_id = r.id")}


def component_nodes(conn) -> list[tuple[int, int, str, int, str, str, str | None, str | None]]:
    """(id, word count, body hash, key, title, traits, published, captured) of the articles
    `pending_components` found: one join with its `reach` table."""
    return conn.execute("SELECT a.id, a.n_words, a.body_hash, a.key, a.title, a.traits, a.published, a.captured"
                        " FROM reach r CROSS JOIN articles a ON a.id = r.id").fetchall()


def export_rows(conn, unique: bool = False) -> Iterator[dict]:
    where = "WHERE s.canonical_id = a.id" if unique else ""
    q = f"""SELECT c.name, a.position, a.title, a.caption, a.credit, a.text, p.story_id, s.canonical_id = a.id,
                   a.url, a.date, a.published, a.captured, s.size
            FROM articles a JOIN captures c ON c.id = a.capture_id LEFT JOIN placements p ON p.article_id = a.id
            LEFT JOIN stories s ON s.id = p.story_id
            {where} ORDER BY c.name, c.content_hash, a.position"""
    for name, pos, title, caption, credit, text, story, canonical, url, date, published, captured, size in conn.execute(q):
        yield {"capture": name, "position": pos, "title": title, "caption": caption, "credit": credit,
               "text": text, "story": story, "canonical": bool(canonical), "url": url, "date": date,
               "published": published, "captured": captured, "occurrences": size}


def count_captures(conn) -> int:
    return conn.execute("SELECT count(*) FROM captures").fetchone()[0]


def count_stories(conn) -> int:
    return conn.execute("SELECT count(*) FROM stories").fetchone()[0]


def has_articles(conn) -> bool:
    return conn.execute("SELECT 1 FROM articles LIMIT 1").fetchone() is not None


# A story's time: its versions' publication times, or where none is known their capture times
# (the ingest time when the container states none). Every reader takes stories' times from here.
STORY_FIRST = "coalesce(first_published, first_captured)"
STORY_LAST = "coalesce(last_published, last_captured)"
STORY_TIMES = ("first_published", "last_published", "first_captured", "last_captured")
STORY_ORDER = {"size": f"size DESC, {STORY_LAST} DESC, id", "recent": f"{STORY_LAST} DESC, size DESC, id"}


def story_times(conn, story_ids: Iterable[str]) -> dict[str, dict]:
    """Each story's first and last publication and capture times (ISO 8601 UTC, None if unknown)."""
    return {r[0]: dict(zip(STORY_TIMES, r[1:])) for r in
            by_ids(conn, f"SELECT id, {', '.join(STORY_TIMES)} FROM stories WHERE id IN ({{ids}})", story_ids)}


def stories(conn, limit: int | None, min_size: int, sort: str, since: str | None = None,
            until: str | None = None) -> list[dict]:
    """Stories of at least `min_size` occurrences, in the order `sort` names (STORY_ORDER), and
    with `since`/`until` (ISO 8601, `until` exclusive) those whose time span (STORY_FIRST,
    STORY_LAST) meets [since, until)."""
    where, args = ["size >= ?"], [min_size]
    if since:
        where.append(f"{STORY_LAST} >= ?")
        args.append(since)
    if until:
        where.append(f"{STORY_FIRST} < ?")
        args.append(until)
    q = (f"SELECT id, size, title, {', '.join(STORY_TIMES)} FROM stories WHERE {' AND '.join(where)}"
         f" ORDER BY {STORY_ORDER[sort]}")
    rows = conn.execute(q + (" LIMIT ?" if limit else ""), (*args, limit) if limit else args)
    return [dict(zip(("id", "occurrences", "title", *STORY_TIMES), r)) for r in rows]


def story(conn, story_id: str) -> dict | None:
    """A story's row, its canonical article, its occurrences in time order (publication, else
    capture time), each merge's scores, rule and evidence, and the articles a story rule keeps
    apart from its members (None: no such story)."""
    row = conn.execute(f"SELECT id, canonical_id, size, title, {', '.join(STORY_TIMES)} FROM stories WHERE id=?",
                       (story_id,)).fetchone()
    if row is None:
        return None
    occurrences = conn.execute(
        "SELECT a.id, c.name, a.position, a.title, a.n_words, a.url, a.published, a.captured"
        " FROM placements p JOIN articles a ON a.id = p.article_id"
        " JOIN captures c ON c.id=a.capture_id WHERE p.story_id=?"
        " ORDER BY CASE WHEN a.published LIKE '--%' THEN NULL ELSE a.published END IS NULL,"
        " CASE WHEN a.published LIKE '--%' THEN NULL ELSE a.published END, a.captured, c.name, a.position",
        (story_id,)).fetchall()
    merges = {r[0]: r[1:] for r in conn.execute(
        "SELECT article_id, jaccard, containment, entity_overlap, lead_overlap, score, rule, evidence FROM merges"
        " WHERE story_id=?", (story_id,))}
    canonical = conn.execute("SELECT title, caption, credit, text FROM articles WHERE id=?", (row[1],)).fetchone()
    members = [o[0] for o in occurrences]
    apart = []
    for side, other in (("a", "b"), ("b", "a")):
        apart += by_ids(conn, f"SELECT x.{side}, x.{other}, x.rule, x.evidence, c.name, o.position, o.title, o.published"
                              f" FROM apart x JOIN articles o ON o.id = x.{other} JOIN captures c ON c.id = o.capture_id"
                              f" WHERE x.{side} IN ({{ids}})", members)
    return {"id": row[0], "canonical_id": row[1], "size": row[2], "title": row[3], **dict(zip(STORY_TIMES, row[4:])),
            "canonical": dict(zip(("title", "caption", "credit", "text"), canonical)),
            "occurrences": [dict(zip(("article", "capture", "position", "title", "words", "url", "published",
                                      "captured"), o)) for o in occurrences],
            "merges": merges,
            "apart": [dict(zip(("member", "article", "rule", "evidence", "capture", "position", "title", "published"),
                               r)) for r in sorted(apart)]}


def fts_upto(conn) -> int:
    """The last article id the full-text index covers (articles are indexed in id order)."""
    row = conn.execute("SELECT value FROM meta WHERE key='fts_upto'").fetchone()
    return row[0] if row else 0


def unindexed(conn) -> int:
    """How many articles the full-text index does not cover yet, at most. Each batch takes the
    ids after the highest, so this is a difference, not a count (counting would walk every
    article row: gigabytes at 1M); `forget` leaves holes, which it can only overstate."""
    return max(0, last_article(conn) - fts_upto(conn))


SEARCH_AMONG = 20_000  # a best-first search ranks at most the newest this many articles it matches


def rank_floor(conn, query: str) -> int:
    """The lowest article id a best-first search of `query` ranks. Ranking (bm25) takes a step for
    every matching article: a word found in half of a 1M store takes 1-2 s. So a query matching
    more than SEARCH_AMONG articles is ranked among the newest SEARCH_AMONG of them (finding
    where they start walks the index's ids, without ranking: milliseconds)."""
    row = conn.execute("SELECT rowid FROM articles_fts WHERE articles_fts MATCH ? ORDER BY rowid DESC LIMIT 1 OFFSET ?",
                       (query, SEARCH_AMONG - 1)).fetchone()
    return row[0] if row else 0


def search(conn, query: str, limit: int) -> list[tuple]:
    """(story, article, capture, position, title, snippet) of the best `limit` full-text matches
    (among the newest SEARCH_AMONG: `rank_floor`; FTS5 syntax; raises sqlite3.OperationalError
    on a malformed query)."""
    return conn.execute(
        "SELECT p.story_id, a.id, c.name, a.position, a.title, snippet(articles_fts, 2, '[', ']', '…', 12)"
        " FROM articles_fts JOIN articles a ON a.id = articles_fts.rowid JOIN captures c ON c.id = a.capture_id"
        " LEFT JOIN placements p ON p.article_id = a.id"
        " WHERE articles_fts MATCH ? AND articles_fts.rowid >= ? ORDER BY rank LIMIT ?",
        (query, rank_floor(conn, query), limit)).fetchall()


def count_stories_at_least(conn, min_size: int) -> int:
    return conn.execute("SELECT count(*) FROM stories WHERE size >= ?", (min_size,)).fetchone()[0]


def story_ids_with_prefix(conn, prefix: str, limit: int = 10) -> list[str]:
    """Story ids that start with `prefix` (ids are lower-case hex), at most `limit`."""
    upper = prefix + "\uffff"  # every string that starts with prefix sorts between the two
    return [r[0] for r in conn.execute("SELECT id FROM stories WHERE id >= ? AND id < ? ORDER BY id LIMIT ?",
                                       (prefix, upper, limit))]


def stats(conn) -> dict:
    """Counts of captures, articles and stories, stories by size, captures by source, and when
    the captures were ingested."""
    captures, first, last = conn.execute("SELECT count(*), min(ingested_at), max(ingested_at) FROM captures").fetchone()
    articles = conn.execute("SELECT count(*) FROM articles").fetchone()[0]
    sizes = dict(conn.execute(
        "SELECT CASE WHEN size = 1 THEN '1' WHEN size = 2 THEN '2' WHEN size <= 5 THEN '3-5'"
        " WHEN size <= 20 THEN '6-20' ELSE '21+' END AS bucket, count(*) FROM stories GROUP BY bucket"))
    kinds = dict(conn.execute("SELECT kind, count(*) FROM captures GROUP BY kind ORDER BY 2 DESC"))
    rules = {"kept_apart": dict(conn.execute("SELECT rule, count(*) FROM apart GROUP BY rule ORDER BY 2 DESC")),
             "folded_by": dict(conn.execute("SELECT rule, count(*) FROM edges WHERE rule IS NOT NULL GROUP BY rule"
                                            " ORDER BY 2 DESC"))}
    return {"captures": captures, "articles": articles, "stories": sum(sizes.values()),
            "stories_by_size": {k: sizes.get(k, 0) for k in ("1", "2", "3-5", "6-20", "21+")},
            "captures_by_kind": kinds, "first_ingested": first, "last_ingested": last, "rules": rules}


def capture_names(conn) -> list[tuple[int, str]]:
    """(id, name) of every capture."""
    return conn.execute("SELECT id, name FROM captures ORDER BY name").fetchall()


def articles_of_captures(conn, capture_ids: list[int]) -> list[int]:
    return [r[0] for r in by_ids(conn, "SELECT id FROM articles WHERE capture_id IN ({ids})", capture_ids)]


def stories_of(conn, article_ids: list[int]) -> set[str]:
    """The stories the articles are placed in."""
    return {r[0] for r in by_ids(conn, "SELECT DISTINCT story_id FROM placements WHERE article_id IN ({ids})",
                                 article_ids)}


def members_of(conn, story_ids: Iterable[str]) -> list[int]:
    return [r[0] for r in by_ids(conn, "SELECT article_id FROM placements WHERE story_id IN ({ids})", story_ids)]


def body_hashes_of(conn, article_ids: list[int]) -> list[tuple[int, str]]:
    """(id, body hash) of the articles."""
    return list(by_ids(conn, "SELECT id, body_hash FROM articles WHERE id IN ({ids})", article_ids))
