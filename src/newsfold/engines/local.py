"""The local engine: the pipeline's steps on one machine, into one store.

read → extract + fingerprint (worker processes, `workers.ordered_map`) → one writer that commits
batches: a batch's captures, articles and verified edges land in one transaction or not at all.
Each batch is matched as it is written, against this run's earlier articles (an in-memory band
index) and the store's band runs, so memory stays bounded by the batch. Articles whose story is
not yet decided (`pending`) are placed at the end of every run, so a run killed part-way is
finished by the next one. A capture already stored (same name, same content hash) is skipped:
the same ingest twice changes nothing.

What only this engine tunes lives here: worker priority and task sizes ahead, the set caches and
spill file (`set_cache.py`), WAL checkpoints off the writer's thread, the lock that keeps two
ingests from writing one store at once; the collector's and malloc's settings are in `tuning.py`.
"""
from __future__ import annotations

import fcntl
import os
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import numpy as np
from tqdm import tqdm

from .. import config, index
from ..cluster import STORY_ID_HEX, Nodes, Placement, digest_halves, plan_placement
from ..fingerprint import fingerprint_packed
from ..model import Capture, IngestReport, Problem
from ..match.facts import Traits
from ..pipeline import (Batch, BatchPrints, ChunkResult, Matched, kernels_compiled, load_kernels,
                        lost_chunk, process_chunk)
from ..published import time_code
from ..read import RowBlock, RowSpan, discover, read_path
from ..store import Checkpointer, Transaction, file_path, reads, writes
from ..store import bands as stored_bands
from ..store.schema import BODY_HASH_INDEX, create_bulk_indexes, drop_bulk_indexes
from .local_match import LocalMatcher, StoredBatch
from .tuning import gc_tuned_for_ingest, init_worker
from .workers import ordered_map

# worker results allowed to wait: a whole next batch, so the workers compute it while the writer
# writes this one
AHEAD_BATCHES = 2
# the single writer is the bottleneck of a big ingest: workers yield it the CPU
WORKER_NICE = 10
PARALLEL_MIN_BYTES = 2 * 1024 * 1024  # below this, worker start-up costs more than it saves
RECOVER_ARTICLES = 131_072  # a recovery commits the keys of this many articles at a time
CAPTURES_PER_BATCH = 8  # × batch_articles: the captures a write batch holds at most


def ingest(conn, paths: list[str], text_field: str | None = None, workers: int | None = None,
           progress: bool | None = None, on_problem: Callable[[Problem], None] = lambda p: None,
           search_index: bool = True) -> IngestReport:
    """Read `paths` into the store on `conn` and place every new article in a story; then, with
    `search_index`, bring the full-text index up to date (readers never write it)."""
    with ingest_lock(conn):
        report = IngestReport()
        total = _total_bytes(paths)
        if workers is None:
            workers = (os.cpu_count() or 1) if total >= PARALLEL_MIN_BYTES else 1
        bar = tqdm(total=total or None, unit="B", unit_scale=True, desc="ingest", file=sys.stderr,
                   disable=True if progress is False else None, mininterval=0.5)
        if not kernels_compiled():  # a first ingest after an install: say why it is slow
            tqdm.write("newsfold: compiling the ingest's loops for this machine, once (15-30 s)", file=sys.stderr)
        load_kernels()  # before the workers are forked: they inherit the compiled code
        with gc_tuned_for_ingest():
            _ingest_into(conn, paths, text_field, workers, report, bar, on_problem)
            if search_index:
                writes.index_for_search(conn)
        report.stories = reads.count_stories(conn)
        return report


