"""Each page's data, as one JSON-ready dict: the HTML page renders it and its `.json` twin is it.

These functions ask the store (store/desk.py holds the SQL) and shape the answers; they take a
read-only connection and already-validated parameters (see app.py).
"""
from __future__ import annotations

import datetime as dt
import functools
import sqlite3
import zlib
from collections import Counter

from ..match import explain
from ..match.evidence import shared_passages
from ..store import desk as db
from . import text

PAGE_SIZE = 50  # stories a page
VERSIONS_PAGE = 20  # occurrences a story page shows, each with its diff
SPARK_BUCKETS = 24
MAX_CAPTURE_LINES = 4000  # lines of a capture shown (a page can be 20 MiB)
SEARCH_LIMIT = 50  # hits read for a search, then grouped by story
GROWING_WINDOW_H = 24
GROWING_NEWEST = 10_000  # "growing" counts at most the window's newest occurrences


@functools.lru_cache(maxsize=8192)  # an ingest gives a whole batch one time
def iso(ts: float | None) -> str | None:
    """Unix seconds as ISO 8601 UTC (the JSON twins' and the pages' time format)."""
    if ts is None:
        return None
    return dt.datetime.fromtimestamp(ts, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _story_rows(conn, rows: list[tuple], span: tuple[float | None, float | None]) -> list[dict]:
    """Story rows with their captures, sources and a sparkline of occurrences over the store's
    span (a store of one instant: all of it in the last bucket)."""
    t0, t1 = span
    ids = [r[0] for r in rows]
    counts = {sid: (captures, sources) for sid, captures, sources in db.story_counts(conn, ids)}
    sparks = {sid: [0] * SPARK_BUCKETS for sid in ids}
    if t0 is not None and t1 > t0:
        for sid, bucket, n in db.story_timelines(conn, ids, t0, (t1 - t0) / SPARK_BUCKETS):
            sparks[sid][min(SPARK_BUCKETS - 1, max(0, bucket))] += n
    elif t0 is not None:
        for r in rows:
            sparks[r[0]][-1] = r[1]
    out = []
    for r in rows:
        captures, sources = counts.get(r[0], (0, 0))
        row = {"id": r[0], "occurrences": r[1], "title": r[2], "first": iso(r[3]), "last": iso(r[4]),
               "captures": captures, "sources": sources, "sparkline": sparks[r[0]]}
        if len(r) > 6:
            row["recent"] = r[6]
        out.append(row)
    return out


def stories(conn, order: str, min_size: int, text_filter: str | None, since: float | None, until: float | None,
            page: int) -> dict:
    offset = (page - 1) * PAGE_SIZE
    span = db.time_span(conn)
    window = None
    if order == "growing":
        window = (db.arrival_span(conn)[1] or 0) - GROWING_WINDOW_H * 3600
        rows = db.growing(conn, window, GROWING_NEWEST, min_size, text_filter, since, until, PAGE_SIZE + 1, offset)
    else:
        rows = db.stories(conn, order, min_size, text_filter, since, until, PAGE_SIZE + 1, offset)
    return {"order": order, "page": page, "more": len(rows) > PAGE_SIZE, "time": db.TIME.label,
            "span": [iso(span[0]), iso(span[1])], "window_start": iso(window) if window is not None else None,
            "window_newest": GROWING_NEWEST if window is not None else None,
            "filters": {"q": text_filter, "min_size": min_size, "since": iso(since), "until": iso(until)},
            "stories": _story_rows(conn, rows[:PAGE_SIZE], span)}


def _article(row: tuple) -> dict:
    aid, cap_id, cap_name, pos, title, caption, credit, body, words, body_hash, url, date, t = row[:13]
    return {"id": aid, "capture": {"id": cap_id, "name": cap_name}, "position": pos, "title": title,
            "caption": caption, "credit": credit, "text": body, "words": words, "url": url, "date": date,
            "time": iso(t), "_hash": body_hash}


def _shortened(passage: str, words: int = 40) -> str:
    """A shared passage as shown: its first `words` words (a copy shares its whole body)."""
    w = passage.split()
    return passage if len(w) <= words else " ".join(w[:words]) + " …"


def story(conn, story_id: str, page: int) -> dict | None:
    row = db.story(conn, story_id)
    if row is None:
        return None
    sid, size, title, first, last, canonical_id = row
    canonical = _article(db.article(conn, canonical_id))
    rows = db.occurrences(conn, sid, VERSIONS_PAGE + 1, (page - 1) * VERSIONS_PAGE)
    diffs: dict[tuple[str, str], tuple] = {}  # one diff per distinct (headline, body)
    versions = []
    for r in rows[:VERSIONS_PAGE]:
        v = _article(r)
        scores = r[13:18]
        v["canonical"] = v["id"] == canonical_id
        v["identical"] = v["_hash"] == canonical["_hash"]
        key = (v["title"], v["text"])
        if key not in diffs:
            diffs[key] = (text.word_diff(canonical["title"], v["title"]),
                          text.word_diff(canonical["text"], v["text"]))
        (title_old, title_new), (body_old, body_new) = diffs[key]
        v["diff"] = {"title": {"canonical": title_old, "version": title_new},
                     "body": {"canonical": body_old, "version": body_new}}
        if scores[0] is not None:
            jaccard, containment, names, lead, score = scores
            why = explain(jaccard, containment, names, lead)
            v["evidence"] = {"jaccard": jaccard, "containment": containment, "entity_overlap": names,
                             "lead_overlap": lead, "score": score, "same_story": why.same_story,
                             "rule": [{"text": c.text, "held": c.held} for c in why.conditions],
                             "shared": [_shortened(p) for p in shared_passages(v["text"], canonical["text"])]}
        else:
            v["evidence"] = None
        versions.append(v)
    for a in (canonical, *versions):
        del a["_hash"]
    return {"id": sid, "title": title, "occurrences": size, "first": iso(first), "last": iso(last),
            "time": db.TIME.label, "canonical": canonical, "page": page, "more": len(rows) > VERSIONS_PAGE,
            "versions": versions}


def capture(conn, capture_id: int) -> dict | None:
    row = db.capture(conn, capture_id)
    if row is None:
        return None
    cid, name, kind, n_articles, ingested, blob = row
    articles = [{"id": a[0], "position": a[1], "title": a[2], "caption": a[3], "credit": a[4], "text": a[5],
                 "story": a[6]} for a in db.capture_articles(conn, cid)]
    data = {"id": cid, "name": name, "kind": kind, "ingested": iso(ingested), "articles": articles,
            "text_kept": blob is not None, "lines": None, "truncated": False, "residue_words": None}
    if blob is not None:
        lines = text.page_lines(zlib.decompress(blob).decode("utf-8", "surrogatepass"), kind)
        cut = text.cut(lines, [(a["title"], a["caption"], a["credit"], *a["text"].split("\n\n")) for a in articles])
        data["residue_words"] = sum(len(t.split()) for line in cut for t, label in line if label is None)
        data["truncated"] = len(cut) > MAX_CAPTURE_LINES
        data["lines"] = [[{"text": t, "article": label} for t, label in line] for line in cut[:MAX_CAPTURE_LINES]]
    return data


def _hits(conn, query: str, limit: int, after: int = 0, newest: bool = False) -> tuple[list[tuple], str | None]:
    """FTS hits of a query as the user typed it; a malformed FTS5 query is searched as a phrase
    (as the CLI does). Also the note to show, if any."""
    try:
        return db.search(conn, query, limit, after, newest), None
    except sqlite3.OperationalError as err:
        if "interrupted" in str(err):
            raise
        phrase = '"' + query.replace('"', '""') + '"'
        return db.search(conn, phrase, limit, after, newest), "searched as a phrase (not valid FTS5 syntax)"


def _grouped(rows: list[tuple], seen: int | None = None) -> list[dict]:
    groups: dict[str | None, dict] = {}
    for sid, aid, cap_id, cap_name, pos, title, snippet, t in rows:
        g = groups.setdefault(sid, {"story": sid, "title": title, "hits": []})
        hit = {"article": aid, "capture": {"id": cap_id, "name": cap_name}, "position": pos, "title": title,
               "time": iso(t), "snippet": [{"text": s, "hit": h} for s, h in text.hit_parts(snippet)]}
        if seen is not None:
            hit["new"] = aid > seen
        g["hits"].append(hit)
    return list(groups.values())


def coverage(conn) -> dict:
    upto, last = db.index_coverage(conn)
    return {"indexed_upto": upto, "last_article": last, "behind": max(0, last - upto)}


def search(conn, query: str, order: str = "newest") -> dict:
    """Hits newest first (a read of the index's newest matches), or best first (which ranks
    every match: slower for a common word in a big store)."""
    rows, note = _hits(conn, query, SEARCH_LIMIT, newest=order == "newest") if query else ([], None)
    groups = _grouped(rows)
    return {"q": query, "order": order, "note": note, "hits": len(rows), "stories": groups, "index": coverage(conn)}


def watchlists(conn, seen: dict[str, int]) -> dict:
    out = []
    for name, query, created in db.watchlists(conn):
        try:
            new = db.count_matches(conn, query, seen.get(name, 0))
        except sqlite3.OperationalError:
            new = db.count_matches(conn, '"' + query.replace('"', '""') + '"', seen.get(name, 0))
        out.append({"name": name, "query": query, "created": iso(created), "new": new,
                    "new_since": seen.get(name)})
    return {"watchlists": out, "index": coverage(conn)}


def watchlist(conn, name: str, seen: int | None, limit: int = 100) -> dict | None:
    row = db.watchlist(conn, name)
    if row is None:
        return None
    rows, note = _hits(conn, row[1], limit, newest=True)
    return {"name": row[0], "query": row[1], "created": iso(row[2]), "note": note,
            "new": sum(1 for r in rows if seen is None or r[1] > seen), "seen_upto": seen,
            "latest_article": max((r[1] for r in rows), default=None),
            "stories": _grouped(rows, seen if seen is not None else 0), "index": coverage(conn)}


def overview(conn) -> dict:
    counts = db.counts(conn)
    sizes = db.size_distribution(conn)
    buckets = [("1", 1, 1), ("2", 2, 2), ("3-5", 3, 5), ("6-10", 6, 10), ("11-50", 11, 50), ("51+", 51, None)]
    distribution = Counter()
    for size, n in sizes:
        for label, lo, hi in buckets:
            if size >= lo and (hi is None or size <= hi):
                distribution[label] += n
    t0, t1 = db.time_span(conn)
    arrivals = []
    if t0 is not None:
        span = t1 - t0
        width = 3600.0 if span < 3 * 86400 else 86400.0
        start = t0 - t0 % width
        arrivals = [{"from": iso(start + b * width), "captures": nc, "articles": na}
                    for b, nc, na in db.arrivals(conn, start, width)]
    return {"counts": {**counts, "occurrences_folded": counts["articles"] - counts["stories"]},
            "sizes": [{"size": label, "stories": distribution[label]} for label, *_ in buckets],
            "arrivals": arrivals, "arrivals_per": "hour" if arrivals and width == 3600 else "day",
            "time": db.TIME.label, "span": [iso(t0), iso(t1)], "index": coverage(conn)}
