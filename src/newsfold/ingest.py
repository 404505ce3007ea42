"""Ingest: read → extract → fingerprint (worker processes) → store (one writer) → match → cluster.

Captures are committed in batches; each capture with all its articles lands in one
transaction or not at all. Articles whose story is not yet decided (`story_id IS NULL`)
are matched and clustered at the end of every run, so a run that was killed part-way is
finished by the next one. Re-reading a capture already stored (same name, same content
hash) is skipped: running the same ingest twice changes nothing.
"""
from __future__ import annotations

import multiprocessing as mp
import os
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

import numpy as np
import xxhash
from tqdm import tqdm

from . import store as db
from .cluster import Node, components, star_clusters
from .extract import extract
from .fingerprint import Fingerprint, fingerprint
from .match import PairScores, candidate_pairs, compare, shared_passages, verify
from .model import Article, Capture, Problem
from .read import discover, read_path

BATCH_CAPTURES = 256  # captures per write transaction
PARALLEL_MIN_BYTES = 2 * 1024 * 1024  # below this, worker start-up costs more than it saves


@dataclass
class IngestReport:
    files: int = 0
    captures: int = 0
    skipped: int = 0  # captures already in the store
    articles: int = 0
    problems: list[Problem] = field(default_factory=list)
    stories: int = 0  # stories in the store after the run
    new_stories: int = 0
    folded: int = 0  # new articles placed in a story that already had another version

    @property
    def rejected(self) -> int:
        return len(self.problems)

    def summary(self) -> str:
        return (f"files read: {self.files}, captures: {self.captures} new, {self.skipped} already stored, "
                f"rejected: {self.rejected}, articles: {self.articles}, stories: {self.stories} "
                f"({self.new_stories} new), occurrences folded: {self.folded}")


@dataclass(frozen=True)
class Extracted:
    capture: Capture
    content_hash: str
    articles: tuple[Article, ...]
    prints: tuple[Fingerprint, ...]
    problem: Problem | None = None


def process_capture(capture: Capture) -> Extracted:
    """Pure work for one capture (runs in a worker): extract its articles and fingerprint them."""
    content_hash = xxhash.xxh3_128_hexdigest(capture.content.encode("utf-8", "surrogatepass"))
    try:
        articles = tuple(extract(capture))
    except Exception as err:  # untrusted input must never stop the run
        return Extracted(capture, content_hash, (), (), Problem(capture.name, f"extraction failed ({type(err).__name__}: {err})"))
    if not articles:
        return Extracted(capture, content_hash, (), (), Problem(capture.name, "no article found"))
    return Extracted(capture, content_hash, articles, tuple(fingerprint(a.text) for a in articles))


def _inputs(paths: Iterable[str], text_field: str | None, report: IngestReport,
            on_problem: Callable[[Problem], None]) -> Iterator[Capture]:
    for item in discover(paths):
        if isinstance(item, Problem):
            report.problems.append(item)
            on_problem(item)
            continue
        report.files += 1
        for cap in read_path(item, text_field):
            if isinstance(cap, Problem):
                report.problems.append(cap)
                on_problem(cap)
            else:
                yield cap


def _total_bytes(paths: Iterable[str]) -> int:
    total = 0
    for item in discover(paths):
        if not isinstance(item, Problem):
            try:
                total += item.stat().st_size
            except OSError:
                pass
    return total


def print_problem(p: Problem) -> None:
    tqdm.write(f"newsfold: {p}", file=sys.stderr)


def ingest(conn, paths: list[str], text_field: str | None = None, workers: int | None = None,
           progress: bool | None = None, on_problem: Callable[[Problem], None] = print_problem) -> IngestReport:
    report = IngestReport()
    total = _total_bytes(paths)
    if workers is None:
        workers = (os.cpu_count() or 1) if total >= PARALLEL_MIN_BYTES else 1
    bar = tqdm(total=total or None, unit="B", unit_scale=True, desc="ingest", file=sys.stderr,
               disable=True if progress is False else None, mininterval=0.5)
    fresh: dict[int, Fingerprint] = {}
    captures = _inputs(paths, text_field, report, on_problem)
    pool = mp.get_context("fork").Pool(workers) if workers > 1 else None
    try:
        results = pool.imap(process_capture, captures, chunksize=8) if pool else map(process_capture, captures)
        batch: list[Extracted] = []
        for res in results:
            bar.update(len(res.capture.content))
            batch.append(res)
            if len(batch) >= BATCH_CAPTURES:
                _write_batch(conn, batch, report, fresh, on_problem)
                batch = []
        _write_batch(conn, batch, report, fresh, on_problem)
    finally:
        if pool:
            pool.terminate()
        bar.close()
    _match_and_cluster(conn, fresh, report)
    report.stories = conn.execute("SELECT count(*) FROM stories").fetchone()[0]
    return report