@contextmanager
def ingest_lock(conn):
    """Hold the store's ingest lock (`<db>-lock`) while the block runs; wait, saying so, if another
    process holds it. Two ingests at once would each match only against what the store held when
    it started, and miss each other's copies. A POSIX lock dies with its process, even on SIGKILL,
    and is not inherited by forked workers, so it never outlives the ingest that took it."""
    path = file_path(conn)
    if not path:  # in-memory store: no other process can see it
        yield
        return
    # beside the file's real path, so every spelling of it (relative, through a symbolic link)
    # takes the one lock; a store with several hard links is refused for writing (store.connect)
    with open(os.path.realpath(path) + "-lock", "ab") as fh:
        try:
            fcntl.lockf(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            tqdm.write(f"newsfold: another ingest is writing to {path}; waiting for it to finish", file=sys.stderr)
            fcntl.lockf(fh, fcntl.LOCK_EX)
        yield


def _inputs(paths: Iterable[str], text_field: str | None, report: IngestReport,
            spans: bool = False) -> Iterator[Capture | RowBlock | RowSpan | Problem]:
    """The captures and rows to ingest, and the problems of reading them, in input order. Runs on
    the pool's feeding threads (one at a time); a problem goes through a worker like a capture, so
    that however many there are, no more than the pool's tasks ahead are held. `spans`: a block
    of a plain JSONL file goes as where it lies, for the worker to read."""
    for item in discover(paths):
        if isinstance(item, Problem):
            yield item
            continue
        report.files += 1
        for cap in read_path(item, text_field, blocks=True):
            if spans and isinstance(cap, RowBlock) and cap.offset >= 0:
                yield cap.span()
            else:
                yield cap


def _tasks(items: Iterable, rows: int, file_rows: int) -> Iterator[list]:
    """Lists of items holding about `rows` rows each (a RowBlock or RowSpan counts its lines, a
    capture file `file_rows`, a problem 1): each task costs the writer a pickle and a pipe message
    both ways."""
    task = []
    size = 0
    for x in items:
        task.append(x)
        size += x.n_lines if isinstance(x, (RowBlock, RowSpan)) else 1 if isinstance(x, Problem) else file_rows
        if size >= rows:
            yield task
            task, size = [], 0
    if task:
        yield task


def _total_bytes(paths: Iterable[str]) -> int:
    total = 0
    for item in discover(paths):
        if not isinstance(item, Problem):
            try:
                total += item.stat().st_size
            except OSError:
                pass
    return total


def _ingest_into(conn, paths: list[str], text_field: str | None, workers: int, report: IngestReport, bar: tqdm,
         on_problem: Callable[[Problem], None]) -> None:
    settings = config.SETTINGS
    recover_band_keys(conn)
    matcher = LocalMatcher(conn)
    with Transaction(conn):
        if matcher.store_had_articles:
            create_bulk_indexes(conn)  # rebuilds what a killed bulk ingest dropped; else nothing
        else:
            drop_bulk_indexes(conn)  # built at the end, in one sort each
    tasks = _tasks(_inputs(paths, text_field, report, spans=workers > 1), settings.chunk_rows, settings.file_rows)
    ahead = AHEAD_BATCHES * settings.batch_articles // settings.chunk_rows
    results = ordered_map(process_chunk, tasks, workers, ahead=ahead, nice=WORKER_NICE, init=init_worker,
                          on_lost=lost_chunk)
    # fsyncs off the writer's path, to the end of the ingest
    checkpoints = Checkpointer(conn)
    try:
        try:
            batch: list[ChunkResult] = []
            n_articles = n_captures = 0
            for chunk in results:
                for res in chunk.captures:
                    if not res.content_hash:  # unread: its problem now (one read is checked at the write)
                        report.add_problem(res.problem)
                        on_problem(res.problem)
                bar.update(sum(res.size for res in chunk.captures))
                batch.append(chunk)
                n_articles += len(chunk.rows)
                n_captures += len(chunk.captures)
                # a batch is written when it holds enough articles, or captures (input that gives
                # no article must not pile up)
                if n_articles >= settings.batch_articles or n_captures >= CAPTURES_PER_BATCH * settings.batch_articles:
                    _write_batch(conn, batch, report, matcher, on_problem)
                    checkpoints.after_commit()
                    batch, n_articles, n_captures = [], 0, 0
            _write_batch(conn, batch, report, matcher, on_problem)
        finally:
            try:
                results.close()  # stops the workers, also on Ctrl-C
            finally:
                bar.close()
        with Transaction(conn):
            _save_band_keys(conn, matcher.index, reads.last_article(conn))
        checkpoints.after_commit()
        run = matcher.run
        matcher.release()  # its index and caches are not needed to place the stories
        if run is not None:
            with ThreadPoolExecutor(1, thread_name_prefix="newsfold-plan") as planner:
                # a run into an empty store: its stories are planned (arrays, no store access) on a
                # thread of its own while this one builds the body-hash index, in SQLite, which lets
                # go of the GIL
                plan = planner.submit(lambda: plan_placement(*run.nodes())) if run.ids else None
                with Transaction(conn):
                    create_bulk_indexes(conn, [BODY_HASH_INDEX])
                _place_run(conn, report, plan.result() if plan is not None else None)
        else:
            _place_pending(conn, report)
        checkpoints.after_commit()
        with Transaction(conn):
            create_bulk_indexes(conn)
    finally:
        try:
            matcher.release()  # also closes (and so deletes) the spilled sets
        finally:
            checkpoints.close()  # the writer's own checkpoints back, whatever happened


def _save_band_keys(conn, band_index: index.BandIndex, upto: int) -> None:
    """At the end of an ingest: its keys become one stored run, which covers the articles up to
    `upto`; then, if the store holds too many runs, the smallest are merged into one."""
    run = band_index.one_run()
    if run is not None:
        stored_bands.save_run(conn, *index.stored_form(run))
    stored_bands.set_covered(conn, upto)
    reader = stored_bands.BandStore(conn)
    runs = {run_id: (size, fences) for run_id, size, fences in reader.runs()}
    chosen = index.runs_to_compact([(run_id, size) for run_id, (size, _) in runs.items()])
    if chosen:
        merged = None
        for run_id in chosen:
            part = index.StoredRun(reader, run_id, *runs[run_id]).read()
            merged = part if merged is None else index.merge(merged, part)
        stored_bands.delete_runs(conn, chosen)
        stored_bands.save_run(conn, *index.stored_form(merged))


def recover_band_keys(conn, batch: int = 4096) -> None:
    """Give the articles a killed ingest committed the band keys it meant to store at its end (an
    ingest stores its keys once, not per batch): made again from their texts, a run (and a
    transaction) per RECOVER_ARTICLES articles. Their edges and pending marks were committed with them."""
    while True:
        with Transaction(conn):
            top = reads.last_article(conn)
            upto = stored_bands.covered_upto(conn)
            if top <= upto:
                stored_bands.set_covered(conn, top)
                return
            keys, owners, last = [], [], upto
            for ids, texts in reads.texts_after(conn, upto, batch):
                prints = fingerprint_packed(texts)
                keys.append(prints.keys.ravel())
                owners.append(np.repeat(np.array(ids, np.int64), prints.keys.shape[1]))
                last = ids[-1]
                if last - upto >= RECOVER_ARTICLES:
                    break
            run = index.sorted_run(np.concatenate(keys), np.concatenate(owners))
            stored_bands.save_run(conn, *index.stored_form(run))
            stored_bands.set_covered(conn, last)


def _write_batch(conn, chunks: list[ChunkResult], report: IngestReport, matcher: LocalMatcher,
                 on_problem: Callable[[Problem], None]) -> None:
    if not chunks:
        return
    prints = BatchPrints.concat([c.prints for c in chunks])
    rows = [r for c in chunks for r in c.rows]
    batch = []  # (capture, index of its first article in rows/prints)
    at = 0
    for chunk in chunks:
        for res in chunk.captures:
            batch.append((res, at))
            at += res.n_articles
    with Transaction(conn):
        # a capture is stored if its name is, or the name an older newsfold gave it (its alias)
        stored = reads.stored_captures(conn, [(r.name, r.content_hash) for r, _ in batch if r.content_hash]
                                       + [(r.alias, r.content_hash) for r, _ in batch if r.alias and r.content_hash])
        fresh, pages = [], []
        for res, first in batch:
            key = (res.name, res.content_hash)
            if not res.content_hash:  # not read: reported as it came
                continue
            if key in stored or (res.alias and (res.alias, res.content_hash) in stored):
                report.skipped += 1
            elif res.problem:
                report.add_problem(res.problem)
                on_problem(res.problem)
            else:
                stored.add(key)  # the same capture twice in one run is stored once
                fresh.append((res.name, res.content_hash, res.kind, first, res.n_articles))
                pages.append(res.page)
        now = time.time()
        given = writes.new_ids(conn, fresh)
        matched = Matched([], [], [], [])
        if given.ids.size:  # matched before its rows are inserted, in the same transaction
            taken = given.taken.tolist()
            matched = matcher.edges_for(StoredBatch(Batch(given.ids, given.taken, prints, rows), now,
                                                    np.array([rows[i][1] for i in taken], np.int64)))
        writes.insert_captures(conn, fresh, rows, prints, given, now)
        writes.insert_capture_texts(conn, [(given.first_capture + k, page) for k, page in enumerate(pages) if page])
        writes.insert_edges(conn, matched.edges, matched.notes)
        writes.insert_apart(conn, matched.apart)
        writes.insert_fact_keys(conn, matched.keys)
        report.captures += len(fresh)
        report.articles += given.ids.size


def _place_pending(conn, report: IngestReport) -> None:
    """Place every pending article: each with no edge alone, and the components new edges touch
    planned again as a whole (read back from the store)."""
    with Transaction(conn):
        report.new_stories += writes.make_singleton_stories(conn, STORY_ID_HEX)
        affected, pending = reads.pending_components(conn)
        writes.mark_all_placed(conn)  # all placed by the end of this transaction
        if not affected:
            return
        pending = set(pending)
        old = reads.component_stories(conn)
        writes.drop_stories(conn, old)
        edges = reads.component_edges(conn)
        nodes = reads.component_nodes(conn)
        titles = {r[0]: r[4] for r in nodes}
        plan = plan_placement(Nodes(np.array([r[0] for r in nodes], np.int64), np.array([r[1] for r in nodes], np.int64),
                                    digest_halves([r[2] for r in nodes]), np.array([r[3] for r in nodes], np.int64),
                                    np.array([Traits.decode(r[5]).digest for r in nodes], bool),
                                    np.array([time_code(r[6]) for r in nodes], np.int64),
                                    np.array([time_code(r[7]) for r in nodes], np.int64),
                                    lambda ids: {i: titles[i] for i in ids.tolist()}),
                              np.array([e[:2] for e in edges], np.int64).reshape(-1, 2),
                              np.array([e[2:6] for e in edges], np.float64).reshape(-1, 4),
                              [(e[6], e[7]) if e[6] else None for e in edges])
        stories, placements = list(plan.stories), list(plan.placements)
        writes.write_story_rows(conn, stories)
        writes.write_placements(conn, placements)
        writes.write_merges(conn, plan.merges)
        report.new_stories += sum(row[0] not in old for row in stories)
        report.folded += _folded(placements, pending)


def _folded(placements: list[tuple[int, str]], new: set[int]) -> int:
    """How many of the `new` articles joined another version: in each story, its new members,
    less one if it holds no older one (that one opened it)."""
    counts: dict[str, list[int]] = {}
    for aid, sid in placements:
        counts.setdefault(sid, [0, 0])[aid in new] += 1
    return sum(n_new - (n_old == 0) for n_old, n_new in counts.values() if n_new)


def _place_run(conn, report: IngestReport, plan: Placement | None) -> None:
    """Place every article of a run into an empty store as planned (None: it stored no article)."""
    with Transaction(conn):
        writes.mark_all_placed(conn)  # all placed by the end of this transaction
        if plan is None:
            return
        report.new_stories += writes.write_story_rows(conn, plan.stories)
        writes.write_placements(conn, plan.placements)
        writes.write_merges(conn, plan.merges)
        report.folded += len(plan.merges)