def _write_batch(conn, batch: list[Extracted], report: IngestReport, fresh: dict[int, Fingerprint],
                 on_problem: Callable[[Problem], None]) -> None:
    if not batch:
        return
    with db.Transaction(conn):
        for res in batch:
            if db.has_capture(conn, res.capture.name, res.content_hash):
                report.skipped += 1
                continue
            if res.problem:
                report.problems.append(res.problem)
                on_problem(res.problem)
                continue
            ids = db.insert_capture(conn, res.capture.name, res.content_hash, res.capture.kind, res.articles, res.prints)
            fresh.update(zip(ids, res.prints))
            report.captures += 1
            report.articles += len(ids)


def _match_and_cluster(conn, fresh: dict[int, Fingerprint], report: IngestReport) -> None:
    """Find and verify the new articles' duplicates, then re-cluster the stories they touch."""
    pending = db.pending_articles(conn)
    if not pending:
        return
    prints = dict(fresh)
    _load_prints(conn, [a for a in pending if a not in prints], prints)
    pend = set(pending)
    keys = np.concatenate([prints[a].keys for a in pending])
    bkeys, owners = db.band_rows_for(conn, keys)
    pairs = candidate_pairs(bkeys, owners, fresh=pend) | db.same_body(conn, pending)
    _load_prints(conn, {x for p in pairs for x in p if x not in prints}, prints)
    new_edges = list(verify(pairs, prints))
    old_story = {}
    with db.Transaction(conn):
        conn.executemany("INSERT OR REPLACE INTO edges (a, b, jaccard, containment, entity_overlap) VALUES (?,?,?,?,?)",
                         ((a, b, s.jaccard, s.containment, s.entity_overlap) for a, b, s in new_edges))
        affected = components(pend, db.all_edges(conn))
        for aid, sid in _story_of(conn, affected):
            old_story[aid] = sid
        db.drop_stories(conn, {s for s in old_story.values() if s})
        node_rows = db.nodes(conn, affected)
        edges = [(a, b) for a, b in db.all_edges(conn) if a in affected and b in affected]
        stories = star_clusters((Node(*r) for r in node_rows), edges)
        hashes = {r[0]: r[2] for r in node_rows}
        _load_prints(conn, [m for ms in stories.values() for m in ms if m not in prints and len(ms) > 1], prints)
        texts = db.article_texts(conn, [m for ms in stories.values() if len(ms) > 1 for m in ms])
        old_ids = {s for s in old_story.values() if s}
        for canonical, members in stories.items():
            sid = hashes[canonical][:16]
            db.write_story(conn, sid, canonical, members)
            if sid not in old_ids:
                report.new_stories += 1
            for m in members[1:]:
                scores = compare(prints[m], prints[canonical])
                db.write_merge(conn, m, sid, canonical, scores, shared_passages(texts[m], texts[canonical]))
                if m in pend:
                    report.folded += 1


def _story_of(conn, ids: Iterable[int]) -> list[tuple[int, str | None]]:
    ids = list(ids)
    out = []
    for i in range(0, len(ids), 500):
        chunk = ids[i : i + 500]
        out.extend(conn.execute(f"SELECT id, story_id FROM articles WHERE id IN ({','.join('?' * len(chunk))})", chunk))
    return out


def _load_prints(conn, ids: Iterable[int], prints: dict[int, Fingerprint]) -> None:
    """Fingerprints of stored articles, rebuilt from their text (only candidates of new articles)."""
    for aid, text in db.article_texts(conn, ids).items():
        prints[aid] = fingerprint(text)
